"""Duplicating and deleting a question (docs/product-rules.md P4): what a copy takes and what it
leaves, and that a deleted question is gone from every table and every cache at once, its links
answering 410 Gone with `X-Robots-Tag: noindex` while other questions go on as before."""

import pytest
from django.apps import apps

from conftest import Person
from ponder.api.tests.conftest import Caller, ask, join
from ponder.live.models import Event
from ponder.questions import rendering, services
from ponder.questions.models import (
    Argument,
    Comment,
    CoOrganiser,
    DeletedQuestion,
    Idea,
    IdeaMerge,
    Invitation,
    Like,
    Participant,
    Question,
    Report,
    Vote,
    deleted_question_key,
)


def filled(question: Question, alice: Person, bob: Person) -> dict[str, str]:
    """Ideas, a pro, a like, votes and a comment on the question, through the pages."""
    q = question.pk
    alice.post(f"/q/{q}/ideas/", {"title": "The lake", "description": "Quiet"})
    bob.post(f"/q/{q}/ideas/", {"title": "The city"})
    lake = Idea.objects.get(question=question, title="The lake")
    bob.post(f"/q/{q}/ideas/{lake.pk}/arguments/", {"kind": "pro", "text": "Swimming"})
    pro = Argument.objects.get(idea=lake)
    alice.post(f"/q/{q}/arguments/{pro.pk}/like/")
    bob.post(f"/q/{q}/ideas/{lake.pk}/vote/")
    alice.post(f"/q/{q}/ideas/{lake.pk}/vote/")
    bob.post(f"/q/{q}/comments/", {"text": "Friday works"})
    return {"idea": lake.pk, "argument": pro.pk}


# Duplicate ----------------------------------------------------------------------------------


def settings_of(question: Question) -> tuple:
    return tuple(getattr(question, name) for name in services.COPIED_SETTINGS)


@pytest.mark.parametrize(
    ("copy", "ideas", "arguments"),
    [("settings", 0, 0), ("ideas", 2, 0), ("arguments", 2, 1)],
)
def test_a_copy_takes_the_settings_and_if_asked_the_ideas_never_the_people(
    question, alice, bob, copy, ideas, arguments
):
    Question.objects.filter(pk=question.pk).update(
        max_votes=3, max_ideas=9, max_votes_per_idea=2, allow_exports=True, time_zone="Asia/Tokyo"
    )
    filled(question, alice, bob)
    services.question_close(question=question)
    question.refresh_from_db()

    page = alice.get(f"/q/{question.pk}/duplicate/").content.decode()
    assert "Never copied: the participants, votes, likes and comments." in page
    response = alice.post(f"/q/{question.pk}/duplicate/", {"copy": copy})
    assert response.status_code == 302
    new = Question.objects.exclude(pk=question.pk).get()
    assert response["Location"] == f"/q/{new.pk}/"
    assert (new.title, new.description) == (question.title, question.description)
    assert settings_of(new) == settings_of(question)
    assert new.is_open() and new.admin_key_hash != question.admin_key_hash

    assert Idea.objects.filter(question=new).count() == ideas
    assert Argument.objects.filter(idea__question=new).count() == arguments
    assert not Vote.objects.filter(idea__question=new).exists()
    assert not Like.objects.filter(argument__idea__question=new).exists()
    assert not Comment.objects.filter(question=new).exists()
    # The copied ideas are the organiser's, under the name they took part with: Bob is not there.
    names = set(Participant.objects.filter(question=new).values_list("name", flat=True))
    assert names == ({"Alice"} if ideas else set())
    if ideas:
        assert set(Idea.objects.filter(question=new).values_list("title", flat=True)) == {
            "The lake",
            "The city",
        }
        assert all(i.vote_count == 0 for i in Idea.objects.filter(question=new))

    # This browser organises the copy: its page shows the new admin link, as for a new question.
    page = alice.get(f"/q/{new.pk}/").content.decode()
    assert "You organise this question" in page
    assert f"/q/{new.pk}/a/" in page
    # The original is untouched.
    assert Idea.objects.filter(question=question).count() == 2
    assert Vote.objects.filter(idea__question=question).count() == 2


