"""Recording changes. Every service that changes a question calls `record` inside its
transaction: the event joins the question's log in the same commit, and the live streams of every
process are woken once it has committed.

`live` takes plain values (a question's id, its version, the type of change and the ids it
concerns) and knows nothing of the models that changed."""

from django.db import transaction

from .hub import hub
from .models import Event


def record(question_id: str, version: int, kind: str, **ids: str) -> None:
    """Log change `kind` as the question's `version`, and wake the streams after the commit."""
    Event.objects.create(question_id=question_id, version=version, type=kind, ids=ids)
    announce(question_id, version)


def announce(question_id: str, version: int) -> None:
    """Wake the live streams once the change's transaction has committed (for a change that
    logged its event itself)."""
    transaction.on_commit(lambda: hub.notify(question_id, version))
