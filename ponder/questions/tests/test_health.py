"""GET /healthz tells the truth about the database, and in time (docs/reliability.md #8).

A load balancer asks it every few seconds. When the database answers, it says ok; when the
database hangs, it says so within a second (503, Retry-After) instead of waiting with the
database, and however many checks come, only one question to the database is out at a time.
The hang here is made by holding the health check's own connection attempt, on any database;
tests/faults/test_postgres_faults.py stops a real PostgreSQL.
"""

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test import Client
from django.urls import resolve

from ponder import database as middleware


@pytest.fixture(autouse=True)
def no_question_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(middleware, "_probe", None)
    resolve("/healthz")  # import the URLconf (the whole API) before anything is timed


class HungDatabase:
    def __init__(self) -> None:
        self.answer = threading.Event()
        self.asked = 0

    def release(self) -> None:
        self.answer.set()


@pytest.fixture
def hung_database(db: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[HungDatabase]:
    """The health check's connection to the database hangs until released; nothing else's."""
    hung = HungDatabase()
    wrapper = type(connections[DEFAULT_DB_ALIAS])
    ensure_connection = wrapper.ensure_connection

    def hanging(self: object) -> None:
        if threading.current_thread().name == "db-health":
            hung.asked += 1
            hung.answer.wait(timeout=30)
        ensure_connection(self)

    monkeypatch.setattr(wrapper, "ensure_connection", hanging)
    yield hung
    hung.release()
    probe = middleware._probe
    assert probe is None or probe.finished.wait(timeout=5)


class Waits(threading.Event):
    """A probe's `finished`, noting how long each check offered to wait for its answer."""

    def __init__(self) -> None:
        super().__init__()
        self.offered: list[float | None] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.offered.append(timeout)
        return super().wait(timeout)


def timed_check() -> tuple[float, object]:
    started = time.monotonic()
    response = Client().get("/healthz")
    return time.monotonic() - started, response


def test_it_answers_ok_when_the_database_answers(db: None) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": connection.vendor}


def test_it_says_unavailable_after_its_time_when_the_database_hangs(
    hung_database: HungDatabase,
) -> None:
    seconds, response = timed_check()
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": connection.vendor}
    assert response["Retry-After"] == "5"
    # It waited out its time, and no more: the database still hangs (for 30 s), unanswered.
    assert seconds >= middleware.HEALTH_CHECK_SECONDS
    assert not middleware._probe.finished.is_set()


def test_checks_during_a_hang_share_one_question_and_do_not_wait_again(
    hung_database: HungDatabase,
) -> None:
    assert Client().get("/healthz").status_code == 503
    probe = middleware._probe
    assert time.monotonic() >= probe.deadline  # the question out has run out of time
    probe.finished = waits = Waits()
    with ThreadPoolExecutor(10) as pool:
        later = list(pool.map(lambda _: Client().get("/healthz"), range(20)))
    assert {response.status_code for response in later} == {503}
    # Later checks are told at once: none offered to wait, and no new question went out.
    assert waits.offered == [0.0] * 20
    assert middleware._probe is probe
    assert hung_database.asked == 1
    assert [t.name for t in threading.enumerate()].count("db-health") == 1


def test_it_answers_ok_again_once_the_database_is_back(hung_database: HungDatabase) -> None:
    assert Client().get("/healthz").status_code == 503
    hung_database.release()
    assert middleware._probe is not None and middleware._probe.finished.wait(timeout=5)
    assert Client().get("/healthz").status_code == 200


def test_checks_that_come_together_share_one_question(db: None) -> None:
    with ThreadPoolExecutor(10) as pool:
        checks = list(pool.map(lambda _: Client().get("/healthz"), range(10)))
    assert {response.status_code for response in checks} == {200}
