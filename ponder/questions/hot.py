"""The reads every question page and every vote make, in SQL written out once.

A question page read from the shared render (rendering.py) costs three reads: the question, who
is asking, and which ideas and arguments they vote for and like; a vote also reads the idea and,
after, its count and first voters. Through the ORM each costs about half a millisecond of building
and compiling the query, several times the query itself. Here the SQL is written once; the values
are always bound parameters, and table and column names come from the models, never from input.
"""

from functools import cache

from django.db import connection

from .models import Idea, Like, Participant, Question, Vote


def _table(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model: type, field: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(field).column)


@cache
def _rows_where(model: type, *fields: str) -> str:
    """`SELECT * FROM model WHERE field = %s AND ...`, for `model.objects.raw`."""
    where = " AND ".join(f"{_column(model, field)} = %s" for field in fields)
    # Names from the models, values bound: nothing from input is formatted in.
    return f"SELECT * FROM {_table(model)} WHERE {where}"  # noqa: S608  # nosec B608


@cache
def _marks_sql() -> str:
    vote, like = _table(Vote), _table(Like)
    # Names from the models, values bound: nothing from input is formatted in.
    return (
        f"SELECT 'v', {_column(Vote, 'idea')} FROM {vote} "  # noqa: S608  # nosec B608
        f"WHERE {_column(Vote, 'participant')} = %s "
        f"UNION ALL SELECT 'l', {_column(Like, 'argument')} FROM {like} "
        f"WHERE {_column(Like, 'participant')} = %s"
    )


@cache
def _voters_sql() -> str:
    vote, participant = _table(Vote), _table(Participant)
    idea, voter = _column(Vote, "idea"), _column(Vote, "participant")
    # Names from the models, values bound: nothing from input is formatted in.
    return (
        f"SELECT (SELECT COUNT(*) FROM {vote} WHERE {idea} = %s), p.{_column(Participant, 'name')} "  # noqa: S608  # nosec B608
        f"FROM (SELECT 1) AS one LEFT JOIN ("
        f"SELECT {voter}, {_column(Vote, 'created_at')} AS at FROM {vote} WHERE {idea} = %s "
        f"ORDER BY at LIMIT %s) AS v ON 1 = 1 "
        f"LEFT JOIN {participant} AS p ON p.{_column(Participant, 'id')} = v.{voter} "
        f"ORDER BY v.at"
    )


def question(question_id: str) -> Question | None:
    """The question, or None (RawQuerySet applies the database's converters, as the ORM does)."""
    return next(iter(Question.objects.raw(_rows_where(Question, "id"), [question_id])), None)


def participant(question: Question, token_hash: str) -> Participant | None:
    found = next(
        iter(
            Participant.objects.raw(
                _rows_where(Participant, "question", "token_hash"), [question.pk, token_hash]
            )
        ),
        None,
    )
    if found is not None:
        found.question = question
    return found


def votes_and_likes(participant_id: str) -> tuple[frozenset[str], frozenset[str]]:
    """The ideas this participant votes for and the arguments they like."""
    with connection.cursor() as cursor:
        cursor.execute(_marks_sql(), [participant_id, participant_id])
        rows = cursor.fetchall()
    votes = frozenset(pk for of, pk in rows if of == "v")
    likes = frozenset(pk for of, pk in rows if of == "l")
    return votes, likes


def idea(question: Question, idea_id: str) -> Idea | None:
    found = next(
        iter(Idea.objects.raw(_rows_where(Idea, "id", "question"), [idea_id, question.pk])), None
    )
    if found is not None:
        found.question = question
    return found


def votes_of(idea_id: str, *, first: int) -> tuple[int, list[str]]:
    """How many vote for the idea, and the names of the first `first` of them (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(_voters_sql(), [idea_id, idea_id, first])
        rows = cursor.fetchall()
    return rows[0][0], [name for _count, name in rows if name is not None]
