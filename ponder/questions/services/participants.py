"""Taking part: joining under a name, changing it, and leaving for good (an account deleted).
Names that look like another participant's are refused (`_require_name_free`).
"""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from ponder.lib.ids import hash_secret, new_secret
from ponder.lib.text import isolated, looks_alike, name_keys

from ..models import (
    Argument,
    Comment,
    Idea,
    Invitation,
    Like,
    Participant,
    Question,
    Vote,
    bump_rows,
    recount,
)
from .base import ActionRefused, _announce, _lock, _require_open


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
