"""Hostile text in every text field, then Chromium on every page and fragment that shows it
(docs/reliability.md #16, ASVS 1.2.1, 1.3.1).

A corpus of payloads goes in through the API and through the forms: the question's title and
description (the organiser's, as typed on the settings page too), participants' names, ideas,
pros and cons, comments, and edited versions of each. Then the organiser, a participant, a
newcomer, a reader in German and a bystander whose page is kept up to date by live updates open
every page and fragment that shows them: the question page, its "… more" links, the full voter
lists, the edit forms, idea pages, delete confirmations, the settings page, the embed page, the
printable report, the API's JSON and its docs.

Before any script of a page runs, each browser has a `window.__xss` sentinel (every payload sets
it), a dialog listener (some payloads call `alert`) and a collector of Content Security Policy
violations. The bar: no payload runs, no dialog opens, no violation happens, template syntax is
never evaluated (`{{7*7}}` never shows as 49), and the payloads are shown as typed.

`test_the_harness_catches_an_unescaped_payload` proves the watchers work: the same question page,
with its escaping undone, sets off the CSP collector; without the CSP it sets off the sentinel
and a dialog.
"""

import html
import http.client
import json
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Dialog, Route, expect

from ponder.lib.text import without_bidi_controls
from tests.live.conftest import Server, Servers, Visitor, prepare

from .conftest import Person

pytestmark = pytest.mark.browser

# Every payload that could run sets window.__xss or opens a dialog. Template syntax of Django,
# Jinja and JavaScript is wrapped in "tpl…end", so an evaluation would show as "tpl49end".
PAYLOADS = [
    "<script>window.__xss=1</script>",
    '"><img src=x onerror=window.__xss=1>',
    "<img src=x onerror=alert(1)>",
    "<svg onload=window.__xss=1><circle r=1 /></svg>",
    "javascript:window.__xss=1",
    "[click](javascript:window.__xss=1) <javascript:alert(1)>",
    '<a href="data:text/html,<script>parent.__xss=1</script>">data link</a>',
    "' \" > </textarea></title></script><script>window.__xss=1</script>",
    'tpl{{7*7}}end tpl{% now "Y" %}end tpl${7*7}end tpl#{7*7}end',
    "<style>*{display:none}</style><p style=\"background:url('javascript:window.__xss=1')\">css",
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    "<details open ontoggle=window.__xss=1>toggle</details>",
    '<div hx-get="/" hx-trigger="load" hx-on:htmx:load="window.__xss=1">htmx</div>',
    "<!-- ]]> <![CDATA[ --><script>window.__xss=1</script>",
    "evil\u202etxt.exe \u05e9\u05dc\u05d5\u05dd \u200bzero\u200dwidth \U0001f469\u200d\U0001f467",
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>",
]
LONG_WORD = "Ponder" * 30  # 180 characters without a space: cut nowhere, wrapped by the page
EVALUATED = ["tpl49end", f"tpl{date.today().year}end", "tpl#49end"]


def title_of(number: int, payload: str) -> str:
    # A name or title may not carry bidirectional controls (they are refused with a message, and
    # test_bad_input covers that): here they leave them out and keep the rest of the payload.
    return without_bidi_controls(f"{number} {payload}")[:200]


def name_of(number: int, payload: str) -> str:
    return without_bidi_controls(f"{number} {payload}")[:80]


def description_of(payload: str) -> str:
    """Longer than the page shows (240 characters): the rest comes with "… more"."""
    return f"{payload}\n{'filler ' * 40}\nafter the cut: {payload}"


def argument_of(kind: str, payload: str) -> str:
    """Longer than the page shows of an argument (160 characters)."""
    return f"{kind}: {payload} {'reason ' * 25} end: {payload}"


# The API, over HTTP ------------------------------------------------------------------------


@dataclass
class Api:
    server: Server

    def __call__(self, method: str, path: str, body: Any = None, token: str = "") -> Any:
        parts = urllib.parse.urlsplit(self.server.url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body)
        connection.request(method, "/api/v1" + path, data, headers)
        response = connection.getresponse()
        text = response.read().decode()
        connection.close()
        assert response.status < 300, (method, path, response.status, text[:500])
        return json.loads(text) if text else None


