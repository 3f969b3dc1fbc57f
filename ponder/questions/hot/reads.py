"""The reads of the question page and of a vote: the question with who is asking and what they
vote for and like (`reader`), an idea, the first voters, and one idea with its leading arguments.
"""

from collections import Counter
from functools import cache
from typing import Any

from django.db import connection

from ..models import Argument, Idea, Like, Participant, Question, Vote
from .base import _column, _fields, _from_db, _instance, _instances, _rows_where, _table


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


# One idea and its leading arguments -----------------------------------------------------------


@cache
def _one_idea_sql(omit_hidden: bool = False) -> str:
    idea, participant = _table(Idea), _table(Participant)
    pid = _column(Participant, "id")
    shown = f" AND {_column(Argument, 'hidden_reason')} = ''" if omit_hidden else ""
    count = (
        f"SELECT COUNT(*) FROM {_table(Argument)} "  # noqa: S608  # nosec B608
        f"WHERE {_column(Argument, 'idea')} = i.{_column(Idea, 'id')}{shown}"
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
def _leading_arguments_sql(limited: bool, per_kind: bool = False, omit_hidden: bool = False) -> str:
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
    # Left out in the query, a hidden argument takes no place among the leading ones.
    kind += f" AND a.{_column(Argument, 'hidden_reason')} = ''" if omit_hidden else ""
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
    question: Question,
    idea_id: str,
    *,
    arguments: int | None,
    per_kind: bool = False,
    omit_hidden: bool = False,
) -> tuple[Idea | None, list[tuple[Any, ...]]]:
    """The question's idea of that id (None if there is none) with its author and how many
    arguments it has (`argument_count`, of them `pro_count` pros), and its `arguments` most
    liked arguments (all with None; with `per_kind` that many pros and that many cons) as rows
    of id, idea, author, author's name, kind, text, created_at, like_count, whether the author
    is the organiser and whether the organiser edited it (`ShownArgument.FIELDS`), in the order
    of `ArgumentQuerySet.with_counts`. With `omit_hidden` the arguments the organiser hid are
    neither counted nor read (for a reader who may not see them). Two queries, each a small
    part of what compiling the ORM's (a window over the arguments, a correlated count) costs."""
    with connection.cursor() as cursor:
        cursor.execute(_one_idea_sql(omit_hidden), [Argument.Kind.PRO.value, idea_id, question.pk])
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
        sql = _leading_arguments_sql(arguments is not None, per_kind, omit_hidden)
        cursor.execute(sql, params)
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
