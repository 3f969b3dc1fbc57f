"""The writes of a vote or a like: the question's version bumped (its row locked), the row inserted
or deleted once per person, the count and the idea's version moved, and the event logged.
"""

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connection
from django.utils import timezone

from ponder.live.models import Event

from ..models import Argument, Idea, Like, Question, Vote
from .base import _column, _instances, _prepared, _table


@cache
def _bump_sql() -> str:
    version = _column(Question, "version")
    # Names from the models, values bound: nothing from input is formatted in.
    return (
        f"UPDATE {_table(Question)} SET {version} = {version} + 1 "  # noqa: S608  # nosec B608
        f"WHERE {_column(Question, 'id')} = %s RETURNING *"
    )


def bump_version(question_id: str) -> Question | None:
    """Lock the question's row and take its next version, in one statement; None if it is gone.

    A change that is then refused, or turns out to change nothing, raises inside its transaction,
    and the bump is rolled back with the rest."""
    # All rows read (fetchall): on SQLite an UPDATE … RETURNING is finished only then.
    rows = _instances(Question, _bump_sql(), [question_id])
    return rows[0][0] if rows else None


@dataclass(frozen=True, slots=True)
class OnePerPerson:
    """A row a person has at most one of per parent (a vote per idea, a like per argument),
    counted on the parent's row."""

    model: type
    parent: type
    field: str  # the model's field naming the parent
    count_field: str  # the parent's count of them


VOTES = OnePerPerson(Vote, Idea, "idea", "vote_count")
LIKES = OnePerPerson(Like, Argument, "argument", "like_count")


@dataclass(frozen=True, slots=True)
class NewEvent:
    """The event a vote or like logs (see `insert_vote`): written only if the row changed."""

    question_id: str
    version: int
    kind: str
    ids: dict[str, str]

    def params(self) -> list[Any]:
        return [
            self.question_id,
            self.version,
            self.kind,
            _prepared(Event, "ids", self.ids),
            _prepared(Event, "created_at", timezone.now()),
        ]


def _in_one_statement() -> bool:
    """PostgreSQL runs a change, its count and its event as one statement (data-modifying
    `WITH`): under the question's lock, one round trip instead of three. SQLite has no
    data-modifying `WITH`, and no round trips either."""
    return connection.vendor == "postgresql"


@cache
def _change_sql(change: str, parent: type, count_field: str) -> str:
    """`change` (an INSERT or DELETE … RETURNING), then the parent's count, the idea's version
    and the event, each only if `change` returned a row; the statement returns the rows `change`
    returned."""
    count = _count_sql(parent, count_field).replace(
        " + %s", " + %s * (SELECT COUNT(*) FROM changed)"
    )
    event = _event_sql().replace(" VALUES (%s, %s, %s, %s, %s)", " SELECT %s, %s, %s, %s, %s")
    # An idea's count moves its version in the same UPDATE (a row is changed once a statement).
    touch = (
        ""
        if parent is Idea
        else f"touched AS ({_touch_sql()} AND EXISTS (SELECT 1 FROM changed)), "  # noqa: S608  # nosec B608
    )
    # Names from the models, values bound: nothing from input is formatted in.
    return (
        f"WITH changed AS ({change}), "  # noqa: S608  # nosec B608
        f"counted AS ({count} AND EXISTS (SELECT 1 FROM changed)), "
        f"{touch}"
        f"logged AS ({event} WHERE EXISTS (SELECT 1 FROM changed)) "
        f"SELECT * FROM changed"
    )


def _change(
    sql: str,
    params: list[Any],
    kind: OnePerPerson,
    parent_id: str,
    idea_id: str,
    step: int,
    event: NewEvent | None,
) -> list[Any]:
    """Run `sql` (an INSERT or DELETE … RETURNING); if it returned rows, add `step` to the
    parent's count, move the version of the idea whose row shows it, and log `event`: in the
    same statement where the database can (`_in_one_statement`), else after it. The rows `sql`
    returned."""
    together = event is not None and _in_one_statement()
    if together:
        # `step` for each row changed: taking back a stack of votes deletes several.
        sql = _change_sql(sql, kind.parent, kind.count_field)
        touched = [] if kind.parent is Idea else [idea_id]
        params = [*params, step, parent_id, *touched, *event.params()]  # type: ignore[union-attr]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if rows and not together:
        _count(kind.parent, kind.count_field, parent_id, step * len(rows))
        if kind.parent is not Idea:
            touch(idea_id)
        if event is not None:
            insert_event(event.question_id, event.version, event.kind, event.ids)
    return rows


