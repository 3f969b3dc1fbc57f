"""Recording changes. Every service that changes a question calls `record` inside its
transaction: the event joins the question's log in the same commit, and the live streams of every
process are woken once it has committed."""

from django.db import transaction

from ponder.questions import hot

from .hub import hub


def record(question_id: str, version: int, kind: str, **ids: str) -> None:
    hot.insert_event(question_id, version, kind, ids)
    announce(question_id, version)


def announce(question_id: str, version: int) -> None:
    """Wake the live streams once the change's transaction has committed (for a change that
    logged its event itself, `hot.NewEvent`)."""
    transaction.on_commit(lambda: hub.notify(question_id, version))
