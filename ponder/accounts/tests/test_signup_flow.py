"""Sign up, verify the address with the code from the mail, log in, forget the password and set
a new one with the code from the next mail: every mail through a real SMTP server, sent by the
worker from the queue, never during the request."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from ponder import mail

from .conftest import Inbox, run_worker

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = "alice@example.org"
PASSWORD = "lake house at dawn 42"
NEW_PASSWORD = "mountain hut at dusk 17"


def sign_up(client: Client) -> None:
    response = client.post(
        "/accounts/signup/",
        {"email": ADDRESS, "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302, response.content.decode()


def test_it_signs_up_verifies_logs_in_and_resets_the_password(inbox: Inbox) -> None:
    client = Client()
    sign_up(client)
    # Nothing is sent during the request: the mail waits in the queue for the worker.
    assert inbox.messages == []
    assert mail.pending() == 1
    run_worker()
    assert mail.pending() == 0
    [verification] = inbox.to(ADDRESS)

    # Logging in before the address is verified only leads back to the code.
    page = client.get("/accounts/confirm-email/")
    assert page.status_code == 200
    response = client.post("/accounts/confirm-email/", {"code": inbox.code(verification)})
    assert response.status_code == 302
    assert get_user_model().objects.get(email=ADDRESS).emailaddress_set.get().verified

    client.post("/accounts/logout/")
    fresh = Client()
    response = fresh.post("/accounts/login/", {"login": ADDRESS, "password": PASSWORD})
    assert response.status_code == 302
    assert "Log out" in fresh.get("/").content.decode()

    # Forgot password: a code by mail, then the new password.
    stranger = Client()
    response = stranger.post("/accounts/password/reset/", {"email": ADDRESS})
    assert response.status_code == 302
    run_worker()
    reset = inbox.to(ADDRESS)[-1]
    assert reset is not verification
    response = stranger.post(response.url, {"code": inbox.code(reset)})
    assert response.status_code == 302, response.content.decode()
    response = stranger.post(response.url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == 302, response.content.decode()

    again = Client()
    refused = again.post("/accounts/login/", {"login": ADDRESS, "password": PASSWORD})
    assert refused.status_code == 200
    assert (
        again.post("/accounts/login/", {"login": ADDRESS, "password": NEW_PASSWORD}).status_code
        == 302
    )
    # Each mail arrived once.
    assert len(inbox.to(ADDRESS)) == 2


def test_mail_waits_while_the_smtp_server_is_down_and_arrives_once(
    inbox: Inbox, settings: object
) -> None:
    settings.PONDER_MAIL_RETRY_SECONDS = 0  # type: ignore[attr-defined]
    inbox.stop()
    sign_up(Client())
    Client().post("/accounts/password/reset/", {"email": ADDRESS})
    for _ in range(3):
        run_worker()
    # Both are still queued, each once: a failed try queues the mail again in its own place.
    assert mail.pending() == 2
    assert inbox.messages == []

    inbox.start()
    run_worker()
    assert mail.pending() == 0
    subjects = sorted(m["Subject"] for m in inbox.to(ADDRESS))
    assert len(subjects) == 2
    assert "Confirm" in subjects[0] or "Confirm" in subjects[1]
    run_worker()
    assert len(inbox.to(ADDRESS)) == 2
