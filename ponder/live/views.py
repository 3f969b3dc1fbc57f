"""The live stream of a question, as server-sent events.

`GET /q/<id>/events` (for the page) and `GET /api/v1/questions/<id>/events` (for programs) send
one SSE message per change: `id:` is the question's version, `event:` the type (`vote.cast`, ...),
`data:` a JSON object with `type`, `version` and the ids it concerns. Messages carry ids only;
browsers fetch the changed fragments with their own cookies, so per-person state stays right.

A client that reconnects sends `Last-Event-ID` (browsers do this by themselves) or `?since=V`
and gets what it missed; one that is too far behind gets a single `refresh` message.
"""

import json
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils.translation import gettext as _

from ponder.questions.models import Question

from .hub import hub, latest_version

KEEPALIVE_SECONDS = 15
REPLAY_LIMIT = 1000  # further behind than this, a refresh is cheaper than a replay


def _sse(kind: str, data: dict[str, object], event_id: int | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _since(request: HttpRequest) -> int | None:
    raw = request.headers.get("Last-Event-ID") or request.GET.get("since")
    try:
        return max(0, int(raw)) if raw is not None else None
    except ValueError:
        return None


@sync_to_async(thread_sensitive=False)
def _question_version(question_id: str) -> int | None:
    return Question.objects.filter(pk=question_id).values_list("version", flat=True).first()


async def question_events(request: HttpRequest, question_id: str) -> HttpResponse:
    if request.method != "GET":
        detail = {"detail": _("Only GET is allowed here.")}
        return JsonResponse(detail, status=405, headers={"Allow": "GET"})
    current = await _question_version(question_id)
    if current is None:
        raise Http404
    if hub.connections >= settings.PONDER_MAX_STREAMS:
        response = JsonResponse(
            {"detail": _("Too many live connections on this server; retrying shortly.")},
            status=503,
        )
        response["Retry-After"] = "10"
        return response
    since = _since(request)
    if since is None:
        since = current

    async def stream() -> AsyncIterator[str]:
        # Tell EventSource to wait 3 s before reconnecting, and confirm where we start.
        yield f"retry: 3000\n{_sse('hello', {'type': 'hello', 'version': since}, since)}"
        start = since
        if current - since > REPLAY_LIMIT or since > current:
            yield _sse("refresh", {"type": "refresh", "version": current}, current)
            start = current
        events = hub.listen(question_id, start, idle=KEEPALIVE_SECONDS)
        try:
            async for event in events:
                if event is None:
                    yield ": keepalive\n\n"
                else:
                    yield _sse(event.type, event.as_dict(), event.version)
        finally:
            await events.aclose()

    response = StreamingHttpResponse(stream(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each message through at once
    return response


__all__ = ["latest_version", "question_events"]
