"""What every write shares: `ActionRefused`, the question's lock, the version bump and its
event (`_announce`; `_bump` and `_event` for the writes that come by the hundred), and the rules
that hold for every write (open, short enough, in its phase, still there, not hidden).
"""

import functools
import zoneinfo
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ponder.live.events import record

from .. import hot, images
from ..models import Argument, Comment, Idea, Question


class ActionRefused(Exception):
    """A rule refused the action. `message` is shown to the person; `code` names the rule;
    `field`, the input it is about, if one (shown next to it, or named in the API's 400)."""

    def __init__(self, message: str, *, code: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


def _lock(question: Question) -> Question:
    # Lock the question row: two quick clicks or two people at the vote cap must queue, not race.
    try:
        return Question.objects.select_for_update().get(pk=question.pk)
    except Question.DoesNotExist:
        # Deleted by its organiser while this request waited for the lock.
        raise ActionRefused(_("This question has been deleted."), code="deleted") from None


class _Unchanged(Exception):
    """Raised inside a change's transaction when it turns out to change nothing (a second vote
    for the same idea): its version bump is rolled back with it. Carries what to answer."""

    def __init__(self, result: object = None) -> None:
        super().__init__()
        self.result = result


def _unless_unchanged[T](change: Callable[..., T]) -> Callable[..., T]:
    """`change` in a transaction of its own; when it raises `_Unchanged`, the transaction (and
    with it the version bump) is rolled back and the exception's `result` is the answer."""
    atomic = transaction.atomic(change)

    @functools.wraps(change)
    def run(**kwargs: Any) -> T:
        try:
            return atomic(**kwargs)
        except _Unchanged as unchanged:
            return unchanged.result  # type: ignore[return-value]

    return run


def _bump(question: Question) -> Question:
    """`_lock` and the version bump of `_announce` in one statement, for the writes that come
    by the hundred (votes and likes). Call `_record` after the change."""
    locked = hot.bump_version(question.pk)
    if locked is None:
        raise ActionRefused(_("This question has been deleted."), code="deleted")
    return locked


def _record(question: Question, kind: str, **ids: str) -> None:
    record(question.pk, question.version, kind, **ids)


def _event(question: Question, kind: str, **ids: str) -> hot.NewEvent:
    """For the writes that log their event in the same statement as their change (`hot`): call
    `announce` after it."""
    return hot.NewEvent(question.pk, question.version, kind, ids)


def _announce(question: Question, kind: str, **ids: str) -> int:
    """Bump the question's version and log the change; live streams hear of it after commit."""
    question.version += 1
    Question.objects.filter(pk=question.pk).update(version=question.version)
    record(question.pk, question.version, kind, **ids)
    return question.version


def _require_open(question: Question) -> None:
    if not question.is_open():
        raise ActionRefused(_("This question is closed."), code="closed")


def _require_short(question: Question, field: str, text: str) -> None:
    """The organiser's text limit (checked by the forms too, where the message is shown next to
    the field; here for every other way in)."""
    if len(text) > question.text_max:
        raise ActionRefused(
            _("The organiser allows at most %(limit)d characters here; this text has %(count)d.")
            % {"limit": question.text_max, "count": len(text)},
            code="too_long",
            field=field,
        )


def when(question: Question, instant: datetime) -> str:
    """An instant as the question shows it: in its time zone, named ("12 May 2027, 18:00
    (Europe/Berlin)")."""
    local = timezone.localtime(instant, zoneinfo.ZoneInfo(question.time_zone))
    return f"{date_format(local, 'DATETIME_FORMAT')} ({question.time_zone})"


def _require_phase(question: Question, phase: str) -> None:
    """Refuse what the question's phase does not allow now: ideas in the vote phase, votes in
    the idea phase (the page offers neither then; a page loaded before the switch may)."""
    now = question.phase()
    if now == "votes" and phase == "ideas":
        raise ActionRefused(
            _("Voting has begun: no new ideas can be added now."), code="idea_phase_over"
        )
    if now == "ideas" and phase == "votes" and question.ideas_until is not None:
        raise ActionRefused(
            _("Voting opens on %(when)s. Until then, add ideas, pros and cons.")
            % {"when": when(question, question.ideas_until)},
            code="voting_not_open",
        )


def _require_present(entry: Idea | Argument | Comment, message: str) -> None:
    # Checked under the question lock: if the organiser deleted the idea or argument while this
    # request waited for the lock, the new row's foreign key would fail at commit, a 500.
    if not type(entry).objects.filter(pk=entry.pk).exists():
        raise ActionRefused(message, code="deleted")


def _require_shown(entry: Idea | Argument, message: str) -> None:
    """Refuse a change to an entry that is gone (`_require_present`) or hidden by the
    organiser: nobody votes for a hidden idea or likes a hidden argument."""
    _require_present(entry, message)
    if type(entry).objects.filter(pk=entry.pk).exclude(hidden_reason="").exists():
        raise ActionRefused(_("The organiser has hidden this."), code="hidden")


def _remove_images(ideas: QuerySet[Idea]) -> None:
    """Remove the files of these ideas' pictures once the transaction commits."""
    for key in ideas.exclude(image_key="").values_list("image_key", flat=True):
        images.remove_after_commit(key)