def test_the_api_duplicates_with_a_new_admin_token(db):
    qid, alice = ask(settings={"max_ideas_per_person": 2})
    join(qid, "Alice", alice)
    idea = alice.post(f"/questions/{qid}/ideas", {"title": "Lake"}).data["id"]
    alice.post(f"/ideas/{idea}/arguments", {"kind": "con", "text": "Cold"})

    odd = alice.post(f"/questions/{qid}/duplicate", {"arguments": True})
    assert (odd.status_code, odd.data["errors"][0]["field"]) == (400, "arguments")
    copied = alice.post(f"/questions/{qid}/duplicate", {"ideas": True, "arguments": True})
    assert copied.status_code == 201
    assert copied.data["id"] != qid and copied.data["admin_token"] != alice.token
    new = Caller(copied.data["admin_token"])
    read = new.get(f"/questions/{copied.data['id']}").data
    assert read["settings"]["max_ideas_per_person"] == 2
    assert [i["title"] for i in read["ideas"]] == ["Lake"]
    assert read["ideas"][0]["arguments"][0]["text"] == "Cold"
    assert read["me"]["organiser"] is True
    bare = alice.post(f"/questions/{qid}/duplicate")
    assert bare.status_code == 201
    assert not Idea.objects.filter(question_id=bare.data["id"]).exists()


# Delete -------------------------------------------------------------------------------------


def rows_of(question_id: str) -> dict[str, int]:
    """How many rows of each model belong to the question."""
    return {
        "Question": Question.objects.filter(pk=question_id).count(),
        "Participant": Participant.objects.filter(question_id=question_id).count(),
        "Idea": Idea.objects.filter(question_id=question_id).count(),
        "Argument": Argument.objects.filter(idea__question_id=question_id).count(),
        "Like": Like.objects.filter(argument__idea__question_id=question_id).count(),
        "Vote": Vote.objects.filter(idea__question_id=question_id).count(),
        "Comment": Comment.objects.filter(question_id=question_id).count(),
        "Event": Event.objects.filter(question_id=question_id).count(),
        "IdeaMerge": IdeaMerge.objects.filter(question_id=question_id).count(),
        "Report": Report.objects.filter(question_id=question_id).count(),
        "Invitation": Invitation.objects.filter(question_id=question_id).count(),
        "CoOrganiser": CoOrganiser.objects.filter(question_id=question_id).count(),
    }


def test_every_model_that_holds_a_questions_data_is_counted_here(db):
    """A new model with a question's data must join `rows_of`, or deleting could leave it."""
    models = {
        model.__name__
        for app in ("questions", "live")
        for model in apps.get_app_config(app).get_models()
    }
    # A survey holds questions, not the other way round: deleting one of its questions leaves
    # the survey with the others.
    assert models - {"DeletedQuestion", "Survey"} == set(rows_of("x"))


def surfaces(question_id: str, idea_id: str, admin_key: str) -> list[tuple[str, str, dict]]:
    q = question_id
    return [
        ("get", f"/q/{q}/", {}),
        ("get", f"/q/{q}/?part=ideas", {"headers": {"HX-Request": "true"}}),
        ("get", f"/q/{q}/ideas/{idea_id}/", {}),
        ("get", f"/q/{q}/ideas/{idea_id}/?part=row", {"headers": {"HX-Request": "true"}}),
        ("get", f"/q/{q}/a/{admin_key}/", {}),
        ("get", f"/q/{q}/settings/", {}),
        ("get", f"/q/{q}/report/", {}),
        ("get", f"/q/{q}/export/ideas.csv", {}),
        ("get", f"/q/{q}/export/results.json", {}),
        ("get", f"/embed/{q}/", {}),
        ("post", f"/q/{q}/ideas/{idea_id}/vote/", {}),
        ("get", f"/api/v1/questions/{q}", {}),
        ("get", f"/api/v1/questions/{q}/ideas", {}),
        ("get", f"/api/v1/questions/{q}/results", {}),
    ]


