"""The CSRF token a response's forms carry: Django's, masked in one draw of randomness."""

import os
from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token
from django.utils.functional import SimpleLazyObject

_BASE = len(CSRF_ALLOWED_CHARS)  # 62 letters and digits
_INDEX = {char: index for index, char in enumerate(CSRF_ALLOWED_CHARS)}


def csrf_token(request: HttpRequest) -> str:
    """What `django.middleware.csrf.get_token` returns: the request's CSRF secret under a fresh
    random mask (so that the token differs in every response; BREACH), as Django's middleware
    unmasks it. Django draws the mask a letter at a time, 32 reads of the system's random source
    (36 µs, on every page and vote); here it is one read of 256 bits. 62**32 < 2**191, so each
    mask is uniform to within 2**-65."""
    secret = request.META.get("CSRF_COOKIE")
    if secret is None or len(secret) != CSRF_SECRET_LENGTH:
        return get_token(request)  # no secret yet: Django makes one (and its cookie)
    number = int.from_bytes(os.urandom(32))
    mask: list[str] = []
    cipher: list[str] = []
    for char in secret:  # Django's middleware keeps only letters and digits there
        number, drawn = divmod(number, _BASE)
        mask.append(CSRF_ALLOWED_CHARS[drawn])
        cipher.append(CSRF_ALLOWED_CHARS[(_INDEX[char] + drawn) % _BASE])
    # As get_token: the cookie is sent again, to renew its expiry.
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    return "".join(mask) + "".join(cipher)


def context(request: HttpRequest) -> dict[str, Any]:
    """A context processor: `{% csrf_token %}` with `csrf_token`, in place of the one Django
    always adds (it comes first; this one, listed in settings, overrides it)."""
    return {"csrf_token": SimpleLazyObject(lambda: csrf_token(request))}
