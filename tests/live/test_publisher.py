"""The wake-ups a process publishes on Redis: sent from a thread of their own, gathered, never in
a write's way."""

import signal
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


def _received(pubsub: redis.client.PubSub, *, within: float = 2.0) -> list[str]:
    messages, deadline = [], time.monotonic() + within
    while time.monotonic() < deadline:
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
    assert sorted(_received(probe)) == ["q1:6", "q2:9"]
    publisher.flush()  # nothing left
    assert publisher.batches == 1


def test_a_write_hands_its_wake_up_to_the_thread_which_publishes_it(
    probe: redis.client.PubSub,
) -> None:
    hub = Hub()
    hub.notify("q1", 1)
    assert _received(probe, within=1) == ["q1:1"]
    hub.notify("q1", 2)
    hub.notify("q2", 1)
    assert sorted(_received(probe, within=1)) == ["q1:2", "q2:1"]


def test_a_hung_redis_does_not_hold_up_writes_and_publishing_resumes_after(
    redis_server: Redis, settings
) -> None:
    settings.REDIS_URL = redis_server.url
    hub = Hub()
    hub.notify("q1", 1)  # connected
    assert wait_until(lambda: hub.publisher.batches == 1, timeout=2)
    assert redis_server.process is not None
    redis_server.process.send_signal(signal.SIGSTOP)  # connects, never answers
    try:
        started = time.monotonic()
        for version in range(2, 22):
            hub.notify("q1", version)
        # Each used to wait out the socket timeout (1 s) before the write could answer.
        assert time.monotonic() - started < 0.5
    finally:
        redis_server.process.send_signal(signal.SIGCONT)
    # The batch that met the hung Redis failed; after the pause the next one goes out.
    probe = _probe(redis_server.url)
    deadline = time.monotonic() + 15
    version, received = 100, []
    while not received and time.monotonic() < deadline:
        hub.notify("q1", version)
        received = _received(probe, within=0.5)
        version += 1
    assert received and received[0].startswith("q1:")
    probe.close()
