"""A big question in a real Chromium: its leading ideas first, the rest on demand, by keyboard and
without JavaScript; earlier comments on demand."""

import pytest
from playwright.sync_api import expect

from ponder.questions import services
from ponder.questions.pages import COMMENTS_SHOWN, IDEAS_SHOWN

pytestmark = pytest.mark.browser

EXTRA = 4


@pytest.fixture
def big(transactional_db: None) -> str:
    question, _ = services.question_create(title="Which talks should we keep?")
    author, _ = services.participant_join(question=question, name="Zoe", token=None)
    for n in range(IDEAS_SHOWN + EXTRA):
        services.idea_add(question=question, author=author, title=f"Talk {n:02}")
    for n in range(COMMENTS_SHOWN + 2):
        services.comment_add(question=question, author=author, text=f"Remark {n:02}")
    return question.pk


def test_show_more_ideas_by_keyboard_moves_focus_to_the_first_new_idea(live_server, person, big):
    ann = person("Ann")
    ann.page.goto(f"{live_server.url}/q/{big}/")
    titles = ann.page.locator("#idea-list .idea-title")
    expect(titles).to_have_count(IDEAS_SHOWN)
    more = ann.page.get_by_role("link", name=f"Show more ideas ({EXTRA} more)")
    more.focus()
    ann.page.keyboard.press("Enter")
    expect(titles).to_have_count(IDEAS_SHOWN + EXTRA)
    expect(ann.page.get_by_role("link", name="Show more ideas")).to_have_count(0)
    expect(titles.nth(IDEAS_SHOWN)).to_be_focused()
    # Earlier comments come in place too.
    comments = ann.page.locator("#comment-list .comment")
    expect(comments).to_have_count(COMMENTS_SHOWN)
    ann.page.get_by_role("link", name="Show 2 earlier comments").click()
    expect(comments).to_have_count(COMMENTS_SHOWN + 2)
    expect(comments.first).to_contain_text("Remark 00")
    assert ann.problems == []


def test_show_more_ideas_works_without_javascript(live_server, person, big):
    ben = person("Ben", javascript=False)
    ben.page.goto(f"{live_server.url}/q/{big}/")
    ben.page.get_by_role("link", name=f"Show more ideas ({EXTRA} more)").click()
    expect(ben.page.locator("#idea-list .idea-title")).to_have_count(IDEAS_SHOWN + EXTRA)
    ben.page.get_by_role("link", name="Show 2 earlier comments").click()
    expect(ben.page.locator("#comment-list .comment")).to_have_count(COMMENTS_SHOWN + 2)
