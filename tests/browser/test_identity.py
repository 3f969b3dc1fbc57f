"""Who you are on a question, in a real Chromium, with JavaScript and without.

Anna organises and takes part; Bob comes from his own browser. A name that looks like Anna's is
refused next to the field; Bob sees who he takes part as, changes his name (everywhere it shows),
is refused a name like Anna's, and has his browser forget him with "not you?".
"""

from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from .conftest import Person
from .test_core_loop import add_idea, ask, idea_row

pytestmark = pytest.mark.browser

TAKEN = "is taken here, or looks just like a name that is"


def join(someone: Person, name: str) -> None:
    form = someone.page.locator("#join")
    form.get_by_label("Your name").fill(name)
    form.get_by_role("button", name="Join").click()


def whoami(someone: Person):
    return someone.page.locator("#whoami")


def rename(someone: Person, name: str) -> None:
    box = whoami(someone)
    if not box.locator("details.rename").evaluate("details => details.open"):
        box.get_by_text("change name", exact=True).click()
    box.get_by_label("Your name").fill(name)
    box.get_by_role("button", name="Save name").click()


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_a_participant_sees_changes_and_forgets_who_they_are(
    live_server, person: Callable[..., Person], javascript: bool
) -> None:
    anna = person("Anna")
    link = ask(anna, live_server.url + "/", "Where do we meet?")
    join(anna, "Anna")
    expect(whoami(anna)).to_contain_text("You take part as Anna")
    expect(whoami(anna).locator(".organiser-badge")).to_have_text("organiser")

    bob = person("Bob", javascript=javascript)
    page = bob.page
    page.goto(link)
    expect(whoami(bob)).to_have_count(0)

    # A name that looks like the organiser's (a Cyrillic A) is refused next to the field.
    join(bob, "\u0410nna")
    expect(page.locator(".field.has-error").filter(has_text=TAKEN)).to_be_visible()
    join(bob, "Bob")
    expect(whoami(bob)).to_contain_text("You take part as Bob")

    add_idea(bob, "The harbour café")
    expect(idea_row(page, "The harbour café")).to_contain_text("by Bob")

    # "change name": everywhere the name shows.
    rename(bob, "Robert")
    expect(whoami(bob)).to_contain_text("You take part as Robert")
    expect(idea_row(page, "The harbour café")).to_contain_text("by Robert")
    anna.page.reload()
    expect(idea_row(anna.page, "The harbour café")).to_contain_text("by Robert")

    # The organiser's name, in capitals, is still hers.
    rename(bob, "ANNA")
    expect(whoami(bob).locator(".field.has-error").filter(has_text=TAKEN)).to_be_visible()
    page.goto(link)
    expect(whoami(bob)).to_contain_text("You take part as Robert")

    # "not you?": this browser forgets the name; what Robert wrote stays his.
    whoami(bob).get_by_role("button", name="not you?").click()
    expect(page.locator("#join")).to_be_visible()
    expect(whoami(bob)).to_have_count(0)
    expect(page.locator("#join").get_by_label("Your name")).to_have_value("")
    expect(idea_row(page, "The harbour café")).to_contain_text("by Robert")

    # The two refusals answered 422: the browser logs each once.
    bob.forgive("422 (Unprocessable Entity) ({'url': '" + link + "join/'")
    bob.forgive("422 (Unprocessable Entity) ({'url': '" + link + "name/'")
    assert bob.problems == [] and anna.problems == []
