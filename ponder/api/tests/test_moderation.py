"""Moderation through the API: hide, restore, report, list and dismiss reports, merge ideas and
remove a participant, per role (alice organises, bob wrote the entries, carol takes part,
mallory holds another question's admin token, nobody sends no token), and bad input."""

import pytest

from ponder.questions.models import Idea, Participant, Report, Vote

from .conftest import Caller, ask, join

ROLES = ("alice", "bob", "carol", "mallory", "nobody")
KINDS = ("ideas", "arguments", "comments")


@pytest.fixture
def caller(request: pytest.FixtureRequest, anonymous: Caller) -> Caller:
    someone = anonymous if request.param == "nobody" else request.getfixturevalue(request.param)
    someone.role = request.param
    return someone


ORGANISER_ONLY = {"alice": 200, "bob": 404, "carol": 404, "mallory": 404, "nobody": 401}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("caller", ROLES, indirect=True)
def test_only_the_organiser_hides_and_restores(
    alice: Caller, carol: Caller, bobs: dict[str, str], caller: Caller, kind: str
) -> None:
    hidden = caller.post(f"/{kind}/{bobs[kind]}/hide", {"reason": "spam"})
    assert hidden.status_code == ORGANISER_ONLY[caller.role]
    if caller.role == "alice":
        assert hidden.data["hidden"] == {"reason": "spam", "note": ""}
    else:
        alice.post(f"/{kind}/{bobs[kind]}/hide", {"reason": "spam"})
    restored = caller.post(f"/{kind}/{bobs[kind]}/restore")
    assert restored.status_code == ORGANISER_ONLY[caller.role]
    if caller.role == "alice":
        assert restored.data["hidden"] is None


REPORT = {"alice": 403, "bob": 403, "carol": 201, "mallory": 404, "nobody": 401}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("caller", ROLES, indirect=True)
def test_a_participant_reports_someone_elses_entry(
    alice: Caller, carol: Caller, bobs: dict[str, str], caller: Caller, kind: str
) -> None:
    response = caller.post(f"/{kind}/{bobs[kind]}/report", {"reason": "offensive"})
    assert response.status_code == REPORT[caller.role]
    assert Report.objects.count() == (1 if caller.role == "carol" else 0)


@pytest.mark.parametrize("caller", ROLES, indirect=True)
def test_only_the_organiser_reads_and_dismisses_reports(
    qid: str, alice: Caller, carol: Caller, bobs: dict[str, str], caller: Caller
) -> None:
    carol.post(f"/ideas/{bobs['ideas']}/report", {"reason": "spam", "note": "ads"})
    listed = caller.get(f"/questions/{qid}/reports")
    assert listed.status_code == ORGANISER_ONLY[caller.role]
    dismissed = caller.post(f"/ideas/{bobs['ideas']}/reports/dismiss")
    assert dismissed.status_code == ORGANISER_ONLY[caller.role]
    if caller.role == "alice":
        assert listed.data["open"] == 1
        assert listed.data["reported"][0]["reports"][0]["note"] == "ads"
        assert dismissed.data == {"dismissed": 1}


@pytest.mark.parametrize("caller", ROLES, indirect=True)
def test_only_the_organiser_merges_ideas(
    qid: str, alice: Caller, bobs: dict[str, str], idea: str, caller: Caller
) -> None:
    response = caller.post(f"/questions/{qid}/merge", {"keep": idea, "merged": bobs["ideas"]})
    assert response.status_code == ORGANISER_ONLY[caller.role]
    assert Idea.objects.filter(pk=bobs["ideas"]).exists() is (caller.role != "alice")


@pytest.mark.parametrize("caller", ROLES, indirect=True)
def test_only_the_organiser_removes_a_participant(
    qid: str, alice: Caller, carol: Caller, caller: Caller
) -> None:
    carols = Participant.objects.get(question_id=qid, name="Carol")
    response = caller.delete(f"/questions/{qid}/participants/{carols.pk}")
    assert response.status_code == ORGANISER_ONLY[caller.role]
    assert Participant.objects.filter(pk=carols.pk).exists() is (caller.role != "alice")


def test_the_organisers_own_name_is_refused_with_409(qid: str, alice: Caller) -> None:
    alices = Participant.objects.get(question_id=qid, name="Alice")
    response = alice.delete(f"/questions/{qid}/participants/{alices.pk}")
    assert (response.status_code, response.data["code"]) == (409, "organiser")


def test_a_second_report_is_refused_and_tells_nothing_of_others(
    qid: str, carol: Caller, bobs: dict[str, str]
) -> None:
    dora = join(qid, "Dora")
    first = carol.post(f"/comments/{bobs['comments']}/report", {"reason": "spam"})
    second = dora.post(f"/comments/{bobs['comments']}/report", {"reason": "spam"})
    assert first.data == second.data  # dora learns nothing of carol's report
    again = carol.post(f"/comments/{bobs['comments']}/report", {"reason": "spam"})
    assert (again.status_code, again.data["code"]) == (409, "reported")


def test_a_hidden_idea_refuses_votes_with_409(
    alice: Caller, carol: Caller, bobs: dict[str, str]
) -> None:
    alice.post(f"/ideas/{bobs['ideas']}/hide", {"reason": "duplicate"})
    response = carol.put(f"/ideas/{bobs['ideas']}/vote")
    assert (response.status_code, response.data["code"]) == (409, "hidden")
    assert not Vote.objects.filter(idea_id=bobs["ideas"]).exists()


def test_a_merge_answers_with_the_idea_that_stays_and_one_vote_each(
    qid: str, alice: Caller, bob: Caller, bobs: dict[str, str], idea: str
) -> None:
    bob.put(f"/ideas/{idea}/vote")
    bob.put(f"/ideas/{bobs['ideas']}/vote")
    response = alice.post(f"/questions/{qid}/merge", {"keep": idea, "merged": bobs["ideas"]})
    assert (response.status_code, response.data["id"], response.data["votes"]) == (200, idea, 1)
    assert response.data["voters"] == ["Bob"]


BAD = [
    ("/ideas/{idea}/hide", {"reason": "boring"}, "reason"),
    ("/ideas/{idea}/hide", {}, "reason"),
    ("/ideas/{idea}/hide", {"reason": "spam", "note": "x" * 201}, "note"),
    ("/questions/{q}/merge", {"keep": "{idea}", "merged": "{idea}"}, "merged"),
    ("/questions/{q}/merge", {"keep": "{idea}", "merged": "{foreign}"}, "merged"),
    ("/questions/{q}/merge", {"keep": "{idea}"}, "merged"),
]


@pytest.mark.parametrize(("path", "body", "field"), BAD)
def test_bad_moderation_input_is_a_400_naming_the_field(
    qid: str, alice: Caller, idea: str, path: str, body: dict[str, str], field: str
) -> None:
    foreign_qid, foreign_organiser = ask("Another question")
    join(foreign_qid, "Oscar", foreign_organiser)
    foreign = foreign_organiser.post(f"/questions/{foreign_qid}/ideas", {"title": "Elsewhere"})
    ids = {"q": qid, "idea": idea, "foreign": foreign.data["id"]}
    body = {key: value.format(**ids) for key, value in body.items()}
    response = alice.post(path.format(**ids), body)
    assert response.status_code == 400, response.data
    assert field in [error["field"] for error in response.data["errors"]]
    assert Idea.objects.filter(pk=foreign.data["id"]).exists()
