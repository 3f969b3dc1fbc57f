"""Writes to a question as a whole: asking, claiming and changing it, its admin key, closing,
reopening, deleting and copying it, what the worker does when its deadline or idea phase ends,
the mail with its links, and its co-organisers.
"""

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ponder import mail
from ponder.lib.ids import hash_secret, new_secret
from ponder.lib.text import without_bidi_controls
from ponder.live.hub import hub

from ..models import (
    Argument,
    CoOrganiser,
    DeletedQuestion,
    Idea,
    Participant,
    Question,
    Vote,
    deleted_question_key,
)
from ..rendering import forget_question
from .base import ActionRefused, _announce, _lock, _remove_images


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
    # Its open live streams end (every process's) once the deletion has committed: its event
    # log is gone with it, so no event would tell them.
    transaction.on_commit(lambda: hub.end(question_id))


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
