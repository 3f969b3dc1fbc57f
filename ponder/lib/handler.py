"""Django's ASGI handler, with each plain request served whole on one thread of a fixed pool.

Django's own ASGI handler runs a synchronous view behind synchronous and async-capable
middleware by passing the request between the event loop and threads: six times for one
`GET /healthz` here (each middleware's `process_request` and `process_response` is a hop of its
own), and on a thread made for the request alone, so no database connection outlives its request.
Measured in-process (one request after another, SQLite): `/healthz` 6.0 ms through Django's
handler, 2.5 ms through its WSGI handler.

Every view of Ponder is synchronous except the live stream. So a request whose view is a plain
function goes to one thread of `pool` once, with its body already read, and that thread runs
Django's synchronous middleware chain, the view, and (for a streaming answer) its iterator; the
loop only sends the answer. The threads live as long as the process, so SQLite connections are
kept from one request to the next (`CONN_MAX_AGE` in settings.py): no new connection, schema
read and cold page cache per request. The live stream, and anything else whose view is a
coroutine, goes through Django's ASGI handler unchanged.

The request object is Django's `ASGIRequest` either way, made from the same scope and body.
"""

import asyncio
import os
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.http import FileResponse, HttpResponseBase
from django.urls import Resolver404, get_resolver, set_script_prefix

# Requests served at once by one process. More than the clients of RELIABILITY.md #8 (20 clients
# and a health check while PostgreSQL hangs): a health check must find a free thread while every
# other request waits on the database.
DEFAULT_THREADS = 32


def threads() -> int:
    return max(1, int(os.environ.get("PONDER_THREADS", DEFAULT_THREADS)))


class _SyncHandler(BaseHandler):
    """Django's middleware chain and view, synchronous throughout (as under WSGI)."""

    def __init__(self) -> None:
        super().__init__()
        self.load_middleware(is_async=False)


class PooledASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        super().__init__()  # the async chain, for coroutine views (the live stream)
        self.sync = _SyncHandler()
        self.pool = ThreadPoolExecutor(max_workers=threads(), thread_name_prefix="ponder-request")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self._view_is_async(scope):
            await super().__call__(scope, receive, send)
            return
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        with closing(body_file):
            response = await asyncio.get_running_loop().run_in_executor(
                self.pool, self._respond, scope, body_file
            )
            await self.send_response(response, send)

    @staticmethod
    def _view_is_async(scope: dict[str, Any]) -> bool:
        path = scope["path"].removeprefix(get_script_prefix(scope).rstrip("/"))
        try:
            match = get_resolver().resolve(path or "/")
        except Resolver404:
            return False
        return iscoroutinefunction(match.func)

    def _respond(self, scope: dict[str, Any], body_file: Any) -> HttpResponseBase:
        """On a pool thread: the whole of Django's work for one request. A streaming answer is
        read here and handed to the loop as an async iterator over its parts (Django's ASGI
        handler reads a synchronous iterator whole too, on another hand-over)."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.sync.get_response(request)
            response._handler_class = self.__class__
        try:
            if response.streaming:
                if isinstance(response, FileResponse):
                    response.block_size = self.chunk_size
                response.streaming_content = _replay(list(response.streaming_content))
        finally:
            response.close()  # sends request_finished: this thread's connections are checked
        return response


async def _replay(parts: list[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part
