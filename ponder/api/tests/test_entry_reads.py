"""An entry's id alone reads nothing: an idea's 12 characters are short enough to guess, while a
question's id is its private link (ponder/lib/ids.py). So an idea is read under its question by
anyone with the link, or by its id alone with a token of its question; and a write on an entry
without a token is answered the same whether the entry exists or not.

alice organises (and took part under her admin token), bob and carol take part, mallory holds the
admin token of another question, nobody sends no token at all."""

import pytest

from .conftest import Caller, ask, join

NO_TOKEN = {"detail": "Send your token as: Authorization: Bearer <token>."}
NOT_FOUND = {
    "detail": "There is nothing here. Check that the link is complete, or ask for a new one."
}
UNKNOWN = "Zz0000000000"  # an id of the right shape that belongs to nothing


# Reading an idea by its id alone ------------------------------------------------------------


def test_an_idea_is_not_read_by_its_id_alone_without_a_token(idea: str, anonymous: Caller) -> None:
    response = anonymous.get(f"/ideas/{idea}")

    assert response.status_code == 401
    assert response.data == NO_TOKEN
    assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("reader", ["alice", "bob", "carol"])
def test_a_token_of_the_question_reads_the_idea_by_its_id(
    request: pytest.FixtureRequest, qid: str, idea: str, bob: Caller, reader: str
) -> None:
    bob.put(f"/ideas/{idea}/vote")
    caller = request.getfixturevalue(reader)

    response = caller.get(f"/ideas/{idea}")

    assert response.status_code == 200, response.data
    assert (response.data["id"], response.data["title"]) == (idea, "The lake house")
    assert (response.data["author"], response.data["voters"]) == ("Alice", ["Bob"])
    assert response.data["voted"] == (reader == "bob")
    # The same idea as under the question's link, made this caller's.
    assert response.data == caller.get(f"/questions/{qid}/ideas/{idea}").data


def test_the_organisers_admin_token_reads_the_idea_before_she_takes_part(
    asked: tuple[str, Caller],
) -> None:
    qid, organiser = asked
    bob = join(qid, "Bob")
    idea = bob.post(f"/questions/{qid}/ideas", {"title": "Bob's"}).data["id"]

    response = organiser.get(f"/ideas/{idea}")

    assert response.status_code == 200, response.data
    assert (response.data["title"], response.data["changeable"]) == ("Bob's", True)


def test_a_token_of_another_question_finds_nothing_as_if_the_idea_did_not_exist(
    idea: str, mallory: Caller
) -> None:
    taken_part = join(ask("Mallory's second question")[0], "Mallory")
    for outsider in (mallory, taken_part):  # an admin token, a participant's token
        existing = outsider.get(f"/ideas/{idea}")
        unknown = outsider.get(f"/ideas/{UNKNOWN}")

        assert (existing.status_code, existing.data) == (404, NOT_FOUND)
        assert (unknown.status_code, unknown.data) == (404, NOT_FOUND)


def test_an_unknown_idea_is_not_found_with_a_token(bob: Caller) -> None:
    for unknown in (UNKNOWN, "short"):
        response = bob.get(f"/ideas/{unknown}")
        assert (response.status_code, response.data) == (404, NOT_FOUND)


# Reading an idea under its question ---------------------------------------------------------


def test_anyone_with_the_questions_link_reads_the_idea_under_it(
    qid: str, idea: str, anonymous: Caller
) -> None:
    response = anonymous.get(f"/questions/{qid}/ideas/{idea}")

    assert response.status_code == 200, response.data
    assert (response.data["id"], response.data["author"]) == (idea, "Alice")
    assert (response.data["voted"], response.data["changeable"]) == (False, False)


def test_an_idea_is_found_only_under_its_own_question(
    qid: str, idea: str, anonymous: Caller
) -> None:
    # Mallory organises another question: neither its link nor her token there finds alice's idea.
    hers, mallory = ask("Mallory's own question")
    answers = [
        anonymous.get(f"/questions/{hers}/ideas/{idea}"),
        mallory.get(f"/questions/{hers}/ideas/{idea}"),
        anonymous.get(f"/questions/{qid}/ideas/{UNKNOWN}"),
    ]

    for response in answers:
        assert (response.status_code, response.data) == (404, NOT_FOUND)


