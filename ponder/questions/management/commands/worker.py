import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from ponder.questions.services import question_close_due, question_phase_due

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Every --interval seconds (or --once): close the questions whose deadline has passed, "
        "and tell the open pages of questions whose idea phase has ended that voting has begun."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="run once and exit")
        parser.add_argument("--interval", type=float, default=10.0, help="seconds between runs")

    def handle(self, *args: Any, once: bool, interval: float, **options: Any) -> None:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        while True:
            try:
                switched = question_phase_due()
                closed = question_close_due()
            except DatabaseError:
                # The database may be restarting: say so and try again at the next tick.
                logger.exception("could not close due questions")
                switched = closed = 0
            if switched:
                self.stdout.write(f"switched {switched} question(s) from ideas to voting")
            if closed:
                self.stdout.write(f"closed {closed} question(s) at their deadline")
            if once or stop.wait(interval):
                return
