"""The whole loop by keyboard only: Tab, Shift+Tab, Enter, Space, arrows and typing, no mouse.

On every key press the focused element must show a focus ring (WCAG 2.4.7) and must not be hidden,
neither by other content nor by the #status toast fixed at the bottom (2.4.11). Every button, link
and field on the question page is at least 24 by 24 pixels (2.5.8). The live region announces what
others do and never takes the focus.
"""

from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from ponder.questions import services

from .conftest import Person

pytestmark = pytest.mark.browser

WIDTHS = {"1280": (1280, 800), "360": (360, 740)}

# What the focused element looks like now. The toast has `pointer-events: none`, so hit testing
# sees through it: its boxes are subtracted by hand.
FOCUS_STATE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const style = getComputedStyle(el);
  const ring = (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
    || style.boxShadow !== "none";
  const toasts = [...document.querySelectorAll("#status p")]
    .filter((p) => getComputedStyle(p).visibility !== "hidden")
    .map((p) => p.getBoundingClientRect());
  const r = el.getBoundingClientRect();
  let seen = false;
  for (const fx of [0.05, 0.5, 0.95]) for (const fy of [0.05, 0.5, 0.95]) {
    const x = r.left + r.width * fx, y = r.top + r.height * fy;
    if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) continue;
    if (toasts.some((t) => x >= t.left && x <= t.right && y >= t.top && y <= t.bottom)) continue;
    const hit = document.elementFromPoint(x, y);
    if (hit && (hit === el || el.contains(hit))) seen = true;
  }
  return {
    ring, seen,
    live: !!el.closest("#live-status"), html: el.outerHTML.slice(0, 160),
  };
}"""

# Every visible control that is not a link inside running text, with its size. A radio button or
# checkbox counts with its label, which takes the click too.
TARGET_SIZES = """() => {
  const controls = document.querySelectorAll(
    "a[href], button, input:not([type=hidden]), select, textarea, summary");
  const small = [];
  for (const el of controls) {
    let r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || el.closest(".visually-hidden")) continue;
    if (el.checkVisibility && !el.checkVisibility({visibilityProperty: true})) continue;
    // A link in a sentence is exempt.
    if (el.matches("a") && getComputedStyle(el).display === "inline"
        && el.parentElement.textContent.trim() !== el.textContent.trim()) continue;
    if (el.matches("[type=radio], [type=checkbox]") && el.labels.length) {
      r = el.labels[0].getBoundingClientRect();
    }
    if (r.width < 24 || r.height < 24) {
      small.push(`${el.outerHTML.slice(0, 100)}: ${r.width.toFixed(1)} x ${r.height.toFixed(1)}`);
    }
  }
  return small;
}"""


class Keyboard:
    """Someone who only has a keyboard; every step checks where the focus is."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.presses = 0

    def check_focus(self, why: str) -> dict | None:
        state = self.page.evaluate(FOCUS_STATE)
        if state is None:
            return None
        assert not state["live"], f"{why}: the live region took the focus"
        assert state["ring"], f"{why}: no visible focus on {state['html']}"
        assert state["seen"], f"{why}: the focused element is hidden: {state['html']}"
        return state

    def settled(self) -> None:
        """Wait as a person would for htmx to finish a swap: a control swapped in a moment ago
        is not yet wired to htmx, and a key press on it would send a plain form (a reload)."""
        busy = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"
        self.page.wait_for_function("(busy) => !document.querySelector(busy)", arg=busy)

    def press(self, key: str) -> None:
        self.presses += 1
        self.settled()
        self.page.keyboard.press(key)
        self.check_focus(f"after {key}")

    def press_to_load(self, key: str) -> None:
        """Press a key that sends a form which loads the next page."""
        self.presses += 1
        with self.page.expect_navigation():
            self.page.keyboard.press(key)
        self.check_focus(f"after {key} loaded a page")

    def tab_to(self, target: Locator, *, backwards: bool = False, limit: int = 80) -> None:
        """Tab (or Shift+Tab) until `target` has the focus, checking the focus on each stop.

        The target is looked up again on each stop: a live update may have swapped its row."""
        key = "Shift+Tab" if backwards else "Tab"
        for _ in range(limit):
            self.presses += 1
            self.page.keyboard.press(key)
            state = self.check_focus(f"tabbing to {target}")
            if state and target.evaluate("(el) => el === document.activeElement"):
                return
        raise AssertionError(f"{limit} presses of {key} did not reach {target}")

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)


