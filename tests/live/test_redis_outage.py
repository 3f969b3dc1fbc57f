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
    assert wait_until(lambda: subscribers(redis_server.url) >= 1, timeout=5)

    def follow(kind: str, *, within: float) -> float:
        """The next message is the next version, of that kind; returns when it came."""
        nonlocal version
        message = stream.next(timeout=within)
        version += 1
        assert (message.event, message.version) == (kind, version)
        return message.received

    bob.vote(a, question, risotto)
    follow("vote.cast", within=3)

    redis_server.stop()
    for server in (a, b):
        assert alice.get(server.url + page).status == 200
        assert bob.get(server.url + page).status == 200
    bob.vote(a, question, risotto, cast=False)
    pasta = alice.add_idea(b, question, "Pasta")
    bob.vote(b, question, pasta)
    for kind in ("vote.retracted", "idea.added", "vote.cast"):
        follow(kind, within=5)  # by polling: every two seconds
    # A stream opened while Redis is away starts, and replays from where it is asked to.
    late = listen(f"{a.url}/q/{question}/events?since={version - 1}")
    assert late.status == 200
    assert [late.next().event, late.next().event] == ["hello", "vote.cast"]

    redis_server.start()
    probe = redis.Redis.from_url(redis_server.url).pubsub()
    try:
        probe.subscribe(CHANNEL)
        # The processes find Redis again by themselves: B listens on it, A publishes on it.
        assert wait_until(lambda: subscribers(redis_server.url) >= 2, timeout=10)
        published = False
        deadline = time.monotonic() + 15
        cast = True
        while not published and time.monotonic() < deadline:
            bob.vote(a, question, risotto, cast=cast)
            follow("vote.cast" if cast else "vote.retracted", within=5)
            cast = not cast
            while message := probe.get_message(timeout=0.2):
                published |= message["type"] == "message"
            time.sleep(0.3)
        assert published, "A never published on Redis again"
    finally:
        probe.close()

    # Now each change arrives at once. Polling every two seconds could explain at most one of
    # three changes 0.6 s apart arriving within half a second.
    for _ in range(3):
        bob.vote(a, question, risotto, cast=cast)
        voted = time.monotonic()
        arrived = follow("vote.cast" if cast else "vote.retracted", within=3)
        assert arrived - voted < 0.5
        cast = not cast
        time.sleep(0.6)
