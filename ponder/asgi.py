"""The application `ponder serve` runs on uvicorn: Django's WSGI handler for the pages and the API,
Django's ASGI handler for the live stream.

Every view of Ponder is synchronous except the live stream. A synchronous request is served whole
on one thread of a fixed pool (`threads()` of them), through Django's WSGI handler, by a2wsgi's
WSGI-in-ASGI middleware: Django's synchronous middleware chain and the view run there from start
to end (Django's ASGI handler passed one `GET /healthz` between the event loop and threads six
times), and only the answer's messages go to the event loop. The threads live as long as the
process, so each keeps its database connection from one request to the next (`CONN_MAX_AGE` in
settings.py) and its cache clients (`ThreadContext`). The live stream, and any other view
that is a coroutine, goes through Django's ASGI handler, where it holds no thread while it waits.
"""

import contextvars
import os
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any

from a2wsgi import WSGIMiddleware
from asgiref.sync import iscoroutinefunction
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application
from django.urls import Resolver404, resolve

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


class ThreadContext:
    """A WSGI application run in one context (`contextvars`) per thread, kept from one request to
    the next, as a threaded WSGI server runs it. a2wsgi runs each request in a fresh copy of the
    event loop's context, where Django's caches, kept per context, would be made anew for every
    request: with Redis, a new connection for each one (the rate limits ask it every time)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.local = threading.local()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        context = getattr(self.local, "context", None)
        if context is None:
            context = self.local.context = contextvars.Context()
        return self.parts(context, context.run(self.app, environ, start_response))

    @staticmethod
    def parts(context: contextvars.Context, response: Iterable[bytes]) -> Iterator[bytes]:
        """The answer's parts, each made in `context`, and then the answer closed there (which
        ends Django's request)."""
        try:
            iterator = context.run(iter, response)
            while True:
                try:
                    yield context.run(next, iterator)
                except StopIteration:
                    return
        finally:
            if hasattr(response, "close"):
                context.run(response.close)


class Application:
    """Routes each HTTP request to Django's WSGI handler on the pool, or to its ASGI handler."""

    def __init__(self, workers: int | None = None) -> None:
        self.stream = get_asgi_application()
        pages = ThreadContext(get_wsgi_application())
        self.pages = WSGIMiddleware(pages, workers=workers or threads())

    async def __call__(self, scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_coroutine_view(scope):
            await self.stream(scope, receive, send)
            return
        # The body (up to the size Django would take) is read here, before any thread is taken:
        # a client that leaves half-way gets nothing done, and a slow one holds no thread.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
        head = await body_head(receive, limit)
        if head is None:
            return
        size = sum(len(message.get("body", b"")) for message in head)
        if size and not any(name == b"content-length" for name, _value in scope["headers"]):
            # A WSGI request's body is as long as its Content-Length says, and one sent in chunks
            # has none: it is given the length read, which Django refuses (413) beyond `limit`.
            headers = [*scope["headers"], (b"content-length", str(size).encode())]
            scope = {**scope, "headers": headers}

        async def replay() -> Message:
            return head.pop(0) if head else await receive()

        await self.pages(scope, replay, send)


application = Application()
