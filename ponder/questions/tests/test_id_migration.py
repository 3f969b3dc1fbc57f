"""Question ids grew from 12 to 22 characters (migration 0003, docs/reliability.md #23). A question
asked before keeps its id, and every link to it goes on working; on PostgreSQL every column that
refers to a question (participants, ideas, comments, the live event log) is widened with it."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from conftest import Person
from ponder.lib.ids import hash_secret
from ponder.live.models import Event
from ponder.questions.models import Comment, Idea, Participant, Question

BEFORE = [("questions", "0002_question_allow_exports"), ("live", "0001_initial")]
LEGACY = "Old12chars0Q"  # a question's id as it was made before: 12 base62 characters
ADMIN_KEY = "A" * 11 + "dminKey0000"
REFERRING = {  # table -> the column that holds a question's id
    "questions_question": "id",
    "questions_participant": "question_id",
    "questions_idea": "question_id",
    "questions_comment": "question_id",
    "live_event": "question_id",
}


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor


def _latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _column_lengths() -> dict[str, int]:
    with connection.cursor() as cursor:
        return {
            table: next(
                c.display_size
                for c in connection.introspection.get_table_description(cursor, table)
                if c.name == column
            )
            for table, column in REFERRING.items()
        }


@pytest.fixture
def asked_before():
    """The database as it was before ids grew, holding one question with an entry of each kind;
    then migrated to the latest state (also if the test fails, for the tests after it)."""
    old = _migrate(BEFORE).loader.project_state(BEFORE).apps
    assert set(_column_lengths().values()) == {12}
    question = old.get_model("questions", "Question").objects.create(
        id=LEGACY, title="Where shall we meet?", admin_key_hash=hash_secret(ADMIN_KEY), version=2
    )
    author = old.get_model("questions", "Participant").objects.create(
        id="Old12chars0P", question=question, name="Dora", token_hash=hash_secret("t" * 22)
    )
    old.get_model("questions", "Idea").objects.create(
        id="Old12chars0I", question=question, author=author, title="The old mill"
    )
    old.get_model("questions", "Comment").objects.create(
        id="Old12chars0C", question=question, author=author, text="Any day but Monday"
    )
    old.get_model("live", "Event").objects.create(
        question=question, version=1, type="idea.added", ids={"idea": "Old12chars0I"}
    )
    try:
        _migrate(_latest())
        yield
    finally:
        _migrate(_latest())


@pytest.mark.django_db(transaction=True)  # migrations cannot run inside the test's transaction
def test_a_question_asked_before_keeps_its_12_character_id_and_its_links(asked_before):
    question = Question.objects.get(pk=LEGACY)
    assert question.title == "Where shall we meet?"
    assert Participant.objects.get(question=question).name == "Dora"
    assert Idea.objects.get(question=question).pk == "Old12chars0I"
    assert Comment.objects.get(question=question).text == "Any day but Monday"
    assert Event.objects.get(question=question).ids == {"idea": "Old12chars0I"}

    mallory = Person("Mallory")
    page = mallory.get(f"/q/{LEGACY}/")
    assert page.status_code == 200
    assert "The old mill" in page.content.decode()
    assert mallory.get(f"/q/{LEGACY}/ideas/Old12chars0I/").status_code == 200
    assert mallory.get(f"/api/v1/questions/{LEGACY}").json()["title"] == "Where shall we meet?"
    # The old admin link still makes its holder the organiser, and the question takes new entries.
    alice = Person("Alice").organise(question, ADMIN_KEY).join(question)
    assert alice.post(f"/q/{LEGACY}/ideas/", {"title": "The lake"}).status_code == 302
    assert Idea.objects.filter(question=question).count() == 2
    assert Event.objects.filter(question=question).count() >= 2


@pytest.mark.django_db(transaction=True)
def test_after_the_migration_every_column_holding_a_question_id_takes_22_characters(
    asked_before,
):
    # (SQLite stores longer text in a varchar(12) anyway; PostgreSQL would refuse it.)
    assert _column_lengths() == dict.fromkeys(REFERRING, 22)
    # A new question, with a participant, an idea, a comment and their events: PostgreSQL would
    # refuse any of these rows if one referring column had kept 12 characters.
    organiser = Person("Olga")
    created = organiser.post("/", {"title": "And where next year?"})
    new = Question.objects.exclude(pk=LEGACY).get()
    assert len(new.pk) == 22 and created["Location"] == f"/q/{new.pk}/"
    organiser.join(new)
    assert organiser.post(f"/q/{new.pk}/ideas/", {"title": "The coast"}).status_code == 302
    assert organiser.post(f"/q/{new.pk}/comments/", {"text": "Sea!"}).status_code == 302
    assert Participant.objects.filter(question=new).count() == 1
    assert Idea.objects.filter(question=new).count() == 1
    assert Comment.objects.filter(question=new).count() == 1
    assert Event.objects.filter(question=new).count() >= 2
