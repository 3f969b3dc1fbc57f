"""Fair decisions in a real Chromium: the phase banner, a hidden tally, anonymous votes and the
reader's own order; by keyboard, through axe-core (WCAG 2.2 AA, wide and narrow), and in German."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, expect

from ponder.questions import services
from ponder.questions.models import Question

from .conftest import AXE, AXE_TAGS, RUN_AXE, TIMEOUT_MS, Person

pytestmark = pytest.mark.browser


@dataclass
class Fair:
    question: Question
    admin_key: str


@pytest.fixture
def fair(transactional_db: None) -> Fair:
    """Collecting ideas for another hour (Berlin time), then voting for a day; votes hidden
    until the end and anonymous; three ideas, two of them voted for by others already (cast
    before the idea phase was set: the tally must stay hidden all the same)."""
    question, admin_key = services.question_create(title="Where should the team offsite be?")
    ida, _token = services.participant_join(question=question, name="Ida")
    ideas = [
        services.idea_add(question=question, author=ida, title=title)
        for title in ("Lisbon", "Vienna", "A cabin in the woods")
    ]
    for name in ("Quentin", "Rosalind"):
        voter, _token = services.participant_join(question=question, name=name)
        services.vote_cast(idea=ideas[0], participant=voter)
    now = timezone.now().replace(second=0, microsecond=0)
    Question.objects.filter(pk=question.pk).update(
        ideas_until=now + timedelta(hours=1),
        deadline=now + timedelta(days=1),
        time_zone="Europe/Berlin",
        hide_tally=True,
        anonymous_votes=True,
    )
    question.refresh_from_db()
    return Fair(question=question, admin_key=admin_key)


def _switch_to_voting(question: Question) -> None:
    Question.objects.filter(pk=question.pk).update(
        ideas_until=timezone.now() - timedelta(seconds=1)
    )
    services.question_phase_due()


def _no_tally(page: Page) -> None:
    """Nothing of the others' votes: no count, no name, no rank."""
    expect(page.locator("[data-tally=count]")).to_have_count(0)
    expect(page.locator(".idea-votes .voters")).to_have_count(0)
    expect(page.get_by_text("Quentin")).to_have_count(0)
    expect(page.get_by_text("Rosalind")).to_have_count(0)


@pytest.fixture
def scanner(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    contexts: list[BrowserContext] = []

    def open_context(width: int, locale: str = "en-GB") -> BrowserContext:
        assert AXE.exists(), "axe-core is missing: run `npm ci --ignore-scripts`"
        context = browser.new_context(
            bypass_csp=True, viewport={"width": width, "height": 800}, locale=locale
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


def _axe(page: Page) -> list[dict]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE, AXE_TAGS)


def test_the_phases_and_the_hidden_tally_read_well_and_pass_axe_wide_and_narrow(
    live_server, fair: Fair, scanner: Callable[..., BrowserContext]
) -> None:
    url = f"{live_server.url}/q/{fair.question.pk}/"
    found: dict[str, list[dict]] = {}
    for width in (1280, 360):
        page = scanner(width).new_page()
        page.goto(url)
        banner = page.locator("#phase")
        expect(banner).to_contain_text("Phase 1 of 2: collecting ideas")
        expect(banner).to_contain_text("(Europe/Berlin)")
        expect(page.get_by_role("button", name="Vote")).to_have_count(0)
        expect(page.locator(".fairness")).to_contain_text("hidden until the question closes")
        expect(page.locator(".fairness")).to_contain_text("anonymous")
        _no_tally(page)
        found |= {f"ideas phase, {width}": _axe(page)}
    _switch_to_voting(fair.question)
    for width in (1280, 360):
        page = scanner(width).new_page()
        page.goto(url)
        expect(page.locator("#phase")).to_contain_text("Phase 2 of 2: voting")
        expect(page.locator(".tally-hidden").first).to_have_text("Votes hidden until the end")
        expect(page.locator("#idea-form")).to_have_count(0)
        _no_tally(page)
        found |= {f"vote phase, {width}": _axe(page)}
    found = {state: violations for state, violations in found.items() if violations}
    assert not found, found


def test_a_voter_votes_by_keyboard_and_sees_their_own_mark_but_no_tally(
    live_server, fair: Fair, person: Callable[..., Person]
) -> None:
    _switch_to_voting(fair.question)
    url = f"{live_server.url}/q/{fair.question.pk}/"
    eve = person("Eve")
    page = eve.page
    page.goto(url)
    page.locator("#join").get_by_label("Your name").fill("Eve")
    with page.expect_navigation():
        page.locator("#join").get_by_label("Your name").press("Enter")
    lisbon = page.locator("article.idea").filter(has_text="Lisbon")
    vote = lisbon.get_by_role("button", name="Vote")
    # Keyboard only: Tab until the vote button has the focus, then Enter.
    for _ in range(120):
        if vote.evaluate("(button) => button === document.activeElement"):
            break
        page.keyboard.press("Tab")
    else:
        raise AssertionError("Tab never reached the vote button")
    page.keyboard.press("Enter")
    expect(lisbon.get_by_role("button", name="Voted ✓")).to_be_visible()
    expect(page.locator("#status")).to_contain_text("Your vote was counted.")
    _no_tally(page)  # two others voted for Lisbon: nothing says so
    page.reload()
    expect(lisbon.get_by_role("button", name="Voted ✓")).to_be_visible()
    _no_tally(page)
    assert eve.problems == []


def test_the_phases_and_the_hidden_tally_in_german(
    live_server, fair: Fair, scanner: Callable[..., BrowserContext]
) -> None:
    page = scanner(360, locale="de-DE").new_page()
    url = f"{live_server.url}/q/{fair.question.pk}/"
    page.goto(url)
    expect(page.locator("#phase")).to_contain_text("Phase 1 von 2: Ideen sammeln")
    expect(page.locator(".fairness")).to_contain_text("Die Stimmen sind anonym")
    _switch_to_voting(fair.question)
    page.goto(url)
    expect(page.locator("#phase")).to_contain_text("Phase 2 von 2: Abstimmen")
    expect(page.locator(".tally-hidden").first).to_have_text("Stimmen bis zum Ende verborgen")
    assert _axe(page) == []
