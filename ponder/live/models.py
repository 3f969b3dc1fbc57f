import json
from functools import cached_property

from django.db import models
from django.utils import timezone


def sse_message(kind: str, data: dict[str, object], event_id: int | None = None) -> bytes:
    """One server-sent event: `id:` (the version), `event:` (the type) and `data:` (JSON)."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    body = json.dumps(data, separators=(",", ":"))
    return f"{head}event: {kind}\ndata: {body}\n\n".encode()


class Event(models.Model):
    """One change to a question, written in the same transaction as the change itself.

    The live streams replay from here (a reconnecting browser says the last version it saw), so
    an event is never lost between processes, over a Redis outage or across a restart."""

    question = models.ForeignKey(
        "questions.Question", on_delete=models.CASCADE, related_name="events"
    )
    version = models.PositiveBigIntegerField()
    type = models.CharField(max_length=40)  # "idea.added", "vote.cast", "question.closed", ...
    ids = models.JSONField(default=dict)  # the ids it concerns: {"idea": "...", "argument": "..."}
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["question", "version"], name="event_one_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.question_id}@{self.version} {self.type}"

    # What every reader sees the same way of the change, put in by the question's side of the
    # stream before the event is sent (`settings.PONDER_LIVE_DESCRIBE`): a vote's tally. Not
    # stored: read when the event is sent, so it is at least as new as the event.
    public: dict[str, object] | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "type": self.type,
            "version": self.version,
            "question": self.question_id,
            **self.ids,
            **(self.public or {}),
        }

    @cached_property
    def sse(self) -> bytes:
        """This event as a server-sent message. A feed hands the same Event object to every
        listener, so 5,000 open pages cost one formatting, not 5,000."""
        return sse_message(self.type, self.as_dict(), self.version)
