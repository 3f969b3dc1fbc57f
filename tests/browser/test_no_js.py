"""With and without JavaScript in a real Chromium: deleting asks first either way (a page of its
own without scripts, a dialog with them); the copy buttons show only when a script can copy; the
settings form offers the time zone of the browser first."""

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from ponder.lib import zones
from ponder.questions import services
from ponder.questions.models import Idea, Question

from .conftest import TIMEOUT_MS, Person
from .test_core_loop import idea_row

pytestmark = pytest.mark.browser


@pytest.fixture
def question(transactional_db: None) -> tuple[Question, str]:
    question, admin_key = services.question_create(title="What should we cook on Friday?")
    # Embedding on, so that the organiser's panel has both copy buttons (link and embed code).
    Question.objects.filter(pk=question.pk).update(allow_embed=True)
    kim, _token = services.participant_join(question=question, name="Kim")
    for title in ("Risotto", "Curry"):
        services.idea_add(question=question, author=kim, title=title)
    return question, admin_key


def organise(someone: Person, base: str, question: tuple[Question, str]) -> Page:
    """Open the admin link and join as Dana: as the organiser she may delete Kim's ideas."""
    q, admin_key = question
    page = someone.page
    page.goto(f"{base}/q/{q.pk}/a/{admin_key}/")
    page.locator("#join").get_by_label("Your name").fill("Dana")
    with page.expect_navigation():
        page.locator("#join").get_by_role("button", name="Join").click()
    return page


def delete_link(page: Page, title: str):
    return idea_row(page, title).get_by_role("link", name="Delete", exact=True)


def test_without_javascript_delete_asks_on_a_page_and_copy_buttons_stay_hidden(
    live_server, person: Callable[..., Person], question
) -> None:
    dana = person("Dana", javascript=False)
    page = organise(dana, live_server.url, question)  # the organiser may delete any entry

    # The links to copy are in read-only fields, the buttons that cannot work are not shown, not
    # even with the folded part of the organiser's panel (admin link and embed code) open.
    page.locator("details.organiser-more > summary").click()
    expect(page.locator("#embed-code")).to_be_visible()
    expect(page.locator("#share-link")).to_be_visible()
    assert page.locator("#share-link").input_value().endswith(f"/q/{question[0].pk}/")
    buttons = page.locator("button.copy-button")
    expect(buttons).to_have_count(2)
    for button in buttons.all():
        expect(button).to_be_hidden()

    # Delete leads to a page that asks; Cancel goes back and keeps the idea.
    with page.expect_navigation():
        delete_link(page, "Risotto").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete this for good?")
    expect(page.locator("blockquote")).to_have_text("Risotto")
    with page.expect_navigation():
        page.get_by_role("link", name="Cancel").click()
    expect(idea_row(page, "Risotto")).to_be_visible()
    assert Idea.objects.filter(title="Risotto").exists()

    # Asked again and confirmed: the idea is gone.
    with page.expect_navigation():
        delete_link(page, "Risotto").click()
    with page.expect_navigation():
        page.get_by_role("button", name="Delete").click()
    expect(page.locator("#status")).to_contain_text("Idea deleted.")
    expect(idea_row(page, "Risotto")).to_have_count(0)
    expect(idea_row(page, "Curry")).to_be_visible()
    assert not Idea.objects.filter(title="Risotto").exists()
    assert dana.problems == [], dana.problems


