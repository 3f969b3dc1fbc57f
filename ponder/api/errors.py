"""The API's errors: JSON `{"detail": ...}` with the right status, whatever refused the request
(a rule of the question, a missing token, pydantic, ninja, or Django reading the body).

400 names each field, 401 asks for a token, 403 says what to do first, 404 hides what does not exist
or is not yours, 405 says which methods a path takes, 409 is a rule of the question (closed, vote
cap, deleted meanwhile), 413 a body over the limit.
"""

import functools
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja.errors import AuthenticationError, HttpError, ValidationError

from ponder.questions.access import Gated
from ponder.questions.gates import gated_json
from ponder.questions.services import ActionRefused


class Invalid(Exception):
    """Input that a rule refused: [(field, message)], answered with 400."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__(errors)
        self.errors = errors

    @classmethod
    def of_form(cls, form: Any, *, name: Callable[[str], str] | None = None) -> "Invalid":
        """A page form's errors as the API's, every message of each field: the pages and the API
        share one set of rules and messages. `name` says a field's name in the API (the form's
        own, and "body" for what concerns no one field, by default)."""
        named = name or (lambda field: "body" if field == "__all__" else field)
        return cls(
            [
                (named(field), str(message))
                for field, messages in form.errors.items()
                for message in messages
            ]
        )


# A body with 20,000 unknown keys was answered with 2 MB of errors in 0.66 s: the first are
# enough to put the request right.
MAX_ERRORS = 20


def _detail(status: int, message: str, **extra: Any) -> HttpResponse:
    response = JsonResponse({"detail": message, **extra}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response


def _invalid(request: HttpRequest, exc: Invalid, *, more: int = 0) -> HttpResponse:
    """400 naming each field; `more`: how many further problems were found and left out."""
    detail = " ".join(f"{field}: {message}" for field, message in exc.errors)
    errors = [{"field": field, "message": message} for field, message in exc.errors]
    if more > 0:
        detail += " " + ngettext(
            "%(count)d more problem is not listed.", "%(count)d more problems are not listed.", more
        ) % {"count": more}
    return _detail(400, detail, errors=errors)


def _field_name(location: tuple[Any, ...]) -> str:
    # ("body", "payload", "settings", "max_votes") -> "settings.max_votes"; ("query", "offset")
    # -> "offset"
    if location[:1] == ("query",):
        return ".".join(str(part) for part in location[1:]) or "query"
    parts = [str(part) for part in location[2:]] if location[:1] == ("body",) else []
    return ".".join(parts) or "body"


def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Ninja answers 422 with pydantic's details; we answer 400 naming each field (P10), and 404
    for a malformed id in the path, like any unknown id."""
    if any(error["loc"][:1] == ("path",) for error in exc.errors):
        return _not_found(request, Http404())
    messages = {
        "missing": _("This field is required."),
        "extra_forbidden": _("There is no such field."),
    }
    problems = [
        (_field_name(tuple(error["loc"])), messages.get(error["type"], error["msg"]))
        for error in exc.errors[:MAX_ERRORS]
    ]
    more = len(exc.errors) - len(problems)
    return _invalid(request, Invalid(problems), more=more)


def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    message = _("There is nothing here. Check that the link is complete, or ask for a new one.")
    return _detail(404, message)


def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    message = exc.message
    if message == "Unauthorized":  # ninja's own, when no token came
        message = _("Send your token as: Authorization: Bearer <token>.")
    return _detail(401, message)


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    message = exc.message
    if exc.status_code == 400:  # ninja could not read the body
        message = _("The request body is not valid JSON.")
    return _detail(exc.status_code, message)


# A refusal by a rule of the question; disabled ideas or pros and cons are not this person's to add.
REFUSED = {
    "ideas_disabled": 403,
    "arguments_disabled": 403,
    "reason": 400,
    "note": 400,
    "same_idea": 400,
    "other_question": 400,
}


def _refused(request: HttpRequest, exc: ActionRefused) -> HttpResponse:
    if exc.field:  # input over a limit the organiser set: 400 naming the field
        return _invalid(request, Invalid([(exc.field, exc.message)]))
    return _detail(REFUSED.get(exc.code, 409), exc.message, code=exc.code)


def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    message = _("What you sent is larger than this site accepts. Shorten it and try again.")
    return _detail(413, message)


def json_405(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Ninja answers a method a path does not have with a plain-text 405; we answer in JSON."""

    @functools.wraps(view)
    def answer(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            detail = _("This address does not take %(method)s; it takes %(allowed)s.") % {
                "method": request.method,
                "allowed": response["Allow"],
            }
            response = JsonResponse(
                {"detail": detail}, status=405, headers={"Allow": response["Allow"]}
            )
        return response

    return answer


def _gated(request: HttpRequest, exc: Gated) -> HttpResponse:
    """Kept out by the question's access setting: 403, saying what is needed (`needs`)."""
    return gated_json(exc)


HANDLERS: dict[type[Exception], Callable[[HttpRequest, Any], HttpResponse]] = {
    Invalid: _invalid,
    ValidationError: _validation_error,
    Http404: _not_found,
    AuthenticationError: _unauthenticated,  # ninja picks the closest class: before HttpError
    HttpError: _http_error,
    ActionRefused: _refused,
    RequestDataTooBig: _too_big,
    Gated: _gated,
}
