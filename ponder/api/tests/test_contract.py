"""The API contract, walked the way a client would: ask, take part, add, vote, like, comment,
edit, close, read the results. Every path and field that the README documents is checked here."""

from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from ponder.live.models import Event
from ponder.questions.models import Question, Vote

from .conftest import Caller, ask, join


def test_anyone_asks_a_question_and_gets_the_organisers_links_and_token(db: None) -> None:
    response = Caller().post("/questions", {"title": "  Where to?  ", "description": "Soon."})

    assert response.status_code == 201
    data = response.data
    assert set(data) == {"id", "title", "share_url", "admin_url", "admin_token"}
    assert data["title"] == "Where to?"  # stripped, as the form does
    assert data["share_url"] == f"http://testserver/q/{data['id']}/"
    assert data["admin_url"] == f"http://testserver/q/{data['id']}/a/{data['admin_token']}/"
    question = Question.objects.get(pk=data["id"])
    assert question.description == "Soon."
    # The admin link works in a browser too: it makes that browser the organiser's.
    assert Caller().client.get(data["admin_url"]).status_code == 302


def test_a_question_can_be_asked_with_its_settings(db: None) -> None:
    deadline = (datetime.now(UTC) + timedelta(days=30)).replace(second=0, microsecond=0)
    qid, alice = ask(
        settings={
            "allow_ideas": False,
            "allow_arguments": False,
            "max_votes": 3,
            "deadline": deadline.isoformat(),
            "time_zone": "Europe/Berlin",
        }
    )

    settings = alice.get(f"/questions/{qid}").data["settings"]
    assert settings == {
        "allow_ideas": False,
        "allow_arguments": False,
        "allow_exports": False,
        "allow_embed": False,
        "embed_origins": [],
        "max_votes": 3,
        "deadline": deadline.isoformat().replace("+00:00", "Z"),
        "time_zone": "Europe/Berlin",
        "max_ideas_per_person": None,
        "max_ideas": None,
        "max_text_length": None,
        "max_votes_per_idea": 1,
        "ideas_until": None,
        "hide_tally": False,
        "organiser_sees_tally": True,
        "anonymous_votes": False,
        "random_order": True,
        "taking_part": "link",
    }


def test_the_question_reads_with_ideas_by_votes_arguments_likes_and_comments(
    qid: str, alice: Caller, bob: Caller, carol: Caller, idea: str
) -> None:
    second = bob.post(f"/questions/{qid}/ideas", {"title": "The city", "description": "Trams"})
    second_id = second.data["id"]
    bob.put(f"/ideas/{second_id}/vote")
    carol.put(f"/ideas/{second_id}/vote")
    alice.put(f"/ideas/{idea}/vote")
    pro = carol.post(f"/ideas/{second_id}/arguments", {"kind": "pro", "text": "Near"}).data["id"]
    con = bob.post(f"/ideas/{second_id}/arguments", {"kind": "con", "text": "Loud"}).data["id"]
    alice.put(f"/arguments/{con}/like")
    bob.put(f"/arguments/{con}/like")
    comment = carol.post(f"/questions/{qid}/comments", {"text": "Either is fine"}).data["id"]

    data = bob.get(f"/questions/{qid}").data

    assert data["title"] == "Where should the team offsite be?"
    assert data["status"] == "open"
    assert data["me"] == {
        "participant": {"id": data["me"]["participant"]["id"], "name": "Bob"},
        "organiser": False,
        "votes_left": None,
    }
    assert [(i["title"], i["votes"], i["voters"]) for i in data["ideas"]] == [
        ("The city", 2, ["Bob", "Carol"]),
        ("The lake house", 1, ["Alice"]),
    ]
    city = data["ideas"][0]
    assert city["id"] == second_id
    assert city["description"] == "Trams"
    assert city["author"] == "Bob"
    assert (city["voted"], city["changeable"]) == (True, True)
    assert data["ideas"][1]["changeable"] is False  # alice's idea, read by bob
    assert [
        (a["id"], a["kind"], a["text"], a["author"], a["likes"], a["liked"])
        for a in city["arguments"]
    ] == [
        (con, "con", "Loud", "Bob", 2, True),  # the most liked first, as on the page
        (pro, "pro", "Near", "Carol", 0, False),
    ]
    assert [(c["id"], c["text"], c["author"]) for c in data["comments"]] == [
        (comment, "Either is fine", "Carol")
    ]
    # Without a token: the same question, with nobody's own state.
    anonymous = Caller().get(f"/questions/{qid}").data
    assert anonymous["me"] == {"participant": None, "organiser": False, "votes_left": None}
    assert not any(i["voted"] or i["changeable"] for i in anonymous["ideas"])


def test_taking_part_gives_a_token_and_sending_it_again_changes_the_name(qid: str) -> None:
    response = Caller().post(f"/questions/{qid}/participants", {"name": " Bob "})
    assert response.status_code == 201
    assert set(response.data) == {"id", "name", "token"}
    assert response.data["name"] == "Bob"
    bob = Caller(response.data["token"])

    renamed = bob.post(f"/questions/{qid}/participants", {"name": "Robert"})

    assert renamed.status_code == 200
    assert renamed.data == {**response.data, "name": "Robert"}
    assert bob.get(f"/questions/{qid}").data["me"]["participant"]["name"] == "Robert"


