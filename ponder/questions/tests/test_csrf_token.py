"""The CSRF token in pages and answers (`ponder/lib/csrf.py`): Django's secret under a fresh mask,
drawn in one read of randomness, and taken by Django's CSRF check like its own."""

import re

import pytest
from django.conf import settings
from django.middleware.csrf import CSRF_ALLOWED_CHARS, _unmask_cipher_token
from django.template import engines
from django.test import Client, RequestFactory

from ponder.lib import csrf
from ponder.questions import services
from ponder.questions.models import Participant, Question, Vote

SECRET = "Ab3" * 10 + "Zz"  # 32 letters and digits, as Django keeps the secret in META


def _request(secret: str | None = SECRET):
    request = RequestFactory().get("/")
    if secret is not None:
        request.META["CSRF_COOKIE"] = secret
    return request


def test_the_token_is_the_secret_under_a_fresh_mask() -> None:
    request = _request()
    tokens = {csrf.csrf_token(request) for _ in range(200)}
    assert len(tokens) == 200  # a new mask every time
    for token in tokens:
        assert len(token) == 64 and set(token) <= set(CSRF_ALLOWED_CHARS)
        assert _unmask_cipher_token(token) == SECRET
    # As Django's get_token: the cookie is sent again to renew it.
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


def test_every_letter_turns_up_in_every_place_of_the_mask() -> None:
    # 62 letters in each of 32 places over 3,000 masks: a mask drawn from too few bits, or a
    # place that never changes, leaves some letter out (each is missed by chance with p < 1e-20).
    masks = [csrf.csrf_token(_request())[:32] for _ in range(3000)]
    for place in range(32):
        assert {mask[place] for mask in masks} == set(CSRF_ALLOWED_CHARS), place


def test_without_a_secret_django_makes_one() -> None:
    request = _request(secret=None)
    token = csrf.csrf_token(request)
    assert _unmask_cipher_token(token) == request.META["CSRF_COOKIE"]


def test_templates_get_this_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csrf, "csrf_token", lambda request: "TheTokenOfPonderLibCsrf")
    template = engines["django"].from_string("{% csrf_token %}")
    html = template.render({}, _request())
    assert 'value="TheTokenOfPonderLibCsrf"' in html


@pytest.mark.django_db
def test_a_pages_token_passes_djangos_check(question: Question) -> None:
    client = Client(enforce_csrf_checks=True)
    client.post(f"/q/{question.pk}/join/", {"name": "Ada"})  # refused: no token yet
    page = client.get(f"/q/{question.pk}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="(\w+)"', page)[1]
    assert client.cookies[settings.CSRF_COOKIE_NAME].value
    joined = client.post(f"/q/{question.pk}/join/", {"name": "Ada", "csrfmiddlewaretoken": token})
    assert joined.status_code == 302
    ada = Participant.objects.get(question=question, name="Ada")
    idea = services.idea_add(question=question, author=ada, title="Benches")
    page = client.get(f"/q/{question.pk}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="(\w+)"', page)[1]
    voted = client.post(f"/q/{question.pk}/ideas/{idea.pk}/vote/", {"csrfmiddlewaretoken": token})
    assert voted.status_code == 302
    assert Vote.objects.filter(idea=idea).count() == 1
    forged = token[:-1] + ("a" if token[-1] != "a" else "b")
    refused = client.post(
        f"/q/{question.pk}/ideas/{idea.pk}/unvote/", {"csrfmiddlewaretoken": forged}
    )
    assert refused.status_code == 403
    assert Vote.objects.filter(idea=idea).count() == 1


@pytest.mark.django_db
def test_the_vote_box_answered_in_place_carries_a_token_that_passes(question: Question) -> None:
    # The vote box is filled in from a stencil, not rendered with the request's context
    # processors: its token must still be this browser's.
    client = Client(enforce_csrf_checks=True)
    client.get(f"/q/{question.pk}/")
    secret_cookie = client.cookies[settings.CSRF_COOKIE_NAME].value
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_X_CSRFTOKEN": secret_cookie}
    assert client.post(f"/q/{question.pk}/join/", {"name": "Ada"}, **headers).status_code < 400
    ada = Participant.objects.get(question=question, name="Ada")
    idea = services.idea_add(question=question, author=ada, title="Benches")
    answer = client.post(f"/q/{question.pk}/ideas/{idea.pk}/vote/", **headers)
    assert answer.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="(\w+)"', answer.content.decode())[1]
    assert _unmask_cipher_token(token) == secret_cookie
    taken_back = client.post(
        f"/q/{question.pk}/ideas/{idea.pk}/unvote/",
        {"csrfmiddlewaretoken": token},
        HTTP_HX_REQUEST="true",
    )
    assert taken_back.status_code == 200
    assert not Vote.objects.filter(idea=idea).exists()