def test_a_deleted_question_is_gone_from_every_table_and_its_links_answer_410(
    question, alice, bob, make_question
):
    ids = filled(question, alice, bob)
    other, _key = make_question("Which framework?")
    carol = Person("Carol").join(other)
    carol.post(f"/q/{other.pk}/ideas/", {"title": "Django"})
    other_rows = rows_of(other.pk)
    # Read once, so that the page and the API reads are kept in this process's caches.
    assert alice.get(f"/q/{question.pk}/").status_code == 200
    assert Caller().get(f"/questions/{question.pk}").status_code == 200
    assert rendering.kept_of(question.pk)

    confirm = alice.get(f"/q/{question.pk}/delete/").content.decode()
    assert "2 ideas, with their pros and cons" in confirm
    assert "2 votes" in confirm and "1 comment" in confirm
    response = alice.post(f"/q/{question.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert "The question was deleted, with everything on it." in alice.get("/").content.decode()

    assert rows_of(question.pk) == dict.fromkeys(rows_of(question.pk), 0)
    assert rendering.kept_of(question.pk) == []
    # Only a hash of its id is kept, for the answers below.
    assert list(DeletedQuestion.objects.values_list("pk", flat=True)) == [
        deleted_question_key(question.pk)
    ]
    assert question.pk not in deleted_question_key(question.pk)

    for person in (alice, bob, Person("Mallory")):
        for method, path, extra in surfaces(question.pk, ids["idea"], question.admin_key):
            answer = getattr(person.client, method)(path, **extra)
            assert answer.status_code == 410, (path, answer.status_code)
            assert "noindex" in answer["X-Robots-Tag"], path
    page = Person("Mallory").get(f"/q/{question.pk}/").content.decode()
    assert "This question was deleted by its organiser." in page
    api = Caller().get(f"/questions/{question.pk}")
    assert (
        api.data["detail"] == "This question was deleted by its organiser. Nothing of it is kept."
    )

    # The other question goes on as before.
    assert rows_of(other.pk) == other_rows
    assert carol.get(f"/q/{other.pk}/").status_code == 200
    # An id never used is still unknown, not gone.
    assert Caller().get("/questions/" + "x" * 22).status_code == 404


def test_the_api_deletes_with_the_admin_token_and_then_answers_410(db):
    qid, alice = ask()
    join(qid, "Alice", alice)
    idea = alice.post(f"/questions/{qid}/ideas", {"title": "Lake"}).data["id"]
    alice.put(f"/ideas/{idea}/vote")
    assert alice.delete(f"/questions/{qid}").status_code == 204
    assert rows_of(qid) == dict.fromkeys(rows_of(qid), 0)
    gone = alice.delete(f"/questions/{qid}")
    assert gone.status_code == 410
    assert gone["X-Robots-Tag"] == "noindex"
    assert alice.get(f"/questions/{qid}/ideas").status_code == 410


def test_the_delete_page_in_german(question, alice):
    page = alice.get(f"/q/{question.pk}/delete/", headers={"Accept-Language": "de"})
    assert "Die Frage endgültig löschen" in page.content.decode()


# The live stream reads on threads of its own, which see only committed rows.
@pytest.mark.django_db(transaction=True)
def test_the_live_stream_of_a_deleted_question_answers_410():
    question, _key = services.question_create(title="Gone soon")
    client = Person("Mallory").client
    assert client.get(f"/q/{question.pk}/events").status_code == 200
    services.question_delete(question=question)
    for path in (f"/q/{question.pk}/events", f"/api/v1/questions/{question.pk}/events"):
        answer = client.get(path)
        assert (answer.status_code, answer["X-Robots-Tag"]) == (410, "noindex"), path
