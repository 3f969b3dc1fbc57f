"""The shared render of the question page (rendering.py) gives every reader exactly the HTML a
render of their own would give: their votes, likes, edit rights, votes left, name and CSRF token,
and nobody else's. Also: "Show more ideas" and earlier comments for big questions."""

import itertools
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import OperationalError
from django.template.loader import render_to_string
from django.test import Client, RequestFactory

from conftest import Person
from ponder.questions import rendering, services
from ponder.questions.access import Reader, ReaderKind, question_for, remembered_name
from ponder.questions.forms import CommentForm, IdeaForm
from ponder.questions.models import Idea, Participant, Question
from ponder.questions.pages import (
    ARGUMENTS_SHOWN,
    COMMENTS_SHOWN,
    IDEAS_SHOWN,
    Listing,
    question_page,
)
from ponder.questions.rendering import Slot, _tidy, renders, rows
from ponder.questions.views import _context

HX = {"HTTP_HX_REQUEST": "true"}
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


CSRF_HEADER = re.compile(r'"X-CSRFToken": "[^"]+"')


def _normalised(html: str) -> str:
    """CSRF tokens differ per response; indentation is dropped from shared renders."""
    html = CSRF_INPUT.sub('name="csrfmiddlewaretoken" value="TOKEN"', html)
    return _tidy(CSRF_HEADER.sub('"X-CSRFToken": "TOKEN"', html))


def _own_document(client: Client, question: Question, path: str, part: str = "") -> str:
    """The page (or one `part` of it, as htmx asks) rendered for this reader alone, without the
    shared render."""
    request = RequestFactory().get(path, **(HX if part else {}))
    request.COOKIES = {name: morsel.value for name, morsel in client.cookies.items()}
    access = question_for(request, question.pk)
    page = question_page(
        access,
        ideas_shown=IDEAS_SHOWN,
        comments_shown=COMMENTS_SHOWN,
        arguments_shown=ARGUMENTS_SHOWN,
        per_kind=True,
    )
    needs_name, name = access.participant is None, remembered_name(request)
    context = _context(
        request,
        access,
        page=page,
        needs_name=needs_name,
        comments_all=False,
        idea_form=IdeaForm(needs_name=needs_name, name=name),
        comment_form=CommentForm(needs_name=needs_name, name=name),
    )
    template = "questions/detail.html" + (f"#{part}" if part else "")
    return render_to_string(template, context, request)


def _own_render(client: Client, question: Question, part: str) -> str:
    return _own_document(client, question, f"/q/{question.pk}/", part)


@pytest.fixture
def rendered(monkeypatch) -> dict[str, int]:
    """How many shared renders of pages and of rows were made (not found kept)."""
    counts = {"pages": 0, "rows": 0}
    render_parts, put_row = rendering._render_parts, rows.put

    def render_counted(*args: Any) -> rendering.Shared:
        counts["pages"] += 1
        return render_parts(*args)

    def put_counted(*args: Any) -> None:
        counts["rows"] += 1
        put_row(*args)

    monkeypatch.setattr(rendering, "_render_parts", render_counted)
    monkeypatch.setattr(rows, "put", put_counted)
    return counts


def _article(html: str) -> str:
    start = html.index('<article class="question"')
    return html[start : html.index('<svg class="icon-symbols"', start)].rstrip()


@pytest.fixture
def busy(question: Question, alice: Person, bob: Person, carol: Person) -> Question:
    """Ideas, pros and cons, likes, votes and comments by three people; a vote cap of 3."""
    Question.objects.filter(pk=question.pk).update(max_votes=3)
    question.refresh_from_db()
    people = {p.name: p for p in question.participants.all()}
    ideas = []
    for n, author in enumerate(["Alice", "Bob", "Carol", "Bob"]):
        ideas.append(
            services.idea_add(
                question=question,
                author=people[author],
                title=f"Idea {n} <b>by</b> {author}",
                description="Long words " * 40,
            )
        )
    arguments = [
        services.argument_add(idea=idea, author=people[a], kind=k, text=f"{k} of {a} on {i}")
        for i, idea in enumerate(ideas)
        for a, k in (("Carol", "pro"), ("Bob", "con"))
    ]
    for argument in arguments[::2]:
        services.like_add(argument=argument, participant=people["Bob"])
    services.like_add(argument=arguments[1], participant=people["Carol"])
    services.vote_cast(idea=ideas[0], participant=people["Bob"])
    services.vote_cast(idea=ideas[2], participant=people["Bob"])
    services.vote_cast(idea=ideas[2], participant=people["Carol"])
    services.comment_add(question=question, author=people["Carol"], text="Carol's comment")
    services.comment_add(question=question, author=people["Bob"], text="Bob's comment")
    return question


