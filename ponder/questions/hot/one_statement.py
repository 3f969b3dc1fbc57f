"""A new vote in one statement on PostgreSQL (`cast`): the lock, the checks, the writes and the
voters the vote box shows, in one round trip.
"""

from dataclasses import dataclass
from functools import cache

from django.db import connection
from django.utils import timezone

from ponder.live.models import Event

from ..models import Idea, Participant, Question, Vote
from .base import _column, _prepared, _table


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
