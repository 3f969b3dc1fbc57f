"""Details of the question page that a plain reading can miss: the result's column heads, asking
before a delete without JavaScript, buttons that only work with it, and the API reference's
address with a slash."""

import re
from pathlib import Path

import pytest

from ponder.questions import services
from ponder.questions.models import Comment, Idea, Participant, Question

COLUMN_HEADS = '<div class="columns-head"'


def _author(question: Question) -> Participant:
    return services.participant_join(question=question, name="Author")[0]


def _voters(question: Question, n: int) -> list[Participant]:
    return [services.participant_join(question=question, name=f"Voter {i}")[0] for i in range(n)]


def _closed_page(question: Question, bob, votes: dict[str, int]) -> str:
    """Close `question` with an idea per title of `votes`, each with that many votes."""
    author, voters = _author(question), _voters(question, max(votes.values(), default=0))
    for title, count in votes.items():
        idea = services.idea_add(question=question, author=author, title=title)
        for voter in voters[:count]:
            services.vote_cast(idea=idea, participant=voter)
    services.question_close(question=question)
    page = bob.get(f"/q/{question.pk}/").content.decode()
    assert "The question was completed. Here is the result:" in page
    return page


# The result's column heads ------------------------------------------------------------------


@pytest.mark.parametrize(
    "votes",
    [
        {"The only idea": 1},  # one idea: it is the winner, and nothing follows it
        {"First": 2, "Second": 2},  # a tie of every idea
        {},  # no ideas, no votes
    ],
    ids=["one idea", "all tied", "nothing"],
)
def test_a_result_without_further_ideas_has_no_empty_column_heads(question, bob, votes):
    page = _closed_page(question, bob, votes)
    assert COLUMN_HEADS not in page
    assert "Further ideas" not in page


def test_the_column_heads_stand_over_the_further_ideas(question, bob):
    page = _closed_page(question, bob, {"Winner": 2, "Runner-up": 1})
    result = page.split('id="ideas-heading"', 1)[1]
    # (The chart of the votes, right under the winner, names the runner-up too.)
    assert result.index("Winner") < result.index(COLUMN_HEADS) < result.rindex("Runner-up")


def test_a_result_without_votes_heads_the_ideas_it_lists(question, bob):
    page = _closed_page(question, bob, {"Unloved": 0})
    assert "No votes were cast." in page
    assert page.index(COLUMN_HEADS) < page.index("Unloved", page.index("No votes were cast."))


# Deleting asks first, also without JavaScript -----------------------------------------------


@pytest.fixture
def entries(question: Question, alice) -> dict[str, object]:
    author = Participant.objects.get(question=question, name="Alice")
    idea = services.idea_add(question=question, author=author, title="The lake house")
    argument = services.argument_add(idea=idea, author=author, kind="pro", text="Quiet")
    comment = services.comment_add(question=question, author=author, text="Friday works")
    return {"idea": idea, "argument": argument, "comment": comment}


def test_the_page_links_each_delete_to_the_page_that_asks_first(question, alice, entries):
    page = alice.get(f"/q/{question.pk}/").content.decode()
    for kind, entry in entries.items():
        url = f"/q/{question.pk}/{kind}/{entry.pk}/delete/"
        # A link (GET, which deletes nothing), not a form that posts at once...
        assert re.search(rf'<a href="{url}" hx-post="{url}" hx-confirm="[^"]+"', page), kind
        assert f'action="{url}"' not in page
        # ...to a page that asks, and posts with its CSRF token.
        confirm = alice.get(url)
        assert confirm.status_code == 200
        html = confirm.content.decode()
        assert "Delete this for good?" in html
        form = re.search(r'<form method="post">(.*?)</form>', html, re.S)
        assert form and 'name="csrfmiddlewaretoken"' in form[1], kind
        assert ">Delete</button>" in form[1]
        assert f'href="/q/{question.pk}/">Cancel</a>' in form[1]
    assert (Idea.objects.count(), Comment.objects.count()) == (1, 1)


def test_the_delete_page_deletes_when_it_is_sent(question, alice, entries):
    url = f"/q/{question.pk}/comment/{entries['comment'].pk}/delete/"
    response = alice.post(url)
    assert response.status_code == 302
    assert not Comment.objects.exists()


# Buttons that need JavaScript ---------------------------------------------------------------


def test_copy_buttons_are_hidden_until_the_script_shows_them(question, alice, bob):
    Question.objects.filter(pk=question.pk).update(allow_embed=True)  # the embed code's button
    for someone, count in ((alice, 2), (bob, 1)):  # the organiser's link and code; the share link
        page = someone.get(f"/q/{question.pk}/").content.decode()
        buttons = re.findall(r'<button type="button" class="copy-button"[^>]*>', page)
        assert len(buttons) == count, buttons
        assert all(" hidden" in button for button in buttons), buttons
    # A button's own `display` would beat the browser's rule for `hidden`: the site's wins.
    css = (Path(__file__).parents[1] / "static" / "ponder.css").read_text()
    assert "[hidden] { display: none !important; }" in css


# The API reference --------------------------------------------------------------------------


def test_the_api_reference_is_found_with_a_slash_too(client, db):
    response = client.get("/api/v1/docs/?x=1")
    assert response.status_code == 302
    assert response["Location"] == "/api/v1/docs?x=1"
    assert client.get(response["Location"]).status_code == 200
