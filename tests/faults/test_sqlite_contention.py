"""docs/reliability.md #12: 50 writers at once on SQLite, for a bounded time.

`ponder serve --workers 2` on SQLite; 50 clients add ideas, vote and take votes back through
the API, as fast as they can, for PONDER_FAULTS_SECONDS (default 30; the plan's 60 with
PONDER_FAULTS_SECONDS=60). IMMEDIATE transactions queue the writers on SQLite's lock for up to
20 s (busy_timeout), so no writer fails with "database is locked"; each process queues its own
transactions first, in the order they began (DatabaseUnavailableMiddleware), so the slowest do
not wait for seconds while newcomers overtake them; the -wal file stays small.
"""

import os
import random
import threading
import time
from pathlib import Path

from .conftest import Board, Probe, Reply, Server, call, fresh_data_dir, start_server

WRITERS = 50
SECONDS = float(os.environ.get("PONDER_FAULTS_SECONDS", "30"))


def test_fifty_writers_on_sqlite_never_see_database_is_locked(
    tmp_path: Path, prepared_data_dir: Path, started: list[Server]
) -> None:
    data_dir = fresh_data_dir(tmp_path, prepared_data_dir)
    server = start_server(tmp_path, data_dir, workers=2)
    started.append(server)
    board = Board.make(server.url, ideas=10, people=50)
    api = f"{server.url}/api/v1"

    def write(number: int) -> Reply:
        rng = random.Random(number)
        _, token = rng.choice(board.people)
        idea = rng.choice(board.ideas)
        match number % 3:
            case 0:
                title = {"title": f"Idea {number}"}
                return call(
                    "POST", f"{api}/questions/{board.question}/ideas", token=token, data=title
                )
            case 1:
                return call("PUT", f"{api}/ideas/{idea}/vote", token=token, timeout=30)
            case _:
                return call("DELETE", f"{api}/ideas/{idea}/vote", token=token, timeout=30)

    wal = data_dir / "ponder.sqlite3-wal"
    largest_wal = 0
    done = threading.Event()

    def watch_wal() -> None:
        nonlocal largest_wal
        while not done.wait(0.5):
            if wal.exists():
                largest_wal = max(largest_wal, wal.stat().st_size)

    watcher = threading.Thread(target=watch_wal, daemon=True)
    watcher.start()
    with Probe(WRITERS, write, limit=SECONDS) as probe:
        time.sleep(SECONDS)
    done.set()
    watcher.join()
    replies = probe.replies
    log = server.log.read_text(errors="replace")

    times = sorted(r.seconds for r in replies)
    p50, p99 = times[len(times) // 2], times[int(len(times) * 0.99)]
    statuses: dict[int, int] = {}
    for reply in replies:
        statuses[reply.status] = statuses.get(reply.status, 0) + 1
    locked = log.count("database is locked") + sum(b"locked" in r.body for r in replies)
    print(
        f"\n#12 {WRITERS} writers for {SECONDS:.0f} s: {len(replies)} writes "
        f"({len(replies) / SECONDS:.1f}/s), statuses {statuses}, p50 {p50:.2f} s, "
        f"p99 {p99:.2f} s, 'database is locked' {locked}, largest -wal {largest_wal / 1e6:.1f} MB"
    )
    assert locked == 0
    assert set(statuses) <= {200, 201, 204}, statuses
    assert p99 < 2, f"p99 {p99:.2f} s"
    assert largest_wal < 64e6
