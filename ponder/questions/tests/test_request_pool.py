"""`ponder serve`'s application (ponder/asgi.py): each plain request is served whole on one thread
of a fixed pool, through Django's WSGI handler; the live stream goes through Django's ASGI handler.

The application is called here as uvicorn calls it (scope, receive, send), in-process, against the
test database; the same application under `ponder serve` is what tests/live and the browser
tests talk to.
"""

import asyncio
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from asgiref import sync
from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core import signals
from django.core.cache import caches
from django.core.handlers.wsgi import WSGIRequest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test import Client
from django.urls import URLResolver, get_resolver

from ponder import asgi, database
from ponder.asgi import Application
from ponder.questions.models import Question

CSRF = "a" * 32  # any 32 letters: Django takes a token of that length as its unmasked secret


def scope_of(method: str, path: str, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.encode(), v.encode()) for k, v in {"host": "127.0.0.1", **headers}.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


async def exchange(
    app: Application, method: str, path: str, body: bytes = b"", **options: Any
) -> tuple[int | None, dict[bytes, list[bytes]], bytes, list[dict[str, Any]]]:
    """One request as uvicorn hands it over; the body comes in two parts, as a slow client sends
    it (`chunked`: without a Content-Length). Returns the status, the headers, the body and every
    message sent."""
    headers = dict(options.get("headers") or {})
    if body and not options.get("chunked"):
        headers["content-length"] = str(len(body))
    half = len(body) // 2
    incoming = [
        {"type": "http.request", "body": body[:half], "more_body": True},
        {"type": "http.request", "body": body[half:], "more_body": False},
    ]
    if options.get("leave_early"):
        incoming = [incoming[0], {"type": "http.disconnect"}]
    sent: list[dict[str, Any]] = []
    answered = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if incoming:
            return incoming.pop(0)
        await answered.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope_of(method, path, headers), receive, send)
    answered.set()
    if not sent:
        return None, {}, b"", sent
    received: dict[bytes, list[bytes]] = {}
    for name, value in sent[0]["headers"]:
        received.setdefault(name.lower(), []).append(value)
    return sent[0]["status"], received, b"".join(m.get("body", b"") for m in sent[1:]), sent


