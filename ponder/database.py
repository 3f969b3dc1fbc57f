"""Guards around the database, for every request: a database that is down, hung, locked or full
answers 503 with Retry-After, never 500, and never holds a request for long.

- PostgreSQL: a watchdog cuts a query (or COMMIT, or ROLLBACK) that has not answered in time.
- SQLite: a process's write transactions queue fairly, in the order they began.
- `database_answers`: the health check's probe, one at a time per process.
- `DatabaseUnavailableMiddleware` puts them around each request and answers the errors.
"""

import contextlib
import os
import socket
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _


class _Watchdog:
    """Cuts the connection of a PostgreSQL query that has not answered in time.

    A hung server (stopped, or a network that drops packets) never answers and never closes the
    connection, and its kernel still acknowledges what is sent, so neither `statement_timeout`
    (the server's own) nor TCP timeouts end the wait. Shutting the socket does: the query fails
    with an OperationalError, which the middleware answers with 503 (docs/reliability.md #8)."""

    def __init__(self) -> None:
        self.deadlines: dict[int, tuple[float, Any]] = {}
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None

    def watch(self, key: int, raw: Any, seconds: float) -> None:
        with self.lock:
            self.deadlines[key] = (time.monotonic() + seconds, raw)
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="db-watchdog", daemon=True)
                self.thread.start()

    def forget(self, key: int) -> None:
        with self.lock:
            self.deadlines.pop(key, None)

    def _run(self) -> None:
        while True:
            time.sleep(0.1)
            now = time.monotonic()
            with self.lock:
                late = [key for key, (deadline, _) in self.deadlines.items() if deadline < now]
                cut = [self.deadlines.pop(key)[1] for key in late]
            for raw in cut:
                with contextlib.suppress(Exception):
                    dup = os.dup(raw.pgconn.socket)
                    with socket.socket(fileno=dup) as sock:
                        sock.shutdown(socket.SHUT_RDWR)


_watchdog = _Watchdog()


@contextlib.contextmanager
def _in_time(raw: Any, seconds: float) -> Iterator[None]:
    """Cut `raw` (a psycopg connection) unless what it does inside answers within `seconds`."""
    key = id(raw)
    _watchdog.watch(key, raw, seconds)
    try:
        yield
    finally:
        _watchdog.forget(key)


def _query_seconds() -> float:
    # A little over the server's own statement_timeout, so that it ends a merely slow query first.
    return settings.PONDER_DB_TIMEOUT + 0.25


class _Watched:
    """One request's PostgreSQL queries, and the COMMIT or ROLLBACK after them, in time.

    An execute wrapper arms the watchdog as each query starts. COMMIT and ROLLBACK do not pass
    through execute wrappers, so a query that leaves a transaction open leaves the watchdog
    armed (from its end) until the transaction has committed (`on_commit`), the next query
    starts, or the request ends: a hung server cannot hold a write's COMMIT forever either."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.raw: Any = None

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        raw = self.connection.connection
        self.arm(raw)
        try:
            return execute(sql, params, many, context)
        finally:
            if self.connection.in_atomic_block:
                self.arm(raw)  # its COMMIT or ROLLBACK is still to come
                self.connection.on_commit(self.disarm, robust=True)
            else:
                self.disarm()

    def arm(self, raw: Any) -> None:
        if self.raw is not None and self.raw is not raw:
            _watchdog.forget(id(self.raw))
        self.raw = raw
        _watchdog.watch(id(raw), raw, _query_seconds())

    def disarm(self) -> None:
        if self.raw is not None:
            _watchdog.forget(id(self.raw))
            self.raw = None


class _FairLock:
    """A lock that goes to its waiters in the order they came.

    threading.Lock does not promise that: a thread that asks just as it is released may take it
    before threads that have waited long."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiters: deque[threading.Lock] = deque()
        self._held = False

    def acquire(self, timeout: float) -> bool:
        with self._mutex:
            if not self._held:
                self._held = True
                return True
            turn = threading.Lock()
            turn.acquire()
            self._waiters.append(turn)
        if turn.acquire(timeout=timeout):
            return True  # handed over by release()
        with self._mutex:
            if turn in self._waiters:
                self._waiters.remove(turn)
                return False
        return True  # handed over just as the wait ran out: ours now

    def release(self) -> None:
        with self._mutex:
            if self._waiters:
                self._waiters.popleft().release()  # straight to the next: nobody can overtake
            else:
                self._held = False

    def waiting(self) -> int:
        """How many wait for the lock now."""
        with self._mutex:
            return len(self._waiters)


sqlite_writers = _FairLock()
SQLITE_QUEUE_SECONDS = 20  # as long as SQLite's busy_timeout (settings.py)


