"""The organiser's limits: ideas per person, ideas in total, the longest text, and votes per idea
(docs/product-rules.md P4). Each is set on the settings page and through the API with one form,
enforced by the services, refused with the message a person reads (next to the field on the page,
a 4xx JSON body in the API), and a lowered limit deletes nothing."""

import re
from typing import Any

import pytest

from conftest import Person, counts_off
from ponder.api.tests.conftest import Caller, join
from ponder.questions import services
from ponder.questions.models import Argument, Comment, Idea, Participant, Question, Vote

SETTINGS = {"title": "Where should the team offsite be?", "description": "", "time_zone": "UTC"}


def set_limits(person: Person, question: Question, **limits: object) -> Any:
    data = {**SETTINGS, **{k: "" if v is None else str(v) for k, v in limits.items()}}
    data.setdefault("allow_ideas", "on")
    data.setdefault("allow_arguments", "on")
    return person.post(f"/q/{question.pk}/settings/", data)


def page_of(person: Person, question: Question) -> str:
    return person.get(f"/q/{question.pk}/").content.decode()


def participant(question: Question, name: str) -> Participant:
    return Participant.objects.get(question=question, name=name)


# Settings -----------------------------------------------------------------------------------


def test_the_organiser_sets_the_limits_on_the_settings_page(question, alice):
    page = alice.get(f"/q/{question.pk}/settings/").content.decode()
    assert "<legend>Limits</legend>" in page
    assert "A lowered limit never deletes what is already there" in page

    response = set_limits(
        alice,
        question,
        max_ideas_per_person=2,
        max_ideas=10,
        max_text_length=300,
        max_votes_per_idea=3,
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert (
        question.max_ideas_per_person,
        question.max_ideas,
        question.max_text_length,
        question.max_votes_per_idea,
    ) == (2, 10, 300, 3)

    set_limits(alice, question)  # all empty: no limits, approval voting
    question.refresh_from_db()
    assert (question.max_ideas_per_person, question.max_ideas, question.max_text_length) == (
        None,
        None,
        None,
    )
    assert question.max_votes_per_idea == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("max_ideas_per_person", "0", "Ensure this value is greater than or equal to 1."),
        ("max_ideas", "-3", "Ensure this value is greater than or equal to 1."),
        ("max_text_length", "10001", "Ensure this value is less than or equal to 10000."),
        ("max_votes_per_idea", "101", "Ensure this value is less than or equal to 100."),
        ("max_ideas", "many", "Enter a whole number."),
    ],
)
def test_a_bad_limit_is_refused_next_to_its_field(question, alice, field, value, message):
    response = set_limits(alice, question, **{field: value})
    assert response.status_code == 422
    page = response.content.decode()
    error = re.search(rf'id="id_{field}_error"[^>]*>(.*?)</ul>', page, re.S)
    assert error is not None and message in error[1]
    question.refresh_from_db()
    assert getattr(question, field) in (None, 1)  # unchanged


def test_the_api_sets_and_reads_the_limits_and_refuses_bad_ones(db):
    created = Caller().post(
        "/questions",
        {"title": "Roadmap", "settings": {"max_ideas_per_person": 3, "max_votes_per_idea": 5}},
    )
    assert created.status_code == 201
    qid, alice = created.data["id"], Caller(created.data["admin_token"])
    settings = alice.get(f"/questions/{qid}").data["settings"]
    assert settings["max_ideas_per_person"] == 3
    assert settings["max_votes_per_idea"] == 5
    assert settings["max_ideas"] is None and settings["max_text_length"] is None

    changed = alice.patch(f"/questions/{qid}", {"settings": {"max_text_length": 500}})
    assert changed.status_code == 200
    assert changed.data["settings"]["max_text_length"] == 500
    assert changed.data["settings"]["max_ideas_per_person"] == 3  # untouched

    too_long = alice.patch(f"/questions/{qid}", {"settings": {"max_text_length": 10_001}})
    assert too_long.status_code == 400
    assert too_long.data["errors"][0]["field"] == "settings.max_text_length"
    zero = alice.patch(f"/questions/{qid}", {"settings": {"max_ideas": 0}})
    assert zero.status_code == 400
    assert zero.data["errors"][0]["field"] == "settings.max_ideas"


