"""Two `ponder worker` processes on one database mail each subscription's news once."""

import os
import subprocess
import sys
import time
from pathlib import Path

from .conftest import Inbox, free_port

SUBSCRIBERS = 40
ROOT = Path(__file__).resolve().parents[3]

SETUP = f"""
from django.utils import timezone
from ponder.notifications.models import Subscription
from ponder.questions import services
question, _ = services.question_create(title="Lunch?")
bob, _ = services.participant_join(question=question, name="Bob")
for n in range({SUBSCRIBERS}):
    Subscription.objects.create(
        question=question, email=f"p{{n}}@example.org", role="organiser",
        admin_key_hash=question.admin_key_hash, base_url="http://ponder.test",
        confirmed_at=timezone.now(), version_seen=question.version,
    )
"""
# Added while both workers run, so that both passes find the same news at once: in one
# transaction, or a pass between two ideas would mail the first alone (and "at once" then waits
# ten minutes before the next mail).
NEWS = """
from django.db import transaction
from ponder.questions import services
from ponder.questions.models import Participant, Question
question = Question.objects.get()
bob = Participant.objects.get()
with transaction.atomic():
    for title in ("Pizza", "Soup", "Salad"):
        services.idea_add(question=question, author=bob, title=title)
"""


def ponder(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-m", "ponder", *args], env=env, cwd=ROOT, check=True, capture_output=True
    )


def test_two_workers_mail_each_subscription_once(tmp_path: Path) -> None:
    inbox = Inbox(free_port())
    inbox.start()
    env = {
        **os.environ,
        "PONDER_DATA_DIR": str(tmp_path),
        "DATABASE_URL": "",
        "EMAIL_URL": f"smtp://127.0.0.1:{inbox.port}",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    ponder(env, "migrate", "-v", "0")
    ponder(env, "shell", "-c", SETUP)
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ponder",
                "worker",
                "--interval",
                "0.05",
                "--mail-interval",
                "0.05",
            ],
            env=env,
            cwd=ROOT,
        )
        for _ in range(2)
    ]
    try:
        time.sleep(2)  # both workers up and passing over the subscriptions
        ponder(env, "shell", "-c", NEWS)
        # Waits for the work, not for a time: a hang guard only.
        for _ in range(1200):
            if len(inbox.messages) >= SUBSCRIBERS:
                break
            time.sleep(0.1)
        time.sleep(1.5)  # a second copy of any mail would arrive now
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        inbox.stop()
    recipients = sorted(str(m["To"]) for m in inbox.messages)
    assert recipients == sorted(f"p{n}@example.org" for n in range(SUBSCRIBERS))
    for message in inbox.messages:
        text = inbox.text(message)
        assert all(title in text for title in ("Pizza", "Soup", "Salad"))
