"""docs/reliability.md #10: live updates across processes, at scale.

Three `ponder serve` processes over one database and one Redis (a private one). 60 programs follow
one question's live stream, 20 on each process; 1,000 different votes arrive through the three
processes in turn, and a few on another question. Within 2 seconds of the last vote's answer,
every stream has had every vote: the tally each one counts from its events equals the
database's, its versions come in order without a gap, and no event of the other question reaches
it.

tests/live/test_across_processes.py shows the same for one vote over PostgreSQL and Redis, and
without Redis; browsers on the same streams are in tests/browser/test_live_updates.py.
"""

import random
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.live.conftest import EventStream, Message, Redis

from .conftest import Board, Reply, Server, call, fresh_data_dir, start_server

STREAMS_PER_PROCESS = 20
LAG = 2.0  # seconds from the last vote's answer to every stream having it


def test_a_thousand_votes_through_three_processes_reach_all_sixty_streams_exactly(
    tmp_path: Path,
    prepared_data_dir: Path,
    redis_server: Redis,
    started: list[Server],
    listen: Callable[..., EventStream],
) -> None:
    data_dir = fresh_data_dir(tmp_path, prepared_data_dir)
    servers = [start_server(tmp_path, data_dir, REDIS_URL=redis_server.url) for _ in range(3)]
    started.extend(servers)
    board = Board.make(servers[0].url, ideas=20, people=50)
    other = Board.make(servers[1].url, ideas=2, people=5)
    streams = [
        listen(f"{server.url}/api/v1/questions/{board.question}/events")
        for server in servers
        for _ in range(STREAMS_PER_PROCESS)
    ]
    hellos = [stream.next() for stream in streams]
    assert {(h.event, h.version) for h in hellos} == {("hello", hellos[0].version)}
    start = hellos[0].version

    pairs = [(idea, token) for idea in board.ideas for _, token in board.people]
    random.Random(10).shuffle(pairs)
    votes = [(servers[n % 3], board.question, pair) for n, pair in enumerate(pairs)]
    for n, (idea, (_, token)) in enumerate(
        (idea, person) for idea in other.ideas for person in other.people
    ):
        votes.insert(n * 97, (servers[n % 3], other.question, (idea, token)))

    def vote(job: tuple[Server, str, tuple[str, str]]) -> Reply:
        server, _question, (idea, token) = job
        return call("PUT", f"{server.url}/api/v1/ideas/{idea}/vote", token=token)

    with ThreadPoolExecutor(20) as pool:
        replies = list(pool.map(vote, votes))
    answered = max(r.ended for r in replies)
    assert [r.status for r in replies if r.status != 200] == []

    with sqlite3.connect(data_dir / "ponder.sqlite3") as db:
        tally = Counter(
            dict(
                db.execute(
                    "SELECT idea_id, COUNT(*) FROM questions_vote v JOIN questions_idea i "
                    "ON v.idea_id = i.id WHERE i.question_id = ? GROUP BY idea_id",
                    (board.question,),
                ).fetchall()
            )
        )
    assert sum(tally.values()) == len(pairs)

    received: list[list[Message]] = []
    for stream in streams:
        messages = []
        while len(messages) < len(pairs):
            messages.append(stream.next(timeout=max(0.1, answered + 30 - time.monotonic())))
        received.append(messages)
    lag = max(messages[-1].received for messages in received) - answered
    print(
        f"\n#10 {len(votes)} votes through 3 processes, {len(streams)} streams; every stream had "
        f"every vote {lag:.2f} s after the last answer"
    )
    for messages in received:
        assert {m.data["question"] for m in messages} == {board.question}
        assert [m.version for m in messages] == list(range(start + 1, start + len(pairs) + 1))
        assert {m.event for m in messages} == {"vote.cast"}
        assert Counter(str(m.data["idea"]) for m in messages) == tally
    for stream in streams:
        assert stream.nothing_more(0.3), "an event more than there were changes"
    assert lag <= LAG
