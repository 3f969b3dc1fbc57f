"""Requests take turns at running their Python (`ponder/lib/handler.py`, `Turns`): a few at once,
the others waiting on the event loop; a stuck turn holds nobody up for long, and the health check
never waits for one."""

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.conf import settings
from django.core import signals

from ponder.lib import handler
from ponder.lib.handler import PooledASGIHandler, Turns
from ponder.questions.models import Question


def test_a_second_request_waits_until_the_first_gives_its_turn_back() -> None:
    async def run() -> list[str]:
        turns = Turns(1)
        order: list[str] = []
        assert await turns.take()
        second = asyncio.create_task(turns.take())
        await asyncio.sleep(0.01)
        assert not second.done()  # waiting
        order.append("first done")
        turns.give_back()
        assert await second
        order.append("second runs")
        turns.give_back()
        return order

    assert _run(run()) == ["first done", "second runs"]


def test_as_many_as_there_are_turns_run_at_once() -> None:
    async def run() -> tuple[bool, bool]:
        turns = Turns(2)
        assert await turns.take()
        assert await asyncio.wait_for(turns.take(), 0.5)  # the second turn: at once
        third = asyncio.create_task(turns.take())
        await asyncio.sleep(0.01)
        waiting = not third.done()
        turns.give_back()
        return waiting, await third

    assert _run(run()) == (True, True)


def test_a_turn_that_never_comes_back_holds_others_up_for_the_stall_time_only() -> None:
    async def run() -> tuple[bool, float]:
        turns = Turns(1, stall=0.05)
        assert await turns.take()  # and never given back: a request stuck on a hung database
        started = time.monotonic()
        went_ahead = await turns.take()
        return went_ahead, time.monotonic() - started

    turn, waited = _run(run())
    assert turn is False  # went ahead without a turn
    assert 0.05 <= waited < 0.5


def test_a_moving_queue_is_waited_for_however_long_it_is() -> None:
    # Each turn comes back after 0.02 s; five waiters wait 0.02-0.1 s, longer than the stall
    # time for the last ones, and still each gets a turn: only a stuck queue is passed by.
    async def run() -> list[bool]:
        turns = Turns(1, stall=0.05)
        assert await turns.take()

        async def holder() -> None:
            for _ in range(6):
                await asyncio.sleep(0.02)
                turns.give_back()

        giving = asyncio.create_task(holder())
        got = await asyncio.gather(*(turns.take() for _ in range(5)))
        await giving
        return got

    assert _run(run()) == [True] * 5


def test_a_request_cancelled_while_it_waits_leaves_no_turn_behind() -> None:
    async def run() -> bool:
        turns = Turns(1, stall=10)
        assert await turns.take()
        waiter = asyncio.create_task(turns.take())
        await asyncio.sleep(0.01)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        turns.give_back()
        # The one turn is free again: taken at once, not held by the cancelled waiter.
        return await asyncio.wait_for(turns.take(), 0.5)

    assert _run(run()) is True


@pytest.fixture
def one_turn(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("PONDER_THREADS", "8")
    monkeypatch.setenv("PONDER_TURNS", "1")
    application = PooledASGIHandler()
    yield application
    application.pool.shutdown(wait=True)


@pytest.mark.django_db(transaction=True)
def test_requests_run_one_at_a_time_with_one_turn(
    one_turn: PooledASGIHandler, question: Question
) -> None:
    running = 0
    most = 0
    lock = threading.Lock()

    def started(**_: object) -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.01)  # long enough for the others to come in meanwhile

    def finished(**_: object) -> None:
        nonlocal running
        with lock:
            running -= 1

    _run(_together(one_turn, [f"/q/{question.pk}/"]))  # templates compiled: quick turns
    signals.request_started.connect(started)
    signals.request_finished.connect(finished)
    try:
        statuses = _run(_together(one_turn, [f"/q/{question.pk}/"] * 6))
    finally:
        signals.request_started.disconnect(started)
        signals.request_finished.disconnect(finished)
    assert statuses == [200] * 6
    assert most == 1


@pytest.mark.django_db(transaction=True)
def test_the_health_check_does_not_wait_for_a_turn(one_turn: PooledASGIHandler) -> None:
    async def run() -> tuple[int, float]:
        assert await one_turn.turns.take()  # held by a stuck request
        started = time.monotonic()
        [status] = await _together(one_turn, ["/healthz"])
        return status, time.monotonic() - started

    status, seconds = _run(run())
    assert status == 200
    assert seconds < handler.STALL_SECONDS  # a page would have waited out the stall time


@pytest.mark.django_db(transaction=True)
def test_a_page_goes_ahead_when_the_turns_are_stuck(
    one_turn: PooledASGIHandler, question: Question
) -> None:
    async def run() -> tuple[int, float]:
        assert await one_turn.turns.take()
        started = time.monotonic()
        [status] = await _together(one_turn, [f"/q/{question.pk}/"])
        return status, time.monotonic() - started

    status, seconds = _run(run())
    assert status == 200
    assert handler.STALL_SECONDS <= seconds < 5


def test_the_number_of_turns_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PONDER_TURNS", raising=False)
    monkeypatch.setenv("PONDER_THREADS", "12")
    database = settings.DATABASES["default"]
    monkeypatch.setitem(database, "ENGINE", "django.db.backends.sqlite3")
    assert handler.turns() == handler.DEFAULT_TURNS
    # PostgreSQL: every thread runs (requests wait on the server, not on each other).
    monkeypatch.setitem(database, "ENGINE", "django.db.backends.postgresql")
    assert handler.turns() == 12
    monkeypatch.setenv("PONDER_TURNS", "5")
    assert handler.turns() == 5


def _run(coroutine: Any) -> Any:
    """`asyncio.run` on a thread of its own: Playwright's sync API, which the browser tests use
    in the same pytest run, keeps an event loop running on the main thread."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


async def _together(app: PooledASGIHandler, paths: list[str]) -> list[int]:
    """GET each path at once, on this event loop; their statuses."""

    async def one(path: str) -> int:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"127.0.0.1")],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }
        sent: list[dict[str, Any]] = []
        done = asyncio.Event()

        async def receive() -> dict[str, Any]:
            if not sent:
                return {"type": "http.request", "body": b"", "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(scope, receive, send)
        done.set()
        return sent[0]["status"]

    return list(await asyncio.gather(*(one(path) for path in paths)))
