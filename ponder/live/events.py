"""Announcing changes. Every service that changes a question calls `publish` after its
transaction commits; listeners (the live stream, caches) subscribe here.

This module is the one place changes are announced. Today the fan-out is in-process; the live
update stream (server-sent events, Redis between processes) plugs in as a subscriber.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    question_id: str
    type: str  # "idea.added", "vote.cast", "question.closed", ...
    version: int
    ids: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "type": self.type,
            "version": self.version,
            "question": self.question_id,
            **self.ids,
        }


Listener = Callable[[Event], None]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> Callable[[], None]:
    """Call `listener` with every event published in this process; returns an unsubscribe."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener)


def publish(event: Event) -> None:
    for listener in list(_listeners):
        try:
            listener(event)
        except Exception:
            # A broken listener must never undo or fail a write that has already committed.
            logger.exception("live listener failed for %s", event.type)
