"""Bylines in a real Chromium: "by Carol" keeps its space however the line is laid out. A flex
line makes each run of text an item of its own and drops the spaces at its ends, which showed
"byCarol" (the text said "by Carol" to a screen reader, but not to the eye): the space must be
there in the rendered text and on the screen, in English and in German, wide and narrow."""

from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, expect

from ponder.questions import services
from ponder.questions.models import Question

pytestmark = pytest.mark.browser

# How far the name starts after the end of the word before it (px): a space's width, not 0.
GAP = """(byline) => {
    const name = byline.querySelector("bdi");
    const text = name.previousSibling;  // "by ", "von "
    const words = text.textContent.trimEnd();
    const range = document.createRange();
    range.setStart(text, words.length - words.trimStart().length);
    range.setEnd(text, words.length);
    return name.getBoundingClientRect().left - range.getBoundingClientRect().right;
}"""


@pytest.fixture
def asked(transactional_db: None) -> Question:
    question, _admin_key = services.question_create(title="Where should we meet?")
    carol, _token = services.participant_join(question=question, name="Carol")
    services.idea_add(question=question, author=carol, title="The lake house")
    return question


@pytest.mark.parametrize(("language", "by"), [("en", "by Carol"), ("de", "von Carol")])
def test_the_idea_rows_byline_shows_a_space_before_the_name(
    live_server, browser: Browser, asked: Question, language: str, by: str
) -> None:
    context = browser.new_context(locale=language, extra_http_headers={"Accept-Language": language})
    page = context.new_page()
    try:
        for width in (1280, 360):
            page.set_viewport_size({"width": width, "height": 800})
            page.goto(f"{live_server.url}/q/{asked.pk}/")
            byline = page.locator("article.idea .idea-main .byline").first
            expect(byline).to_be_visible()
            assert " ".join(byline.inner_text().split()).endswith(by), width
            gap = page.evaluate(GAP, byline.element_handle())
            assert gap >= 2, (width, gap)  # a space wide, not the letters touching
    finally:
        context.close()


def test_a_comments_byline_keeps_its_spaces_around_the_dot(
    live_server, person: Callable, asked: Question
) -> None:
    carol = asked.participants.get(name="Carol")
    services.comment_add(question=asked, author=carol, text="Or the city?")
    dan = person("Dan")
    dan.page.goto(f"{live_server.url}/q/{asked.pk}/")
    byline = dan.page.locator(".comment .byline").first
    expect(byline).to_be_visible()
    name, time = byline.locator("strong"), byline.locator("time")
    dot = time.bounding_box()["x"] - (name.bounding_box()["x"] + name.bounding_box()["width"])
    assert dot > 8, dot  # " · ": a space, the dot and a space
    assert dan.problems == []
