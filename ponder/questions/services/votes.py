"""Votes: cast, set (several on one idea), added, removed and taken back. Each answers with what
it did and what the idea's vote box shows after it (`VoteResult`); the statements are in `hot`.
"""

from dataclasses import dataclass, replace

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ponder.live.events import announce

from .. import hot
from ..access import shown_to_everyone
from ..models import Idea, Participant, Question, Vote
from ..pages import VOTERS_SHOWN
from .base import (
    ActionRefused,
    _bump,
    _event,
    _require_open,
    _require_phase,
    _require_present,
    _require_shown,
    _Unchanged,
    _unless_unchanged,
)


def tally_ids(question: Question, idea_id: str) -> dict[str, str]:
    """The ids a vote's event names: none while the question's counts are hidden from anyone
    (every open page gets the event alike, and which idea was voted for, event by event, adds up
    to the tally); the idea otherwise (`stream.describe` adds its tally)."""
    counts_shown, _names_shown = shown_to_everyone(question)
    return {"idea": idea_id} if counts_shown else {}


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
