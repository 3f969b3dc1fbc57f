"""Fan-out of question events to the live streams of this process, and between processes.

The event log lives in the database (`ponder.live.models.Event`, written in the same transaction
as the change), so it is complete, ordered and survives restarts. What travels between processes
is only a wake-up call, "question Q is at version V":

- one process (no REDIS_URL): the wake-up is a direct call;
- several processes (REDIS_URL): it is published on one Redis channel, and each process keeps one
  subscription for all its streams;
- Redis gone: each process polls the log of the questions it streams every POLL_SECONDS, so live
  updates slow down but nothing is lost, and they speed up again when Redis is back.

Each process keeps one `QuestionFeed` per question with listeners; a wake-up makes the feed read
the new events from the database once and hand them to every local listener, so 5,000 open pages
on one question cost one query per change, not 5,000.
"""

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from asgiref.sync import sync_to_async
from django.conf import settings

from .models import Event

logger = logging.getLogger(__name__)

CHANNEL = "ponder:events"
POLL_SECONDS = 2.0
REDIS_TIMEOUT = 1.0  # seconds: a hung Redis must never hold up a write for longer
REDIS_RETRY_SECONDS = 5.0


@dataclass
class QuestionFeed:
    question_id: str
    version: int
    listeners: set[asyncio.Queue[Event]] = field(default_factory=set)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def _events_after(question_id: str, version: int, limit: int = 500) -> list[Event]:
    return list(
        Event.objects.filter(question_id=question_id, version__gt=version).order_by("version")[
            :limit
        ]
    )


def _latest_version(question_id: str) -> int:
    last = Event.objects.filter(question_id=question_id).order_by("-version").first()
    return last.version if last else 0


events_after = sync_to_async(_events_after, thread_sensitive=False)
latest_version = sync_to_async(_latest_version, thread_sensitive=False)


class Hub:
    """The per-process registry of live listeners. Thread-safe `notify`; async everything else."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.feeds: dict[str, QuestionFeed] = {}
        self.connections = 0
        self.redis_ok = False
        self._tasks: list[asyncio.Task[None]] = []
        self._pulls: set[asyncio.Future[None]] = set()
        self._redis_down_until = 0.0
        self._publisher = None
        self._publisher_lock = threading.Lock()

    # Writing side (sync, called after commit by the services) -------------------------------

    def notify(self, question_id: str, version: int) -> None:
        """Wake the streams of `question_id`, here and (through Redis) in every other process."""
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._wake, question_id, version)
        self._publish(f"{question_id}:{version}")

    def _publish(self, message: str) -> None:
        url = getattr(settings, "REDIS_URL", None)
        if not url or time.monotonic() < self._redis_down_until:
            return
        try:
            with self._publisher_lock:
                if self._publisher is None:
                    import redis

                    self._publisher = redis.Redis.from_url(
                        url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
                    )
                self._publisher.publish(CHANNEL, message)
        except Exception:
            # The write has committed and the event is in the log: the other processes will find
            # it when they poll. Stop trying for a few seconds so writes stay fast.
            logger.warning("Redis unreachable; live updates fall back to polling", exc_info=True)
            self._redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS

    # Reading side (async, in the server's event loop) ----------------------------------------

    def _wake(self, question_id: str, version: int) -> None:
        feed = self.feeds.get(question_id)
        if feed is not None and version > feed.version:
            task = asyncio.ensure_future(self._pull(feed))
            self._pulls.add(task)  # keep a reference until done, or it may be collected
            task.add_done_callback(self._pulls.discard)

    async def _pull(self, feed: QuestionFeed) -> None:
        async with feed.lock:
            try:
                events = await events_after(feed.question_id, feed.version)
            except Exception:
                logger.warning("could not read events of %s", feed.question_id, exc_info=True)
                return
            for event in events:
                feed.version = event.version
                for queue in list(feed.listeners):
                    queue.put_nowait(event)

    def _start(self) -> None:
        if self.loop is not None:
            return
        self.loop = asyncio.get_running_loop()
        self._tasks.append(self.loop.create_task(self._poll_forever()))
        if getattr(settings, "REDIS_URL", None):
            self._tasks.append(self.loop.create_task(self._listen_forever()))

    async def _poll_forever(self) -> None:
        """While Redis is not delivering (or not configured with several processes), poll."""
        while True:
            await asyncio.sleep(POLL_SECONDS)
            if self.redis_ok:
                continue
            for feed in list(self.feeds.values()):
                if feed.listeners:
                    await self._pull(feed)

    async def _listen_forever(self) -> None:
        import redis.asyncio as aioredis

        while True:
            client = aioredis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=REDIS_TIMEOUT, health_check_interval=10
            )
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    self.redis_ok = True
                    # Anything published while we were away is in the log: catch up once.
                    for feed in list(self.feeds.values()):
                        await self._pull(feed)
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        question_id, _, version = message["data"].decode().partition(":")
                        self._wake(question_id, int(version or 0))
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("Redis subscription lost; polling until it is back", exc_info=True)
            finally:
                self.redis_ok = False
                with contextlib.suppress(Exception):
                    await client.aclose()
            await asyncio.sleep(REDIS_RETRY_SECONDS / 5)

    async def listen(
        self, question_id: str, since: int, *, idle: float = 15.0
    ) -> AsyncIterator[Event | None]:
        """Every event of the question after version `since`, in order, then live ones.

        Yields None after `idle` seconds without an event, so the caller can send a keepalive."""
        self._start()
        feed = self.feeds.get(question_id)
        if feed is None:
            feed = QuestionFeed(question_id, await latest_version(question_id))
            self.feeds[question_id] = feed
        queue: asyncio.Queue[Event] = asyncio.Queue()
        feed.listeners.add(queue)
        self.connections += 1
        try:
            sent = since
            # Catch up from the log; events that also arrive in the queue are skipped by version.
            for event in await events_after(question_id, sent, limit=10_000):
                sent = event.version
                yield event
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), idle)
                except TimeoutError:
                    yield None
                    continue
                if event.version > sent:
                    sent = event.version
                    yield event
        finally:
            self.connections -= 1
            feed.listeners.discard(queue)
            if not feed.listeners:
                self.feeds.pop(question_id, None)


hub = Hub()
