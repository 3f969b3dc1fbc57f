"""The rules of the game, enforced on the server whatever the page offers: vote caps, one vote and
one like per person, closed questions, disabled ideas or arguments, deadlines and results."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ponder.questions import services
from ponder.questions.access import Access
from ponder.questions.models import Argument, Comment, Idea, Like, Participant, Question, Vote
from ponder.questions.pages import question_page
from ponder.questions.services import ActionRefused

HX = {"HTTP_HX_REQUEST": "true"}


def _participant(question: Question, name: str) -> Participant:
    return Participant.objects.get(question=question, name=name)


def _ideas(question: Question, author: Participant, *titles: str) -> list[Idea]:
    return [services.idea_add(question=question, author=author, title=t) for t in titles]


def _votes(question: Question, participant: Participant) -> int:
    return Vote.objects.filter(idea__question=question, participant=participant).count()


def _vote_url(idea: Idea) -> str:
    return f"/q/{idea.question_id}/ideas/{idea.pk}/vote/"


def _unvote_url(idea: Idea) -> str:
    return f"/q/{idea.question_id}/ideas/{idea.pk}/unvote/"


def _set(question: Question, **fields: object) -> None:
    Question.objects.filter(pk=question.pk).update(**fields)
    question.refresh_from_db()


# Votes --------------------------------------------------------------------------------------


def test_it_refuses_a_vote_beyond_the_cap_with_a_clear_message(question, alice, bob):
    _set(question, max_votes=2)
    first, second, third = _ideas(question, _participant(question, "Alice"), "A", "B", "C")
    for idea in (first, second):
        assert bob.post(_vote_url(idea), **HX).status_code == 200

    refused = bob.post(_vote_url(third), **HX)

    assert refused.status_code == 409
    assert "You have used all 2 of your votes." in refused.content.decode()
    assert refused["HX-Reswap"] == "none"
    assert _votes(question, _participant(question, "Bob")) == 2
    assert not Vote.objects.filter(idea=third).exists()


def test_a_plain_post_beyond_the_cap_redirects_to_the_message(question, alice, bob):
    _set(question, max_votes=1)
    first, second = _ideas(question, _participant(question, "Alice"), "A", "B")
    bob.post(_vote_url(first))
    response = bob.post(_vote_url(second), follow=True)
    assert "You have used all 1 of your votes." in response.content.decode()
    assert list(Vote.objects.values_list("idea_id", flat=True)) == [first.pk]


def test_the_vote_cap_is_per_participant(question, alice, bob, carol):
    _set(question, max_votes=1)
    (idea,) = _ideas(question, _participant(question, "Alice"), "A")
    assert bob.post(_vote_url(idea), **HX).status_code == 200
    assert carol.post(_vote_url(idea), **HX).status_code == 200
    assert Vote.objects.filter(idea=idea).count() == 2


def test_the_vote_cap_counts_only_votes_in_this_question(make_question):
    """Votes on another question do not use up this one's."""
    capped, _key = make_question(max_votes=1)
    other, _key = make_question()
    capped_me, token = services.participant_join(question=capped, name="Bob")
    other_me, _token = services.participant_join(question=other, name="Bob", token=token)
    (elsewhere,) = _ideas(other, other_me, "Elsewhere")
    services.vote_cast(idea=elsewhere, participant=other_me)
    (here,) = _ideas(capped, capped_me, "Here")
    services.vote_cast(idea=here, participant=capped_me)
    assert _votes(capped, capped_me) == 1


def test_it_keeps_one_vote_per_participant(question, alice, bob):
    (idea,) = _ideas(question, _participant(question, "Alice"), "A")
    assert bob.post(_vote_url(idea)).status_code == 302
    assert bob.post(_vote_url(idea)).status_code == 302
    assert Vote.objects.filter(idea=idea).count() == 1


def test_voting_again_at_the_cap_keeps_the_vote_without_refusing(question, alice, bob):
    _set(question, max_votes=1)
    (idea,) = _ideas(question, _participant(question, "Alice"), "A")
    bob.post(_vote_url(idea), **HX)
    again = bob.post(_vote_url(idea), **HX)
    assert again.status_code == 200
    assert Vote.objects.filter(idea=idea).count() == 1


