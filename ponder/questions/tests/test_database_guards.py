"""On PostgreSQL, the watchdog of ponder/database.py covers every query of a request and the
COMMIT or ROLLBACK after them (docs/reliability.md #8): a server that stops answering mid-write
cannot hold the request. The SQLite writers' queue is tested in test_writer_queue.py."""

import time
from collections.abc import Iterator

import pytest
from django.db import OperationalError, connection, transaction

from ponder import database
from ponder.database import _Watched
from ponder.questions.models import Question


@pytest.fixture
def postgresql(transactional_db: None) -> Iterator[None]:
    if connection.vendor != "postgresql":
        pytest.skip("the watchdog is PostgreSQL's: SQLite answers or fails by itself")
    yield
    connection.close()  # a test may leave it cut


def armed() -> bool:
    return id(connection.connection) in database._watchdog.deadlines


def test_a_query_in_autocommit_is_watched_only_while_it_runs(postgresql: None) -> None:
    watched = _Watched(connection)
    with connection.execute_wrapper(watched):
        Question.objects.count()
        assert not armed()


def test_a_transaction_stays_watched_from_its_queries_until_it_has_committed(
    postgresql: None,
) -> None:
    watched = _Watched(connection)
    with connection.execute_wrapper(watched):
        with transaction.atomic():
            Question.objects.count()
            assert armed(), "the COMMIT to come is not watched"
        assert not armed(), "still watched after the COMMIT"


def test_a_transaction_that_rolls_back_stays_watched_until_the_request_ends(
    postgresql: None,
) -> None:
    watched = _Watched(connection)
    with connection.execute_wrapper(watched):
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            Question.objects.count()
            _ = 1 / 0
        assert armed()
    watched.disarm()  # what the middleware does as the request ends
    assert not armed()


def test_a_commit_that_does_not_answer_in_time_is_cut(postgresql: None, settings: object) -> None:
    """Between the transaction's last query and its COMMIT the server stops answering: here,
    the COMMIT comes later than the watchdog allows, which it cannot tell from a hung server."""
    settings.PONDER_DB_TIMEOUT = 0.75  # type: ignore[attr-defined]  # the watchdog's 1 s
    watched = _Watched(connection)
    with (
        connection.execute_wrapper(watched),
        pytest.raises(OperationalError),
        transaction.atomic(),
    ):
        Question.objects.create(title="Where should the team offsite be?")
        deadline = time.monotonic() + 10
        while armed() and time.monotonic() < deadline:
            time.sleep(0.05)  # the watchdog looks every 0.1 s
        assert not armed(), "the watchdog never cut the connection"
    connection.close()
    assert not Question.objects.exists()
