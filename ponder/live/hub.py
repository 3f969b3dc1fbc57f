"""Fan-out of question events to the live streams of this process, and between processes.

The event log lives in the database (`ponder.live.models.Event`, written in the same transaction
as the change), so it is complete, ordered and survives restarts. What travels between processes
is only a wake-up call, "question Q is at version V":

- one process (no REDIS_URL): the wake-up is a direct call;
- several processes (REDIS_URL): it is published on one Redis channel, and each process keeps one
  subscription for all its streams. A thread of its own publishes (`Publisher`), so a write never
  waits for Redis, and the wake-ups that pile up meanwhile go out together;
- Redis gone: each process polls the log for the questions it streams every POLL_SECONDS, so
  live updates slow down but nothing is lost, and they speed up again when Redis is back. Even
  with Redis up it looks every SWEEP_SECONDS, for a wake-up lost on the way (a publisher that
  could not reach Redis while this process could).

Each process keeps one `QuestionFeed` per question with listeners; a wake-up makes the feed read
the new events from the database once and hand them to every local listener, so 5,000 open pages
on one question cost one query per change, not 5,000. Each event is formatted once, too
(`Event.sse`), not once per listener.
"""

import asyncio
import atexit
import contextlib
import functools
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Max
from django.utils.module_loading import import_string

from .db import db_read
from .models import Event

logger = logging.getLogger(__name__)

CHANNEL = "ponder:events"
POLL_SECONDS = 2.0
SWEEP_SECONDS = 15.0
REDIS_TIMEOUT = 1.0  # seconds: a hung Redis must never hold up a write for longer
REDIS_RETRY_SECONDS = 5.0
PUBLISH_GATHER_SECONDS = 0.005  # a wake-up waits this long for others to go out with it
PULL_LIMIT = 500
FANOUT_CHUNK = 250  # streams woken before other work gets a turn
KEEPALIVE_SECONDS = 15.0  # a comment line on idle streams, so proxies do not close them
# The wake-up "the question is gone" (`Hub.end`): a version no question reaches.
GONE = 2**62


class StreamEnded(Exception):
    """Raised in a listener of a question that was deleted (`Hub.end`)."""


@dataclass(eq=False)
class QuestionFeed:
    question_id: str
    version: int  # every event up to here has been handed to the listeners
    listeners: set[asyncio.Queue[Event | None]] = field(default_factory=set)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    pull_waiting: bool = False  # a burst of 800 votes costs a few reads, not 800
    gone: bool = False  # the question was deleted (`Hub.end`)


def _events_after(question_id: str, version: int, limit: int = PULL_LIMIT) -> list[Event]:
    events = list(
        Event.objects.filter(question_id=question_id, version__gt=version).order_by("version")[
            :limit
        ]
    )
    if events:
        _describer()(question_id, events)
    return events


@functools.cache
def _describer() -> Callable[[str, list[Event]], None]:
    """`settings.PONDER_LIVE_DESCRIBE`: puts what every reader sees alike into the events
    (`Event.public`), once per read of the log, not once per listener."""
    return import_string(settings.PONDER_LIVE_DESCRIBE)


def _versions(question_ids: list[str]) -> dict[str, int]:
    """The newest version in the log of each of these questions (that has one)."""
    latest = (
        Event.objects.filter(question_id__in=question_ids)
        .values("question_id")
        .annotate(latest=Max("version"))
        .values_list("question_id", "latest")
    )
    return dict(latest)


events_after = db_read(_events_after)
versions = db_read(_versions)


