"""Reading a question through the API from the read shared by every caller (shared.py) gives
each caller exactly what a read of their own gives: their `me`, votes, likes and rights."""

import json
import threading
import time

import pytest
from django.db import OperationalError
from django.test import RequestFactory

from ponder.api import shared
from ponder.api.api import api
from ponder.api.schemas import QuestionOut
from ponder.questions import services
from ponder.questions.access import question_for_token
from ponder.questions.models import Question
from ponder.questions.shapes import question_data

from .conftest import Caller, join


def _own_read(qid: str, caller: Caller) -> dict:
    """The question as the endpoint answered it before reads were shared: read for this caller
    alone, checked against the schema, rendered by the API's renderer."""
    request = RequestFactory().get(f"/api/v1/questions/{qid}")
    access = question_for_token(qid, caller.token)
    data = question_data(access, share_url=f"http://testserver/q/{qid}/", ideas_shown=100)
    checked = QuestionOut.model_validate(data).model_dump()
    response = api.create_response(request, checked, status=200)
    return json.loads(response.content)


@pytest.fixture
def busy(qid: str, alice: Caller, bob: Caller, carol: Caller) -> str:
    """Ideas, pros and cons, votes, likes and comments by three people; a vote cap."""
    alice.patch(f"/questions/{qid}", {"settings": {"max_votes": 3}})
    ideas = [
        who.post(f"/questions/{qid}/ideas", {"title": f"Idea {n}"}).data["id"]
        for n, who in enumerate([alice, bob, carol, bob])
    ]
    arguments = [
        who.post(f"/ideas/{ideas[n % 4]}/arguments", {"kind": "pro", "text": f"Pro {n}"}).data["id"]
        for n, who in enumerate([bob, carol, alice, bob, carol])
    ]
    for who, idea in [(bob, 0), (bob, 2), (carol, 0), (alice, 1)]:
        assert who.put(f"/ideas/{ideas[idea]}/vote").status_code == 200
    for who, argument in [(carol, 0), (bob, 1), (bob, 4)]:
        assert who.put(f"/arguments/{arguments[argument]}/like").status_code == 200
    for who in [bob, carol]:
        who.post(f"/questions/{qid}/comments", {"text": f"From {who.token[:3]}"})
    return qid


@pytest.mark.parametrize("closed", [False, True], ids=["open", "closed"])
def test_every_caller_gets_the_read_of_their_own(
    busy: str, alice: Caller, bob: Caller, carol: Caller, anonymous: Caller, closed: bool
) -> None:
    dave = join(busy, "Dave")  # took part, nothing else
    if closed:
        services.question_close(question=Question.objects.get(pk=busy))
    callers = {"organiser": alice, "bob": bob, "carol": carol, "dave": dave, "anyone": anonymous}
    for round_ in ("first read", "shared read"):
        for name, caller in callers.items():
            response = caller.get(f"/questions/{busy}")
            assert response.status_code == 200
            assert response.data == _own_read(busy, caller), f"{name}, {round_}"
    mine = {i["id"]: i["voted"] for i in bob.get(f"/questions/{busy}").data["ideas"]}
    assert sum(mine.values()) == 2  # bob's own two votes, not everybody's


def test_a_change_shows_in_the_next_read(busy: str, bob: Caller, carol: Caller) -> None:
    before = carol.get(f"/questions/{busy}").data
    idea = before["ideas"][-1]["id"]
    assert carol.put(f"/ideas/{idea}/vote").status_code == 200
    after = carol.get(f"/questions/{busy}").data
    voted = {i["id"]: (i["votes"], i["voted"]) for i in after["ideas"]}
    assert voted[idea] == (1, True)
    assert after["version"] > before["version"]
    assert after == _own_read(busy, carol)
    assert bob.get(f"/questions/{busy}").data == _own_read(busy, bob)


def test_callers_who_waited_for_a_read_that_failed_on_the_database_fail_at_once(
    qid: str, bob: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the database hung each try takes PONDER_DB_TIMEOUT: the callers who queued for the
    read must not try it again one after another (docs/reliability.md #8: five waited 15 s)."""
    access = question_for_token(qid, bob.token)
    release, calls = threading.Event(), []

    def failing_read(*_args: object) -> tuple:
        calls.append(1)
        release.wait(5)
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(shared, "_everyones", failing_read)
    results: list[object] = []

    def read() -> None:
        try:
            results.append(shared._shared(access, None))
        except OperationalError as error:
            results.append(error)

    came: list[int] = []  # the callers that queued for a read, the first one included

    class Queue:
        def __init__(self, lock: threading.Lock) -> None:
            self.lock = lock

        def __enter__(self) -> None:
            came.append(1)
            self.lock.acquire()

        def __exit__(self, *exc: object) -> None:
            self.lock.release()

    monkeypatch.setattr(shared, "_reading", [Queue(lock) for lock in shared._reading])
    callers = [threading.Thread(target=read) for _ in range(4)]
    callers[0].start()
    deadline = time.monotonic() + 30
    while not calls:
        assert time.monotonic() < deadline
        time.sleep(0.001)
    for caller in callers[1:]:
        caller.start()
    while len(came) < 4:  # all three queued behind the first
        assert time.monotonic() < deadline
        time.sleep(0.001)
    release.set()
    for caller in callers:
        caller.join(5)
    assert len(calls) == 1
    assert len(results) == 4 and all(isinstance(r, OperationalError) for r in results)

    # Who asks after the failure reads again.
    monkeypatch.undo()
    data, _authors = shared._shared(access, None)
    assert data["id"] == qid
