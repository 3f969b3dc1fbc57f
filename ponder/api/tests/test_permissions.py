"""Who may do what through the API, per role and question state: the same rules as the pages
(`Access.can_change`, the organiser's admin key), answered with 401, 403, 404 or 409. A write
with a token of another question gets 404, as at an unknown id.

Roles: alice organises (and took part under her admin token), bob wrote the entries, carol takes
part too, the organiser who has not joined has only the admin key, mallory holds the admin token of
another question, and nobody sends no token at all."""

import pytest

from .conftest import Caller, ask

ROLES = ("alice", "bob", "carol", "mallory", "nobody")


@pytest.fixture
def caller(request: pytest.FixtureRequest, anonymous: Caller) -> Caller:
    someone = anonymous if request.param == "nobody" else request.getfixturevalue(request.param)
    someone.role = request.param
    return someone


# The entries are bob's: his idea, his pro on alice's idea, his comment.
# A token of another question is answered as an unknown entry is: 404 (test_entry_reads.py).
CHANGE = {"alice": (200, 204), "bob": (200, 204), "carol": 404, "mallory": 404, "nobody": 401}
CHANGE_CLOSED = {**CHANGE, "bob": 409}  # authors may change their entries only while it is open


@pytest.mark.parametrize("kind", ["ideas", "arguments", "comments"])
@pytest.mark.parametrize("closed", [False, True], ids=["open", "closed"])
@pytest.mark.parametrize("caller", ROLES, indirect=True)
def test_entries_are_changed_by_their_author_or_the_organiser(
    qid: str, alice: Caller, bobs: dict[str, str], caller: Caller, kind: str, closed: bool
) -> None:
    if closed:
        alice.post(f"/questions/{qid}/close")
    expected = (CHANGE_CLOSED if closed else CHANGE)[caller.role]
    body = {"text": "Changed"} if kind != "ideas" else {"title": "Changed"}

    patched = caller.patch(f"/{kind}/{bobs[kind]}", body)
    deleted = caller.delete(f"/{kind}/{bobs[kind]}")

    if isinstance(expected, tuple):
        assert (patched.status_code, deleted.status_code) == expected
    else:
        assert (patched.status_code, deleted.status_code) == (expected, expected)


ORGANISER_ONLY = [
    ("PATCH", "/questions/{q}", {"title": "Mine now"}, 200),
    ("POST", "/questions/{q}/close", None, 200),
    ("POST", "/questions/{q}/reopen", None, 200),
    ("DELETE", "/questions/{q}", None, 204),
    ("POST", "/questions/{q}/duplicate", {"ideas": True, "arguments": True}, 201),
]


@pytest.mark.parametrize(("method", "path", "body", "ok"), ORGANISER_ONLY)
@pytest.mark.parametrize("caller", ROLES, indirect=True)
def test_only_the_organiser_changes_closes_reopens_or_deletes_the_question(
    qid: str, alice: Caller, caller: Caller, method: str, path: str, body: object, ok: int
) -> None:
    # Someone else's admin key, or a participant's token, is answered as if there were nothing:
    # 404, not 403, as for a wrong admin link on the pages. Without any token: 401.
    expected = {"alice": ok, "bob": 404, "carol": 404, "mallory": 404, "nobody": 401}
    assert caller.call(method, path.format(q=qid), body).status_code == expected[caller.role]


TAKING_PART = [
    ("POST", "/questions/{q}/ideas", {"title": "Mine"}, 201),
    ("POST", "/ideas/{idea}/arguments", {"kind": "pro", "text": "Mine"}, 201),
    ("POST", "/questions/{q}/comments", {"text": "Mine"}, 201),
    ("PUT", "/ideas/{idea}/vote", None, 200),
    ("DELETE", "/ideas/{idea}/vote", None, 200),
    ("PUT", "/arguments/{argument}/like", None, 200),
    ("DELETE", "/arguments/{argument}/like", None, 200),
]


@pytest.mark.parametrize(("method", "path", "body", "ok"), TAKING_PART)
@pytest.mark.parametrize("caller", ROLES, indirect=True)
def test_taking_part_needs_a_participants_token(
    qid: str, idea: str, bobs: dict[str, str], caller: Caller, method: str, path: str, body, ok
) -> None:
    expected = {"alice": ok, "bob": ok, "carol": ok, "mallory": 404, "nobody": 401}
    url = path.format(q=qid, idea=idea, argument=bobs["arguments"])
    assert caller.call(method, url, body).status_code == expected[caller.role]


