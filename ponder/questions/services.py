"""Every write to the domain is one function here. Pages, the API, commands and tests call them.

Each one is atomic, locks the question row (so the rules it checks cannot change under it: the vote
cap, the open state, the version), bumps the question's version (and that of each idea whose row
on the question page it changes) and announces the change after commit. Votes and likes, which
come by the hundred, answer with what they did as a frozen dataclass (`VoteResult`,
`LikeResult`); their statements are written out in `hot`. Who may do what is decided by
`ponder.questions.access`; these functions enforce the rules that hold for everyone (closed
questions, disabled ideas or arguments, the vote cap).
"""

import functools
import zoneinfo
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from ponder import mail
from ponder.lib.ids import hash_secret, new_secret
from ponder.lib.text import isolated, looks_alike, name_keys, without_bidi_controls
from ponder.live.events import announce, record

from . import hot, images
from .access import shown_to_everyone
from .models import (
    HIDDEN_NOTE_MAX,
    REPORT_NOTE_MAX,
    Argument,
    Comment,
    CoOrganiser,
    DeletedQuestion,
    HiddenReason,
    Idea,
    IdeaMerge,
    Invitation,
    Like,
    Participant,
    Question,
    Report,
    Vote,
    bump_rows,
    count_of,
    deleted_question_key,
    recount,
)
from .pages import VOTERS_SHOWN
from .rendering import forget_question


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


