"""The question's side of its live stream: which question, and whether it may be streamed. The
stream itself is `ponder.live.views.stream`, which knows only ids and versions."""

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from ponder.live.db import db_read
from ponder.live.views import stream
from ponder.ratelimit import limit

from .models import Question


@db_read
def _question_version(question_id: str) -> int | None:
    return Question.objects.filter(pk=question_id).values_list("version", flat=True).first()


@limit("stream", methods=("GET",))
async def question_events(request: HttpRequest, question_id: str) -> HttpResponse:
    """`GET /q/<id>/events` and `GET /api/v1/questions/<id>/events`: the question's changes as
    server-sent events, from the version the client last saw."""
    if request.method != "GET":
        detail = {"detail": _("Only GET is allowed here.")}
        return JsonResponse(detail, status=405, headers={"Allow": "GET"})
    current = await _question_version(question_id)
    if current is None:
        raise Http404
    return await stream(request, question_id, current)
