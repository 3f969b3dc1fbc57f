import logging
import signal
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from ponder import mail
from ponder.questions.services import question_close_due, question_phase_due
from ponder.questions.signals import worker_pass

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Close questions whose deadline has passed and tell the open pages of questions whose "
        "idea phase has ended that voting has begun, every --interval seconds, and send the "
        "queued mail (sign-up codes, password resets, links of new questions) every "
        "--mail-interval seconds, trying a mail again later while the SMTP server fails. "
        "Every --interval it also queues the e-mail notifications that are due (new ideas, "
        "reports, pros and cons, deadlines approaching, results: README, Notifications). "
        "Several workers may run at once: each mail is sent once. --once does both once."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="run once and exit")
        parser.add_argument(
            "--interval", type=float, default=10.0, help="seconds between deadline runs"
        )
        parser.add_argument(
            "--mail-interval", type=float, default=1.0, help="seconds between mail runs"
        )

    def handle(
        self, *args: Any, once: bool, interval: float, mail_interval: float, **options: Any
    ) -> None:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        next_close = 0.0
        while True:
            if time.monotonic() >= next_close:
                next_close = time.monotonic() + interval
                self.close_due()
            try:
                mail.run_due()
            except DatabaseError:
                logger.exception("could not send the queued mail")
            if once or stop.wait(min(mail_interval, max(0.0, next_close - time.monotonic()))):
                return

    def close_due(self) -> None:
        try:
            switched = question_phase_due()
            closed = question_close_due()
        except DatabaseError:
            # The database may be restarting: say so and try again at the next tick.
            logger.exception("could not close due questions")
            switched = closed = 0
        try:
            # After closing: a question closed at its deadline gets its result mailed now.
            worker_pass.send(sender=self.__class__, at=None)
        except DatabaseError:
            logger.exception("could not queue the notifications")
        if switched:
            self.stdout.write(f"switched {switched} question(s) from ideas to voting")
        if closed:
            self.stdout.write(f"closed {closed} question(s) at their deadline")
