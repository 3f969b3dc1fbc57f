"""What the pages show and how they answer: a fixed number of queries however big the question,
fragments for htmx and redirects for plain posts, "… more" in place, voters in short, ideas by
votes, a health endpoint, and ids and keys that cannot be guessed or read from the database."""

import hashlib
import math
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import Person
from ponder.lib.ids import BASE62
from ponder.questions import services
from ponder.questions.access import question_for
from ponder.questions.forms import ArgumentForm
from ponder.questions.models import (
    Argument,
    Comment,
    Idea,
    Like,
    Participant,
    Question,
    Vote,
    recount,
)
from ponder.questions.pages import question_page
from ponder.questions.views import _context

HX = {"HTTP_HX_REQUEST": "true"}
QUESTION_ID = re.compile(r"[0-9A-Za-z]{22}")  # 62**22 ~ 2**131: a private link (RELIABILITY #23)
ID = re.compile(r"[0-9A-Za-z]{12}")  # ideas, arguments, comments, participants
KEY = re.compile(r"[0-9A-Za-z]{22}")


def _participant(question: Question, name: str) -> Participant:
    return Participant.objects.get(question=question, name=name)


def _text(html: str) -> str:
    """What a reader sees: tags dropped (an isolating <bdi> with no space), white space
    collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", re.sub(r"</?bdi>", "", html)).split())


def _crowd(question: Question, n: int, *, prefix: str = "Voter") -> list[Participant]:
    now = timezone.now()
    return Participant.objects.bulk_create(
        Participant(
            question=question,
            name=f"{prefix} {i}",
            token_hash=f"{prefix}{i}",
            created_at=now + timedelta(seconds=i),
        )
        for i in range(n)
    )


def _fill(question: Question, *, ideas: int, prefix: str = "Voter") -> None:
    """`ideas` ideas, each with 4 arguments liked by 3 people, 6 votes, a long description,
    and 8 comments; bob and alice, if they take part, vote for and like some of it."""
    crowd = _crowd(question, 8, prefix=prefix)
    start = timezone.now()
    made = Idea.objects.bulk_create(
        Idea(
            question=question,
            author=crowd[i % len(crowd)],
            title=f"{prefix} idea {i}",
            description="Long " * 100,
            created_at=start + timedelta(seconds=i),
        )
        for i in range(ideas)
    )
    arguments = Argument.objects.bulk_create(
        Argument(idea=idea, author=crowd[j], kind="pro" if j % 2 else "con", text=f"Arg {j}")
        for idea in made
        for j in range(4)
    )
    regulars = list(Participant.objects.filter(question=question, name__in=["Alice", "Bob"]))
    Like.objects.bulk_create(
        Like(argument=argument, participant=p)
        for argument in arguments
        for p in crowd[:3] + regulars[: len(arguments) % 2 + 1]
    )
    Vote.objects.bulk_create(
        Vote(idea=idea, participant=p) for idea in made for p in crowd[:6] + regulars
    )
    Comment.objects.bulk_create(
        Comment(question=question, author=crowd[k], text=f"Comment {k}") for k in range(8)
    )
    recount()  # written around the services
    # As every change through the services does: the page's shared render is now out of date.
    Question.objects.filter(pk=question.pk).update(version=F("version") + 1)


# Query counts -------------------------------------------------------------------------------

# The question with who they are and their votes and likes (for someone who takes part: one
# query, hot.reader), the leading ideas with their vote counts and how many there are in all,
# their arguments with like counts, the first voters of each, the latest comments and how many
# there are. Adding a query here is a decision; adding one per idea is a bug.
PAGE_QUERIES = {"organiser": 7, "participant": 7, "anonymous": 7}
# Read again at the same version, the shared render is reused (rendering.py): only that first
# query is made.
SHARED_PAGE_QUERIES = {"organiser": 1, "participant": 1, "anonymous": 1}


@pytest.fixture
def viewers(question, alice, bob) -> dict[str, Client]:
    anonymous = Client()
    for client in (alice.client, bob.client, anonymous):
        client.get(f"/q/{question.pk}/")  # read the welcome message once
    return {"organiser": alice.client, "participant": bob.client, "anonymous": anonymous}


def _queries_for_page(client: Client, url: str, **extra: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    assert response.status_code == 200
    return len(queries)


def test_the_question_page_reads_the_same_number_of_queries_for_5_or_200_ideas(question, viewers):
    url = f"/q/{question.pk}/"
    _fill(question, ideas=5, prefix="Early")
    with_5 = {viewer: _queries_for_page(client, url) for viewer, client in viewers.items()}
    _fill(question, ideas=195, prefix="Late")
    assert Idea.objects.count() == 200
    with_200 = {viewer: _queries_for_page(client, url) for viewer, client in viewers.items()}
    assert with_5 == with_200 == PAGE_QUERIES
    again = {viewer: _queries_for_page(client, url) for viewer, client in viewers.items()}
    assert again == SHARED_PAGE_QUERIES


@pytest.mark.parametrize("viewer", PAGE_QUERIES)
def test_the_htmx_ideas_fragment_reads_a_fixed_number_of_queries(question, viewers, viewer):
    _fill(question, ideas=3, prefix="Early")
    before = _queries_for_page(viewers[viewer], f"/q/{question.pk}/", **HX)
    _fill(question, ideas=60, prefix="Late")
    assert _queries_for_page(viewers[viewer], f"/q/{question.pk}/", **HX) == before


def test_a_vote_fragment_reads_as_many_queries_for_a_popular_idea(question, alice, bob, carol):
    _fill(question, ideas=3)
    quiet, popular = Idea.objects.filter(question=question).order_by("created_at")[:2]
    Vote.objects.bulk_create(
        Vote(idea=popular, participant=p) for p in _crowd(question, 100, prefix="Fan")
    )
    recount()
    counts = []
    for idea in (quiet, popular):
        with CaptureQueriesContext(connection) as queries:
            assert carol.post(f"/q/{question.pk}/ideas/{idea.pk}/vote/", **HX).status_code == 200
        counts.append(len(queries))
        # The question, who votes and the idea, in one read before the write begins
        # (hot.reader_and_idea).
        sql = [query["sql"] for query in queries]
        assert sql[0].startswith("SELECT q.*")
        if connection.vendor == "postgresql":
            # Then the vote, its count and event, and the count and first voters after it, in
            # one statement (hot.cast).
            assert len(sql) == 2 and sql[1].startswith("WITH seen AS")
        else:
            assert sql[1].startswith(("SAVEPOINT", "BEGIN", "UPDATE"))
    assert counts[0] == counts[1]


# htmx fragments and plain posts -------------------------------------------------------------


@pytest.fixture
def idea(question: Question, alice) -> Idea:
    return services.idea_add(
        question=question, author=_participant(question, "Alice"), title="The lake house"
    )


@pytest.fixture
def argument(question: Question, idea: Idea) -> Argument:
    return services.argument_add(
        idea=idea, author=_participant(question, "Alice"), kind="pro", text="Quiet"
    )


def _is_fragment(response) -> str:
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "<body" not in html
    return html


def _status_message(html: str) -> str:
    status = re.search(r'<div id="status"[^>]*hx-swap-oob="innerHTML"[^>]*>(.*?)</div>', html, re.S)
    assert status, html
    return _text(status.group(1))


ACTIONS = {
    # name: (url template, data, message in the status, what the fragment shows)
    "vote": ("/q/{q}/ideas/{idea}/vote/", {}, "Your vote was counted.", 'id="votes-{idea}"'),
    "unvote": (
        "/q/{q}/ideas/{idea}/unvote/",
        {},
        "Your vote was taken back.",
        'id="votes-{idea}"',
    ),
    "like": (
        "/q/{q}/arguments/{argument}/like/",
        {},
        "You like this argument.",
        'id="argument-{argument}"',
    ),
    "unlike": (
        "/q/{q}/arguments/{argument}/unlike/",
        {},
        "You no longer like this argument.",
        'id="argument-{argument}"',
    ),
    "add idea": (
        "/q/{q}/ideas/",
        {"title": "The mountain hut", "description": ""},
        "Your idea was added.",
        "The mountain hut",
    ),
    "add pro": (
        "/q/{q}/ideas/{idea}/arguments/",
        {"kind": "pro", "text": "Near a lake"},
        "Your pro was added.",
        "Near a lake",
    ),
    "add con": (
        "/q/{q}/ideas/{idea}/arguments/",
        {"kind": "con", "text": "Far away"},
        "Your con was added.",
        "Far away",
    ),
    "comment": ("/q/{q}/comments/", {"text": "Let us go"}, "Your comment was added.", "Let us go"),
    "edit argument": (
        "/q/{q}/argument/{argument}/edit/",
        {"kind": "con", "text": "Loud"},
        "Argument saved.",
        "Loud",
    ),
}


def _action(name: str, question: Question, idea: Idea, argument: Argument) -> tuple:
    url, data, message, shows = ACTIONS[name]
    ids = {"q": question.pk, "idea": idea.pk, "argument": argument.pk}
    return url.format(**ids), data, message, shows.format(**ids)


@pytest.mark.parametrize("name", ACTIONS)
def test_an_htmx_action_answers_with_a_fragment_and_a_status_message(
    question, alice, idea, argument, name
):
    url, data, message, shows = _action(name, question, idea, argument)
    html = _is_fragment(alice.post(url, data, **HX))
    assert _status_message(html) == message
    assert shows in html


@pytest.mark.parametrize("name", ACTIONS)
def test_a_plain_post_redirects_back_to_the_page_with_the_message(
    question, alice, idea, argument, name
):
    url, data, message, _shows = _action(name, question, idea, argument)
    response = alice.post(url, data)
    assert response.status_code == 302
    assert response["Location"].startswith(f"/q/{question.pk}/")
    page = alice.get(response["Location"]).content.decode()
    assert message in page
    assert "<html" in page


def test_an_htmx_vote_marks_the_idea_as_voted_in_the_fragment(question, bob, idea):
    html = _is_fragment(bob.post(f"/q/{question.pk}/ideas/{idea.pk}/vote/", **HX))
    # Only the votes change: the answer is the idea's vote box, not its whole row.
    assert html.startswith(f'<div id="votes-{idea.pk}" class="idea-votes">')
    assert "Bob" in html and 'class="arguments"' not in html
    assert 'aria-pressed="true"' in html
    assert f"/q/{question.pk}/ideas/{idea.pk}/unvote/" in html
    assert re.search(
        r'<span class="count"[^>]*>1</span>\s*<span class="unit"[^>]*>vote</span>', html
    )


def test_an_htmx_like_shows_the_new_count(question, bob, argument):
    html = _is_fragment(bob.post(f"/q/{question.pk}/arguments/{argument.pk}/like/", **HX))
    liked = html.split(f'id="argument-{argument.pk}"', 1)[1]
    assert re.search(r'<span class="count">1</span>', liked)
    assert f"/q/{question.pk}/arguments/{argument.pk}/unlike/" in liked


def test_a_newcomer_adding_an_idea_with_htmx_reloads_the_whole_page(question, alice, mallory):
    response = mallory.post(
        f"/q/{question.pk}/ideas/",
        {"name": "Mallory", "title": "Mine", "description": ""},
        **HX,
    )
    assert response.status_code == 200
    assert response["HX-Refresh"] == "true"
    assert "ponder_participant" in response.cookies
    assert Idea.objects.get(title="Mine").author.name == "Mallory"


def test_joining_with_htmx_reloads_the_whole_page(question, mallory):
    response = mallory.post(f"/q/{question.pk}/join/", {"name": "Mallory"}, **HX)
    assert response["HX-Refresh"] == "true"
    assert Participant.objects.filter(question=question, name="Mallory").exists()


def test_the_question_page_as_htmx_is_the_ideas_fragment(question, bob, idea):
    html = _is_fragment(bob.get(f"/q/{question.pk}/", **HX))
    assert html.lstrip().startswith('<section id="ideas"')
    assert "The lake house" in html
    full = bob.get(f"/q/{question.pk}/")
    assert "<html" in full.content.decode()
    assert "HX-Request" in full["Vary"]


def test_a_refused_htmx_vote_swaps_nothing_and_says_why(question, alice, bob, idea):
    services.question_close(question=question)
    response = bob.post(f"/q/{question.pk}/ideas/{idea.pk}/vote/", **HX)
    assert response.status_code == 409
    assert response["HX-Reswap"] == "none"
    assert "status-error" in response.content.decode()
    assert _status_message(response.content.decode()) == "This question is closed."


def test_deleting_an_idea_with_htmx_leaves_only_the_status(question, alice, idea):
    response = alice.post(f"/q/{question.pk}/idea/{idea.pk}/delete/", **HX)
    html = _is_fragment(response)
    assert _status_message(html) == "Idea deleted."
    assert "The lake house" not in html
    assert not Idea.objects.exists()


def test_the_edit_form_comes_as_a_fragment_for_htmx(question, alice, idea):
    html = _is_fragment(alice.get(f"/q/{question.pk}/idea/{idea.pk}/edit/", **HX))
    assert f'id="edit-idea-{idea.pk}"' in html
    assert 'value="The lake house"' in html


# "… more": descriptions and voters ----------------------------------------------------------


LONG = " ".join(f"word{i}" for i in range(100))  # ~690 characters


def test_a_long_description_is_cut_with_more_and_expands_in_place(question, alice, bob):
    author = _participant(question, "Alice")
    idea = services.idea_add(question=question, author=author, title="Long", description=LONG)
    page = bob.get(f"/q/{question.pk}/").content.decode()
    assert "word99" not in page
    assert f'hx-get="/q/{question.pk}/ideas/{idea.pk}/?part=description"' in page
    assert "… <a" in page

    html = _is_fragment(bob.get(f"/q/{question.pk}/ideas/{idea.pk}/?part=description", **HX))
    assert html.strip().startswith('<div class="description')
    assert LONG in html


def test_a_short_description_is_shown_whole_without_more(question, alice, bob):
    author = _participant(question, "Alice")
    idea = services.idea_add(question=question, author=author, title="Short", description="Tiny")
    page = bob.get(f"/q/{question.pk}/").content.decode()
    assert "Tiny" in page
    assert f"/q/{question.pk}/ideas/{idea.pk}/?part=description" not in page


def test_the_more_link_without_htmx_opens_the_whole_idea_page(question, alice, bob):
    author = _participant(question, "Alice")
    idea = services.idea_add(question=question, author=author, title="Long", description=LONG)
    response = bob.get(f"/q/{question.pk}/ideas/{idea.pk}/?part=description")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert LONG in html


def _voted_by(question: Question, idea: Idea, names: list[str]) -> None:
    start = timezone.now()
    for i, name in enumerate(names):
        participant = Participant.objects.create(question=question, name=name, token_hash=name)
        Vote.objects.create(idea=idea, participant=participant, created_at=start + timedelta(i))
    recount()  # written around the services


def _voters_line(html: str, idea: Idea) -> str:
    row = html.split(f'id="idea-{idea.pk}"', 1)[1].split("</article>", 1)[0]
    voters = re.search(r'<p class="voters"[^>]*>(.*?)</p>', row, re.S)
    return _text(voters.group(1)) if voters else ""


@pytest.mark.parametrize(
    "names,line",
    [
        ([], ""),
        (["Karen"], "Karen"),
        (["Karen", "Sharon", "Mark"], "Karen, Sharon, Mark"),
        # "and 1 more" would hide a name there is room for.
        (["Karen", "Sharon", "Mark", "Ann"], "Karen, Sharon, Mark, Ann"),
        (["Karen", "Sharon", "Mark", "Ann", "Olu"], "Karen, Sharon, Mark and 2 more"),
        (
            ["Karen", "Sharon", "Mark"] + [f"P{i}" for i in range(47)],
            "Karen, Sharon, Mark and 47 more",
        ),
    ],
)
def test_voters_are_shown_as_the_first_three_and_how_many_more_or_all_four(
    question, alice, bob, idea, names, line
):
    _voted_by(question, idea, names)
    assert _voters_line(bob.get(f"/q/{question.pk}/").content.decode(), idea) == line


def test_the_more_voters_link_lists_everyone_in_place(question, alice, bob, idea):
    names = ["Karen", "Sharon", "Mark", "Ann", "Olu"]
    _voted_by(question, idea, names)
    page = bob.get(f"/q/{question.pk}/").content.decode()
    assert f'hx-get="/q/{question.pk}/ideas/{idea.pk}/?part=voters"' in page

    html = _is_fragment(bob.get(f"/q/{question.pk}/ideas/{idea.pk}/?part=voters", **HX))
    assert _text(html) == "Karen, Sharon, Mark, Ann, Olu"


def test_the_voters_page_without_htmx_lists_everyone_in_full(question, alice, bob, idea):
    _voted_by(question, idea, ["Karen", "Sharon", "Mark", "Ann"])
    html = bob.get(f"/q/{question.pk}/ideas/{idea.pk}/#voters").content.decode()
    assert "<html" in html
    assert "4 votes" in html
    assert "<bdi>Karen</bdi>, <bdi>Sharon</bdi>, <bdi>Mark</bdi>, <bdi>Ann</bdi>" in html


# "Add a pro or con": loaded when opened ------------------------------------------------------


def _ideas_of(question: Question, *titles: str) -> list[Idea]:
    author = _participant(question, "Alice")
    return [services.idea_add(question=question, author=author, title=t) for t in titles]


def _argument_form(person, question: Question, idea: Idea, **extra: str):
    return person.get(f"/q/{question.pk}/ideas/{idea.pk}/?part=argument_form", **extra)


def test_the_question_page_leaves_the_add_argument_forms_out_and_says_where_they_are(
    question, alice, bob, mallory
):
    ideas = _ideas_of(question, "Lisbon", "Porto", "Faro")
    for person in (alice, bob, mallory):
        page = person.get(f"/q/{question.pk}/").content.decode()
        assert '<form id="argument-form-' not in page
        assert 'name="kind"' not in page
        for idea in ideas:
            url = f"/q/{question.pk}/ideas/{idea.pk}/"
            row = page.split(f'<article id="idea-{idea.pk}"', 1)[1].split("</article>", 1)[0]
            details = re.search(r'<details class="add-argument">(.*?)</details>', row, re.S)
            assert details, row
            assert f'<summary id="add-argument-{idea.pk}">Add a pro or con' in details[1]
            stand_in = re.search(r"<p ([^>]*)><a ([^>]*)>(.*?)</a></p>", details[1], re.S)
            assert stand_in, details[1]
            assert f'hx-get="{url}?part=argument_form"' in stand_in[1]
            assert 'hx-trigger="toggle once from:closest details"' in stand_in[1]
            assert 'hx-target="this" hx-swap="outerHTML"' in stand_in[1]
            assert f'href="{url}#argument-form-{idea.pk}"' in stand_in[2]
            # Said on its own (a screen reader's list of links), it still names the idea.
            assert _text(stand_in[3]) == (
                f"Write a pro or con on the idea page about “{idea.title}”"
            )


def test_opening_it_loads_the_form_with_the_readers_token_and_no_name_for_a_participant(
    question, alice, bob
):
    (idea,) = _ideas_of(question, "Lisbon")
    with CaptureQueriesContext(connection) as queries:
        response = _argument_form(bob, question, idea, **HX)
    # The question, who asks and the idea, in one read (access.question_for).
    assert len(queries) == 1
    html = _is_fragment(response)
    assert "HX-Request" in response["Vary"]
    assert html.strip().startswith(f'<form id="argument-form-{idea.pk}" method="post"')
    assert f'action="/q/{question.pk}/ideas/{idea.pk}/arguments/"' in html
    assert f'hx-target="#idea-{idea.pk}"' in html
    token = re.search(r'name="csrfmiddlewaretoken" value="(\w+)"', html)
    assert token and len(token[1]) == 64
    assert 'name="kind"' in html and 'name="text"' in html
    assert 'name="name"' not in html


def test_a_newcomer_gets_the_name_field_filled_in_with_the_name_the_browser_remembers(
    question, alice, make_question
):
    (idea,) = _ideas_of(question, "Lisbon")
    elsewhere, _key = make_question(title="Another question")
    dave = Person("Dave").join(elsewhere)
    html = _is_fragment(_argument_form(dave, question, idea, **HX))
    name = re.search(r'<input type="text" name="name"[^>]*>', html)
    assert name and 'value="Dave"' in name[0]
    assert f'id="id_{idea.pk}_name"' in name[0]
    html = _is_fragment(_argument_form(Client(), question, idea, **HX))
    assert re.search(r'<input type="text" name="name"(?![^>]*value=)[^>]*>', html)


def test_the_forms_of_two_ideas_have_ids_of_their_own(question, alice, mallory):
    ideas = _ideas_of(question, "Lisbon", "Porto")
    forms = [_is_fragment(_argument_form(mallory, question, idea, **HX)) for idea in ideas]
    ids = [re.findall(r'\bid="([^"]+)"', html) for html in forms]
    for idea, html, own in zip(ideas, forms, ids, strict=True):
        assert len(own) == len(set(own)) > 4
        assert all(i == f"argument-form-{idea.pk}" or i.startswith(f"id_{idea.pk}_") for i in own)
        # Every label and description points at a field of its own form.
        for ref in re.findall(r'(?:for|aria-describedby)="([^"]+)"', html):
            assert ref in own
    assert not set(ids[0]) & set(ids[1])


def test_the_form_is_refused_in_place_once_the_question_is_closed(question, alice, bob):
    (idea,) = _ideas_of(question, "Lisbon")
    services.question_close(question=question)
    response = _argument_form(bob, question, idea, **HX)
    assert response.status_code == 409
    assert response["HX-Reswap"] == "none"
    assert _status_message(response.content.decode()) == "This question is closed."
    assert '<form id="argument-form-' not in response.content.decode()


def test_an_unknown_part_of_an_idea_is_still_the_whole_idea_page(question, alice, bob):
    (idea,) = _ideas_of(question, "Lisbon")
    for part in ("argument_form", "nonsense"):
        html = bob.get(f"/q/{question.pk}/ideas/{idea.pk}/?part={part}").content.decode()
        assert "<html" in html and "Lisbon" in html
    html = bob.get(f"/q/{question.pk}/ideas/{idea.pk}/?part=nonsense", **HX).content.decode()
    assert "<html" in html


def test_an_argument_sent_with_errors_shows_them_in_its_form_in_place(question, alice, bob):
    (idea,) = _ideas_of(question, "Lisbon")
    url = f"/q/{question.pk}/ideas/{idea.pk}/arguments/"
    response = bob.post(url, {"kind": "pro", "text": " "}, **HX)
    assert response.status_code == 422
    assert response["HX-Retarget"] == f"#argument-form-{idea.pk}"
    html = response.content.decode()
    assert html.strip().startswith(f'<form id="argument-form-{idea.pk}"')
    assert "This field is required." in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_a_row_rendered_with_a_form_in_error_keeps_it_open_with_its_errors(question, alice, bob):
    """The one render of the row that has the form itself: for this reader, after their post."""
    (idea,) = _ideas_of(question, "Lisbon")
    request = RequestFactory().get(f"/q/{question.pk}/")
    request.COOKIES = {name: morsel.value for name, morsel in bob.client.cookies.items()}
    access = question_for(request, question.pk)
    page = question_page(access, idea_ids=[idea.pk], comments=False)
    form = ArgumentForm({"kind": "pro", "text": ""}, auto_id=f"id_{idea.pk}_%s")
    context = _context(request, access, idea=page.ideas[0], page=page, argument_form=form)
    html = render_to_string("questions/detail.html#idea", context, request)
    assert '<details class="add-argument" open>' in html
    assert f'<form id="argument-form-{idea.pk}"' in html
    assert "This field is required." in html
    assert "?part=argument_form" not in html


def test_without_javascript_the_idea_page_has_a_form_that_adds_the_argument(
    question, alice, bob, mallory
):
    (idea,) = _ideas_of(question, "Lisbon")
    url = f"/q/{question.pk}/ideas/{idea.pk}/"
    for person, asks_name in ((bob, False), (mallory, True)):
        html = person.get(url).content.decode()
        form = re.search(rf'<form id="argument-form-{idea.pk}".*?</form>', html, re.S)
        assert form, html
        assert 'name="csrfmiddlewaretoken"' in form[0]
        assert ('name="name"' in form[0]) is asks_name
        # A plain form here: its htmx answer is a row of the question page.
        assert re.search(r"<section [^>]*hx-disable[^>]*>\s*<h2[^>]*>Add a pro or con</h2>", html)
    response = mallory.post(
        f"{url}arguments/", {"name": "Mallory", "kind": "con", "text": "Too hot in August"}
    )
    argument = Argument.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/q/{question.pk}/#argument-{argument.pk}"
    assert (argument.kind, argument.author.name) == ("con", "Mallory")
    page = mallory.get(response["Location"]).content.decode()
    assert "Your con was added." in page and "Too hot in August" in page


def test_the_idea_page_has_no_form_where_arguments_cannot_be_added(question, alice, bob):
    (idea,) = _ideas_of(question, "Lisbon")
    services.question_close(question=question)
    html = bob.get(f"/q/{question.pk}/ideas/{idea.pk}/").content.decode()
    assert "Lisbon" in html
    assert "argument-form-" not in html


# Order --------------------------------------------------------------------------------------


def test_ideas_are_ordered_by_votes_then_by_age(question, alice, bob):
    author = _participant(question, "Alice")
    titles = ["Oldest, one vote", "No votes", "Three votes", "Also one vote", "Two votes"]
    votes = [1, 0, 3, 1, 2]
    crowd = _crowd(question, 3)
    for title, n in zip(titles, votes, strict=True):
        idea = services.idea_add(question=question, author=author, title=title)
        for voter in crowd[:n]:
            services.vote_cast(idea=idea, participant=voter)

    page = bob.get(f"/q/{question.pk}/").content.decode()
    shown = re.findall(r'<h3 id="idea-\w+-title" class="idea-title" dir="auto">(.*?)</h3>', page)
    assert shown == ["Three votes", "Two votes", "Oldest, one vote", "Also one vote", "No votes"]


def test_a_vote_moves_an_idea_up_on_the_next_load(question, alice, bob):
    author = _participant(question, "Alice")
    first = services.idea_add(question=question, author=author, title="First")
    second = services.idea_add(question=question, author=author, title="Second")
    bob.post(f"/q/{question.pk}/ideas/{second.pk}/vote/")
    page = bob.get(f"/q/{question.pk}/").content.decode()
    assert page.index(f'id="idea-{second.pk}"') < page.index(f'id="idea-{first.pk}"')


# Health -------------------------------------------------------------------------------------


def test_the_health_endpoint_answers_json(db):
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok", "database": connection.vendor}


def test_the_health_endpoint_is_read_only(db):
    assert Client().post("/healthz").status_code == 405


# Ids and keys -------------------------------------------------------------------------------


def _all_stored_text() -> str:
    """Every value in every table, as one string: what a database dump would show."""
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        dump = []
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            dump.extend(str(value) for row in cursor.fetchall() for value in row)
    return "\n".join(dump)


def test_a_new_question_gets_a_share_id_of_22_base62_characters(db):
    organiser = Client()
    response = organiser.post("/", {"title": "Where shall we eat?"})
    assert response.status_code == 302
    question_id = re.fullmatch(r"/q/(\w+)/", response["Location"]).group(1)
    assert QUESTION_ID.fullmatch(question_id)
    assert len(question_id) * math.log2(len(BASE62)) >= 128
    assert set(question_id) <= set(BASE62)
    assert Question.objects.get().pk == question_id


def test_share_ids_are_random(db):
    ids = {services.question_create(title="Q")[0].pk for _ in range(50)}
    assert len(ids) == 50
    assert all(QUESTION_ID.fullmatch(i) for i in ids)
    assert len(set("".join(ids))) > 40  # drawn from the whole alphabet


def test_the_admin_key_has_at_least_128_bits_and_only_its_hash_is_stored(db):
    organiser = Client()
    question_url = organiser.post("/", {"title": "Where shall we eat?"})["Location"]
    page = organiser.get(question_url).content.decode()
    admin_url = re.search(r'id="admin-link"[^>]*value="https?://[^/]+(/q/\w+/a/(\w+)/)"', page)
    assert admin_url, "the organiser is shown the admin link"
    key = admin_url.group(2)

    assert KEY.fullmatch(key)
    assert len(key) * math.log2(len(BASE62)) >= 128
    question = Question.objects.get()
    assert question.admin_key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in _all_stored_text()

    stranger = Client()
    assert stranger.get(admin_url.group(1)).status_code == 302
    assert stranger.get(f"{question_url}settings/").status_code == 200


def test_the_participant_token_is_stored_only_as_a_hash(question, bob):
    signed = bob.client.cookies["ponder_participant"].value
    token = signed.split(":", 1)[0]
    assert KEY.fullmatch(token)
    assert _participant(question, "Bob").token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in _all_stored_text()


def test_ideas_arguments_and_comments_get_public_ids_of_12_base62_characters(
    question, alice, argument
):
    comment = services.comment_add(
        question=question, author=_participant(question, "Alice"), text="Hi"
    )
    for entry in (argument.idea, argument, comment, _participant(question, "Alice")):
        assert ID.fullmatch(entry.pk)
