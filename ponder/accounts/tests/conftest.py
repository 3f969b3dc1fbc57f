"""Accounts' personas (dana has an account and is logged in; erin has another one), and a real
SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, with the worker that sends the
queued mail to it."""

import email
import re
import socket
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth import get_user_model
from django.core.management import call_command

from conftest import Person


def make_account(username: str) -> Any:
    return get_user_model().objects.create_user(username, f"{username}@example.org")


class Member(Person):
    """A browser that is logged in to an account."""

    def __init__(self, name: str, account: Any) -> None:
        super().__init__(name)
        self.account = account
        self.client.force_login(account)


@pytest.fixture
def dana(db: None) -> Member:
    return Member("Dana", make_account("dana"))


@pytest.fixture
def erin(db: None) -> Member:
    return Member("Erin", make_account("erin"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """What the SMTP server received, and the server itself, which a test may stop and start."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.messages: list[EmailMessage] = []
        self.controller: Controller | None = None

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        content = envelope.content  # type: ignore[attr-defined]
        self.messages.append(email.message_from_bytes(content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["To"]]

    def text(self, message: EmailMessage) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]

    def code(self, message: EmailMessage) -> str:
        """The code allauth put on a line of its own."""
        found = re.search(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4}|[0-9]{6})\s*$", self.text(message), re.M)
        assert found, self.text(message)
        return found.group(1)


@pytest.fixture
def inbox(settings: object) -> Iterator[Inbox]:
    box = Inbox(free_port())
    box.start()
    settings.MAILERS = {  # type: ignore[attr-defined]
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": box.port, "timeout": 5},
        }
    }
    yield box
    box.stop()


def run_worker() -> None:
    """`ponder worker --once`: what the running worker does at each tick."""
    call_command("worker", "--once", "--interval", "3600")


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> Iterator[None]:
    """allauth counts sign-ups and mails per address in the cache: each test starts afresh."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
