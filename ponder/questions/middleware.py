from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from .access import allow_cookies_in_embeds, is_embedded


class DatabaseUnavailableMiddleware:
    """A database that is down, locked or full answers 503 with Retry-After, never 500.

    Nothing acknowledged is lost: the failed transaction rolled back, and the person is told to
    try again in a moment (RELIABILITY.md section 6)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        message = _(
            "Ponder cannot reach its database just now. Nothing was changed; try again in a moment."
        )
        if request.path.startswith("/api/"):
            response: HttpResponse = JsonResponse({"detail": message}, status=503)
        else:
            body = render_to_string(
                "errors/error.html",
                {"title": _("Try again in a moment"), "message": message, "status": 503},
            )
            response = HttpResponse(body, status=503)
        response["Retry-After"] = "5"
        return response


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
