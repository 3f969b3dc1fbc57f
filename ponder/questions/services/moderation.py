"""The organiser's moderation: hiding and showing entries again, reports, merging a duplicate
idea, and removing a participant or a crowd with everything they wrote, voted for and liked.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import (
    HIDDEN_NOTE_MAX,
    REPORT_NOTE_MAX,
    Argument,
    Comment,
    HiddenReason,
    Idea,
    IdeaMerge,
    Participant,
    Question,
    Report,
    Vote,
    bump_rows,
    count_of,
    recount,
)
from .base import ActionRefused, _announce, _lock, _remove_images, _require_present

Entry = Idea | Argument | Comment


def entry_kind(entry: Entry) -> str:
    """ "idea", "argument" or "comment": the name of the entry's kind in events and reports."""
    return type(entry).__name__.lower()


def _question_of(entry: Entry) -> Question:
    return entry.idea.question if isinstance(entry, Argument) else entry.question


def _entry_ids(entry: Entry) -> dict[str, str]:
    """The ids an event about the entry names: an argument's idea too (its row changes)."""
    if isinstance(entry, Argument):
        return {"idea": entry.idea_id, "argument": entry.pk}
    return {entry_kind(entry): entry.pk}


def _bump_row_of(entry: Entry) -> None:
    if isinstance(entry, Idea):
        bump_rows(Idea.objects.filter(pk=entry.pk))
    elif isinstance(entry, Argument):
        bump_rows(Idea.objects.filter(pk=entry.idea_id))


@transaction.atomic
def entry_hide(*, entry: Entry, reason: str, note: str = "") -> Entry:
    """Hide an idea, argument or comment (the organiser's): it stays, with its votes and likes,
    but everyone else sees only "Hidden by the organiser: <reason>" in its place. A hidden idea
    is out of the ranking and the result, and nobody can vote for it. Its open reports are
    settled. Hiding a hidden entry again changes its reason."""
    if reason not in HiddenReason.values:
        raise ActionRefused(_("Choose one of the reasons."), code="reason")
    note = note.strip()
    if len(note) > HIDDEN_NOTE_MAX:
        raise ActionRefused(
            _("The note may have at most %(n)d characters.") % {"n": HIDDEN_NOTE_MAX}, code="note"
        )
    locked = _lock(_question_of(entry))
    kind = entry_kind(entry)
    _require_present(entry, _("This has been deleted."))
    type(entry).objects.filter(pk=entry.pk).update(hidden_reason=reason, hidden_note=note)
    entry.hidden_reason, entry.hidden_note = reason, note
    Report.objects.open().filter(**{kind: entry.pk}).update(settled_at=timezone.now())
    _bump_row_of(entry)
    _announce(locked, f"{kind}.hidden", **_entry_ids(entry))
    return entry


@transaction.atomic
def entry_restore(*, entry: Entry) -> Entry:
    """Show a hidden entry again, as it was."""
    locked = _lock(_question_of(entry))
    _require_present(entry, _("This has been deleted."))
    type(entry).objects.filter(pk=entry.pk).update(hidden_reason="", hidden_note="")
    entry.hidden_reason = entry.hidden_note = ""
    _bump_row_of(entry)
    _announce(locked, f"{entry_kind(entry)}.restored", **_entry_ids(entry))
    return entry


@transaction.atomic
def participant_remove(*, question: Question, participant_id: str) -> Participant:
    """Remove one participant with everything they wrote, voted for and liked, in one step.
    Every count on the question is made right again and every idea's row drawn afresh. The
    organiser's own participant is not removed this way."""
    locked = _lock(question)
    participant = Participant.objects.filter(question=locked, pk=participant_id).first()
    if participant is None:
        raise ActionRefused(_("This participant has been removed."), code="deleted")
    if participant.organiser:
        raise ActionRefused(
            _("These are the organiser's own entries: delete them one by one."), code="organiser"
        )
    # Their ideas, arguments, comments, votes, likes and reports go with them (cascades).
    _remove_images(Idea.objects.filter(author=participant))
    participant.delete()
    recount(Question.objects.filter(pk=locked.pk))
    _announce(locked, "participants.removed")
    return participant


