"""The core loop in a real Chromium, as people would walk it.

Alice organises from the home page; Bob and Carol take part from their own browsers. Each action
after someone has joined happens in place (htmx): the page is never reloaded, and #status says what
happened. The second test walks the same forms with JavaScript switched off.
"""

from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from .conftest import Person

pytestmark = pytest.mark.browser

RESULT_BANNER = "The question was completed. Here is the result:"


def idea_row(page: Page, title: str) -> Locator:
    return page.locator("article.idea").filter(
        has=page.get_by_role("heading", name=title, exact=True)
    )


def argument_item(page: Page, text: str) -> Locator:
    return page.locator("li.argument").filter(has_text=text)


def votes_of(page: Page, title: str) -> Locator:
    return idea_row(page, title).locator(".vote-count .count")


def ask(someone: Person, url: str, title: str) -> str:
    """Ask a question from the home page; return the share link shown to the organiser."""
    page = someone.page
    page.goto(url)
    page.get_by_label("Your question").fill(title)
    with page.expect_navigation():
        page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("#status")).to_contain_text("Your question is ready.")
    return page.locator("#share-link").input_value()


def add_idea(someone: Person, title: str, *, with_name: bool = False) -> None:
    """Add an idea; someone who has not joined yet gives their name in the same form."""
    form = someone.page.locator("#idea-form")
    if with_name:
        form.get_by_label("Your name").fill(someone.name)
    form.get_by_label("Idea", exact=True).fill(title)
    form.get_by_role("button", name="Add idea").click()


def add_argument(
    someone: Person, idea: str, kind: str, text: str, *, javascript: bool = True
) -> None:
    """Open "Add a pro or con" and send the form loaded into it; without JavaScript its link
    leads to the form on the idea's own page, which goes back to the question page."""
    page = someone.page
    row = idea_row(page, idea)
    row.locator("summary").click()
    form = row.locator("details.add-argument form")
    if not javascript:
        link = row.get_by_role("link", name="Write a pro or con on the idea page")
        with page.expect_navigation():
            link.click()
        expect(page.get_by_role("heading", level=1)).to_have_text(idea)
        form = page.locator("form[id^='argument-form-']")
    expect(form).to_be_visible()
    form.get_by_label(kind, exact=True).check()
    form.get_by_label("Argument", exact=True).fill(text)
    form.get_by_role("button", name="Add", exact=True).click()


def vote_button(someone: Person, idea: str) -> Locator:
    return idea_row(someone.page, idea).locator("button.vote-button")


def expect_in_place(someone: Person, status: str) -> None:
    """The action's message is in #status, and the page the marker was set on is still there."""
    expect(someone.page.locator("#status")).to_contain_text(status)
    assert someone.marker_survived(), f"{someone.name}'s page was reloaded: {status!r}"


