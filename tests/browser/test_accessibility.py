"""Every page and state passes axe-core's WCAG 2.2 A/AA rules, in light and dark, wide and narrow
(and, in light only, at a tablet's 768 pixels).

How axe-core gets in, and the scan itself: `scan_context` and `scan` in conftest.py.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from ponder.questions import services
from ponder.questions.crowds import CROWD, network_of
from ponder.questions.models import Question

from .conftest import assert_no_violations, scan, scan_context

pytestmark = pytest.mark.browser

# Colour schemes and widths scanned: both schemes wide and narrow; the tablet width, whose layout
# lies between the two, in the light scheme only, to keep the run short.
VIEWS = [("light", "1280"), ("dark", "1280"), ("light", "360"), ("dark", "360"), ("light", "768")]


@dataclass
class Full:
    """A question with several ideas, arguments, votes and comments, and its keys."""

    question: Question
    admin_key: str
    empty: Question


@pytest.fixture
def full(transactional_db: None) -> Full:
    question, admin_key = services.question_create(
        title="Where should the team offsite be?",
        description="We have a budget for three days in **June**. Flights count.",
    )
    people = [
        services.participant_join(question=question, name=name)[0]
        for name in ("Ms Weber", "Bob", "Carol", "Dan")
    ]
    ideas = []
    for author, (title, description) in zip(
        people,
        [
            ("Lisbon", "Sun, sea and good food. " * 15),
            ("Porto", "Smaller, cheaper, and by the river."),
            ("Berlin", ""),
        ],
        strict=False,
    ):
        idea = services.idea_add(
            question=question, author=author, title=title, description=description
        )
        ideas.append(idea)
    lisbon, porto, berlin = ideas
    pro = services.argument_add(
        idea=lisbon, author=people[1], kind="pro", text="Direct flights from everywhere"
    )
    services.argument_add(idea=lisbon, author=people[2], kind="con", text="Too hot in August")
    services.argument_add(idea=lisbon, author=people[3], kind="pro", text="Trains from the airport")
    long_con = "Hotels are booked out " * 12
    services.argument_add(idea=porto, author=people[3], kind="con", text=long_con)
    services.like_add(argument=pro, participant=people[2])
    for person in people:
        services.vote_cast(idea=lisbon, participant=person)
    services.vote_cast(idea=porto, participant=people[1])
    services.vote_cast(idea=berlin, participant=people[2])
    services.comment_add(question=question, author=people[1], text="Can we decide by Friday?")
    services.comment_add(question=question, author=people[0], text="Yes.\nI close it on Friday.")
    empty, _key = services.question_create(title="What should we call the new room?")
    # Both are scanned in their embeds too, which their organisers turned on.
    Question.objects.filter(pk__in=[question.pk, empty.pk]).update(allow_embed=True)
    return Full(question=question, admin_key=admin_key, empty=empty)


@pytest.fixture(params=VIEWS, ids=[f"{scheme}-{width}" for scheme, width in VIEWS])
def view(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param


@pytest.fixture
def scheme(view: tuple[str, str]) -> str:
    return view[0]


@pytest.fixture
def width(view: tuple[str, str]) -> str:
    return view[1]


@pytest.fixture
def scanner(browser: Browser, scheme: str, width: str) -> Iterator[BrowserContext]:
    context = scan_context(browser, scheme, width)
    yield context
    context.close()


def open_argument_forms(page: Page) -> None:
    """Open every "Add a pro or con": each brings its form in place of the link to the idea's
    page. A row that a live refresh replaced while its form was coming (the reader's own join
    or a crowd of names sets one off) comes back closed: open it again."""
    rows = page.locator("details.add-argument")
    for _ in range(5):
        for n in range(rows.count()):
            details = rows.nth(n)
            if details.locator("form").count():
                continue
            if details.get_attribute("open") is not None:
                details.locator("summary").click()  # closed, to be opened again
            details.locator("summary").click()
        try:
            expect(page.locator("details.add-argument form")).to_have_count(rows.count())
            return
        except AssertionError:
            continue
    expect(page.locator("details.add-argument form")).to_have_count(rows.count())


def test_every_page_and_state_passes_axe(
    live_server, full: Full, scanner: BrowserContext, scheme: str, width: str
) -> None:
    base = live_server.url
    question = f"{base}/q/{full.question.pk}/"
    found: dict[str, list[dict]] = {}
    page = scanner.new_page()

    # A newcomer: home, home with an error, an empty question, a full question.
    page.goto(f"{base}/")
    scan(page, "home", found)
    with page.expect_navigation():
        page.get_by_role("button", name="Go").click()
    expect(page.locator(".errorlist")).to_be_visible()
    scan(page, "home with an error", found)
    page.goto(f"{base}/q/{full.empty.pk}/")
    scan(page, "empty question, newcomer", found)
    page.goto(question)
    scan(page, "full question, newcomer", found)
    page.locator("#idea-form").get_by_role("button", name="Add idea").click()
    expect(page.locator("#idea-form .errorlist").first).to_be_visible()
    scan(page, "idea form submitted empty, newcomer", found)
    page.goto(f"{base}/accessibility/")
    scan(page, "accessibility statement", found)

    # A participant: joins, opens every form, submits the idea and argument forms empty.
    page.goto(question)
    page.locator("#join").get_by_label("Your name").fill("Eve")
    with page.expect_navigation():
        page.get_by_role("button", name="Join").click()
    expect(page.locator("#join")).to_have_count(0)
    open_argument_forms(page)
    scan(page, "full question, participant", found)
    page.locator("#idea-form").get_by_role("button", name="Add idea").click()
    expect(page.locator("#idea-form .errorlist")).to_be_visible()
    scan(page, "idea form submitted empty, participant", found)
    lisbon = page.locator("article.idea").first  # its "Add a pro or con" is open already
    lisbon.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("article.idea .errorlist").first).to_be_visible()
    scan(page, "argument form submitted empty", found)
    page.locator("#comment-form").get_by_role("button", name="Add comment").click()
    expect(page.locator("#comment-form .errorlist")).to_be_visible()
    scan(page, "comment form submitted empty", found)
    page.locator("#idea-form").get_by_label("Idea", exact=True).fill("Vienna")
    page.locator("#idea-form").get_by_role("button", name="Add idea").click()
    vienna = page.locator("article.idea").filter(has_text="Vienna")
    expect(vienna).to_be_visible()
    edit = base + (vienna.get_by_role("link", name="Edit").get_attribute("href") or "")
    page.goto(edit)
    scan(page, "edit page", found)
    page.goto(edit.replace("/edit/", "/delete/"))  # without JavaScript: a confirmation page
    expect(page.get_by_role("button", name="Delete")).to_be_visible()
    scan(page, "delete confirmation", found)
    page.goto(f"{question}ideas/{full.question.ideas.get(title='Lisbon').pk}/")
    scan(page, "idea detail", found)
    # Finding one's way: another order and a filter, one that finds nothing, and an idea's pros
    # and cons unfolded in place.
    page.goto(f"{question}?q=o&sort=new")
    expect(page.locator(".listing-note")).to_be_visible()
    scan(page, "ideas filtered and in another order", found)
    page.goto(f"{question}?q=nowhere")
    expect(page.locator("#idea-list .empty")).to_be_visible()
    scan(page, "a filter that finds nothing", found)
    page.goto(question)
    # (New questions list the ideas in each reader's own order: the row is found by its link.)
    folded = page.locator("article.idea").filter(has=page.get_by_role("link", name="1 more pro"))
    row_id = folded.first.get_attribute("id")
    page.locator(f"#{row_id}").get_by_role("link", name="1 more pro").click()
    expect(page.locator(f"#{row_id} li.argument")).to_have_count(3)
    scan(page, "pros and cons unfolded", found)

    # The organiser: the admin panel (every details open, and told of a crowd of new names),
    # settings, the crowd, report, closing.
    for n in range(CROWD):
        services.participant_join(
            question=full.question, name=f"Pupil {n}", network=network_of("192.0.2.1")
        )
    page.goto(f"{question}a/{full.admin_key}/")
    expect(page.locator("#crowd-notice.warning")).to_be_visible()
    for details in page.locator("details:not(.add-argument)").all():
        details.locator("summary").first.click()
    open_argument_forms(page)
    scan(page, "full question, organiser", found)
    page.goto(f"{question}crowds/")
    scan(page, "crowds", found)
    with page.expect_navigation():
        page.get_by_role("button", name="Remove these names").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    scan(page, "crowds with an error", found)
    page.goto(f"{question}settings/")
    scan(page, "settings", found)
    page.get_by_label("Question", exact=True).fill("")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    scan(page, "settings with an error", found)
    page.goto(f"{question}report/")
    scan(page, "report", found)
    page.goto(question)
    with page.expect_navigation():
        page.get_by_role("button", name="Close now and show the result").click()
    scan(page, "result, organiser", found)
    page.goto(f"{question}report/")
    scan(page, "report of the result", found)
    page.goto(f"{base}/embed/{full.question.pk}/")
    scan(page, "embed of the result", found)

    # Others: the result as a newcomer, the embed of an open question, the error pages.
    stranger = scanner.new_page()
    scanner.clear_cookies()
    stranger.goto(question)
    scan(stranger, "result, newcomer", found)
    stranger.goto(f"{base}/embed/{full.empty.pk}/")
    scan(stranger, "embed, open question", found)
    stranger.goto(f"{base}/q/nothing-here/")
    scan(stranger, "404", found)
    stranger.goto(f"{base}/")
    scanner.clear_cookies()
    stranger.get_by_label("Your question").fill("Without a CSRF cookie")
    with stranger.expect_navigation():
        stranger.get_by_role("button", name="Go").click()
    scan(stranger, "CSRF error", found)
    stranger.goto(question)
    stranger.get_by_label("Language").select_option("de")
    with stranger.expect_navigation():
        stranger.get_by_role("button", name="Change language").click()
    expect(stranger.locator("html")).to_have_attribute("lang", "de")
    scan(stranger, "result, German", found)
    stranger.goto(f"{base}/accessibility/")
    scan(stranger, "accessibility statement, German", found)
    stranger.goto(f"{base}/api/v1/docs")
    expect(stranger.locator("h1")).to_have_text("API-Referenz")
    scan(stranger, "API docs, German", found)

    # The API reference in English, with every fold open (the "Try it" forms, the list of time
    # zones) and an answer shown.
    scanner.clear_cookies()  # the language chosen above
    page.goto(f"{base}/api/v1/docs")
    expect(page.locator("h1")).to_have_text("API reference")
    scan(page, "API docs", found)
    for details in page.locator("details").all():
        details.evaluate("(el) => { el.open = true; }")
    create = page.locator("#question_create")
    create.get_by_label("Request body (JSON)").fill('{"title": "Asked from the docs"}')
    create.get_by_role("button", name="Send request").click()
    expect(create.get_by_role("status")).to_have_text("Answer: 201 Created")
    scan(page, "API docs, every fold open, with an answer", found)

    assert_no_violations(found, f"{scheme}, {width} px")