@dataclass
class Seeded:
    """What the hostile question holds now, as the payloads went in (by id)."""

    id: str
    admin_url: str
    admin_token: str
    ideas: dict[str, str] = field(default_factory=dict)  # id: title
    descriptions: dict[str, str] = field(default_factory=dict)
    arguments: dict[str, str] = field(default_factory=dict)  # id: text
    comments: dict[str, str] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)

    @property
    def titles(self) -> list[str]:
        return list(self.ideas.values())


def seed(server: Server) -> Seeded:
    api = Api(server)
    description = "\n\n".join([*PAYLOADS, LONG_WORD])
    body = {"title": PAYLOADS[0], "description": description, "settings": {"allow_embed": True}}
    created = api("POST", "/questions", body)
    question = Seeded(created["id"], created["admin_url"], created["admin_token"])
    qid, organiser = question.id, question.admin_token
    # The organiser takes part too, with a hostile name.
    api("POST", f"/questions/{qid}/participants", {"name": name_of(0, PAYLOADS[1])}, organiser)
    question.names.append(name_of(0, PAYLOADS[1]))

    tokens: list[str] = []
    ideas: list[str] = []
    for number, payload in enumerate(PAYLOADS, start=1):
        name = name_of(number, payload)
        token = api("POST", f"/questions/{qid}/participants", {"name": name})["token"]
        tokens.append(token)
        question.names.append(name)
        title, description = title_of(number, payload), description_of(payload)
        body = {"title": title, "description": description}
        idea = api("POST", f"/questions/{qid}/ideas", body, token)["id"]
        ideas.append(idea)
        question.ideas[idea] = title
        question.descriptions[idea] = description
        for kind in ("pro", "con"):
            text = argument_of(kind, payload)
            body = {"kind": kind, "text": text}
            question.arguments[api("POST", f"/ideas/{idea}/arguments", body, token)["id"]] = text
        comment = api("POST", f"/questions/{qid}/comments", {"text": payload}, token)["id"]
        question.comments[comment] = payload

    # Votes (five voters an idea: the page shows three "and 2 more") and likes.
    arguments = list(question.arguments)
    for number, token in enumerate(tokens):
        for offset in range(5):
            api("PUT", f"/ideas/{ideas[(number + offset) % len(ideas)]}/vote", token=token)
        api("PUT", f"/arguments/{arguments[(number * 2 + 3) % len(arguments)]}/like", token=token)
    api("PUT", f"/ideas/{ideas[0]}/vote", token=organiser)  # her name is in a voter list

    # Edited versions: every other entry by its author, some by the organiser.
    comments = list(question.comments)
    for number in range(0, len(tokens), 2):
        edited = f"edited {PAYLOADS[number]}"
        token = tokens[number]
        api("PATCH", f"/ideas/{ideas[number]}", {"description": edited}, token)
        question.descriptions[ideas[number]] = edited
        api("PATCH", f"/arguments/{arguments[number * 2]}", {"text": edited}, token)
        question.arguments[arguments[number * 2]] = edited
        api("PATCH", f"/comments/{comments[number]}", {"text": edited}, token)
        question.comments[comments[number]] = edited
    moderated = f"moderated {PAYLOADS[2]}"
    api("PATCH", f"/comments/{comments[1]}", {"text": moderated}, organiser)
    question.comments[comments[1]] = moderated
    moderated = f"moderated {PAYLOADS[3]}"
    api("PATCH", f"/ideas/{ideas[3]}", {"title": moderated}, organiser)
    question.ideas[ideas[3]] = moderated
    # A name changed later, through the same endpoint with the participant's token.
    renamed = f"renamed {PAYLOADS[4]}"[:80]
    api("POST", f"/questions/{qid}/participants", {"name": renamed}, tokens[5])
    question.names[6] = renamed
    return question


