"""The embed page in a real Chromium, inside a page served from another origin.

The school's page (a tiny web server on another port) frames the embed page and, to check it is
refused, the question page. People take part inside the frame. Over plain HTTP the school's page
must be on the same site (localhost, another port) for the frame to get its cookies; from another
site it explains why taking part does not work there (see README.md, "Embedding").
"""

import threading
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import FrameLocator, expect

from ponder.questions import services
from ponder.questions.models import Question

from .conftest import Person

pytestmark = pytest.mark.browser

HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,">
<title>Class 7b</title></head>
<body><h1>Class 7b: our trip</h1>
<iframe id="{id}" src="{src}" title="Ponder" width="100%" height="700"></iframe>
</body></html>
"""


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def school_site(tmp_path: Path) -> Iterator[Callable[[str, str, str], str]]:
    """Serve pages that frame a URL: `page(host, name, url)` gives the address of `name`.html,
    which frames `url` in an iframe with the id `name`."""
    handler = partial(QuietHandler, directory=str(tmp_path))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def page(host: str, name: str, url: str) -> str:
        (tmp_path / f"{name}.html").write_text(HOST_PAGE.format(id=name, src=url))
        return f"http://{host}:{server.server_address[1]}/{name}.html"

    yield page
    server.shutdown()
    server.server_close()


@pytest.fixture
def trip(transactional_db: None) -> Question:
    question, _key = services.question_create(title="Where should the class trip go?")
    Question.objects.filter(pk=question.pk).update(allow_embed=True)  # the organiser allows it
    question.allow_embed = True
    organiser, _token = services.participant_join(question=question, name="Ms Weber")
    for title in ("Zoo", "Science museum"):
        services.idea_add(question=question, author=organiser, title=title, by_organiser=True)
    return question


def idea_row(frame: FrameLocator, title: str):
    return frame.locator("article.idea").filter(
        has=frame.get_by_role("heading", name=title, exact=True)
    )


def test_people_take_part_in_the_embed_while_the_question_page_refuses_the_frame(
    live_server, school_site, trip: Question, person: Callable[..., Person]
) -> None:
    kim = person("Kim")
    url = school_site("localhost", "embed", f"{live_server.url}/embed/{trip.pk}/")
    assert not url.startswith(live_server.url)  # another origin: another port
    kim.page.goto(url)
    frame = kim.page.frame_locator("#embed")
    expect(frame.get_by_role("heading", level=1)).to_have_text("Where should the class trip go?")

    # Kim joins; the frame reloads itself (not the school's page) with her name remembered.
    frame.locator("#join").get_by_label("Your name").fill("Kim")
    frame.get_by_role("button", name="Join").click()
    expect(frame.locator("#join")).to_have_count(0)
    expect(frame.locator("#status")).to_contain_text("Welcome, Kim.")
    expect(kim.page.get_by_role("heading", name="Class 7b: our trip")).to_be_visible()

    # She votes in place, and adds an idea.
    vote = idea_row(frame, "Zoo").locator("button.vote-button")
    vote.click()
    expect(vote).to_have_attribute("aria-pressed", "true")
    expect(idea_row(frame, "Zoo").locator(".vote-count .count")).to_have_text("1")
    expect(frame.locator("#status")).to_contain_text("Your vote was counted.")
    form = frame.locator("#idea-form")
    form.get_by_label("Idea", exact=True).fill("Climbing hall")
    form.get_by_role("button", name="Add idea").click()
    expect(idea_row(frame, "Climbing hall")).to_contain_text("by Kim")
    assert trip.ideas.get(title="Zoo").votes.get().participant.name == "Kim"

    # The question page itself stays out of a frame: Chromium shows its error page instead.
    kim.page.goto(school_site("localhost", "plain", f"{live_server.url}/q/{trip.pk}/"))
    expect(kim.page.get_by_role("heading", name="Class 7b: our trip")).to_be_visible()
    expect(kim.page.frame_locator("#plain").locator("#question-title")).to_have_count(0)
    assert kim.page.frame("plain").url.startswith("chrome-error://")
    kim.forgive("frame-ancestors 'none'")
    # Joining reloads the frame, which cuts its live-update stream: htmx's SSE extension logs
    # that as an error inside a frame (not in a top-level page). The new page reconnects.
    kim.problems[:] = [p for p in kim.problems if not p.startswith("console: [object Event]")]
    assert kim.problems == [], kim.problems


def test_over_plain_http_an_embed_on_another_site_explains_why_taking_part_fails(
    live_server, school_site, trip: Question, person: Callable[..., Person]
) -> None:
    lou = person("Lou")
    # 127.0.0.1 and localhost are different sites: without HTTPS no cookie reaches the frame.
    lou.page.goto(school_site("127.0.0.1", "embed", f"{live_server.url}/embed/{trip.pk}/"))
    frame = lou.page.frame_locator("#embed")
    expect(idea_row(frame, "Zoo")).to_be_visible()  # reading works
    frame.locator("#join").get_by_label("Your name").fill("Lou")
    frame.get_by_role("button", name="Join").click()
    expect(frame.locator("#status")).to_contain_text("your browser blocks it here")
    expect(frame.get_by_role("link", name="Open this question in a new tab")).to_have_attribute(
        "target", "_blank"
    )
    assert not trip.participants.filter(name="Lou").exists()
    lou.forgive("status of 403")
    assert lou.problems == [], lou.problems


def test_while_embedding_is_off_no_site_can_frame_the_question(
    live_server, school_site, trip: Question, person: Callable[..., Person]
) -> None:
    Question.objects.filter(pk=trip.pk).update(allow_embed=False)
    max_ = person("Max")

    max_.page.goto(school_site("localhost", "embed", f"{live_server.url}/embed/{trip.pk}/"))

    expect(max_.page.get_by_role("heading", name="Class 7b: our trip")).to_be_visible()
    expect(max_.page.frame_locator("#embed").get_by_role("button")).to_have_count(0)
    assert max_.page.frame("embed").url.startswith("chrome-error://")
    # Opened on its own, the page says why.
    max_.page.goto(f"{live_server.url}/embed/{trip.pk}/")
    expect(max_.page.get_by_role("heading", level=1)).to_have_text("Embedding is off")
    # The refusals it logs (the frame refused, and the 403 of each load) are expected.
    refused = [p for p in max_.problems if "frame-ancestors 'none'" in p or "status of 403" in p]
    assert any("frame-ancestors 'none'" in problem for problem in refused), max_.problems
    assert [p for p in max_.problems if p not in refused] == [], max_.problems


def test_a_site_the_organiser_did_not_name_cannot_frame_it(
    live_server, school_site, trip: Question, person: Callable[..., Person]
) -> None:
    named = school_site("localhost", "named", f"{live_server.url}/embed/{trip.pk}/")
    origin = named.rsplit("/", 1)[0]
    Question.objects.filter(pk=trip.pk).update(embed_origins="https://other.example")
    ada = person("Ada")

    ada.page.goto(named)
    expect(ada.page.get_by_role("heading", name="Class 7b: our trip")).to_be_visible()
    expect(ada.page.frame_locator("#named").get_by_role("button")).to_have_count(0)
    assert ada.page.frame("named").url.startswith("chrome-error://")

    # Named, it frames the question, and taking part works there.
    Question.objects.filter(pk=trip.pk).update(embed_origins=origin)
    ada.page.goto(named)
    frame = ada.page.frame_locator("#named")
    expect(frame.get_by_role("heading", level=1)).to_have_text("Where should the class trip go?")
    ada.forgive("frame-ancestors")
    assert ada.problems == [], ada.problems
