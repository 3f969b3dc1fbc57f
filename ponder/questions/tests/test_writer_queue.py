"""On SQLite, a process's transactions wait their turn in the order they began (docs/reliability.md
#12).

SQLite has one writer at a time. Its own busy handler lets a newcomer overtake writers that have
waited long, so each process queues its transactions first, fairly, from BEGIN to COMMIT or
ROLLBACK; the rest of the request (reading the answer back) does not wait. The timings under 50
writers are measured by tests/faults/test_sqlite_contention.py.
"""

import json
import threading
import time

import pytest
from django.db import connection, transaction
from django.test import Client

from ponder import database
from ponder.database import _FairLock, _Queued
from ponder.questions.models import Question


def queued(lock: _FairLock, waiters: int) -> None:
    deadline = time.monotonic() + 30
    while lock.waiting() < waiters:
        assert time.monotonic() < deadline, "the waiter never queued"
        time.sleep(0.005)


def test_the_queue_hands_over_in_the_order_writers_came() -> None:
    lock, order = _FairLock(), []
    assert lock.acquire(timeout=1)

    def writer(number: int) -> None:
        assert lock.acquire(timeout=5)
        order.append(number)
        lock.release()

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for number, thread in enumerate(writers):
        thread.start()
        queued(lock, number + 1)
    lock.release()
    for thread in writers:
        thread.join(timeout=5)
    assert order == list(range(8))


def test_a_writer_that_just_finished_does_not_overtake_one_that_waits() -> None:
    lock, order = _FairLock(), []
    assert lock.acquire(timeout=1)

    def waiting() -> None:
        assert lock.acquire(timeout=5)
        order.append("waited")
        time.sleep(0.05)
        lock.release()

    thread = threading.Thread(target=waiting)
    thread.start()
    queued(lock, 1)
    lock.release()
    assert lock.acquire(timeout=5)  # at once again: a plain threading.Lock lets this one in first
    order.append("came back")
    lock.release()
    thread.join(timeout=5)
    assert order == ["waited", "came back"]


def test_a_writer_that_gives_up_leaves_the_queue() -> None:
    lock = _FairLock()
    assert lock.acquire(timeout=1)
    assert not lock.acquire(timeout=0.05)
    assert not lock.waiting()
    lock.release()
    assert lock.acquire(timeout=0)


@pytest.fixture
def sqlite(transactional_db: None) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the queue is SQLite's: PostgreSQL has many writers")


def test_a_transaction_holds_the_queue_from_begin_to_commit(sqlite: None) -> None:
    writers = database.sqlite_writers
    with connection.execute_wrapper(_Queued(connection)):
        Question.objects.count()  # reading alone does not queue
        assert writers.acquire(timeout=0)
        writers.release()
        with transaction.atomic():
            Question.objects.count()
            assert not writers.acquire(timeout=0.01), "a transaction ran outside the queue"
        assert writers.acquire(timeout=0), "the queue was not passed on at COMMIT"
        writers.release()


def test_a_transaction_with_no_query_passes_the_queue_on_at_the_next_query(sqlite: None) -> None:
    writers = database.sqlite_writers
    with connection.execute_wrapper(_Queued(connection)):
        with transaction.atomic():
            pass  # BEGIN and COMMIT only: nothing to hang a commit hook on
        Question.objects.count()
        assert writers.acquire(timeout=0), "the queue was not passed on after the transaction"
        writers.release()


def test_a_transaction_that_rolls_back_passes_the_queue_on(sqlite: None) -> None:
    writers = database.sqlite_writers
    with connection.execute_wrapper(_Queued(connection)):
        with pytest.raises(ZeroDivisionError), transaction.atomic():
            Question.objects.count()
            _ = 1 / 0
        Question.objects.count()  # the next query finds the transaction over
        assert writers.acquire(timeout=0)
        writers.release()


def test_a_request_that_ends_after_a_rollback_passes_the_queue_on(sqlite: None) -> None:
    writers = database.sqlite_writers
    queued = _Queued(connection)
    with (
        connection.execute_wrapper(queued),
        pytest.raises(ZeroDivisionError),
        transaction.atomic(),
    ):
        Question.objects.count()
        _ = 1 / 0
    queued.end()  # what the middleware does as the request ends
    assert writers.acquire(timeout=0)
    writers.release()


def test_a_write_that_waits_too_long_for_its_turn_gets_503_and_can_retry(
    sqlite: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "SQLITE_QUEUE_SECONDS", 0.1)
    writers = database.sqlite_writers
    ask = {"path": "/api/v1/questions", "content_type": "application/json"}
    body = json.dumps({"title": "Where should the team offsite be?"})
    assert writers.acquire(timeout=1)  # someone else's transaction, taking long
    try:
        refused = Client().post(**ask, data=body)
    finally:
        writers.release()
    assert refused.status_code == 503
    assert refused["Retry-After"] == "5"
    assert not Question.objects.exists()
    assert Client().post(**ask, data=body).status_code == 201
    assert writers.acquire(timeout=0), "the request that was let in kept the queue"
    writers.release()
