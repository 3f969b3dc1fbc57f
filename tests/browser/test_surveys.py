"""Surveys in a real Chromium: the organiser makes one from the home page, people give their
name once on its page and take part in every question, with JavaScript (in place) and without
(each form posts and comes back to the survey's page at the right place); the closed questions'
winners show at the top. Its pages pass axe-core and work by keyboard; another browser's changes
reach an open survey page without a reload (against a real `ponder serve`)."""

import json
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.contrib.auth.hashers import make_password
from playwright.sync_api import Browser, Page, expect

from ponder.questions import services, survey_services
from ponder.questions.models import Question, Survey
from tests.live.conftest import Server, Servers, prepare

from .conftest import AXE, AXE_TAGS, RUN_AXE, TIMEOUT_MS, Person
from .test_core_loop import idea_row, vote_button, votes_of

pytestmark = pytest.mark.browser


def make_survey(someone: Person, base: str) -> str:
    """Alice makes a survey of three questions from the home page; returns its share link."""
    page = someone.page
    page.goto(base + "/")
    with page.expect_navigation():
        page.get_by_role("link", name="make a survey of several questions").click()
    page.get_by_label("Title of the survey").fill("Team day in June")
    page.get_by_label("Questions, one a line").fill(
        "Where should we go?\nWhich date suits you?\nWhat shall we eat?"
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Make the survey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Team day in June")
    expect(page.locator("#status")).to_contain_text("Your survey is ready.")
    return page.locator("#share-link").input_value()


def section(page: Page, title: str):
    return page.locator("section.survey-question").filter(
        has=page.get_by_role("heading", name=title, exact=True)
    )


def join(someone: Person) -> None:
    page = someone.page
    page.locator("#join").get_by_label("Your name").fill(someone.name)
    with page.expect_navigation():
        page.locator("#join").get_by_role("button", name="Join").click()
    expect(page.locator("#whoami")).to_contain_text(f"You take part as {someone.name}")


def add_idea(page: Page, question: str, title: str) -> None:
    block = section(page, question)
    block.locator("summary", has_text="Add an idea").click()
    block.get_by_label("Idea", exact=True).fill(title)
    block.get_by_role("button", name="Add idea").click()


def test_the_whole_survey_with_javascript(live_server, person: Callable[..., Person]) -> None:
    alice, bob = person("Alice"), person("Bob")
    share = make_survey(alice, live_server.url)
    survey = Survey.objects.get()
    where, when, food = survey.question_list()

    # Each question keeps its own settings: ideas off on the second, set on its own page.
    Question.objects.filter(pk=when.pk).update(allow_ideas=False)
    # And a cap of two votes on the first: its note is in its part, and a vote in place swaps
    # only the vote box (no note of the whole page to find: no console error).
    Question.objects.filter(pk=where.pk).update(max_votes=2)

    bob.page.goto(share)
    expect(bob.page.locator("#join")).to_have_count(1)  # the name is asked once for the page
    join(bob)
    bob.set_marker()
    add_idea(bob.page, "Where should we go?", "The lake house")
    expect(idea_row(bob.page, "The lake house")).to_be_visible()
    expect(bob.page.locator("#status")).to_contain_text("Your idea was added.")
    assert bob.marker_survived()
    expect(section(bob.page, "Which date suits you?").locator("summary")).to_have_count(0)

    vote_button(bob, "The lake house").click()
    expect(votes_of(bob.page, "The lake house")).to_have_text("1")
    expect(bob.page.locator("#status")).to_contain_text("Your vote was counted.")
    assert bob.marker_survived()
    bob.page.reload()
    expect(section(bob.page, "Where should we go?")).to_contain_text("Your votes: 1 of 2 left")

    # The organiser closes the first question from its own page (the survey's admin key
    # organises it); the survey's page then shows its winner at the top.
    alice.page.goto(f"{live_server.url}/q/{where.pk}/")
    expect(alice.page.locator(".part-of-survey")).to_contain_text("Team day in June")
    with alice.page.expect_navigation():
        alice.page.get_by_role("button", name="Close now and show the result").click()
    alice.page.goto(share)
    results = alice.page.locator("#results")
    expect(results).to_contain_text("Where should we go?: The lake house")
    # The other questions stay open.
    expect(section(alice.page, "What shall we eat?")).to_contain_text("Open")
    assert food.is_open()
    assert not alice.problems and not bob.problems, alice.problems + bob.problems


def test_the_whole_survey_without_javascript(live_server, person: Callable[..., Person]) -> None:
    survey, admin_key = survey_services.survey_create(
        title="Team day", questions=["Where should we go?", "What shall we eat?"]
    )
    where, food = survey.question_list()
    services.question_close(question=food)
    bob = person("Bob", javascript=False)
    page = bob.page
    page.goto(f"{live_server.url}/s/{survey.pk}/")
    join(bob)
    add_idea(page, "Where should we go?", "The lake house")
    expect(page).to_have_url(f"{live_server.url}/s/{survey.pk}/#q-{where.pk}")
    expect(page.locator("#status")).to_contain_text("Your idea was added.")
    # The closed question offers no form and no vote.
    expect(section(page, "What shall we eat?").locator("form")).to_have_count(0)

    with page.expect_navigation():
        vote_button(bob, "The lake house").click()
    idea = where.ideas.get()
    expect(page).to_have_url(f"{live_server.url}/s/{survey.pk}/#idea-{idea.pk}")
    expect(votes_of(page, "The lake house")).to_have_text("1")
    with page.expect_navigation():
        vote_button(bob, "The lake house").click()  # taken back
    expect(votes_of(page, "The lake house")).to_have_text("0")

    # A title the form refuses comes back with the message next to the field.
    add_idea(page, "Where should we go?", "\u202eevil")
    expect(page.get_by_text("Remove the invisible characters")).to_be_visible()

    # The organiser's admin link works without scripts too, for every question.
    alice = person("Alice", javascript=False)
    alice.page.goto(f"{live_server.url}/s/{survey.pk}/a/{admin_key}/")
    expect(alice.page.get_by_role("heading", name="You organise this survey")).to_be_visible()
    for question in survey.question_list():
        alice.page.goto(f"{live_server.url}/q/{question.pk}/settings/")
        expect(alice.page.get_by_role("heading", level=1)).to_have_text(
            "Edit question and settings"
        )


@pytest.mark.parametrize("width", [1280, 360])
def test_the_survey_pages_pass_axe(live_server, browser: Browser, width: int) -> None:
    assert AXE.exists(), "axe-core is missing: run `npm ci --ignore-scripts` (bin/dev test does)"
    survey, admin_key = survey_services.survey_create(
        title="Team day", description="Where and **when**?", questions=["Where?", "When?"]
    )
    where, _when = survey.question_list()
    kim, _ = services.participant_join(question=where, name="Kim")
    lake = services.idea_add(question=where, author=kim, title="The lake house")
    services.argument_add(idea=lake, author=kim, kind="pro", text="Quiet")
    services.vote_cast(idea=lake, participant=kim)
    services.question_close(question=where)
    context = browser.new_context(
        bypass_csp=True, viewport={"width": width, "height": 800}, locale="en-GB"
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    found = {}
    base = live_server.url

    def scan(state: str) -> None:
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE))
        violations = page.evaluate(RUN_AXE, AXE_TAGS)
        if violations:
            found[state] = violations

    page.goto(f"{base}/s/new/")
    scan("create")
    with page.expect_navigation():
        page.get_by_role("button", name="Make the survey").click()
    scan("create with errors")
    page.goto(f"{base}/s/{survey.pk}/")
    scan("newcomer")
    page.locator("#join").get_by_label("Your name").fill("Bob")
    with page.expect_navigation():
        page.locator("#join").get_by_role("button", name="Join").click()
    page.locator("details.add-idea-compact summary, .add-idea-compact summary").first.click()
    scan("participant")
    page.goto(f"{base}/s/{survey.pk}/a/{admin_key}/")
    scan("organiser")
    page.goto(f"{base}/s/{survey.pk}/settings/")
    scan("settings")
    context.close()
    assert not found, json.dumps(found, indent=1)


