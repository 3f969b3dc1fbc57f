"""The live stream of a question, as server-sent events.

The domain's view for `GET /q/<id>/events` (for the page) and `GET /api/v1/questions/<id>/events`
(for programs) checks the question and hands over to `stream`, which sends one SSE message per
change: `id:` is the question's version, `event:` the type (`vote.cast`, ...), `data:` a JSON
object with `type`, `version` and the ids it concerns. A vote's message also carries what every
reader sees alike of the idea's tally (`count`, `voters`, `more`), when the reader rule shows it to
everyone (`settings.PONDER_LIVE_DESCRIBE`); for anything else browsers fetch the changed fragments
with their own cookies, so per-person state stays right.

A client that reconnects sends `Last-Event-ID` (browsers do this by themselves) or `?since=V`
and gets what it missed; one that is too far behind gets a single `refresh` message.
"""

import asyncio
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable

from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils.translation import gettext as _

from .db import db_read
from .hub import StreamEnded, hub
from .models import Event, sse_message

REPLAY_LIMIT = 1000  # further behind than this, a refresh is cheaper than a replay
RETRY_AFTER_SECONDS = 10
KEEPALIVE = b": keepalive\n\n"
# The last message of a stream whose reader may no longer read the question (or that is gone):
# the page loads again, and shows what they may see now (a gate, or that it was deleted).
ENDED = "access.ended"

# Whether the stream's reader may still read the question, after the batch of events about to
# be sent (the caller's rule: `live` knows no readers).
Recheck = Callable[[list[Event]], Awaitable[bool]]


def _ended(version: int) -> bytes:
    return sse_message(ENDED, {"type": ENDED, "version": version})


def _since(request: HttpRequest) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("since")
    try:
        return max(0, int(raw)) if raw is not None else None
    except ValueError:
        return None


@db_read
def _events_after(question_id: str, version: int) -> list[Event]:
    return list(
        Event.objects.filter(question_id=question_id, version__gt=version).order_by("version")[
            :REPLAY_LIMIT
        ]
    )


async def stream(
    request: HttpRequest, question_id: str, current: int, *, recheck: Recheck | None = None
) -> HttpResponse:
    """The live stream of question `question_id`, now at version `current`, for a request its
    caller has already let in (a GET, for a question that exists).

    Before each batch of events, `recheck` says whether the reader is still let in (the caller
    decides which events may change that); when not, or when the question is deleted, the
    stream sends `access.ended` and ends, and nothing after the change reaches them.

    Django's ASGI handler keeps one idle thread per open stream (asgiref's thread for the
    request's synchronous parts) until the stream ends: about 80 KiB of memory per connection
    (`PONDER_RATE_LIMITS=off bench/sse.py --clients 1000`)."""
    slot = hub.admit()
    if slot is None:
        response = JsonResponse(
            {"detail": _("Too many live connections on this server; retrying shortly.")},
            status=503,
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    since = _since(request)
    if since is None:
        since = current
    if not isinstance(request, ASGIRequest):
        # Under WSGI (Django's own test and development servers) a response cannot stay open
        # while others are served: send what is new and end, and ask the browser to come back
        # only after an hour. Live updates need the ASGI server (`ponder serve`); polling here
        # would hit servers that share one database connection between threads.
        slot.release()
        missed = await _events_after(question_id, since)
        last = missed[-1].version if missed else since
        body = b"retry: 3600000\n" + sse_message("hello", {"type": "hello", "version": last}, last)
        return StreamingHttpResponse(
            [body, *(event.sse for event in missed)], content_type="text/event-stream"
        )

    async def messages() -> AsyncIterator[bytes]:
        try:
            # Tell EventSource to wait 3 s before reconnecting, and confirm where we start.
            hello = sse_message("hello", {"type": "hello", "version": since}, since)
            yield b"retry: 3000\n" + hello
            start = since
            if current - since > REPLAY_LIMIT or since > current:
                yield sse_message("refresh", {"type": "refresh", "version": current}, current)
                start = current
            events = hub.listen(question_id, start)
            try:
                async for batch in events:
                    if batch and recheck is not None and not await recheck(batch):
                        yield _ended(batch[-1].version)
                        return
                    yield b"".join(event.sse for event in batch) if batch else KEEPALIVE
            except StreamEnded:
                yield _ended(start)
            finally:
                await events.aclose()
        finally:
            slot.release()

    body = messages()
    # A client that leaves before the first byte never starts the generator, so its `finally`
    # would not run: give the place back when the generator is dropped, too.
    weakref.finalize(body, slot.release)
    response = StreamingHttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each message through at once
    return response


async def merged_stream(
    request: HttpRequest,
    versions: dict[str, int],
    *,
    recheck: Callable[[str], Recheck] | None = None,
) -> HttpResponse:
    """The changes of several questions (each from its version in `versions`) as one stream,
    for a page that shows them all (a survey's): one `change` message per question and batch,
    `data:` `{"question": id, "version": v, "types": [...]}`. No replay: a client that
    reconnects gets a new `hello` with every question's version and reads again what it shows
    of an older one.

    `recheck(question_id)` says, as for `stream`, whether the reader is still let in to that
    question after a batch of its events; when not, the stream sends `access.ended` and ends."""
    slot = hub.admit()
    if slot is None:
        response = JsonResponse(
            {"detail": _("Too many live connections on this server; retrying shortly.")},
            status=503,
        )
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    # Each question's version now: a page that shows an older one fetches it again.
    hello = sse_message("hello", {"type": "hello", "versions": versions})
    if not isinstance(request, ASGIRequest):  # see `stream`: nothing stays open under WSGI
        slot.release()
        return StreamingHttpResponse(
            [b"retry: 3600000\n" + hello], content_type="text/event-stream"
        )

    async def messages() -> AsyncIterator[bytes]:
        queue: asyncio.Queue[tuple[str, list[Event]]] = asyncio.Queue()

        async def pump(question_id: str, since: int) -> None:
            events = hub.listen(question_id, since)
            try:
                async for batch in events:
                    await queue.put((question_id, batch))
            except StreamEnded:
                pass  # the question was deleted: the survey's page learns it when it reloads
            finally:
                await events.aclose()

        pumps = [asyncio.create_task(pump(q, v)) for q, v in versions.items()]
        try:
            yield b"retry: 3000\n" + hello
            while True:
                question_id, batch = await queue.get()
                if not batch:
                    yield KEEPALIVE
                    continue
                if recheck is not None and not await recheck(question_id)(batch):
                    yield _ended(batch[-1].version)
                    return
                data = {
                    "question": question_id,
                    "version": batch[-1].version,
                    "types": sorted({event.type for event in batch}),
                }
                yield sse_message("change", data)
        finally:
            for task in pumps:
                task.cancel()
            slot.release()

    body = messages()
    weakref.finalize(body, slot.release)
    response = StreamingHttpResponse(body, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response
