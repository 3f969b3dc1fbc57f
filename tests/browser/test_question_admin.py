"""The organiser's limits, the vote box of several votes per idea, and deleting a question, in
Chromium: axe-core's WCAG 2.2 A/AA rules (light and dark, wide and narrow), the keyboard alone,
and German."""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from ponder.questions import services
from ponder.questions.models import Idea, Question, Vote

from .conftest import AXE, TIMEOUT_MS, WIDTHS, scan

pytestmark = pytest.mark.browser

VIEWS = [("light", "1280"), ("dark", "360")]


@pytest.fixture(params=VIEWS, ids=[f"{scheme}-{width}" for scheme, width in VIEWS])
def context(browser: Browser, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    assert AXE.exists(), "axe-core is missing: run `npm ci --ignore-scripts` (bin/dev test does)"
    scheme, width = request.param
    w, h = WIDTHS[width]
    made = browser.new_context(
        bypass_csp=True, color_scheme=scheme, viewport={"width": w, "height": h}, locale="en-GB"
    )
    made.set_default_timeout(TIMEOUT_MS)
    yield made
    made.close()


def press_on(page: Page, name: str, *, key: str = "Enter", limit: int = 80) -> None:
    """Tab through the page until the control called `name` has the focus, then press `key`:
    what someone without a mouse does."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement;"
            " return (e.getAttribute('aria-label') || e.textContent || e.value || '')"
            ".replace(/\\s+/g, ' ').trim(); }"
        )
        if focused == name:
            page.keyboard.press(key)
            return
    raise AssertionError(f"{name!r} was never reached with Tab")


def report(found: dict[str, list[dict]]) -> str:
    return "\n".join(
        f"{state}: {v['id']} ({v['impact']}) {v['help']}\n    " + "\n    ".join(v["nodes"][:3])
        for state, violations in found.items()
        for v in violations
    )


def test_limits_stacked_votes_and_deleting_by_keyboard_pass_axe_in_english_and_german(
    live_server, transactional_db: None, context: BrowserContext
) -> None:
    base = live_server.url
    question, admin_key = services.question_create(title="Where should the team offsite be?")
    found: dict[str, list[dict]] = {}
    page = context.new_page()
    page.goto(f"{base}/q/{question.pk}/a/{admin_key}/")
    page.goto(f"{base}/q/{question.pk}/settings/")
    expect(page.get_by_role("group", name="Limits")).to_be_visible()
    scan(page, "settings with limits", found)

    # The limits, typed and saved from the keyboard; a bad one first, refused next to its field.
    page.get_by_label("Ideas per participant").fill("0")
    page.get_by_label("Votes per idea per participant").fill("3")
    page.get_by_label("Votes per idea per participant").press("Enter")
    expect(page.locator("#id_max_ideas_per_person_error")).to_be_visible()
    scan(page, "settings with an error in the limits", found)
    page.get_by_label("Ideas per participant").fill("2")
    page.get_by_label("Longest description, pro, con or comment (characters)").fill("200")
    with page.expect_navigation():
        page.get_by_label("Votes per idea per participant").press("Enter")
    question.refresh_from_db()
    assert (question.max_ideas_per_person, question.max_votes_per_idea) == (2, 3)
    assert question.max_text_length == 200
    expect(page.locator("#idea-form")).to_contain_text("Each participant may add up to 2 ideas.")
    expect(page.locator("#id_idea_description")).to_have_attribute("maxlength", "200")

    # A participant puts two of their votes on one idea and takes one back, by keyboard.
    author = services.participant_join(question=question, name="Ms Weber")[0]
    services.idea_add(question=question, author=author, title="Lisbon")
    voter = context.new_page()
    voter.goto(f"{base}/q/{question.pk}/")
    voter.locator("#join").get_by_label("Your name").fill("Eve")
    with voter.expect_navigation():
        voter.locator("#join").get_by_label("Your name").press("Enter")
    press_on(voter, "Vote for “Lisbon”")
    group = voter.get_by_role("group", name="1 of your votes")
    expect(group).to_be_visible()
    voter.get_by_role("button", name="Add one more of your votes to “Lisbon”").focus()
    voter.keyboard.press("Enter")
    expect(voter.get_by_role("group", name="2 of your votes")).to_be_visible()
    scan(voter, "two votes on one idea", found)
    voter.get_by_role("button", name="Take one of your votes back from “Lisbon”").focus()
    voter.keyboard.press("Space")
    expect(voter.get_by_role("group", name="1 of your votes")).to_be_visible()
    idea = Idea.objects.get(question=question)
    assert (idea.vote_count, Vote.objects.filter(idea=idea).count()) == (1, 1)

    # The organiser's copy of it: the page, then the copy opened as their new question.
    page.goto(f"{base}/q/{question.pk}/duplicate/")
    scan(page, "duplicate", found)
    page.get_by_label("The question, its settings and its ideas").check()
    with page.expect_navigation():
        press_on(page, "Make the copy")
    expect(page.locator("body")).to_contain_text("This is your copy")
    scan(page, "the copy", found)

    # The organiser deletes the question: the confirmation, reached and confirmed by keyboard.
    page.goto(f"{base}/q/{question.pk}/settings/")
    with page.expect_navigation():
        press_on(page, "Delete the question")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Delete")
    expect(page.get_by_role("listitem").filter(has_text="1 idea")).to_be_visible()
    scan(page, "delete confirmation", found)
    with page.expect_navigation():
        press_on(page, "Delete the question for good")
    expect(page.locator("body")).to_contain_text("The question was deleted, with everything on it.")
    assert not Question.objects.filter(pk=question.pk).exists()
    gone = page.goto(f"{base}/q/{question.pk}/")
    assert gone is not None and gone.status == 410
    assert (gone.header_value("x-robots-tag") or "").startswith("noindex")
    scan(page, "a deleted question's link", found)

    # German: the settings with their limits, the confirmation, a deleted question's link.
    german = context.browser.new_context(  # type: ignore[union-attr]
        bypass_csp=True, locale="de-DE", viewport=context.pages[0].viewport_size
    )
    german.set_default_timeout(TIMEOUT_MS)
    other, key = services.question_create(title="Wie soll der neue Raum heißen?")
    seite = german.new_page()
    seite.goto(f"{base}/q/{other.pk}/a/{key}/")
    seite.goto(f"{base}/q/{other.pk}/settings/")
    expect(seite.get_by_role("group", name="Grenzen")).to_be_visible()
    expect(seite.get_by_label("Stimmen pro Idee und teilnehmender Person")).to_be_visible()
    scan(seite, "settings, German", found)
    with seite.expect_navigation():
        press_on(seite, "Die Frage löschen")
    expect(seite.get_by_role("button", name="Die Frage endgültig löschen")).to_be_visible()
    scan(seite, "delete confirmation, German", found)
    with seite.expect_navigation():
        press_on(seite, "Die Frage endgültig löschen")
    expect(seite.locator("body")).to_contain_text("Die Frage wurde mit allem darin gelöscht.")
    seite.goto(f"{base}/q/{other.pk}/")
    expect(seite.locator("h1")).to_have_text("Gelöscht")
    scan(seite, "a deleted question's link, German", found)
    german.close()

    assert not found, f"axe found violations:\n{report(found)}"
