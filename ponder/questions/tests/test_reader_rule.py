"""What a reader sees and may do is decided by one rule (`access.Reader`): the page, its shared
render, the htmx fragments, the idea's own page, the template tags and the API all ask it. Changing
the rule in that one place changes every surface, and nothing kept under the old rule is served.

Also: the shared render's rows are keyed by the idea's version, so a change to what a row shows
is seen at the next read."""

import pytest
from django.test import Client

from conftest import Person
from ponder.questions import services
from ponder.questions.access import EVERY, Reader
from ponder.questions.models import Idea, Participant, Question

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def voted(question: Question, alice: Person, bob: Person, carol: Person) -> Idea:
    """Carol's idea, with a pro by Alice; Bob and Alice vote for it."""
    people = {p.name: p for p in question.participants.all()}
    idea = services.idea_add(question=question, author=people["Carol"], title="Lake")
    services.argument_add(idea=idea, author=people["Alice"], kind="pro", text="Quiet")
    services.vote_cast(idea=idea, participant=people["Bob"])
    services.vote_cast(idea=idea, participant=people["Alice"])
    return idea


def _api_token(question: Question, name: str) -> str:
    """A bearer token of a new participant named `name`."""
    _participant, token = services.participant_join(question=question, name=name)
    return token


def _surfaces(question: Question, idea: Idea, person: Person, token: str) -> dict[str, str]:
    """Everything a reader can read of the idea: the page, the htmx fragments, the idea's own
    page (and its voters' part), the API's question and idea."""
    q, i = question.pk, idea.pk
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    return {
        "page": person.get(f"/q/{q}/").content.decode(),
        "fragment": person.get(f"/q/{q}/?part=ideas", **HX).content.decode(),
        "row": person.get(f"/q/{q}/ideas/{i}/?part=row", **HX).content.decode(),
        "idea page": person.get(f"/q/{q}/ideas/{i}/").content.decode(),
        "idea's voters": person.get(f"/q/{q}/ideas/{i}/?part=voters", **HX).content.decode(),
        "API question": Client().get(f"/api/v1/questions/{q}", **bearer).content.decode(),
        "API ideas": Client().get(f"/api/v1/questions/{q}/ideas", **bearer).content.decode(),
    }


def test_voter_names_are_hidden_everywhere_by_changing_the_rule_alone(
    question: Question, voted: Idea, carol: Person, monkeypatch
) -> None:
    token = _api_token(question, "Dora")
    for surface, text in _surfaces(question, voted, carol, token).items():
        assert "Bob" in text, surface  # he voted: named as a voter
    # Read once with names: whatever is kept of them must not be served after the change.
    monkeypatch.setattr(Reader, "sees_voter_names", lambda self: False)
    for surface, text in _surfaces(question, voted, carol, token).items():
        assert "Bob" not in text, surface
        assert "Carol" in text or surface == "idea's voters", surface  # the author still shows
    # The answer to a vote, in place and through the API.
    answer = carol.post(f"/q/{question.pk}/ideas/{voted.pk}/vote/", **HX).content.decode()
    assert "Carol" not in answer and "Bob" not in answer
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    answer = Client().put(f"/api/v1/ideas/{voted.pk}/vote", **bearer).json()
    assert answer["voters"] == [] and answer["votes"] == 4


def test_a_rule_for_what_a_kind_of_reader_may_do_changes_the_page_at_once(
    question: Question, voted: Idea, bob: Person, monkeypatch
) -> None:
    assert "Add a pro or con" in bob.get(f"/q/{question.pk}/").content.decode()
    assert "Add a pro or con" in bob.get(f"/q/{question.pk}/ideas/{voted.pk}/").content.decode()
    monkeypatch.setattr(Reader, "may_add_arguments", lambda self: False)
    assert "Add a pro or con" not in bob.get(f"/q/{question.pk}/").content.decode()
    idea_page = bob.get(f"/q/{question.pk}/ideas/{voted.pk}/").content.decode()
    assert "Add a pro or con" not in idea_page