def seed_through_forms(server: Server, question: Seeded) -> None:
    """More payloads through the pages' forms, without JavaScript (plain posts)."""
    someone = Visitor(name_of(99, PAYLOADS[7]))
    base = f"{server.url}/q/{question.id}"
    assert someone.post(f"{base}/join/", {"name": someone.name}).status == 302
    question.names.append(someone.name)
    title = title_of(99, PAYLOADS[8])
    answer = someone.post(f"{base}/ideas/", {"title": title, "description": PAYLOADS[9]})
    assert answer.status == 302, answer.body[:300]
    idea = answer.headers["Location"].rsplit("#idea-", 1)[1]
    question.ideas[idea] = title
    question.descriptions[idea] = PAYLOADS[9]
    text = f"form pro {PAYLOADS[10]}"
    answer = someone.post(f"{base}/ideas/{idea}/arguments/", {"kind": "pro", "text": text})
    assert answer.status == 302, answer.body[:300]
    question.arguments[answer.headers["Location"].rsplit("#argument-", 1)[1]] = text
    text = f"form {PAYLOADS[11]}"
    answer = someone.post(f"{base}/comments/", {"text": text})
    assert answer.status == 302, answer.body[:300]
    question.comments[answer.headers["Location"].rsplit("#comment-", 1)[1]] = text


# Watching the browser ----------------------------------------------------------------------

# Runs before any script of the page: the first write to window.__xss is reported, whoever
# makes it (the page, a frame of it, a payload); `alert` and friends are seen as dialogs.
SENTINEL = """
(() => {
  const report = (what) => window.__reportXss(`${what} on ${location.pathname}${location.search}`);
  Object.defineProperty(window, "__xss", {
    configurable: false,
    get() { return undefined; },
    set(value) { report(`window.__xss = ${value}`); },
  });
})();
"""


def watch(someone: Person) -> Person:
    """Add the sentinel and the dialog listener to a person's browser (the person fixture already
    collects CSP violations, uncaught errors and console errors)."""
    someone.context.expose_function(
        "__reportXss", lambda text: someone.problems.append(f"XSS: {text}")
    )
    someone.context.add_init_script(SENTINEL)

    def on_dialog(dialog: Dialog) -> None:
        someone.problems.append(f"dialog: {dialog.type} {dialog.message!r} on {dialog.page.url}")
        dialog.dismiss()

    someone.context.on("dialog", on_dialog)
    return someone


def problems_of(someone: Person) -> list[str]:
    # A refused form (422, shown in place) is logged by Chromium as a failed resource load; so is
    # the favicon Chromium asks for beside a JSON document (which names none).
    refused = "Failed to load resource: the server responded with a status of 422"
    return [p for p in someone.problems if refused not in p and "/favicon.ico'" not in p]


def inspect(someone: Person, where: str) -> str:
    """The page's visible text, after checking that no template syntax was evaluated."""
    page = someone.page
    page.wait_for_load_state("load")
    text = page.locator("body").inner_text() + "\n" + page.title()
    for evaluated in EVALUATED:
        assert evaluated not in text, f"{where}: template syntax evaluated ({evaluated})"
    assert problems_of(someone) == [], f"{where}: {problems_of(someone)}"
    return text


def _spaced(text: str) -> str:
    # Line breaks become <br> and runs of spaces one space, as HTML shows them.
    return " ".join(text.split())


def assert_shown(text: str, expected: list[str], where: str) -> None:
    missing = [item for item in expected if _spaced(item) not in _spaced(text)]
    assert missing == [], f"{where}: not shown as typed: {missing}"


def visit(someone: Person, url: str, where: str, expected: list[str] = ()) -> str:
    response = someone.page.goto(url)
    assert response is not None and response.status == 200, (where, response and response.status)
    text = inspect(someone, where)
    assert_shown(text, list(expected), where)
    return text


def open_fragments(someone: Person, where: str) -> str:
    """Click every "… more" link and every "N more" voters link (htmx fragments); returns the
    page's text with all of them open."""
    page = someone.page
    for selector in (
        ".description a[hx-get*='part=description']",
        ".voters a[hx-get*='part=voters']",
    ):
        links = page.locator(selector)
        for left in range(links.count(), 0, -1):
            links.first.click()
            expect(links).to_have_count(left - 1)
    return inspect(someone, f"{where}, with every fragment open")


