"""Two `ponder worker` processes on one database send every queued mail exactly once."""

import os
import subprocess
import sys
import time
from pathlib import Path

from .conftest import Inbox, free_port

MAILS = 30
ROOT = Path(__file__).resolve().parents[3]


def ponder(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter and command
        [sys.executable, "-m", "ponder", *args], env=env, cwd=ROOT, check=True, capture_output=True
    )


def test_two_workers_send_each_mail_once(tmp_path: Path) -> None:
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
    queue = (
        "from ponder import mail\n"
        f"for n in range({MAILS}):\n"
        "    mail.send(to='x@example.org', subject=f'mail {n}', body='hello')\n"
    )
    ponder(env, "shell", "-c", queue)
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "ponder", "worker", "--mail-interval", "0.1"],
            env=env,
            cwd=ROOT,
        )
        for _ in range(2)
    ]
    try:
        # Waits for the work, not for a time: a hang guard only.
        for _ in range(1200):
            if len(inbox.messages) >= MAILS:
                break
            time.sleep(0.1)
        time.sleep(1)  # a second copy of any mail would arrive now
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        inbox.stop()
    subjects = sorted(str(m["Subject"]) for m in inbox.messages)
    assert subjects == sorted(f"mail {n}" for n in range(MAILS))
    left = ponder(
        env,
        "shell",
        "-c",
        "from django_tasks_db.models import DBTaskResult; print(DBTaskResult.objects.count())",
    )
    assert left.stdout.decode().split()[-1] == "0"
