"""The application `ponder serve` runs on uvicorn: Django's WSGI handler for the pages and the API,
Django's ASGI handler for the live stream.

Every view of Ponder is synchronous except the live stream. A synchronous request is served whole
on one thread of a fixed pool (`threads()` of them), through Django's WSGI handler: the event loop
reads the body, hands the request to a thread once, and sends the answer the thread hands back
(Django's ASGI handler passed one `GET /healthz` between the event loop and threads six times; a
WSGI-in-ASGI middleware that sends each message of the answer from the thread, three). The
threads live as long as the process, so each keeps its database connection from one request to
the next (`CONN_MAX_AGE` in settings.py) and its cache clients (`ThreadContext`). The live stream,
and any other view that is a coroutine, goes through Django's ASGI handler, where it holds no
thread while it waits.
"""

import asyncio
import contextvars
import io
import os
import sys
import threading
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application
from django.urls import Resolver404, resolve

from ponder.connections import (
    BODY_REFUSED,
    TOO_BIG,
    TOO_SLOW,
    announced_length,
    max_body,
    request_finished,
    request_started,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ponder.settings")

type Message = dict[str, Any]
type Receive = Callable[[], Awaitable[Message]]
type Send = Callable[[Message], Awaitable[None]]

# Requests served at once by one process. More than the requests that may wait on a hung
# database at once (the fault suite's: 20, and a health check): a health check must find a free
# thread while every other request waits on the database.
DEFAULT_THREADS = 32
# How the route of every coroutine view ends (ponder/urls.py).
STREAM_SUFFIX = "/events"


def threads() -> int:
    """PONDER_THREADS (`ponder serve --threads`), else `DEFAULT_THREADS`."""
    return max(1, int(os.environ.get("PONDER_THREADS", DEFAULT_THREADS)))


def is_coroutine_view(scope: Message) -> bool:
    """Whether the request's view is a coroutine: the live stream, whose route ends in
    `STREAM_SUFFIX` (test_request_pool.py checks that every coroutine view's does). Resolving
    every path took 65-140 µs, a tenth of a `/healthz`; only those paths are resolved."""
    path = scope["path"]
    if not path.endswith(STREAM_SUFFIX):
        return False
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    try:
        return iscoroutinefunction(resolve(path).func)
    except Resolver404:
        return False


async def body_head(receive: Receive, limit: int) -> list[Message] | None:
    """The request's body messages, until it ends or more than `limit` bytes have come; None
    when the client leaves before that."""
    messages, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        messages.append(message)
        size += len(message.get("body", b""))
        if not message.get("more_body", False) or size > limit:
            return messages


def replay(messages: list[Message], receive: Receive) -> Receive:
    """`receive` that gives `messages` first (a body read already), then the client's own."""
    pending = list(messages)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed


def environ_of(scope: Message, body: bytes) -> dict[str, Any]:
    """The WSGI environ (PEP 3333) of an HTTP request whose body has been read whole. Paths are
    the UTF-8 bytes read as latin-1, as Django's WSGI handler reads them back; a header sent
    more than once is joined with commas."""
    script_name = scope.get("root_path", "").encode().decode("latin-1")
    path_info = scope["path"].encode().decode("latin-1")
    if script_name and path_info.startswith(script_name):
        path_info = path_info[len(script_name) :]
    server_name, server_port = scope.get("server") or ("localhost", 80)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": script_name,
        "PATH_INFO": path_info,
        "QUERY_STRING": scope["query_string"].decode("latin-1"),
        "SERVER_NAME": server_name,
        "SERVER_PORT": str(server_port or 0),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    client = scope.get("client")
    if client is not None:
        environ["REMOTE_ADDR"], port = client
        environ["REMOTE_PORT"] = str(port)
    for raw_name, raw_value in scope["headers"]:
        if b"_" in raw_name:
            # "X_Forwarded_For" would become HTTP_X_FORWARDED_FOR, as "X-Forwarded-For" does: a
            # header a proxy let through could pass for one it sets. Dropped, as WSGI servers do.
            continue
        name = raw_name.decode("latin-1").upper().replace("-", "_")
        if raw_name.lower() not in (b"content-length", b"content-type"):
            name = f"HTTP_{name}"
        value = raw_value.decode("latin-1")
        environ[name] = f"{environ[name]},{value}" if name in environ else value
    return environ


type Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


class ThreadContext:
    """A WSGI application run on a thread pool, each thread in one context (`contextvars`) kept
    from one request to the next, as a threaded WSGI server runs it: Django's caches are kept per
    context, and made anew in a fresh one (with Redis, a new connection for each request; the
    rate limits ask it every time)."""

    def __init__(self, app: Callable[..., Iterable[bytes]], workers: int) -> None:
        self.app = app
        self.local = threading.local()
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="pages")

    async def __call__(self, environ: dict[str, Any]) -> Answer:
        """The whole answer to `environ`, made on a thread of the pool: the event loop hands the
        request over once and takes the answer back once."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self.answer, environ)

    def answer(self, environ: dict[str, Any]) -> Answer:
        context = getattr(self.local, "context", None)
        if context is None:
            context = self.local.context = contextvars.Context()
        return context.run(self.whole, environ)

    def whole(self, environ: dict[str, Any]) -> Answer:
        """Status, headers and body of the answer, read whole and then closed (which ends
        Django's request). Streamed answers are read whole too: Ponder's are static files and
        exports, of bounded size."""
        started: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None):
            started[:] = [status, headers]
            return lambda _data: None  # the `write` of PEP 3333, which Django does not use

        response = self.app(environ, start_response)
        try:
            body = b"".join(response)
        finally:
            if hasattr(response, "close"):
                response.close()
        status, headers = started
        encoded = [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in headers]
        return int(status[:3]), encoded, body


class Application:
    """Routes each HTTP request to Django's WSGI handler on the pool, or to its ASGI handler."""

    def __init__(self, workers: int | None = None) -> None:
        self.stream = get_asgi_application()
        self.pages = ThreadContext(get_wsgi_application(), workers or threads())

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.stream(scope, receive, send)
            return
        request_started(scope)
        try:
            await self.answer(scope, receive, send)
        finally:
            request_finished(scope)

    async def answer(self, scope: Message, receive: Receive, send: Send) -> None:
        # The body is read here, before any thread is taken, and only so far (ponder/
        # connections.py): a client that leaves half-way gets nothing done, a slow one holds no
        # thread, and none is written to a temporary file. One announced as too large is not
        # read at all; one too large without a length is cut at the limit; one that takes too
        # long is dropped. Django answers each refusal (413, 408) without reading further, and the
        # connection is closed after it, with the rest of the body unread.
        limit = max_body(scope)
        announced = announced_length(scope)
        refused, body = None, b""
        if announced is not None and announced > limit:
            refused = TOO_BIG
        else:
            try:
                async with asyncio.timeout(settings.PONDER_BODY_TIMEOUT):
                    head = await body_head(receive, limit)
            except TimeoutError:
                refused = TOO_SLOW
            else:
                if head is None:
                    return
                body = b"".join(message.get("body", b"") for message in head)
                if len(body) > limit:
                    refused, body = TOO_BIG, b""
                elif is_coroutine_view(scope):
                    await self.stream(scope, replay(head, receive), send)
                    return
        environ = environ_of(scope, body)
        if refused is not None:
            environ[BODY_REFUSED] = refused
        elif body and announced is None:
            # A WSGI request's body is as long as its Content-Length says, and one sent in chunks
            # has none: it is given the length read.
            environ["CONTENT_LENGTH"] = str(len(body))
        status, headers, answer = await self.pages(environ)
        if refused is not None:
            headers = [*headers, (b"connection", b"close")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": answer})


application = Application()