class Hub:
    """The per-process registry of live listeners. Thread-safe `notify`; async everything else."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.feeds: dict[str, QuestionFeed] = {}
        self.connections = 0
        self.redis_ok = False
        self._tasks: list[asyncio.Task[None]] = []
        self._pulls: set[asyncio.Future[None]] = set()
        self._redis_since = 0.0
        self.publisher = Publisher()
        self._count_lock = threading.Lock()  # Django may close a response in a worker thread

    # Writing side (sync, called after commit by the services) -------------------------------

    def notify(self, question_id: str, version: int) -> None:
        """Wake the streams of `question_id`, here and (through Redis) in every other process."""
        loop = self.loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._wake, question_id, version)
        if getattr(settings, "REDIS_URL", None):
            self.publisher.put(question_id, version)

    def end(self, question_id: str) -> None:
        """End the streams of a deleted question, here and in every other process: their log
        went with it, so no event would ever tell them. (Redis away, or the wake-up lost, the
        other processes find its log gone when they poll: `_catch_up`.)"""
        self.notify(question_id, GONE)

    # Admission (in the server's event loop) -------------------------------------------------

    def admit(self) -> "Slot | None":
        """One of the PONDER_MAX_STREAMS places on this process, or None when all are taken.

        Counted when the stream is admitted, not when it starts sending: a burst of clients
        arriving together must not all slip past the limit."""
        with self._count_lock:
            if self.connections >= settings.PONDER_MAX_STREAMS:
                return None
            self.connections += 1
        return Slot(self)

    # Reading side (async, in the server's event loop) ----------------------------------------

    def _wake(self, question_id: str, version: int) -> None:
        feed = self.feeds.get(question_id)
        if feed is not None and version >= GONE:
            feed.gone = True
            for queue in list(feed.listeners):
                queue.put_nowait(None)  # each listener wakes, and finds the feed gone
        elif feed is not None and version > feed.version:
            self._spawn_pull(feed)

    def _spawn_pull(self, feed: QuestionFeed) -> None:
        if feed.pull_waiting:
            return  # the pull that is waiting for its turn will read this change too
        feed.pull_waiting = True
        task = asyncio.ensure_future(self._pull(feed))
        self._pulls.add(task)  # keep a reference until done, or it may be collected
        task.add_done_callback(self._pulls.discard)

    async def _pull(self, feed: QuestionFeed) -> None:
        async with feed.lock:
            feed.pull_waiting = False  # a change from now on needs another pull
            while True:
                try:
                    events = await events_after(feed.question_id, feed.version)
                except Exception:
                    logger.warning("could not read events of %s", feed.question_id, exc_info=True)
                    return
                if not events:
                    return
                # A listener that joins from here on and is behind reads the log itself.
                feed.version = events[-1].version
                listeners = list(feed.listeners)
                for start in range(0, len(listeners), FANOUT_CHUNK):
                    if start:
                        # Let other requests in between: thousands of streams waking at once
                        # must not hold up the vote that caused it, or anyone else's page.
                        await asyncio.sleep(0)
                    for queue in listeners[start : start + FANOUT_CHUNK]:
                        for event in events:
                            queue.put_nowait(event)
                if len(events) < PULL_LIMIT:
                    return

    def _start(self) -> None:
        if self.loop is not None and not self.loop.is_closed():
            return
        # The first stream of this process (or of a new event loop, in tests): start the helpers.
        loop = asyncio.get_running_loop()
        self.loop = loop
        self.feeds.clear()
        self._tasks = [
            loop.create_task(self._poll_forever()),
            loop.create_task(self._keepalive_forever()),
        ]
        if getattr(settings, "REDIS_URL", None):
            self._tasks.append(loop.create_task(self._listen_forever()))

    async def _poll_forever(self) -> None:
        """Poll often while Redis is not delivering (or not configured), rarely while it is."""
        last_sweep = time.monotonic()
        while True:
            await asyncio.sleep(POLL_SECONDS)
            now = time.monotonic()
            # Just after Redis is back, a process that failed to publish may still be waiting
            # out REDIS_RETRY_SECONDS before it tries again: keep polling until it has.
            trusted = self.redis_ok and now - self._redis_since > REDIS_RETRY_SECONDS + 1
            if trusted and now - last_sweep < SWEEP_SECONDS:
                continue
            last_sweep = now
            with contextlib.suppress(Exception):
                await self._catch_up()

    async def _catch_up(self) -> None:
        """Pull every feed that is behind its question, finding out which in one query."""
        feeds = [feed for feed in list(self.feeds.values()) if feed.listeners]
        for start in range(0, len(feeds), 500):
            chunk = feeds[start : start + 500]
            try:
                latest = await versions([feed.question_id for feed in chunk])
            except Exception:
                logger.warning("could not poll for live events", exc_info=True)
                return
            for feed in chunk:
                newest = latest.get(feed.question_id)
                if newest is None and feed.version > 0:
                    # Its log is gone, and a log is never shortened: the question was deleted
                    # (and the wake-up `end` sent was lost, or came before this process
                    # listened on Redis).
                    self._wake(feed.question_id, GONE)
                elif (newest or 0) > feed.version:
                    self._spawn_pull(feed)

    async def _listen_forever(self) -> None:
        import redis.asyncio as aioredis

        while True:
            client = aioredis.Redis.from_url(
                settings.REDIS_URL,
                socket_connect_timeout=REDIS_TIMEOUT,
                socket_keepalive=True,
                health_check_interval=10,
            )
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(CHANNEL)
                    self.redis_ok = True
                    self._redis_since = time.monotonic()
                    logger.info("live updates: listening on Redis")
                    # Anything published while we were away is in the log: catch up once.
                    await self._catch_up()
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._on_message(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception:
                if self.redis_ok:
                    logger.warning("Redis subscription lost; polling until it is back")
            finally:
                self.redis_ok = False
                with contextlib.suppress(Exception):
                    await client.aclose()
            await asyncio.sleep(REDIS_RETRY_SECONDS / 5)

    def _on_message(self, data: bytes) -> None:
        question_id, _, version = data.decode(errors="replace").partition(":")
        try:
            self._wake(question_id, int(version))
        except ValueError:
            logger.warning("ignoring a malformed message on %s: %r", CHANNEL, data[:100])

    async def listen(self, question_id: str, since: int) -> AsyncIterator[list[Event]]:
        """Every event of the question after version `since`, in order, then the live ones.

        Yields the events in batches (all that are waiting when the stream gets to send: one
        write instead of many when changes come fast), and an empty batch every
        KEEPALIVE_SECONDS, so the caller can keep the connection warm."""
        self._start()
        # Join the feed before reading the log, and without waiting in between: an event
        # committed meanwhile is then either in the log read below or delivered to the queue
        # (or both: duplicates are skipped by version).
        feed = self.feeds.get(question_id)
        behind = feed is None or since < feed.version
        if feed is None:
            feed = self.feeds[question_id] = QuestionFeed(question_id, since)
        queue: asyncio.Queue[Event | None] = asyncio.Queue()
        feed.listeners.add(queue)
        try:
            sent = since
            # A listener that joins a feed at or past its version will get everything after
            # that from the feed: only the others read the log (5,000 pages opened at the
            # same version cost no query each).
            while behind:
                missed = await events_after(question_id, sent)
                if missed:
                    sent = missed[-1].version
                    yield missed
                behind = len(missed) == PULL_LIMIT
            while True:
                batch = [await queue.get()]
                while not queue.empty():
                    batch.append(queue.get_nowait())
                if feed.gone:
                    raise StreamEnded(question_id)
                fresh = [event for event in batch if event is not None and event.version > sent]
                if fresh:
                    sent = fresh[-1].version
                    yield fresh
                elif None in batch:
                    yield []
        finally:
            feed.listeners.discard(queue)
            if not feed.listeners and self.feeds.get(question_id) is feed:
                del self.feeds[question_id]

    async def _keepalive_forever(self) -> None:
        """One timer for all streams of the process, rather than one per stream and event."""
        while True:
            await asyncio.sleep(KEEPALIVE_SECONDS)
            for feed in list(self.feeds.values()):
                for queue in list(feed.listeners):
                    queue.put_nowait(None)


class Publisher:
    """Publishes the wake-ups of this process on Redis, from a thread of its own.

    A write only leaves its wake-up here: it never waits for Redis (a hung Redis used to hold each
    write for up to REDIS_TIMEOUT), nor pays for the round trip and redis-py's own work (about
    0.2 ms of CPU each: 13% of a vote in bench/profile_page.py). Wake-ups that come within
    PUBLISH_GATHER_SECONDS, or while a batch is on its way, go out together in one round trip,
    and only the newest version of each question: a wake-up means "at version V or later", and
    the listener reads every event it has not had (`Hub._wake`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, int] = {}
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._client = None
        self._down_until = 0.0
        self.batches = 0  # sent, for the tests

    def put(self, question_id: str, version: int) -> None:
        with self._lock:
            if version > self._pending.get(question_id, -1):
                self._pending[question_id] = version
            if self._thread is None or not self._thread.is_alive():
                self._start()
        self._ready.set()

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ponder-publisher", daemon=True)
        self._thread.start()
        atexit.register(self.flush)

    def _run(self) -> None:
        while True:
            self._ready.wait()
            # Let the wake-ups of a burst of votes gather: one batch instead of one each.
            time.sleep(PUBLISH_GATHER_SECONDS)
            self._ready.clear()
            self.flush()

    def flush(self) -> None:
        """Send what is waiting, now (also at exit, so that no wake-up is left behind)."""
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending or time.monotonic() < self._down_until:
            return  # while Redis is down, the other processes poll the log
        try:
            if self._client is None:
                import redis

                self._client = redis.Redis.from_url(
                    settings.REDIS_URL,
                    socket_timeout=REDIS_TIMEOUT,
                    socket_connect_timeout=REDIS_TIMEOUT,
                )
            messages = [f"{question_id}:{version}" for question_id, version in pending.items()]
            if len(messages) == 1:
                self._client.publish(CHANNEL, messages[0])  # cheaper than a pipeline of one
            else:
                pipeline = self._client.pipeline(transaction=False)
                for message in messages:
                    pipeline.publish(CHANNEL, message)
                pipeline.execute()
            self.batches += 1
        except Exception:
            # The writes have committed and their events are in the log: the other processes
            # will find them when they poll. Stop trying for a few seconds.
            logger.warning("Redis unreachable; live updates fall back to polling", exc_info=True)
            self._down_until = time.monotonic() + REDIS_RETRY_SECONDS


class Slot:
    """A stream's place on this process; given back once, however the stream ends."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.held = True

    def release(self) -> None:
        with self.hub._count_lock:
            if self.held:
                self.held = False
                self.hub.connections -= 1


hub = Hub()
