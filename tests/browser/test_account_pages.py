"""The account's pages (/me/: My questions, the settings, deleting the account) in Chromium: they
pass axe-core's WCAG 2.2 A/AA rules wide and narrow, light and dark, in every state; they work
from the keyboard alone; and they speak German to a German browser."""

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from ponder.accounts import services as accounts
from ponder.questions import services
from ponder.questions.models import Question

from .conftest import TIMEOUT_MS, assert_no_violations, german_context, scan, scan_context, tab_to

pytestmark = pytest.mark.browser

VIEWS = [("light", "1280"), ("dark", "360")]


@pytest.fixture
def dana(transactional_db: None) -> Any:
    """Dana asked two questions (one open with a deadline, one closed) and took part in a
    third; she has an API token."""
    account = get_user_model().objects.create_user("dana", "dana@example.org")
    accounts.profile_update(account=account, display_name="Dana")
    venue, _key = services.question_create(title="Which venue?", created_by=account)
    services.question_update(
        question=venue,
        title=venue.title,
        description="",
        allow_ideas=True,
        allow_arguments=True,
        max_votes=None,
        deadline=timezone.now() + timedelta(days=3),
        time_zone="Europe/Berlin",
    )
    date, _key = services.question_create(title="Which date?", created_by=account)
    services.question_close(question=date)
    other, _key = services.question_create(title="مكان الاجتماع؟")
    me, _token = services.participant_join(question=other, name="Dana", user=account)
    idea = services.idea_add(question=other, author=me, title="The lake")
    services.vote_cast(idea=idea, participant=me)
    accounts.api_token_create(account=account, label="The class's voting script")
    return account


def log_in(context: BrowserContext, account: Any, base: str) -> BrowserContext:
    """The context, logged in to the account: the session of a login, as a cookie."""
    client = Client()
    client.force_login(account)
    session = client.cookies["sessionid"].value
    context.add_cookies([{"name": "sessionid", "value": session, "url": base}])
    return context


def logged_in(browser: Browser, account: Any, base: str, **options: Any) -> BrowserContext:
    """A new browser context logged in to the account."""
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    return log_in(context, account, base)


@pytest.fixture(params=VIEWS, ids=[f"{scheme}-{width}" for scheme, width in VIEWS])
def scanned(request: pytest.FixtureRequest, browser: Browser, live_server: Any, dana: Any):
    scheme, width = request.param
    context = log_in(scan_context(browser, scheme, width), dana, live_server.url)
    yield context
    context.close()


def test_the_account_pages_pass_axe_in_every_state(
    live_server: Any, scanned: BrowserContext
) -> None:
    base = live_server.url
    found: dict[str, list[dict]] = {}
    page = scanned.new_page()

    page.goto(f"{base}/me/")
    expect(page.get_by_role("heading", name="Archive")).to_be_visible()
    scan(page, "my questions", found)
    page.goto(f"{base}/me/settings/")
    scan(page, "settings", found)
    page.get_by_label("Display name").fill("")
    with page.expect_navigation():
        page.get_by_role("button", name="Save name").click()
    expect(page.locator(".errorlist")).to_be_visible()
    scan(page, "settings with an error", found)
    page.get_by_label("What is the token for?").fill("A new script")
    with page.expect_navigation():
        page.get_by_role("button", name="Make a token").click()
    expect(page.locator("#new-token")).to_be_visible()
    scan(page, "settings with a new token", found)
    page.goto(f"{base}/me/delete/")
    scan(page, "delete", found)
    with page.expect_navigation():
        page.get_by_role("button", name="Delete my account").click()
    expect(page.locator(".errorlist")).to_be_visible()
    scan(page, "delete without a choice", found)
    # An account with nothing yet: the empty state.
    erin = get_user_model().objects.create_user("erin", "erin@example.org")
    narrow_or_wide = scan_context(scanned.browser, "light", "1280", viewport=page.viewport_size)
    empty = log_in(narrow_or_wide, erin, base)
    try:
        other = empty.new_page()
        other.goto(f"{base}/me/")
        expect(other.get_by_role("heading", name="Nothing here yet")).to_be_visible()
        scan(other, "my questions, empty", found)
    finally:
        empty.close()

    assert_no_violations(found)


@pytest.fixture
def keyboard(browser: Browser, live_server: Any, dana: Any) -> Iterator[Page]:
    context = logged_in(browser, dana, live_server.url, locale="en-GB")
    yield context.new_page()
    context.close()


def test_the_settings_and_deleting_work_from_the_keyboard(
    live_server: Any, keyboard: Page, dana: Any
) -> None:
    page = keyboard
    base = live_server.url
    page.goto(f"{base}/me/")
    tab_to(page, "a[href='/me/settings/']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "#id_display_name")
    page.keyboard.press("Control+A")
    page.keyboard.type("Dana Scully")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#status")).to_contain_text("Your display name is saved.")

    tab_to(page, "a[href='/me/delete/']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "input[name='contributions']")
    page.keyboard.press("Space")  # the first choice: remove my contributions
    expect(page.get_by_label("Remove my contributions")).to_be_checked()
    tab_to(page, "button.danger")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page.locator("#status")).to_contain_text("Your account is deleted.")
    assert not get_user_model().objects.filter(pk=dana.pk).exists()
    assert Question.objects.filter(title="Which venue?", created_by__isnull=True).exists()


def test_the_account_pages_speak_german(browser: Browser, live_server: Any, dana: Any) -> None:
    context = log_in(german_context(browser), dana, live_server.url)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/me/")
        expect(page.get_by_role("heading", name="Meine Fragen")).to_be_visible()
        expect(page.get_by_role("heading", name="Archiv")).to_be_visible()
        expect(page.locator("main")).to_contain_text("Von Ihnen gestellt")
        expect(page.locator("main")).to_contain_text("1 Idee · 1 Teilnehmende:r · 1 Stimme")
        page.goto(f"{live_server.url}/me/settings/")
        expect(page.get_by_role("heading", name="Kontoeinstellungen")).to_be_visible()
        expect(page.get_by_role("button", name="Token erstellen")).to_be_visible()
        expect(page.get_by_role("link", name="Meine Daten herunterladen")).to_be_visible()
        page.goto(f"{live_server.url}/me/delete/")
        expect(page.get_by_role("heading", name="Ihr Konto löschen?")).to_be_visible()
        expect(page.get_by_label("Meine Beiträge entfernen")).to_be_visible()
    finally:
        context.close()
