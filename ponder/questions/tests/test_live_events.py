"""What a live event carries. Every open page of a question receives the same events, so a vote's
event carries the idea's tally (count, first voters, how many more) only as far as the reader
rule (`access.Reader`) shows it to every kind of reader; the pages of the others fetch their own
view. Read as the live streams read the log (`ponder.live.hub`), on the database under test."""

import json

import pytest

from conftest import Person
from ponder.live.hub import _events_after
from ponder.questions import services
from ponder.questions.access import Reader
from ponder.questions.models import Idea, Participant, Question


@pytest.fixture
def idea(question: Question, alice: Person, bob: Person, carol: Person) -> Idea:
    people = {p.name: p for p in question.participants.all()}
    return services.idea_add(question=question, author=people["Carol"], title="Lake")


def _vote(question: Question, idea: Idea, *names: str) -> None:
    for name in names:
        voter = Participant.objects.get(question=question, name=name)
        services.vote_cast(idea=idea, participant=voter)


def _sent(question: Question, since: int) -> list[dict[str, object]]:
    """The events after version `since` as a stream sends them (the data of each message)."""
    messages = []
    for event in _events_after(question.pk, since):
        data = event.sse.decode().split("data: ", 1)[1]
        messages.append(json.loads(data))
    return messages


def _newest_vote(question: Question) -> dict[str, object]:
    return [m for m in _sent(question, 0) if str(m["type"]).startswith("vote.")][-1]


def test_a_vote_event_carries_the_tally_every_reader_sees(question: Question, idea: Idea) -> None:
    _vote(question, idea, "Bob", "Alice", "Carol")
    event = _newest_vote(question)
    assert event["type"] == "vote.cast" and event["idea"] == idea.pk
    assert event["count"] == 3
    assert event["voters"] == ["Bob", "Alice", "Carol"]  # oldest vote first, as the page
    assert event["more"] == 0
    services.vote_retract(idea=idea, participant=Participant.objects.get(name="Alice"))
    event = _newest_vote(question)
    assert event["type"] == "vote.retracted"
    assert (event["count"], event["voters"], event["more"]) == (2, ["Bob", "Carol"], 0)


def test_beyond_the_first_voters_the_event_counts_the_others(
    question: Question, idea: Idea
) -> None:
    names = [f"Voter {n}" for n in range(5)]
    for name in names:
        services.participant_join(question=question, name=name)
    _vote(question, idea, *names)
    event = _newest_vote(question)
    assert (event["count"], event["voters"], event["more"]) == (5, names[:3], 2)


def test_only_votes_carry_a_tally(question: Question, idea: Idea) -> None:
    _vote(question, idea, "Bob")
    others = [m for m in _sent(question, 0) if not str(m["type"]).startswith("vote.")]
    assert others, "the idea's and participants' events"
    assert all("count" not in m and "voters" not in m for m in others)


def test_with_counts_hidden_from_anyone_the_event_carries_ids_only(
    question: Question, idea: Idea, monkeypatch
) -> None:
    # Hidden tallies: only the organiser sees them. Events go to every page alike, so none,
    # and not even which idea: vote after vote, that adds up to the tally.
    monkeypatch.setattr(Reader, "sees_counts", lambda self: self.is_organiser)
    _vote(question, idea, "Bob")
    event = _newest_vote(question)
    assert set(event) == {"type", "version", "question"}


def test_with_names_hidden_the_event_carries_the_count_without_names(
    question: Question, idea: Idea, monkeypatch
) -> None:
    monkeypatch.setattr(Reader, "sees_voter_names", lambda self: False)
    _vote(question, idea, "Bob", "Alice")
    event = _newest_vote(question)
    assert (event["count"], event["voters"], event["more"]) == (2, [], 0)
    assert "Bob" not in json.dumps(_sent(question, 0))


def test_the_tally_is_read_when_the_event_is_sent(question: Question, idea: Idea) -> None:
    """A stream that reads an older event after newer votes sends the newer tally: a page never
    goes back to an older count than the one it was sent before."""
    _vote(question, idea, "Bob")
    first = _newest_vote(question)
    _vote(question, idea, "Alice")
    replayed = _sent(question, int(first["version"]) - 1)[0]
    assert replayed["version"] == first["version"]
    assert replayed["count"] == 2