# The server and the question ---------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One `ponder serve` (ASGI, so live updates arrive by SSE) for the whole module."""
    directory: Path = tmp_path_factory.mktemp("injection")
    servers = Servers(directory, prepare(directory / "prepared"))
    try:
        (started,) = servers.start()
        yield started
    finally:
        servers.stop_all()


@pytest.fixture(scope="module")
def hostile(server: Server) -> Seeded:
    question = seed(server)
    seed_through_forms(server, question)
    return question


# The crawl ---------------------------------------------------------------------------------


def test_no_payload_runs_on_any_page_or_fragment(
    server: Server, hostile: Seeded, person: Callable[..., Person]
) -> None:
    alice, newcomer, reader = (watch(person(name)) for name in ("Alice", "Newcomer", "Leser"))
    base = f"{server.url}/q/{hostile.id}/"
    long_descriptions = [d for d in hostile.descriptions.values() if "after the cut:" in d]
    assert len(long_descriptions) >= 5

    # The organiser: her link, the page, every fragment.
    alice.page.goto(hostile.admin_url)
    assert alice.page.url == base
    shown = inspect(alice, "organiser's page")
    assert_shown(shown, [PAYLOADS[0], *hostile.titles], "organiser's page")
    # The question's description is Markdown: HTML in it is shown as text, links lose javascript:.
    prose = alice.page.locator(".question-head .prose")
    # (Markdown takes "*" for emphasis, so the template payload is checked only as not evaluated.)
    for payload in (PAYLOADS[0], PAYLOADS[2], PAYLOADS[7], PAYLOADS[15], LONG_WORD):
        expect(prose).to_contain_text(payload)
    expect(prose).to_contain_text("click")  # a link's text stays, its javascript: target goes
    assert prose.locator("a[href^='javascript:'], a[href^='data:']").count() == 0
    shown = open_fragments(alice, "organiser's page")
    assert_shown(
        shown,
        [*hostile.titles, *hostile.names, *hostile.comments.values(), *long_descriptions],
        "organiser's page, all open",
    )

    # Each idea's own page: its whole description and every pro and con in full.
    everything = shown
    for idea in hostile.ideas:
        everything += visit(alice, f"{base}ideas/{idea}/", f"idea page {idea}")
    assert_shown(everything, list(hostile.arguments.values()), "idea pages")
    assert_shown(everything, list(hostile.descriptions.values()), "idea pages")

    # The edit forms, in place (htmx) and as pages, and the delete confirmations.
    for kind, entries in (
        ("idea", hostile.ideas),
        ("argument", hostile.arguments),
        ("comment", hostile.comments),
    ):
        entry = next(iter(entries))
        visit(alice, base, "organiser's page again")
        actions = alice.page.locator(f"#{kind}-{entry} .entry-actions").first
        actions.get_by_role("link", name="Edit").click()
        form = alice.page.locator(f"#edit-{kind}-{entry}")
        expect(form).to_be_visible()
        values = [f.input_value() for f in form.locator("input[type=text], textarea").all()]
        assert entries[entry] in values, (kind, values)
        inspect(alice, f"organiser's edit form of an {kind}, in place")
        visit(alice, f"{base}{kind}/{entry}/edit/", f"edit page of an {kind}")
        visit(alice, f"{base}{kind}/{entry}/delete/", f"delete page of an {kind}")

    visit(alice, f"{base}report/", "report", [PAYLOADS[0], *hostile.titles, *hostile.names])
    visit(alice, f"{server.url}/embed/{hostile.id}/", "organiser's embed", hostile.titles)
    visit(alice, f"{server.url}/api/v1/questions/{hostile.id}", "the API's JSON", [PAYLOADS[0]])

    # The settings page shows the payloads in its fields, and saves new ones through the form.
    visit(alice, f"{base}settings/", "settings page", [PAYLOADS[0]])
    settings_form = alice.page.locator("form.settings")
    assert settings_form.get_by_label("Question", exact=True).input_value() == PAYLOADS[0]
    settings_form.get_by_label("Question", exact=True).fill(PAYLOADS[7])
    settings_form.get_by_label("Description (optional)").fill(
        f"{PAYLOADS[12]}\n\n{PAYLOADS[5]}\n\n{PAYLOADS[9]}"
    )
    with alice.page.expect_navigation():
        settings_form.get_by_role("button", name="Save").click()
    expect(alice.page.get_by_role("heading", level=1)).to_have_text(PAYLOADS[7])
    inspect(alice, "page after saving the settings")
    # Refused (a deadline in the past): the settings page comes back with the payloads in it.
    visit(alice, f"{base}settings/", "settings page again")
    settings_form.get_by_label("Deadline (optional)").fill("2001-01-01T10:00")
    with alice.page.expect_navigation():
        settings_form.get_by_role("button", name="Save").click()
    expect(alice.page.locator(".errorlist")).to_contain_text("must be in the future")
    assert settings_form.get_by_label("Question", exact=True).input_value() == PAYLOADS[7]
    inspect(alice, "settings page with an error")

    # A newcomer joins and takes part through the forms of the page (htmx, in place).
    visit(newcomer, base, "newcomer's page", hostile.titles)
    visit(newcomer, f"{server.url}/embed/{hostile.id}/", "newcomer's embed", hostile.titles)
    visit(newcomer, base, "newcomer's page again")
    me = name_of(42, PAYLOADS[2])
    join = newcomer.page.locator("#join")
    join.get_by_label("Your name").fill(me)
    with newcomer.page.expect_navigation():
        join.get_by_role("button", name="Join").click()
    expect(newcomer.page.locator("#status")).to_contain_text(f"Welcome, {me}")
    inspect(newcomer, "welcome")
    newcomer.set_marker()
    idea_form = newcomer.page.locator("#idea-form")
    idea_form.get_by_label("Description (optional)").fill(PAYLOADS[3])
    idea_form.get_by_role("button", name="Add idea").click()
    expect(newcomer.page.locator("#idea-form .errorlist")).to_contain_text("required")
    assert idea_form.get_by_label("Description (optional)").input_value() == PAYLOADS[3]
    inspect(newcomer, "idea form refused in place")
    mine_title = title_of(42, PAYLOADS[13])
    idea_form.get_by_label("Idea", exact=True).fill(mine_title)
    idea_form.get_by_role("button", name="Add idea").click()
    mine = newcomer.page.locator("article.idea", has_text=mine_title)
    expect(mine).to_contain_text(PAYLOADS[3])
    expect(mine).to_contain_text(f"by {me}")
    mine.locator("summary").click()
    expect(mine.locator("details form")).to_be_visible()  # loaded when opened
    mine.get_by_label("Con", exact=True).check()
    mine.get_by_label("Argument", exact=True).fill(PAYLOADS[4])
    mine.get_by_role("button", name="Add", exact=True).click()
    expect(mine).to_contain_text(PAYLOADS[4])
    comment_form = newcomer.page.locator("#comment-form")
    comment_form.get_by_label("Comment").fill(PAYLOADS[6])
    comment_form.get_by_role("button", name="Add comment").click()
    # Hers: seeded comments show PAYLOADS[6] too (one in its author's name).
    mine_comment = newcomer.page.locator("#comment-list li", has_text=me).filter(
        has_text=PAYLOADS[6]
    )
    expect(mine_comment).to_be_visible()
    mine_comment.get_by_role("link", name="Edit").click()
    edit = newcomer.page.locator("form.edit-form[id^='edit-comment-']")
    edit.get_by_label("Comment").fill(f"edited in place {PAYLOADS[14]}")
    edit.get_by_role("button", name="Save").click()
    comments = newcomer.page.locator("#comment-list")
    expect(comments).to_contain_text(f"edited in place {PAYLOADS[14]}")
    mine.locator("button.vote-button").click()
    expect(mine.locator(".voters")).to_contain_text(me)
    assert newcomer.marker_survived(), "the newcomer's page was reloaded"
    inspect(newcomer, "after taking part in place")
    open_fragments(newcomer, "participant's page")

    # A reader in German: the same pages, another language.
    reader.context.add_cookies([{"name": "django_language", "value": "de", "url": server.url}])
    text = visit(reader, base, "German page", hostile.titles)
    assert reader.page.locator("html").get_attribute("lang") == "de"
    assert "Ideen" in text
    open_fragments(reader, "German page")
    visit(reader, f"{server.url}/embed/{hostile.id}/", "German embed", hostile.titles)
    visit(reader, f"{server.url}/api/v1/docs", "API reference")

    for someone in (alice, newcomer, reader):
        assert problems_of(someone) == [], f"{someone.name}: {problems_of(someone)}"


