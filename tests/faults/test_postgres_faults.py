"""docs/reliability.md #7 and #8: PostgreSQL restarts, and PostgreSQL hangs, while Ponder serves.

Each test runs a PostgreSQL cluster of its own (never the shared one) under a `ponder serve`,
and 20 clients that read the question, vote and take votes back, and ask /healthz, all through
the API. Every reply is kept with the moments it was asked and answered.

- Restart (`pg_ctl restart -m fast`): no 500, and no request unanswered; while PostgreSQL is away
  the answer is 503 with Retry-After; from 5 s after it is back, every answer is 2xx. Ponder is
  not restarted.
- Hang (SIGSTOP to the postmaster and every backend for 15 s): every request is answered within
  5 s (503 while it hangs), and 10 s after SIGCONT all is 2xx again. /healthz answers within a
  second throughout (the worker pool is not exhausted): 503 while PostgreSQL hangs, 200 before
  and after.
"""

import random
import time
from collections.abc import Callable
from pathlib import Path

from .conftest import (
    Board,
    Postgres,
    Probe,
    Reply,
    Server,
    call,
    fresh_data_dir,
    ponder_command,
    start_server,
)

CLIENTS = 20


def serve_on(postgres: Postgres, tmp_path: Path, prepared: Path) -> tuple[Server, Board]:
    data_dir = fresh_data_dir(tmp_path, prepared)
    ponder_command(data_dir, "migrate", "--noinput", "-v", "0", DATABASE_URL=postgres.url)
    server = start_server(tmp_path, data_dir, DATABASE_URL=postgres.url)
    return server, Board.make(server.url, ideas=10, people=40)


def traffic(server: Server, board: Board) -> Callable[[int], Reply]:
    """Reads, votes and retracted votes, and health checks, in turn."""
    api = f"{server.url}/api/v1"

    def send(number: int) -> Reply:
        rng = random.Random(number)
        _, token = rng.choice(board.people)
        idea = rng.choice(board.ideas)
        match number % 4:
            case 0:
                return call("GET", f"{api}/questions/{board.question}", token=token)
            case 1:
                return call("PUT", f"{api}/ideas/{idea}/vote", token=token)
            case 2:
                return call("DELETE", f"{api}/ideas/{idea}/vote", token=token)
            case _:
                return call("GET", f"{server.url}/healthz")

    return send


def summary(replies: list[Reply], start: float) -> str:
    statuses: dict[int, int] = {}
    for reply in replies:
        statuses[reply.status] = statuses.get(reply.status, 0) + 1
    slowest = max(reply.seconds for reply in replies)
    errors = [r for r in replies if not 200 <= r.status < 300]
    window = "none"
    if errors:
        first, last = min(r.started for r in errors), max(r.ended for r in errors)
        window = f"{first - start:.1f}..{last - start:.1f} s"
    return f"{len(replies)} requests, statuses {statuses}, slowest {slowest:.2f} s, errors {window}"


def test_a_postgresql_restart_gives_503_with_retry_after_and_ponder_recovers_by_itself(
    private_postgres: Postgres, tmp_path: Path, prepared_data_dir: Path, started: list[Server]
) -> None:
    server, board = serve_on(private_postgres, tmp_path, prepared_data_dir)
    started.append(server)
    pid = server.process.pid

    with Probe(CLIENTS, traffic(server, board), limit=90) as probe:
        time.sleep(4)
        down = time.monotonic()
        private_postgres.restart()
        back = time.monotonic()
        time.sleep(12)
    replies = probe.replies

    print(f"\n#7 restart took {back - down:.1f} s; {summary(replies, down)}")
    assert server.process.poll() is None and server.process.pid == pid
    assert not [r for r in replies if r.status == 0], "requests went unanswered"
    assert not [r for r in replies if r.status >= 500 and r.status != 503], "a 5xx other than 503"
    assert all(r.retry_after for r in replies if r.status == 503), "503 without Retry-After"
    errors = [r for r in replies if not 200 <= r.status < 300]
    assert all(r.ended >= down for r in errors), "errors before PostgreSQL went down"
    after = [r for r in replies if r.started >= back + 5]
    assert after, "no traffic after the restart"
    assert all(200 <= r.status < 300 for r in after), summary(after, back)


def test_a_hung_postgresql_gives_503_within_5_seconds_and_ponder_recovers_within_10(
    private_postgres: Postgres, tmp_path: Path, prepared_data_dir: Path, started: list[Server]
) -> None:
    server, board = serve_on(private_postgres, tmp_path, prepared_data_dir)
    started.append(server)

    health: list[Reply] = []
    with (
        Probe(CLIENTS, traffic(server, board), limit=90) as probe,
        Probe(1, lambda _: call("GET", f"{server.url}/healthz", timeout=30), limit=90) as checks,
    ):
        time.sleep(3)
        hung = time.monotonic()
        stopped = private_postgres.pause()
        time.sleep(15)
        private_postgres.resume(stopped)
        resumed = time.monotonic()
        time.sleep(12)
    replies, health = probe.replies, checks.replies

    errors = [r for r in replies if not 200 <= r.status < 300]
    recovered = max((r.ended for r in errors), default=resumed) - resumed
    print(
        f"\n#8 hung 15 s; {summary(replies, hung)}; recovered {recovered:.1f} s after SIGCONT; "
        f"/healthz: {summary(health, hung)}"
    )
    assert not [r for r in replies if r.status == 0], "requests went unanswered"
    assert not [r for r in replies if r.status >= 500 and r.status != 503], "a 5xx other than 503"
    assert all(r.retry_after for r in replies if r.status == 503), "503 without Retry-After"
    slow = sorted((round(r.seconds, 1), r.label, r.status) for r in replies if r.seconds > 5)
    assert not slow, f"answered after more than 5 s: {slow[-10:]}"
    after = [r for r in replies if r.started >= resumed + 10]
    assert after and all(200 <= r.status < 300 for r in after), summary(after, resumed)

    # /healthz answers within a second throughout, and tells the truth: it asks the database
    # for half a second at most, so it says 200 before, 503 while PostgreSQL hangs, 200 after.
    checks = health + [r for r in replies if r.label == "GET /healthz"]
    assert checks and all(r.status in (200, 503) for r in checks), summary(checks, hung)
    # (seconds, status, when after SIGSTOP, asked by the lone checker rather than the traffic)
    slow = [(r.seconds, r.status, r.started - hung, r in health) for r in checks if r.seconds >= 1]
    assert not slow, f"/healthz took a second or more: {sorted(slow)[-5:]}"
    assert all(r.retry_after for r in checks if r.status == 503), "503 without Retry-After"
    before = [r for r in health if r.ended < hung]
    assert before and all(r.status == 200 for r in before), summary(before, hung)
    during = [r for r in health if r.started >= hung + 1 and r.ended <= resumed]
    assert during and all(r.status == 503 for r in during), summary(during, hung)
    back = [r for r in health if r.started >= resumed + 10]
    assert back and all(r.status == 200 for r in back), summary(back, resumed)
