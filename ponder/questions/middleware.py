"""The domain's own middleware: embeds' cookies, and no indexing of questions. The database's
guards are in ponder/database.py."""

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from ponder.lib.ids import QUESTION_ID_REGEX

from .access import Gated, allow_cookies_in_embeds, is_embedded
from .errors import busy, gone
from .models import DeletedQuestion, deleted_question_key
from .rendering import LONG_RENDER_WAIT, RenderBusy


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
    follow them, even when a link leaks onto a public page (docs/reliability.md #23). The home page
    and the accessibility statement stay indexable."""

    PRIVATE_PREFIXES = ("/q/", "/embed/", "/api/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(self.PRIVATE_PREFIXES):
            response.setdefault("X-Robots-Tag", "noindex, nofollow")
        return response


class GateMiddleware:
    """Someone a question's access setting keeps out (`access.Gated`, raised wherever the
    question is looked up): the gate page, or a 403 in JSON."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Gated):
            from .gates import gated_answer

            return gated_answer(request, exception)
        return None


class BusyMiddleware:
    """A long render that found no free slot (`rendering.RenderBusy`): 503 with Retry-After."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RenderBusy):
            return busy(request, retry_after=int(LONG_RENDER_WAIT))
        return None


class GoneMiddleware:
    """A deleted question's links answer 410 Gone with `X-Robots-Tag: noindex` instead of 404:
    the page, its fragments, the admin link, the exports, the report, the embed, the event stream
    and the API. Asked only of a 404 that names a question (one query), so nothing else pays."""

    QUESTION_PATH = re.compile(
        rf"^/(?:q|embed|api/v1/questions)/(?P<id>{QUESTION_ID_REGEX})(?:/|$)"
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 404:
            return response
        found = self.QUESTION_PATH.match(request.path_info)
        if found is None:
            return response
        key = deleted_question_key(found["id"])
        if DeletedQuestion.objects.filter(pk=key).exists():
            return gone(request)
        return response
