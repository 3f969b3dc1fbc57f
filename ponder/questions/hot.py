"""The reads and writes every question page and every vote make, in SQL written out once.

A question page read from the shared render (rendering.py) costs one read: the question, who is
asking, and which ideas and arguments they vote for and like; a vote reads the idea with them
and, after, its count and first voters. Through the ORM each read costs about half a millisecond
of building and compiling the query, several times the query itself. Here the SQL is written
once; the values are always bound parameters, and table and column names come from the models,
never from input.

A vote or a like writes four statements: the question's version bumped (which also locks its
row: `UPDATE … RETURNING`), the vote or like inserted (`ON CONFLICT DO NOTHING`: the unique
constraint keeps one per person, with no savepoint), the count on the idea's or argument's row
changed by one and the idea's version moved (only if a row was inserted or deleted; under the
question's lock, so two writes never wait on each other's rows), and the event logged. On
PostgreSQL the last three are one statement, always (`_change_sql`): the question's lock, which
every vote of a question waits for, is held for two round trips instead of four; and a new vote
is one statement whole (`cast`): the lock, the checks, the four writes and the voters the vote
box shows. SQLite has no data-modifying `WITH` and runs them one by one; a test runs both ways
on PostgreSQL and compares what they answer and write.
"""

from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.db import connection
from django.utils import timezone

from ponder.live.models import Event

from .models import Argument, Idea, Like, Participant, Question, Vote


def _table(model: type) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model: type, field: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(field).column)


@cache
def _rows_where(model: type, *fields: str) -> str:
    """`SELECT * FROM model WHERE field = %s AND ...`, for `_instances`."""
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
    count = (
        f"SELECT {_column(Idea, 'vote_count')} FROM {_table(Idea)} WHERE {_column(Idea, 'id')} = %s"  # noqa: S608  # nosec B608
    )
    # Names from the models, values bound: nothing from input is formatted in.
    return (
        f"SELECT COALESCE(({count}), 0), p.{_column(Participant, 'name')} "  # noqa: S608  # nosec B608
        f"FROM (SELECT 1) AS one LEFT JOIN ("
        f"SELECT {voter}, {_column(Vote, 'created_at')} AS at FROM {vote} WHERE {idea} = %s "
        f"AND {_column(Vote, 'stack')} = 1 "
        f"ORDER BY at LIMIT %s) AS v ON 1 = 1 "
        f"LEFT JOIN {participant} AS p ON p.{_column(Participant, 'id')} = v.{voter} "
        f"ORDER BY v.at"
    )


@cache
def _reader_sql(with_idea: bool = False, with_marks: bool = True) -> str:
    q, p = _table(Question), _table(Participant)
    vote, like = _table(Vote), _table(Like)
    pid = _column(Participant, "id")
    # One list of ids per kind: string_agg on PostgreSQL, group_concat on SQLite. Ids are base62.
    agg = "string_agg({}, ',')" if connection.vendor == "postgresql" else "group_concat({}, ',')"
    columns = [
        f"p.{_column(Participant, f)} AS {connection.ops.quote_name('p_' + f)}"
        for f in PARTICIPANT_FIELDS
    ]
    idea_join = ""
    if with_idea:  # every column of the idea, named i_<column>
        columns += [
            f"i.{connection.ops.quote_name(c)} AS {connection.ops.quote_name('i_' + c)}"
            for c in _fields(Idea)[1]
        ]
        idea_join = (
            f"LEFT JOIN {_table(Idea)} AS i ON i.{_column(Idea, 'id')} = %s "
            f"AND i.{_column(Idea, 'question')} = q.{_column(Question, 'id')} "
        )
    # Names from the models, values bound (here and below): nothing from input is formatted in.
    marks = (
        f"(SELECT {agg.format(_column(Vote, 'idea'))} FROM {vote} "  # noqa: S608  # nosec B608
        f"WHERE {_column(Vote, 'participant')} = p.{pid}) AS p_votes, "
        f"(SELECT {agg.format(_column(Like, 'argument'))} FROM {like} "
        f"WHERE {_column(Like, 'participant')} = p.{pid}) AS p_likes "
        if with_marks
        else "NULL AS p_votes, NULL AS p_likes "
    )
    return (
        f"SELECT q.*, {', '.join(columns)}, {marks}"  # nosec B608
        f"FROM {q} AS q LEFT JOIN {p} AS p ON p.{_column(Participant, 'question')} = "
        f"q.{_column(Question, 'id')} AND p.{_column(Participant, 'token_hash')} = %s "
        f"{idea_join}WHERE q.{_column(Question, 'id')} = %s"
    )


