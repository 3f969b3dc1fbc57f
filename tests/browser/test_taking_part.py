"""Who may take part, in Chromium: the gate pages and the organiser's new panels pass axe-core's
WCAG 2.2 A/AA rules wide and narrow, work by keyboard alone, and speak German."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.auth.hashers import make_password
from playwright.sync_api import Browser, Page, expect

from ponder.questions import invitations, services
from ponder.questions.models import Question

from .conftest import TIMEOUT_MS, Person
from .test_accessibility import AXE, AXE_TAGS, RUN_AXE, WIDTHS

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


def _scan(page: Page, state: str, found: dict[str, list]) -> None:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    violations = page.evaluate(RUN_AXE, AXE_TAGS)
    if violations:
        found[state] = violations


def _mode(question: Question, mode: str) -> None:
    Question.objects.filter(pk=question.pk).update(taking_part=mode)


@pytest.mark.parametrize(("scheme", "width"), [("light", "360"), ("dark", "1280")])
def test_the_gates_and_the_panels_pass_axe(live_server, gated, browser: Browser, scheme, width):
    w, h = WIDTHS[width]
    context = browser.new_context(
        bypass_csp=True, color_scheme=scheme, viewport={"width": w, "height": h}, locale="en-GB"
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    base, q = live_server.url, gated.question.pk
    found: dict[str, list] = {}

    page.goto(f"{base}/q/{q}/")
    expect(page.get_by_role("heading", name="Enter the password")).to_be_visible()
    _scan(page, "password gate", found)
    page.get_by_label("Password", exact=True).fill("wrong")
    with page.expect_navigation():
        page.get_by_role("button", name="Enter").click()
    expect(page.get_by_text("This is not the password")).to_be_visible()
    _scan(page, "password gate with an error", found)
    _mode(gated.question, "account")
    page.goto(f"{base}/q/{q}/")
    _scan(page, "account gate", found)
    _mode(gated.question, "invitation")
    page.goto(f"{base}/q/{q}/")
    _scan(page, "invitation gate", found)
    page.goto(f"{base}/q/{q}/i/{gated.invitation_key}/")
    _scan(page, "invitation, asked to go on", found)

    page.goto(f"{base}/q/{q}/a/{gated.admin_key}/")
    page.goto(f"{base}/q/{q}/settings/")
    _scan(page, "settings with who may take part", found)
    page.get_by_label("Or this many personal links").fill("2")
    with page.expect_navigation():
        page.get_by_role("button", name="Invite").click()
    expect(page.get_by_text("copy them now")).to_be_visible()
    _scan(page, "settings with new links", found)
    page.get_by_label("E-mail address of their account").fill("nobody@example.org")
    with page.expect_navigation():
        page.get_by_role("button", name="Add co-organiser").click()
    expect(page.get_by_text("No account has this e-mail address")).to_be_visible()
    _scan(page, "settings with a co-organiser error", found)
    # Nothing is wider than the window, narrow or wide.
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    context.close()
    assert not found, found


def test_the_password_gate_works_by_keyboard_alone(
    live_server, gated, person: Callable[..., Person]
) -> None:
    someone = person("Kim")
    page = someone.page
    page.goto(f"{live_server.url}/q/{gated.question.pk}/")
    field = page.get_by_label("Password", exact=True)
    for _ in range(30):  # Tab from the top of the page to the field
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.type === 'password'"):
            break
    expect(field).to_be_focused()
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
    count = page.get_by_label("Or this many personal links")
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.name === 'count'"):
            break
    expect(count).to_be_focused()
    page.keyboard.type("3")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".new-links input")).to_have_count(3)
    assert not someone.problems, someone.problems


def test_the_gate_and_the_panels_speak_german(live_server, gated, browser: Browser) -> None:
    context = browser.new_context(locale="de-DE")
    context.set_default_timeout(TIMEOUT_MS)
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
