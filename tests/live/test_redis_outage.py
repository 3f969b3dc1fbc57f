"""Redis goes away while two processes serve a question, and comes back.

Meanwhile pages and writes keep working (no 5xx), the live streams keep delivering every change,
in order, by polling the database; once Redis is back, the wake-ups travel over it again.
"""

import time
from collections.abc import Callable

import redis

from ponder.live.hub import CHANNEL

from .conftest import EventStream, Redis, Servers, Visitor, wait_until


def subscribers(url: str) -> int:
    client = redis.Redis.from_url(url, socket_timeout=1)
    try:
        return dict(client.pubsub_numsub(CHANNEL)).get(CHANNEL.encode(), 0)
    except redis.RedisError:
        return 0
    finally:
        client.close()


def test_pages_writes_and_live_updates_outlive_redis_and_use_it_again_once_back(
    servers: Servers, redis_server: Redis, listen: Callable[..., EventStream]
) -> None:
    a, b = servers.start(2, REDIS_URL=redis_server.url)
    alice, bob = Visitor("Alice"), Visitor("Bob")
    question = alice.ask(a, "What should we cook on Friday?")
    alice.join(a, question)
    risotto = alice.add_idea(a, question, "Risotto")
    bob.join(a, question)
    page = f"/q/{question}/"

    stream = listen(f"{b.url}/api/v1/questions/{question}/events")
    version = stream.next().version
    # B holds a stream, so it listens on Redis (beside this test's own probes).
    assert wait_until(lambda: subscribers(redis_server.url) >= 1, timeout=20)

    def follow(kind: str, *, within: float) -> float:
        """The next message is the next version, of that kind; returns when it came."""
        nonlocal version
        message = stream.next(timeout=within)
        version += 1
        assert (message.event, message.version) == (kind, version)
        return message.received

    bob.vote(a, question, risotto)
    follow("vote.cast", within=15)

    redis_server.stop()
    for server in (a, b):
        assert alice.get(server.url + page).status == 200
        assert bob.get(server.url + page).status == 200
    bob.vote(a, question, risotto, cast=False)
    pasta = alice.add_idea(b, question, "Pasta")
    bob.vote(b, question, pasta)
    for kind in ("vote.retracted", "idea.added", "vote.cast"):
        follow(kind, within=15)  # by polling: every two seconds
    # A stream opened while Redis is away starts, and replays from where it is asked to.
    late = listen(f"{a.url}/q/{question}/events?since={version - 1}")
    assert late.status == 200
    assert [late.next().event, late.next().event] == ["hello", "vote.cast"]

    redis_server.start()
    # The processes find Redis again by themselves: both listen on it (A holds a stream too).
    assert wait_until(lambda: subscribers(redis_server.url) >= 2, timeout=20)
    probe = redis.Redis.from_url(redis_server.url).pubsub(ignore_subscribe_messages=True)
    try:
        probe.subscribe(CHANNEL)

        def published() -> list[bytes]:
            return [message["data"] for message in iter(lambda: probe.get_message(), None)]

        # A publishes on it again once it has waited out its pause after the failure.
        wake_ups: list[bytes] = []
        deadline = time.monotonic() + 30
        cast = True
        while not wake_ups and time.monotonic() < deadline:
            bob.vote(a, question, risotto, cast=cast)
            follow("vote.cast" if cast else "vote.retracted", within=15)
            cast = not cast
            wake_ups = wait_until(published, timeout=0.5) or []
        assert wake_ups, "A never published on Redis again"

        # Now each change's wake-up travels over Redis, to the processes listening there.
        for _ in range(3):
            bob.vote(a, question, risotto, cast=cast)
            follow("vote.cast" if cast else "vote.retracted", within=15)
            wake_up = f"{question}:{version}".encode()

            def came(wake_up: bytes = wake_up) -> bool:
                wake_ups.extend(published())
                return wake_up in wake_ups

            assert wait_until(came, timeout=10), (wake_up, wake_ups)
            cast = not cast
    finally:
        probe.close()