@cache
def _insert_unique_sql(
    model: type, parent: type, parent_field: str, other_field: str, stacked: bool = False
) -> str:
    """Insert (parent, other, created_at) if the parent row still exists, is not hidden by the
    organiser (no vote for a hidden idea, no like of a hidden argument) and the pair is new
    (`stacked`: and the vote's stack, new for the pair)."""
    fields = (parent_field, other_field, "created_at", *(("stack",) if stacked else ()))
    columns = ", ".join(_column(model, f) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    shown = f"{_column(parent, 'hidden_reason')} = ''"
    # Names from the models, values bound: nothing from input is formatted in.
    return (
        f"INSERT INTO {_table(model)} ({columns}) SELECT {values} "  # noqa: S608  # nosec B608
        f"WHERE EXISTS (SELECT 1 FROM {_table(parent)} WHERE {_column(parent, 'id')} = %s "
        f"AND {shown}) "
        f"ON CONFLICT DO NOTHING RETURNING {_column(model, 'id')}"
    )


def _insert_unique(
    kind: OnePerPerson,
    parent_id: str,
    idea_id: str,
    participant_id: str,
    event: NewEvent | None,
    stack: int | None = None,
) -> Any:
    """The new row (unsaved instance with its id), or None: the row was there already, or its
    parent is gone. When inserted, the parent's count goes up by one and `event` is logged."""
    created_at = timezone.now()
    stacked = stack is not None
    sql = _insert_unique_sql(kind.model, kind.parent, kind.field, "participant", stacked)
    when = _prepared(kind.model, "created_at", created_at)
    params = [parent_id, participant_id, when, *((stack,) if stacked else ()), parent_id]
    rows = _change(sql, params, kind, parent_id, idea_id, 1, event)
    if not rows:
        return None
    return kind.model(
        pk=rows[0][0],
        created_at=created_at,
        **{f"{kind.field}_id": parent_id},
        participant_id=participant_id,
        **({"stack": stack} if stacked else {}),
    )


@cache
def _count_sql(model: type, field: str) -> str:
    """Add %s (1 or -1) to the count on the row of that id (an idea's: and move its version)."""
    count = _column(model, field)
    version = _column(Idea, "version")
    also = f", {version} = {version} + 1" if model is Idea else ""
    # Names from the models, values bound: nothing from input is formatted in.
    return (
        f"UPDATE {_table(model)} SET {count} = {count} + %s{also} "  # noqa: S608  # nosec B608
        f"WHERE {_column(model, 'id')} = %s"
    )


def _count(model: type, field: str, pk: str, change: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_count_sql(model, field), [change, pk])


@cache
def _touch_sql() -> str:
    """Move the version of the idea of that id: its row on the question page changed."""
    version = _column(Idea, "version")
    # Names from the models, values bound: nothing from input is formatted in.
    return (
        f"UPDATE {_table(Idea)} SET {version} = {version} + 1 "  # noqa: S608  # nosec B608
        f"WHERE {_column(Idea, 'id')} = %s"
    )


def touch(idea_id: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_touch_sql(), [idea_id])


def insert_vote(
    idea_id: str, participant_id: str, event: NewEvent | None = None, *, stack: int | None = None
) -> Vote | None:
    """The new vote; None if this person votes for the idea already (with `stack`: has a vote of
    that stack on it), or the idea is gone. A new vote adds one to the idea's count and logs
    `event`."""
    return _insert_unique(VOTES, idea_id, idea_id, participant_id, event, stack)


def insert_like(
    argument_id: str, idea_id: str, participant_id: str, event: NewEvent | None = None
) -> Like | None:
    """The new like; None if this person likes the argument already, or it is gone. A new like
    adds one to the argument's count and logs `event`."""
    return _insert_unique(LIKES, argument_id, idea_id, participant_id, event)


@cache
def _delete_sql(model: type, field: str) -> str:
    # Names from the models, values bound: nothing from input is formatted in.
    return (
        f"DELETE FROM {_table(model)} WHERE {_column(model, field)} = %s "  # noqa: S608  # nosec B608
        f"AND {_column(model, 'participant')} = %s RETURNING 1"
    )


def _delete(
    kind: OnePerPerson, parent_id: str, idea_id: str, participant_id: str, event: NewEvent | None
) -> bool:
    """Whether this person's row was there and is deleted; if so, the parent's count goes down by
    one and `event` is logged."""
    sql = _delete_sql(kind.model, kind.field)
    return bool(_change(sql, [parent_id, participant_id], kind, parent_id, idea_id, -1, event))


def delete_vote(idea_id: str, participant_id: str, event: NewEvent | None = None) -> bool:
    """Take back every vote of this person on the idea (the idea's count goes down by as many)."""
    return _delete(VOTES, idea_id, idea_id, participant_id, event)


@cache
def _delete_stacks_sql() -> str:
    return _delete_sql(Vote, "idea").replace(
        " RETURNING 1", f" AND {_column(Vote, 'stack')} > %s RETURNING 1"
    )


def delete_votes_above(
    idea_id: str, participant_id: str, keep: int, event: NewEvent | None = None
) -> int:
    """Take back this person's votes on the idea beyond their first `keep` (by stack); how many
    were taken back. The idea's count goes down by as many."""
    sql = _delete_stacks_sql()
    return len(_change(sql, [idea_id, participant_id, keep], VOTES, idea_id, idea_id, -1, event))


@cache
def _my_votes_sql() -> str:
    idea, stack = _column(Vote, "idea"), _column(Vote, "stack")
    # Names from the models, values bound: nothing from input is formatted in.
    return (
        f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN {idea} = %s THEN 1 ELSE 0 END), 0), "  # noqa: S608  # nosec B608
        f"COALESCE(MAX(CASE WHEN {idea} = %s THEN {stack} ELSE 0 END), 0) "
        f"FROM {_table(Vote)} WHERE {_column(Vote, 'participant')} = %s"
    )


