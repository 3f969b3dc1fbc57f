"""The personas again, as API clients: alice organises (her admin token) and takes part under it,
bob and carol take part with their own tokens, mallory has the ids and no token of this question
(she organises another one)."""

import json
from typing import Any

import pytest
from django.test import Client

from ponder.questions.models import Question


class Caller:
    """An API client with (or without) a bearer token. Every answer must be JSON."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token
        self.role = ""  # set by the permission matrix
        self.client = Client()

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        data = "" if body is None else body if isinstance(body, str | bytes) else json.dumps(body)
        if method == "GET":
            response = self.client.get("/api/v1" + path, headers=headers)
        else:
            response = self.client.generic(
                method, "/api/v1" + path, data, content_type="application/json", headers=headers
            )
        if response.status_code != 204:
            assert response["Content-Type"].startswith("application/json"), response
            response.data = response.json()
        return response

    def get(self, path: str, **headers: str) -> Any:
        return self.call("GET", path, **headers)

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.call("POST", path, body if body is not None else {}, **headers)

    def patch(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.call("PATCH", path, body if body is not None else {}, **headers)

    def put(self, path: str, **headers: str) -> Any:
        return self.call("PUT", path, **headers)

    def delete(self, path: str, **headers: str) -> Any:
        return self.call("DELETE", path, **headers)


def ask(title: str = "Where should the team offsite be?", **body: Any) -> tuple[str, Caller]:
    """Create a question through the API; returns its id and its organiser."""
    response = Caller().post("/questions", {"title": title, **body})
    assert response.status_code == 201, response.data
    return response.data["id"], Caller(response.data["admin_token"])


def join(question_id: str, name: str, caller: Caller | None = None) -> Caller:
    caller = caller or Caller()
    response = caller.post(f"/questions/{question_id}/participants", {"name": name})
    assert response.status_code == 201, response.data
    caller.token = response.data["token"]
    return caller


@pytest.fixture
def asked(db: None) -> tuple[str, Caller]:
    # Ordered by votes while open (the random order, new questions' default, is tested in
    # ponder/questions/tests/test_fair_decisions.py).
    return ask(settings={"random_order": False})


@pytest.fixture
def qid(asked: tuple[str, Caller]) -> str:
    return asked[0]


@pytest.fixture
def question(qid: str) -> Question:
    return Question.objects.get(pk=qid)


@pytest.fixture
def alice(asked: tuple[str, Caller]) -> Caller:
    """The organiser, who has taken part under her admin token."""
    qid, organiser = asked
    return join(qid, "Alice", organiser)


@pytest.fixture
def bob(qid: str) -> Caller:
    return join(qid, "Bob")


@pytest.fixture
def carol(qid: str) -> Caller:
    return join(qid, "Carol")


@pytest.fixture
def mallory(db: None) -> Caller:
    """Organises a question of her own; her admin token is worth nothing on alice's."""
    return ask("Mallory's own question")[1]


@pytest.fixture
def anonymous(db: None) -> Caller:
    return Caller()


@pytest.fixture
def idea(qid: str, alice: Caller) -> str:
    return alice.post(f"/questions/{qid}/ideas", {"title": "The lake house"}).data["id"]


@pytest.fixture
def bobs(qid: str, bob: Caller, idea: str) -> dict[str, str]:
    """An idea, an argument (on alice's idea) and a comment, all by bob."""
    return {
        "ideas": bob.post(f"/questions/{qid}/ideas", {"title": "Bob's idea"}).data["id"],
        "arguments": bob.post(f"/ideas/{idea}/arguments", {"kind": "pro", "text": "Cheap"}).data[
            "id"
        ],
        "comments": bob.post(f"/questions/{qid}/comments", {"text": "Bob's comment"}).data["id"],
    }
