"""API tokens for programs: made (shown once, stored hashed) and revoked on the account page; a
program sending one acts as the account; a revoked or wrong one gets 401 JSON."""

import re

from django.test import Client

from conftest import Person
from ponder.accounts.models import ApiToken
from ponder.accounts.services import TOKENS_PER_ACCOUNT, api_token_create
from ponder.lib.ids import hash_secret
from ponder.questions.models import Participant, Question

from .conftest import Member


def api(method: str, path: str, token: str = "", body: dict | None = None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    client = Client()
    call = getattr(client, method)
    if body is None:
        return call(f"/api/v1{path}", **headers)
    return call(f"/api/v1{path}", body, content_type="application/json", **headers)


def make_token(member: Member, label: str = "my script") -> str:
    response = member.post("/me/tokens/", {"label": label})
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    found = re.search(r'id="new-token"[^>]*value="(ponder_[0-9A-Za-z]{22})"', response.text)
    assert found, response.text
    return found.group(1)


def test_a_token_is_shown_once_and_stored_only_as_a_hash(dana: Member) -> None:
    token = make_token(dana)

    stored = ApiToken.objects.get(user=dana.account)
    assert stored.token_hash == hash_secret(token)
    assert token not in dana.get("/me/settings/").text
    assert stored.hint in dana.get("/me/settings/").text  # to tell tokens apart


def test_a_program_with_the_token_acts_as_the_account(dana: Member) -> None:
    token = make_token(dana)

    me = api("get", "/me", token)
    assert me.status_code == 200
    assert me.json() == {"username": "dana", "email": "dana@example.org", "display_name": ""}

    asked = api("post", "/questions", token, {"title": "Which venue?"})
    assert asked.status_code == 201
    question = Question.objects.get(pk=asked.json()["id"])
    assert question.created_by == dana.account
    # It administers the question with the account token, not only with the admin token.
    assert api("post", f"/questions/{question.pk}/close", token).status_code == 200
    assert api("post", f"/questions/{question.pk}/reopen", token).status_code == 200

    joined = api("post", f"/questions/{question.pk}/participants", token, {"name": "Dana"})
    assert joined.status_code == 201
    assert Participant.objects.get(question=question).user == dana.account
    idea = api("post", f"/questions/{question.pk}/ideas", token, {"title": "The lake"})
    assert idea.status_code == 201
    assert api("put", f"/ideas/{idea.json()['id']}/vote", token).status_code == 200

    listed = api("get", "/me/questions", token).json()
    assert [q["id"] for q in listed["open"]] == [question.pk]
    assert listed["open"][0] | {"share_url": ""} == listed["open"][0] | {
        "asked": True,
        "took_part": True,
        "ideas": 1,
        "participants": 1,
        "votes": 1,
        "status": "open",
        "share_url": "",
    }


def test_the_account_token_takes_part_where_the_account_took_part_on_the_pages(
    dana: Member,
) -> None:
    question, _key = Question.objects.create(title="Q", admin_key_hash="x"), None
    dana.join(question)
    token = make_token(dana)

    read = api("get", f"/questions/{question.pk}", token).json()

    assert read["me"]["participant"]["name"] == "Dana"
    assert read["me"]["organiser"] is False


def test_a_revoked_token_is_refused_at_once(dana: Member) -> None:
    token = make_token(dana)
    stored = ApiToken.objects.get(user=dana.account)

    assert dana.post(f"/me/tokens/{stored.pk}/revoke/").status_code == 302

    for path in ("/me", "/me/questions"):
        response = api("get", path, token)
        assert response.status_code == 401
        assert response["Content-Type"].startswith("application/json")
        assert "revoked" in response.json()["detail"]
    assert api("post", "/questions", token, {"title": "Q"}).status_code == 401


def test_a_wrong_or_missing_token_gets_401_json(db: None) -> None:
    for token in ("ponder_" + "x" * 22, "ponder_", "not-an-account-token"):
        response = api("get", "/me", token)
        assert response.status_code == 401, token
        assert "detail" in response.json()
    assert api("get", "/me").status_code == 401


def test_a_participant_token_is_never_taken_for_an_account_token(db: None) -> None:
    question, _key = Question.objects.create(title="Q", admin_key_hash="x"), None
    joined = api("post", f"/questions/{question.pk}/participants", "", {"name": "Bob"})
    token = joined.json()["token"]

    assert not token.startswith("ponder_")
    assert api("get", "/me", token).status_code == 401


def test_nobody_revokes_another_accounts_token(dana: Member, erin: Member) -> None:
    make_token(dana)
    stored = ApiToken.objects.get(user=dana.account)

    assert erin.post(f"/me/tokens/{stored.pk}/revoke/").status_code == 404
    assert Person("Anon").post(f"/me/tokens/{stored.pk}/revoke/").status_code == 302  # log in
    assert ApiToken.objects.filter(pk=stored.pk).exists()


def test_a_token_needs_a_label_and_the_number_of_tokens_is_bounded(dana: Member) -> None:
    response = dana.post("/me/tokens/", {"label": "  "})
    assert response.status_code == 422
    assert "This field is required." in response.text
    for n in range(TOKENS_PER_ACCOUNT):
        api_token_create(account=dana.account, label=f"t{n}")

    response = dana.post("/me/tokens/", {"label": "one more"})

    assert response.status_code == 422
    assert "Revoke one you no longer use first." in response.text
    assert ApiToken.objects.filter(user=dana.account).count() == TOKENS_PER_ACCOUNT


def test_another_accounts_token_is_no_organiser_but_may_take_part(
    dana: Member, erin: Member
) -> None:
    dana_token, erin_token = make_token(dana), make_token(erin)
    qid = api("post", "/questions", dana_token, {"title": "Which venue?"}).json()["id"]
    api("post", f"/questions/{qid}/participants", dana_token, {"name": "Dana"})
    idea = api("post", f"/questions/{qid}/ideas", dana_token, {"title": "The lake"}).json()["id"]

    assert api("post", f"/questions/{qid}/close", erin_token).status_code == 404
    assert api("patch", f"/questions/{qid}", erin_token, {"title": "Mine"}).status_code == 404
    assert api("delete", f"/ideas/{idea}", erin_token).status_code == 404
    assert api("get", f"/ideas/{idea}", erin_token).status_code == 404  # not a member yet
    assert api("get", f"/questions/{qid}", erin_token).status_code == 200
    assert api("put", f"/ideas/{idea}/vote", erin_token).status_code == 403  # a name first
    joined = api("post", f"/questions/{qid}/participants", erin_token, {"name": "Erin"})
    assert joined.status_code == 201 and joined.json()["token"] == erin_token
    assert api("put", f"/ideas/{idea}/vote", erin_token).status_code == 200
    assert api("delete", f"/ideas/{idea}", erin_token).status_code == 404  # Dana's idea
    assert api("delete", f"/ideas/{idea}", dana_token).status_code == 204
