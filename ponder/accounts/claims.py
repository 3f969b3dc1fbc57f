"""On logging in, what this browser asked and wrote before becomes the account's
(`services.claims_take`): this module only gathers what the login request carries."""

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from ponder.questions.access import admin_cookie_name, participant_token

from . import services

ADMIN_COOKIE_PREFIX = admin_cookie_name("")


def admin_keys_of(request: HttpRequest) -> dict[str, str]:
    """The admin keys this request carries, by question id (each a signed cookie)."""
    keys = {}
    for name in request.COOKIES:
        if name.startswith(ADMIN_COOKIE_PREFIX):
            key = request.get_signed_cookie(name, default=None)
            if key:
                keys[name.removeprefix(ADMIN_COOKIE_PREFIX)] = key
    return keys


@receiver(user_logged_in, dispatch_uid="ponder.accounts.claims")
def claim_on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is None:  # logged in outside a request (a test's force_login without one)
        return
    services.claims_take(
        account=user,
        admin_keys=admin_keys_of(request),
        participant_token=participant_token(request),
    )
