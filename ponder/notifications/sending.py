"""The worker's pass over the subscriptions (`ponder worker`, every --interval): for each one
with something to tell, one mail, queued with `mail.send` in the same transaction that moves
its cursors. The cursors move only if they are as this pass read them (`claim`, a
compare-and-set that works alike on SQLite and PostgreSQL): of two workers, one sends, and the
other finds the row changed and sends nothing.

What is new comes from the question's events (`live.models.Event`, kept forever, written with
each change) and its reports; what a subscriber may be told is the question's rule
(`access.Reader`): one who may no longer view the question gets nothing, and hidden entries
are never mailed to participants."""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ponder import mail
from ponder.lib.text import without_bidi_controls
from ponder.live.models import Event
from ponder.questions.access import Reader, account_administers, admission_of_participant
from ponder.questions.models import (
    Argument,
    CoOrganiser,
    Idea,
    Participant,
    Question,
    Report,
    Survey,
    TakingPart,
    Vote,
)
from ponder.questions.services import when

from . import services
from .models import Activity, Role, Subscription

logger = logging.getLogger(__name__)

# At most one mail of news per subscription in these: "at once" groups what comes meanwhile.
AT_ONCE_EVERY = timedelta(minutes=10)
DAILY_EVERY = timedelta(hours=24)
DEADLINE_AHEAD = timedelta(hours=24)
RESULT_TOP = 5


def run(*, at: datetime | None = None) -> int:
    """One pass: make the accounts' subscriptions, then mail each subscription what is due.
    How many mails were queued."""
    at = at or timezone.now()
    make_account_subscriptions(at=at)
    queued = 0
    for subscription in due(at).select_related("question", "user", "participant").iterator():
        try:
            queued += notify(subscription, at=at)
        except DatabaseError:
            logger.exception("could not notify a subscription")
    return queued


def due(at: datetime) -> QuerySet[Subscription]:
    """The confirmed subscriptions with something to tell now (or to pass over: a subscriber
    who may no longer see the question, or news that is all votes)."""
    news = Q(question__version__gt=F("version_seen")) | Q(role=Role.ORGANISER) & Exists(
        Report.objects.filter(
            question=OuterRef("question"), created_at__gt=OuterRef("reports_seen_at")
        )
    )
    at_once = Q(activity=Activity.NOW) & (
        Q(last_mail_at__isnull=True) | Q(last_mail_at__lte=at - AT_ONCE_EVERY)
    )
    # A day's digest: a day after the last one, or after subscribing.
    daily = Q(activity=Activity.DAILY) & (
        Q(last_mail_at__lte=at - DAILY_EVERY)
        | Q(last_mail_at__isnull=True, created_at__lte=at - DAILY_EVERY)
    )
    deadline = (
        Q(deadline=True, question__closed_at__isnull=True)
        & Q(question__deadline__gt=at, question__deadline__lte=at + DEADLINE_AHEAD)
        & (Q(deadline_sent_for__isnull=True) | ~Q(deadline_sent_for=F("question__deadline")))
    )
    result = Q(result=True, question__closed_at__isnull=False) & (
        Q(result_sent_for__isnull=True) | ~Q(result_sent_for=F("question__closed_at"))
    )
    return Subscription.objects.filter(confirmed_at__isnull=False).filter(
        (news & (at_once | daily)) | deadline | result
    )


# Who may be told ------------------------------------------------------------------------------


def reader_of(subscription: Subscription) -> Reader | None:
    """The subscriber as the question's rule sees them, or None if they may not see it (any
    more): an organiser no longer, a removed participant, a revoked invitation."""
    question = subscription.question
    if subscription.role == Role.ORGANISER:
        if subscription.user_id is not None:
            organiser = account_administers(question, subscription.user)
        else:
            keys = [question.admin_key_hash]
            if question.survey_id is not None:
                keys += Survey.objects.filter(pk=question.survey_id).values_list(
                    "admin_key_hash", flat=True
                )
            organiser = subscription.admin_key_hash in keys
        return Reader(question, None, organiser=True) if organiser else None
    participant = subscription.participant
    if participant is not None:
        admitted = admission_of_participant(question, participant, organiser=False).admitted
    elif question.taking_part == TakingPart.LINK:
        admitted = True
    else:
        admitted = question.taking_part == TakingPart.ACCOUNT and subscription.user_id is not None
    reader = Reader(question, participant, organiser=False, admitted=admitted)
    return reader if reader.may_view() else None