@transaction.atomic
def crowd_remove(*, question: Question, network: str, since: datetime, until: datetime) -> int:
    """Remove the names that joined `question` from one `network` after `since` and until
    `until` (a crowd the organiser was shown: `crowds.crowds_of`), with everything they wrote,
    voted for and liked. Every count on the question is made right again and every idea's row
    is drawn afresh (its voters and its pros and cons may have changed). Returns how many names
    were removed."""
    locked = _lock(question)
    if not network:  # names from before networks were kept: never one crowd
        return 0
    crowd = Participant.objects.filter(
        question=locked, network=network, created_at__gt=since, created_at__lte=until
    )
    # Their ideas, arguments, comments, votes and likes go with them (foreign keys cascade).
    removed = crowd.count()
    if removed:
        _remove_images(Idea.objects.filter(author__in=crowd))
        crowd.delete()
        recount(Question.objects.filter(pk=locked.pk))
        _announce(locked, "participants.removed")
    return removed


@transaction.atomic
def report_add(*, entry: Entry, reporter: Participant, reason: str, note: str = "") -> Report:
    """Report an entry to the organiser, once per person and entry. The answer tells the
    reporter nothing of anyone else's reports."""
    if reason not in HiddenReason.values:
        raise ActionRefused(_("Choose one of the reasons."), code="reason")
    note = note.strip()
    if len(note) > REPORT_NOTE_MAX:
        raise ActionRefused(
            _("The note may have at most %(n)d characters.") % {"n": REPORT_NOTE_MAX}, code="note"
        )
    question = _question_of(entry)
    if reporter.question_id != question.pk:
        raise ActionRefused(_("This has been deleted."), code="deleted")
    kind = entry_kind(entry)
    _lock(question)  # the entry cannot be deleted between the check and the insert
    _require_present(entry, _("This has been deleted."))
    if Report.objects.filter(reporter=reporter, **{kind: entry.pk}).exists():
        raise ActionRefused(_("You have reported this already."), code="reported")
    return Report.objects.create(
        question=question, reporter=reporter, reason=reason, note=note, **{kind: entry}
    )


@transaction.atomic
def reports_dismiss(*, entry: Entry) -> int:
    """Settle the open reports of an entry, leaving it as it is; how many there were."""
    _lock(_question_of(entry))
    return (
        Report.objects.open()
        .filter(**{entry_kind(entry): entry.pk})
        .update(settled_at=timezone.now())
    )


@transaction.atomic
def idea_merge(*, keep: Idea, merged: Idea) -> Idea:
    """Merge the idea `merged` into `keep`, a duplicate of it: its votes move across (a
    participant who voted for both keeps one vote: nobody ends with more votes than before, so
    the cap holds), and its pros and cons with their likes; then it is deleted, and its link
    leads to `keep` (`IdeaMerge`), whose page says "merged from …".

    Under the question's lock, as every vote is: a vote cast meanwhile on either idea is
    counted before or after the move, never lost or counted twice (test_races.py)."""
    if keep.pk == merged.pk:
        raise ActionRefused(_("Choose two different ideas."), code="same_idea")
    if keep.question_id != merged.question_id:
        raise ActionRefused(_("Both ideas must belong to this question."), code="other_question")
    locked = _lock(keep.question)
    _require_present(keep, _("This idea has been deleted."))
    _require_present(merged, _("This idea has been deleted."))
    both = Vote.objects.filter(idea_id=keep.pk).values("participant_id")
    Vote.objects.filter(idea_id=merged.pk, participant_id__in=both).delete()
    Vote.objects.filter(idea_id=merged.pk).update(idea_id=keep.pk)
    Argument.objects.filter(idea_id=merged.pk).update(idea_id=keep.pk)
    Report.objects.filter(idea_id=merged.pk).delete()  # about an idea that is no more
    IdeaMerge.objects.filter(into_id=merged.pk).update(into_id=keep.pk)  # earlier merges
    IdeaMerge.objects.create(id=merged.pk, question=locked, into_id=keep.pk, title=merged.title)
    _remove_images(Idea.objects.filter(pk=merged.pk))  # the duplicate's picture goes with it
    Idea.objects.filter(pk=merged.pk).delete()
    Idea.objects.filter(pk=keep.pk).update(
        vote_count=count_of(Vote, "idea"), version=F("version") + 1
    )
    _announce(locked, "idea.deleted", idea=merged.pk)
    _announce(locked, "idea.merged", idea=keep.pk, merged=merged.pk)
    keep.refresh_from_db()
    return keep