def test_who_may_change_an_entry_is_the_rules_on_the_page_and_in_the_api(
    question: Question, voted: Idea, carol: Person, monkeypatch
) -> None:
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {_api_token(question, 'Dora')}"}
    page = carol.get(f"/q/{question.pk}/").content.decode()
    assert page.count('class="entry-actions"') == 1  # her idea
    monkeypatch.setattr(Reader, "may_change_entries_of", lambda self: EVERY)
    page = carol.get(f"/q/{question.pk}/").content.decode()
    assert page.count('class="entry-actions"') == 2  # her idea and Alice's pro
    read = Client().get(f"/api/v1/questions/{question.pk}", **bearer).json()
    idea = read["ideas"][0]
    assert idea["changeable"] and idea["arguments"][0]["changeable"]


def test_the_reader_rule_answers_for_each_kind_of_reader(
    question: Question, alice: Person, bob: Person
) -> None:
    bob_participant = Participant.objects.get(question=question, name="Bob")
    organiser = Reader(question, None, organiser=True)
    participant = Reader(question, bob_participant, organiser=False)
    newcomer = Reader(question, None, organiser=False)
    assert organiser.is_organiser and not participant.is_organiser
    assert participant.is_participant and newcomer.is_newcomer and not participant.is_newcomer
    entry = Idea(question=question, author=bob_participant, title="Park")
    assert participant.may_change(entry) and organiser.may_change(entry)
    assert not newcomer.may_change(entry)
    assert newcomer.may_vote() and newcomer.may_add_ideas()
    # Each kind has a key of its own; a stand-in of a kind is of that kind.
    kinds = {organiser.kind, participant.kind, newcomer.kind}
    assert len(kinds) == 3
    assert participant.anyone_of_kind().kind == participant.kind
    assert participant.anyone_of_kind().votes == frozenset()
    Question.objects.filter(pk=question.pk).update(allow_exports=False, allow_arguments=False)
    question.refresh_from_db()
    assert Reader(question, None, organiser=True).may_export()
    assert not Reader(question, bob_participant, organiser=False).may_export()
    assert not Reader(question, bob_participant, organiser=False).may_add_arguments()
    assert Reader(question, None, organiser=True).may_add_arguments()
    services.question_close(question=question)
    question.refresh_from_db()
    closed = Reader(question, bob_participant, organiser=False)
    assert not closed.may_change(entry) and not closed.may_vote()
    assert Reader(question, None, organiser=True).may_change(entry)


# Row keys -----------------------------------------------------------------------------------


def _row(person: Person, question: Question, idea: Idea) -> str:
    html = person.get(f"/q/{question.pk}/?part=ideas", **HX).content.decode()
    start = html.index(f'id="idea-{idea.pk}"')
    return html[start : html.index("</article>", start)]


def test_a_change_to_what_a_row_shows_is_seen_at_the_next_read(
    question: Question, voted: Idea, bob: Person, carol: Person
) -> None:
    assert "by <bdi>Carol</bdi>" in _row(bob, question, voted)
    assert "Quiet" in _row(bob, question, voted)
    # The author renamed: the row names her anew (the row's version moved, not the question's
    # fields in a hand-written list).
    carol.post(f"/q/{question.pk}/join/", {"name": "Caroline"})
    assert "by <bdi>Caroline</bdi>" in _row(bob, question, voted)
    # An argument changed through its service.
    argument = voted.arguments.get()
    services.argument_update(argument=argument, kind="con", text="Too far")
    row = _row(bob, question, voted)
    assert "Too far" in row and "Quiet" not in row


def test_rows_are_kept_by_the_ideas_version(
    question: Question, voted: Idea, bob: Person, monkeypatch
) -> None:
    _row(bob, question, voted)
    # Changed without a service, and without its version moved: the kept row stays as it was.
    # That is the contract: every service that changes what a row shows moves its version.
    Idea.objects.filter(pk=voted.pk).update(title="Renamed behind the services' back")
    services.comment_add(
        question=question, author=question.participants.get(name="Bob"), text="New version"
    )
    assert "Lake" in _row(bob, question, voted)
    Idea.objects.filter(pk=voted.pk).update(version=voted.version + 100)
    services.comment_add(
        question=question, author=question.participants.get(name="Bob"), text="Again"
    )
    assert "Renamed behind the services" in _row(bob, question, voted)