# Ideas per person and in total --------------------------------------------------------------


def test_a_participant_over_the_ideas_per_person_limit_reads_why_above_the_form(
    question, alice, bob
):
    set_limits(alice, question, max_ideas_per_person=1)
    assert bob.post(f"/q/{question.pk}/ideas/", {"title": "The lake"}).status_code == 302
    refused = bob.post(f"/q/{question.pk}/ideas/", {"title": "The city"})
    assert refused.status_code == 422
    assert "You have added the 1 idea each participant may add here." in refused.content.decode()
    with_htmx = bob.post(
        f"/q/{question.pk}/ideas/", {"title": "The city"}, headers={"HX-Request": "true"}
    )
    assert with_htmx.status_code == 422
    assert "You have added the 1 idea each participant may add here." in with_htmx.content.decode()
    assert Idea.objects.filter(author__name="Bob").count() == 1
    # The organiser seeds ideas beyond it.
    for title in ("A", "B"):
        assert alice.post(f"/q/{question.pk}/ideas/", {"title": title}).status_code == 302
    assert Idea.objects.filter(author__name="Alice").count() == 2


def test_no_idea_beyond_the_total_limit_even_from_the_organiser(question, alice, bob):
    set_limits(alice, question, max_ideas=2)
    alice.post(f"/q/{question.pk}/ideas/", {"title": "A"})
    bob.post(f"/q/{question.pk}/ideas/", {"title": "B"})
    for person in (alice, bob):
        refused = person.post(f"/q/{question.pk}/ideas/", {"title": "C"})
        assert refused.status_code == 422
        assert "This question takes no more ideas: it has all 2 it may have." in (
            refused.content.decode()
        )
    assert Idea.objects.filter(question=question).count() == 2


def test_the_api_refuses_ideas_beyond_the_limits_with_409_and_the_rule(question, alice):
    from ponder.api.tests.conftest import ask

    qid, organiser = ask(settings={"max_ideas_per_person": 1, "max_ideas": 3})
    bob = join(qid, "Bob")
    assert bob.post(f"/questions/{qid}/ideas", {"title": "One"}).status_code == 201
    second = bob.post(f"/questions/{qid}/ideas", {"title": "Two"})
    assert second.status_code == 409
    assert second.data["code"] == "idea_limit_per_person"
    assert "each participant may add here" in second.data["detail"]
    join(qid, "Alice", organiser)
    assert organiser.post(f"/questions/{qid}/ideas", {"title": "Two"}).status_code == 201
    assert organiser.post(f"/questions/{qid}/ideas", {"title": "Three"}).status_code == 201
    full = organiser.post(f"/questions/{qid}/ideas", {"title": "Four"})
    assert (full.status_code, full.data["code"]) == (409, "idea_limit")


# Text length --------------------------------------------------------------------------------


def test_the_forms_show_and_enforce_the_text_limit(question, alice, bob):
    set_limits(alice, question, max_text_length=20)
    page = page_of(bob, question)
    assert 'maxlength="20"' in page
    assert "At most 20 characters." in page

    long = "x" * 21
    refused = bob.post(f"/q/{question.pk}/ideas/", {"title": "Lake", "description": long})
    assert refused.status_code == 422
    assert "Ensure this value has at most 20 characters (it has 21)." in refused.content.decode()
    assert bob.post(f"/q/{question.pk}/comments/", {"text": long}).status_code == 422
    assert not Comment.objects.exists()

    bob.post(f"/q/{question.pk}/ideas/", {"title": "Lake", "description": "x" * 20})
    idea = Idea.objects.get(title="Lake")
    argued = bob.post(f"/q/{question.pk}/ideas/{idea.pk}/arguments/", {"kind": "pro", "text": long})
    assert argued.status_code == 422
    assert "at most 20 characters" in argued.content.decode()
    assert not Argument.objects.exists()


