"""Every mail Ponder sends goes through `send`: it is queued in the database with the request's
transaction and sent by `ponder worker` (`run_due`), never during a request.

A mail whose SMTP server is down or answers "try later" (4xx) is queued again with a growing
wait (PONDER_MAIL_RETRY_SECONDS, doubled each time, at most an hour) until it goes through or
a week has passed; one the server refuses for good (5xx) is logged and dropped. Two workers
never send the same mail: each claims a queued mail by locking its row, and the other skips it.
"""

import logging
import smtplib
import socket
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.tasks import task
from django.utils import timezone
from django.utils.crypto import get_random_string

logger = logging.getLogger(__name__)

# A week of retries: long enough for an operator to fix a mail server after a holiday.
GIVE_UP_AFTER = timedelta(days=7)
LONGEST_WAIT = 3600.0


def send(
    *,
    to: str | list[str],
    subject: str,
    body: str,
    html: str | None = None,
    from_email: str | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """Queue one mail. It is sent by the worker once the caller's transaction commits."""
    message = {
        "to": [to] if isinstance(to, str) else list(to),
        "subject": subject,
        "body": body,
        "html": html,
        "from_email": from_email or settings.DEFAULT_FROM_EMAIL,
        "headers": headers or {},
    }
    send_mail_task.enqueue(message, first_tried=timezone.now().isoformat(), attempt=0)


def _retry_wait(attempt: int) -> float:
    return min(settings.PONDER_MAIL_RETRY_SECONDS * 2**attempt, LONGEST_WAIT)


def _is_temporary(error: Exception) -> bool:
    """Worth trying again: the server is unreachable, hung up, or said "try later" (4xx)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    return isinstance(error, (OSError, socket.timeout, smtplib.SMTPServerDisconnected))


@task(queue_name="mail")
def send_mail_task(message: dict[str, Any], first_tried: str, attempt: int) -> str:
    mail = EmailMultiAlternatives(
        subject=message["subject"],
        body=message["body"],
        from_email=message["from_email"],
        to=message["to"],
        headers=message["headers"],
    )
    if message.get("html"):
        mail.attach_alternative(message["html"], "text/html")
    try:
        # A connection of its own each time (mailers makes one per use): after a failure, the
        # next try starts afresh.
        mail.send()
    except (OSError, smtplib.SMTPException) as error:
        # Only the error's kind is logged: its text may quote the server's greeting or the
        # address, and the mail holds links that must stay out of logs.
        started = datetime.fromisoformat(first_tried)
        if not _is_temporary(error) or timezone.now() - started > GIVE_UP_AFTER:
            logger.error("mail dropped after %d tries: %s", attempt + 1, type(error).__name__)
            return "dropped"
        wait = _retry_wait(attempt)
        logger.warning("mail not sent (%s), trying again in %.0f s", type(error).__name__, wait)
        send_mail_task.using(run_after=timezone.now() + timedelta(seconds=wait)).enqueue(
            message, first_tried=first_tried, attempt=attempt + 1
        )
        return "retrying"
    return "sent"


def run_due() -> None:
    """Send every queued mail that is due, then forget the ones sent (their rows hold the
    addresses and links)."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    # At most the mails due now: one queued again by a failed try waits for the next run.
    due = DBTaskResult.objects.filter(queue_name="mail").ready().count()
    if not due:
        return
    Worker(
        queue_names=["mail"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=due,
        worker_id=get_random_string(32),
        excluded_queue_names=[],
    ).run()
    # A mail that failed for another reason than its server stays, with its traceback, for the
    # operator to look into (the worker logged it).
    DBTaskResult.objects.filter(queue_name="mail").successful().delete()


def pending() -> int:
    """Mails queued and not yet sent (tests, and the worker's report)."""
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(queue_name="mail", status__in=["READY", "RUNNING"]).count()