def test_a_vote_can_be_taken_back_and_frees_a_vote_under_the_cap(question, alice, bob):
    _set(question, max_votes=1)
    first, second = _ideas(question, _participant(question, "Alice"), "A", "B")
    bob.post(_vote_url(first), **HX)
    assert bob.post(_vote_url(second), **HX).status_code == 409

    taken_back = bob.post(_unvote_url(first), **HX)
    assert taken_back.status_code == 200
    assert "Your vote was taken back." in taken_back.content.decode()
    assert not Vote.objects.filter(idea=first).exists()

    assert bob.post(_vote_url(second), **HX).status_code == 200
    assert list(Vote.objects.values_list("idea_id", flat=True)) == [second.pk]


def test_taking_back_a_vote_never_cast_changes_nothing(question, alice, bob, carol):
    (idea,) = _ideas(question, _participant(question, "Alice"), "A")
    carol.post(_vote_url(idea))
    version = Question.objects.get(pk=question.pk).version
    assert bob.post(_unvote_url(idea)).status_code == 302
    assert Vote.objects.filter(idea=idea).count() == 1
    assert Question.objects.get(pk=question.pk).version == version


def test_the_organiser_lowering_the_cap_keeps_votes_but_blocks_new_ones(question, alice, bob):
    first, second, third = _ideas(question, _participant(question, "Alice"), "A", "B", "C")
    bob.post(_vote_url(first))
    bob.post(_vote_url(second))
    _set(question, max_votes=1)
    assert bob.post(_vote_url(third), **HX).status_code == 409
    assert _votes(question, _participant(question, "Bob")) == 2


# Likes --------------------------------------------------------------------------------------


@pytest.fixture
def argument(question: Question, alice) -> Argument:
    (idea,) = _ideas(question, _participant(question, "Alice"), "A")
    return services.argument_add(
        idea=idea, author=_participant(question, "Alice"), kind="pro", text="Cheap"
    )


def test_liking_twice_keeps_one_like(question, bob, argument):
    url = f"/q/{question.pk}/arguments/{argument.pk}/like/"
    assert bob.post(url).status_code == 302
    assert bob.post(url).status_code == 302
    assert Like.objects.filter(argument=argument).count() == 1


def test_unliking_takes_the_like_back_and_twice_is_harmless(question, bob, carol, argument):
    carol.post(f"/q/{question.pk}/arguments/{argument.pk}/like/")
    bob.post(f"/q/{question.pk}/arguments/{argument.pk}/like/")
    url = f"/q/{question.pk}/arguments/{argument.pk}/unlike/"
    assert bob.post(url).status_code == 302
    assert bob.post(url).status_code == 302
    assert list(Like.objects.values_list("participant__name", flat=True)) == ["Carol"]


def test_the_like_service_is_idempotent(question, bob, argument):
    me = _participant(question, "Bob")
    first = services.like_add(argument=argument, participant=me)
    second = services.like_add(argument=argument, participant=me)
    assert first.like.pk == second.like.pk
    assert (first.changed, second.changed) == (True, False)
    services.like_remove(argument=argument, participant=me)
    services.like_remove(argument=argument, participant=me)
    assert not Like.objects.exists()


# Closed questions take no writes ------------------------------------------------------------


@pytest.fixture
def closed(question: Question, alice, bob, argument) -> dict[str, object]:
    """A question closed after bob voted for the idea and liked its argument."""
    bob_p = _participant(question, "Bob")
    services.vote_cast(idea=argument.idea, participant=bob_p)
    services.like_add(argument=argument, participant=bob_p)
    services.comment_add(question=question, author=bob_p, text="Before closing")
    services.question_close(question=question)
    return {"idea": argument.idea, "argument": argument}


def _snapshot() -> tuple[int, ...]:
    return (
        Idea.objects.count(),
        Argument.objects.count(),
        Comment.objects.count(),
        Vote.objects.count(),
        Like.objects.count(),
    )


CLOSED_WRITES = {
    "vote": lambda q, idea, arg: (f"/q/{q}/ideas/{idea}/vote/", {}),
    "unvote": lambda q, idea, arg: (f"/q/{q}/ideas/{idea}/unvote/", {}),
    "idea": lambda q, idea, arg: (f"/q/{q}/ideas/", {"title": "Late", "description": ""}),
    "argument": lambda q, idea, arg: (
        f"/q/{q}/ideas/{idea}/arguments/",
        {"kind": "con", "text": "Late"},
    ),
    "comment": lambda q, idea, arg: (f"/q/{q}/comments/", {"text": "Late"}),
    "like": lambda q, idea, arg: (f"/q/{q}/arguments/{arg}/like/", {}),
    "unlike": lambda q, idea, arg: (f"/q/{q}/arguments/{arg}/unlike/", {}),
}


