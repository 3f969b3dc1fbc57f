"""Where notifications hear of the questions (`ponder.questions.signals`), connected when the
app is ready."""

from typing import Any

from django.http import HttpRequest
from django.utils import translation

from ponder.lib.ids import hash_secret
from ponder.questions.models import Question

from . import sending, services
from .models import Role


def on_worker_pass(*, at: Any = None, **_: Any) -> None:
    sending.run(at=at)


def on_question_asked(
    *,
    request: HttpRequest,
    question: Question,
    admin_key: str,
    email: str,
    notify: bool,
    **_: Any,
) -> None:
    """The organiser's notifications of a new question: an account's at once; an address
    given with the box ticked once it is confirmed (a link is mailed to it)."""
    base_url = request.build_absolute_uri("/").rstrip("/")
    account = getattr(request, "user", None)
    if account is not None and account.is_authenticated:
        services.account_subscribe(
            question=question,
            user=account,
            role=Role.ORGANISER,
            participant=None,
            base_url=base_url,
            language=translation.get_language(),
        )
    elif email and notify:
        services.address_subscribe(
            question=question,
            email=email,
            role=Role.ORGANISER,
            participant=None,
            admin_key_hash=hash_secret(admin_key),
            base_url=base_url,
            language=translation.get_language(),
        )