PARTICIPANT_FIELDS = ("id", "name", "token_hash", "created_at", "organiser", "user_id")


@cache
def _converters(model: type, field: str) -> tuple[Any, list[Any]]:
    column = model._meta.get_field(field).get_col(model._meta.db_table)
    # As the ORM's compiler does: the backend's converters, then the field's.
    return column, connection.ops.get_db_converters(column) + column.get_db_converters(connection)


def _from_db(model: type, field: str, value: Any) -> Any:
    column, converters = _converters(model, field)
    for convert in converters:
        value = convert(value, column, connection)
    return value


@cache
def _fields(model: type) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The model's concrete fields in the order its __init__ takes them: attnames, columns."""
    fields = model._meta.concrete_fields
    return tuple(f.attname for f in fields), tuple(f.column for f in fields)


# The column names of each statement `_instances` runs: psycopg makes `cursor.description` anew
# for every query (14 us for the reader's 19 columns; a vote reads 19 and then 16 more).
_names: dict[str, list[str]] = {}


def _instances(model: type, sql: str, params: list[Any]) -> list[tuple[Any, dict[str, Any]]]:
    """The rows of `sql` as instances of `model` (built as the ORM builds them, converters and
    all), each with every column of its row by name (the columns beyond the model's own).

    What `model.objects.raw` does, without compiling a query and matching its columns each
    time: the reader's read took 235 µs that way, 135 µs this way (in-process, bench data S)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        names = _names.get(sql)
        if names is None or (rows and len(rows[0]) != len(names)):  # new, or the table changed
            names = _names[sql] = [column[0] for column in cursor.description]
    found = []
    for row in rows:
        by_name = dict(zip(names, row, strict=True))
        found.append((_instance(model, by_name), by_name))
    return found


def _instance(model: type, row: dict[str, Any], prefix: str = "") -> Any:
    """An instance of `model` from the row's columns named `prefix` + each column of the model."""
    attnames, columns = _fields(model)
    values = [
        _from_db(model, attname, row[prefix + column])
        for attname, column in zip(attnames, columns, strict=True)
    ]
    return model.from_db(connection.alias, attnames, values)


def reader(question_id: str, token_hash: str | None) -> tuple[Question | None, Participant | None]:
    """The question, and the participant with this token if any, in one query. The participant
    carries `marks`: the ideas they vote for and the arguments they like, as they were read."""
    question, participant, _ = _read(question_id, token_hash, None)
    return question, participant


def reader_and_idea(
    question_id: str, token_hash: str | None, idea_id: str, *, marks: bool = True
) -> tuple[Question | None, Participant | None, Idea | None]:
    """As `reader`, and the question's idea of that id if there is one, in the same query (a
    vote reads all three). Without `marks` the participant carries none: for a request that
    changes them, which would show them only as they were before."""
    return _read(question_id, token_hash, idea_id, marks=marks)


def _read(
    question_id: str, token_hash: str | None, idea_id: str | None, *, marks: bool = True
) -> tuple[Question | None, Participant | None, Idea | None]:
    with_idea = idea_id is not None
    params = [token_hash, idea_id, question_id] if with_idea else [token_hash, question_id]
    rows = _instances(Question, _reader_sql(with_idea, marks), params)
    if not rows:
        return None, None, None
    question, extra = rows[0]
    participant = _participant(question, extra, marks=marks)
    return question, participant, _idea(question, extra) if with_idea else None