@pytest.fixture
def readers(busy: Question, alice: Person, bob: Person, carol: Person, make_question) -> dict:
    elsewhere, _ = make_question(title="Another question")
    dave = Person("Dave").join(elsewhere)  # a newcomer here, whose browser knows his name
    return {
        "organiser": alice.client,
        "bob": bob.client,
        "carol": carol.client,
        "newcomer with a name": dave.client,
        "stranger": Client(),
    }


@pytest.mark.parametrize("part", ["ideas", "comment_list"])
@pytest.mark.parametrize("closed", [False, True], ids=["open", "closed"])
def test_every_reader_gets_the_html_of_a_render_of_their_own(
    busy: Question, readers: dict[str, Client], part: str, closed: bool, rendered
) -> None:
    if closed:
        services.question_close(question=busy)
    for round_ in ("first read, rendered now", "second read, shared render reused"):
        if round_.startswith("second"):
            rendered["pages"] = 0
        for name, client in readers.items():
            response = client.get(f"/q/{busy.pk}/?part={part}", **HX)
            assert response.status_code == 200
            shared = _normalised(response.content.decode())
            own = _normalised(_own_render(client, busy, part))
            assert shared == own, f"{name}, {round_}"
    assert rendered["pages"] == 0  # the second round: every reader from a kept render


@pytest.mark.parametrize("closed", [False, True], ids=["open", "closed"])
def test_every_reader_gets_the_whole_page_a_render_of_their_own_would_give(
    busy: Question, readers: dict[str, Client], closed: bool
) -> None:
    if closed:
        services.question_close(question=busy)
    for round_ in ("first read, rendered now", "second read, shared render reused"):
        for name, client in readers.items():
            response = client.get(f"/q/{busy.pk}/")
            assert response.status_code == 200
            shared = _normalised(_article(response.content.decode()))
            own = _normalised(_own_render(client, busy, "article").strip())
            assert shared == own, f"{name}, {round_}"


@pytest.mark.parametrize("closed", [False, True], ids=["open", "closed"])
def test_every_reader_gets_the_whole_document_a_render_of_their_own_would_give(
    busy: Question, readers: dict[str, Client], closed: bool
) -> None:
    if closed:
        services.question_close(question=busy)
    path = f"/q/{busy.pk}/?from=a&x=<b>"  # the language form sends people back here
    for client in readers.values():
        client.get(f"/q/{busy.pk}/")  # read the welcome message once
    renders.clear()
    for round_ in ("first read, rendered now", "second read, shared render reused"):
        for name, client in readers.items():
            response = client.get(path)
            assert response.status_code == 200
            shared = _normalised(response.content.decode())
            own = _normalised(_own_document(client, busy, path))
            assert shared == own, f"{name}, {round_}"


def _own_idea_page(client: Client, question: Question, idea: Idea, part: str = "") -> str:
    """The idea's own page (or one `part` of it) rendered for this reader alone."""
    path = f"/q/{question.pk}/ideas/{idea.pk}/"
    request = RequestFactory().get(path, **(HX if part else {}))
    request.COOKIES = {name: morsel.value for name, morsel in client.cookies.items()}
    access = question_for(request, question.pk)
    page = question_page(access, idea_ids=[idea.pk], comments=False, voters_shown=None)
    context = _context(request, access, idea=page.ideas[0], page=page)
    template = "questions/idea.html" + (f"#{part}" if part else "")
    return render_to_string(template, context, request)


@pytest.mark.parametrize("closed", [False, True], ids=["open", "closed"])
def test_every_reader_gets_the_idea_page_a_render_of_their_own_would_give(
    busy: Question, readers: dict[str, Client], closed: bool, rendered
) -> None:
    if closed:
        services.question_close(question=busy)
    for client in readers.values():
        client.get(f"/q/{busy.pk}/")  # read the welcome message once
    idea = Idea.objects.filter(question=busy, title__startswith="Idea 2").get()
    for round_ in ("first read, rendered now", "second read, shared render reused"):
        if round_.startswith("second"):
            rendered["pages"] = 0
        for name, client in readers.items():
            for part in ("", "description", "voters"):
                path = f"/q/{busy.pk}/ideas/{idea.pk}/" + (f"?part={part}" if part else "")
                response = client.get(path, **(HX if part else {}))
                assert response.status_code == 200
                shared = _normalised(response.content.decode())
                own = _normalised(_own_idea_page(client, busy, idea, part))
                assert shared == own, f"{name}, {part or 'page'}, {round_}"
    assert rendered["pages"] == 0


