"""Two `ponder worker` processes on one database mail each subscription's news once."""

import time
from pathlib import Path

from ponder.accounts.tests.conftest import ponder, process_env, two_workers, wait_for_mails

from .conftest import Inbox, free_port

SUBSCRIBERS = 40

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


def test_two_workers_mail_each_subscription_once(tmp_path: Path) -> None:
    inbox = Inbox(free_port())
    inbox.start()
    env = process_env(tmp_path, inbox)
    ponder(env, "shell", "-c", SETUP)
    with two_workers(env, inbox, "--interval", "0.05", "--mail-interval", "0.05"):
        time.sleep(2)  # both workers up and passing over the subscriptions
        ponder(env, "shell", "-c", NEWS)
        wait_for_mails(inbox, SUBSCRIBERS, then=1.5)
    recipients = sorted(str(m["To"]) for m in inbox.messages)
    assert recipients == sorted(f"p{n}@example.org" for n in range(SUBSCRIBERS))
    for message in inbox.messages:
        text = inbox.text(message)
        assert all(title in text for title in ("Pizza", "Soup", "Salad"))