def test_a_password_question_of_a_survey_shows_only_its_gate_until_the_password_is_given(
    live_server, browser: Browser
) -> None:
    survey, _key = survey_services.survey_create(
        title="Team day", questions=["Where?", "Whom do we promote?"]
    )
    _where, secret = survey.question_list()
    olga, _ = services.participant_join(question=secret, name="Olga", organiser=True)
    services.idea_add(question=secret, author=olga, title="Bettina from accounts")
    secret.taking_part, secret.password_hash = "password", make_password("open sesame")
    secret.save(update_fields=["taking_part", "password_hash"])
    context = browser.new_context(
        bypass_csp=True, viewport={"width": 360, "height": 800}, locale="en-GB"
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{live_server.url}/s/{survey.pk}/")
    block = page.locator(f"#q-{secret.pk}")
    expect(block).to_contain_text("This question is only for people with the password.")
    expect(page.locator("body")).not_to_contain_text("Whom do we promote?")
    expect(page.locator("body")).not_to_contain_text("Bettina from accounts")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(RUN_AXE, AXE_TAGS)
    assert not violations, json.dumps(violations, indent=1)
    with page.expect_navigation():
        block.get_by_role("link", name="Enter the password on the question's page").click()
    page.get_by_role("textbox", name="Password").fill("open sesame")
    with page.expect_navigation():
        page.get_by_role("button", name="Enter").click()
    page.goto(f"{live_server.url}/s/{survey.pk}/")
    expect(section(page, "Whom do we promote?")).to_contain_text("Bettina from accounts")
    context.close()


def test_a_participant_joins_and_votes_by_keyboard_alone(
    live_server, person: Callable[..., Person]
) -> None:
    survey, _key = survey_services.survey_create(title="Team day", questions=["Where?", "When?"])
    _where, when = survey.question_list()
    kim, _ = services.participant_join(question=when, name="Kim")
    friday = services.idea_add(question=when, author=kim, title="Friday")
    bob = person("Bob")
    page = bob.page
    page.goto(f"{live_server.url}/s/{survey.pk}/")

    def tab_to(selector: str) -> None:
        for _ in range(80):
            page.keyboard.press("Tab")
            if page.evaluate("(s) => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_to("#join input[name=name]")
    page.keyboard.type("Bob")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#whoami")).to_contain_text("You take part as Bob")
    tab_to(f"#vote-{friday.pk}")
    page.keyboard.press("Enter")
    expect(votes_of(page, "Friday")).to_have_text("1")
    assert not bob.problems, bob.problems


# Live updates: a real `ponder serve` (ASGI), as tests/browser/test_live_updates.py does.


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    servers = Servers(tmp_path, prepare(tmp_path / "prepared"))
    try:
        (started,) = servers.start()
        yield started
    finally:
        servers.stop_all()


def _api(base: str, method: str, path: str, body: object = None, token: str = "") -> dict:
    request = urllib.request.Request(  # noqa: S310 - our own server, over http
        base + "/api/v1" + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Bearer {token}"} if token else {}),
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read() or b"null")


def test_a_change_to_any_question_reaches_the_open_survey_page(
    server: Server, person: Callable[..., Person]
) -> None:
    made = _api(
        server.url,
        "POST",
        "/surveys",
        {"title": "Team day", "questions": [{"title": "Where?"}, {"title": "When?"}]},
    )
    _where, when = (q["id"] for q in made["questions"])
    bob = person("Bob")
    bob.page.goto(made["share_url"])
    bob.set_marker()
    expect(bob.page.locator("#survey-live")).to_have_count(1)

    # Carol, through the API, adds an idea to the second question and votes for it.
    carol = _api(server.url, "POST", f"/questions/{when}/participants", {"name": "Carol"})
    idea = _api(server.url, "POST", f"/questions/{when}/ideas", {"title": "Friday"}, carol["token"])
    expect(idea_row(bob.page, "Friday")).to_be_visible()
    _api(server.url, "PUT", f"/ideas/{idea['id']}/vote", None, carol["token"])
    expect(votes_of(bob.page, "Friday")).to_have_text("1")
    assert bob.marker_survived(), "the survey page was reloaded"
    assert not bob.problems, bob.problems


def test_an_organiser_makes_a_survey_and_adds_an_idea_by_keyboard_alone(
    live_server, person: Callable[..., Person]
) -> None:
    alice = person("Alice")
    page = alice.page
    page.goto(f"{live_server.url}/s/new/")

    def tab_to(selector: str) -> None:
        for _ in range(80):
            page.keyboard.press("Tab")
            if page.evaluate("(s) => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_to("input[name=title]")
    page.keyboard.type("Team day")
    tab_to("textarea[name=questions]")
    page.keyboard.type("Where?")
    page.keyboard.press("Enter")
    page.keyboard.type("When?")
    tab_to("button[type=submit]:not(.secondary)")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Team day")
    tab_to("#join input[name=name]")
    page.keyboard.type("Alice")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    survey = Survey.objects.get()
    where = survey.question_list()[0]
    tab_to(f"#add-{where.pk} summary")
    page.keyboard.press("Enter")  # opens "Add an idea"
    tab_to(f"#add-{where.pk} input[name=title]")
    page.keyboard.type("The lake house")
    page.keyboard.press("Enter")
    expect(idea_row(page, "The lake house")).to_be_visible()
    assert not alice.problems, alice.problems
