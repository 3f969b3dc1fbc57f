"""Finding one's way in a big question: the ideas in the order a reader asks for (`?sort=`),
filtered by a text (`?q=`), both kept in the page's own links; the votes a reader has left; and
the question's state at the top of its page."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conftest import Person
from ponder.questions import rendering, services
from ponder.questions.access import Access, question_for
from ponder.questions.models import Idea, Question
from ponder.questions.pages import IDEAS_SHOWN, SHUFFLES, Listing
from ponder.questions.tests.test_pages import HX, PAGE_QUERIES, _fill

# Other attributes (dir="auto" isolates the title) may follow the class.
TITLES = re.compile(r'class="idea-title"[^>]*>([^<]*)</h3>')


def _titles(html: str) -> list[str]:
    return TITLES.findall(html)


@pytest.fixture
def ideas(question: Question, alice: Person, bob: Person, carol: Person) -> dict[str, Idea]:
    """Four ideas: "Bakery" has the most votes, "Garden" the most pros and cons, "Zoo" is the
    newest; only "Garden" speaks of flowers, in its description."""
    me = question.participants.get(name="Alice")
    made = {}
    for title in ("Bakery", "Garden", "Library", "Zoo"):
        description = "Flowers and benches." if title == "Garden" else ""
        made[title] = services.idea_add(
            question=question, author=me, title=title, description=description
        )
    for n in range(3):
        services.argument_add(idea=made["Garden"], author=me, kind="pro", text=f"Green {n}")
    for person in ("Alice", "Bob"):
        voter = question.participants.get(name=person)
        services.vote_cast(idea=made["Bakery"], participant=voter)
    services.vote_cast(idea=made["Library"], participant=question.participants.get(name="Bob"))
    return made


@pytest.mark.parametrize(
    "query,order",
    [
        ("", ["Bakery", "Library", "Garden", "Zoo"]),  # most votes, then the oldest
        ("?sort=votes", ["Bakery", "Library", "Garden", "Zoo"]),
        ("?sort=new", ["Zoo", "Library", "Garden", "Bakery"]),
        ("?sort=discussed", ["Garden", "Bakery", "Library", "Zoo"]),
        ("?sort=nonsense", ["Bakery", "Library", "Garden", "Zoo"]),  # the usual order
    ],
)
def test_the_ideas_come_in_the_order_asked_for(question, ideas, bob, query, order):
    assert _titles(bob.get(f"/q/{question.pk}/{query}").content.decode()) == order
    fragment = bob.get(f"/q/{question.pk}/{query}", **HX).content.decode()
    assert _titles(fragment) == order


def test_a_random_order_is_each_readers_own_and_the_same_each_time(question, ideas, bob, carol):
    for reader in (bob, carol, Client()):
        first = _titles(reader.get(f"/q/{question.pk}/?sort=random").content.decode())
        again = _titles(reader.get(f"/q/{question.pk}/?sort=random", **HX).content.decode())
        assert sorted(first) == sorted(ideas) and again == first


def _request(client: Client) -> HttpRequest:
    request = RequestFactory().get("/?sort=random")
    request.COOKIES = {name: morsel.value for name, morsel in client.cookies.items()}
    return request


def _access(question: Question, client: Client) -> Access:
    return question_for(_request(client), question.pk)


def test_a_random_order_is_one_of_a_few_chosen_by_who_reads(question, ideas, bob, carol):
    chosen = set()
    for person in (bob, carol):
        request = _request(person.client)
        access = _access(question, person.client)
        key = rendering.page_key(
            request,
            access,
            template="t",
            parts=("page",),
            listing=Listing.asked("random", ""),
        )
        again = rendering.page_key(
            request,
            access,
            template="t",
            parts=("page",),
            listing=Listing.asked("random", ""),
        )
        assert key == again and 0 <= key.listing.shuffle < SHUFFLES
        chosen.add(key.listing.shuffle)
    assert chosen  # (two readers may share an order: there are only SHUFFLES of them)


def test_the_filter_finds_ideas_by_title_or_description_and_says_how_many(question, ideas, bob):
    html = bob.get(f"/q/{question.pk}/?q=flowers").content.decode()
    assert _titles(html) == ["Garden"]
    assert "1 idea matches “flowers”." in html
    assert 'value="flowers"' in html  # the search field keeps what was asked
    assert _titles(bob.get(f"/q/{question.pk}/?q=LIBR").content.decode()) == ["Library"]
    nothing = bob.get(f"/q/{question.pk}/?q=volcano").content.decode()
    assert _titles(nothing) == [] and "No idea matches your search." in nothing
    assert "Show all ideas by votes" in nothing


def test_the_filter_escapes_what_was_asked(question, ideas, bob):
    html = bob.client.get(f"/q/{question.pk}/", {"q": '<script>"x"</script>'}).content.decode()
    assert "<script>&quot;x&quot;" not in html and '<script>"x"' not in html
    assert "&lt;script&gt;" in html


def test_a_long_filter_is_cut(question, ideas, bob):
    assert Listing.asked("new", "a  b " * 100).search == ("a b " * 50)[:100].strip()
    assert bob.client.get(f"/q/{question.pk}/", {"q": "x" * 10_000}).status_code == 200


def test_the_pages_links_keep_the_order_and_the_filter(question, bob):
    _fill(question, ideas=IDEAS_SHOWN + 2, prefix="Late")
    html = bob.get(f"/q/{question.pk}/?sort=new&q=Late").content.decode()
    more = re.search(r'<p id="more-ideas" class="more"><a href="([^"]+)" hx-get="([^"]+)"', html)
    assert more is not None
    assert more[1] == f"?ideas={IDEAS_SHOWN + 2}&amp;sort=new&amp;q=Late#idea-list"
    assert more[2] == f"?part=ideas&amp;ideas={IDEAS_SHOWN + 2}&amp;sort=new&amp;q=Late"
    # Live updates fetch the list again with them (ponder.js reads data-query).
    assert 'data-query="sort=new&amp;q=Late"' in html
    everything = bob.get(f"/q/{question.pk}/?ideas={2 * IDEAS_SHOWN}&sort=new&q=Late")
    assert len(_titles(everything.content.decode())) == IDEAS_SHOWN + 2


@pytest.mark.parametrize(
    "query,extra",
    [("?sort=new", 0), ("?sort=discussed", 0), ("?q=idea", 0), ("?sort=random&q=idea", 1)],
)
def test_each_order_and_filter_reads_a_fixed_number_of_queries(question, bob, query, extra):
    # A random order reads the ids of the ideas first: one more query, whatever the size.
    url = f"/q/{question.pk}/{query}"
    _fill(question, ideas=5, prefix="Early")
    counts = []
    for more in (0, 60):
        if more:
            _fill(question, ideas=more, prefix="Late")
        with CaptureQueriesContext(connection) as queries:
            assert bob.get(url).status_code == 200
        counts.append(len(queries))
    assert counts == [PAGE_QUERIES["participant"] + extra] * 2


def test_a_closed_question_in_another_order_lists_its_ideas_with_their_ranks(question, ideas, bob):
    services.question_close(question=question)
    result = bob.get(f"/q/{question.pk}/").content.decode()
    assert "Here is the result" in result and "Further ideas" in result
    newest = bob.get(f"/q/{question.pk}/?sort=new").content.decode()
    assert _titles(newest) == ["Zoo", "Library", "Garden", "Bakery"]
    assert "Further ideas" not in newest and ">Winner<" in newest and ">Rank 2<" in newest


# The votes a reader has left ------------------------------------------------------------------


def test_a_capped_vote_answers_with_the_votes_left_too(make_question):
    question, key = make_question(max_votes=3)
    bob = Person("Bob").join(question)
    Person("Ann").organise(question, key).join(question)
    author = question.participants.get(name="Ann")
    made = [services.idea_add(question=question, author=author, title=f"I{n}") for n in range(2)]
    page = bob.get(f"/q/{question.pk}/").content.decode()
    assert '<p id="votes-left" class="votes-left">Your votes: 3 of 3 left</p>' in page
    answer = bob.post(f"/q/{question.pk}/ideas/{made[0].pk}/vote/", **HX).content.decode()
    assert 'id="votes-left" class="votes-left" hx-swap-oob="true">Your votes: 2 of 3 left' in answer
    answer = bob.post(f"/q/{question.pk}/ideas/{made[0].pk}/unvote/", **HX).content.decode()
    assert "Your votes: 3 of 3 left" in answer
    assert "Your votes:" not in Client().get(f"/q/{question.pk}/").content.decode()


def test_an_uncapped_vote_answers_with_the_vote_box_alone(question, ideas, bob):
    answer = bob.post(f"/q/{question.pk}/ideas/{ideas['Zoo'].pk}/vote/", **HX).content.decode()
    assert "votes-left" not in answer


# The question's state -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "left,says,look",
    [
        (None, "Open", "open"),
        (timedelta(days=3, hours=2), "Open · closes in 3 days", "open"),
        (timedelta(hours=5, minutes=10), "Open · closes in 5 hours", "closing"),
        (timedelta(minutes=20), "Open · closes within the hour", "closing"),
    ],
)
def test_the_page_says_how_soon_the_question_closes(make_question, left, says, look):
    deadline = timezone.now() + left if left else None
    question, _key = make_question(deadline=deadline)
    html = Client().get(f"/q/{question.pk}/").content.decode()
    assert f'<p class="status-line {look}">' in html
    assert f"<strong>{says}</strong>" in html


def test_the_status_moves_on_without_a_change_to_the_question(make_question, monkeypatch):
    question, _key = make_question(deadline=timezone.now() + timedelta(days=3, minutes=30))
    assert "closes in 3 days" in Client().get(f"/q/{question.pk}/").content.decode()
    later = timezone.now() + timedelta(days=1)
    monkeypatch.setattr(rendering.timezone, "now", lambda: later)
    assert "closes in 2 days" in Client().get(f"/q/{question.pk}/").content.decode()


def test_a_closed_question_says_so_first(question, ideas, bob):
    services.question_close(question=question)
    html = bob.get(f"/q/{question.pk}/").content.decode()
    assert '<p class="status-line closed">' in html and "<strong>Closed</strong>" in html
