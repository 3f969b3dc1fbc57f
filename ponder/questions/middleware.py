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
from django.utils.connection import ConnectionProxy
from django.utils.translation import gettext as _

from .access import allow_cookies_in_embeds, is_embedded


class _Watchdog:
    """Cuts the connection of a PostgreSQL query that has not answered in time.

    A hung server (stopped, or a network that drops packets) never answers and never closes the
    connection, and its kernel still acknowledges what is sent, so neither `statement_timeout`
    (the server's own) nor TCP timeouts end the wait. Shutting the socket does: the query fails
    with an OperationalError, which the middleware answers with 503 (RELIABILITY.md #8)."""

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
def _in_time(raw: Any, seconds: float | None = None) -> Iterator[None]:
    """A query (or COMMIT, or ROLLBACK) unanswered after `seconds` (by default PONDER_DB_TIMEOUT
    + 0.25 s, so that the server's own statement_timeout ends a merely slow query first) is cut
    by the watchdog."""
    key = id(raw)
    _watchdog.watch(key, raw, settings.PONDER_DB_TIMEOUT + 0.25 if seconds is None else seconds)
    try:
        yield
    finally:
        _watchdog.forget(key)


def _answer_in_time(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
) -> Any:
    """An execute wrapper: every query of the request, in time."""
    with _in_time(context["connection"].connection):
        return execute(sql, params, many, context)


@contextlib.contextmanager
def _ending_transactions(
    connection: Any, wrap: Callable[[Callable[[], None]], Callable[[], None]]
) -> Iterator[None]:
    """COMMIT and ROLLBACK do not pass through execute wrappers: wrap them, for this request's
    connection.

    A connection is one thread's, except in tests, where the live server's threads share the
    in-memory SQLite database's: there two requests may wrap it at once and end in either
    order. Each puts back what it found, and only if nobody wrapped it again meanwhile."""
    if isinstance(connection, ConnectionProxy):  # django.db.connection: this thread's own
        connection = connection._connections[connection._alias]
    names = ("_commit", "_rollback")
    found = {name: vars(connection).get(name) for name in names}
    ours = {name: wrap(getattr(connection, name)) for name in names}
    vars(connection).update(ours)
    try:
        yield
    finally:
        for name in names:
            if vars(connection).get(name) is ours[name]:
                if found[name] is None:
                    del vars(connection)[name]  # the class's own again
                else:
                    vars(connection)[name] = found[name]


def _transactions_in_time(connection: Any) -> contextlib.AbstractContextManager[None]:
    """Watch COMMIT and ROLLBACK too (a hung server would otherwise hold a write's COMMIT
    forever)."""

    def watched(method: Callable[[], None]) -> Callable[[], None]:
        def call() -> None:
            with _in_time(connection.connection):
                method()

        return call

    return _ending_transactions(connection, watched)


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


_sqlite_writers = _FairLock()
SQLITE_QUEUE_SECONDS = 20  # as long as SQLite's busy_timeout (settings.py)


@contextlib.contextmanager
def _sqlite_transactions_queued(connection: Any) -> Iterator[None]:
    """This request's SQLite transactions wait their turn on `_sqlite_writers`, in the order
    they began, from BEGIN to COMMIT or ROLLBACK.

    SQLite has one writer at a time, and its busy handler lets a newcomer overtake writers that
    have waited long (they poll in sleeps of up to 100 ms): with 50 writers on two processes
    and no queue, the slowest waited 8.6 to 9.7 s (p99; p50 0.3 s). In this queue SQLite's own
    lock is contended by one transaction per process, and it passes on at COMMIT.

    Only the transaction waits, not the whole request: reading the question back for the answer
    runs beside the next writer. A queue around the whole request made each process serve one
    write request at a time, so the two processes kept equal pace however unequally the clients
    were spread between them: one held nearly all 50 (2.2 s each) while the other answered at
    once, p99 2.5 to 4.4 s. Queueing transactions only: p99 1.4 to 1.8 s (RELIABILITY.md #12)."""
    held = False

    def end() -> None:
        nonlocal held
        if held:
            held = False
            _sqlite_writers.release()

    def begin_in_turn(
        execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        nonlocal held
        if held or not sql.startswith("BEGIN"):
            return execute(sql, params, many, context)
        if not _sqlite_writers.acquire(timeout=SQLITE_QUEUE_SECONDS):
            raise OperationalError("database is locked")  # answered 503 with Retry-After
        held = True
        try:
            return execute(sql, params, many, context)
        except BaseException:
            end()
            raise

    def then_end(method: Callable[[], None]) -> Callable[[], None]:
        def call() -> None:
            try:
                method()
            finally:
                end()

        return call

    try:
        with connection.execute_wrapper(begin_in_turn), _ending_transactions(connection, then_end):
            yield
    finally:
        end()  # a transaction left open ends with its connection, at the latest


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
    """Whether the database answers `SELECT 1` within `seconds` (RELIABILITY.md #8).

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
    keeps its size, so reads go on working and only writes are refused (RELIABILITY.md #11)."""
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
    try again in a moment (RELIABILITY.md section 6)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        _keep_sqlite_shared_memory()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        connection = connections[DEFAULT_DB_ALIAS]
        if connection.vendor == "sqlite":
            with _sqlite_transactions_queued(connection):
                return self.get_response(request)
        if connection.vendor != "postgresql":
            return self.get_response(request)
        with connection.execute_wrapper(_answer_in_time), _transactions_in_time(connection):
            return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        if "disk is full" in str(exception):
            # SQLite on a full disk: reads still work (RELIABILITY.md #11), only saving fails.
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


class EmbedCookiesMiddleware:
    """Under HTTPS, the cookies set for an embed (participant, name, CSRF, messages) are made usable
    in an iframe on another site. It sits outside the CSRF and messages middleware, so it sees
    their cookies too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.HTTPS and is_embedded(request):
            allow_cookies_in_embeds(response)
        return response


class NoIndexMiddleware:
    """Questions are private to whoever holds their link: ask search engines never to index or
    follow them, even when a link leaks onto a public page (RELIABILITY.md #23). The home page
    and the accessibility statement stay indexable."""

    PRIVATE_PREFIXES = ("/q/", "/embed/", "/api/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(self.PRIVATE_PREFIXES):
            response.setdefault("X-Robots-Tag", "noindex, nofollow")
        return response