def run(coroutine: Any) -> Any:
    """`asyncio.run` on a thread of its own: Playwright's sync API, which the browser tests use
    in the same pytest run, keeps an event loop running on the main thread."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def call(app: Application, method: str, path: str, body: bytes = b"", **options: Any) -> Any:
    return run(exchange(app, method, path, body, **options))


def pool(workers: int | None = None) -> Iterator[Application]:
    application = Application(workers=workers)
    yield application
    application.pages.executor.shutdown(wait=True)


@pytest.fixture
def app() -> Iterator[Application]:
    yield from pool(1)  # one thread: every request finds the same one


@pytest.fixture
def on_request_threads() -> Iterator[list[tuple[str, str, object]]]:
    """(signal, thread name, the thread's database connection) at every request's start and end."""
    seen: list[tuple[str, str, object]] = []

    def started(**_: object) -> None:
        seen.append(("started", threading.current_thread().name, connection.connection))

    def finished(**_: object) -> None:
        seen.append(("finished", threading.current_thread().name, connection.connection))

    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    yield seen
    signals.request_started.disconnect(started)
    signals.request_finished.disconnect(finished)


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every hand-over between the event loop and a thread through asgiref."""
    counted: list[str] = []
    to_thread, to_loop = sync.SyncToAsync.__call__, sync.AsyncToSync.__call__

    async def counted_to_thread(self: Any, *args: Any, **kwargs: Any) -> Any:
        counted.append("sync_to_async")
        return await to_thread(self, *args, **kwargs)

    def counted_to_loop(self: Any, *args: Any, **kwargs: Any) -> Any:
        counted.append("async_to_sync")
        return to_loop(self, *args, **kwargs)

    monkeypatch.setattr(sync.SyncToAsync, "__call__", counted_to_thread)
    monkeypatch.setattr(sync.AsyncToSync, "__call__", counted_to_loop)
    return counted


@pytest.mark.django_db(transaction=True)
def test_a_page_is_served_whole_on_one_thread_of_the_pool(
    app: Application, question: Question, on_request_threads: list, hops: list[str]
) -> None:
    async def page() -> tuple[str, Any]:
        return threading.current_thread().name, await exchange(app, "GET", f"/q/{question.pk}/")

    loop_thread, (status, headers, body, _sent) = run(page())
    assert status == 200
    assert question.title.encode() in body
    assert headers[b"content-type"] == [b"text/html; charset=utf-8"]
    # The CSRF cookie the page's forms need comes with it.
    assert any(cookie.startswith(b"csrftoken=") for cookie in headers[b"set-cookie"])
    # Start, middleware, view and end on one thread, not the event loop's; no asgiref hand-over
    # at all (Django's ASGI handler made six for this page).
    names = {name for _signal, name, _db in on_request_threads}
    assert len(names) == 1 and loop_thread not in names, on_request_threads
    assert [s for s, _name, _db in on_request_threads] == ["started", "finished"]
    assert hops == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="PostgreSQL connections come from a pool and go back to it after every request",
)
def test_a_pool_thread_keeps_its_sqlite_connection_from_one_request_to_the_next(
    app: Application, question: Question, on_request_threads: list
) -> None:
    for _ in range(3):
        assert call(app, "GET", f"/q/{question.pk}/")[0] == 200
    # The thread's first request opens it; every later start and end finds the same one open.
    assert on_request_threads[0][2] is None
    kept = [db for _signal, _name, db in on_request_threads[1:]]
    assert len(kept) == 5 and kept[0] is not None
    assert all(db is kept[0] for db in kept), on_request_threads


@pytest.mark.django_db(transaction=True)
def test_a_pool_thread_keeps_its_cache_client_from_one_request_to_the_next(
    app: Application, question: Question
) -> None:
    # With Redis, a cache client made anew per request is a new connection per request.
    clients: list[object] = []

    def started(**_: object) -> None:
        clients.append(caches["default"])

    signals.request_started.connect(started)
    try:
        for _ in range(3):
            assert call(app, "GET", f"/q/{question.pk}/")[0] == 200
    finally:
        signals.request_started.disconnect(started)
    assert len(clients) == 3
    assert all(client is clients[0] for client in clients), clients


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("chunked", [False, True], ids=["with its length", "in chunks"])
def test_a_form_post_is_read_whole_and_its_cookies_come_back(
    app: Application, question: Question, chunked: bool
) -> None:
    body = f"csrfmiddlewaretoken={CSRF}&language=de&next=/q/{question.pk}/".encode()
    status, headers, _body, _sent = call(
        app,
        "POST",
        "/i18n/setlang/",
        body,
        chunked=chunked,
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "cookie": f"{settings.CSRF_COOKIE_NAME}={CSRF}",
        },
    )
    assert status == 302
    assert headers[b"location"] == [f"/q/{question.pk}/".encode()]
    cookies = b"; ".join(headers[b"set-cookie"])
    assert f"{settings.LANGUAGE_COOKIE_NAME}=de".encode() in cookies


@pytest.mark.django_db(transaction=True)
def test_a_body_in_chunks_beyond_the_limit_is_refused_with_413(app: Application) -> None:
    body = f"csrfmiddlewaretoken={CSRF}&language=de&next=/&x=".encode()
    body += b"x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    status, _headers, _body, _sent = call(
        app,
        "POST",
        "/i18n/setlang/",
        body,
        chunked=True,
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "cookie": f"{settings.CSRF_COOKIE_NAME}={CSRF}",
        },
    )
    assert status == 413


