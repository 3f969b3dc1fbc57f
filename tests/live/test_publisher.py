"""The wake-ups a process publishes on Redis: sent from a thread of their own, gathered, never in
a write's way."""

import signal
import threading
import time
from collections.abc import Iterator

import pytest
import redis

from ponder.live.hub import CHANNEL, Hub, Publisher

from .conftest import Redis, wait_until


class HeldPublisher(Publisher):
    """A publisher whose thread does not start: the test says when it sends."""

    def _start(self) -> None:
        pass


def _probe(url: str) -> redis.client.PubSub:
    pubsub = redis.Redis.from_url(url, socket_timeout=2).pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(CHANNEL)
    return pubsub


@pytest.fixture
def probe(redis_server: Redis, settings) -> Iterator[redis.client.PubSub]:
    """Ponder publishes on the private Redis; this listens there."""
    settings.REDIS_URL = redis_server.url
    pubsub = _probe(redis_server.url)
    yield pubsub
    pubsub.close()


def _received(pubsub: redis.client.PubSub, count: int, *, within: float = 10.0) -> list[str]:
    """The next `count` messages, or those that came within `within` seconds."""
    messages, deadline = [], time.monotonic() + within
    while len(messages) < count and time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.1)
        if message is not None:
            messages.append(message["data"].decode())
    return messages


def test_wake_ups_that_wait_together_go_out_once_each_question_at_its_newest_version(
    probe: redis.client.PubSub,
) -> None:
    publisher = HeldPublisher()
    for question, version in [("q1", 4), ("q1", 6), ("q2", 9), ("q1", 5)]:
        publisher.put(question, version)
    publisher.flush()
    assert publisher.batches == 1  # one round trip
    assert sorted(_received(probe, 2)) == ["q1:6", "q2:9"]
    publisher.flush()  # nothing left
    assert publisher.batches == 1


def test_a_write_hands_its_wake_up_to_the_thread_which_publishes_it(
    probe: redis.client.PubSub,
) -> None:
    hub = Hub()
    hub.notify("q1", 1)
    assert _received(probe, 1) == ["q1:1"]
    hub.notify("q1", 2)
    hub.notify("q2", 1)
    assert sorted(_received(probe, 2)) == ["q1:2", "q2:1"]


def test_a_hung_redis_does_not_hold_up_writes_and_publishing_resumes_after(
    redis_server: Redis, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.REDIS_URL = redis_server.url
    sent_from: list[str] = []  # the thread that sent each command to Redis
    send = redis.connection.AbstractConnection.send_packed_command

    def noting(self: object, *args: object, **kwargs: object) -> None:
        sent_from.append(threading.current_thread().name)
        send(self, *args, **kwargs)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", noting)
    hub = Hub()
    hub.notify("q1", 1)  # connected
    assert wait_until(lambda: hub.publisher.batches == 1, timeout=10)
    assert redis_server.process is not None
    redis_server.process.send_signal(signal.SIGSTOP)  # connects, never answers
    sent = len(sent_from)
    try:
        for version in range(2, 22):
            hub.notify("q1", version)
        # The writes came back while Redis hung. Each used to wait out the socket timeout (1 s)
        # before it could answer: now none of them talks to Redis, only the publisher does.
        assert wait_until(lambda: len(sent_from) > sent, timeout=10)  # the batch that meets it
    finally:
        redis_server.process.send_signal(signal.SIGCONT)
    assert set(sent_from) == {"ponder-publisher"}
    # The batch that met the hung Redis failed; after the pause the next one goes out.
    probe = _probe(redis_server.url)
    deadline = time.monotonic() + 15
    version, received = 100, []
    while not received and time.monotonic() < deadline:
        hub.notify("q1", version)
        received = _received(probe, 1, within=0.5)
        version += 1
    assert received and received[0].startswith("q1:")
    probe.close()