def _participant(
    question: Question, extra: dict[str, Any], *, marks: bool = True
) -> Participant | None:
    if extra["p_id"] is None:
        return None
    participant = Participant(
        question=question,
        **{f: _from_db(Participant, f, extra[f"p_{f}"]) for f in PARTICIPANT_FIELDS},
    )
    participant._state.adding, participant._state.db = False, connection.alias
    if not marks:
        return participant
    votes, likes = extra["p_votes"], extra["p_likes"]
    voted = votes.split(",") if votes else []
    participant.marks = (
        frozenset(voted),
        frozenset(likes.split(",")) if likes else frozenset(),
    )
    participant.stacks = _stacks(voted)
    return participant


def _stacks(voted: list[str]) -> dict[str, int]:
    """The ideas a person put more than one vote on (a vote row each), and how many."""
    if len(voted) == len(set(voted)):
        return {}
    return {idea: n for idea, n in Counter(voted).items() if n > 1}


def _idea(question: Question, extra: dict[str, Any]) -> Idea | None:
    if extra["i_id"] is None:
        return None
    found = _instance(Idea, extra, prefix="i_")
    found.question = question
    return found


def votes_and_likes(participant_id: str) -> tuple[frozenset[str], frozenset[str]]:
    """The ideas this participant votes for and the arguments they like."""
    votes, likes, _stacked = marks_of(participant_id)
    return votes, likes


def marks_of(participant_id: str) -> tuple[frozenset[str], frozenset[str], dict[str, int]]:
    """As `votes_and_likes`, and the ideas they put more than one vote on (`_stacks`)."""
    with connection.cursor() as cursor:
        cursor.execute(_marks_sql(), [participant_id, participant_id])
        rows = cursor.fetchall()
    voted = [pk for of, pk in rows if of == "v"]
    likes = frozenset(pk for of, pk in rows if of == "l")
    return frozenset(voted), likes, _stacks(voted)


def idea(question: Question, idea_id: str) -> Idea | None:
    rows = _instances(Idea, _rows_where(Idea, "id", "question"), [idea_id, question.pk])
    if not rows:
        return None
    found = rows[0][0]
    found.question = question
    return found


@cache
def _first_voters_sql(ideas: int) -> str:
    vote, participant = _table(Vote), _table(Participant)
    idea, at = _column(Vote, "idea"), _column(Vote, "created_at")
    stack = _column(Vote, "stack")
    name = _column(Participant, "name")
    join = (
        f"FROM {vote} AS v JOIN {participant} AS p "
        f"ON p.{_column(Participant, 'id')} = v.{_column(Vote, 'participant')} "
    )
    if connection.vendor == "postgresql":
        # One plan for all the ideas: planning a hundred subqueries took longer (26 ms) than
        # running them (17 ms, on the L question).
        # Names from the models, values bound: nothing from input is formatted in.
        return (
            f"SELECT i.id, f.{name}, f.{at} FROM unnest(%s::text[]) AS i(id) "  # noqa: S608  # nosec B608
            f"CROSS JOIN LATERAL (SELECT p.{name}, v.{at} {join}"
            f"WHERE v.{idea} = i.id AND v.{stack} = 1 ORDER BY v.{at} LIMIT %s) AS f"
        )
    # Names from the models, values bound: nothing from input is formatted in.
    one = (
        f"SELECT * FROM (SELECT v.{idea}, p.{name}, v.{at} {join}"  # noqa: S608  # nosec B608
        f"WHERE v.{idea} = %s AND v.{stack} = 1 ORDER BY v.{at} LIMIT %s) AS first{{n}}"
    )
    return " UNION ALL ".join(one.format(n=n) for n in range(ideas))


