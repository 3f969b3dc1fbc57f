"""`ponder serve`'s ASGI application (ponder/lib/handler.py): each plain request is served whole on
one thread of a fixed pool; the live stream goes through Django's own ASGI handler.

The application is called here as uvicorn calls it (scope, receive, send), in-process, against the
test database; the same application under `ponder serve` is what tests/live and the browser
tests talk to.
"""

import asyncio
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref import sync
from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core import signals
from django.db import connection
from django.test import Client

from ponder.lib import handler
from ponder.lib.handler import PooledASGIHandler
from ponder.questions.models import Question

CSRF = "a" * 32  # any 32 letters: Django takes a token of that length as its unmasked secret


def call(
    app: PooledASGIHandler,
    method: str,
    path: str,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    leave_early: bool = False,
) -> tuple[int | None, dict[bytes, list[bytes]], bytes, list[dict[str, Any]]]:
    """One request as uvicorn hands it over; the body comes in two parts, as a slow client sends
    it. Returns the status, the headers, the body and every message sent."""
    head = {"host": "127.0.0.1", **(headers or {})}
    if body:
        head["content-length"] = str(len(body))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.encode(), v.encode()) for k, v in head.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    half = len(body) // 2
    incoming = [
        {"type": "http.request", "body": body[:half], "more_body": True},
        {"type": "http.request", "body": body[half:], "more_body": False},
    ]
    if leave_early:
        incoming = [incoming[0], {"type": "http.disconnect"}]
    sent: list[dict[str, Any]] = []

    async def run() -> None:
        answered = asyncio.Event()

        async def receive() -> dict[str, Any]:
            if incoming:
                return incoming.pop(0)
            await answered.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(scope, receive, send)
        answered.set()

    asyncio.run(run())
    if not sent:
        return None, {}, b"", sent
    received: dict[bytes, list[bytes]] = {}
    for name, value in sent[0]["headers"]:
        received.setdefault(name.lower(), []).append(value)
    return sent[0]["status"], received, b"".join(m.get("body", b"") for m in sent[1:]), sent


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[PooledASGIHandler]:
    monkeypatch.setenv("PONDER_THREADS", "1")  # one thread: every request finds the same one
    application = PooledASGIHandler()
    yield application
    application.pool.shutdown(wait=True)


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
    app: PooledASGIHandler, question: Question, on_request_threads: list, hops: list[str]
) -> None:
    status, headers, body, _sent = call(app, "GET", f"/q/{question.pk}/")
    assert status == 200
    assert question.title.encode() in body
    assert headers[b"content-type"] == [b"text/html; charset=utf-8"]
    # The CSRF cookie the page's forms need comes with it.
    assert any(cookie.startswith(b"csrftoken=") for cookie in headers[b"set-cookie"])
    # Start, middleware, view and end on one thread of the pool; no asgiref hand-over at all
    # (Django's ASGI handler made six for this page, and ran it on a thread of its own).
    names = {name for _signal, name, _db in on_request_threads}
    assert len(names) == 1 and names.pop().startswith("ponder-request"), on_request_threads
    assert [s for s, _name, _db in on_request_threads] == ["started", "finished"]
    assert hops == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="PostgreSQL connections come from a pool and go back to it after every request",
)
def test_a_pool_thread_keeps_its_sqlite_connection_from_one_request_to_the_next(
    app: PooledASGIHandler, question: Question, on_request_threads: list
) -> None:
    for _ in range(3):
        assert call(app, "GET", f"/q/{question.pk}/")[0] == 200
    # The thread's first request opens it; every later start and end finds the same one open.
    assert on_request_threads[0][2] is None
    connections = [db for _signal, _name, db in on_request_threads[1:]]
    assert len(connections) == 5 and connections[0] is not None
    assert all(db is connections[0] for db in connections), on_request_threads


@pytest.mark.django_db(transaction=True)
def test_a_form_post_is_read_whole_and_its_cookies_come_back(
    app: PooledASGIHandler, question: Question
) -> None:
    body = f"csrfmiddlewaretoken={CSRF}&language=de&next=/q/{question.pk}/".encode()
    status, headers, _body, _sent = call(
        app,
        "POST",
        "/i18n/setlang/",
        body=body,
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
def test_a_post_without_its_csrf_token_is_refused_as_before(
    app: PooledASGIHandler, question: Question
) -> None:
    status, _headers, body, _sent = call(
        app,
        "POST",
        "/i18n/setlang/",
        body=b"language=de",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert status == 403
    assert b"CSRF" in body or b"csrf" in body


@pytest.mark.django_db(transaction=True)
def test_a_streamed_answer_arrives_whole_in_parts(app: PooledASGIHandler) -> None:
    # Static files are streamed (WhiteNoise's FileResponse); read here as Django's test client
    # reads them, and compared.
    path = "/static/vendor/htmx-2.0.11.min.js"
    expected = b"".join(Client().get(path).streaming_content)
    status, headers, body, sent = call(app, "GET", path)
    assert status == 200
    assert body == expected and len(body) > 10_000
    assert headers[b"content-length"] == [str(len(expected)).encode()]
    assert sent[-1] == {"type": "http.response.body"}  # the closing message, no body left
    assert all(m.get("more_body") for m in sent[1:-1])


@pytest.mark.django_db(transaction=True)
def test_a_client_that_leaves_before_its_body_has_come_gets_nothing(
    app: PooledASGIHandler, on_request_threads: list
) -> None:
    status, _headers, _body, sent = call(
        app, "POST", "/i18n/setlang/", body=b"language=de&next=/", leave_early=True
    )
    assert status is None and sent == []
    assert on_request_threads == []  # nothing of Django ran


def test_only_the_live_stream_goes_to_djangos_asgi_handler() -> None:
    def goes_async(path: str, root_path: str = "") -> bool:
        return iscoroutinefunction(PooledASGIHandler._view({"path": path, "root_path": root_path}))

    stream = "/api/v1/questions/abcdefghijkl/events"
    assert goes_async(stream)
    assert goes_async("/ponder" + stream, root_path="/ponder")
    for plain in ("/", "/healthz", "/q/abcdefghijkl/", "/api/v1/questions/abcdefghijkl"):
        assert not goes_async(plain), plain
    assert not goes_async("/no/such/page")  # its 404 page comes from the pool


def test_the_pool_size_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PONDER_THREADS", raising=False)
    assert handler.threads() == handler.DEFAULT_THREADS
    monkeypatch.setenv("PONDER_THREADS", "4")
    assert handler.threads() == 4


@pytest.mark.parametrize("option", ["--threads", "--turns"])
def test_serve_takes_the_pool_size_and_turns_and_refuses_none(option: str) -> None:
    done = subprocess.run(  # noqa: S603 - our own command, a fixed option
        [sys.executable, "-m", "ponder", "serve", option, "0"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert f"{option} must be at least 1" in done.stderr
    helped = subprocess.run(
        [sys.executable, "-m", "ponder", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert option in helped.stdout