@pytest.mark.parametrize(("method", "path", "body", "ok"), TAKING_PART)
def test_an_organiser_who_has_not_given_a_name_is_told_to_take_part_first(
    asked: tuple[str, Caller], method: str, path: str, body, ok
) -> None:
    qid, organiser = asked
    bob = Caller()
    bob.token = bob.post(f"/questions/{qid}/participants", {"name": "Bob"}).data["token"]
    idea = bob.post(f"/questions/{qid}/ideas", {"title": "Bob's"}).data["id"]
    argument = bob.post(f"/ideas/{idea}/arguments", {"kind": "pro", "text": "Yes"}).data["id"]

    response = organiser.call(method, path.format(q=qid, idea=idea, argument=argument), body)

    assert response.status_code == 403
    assert f"/api/v1/questions/{qid}/participants" in response.data["detail"]


@pytest.mark.parametrize("caller", ROLES, indirect=True)
def test_everyone_reads_the_question_and_its_results(qid: str, idea: str, caller: Caller) -> None:
    # A token that does not belong to the question is refused rather than silently ignored.
    expected = 401 if caller.role == "mallory" else 200
    assert caller.get(f"/questions/{qid}").status_code == expected
    assert caller.get(f"/questions/{qid}/ideas/{idea}").status_code == expected
    # By its id alone, an idea is read only with a token of its question (test_entry_reads.py).
    by_id = {"alice": 200, "bob": 200, "carol": 200, "mallory": 404, "nobody": 401}
    assert caller.get(f"/ideas/{idea}").status_code == by_id[caller.role]
    # The results too (while they are not hidden: test_fair_decisions.py). The organiser's
    # token may read a hidden tally, so a token is looked at, and a foreign one refused.
    assert caller.get(f"/questions/{qid}/results").status_code == expected


def test_participants_may_not_add_ideas_or_arguments_when_the_organiser_says_so(
    qid: str, alice: Caller, bob: Caller, idea: str
) -> None:
    alice.patch(f"/questions/{qid}", {"settings": {"allow_ideas": False, "allow_arguments": False}})

    refused_idea = bob.post(f"/questions/{qid}/ideas", {"title": "Mine"})
    refused_argument = bob.post(f"/ideas/{idea}/arguments", {"kind": "pro", "text": "Mine"})

    assert (refused_idea.status_code, refused_idea.data["code"]) == (403, "ideas_disabled")
    assert refused_idea.data["detail"] == "Only the organiser can add ideas here."
    assert (refused_argument.status_code, refused_argument.data["code"]) == (
        403,
        "arguments_disabled",
    )
    # The organiser still may, as on the pages.
    assert alice.post(f"/questions/{qid}/ideas", {"title": "Hers"}).status_code == 201
    assert alice.post(f"/ideas/{idea}/arguments", {"kind": "con", "text": "Hm"}).status_code == 201


def test_a_participant_token_belongs_to_its_question_only(db: None) -> None:
    first, _ = ask("First")
    second, second_organiser = ask("Second")
    bob = Caller()
    bob.token = bob.post(f"/questions/{first}/participants", {"name": "Bob"}).data["token"]
    second_organiser.post(f"/questions/{second}/participants", {"name": "Alice"})
    idea = second_organiser.post(f"/questions/{second}/ideas", {"title": "Hers"}).data["id"]

    assert bob.get(f"/questions/{second}").status_code == 401
    # A write with it finds nothing, as at an unknown id (test_entry_reads.py).
    assert bob.put(f"/ideas/{idea}/vote").status_code == 404
    assert bob.post(f"/questions/{second}/participants", {"name": "Bob"}).status_code == 404


def test_a_browsers_cookies_never_act_through_the_api(qid: str, question, idea: str) -> None:
    """The API authenticates by bearer token only, so it needs no CSRF token and a page cannot
    make a visitor's browser act through it."""
    from conftest import Person

    carol = Person("Carol").join(question)  # her browser holds her participant cookie
    response = carol.client.put(f"/api/v1/ideas/{idea}/vote")
    assert response.status_code == 401

    # And a token request needs no CSRF token, even from a client that enforces CSRF checks.
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    joined = strict.post(
        f"/api/v1/questions/{qid}/participants", {"name": "Dan"}, content_type="application/json"
    )
    assert joined.status_code == 201
    token = joined.json()["token"]
    voted = strict.put(f"/api/v1/ideas/{idea}/vote", headers={"Authorization": f"Bearer {token}"})
    assert voted.status_code == 200
