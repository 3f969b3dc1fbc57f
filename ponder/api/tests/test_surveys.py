"""Surveys through the API: make one with its questions (and their settings), read it, add and
remove a question; the survey's admin token organises each question through the question
endpoints."""

from ponder.questions.models import Question, Survey

from .conftest import Caller, join


def make(questions: list[dict], **body) -> tuple[dict, Caller]:
    response = Caller().post(
        "/surveys", {"title": "Conference planning", "questions": questions, **body}
    )
    assert response.status_code == 201, response.data
    return response.data, Caller(response.data["admin_token"])


def test_a_survey_is_made_with_its_questions_and_their_settings(db: None) -> None:
    data, _alice = make(
        [{"title": "Where?", "settings": {"allow_ideas": False}}, {"title": "When?"}],
        description="For June.",
    )
    assert set(data) == {
        "id",
        "title",
        "description",
        "share_url",
        "questions",
        "admin_url",
        "admin_token",
    }
    assert data["share_url"] == f"http://testserver/s/{data['id']}/"
    assert data["admin_url"] == f"http://testserver/s/{data['id']}/a/{data['admin_token']}/"
    where, when = data["questions"]
    assert (where["title"], where["status"], when["title"]) == ("Where?", "open", "When?")
    assert not Question.objects.get(pk=where["id"]).allow_ideas
    assert Question.objects.get(pk=when["id"]).allow_ideas
    read = Caller().get(f"/surveys/{data['id']}")
    assert read.status_code == 200
    assert [q["id"] for q in read.data["questions"]] == [where["id"], when["id"]]


def test_the_survey_admin_token_organises_each_question(db: None) -> None:
    data, alice = make([{"title": "Where?"}, {"title": "When?"}])
    for question in data["questions"]:
        assert alice.post(f"/questions/{question['id']}/close").status_code == 200
    states = [q["status"] for q in Caller().get(f"/surveys/{data['id']}").data["questions"]]
    assert states == ["closed", "closed"]


def test_each_question_keeps_its_own_rules(db: None) -> None:
    data, _alice = make(
        [{"title": "Where?", "settings": {"allow_ideas": False}}, {"title": "When?"}]
    )
    where, when = (q["id"] for q in data["questions"])
    bob = join(where, "Bob")
    assert bob.post(f"/questions/{where}/ideas", {"title": "Lisbon"}).status_code == 403
    bob_when = join(when, "Bob")
    assert bob_when.post(f"/questions/{when}/ideas", {"title": "Friday"}).status_code == 201


def test_the_organiser_adds_and_removes_questions(db: None) -> None:
    data, alice = make([{"title": "Where?"}])
    added = alice.post(f"/surveys/{data['id']}/questions", {"title": "When?"})
    assert added.status_code == 201 and added.data["title"] == "When?"
    where = data["questions"][0]["id"]
    bob = join(where, "Bob")
    bob.post(f"/questions/{where}/ideas", {"title": "Lisbon"})
    refused = alice.delete(f"/surveys/{data['id']}/questions/{where}")
    assert refused.status_code == 409 and refused.data["code"] == "has_contributions"
    assert alice.delete(f"/surveys/{data['id']}/questions/{added.data['id']}").status_code == 204
    last = alice.delete(f"/surveys/{data['id']}/questions/{where}")
    assert last.status_code == 409 and last.data["code"] == "last_question"
    # Nobody else changes the list, and a question of another survey is not found.
    assert bob.post(f"/surveys/{data['id']}/questions", {"title": "X"}).status_code == 404
    assert Caller().post(f"/surveys/{data['id']}/questions", {"title": "X"}).status_code == 401
    other, _ = make([{"title": "Other"}, {"title": "Other 2"}])
    stray = other["questions"][0]["id"]
    assert alice.delete(f"/surveys/{data['id']}/questions/{stray}").status_code == 404


def test_bad_surveys_are_refused_with_the_field_named(db: None) -> None:
    cases = [
        ({"title": "Plan", "questions": [{"title": f"Q{i}"} for i in range(16)]}, "questions"),
        ({"title": "Plan", "questions": []}, "questions"),
        ({"title": " ", "questions": [{"title": "Q"}]}, "title"),
        ({"title": "Plan", "questions": [{"title": "Where\u202e?"}]}, "questions.0.title"),
        (
            {"title": "Plan", "questions": [{"title": "Q", "settings": {"max_votes": 0}}]},
            "questions.0.settings.max_votes",
        ),
        (
            {
                "title": "Plan",
                "questions": [
                    {"title": "Q"},
                    {"title": "R", "settings": {"deadline": "2001-01-01T00:00:00Z"}},
                ],
            },
            "questions.1.settings.deadline",
        ),
    ]
    for body, field in cases:
        response = Caller().post("/surveys", body)
        assert response.status_code == 400, (body, response.data)
        assert field in {e["field"] for e in response.data["errors"]}, response.data
    assert not Survey.objects.exists()


def test_a_full_survey_takes_no_more_questions(db: None) -> None:
    data, alice = make([{"title": f"Q{i}"} for i in range(15)])
    response = alice.post(f"/surveys/{data['id']}/questions", {"title": "One more"})
    assert response.status_code == 409 and response.data["code"] == "too_many_questions"


def test_unknown_surveys_are_404(db: None) -> None:
    assert Caller().get(f"/surveys/{'a' * 22}").status_code == 404
    assert Caller().get("/surveys/nonsense").status_code == 404