def test_a_message_after_a_plain_post_is_shown_once(busy: Question, bob: Person) -> None:
    idea = Idea.objects.filter(question=busy, title__startswith="Idea 3").get()
    response = bob.post(f"/q/{busy.pk}/ideas/{idea.pk}/vote/")
    assert response.status_code == 302
    assert "Your vote was counted." in bob.get(response["Location"]).content.decode()
    assert "Your vote was counted." not in bob.get(response["Location"]).content.decode()


def test_a_message_is_shown_once_on_the_idea_page_too(busy: Question, bob: Person) -> None:
    idea = Idea.objects.filter(question=busy, title__startswith="Idea 3").get()
    bob.get(f"/q/{busy.pk}/")  # his welcome message, shown once
    assert bob.post(f"/q/{busy.pk}/ideas/{idea.pk}/vote/").status_code == 302
    path = f"/q/{busy.pk}/ideas/{idea.pk}/"
    first, second = (bob.get(path).content.decode() for _ in range(2))
    assert "Your vote was counted." in first and "Your vote was counted." not in second
    assert _normalised(first.replace("<p>Your vote was counted.</p>", "")) == _normalised(second)


def test_the_organiser_panel_shows_the_organisers_own_admin_link(busy: Question, alice, bob):
    html = alice.get(f"/q/{busy.pk}/").content.decode()
    assert f"/q/{busy.pk}/a/{busy.admin_key}/" in html
    assert busy.admin_key not in bob.get(f"/q/{busy.pk}/").content.decode()


def test_the_shared_render_keeps_each_readers_own_marks(busy: Question, readers) -> None:
    pages = {
        name: client.get(f"/q/{busy.pk}/?part=ideas", **HX).content.decode()
        for name, client in readers.items()
    }
    assert pages["bob"].count('class="vote-button voted"') == 2
    assert "Your votes: 1 of 3 left" in pages["bob"]
    assert pages["carol"].count('class="vote-button voted"') == 1
    assert "Your votes: 2 of 3 left" in pages["carol"]
    assert 'class="vote-button voted"' not in pages["stranger"]
    assert "Your votes:" not in pages["stranger"]
    # Likes: Bob liked 4 arguments, Carol 1.
    assert pages["bob"].count('class="like-button" aria-pressed="true"') == 4
    assert pages["carol"].count('class="like-button" aria-pressed="true"') == 1
    # Edit rights: the organiser everything (4 ideas + 8 arguments), Bob his 2 ideas and 4
    # arguments, a stranger nothing.
    assert pages["organiser"].count('class="entry-actions"') == 12
    assert pages["bob"].count('class="entry-actions"') == 6
    assert pages["stranger"].count('class="entry-actions"') == 0
    # The add-argument forms are not shared: each reader loads their own when opening one
    # (test_pages.py), a newcomer's with the name he gave before.
    for html in pages.values():
        assert 'name="name"' not in html and "Dave" not in html
        assert html.count("?part=argument_form") == 4
    # Nobody gets a stand-in or a slot marker.
    for html in pages.values():
        assert "ponder" not in re.sub(r"ponder-[a-z-]+|/ponder\.|Ponder", "", html).lower()
        assert "<!--" not in html
        assert rendering.ADMIN_MARK not in html


def test_a_text_that_looks_like_a_stand_in_is_shown_as_typed(busy: Question, alice, bob) -> None:
    # The stand-ins of earlier versions, which were the same in every process: an idea that
    # carried one got the reader's own value (their admin key, say) in its place.
    typed = "ponderCsrfMark7f3a ponderAdminMarkXq7f3aZ ponderNameMark7f3a ponderPathMark7f3a"
    services.idea_add(question=busy, author=busy.participants.get(name="Bob"), title=typed)
    for person in (alice, bob):
        html = person.get(f"/q/{busy.pk}/").content.decode()
        assert typed in html


