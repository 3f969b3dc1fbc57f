"""Several `ponder serve` processes over one database: a change made through one process reaches
the live streams held by another, in order, each with the question's next version.

With Redis the wake-up travels over its pub/sub channel; without it each process polls the
database, so the same story holds, only slower (up to two seconds).
"""

from collections.abc import Callable

import pytest

from .conftest import EventStream, Redis, Server, Servers, Visitor

TALLY = ("count", "voters", "more")


def _ids(data: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in data.items() if key not in TALLY}


def _tally(data: dict[str, object]) -> tuple[object, ...]:
    return tuple(data.get(key) for key in TALLY)


def votes_through_one_reach_the_other(
    a: Server, b: Server, listen: Callable[..., EventStream], *, within: float
) -> None:
    alice, bob = Visitor("Alice"), Visitor("Bob")
    question = alice.ask(a, "Where should the team offsite be?")
    alice.join(a, question)
    lisbon = alice.add_idea(a, question, "Lisbon")
    bob.join(a, question)

    # A program on the JSON API and a page's stream, both on the other process.
    streams = [
        listen(f"{b.url}/api/v1/questions/{question}/events"),
        listen(f"{b.url}/q/{question}/events"),
    ]
    hellos = [stream.next() for stream in streams]
    assert [hello.event for hello in hellos] == ["hello", "hello"]
    start = hellos[0].version
    assert start >= 1  # the idea was added

    bob.vote(a, question, lisbon)
    alice.vote(a, question, lisbon)
    bob.vote(a, question, lisbon, cast=False)

    for stream in streams:
        got = [stream.next(timeout=within) for _ in range(3)]
        # Each vote's tally is read when it is sent (at least as new as the vote): the last one's
        # is the final one.
        assert [(m.event, m.id, _ids(m.data)) for m in got] == [
            (
                kind,
                str(version),
                {"type": kind, "version": version, "question": question, "idea": lisbon},
            )
            for kind, version in [
                ("vote.cast", start + 1),
                ("vote.cast", start + 2),
                ("vote.retracted", start + 3),
            ]
        ]
        assert _tally(got[-1].data) == (1, ["Alice"], 0)


@pytest.mark.postgres
def test_a_vote_through_one_process_reaches_a_stream_on_the_other_over_postgres_and_redis(
    servers: Servers,
    postgres_url: str,
    redis_server: Redis,
    listen: Callable[..., EventStream],
) -> None:
    shared = {"DATABASE_URL": postgres_url, "REDIS_URL": redis_server.url}
    a, b = servers.start(2, **shared)
    votes_through_one_reach_the_other(a, b, listen, within=15)


def test_without_redis_processes_still_see_each_others_changes_by_polling(
    servers: Servers, listen: Callable[..., EventStream]
) -> None:
    a, b = servers.start(2)  # SQLite in the shared data directory, no REDIS_URL
    votes_through_one_reach_the_other(a, b, listen, within=15)
