from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def too_many_requests(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """allauth's rate limits (too many logins, sign-ups or mails) answer with Ponder's page."""
    context = {
        "title": _("Too many attempts"),
        "message": _("Please wait a few minutes, then try again."),
    }
    return render(request, "errors/error.html", context, status=429)