@pytest.mark.parametrize("action", CLOSED_WRITES)
@pytest.mark.parametrize("who", ["bob", "alice"])
def test_a_closed_question_takes_no_writes(request, question, closed, action, who):
    person = request.getfixturevalue(who)
    url, data = CLOSED_WRITES[action](question.pk, closed["idea"].pk, closed["argument"].pk)
    before = _snapshot()

    response = person.post(url, data, **HX)

    assert response.status_code == 409
    assert "This question is closed." in response.content.decode()
    assert _snapshot() == before


def test_a_plain_post_to_a_closed_question_says_it_is_closed(question, closed, bob):
    response = bob.post(f"/q/{question.pk}/comments/", {"text": "Late"}, follow=True)
    assert "This question is closed." in response.content.decode()
    assert not Comment.objects.filter(text="Late").exists()


@pytest.mark.parametrize("action", ["idea", "argument", "comment"])
def test_a_newcomer_writing_to_a_closed_question_leaves_no_trace(question, closed, mallory, action):
    """Refused is refused: not even the name they gave is kept."""
    url, data = CLOSED_WRITES[action](question.pk, closed["idea"].pk, closed["argument"].pk)
    people = Participant.objects.count()
    response = mallory.post(url, {**data, "name": "Mallory"}, **HX)
    assert response.status_code == 409
    assert Participant.objects.count() == people


def test_every_write_service_refuses_a_closed_question(question, closed):
    bob_p = _participant(question, "Bob")
    idea, argument = closed["idea"], closed["argument"]
    attempts = [
        lambda: services.idea_add(question=question, author=bob_p, title="Late"),
        lambda: services.argument_add(idea=idea, author=bob_p, kind="pro", text="Late"),
        lambda: services.comment_add(question=question, author=bob_p, text="Late"),
        lambda: services.vote_cast(idea=idea, participant=bob_p),
        lambda: services.vote_retract(idea=idea, participant=bob_p),
        lambda: services.like_add(argument=argument, participant=bob_p),
        lambda: services.like_remove(argument=argument, participant=bob_p),
    ]
    before = _snapshot()
    for attempt in attempts:
        with pytest.raises(ActionRefused) as refused:
            attempt()
        assert refused.value.code == "closed"
    assert _snapshot() == before


def test_a_closed_question_offers_no_forms(question, closed, bob):
    page = bob.get(f"/q/{question.pk}/").content.decode()
    assert f"/q/{question.pk}/ideas/{closed['idea'].pk}/vote/" not in page
    assert f"/q/{question.pk}/ideas/{closed['idea'].pk}/unvote/" not in page
    assert 'id="comment-form"' not in page
    assert 'id="idea-form"' not in page


# Ideas and arguments switched off -----------------------------------------------------------


def test_participants_cannot_add_ideas_when_the_organiser_switched_them_off(question, alice, bob):
    _set(question, allow_ideas=False)
    refused = bob.post(f"/q/{question.pk}/ideas/", {"title": "Mine", "description": ""}, **HX)
    assert refused.status_code == 409
    assert "Only the organiser can add ideas here." in refused.content.decode()
    assert not Idea.objects.exists()
    assert 'id="idea-form"' not in bob.get(f"/q/{question.pk}/").content.decode()


def test_a_newcomer_refused_an_idea_leaves_no_trace(question, alice, mallory):
    _set(question, allow_ideas=False)
    response = mallory.post(
        f"/q/{question.pk}/ideas/", {"name": "Mallory", "title": "Mine", "description": ""}, **HX
    )
    assert response.status_code == 409
    assert not Idea.objects.exists()
    assert not Participant.objects.filter(name="Mallory").exists()


def test_the_organiser_still_adds_ideas_when_they_are_switched_off(question, alice):
    _set(question, allow_ideas=False)
    response = alice.post(f"/q/{question.pk}/ideas/", {"title": "Mine", "description": ""})
    assert response.status_code == 302
    assert Idea.objects.get().title == "Mine"
    assert 'id="idea-form"' in alice.get(f"/q/{question.pk}/").content.decode()