def test_the_organiser_takes_part_under_the_admin_token(asked: tuple[str, Caller]) -> None:
    qid, organiser = asked
    admin_token = organiser.token
    assert organiser.get(f"/questions/{qid}").data["me"]["participant"] is None

    response = organiser.post(f"/questions/{qid}/participants", {"name": "Alice"})

    assert response.status_code == 201
    assert response.data["token"] == admin_token  # one token does both
    me = organiser.get(f"/questions/{qid}").data["me"]
    assert (me["participant"]["name"], me["organiser"]) == ("Alice", True)


def test_ideas_arguments_and_comments_are_created_with_201_and_their_id(
    qid: str, bob: Caller, idea: str
) -> None:
    new_idea = bob.post(f"/questions/{qid}/ideas", {"title": "Tents", "description": "Cheap"})
    argument = bob.post(f"/ideas/{idea}/arguments", {"kind": "con", "text": "Far away"})
    comment = bob.post(f"/questions/{qid}/comments", {"text": "Let's decide by Friday"})

    assert [r.status_code for r in (new_idea, argument, comment)] == [201, 201, 201]
    assert new_idea.data == {
        "id": new_idea.data["id"],
        "title": "Tents",
        "description": "Cheap",
        "author": "Bob",
        "by_organiser": False,
        "edited_by_organiser": False,
        "votes": 0,
        "voters": [],
        "voted": False,
        "my_votes": 0,
        "rank": None,
        "changeable": True,
        "created_at": new_idea.data["created_at"],
        "arguments": [],
        "arguments_total": 0,
        "image": None,
        "hidden": None,
    }
    assert argument.data["idea"] == idea
    assert (argument.data["kind"], argument.data["text"], argument.data["likes"]) == (
        "con",
        "Far away",
        0,
    )
    assert (comment.data["text"], comment.data["author"]) == ("Let's decide by Friday", "Bob")
    assert bob.get(f"/ideas/{new_idea.data['id']}").data == new_idea.data


def test_voting_and_liking_are_idempotent(qid: str, bob: Caller, idea: str) -> None:
    for _ in range(2):
        response = bob.put(f"/ideas/{idea}/vote")
        assert response.status_code == 200
        assert (response.data["votes"], response.data["voted"]) == (1, True)
    assert Vote.objects.filter(idea_id=idea).count() == 1
    for _ in range(2):
        response = bob.delete(f"/ideas/{idea}/vote")
        assert response.status_code == 200
        assert (response.data["votes"], response.data["voted"]) == (0, False)

    argument = bob.post(f"/ideas/{idea}/arguments", {"kind": "pro", "text": "Quiet"}).data["id"]
    for _ in range(2):
        response = bob.put(f"/arguments/{argument}/like")
        assert (response.status_code, response.data["likes"], response.data["liked"]) == (
            200,
            1,
            True,
        )
    for _ in range(2):
        response = bob.delete(f"/arguments/{argument}/like")
        assert (response.status_code, response.data["likes"], response.data["liked"]) == (
            200,
            0,
            False,
        )


def test_authors_edit_and_delete_their_own_entries(bob: Caller, bobs: dict[str, str]) -> None:
    edits = {
        "ideas": ({"title": "Bob's better idea"}, "title", "Bob's better idea"),
        "arguments": ({"kind": "con", "text": "Costly"}, "kind", "con"),
        "comments": ({"text": "Edited"}, "text", "Edited"),
    }
    for kind, (body, field, value) in edits.items():
        response = bob.patch(f"/{kind}/{bobs[kind]}", body)
        assert response.status_code == 200, kind
        assert response.data[field] == value
        # Fields left out keep their value.
        assert bob.patch(f"/{kind}/{bobs[kind]}", {}).data[field] == value

    for kind in ("arguments", "comments", "ideas"):
        assert bob.delete(f"/{kind}/{bobs[kind]}").status_code == 204
        assert bob.patch(f"/{kind}/{bobs[kind]}", {}).status_code == 404


def test_the_organiser_edits_and_deletes_anyones_entries(
    alice: Caller, bobs: dict[str, str]
) -> None:
    assert alice.patch(f"/ideas/{bobs['ideas']}", {"description": "Tidied"}).status_code == 200
    for kind in ("arguments", "comments", "ideas"):
        assert alice.delete(f"/{kind}/{bobs[kind]}").status_code == 204


