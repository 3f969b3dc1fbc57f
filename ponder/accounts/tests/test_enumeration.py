"""Sign-up and "Forgot password?" answer the same for an address with an account and one
without: the same status, the same page, so nobody learns who has an account here."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

pytestmark = pytest.mark.django_db

KNOWN = "bob@example.org"
UNKNOWN = "nobody@example.org"


@pytest.fixture(autouse=True)
def bob() -> None:
    user = get_user_model().objects.create_user("bob", KNOWN, "a long old password 1")
    user.emailaddress_set.create(email=KNOWN, verified=True, primary=True)


def comparable(html: str) -> str:
    """The page without what differs on every answer anyway (CSRF tokens, nonces)."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    html = re.sub(r'"X-CSRFToken": "[^"]+"', "", html)
    return re.sub(r'nonce="[^"]+"', "", html)


def answer(path: str, data: dict[str, str]) -> tuple[int, str, str]:
    client = Client()
    response = client.post(path, data, follow=True)
    final = response.redirect_chain[-1][0] if response.redirect_chain else path
    return response.status_code, final, comparable(response.content.decode())


def test_sign_up_answers_the_same_for_a_known_and_an_unknown_address() -> None:
    password = "a brand new password 7"
    known = answer(
        "/accounts/signup/", {"email": KNOWN, "password1": password, "password2": password}
    )
    unknown = answer(
        "/accounts/signup/", {"email": UNKNOWN, "password1": password, "password2": password}
    )
    assert known[0] == unknown[0] == 200
    assert known[1] == unknown[1]
    assert known[2].replace(KNOWN, UNKNOWN) == unknown[2]


def test_password_reset_answers_the_same_for_a_known_and_an_unknown_address() -> None:
    known = answer("/accounts/password/reset/", {"email": KNOWN})
    unknown = answer("/accounts/password/reset/", {"email": UNKNOWN})
    assert known[0] == unknown[0] == 200
    assert known[1] == unknown[1]
    assert known[2].replace(KNOWN, UNKNOWN) == unknown[2]