# What to tell ---------------------------------------------------------------------------------


@dataclass
class Work:
    """What one pass tells one subscription, and where its cursors move to."""

    cursors: dict[str, Any] = field(default_factory=dict)
    sections: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # "news", "deadline", "result"


def _ids(subscription: Subscription, upto: int, kind: str, key: str) -> list[str]:
    events = Event.objects.filter(
        question_id=subscription.question_id,
        version__gt=subscription.version_seen,
        version__lte=upto,
        type=kind,
    ).values_list("ids", flat=True)
    return [ids[key] for ids in events if key in ids]


def _question_link(subscription: Subscription, name: str = "question", *ids: str) -> str:
    """The link to one of the question's pages (`name`: its route's name)."""
    return services.link(subscription, reverse(name, args=[subscription.question_id, *ids]))


def _news(subscription: Subscription, reader: Reader | None, at: datetime, work: Work) -> None:
    question = subscription.question
    upto = question.version
    work.cursors["version_seen"] = upto
    if reader is None:
        return
    lines: list[str] = []
    if subscription.role == Role.ORGANISER:
        ideas = Idea.objects.filter(
            question=question, pk__in=_ids(subscription, upto, "idea.added", "idea")
        ).order_by("created_at", "pk")
        # One the organiser hid already needs nothing more from them.
        ideas = list(ideas.filter(hidden_reason=""))
        if ideas:
            lines.append(
                ngettext("%(n)d new idea:", "%(n)d new ideas:", len(ideas)) % {"n": len(ideas)}
            )
            for idea in ideas:
                lines.append(f"- {without_bidi_controls(idea.title)}")
                lines.append(f"  {_question_link(subscription, 'idea', idea.pk)}")
        reports = list(
            Report.objects.filter(
                question=question, created_at__gt=subscription.reports_seen_at, created_at__lte=at
            )
            .open()
            .order_by("created_at")
        )
        work.cursors["reports_seen_at"] = max(
            [subscription.reports_seen_at, *(report.created_at for report in reports)]
        )
        if reports:
            if lines:
                lines.append("")
            lines.append(
                ngettext(
                    "%(n)d new report to look at:", "%(n)d new reports to look at:", len(reports)
                )
                % {"n": len(reports)}
            )
            for report in reports:
                lines.append(f"- {report.get_reason_display()}")
            lines.append(f"  {_question_link(subscription, 'reports')}")
    else:
        authors = _authors(subscription)
        arguments = list(
            Argument.objects.filter(
                idea__question=question,
                pk__in=_ids(subscription, upto, "argument.added", "argument"),
                idea__author__in=authors,
                hidden_reason="",
                idea__hidden_reason="",
            )
            .exclude(author__in=authors)
            .select_related("idea")
            .order_by("created_at", "pk")
        )
        if arguments:
            lines.append(
                ngettext(
                    "%(n)d new pro or con on your ideas:",
                    "%(n)d new pros and cons on your ideas:",
                    len(arguments),
                )
                % {"n": len(arguments)}
            )
            for argument in arguments:
                kind = _("Pro") if argument.kind == Argument.Kind.PRO else _("Con")
                lines.append(
                    f"- {without_bidi_controls(argument.idea.title)}: {kind}: "
                    f"{without_bidi_controls(' '.join(argument.text.split()))[:300]}"
                )
                lines.append(f"  {_question_link(subscription, 'idea', argument.idea_id)}")
    if lines:
        work.cursors["last_mail_at"] = at
        work.sections.append("\n".join(lines))
        work.kinds.append("news")


