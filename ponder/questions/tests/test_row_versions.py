"""Every service that changes what an idea's row on the question page shows moves the idea's
`version`, which the kept HTML of the row is keyed on; the others leave it alone."""

from collections.abc import Callable
from typing import Any

import pytest

from ponder.questions import services
from ponder.questions.models import Idea, Question, Vote, recount


@pytest.fixture
def board(question: Question) -> dict[str, Any]:
    """Ann wrote Lake, Bo wrote City and a pro on Lake, Cy votes for City and likes the pro."""
    ann, _ = services.participant_join(question=question, name="Ann")
    bo, bo_token = services.participant_join(question=question, name="Bo")
    cy, _ = services.participant_join(question=question, name="Cy")
    lake = services.idea_add(question=question, author=ann, title="Lake")
    city = services.idea_add(question=question, author=bo, title="City")
    pro = services.argument_add(idea=lake, author=bo, kind="pro", text="Quiet")
    services.vote_cast(idea=city, participant=cy)
    services.like_add(argument=pro, participant=cy)
    return {"question": question, "ann": ann, "bo": bo, "bo_token": bo_token, "cy": cy}


def _idea(b: dict[str, Any], title: str) -> Idea:
    return Idea.objects.get(question=b["question"], title=title)


def _pro(b: dict[str, Any]) -> Any:
    return _idea(b, "Lake").arguments.get()


CHANGES: dict[str, tuple[Callable[[dict[str, Any]], object], set[str]]] = {
    # name: (the change, the titles of the ideas whose rows it changes)
    "vote_cast": (
        lambda b: services.vote_cast(idea=_idea(b, "Lake"), participant=b["ann"]),
        {"Lake"},
    ),
    "vote_retract": (
        lambda b: services.vote_retract(idea=_idea(b, "City"), participant=b["cy"]),
        {"City"},
    ),
    "like_add": (lambda b: services.like_add(argument=_pro(b), participant=b["ann"]), {"Lake"}),
    "like_remove": (
        lambda b: services.like_remove(argument=_pro(b), participant=b["cy"]),
        {"Lake"},
    ),
    "idea_update": (
        lambda b: services.idea_update(idea=_idea(b, "City"), title="City", description="Big"),
        {"City"},
    ),
    "argument_add": (
        lambda b: services.argument_add(
            idea=_idea(b, "City"), author=b["ann"], kind="con", text="Loud"
        ),
        {"City"},
    ),
    "argument_update": (
        lambda b: services.argument_update(argument=_pro(b), kind="con", text="Far"),
        {"Lake"},
    ),
    "argument_delete": (lambda b: services.argument_delete(argument=_pro(b)), {"Lake"}),
    # Bo wrote City and the pro on Lake: both rows name him.
    "participant renamed (author)": (
        lambda b: services.participant_join(
            question=b["question"], name="Bob", token=b["bo_token"]
        ),
        {"Lake", "City"},
    ),
    "recount": (lambda b: recount(Question.objects.filter(pk=b["question"].pk)), {"Lake", "City"}),
    # Not on any row: the comments, a new idea's neighbours.
    "comment_add": (
        lambda b: services.comment_add(question=b["question"], author=b["ann"], text="Hi"),
        set(),
    ),
    "idea_add": (
        lambda b: services.idea_add(question=b["question"], author=b["ann"], title="Park"),
        set(),
    ),
}


def _versions(question: Question) -> dict[str, int]:
    return dict(
        Idea.objects.filter(question=question, title__in=["Lake", "City"]).values_list(
            "title", "version"
        )
    )


@pytest.mark.parametrize("name", CHANGES)
def test_a_change_moves_the_version_of_the_rows_it_changes_and_only_those(
    board: dict[str, Any], name: str
) -> None:
    change, changed = CHANGES[name]
    before = _versions(board["question"])
    change(board)
    after = _versions(board["question"])
    moved = {title for title in before if after[title] != before[title]}
    assert moved == changed
    assert all(after[title] == before[title] + 1 for title in changed)


def test_a_voter_renamed_moves_the_rows_of_the_ideas_they_vote_for(
    board: dict[str, Any],
) -> None:
    question = board["question"]
    dee, dee_token = services.participant_join(question=question, name="Dee")
    services.vote_cast(idea=_idea(board, "Lake"), participant=dee)
    before = _versions(question)
    services.participant_join(question=question, name="Dora", token=dee_token)
    after = _versions(question)
    assert after == {"Lake": before["Lake"] + 1, "City": before["City"]}
    assert Vote.objects.filter(participant=dee).count() == 1


def test_a_change_that_changes_nothing_leaves_the_rows_alone(board: dict[str, Any]) -> None:
    question = board["question"]
    before = _versions(question)
    services.vote_cast(idea=_idea(board, "City"), participant=board["cy"])  # voted already
    services.like_add(argument=_pro(board), participant=board["cy"])  # liked already
    services.vote_retract(idea=_idea(board, "Lake"), participant=board["cy"])  # never voted
    services.participant_join(question=question, name="Bo", token=board["bo_token"])  # same name
    assert _versions(question) == before
