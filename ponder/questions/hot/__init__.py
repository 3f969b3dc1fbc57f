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

The statements live by what they do: `reads`, `writes`, and `one_statement` (a new vote as one
statement); what they share (names from the models, rows built into instances) in `base`. Import
them from here.
"""

from .one_statement import (
    Cast,
    cast,
    casts_in_one_statement,
)
from .reads import (
    PARTICIPANT_FIELDS,
    first_voters,
    idea,
    marks_of,
    one_idea,
    question_id_of,
    reader,
    reader_and_idea,
    votes_and_likes,
    votes_of,
)
from .writes import (
    LIKES,
    VOTES,
    NewEvent,
    OnePerPerson,
    bump_version,
    delete_like,
    delete_vote,
    delete_votes_above,
    insert_event,
    insert_like,
    insert_vote,
    my_votes,
    touch,
    votes_used,
)

__all__ = [
    "LIKES",
    "PARTICIPANT_FIELDS",
    "VOTES",
    "Cast",
    "NewEvent",
    "OnePerPerson",
    "bump_version",
    "cast",
    "casts_in_one_statement",
    "delete_like",
    "delete_vote",
    "delete_votes_above",
    "first_voters",
    "idea",
    "insert_event",
    "insert_like",
    "insert_vote",
    "marks_of",
    "my_votes",
    "one_idea",
    "question_id_of",
    "reader",
    "reader_and_idea",
    "touch",
    "votes_and_likes",
    "votes_of",
    "votes_used",
]
