"""Pictures on ideas in a real Chromium: added with an idea (htmx, multipart) with words for what
it shows, its thumbnail in the row at its held size, the picture page by keyboard, axe-core on
both pages wide and narrow, and the form in German."""

import io
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from ponder.questions import services
from ponder.questions.models import Idea, Question
from tests.live.conftest import Server, Servers, prepare

from .conftest import AXE, AXE_TAGS, RUN_AXE, TIMEOUT_MS, Person
from .test_core_loop import add_idea, ask, idea_row

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("PONDER_SCREENSHOTS")  # a directory: screenshots for a person to look at


@pytest.fixture(autouse=True)
def picture_storage(settings, tmp_path: Path) -> Path:
    location = tmp_path / "images"
    settings.STORAGES = {
        **settings.STORAGES,
        "images": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location, "base_url": None},
        },
    }
    return location


@pytest.fixture
def question(transactional_db: None) -> Question:
    question, _key = services.question_create(title="Where should the team offsite be?")
    author = services.participant_join(question=question, name="Carol")[0]
    services.idea_add(question=question, author=author, title="Berlin")
    return question


def photo() -> dict[str, object]:
    out = io.BytesIO()
    image = Image.new("RGB", (600, 300), (40, 90, 160))
    image.paste((230, 200, 60), (0, 200, 600, 300))
    image.save(out, "JPEG", quality=85)
    return {"name": "lake.jpg", "mimeType": "image/jpeg", "buffer": out.getvalue()}


def axe(page: Page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE, AXE_TAGS)


def add_idea_with_picture(page: Page, title: str, alt: str) -> None:
    form = page.locator("#idea-form")
    form.get_by_label("Idea", exact=True).fill(title)
    form.get_by_label("Picture (optional)").set_input_files(photo())
    form.get_by_label("What the picture shows").fill(alt)
    form.get_by_role("button", name="Add idea").click()


def test_a_picture_is_added_with_its_idea_and_shown_small_in_the_row(
    live_server, question: Question, person: Callable[..., Person]
) -> None:
    ann = person("Ann")
    page = ann.page
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}/q/{question.pk}/")
    page.locator("#join").get_by_label("Your name").fill("Ann")
    with page.expect_navigation():
        page.get_by_role("button", name="Join").click()
    ann.set_marker()
    add_idea_with_picture(page, "The lake house", "A blue lake under a yellow shore")
    row = page.locator("article.idea").filter(has_text="The lake house")
    thumb = row.locator(".idea-thumb img")
    expect(thumb).to_be_visible()
    assert ann.marker_survived()  # in place (htmx), not a new page
    expect(thumb).to_have_attribute("alt", "A blue lake under a yellow shore")
    expect(thumb).to_have_attribute("width", "64")
    expect(thumb).to_have_attribute("height", "32")
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    box = thumb.bounding_box()
    assert box is not None and box["width"] <= 64 and box["height"] <= 64
    # The row is hardly taller than a row without a picture.
    other = page.locator("article.idea").filter(has_text="Berlin").bounding_box()
    assert other is not None
    assert row.bounding_box()["height"] <= other["height"] + 40
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/pictures-360.png", full_page=True)
        page.set_viewport_size({"width": 1280, "height": 800})
        page.screenshot(path=f"{SHOTS}/pictures-1280.png", full_page=True)
    assert ann.problems == []

    # By keyboard: the thumbnail is a link to the idea's page with the picture whole.
    link = row.locator("a.idea-thumb")
    link.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    picture = page.locator("#picture img")
    expect(picture).to_have_attribute("alt", "A blue lake under a yellow shore")
    expect(picture).to_have_attribute("width", "600")
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth === 600", arg=picture.element_handle()
    )
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/picture-idea-1280.png", full_page=True)
    # Its author removes it from the picture page, reached by keyboard from there.
    page.get_by_role("link", name="Change or remove the picture").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    if SHOTS:
        page.set_viewport_size({"width": 360, "height": 740})
        page.screenshot(path=f"{SHOTS}/picture-page-360.png", full_page=True)
    page.get_by_role("button", name="Remove the picture").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".idea-thumb")).to_have_count(0)
    assert not Idea.objects.get(title="The lake house").has_image
    assert ann.problems == []