def test_the_organiser_changes_closes_reopens_and_deletes_the_question(
    qid: str, alice: Caller, idea: str
) -> None:
    changed = alice.patch(
        f"/questions/{qid}", {"title": "Offsite: where?", "settings": {"max_votes": 2}}
    )
    assert changed.status_code == 200
    assert changed.data["title"] == "Offsite: where?"
    assert changed.data["settings"]["max_votes"] == 2
    assert changed.data["settings"]["allow_ideas"] is True  # untouched

    closed = alice.post(f"/questions/{qid}/close")
    assert (closed.status_code, closed.data["status"]) == (200, "closed")
    assert closed.data["closed_at"] is not None
    assert alice.post(f"/questions/{qid}/close").status_code == 200  # closing twice is fine

    reopened = alice.post(f"/questions/{qid}/reopen")
    assert (reopened.status_code, reopened.data["status"]) == (200, "open")

    assert alice.delete(f"/questions/{qid}").status_code == 204
    assert not Question.objects.filter(pk=qid).exists()
    assert Caller().get(f"/questions/{qid}").status_code == 410  # gone, not unknown
    assert alice.delete(f"/questions/{qid}").status_code == 410


def test_a_deadline_that_passed_closes_the_question_for_the_api_too(
    qid: str, alice: Caller, bob: Caller, idea: str
) -> None:
    Question.objects.filter(pk=qid).update(deadline=datetime.now(UTC) - timedelta(minutes=1))

    assert bob.get(f"/questions/{qid}").data["status"] == "closed"
    assert bob.put(f"/ideas/{idea}/vote").status_code == 409
    # Reopening removes the passed deadline, or it would close the question again.
    reopened = alice.post(f"/questions/{qid}/reopen").data
    assert (reopened["status"], reopened["settings"]["deadline"]) == ("open", None)


def test_results_rank_by_votes_and_equal_votes_share_a_rank(
    qid: str, alice: Caller, bob: Caller, carol: Caller
) -> None:
    ids = {
        title: alice.post(f"/questions/{qid}/ideas", {"title": title}).data["id"]
        for title in ("Lake", "City", "Hills", "Sea")
    }
    for voter, titles in ((alice, ["Lake", "City", "Hills"]), (bob, ["Lake", "City"])):
        for title in titles:
            voter.put(f"/ideas/{ids[title]}/vote")

    results = carol.get(f"/questions/{qid}/results")

    assert results.status_code == 200
    assert results.data["status"] == "open"  # the ranking so far
    assert set(results.data["winners"]) == {ids["Lake"], ids["City"]}
    assert [(r["title"], r["votes"], r["rank"]) for r in results.data["ranking"]] == [
        ("Lake", 2, 1),
        ("City", 2, 1),
        ("Hills", 1, 3),
        ("Sea", 0, None),
    ]
    assert results.data["ranking"][0]["idea"] == ids["Lake"]

    alice.post(f"/questions/{qid}/close")
    closed = Caller().get(f"/questions/{qid}")
    assert [(i["title"], i["rank"]) for i in closed.data["ideas"]] == [
        ("Lake", 1),
        ("City", 1),
        ("Hills", 3),
        ("Sea", None),
    ]
    assert Caller().get(f"/questions/{qid}/results").data["status"] == "closed"


def test_a_question_without_votes_has_no_winner(qid: str, idea: str) -> None:
    results = Caller().get(f"/questions/{qid}/results").data
    assert results["winners"] == []
    assert results["ranking"][0]["rank"] is None


def test_every_change_through_the_api_is_announced_to_live_streams(
    qid: str, bob: Caller, idea: str
) -> None:
    before = Question.objects.get(pk=qid).version

    bob.put(f"/ideas/{idea}/vote")

    question = Question.objects.get(pk=qid)
    assert question.version == before + 1
    assert Event.objects.filter(question=question, version=question.version).get().type == (
        "vote.cast"
    )


def test_reading_a_question_takes_the_same_number_of_queries_for_3_and_30_ideas(
    qid: str, alice: Caller, bob: Caller
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert bob.get(f"/questions/{qid}").status_code == 200
        return len(captured)

    def grow_to(n: int) -> None:
        while len(bob.get(f"/questions/{qid}").data["ideas"]) < n:
            new = alice.post(f"/questions/{qid}/ideas", {"title": "Idea"}).data["id"]
            alice.post(f"/ideas/{new}/arguments", {"kind": "pro", "text": "Good"})
            bob.put(f"/ideas/{new}/vote")
        bob.post(f"/questions/{qid}/comments", {"text": "More"})

    grow_to(3)
    few = queries()
    grow_to(30)
    assert queries() == few


def test_the_api_and_the_pages_share_one_state(qid: str, bob: Caller, idea: str) -> None:
    """A participant of the page and one of the API see each other's votes."""
    from conftest import Person

    question = Question.objects.get(pk=qid)
    carol = Person("Carol").join(question)
    carol.post(f"/q/{qid}/ideas/{idea}/vote/")

    bob.put(f"/ideas/{idea}/vote")

    assert bob.get(f"/ideas/{idea}").data["voters"] == ["Carol", "Bob"]
    page = carol.get(f"/q/{qid}/").content.decode()
    assert '<span class="count" data-tally="count">2</span>' in page


def test_someone_can_take_part_in_two_questions(db: None) -> None:
    first, _ = ask("First")
    second, _ = ask("Second")
    dana = join(first, "Dana")
    elsewhere = join(second, "Dana")
    assert dana.token != elsewhere.token