def idea_row(page: Page, title: str) -> Locator:
    return page.locator("article.idea").filter(
        has=page.get_by_role("heading", name=title, exact=True)
    )


def add_argument(keys: Keyboard, idea: str, kind: str, text: str) -> None:
    row = idea_row(keys.page, idea)
    keys.tab_to(row.locator("summary"))
    keys.press("Enter")  # opens the <details>, which loads the form in place of its link
    expect(row.locator("details")).to_have_attribute("open", "")
    expect(row.locator("details form")).to_be_visible()
    expect(row.locator("summary")).to_be_focused()
    # Tab reaches the first radio button of the group; the arrows move within it.
    keys.tab_to(row.get_by_label("Pro", exact=True))
    keys.press("Space" if kind == "Pro" else "ArrowRight")
    expect(row.get_by_label(kind, exact=True)).to_be_checked()
    keys.tab_to(row.get_by_label("Argument", exact=True))
    keys.type(text)
    keys.tab_to(row.get_by_role("button", name="Add", exact=True))
    keys.press("Enter")
    expect(row.locator("li.argument").filter(has_text=text)).to_be_visible()
    # The form closed; the focus is back on "Add a pro or con" of the same idea, not lost.
    expect(row.locator("summary")).to_be_focused()


def assert_targets_are_large_enough(page: Page, where: str) -> None:
    small = page.evaluate(TARGET_SIZES)
    assert not small, f"{where}: targets smaller than 24 x 24 px:\n" + "\n".join(small)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_an_organiser_runs_a_question_by_keyboard_alone(
    live_server, person: Callable[..., Person], width: str
) -> None:
    alice = person("Alice")
    page = alice.page
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    keys = Keyboard(page)

    # Ask from the home page: the first Tab reaches "Skip to content", which is visible then.
    page.goto(live_server.url + "/")
    keys.tab_to(page.get_by_role("link", name="Skip to content"))
    keys.tab_to(page.get_by_label("Your question"))
    keys.type("Where should the team offsite be?")
    keys.press_to_load("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Where should the team offsite be?")

    # Join, then add two ideas; Enter in a field sends its form.
    keys.tab_to(page.locator("#join").get_by_label("Your name"))
    keys.type("Alice")
    keys.press_to_load("Enter")
    expect(page.locator("#status")).to_contain_text("Welcome, Alice.")
    for title in ("Lisbon", "Porto"):
        keys.tab_to(page.locator("#idea-form").get_by_label("Idea", exact=True))
        keys.type(title)
        keys.press("Enter")
        expect(idea_row(page, title)).to_be_visible()
        expect(page.locator("#idea-form").get_by_label("Idea", exact=True)).to_have_value("")
    alice.set_marker()

    add_argument(keys, "Lisbon", "Pro", "Direct flights from everywhere")
    add_argument(keys, "Porto", "Con", "Hotels are booked out in June")

    # Like the pro: the button keeps the focus after its row is swapped in place.
    like = idea_row(page, "Lisbon").locator("button.like-button")
    keys.tab_to(like, backwards=True)
    keys.press("Space")
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(like).to_be_focused()

    # Vote, take the vote back, vote again: the focus stays on the vote button.
    vote = idea_row(page, "Lisbon").locator("button.vote-button")
    keys.tab_to(vote, backwards=True)
    keys.press("Enter")
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#status")).to_contain_text("Your vote was counted.")
    expect(vote).to_be_focused()
    keys.check_focus("under the toast after voting")
    keys.press("Enter")
    expect(vote).to_have_attribute("aria-pressed", "false")
    expect(vote).to_be_focused()
    keys.press("Enter")
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(vote).to_be_focused()

    # The live region (where others' changes are announced) cannot take the focus, not even when
    # a script asks it to. That others' changes arrive there needs an ASGI server: see
    # test_live_updates.py.
    live = page.locator("#live-status")
    expect(live).to_have_attribute("aria-live", "polite")
    assert live.get_attribute("tabindex") is None
    assert not live.evaluate("(el) => { el.focus(); return document.activeElement === el; }")
    expect(vote).to_be_focused()

    # Every control on the full page is large enough, with every form open: right after opening
    # (a form of pros and cons may still be loading, its link to the idea page showing), and
    # once every form came.
    for summary in page.locator("details > summary").all():
        summary.evaluate("(el) => { el.parentElement.open = true; }")
    assert_targets_are_large_enough(page, f"question page, organiser, {width} px")
    forms = page.locator("details.add-argument form")
    expect(forms).to_have_count(page.locator("details.add-argument").count())
    assert_targets_are_large_enough(page, f"question page, organiser, {width} px")
    for summary in page.locator("details > summary").all():
        summary.evaluate("(el) => { el.parentElement.open = false; }")

    # A comment.
    keys.tab_to(page.locator("#comment-form").get_by_label("Comment"))
    keys.type("Can we decide by Friday?")
    keys.tab_to(page.get_by_role("button", name="Add comment"))
    keys.press("Enter")
    expect(page.locator("#comment-list")).to_contain_text("Can we decide by Friday?")
    assert alice.marker_survived()

    # Close, and read the result by tabbing through the whole page.
    keys.tab_to(page.get_by_role("button", name="Close now and show the result"), backwards=True)
    keys.press_to_load("Enter")
    expect(page.locator(".result-banner")).to_have_text(
        "The question was completed. Here is the result:"
    )
    expect(idea_row(page, "Lisbon").locator(".badge.winner")).to_have_text("Winner")
    assert_targets_are_large_enough(page, f"result page, {width} px")
    keys.tab_to(page.get_by_role("link", name="Accessibility"), limit=120)
    assert alice.problems == [], alice.problems