def _authors(subscription: Subscription) -> list[str]:
    """The participants whose ideas are the subscriber's: theirs, and for an account every name
    it took part under in the question."""
    authors = [subscription.participant_id] if subscription.participant_id else []
    if subscription.user_id is not None:
        authors += Participant.objects.filter(
            question_id=subscription.question_id, user_id=subscription.user_id
        ).values_list("pk", flat=True)
    return authors


def _deadline(subscription: Subscription, reader: Reader | None, work: Work) -> None:
    question = subscription.question
    work.cursors["deadline_sent_for"] = question.deadline
    if reader is None or question.deadline is None:
        return
    work.sections.append(
        _("The question closes on %(when)s. Until then you can still take part:")
        % {"when": when(question, question.deadline)}
        + "\n"
        + _question_link(subscription)
    )
    work.kinds.append("deadline")


def _result(subscription: Subscription, reader: Reader | None, work: Work) -> None:
    question = subscription.question
    work.cursors["result_sent_for"] = question.closed_at
    if reader is None:
        return
    ideas = Idea.objects.filter(question=question, hidden_reason="").with_counts()
    lines = [_("The question is closed.")]
    top = list(ideas[:RESULT_TOP])
    if not top:
        lines.append(_("It got no ideas."))
    elif reader.sees_counts():
        lines.append(_("The leading ideas:"))
        for place, idea in enumerate(top, start=1):
            votes = ngettext("%(n)d vote", "%(n)d votes", idea.vote_count) % {"n": idea.vote_count}
            lines.append(f"{place}. {without_bidi_controls(idea.title)} ({votes})")
    if subscription.role == Role.ORGANISER:
        counts = {
            "ideas": ideas.count(),
            "people": Participant.objects.filter(question=question).count(),
            "votes": Vote.objects.filter(idea__question=question).count(),
        }
        lines.append("")
        lines.append(
            _("In all: %(ideas)d ideas, %(people)d participants, %(votes)d votes.") % counts
        )
    lines.append("")
    lines.append(_("The whole result:") + "\n" + _question_link(subscription))
    work.sections.append("\n".join(lines))
    work.kinds.append("result")


def compose(subscription: Subscription, *, at: datetime) -> Work:
    """What to tell the subscription now, read from the question (no writes)."""
    question = subscription.question
    reader = reader_of(subscription)
    work = Work()
    if (
        subscription.result
        and question.closed_at is not None
        and subscription.result_sent_for != question.closed_at
    ):
        _result(subscription, reader, work)
    elif (
        subscription.deadline
        and question.closed_at is None
        and question.deadline is not None
        and at < question.deadline <= at + DEADLINE_AHEAD
        and subscription.deadline_sent_for != question.deadline
    ):
        _deadline(subscription, reader, work)
    if subscription.activity != Activity.OFF:
        wait = AT_ONCE_EVERY if subscription.activity == Activity.NOW else DAILY_EVERY
        since = subscription.last_mail_at or (
            subscription.created_at if subscription.activity == Activity.DAILY else None
        )
        if since is None or since <= at - wait:
            _news(subscription, reader, at, work)
    return work


def _subject(subscription: Subscription, work: Work) -> str:
    title = without_bidi_controls(subscription.question.title)
    if "result" in work.kinds:
        subject = _("Result: %(title)s")
    elif "deadline" in work.kinds:
        subject = _("Closing soon: %(title)s")
    elif subscription.role == Role.ORGANISER:
        subject = _("New on your question: %(title)s")
    else:
        subject = _("New on your ideas: %(title)s")
    return " ".join((subject % {"title": title}).split())