def test_people_ask_add_weigh_vote_and_see_the_result(
    live_server, person: Callable[..., Person]
) -> None:
    alice, bob, carol = person("Alice"), person("Bob"), person("Carol")

    # Alice asks and adds the first idea, giving her name with it: the page loads again, as
    # every form on it changes once she has a name.
    share_link = ask(alice, live_server.url + "/", "Where should the team offsite be?")
    with alice.page.expect_navigation():
        add_idea(alice, "Lisbon", with_name=True)
    expect(alice.page.locator("#status")).to_contain_text("Your idea was added.")
    expect(idea_row(alice.page, "Lisbon")).to_contain_text("by Alice")

    # Bob opens the share link and joins with his name.
    bob.page.goto(share_link)
    bob.page.locator("#join").get_by_label("Your name").fill("Bob")
    with bob.page.expect_navigation():
        bob.page.get_by_role("button", name="Join").click()
    expect(bob.page.locator("#status")).to_contain_text("Welcome, Bob.")
    expect(bob.page.locator("#join")).to_have_count(0)

    # From now on everything Bob does happens in place.
    bob.set_marker()
    add_idea(bob, "Porto")
    expect_in_place(bob, "Your idea was added.")
    expect(idea_row(bob.page, "Porto")).to_contain_text("by Bob")
    expect(bob.page.locator("#idea-form").get_by_label("Idea", exact=True)).to_have_value("")

    # An empty idea is refused next to its field, and the last "added" message goes away.
    add_idea(bob, "")
    expect(bob.page.locator("#idea-form .errorlist")).to_have_text("This field is required.")
    expect_in_place(bob, "Nothing was saved.")
    expect(bob.page.locator("#status")).not_to_contain_text("Your idea was added.")
    expect(bob.page.locator("#status p")).to_have_class("status-error")
    bob.forgive("status of 422")  # Chromium logs every 4xx answer as a console error

    add_argument(bob, "Lisbon", "Pro", "Direct flights from everywhere")
    expect_in_place(bob, "Your pro was added.")
    expect(argument_item(bob.page, "Direct flights from everywhere")).to_have_class("argument pro")
    add_argument(bob, "Porto", "Con", "Hotels are booked out in June")
    expect_in_place(bob, "Your con was added.")
    expect(argument_item(bob.page, "Hotels are booked out in June")).to_have_class("argument con")

    # Carol joins by adding an idea with her name, in one step.
    carol.page.goto(share_link)
    expect(idea_row(carol.page, "Porto")).to_be_visible()
    with carol.page.expect_navigation():
        add_idea(carol, "Berlin", with_name=True)
    expect(carol.page.locator("#status")).to_contain_text("Your idea was added.")
    expect(idea_row(carol.page, "Berlin")).to_contain_text("by Carol")

    carol.set_marker()
    add_argument(carol, "Lisbon", "Con", "Too hot in August")
    expect_in_place(carol, "Your con was added.")

    like = argument_item(carol.page, "Direct flights from everywhere").locator("button.like-button")
    expect(like).to_have_attribute("aria-pressed", "false")
    like.click()
    expect_in_place(carol, "You like this argument.")
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(like.locator(".count")).to_have_text("1")

    # Carol votes for two ideas.
    vote_button(carol, "Lisbon").click()
    expect_in_place(carol, "Your vote was counted.")
    expect(vote_button(carol, "Lisbon")).to_have_attribute("aria-pressed", "true")
    vote_button(carol, "Porto").click()
    expect(votes_of(carol.page, "Porto")).to_have_text("1")
    expect_in_place(carol, "Your vote was counted.")
    expect(votes_of(carol.page, "Lisbon")).to_have_text("1")
    expect(idea_row(carol.page, "Lisbon").locator(".voters")).to_have_text("Carol")

    # Bob votes, takes it back, and votes again.
    vote_button(bob, "Lisbon").click()
    expect(votes_of(bob.page, "Lisbon")).to_have_text("2")
    expect_in_place(bob, "Your vote was counted.")
    vote_button(bob, "Lisbon").click()
    expect(votes_of(bob.page, "Lisbon")).to_have_text("1")
    expect_in_place(bob, "Your vote was taken back.")
    expect(vote_button(bob, "Lisbon")).to_have_attribute("aria-pressed", "false")
    vote_button(bob, "Lisbon").click()
    expect(votes_of(bob.page, "Lisbon")).to_have_text("2")
    expect_in_place(bob, "Your vote was counted.")
    expect(idea_row(bob.page, "Lisbon").locator(".voters")).to_have_text("Carol, Bob")

    # Alice sees it all and closes the question.
    alice.page.reload()
    expect(votes_of(alice.page, "Lisbon")).to_have_text("2")
    expect(votes_of(alice.page, "Porto")).to_have_text("1")
    expect(votes_of(alice.page, "Berlin")).to_have_text("0")
    with alice.page.expect_navigation():
        alice.page.get_by_role("button", name="Close now and show the result").click()
    expect(alice.page.locator(".result-banner")).to_have_text(RESULT_BANNER)

    # Bob reloads and sees the result: Lisbon won, the others are further ideas.
    bob.page.reload()
    ideas = bob.page.locator("#ideas")
    expect(ideas.locator(".result-banner")).to_have_text(RESULT_BANNER)
    expect(ideas.locator(".winners .idea-title")).to_have_text(["Lisbon"])
    expect(ideas.locator("h3.further")).to_have_text("Further ideas")
    expect(ideas.locator("#idea-list .idea-title")).to_have_text(["Porto", "Berlin"])
    # The winner comes right under the banner, before the further ideas.
    order = ideas.locator(".result-banner, .idea-title, h3.further")
    expect(order).to_have_text([RESULT_BANNER, "Lisbon", "Further ideas", "Porto", "Berlin"])
    expect(bob.page.locator("button.vote-button")).to_have_count(0)
    expect(bob.page.locator("#idea-form")).to_have_count(0)

    for someone in (alice, bob, carol):
        assert someone.problems == [], f"{someone.name}: {someone.problems}"


def test_voting_and_adding_ideas_work_without_javascript(
    live_server, person: Callable[..., Person]
) -> None:
    dana = person("Dana", javascript=False)
    page = dana.page
    ask(dana, live_server.url + "/", "What should we cook on Friday?")

    add_idea(dana, "Risotto", with_name=True)
    expect(page.locator("#status")).to_contain_text("Your idea was added.")
    expect(idea_row(page, "Risotto")).to_contain_text("by Dana")
    expect(votes_of(page, "Risotto")).to_have_text("0")

    vote_button(dana, "Risotto").click()
    expect(page.locator("#status")).to_contain_text("Your vote was counted.")
    expect(votes_of(page, "Risotto")).to_have_text("1")
    expect(vote_button(dana, "Risotto")).to_have_attribute("aria-pressed", "true")

    # A pro, liked and unliked: the like buttons post the idea's one form of likes.
    add_argument(dana, "Risotto", "Pro", "Everyone can help stir", javascript=False)
    expect(page.locator("#status")).to_contain_text("Your pro was added.")
    like = argument_item(page, "Everyone can help stir").locator("button.like-button")
    like.click()
    expect(page.locator("#status")).to_contain_text("You like this argument.")
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(like.locator(".count")).to_have_text("1")
    like.click()
    expect(like).to_have_attribute("aria-pressed", "false")
    expect(like.locator(".count")).to_have_text("0")
    assert dana.problems == [], dana.problems
