"""My questions: the questions an account asked and the ones it took part in, with their counts.

Each list is one query, whatever its length: the counts are correlated subqueries
(`count_of`), not a count per row."""

from datetime import datetime
from typing import Any

from django.db.models import BooleanField, Case, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.utils import timezone

from ponder.questions.access import account_counts
from ponder.questions.models import Participant, Question


def _open(at: datetime) -> Q:
    return Q(closed_at__isnull=True) & (Q(deadline__isnull=True) | Q(deadline__gt=at))


def my_questions(account: Any, *, at: datetime | None = None) -> QuerySet[Question]:
    """Every question the account asked or took part in, with `asked` (it asked it),
    `took_part`, `is_open_now` and the counts `idea_count`, `participant_count` and
    `vote_count`, as the account may see them (`access.account_counts`)."""
    at = at or timezone.now()
    took_part = Participant.objects.filter(question=OuterRef("pk"), user=account)
    return (
        Question.objects.filter(Q(created_by=account) | Exists(took_part))
        .annotate(
            asked=Case(
                When(created_by=account, then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            ),
            took_part=Exists(took_part),
            is_open_now=Case(
                When(_open(at), then=Value(True)), default=Value(False), output_field=BooleanField()
            ),
            **account_counts(account),
        )
        .defer("description", "embed_origins")
    )


def open_questions(account: Any, *, at: datetime | None = None) -> QuerySet[Question]:
    """The open ones: those closing soonest first (no deadline last), then the newest."""
    at = at or timezone.now()
    return (
        my_questions(account, at=at)
        .filter(_open(at))
        .order_by(F("deadline").asc(nulls_last=True), "-created_at", "pk")
    )


def closed_questions(account: Any, *, at: datetime | None = None) -> QuerySet[Question]:
    """The archive: the most recently closed first (by hand, or at its deadline)."""
    at = at or timezone.now()
    closed = my_questions(account, at=at).exclude(_open(at))
    return closed.annotate(
        ended=Case(When(closed_at__isnull=False, then="closed_at"), default="deadline")
    ).order_by("-ended", "-created_at", "pk")
