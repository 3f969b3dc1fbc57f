"""Races: the one-per-person rules hold when requests really run at once (docs/reliability.md #1,
#4).

Every test starts its threads, lets each open its own database connection (Django keeps one per
thread), then releases them together through a barrier, so the writes overlap for real. The
assertions are invariants that hold whatever order the database picked: no timing is asserted.

On SQLite these run against a database file with the production settings (WAL, IMMEDIATE
transactions, a busy timeout), which is what `ponder serve` uses. Django's own SQLite test
database is in memory with a shared cache, where a second writer fails at once with "database
table is locked" instead of waiting its turn: that would test the test database, not Ponder.
One test needs PostgreSQL (marked `postgres`); CI runs this file again with DATABASE_URL set.
"""

import shutil
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.signals import got_request_exception
from django.db import connection, connections, transaction
from django.test import Client

from conftest import Person, counts_off
from ponder.live.models import Event
from ponder.questions import hot, services
from ponder.questions.models import Argument, Idea, Like, Participant, Question, Vote
from ponder.questions.services import ActionRefused

THREADS = 20
BROWSERS = 10  # each joins over HTTP first, and each request renders a page fragment
SECONDS = 30  # far above a normal run (well under a second); reached only if something hangs

pytestmark = pytest.mark.django_db(transaction=True)


# Harness ------------------------------------------------------------------------------------


@dataclass
class Outcome:
    value: Any = None
    error: BaseException | None = None

    @property
    def refused(self) -> str | None:
        """The rule that refused the action (its `code`), if one did."""
        return self.error.code if isinstance(self.error, ActionRefused) else None


