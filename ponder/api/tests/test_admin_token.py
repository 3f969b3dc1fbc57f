"""The organiser replaces the admin token through the API: the old token (and the old admin link)
stop working at once; the organiser who took part under the old token takes part under the new
one. alice organises and took part under her admin token; bob takes part; mallory organises
another question."""

from ponder.lib.ids import secret_matches
from ponder.questions.models import Question

from .conftest import Caller

NOT_FOUND_DETAIL = "There is nothing here. Check that the link is complete, or ask for a new one."


def test_the_organiser_gets_a_new_token_and_link_and_the_old_ones_stop_working(
    qid: str, alice: Caller
) -> None:
    old = alice.token

    response = alice.post(f"/questions/{qid}/admin-token")

    assert response.status_code == 200, response.data
    new = response.data["admin_token"]
    assert new != old
    assert response.data["admin_url"].endswith(f"/q/{qid}/a/{new}/")
    assert secret_matches(new, Question.objects.get(pk=qid).admin_key_hash)
    assert Caller(old).patch(f"/questions/{qid}", {"title": "Mine"}).status_code == 404
    assert Caller(new).patch(f"/questions/{qid}", {"title": "Ours"}).status_code == 200
    assert alice.client.get(f"/q/{qid}/a/{old}/").status_code == 404
    assert alice.client.get(f"/q/{qid}/a/{new}/").status_code == 302


def test_the_organiser_takes_part_under_the_new_token_and_no_longer_under_the_old(
    qid: str, alice: Caller, bob: Caller
) -> None:
    idea = bob.post(f"/questions/{qid}/ideas", {"title": "Lisbon"}).data["id"]
    old = alice.token
    new = alice.post(f"/questions/{qid}/admin-token").data["admin_token"]

    me = Caller(new).get(f"/questions/{qid}").data["me"]
    assert me["organiser"] is True
    assert me["participant"]["name"] == "Alice"
    assert Caller(new).put(f"/ideas/{idea}/vote").status_code == 200
    refused = Caller(old).put(f"/ideas/{idea}/vote")
    assert (refused.status_code, refused.data["detail"]) == (404, NOT_FOUND_DETAIL)


def test_only_the_organiser_replaces_the_admin_token(
    qid: str, alice: Caller, bob: Caller, mallory: Caller
) -> None:
    assert bob.post(f"/questions/{qid}/admin-token").status_code == 404
    assert mallory.post(f"/questions/{qid}/admin-token").status_code == 404
    assert Caller().post(f"/questions/{qid}/admin-token").status_code == 401
    assert secret_matches(alice.token, Question.objects.get(pk=qid).admin_key_hash)


def test_the_replacement_is_in_the_openapi_document(db: None) -> None:
    document = Caller().get("/openapi.json").data
    operation = document["paths"]["/api/v1/questions/{question_id}/admin-token"]["post"]
    assert operation["operationId"] == "question_admin_key_replace"
    assert set(operation["responses"]) >= {"200", "401", "404"}
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert schema.endswith("/AdminTokenOut")