def test_payloads_that_arrive_by_live_update_do_not_run(
    server: Server, hostile: Seeded, person: Callable[..., Person]
) -> None:
    """A bystander keeps the page open; new and changed entries arrive as fragments after SSE
    events, on the question page and in the embed."""
    bystander, embedded = watch(person("Bystander")), watch(person("Embedded"))
    bystander.page.goto(f"{server.url}/q/{hostile.id}/")
    embedded.page.goto(f"{server.url}/embed/{hostile.id}/")
    for someone in (bystander, embedded):
        inspect(someone, "before the live updates")
        someone.set_marker()

    api = Api(server)
    qid = hostile.id
    token = api("POST", f"/questions/{qid}/participants", {"name": name_of(77, PAYLOADS[5])})
    token = token["token"]
    new_title = title_of(77, PAYLOADS[1])
    body = {"title": new_title, "description": description_of(PAYLOADS[2])}
    idea = api("POST", f"/questions/{qid}/ideas", body, token)["id"]
    rows = [someone.page.locator(f"#idea-{idea}") for someone in (bystander, embedded)]

    def arrives(change: Callable[[], object], shown: Callable[[Any], None]) -> None:
        # One change at a time, each seen on both pages before the next: a burst of changes to
        # one row can lose all but the first.
        change()
        for row in rows:
            shown(row)

    arrives(lambda: None, lambda row: expect(row).to_contain_text(new_title))
    body = {"kind": "con", "text": PAYLOADS[10]}
    arrives(
        lambda: api("POST", f"/ideas/{idea}/arguments", body, token),
        lambda row: expect(row).to_contain_text(PAYLOADS[10]),
    )
    arrives(
        lambda: api("PUT", f"/ideas/{idea}/vote", token=token),
        lambda row: expect(row.locator(".vote-count .count")).to_have_text("1"),
    )
    arrives(
        lambda: api("PATCH", f"/ideas/{idea}", {"description": f"live edit {PAYLOADS[15]}"}, token),
        lambda row: expect(row).to_contain_text(f"live edit {PAYLOADS[15]}"),
    )
    api("POST", f"/questions/{qid}/comments", {"text": f"live {PAYLOADS[12]}"}, token)
    for someone in (bystander, embedded):
        expect(someone.page.locator("#comment-list")).to_contain_text(f"live {PAYLOADS[12]}")
        assert someone.marker_survived(), f"{someone.name}'s page was reloaded"
        inspect(someone, "after the live updates")
        assert problems_of(someone) == [], f"{someone.name}: {problems_of(someone)}"