def test_the_api_refuses_text_over_the_limit_with_400_naming_the_field(question):
    from ponder.api.tests.conftest import ask

    qid, _organiser = ask(settings={"max_text_length": 10})
    bob = join(qid, "Bob")
    refused = bob.post(f"/questions/{qid}/ideas", {"title": "Lake", "description": "x" * 11})
    assert refused.status_code == 400
    assert refused.data["errors"] == [
        {
            "field": "description",
            "message": "The organiser allows at most 10 characters here; this text has 11.",
        }
    ]
    comment = bob.post(f"/questions/{qid}/comments", {"text": "y" * 11})
    assert (comment.status_code, comment.data["errors"][0]["field"]) == (400, "text")
    assert not Comment.objects.exists()


def test_a_lowered_limit_keeps_what_is_saved_and_stops_only_new_entries(question, alice, bob):
    bob.post(f"/q/{question.pk}/ideas/", {"title": "Lake", "description": "a long description"})
    bob.post(f"/q/{question.pk}/ideas/", {"title": "City"})
    bob.post(f"/q/{question.pk}/comments/", {"text": "a rather long comment"})
    set_limits(alice, question, max_ideas_per_person=1, max_ideas=1, max_text_length=5)

    assert Idea.objects.filter(question=question).count() == 2
    assert Comment.objects.get().text == "a rather long comment"
    page = page_of(bob, question)
    assert "a long description" in page and "a rather long comment" in page
    # Bob's long description may be saved again as it is, with a new title...
    lake = Idea.objects.get(title="Lake")
    edit = {"title": "Lake house", "description": "a long description"}
    assert bob.post(f"/q/{question.pk}/idea/{lake.pk}/edit/", edit).status_code == 302
    assert Idea.objects.get(pk=lake.pk).title == "Lake house"
    # ...but nothing new beyond the limits.
    assert bob.post(f"/q/{question.pk}/ideas/", {"title": "Park"}).status_code == 422
    assert bob.post(f"/q/{question.pk}/comments/", {"text": "too long"}).status_code == 422


# Votes per idea -----------------------------------------------------------------------------


def vote_url(question: Question, idea: Idea, *, back: bool = False) -> str:
    return f"/q/{question.pk}/ideas/{idea.pk}/{'unvote' if back else 'vote'}/"


def test_approval_voting_stays_one_vote_per_idea(question, alice, bob):
    idea = services.idea_add(question=question, author=participant(question, "Alice"), title="A")
    for _ in range(3):
        bob.post(vote_url(question, idea))
    assert Vote.objects.filter(idea=idea).count() == 1
    assert 'class="vote-stack"' not in page_of(bob, question)


def test_a_participant_puts_several_votes_on_one_idea_with_plus_and_minus(question, alice, bob):
    set_limits(alice, question, max_votes_per_idea=3, max_votes=4)
    author = participant(question, "Alice")
    lake = services.idea_add(question=question, author=author, title="Lake")
    city = services.idea_add(question=question, author=author, title="City")

    page = page_of(bob, question)
    assert 'id="vote-less-' not in page  # no votes yet: the usual "Vote" button
    for _ in range(3):
        assert bob.post(vote_url(question, lake)).status_code == 302
    assert Idea.objects.get(pk=lake.pk).vote_count == 3
    page = page_of(bob, question)
    assert "3 of your votes" in page
    assert f'id="vote-less-{lake.pk}"' in page
    assert "Add one more of your votes to" in page
    assert "Your votes: 1 of 4 left" in page
    # His three votes on the lake name him once among its voters.
    voters = re.search(rf'id="votes-{lake.pk}".*?data-tally="voters">(.*?)</p>', page, re.S)
    assert voters is not None and voters[1].count("Bob") == 1
    assert "more" not in voters[1]  # three votes, one person: no "and 2 more"

    refused = bob.post(vote_url(question, lake), headers={"HX-Request": "true"})
    assert refused.status_code == 409
    assert "You may put at most 3 of your votes on one idea." in refused.content.decode()
    assert bob.post(vote_url(question, city)).status_code == 302
    capped = bob.post(vote_url(question, city), headers={"HX-Request": "true"})
    assert capped.status_code == 409
    assert "You have used all 4 of your votes." in capped.content.decode()

    taken = bob.post(vote_url(question, lake, back=True), headers={"HX-Request": "true"})
    assert taken.status_code == 200
    assert "2 of your votes" in taken.content.decode()
    assert Idea.objects.get(pk=lake.pk).vote_count == 2
    assert counts_off() == []

    # Carol sees the counts and no number of Bob's on her page.
    carol = Person("Carol").join(question)
    page = page_of(carol, question)
    assert "of your votes" not in page
    assert re.search(r'data-tally="count">2<', page)


