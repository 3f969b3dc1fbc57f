"""Accounts' personas (dana has an account and is logged in; erin has another one), and a real
SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, with the worker that sends the
queued mail to it."""

import email
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage
from pathlib import Path
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


ROOT = Path(__file__).resolve().parents[3]


def ponder(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """A `ponder` command in a process of its own, with `env`."""
    return subprocess.run(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-m", "ponder", *args], env=env, cwd=ROOT, check=True, capture_output=True
    )


def process_env(data_dir: Path, inbox: Inbox) -> dict[str, str]:
    """The environment of `ponder` processes on a SQLite database of their own in `data_dir`
    (migrated here), sending their mail to `inbox`."""
    env = {
        **os.environ,
        "PONDER_DATA_DIR": str(data_dir),
        "DATABASE_URL": "",
        "EMAIL_URL": f"smtp://127.0.0.1:{inbox.port}",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    ponder(env, "migrate", "-v", "0")
    return env


@contextmanager
def two_workers(env: dict[str, str], inbox: Inbox, *options: str) -> Iterator[None]:
    """Two real `ponder worker` processes on one database while the block runs; then they are
    stopped, and so is `inbox`."""
    workers = [
        subprocess.Popen(  # noqa: S603 - our own interpreter and command
            [sys.executable, "-m", "ponder", "worker", *options], env=env, cwd=ROOT
        )
        for _ in range(2)
    ]
    try:
        yield
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        inbox.stop()


def wait_for_mails(inbox: Inbox, count: int, *, then: float) -> None:
    """Until `inbox` holds `count` mails (a hang guard of two minutes, not a time asserted), and
    `then` seconds more, in which a second copy of any mail would arrive."""
    for _ in range(1200):
        if len(inbox.messages) >= count:
            break
        time.sleep(0.1)
    time.sleep(then)


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
