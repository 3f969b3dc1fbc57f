"""Recording changes. Every service that changes a question calls `record` inside its
transaction: the event joins the question's log in the same commit, and the live streams of every
process are woken once it has committed."""

from django.db import transaction

from .hub import hub
from .models import Event


def record(question_id: str, version: int, kind: str, **ids: str) -> Event:
    event = Event.objects.create(question_id=question_id, version=version, type=kind, ids=ids)
    transaction.on_commit(lambda: hub.notify(question_id, version))
    return event
