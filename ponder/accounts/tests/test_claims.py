"""Logging in makes what this browser asked and wrote before the account's: the questions whose
admin keys it holds and the names it took part under. Never what another account has."""

from typing import Any

from django.contrib.auth import login
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from conftest import Person
from ponder.questions.models import Participant, Question

from .conftest import make_account


def log_in(browser: Person, account: Any) -> None:
    """Log in as the login page does (`django.contrib.auth.login`, which fires `user_logged_in`),
    with every cookie the browser holds sent along: the admin keys' cookies too, which a login
    request carries when it is made under the question's path (/q/<id>/…)."""
    request = RequestFactory().post("/accounts/login/")
    request.COOKIES = {name: morsel.value for name, morsel in browser.client.cookies.items()}
    request.session = SessionStore()
    login(request, account, backend="django.contrib.auth.backends.ModelBackend")


def ask(browser: Person, title: str) -> Question:
    response = browser.post("/", {"title": title})
    return Question.objects.get(pk=response["Location"].split("/")[2])


def test_logging_in_claims_the_questions_and_names_of_this_browser(db: None) -> None:
    browser = Person("Dana")
    asked = ask(browser, "Which venue?")
    browser.join(asked)
    elsewhere = ask(Person("Bob"), "Which date?")
    browser.join(elsewhere)
    account = make_account("dana")

    log_in(browser, account)

    asked.refresh_from_db()
    assert asked.created_by == account
    assert Participant.objects.filter(user=account).count() == 2
    elsewhere.refresh_from_db()
    assert elsewhere.created_by is None  # Bob's question: Dana only took part


def test_it_claims_nothing_of_another_browser(db: None) -> None:
    bob = Person("Bob")
    question = ask(bob, "Which venue?")
    bob.join(question)
    account = make_account("dana")

    log_in(Person("Dana"), account)

    question.refresh_from_db()
    assert question.created_by is None
    assert not Participant.objects.filter(user=account).exists()


def test_it_never_takes_over_what_another_account_has(db: None) -> None:
    browser = Person("Dana")
    question = ask(browser, "Which venue?")
    browser.join(question)
    erin = make_account("erin")
    log_in(browser, erin)  # Erin logged in on this browser first
    dana = make_account("dana")

    log_in(browser, dana)

    question.refresh_from_db()
    assert question.created_by == erin
    assert Participant.objects.get(question=question).user == erin


def test_a_wrong_admin_key_claims_nothing(db: None) -> None:
    browser = Person("Dana")
    question = ask(browser, "Which venue?")
    cookie = f"ponder_admin_{question.pk}"
    browser.client.cookies[cookie] = "not-a-signed-key"
    account = make_account("dana")

    log_in(browser, account)

    question.refresh_from_db()
    assert question.created_by is None