FIRST_VOTERS_AT_ONCE = 100  # ideas per query (two bound values each on SQLite)


def first_voters(idea_ids: list[str], *, per_idea: int) -> dict[str, list[str]]:
    """The names of the first `per_idea` voters of each idea, oldest vote first: an index seek
    per idea (votes by idea and time), however many votes the leading ideas have."""
    voters: dict[str, list[str]] = {pk: [] for pk in idea_ids}
    lateral = connection.vendor == "postgresql"
    for start in range(0, len(idea_ids), FIRST_VOTERS_AT_ONCE):
        some = idea_ids[start : start + FIRST_VOTERS_AT_ONCE]
        sql = _first_voters_sql(0 if lateral else len(some))
        params = [some, per_idea] if lateral else [v for pk in some for v in (pk, per_idea)]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        rows.sort(key=lambda row: (row[0], row[2]))
        for idea_id, name, _at in rows:
            voters[idea_id].append(name)
    return voters


def votes_of(idea_id: str, *, first: int) -> tuple[int, list[str]]:
    """How many vote for the idea (its stored count), and the names of the first `first` of them
    (one query)."""
    with connection.cursor() as cursor:
        cursor.execute(_voters_sql(), [idea_id, idea_id, first])
        rows = cursor.fetchall()
    return rows[0][0], [name for _count, name in rows if name is not None]


# Writes -------------------------------------------------------------------------------------


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


def _prepared(model: type, field: str, value: Any) -> Any:
    return model._meta.get_field(field).get_db_prep_save(value, connection)


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


# One idea and its leading arguments -----------------------------------------------------------


@cache
def _one_idea_sql() -> str:
    idea, participant = _table(Idea), _table(Participant)
    pid = _column(Participant, "id")
    count = (
        f"SELECT COUNT(*) FROM {_table(Argument)} "  # noqa: S608  # nosec B608
        f"WHERE {_column(Argument, 'idea')} = i.{_column(Idea, 'id')}"
    )
    pros = f"{count} AND {_column(Argument, 'kind')} = %s"
    columns = ", ".join(f"i.{connection.ops.quote_name(c)}" for c in _fields(Idea)[1])
    # Names from the models, values bound: nothing from input is formatted in.
    return (
        f"SELECT {columns}, p.{_column(Participant, 'name')}, ({count}), ({pros}), "  # noqa: S608  # nosec B608
        f"p.{_column(Participant, 'organiser')} "
        f"FROM {idea} AS i JOIN {participant} AS p ON p.{pid} = i.{_column(Idea, 'author')} "
        f"WHERE i.{_column(Idea, 'id')} = %s AND i.{_column(Idea, 'question')} = %s"
    )


@cache
def _leading_arguments_sql(limited: bool, per_kind: bool = False) -> str:
    argument, participant = _table(Argument), _table(Participant)
    fields = ("id", "idea", "author")
    columns = [f"a.{_column(Argument, f)}" for f in fields]
    columns.append(f"p.{_column(Participant, 'name')}")
    columns += [f"a.{_column(Argument, f)}" for f in ("kind", "text", "created_at", "like_count")]
    columns.append(f"p.{_column(Participant, 'organiser')}")
    columns.append(f"a.{_column(Argument, 'edited_by_organiser')}")
    columns += [f"a.{_column(Argument, f)}" for f in ("hidden_reason", "hidden_note")]
    likes, at = _column(Argument, "like_count"), _column(Argument, "created_at")
    author = f"p.{_column(Participant, 'id')} = a.{_column(Argument, 'author')}"
    kind = f" AND a.{_column(Argument, 'kind')} = %s" if per_kind else ""
    # Names from the models, values bound: nothing from input is formatted in.
    one = (
        f"SELECT {', '.join(columns)} FROM {argument} AS a "  # noqa: S608  # nosec B608
        f"JOIN {participant} AS p ON {author} "
        f"WHERE a.{_column(Argument, 'idea')} = %s{kind} "
        f"ORDER BY a.{likes} DESC, a.{at}, a.{_column(Argument, 'id')}"
        + (" LIMIT %s" if limited else "")
    )
    if not per_kind:
        return one
    # The leading pros and the leading cons: each an index walk of the idea's arguments. A
    # compound's parts may not have their own ORDER BY (SQLite) unless each is a subquery.
    return f"SELECT * FROM ({one}) AS pros UNION ALL SELECT * FROM ({one}) AS cons"  # noqa: S608  # nosec B608