def test_an_unknown_question_finds_no_idea(idea: str, anonymous: Caller, bob: Caller) -> None:
    for caller in (anonymous, bob):
        for unknown in ("Zz00000000000000000000", UNKNOWN):  # a new id's length, and an old one's
            response = caller.get(f"/questions/{unknown}/ideas/{idea}")
            assert (response.status_code, response.data) == (404, NOT_FOUND)


def test_a_token_of_another_question_is_refused_under_the_questions_link(
    qid: str, idea: str, mallory: Caller
) -> None:
    # As for the question itself: a token sent must belong to the question.
    response = mallory.get(f"/questions/{qid}/ideas/{idea}")

    assert response.status_code == 401
    assert response.data == {"detail": "This token does not belong to this question."}


# Writing on an entry without a token --------------------------------------------------------

WRITES = [
    ("PATCH", "/ideas/{}", "ideas", {"title": "Changed"}),
    ("DELETE", "/ideas/{}", "ideas", None),
    ("PUT", "/ideas/{}/vote", "ideas", None),
    ("DELETE", "/ideas/{}/vote", "ideas", None),
    ("POST", "/ideas/{}/arguments", "ideas", {"kind": "pro", "text": "Yes"}),
    ("PATCH", "/arguments/{}", "arguments", {"text": "Changed"}),
    ("DELETE", "/arguments/{}", "arguments", None),
    ("PUT", "/arguments/{}/like", "arguments", None),
    ("DELETE", "/arguments/{}/like", "arguments", None),
    ("PATCH", "/comments/{}", "comments", {"text": "Changed"}),
    ("DELETE", "/comments/{}", "comments", None),
]


@pytest.mark.parametrize(("method", "path", "kind", "body"), WRITES)
@pytest.mark.parametrize("header", ["", "Bearer ", "Basic YWxpY2U6c2VjcmV0"])
def test_a_write_without_a_token_is_answered_the_same_whether_the_entry_exists(
    bobs: dict[str, str], method: str, path: str, kind: str, body: object, header: str
) -> None:
    headers = {"Authorization": header} if header else {}
    caller = Caller()

    existing = caller.call(method, path.format(bobs[kind]), body, **headers)
    unknown = caller.call(method, path.format(UNKNOWN), body, **headers)

    assert (existing.status_code, existing.data) == (401, NO_TOKEN)
    assert (unknown.status_code, unknown.data) == (401, NO_TOKEN)
    assert existing["WWW-Authenticate"] == unknown["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path", "kind", "body"), WRITES)
def test_a_write_with_a_token_on_an_unknown_entry_is_not_found(
    bob: Caller, method: str, path: str, kind: str, body: object
) -> None:
    response = bob.call(method, path.format(UNKNOWN), body)

    assert (response.status_code, response.data) == (404, NOT_FOUND)


# Writing with a wrong token -----------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "kind", "body"), WRITES)
@pytest.mark.parametrize("token", ["another question's", "made up"])
def test_a_write_with_a_wrong_token_is_answered_the_same_whether_the_entry_exists(
    bobs: dict[str, str], mallory: Caller, method: str, path: str, kind: str, body, token: str
) -> None:
    # A 401 for an existing entry and a 404 for an unknown one would tell an outsider which of
    # the short entry ids exist.
    caller = mallory if token == "another question's" else Caller("x" * 32)

    existing = caller.call(method, path.format(bobs[kind]), body)
    unknown = caller.call(method, path.format(UNKNOWN), body)

    assert (existing.status_code, existing.data) == (404, NOT_FOUND)
    assert (unknown.status_code, unknown.data) == (404, NOT_FOUND)
    assert existing.content == unknown.content
    assert existing.get("WWW-Authenticate") is None


QUESTION_WRITES = [
    ("POST", "/questions/{}/ideas", {"title": "Mine"}),
    ("POST", "/questions/{}/comments", {"text": "Mine"}),
    ("POST", "/questions/{}/participants", {"name": "Mallory"}),
    ("PATCH", "/questions/{}", {"title": "Mine"}),
    ("POST", "/questions/{}/close", None),
]


@pytest.mark.parametrize(("method", "path", "body"), QUESTION_WRITES)
def test_a_write_with_a_wrong_token_on_a_question_is_answered_as_on_an_unknown_one(
    qid: str, mallory: Caller, method: str, path: str, body: object
) -> None:
    existing = mallory.call(method, path.format(qid), body)
    unknown = mallory.call(method, path.format("Zz" + "0" * 20), body)

    assert (existing.status_code, existing.data) == (404, NOT_FOUND)
    assert existing.content == unknown.content
