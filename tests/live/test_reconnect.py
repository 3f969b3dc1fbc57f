"""Coming back to a stream: a client that was away gets what it missed, or one refresh when it
missed too much; a stream for no question is a 404, and a full server says when to come back.

One server for the whole file, holding at most MAX_STREAMS streams.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ponder.live.views import REPLAY_LIMIT

from .conftest import EventStream, Server, Servers, Visitor, ponder, wait_until

MAX_STREAMS = 4


@dataclass
class Board:
    """A question on the server, with an idea, and Bob who has joined to vote on it."""

    server: Server
    data_dir: Path
    question: str
    idea: str
    bob: Visitor

    def events(self, query: str = "", *, api: bool = True) -> str:
        path = f"/api/v1/questions/{self.question}/events" if api else f"/q/{self.question}/events"
        return self.server.url + path + query

    def vote(self, *, cast: bool = True) -> None:
        self.bob.vote(self.server, self.question, self.idea, cast=cast)


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, prepared_data_dir: Path
) -> Iterator[tuple[Server, Path]]:
    servers = Servers(tmp_path_factory.mktemp("reconnect"), prepared_data_dir)
    try:
        (started,) = servers.start(PONDER_MAX_STREAMS=str(MAX_STREAMS))
        yield started, servers.data_dir
    finally:
        servers.stop_all()


@pytest.fixture
def board(server: tuple[Server, Path]) -> Board:
    site, data_dir = server
    alice, bob = Visitor("Alice"), Visitor("Bob")
    question = alice.ask(site, "Which board game on Sunday?")
    alice.join(site, question)
    idea = alice.add_idea(site, question, "Carcassonne")
    bob.join(site, question)
    return Board(site, data_dir, question, idea, bob)


def test_a_client_that_comes_back_gets_what_it_missed_in_order(
    board: Board, listen: Callable[..., EventStream]
) -> None:
    first = listen(board.events())
    start = first.next().version
    board.vote()
    assert first.next().version == start + 1
    first.close()  # the client goes away, having seen start + 1

    # While it is away: three changes.
    board.vote(cast=False)
    board.vote()
    board.vote(cast=False)
    missed = [
        ("vote.retracted", start + 2),
        ("vote.cast", start + 3),
        ("vote.retracted", start + 4),
    ]

    # Browsers send Last-Event-ID by themselves; programs may say ?since= instead.
    again = [
        listen(board.events(), {"Last-Event-ID": str(start + 1)}),
        listen(board.events(f"?since={start + 1}")),
        listen(board.events(f"?since={start + 1}", api=False)),
        # The header wins over the query: it is what EventSource updates as events arrive.
        listen(board.events("?since=0"), {"Last-Event-ID": str(start + 1)}),
    ]
    for stream in again:
        hello = stream.next()
        assert (hello.event, hello.id, hello.version) == ("hello", str(start + 1), start + 1)
        assert [(m.event, m.version) for m in (stream.next() for _ in missed)] == missed
    # ...and then the live ones, as before.
    board.vote()
    for stream in again:
        message = stream.next()
        assert (message.event, message.id) == ("vote.cast", str(start + 5))


def test_a_client_too_far_behind_gets_one_refresh_instead_of_a_replay(
    board: Board, listen: Callable[..., EventStream]
) -> None:
    # More changes than a replay would carry, made the usual way (by the services).
    ponder(
        board.data_dir,
        "shell",
        "-c",
        "from django.db import transaction\n"
        "from ponder.questions import services\n"
        "from ponder.questions.models import Idea, Participant\n"
        f"idea = Idea.objects.get(pk='{board.idea}')\n"
        "bob = Participant.objects.get(question=idea.question, name='Bob')\n"
        "with transaction.atomic():\n"
        f"    for _ in range({REPLAY_LIMIT // 2 + 1}):\n"
        "        services.vote_cast(idea=idea, participant=bob)\n"
        "        services.vote_retract(idea=idea, participant=bob)\n",
    )
    current = listen(board.events()).next().version
    assert current > REPLAY_LIMIT

    behind = listen(board.events(), {"Last-Event-ID": "1"})
    assert behind.next().event == "hello"
    refresh = behind.next()
    assert (refresh.event, refresh.id, refresh.data) == (
        "refresh",
        str(current),
        {"type": "refresh", "version": current},
    )
    # A client from the future (its page is newer than the server's log, as after a restore)
    # is told to refresh too.
    ahead = listen(board.events(f"?since={current + 50}"))
    assert [ahead.next().event, ahead.next().version] == ["hello", current]
    # Afterwards both follow the live changes, from the current version on.
    board.vote()
    for stream in (behind, ahead):
        message = stream.next()
        assert (message.event, message.version) == ("vote.cast", current + 1)


def test_a_stream_of_an_unknown_question_is_not_found(
    board: Board, listen: Callable[..., EventStream]
) -> None:
    for path in (
        "/api/v1/questions/AAAAAAAAAAAA/events",
        "/q/AAAAAAAAAAAA/events",
        "/api/v1/questions/not-an-id/events",
        "/q/not-an-id/events",
    ):
        assert listen(board.server.url + path).status == 404, path


def test_a_full_server_answers_503_with_retry_after_and_admits_again_when_one_leaves(
    board: Board, listen: Callable[..., EventStream]
) -> None:
    held = [listen(board.events()) for _ in range(MAX_STREAMS)]
    assert [stream.status for stream in held] == [200] * MAX_STREAMS
    for stream in held:
        assert stream.next().event == "hello"

    refused = listen(board.events(api=False))
    assert refused.status == 503
    assert int(refused.response_headers["retry-after"]) > 0
    assert "detail" in json.loads(refused.body)

    held[0].close()  # one leaves: its place is given back
    assert wait_until(lambda: listen(board.events()).status == 200, timeout=15, every=0.2)
