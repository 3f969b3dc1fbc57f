"""Counts in the API's answers leave out what the organiser hid, for everyone but the organiser:
a participant learns nothing of a hidden entry, not even that there is one."""

from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from .conftest import Caller


def _totals(read: Any, idea: str) -> tuple[int, int, int]:
    mine = next(i for i in read["ideas"] if i["id"] == idea)
    return read["ideas_total"], mine["arguments_total"], read["comments_total"]


def test_totals_leave_out_hidden_entries_except_for_the_organiser(
    qid: str, alice: Caller, carol: Caller, bobs: dict[str, str], idea: str
) -> None:
    for kind, entry in bobs.items():
        assert alice.post(f"/{kind}/{entry}/hide", {"reason": "spam"}).status_code == 200
    assert _totals(carol.get(f"/questions/{qid}").data, idea) == (1, 0, 0)
    assert _totals(alice.get(f"/questions/{qid}").data, idea) == (2, 1, 1)
    assert carol.get(f"/questions/{qid}/ideas").data["total"] == 1
    assert carol.get(f"/questions/{qid}/comments").data["total"] == 0
    own = carol.get(f"/ideas/{idea}").data
    assert (own["arguments_total"], len(own["arguments"])) == (0, 0)


def test_the_answer_to_a_vote_counts_no_hidden_argument(
    alice: Caller, carol: Caller, bobs: dict[str, str], idea: str
) -> None:
    alice.post(f"/arguments/{bobs['arguments']}/hide", {"reason": "spam"})
    answer = carol.put(f"/ideas/{idea}/vote")
    assert answer.status_code == 200, answer.data
    assert (answer.data["arguments_total"], answer.data["arguments"]) == (0, [])


def test_the_answer_to_a_vote_reads_no_hidden_argument_and_costs_no_more_queries(
    monkeypatch: Any, qid: str, alice: Caller, bob: Caller, carol: Caller, idea: str
) -> None:
    """For a participant the hidden arguments are left out in the read of the idea itself: no
    recount afterwards, and a hidden argument, however liked, takes no place among the leading
    ones (here one)."""
    monkeypatch.setattr("ponder.questions.shapes.ARGUMENTS_PER_IDEA", 1)
    liked = bob.post(f"/ideas/{idea}/arguments", {"kind": "pro", "text": "Cheap"}).data["id"]
    carol.put(f"/arguments/{liked}/like")
    shown = bob.post(f"/ideas/{idea}/arguments", {"kind": "con", "text": "Far"}).data["id"]
    assert alice.post(f"/arguments/{liked}/hide", {"reason": "spam"}).status_code == 200

    def vote(caller: Caller) -> tuple[int, Any]:
        with CaptureQueriesContext(connection) as captured:
            answer = caller.put(f"/ideas/{idea}/vote")
        assert answer.status_code == 200, answer.data
        return len(captured), answer.data

    organisers, _ = vote(alice)
    participants, answer = vote(carol)
    assert participants == organisers
    assert answer["arguments_total"] == 1
    assert [argument["id"] for argument in answer["arguments"]] == [shown]