def notify(subscription: Subscription, *, at: datetime) -> int:
    """Mail the subscription what is due, once: 1 if a mail was queued."""
    address = subscription.address
    with translation.override(subscription.language):
        work = compose(subscription, at=at)
        if not work.cursors:
            return 0
        body = "\n\n".join(
            [
                _("About the question “%(title)s” on Ponder:")
                % {"title": without_bidi_controls(subscription.question.title)},
                *work.sections,
                "--",
                services.footer(subscription),
            ]
        )
        subject = _subject(subscription, work)
    with transaction.atomic():
        claimed = Subscription.objects.filter(pk=subscription.pk, claim=subscription.claim).update(
            claim=F("claim") + 1, **work.cursors
        )
        if not claimed or not work.sections or not address:
            return 0  # another worker had it, or there was nothing to tell
        mail.send(
            to=address,
            subject=subject,
            body=body + "\n",
            headers=services.unsubscribe_headers(subscription),
        )
    return 1


# The accounts' subscriptions --------------------------------------------------------------------


def _base_url() -> str:
    """Where the links of a subscription made here lead: PONDER_BASE_URL, else the address the
    latest subscription was made from (a request's). Empty when neither is known yet."""
    if settings.PONDER_BASE_URL:
        return settings.PONDER_BASE_URL
    latest = Subscription.objects.exclude(base_url="").order_by("-created_at").first()
    return latest.base_url if latest is not None else ""


def make_account_subscriptions(*, at: datetime) -> int:
    """The subscriptions of accounts to the open questions they organise or take part in,
    where they have none yet (one they turned off is theirs, and stays off). From what
    happened since they joined."""
    base_url = _base_url()
    if not base_url:
        return 0  # no address to link to yet: PONDER_BASE_URL, or the first request's
    # Open, and with something to tell soon: a change in the last day (the events' index), or a
    # deadline within two. A quiet question's people get theirs with its next change, from what
    # happened since they joined (at most a day back), so nothing is missed by waiting.
    lately = at - DAILY_EVERY
    open_questions = (
        Question.objects.filter(closed_at__isnull=True)
        .filter(Q(deadline__isnull=True) | Q(deadline__gt=at))
        .filter(
            Q(created_at__gte=lately)
            | Q(deadline__lte=at + 2 * DEADLINE_AHEAD)
            | Q(pk__in=Event.objects.filter(created_at__gte=lately).values("question_id"))
        )
    )
    has_one = Subscription.objects.filter(question=OuterRef("question"), user=OuterRef("user"))
    wanted: list[tuple[int, str, str, Participant | None, datetime]] = []
    for question in open_questions.filter(created_by__isnull=False).exclude(
        Exists(Subscription.objects.filter(question=OuterRef("pk"), user=OuterRef("created_by")))
    ):
        wanted.append(
            (question.created_by_id, question.pk, Role.ORGANISER, None, question.created_at)
        )
    for co in CoOrganiser.objects.filter(question__in=open_questions).exclude(Exists(has_one)):
        wanted.append((co.user_id, co.question_id, Role.ORGANISER, None, co.added_at))
    participants = (
        Participant.objects.filter(question__in=open_questions, user__isnull=False)
        .exclude(Exists(has_one))
        .order_by("created_at")
    )
    for participant in participants:
        wanted.append(
            (
                participant.user_id,
                participant.question_id,
                Role.PARTICIPANT,
                participant,
                participant.created_at,
            )
        )
    made = 0
    # The questions in one query, not one per subscription made.
    questions = Question.objects.in_bulk({question_id for _, question_id, *_ in wanted})
    for user_id, question_id, role, participant, since in wanted:
        question = questions.get(question_id)
        if question is None:
            continue
        try:
            with transaction.atomic():
                Subscription.objects.create(
                    question=question,
                    user_id=user_id,
                    role=role,
                    participant=participant,
                    base_url=base_url,
                    language=settings.LANGUAGE_CODE,
                    confirmed_at=at,
                    **services.defaults_for(role),
                    **services.starting_cursors(question, since=max(since, at - DAILY_EVERY)),
                )
            made += 1
        except IntegrityError:
            pass  # made meanwhile (an organiser who took part too, or another worker)
    return made
