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
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from typing import Any

from asgiref.sync import iscoroutinefunction
from django.conf import settings
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
# Requests that run their Python at once on SQLite (see `Turns`): 2 took a tenth less CPU a page
# than 32 with 8 clients on one worker (session 9). 1 then gave pages the same rate as 2 and a
# vote a tenth less CPU (4.95 -> 4.35 ms, 4 interleaved rounds; SQLite has one writer anyway).
DEFAULT_TURNS = 1
# A turn is waited for while one has been taken or given back within this many seconds.
STALL_SECONDS = 0.05


def threads() -> int:
    return max(1, int(os.environ.get("PONDER_THREADS", DEFAULT_THREADS)))


def turns() -> int:
    """PONDER_TURNS, else `DEFAULT_TURNS` on SQLite. On PostgreSQL, where a request spends part
    of its time waiting on the database server, every thread runs at once: there, two turns
    made page S a tenth slower and votes no quicker (8 clients, one worker, three rounds)."""
    if "PONDER_TURNS" in os.environ:
        return max(1, int(os.environ["PONDER_TURNS"]))
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        return DEFAULT_TURNS
    return threads()


def ungated[V](view: V) -> V:
    """A view that waits rather than works (the health check, which waits on the database's
    answer): it is served without waiting for a turn (`Turns`)."""
    view.ungated = True  # type: ignore[attr-defined]
    return view


class Turns:
    """How many requests of one process run their Python at once.

    Only one thread runs Python at a time (the GIL). A request of the pool gives it up at every
    SQLite call and socket write, and with eight requests on eight threads each of them waits
    for it again and again, behind the others and the event loop: measured with 8 clients on one
    worker, a question page took 40 context switches and 1.5 ms of CPU, against 3 and 0.9 ms one
    at a time. So requests wait for their turn on the event loop, where waiting costs no thread,
    and `size` of them run at once.

    A turn is only waited for while the queue moves. When no turn has been taken or given back
    for `stall` seconds (every turn is held by a request waiting on a hung database, or a slow
    export), a request goes ahead without one, as all did before: nothing waits long behind a
    stuck request. Waiters are served first come, first served."""

    def __init__(self, size: int, stall: float = STALL_SECONDS) -> None:
        self.size = size
        self.stall = stall
        self._loop: asyncio.AbstractEventLoop | None = None
        self._free: asyncio.Semaphore | None = None
        self._moved = time.monotonic()  # when a turn was last taken freely or given back

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._free is None or self._loop is not loop:  # one per event loop (tests run several)
            self._loop, self._free = loop, asyncio.Semaphore(self.size)
        return self._free

    async def take(self) -> bool:
        """Wait for a turn; False when the request goes ahead without one (see above)."""
        free = self._semaphore()
        if not free.locked():
            await free.acquire()  # free: returns at once
            self._moved = time.monotonic()
            return True
        waiting = asyncio.ensure_future(free.acquire())  # its place in the queue, kept
        try:
            while True:
                done, _ = await asyncio.wait((waiting,), timeout=self.stall)
                if done:
                    return True
                if time.monotonic() - self._moved >= self.stall:
                    # Cancelled in time, or the turn came just now and is ours.
                    return not waiting.cancel()
        except asyncio.CancelledError:  # the request itself was cancelled while it waited
            if not waiting.cancel() and not waiting.cancelled():
                self.give_back()  # the turn came as it was cancelled: not to be lost
            raise

    def give_back(self) -> None:
        self._moved = time.monotonic()
        self._semaphore().release()


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
        self.turns = Turns(turns())

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        view = self._view(scope) if scope["type"] == "http" else None
        if scope["type"] != "http" or iscoroutinefunction(view):
            await super().__call__(scope, receive, send)
            return
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        with closing(body_file):
            turn = not getattr(view, "ungated", False) and await self.turns.take()
            try:
                response = await asyncio.get_running_loop().run_in_executor(
                    self.pool, self._respond, scope, body_file
                )
            finally:
                if turn:
                    self.turns.give_back()
            await self.send_response(response, send)

    @staticmethod
    def _view(scope: dict[str, Any]) -> Any:
        path = scope["path"].removeprefix(get_script_prefix(scope).rstrip("/"))
        try:
            return get_resolver().resolve(path or "/").func
        except Resolver404:
            return None

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