def test_the_api_sets_a_number_of_votes_and_counts_them_everywhere(question):
    from ponder.api.tests.conftest import ask

    qid, organiser = ask(settings={"max_votes_per_idea": 3, "max_votes": 5})
    join(qid, "Alice", organiser)
    idea = organiser.post(f"/questions/{qid}/ideas", {"title": "Lake"}).data["id"]
    bob = join(qid, "Bob")
    voted = bob.put(f"/ideas/{idea}/vote?votes=3")
    assert voted.status_code == 200
    assert (voted.data["votes"], voted.data["my_votes"], voted.data["voters"]) == (3, 3, ["Bob"])
    again = bob.put(f"/ideas/{idea}/vote?votes=3")  # the same number: no change
    assert again.data["votes"] == 3
    over = bob.put(f"/ideas/{idea}/vote?votes=4")
    assert (over.status_code, over.data["code"]) == (409, "vote_cap_per_idea")
    read = bob.get(f"/questions/{qid}").data
    assert read["me"]["votes_left"] == 2
    assert read["ideas"][0]["my_votes"] == 3
    fewer = bob.put(f"/ideas/{idea}/vote?votes=1")
    assert (fewer.data["votes"], fewer.data["my_votes"]) == (1, 1)
    bob.put(f"/ideas/{idea}/vote?votes=2")
    assert bob.delete(f"/ideas/{idea}/vote").data["votes"] == 0  # every vote taken back
    bob.put(f"/ideas/{idea}/vote?votes=2")
    organiser.post(f"/questions/{qid}/close")
    results = organiser.get(f"/questions/{qid}/results").data
    assert results["winners"] == [idea]
    assert results["ranking"][0]["votes"] == 2
    # The votes table of the exports has a row per vote: Bob's two.
    question = Question.objects.get(pk=qid)
    browser = Person("Alice").organise(question, organiser.token)
    csv = browser.get(f"/q/{qid}/export/votes.csv").content.decode()
    assert csv.count("Bob") == 2
    assert counts_off() == []


def test_a_lowered_votes_per_idea_keeps_the_votes_and_lets_them_be_taken_back(question, alice, bob):
    set_limits(alice, question, max_votes_per_idea=3)
    idea = services.idea_add(question=question, author=participant(question, "Alice"), title="A")
    for _ in range(3):
        bob.post(vote_url(question, idea))
    set_limits(alice, question, max_votes_per_idea=1)
    assert Idea.objects.get(pk=idea.pk).vote_count == 3  # kept
    services.vote_remove(idea=idea, participant=participant(question, "Bob"))
    assert Idea.objects.get(pk=idea.pk).vote_count == 2
    # Approval voting again: "Vote" keeps what is there (a vote for it already).
    assert bob.post(vote_url(question, idea), headers={"HX-Request": "true"}).status_code == 200
    assert Idea.objects.get(pk=idea.pk).vote_count == 2
    assert counts_off() == []
