"""A big question through the API: its read holds the leading 100 ideas and the path of the rest
(`ideas_next`); `GET /questions/{id}/ideas` pages through them in the same order, each idea once,
with the caller's own marks, in the same number of queries whatever the size."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ponder.api.api import api
from ponder.questions.access import question_for_token
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
from ponder.questions.shapes import (
    ARGUMENTS_PER_IDEA,
    COMMENTS_PER_READ,
    IDEAS_PER_READ,
    VOTERS_PER_IDEA,
    question_data,
)

from .conftest import Caller

IDEAS = 2 * IDEAS_PER_READ + 30


@pytest.fixture
def big(qid: str, alice: Caller, bob: Caller) -> str:
    """IDEAS ideas; some with votes (so the order is by votes, then age), several made in the
    same instant (so only the id tells them apart)."""
    question = Question.objects.get(pk=qid)
    author = Participant.objects.filter(question=question).first()
    start = timezone.now() - timedelta(days=1)
    ideas = Idea.objects.bulk_create(
        Idea(
            question=question,
            author=author,
            title=f"Idea {n}",
            created_at=start + timedelta(seconds=n // 3),  # three at a time
        )
        for n in range(IDEAS)
    )
    voter = Participant.objects.get(question=question, name="Bob")
    Vote.objects.bulk_create(Vote(idea=idea, participant=voter) for idea in ideas[150:170])
    recount()  # written around the services
    question.version += 1  # as a change through the services would
    question.save(update_fields=["version"])
    return qid


def _everything(qid: str, caller: Caller) -> list[dict]:
    """Every idea as a read of the whole question for this caller alone gives it, as JSON."""
    access = question_for_token(qid, caller.token)
    ideas = question_data(access, share_url="")["ideas"]
    request = RequestFactory().get(f"/api/v1/questions/{qid}")
    return json.loads(api.create_response(request, ideas, status=200).content)


def test_the_read_holds_the_leading_ideas_and_the_path_of_the_rest(big: str, bob: Caller) -> None:
    read = bob.get(f"/questions/{big}")
    assert read.status_code == 200
    every = _everything(big, bob)
    assert len(every) == IDEAS
    assert [i["id"] for i in read.data["ideas"]] == [i["id"] for i in every[:IDEAS_PER_READ]]
    assert read.data["ideas_total"] == IDEAS
    assert read.data["ideas_next"] == f"/api/v1/questions/{big}/ideas?offset=100&limit=100"


def test_pages_follow_one_another_each_idea_once_in_order(big: str, bob: Caller) -> None:
    seen = bob.get(f"/questions/{big}").data["ideas"]
    path = bob.get(f"/questions/{big}").data["ideas_next"]
    pages = 0
    while path:
        page = bob.get(path.removeprefix("/api/v1"))
        assert page.status_code == 200, page.data
        assert page.data["offset"] == len(seen)
        assert page.data["total"] == IDEAS
        seen += page.data["ideas"]
        path = page.data["next"]
        pages += 1
    assert pages == 2
    every = _everything(big, bob)
    assert [i["id"] for i in seen] == [i["id"] for i in every]
    # Bob's own votes are marked on whichever page they fall, the voted ideas first.
    assert [i["voted"] for i in seen] == [i["voted"] for i in every]
    assert sum(i["voted"] for i in seen) == 20
    assert all(i["voted"] for i in seen[:20])
    assert seen == every  # and everything else about each idea too


def test_a_page_is_the_callers_own(big: str, bob: Caller, carol: Caller, anonymous: Caller) -> None:
    path = f"/questions/{big}/ideas?offset=0&limit=30"
    for caller, voted in [(bob, 20), (carol, 0), (anonymous, 0)]:
        page = caller.get(path)
        assert page.status_code == 200
        assert sum(i["voted"] for i in page.data["ideas"]) == voted
        assert page.data["ideas"] == _everything(big, caller)[:30]


def test_a_small_question_is_one_read(qid: str, idea: str, bob: Caller) -> None:
    read = bob.get(f"/questions/{qid}").data
    assert [i["id"] for i in read["ideas"]] == [idea]
    assert (read["ideas_total"], read["ideas_next"]) == (1, None)
    page = bob.get(f"/questions/{qid}/ideas").data
    assert (page["total"], page["offset"], page["next"]) == (1, 0, None)
    past = bob.get(f"/questions/{qid}/ideas?offset=5").data
    assert (past["ideas"], past["next"]) == ([], None)


def test_a_page_after_a_change_is_read_anew(big: str, bob: Caller, carol: Caller) -> None:
    last = f"/questions/{big}/ideas?offset={IDEAS - 1}&limit=1"
    before = carol.get(last).data
    assert before["ideas"][0]["votes"] == 0
    assert carol.put(f"/ideas/{before['ideas'][0]['id']}/vote").status_code == 200
    after = carol.get(f"/questions/{big}/ideas?offset=20&limit=1").data
    assert after["version"] == before["version"] + 1
    # One vote more than the other unvoted ideas: it leads them now, and it is Carol's.
    assert after["ideas"][0]["id"] == before["ideas"][0]["id"]
    assert after["ideas"][0]["voted"] is True


@pytest.mark.parametrize(
    "query",
    ["offset=-1", "offset=x", "limit=0", "limit=101", "limit=-5", "offset=99999999999999999999"],
)
def test_bad_paging_is_a_4xx_with_a_message(qid: str, bob: Caller, query: str) -> None:
    answer = bob.get(f"/questions/{qid}/ideas?{query}")
    assert 400 <= answer.status_code < 500
    assert answer.data["detail"]


def test_unknown_question_and_foreign_token(qid: str, mallory: Caller) -> None:
    assert Caller().get("/questions/" + "x" * 22 + "/ideas").status_code == 404
    assert mallory.get(f"/questions/{qid}/ideas").status_code == 401


def test_queries_do_not_grow_with_the_page(big: str, bob: Caller) -> None:
    counts = []
    for limit in (1, 100):
        with CaptureQueriesContext(connection) as queries:
            assert bob.get(f"/questions/{big}/ideas?offset=7&limit={limit}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_bad_paging_names_the_parameter(qid: str, bob: Caller) -> None:
    answer = bob.get(f"/questions/{qid}/ideas?offset=x&limit=500")
    assert answer.status_code == 400
    assert {problem["field"] for problem in answer.data["errors"]} == {"offset", "limit"}


@pytest.fixture
def crowded(qid: str, bob: Caller) -> str:
    """One idea with more pros and cons, and more voters, than a read of many ideas shows."""
    question = Question.objects.get(pk=qid)
    author = Participant.objects.get(question=question, name="Bob")
    idea = Idea.objects.create(question=question, author=author, title="Busy")
    start = timezone.now() - timedelta(hours=1)
    people = Participant.objects.bulk_create(
        Participant(question=question, name=f"Voter {n:02}", token_hash=f"{n:064}")
        for n in range(VOTERS_PER_IDEA + 5)
    )
    Vote.objects.bulk_create(
        Vote(idea=idea, participant=p, created_at=start + timedelta(seconds=n))
        for n, p in enumerate(people)
    )
    arguments = Argument.objects.bulk_create(
        Argument(
            idea=idea,
            author=author,
            kind="pro",
            text=f"Reason {n:02}",
            created_at=start + timedelta(seconds=n),
        )
        for n in range(ARGUMENTS_PER_IDEA + 5)
    )
    # The last ones are liked most: the read of many ideas keeps them, not the first written.
    Like.objects.bulk_create(
        Like(argument=argument, participant=p) for argument in arguments[-3:] for p in people[:2]
    )
    recount()  # written around the services
    question.version += 1
    question.save(update_fields=["version"])
    return idea.pk


def test_a_read_of_many_ideas_shows_each_ones_leading_arguments_and_first_voters(
    qid: str, crowded: str, bob: Caller
) -> None:
    own = bob.get(f"/questions/{qid}/ideas/{crowded}").data  # the idea's own read: everything
    assert len(own["arguments"]) == own["arguments_total"] == ARGUMENTS_PER_IDEA + 5
    assert len(own["voters"]) == own["votes"] == VOTERS_PER_IDEA + 5
    for read in (
        bob.get(f"/questions/{qid}").data["ideas"],
        bob.get(f"/questions/{qid}/ideas").data["ideas"],
    ):
        (idea,) = [i for i in read if i["id"] == crowded]
        assert idea["arguments"] == own["arguments"][:ARGUMENTS_PER_IDEA]
        assert [a["text"] for a in idea["arguments"][:3]] == ["Reason 22", "Reason 23", "Reason 24"]
        assert idea["arguments_total"] == ARGUMENTS_PER_IDEA + 5
        assert idea["voters"] == [f"Voter {n:02}" for n in range(VOTERS_PER_IDEA)]
        assert idea["votes"] == VOTERS_PER_IDEA + 5


def test_the_answer_to_a_vote_is_capped_as_a_read_of_many_ideas_is(
    qid: str, crowded: str, bob: Caller
) -> None:
    own = bob.get(f"/questions/{qid}/ideas/{crowded}").data
    voted = bob.put(f"/ideas/{crowded}/vote")
    assert voted.status_code == 200
    answer = voted.data
    # Its size does not grow with the idea's votes and pros and cons; the counts are all of them.
    assert answer["votes"] == own["votes"] + 1 and answer["voted"] is True
    assert answer["voters"] == own["voters"][:VOTERS_PER_IDEA]
    assert answer["arguments"] == own["arguments"][:ARGUMENTS_PER_IDEA]
    assert answer["arguments_total"] == own["arguments_total"]
    taken_back = bob.delete(f"/ideas/{crowded}/vote").data
    assert (taken_back["votes"], taken_back["voted"]) == (own["votes"], False)
    assert len(taken_back["voters"]) == VOTERS_PER_IDEA
    # The idea's own read still names everyone.
    assert bob.get(f"/questions/{qid}/ideas/{crowded}").data["voters"] == own["voters"]
    # A like answers with the pro or con alone, liked.
    pro = own["arguments"][-1]
    liked = bob.put(f"/arguments/{pro['id']}/like").data
    assert (liked["id"], liked["likes"], liked["liked"]) == (pro["id"], pro["likes"] + 1, True)


def test_after_a_vote_a_read_checks_only_the_voted_idea_again(
    big: str, bob: Caller, monkeypatch
) -> None:
    from ponder.api import shared

    checked = []
    validate = shared.IdeaOut.model_validate
    monkeypatch.setattr(
        shared.IdeaOut, "model_validate", lambda data: checked.append(1) or validate(data)
    )
    first = bob.get(f"/questions/{big}").data
    assert len(checked) == IDEAS_PER_READ  # each idea checked once
    voted = first["ideas"][50]
    assert bob.put(f"/ideas/{voted['id']}/vote").status_code == 200
    checked.clear()
    again = bob.get(f"/questions/{big}").data
    assert again["version"] == first["version"] + 1
    assert len(checked) == 1  # the voted idea: its count and voters changed
    now = next(i for i in again["ideas"] if i["id"] == voted["id"])
    assert (now["votes"], now["voted"], now["voters"]) == (1, True, ["Bob"])
    assert again["ideas"] == [
        {**i, "voted": i["id"] in {voted["id"]} | {j["id"] for j in first["ideas"] if j["voted"]}}
        for i in _everything(big, bob)[:IDEAS_PER_READ]
    ]


# Comments -----------------------------------------------------------------------------------

COMMENTS = 2 * COMMENTS_PER_READ + 30


@pytest.fixture
def talkative(qid: str, bob: Caller, carol: Caller) -> str:
    """COMMENTS comments, carol's every tenth, several made in the same instant."""
    question = Question.objects.get(pk=qid)
    people = {p.name: p for p in Participant.objects.filter(question=question)}
    start = timezone.now() - timedelta(days=1)
    Comment.objects.bulk_create(
        Comment(
            question=question,
            author=people["Carol" if n % 10 == 0 else "Bob"],
            text=f"Comment {n}",
            created_at=start + timedelta(seconds=n // 3),
        )
        for n in range(COMMENTS)
    )
    question.version += 1
    question.save(update_fields=["version"])
    return qid


def test_the_read_holds_the_latest_comments_and_the_path_of_the_earlier(
    talkative: str, carol: Caller
) -> None:
    read = carol.get(f"/questions/{talkative}").data
    every = carol.get(f"/questions/{talkative}/comments?limit=100").data
    assert read["comments_total"] == every["total"] == COMMENTS
    assert len(read["comments"]) == COMMENTS_PER_READ
    assert read["comments_earlier"] == (
        f"/api/v1/questions/{talkative}/comments?offset=30&limit=100"
    )
    # Walk back from the read to the first comment, then forward again: each comment once, in
    # the order they were made.
    back = read["comments"]
    path = read["comments_earlier"]
    while path:
        page = carol.get(path.removeprefix("/api/v1")).data
        back = page["comments"] + back
        path = page["earlier"]
    forward, path = [], f"/questions/{talkative}/comments"
    while path:
        page = carol.get(path.removeprefix("/api/v1")).data
        assert page["offset"] == len(forward)
        forward += page["comments"]
        path = page["next"] and page["next"].removeprefix("/api/v1")
    assert back == forward
    # In the order they were made; those of the same instant by id.
    made = Comment.objects.filter(question_id=talkative).order_by("created_at", "pk")
    assert [c["id"] for c in forward] == list(made.values_list("pk", flat=True))
    assert len(forward) == COMMENTS
    # Carol's own comments are hers to change, on every page.
    mine = [int(c["text"].split()[1]) % 10 == 0 for c in forward]
    assert [c["changeable"] for c in forward] == mine


def test_a_small_question_has_every_comment_in_its_read(qid: str, bob: Caller) -> None:
    bob.post(f"/questions/{qid}/comments", {"text": "Only one"})
    read = bob.get(f"/questions/{qid}").data
    assert ([c["text"] for c in read["comments"]], read["comments_total"]) == (["Only one"], 1)
    assert read["comments_earlier"] is None
    page = bob.get(f"/questions/{qid}/comments").data
    assert (page["total"], page["offset"], page["earlier"], page["next"]) == (1, 0, None, None)
    assert page["comments"] == read["comments"]


@pytest.mark.parametrize("query", ["offset=-1", "offset=x", "limit=0", "limit=101"])
def test_bad_comment_paging_is_a_4xx_with_a_message(qid: str, bob: Caller, query: str) -> None:
    answer = bob.get(f"/questions/{qid}/comments?{query}")
    assert answer.status_code == 400
    assert answer.data["detail"]


def test_comment_pages_cost_the_same_at_any_size(talkative: str, bob: Caller) -> None:
    counts = []
    for limit in (1, 100):
        with CaptureQueriesContext(connection) as queries:
            assert bob.get(f"/questions/{talkative}/comments?limit={limit}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert Caller().get("/questions/" + "x" * 22 + "/comments").status_code == 404


def test_the_kept_reads_stay_within_a_budget_and_stay_right(
    big: str, bob: Caller, monkeypatch
) -> None:
    from ponder.api import shared

    first = bob.get(f"/questions/{big}").data
    _checked, one_idea = next(iter(shared._checked_ideas.lru.values()))  # (idea, its size)
    assert one_idea > 500  # about what the idea holds, not zero
    # Room for a third of a read's ideas: reads still come out whole and right.
    budget = one_idea * IDEAS_PER_READ // 3
    for name in ("_checked_ideas", "_kept"):
        monkeypatch.setattr(shared, name, shared.Cache(budget))
    not_voted = [i["id"] for i in first["ideas"] if not i["voted"]]
    voted = len(first["ideas"]) - len(not_voted)
    for n in range(3):
        assert bob.put(f"/ideas/{not_voted[n]}/vote").status_code == 200
        read = bob.get(f"/questions/{big}").data
        assert [i["id"] for i in read["ideas"]] == [
            i["id"] for i in _everything(big, bob)[:IDEAS_PER_READ]
        ]
        assert sum(i["voted"] for i in read["ideas"]) == voted + n + 1
        for cache in (shared._checked_ideas, shared._kept):
            assert cache.lru.currsize <= budget
    assert len(shared._checked_ideas.lru) < IDEAS_PER_READ
