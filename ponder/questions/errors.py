"""Error pages: a clear message and the right status, as a page or (under /api/) as JSON."""

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def answer(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    """An error page (JSON for the API and for clients that ask for JSON)."""
    if request.path.startswith("/api/") or request.headers.get("Accept", "").startswith(
        "application/json"
    ):
        return JsonResponse({"detail": message}, status=status)
    context = {"title": title, "message": message, "status": status}
    return render(request, "errors/error.html", context, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig | TooManyFieldsSent):
        return answer(
            request,
            413,
            _("Too much at once"),
            _("What you sent is larger than this site accepts. Shorten it and try again."),
        )
    return answer(request, 400, _("Bad request"), _("The request could not be understood."))


def request_timeout(request: HttpRequest) -> HttpResponse:
    """A body that did not arrive in time (PONDER_BODY_TIMEOUT): a connection too slow, or gone."""
    return answer(
        request,
        408,
        _("Too slow"),
        _("What you sent took too long to arrive. Check your connection and try again."),
    )


def busy(request: HttpRequest, *, retry_after: int) -> HttpResponse:
    """The server is too busy for this (long) page just now: 503, and when to come back."""
    response = answer(
        request,
        503,
        _("Try again in a moment"),
        _("Ponder is busy showing long pages just now. Try again in a moment."),
    )
    response["Retry-After"] = str(retry_after)
    return response


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return answer(request, 403, _("Not allowed"), _("You are not allowed to do this."))


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return answer(
        request,
        404,
        _("Not found"),
        _("There is nothing here. Check that the link is complete, or ask for a new one."),
    )


def gone(request: HttpRequest) -> HttpResponse:
    """A deleted question's links: 410 Gone, so that search engines drop them at once."""
    response = answer(
        request,
        410,
        _("Deleted"),
        _("This question was deleted by its organiser. Nothing of it is kept."),
    )
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "no-store"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    return answer(
        request,
        500,
        _("Something went wrong"),
        _("This is our fault, not yours. Nothing you had saved is lost; please try again."),
    )
