"""What other parts of Ponder may hear of, without the questions knowing them (the parts import
each other without a cycle: ponder/questions/tests/test_layers.py)."""

from django.dispatch import Signal

# A question was asked on the home page (after its links were queued): `request`, `question`,
# `admin_key`, `email` (given or empty) and `notify` (its box ticked). Notifications subscribe
# its organiser here.
question_asked = Signal()

# Every --interval of `ponder worker`, after closing the due questions: `at`. Notifications
# queue their mails here.
worker_pass = Signal()