def test_with_javascript_delete_asks_in_a_dialog_and_copy_buttons_show(
    live_server, person: Callable[..., Person], question
) -> None:
    dana = person("Dana")
    page = organise(dana, live_server.url, question)
    expect(page.locator("#share-link")).to_be_visible()
    expect(page.get_by_role("button", name="Copy link")).to_be_visible()
    page.locator("details.organiser-more > summary").click()
    expect(page.get_by_role("button", name="Copy code")).to_be_visible()
    dana.set_marker()

    # Dismissed: nothing happens.
    dialogs: list[str] = []

    def answer(accept: bool):
        def handle(dialog) -> None:
            dialogs.append(dialog.message)
            if accept:
                dialog.accept()
            else:
                dialog.dismiss()

        return handle

    page.once("dialog", answer(False))
    delete_link(page, "Risotto").click()  # returns once the dialog is answered
    assert dialogs == ["Delete this for good?"]
    expect(idea_row(page, "Risotto")).to_be_visible()
    assert Idea.objects.filter(title="Risotto").exists()

    # Accepted: deleted in place, the page not reloaded.
    page.once("dialog", answer(True))
    delete_link(page, "Risotto").click()
    expect(page.locator("#status")).to_contain_text("Idea deleted.")
    expect(idea_row(page, "Risotto")).to_have_count(0)
    assert dana.marker_survived()
    assert dialogs == ["Delete this for good?", "Delete this for good?"]
    assert not Idea.objects.filter(title="Risotto").exists()
    assert dana.problems == [], dana.problems


# The time zone of a deadline -----------------------------------------------------------------


@pytest.fixture
def device(browser: Browser) -> Iterator[Callable[..., Page]]:
    """A browser whose clock runs in `zone`, with JavaScript on or off."""
    contexts: list[BrowserContext] = []

    def open_device(zone: str, *, javascript: bool = True) -> Page:
        context = browser.new_context(
            timezone_id=zone, java_script_enabled=javascript, locale="en-GB"
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_device
    for context in contexts:
        context.close()


def settings_page(page: Page, base: str, question: tuple[Question, str]) -> None:
    q, admin_key = question
    page.goto(f"{base}/q/{q.pk}/a/{admin_key}/")
    page.goto(f"{base}/q/{q.pk}/settings/")


@pytest.mark.parametrize(
    ("device_zone", "chosen"),
    [
        ("Europe/Berlin", "Europe/Berlin"),  # one of the common zones
        # Chromium calls it "Asia/Calcutta", an alias the server refuses: the script finds the
        # canonical name the browser means.
        ("Asia/Kolkata", "Asia/Kolkata"),
        ("America/Boise", "America/Boise"),  # canonical, but not in the common list
    ],
)
def test_the_browsers_zone_comes_first_and_is_chosen(
    live_server, device, question, device_zone: str, chosen: str
) -> None:
    page = device(device_zone)
    settings_page(page, live_server.url, question)
    select = page.get_by_label("Time zone of the deadline")
    expect(select).to_have_value(chosen)
    first = select.locator("optgroup").first
    expect(first).to_have_attribute("label", "This device's time zone")
    expect(first.locator("option")).to_have_attribute("value", chosen)

    page.get_by_label("Deadline (optional)").fill("2999-07-01T12:00")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    expect(page.locator("#status")).to_contain_text("Settings saved.")
    q = Question.objects.get(pk=question[0].pk)
    assert q.time_zone == chosen
    assert q.deadline.isoformat().startswith("2999-07-01")

    # Chosen now: the settings page keeps it and does not ask the browser again.
    page.goto(f"{live_server.url}/q/{q.pk}/settings/")
    expect(select).to_have_value(chosen)
    expect(
        page.get_by_label("Time zone of the deadline").locator("optgroup").first
    ).not_to_have_attribute("label", "This device's time zone")


def test_without_javascript_the_default_zone_and_the_common_ones_are_offered(
    live_server, device, question
) -> None:
    page = device("Asia/Kolkata", javascript=False)
    settings_page(page, live_server.url, question)
    select = page.get_by_label("Time zone of the deadline")
    expect(select).to_have_value("UTC")
    values = select.locator("option").evaluate_all("options => options.map(o => o.value)")
    assert sorted(values) == sorted(zones.COMMON)
    assert "W-SU" not in values and "Factory" not in values
    groups = select.locator("optgroup").evaluate_all("groups => groups.map(g => g.label)")
    assert groups[:3] == ["Europe", "America", "Africa"]
