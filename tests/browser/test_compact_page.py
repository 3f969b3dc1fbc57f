"""The demo question (`ponder demo`) taken in at a glance, in a real Chromium: how tall its page is
wide and narrow, the first Vote button in view without scrolling, and finding one's way in it:
the order, the filter and the pros and cons unfolded in place, with and without JavaScript.

The heights are the same on every run for the same seed and fonts: the demo's texts, names and
numbers come from its seed, and the page's layout from them alone."""

import random
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from ponder.questions.management.commands import demo
from ponder.questions.models import Idea, Question
from ponder.questions.pages import IDEAS_SHOWN

from .conftest import Person

pytestmark = pytest.mark.browser

# The most each page of the demo question may be (px), as a participant who joined sees it.
TALLEST = {1280: 6_000, 360: 14_000}
VIEWPORT_HEIGHT = {1280: 800, 360: 740}


@pytest.fixture
def station(transactional_db: None) -> Question:
    question, _admin_key, _counts = demo._create(random.Random(1))
    return question


def _join(page: Page, url: str, name: str) -> None:
    page.goto(url)
    page.locator("#join").get_by_label("Your name").fill(name)
    with page.expect_navigation():
        page.get_by_role("button", name="Join").click()
    page.goto(url)  # without the welcome toast


@pytest.mark.parametrize("width", sorted(TALLEST))
def test_the_demo_question_fits_a_few_screens_and_every_idea_is_reachable(
    live_server, person: Callable[..., Person], station: Question, width: int
) -> None:
    ann = person("Ann")
    page = ann.page
    page.set_viewport_size({"width": width, "height": VIEWPORT_HEIGHT[width]})
    url = f"{live_server.url}/q/{station.pk}/"
    _join(page, url, "Ann")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= TALLEST[width], f"{height} px at {width} px"
    rows = page.locator("#idea-list > article.idea")
    expect(rows).to_have_count(IDEAS_SHOWN)
    # Each row: its title, the start of its description, its strongest pro and con.
    first = rows.first
    expect(first.locator(".argument.pro")).to_have_count(1)
    expect(first.locator(".argument.con")).to_have_count(1)
    expect(first.locator(".unfold a")).to_contain_text("5 more pros, 2 more cons")
    # Every idea is reachable: the rest come in place.
    total = station.ideas.count()
    page.get_by_role("link", name=f"Show more ideas ({total - IDEAS_SHOWN} more)").click()
    expect(rows).to_have_count(total)
    if width == 1280:
        # The first idea's Vote button is in view without scrolling, below a three-paragraph
        # description.
        page.goto(url)
        assert station.description.count("\n\n") == 2
        vote = rows.first.locator("button.vote-button")
        box = vote.bounding_box()
        assert box is not None and box["y"] + box["height"] <= VIEWPORT_HEIGHT[width]
        assert page.evaluate("window.scrollY") == 0
    assert ann.problems == []


def test_sort_filter_and_unfold_in_place(
    live_server, person: Callable[..., Person], station: Question
) -> None:
    bea = person("Bea")
    page = bea.page
    url = f"{live_server.url}/q/{station.pk}/"
    _join(page, url, "Bea")
    bea.set_marker()
    titles = page.locator("#idea-list .idea-title")
    expect(titles.first).to_have_text("A new home for the library, with study space")

    # The newest first: chosen from the menu, the list changes in place and the address says so.
    page.get_by_label("Order", exact=True).select_option("new")
    expect(titles.first).to_have_text(demo.IDEAS[-1][0])
    expect(page).to_have_url(f"{url}?q=&sort=new")

    # A filter over titles and descriptions, as one types.
    page.get_by_label("Find an idea").fill("skate")
    expect(titles).to_have_count(1)
    expect(titles.first).to_have_text("Skatepark in the old goods yard")
    expect(page.locator(".listing-note")).to_contain_text("1 idea matches “skate”.")
    expect(page).to_have_url(f"{url}?q=skate&sort=new")
    assert bea.marker_survived()

    # The address keeps it: loaded again, the page is the same.
    page.reload()
    expect(titles).to_have_count(1)
    expect(page.get_by_label("Find an idea")).to_have_value("skate")
    expect(page.get_by_label("Order", exact=True)).to_have_value("new")

    # Unfold the rest of an idea's pros and cons in place, and like one of them there.
    page.goto(url)
    bea.set_marker()
    row = page.locator("article.idea").first
    expect(row.locator("li.argument")).to_have_count(2)
    row.get_by_role("link", name="5 more pros, 2 more cons").click()
    expect(row.locator("li.argument")).to_have_count(9)
    expect(row.locator(".argument.pro")).to_have_count(6)
    button = row.locator("li.argument").nth(4).locator("button.like-button")
    like = page.locator(f"#{button.get_attribute('id')}")  # its place may change with its likes
    like.click()
    expect(like).to_have_attribute("aria-pressed", "true")
    # The row stays unfolded after the like.
    expect(row.locator("li.argument")).to_have_count(9)
    assert bea.marker_survived()

    # Her own random order: the same each time she asks for it.
    page.goto(f"{url}?sort=random")
    first_time = titles.all_inner_texts()
    page.goto(f"{url}?sort=random")
    assert titles.all_inner_texts() == first_time
    assert sorted(first_time) != first_time or len(first_time) < 3
    assert bea.problems == []


def test_sort_filter_and_unfold_work_without_javascript(
    live_server, person: Callable[..., Person], station: Question
) -> None:
    cai = person("Cai", javascript=False)
    page = cai.page
    url = f"{live_server.url}/q/{station.pk}/"
    _join(page, url, "Cai")
    titles = page.locator("#idea-list .idea-title")
    page.get_by_label("Find an idea").fill("library")
    page.get_by_label("Order", exact=True).select_option("discussed")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    assert "q=library" in page.url and "sort=discussed" in page.url
    expect(titles.first).to_contain_text("library")
    expect(page.locator(".listing-note")).to_contain_text("match “library”")
    # "… more pros, … more cons" is a link to the idea's own page, with all of them.
    row = page.locator("article.idea").first
    idea = Idea.objects.get(question=station, title=row.locator(".idea-title").inner_text())
    with page.expect_navigation():
        row.locator(".unfold a").click()
    assert page.url.endswith(f"/ideas/{idea.pk}/")
    expect(page.locator("li.argument")).to_have_count(idea.arguments.count())
    assert cai.problems == []


def test_the_votes_left_stay_in_view_while_voting(
    live_server, person: Callable[..., Person], station: Question
) -> None:
    Question.objects.filter(pk=station.pk).update(max_votes=3)
    dan = person("Dan")
    page = dan.page
    page.set_viewport_size({"width": 360, "height": 740})
    _join(page, f"{live_server.url}/q/{station.pk}/", "Dan")
    note = page.locator("#votes-left")
    expect(note).to_have_text("Your votes: 3 of 3 left")
    row = page.locator("article.idea").nth(6)
    row.locator("button.vote-button").click()
    expect(note).to_have_text("Your votes: 2 of 3 left")
    # Far down the list, the note is still at the top of the screen.
    page.locator("article.idea").nth(15).scroll_into_view_if_needed()
    box = note.bounding_box()
    assert box is not None and -1 <= box["y"] <= 2, box
    assert dan.problems == []