@pytest.mark.parametrize("width", [360, 1280])
def test_the_pages_with_pictures_pass_axe(
    live_server, question: Question, browser: Browser, width: int
) -> None:
    context = browser.new_context(
        bypass_csp=True, viewport={"width": width, "height": 800}, locale="en-GB"
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/q/{question.pk}/")
        page.locator("#join").get_by_label("Your name").fill("Eve")
        with page.expect_navigation():
            page.get_by_role("button", name="Join").click()
        add_idea_with_picture(page, "The lake house", "A blue lake")
        row = page.locator("article.idea").filter(has_text="The lake house")
        expect(row.locator(".idea-thumb img")).to_be_visible()
        found = {"question page": axe(page)}
        idea = Idea.objects.get(title="The lake house")
        page.goto(f"{live_server.url}/q/{question.pk}/ideas/{idea.pk}/")
        found["idea page"] = axe(page)
        page.goto(f"{live_server.url}/q/{question.pk}/ideas/{idea.pk}/image/")
        found["picture page"] = axe(page)
        page.get_by_label("What the picture shows").fill("")
        with page.expect_navigation():
            page.get_by_role("button", name="Save picture").click()
        expect(page.locator(".errorlist")).to_be_visible()
        found["picture page with an error"] = axe(page)
        assert {state: v for state, v in found.items() if v} == {}
    finally:
        context.close()


def test_the_picture_form_speaks_german(live_server, question: Question, browser: Browser) -> None:
    context = browser.new_context(locale="de-DE")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/q/{question.pk}/")
        form = page.locator("#idea-form")
        expect(form.get_by_label("Bild (optional)")).to_be_visible()
        expect(form).to_contain_text("JPEG, PNG, WebP oder HEIC, bis 10,0")
        form.get_by_label("Ihr Name").fill("Jana")
        form.get_by_label("Idee", exact=True).fill("Das Seehaus")
        form.get_by_label("Bild (optional)").set_input_files(photo())
        form.get_by_role("button", name="Idee hinzufügen").click()
        # Without words for what it shows: the message next to the field, in German.
        expect(page.locator("#idea-form .errorlist")).to_contain_text(
            "Bitte beschreiben Sie, was das Bild zeigt"
        )
        assert not Idea.objects.filter(title="Das Seehaus").exists()
    finally:
        context.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A real `ponder serve` (its live stream, and its limits on a request's body)."""
    servers = Servers(tmp_path, prepare(tmp_path / "prepared"))
    try:
        (started,) = servers.start()
        yield started
    finally:
        servers.stop_all()


def test_a_new_picture_appears_on_pages_already_open(
    server: Server, person: Callable[..., Person]
) -> None:
    ann, wes = person("Ann"), person("Wes")
    share_link = ask(ann, server.url + "/", "Where should the team offsite be?")
    with ann.page.expect_navigation():
        add_idea(ann, "Lisbon", with_name=True)
    wes.page.goto(share_link)
    expect(idea_row(wes.page, "Lisbon")).to_be_visible()
    wes.set_marker()
    # Ann gives her idea a picture on its picture page, through `ponder serve`.
    row = idea_row(ann.page, "Lisbon")
    with ann.page.expect_navigation():
        row.get_by_role("link", name="Picture").click()
    ann.page.get_by_label("Picture", exact=True).set_input_files(photo())
    ann.page.get_by_label("What the picture shows").fill("Trams on a hill")
    with ann.page.expect_navigation():
        ann.page.get_by_role("button", name="Save picture").click()
    expect(ann.page.locator("#status")).to_contain_text("Picture saved.")
    # Wes's open page shows it, without a reload.
    thumb = idea_row(wes.page, "Lisbon").locator(".idea-thumb img")
    expect(thumb).to_have_attribute("alt", "Trams on a hill")
    wes.page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=thumb.element_handle()
    )
    assert wes.marker_survived()
    assert ann.problems == [] and wes.problems == []
