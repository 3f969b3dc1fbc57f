"""The CSRF token in pages and answers is Django's own (`get_token`, and `{% csrf_token %}` from
Django's context processor): a page's token and the vote box's pass Django's check, a forged one
does not, and each answer masks the secret afresh."""

import re

import pytest
from django.conf import settings
from django.test import Client

from ponder.questions import services
from ponder.questions.models import Participant, Question, Vote

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="(\w+)"')


@pytest.mark.django_db
def test_a_pages_token_passes_djangos_check(question: Question) -> None:
    client = Client(enforce_csrf_checks=True)
    client.post(f"/q/{question.pk}/join/", {"name": "Ada"})  # refused: no token yet
    page = client.get(f"/q/{question.pk}/").content.decode()
    token = TOKEN.search(page)[1]
    assert client.cookies[settings.CSRF_COOKIE_NAME].value
    joined = client.post(f"/q/{question.pk}/join/", {"name": "Ada", "csrfmiddlewaretoken": token})
    assert joined.status_code == 302
    ada = Participant.objects.get(question=question, name="Ada")
    idea = services.idea_add(question=question, author=ada, title="Benches")
    page = client.get(f"/q/{question.pk}/").content.decode()
    token = TOKEN.search(page)[1]
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
    # The vote box is rendered without the request's context processors: its token, given by
    # the view, must still be this browser's, and masked afresh in every answer (BREACH).
    client = Client(enforce_csrf_checks=True)
    client.get(f"/q/{question.pk}/")
    secret_cookie = client.cookies[settings.CSRF_COOKIE_NAME].value
    headers = {"HTTP_HX_REQUEST": "true", "HTTP_X_CSRFTOKEN": secret_cookie}
    assert client.post(f"/q/{question.pk}/join/", {"name": "Ada"}, **headers).status_code < 400
    ada = Participant.objects.get(question=question, name="Ada")
    ideas = [services.idea_add(question=question, author=ada, title=t) for t in ("Bench", "Tree")]
    tokens = []
    for idea in ideas:
        answer = client.post(f"/q/{question.pk}/ideas/{idea.pk}/vote/", **headers)
        assert answer.status_code == 200
        tokens.append(TOKEN.search(answer.content.decode())[1])
    assert tokens[0] != tokens[1] and secret_cookie not in tokens
    for idea, token in zip(ideas, tokens, strict=True):
        taken_back = client.post(
            f"/q/{question.pk}/ideas/{idea.pk}/unvote/",
            {"csrfmiddlewaretoken": token},
            HTTP_HX_REQUEST="true",
        )
        assert taken_back.status_code == 200
    assert not Vote.objects.filter(idea__in=ideas).exists()