def one_idea(
    question: Question, idea_id: str, *, arguments: int | None, per_kind: bool = False
) -> tuple[Idea | None, list[tuple[Any, ...]]]:
    """The question's idea of that id (None if there is none) with its author and how many
    arguments it has (`argument_count`, of them `pro_count` pros), and its `arguments` most
    liked arguments (all with None; with `per_kind` that many pros and that many cons) as rows
    of id, idea, author, author's name, kind, text, created_at, like_count, whether the author
    is the organiser and whether the organiser edited it (`ShownArgument.FIELDS`), in the order
    of `ArgumentQuerySet.with_counts`. Two queries, each a small part of what compiling the
    ORM's (a window over the arguments, a correlated count) costs."""
    with connection.cursor() as cursor:
        cursor.execute(_one_idea_sql(), [Argument.Kind.PRO.value, idea_id, question.pk])
        row = cursor.fetchone()
    if row is None:
        return None, []
    attnames, _columns = _fields(Idea)
    values = [_from_db(Idea, f, v) for f, v in zip(attnames, row, strict=False)]
    found = Idea.from_db(connection.alias, attnames, values)
    found.question = question
    name, found.argument_count, found.pro_count = row[len(attnames) : len(attnames) + 3]
    organiser = _from_db(Participant, "organiser", row[len(attnames) + 3])
    found.author = Participant(
        pk=found.author_id, question=question, name=name, organiser=organiser
    )
    per_kind = per_kind and arguments is not None
    if per_kind:
        params: list[Any] = []
        for kind in (Argument.Kind.PRO.value, Argument.Kind.CON.value):
            params += [idea_id, kind, arguments]
    else:
        params = [idea_id] if arguments is None else [idea_id, arguments]
    with connection.cursor() as cursor:
        cursor.execute(_leading_arguments_sql(arguments is not None, per_kind), params)
        rows = [
            (
                *r[:6],
                _from_db(Argument, "created_at", r[6]),
                r[7],
                _from_db(Participant, "organiser", r[8]),
                _from_db(Argument, "edited_by_organiser", r[9]),
                r[10],
                r[11],
            )
            for r in cursor.fetchall()
        ]
    if per_kind:  # the two parts in one order, as the ORM's read of several ideas gives them
        rows.sort(key=lambda r: (-r[7], r[6], r[0]))
    return found, rows


@cache
def _question_id_sql(model: type) -> str:
    """The question id of an idea, a comment (their own column) or an argument (its idea's)."""
    if model is Argument:
        # Names from the models, values bound: nothing from input is formatted in.
        return (
            f"SELECT i.{_column(Idea, 'question')} FROM {_table(Argument)} AS a "  # noqa: S608  # nosec B608
            f"JOIN {_table(Idea)} AS i ON i.{_column(Idea, 'id')} = a.{_column(Argument, 'idea')} "
            f"WHERE a.{_column(Argument, 'id')} = %s"
        )
    # Names from the models, values bound: nothing from input is formatted in.
    return (
        f"SELECT {_column(model, 'question')} FROM {_table(model)} "  # noqa: S608  # nosec B608
        f"WHERE {_column(model, 'id')} = %s"
    )


def question_id_of(model: type, pk: str) -> str | None:
    """The id of the question an idea, argument or comment belongs to; None if it is gone."""
    with connection.cursor() as cursor:
        cursor.execute(_question_id_sql(model), [pk])
        row = cursor.fetchone()
    return None if row is None else row[0]