def _require_room_for_idea(question: Question, author: Participant, *, by_organiser: bool) -> None:
    """The question's limits on ideas, counted under its lock: two ideas sent at once at the
    limit queue on the lock, and the second finds no room."""
    ideas = Idea.objects.filter(question=question)
    if question.max_ideas is not None and ideas.count() >= question.max_ideas:
        raise ActionRefused(
            _("This question takes no more ideas: it has all %(n)d it may have.")
            % {"n": question.max_ideas},
            code="idea_limit",
        )
    per_person = question.max_ideas_per_person
    mine = ideas.filter(author=author)
    if per_person is not None and not by_organiser and mine.count() >= per_person:
        raise ActionRefused(
            ngettext(
                "You have added the %(n)d idea each participant may add here.",
                "You have added all %(n)d ideas each participant may add here.",
                per_person,
            )
            % {"n": per_person},
            code="idea_limit_per_person",
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


def tally_ids(question: Question, idea_id: str) -> dict[str, str]:
    """The ids a vote's event names: none while the question's counts are hidden from anyone
    (every open page gets the event alike, and which idea was voted for, event by event, adds up
    to the tally); the idea otherwise (`stream.describe` adds its tally)."""
    counts_shown, _names_shown = shown_to_everyone(question)
    return {"idea": idea_id} if counts_shown else {}


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


# Questions ----------------------------------------------------------------------------------


@transaction.atomic
def question_create(
    *, title: str, description: str = "", created_by: Any = None
) -> tuple[Question, str]:
    """Create a question; returns it with its admin key, which is stored only as a hash.
    `created_by`: the account that asks it (logged in), which then administers it too."""
    admin_key = new_secret()
    question = Question.objects.create(
        title=title,
        description=description,
        admin_key_hash=hash_secret(admin_key),
        created_by=created_by,
    )
    return question, admin_key


def questions_claim(*, questions: list[Question], account: Any) -> int:
    """Make these questions the account's (`created_by`), each only if no account has it yet:
    the person proved they hold its admin key. Returns how many became theirs."""
    ids = [question.pk for question in questions]
    # One statement: a question another account claimed a moment ago is left as it is.
    return Question.objects.filter(pk__in=ids, created_by__isnull=True).update(created_by=account)


@transaction.atomic
def question_update(
    *,
    question: Question,
    title: str,
    description: str,
    allow_ideas: bool,
    allow_arguments: bool,
    max_votes: int | None,
    deadline: datetime | None,
    time_zone: str,
    allow_exports: bool | None = None,
    allow_embed: bool | None = None,
    embed_origins: list[str] | None = None,
    ideas_until: datetime | None = None,
    hide_tally: bool | None = None,
    organiser_sees_tally: bool | None = None,
    anonymous_votes: bool | None = None,
    random_order: bool | None = None,
    taking_part: str | None = None,
    password: str = "",
    max_ideas_per_person: int | None = None,
    max_ideas: int | None = None,
    max_text_length: int | None = None,
    max_votes_per_idea: int = 1,
) -> Question:
    """Change the question and its settings; `allow_exports`, `allow_embed`, `embed_origins`,
    `taking_part` and the fair-decision settings left at None keep theirs (`ideas_until` None:
    no phases), and so does an empty `password` (kept hashed only). `embed_origins` are checked
    origins (`forms.clean_origins`). Anonymous votes cannot be turned off once anyone has voted:
    they voted trusting that nobody would see their names. The limits (None: none) apply to
    what comes after: a lowered one deletes nothing."""
    locked = _lock(question)
    if (
        anonymous_votes is False
        and locked.anonymous_votes
        and Vote.objects.filter(idea__question=locked).exists()
    ):
        raise ActionRefused(
            _("Votes were cast anonymously: anonymous votes cannot be turned off any more."),
            code="anonymous_locked",
        )
    if ideas_until is not None and deadline is not None and ideas_until >= deadline:
        raise ActionRefused(
            _("Collecting ideas must end before the deadline."), code="phases_order"
        )
    locked.ideas_until = ideas_until
    for name, value in (
        ("hide_tally", hide_tally),
        ("organiser_sees_tally", organiser_sees_tally),
        ("anonymous_votes", anonymous_votes),
        ("random_order", random_order),
    ):
        if value is not None:
            setattr(locked, name, value)
    if taking_part is not None:
        locked.taking_part = taking_part
    if password:
        locked.password_hash = make_password(password)
    locked.max_ideas_per_person, locked.max_ideas = max_ideas_per_person, max_ideas
    locked.max_text_length, locked.max_votes_per_idea = max_text_length, max_votes_per_idea
    locked.title, locked.description = title, description
    locked.allow_ideas, locked.allow_arguments = allow_ideas, allow_arguments
    locked.max_votes, locked.deadline, locked.time_zone = max_votes, deadline, time_zone
    if allow_exports is not None:
        locked.allow_exports = allow_exports
    if allow_embed is not None:
        locked.allow_embed = allow_embed
    if embed_origins is not None:
        locked.embed_origins = "\n".join(embed_origins)
    locked.save(
        update_fields=[
            "title",
            "description",
            "allow_ideas",
            "allow_arguments",
            "max_votes",
            "deadline",
            "time_zone",
            "allow_exports",
            "allow_embed",
            "embed_origins",
            "max_ideas_per_person",
            "max_ideas",
            "max_text_length",
            "max_votes_per_idea",
            "ideas_until",
            "hide_tally",
            "organiser_sees_tally",
            "anonymous_votes",
            "random_order",
            "taking_part",
            "password_hash",
        ]
    )
    _announce(locked, "question.changed")
    return locked


@transaction.atomic
def announce_change(*, question: Question) -> Question:
    """Something the question's page shows from outside the question changed (the title of its
    survey): its version moves and its open pages hear of it, as after a change of settings."""
    locked = _lock(question)
    _announce(locked, "question.changed")
    return locked


@transaction.atomic
def question_admin_key_replace(*, question: Question) -> tuple[Question, str]:
    """Give the question a new admin key; returns it with the key, stored only as a hash.

    The old key stops working at once, everywhere: every browser and API client proves its
    rights by its key against the stored hash on each request, so a cookie or token holding the
    old key is no one's. If the organiser took part under the old key (the API lets them), their
    participant moves to the new key: the old one takes part no more, and the new one does both.
    """
    locked = _lock(question)
    old_hash = locked.admin_key_hash
    admin_key = new_secret()
    locked.admin_key_hash = hash_secret(admin_key)
    locked.save(update_fields=["admin_key_hash"])
    Participant.objects.filter(question=locked, token_hash=old_hash).update(
        token_hash=locked.admin_key_hash
    )
    return locked, admin_key


@transaction.atomic
def question_close(*, question: Question, at: datetime | None = None) -> Question:
    locked = _lock(question)
    if locked.closed_at is None:
        locked.closed_at = at or timezone.now()
        locked.save(update_fields=["closed_at"])
        _announce(locked, "question.closed")
    return locked


@transaction.atomic
def question_reopen(*, question: Question) -> Question:
    """Reopen a closed question. A deadline that has passed is removed, or it would close again."""
    locked = _lock(question)
    if locked.is_open():
        return locked
    locked.closed_at = None
    if locked.deadline is not None and locked.deadline <= timezone.now():
        locked.deadline = None
    locked.save(update_fields=["closed_at", "deadline"])
    _announce(locked, "question.reopened")
    return locked


@transaction.atomic
def question_delete(*, question: Question) -> None:
    """Delete a question and everything on it: participants, ideas, arguments, likes, votes,
    comments, pictures and its event log (foreign keys cascade). Writers queued on the
    question's lock are refused after it. A hash of its id is kept (`DeletedQuestion`) so that
    its links answer 410 Gone; this process's kept renders and reads of it are dropped."""
    locked = _lock(question)
    DeletedQuestion.objects.get_or_create(pk=deleted_question_key(locked.pk))
    _remove_images(Idea.objects.filter(question=locked))
    locked.delete()
    question_id = question.pk
    # Now, and again after the commit: a reader may keep a render of it in between.
    forget_question(question_id)
    transaction.on_commit(lambda: forget_question(question_id))


# What a copy of a question takes over: its text and every setting, not its state (closed, the
# deadline and with it the phases), its people or what they did.
COPIED_SETTINGS = (
    "allow_ideas",
    "allow_arguments",
    "max_votes",
    "time_zone",
    "allow_exports",
    "allow_embed",
    "embed_origins",
    "max_ideas_per_person",
    "max_ideas",
    "max_text_length",
    "max_votes_per_idea",
    "hide_tally",
    "organiser_sees_tally",
    "anonymous_votes",
    "random_order",
    "taking_part",
    "password_hash",
)


@transaction.atomic
def question_duplicate(
    *, question: Question, with_ideas: bool = False, with_arguments: bool = False
) -> tuple[Question, str]:
    """A new question with the title, description and settings of `question` (a new id and a new
    admin key, returned with it; open, without a deadline). `with_ideas`: its ideas too, and
    `with_arguments` their pros and cons, all written by the organiser in the copy (the
    participants are not copied, so neither are their names). Votes, likes and comments are
    never copied."""
    source = _lock(question)
    copy, admin_key = question_create(title=source.title, description=source.description)
    for name in COPIED_SETTINGS:
        setattr(copy, name, getattr(source, name))
    copy.save(update_fields=list(COPIED_SETTINGS))
    if not with_ideas:
        return copy, admin_key
    # The organiser's name from the question copied, if they took part under one there.
    took_part = Participant.objects.filter(question=source, organiser=True).order_by("created_at")
    author = Participant.objects.create(
        question=copy,
        name=took_part.values_list("name", flat=True).first() or _("Organiser"),
        token_hash=copy.admin_key_hash,  # the organiser takes part under their admin key
        organiser=True,
    )
    ideas = list(Idea.objects.filter(question=source).order_by("created_at", "pk"))
    copies = Idea.objects.bulk_create(
        Idea(question=copy, author=author, title=idea.title, description=idea.description)
        for idea in ideas
    )
    if with_arguments:
        new_ids = {idea.pk: new.pk for idea, new in zip(ideas, copies, strict=True)}
        Argument.objects.bulk_create(
            Argument(idea_id=new_ids[a.idea_id], author=author, kind=a.kind, text=a.text)
            for a in Argument.objects.filter(idea__question=source).order_by("created_at", "pk")
        )
    return copy, admin_key


def question_close_due(*, at: datetime | None = None) -> int:
    """Record the closing of every question whose deadline has passed; returns how many."""
    closed = 0
    for question in Question.objects.due(at=at).only("pk"):
        with transaction.atomic():
            locked = _lock(question)
            if (
                locked.closed_at is None
                and locked.deadline
                and locked.deadline <= (at or timezone.now())
            ):
                locked.closed_at = locked.deadline
                locked.save(update_fields=["closed_at"])
                _announce(locked, "question.closed")
                closed += 1
    return closed


def question_phase_due(*, at: datetime | None = None) -> int:
    """Tell the open pages of every question whose idea phase has just ended that voting has
    begun (a `question.phase` event: they reload); returns how many. The switch itself needs
    no job (`Question.phase`): this only announces it, once per `ideas_until`."""
    at = at or timezone.now()
    switched = 0
    for question in Question.objects.voting_due(at=at).only("pk"):
        with transaction.atomic():
            locked = _lock(question)
            ideas_until = locked.ideas_until
            if (
                locked.closed_at is None
                and ideas_until is not None
                and ideas_until <= at
                and locked.voting_announced != ideas_until
            ):
                locked.voting_announced = ideas_until
                locked.save(update_fields=["voting_announced"])
                if locked.is_open(at=at):
                    _announce(locked, "question.phase")
                    switched += 1
    return switched


# Participants -------------------------------------------------------------------------------


def _require_name_free(
    question: Question, name: str, *, me: Participant | None, organiser: bool
) -> None:
    """Refuse a name that can be taken for the name of another participant of the question
    (the organiser's too): the same letters in other scripts, other case, or with invisible
    characters between them (`looks_alike`). Checked under the question's lock. The organiser may
    take part under their name from several browsers and the API: those are all theirs."""
    others = Participant.objects.filter(question=question)
    if me is not None:
        others = others.exclude(pk=me.pk)
    if organiser:
        others = others.exclude(organiser=True)
    keys = name_keys(name)
    # Through the look indexes; a row written around the services (a bulk load) has no look
    # and is compared by hand.
    candidates = others.filter(Q(look__in=keys) | Q(look_folded__in=keys) | Q(look=""))
    for taken in candidates.values_list("name", flat=True).iterator():
        if looks_alike(name, taken):
            raise ActionRefused(
                _(
                    "“%(name)s” is taken here, or looks just like a name that is. Please choose "
                    "another name."
                )
                % {"name": isolated(taken)},
                code="name_taken",
            )


@transaction.atomic
def participant_join(
    *,
    question: Question,
    name: str,
    token: str | None = None,
    network: str = "",
    organiser: bool = False,
    user: Any = None,
    invitation: Invitation | None = None,
) -> tuple[Participant, str]:
    """Take part under `name`. With the token of an existing participant, rename them instead.
    `network`: the keyed hash of the network a new participant joins from (`crowds.network_of`).
    `organiser`: the request holds the question's admin key, so the participant is marked as
    the organiser. `user`: the account of a new participant (logged in, or an account token).
    `invitation`: the invitation they came in by, which a new participant is
    bound to (revoking it then shuts them out: `access.admission`).

    Returns the participant and their token (new when none was given)."""
    _require_open(question)
    token = token or new_secret()
    token_hash = hash_secret(token)
    # Locked first: two joins with one token (two quick clicks) must not both create.
    locked = _lock(question)
    participant = Participant.objects.filter(question=locked, token_hash=token_hash).first()
    if participant is not None:
        participant_rename(participant=participant, name=name, organiser=organiser)
        return participant, token
    _require_name_free(locked, name, me=None, organiser=organiser)
    participant = Participant(
        question=locked, token_hash=token_hash, organiser=organiser, network=network, user=user
    )
    participant.take_name(name)
    participant.save(force_insert=True)
    if invitation is not None and invitation.participant_id is None:
        invitation.participant = participant
        invitation.save(update_fields=["participant"])
    return participant, token


# Co-organisers ------------------------------------------------------------------------------


@transaction.atomic
def co_organiser_add(*, question: Question, email: str) -> CoOrganiser:
    """Make the account with this e-mail address a co-organiser of `question`. Refused when no
    account has the address, or it is the question's own creator's."""
    users = get_user_model().objects.filter(email__iexact=email.strip())
    user = users.order_by("pk").first()
    if user is None:
        raise ActionRefused(
            _("No account has this e-mail address. Ask them to sign up first, then add them."),
            code="no_account",
        )
    if user.pk == question.created_by_id:
        raise ActionRefused(_("This account organises the question already."), code="creator")
    co_organiser, _created = CoOrganiser.objects.get_or_create(question=question, user=user)
    _announce(question, "question.changed")
    return co_organiser


@transaction.atomic
def co_organiser_remove(*, question: Question, user_id: int) -> None:
    """Take a co-organiser's rights back (the creator is never one: nobody can remove them)."""
    CoOrganiser.objects.filter(question=question, user_id=user_id).delete()
    _announce(question, "question.changed")


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
def participant_rename(
    *, participant: Participant, name: str, organiser: bool = False
) -> Participant:
    """Change a participant's name wherever it is shown (`organiser`: mark them the
    organiser too). A name that looks like another participant's is refused."""
    becomes_organiser = organiser and not participant.organiser
    if participant.name == name and not becomes_organiser:
        return participant
    locked = _lock(participant.question)
    _require_open(locked)
    _require_name_free(locked, name, me=participant, organiser=participant.organiser or organiser)
    participant.take_name(name)
    participant.organiser = participant.organiser or organiser
    participant.save(update_fields=["name", "look", "look_folded", "organiser"])
    # The rows that name them: their ideas, the ideas they vote for (as a first voter, or
    # perhaps soon), the ideas they wrote a pro or con on.
    bump_rows(
        Idea.objects.filter(question=locked).filter(
            Q(author=participant)
            | Q(votes__participant=participant)
            | Q(arguments__author=participant)
        )
    )
    _announce(locked, "participant.changed", participant=participant.pk)
    return participant


# Written as the name of someone who left (their account deleted) while their entries stay. In the
# site's language: it is stored, as every name is.
FORMER_PARTICIPANT = gettext_noop("Former participant")


@transaction.atomic
def participant_leave(*, participant: Participant, remove: bool) -> None:
    """The person behind `participant` leaves for good (they deleted their account).

    Without `remove`, everything they wrote stays, under "Former participant", and their votes
    and likes stay counted. With `remove`, their votes, likes and comments go, and so do their
    ideas and pros and cons, except those that others answered (an idea others voted for or
    argued about, an argument others liked): removing those would remove other people's votes,
    pros and cons, and likes with them, so they stay, under "Former participant". Either way
    nothing is left to tie the participant to the person: no account, no token, no network."""
    locked = _lock(participant.question)
    ideas = Idea.objects.filter(question=locked)
    shows_them = Q(author=participant) | Q(votes__participant=participant)
    shows_them |= Q(arguments__author=participant)
    if remove:
        Vote.objects.filter(participant=participant).delete()
        Like.objects.filter(participant=participant).delete()
        Comment.objects.filter(author=participant).delete()
        answered = Like.objects.filter(argument=OuterRef("pk")).exclude(participant=participant)
        Argument.objects.filter(author=participant).exclude(Exists(answered)).delete()
        voted = Vote.objects.filter(idea=OuterRef("pk"))
        argued = Argument.objects.filter(idea=OuterRef("pk"))
        ideas.filter(author=participant).exclude(Exists(voted) | Exists(argued)).delete()
        recount(Question.objects.filter(pk=locked.pk))  # moves every idea's version too
        kept = (
            Idea.objects.filter(author=participant).exists()
            or Argument.objects.filter(author=participant).exists()
        )
        if not kept:
            participant.delete()
            _announce(locked, "participants.removed")
            return
    else:
        bump_rows(ideas.filter(shows_them))
    with translation.override(settings.LANGUAGE_CODE):
        participant.name = translation.gettext(FORMER_PARTICIPANT)
    participant.user = None
    participant.network = ""
    participant.token_hash = hash_secret(new_secret())  # their browser's token acts no more
    participant.save(update_fields=["name", "user", "network", "token_hash"])
    _announce(locked, "participant.changed", participant=participant.pk)


def _edited_by_organiser(entry: Idea | Argument | Comment, by_organiser: bool) -> bool:
    """Whether an edit marks the entry "edited by the organiser": the organiser changed what
    someone else wrote. Once marked, it stays marked."""
    if entry.edited_by_organiser or not by_organiser:
        return entry.edited_by_organiser
    return not Participant.objects.filter(pk=entry.author_id, organiser=True).exists()


# Ideas --------------------------------------------------------------------------------------


def idea_add(
    *,
    question: Question,
    author: Participant,
    title: str,
    description: str = "",
    by_organiser: bool = False,
    image: images.Prepared | None = None,
    image_alt: str = "",
) -> Idea:
    """Add an idea; with `image` (from `images.prepare`), with that picture, which `image_alt`
    describes."""
    with _stored(image) as key:
        return _idea_add(
            question=question,
            author=author,
            title=title,
            description=description,
            by_organiser=by_organiser,
            image=image,
            image_key=key,
            image_alt=image_alt,
        )


@transaction.atomic
def _idea_add(
    *,
    question: Question,
    author: Participant,
    title: str,
    description: str,
    by_organiser: bool,
    image: images.Prepared | None,
    image_key: str,
    image_alt: str,
) -> Idea:
    locked = _lock(question)
    _require_open(locked)
    _require_phase(locked, "ideas")
    if not (locked.allow_ideas or by_organiser):
        raise ActionRefused(_("Only the organiser can add ideas here."), code="ideas_disabled")
    _require_short(locked, "description", description)
    _require_room_for_idea(locked, author, by_organiser=by_organiser)
    idea = Idea(question=locked, author=author, title=title, description=description)
    if image is not None:
        _show_image(idea, image, image_key, image_alt)
    idea.save(force_insert=True)
    _announce(locked, "idea.added", idea=idea.pk)
    return idea


@transaction.atomic
def idea_update(*, idea: Idea, title: str, description: str, by_organiser: bool = False) -> Idea:
    locked = _lock(idea.question)
    _require_present(idea, _("This idea has been deleted."))
    if description != idea.description:  # a text saved before a lowered limit may stay
        _require_short(locked, "description", description)
    idea.title, idea.description = title, description
    idea.edited_by_organiser = _edited_by_organiser(idea, by_organiser)
    idea.save(update_fields=["title", "description", "edited_by_organiser"])
    bump_rows(Idea.objects.filter(pk=idea.pk))
    _announce(locked, "idea.changed", idea=idea.pk)
    return idea


@transaction.atomic
def idea_delete(*, idea: Idea) -> None:
    locked = _lock(idea.question)
    idea_id = idea.pk
    _remove_images(Idea.objects.filter(pk=idea_id))
    idea.delete()
    _announce(locked, "idea.deleted", idea=idea_id)


# Pictures on ideas (images.py) ------------------------------------------------------------


@contextmanager
def _stored(image: images.Prepared | None) -> Iterator[str]:
    """The key of `image` stored (empty without one), removed again if the write that was to
    show it fails. (A caller's own transaction rolled back after the write leaves the files
    unshown: never served, as no idea names them.)"""
    key = images.store(image) if image is not None else ""
    try:
        yield key
    except BaseException:
        if key:
            images.remove(key)
        raise


def _show_image(idea: Idea, image: images.Prepared, key: str, alt: str) -> None:
    idea.image_key, idea.image_alt = key, alt
    idea.image_width, idea.image_height = image.width, image.height
    idea.thumb_width, idea.thumb_height = image.thumb_width, image.thumb_height


IMAGE_FIELDS = [
    "image_key",
    "image_alt",
    "image_width",
    "image_height",
    "thumb_width",
    "thumb_height",
    "edited_by_organiser",
]


def _remove_images(ideas: QuerySet[Idea]) -> None:
    """Remove the files of these ideas' pictures once the transaction commits."""
    for key in ideas.exclude(image_key="").values_list("image_key", flat=True):
        images.remove_after_commit(key)


def idea_image_set(
    *,
    idea: Idea,
    image: images.Prepared | None,
    alt: str,
    by_organiser: bool = False,
) -> Idea:
    """Give the idea this picture (from `images.prepare`) described by `alt`, in place of the
    one it had; with `image` None, describe the picture it has anew."""
    with _stored(image) as key:
        return _idea_image_set(idea=idea, image=image, key=key, alt=alt, by_organiser=by_organiser)


@transaction.atomic
def _idea_image_set(
    *, idea: Idea, image: images.Prepared | None, key: str, alt: str, by_organiser: bool
) -> Idea:
    locked = _lock(idea.question)
    current = Idea.objects.filter(pk=idea.pk).values_list("image_key", flat=True).first()
    if current is None:
        raise ActionRefused(_("This idea has been deleted."), code="deleted")
    if image is None:
        if not current:
            raise ActionRefused(_("Please choose a picture."), code="no_image")
        idea.image_alt = alt
    else:
        _show_image(idea, image, key, alt)
        images.remove_after_commit(current)
    idea.edited_by_organiser = _edited_by_organiser(idea, by_organiser)
    idea.save(update_fields=IMAGE_FIELDS)
    bump_rows(Idea.objects.filter(pk=idea.pk))
    _announce(locked, "idea.changed", idea=idea.pk)
    return idea


@transaction.atomic
def idea_image_remove(*, idea: Idea, by_organiser: bool = False) -> Idea:
    """Take the idea's picture away; its files go once this commits. No picture: nothing."""
    locked = _lock(idea.question)
    current = Idea.objects.filter(pk=idea.pk).values_list("image_key", flat=True).first()
    if current is None:
        raise ActionRefused(_("This idea has been deleted."), code="deleted")
    if not current:
        return idea
    idea.image_key, idea.image_alt = "", ""
    idea.image_width = idea.image_height = idea.thumb_width = idea.thumb_height = 0
    idea.edited_by_organiser = _edited_by_organiser(idea, by_organiser)
    idea.save(update_fields=IMAGE_FIELDS)
    images.remove_after_commit(current)
    bump_rows(Idea.objects.filter(pk=idea.pk))
    _announce(locked, "idea.changed", idea=idea.pk)
    return idea


# Arguments and likes ------------------------------------------------------------------------


@transaction.atomic
def argument_add(
    *, idea: Idea, author: Participant, kind: str, text: str, by_organiser: bool = False
) -> Argument:
    locked = _lock(idea.question)
    _require_open(locked)
    if by_organiser:
        _require_present(idea, _("This idea has been deleted."))
    else:
        _require_shown(idea, _("This idea has been deleted."))
    if not (locked.allow_arguments or by_organiser):
        raise ActionRefused(
            _("Only the organiser can add pros and cons here."), code="arguments_disabled"
        )
    _require_short(locked, "text", text)
    argument = Argument.objects.create(idea=idea, author=author, kind=kind, text=text)
    bump_rows(Idea.objects.filter(pk=idea.pk))
    _announce(locked, "argument.added", idea=idea.pk, argument=argument.pk)
    return argument


@transaction.atomic
def argument_update(
    *, argument: Argument, kind: str, text: str, by_organiser: bool = False
) -> Argument:
    locked = _lock(argument.idea.question)
    _require_present(argument, _("This argument has been deleted."))
    if text != argument.text:
        _require_short(locked, "text", text)
    argument.kind, argument.text = kind, text
    argument.edited_by_organiser = _edited_by_organiser(argument, by_organiser)
    argument.save(update_fields=["kind", "text", "edited_by_organiser"])
    bump_rows(Idea.objects.filter(pk=argument.idea_id))
    _announce(locked, "argument.changed", idea=argument.idea_id, argument=argument.pk)
    return argument


@transaction.atomic
def argument_delete(*, argument: Argument) -> None:
    locked = _lock(argument.idea.question)
    ids = {"idea": argument.idea_id, "argument": argument.pk}
    argument.delete()
    bump_rows(Idea.objects.filter(pk=ids["idea"]))
    _announce(locked, "argument.deleted", **ids)


@dataclass(frozen=True, slots=True)
class LikeResult:
    """What `like_add` or `like_remove` did."""

    like: Like | None  # the person's like of the argument after it (None: they like it no more)
    changed: bool  # False: liked again, or taken back when there was none; nothing written
    version: int  # the question's version after it


@_unless_unchanged
def like_add(*, argument: Argument, participant: Participant) -> LikeResult:
    """Like an argument. Liking twice keeps one like (the database holds one per person)."""
    locked = _bump(argument.idea.question)
    _require_open(locked)
    event = _event(locked, "like.added", idea=argument.idea_id, argument=argument.pk)
    like = hot.insert_like(argument.pk, argument.idea_id, participant.pk, event)
    if like is None:
        # Not inserted: the argument is gone or hidden, or this person liked it before
        # (perhaps a moment ago, in a concurrent request): the database keeps one, and so do we.
        _require_shown(argument, _("This argument has been deleted."))
        kept = Like.objects.get(argument=argument, participant=participant)
        raise _Unchanged(LikeResult(kept, changed=False, version=locked.version - 1))
    announce(locked.pk, locked.version)
    return LikeResult(like, changed=True, version=locked.version)


@_unless_unchanged
def like_remove(*, argument: Argument, participant: Participant) -> LikeResult:
    locked = _bump(argument.idea.question)
    _require_open(locked)
    event = _event(locked, "like.removed", idea=argument.idea_id, argument=argument.pk)
    if not hot.delete_like(argument.pk, argument.idea_id, participant.pk, event):
        raise _Unchanged(LikeResult(None, changed=False, version=locked.version - 1))
    announce(locked.pk, locked.version)
    return LikeResult(None, changed=True, version=locked.version)


# Votes --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VoteResult:
    """What `vote_cast` or `vote_retract` did, and what the idea's vote box shows after it: its
    count and the names of its first `VOTERS_SHOWN` voters, read under the question's lock."""

    vote: Vote | None  # the person's vote for the idea after it (None: they vote for it no more)
    changed: bool  # False: cast again, or taken back when there was none; nothing written
    idea_vote_count: int
    first_voters: tuple[str, ...]  # oldest vote first
    version: int  # the question's version after it


def _vote_cap(votes: int) -> ActionRefused:
    return ActionRefused(
        _("You have used all %(n)d of your votes. Take one back to vote for this idea.")
        % {"n": votes},
        code="vote_cap",
    )


def _voted(idea: Idea, locked: Question, vote: Vote | None, *, changed: bool) -> VoteResult:
    count, first_voters = hot.votes_of(idea.pk, first=VOTERS_SHOWN)
    version = locked.version if changed else locked.version - 1  # an unchanged bump rolls back
    return VoteResult(vote, changed, count, tuple(first_voters), version)


def vote_cast(*, idea: Idea, participant: Participant) -> VoteResult:
    """Vote for an idea. Voting twice keeps one vote; the question's cap is enforced here.

    On PostgreSQL always in one statement (`hot.cast`: the lock, the checks, the writes and the
    voters in one round trip); elsewhere in the statements of `hot`, one by one, in a
    transaction. A test runs both ways on PostgreSQL and compares what they answer and write."""
    if hot.casts_in_one_statement():
        return _cast_in_one_statement(idea, participant)
    return _vote_cast(idea=idea, participant=participant)


@_unless_unchanged
def _vote_cast(*, idea: Idea, participant: Participant) -> VoteResult:
    locked = _bump(idea.question)
    _require_open(locked)
    _require_phase(locked, "votes")
    if locked.max_votes is not None:
        used, here = hot.votes_used(participant.pk, idea.pk)
        if here:  # a vote cast again is no new vote, even at the cap
            raise _Unchanged(_voted(idea, locked, _kept(idea, participant), changed=False))
        if used >= locked.max_votes:
            raise _vote_cap(locked.max_votes)
    event = _event(locked, "vote.cast", **tally_ids(locked, idea.pk))
    vote = hot.insert_vote(idea.pk, participant.pk, event)
    if vote is None:
        # Not inserted: the idea is gone or hidden, or this person voted for it before (perhaps
        # a moment ago, in a concurrent request): the database keeps one, and so do we.
        _require_shown(idea, _("This idea has been deleted."))
        raise _Unchanged(_voted(idea, locked, _kept(idea, participant), changed=False))
    announce(locked.pk, locked.version)
    return _voted(idea, locked, vote, changed=True)


def _cast_in_one_statement(idea: Idea, participant: Participant) -> VoteResult:
    """`vote_cast` through `hot.cast`, with the same answers and refusals. The statement is a
    transaction of its own. When it waited for the question and found it changed, it wrote
    nothing: it runs again in a transaction, twice if it waits again, as the second run holds
    the question's lock from the first and so reads the question as it is."""
    # On its own (not inside a caller's transaction), a vote on a question without a cap is cast
    # even after the statement waited for the question: under a crowd voting at once nearly every
    # vote waits, and running each again in a transaction halved the votes a worker could take.
    alone = not transaction.get_connection().in_atomic_block
    try:
        cast, vote = _cast(idea, participant, uncapped_after_wait=alone)
    except IntegrityError:  # its idea was deleted while it waited: the transaction below says so
        pass
    else:
        if cast.current:
            return _cast_answer(idea, participant, cast, vote)
        if vote is not None:  # cast after the wait: the voters it read are from before it
            count, voters = hot.votes_of(idea.pk, first=VOTERS_SHOWN)
            cast = replace(cast, vote_count=count, first_voters=voters)
            return _cast_answer(idea, participant, cast, vote)
    with transaction.atomic():
        for _run in range(2):
            cast, vote = _cast(idea, participant)
            if cast.current:
                break
        else:  # the lock is held: nothing can change the question
            raise RuntimeError("the question changed while its lock was held")
        return _cast_answer(idea, participant, cast, vote)


def _cast(
    idea: Idea, participant: Participant, *, uncapped_after_wait: bool = False
) -> tuple[hot.Cast, Vote | None]:
    found = hot.cast(
        question_id=idea.question_id,
        idea_id=idea.pk,
        participant=participant,
        kind="vote.cast",
        first=VOTERS_SHOWN,
        ids=tally_ids(idea.question, idea.pk),
        uncapped_after_wait=uncapped_after_wait,
    )
    if found is None:
        raise ActionRefused(_("This question has been deleted."), code="deleted")
    return found


def _cast_answer(
    idea: Idea, participant: Participant, cast: hot.Cast, vote: Vote | None
) -> VoteResult:
    """What `hot.cast` read and did (`cast.current`), as `vote_cast` answers it."""
    voters = tuple(cast.first_voters)
    if vote is not None:
        announce(idea.question_id, cast.version)
        return VoteResult(vote, True, cast.vote_count, voters, cast.version)
    if not cast.open:
        question = Question.objects.filter(pk=idea.question_id).first()
        if question is not None:
            _require_phase(question, "votes")  # open, but not for votes yet
        raise ActionRefused(_("This question is closed."), code="closed")
    if cast.max_votes is not None and not cast.here and cast.used >= cast.max_votes:
        raise _vote_cap(cast.max_votes)
    if not cast.idea_here:
        _require_shown(idea, _("This idea has been deleted."))
    kept = _kept(idea, participant)  # voted for it already
    return VoteResult(kept, False, cast.vote_count, voters, cast.version)


def _kept(idea: Idea, participant: Participant) -> Vote | None:
    """The person's first vote on the idea (stack 1), if they have one."""
    return Vote.objects.filter(idea=idea, participant=participant).order_by("stack").first()


def _per_idea_cap(votes: int) -> ActionRefused:
    return ActionRefused(
        ngettext(
            "You may put at most %(n)d vote on one idea.",
            "You may put at most %(n)d of your votes on one idea.",
            votes,
        )
        % {"n": votes},
        code="vote_cap_per_idea",
    )


@_unless_unchanged
def vote_set(*, idea: Idea, participant: Participant, votes: int) -> VoteResult:
    """Have `votes` of one's votes on the idea (0 takes them all back): where the organiser lets
    people put several on one idea (`max_votes_per_idea`), within their votes in total
    (`max_votes`). The same number again changes nothing, so two quick clicks of one button
    count once. Fewer than one has is always allowed, even beyond a lowered limit.

    Each vote is a row numbered by its stack, added or taken back under the question's lock;
    the database holds one row per stack, so the idea's count (moved with every row) and the
    rows cannot part, even if two requests add "the second vote" at once."""
    locked = _bump(idea.question)
    _require_open(locked)
    used, here, top = hot.my_votes(participant.pk, idea.pk)
    if votes == here:
        raise _Unchanged(_voted(idea, locked, _kept(idea, participant), changed=False))
    _require_phase(locked, "votes")
    kind = "vote.cast" if votes > here else "vote.retracted"
    event = _event(locked, kind, **tally_ids(locked, idea.pk))
    if votes < here:
        hot.delete_votes_above(idea.pk, participant.pk, votes, event)
    else:
        if votes > locked.max_votes_per_idea:
            raise _per_idea_cap(locked.max_votes_per_idea)
        if locked.max_votes is not None and used - here + votes > locked.max_votes:
            raise _vote_cap(locked.max_votes)
        for stack in range(top + 1, top + 1 + votes - here):
            # The event is logged once, with the first row.
            if hot.insert_vote(idea.pk, participant.pk, event, stack=stack) is None:
                _require_present(idea, _("This idea has been deleted."))
            event = None  # type: ignore[assignment]
    announce(locked.pk, locked.version)
    return _voted(idea, locked, _kept(idea, participant), changed=True)


def vote_add(*, idea: Idea, participant: Participant) -> VoteResult:
    """One more of one's votes on the idea (the vote box's plus); in approval voting, the vote."""
    if idea.question.max_votes_per_idea <= 1:
        return vote_cast(idea=idea, participant=participant)
    _used, here, _top = hot.my_votes(participant.pk, idea.pk)
    return vote_set(idea=idea, participant=participant, votes=here + 1)


def vote_remove(*, idea: Idea, participant: Participant) -> VoteResult:
    """One of one's votes on the idea taken back (the vote box's "minus")."""
    _used, here, _top = hot.my_votes(participant.pk, idea.pk)
    return vote_set(idea=idea, participant=participant, votes=max(here - 1, 0))


@_unless_unchanged
def vote_retract(*, idea: Idea, participant: Participant) -> VoteResult:
    """Take a vote back (every one of one's votes on the idea). Taking it back twice changes
    nothing the second time."""
    locked = _bump(idea.question)
    _require_open(locked)
    _require_phase(locked, "votes")
    event = _event(locked, "vote.retracted", **tally_ids(locked, idea.pk))
    if not hot.delete_vote(idea.pk, participant.pk, event):
        raise _Unchanged(_voted(idea, locked, None, changed=False))
    announce(locked.pk, locked.version)
    return _voted(idea, locked, None, changed=True)


# Comments -----------------------------------------------------------------------------------


@transaction.atomic
def comment_add(*, question: Question, author: Participant, text: str) -> Comment:
    locked = _lock(question)
    _require_open(locked)
    _require_short(locked, "text", text)
    comment = Comment.objects.create(question=locked, author=author, text=text)
    _announce(locked, "comment.added", comment=comment.pk)
    return comment


@transaction.atomic
def comment_update(*, comment: Comment, text: str, by_organiser: bool = False) -> Comment:
    locked = _lock(comment.question)
    _require_present(comment, _("This comment has been deleted."))
    if text != comment.text:
        _require_short(locked, "text", text)
    comment.text = text
    comment.edited_by_organiser = _edited_by_organiser(comment, by_organiser)
    comment.save(update_fields=["text", "edited_by_organiser"])
    _announce(locked, "comment.changed", comment=comment.pk)
    return comment


@transaction.atomic
def comment_delete(*, comment: Comment) -> None:
    locked = _lock(comment.question)
    comment_id = comment.pk
    comment.delete()
    _announce(locked, "comment.deleted", comment=comment_id)


# Moderation ---------------------------------------------------------------------------------

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


def question_links_send(*, question: Question, email: str, share_url: str, admin_url: str) -> None:
    """Mail the organiser the share link and the admin link of their new question. The address
    is used for this mail only: it is not stored with the question (the queued mail holds it
    until it is sent)."""
    # Plain text, put together here: nothing in it is HTML, so nothing is escaped.
    title = without_bidi_controls(question.title)
    subject = _("Your question: %(title)s") % {"title": title}
    body = "\n\n".join(
        [
            _("You asked a question on Ponder: %(title)s") % {"title": title},
            _("Share this link with everyone who should take part:") + "\n" + share_url,
            _("Your admin link. Keep it secret: whoever has it can change and delete the question.")
            + "\n"
            + admin_url,
            _(
                "You receive this mail because this address was given when the question was "
                "asked. It was used for this mail only and is not kept."
            ),
        ]
    )
    mail.send(to=email, subject=" ".join(subject.split()), body=body + "\n")