class _Queued:
    """This request's SQLite transactions wait their turn on `sqlite_writers`, in the order
    they began, from BEGIN until they end.

    SQLite has one writer at a time, and its busy handler lets a newcomer overtake writers that
    have waited long (they poll in sleeps of up to 100 ms): with 50 writers on two processes
    and no queue, the slowest waited 8.6 to 9.7 s (p99; p50 0.3 s). In this queue SQLite's own
    lock is contended by one transaction per process.

    Only the transaction waits, not the whole request: reading the question back for the answer
    runs beside the next writer. A queue around the whole request made each process serve one
    write request at a time, so the two processes kept equal pace however unequally the clients
    were spread between them: one held nearly all 50 (2.2 s each) while the other answered at
    once, p99 2.5 to 4.4 s. Queueing transactions only: p99 1.4 to 1.8 s (docs/reliability.md
    #12).

    BEGIN passes through execute wrappers, COMMIT and ROLLBACK do not: the turn passes on once
    the transaction has committed (`on_commit`), or, after a rollback, when the next query
    finds the transaction over, or when the request ends."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.held = False
        self.hooked = False

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        if self.held and not self.connection.in_atomic_block:
            self.end()  # rolled back since
        if self.held or not sql.startswith("BEGIN"):
            if self.held and not self.hooked and self.connection.in_atomic_block:
                self.hooked = True
                self.connection.on_commit(self.end, robust=True)
            return execute(sql, params, many, context)
        if not sqlite_writers.acquire(timeout=SQLITE_QUEUE_SECONDS):
            raise OperationalError("database is locked")  # answered 503 with Retry-After
        self.held, self.hooked = True, False
        try:
            return execute(sql, params, many, context)
        except BaseException:
            self.end()
            raise

    def end(self) -> None:
        if self.held:
            self.held = False
            sqlite_writers.release()


HEALTH_CHECK_SECONDS = 0.5


@dataclass
class _Probe:
    """One `SELECT 1`, asked on a thread of its own."""

    deadline: float
    finished: threading.Event = field(default_factory=threading.Event)
    answered: bool = False


_probe: _Probe | None = None
_probe_lock = threading.Lock()


def _ask(probe: _Probe, seconds: float) -> None:
    connection = connections[DEFAULT_DB_ALIAS]  # this thread's own
    try:
        # Whatever goes wrong, the answer is the same: the database did not answer.
        with contextlib.suppress(Exception):
            connection.ensure_connection()  # bounded: the pool's timeout, or connect_timeout
            watched = (
                _in_time(connection.connection, seconds)
                if connection.vendor == "postgresql"
                else contextlib.nullcontext()
            )
            with watched, connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            probe.answered = True
    finally:
        with contextlib.suppress(Exception):
            connection.close()
        probe.finished.set()


def database_answers(seconds: float = HEALTH_CHECK_SECONDS) -> bool:
    """Whether the database answers `SELECT 1` within `seconds` (docs/reliability.md #8).

    The question goes out on a thread of its own, one at a time per process: health checks that
    come while it is out share its answer. So a hung database holds no request for longer than
    `seconds` and piles up no threads; a check that comes after the question has run out of time
    is told no at once, and the next question goes out when the last one has ended (on
    PostgreSQL the watchdog cuts it after `seconds`)."""
    global _probe
    with _probe_lock:
        if _probe is None or _probe.finished.is_set():
            _probe = _Probe(deadline=time.monotonic() + seconds)
            threading.Thread(
                target=_ask, args=(_probe, seconds), name="db-health", daemon=True
            ).start()
        probe = _probe
    in_time = probe.finished.wait(max(0.0, probe.deadline - time.monotonic()))
    return in_time and probe.answered


_keepers: list[sqlite3.Connection] = []


def _keep_sqlite_shared_memory() -> None:
    """Keep one idle SQLite connection open for the life of the process.

    The request pool's threads keep their connections, but close them after an error, and a
    process may have none open for a while. When the last one closes, SQLite shrinks the
    WAL index (`-shm`), and the next connection must grow it again: on a full disk that fails
    (SQLITE_IOERR_SHMSIZE), and then every read fails too. With this connection open the index
    keeps its size, so reads go on working and only writes are refused (docs/reliability.md #11)."""
    database = connections[DEFAULT_DB_ALIAS].settings_dict
    name = str(database["NAME"])
    in_memory = name == ":memory:" or "mode=memory" in name
    if _keepers or database["ENGINE"] != "django.db.backends.sqlite3" or in_memory:
        return
    with contextlib.suppress(sqlite3.Error):
        # mode=rw: never create a database file that is not there.
        keeper = sqlite3.connect(
            f"file:{name}?mode=rw", uri=True, isolation_level=None, check_same_thread=False
        )
        keeper.execute("SELECT count(*) FROM sqlite_master").fetchall()
        _keepers.append(keeper)


class DatabaseUnavailableMiddleware:
    """A database that is down, locked or full answers 503 with Retry-After, never 500.

    Nothing acknowledged is lost: the failed transaction rolled back, and the person is told to
    try again in a moment (docs/reliability.md, Decisions)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        _keep_sqlite_shared_memory()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        connection = connections[DEFAULT_DB_ALIAS]  # this thread's own
        if connection.vendor == "sqlite":
            guard: _Queued | _Watched = _Queued(connection)
            ended = guard.end
        elif connection.vendor == "postgresql":
            guard = _Watched(connection)
            ended = guard.disarm
        else:
            return self.get_response(request)
        try:
            with connection.execute_wrapper(guard):
                return self.get_response(request)
        finally:
            ended()  # a transaction left open ends with its connection, at the latest

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        if "disk is full" in str(exception):
            # SQLite on a full disk: reads still work (docs/reliability.md #11), only saving fails.
            message = _(
                "Ponder cannot save anything just now: the server's disk is full. Nothing was "
                "changed; reading still works. Try again later."
            )
        else:
            message = _(
                "Ponder cannot reach its database just now. Nothing was changed; try again in a "
                "moment."
            )
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse({"detail": message}, status=503)
        else:
            body = render_to_string(
                "errors/error.html",
                {"title": _("Try again in a moment"), "message": message, "status": 503},
            )
            response = HttpResponse(body, status=503)
        response["Retry-After"] = "5"
        return response