@pytest.mark.django_db(transaction=True)
def test_a_post_without_its_csrf_token_is_refused_as_before(
    app: Application, question: Question
) -> None:
    status, _headers, body, _sent = call(
        app,
        "POST",
        "/i18n/setlang/",
        b"language=de",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert status == 403
    assert b"CSRF" in body or b"csrf" in body


@pytest.mark.django_db(transaction=True)
def test_a_streamed_answer_arrives_whole_in_one_message(app: Application) -> None:
    # Static files are streamed (WhiteNoise's FileResponse); read here as Django's test client
    # reads them, and compared. The thread reads the answer whole and the event loop sends it in
    # one message: one hand-over from the thread to the loop per request.
    path = "/static/vendor/htmx-2.0.11.min.js"
    expected = b"".join(Client().get(path).streaming_content)
    status, headers, body, sent = call(app, "GET", path)
    assert status == 200
    assert body == expected and len(body) > 10_000
    assert headers[b"content-length"] == [str(len(expected)).encode()]
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert not sent[-1].get("more_body")


@pytest.mark.django_db(transaction=True)
def test_a_client_that_leaves_before_its_body_has_come_gets_nothing(
    app: Application, on_request_threads: list
) -> None:
    status, _headers, _body, sent = call(
        app, "POST", "/i18n/setlang/", b"language=de&next=/", leave_early=True
    )
    assert status is None and sent == []
    assert on_request_threads == []  # nothing of Django ran


@pytest.mark.django_db(transaction=True)
def test_as_many_requests_as_there_are_threads_are_served_at_once(
    question: Question, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first three requests wait at their start until all three have started: served one
    # after another, the first would wait in vain and the barrier would break.
    together = threading.Barrier(3, timeout=10)
    running, most, count = 0, 0, 0
    lock = threading.Lock()

    def started(**_: object) -> None:
        nonlocal running, most, count
        with lock:
            running += 1
            most = max(most, running)
            count += 1
            first_three = count <= 3
        if first_three:
            together.wait()

    def finished(**_: object) -> None:
        nonlocal running
        with lock:
            running -= 1

    async def five(app: Application) -> list[int]:
        answers = await asyncio.gather(
            *(exchange(app, "GET", f"/q/{question.pk}/") for _ in range(5))
        )
        return [status for status, *_rest in answers]

    monkeypatch.setenv("PONDER_THREADS", "3")  # as `ponder serve --threads 3` sets it
    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        for app in pool():
            statuses = run(five(app))
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)
    assert statuses == [200] * 5
    assert not together.broken
    assert most == 3  # three threads: never more at once


@pytest.mark.django_db(transaction=True)
def test_the_health_check_is_answered_while_every_other_request_waits_on_a_hung_database(
    question: Question, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every connection a request makes hangs (as on a PostgreSQL stopped with SIGSTOP); the
    # health check asks the database on a thread of its own, which answers.
    monkeypatch.setattr(database, "_probe", None)
    hung, released = threading.Semaphore(0), threading.Event()
    wrapper = type(connections[DEFAULT_DB_ALIAS])
    ensure_connection = wrapper.ensure_connection

    def hanging(self: object) -> None:
        if threading.current_thread().name != "db-health" and not released.is_set():
            hung.release()
            released.wait(timeout=30)
        ensure_connection(self)

    async def scene(app: Application) -> tuple[int, list[int]]:
        pages = [asyncio.create_task(exchange(app, "GET", f"/q/{question.pk}/")) for _ in range(3)]
        for _ in pages:  # each of them holds a thread, waiting on the database
            await asyncio.to_thread(hung.acquire, timeout=10)
        try:
            status, *_rest = await asyncio.wait_for(exchange(app, "GET", "/healthz"), 10)
        finally:
            released.set()
        return status, [status for status, *_rest in await asyncio.gather(*pages)]

    connections.close_all()
    monkeypatch.setattr(wrapper, "ensure_connection", hanging)
    for app in pool(4):
        health, pages = run(scene(app))
    assert health == 200
    assert pages == [200] * 3


def test_only_the_live_stream_goes_to_djangos_asgi_handler() -> None:
    def goes_async(path: str, root_path: str = "") -> bool:
        return asgi.is_coroutine_view({"path": path, "root_path": root_path})

    stream = "/api/v1/questions/abcdefghijkl/events"
    assert goes_async(stream)
    assert goes_async("/ponder" + stream, root_path="/ponder")
    for plain in ("/", "/healthz", "/q/abcdefghijkl/", "/api/v1/questions/abcdefghijkl"):
        assert not goes_async(plain), plain
    assert not goes_async("/no/such/page")  # its 404 page comes from the pool


def test_every_coroutine_view_is_routed_where_the_application_looks_for_one() -> None:
    def routes(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from routes(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern), pattern.callback

    coroutines = [r for r, view in routes(get_resolver().url_patterns) if iscoroutinefunction(view)]
    assert coroutines  # the live stream
    assert all(route.endswith(asgi.STREAM_SUFFIX) for route in coroutines), coroutines


def test_the_pool_size_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PONDER_THREADS", raising=False)
    assert asgi.threads() == asgi.DEFAULT_THREADS == 32
    monkeypatch.setenv("PONDER_THREADS", "4")
    assert asgi.threads() == 4


def test_serve_takes_the_pool_size_and_refuses_none() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ponder", "serve", "--threads", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--threads must be at least 1" in done.stderr
    helped = subprocess.run(
        [sys.executable, "-m", "ponder", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "--threads" in helped.stdout
    assert "--turns" not in helped.stdout


def test_serve_runs_with_two_malloc_arenas_unless_told_otherwise(tmp_path: Path) -> None:
    def arenas_of_serve(**env: str) -> str | None:
        environ = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
        environ |= {"PONDER_DATA_DIR": str(tmp_path), **env}
        command = [sys.executable, "-m", "ponder", "serve", "--port", "0"]
        process = subprocess.Popen(  # noqa: S603 - our own command
            [*command, "--no-worker", "--no-migrate"],
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            # What glibc read as the process started: its environment after the new start.
            for _ in range(300):
                found = re.search(rb"\0MALLOC_ARENA_MAX=([^\0]*)", _environ_of(process.pid))
                if found:
                    return found.group(1).decode()
                time.sleep(0.1)
            return None
        finally:
            process.terminate()
            process.wait(timeout=30)

    assert arenas_of_serve() == "2"
    assert arenas_of_serve(MALLOC_ARENA_MAX="4") == "4"


def _environ_of(pid: int) -> bytes:
    return b"\0" + Path(f"/proc/{pid}/environ").read_bytes()


def test_the_wsgi_environ_carries_the_request_as_django_reads_it() -> None:
    scope = {
        **scope_of("POST", "/app/q/é/", {"content-type": "text/plain", "x-tag": "a"}),
        "root_path": "/app",
        "query_string": b"page=2&x=%C3%A9",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"text/plain"),
            (b"content-length", b"4"),
            (b"x-tag", b"a"),
            (b"x-tag", b"b"),
            (b"x_forwarded_for", b"10.9.8.7"),
        ],
        "scheme": "https",
    }
    environ = asgi.environ_of(scope, b"body")
    request = WSGIRequest(environ)
    assert request.path == "/app/q/é/" and request.path_info == "/q/é/"
    assert request.GET["page"] == "2" and request.GET["x"] == "é"
    assert request.is_secure() and request.get_host() == "127.0.0.1"
    assert request.headers["X-Tag"] == "a,b"
    assert "HTTP_X_FORWARDED_FOR" not in request.META  # a name with "_" could pass for one with "-"
    assert request.content_type == "text/plain" and request.body == b"body"
    assert request.META["REMOTE_ADDR"] == "127.0.0.1" and request.META["SERVER_PORT"] == "8000"