def test_exports_of_hostile_text_download_and_are_never_shown_as_pages(
    server: Server, hostile: Seeded
) -> None:
    organiser = Visitor("Alice")
    assert organiser.get(hostile.admin_url).status == 302
    base = f"{server.url}/q/{hostile.id}/export/"
    for name in (
        "ideas.csv",
        "arguments.csv",
        "votes.csv",
        "comments.csv",
        "results.xlsx",
        "results.json",
    ):
        answer = organiser.get(base + name)
        assert answer.status == 200, name
        assert answer.headers["Content-Disposition"].startswith("attachment;"), name
        assert answer.headers["X-Content-Type-Options"] == "nosniff", name
        assert not answer.headers["Content-Type"].startswith("text/html"), name


# The harness itself ------------------------------------------------------------------------


def _unescaped(page_html: str) -> str:
    """The page as it would be if the templates forgot to escape the payloads."""
    for payload in PAYLOADS:
        page_html = page_html.replace(html.escape(payload), payload)
    return page_html


def test_the_harness_catches_an_unescaped_payload(
    server: Server, hostile: Seeded, person: Callable[..., Person]
) -> None:
    """Undo the escaping of the real question page: under our CSP the collector reports the
    blocked inline scripts and handlers; without the CSP the sentinel and the dialog fire."""
    url = f"{server.url}/q/{hostile.id}/"

    def broken(with_csp: bool) -> Callable[[Route], None]:
        def fulfil(route: Route) -> None:
            response = route.fetch()
            headers = dict(response.headers)
            for stale in ("content-length", "content-encoding"):
                headers.pop(stale, None)
            if not with_csp:
                headers.pop("content-security-policy", None)
            body = _unescaped(response.text())
            assert body != response.text()
            route.fulfill(status=200, headers=headers, body=body)

        return fulfil

    with_csp = watch(person("With CSP"))
    with_csp.page.route(url, broken(with_csp=True))
    with_csp.page.goto(url)
    with_csp.page.wait_for_load_state("load")
    with_csp.page.wait_for_timeout(500)
    csp = [p for p in with_csp.problems if p.startswith("CSP:")]
    assert any("script-src" in p for p in csp), with_csp.problems
    assert not [p for p in with_csp.problems if p.startswith(("XSS", "dialog"))]

    without_csp = watch(person("Without CSP"))
    without_csp.page.route(url, broken(with_csp=False))
    without_csp.page.goto(url)
    without_csp.page.wait_for_load_state("load")
    without_csp.page.wait_for_timeout(500)
    assert any(p.startswith("XSS: window.__xss = 1") for p in without_csp.problems), (
        without_csp.problems
    )
    assert any(p.startswith("dialog: alert") for p in without_csp.problems), without_csp.problems

    # And the control: the page as served sets off none of them.
    control = watch(person("Control"))
    control.page.goto(url)
    control.page.wait_for_timeout(500)
    assert problems_of(control) == []


