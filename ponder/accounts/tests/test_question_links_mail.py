"""Asked without an account, a question's two links can be mailed to the organiser: one mail
with both, sent by the worker; the address is kept nowhere once it is sent."""

import json

import pytest
from django.test import Client

from ponder import mail
from ponder.questions.models import Question

from .conftest import Inbox, run_worker

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = "organiser@example.org"


def links_in(inbox: Inbox) -> str:
    [message] = inbox.to(ADDRESS)
    return inbox.text(message)


def test_the_create_form_mails_the_share_and_admin_links_once(inbox: Inbox) -> None:
    client = Client()
    response = client.post("/", {"title": "Where to meet?", "email": ADDRESS})
    assert response.status_code == 302
    question = Question.objects.get()
    run_worker()
    run_worker()
    text = links_in(inbox)
    assert f"http://testserver/q/{question.pk}/" in text
    admin_link = next(line for line in text.splitlines() if f"/q/{question.pk}/a/" in line)
    assert client.get(admin_link.removeprefix("http://testserver")).status_code == 302
    assert "Where to meet?" in inbox.to(ADDRESS)[0]["Subject"]
    # Sent, and forgotten: the address is in no table any more.
    assert mail.pending() == 0
    from django_tasks_db.models import DBTaskResult

    assert not DBTaskResult.objects.exists()


def test_the_api_mails_the_links_too(inbox: Inbox) -> None:
    response = Client().post(
        "/api/v1/questions",
        json.dumps({"title": "Where to meet?", "email": ADDRESS}),
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert "email" not in body
    run_worker()
    text = links_in(inbox)
    assert body["share_url"] in text
    assert body["admin_url"] in text


def test_a_bad_address_is_a_form_error_and_a_400_and_nothing_is_sent(inbox: Inbox) -> None:
    page = Client().post("/", {"title": "Where to meet?", "email": "not an address"})
    assert page.status_code == 422
    assert "Enter a valid email address." in page.content.decode()
    api = Client().post(
        "/api/v1/questions",
        json.dumps({"title": "Where to meet?", "email": "not an address"}),
        content_type="application/json",
    )
    assert api.status_code == 400
    assert "email" in api.json()["detail"]
    assert not Question.objects.exists()
    run_worker()
    assert inbox.messages == []


def test_without_an_address_no_mail_is_queued() -> None:
    assert Client().post("/", {"title": "Where to meet?"}).status_code == 302
    assert mail.pending() == 0
