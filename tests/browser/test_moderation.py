"""Moderation in Chromium: the hide form (in place and as a page), the reports list, the merge
form, the participants and the removal's confirmation pass axe-core in light and dark, wide and
narrow, and in German; the organiser hides an entry, settles a report and merges two ideas with
the keyboard alone; a participant sees only "Hidden by the organiser" in the entry's place."""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from ponder.questions import services
from ponder.questions.models import Idea, Participant, Question, Report

from .conftest import assert_no_violations, scan, scan_context, tab_to, tab_to_text

pytestmark = pytest.mark.browser

VIEWS = [("light", "1280"), ("dark", "360")]


@dataclass
class Moderated:
    question: Question
    admin_key: str
    bob: Participant


@pytest.fixture
def moderated(transactional_db: None) -> Moderated:
    question, admin_key = services.question_create(title="Where should the team offsite be?")
    bob, carol, dan = (
        services.participant_join(question=question, name=name)[0]
        for name in ("Bob", "Carol", "Dan")
    )
    lisbon = services.idea_add(question=question, author=bob, title="Lisbon")
    services.idea_add(question=question, author=carol, title="Lisbon, Portugal")
    porto = services.idea_add(question=question, author=dan, title="Porto")
    pro = services.argument_add(idea=porto, author=bob, kind="pro", text="Cheap flights")
    comment = services.comment_add(question=question, author=bob, text="Buy my watches")
    services.vote_cast(idea=lisbon, participant=carol)
    services.report_add(entry=comment, reporter=carol, reason="spam", note="An advert")
    services.report_add(entry=comment, reporter=dan, reason="spam")
    services.report_add(entry=lisbon, reporter=dan, reason="duplicate")
    services.entry_hide(entry=pro, reason="off_topic", note="About flights, not the place")
    return Moderated(question=question, admin_key=admin_key, bob=bob)


@pytest.fixture(params=VIEWS, ids=[f"{s}-{w}" for s, w in VIEWS])
def scanner(browser: Browser, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    context = scan_context(browser, *request.param)
    yield context
    context.close()


def test_every_moderation_page_and_state_passes_axe(
    live_server, moderated: Moderated, scanner: BrowserContext
) -> None:
    question = f"{live_server.url}/q/{moderated.question.pk}/"
    found: dict[str, list[dict]] = {}
    page = scanner.new_page()
    page.goto(f"{question}a/{moderated.admin_key}/")
    expect(page.locator("#report-notice")).to_have_text("3 open reports")
    scan(page, "organiser panel with reports and a hidden pro", found)
    porto = page.locator("article.idea").filter(has_text="Porto")
    page.locator("article.idea").filter(has_text="Lisbon").first.get_by_role(
        "link", name="Hide"
    ).click()
    expect(page.locator("form.moderation-form")).to_be_visible()
    scan(page, "hide form in place", found)
    expect(porto.get_by_role("button", name="Restore")).to_be_visible()
    page.goto(f"{question}idea/{Idea.objects.get(title='Porto').pk}/hide/")
    with page.expect_navigation():
        page.get_by_role("button", name="Hide").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    scan(page, "hide page with an error", found)
    page.goto(f"{question}reports/")
    scan(page, "reports", found)
    page.goto(f"{question}merge/")
    scan(page, "merge form", found)
    with page.expect_navigation():
        page.get_by_role("button", name="Merge").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    scan(page, "merge form with an error", found)
    page.goto(f"{question}participants/")
    scan(page, "participants", found)
    page.goto(f"{question}participants/{moderated.bob.pk}/remove/")
    scan(page, "remove confirmation", found)

    # German: the reports, the hide form, the merge form.
    page.get_by_label("Language").select_option("de")
    with page.expect_navigation():
        page.get_by_role("button", name="Change language").click()
    page.goto(f"{question}reports/")
    expect(page.locator("h1")).to_have_text("Meldungen")
    scan(page, "reports, German", found)
    page.goto(f"{question}idea/{Idea.objects.get(title='Porto').pk}/hide/")
    expect(page.get_by_text("Warum ausblenden?")).to_be_visible()
    scan(page, "hide form, German", found)
    page.goto(f"{question}merge/")
    expect(page.locator("h1")).to_have_text("Doppelte Ideen zusammenführen")
    scan(page, "merge form, German", found)

    # A participant: the hidden pro's place, and the report form.
    scanner.clear_cookies()
    page.goto(question)
    page.locator("#join").get_by_label("Your name").fill("Eve")
    with page.expect_navigation():
        page.get_by_role("button", name="Join").click()
    expect(page.get_by_text("Hidden by the organiser: off topic")).to_be_visible()
    expect(page.get_by_text("Cheap flights")).to_have_count(0)
    page.locator("article.idea").filter(has_text="Porto").get_by_role("link", name="Report").click()
    expect(page.locator("form.moderation-form")).to_be_visible()
    scan(page, "report form in place, participant", found)

    assert_no_violations(found)


def test_the_organiser_moderates_with_the_keyboard_alone(
    live_server, moderated: Moderated, person
) -> None:
    alice = person("Alice")
    page = alice.page
    question = f"{live_server.url}/q/{moderated.question.pk}/"
    page.goto(f"{question}a/{moderated.admin_key}/")

    # Hide the first idea: its "Hide" brings the form in place, Space picks a reason.
    tab_to_text(page, "Hide")
    page.keyboard.press("Enter")
    expect(page.locator("form.moderation-form")).to_be_visible()
    tab_to(page, "[name='reason']")  # the first reason, off topic: a radio group takes one Tab
    page.keyboard.press("Space")
    tab_to_text(page, "Hide")
    page.keyboard.press("Enter")
    # The pro hidden before, and now the idea: the note is on both once the hide has answered.
    expect(page.get_by_text("Only you see this.")).to_have_count(2)
    assert list(Idea.objects.exclude(hidden_reason="").values_list("hidden_reason", flat=True)) == [
        "off_topic"
    ]

    # The reports: dismiss the comment's.
    page.goto(f"{question}reports/")
    tab_to_text(page, "Dismiss the reports")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text("The reports were dismissed")).to_be_visible()
    assert Report.objects.open().count() < 3

    # Merge "Lisbon, Portugal" into "Lisbon": choose each with the arrow keys.
    page.goto(f"{question}merge/")
    tab_to(page, "#id_keep")
    page.keyboard.press("ArrowDown")  # the first idea by title: Lisbon
    tab_to(page, "#id_merged")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # Lisbon, Portugal
    tab_to_text(page, "Merge")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text("was merged into")).to_be_visible()
    assert not Idea.objects.filter(title="Lisbon, Portugal").exists()
    assert alice.problems == []