def my_votes(participant_id: str, idea_id: str) -> tuple[int, int, int]:
    """This participant's votes in the question, how many of them are on this idea, and the
    highest stack among those (0: none)."""
    with connection.cursor() as cursor:
        cursor.execute(_my_votes_sql(), [idea_id, idea_id, participant_id])
        used, here, top = cursor.fetchone()
    return used, here, top


def delete_like(
    argument_id: str, idea_id: str, participant_id: str, event: NewEvent | None = None
) -> bool:
    return _delete(LIKES, argument_id, idea_id, participant_id, event)


@cache
def _votes_used_sql() -> str:
    idea = _column(Vote, "idea")
    # Names from the models, values bound: nothing from input is formatted in.
    return (
        f"SELECT COUNT(*), COALESCE(SUM(CASE WHEN {idea} = %s THEN 1 ELSE 0 END), 0) "  # noqa: S608  # nosec B608
        f"FROM {_table(Vote)} WHERE {_column(Vote, 'participant')} = %s"
    )


def votes_used(participant_id: str, idea_id: str) -> tuple[int, bool]:
    """How many votes this participant has cast (a participant belongs to one question), and
    whether one of them is for this idea."""
    with connection.cursor() as cursor:
        cursor.execute(_votes_used_sql(), [idea_id, participant_id])
        used, here = cursor.fetchone()
    return used, bool(here)


@cache
def _event_sql() -> str:
    columns = ", ".join(
        _column(Event, f) for f in ("question", "version", "type", "ids", "created_at")
    )
    # Names from the models, values bound: nothing from input is formatted in.
    return f"INSERT INTO {_table(Event)} ({columns}) VALUES (%s, %s, %s, %s, %s)"  # noqa: S608  # nosec B608


def insert_event(question_id: str, version: int, kind: str, ids: dict[str, str]) -> None:
    params = [
        question_id,
        version,
        kind,
        _prepared(Event, "ids", ids),
        _prepared(Event, "created_at", timezone.now()),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_event_sql(), params)