def test_template_syntax_would_be_caught_if_evaluated(
    server: Server, person: Callable[..., Person]
) -> None:
    someone = watch(person("Checker"))
    url = f"{server.url}/healthz-render-check"
    someone.page.route(
        url,
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<title>x</title><p>tpl49end</p>"
        ),
    )
    someone.page.goto(url)
    with pytest.raises(AssertionError, match="template syntax evaluated"):
        inspect(someone, "a page that evaluated {{7*7}}")


def test_the_result_page_of_a_closed_question_shows_payloads_as_text(
    server: Server, hostile: Seeded, person: Callable[..., Person]
) -> None:
    """Last in this file: it closes the question. The result page names the winners, ranks the
    others and charts them all in an SVG with every title as text."""
    Api(server)("POST", f"/questions/{hostile.id}/close", token=hostile.admin_token)
    alice, reader = watch(person("Alice")), watch(person("Reader"))
    alice.page.goto(hostile.admin_url)
    text = inspect(alice, "organiser's result page")
    expect(alice.page.locator(".result-banner")).to_be_visible()
    assert_shown(text, hostile.titles, "organiser's result page")
    chart = alice.page.locator("svg").filter(has=alice.page.locator("text"))
    expect(chart.first).to_be_visible()
    visit(alice, f"{server.url}/q/{hostile.id}/report/", "closed report", hostile.titles)
    visit(reader, f"{server.url}/q/{hostile.id}/", "reader's result page", hostile.titles)
    visit(reader, f"{server.url}/embed/{hostile.id}/", "closed embed", hostile.titles)
    for someone in (alice, reader):
        assert problems_of(someone) == [], f"{someone.name}: {problems_of(someone)}"
