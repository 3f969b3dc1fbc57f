"""Two `ponder worker` processes on one database send every queued mail exactly once."""

from pathlib import Path

from .conftest import Inbox, free_port, ponder, process_env, two_workers, wait_for_mails

MAILS = 30


def test_two_workers_send_each_mail_once(tmp_path: Path) -> None:
    inbox = Inbox(free_port())
    inbox.start()
    env = process_env(tmp_path, inbox)
    queue = (
        "from ponder import mail\n"
        f"for n in range({MAILS}):\n"
        "    mail.send(to='x@example.org', subject=f'mail {n}', body='hello')\n"
    )
    ponder(env, "shell", "-c", queue)
    with two_workers(env, inbox, "--mail-interval", "0.1"):
        wait_for_mails(inbox, MAILS, then=1)
    subjects = sorted(str(m["Subject"]) for m in inbox.messages)
    assert subjects == sorted(f"mail {n}" for n in range(MAILS))
    left = ponder(
        env,
        "shell",
        "-c",
        "from django_tasks_db.models import DBTaskResult; print(DBTaskResult.objects.count())",
    )
    assert left.stdout.decode().split()[-1] == "0"