def test_participants_cannot_add_arguments_when_the_organiser_switched_them_off(
    question, alice, bob
):
    (idea,) = _ideas(question, _participant(question, "Alice"), "A")
    _set(question, allow_arguments=False)
    url = f"/q/{question.pk}/ideas/{idea.pk}/arguments/"
    refused = bob.post(url, {"kind": "pro", "text": "Mine"}, **HX)
    assert refused.status_code == 409
    assert "Only the organiser can add pros and cons here." in refused.content.decode()
    assert not Argument.objects.exists()
    page = bob.get(f"/q/{question.pk}/").content.decode()
    assert f'id="add-argument-{idea.pk}"' not in page
    assert f'id="argument-form-{idea.pk}"' not in page
    form = bob.get(f"/q/{question.pk}/ideas/{idea.pk}/?part=argument_form", **HX)
    assert form.status_code == 409
    assert "Only the organiser can add pros and cons here." in form.content.decode()


def test_the_organiser_still_adds_arguments_when_they_are_switched_off(question, alice):
    (idea,) = _ideas(question, _participant(question, "Alice"), "A")
    _set(question, allow_arguments=False)
    url = f"/q/{question.pk}/ideas/{idea.pk}/arguments/"
    assert alice.post(url, {"kind": "con", "text": "Mine"}).status_code == 302
    assert Argument.objects.get().text == "Mine"


def test_switching_ideas_off_still_lets_participants_vote_and_comment(question, alice, bob):
    (idea,) = _ideas(question, _participant(question, "Alice"), "A")
    _set(question, allow_ideas=False, allow_arguments=False)
    assert bob.post(_vote_url(idea), **HX).status_code == 200
    assert bob.post(f"/q/{question.pk}/comments/", {"text": "Hm"}, **HX).status_code == 200
    assert Vote.objects.count() == Comment.objects.count() == 1


# Deadlines ----------------------------------------------------------------------------------


def test_a_past_deadline_closes_the_question_without_any_job(question, alice, bob):
    (idea,) = _ideas(question, _participant(question, "Alice"), "A")
    _set(question, deadline=timezone.now() - timedelta(minutes=1))

    assert question.closed_at is None  # nothing ran
    assert not question.is_open()
    page = bob.get(f"/q/{question.pk}/").content.decode()
    assert "The question was completed. Here is the result:" in page
    refused = bob.post(_vote_url(idea), **HX)
    assert refused.status_code == 409
    assert "This question is closed." in refused.content.decode()
    assert not Vote.objects.exists()


def test_a_future_deadline_leaves_the_question_open(question, bob):
    _set(question, deadline=timezone.now() + timedelta(minutes=1))
    assert question.is_open()
    assert question.is_open(at=timezone.now() + timedelta(minutes=2)) is False
    assert "Open until" in bob.get(f"/q/{question.pk}/").content.decode()


def test_closing_due_questions_records_the_deadline_as_the_closing_time(make_question):
    now = timezone.now()
    make_question(title="Due", deadline=now - timedelta(hours=1))
    make_question(title="Later", deadline=now + timedelta(hours=1))
    make_question(title="Endless")
    by_hand, _key = make_question(title="By hand", deadline=now - timedelta(hours=2))
    services.question_close(question=by_hand, at=now - timedelta(hours=3))

    assert services.question_close_due(at=now) == 1

    closed = {q.title: q.closed_at for q in Question.objects.all()}
    assert closed == {
        "Due": now - timedelta(hours=1),
        "Later": None,
        "Endless": None,
        "By hand": now - timedelta(hours=3),
    }
    assert services.question_close_due(at=now) == 0
    assert services.question_close_due(at=now + timedelta(hours=2)) == 1
    assert Question.objects.get(title="Later").closed_at == now + timedelta(hours=1)


def test_closing_due_questions_announces_a_new_version(make_question):
    due, _key = make_question(deadline=timezone.now() - timedelta(seconds=1))
    services.question_close_due()
    due.refresh_from_db()
    assert due.closed_at is not None
    assert due.version == 1


def test_reopening_removes_a_deadline_that_has_passed(question, alice):
    _set(question, deadline=timezone.now() - timedelta(minutes=1))
    response = alice.post(f"/q/{question.pk}/reopen/")
    question.refresh_from_db()
    assert response.status_code == 302
    assert question.deadline is None
    assert question.closed_at is None
    assert question.is_open()