def race(actions: list[Callable[[], Any]]) -> list[Outcome]:
    """Run each action in its own thread and connection, all released at the same moment."""
    barrier = threading.Barrier(len(actions))
    outcomes = [Outcome() for _ in actions]

    def run(outcome: Outcome, action: Callable[[], Any]) -> None:
        try:
            try:
                connection.ensure_connection()  # connect first, so the barrier starts the writes
            except BaseException:
                barrier.abort()  # this thread will never arrive: free the others
                raise
            barrier.wait(timeout=SECONDS)
            outcome.value = action()
        except BaseException as error:
            outcome.error = error
        finally:
            connections.close_all()

    pairs = zip(outcomes, actions, strict=True)
    threads = [threading.Thread(target=run, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=SECONDS)
    assert not any(t.is_alive() for t in threads), "a thread never finished: a deadlock?"
    return outcomes


def unexpected(outcomes: list[Outcome], *allowed_codes: str) -> list[str]:
    """Every error other than a refusal by one of `allowed_codes`, with its traceback."""
    return [
        "".join(traceback.format_exception(o.error))
        for o in outcomes
        if o.error is not None and o.refused not in allowed_codes
    ]


@contextmanager
def sqlite_file(path: Path) -> Iterator[None]:
    """Point the default database at the SQLite file `path`, for this thread and every other."""
    memory, memory_settings = connections["default"], connections.settings["default"]
    # Threads open their connections from these settings; this thread gets a new one too. The
    # in-memory connection stays open meanwhile, or the in-memory test database would vanish.
    connections.settings["default"] = {**memory_settings, "NAME": str(path)}
    connections["default"] = connections.create_connection("default")
    try:
        yield
    finally:
        connections["default"].close()
        connections.settings["default"] = memory_settings
        connections["default"] = memory


@pytest.fixture(scope="module")
def sqlite_template(
    tmp_path_factory: pytest.TempPathFactory, django_db_setup: None, django_db_blocker: Any
) -> Path | None:
    """On SQLite, a migrated database file to copy for each test (migrating takes longer)."""
    with django_db_blocker.unblock():
        if connection.vendor != "sqlite" or not connection.is_in_memory_db():
            return None
        path = tmp_path_factory.mktemp("races") / "template.sqlite3"
        with sqlite_file(path):
            call_command("migrate", verbosity=0)
    return path


@pytest.fixture
def race_db(transactional_db: None, sqlite_template: Path | None, tmp_path: Path) -> Iterator[None]:
    """The database the races run on: the test database, or on SQLite a real file (see above)."""
    if sqlite_template is None:
        yield
        return
    path = tmp_path / "races.sqlite3"
    shutil.copyfile(sqlite_template, path)
    with sqlite_file(path):
        yield


def logged(question: Question, kind: str) -> list[str]:
    """The changes of this kind ("vote.", "like.") in the question's event log, oldest first."""
    events = Event.objects.filter(question=question, type__startswith=kind).order_by("version")
    return list(events.values_list("type", flat=True))


@pytest.fixture
def server_errors() -> Iterator[list[str]]:
    """Tracebacks of requests that crashed, to explain a 500 instead of just counting it."""
    errors: list[str] = []

    def record(**kwargs: object) -> None:
        errors.append(traceback.format_exc())

    got_request_exception.connect(record, weak=False, dispatch_uid="test_races")
    yield errors
    got_request_exception.disconnect(dispatch_uid="test_races")


@dataclass
class Board:
    """A question with one idea on it, its author and its admin key."""

    question: Question
    admin_key: str
    author: Participant
    idea: Idea

    def participant(self, name: str) -> Participant:
        return services.participant_join(question=self.question, name=name)[0]

    def fresh_idea(self, idea: Idea | None = None) -> Idea:
        """Its own copy of the idea, as each request loads its own (with `idea_for`)."""
        return Idea.objects.select_related("question").get(pk=(idea or self.idea).pk)

    def vote(self, participant: Participant, idea: Idea | None = None) -> Callable[[], Vote]:
        """A vote to cast later; it answers with the vote the person has after it."""
        cast = partial(services.vote_cast, idea=self.fresh_idea(idea), participant=participant)
        return lambda: cast().vote

    def vote_url(self) -> str:
        return f"/q/{self.question.pk}/ideas/{self.idea.pk}/vote/"


@pytest.fixture
def board(race_db: None) -> Iterator[Board]:
    question, admin_key = services.question_create(title="Where should the team offsite be?")
    author = services.participant_join(question=question, name="Alice")[0]
    idea = services.idea_add(question=question, author=author, title="The lake house")
    yield Board(question=question, admin_key=admin_key, author=author, idea=idea)
    # Whatever raced, the counts kept on the ideas' and arguments' rows are their rows' number.
    assert counts_off() == []


def browser_of(person: Person) -> Client:
    """Another browser holding the same cookies: the same participant, another connection."""
    client = Client(raise_request_exception=False)  # a crash must show as a 500, as in production
    for name, morsel in person.client.cookies.items():
        client.cookies[name] = morsel.value
    return client


def htmx_post(client: Client, url: str) -> int:
    """POST as htmx does, which answers 200 or 409 where a plain form post always redirects."""
    return client.post(url, headers={"HX-Request": "true"}).status_code


def stored_votes(idea: Idea) -> set[int]:
    return set(Vote.objects.filter(idea=idea).values_list("pk", flat=True))


# One vote per participant per idea ----------------------------------------------------------


@pytest.mark.parametrize(("clicks", "rounds"), [(2, 10), (THREADS, 1)])
def test_it_keeps_one_vote_when_the_same_person_clicks_at_once(
    board: Board, clicks: int, rounds: int
) -> None:
    for round_ in range(rounds):  # a double click is the common case: give it several chances
        voter = board.participant(f"Voter {round_}")
        outcomes = race([board.vote(voter) for _ in range(clicks)])
        assert unexpected(outcomes) == []
        stored = set(Vote.objects.filter(participant=voter).values_list("pk", flat=True))
        assert len(stored) == 1
        assert {o.value.pk for o in outcomes} == stored
    assert logged(board.question, "vote.") == ["vote.cast"] * rounds


def test_it_keeps_one_vote_when_one_browser_posts_many_times_at_once(
    board: Board, server_errors: list[str]
) -> None:
    bob = Person("Bob").join(board.question)
    outcomes = race([partial(htmx_post, browser_of(bob), board.vote_url()) for _ in range(THREADS)])
    assert unexpected(outcomes) == []
    assert server_errors == []
    assert [o.value for o in outcomes] == [200] * THREADS
    assert Vote.objects.filter(idea=board.idea).count() == 1


def test_it_counts_every_vote_when_many_people_vote_at_once(board: Board) -> None:
    voters = [board.participant(f"Voter {n}") for n in range(THREADS)]
    outcomes = race([board.vote(voter) for voter in voters])
    assert unexpected(outcomes) == []
    assert {o.value.pk for o in outcomes} == stored_votes(board.idea)
    assert Idea.objects.with_counts().get(pk=board.idea.pk).vote_count == THREADS


def test_it_counts_every_vote_when_many_browsers_vote_at_once(
    board: Board, server_errors: list[str]
) -> None:
    people = [Person(f"Voter {n}").join(board.question) for n in range(BROWSERS)]
    outcomes = race([partial(htmx_post, browser_of(p), board.vote_url()) for p in people])
    assert unexpected(outcomes) == []
    assert server_errors == []
    assert [o.value for o in outcomes] == [200] * BROWSERS
    assert Vote.objects.filter(idea=board.idea).count() == BROWSERS


# The vote cap -------------------------------------------------------------------------------


def test_it_holds_the_vote_cap_when_someone_votes_for_many_ideas_at_once(board: Board) -> None:
    Question.objects.filter(pk=board.question.pk).update(max_votes=2)
    ideas = [board.idea] + [
        services.idea_add(question=board.question, author=board.author, title=f"Idea {n}")
        for n in range(9)
    ]
    bob = board.participant("Bob")
    outcomes = race([board.vote(bob, idea) for idea in ideas])
    assert unexpected(outcomes, "vote_cap") == []
    assert sorted(o.refused or "counted" for o in outcomes) == ["counted"] * 2 + ["vote_cap"] * 8
    counted = {o.value.pk for o in outcomes if o.error is None}
    assert set(Vote.objects.filter(participant=bob).values_list("pk", flat=True)) == counted


# Closing while votes arrive -----------------------------------------------------------------


def test_no_vote_lands_after_the_question_closes(board: Board) -> None:
    votes = [board.vote(board.participant(f"Voter {n}")) for n in range(THREADS)]
    question = Question.objects.get(pk=board.question.pk)
    close = partial(services.question_close, question=question)
    # The organiser closes in the middle of the stream of votes.
    outcomes = race([*votes[: THREADS // 2], close, *votes[THREADS // 2 :]])
    closing = outcomes.pop(THREADS // 2)
    assert unexpected([closing]) == []
    assert unexpected(outcomes, "closed") == []
    closed_at = closing.value.closed_at
    assert closed_at == Question.objects.get(pk=board.question.pk).closed_at
    assert not Vote.objects.filter(idea=board.idea, created_at__gt=closed_at).exists()
    # Acknowledged == stored: every vote that was counted is there, and no other.
    assert {o.value.pk for o in outcomes if o.error is None} == stored_votes(board.idea)


def test_browsers_are_told_the_truth_when_the_question_closes_under_them(
    board: Board, server_errors: list[str]
) -> None:
    alice = Person("Alice").organise(board.question, board.admin_key)
    people = [Person(f"Voter {n}").join(board.question) for n in range(BROWSERS)]
    votes = [partial(htmx_post, browser_of(p), board.vote_url()) for p in people]
    close = partial(htmx_post, browser_of(alice), f"/q/{board.question.pk}/close/")
    outcomes = race([*votes[: BROWSERS // 2], close, *votes[BROWSERS // 2 :]])
    assert unexpected(outcomes) == []
    assert server_errors == []
    statuses = [o.value for o in outcomes]
    assert statuses.pop(BROWSERS // 2) == 302  # the close
    assert set(statuses) <= {200, 409}  # counted, or "This question is closed."
    assert Vote.objects.filter(idea=board.idea).count() == statuses.count(200)
    closed_at = Question.objects.get(pk=board.question.pk).closed_at
    assert not Vote.objects.filter(idea=board.idea, created_at__gt=closed_at).exists()


# One like per participant per argument ------------------------------------------------------


def test_it_keeps_one_like_when_the_same_person_clicks_at_once(board: Board) -> None:
    argument = services.argument_add(
        idea=board.idea, author=board.author, kind=Argument.Kind.PRO, text="Quiet, and a jetty."
    )
    bob = board.participant("Bob")
    likes = [
        partial(
            services.like_add,
            argument=Argument.objects.select_related("idea__question").get(pk=argument.pk),
            participant=bob,
        )
        for _ in range(THREADS)
    ]
    outcomes = race(likes)
    assert unexpected(outcomes) == []
    assert Like.objects.filter(argument=argument, participant=bob).count() == 1
    assert {o.value.like.pk for o in outcomes} == {Like.objects.get(participant=bob).pk}
    assert sum(o.value.changed for o in outcomes) == 1
    assert logged(board.question, "like.") == ["like.added"]


# Deleting while votes, likes and arguments arrive --------------------------------------------


def test_votes_racing_the_deletion_of_their_idea_are_refused_not_crashed(board: Board) -> None:
    votes = [board.vote(board.participant(f"Voter {n}")) for n in range(THREADS)]
    delete = partial(services.idea_delete, idea=board.fresh_idea())
    outcomes = race([*votes[: THREADS // 2], delete, *votes[THREADS // 2 :]])
    assert unexpected(outcomes, "deleted") == []
    assert not Idea.objects.filter(pk=board.idea.pk).exists()
    assert not Vote.objects.filter(idea_id=board.idea.pk).exists()


def test_browsers_voting_for_an_idea_being_deleted_get_no_error_page(
    board: Board, server_errors: list[str]
) -> None:
    alice = Person("Alice").organise(board.question, board.admin_key)
    people = [Person(f"Voter {n}").join(board.question) for n in range(BROWSERS)]
    votes = [partial(htmx_post, browser_of(p), board.vote_url()) for p in people]
    delete_url = f"/q/{board.question.pk}/idea/{board.idea.pk}/delete/"
    delete = partial(htmx_post, browser_of(alice), delete_url)
    outcomes = race([*votes[: BROWSERS // 2], delete, *votes[BROWSERS // 2 :]])
    assert unexpected(outcomes) == []
    assert server_errors == []
    assert outcomes.pop(BROWSERS // 2).value < 400  # the deletion
    # Counted before the deletion, unknown idea (404), or "This idea has been deleted." (409).
    assert {o.value for o in outcomes} <= {200, 404, 409}
    assert not Vote.objects.filter(idea_id=board.idea.pk).exists()


def test_likes_and_pros_racing_a_deletion_are_refused_not_crashed(board: Board) -> None:
    argument = services.argument_add(
        idea=board.idea, author=board.author, kind=Argument.Kind.PRO, text="Quiet, and a jetty."
    )
    people = [board.participant(f"Voter {n}") for n in range(THREADS)]
    likes = [
        partial(
            services.like_add,
            argument=Argument.objects.select_related("idea__question").get(pk=argument.pk),
            participant=person,
        )
        for person in people[: THREADS // 2]
    ]
    pros = [
        partial(
            services.argument_add,
            idea=board.fresh_idea(),
            author=person,
            kind=Argument.Kind.PRO,
            text="And a sauna.",
        )
        for person in people[THREADS // 2 :]
    ]
    delete = partial(services.idea_delete, idea=board.fresh_idea())
    outcomes = race([*likes, delete, *pros])
    assert unexpected(outcomes, "deleted") == []
    assert not Argument.objects.filter(idea_id=board.idea.pk).exists()
    assert not Like.objects.filter(argument_id=argument.pk).exists()


# Merging ideas while people vote -------------------------------------------------------------


@pytest.mark.parametrize("cap", [None, 3])
def test_a_merge_amid_votes_loses_no_vote_and_counts_none_twice(
    board: Board, cap: int | None
) -> None:
    """Votes for both ideas race a merge of one into the other. Whatever the order: the
    duplicate is gone, everyone who voted for either has exactly one vote for the idea that
    stays, a vote for the duplicate that came after the merge is refused as deleted, and every
    stored count is its rows' number (the board's check)."""
    Question.objects.filter(pk=board.question.pk).update(max_votes=cap)
    keep = board.idea
    duplicate = services.idea_add(question=board.question, author=board.author, title="Lake")
    voters = [board.participant(f"Voter {n}") for n in range(THREADS - 1)]
    early = voters[: len(voters) // 3]  # voted for the duplicate before
    for voter in early:
        services.vote_cast(idea=board.fresh_idea(duplicate), participant=voter)
    votes = [board.vote(voter, keep if n % 2 else duplicate) for n, voter in enumerate(voters)]
    merge = partial(
        services.idea_merge, keep=board.fresh_idea(keep), merged=board.fresh_idea(duplicate)
    )
    outcomes = race([*votes, merge])

    assert unexpected(outcomes, "deleted") == []
    assert outcomes[-1].error is None
    assert not Idea.objects.filter(pk=duplicate.pk).exists()
    voted = {voter.pk for voter, o in zip(voters, outcomes, strict=False) if o.error is None}
    stays = list(Vote.objects.filter(idea=keep).values_list("participant_id", flat=True))
    assert sorted(stays) == sorted(voted | {voter.pk for voter in early})
    assert Idea.objects.get(pk=keep.pk).vote_count == len(stays)
    refused = [o for o in outcomes[:-1] if o.error is not None]
    assert all(o.refused == "deleted" for o in refused)


# The database's own guard -------------------------------------------------------------------


@pytest.mark.postgres
def test_the_unique_constraint_alone_keeps_one_vote(
    board: Board, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Take the question lock away: the inserts now really race, and the unique constraint
    (INSERT … ON CONFLICT DO NOTHING) must still keep one vote and raise nothing (Consul 2415).

    PostgreSQL only: SQLite's IMMEDIATE transactions queue every writer, so once the lock is
    gone there is still no race to lose."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite queues writers even without the lock")

    def unlocked(question_id: str) -> Question:
        # The next version, read without locking the row (the one vote that wins logs it).
        question = Question.objects.get(pk=question_id)
        question.version += 1
        return question

    monkeypatch.setattr(hot, "bump_version", unlocked)
    monkeypatch.setattr(hot, "casts_in_one_statement", lambda: False)  # it locks the question
    bob = board.participant("Bob")
    outcomes = race([board.vote(bob) for _ in range(THREADS)])
    assert unexpected(outcomes) == []
    assert Vote.objects.filter(idea=board.idea, participant=bob).count() == 1
    assert {o.value.pk for o in outcomes} == stored_votes(board.idea)


# A vote waiting for a change that holds the question (PostgreSQL) ------------------------------


def _waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


def _cast_while_held(board: Board, voter: Participant, change: Callable[[], None]) -> Outcome:
    """`voter` votes while this thread holds the question (as every change does) and makes
    `change`; the vote waits for the lock, and goes on when this commits."""
    outcome = Outcome()
    cast = partial(services.vote_cast, idea=board.fresh_idea(), participant=voter)

    def run() -> None:
        try:
            outcome.value = cast()
        except BaseException as error:
            outcome.error = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    with transaction.atomic():
        hot.bump_version(board.question.pk)
        change()
        thread.start()
        deadline = time.monotonic() + SECONDS
        while not _waiting_for_a_lock():  # the vote has begun: now let it go
            assert time.monotonic() < deadline and thread.is_alive()
            time.sleep(0.01)
    thread.join(SECONDS)
    return outcome


@pytest.mark.postgres
def test_a_vote_waiting_for_a_change_answers_with_the_voters_after_both(board: Board) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: it watches the lock in pg_stat_activity")
    bob, carol = board.participant("Bob"), board.participant("Carol")
    # Bob's vote lands while Carol's waits: her answer counts and names both.
    outcome = _cast_while_held(
        board, carol, lambda: services.vote_cast(idea=board.idea, participant=bob)
    )
    assert outcome.error is None and outcome.value.changed
    assert (outcome.value.idea_vote_count, outcome.value.first_voters) == (2, ("Bob", "Carol"))
    assert hot.votes_of(board.idea.pk, first=3) == (2, ["Bob", "Carol"])


@pytest.mark.postgres
def test_a_vote_waiting_while_its_idea_is_deleted_is_refused_and_writes_nothing(
    board: Board,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: it watches the lock in pg_stat_activity")
    bob = board.participant("Bob")
    version = Question.objects.get(pk=board.question.pk).version
    outcome = _cast_while_held(board, bob, lambda: Idea.objects.filter(pk=board.idea.pk).delete())
    assert isinstance(outcome.error, services.ActionRefused)
    assert outcome.error.code == "deleted"
    assert not Vote.objects.filter(participant=bob).exists()
    # Only the deletion's version: the vote's bump was rolled back and it logged nothing.
    assert Question.objects.get(pk=board.question.pk).version == version + 1
    assert not Event.objects.filter(question=board.question, type="vote.cast").exists()


@pytest.mark.postgres
@pytest.mark.parametrize(("cap", "runs"), [(None, 1), (5, 2)])
def test_a_vote_that_waited_is_cast_by_its_first_run_unless_a_cap_needs_a_current_count(
    board: Board, monkeypatch: pytest.MonkeyPatch, cap: int | None, runs: int
) -> None:
    """Under a crowd nearly every vote waits for the question: without a cap, the statement that
    waited casts the vote itself; with one, the votes it counted may be old, so it runs again."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: it watches the lock in pg_stat_activity")
    Question.objects.filter(pk=board.question.pk).update(max_votes=cap)
    bob, carol = board.participant("Bob"), board.participant("Carol")
    calls: list[bool] = []
    cast = hot.cast

    def counted(**kwargs: Any) -> Any:
        calls.append(kwargs["uncapped_after_wait"])
        return cast(**kwargs)

    monkeypatch.setattr(hot, "cast", counted)
    outcome = _cast_while_held(
        board, carol, lambda: services.vote_cast(idea=board.idea, participant=bob)
    )
    assert outcome.error is None and outcome.value.changed
    assert (outcome.value.idea_vote_count, outcome.value.first_voters) == (2, ("Bob", "Carol"))
    assert len(calls) == 1 + runs  # Bob's, then Carol's
    assert hot.votes_of(board.idea.pk, first=3) == (2, ["Bob", "Carol"])
    assert Event.objects.filter(question=board.question, type="vote.cast").count() == 2


# Limits: ideas per person and in total, several votes on one idea -----------------------------


def test_it_holds_the_ideas_per_person_limit_when_someone_adds_many_at_once(board: Board) -> None:
    Question.objects.filter(pk=board.question.pk).update(max_ideas_per_person=2)
    bob = board.participant("Bob")
    question = Question.objects.get(pk=board.question.pk)
    adds = [
        partial(services.idea_add, question=question, author=bob, title=f"Bob's idea {n}")
        for n in range(THREADS)
    ]
    outcomes = race(adds)
    assert unexpected(outcomes, "idea_limit_per_person") == []
    assert sorted(o.refused or "added" for o in outcomes) == (
        ["added"] * 2 + ["idea_limit_per_person"] * (THREADS - 2)
    )
    assert Idea.objects.filter(author=bob).count() == 2


def test_it_holds_the_ideas_in_total_limit_when_many_add_at_once(board: Board) -> None:
    Question.objects.filter(pk=board.question.pk).update(max_ideas=4)  # one is there already
    question = Question.objects.get(pk=board.question.pk)
    people = [board.participant(f"Person {n}") for n in range(THREADS)]
    outcomes = race(
        [
            partial(services.idea_add, question=question, author=p, title=f"Idea of {p.name}")
            for p in people
        ]
    )
    assert unexpected(outcomes, "idea_limit") == []
    assert sum(o.error is None for o in outcomes) == 3
    assert Idea.objects.filter(question=question).count() == 4


def test_stacked_votes_hold_both_caps_and_their_counts_when_added_at_once(board: Board) -> None:
    Question.objects.filter(pk=board.question.pk).update(max_votes_per_idea=3, max_votes=4)
    other = services.idea_add(question=board.question, author=board.author, title="The city")
    bob = board.participant("Bob")
    adds = [
        partial(services.vote_add, idea=board.fresh_idea(idea), participant=bob)
        for idea in (board.idea, other)
        for _ in range(THREADS // 2)
    ]
    outcomes = race(adds)
    assert unexpected(outcomes, "vote_cap", "vote_cap_per_idea") == []
    mine = Vote.objects.filter(participant=bob)
    assert mine.count() <= 4
    for idea in (board.idea, other):
        stacks = sorted(mine.filter(idea=idea).values_list("stack", flat=True))
        assert stacks == list(range(1, len(stacks) + 1))  # one row per stack, none missing
        assert len(stacks) <= 3
    # The fixture checks that every idea's count is its rows after the race.


def test_a_person_setting_the_same_number_of_votes_at_once_gets_it_once(board: Board) -> None:
    Question.objects.filter(pk=board.question.pk).update(max_votes_per_idea=3)
    bob = board.participant("Bob")
    sets = [
        partial(services.vote_set, idea=board.fresh_idea(), participant=bob, votes=3)
        for _ in range(THREADS)
    ]
    outcomes = race(sets)
    assert unexpected(outcomes) == []
    assert sorted(Vote.objects.filter(participant=bob).values_list("stack", flat=True)) == [1, 2, 3]
    assert sum(o.value.changed for o in outcomes) == 1
    assert Idea.objects.get(pk=board.idea.pk).vote_count == 3
