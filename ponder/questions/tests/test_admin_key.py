"""The organiser replaces the admin link when it reached someone who should not have it: the old
link, and every browser that opened it, lose the organiser's rights at once; the browser that
replaced it keeps them under the new link, which it is shown once.

alice organises and replaces the link; eve opened the old admin link in her own browser before."""

import re

import pytest

from conftest import Person
from ponder.lib.ids import secret_matches
from ponder.questions.models import Question


def _new_key(response) -> str:
    found = re.search(rb"/a/([0-9A-Za-z]+)/", response.content)
    assert found, response.content
    return found.group(1).decode()


@pytest.fixture
def eve(question: Question) -> Person:
    """Holds the old admin link: her browser is the organiser's until it is replaced."""
    eve = Person("Eve").organise(question, question.admin_key)
    assert eve.get(f"/q/{question.pk}/settings/").status_code == 200
    return eve


def test_the_settings_page_leads_to_the_replacement_which_asks_first(question, alice):
    settings_page = alice.get(f"/q/{question.pk}/settings/")
    assert f'href="/q/{question.pk}/admin-link/"'.encode() in settings_page.content

    asked = alice.get(f"/q/{question.pk}/admin-link/")

    assert asked.status_code == 200
    assert b"Replace the admin link?" in asked.content
    assert b'method="post"' in asked.content
    # Asking changed nothing: the old key still works.
    question_row = Question.objects.get(pk=question.pk)
    assert secret_matches(question.admin_key, question_row.admin_key_hash)


def test_replacing_shows_the_new_link_once_and_the_old_one_stops_working(question, alice, eve):
    replaced = alice.post(f"/q/{question.pk}/admin-link/")

    assert replaced.status_code == 200
    assert replaced["Cache-Control"] == "private, no-store"
    new_key = _new_key(replaced)
    assert new_key != question.admin_key
    stored = Question.objects.get(pk=question.pk).admin_key_hash
    assert secret_matches(new_key, stored)
    assert not secret_matches(question.admin_key, stored)
    # The old link finds nothing, in any browser.
    assert Person("Mallory").get(f"/q/{question.pk}/a/{question.admin_key}/").status_code == 404
    assert Person("Oscar").get(f"/q/{question.pk}/a/{new_key}/").status_code == 302


def test_a_browser_that_held_the_old_key_is_no_longer_the_organisers(question, alice, eve):
    alice.post(f"/q/{question.pk}/admin-link/")

    # Eve's cookie still holds the old key, correctly signed: it grants nothing any more.
    assert eve.client.cookies[f"ponder_admin_{question.pk}"].value
    assert eve.get(f"/q/{question.pk}/settings/").status_code == 404
    assert eve.post(f"/q/{question.pk}/close/").status_code == 404
    assert eve.post(f"/q/{question.pk}/admin-link/").status_code == 404
    page = eve.get(f"/q/{question.pk}/")
    assert b"You organise this question" not in page.content
    assert question.admin_key.encode() not in page.content
    assert Question.objects.get(pk=question.pk).closed_at is None


def test_the_browser_that_replaced_it_stays_the_organisers_under_the_new_key(question, alice):
    new_key = _new_key(alice.post(f"/q/{question.pk}/admin-link/"))

    assert alice.get(f"/q/{question.pk}/settings/").status_code == 200
    page = alice.get(f"/q/{question.pk}/")
    assert f"/q/{question.pk}/a/{new_key}/".encode() in page.content
    assert question.admin_key.encode() not in page.content


@pytest.mark.parametrize("method", ["get", "post"])
def test_only_the_organiser_may_replace_the_admin_link(question, alice, bob, mallory, method):
    for person in (bob, mallory):
        assert getattr(person, method)(f"/q/{question.pk}/admin-link/").status_code == 404
    assert secret_matches(question.admin_key, Question.objects.get(pk=question.pk).admin_key_hash)


def test_replacing_on_the_page_ends_the_old_key_in_the_api_too(question, alice):
    from ponder.api.tests.conftest import Caller

    new_key = _new_key(alice.post(f"/q/{question.pk}/admin-link/"))

    old = Caller(question.admin_key).post(f"/questions/{question.pk}/close")
    new = Caller(new_key).post(f"/questions/{question.pk}/close")
    assert (old.status_code, new.status_code) == (404, 200)


def test_the_pages_are_in_german_too(question, alice):
    asked = alice.get(f"/q/{question.pk}/admin-link/", headers={"Accept-Language": "de"})
    assert b"Admin-Link ersetzen?" in asked.content
    replaced = alice.post(f"/q/{question.pk}/admin-link/", headers={"Accept-Language": "de"})
    assert b"Ihr neuer Admin-Link" in replaced.content
