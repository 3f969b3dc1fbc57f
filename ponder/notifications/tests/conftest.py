"""The accounts' personas and the real SMTP server (aiosmtpd on 127.0.0.1), and helpers to put
entries on a question through its services, as its pages would."""

from datetime import datetime
from typing import Any

import pytest

from ponder import mail
from ponder.accounts.tests.conftest import (  # noqa: F401 - fixtures used here
    Inbox,
    Member,
    dana,
    erin,
    free_port,
    fresh_rate_limits,
    inbox,
    make_account,
    run_worker,
)
from ponder.notifications import sending
from ponder.questions import services
from ponder.questions.models import Participant, Question

BASE = "http://testserver"


def deliver(*, at: datetime | None = None) -> int:
    """The worker's notification pass (at `at`, for tests of time), then its mail run."""
    queued = sending.run(at=at)
    mail.run_due()
    return queued


def join(question: Question, name: str, user: Any = None) -> Participant:
    participant, _ = services.participant_join(question=question, name=name, user=user)
    return participant


def idea(question: Question, author: Participant, title: str) -> Any:
    return services.idea_add(question=question, author=author, title=title)


def argue(idea_: Any, author: Participant, text: str, kind: str = "pro") -> Any:
    return services.argument_add(idea=idea_, author=author, kind=kind, text=text)


@pytest.fixture(autouse=True)
def _base_url(settings: Any) -> None:
    """The links of the mails lead to the test server, as if PONDER_BASE_URL said so."""
    settings.PONDER_BASE_URL = BASE
