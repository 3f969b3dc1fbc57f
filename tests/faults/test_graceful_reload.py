"""docs/reliability.md #6: a graceful reload under load.

`kill -HUP` to the process manager of `ponder serve --workers 2` (uvicorn's) replaces each worker
in turn: the new one starts and answers its health check before the old one is told to stop, and
the old one stops taking connections and finishes what it is answering. Its live streams are cut
(they never end by themselves), and their clients reconnect with Last-Event-ID, as browsers do.

Under 50 clients reading the page and the API and voting, with 10 programs following the live
stream, two reloads, with nginx in front running `deploy/nginx.conf` as README.md's Deployment
says: no request fails (no 5xx, none unanswered), every cut stream comes back on its first
reconnect and has every change in order up to the question's last version, and the process
manager is the same one throughout.

A connection the old worker accepted just before it stopped, on which no request had come yet, is
closed by uvicorn as it stops: a client sending on it sees "connection reset" (clients straight on
`ponder serve`: 1 request in 7,951). nginx sends such a request again on another connection, as
it does for any idempotent request whose connection failed before an answer
(`proxy_next_upstream error timeout`, its default); a POST it does not send again.

A rolling restart of several `ponder serve` processes behind nginx: test_rolling_restart.py.
"""

import os
import shutil
import signal
import time
from pathlib import Path

import pytest

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
from .test_rolling_restart import NGINX, Nginx

RELOADS = 2
FOLLOWERS = 10


@pytest.mark.skipif(shutil.which("nginx") is None and not Path(NGINX).exists(), reason="no nginx")
def test_a_reload_under_load_fails_no_request_and_streams_resume_on_their_first_reconnect(
    tmp_path: Path, prepared_data_dir: Path, started: list[Server]
) -> None:
    data_dir = fresh_data_dir(tmp_path, prepared_data_dir)
    server = start_server(tmp_path, data_dir, workers=2)
    started.append(server)
    assert wait_until(lambda: len(workers(server)) == 2, timeout=10)
    nginx_dir = tmp_path / "nginx"
    nginx_dir.mkdir()
    (nginx_dir / "static").symlink_to(data_dir / "static")
    nginx = Nginx(nginx_dir, [server.port])
    try:
        board = Board.make(nginx.url, ideas=10, people=50)
        stream = f"{nginx.url}/api/v1/questions/{board.question}/events"
        followers = [Follower(stream) for _ in range(FOLLOWERS)]

        reloads: list[float | None] = []
        with Probe(50, mixed_load(board, nginx.url), limit=150) as probe:
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
    finally:
        nginx.stop()
    assert server.process.poll() is None, "the process manager itself stopped"
    assert all(seconds is not None for seconds in reloads), "a reload did not replace the workers"