def test_a_participant_with_a_phone_sized_screen_reaches_everything(
    live_server, person: Callable[..., Person], transactional_db: None
) -> None:
    question, _key = services.question_create(title="What should we call the new room?")
    weber, _token = services.participant_join(question=question, name="Ms Weber")
    for title in ("Agora", "The Lab", "Room 7"):
        idea = services.idea_add(question=question, author=weber, title=title)
        services.argument_add(idea=idea, author=weber, kind="pro", text=f"{title} is short")
    dan = person("Dan")
    page = dan.page
    page.set_viewport_size({"width": 360, "height": 640})
    keys = Keyboard(page)
    page.goto(f"{live_server.url}/q/{question.pk}/")
    keys.tab_to(page.locator("#join").get_by_label("Your name"))
    keys.type("Dan")
    keys.press_to_load("Enter")
    assert_targets_are_large_enough(page, "question page, participant, 360 px")
    # Down the whole page and back up, with the toast of joining still showing.
    keys.tab_to(page.get_by_role("link", name="Accessibility"), limit=120)
    keys.tab_to(page.get_by_role("link", name="Ponder", exact=True), backwards=True, limit=120)
    assert dan.problems == [], dan.problems


def test_a_form_that_comes_late_takes_the_focus_from_the_link_it_replaces(
    live_server, person: Callable[..., Person], transactional_db: None
) -> None:
    question, _key = services.question_create(title="What should we call the new room?")
    weber, _token = services.participant_join(question=question, name="Ms Weber")
    services.idea_add(question=question, author=weber, title="Agora")
    dan = person("Dan")
    page = dan.page
    keys = Keyboard(page)
    page.goto(f"{live_server.url}/q/{question.pk}/")
    held = []  # the form's request, answered only once the keyboard is on the link
    form = "**/*part=argument_form*"
    page.route(form, lambda route: held.append(route))
    row = idea_row(page, "Agora")
    keys.tab_to(row.locator("summary"))
    with page.expect_request(form):
        keys.press("Enter")
    keys.tab_to(row.get_by_role("link", name="Write a pro or con on the idea page"))
    assert len(held) == 1
    held[0].continue_()
    expect(row.locator("details form")).to_be_visible()
    # A newcomer's form starts with their name.
    expect(row.get_by_label("Your name")).to_be_focused()
    keys.check_focus("in the form that came")
    assert dan.problems == [], dan.problems
