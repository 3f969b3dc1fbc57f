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
import signal
import time
from pathlib import Path

from .conftest import (
    Board,
    Follower,
    Probe,
    Server,
    check_served_throughout,
    fresh_data_dir,
    mixed_load,
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
    stream = f"{server.url}/api/v1/questions/{board.question}/events"
    followers = [Follower(stream) for _ in range(FOLLOWERS)]

    reloads: list[float | None] = []
    with Probe(50, mixed_load(board, server.url), limit=150) as probe:
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

    took = [round(s, 1) if s else None for s in reloads]
    check_served_throughout(
        f"#6 reloads took {took} s",
        probe.replies,
        followers,
        data_dir=data_dir,
        question=board.question,
    )
    assert server.process.poll() is None, "the process manager itself stopped"
    assert all(seconds is not None for seconds in reloads), "a reload did not replace the workers"
