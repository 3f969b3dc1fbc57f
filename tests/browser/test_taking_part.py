"""Who may take part, in Chromium: the gate pages and the organiser's new panels pass axe-core's
WCAG 2.2 A/AA rules wide and narrow, work by keyboard alone, and speak German."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.hashers import make_password
from playwright.sync_api import Browser, expect

from ponder.questions import invitations, services
from ponder.questions.models import Question

from .conftest import Person, assert_no_violations, german_context, scan, scan_context, tab_to

pytestmark = pytest.mark.browser
PASSWORD = "open sesame"


@dataclass
class Gated:
    question: Question
    admin_key: str
    invitation_key: str


@pytest.fixture
def gated(transactional_db: None) -> Gated:
    question, admin_key = services.question_create(title="Which room for the retreat?")
    organiser, _ = services.participant_join(question=question, name="Olga", organiser=True)
    services.idea_add(question=question, author=organiser, title="The lake house")
    Question.objects.filter(pk=question.pk).update(
        taking_part="password", password_hash=make_password(PASSWORD)
    )
    key = invitations.invitation_create_links(question=question, count=1)[0].key
    return Gated(question=question, admin_key=admin_key, invitation_key=key)


def _mode(question: Question, mode: str) -> None:
    Question.objects.filter(pk=question.pk).update(taking_part=mode)


@pytest.mark.parametrize(("scheme", "width"), [("light", "360"), ("dark", "1280")])
def test_the_gates_and_the_panels_pass_axe(live_server, gated, browser: Browser, scheme, width):
    context = scan_context(browser, scheme, width)
    page = context.new_page()
    base, q = live_server.url, gated.question.pk
    found: dict[str, list] = {}

    page.goto(f"{base}/q/{q}/")
    expect(page.get_by_role("heading", name="Enter the password")).to_be_visible()
    scan(page, "password gate", found)
    page.get_by_label("Password", exact=True).fill("wrong")
    with page.expect_navigation():
        page.get_by_role("button", name="Enter").click()
    expect(page.get_by_text("This is not the password")).to_be_visible()
    scan(page, "password gate with an error", found)
    _mode(gated.question, "account")
    page.goto(f"{base}/q/{q}/")
    scan(page, "account gate", found)
    _mode(gated.question, "invitation")
    page.goto(f"{base}/q/{q}/")
    scan(page, "invitation gate", found)
    page.goto(f"{base}/q/{q}/i/{gated.invitation_key}/")
    scan(page, "invitation, asked to go on", found)

    page.goto(f"{base}/q/{q}/a/{gated.admin_key}/")
    page.goto(f"{base}/q/{q}/settings/")
    scan(page, "settings with who may take part", found)
    page.get_by_label("Or this many personal links").fill("2")
    with page.expect_navigation():
        page.get_by_role("button", name="Invite").click()
    expect(page.get_by_text("copy them now")).to_be_visible()
    scan(page, "settings with new links", found)
    page.get_by_label("E-mail address of their account").fill("nobody@example.org")
    with page.expect_navigation():
        page.get_by_role("button", name="Add co-organiser").click()
    expect(page.get_by_text("No account has this e-mail address")).to_be_visible()
    scan(page, "settings with a co-organiser error", found)
    # Nothing is wider than the window, narrow or wide.
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    context.close()
    assert_no_violations(found)


def test_the_password_gate_works_by_keyboard_alone(
    live_server, gated, person: Callable[..., Person]
) -> None:
    someone = person("Kim")
    page = someone.page
    page.goto(f"{live_server.url}/q/{gated.question.pk}/")
    tab_to(page, "input[type='password']")  # from the top of the page
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="The lake house")).to_be_visible()
    someone.forgive("status of 403")  # the gate itself answers 403
    assert not someone.problems, someone.problems


def test_the_organiser_invites_by_keyboard_alone(
    live_server, gated, person: Callable[..., Person]
) -> None:
    someone = person("Olga")
    page = someone.page
    page.goto(f"{live_server.url}/q/{gated.question.pk}/a/{gated.admin_key}/")
    page.goto(f"{live_server.url}/q/{gated.question.pk}/settings/")
    tab_to(page, "[name='count']")
    expect(page.get_by_label("Or this many personal links")).to_be_focused()
    page.keyboard.type("3")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".new-links input")).to_have_count(3)
    assert not someone.problems, someone.problems


def test_the_gate_and_the_panels_speak_german(live_server, gated, browser: Browser) -> None:
    context = german_context(browser)
    page = context.new_page()
    page.goto(f"{live_server.url}/q/{gated.question.pk}/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", name="Passwort eingeben")).to_be_visible()
    expect(page.get_by_role("button", name="Weiter")).to_be_visible()
    page.goto(f"{live_server.url}/q/{gated.question.pk}/a/{gated.admin_key}/")
    page.goto(f"{live_server.url}/q/{gated.question.pk}/settings/")
    expect(page.get_by_role("heading", name="Wer teilnehmen darf")).to_be_visible()
    expect(page.get_by_role("heading", name="Einladungen")).to_be_visible()
    expect(page.get_by_role("heading", name="Mitorganisatoren")).to_be_visible()
    context.close()