def test_the_stand_ins_are_new_in_every_process() -> None:
    code = "from ponder.questions import rendering as r; print(r.CSRF_MARK, r.ADMIN_MARK)"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ponder.settings"}
    seen = {
        subprocess.run(  # noqa: S603
            [sys.executable, "-c", f"import django; django.setup(); {code}"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        ).stdout
        for _ in range(2)
    }
    assert len(seen) == 2
    for marks in seen:
        assert re.fullmatch(r"ponderCsrf[0-9A-Za-z]{12} [0-9A-Za-z]{22}\n", marks)


def test_each_reader_gets_their_own_csrf_token(busy: Question, bob: Person, carol: Person) -> None:
    seen: set[str] = set()
    for person in (bob, carol):
        html = person.get(f"/q/{busy.pk}/").content.decode()
        tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
        assert tokens and not tokens & seen  # nothing from another reader's page
        seen |= tokens
        # Every token on the page works: the shared ideas' forms and the page's own.
        person.client.handler.enforce_csrf_checks = True
        for token in tokens:
            idea = Idea.objects.filter(question=busy, title__startswith="Idea 1").get()
            response = person.post(
                f"/q/{busy.pk}/ideas/{idea.pk}/vote/", {"csrfmiddlewaretoken": token}
            )
            assert response.status_code == 302


def test_a_change_shows_at_once(busy: Question, bob: Person, carol: Person) -> None:
    idea = Idea.objects.filter(question=busy, title__startswith="Idea 3").get()
    before = carol.get(f"/q/{busy.pk}/").content.decode()
    assert f'id="vote-{idea.pk}" class="vote-button"' in before
    bob.post(f"/q/{busy.pk}/ideas/{idea.pk}/vote/")
    after = carol.get(f"/q/{busy.pk}/").content.decode()
    row = after[after.index(f'id="idea-{idea.pk}"') :]
    assert re.search(r'<span class="count"[^>]*>1</span>', row[:3000])
    assert "Bob" in row[:3000]


def _changes(busy: Question, bob_browser: Person) -> list[tuple[str, Callable[[], object]]]:
    """Changes through the services, each touching one idea's row (or none)."""
    ideas = list(Idea.objects.filter(question=busy).order_by("title"))
    bob, carol = (Participant.objects.get(question=busy, name=n) for n in ("Bob", "Carol"))
    argument = ideas[0].arguments.order_by("created_at").first()
    return [
        ("a vote", lambda: services.vote_cast(idea=ideas[3], participant=carol)),
        ("a vote taken back", lambda: services.vote_retract(idea=ideas[3], participant=carol)),
        ("a like", lambda: services.like_add(argument=argument, participant=carol)),
        (
            "an argument edited",
            lambda: services.argument_update(argument=argument, kind="con", text="Too <b>far</b>"),
        ),
        (
            "an idea edited",
            lambda: services.idea_update(idea=ideas[2], title="Renamed", description="New"),
        ),
        (
            "a new pro",
            lambda: services.argument_add(idea=ideas[1], author=bob, kind="pro", text="Cheap"),
        ),
        ("a participant renamed", lambda: bob_browser.post(f"/q/{busy.pk}/join/", {"name": "Rob"})),
        ("a comment", lambda: services.comment_add(question=busy, author=bob, text="Hi")),
    ]


def test_after_a_change_only_the_rows_it_touched_are_rendered_again_and_all_is_right(
    busy: Question, readers: dict[str, Client], alice: Person, bob: Person, carol: Person, rendered
) -> None:
    for client in readers.values():
        client.get(f"/q/{busy.pk}/")  # rows kept; welcome messages read
    for change, act in _changes(busy, bob):
        rendered_before = rendered["rows"]
        act()
        for name, client in readers.items():
            response = client.get(f"/q/{busy.pk}/?part=ideas", **HX)
            shared = _normalised(response.content.decode())
            own = _normalised(_own_render(client, busy, "ideas"))
            assert shared == own, f"{name}, after {change}"
        # Each kind of reader (organiser; participant; newcomer) has rows of its own: a change
        # to one idea renders that idea's row once per kind, the others come from the kept ones.
        again = rendered["rows"] - rendered_before
        # Rows are kept by the idea's version: every change to a row moves it, even one that
        # brings the row back to what it showed before (a vote taken back).
        touched = {"a comment": 0, "a participant renamed": 4}.get(change, 1)
        assert again <= 3 * touched, f"{change}: {again} rows rendered again"
        if touched:
            assert again >= 1, f"{change}: no row rendered again"


def _count_of(html: str, idea: Idea) -> int:
    row = html[html.index(f'id="votes-{idea.pk}"') :]
    return int(re.search(r'<span class="count"[^>]*>(\d+)</span>', row)[1])


def test_a_whole_page_may_lag_a_moment_behind_others_changes_but_never_ones_own(
    busy: Question, bob: Person, carol: Person, settings, monkeypatch
) -> None:
    settings.PONDER_PAGE_LAG = 0.5
    clock = [1000.0]
    monkeypatch.setattr(rendering.time, "monotonic", lambda: clock[0])
    idea = Idea.objects.filter(question=busy, title__startswith="Idea 3").get()
    carol.get(f"/q/{busy.pk}/")  # her welcome message, shown once
    before = carol.get(f"/q/{busy.pk}/").content.decode()
    version = Question.objects.get(pk=busy.pk).version
    assert f'data-version="{version}"' in before and _count_of(before, idea) == 0

    bob.post(f"/q/{busy.pk}/ideas/{idea.pk}/vote/", **HX)  # in place: his answer is fresh
    clock[0] += 0.4
    lagging = carol.get(f"/q/{busy.pk}/").content.decode()
    # The render of a moment ago, with the version it shows: the live updates replay the vote.
    assert _count_of(lagging, idea) == 0 and f'data-version="{version}"' in lagging
    fresh_part = carol.get(f"/q/{busy.pk}/?part=ideas", **HX).content.decode()
    assert _count_of(fresh_part, idea) == 1  # what live updates fetch is never behind

    # Her own vote shows at once, lagging page or not: her marks are read with the question.
    carol.post(f"/q/{busy.pk}/ideas/{idea.pk}/vote/", **HX)
    own = carol.get(f"/q/{busy.pk}/").content.decode()
    assert f'id="vote-{idea.pk}" class="vote-button voted"' in own
    # After a plain form post, the page with its message is rendered fresh.
    carol.post(f"/q/{busy.pk}/ideas/{idea.pk}/unvote/")
    assert _count_of(carol.get(f"/q/{busy.pk}/").content.decode(), idea) == 1

    clock[0] += 0.2  # past the lag: rendered again
    now = carol.get(f"/q/{busy.pk}/").content.decode()
    assert _count_of(now, idea) == 1
    assert f'data-version="{Question.objects.get(pk=busy.pk).version}"' in now


def test_a_lagging_page_never_shows_an_open_question_once_it_is_closed(
    busy: Question, carol: Person, settings
) -> None:
    settings.PONDER_PAGE_LAG = 60
    assert "vote-button" in carol.get(f"/q/{busy.pk}/").content.decode()
    services.question_close(question=busy)
    assert "vote-button" not in carol.get(f"/q/{busy.pk}/").content.decode()


# Big questions ------------------------------------------------------------------------------


@pytest.fixture
def crowded(question: Question, bob: Person) -> Callable[[int, int], Question]:
    def make(ideas: int, comments: int) -> Question:
        me = question.participants.get(name="Bob")
        for n in range(ideas):
            services.idea_add(question=question, author=me, title=f"Idea number {n:03}")
        for n in range(comments):
            services.comment_add(question=question, author=me, text=f"Comment number {n:03}")
        question.refresh_from_db()
        return question

    return make


def test_a_big_question_shows_its_leading_ideas_and_the_rest_on_demand(crowded, bob) -> None:
    question = crowded(IDEAS_SHOWN + 5, 0)
    first = Idea.objects.filter(question=question).order_by("created_at").first()
    services.vote_cast(idea=first, participant=question.participants.get(name="Bob"))
    html = bob.get(f"/q/{question.pk}/").content.decode()
    assert html.count('class="idea-title"') == IDEAS_SHOWN
    assert html.index("Idea number 000") < html.index("Idea number 001")  # most votes first
    assert "Show more ideas (5 more)" in html
    assert f'href="?ideas={IDEAS_SHOWN + 5}#idea-list"' in html
    # Without JavaScript, the link shows them all; with htmx, the ideas section comes whole.
    everything = bob.get(f"/q/{question.pk}/?ideas={IDEAS_SHOWN + 5}").content.decode()
    assert everything.count('class="idea-title"') == IDEAS_SHOWN + 5
    assert "Show more ideas" not in everything
    section = bob.get(f"/q/{question.pk}/?part=ideas&ideas={IDEAS_SHOWN + 5}", **HX)
    assert section.content.decode().count('class="idea-title"') == IDEAS_SHOWN + 5


@pytest.mark.parametrize("asked", ["", "abc", "-5", "0", "99999999999999999999"])
def test_a_strange_number_of_ideas_shows_a_sensible_page(crowded, bob, asked: str) -> None:
    question = crowded(3, 0)
    response = bob.get(f"/q/{question.pk}/?ideas={asked}")
    assert response.status_code == 200
    assert response.content.decode().count('class="idea-title"') == 3


def test_a_long_discussion_shows_its_latest_comments_and_the_rest_on_demand(crowded, bob) -> None:
    question = crowded(0, COMMENTS_SHOWN + 3)
    html = bob.get(f"/q/{question.pk}/").content.decode()
    assert html.count('class="comment"') == COMMENTS_SHOWN
    assert "Comment number 002" not in html and f"Comment number {COMMENTS_SHOWN + 2:03}" in html
    assert "Show 3 earlier comments" in html
    everything = bob.get(f"/q/{question.pk}/?part=comment_list&comments=all", **HX)
    text = everything.content.decode()
    assert text.count('class="comment"') == COMMENTS_SHOWN + 3
    assert 'data-all="1"' in text  # live updates keep every comment shown


def test_an_idea_shows_its_strongest_pro_and_con_and_unfolds_the_rest(
    question: Question, bob: Person, carol: Person
) -> None:
    me = question.participants.get(name="Bob")
    idea = services.idea_add(question=question, author=me, title="Popular")
    pros = [
        services.argument_add(idea=idea, author=me, kind="pro", text=f"Reason {n:02}")
        for n in range(4)
    ]
    for n in range(3):
        services.argument_add(idea=idea, author=me, kind="con", text=f"Doubt {n:02}")
    liked = pros[-1]  # the newest, but the only one liked: the strongest pro
    services.like_add(argument=liked, participant=question.participants.get(name="Carol"))
    for html in (
        carol.get(f"/q/{question.pk}/").content.decode(),
        carol.get(f"/q/{question.pk}/ideas/{idea.pk}/?part=row", **HX).content.decode(),
    ):
        assert html.count('class="argument pro"') == ARGUMENTS_SHOWN == 1
        assert html.count('class="argument con"') == 1
        assert "Reason 03" in html and "Reason 00" not in html
        assert "Doubt 00" in html and "Doubt 01" not in html  # the oldest of the unliked
        assert "3 more pros, 2 more cons" in html
        assert f'hx-get="/q/{question.pk}/ideas/{idea.pk}/?part=arguments"' in html
    # Unfolded in place: all of them, their like buttons keeping the row unfolded.
    unfolded = carol.get(f"/q/{question.pk}/ideas/{idea.pk}/?part=arguments", **HX)
    text = unfolded.content.decode()
    # Marked unfolded: a live refresh of the row unfolds it again (ponder.js).
    assert text.startswith(
        f'<div id="arguments-{idea.pk}" class="argument-list" data-idea="{idea.pk}" data-unfolded>'
    )
    assert text.count('class="argument pro"') == 4 and text.count('class="argument con"') == 3
    assert text.count('name="unfolded" value="1"') == 7
    assert "more pros" not in text
    # The idea's own page shows them all too (the link without JavaScript).
    full = carol.get(f"/q/{question.pk}/ideas/{idea.pk}/").content.decode()
    assert full.count('class="argument pro"') == 4 and full.count('class="argument con"') == 3


def test_shared_renders_drop_indentation_but_keep_white_space_in_text_areas(
    question: Question, bob: Person
) -> None:
    me = question.participants.get(name="Bob")
    description = "Line one\n\n    indented code\n\nafter"
    Question.objects.filter(pk=question.pk).update(description=description)
    services.idea_add(question=question, author=me, title="Lake")
    html = bob.get(f"/q/{question.pk}/").content.decode()
    article = html[html.index('<article class="question"') : html.index('<div id="live"')]
    assert "\n    <" not in article
    assert "<pre><code>indented code\n</code></pre>" in html


def _started(target: Callable[[], object]) -> tuple[threading.Thread, list]:
    result: list = []
    thread = threading.Thread(target=lambda: result.append(target()))
    thread.start()
    return thread, result


def _key(version: int) -> rendering.PageKey:
    """A shared render's key, as `page_key` makes them."""
    kind = ReaderKind(False, False, True, True, True, True, False, True, True, True, "open")
    return rendering.PageKey(
        question="q",
        version=version,
        language="en",
        is_open=True,
        reader=kind,
        site=("http", "testserver"),
        template=rendering.QUESTION_PAGE,
        parts=("page",),
        ideas_shown=None,
        comments_shown=None,
        idea=None,
        listing=Listing(),
        closes_in=None,
    )


class Waiters:
    """Stands in for the event of a render under way, and counts the readers who wait for it."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event
        self.came: list[int] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.came.append(1)
        return self.event.wait(timeout)


def _waiters_of_the_render_under_way() -> Waiters:
    deadline = time.monotonic() + 30
    while not rendering._rendering:
        assert time.monotonic() < deadline, "the render never started"
        time.sleep(0.001)
    ((key, event),) = rendering._rendering.items()
    waiters = rendering._rendering[key] = Waiters(event)
    return waiters


def _until(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30
    while not check():
        assert time.monotonic() < deadline
        time.sleep(0.001)


def test_readers_who_find_the_page_being_rendered_wait_for_that_render() -> None:
    key = _key(7)
    release, calls = threading.Event(), []

    def slow_render() -> rendering.Shared:
        calls.append(1)
        release.wait(5)
        return rendering.Shared(parts=(b"version 7",))

    first, first_result = _started(lambda: rendering._in_turn(key, 0.0, slow_render))
    waiters = _waiters_of_the_render_under_way()
    second, second_result = _started(lambda: rendering._in_turn(key, 0.0, slow_render))
    _until(lambda: waiters.came)
    assert second_result == []  # waiting, not rendering a second time
    release.set()
    first.join(5)
    second.join(5)
    assert len(calls) == 1
    assert first_result[0] is second_result[0] is renders.get(key)


def test_readers_who_waited_for_a_render_that_failed_on_the_database_fail_at_once() -> None:
    """With the database hung, each try takes PONDER_DB_TIMEOUT: the waiters must not take
    their turns one after another (docs/reliability.md #8)."""
    key = _key(9)
    release, calls = threading.Event(), []

    def failing_render() -> rendering.Shared:
        calls.append(1)
        release.wait(5)
        raise OperationalError("server closed the connection unexpectedly")

    def waiting() -> object:
        try:
            return rendering._in_turn(key, 0.0, failing_render)
        except OperationalError as error:
            return error

    first, first_result = _started(waiting)
    waiting_for_it = _waiters_of_the_render_under_way()
    waiters = [_started(waiting) for _ in range(3)]
    _until(lambda: len(waiting_for_it.came) == 3)
    release.set()
    for thread, _result in [(first, first_result), *waiters]:
        thread.join(5)
    assert len(calls) == 1  # the waiters did not try again in turn
    assert all(isinstance(result[0], OperationalError) for _thread, result in waiters)
    assert isinstance(first_result[0], OperationalError)
    # Who comes after the failure tries again, and a success is kept as always.
    assert rendering._in_turn(key, 0.0, lambda: rendering.Shared(parts=(b"9",))).parts == (b"9",)


def test_with_a_lag_a_reader_takes_the_newest_render_while_the_next_is_made() -> None:
    old_key, new_key = _key(7), _key(8)
    rendering._in_turn(old_key, 0.5, lambda: rendering.Shared(parts=(b"version 7",)))
    release = threading.Event()

    def slow_render() -> rendering.Shared:
        release.wait(5)
        return rendering.Shared(parts=(b"version 8",))

    stale = (7, time.monotonic() - 10, renders.get(old_key))
    rendering.latest.put(replace(old_key, version=None), stale, 1)
    first, first_result = _started(lambda: rendering._in_turn(new_key, 0.5, slow_render))
    while not rendering._rendering:
        time.sleep(0.001)
    # Older than the lag, but the next render is under way: no waiting, no second render.
    assert rendering._in_turn(new_key, 0.5, slow_render).parts == (b"version 7",)
    release.set()
    first.join(5)
    assert first_result[0].parts == (b"version 8",)
    assert rendering._in_turn(new_key, 0.5, slow_render).parts == (b"version 8",)


def test_kept_renders_are_bounded_by_bytes() -> None:
    kept = rendering.Cache(100)
    for n in range(4):
        kept.put(("render", n), f"render {n}", 30)
    # 120 bytes with the fourth: the oldest went.
    assert kept.get(("render", 0)) is None
    assert list(kept.lru) == [("render", 1), ("render", 2), ("render", 3)]
    assert kept.lru.currsize == 90
    kept.get(("render", 1))  # used: now the most recent
    kept.put(("render", 2), "render 2 again", 50)  # a new weight for a key that is there
    assert list(kept.lru) == [("render", 1), ("render", 2)] and kept.lru.currsize == 80
    assert kept.get(("render", 2)) == "render 2 again"
    kept.put(("render", 1), "more than the whole budget", 500)  # not kept, nor its old value
    assert kept.get(("render", 1)) is None and kept.lru.currsize == 50


def test_a_growing_question_keeps_each_process_within_its_budget(
    crowded, bob, carol, monkeypatch
) -> None:
    # Small budgets, so that this question's renders and rows overflow them many times over.
    budget = 40_000
    caches = {name: rendering.Cache(budget) for name in ("renders", "rows", "latest")}
    for name, cache in caches.items():
        monkeypatch.setattr(rendering, name, cache)
    question = crowded(3, 0)
    me = question.participants.get(name="Bob")
    for n in range(IDEAS_SHOWN - 3):  # each new idea among those the page shows
        services.idea_add(
            question=question, author=me, title=f"Later idea {n:03}", description="x" * 500
        )
        for client in (bob.client, carol.client):
            html = client.get(f"/q/{question.pk}/").content.decode()
            assert f"Later idea {n:03}" in html  # right, however little was kept
        for cache in caches.values():
            assert cache.lru.currsize <= budget
    # The weights are counted.
    assert caches["renders"].lru.currsize > budget / 2 and caches["rows"].lru.currsize > budget / 2
    assert len(caches["rows"].lru) < 40  # far fewer than the rows rendered


def _reader(
    votes: frozenset[str], likes: frozenset[str], me: str | None, *, organiser: bool, is_open: bool
) -> Reader:
    """A reader with these marks, of a question open or not (no database needed)."""
    question = SimpleNamespace(
        is_open=lambda: is_open, phase=lambda at=None: "open" if is_open else "closed"
    )
    participant = None if me is None else SimpleNamespace(pk=me, marks=(votes, likes))
    return Reader(question, participant, organiser=organiser)  # type: ignore[arg-type]


def test_each_reader_gets_exactly_the_slots_their_marks_ask_for() -> None:
    # `_assemble` finds a reader's slots through the plan's index; the reader rule
    # (`Reader.slots`, `Reader.wants`) says which.
    slots = [
        Slot(kind=kind, key=key, yes=(f"yes {n}".encode(),), no=(f"no {n}".encode(),))
        for n, (kind, key) in enumerate(
            [
                ("voted", "idea1"),
                ("voted", "idea2"),
                ("liked", "arg1"),
                ("liked", "arg2"),
                ("mine", "ann"),
                ("mine", "bo"),
                ("participant", ""),
                ("mine", "ann"),
            ]
        )
    ]
    plan = rendering._plan([b"<p>", *slots, b"</p>"])
    for votes, likes, me, organiser, is_open in itertools.product(
        [frozenset(), frozenset({"idea2", "elsewhere"})],
        [frozenset(), frozenset({"arg1", "arg2"})],
        [None, "ann", "cy"],
        [False, True],
        [False, True],
    ):
        reader = _reader(votes, likes, me, organiser=organiser, is_open=is_open)
        expected = {n for n, slot in enumerate(slots) if reader.wants(slot.kind, slot.key)}
        assert sorted(rendering._wanted(plan, reader)) == sorted(expected)
        page = rendering._assemble(rendering.Shared(parts=(), plans=(plan,)), reader, {})[0]
        assert (
            page
            == b"<p>"
            + b"".join((b"yes %d" if n in expected else b"no %d") % n for n in range(len(slots)))
            + b"</p>"
        )


# Outside a test transaction: inside one, PostgreSQL's watchdog (ponder/database.py) stays armed
# after each query until the COMMIT, and a render of 400 ideas on a busy machine outlasted it.
@pytest.mark.django_db(transaction=True)
def test_any_number_of_ideas_beyond_the_question_s_shares_one_render(
    question: Question, bob: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    me = question.participants.get(name="Bob")
    Idea.objects.bulk_create(
        Idea(question=question, author=me, title=f"Idea number {n:03}") for n in range(401)
    )
    made = []
    render = rendering._render_parts

    def counted(*args: Any) -> rendering.Shared:
        made.append(args[-1])  # the key
        return render(*args)

    bob.get(f"/q/{question.pk}/")  # read the welcome message: the pages below are alike
    monkeypatch.setattr(rendering, "_render_parts", counted)
    # The first number asked makes the render, the others find it.
    for asked in (500, 30000, 401):
        page = bob.get(f"/q/{question.pk}/?ideas={asked}").content.decode()
        assert page.count('class="idea-title"') == 401, asked
        if asked == 500:
            first = list(made)
    assert made == first and len(made) == 1
    # 401 rounded up to whole steps of the page's IDEAS_SHOWN
    assert [key.ideas_shown % IDEAS_SHOWN for key in made] == [0]
    assert 401 < made[0].ideas_shown < 401 + IDEAS_SHOWN
    assert sorted(map(str, (k for k in renders.lru if rendering.is_long(k)))) == sorted(
        map(str, made)
    )


def test_long_renders_wait_for_a_free_slot_and_are_asked_to_come_back_after_a_while(
    crowded, bob: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    question = crowded(IDEAS_SHOWN + 5, 0)
    monkeypatch.setattr(rendering, "long_renders", threading.BoundedSemaphore(1))
    monkeypatch.setattr(rendering, "LONG_RENDER_WAIT", 0)  # no waiting in a test
    rendering.long_renders.acquire()  # another long render, in another thread
    try:
        busy = bob.get(f"/q/{question.pk}/?ideas={IDEAS_SHOWN + 5}")
        assert busy.status_code == 503
        assert int(busy["Retry-After"]) > 0
        assert "busy showing long pages" in busy.content.decode()
        # The page as it comes is no long render: it never waits for a slot.
        assert bob.get(f"/q/{question.pk}/").status_code == 200
    finally:
        rendering.long_renders.release()
    shown = bob.get(f"/q/{question.pk}/?ideas={IDEAS_SHOWN + 5}").content.decode()
    assert shown.count('class="idea-title"') == IDEAS_SHOWN + 5
    # Its slot was given back: the next long render finds it free.
    assert rendering.long_renders.acquire(blocking=False)
    rendering.long_renders.release()
