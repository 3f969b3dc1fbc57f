"""Every write to the domain is one function here. Pages, the API, commands and tests call them.

Each one is atomic, locks the question row (so the rules it checks cannot change under it: the vote
cap, the open state, the version), bumps the question's version (and that of each idea whose row
on the question page it changes) and announces the change after commit. Votes and likes, which
come by the hundred, answer with what they did as a frozen dataclass (`VoteResult`,
`LikeResult`); their statements are written out in `hot`. Who may do what is decided by
`ponder.questions.access`; these functions enforce the rules that hold for everyone (closed
questions, disabled ideas or arguments, the vote cap).

They live by topic: `questions` (a question as a whole, its co-organisers), `participants`,
`ideas` (ideas, pictures, pros and cons, likes, comments), `votes`, `moderation`; what they share
(the lock, `_announce`, the rules every write checks) in `base`. Import them from here.
"""

from ..pages import VOTERS_SHOWN  # what a vote box shows: `VoteResult.first_voters`
from .base import ActionRefused, when
from .ideas import (
    IMAGE_FIELDS,
    LikeResult,
    argument_add,
    argument_delete,
    argument_update,
    comment_add,
    comment_delete,
    comment_update,
    idea_add,
    idea_delete,
    idea_image_remove,
    idea_image_set,
    idea_update,
    like_add,
    like_remove,
)
from .moderation import (
    Entry,
    crowd_remove,
    entry_hide,
    entry_kind,
    entry_restore,
    idea_merge,
    participant_remove,
    report_add,
    reports_dismiss,
)
from .participants import (
    FORMER_PARTICIPANT,
    participant_join,
    participant_leave,
    participant_rename,
)
from .questions import (
    COPIED_SETTINGS,
    announce_change,
    co_organiser_add,
    co_organiser_remove,
    question_admin_key_replace,
    question_close,
    question_close_due,
    question_create,
    question_delete,
    question_duplicate,
    question_links_send,
    question_phase_due,
    question_reopen,
    question_update,
    questions_claim,
)
from .votes import (
    VoteResult,
    tally_ids,
    vote_add,
    vote_cast,
    vote_remove,
    vote_retract,
    vote_set,
)

__all__ = [
    "COPIED_SETTINGS",
    "FORMER_PARTICIPANT",
    "IMAGE_FIELDS",
    "VOTERS_SHOWN",
    "ActionRefused",
    "Entry",
    "LikeResult",
    "VoteResult",
    "announce_change",
    "argument_add",
    "argument_delete",
    "argument_update",
    "co_organiser_add",
    "co_organiser_remove",
    "comment_add",
    "comment_delete",
    "comment_update",
    "crowd_remove",
    "entry_hide",
    "entry_kind",
    "entry_restore",
    "idea_add",
    "idea_delete",
    "idea_image_remove",
    "idea_image_set",
    "idea_merge",
    "idea_update",
    "like_add",
    "like_remove",
    "participant_join",
    "participant_leave",
    "participant_remove",
    "participant_rename",
    "question_admin_key_replace",
    "question_close",
    "question_close_due",
    "question_create",
    "question_delete",
    "question_duplicate",
    "question_links_send",
    "question_phase_due",
    "question_reopen",
    "question_update",
    "questions_claim",
    "report_add",
    "reports_dismiss",
    "tally_ids",
    "vote_add",
    "vote_cast",
    "vote_remove",
    "vote_retract",
    "vote_set",
    "when",
]
