import contextlib
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
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
def _in_time(raw: Any) -> Iterator[None]:
    """A query (or COMMIT, or ROLLBACK) unanswered after PONDER_DB_TIMEOUT (+0.25 s, so that the
    server's own statement_timeout ends a merely slow query first) is cut by the watchdog."""
    key = id(raw)
    _watchdog.watch(key, raw, settings.PONDER_DB_TIMEOUT + 0.25)
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
def _transactions_in_time(connection: Any) -> Iterator[None]:
    """COMMIT and ROLLBACK do not pass through execute wrappers: watch them too, for this
    request's connection (a hung server would otherwise hold a write's COMMIT forever)."""

    def watched(method: Callable[[], None]) -> Callable[[], None]:
        def call() -> None:
            with _in_time(connection.connection):
                method()

        return call

    connection._commit = watched(connection._commit)
    connection._rollback = watched(connection._rollback)
    try:
        yield
    finally:
        del connection._commit, connection._rollback  # the class's own again


_keepers: list[sqlite3.Connection] = []
_sqlite_writers = threading.Lock()
SQLITE_QUEUE_SECONDS = 20  # as long as SQLite's busy_timeout (settings.py)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}


def _keep_sqlite_shared_memory() -> None:
    """Keep one idle SQLite connection open for the life of the process.

    Requests open and close their own connections. When the last one closes, SQLite shrinks the
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
        if connection.vendor == "sqlite" and request.method not in SAFE_METHODS:
            # SQLite has one writer at a time, and its busy handler lets a newcomer overtake
            # writers that have waited long (they poll in 100 ms sleeps): under 50 writers the
            # slowest waited 8.6 s (p99; p50 0.3 s). Queue this process's writes on a lock,
            # which hands over as soon as it is free; SQLite's own lock is then contended by one
            # writer per process. p99 fell to 2.6 s at the same throughput (RELIABILITY.md #12).
            if not _sqlite_writers.acquire(timeout=SQLITE_QUEUE_SECONDS):
                refused = self.process_exception(request, OperationalError("database is locked"))
                assert refused is not None
                return refused
            try:
                return self.get_response(request)
            finally:
                _sqlite_writers.release()
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
