"""RELIABILITY.md #6: a graceful reload under load.

`kill -HUP` to the process manager of `ponder serve --workers 2` (uvicorn's) replaces each worker
in turn: the new one starts and answers its health check before the old one is told to stop, and
the old one stops taking connections and finishes what it is answering. Its live streams are cut
(they never end by themselves), and their clients reconnect with Last-Event-ID, as browsers do.

Under 50 clients reading the page and the API and voting, with 10 programs following the live
stream, two reloads: no request fails (no 5xx, none unanswered), every cut stream comes back on its
first reconnect and has every change in order up to the question's last version, and the process
manager is the same one throughout.

A rolling restart of several `ponder serve` processes needs a proxy in front that takes each out
of rotation while it restarts (README, Deployment); on one machine, the reload is the deploy.
"""

import os
import random
import signal
import sqlite3
import time
from pathlib import Path

from .conftest import (
    Board,
    Follower,
    Probe,
    Reply,
    Server,
    call,
    fresh_data_dir,
    start_server,
    wait_until,
    workers,
)

RELOADS = 2
FOLLOWERS = 10


def test_a_reload_under_load_fails_no_request_and_streams_resume_on_their_first_reconnect(
    tmp_path: Path, prepared_data_dir: Path, started: list[Server]
) -> None:
    data_dir = fresh_data_dir(tmp_path, prepared_data_dir)
    server = start_server(tmp_path, data_dir, workers=2)
    started.append(server)
    assert wait_until(lambda: len(workers(server)) == 2, timeout=10)
    board = Board.make(server.url, ideas=10, people=50)
    api = f"{server.url}/api/v1"
    followers = [Follower(f"{api}/questions/{board.question}/events") for _ in range(FOLLOWERS)]

    def send(number: int) -> Reply:
        rng = random.Random(number)
        _, token = board.people[number % len(board.people)]
        idea = rng.choice(board.ideas)
        match number % 4:
            case 0:
                return call("GET", f"{server.url}/q/{board.question}/")
            case 1:
                return call("GET", f"{api}/questions/{board.question}", token=token)
            case 2:
                return call("PUT", f"{api}/ideas/{idea}/vote", token=token)
            case _:
                return call("DELETE", f"{api}/ideas/{idea}/vote", token=token)

    reloads: list[float | None] = []
    with Probe(50, send, limit=150) as probe:
        time.sleep(3)
        for _ in range(RELOADS):
            before = set(workers(server))
            sent = time.monotonic()
            os.kill(server.process.pid, signal.SIGHUP)
            replaced = wait_until(
                lambda b=before: len(workers(server)) == 2 and not set(workers(server)) & b,
                timeout=60,
            )
            reloads.append(time.monotonic() - sent if replaced else None)
            time.sleep(2)
        time.sleep(2)
    replies = probe.replies

    with sqlite3.connect(data_dir / "ponder.sqlite3") as db:
        (version,) = db.execute(
            "SELECT version FROM questions_question WHERE id = ?", (board.question,)
        ).fetchone()
    caught_up = wait_until(lambda: all(f.last >= version for f in followers), timeout=10)
    for follower in followers:
        follower.stop()

    failed = [r for r in replies if r.status == 0 or r.status >= 500]
    print(
        f"\n#6 {len(replies)} requests, {len(failed)} failed "
        f"({sorted({(r.status, r.error[:60]) for r in failed})[:3]}); reloads took "
        f"{[round(s, 1) if s else None for s in reloads]} s; streams cut "
        f"{[f.cuts for f in followers]}, failed reconnects "
        f"{sum(len(f.failed_reconnects) for f in followers)}; question at version {version}, "
        f"streams {'caught up' if caught_up else 'BEHIND'}"
    )
    assert server.process.poll() is None, "the process manager itself stopped"
    assert all(seconds is not None for seconds in reloads), "a reload did not replace the workers"
    assert not failed, [(r.label, r.status, r.error, r.body[:100]) for r in failed[:5]]
    assert all(200 <= r.status < 300 for r in replies), sorted({r.status for r in replies})
    assert sum(f.cuts for f in followers) > 0, "no stream was cut: the reload did not happen"
    assert not [f.failed_reconnects for f in followers if f.failed_reconnects]
    assert caught_up, [f.last for f in followers]
    for follower in followers:
        first = follower.versions[0]
        assert follower.versions == list(range(first, version + 1)), "missed or reordered"
