"""docs/reliability.md #9: Redis refuses (shut down), then hangs (SIGSTOP), under load.

tests/live/test_redis_outage.py shows one person's pages, writes and live stream outliving a
Redis that is stopped. This adds load and a Redis that hangs instead: two `ponder serve`
processes over one SQLite database and a private Redis, 10 clients reading and voting on both,
and a program following the live stream on the second process. Through both outages: no 5xx,
no request unanswered, writes all stored; once Redis is back, the stream has every change in
order, up to the question's current version, within 10 s; and the tallies the API shows are the
database's.
"""

import json
import random
import signal
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from tests.live.conftest import EventStream, Redis

from .conftest import (
    Board,
    Probe,
    Reply,
    Server,
    call,
    fresh_data_dir,
    start_server,
    wait_until,
)


def test_pages_and_writes_outlive_a_refusing_and_a_hung_redis_and_live_updates_catch_up(
    tmp_path: Path,
    prepared_data_dir: Path,
    redis_server: Redis,
    started: list[Server],
    listen: Callable[..., EventStream],
) -> None:
    data_dir = fresh_data_dir(tmp_path, prepared_data_dir)
    a = start_server(tmp_path, data_dir, REDIS_URL=redis_server.url)
    started.append(a)
    b = start_server(tmp_path, data_dir, REDIS_URL=redis_server.url)
    started.append(b)
    board = Board.make(a.url, ideas=5, people=30)
    stream = listen(f"{b.url}/api/v1/questions/{board.question}/events")
    assert stream.status == 200

    def send(number: int) -> Reply:
        rng = random.Random(number)
        server = (a, b)[number % 2]
        _, token = rng.choice(board.people)
        idea = rng.choice(board.ideas)
        api = f"{server.url}/api/v1"
        match number % 5:
            case 0 | 1:
                return call("GET", f"{api}/questions/{board.question}", token=token)
            case 2:
                return call("GET", f"{server.url}/q/{board.question}/")
            case 3:
                return call("PUT", f"{api}/ideas/{idea}/vote", token=token)
            case _:
                return call("DELETE", f"{api}/ideas/{idea}/vote", token=token)

    phases: dict[str, list[Reply]] = {}
    with Probe(10, send, limit=120) as probe:

        def phase(name: str, seconds: float) -> None:
            before = len(probe.replies)
            time.sleep(seconds)
            phases[name] = probe.replies[before:]

        phase("before", 4)
        redis_server.stop()  # refused: nothing listens on its port
        phase("refused", 10)
        redis_server.start()
        phase("back", 6)
        assert redis_server.process is not None
        redis_server.process.send_signal(signal.SIGSTOP)  # hung: connects, never answers
        phase("hung", 10)
        redis_server.process.send_signal(signal.SIGCONT)
        resumed = time.monotonic()
        phase("back again", 4)
    replies = probe.replies

    with sqlite3.connect(data_dir / "ponder.sqlite3") as db:
        (version,) = db.execute(
            "SELECT version FROM questions_question WHERE id = ?", (board.question,)
        ).fetchone()
        tallies = dict(
            db.execute(
                "SELECT idea_id, COUNT(*) FROM questions_vote v JOIN questions_idea i "
                "ON v.idea_id = i.id WHERE i.question_id = ? GROUP BY idea_id",
                (board.question,),
            ).fetchall()
        )

    # The stream: hello, then every version in order, up to the database's, soon after Redis
    # is back (the last writes ended a moment ago).
    versions = []
    while not versions or versions[-1] < version:
        message = stream.next(timeout=max(0.1, resumed + 10 - time.monotonic()))
        if message.event != "hello":
            versions.append(message.version)
    caught_up = time.monotonic() - resumed
    assert versions == list(range(versions[0], version + 1)), "the stream missed or reordered"

    shown = json.loads(call("GET", f"{b.url}/api/v1/questions/{board.question}").body)
    shown_tallies = {idea["id"]: idea["votes"] for idea in shown["ideas"] if idea["votes"]}

    def p95(part: list[Reply]) -> float:
        times = sorted(r.seconds for r in part)
        return times[int(len(times) * 0.95)] if times else 0.0

    statuses = {name: sorted({r.status for r in part}) for name, part in phases.items()}
    print(
        f"\n#9 {len(replies)} requests; statuses by phase {statuses}; p95 by phase "
        f"{ {name: round(p95(part), 2) for name, part in phases.items()} } s; stream caught up "
        f"{caught_up:.1f} s after SIGCONT with {len(versions)} changes; tallies "
        f"{'equal' if shown_tallies == tallies else 'DIFFER'}"
    )
    assert not [r for r in replies if r.status == 0 or r.status >= 500], "5xx or no answer"
    assert all(200 <= r.status < 300 for r in replies)
    assert shown_tallies == tallies
    assert wait_until(lambda: a.process.poll() is None and b.process.poll() is None, timeout=1)
