"""The account pages (log in, sign up, password reset) and the terms and privacy pages: axe-core's
WCAG 2.2 A/AA rules at 1280 and 360 pixels, light and dark, with and without form errors; used
from the keyboard alone; in German."""

from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, BrowserContext, expect

from .conftest import AXE, AXE_TAGS, RUN_AXE, TIMEOUT_MS, WIDTHS

pytestmark = pytest.mark.browser

PAGES = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/terms/",
    "/privacy/",
]
VIEWS = [("light", "1280"), ("dark", "360")]


@pytest.fixture(params=VIEWS, ids=[f"{s}-{w}" for s, w in VIEWS])
def scanner(browser: Browser, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    scheme, width = request.param
    w, h = WIDTHS[width]
    context = browser.new_context(
        bypass_csp=True, color_scheme=scheme, viewport={"width": w, "height": h}, locale="en-GB"
    )
    context.set_default_timeout(TIMEOUT_MS)
    yield context
    context.close()


def test_the_account_and_legal_pages_pass_axe(
    live_server, transactional_db: None, scanner: BrowserContext
) -> None:
    page = scanner.new_page()
    found = {}
    for path in PAGES:
        page.goto(live_server.url + path)
        page.add_script_tag(path=str(AXE))
        if violations := page.evaluate(RUN_AXE, AXE_TAGS):
            found[path] = violations
        # No part of the page is wider than the screen.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
    # With errors next to the fields.
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    page.add_script_tag(path=str(AXE))
    if violations := page.evaluate(RUN_AXE, AXE_TAGS):
        found["login with errors"] = violations
    assert not found, [(k, v["id"], v["nodes"]) for k, vs in found.items() for v in vs]


def test_someone_logs_in_with_the_keyboard_alone(
    live_server, transactional_db: None, person
) -> None:
    user = get_user_model().objects.create_user("dan", "dan@example.org", "a long old password 1")
    user.emailaddress_set.create(email="dan@example.org", verified=True, primary=True)
    dan = person("Dan")
    page = dan.page
    page.goto(live_server.url + "/")
    login = page.get_by_role("link", name="Log in")
    login.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/accounts/login/**")
    email = page.get_by_label("Email")
    # Tab from the top of the page reaches the e-mail field, then the password.
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "login":
            break
    expect(email).to_be_focused()
    page.keyboard.type("dan@example.org")
    page.keyboard.press("Tab")
    expect(page.locator("#id_password")).to_be_focused()
    page.keyboard.type("a long old password 1")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_role("link", name="My questions")).to_have_attribute("href", "/me/")
    # Logging out is a form too.
    page.get_by_role("button", name="Log out").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    assert not dan.problems


def test_the_pages_speak_german(live_server, transactional_db: None, browser: Browser) -> None:
    context = browser.new_context(locale="de-DE", extra_http_headers={"Accept-Language": "de"})
    page = context.new_page()
    page.goto(live_server.url + "/accounts/login/")
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()
    expect(page.get_by_role("link", name="Passwort vergessen?")).to_be_visible()
    expect(
        page.get_by_role("link", name="Zum ersten Mal hier? Jetzt registrieren!")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Nutzungsbedingungen").first).to_be_visible()
    page.goto(live_server.url + "/accounts/signup/")
    expect(page.get_by_role("heading", name="Registrieren")).to_be_visible()
    page.goto(live_server.url + "/accounts/password/reset/")
    expect(page.locator("h1")).to_have_text("Passwort zurücksetzen")
    page.goto(live_server.url + "/privacy/")
    expect(page.get_by_role("heading", name="Was gespeichert wird")).to_be_visible()
    page.goto(live_server.url + "/terms/")
    expect(page.get_by_role("heading", name="Keine Gewähr")).to_be_visible()
    context.close()