def test_reopening_after_the_worker_closed_it_removes_the_deadline(question, alice):
    _set(question, deadline=timezone.now() - timedelta(minutes=1))
    services.question_close_due()
    alice.post(f"/q/{question.pk}/reopen/")
    question.refresh_from_db()
    assert (question.closed_at, question.deadline) == (None, None)
    assert question.is_open()


def test_reopening_keeps_a_deadline_still_to_come(question, alice):
    deadline = timezone.now() + timedelta(days=1)
    _set(question, deadline=deadline)
    alice.post(f"/q/{question.pk}/close/")
    question.refresh_from_db()
    assert not question.is_open()
    alice.post(f"/q/{question.pk}/reopen/")
    question.refresh_from_db()
    assert question.is_open()
    assert question.deadline == deadline


def test_closing_twice_keeps_the_first_closing_time(question):
    first = services.question_close(question=question, at=timezone.now() - timedelta(hours=1))
    again = services.question_close(question=question)
    assert again.closed_at == first.closed_at


# Results ------------------------------------------------------------------------------------


def _result(question: Question) -> tuple[list[str], list[str]]:
    access = Access(
        question=question, participant=None, is_organiser=False, token=None, admin_key=None
    )
    page = question_page(access)
    return [i.title for i in page.winners], [i.title for i in page.further_ideas]


@pytest.fixture
def voters(question: Question) -> list[Participant]:
    return [services.participant_join(question=question, name=f"Voter {n}")[0] for n in range(4)]


def _cast(idea: Idea, voters: list[Participant], n: int) -> None:
    for voter in voters[:n]:
        services.vote_cast(idea=idea, participant=voter)


def test_the_result_names_the_winner_then_the_further_ideas_by_votes(question, voters, bob):
    one, three, two, _none = _ideas(question, voters[0], "One", "Three", "Two", "None")
    _cast(one, voters, 1)
    _cast(three, voters, 3)
    _cast(two, voters, 2)
    services.question_close(question=question)

    assert _result(question) == (["Three"], ["Two", "One", "None"])
    page = bob.get(f"/q/{question.pk}/").content.decode()
    assert "The question was completed. Here is the result:" in page
    winners, further = page.split("Further ideas", 1)
    assert "Three" in winners and "A tie" not in winners
    assert further.index("Two") < further.index("One") < further.index("None")


def test_a_tie_shows_several_winners(question, voters, bob):
    first, second, third = _ideas(question, voters[0], "First", "Second", "Third")
    _cast(first, voters, 2)
    _cast(second, voters, 2)
    _cast(third, voters, 1)
    services.question_close(question=question)

    assert _result(question) == (["First", "Second"], ["Third"])
    page = bob.get(f"/q/{question.pk}/").content.decode()
    assert "A tie between 2 ideas." in page
    winners, further = page.split("Further ideas", 1)
    assert "First" in winners and "Second" in winners
    # The winners, then the chart of every idea's votes, then the further ideas.
    shown_first = winners.split("result-banner", 1)[1].split('class="chart"', 1)[0]
    assert "Third" in further and "Third" not in shown_first


def test_a_result_without_votes_names_no_winner(question, voters, bob):
    _ideas(question, voters[0], "Lonely")
    services.question_close(question=question)
    assert _result(question) == ([], ["Lonely"])
    page = bob.get(f"/q/{question.pk}/").content.decode()
    assert "No votes were cast." in page
    assert "Lonely" in page


def test_taken_back_votes_do_not_count_in_the_result(question, voters):
    first, second = _ideas(question, voters[0], "First", "Second")
    _cast(first, voters, 2)
    _cast(second, voters, 1)
    services.vote_retract(idea=first, participant=voters[0])
    services.vote_retract(idea=first, participant=voters[1])
    services.question_close(question=question)
    assert _result(question) == (["Second"], ["First"])


def test_the_result_is_not_shown_while_the_question_is_open(question, voters, bob):
    (idea,) = _ideas(question, voters[0], "First")
    _cast(idea, voters, 1)
    page = bob.get(f"/q/{question.pk}/").content.decode()
    assert "The question was completed" not in page
    assert "Further ideas" not in page