# A vote in one statement (PostgreSQL) -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cast:
    """What `cast` found and did. `current`: nothing changed the question between the
    statement's snapshot and its lock, so what it read (the votes used, the idea, the voters) is
    today's; when it is not, the statement cast nothing, unless it was told to cast a vote without
    a cap after a wait (`cast`'s `uncapped_after_wait`; see `services.vote_cast`)."""

    vote_id: int | None  # the new vote's, if one was cast
    version: int  # the question's, after it
    current: bool
    open: bool
    max_votes: int | None
    used: int  # this person's votes in the question, before it
    here: bool  # whether one of them is for this idea
    idea_here: bool  # whether the idea is (still) the question's, and not hidden
    vote_count: int  # the idea's, after it
    first_voters: list[str]  # after it, oldest vote first


def casts_in_one_statement() -> bool:
    """Whether `cast` can be used: PostgreSQL's data-modifying `WITH`."""
    return connection.vendor == "postgresql"


@cache
def _cast_sql() -> str:
    """`services.vote_cast` as one statement: the question's row locked; the person's votes, the
    idea and its first voters read; the vote inserted if the question is open, the idea there,
    the person not voting for it yet and under the cap, and only if the snapshot those reads
    come from is current (no change came between it and the lock: `seen` and `locked` agree);
    then the version, the idea's count and version and the event, if a vote was inserted.

    Every sub-statement sees the database as it was when the statement began; only the lock
    waits for the writers that hold the question, and reads its newest row. A statement that
    waited and finds the question changed casts nothing, and the caller runs it again in a
    transaction: the lock is then kept from one run to the next, so a second run's snapshot is
    current. Except with `uncapped_after_wait`, on a question without a cap: there the votes the
    person has are no reason to refuse (a second vote for the idea meets the unique constraint),
    and the open state comes from the locked row itself, so the vote is cast after the wait all
    the same; only the voters it read are from before the wait (the caller reads them again). An
    idea deleted during the wait then fails the vote's foreign key at the statement's end."""
    q, idea, vote, p = _table(Question), _table(Idea), _table(Vote), _table(Participant)
    qid, version = _column(Question, "id"), _column(Question, "version")
    closed, deadline = _column(Question, "closed_at"), _column(Question, "deadline")
    ideas_until = _column(Question, "ideas_until")
    cap = _column(Question, "max_votes")
    iid, count, iversion = (
        _column(Idea, "id"),
        _column(Idea, "vote_count"),
        _column(Idea, "version"),
    )
    vid, voter, at = _column(Vote, "id"), _column(Vote, "participant"), _column(Vote, "created_at")
    videa = _column(Vote, "idea")
    columns = ", ".join(_column(Vote, f) for f in ("idea", "participant", "created_at"))
    event_columns = ", ".join(
        _column(Event, f) for f in ("question", "version", "type", "ids", "created_at")
    )
    # Each use of a parameter typed alike: PostgreSQL takes one type per parameter.
    now = "CAST(%(now)s AS timestamptz)"
    # Names from the models, values bound: nothing from input is formatted in.
    return (
        f"WITH seen AS (SELECT {version} FROM {q} WHERE {qid} = %(question)s), "  # noqa: S608  # nosec B608
        f"locked AS (SELECT {version}, ({closed} IS NULL AND ({deadline} IS NULL "
        f"OR {deadline} > {now}) AND ({ideas_until} IS NULL OR {ideas_until} <= {now})) AS open, "
        f"{cap} AS cap FROM {q} WHERE {qid} = %(question)s "
        f"FOR UPDATE), "
        f"mine AS (SELECT COUNT(*) AS used, "
        f"COALESCE(SUM(CASE WHEN {videa} = %(idea)s THEN 1 ELSE 0 END), 0) AS here "
        f"FROM {vote} WHERE {voter} = %(participant)s), "
        f"target AS (SELECT {count} FROM {idea} WHERE {iid} = %(idea)s "
        f"AND {_column(Idea, 'question')} = %(question)s "
        f"AND {_column(Idea, 'hidden_reason')} = ''), "
        f"added AS (INSERT INTO {vote} ({columns}) "
        f"SELECT CAST(%(idea)s AS varchar), CAST(%(participant)s AS varchar), {now} "
        f"FROM locked, mine, seen, target WHERE (locked.{version} = seen.{version} "
        f"OR (%(uncapped_after_wait)s AND locked.cap IS NULL)) "
        f"AND locked.open AND mine.here = 0 AND (locked.cap IS NULL OR mine.used < locked.cap) "
        f"ON CONFLICT DO NOTHING RETURNING {vid}), "
        f"bumped AS (UPDATE {q} SET {version} = {version} + 1 WHERE {qid} = %(question)s "
        f"AND EXISTS (SELECT 1 FROM added) RETURNING {version}), "
        f"counted AS (UPDATE {idea} SET {count} = {count} + 1, {iversion} = {iversion} + 1 "
        f"WHERE {iid} = %(idea)s AND EXISTS (SELECT 1 FROM added) RETURNING {count}), "
        f"logged AS (INSERT INTO {_table(Event)} ({event_columns}) "
        f"SELECT CAST(%(question)s AS varchar), {version}, CAST(%(kind)s AS varchar), "
        f"%(ids)s, {now} FROM bumped), "
        f"voters AS (SELECT CAST(p.{_column(Participant, 'name')} AS text) AS name, v.{at} AS at "
        f"FROM {vote} AS v JOIN {p} AS p ON p.{_column(Participant, 'id')} = v.{voter} "
        f"WHERE v.{videa} = %(idea)s AND v.{_column(Vote, 'stack')} = 1 "
        f"ORDER BY v.{at} LIMIT %(first)s) "
        f"SELECT (SELECT {vid} FROM added), "
        f"COALESCE((SELECT {version} FROM bumped), locked.{version}), "
        f"locked.{version} = (SELECT {version} FROM seen), locked.open, locked.cap, "
        f"mine.used, mine.here > 0, EXISTS (SELECT 1 FROM target), "
        f"COALESCE((SELECT {count} FROM counted), (SELECT {count} FROM target), 0), "
        f"ARRAY(SELECT name FROM (SELECT name, at FROM voters UNION ALL "
        f"SELECT CAST(%(name)s AS text), {now} FROM added) AS f ORDER BY at LIMIT %(first)s) "
        f"FROM locked, mine"
    )


