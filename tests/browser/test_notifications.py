"""The notification pages in Chromium (/q/<id>/notify/, a subscription's settings, its confirm
and unsubscribe pages, /me/notifications/): axe-core's WCAG 2.2 A/AA rules wide and narrow (360
px, nothing wider than the screen), light and dark, in each state; used from the keyboard alone;
in German."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Browser, BrowserContext, Page, expect

from ponder.notifications import services as notifications
from ponder.notifications.models import Role, Subscription
from ponder.questions import services
from ponder.questions.models import Question

from .conftest import AXE, WIDTHS, scan, tab_to
from .test_account_pages import logged_in

pytestmark = pytest.mark.browser

VIEWS = [("light", "1280"), ("dark", "360")]


@pytest.fixture
def setup(transactional_db: None, live_server: Any) -> dict[str, Any]:
    """A question; Dana's account organises it (her subscription made); an address that asked
    for its mails and has not confirmed yet."""
    account = get_user_model().objects.create_user("dana", "dana@example.org")
    question, _key = services.question_create(title="Which venue?", created_by=account)
    mine = notifications.account_subscribe(
        question=question,
        user=account,
        role=Role.ORGANISER,
        participant=None,
        base_url=live_server.url,
        language="en",
    )
    notifications.address_subscribe(
        question=question,
        email="pat@example.org",
        role=Role.PARTICIPANT,
        participant=None,
        base_url=live_server.url,
        language="en",
    )
    pats = Subscription.objects.get(email="pat@example.org")
    return {"account": account, "question": question, "mine": mine, "pats": pats}


def wide(page: Page, state: str) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), state


@pytest.fixture(params=VIEWS, ids=[f"{scheme}-{width}" for scheme, width in VIEWS])
def scanned(
    request: pytest.FixtureRequest, browser: Browser, live_server: Any, setup: dict[str, Any]
) -> Iterator[tuple[BrowserContext, BrowserContext]]:
    """An anonymous browser and Dana's, at the view's width and colours."""
    scheme, width = request.param
    w, h = WIDTHS[width]
    options = {
        "bypass_csp": True,  # for axe-core's script, as in test_accessibility.py
        "color_scheme": scheme,
        "viewport": {"width": w, "height": h},
        "locale": "en-GB",
    }
    anonymous = browser.new_context(**options)
    dana = logged_in(browser, setup["account"], live_server.url, **options)
    yield anonymous, dana
    anonymous.close()
    dana.close()


def test_the_notification_pages_pass_axe_in_every_state(
    live_server: Any, setup: dict[str, Any], scanned: tuple[BrowserContext, BrowserContext]
) -> None:
    assert AXE.exists(), "axe-core is missing: run `npm ci --ignore-scripts` (bin/dev test does)"
    base = live_server.url
    anonymous, dana = scanned
    question, pats, mine = setup["question"], setup["pats"], setup["mine"]
    found: dict[str, list[dict]] = {}
    page = anonymous.new_page()

    page.goto(f"{base}/q/{question.pk}/notify/")
    scan(page, "notify", found)
    wide(page, "notify")
    page.get_by_label("Your e-mail address").fill("not an address")
    with page.expect_navigation():
        page.get_by_role("button", name="E-mail me about this question").click()
    expect(page.locator(".errorlist")).to_be_visible()
    scan(page, "notify with an error", found)
    page.get_by_label("Your e-mail address").fill("kim@example.org")
    with page.expect_navigation():
        page.get_by_role("button", name="E-mail me about this question").click()
    expect(page.locator("#status")).to_contain_text("A link to confirm is on its way")
    scan(page, "notify, sent", found)

    page.goto(f"{base}/n/{pats.pk}/confirm/")
    scan(page, "confirm", found)
    wide(page, "confirm")
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#status")).to_contain_text("Confirmed")
    scan(page, "settings", found)
    wide(page, "settings")
    page.goto(f"{base}/n/{pats.pk}/unsubscribe/")
    scan(page, "unsubscribe", found)
    wide(page, "unsubscribe")
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_text("You are unsubscribed")).to_be_visible()
    scan(page, "unsubscribed", found)

    own = dana.new_page()
    own.goto(f"{base}/me/notifications/")
    expect(own.get_by_role("link", name="Which venue?")).to_have_attribute("href", f"/n/{mine.pk}/")
    scan(own, "my notifications", found)
    wide(own, "my notifications")
    own.goto(f"{base}/q/{question.pk}/notify/")
    scan(own, "notify, logged in", found)
    assert not found, found


def test_subscribing_and_choosing_work_from_the_keyboard_alone(
    browser: Browser, live_server: Any, setup: dict[str, Any], person: Any
) -> None:
    base = live_server.url
    question = setup["question"]
    kim = person("Kim")
    page = kim.page
    page.goto(f"{base}/q/{question.pk}/")
    tab_to(page, f"a[href='/q/{question.pk}/notify/']", most=200)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "#id_email")
    page.keyboard.type("kim@example.org")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#status")).to_contain_text("kim@example.org")
    subscription = Subscription.objects.get(email="kim@example.org")

    page.goto(f"{base}/n/{subscription.pk}/confirm/")
    tab_to(page, "main button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    # The settings: once a day (the radio group's arrow keys), no reminder, then save.
    tab_to(page, "input[name='activity']:checked")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Once a day, in one mail")).to_be_checked()
    tab_to(page, "input[name='deadline']")
    page.keyboard.press("Space")
    expect(page.locator("input[name='deadline']")).not_to_be_checked()
    tab_to(page, "main button[type='submit']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#status")).to_contain_text("Saved")
    subscription.refresh_from_db()
    assert (subscription.activity, subscription.deadline) == ("daily", False)

    tab_to(page, f"a[href='/n/{subscription.pk}/unsubscribe/']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "main button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text("You are unsubscribed")).to_be_visible()
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert not kim.problems


def test_the_notification_pages_speak_german(
    browser: Browser, live_server: Any, setup: dict[str, Any]
) -> None:
    base = live_server.url
    question, pats = setup["question"], setup["pats"]
    context = logged_in(browser, setup["account"], base, locale="de-DE")
    anonymous = browser.new_context(locale="de-DE")
    try:
        page = anonymous.new_page()
        page.goto(f"{base}/q/{question.pk}/")
        expect(
            page.get_by_role("link", name="E-Mail-Benachrichtigungen zu dieser Frage bekommen")
        ).to_be_visible()
        page.goto(f"{base}/q/{question.pk}/notify/")
        expect(page.get_by_role("heading", name="E-Mail-Benachrichtigungen")).to_be_visible()
        expect(page.get_by_label("Ihre E-Mail-Adresse")).to_be_visible()
        page.goto(f"{base}/n/{pats.pk}/confirm/")
        expect(page.get_by_role("button", name="Bestätigen")).to_be_visible()
        page.goto(f"{base}/n/{pats.pk}/")
        expect(page.get_by_role("heading", name="Was Sie per E-Mail bekommen")).to_be_visible()
        expect(page.get_by_label("Einmal am Tag, in einer Mail")).to_be_visible()
        page.goto(f"{base}/n/{pats.pk}/unsubscribe/")
        expect(page.get_by_role("button", name="Abmelden")).to_be_visible()
        own = context.new_page()
        own.goto(f"{base}/me/notifications/")
        expect(own.get_by_role("heading", name="Benachrichtigungen")).to_be_visible()
        expect(own.get_by_role("navigation", name="Ihr Konto")).to_contain_text(
            "Benachrichtigungen"
        )
    finally:
        context.close()
        anonymous.close()
    assert Question.objects.filter(pk=question.pk).exists()
