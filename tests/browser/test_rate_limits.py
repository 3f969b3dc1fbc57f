"""A person over a rate limit, in a real Chromium: in place, the status line says how long to
wait and the page stays as it was; without JavaScript, a page says the same."""

from collections.abc import Callable

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from ponder.questions import services
from ponder.questions.models import Participant
from ponder.ratelimit import parse_limits

from .conftest import Person
from .test_core_loop import expect_in_place, vote_button, votes_of

pytestmark = pytest.mark.browser

WAIT = (
    "You have made many changes in a short time, more than Ponder takes from one person. "
    "Please try again in"
)


@pytest.fixture
def share_link(live_server, settings) -> str:
    cache.clear()
    question, _ = services.question_create(title="What should we cook on Friday?")
    author, _ = services.participant_join(question=question, name="Alice")
    services.idea_add(question=question, author=author, title="Risotto")
    settings.PONDER_RATE_LIMITS = parse_limits("off,vote=2/h")
    return f"{live_server.url}/q/{question.pk}/"


def test_in_place_the_status_line_says_how_long_to_wait(
    share_link: str, person: Callable[..., Person]
) -> None:
    bob = person("Bob")
    bob.page.goto(share_link)
    bob.page.locator("#join").get_by_label("Your name").fill("Bob")
    with bob.page.expect_navigation():
        bob.page.get_by_role("button", name="Join").click()
    bob.set_marker()
    vote_button(bob, "Risotto").click()
    expect_in_place(bob, "Your vote was counted.")
    vote_button(bob, "Risotto").click()
    expect_in_place(bob, "Your vote was taken back.")

    vote_button(bob, "Risotto").click()  # the third vote this hour
    expect_in_place(bob, WAIT)
    expect(bob.page.locator("#status p")).to_have_class("status-error")
    expect(vote_button(bob, "Risotto")).to_have_attribute("aria-pressed", "false")
    expect(votes_of(bob.page, "Risotto")).to_have_text("0")
    bob.forgive("status of 429")  # Chromium logs every 4xx answer as a console error
    assert bob.problems == []
    assert not Participant.objects.get(name="Bob").votes.exists()


def test_without_javascript_a_page_says_it(share_link: str, person: Callable[..., Person]) -> None:
    dana = person("Dana", javascript=False)
    dana.page.goto(share_link)
    dana.page.locator("#join").get_by_label("Your name").fill("Dana")
    with dana.page.expect_navigation():
        dana.page.get_by_role("button", name="Join").click()
    for _ in range(2):
        with dana.page.expect_navigation():
            vote_button(dana, "Risotto").click()
    with dana.page.expect_navigation():
        vote_button(dana, "Risotto").click()
    expect(dana.page.get_by_role("heading", level=1)).to_have_text("Too many requests")
    expect(dana.page.locator(".error-page")).to_contain_text(WAIT)