def cast(
    *,
    question_id: str,
    idea_id: str,
    participant: Participant,
    kind: str,
    first: int,
    ids: dict[str, str],
    uncapped_after_wait: bool = False,
) -> tuple[Cast, Vote | None] | None:
    """Run `_cast_sql` (PostgreSQL): a transaction of its own, or a part of the caller's. None if
    the question is gone; else what it found and did, with the new vote if one was cast.
    `open` is open for votes: not closed, and past its idea phase if it has one. `ids`: what its
    event names (`services.tally_ids`)."""
    now = timezone.now()
    params = {
        "question": question_id,
        "idea": idea_id,
        "participant": participant.pk,
        "name": participant.name,
        "now": _prepared(Vote, "created_at", now),
        "kind": kind,
        "ids": _prepared(Event, "ids", ids),
        "first": first,
        "uncapped_after_wait": uncapped_after_wait,
    }
    with connection.cursor() as cursor:
        cursor.execute(_cast_sql(), params)
        row = cursor.fetchone()
    if row is None:
        return None
    found = Cast(*row[:9], first_voters=list(row[9]))
    if found.vote_id is None:
        return found, None
    vote = Vote(pk=found.vote_id, idea_id=idea_id, participant_id=participant.pk, created_at=now)
    return found, vote
