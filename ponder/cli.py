"""The `ponder` command: `ponder serve` runs the site; every other word is a Django command."""

import argparse
import copy
import os
import signal
import subprocess
import sys
from typing import Any

HELP = """\
usage: ponder COMMAND [options]

Ponder: collaborative brainstorming and decisions.

commands:
  serve       apply migrations, collect static files and run the production server
              (ponder serve --help for its options)
  worker      close questions at their deadlines, send the queued mail and the notifications
              (serve runs one for you)
  demo        create a demo question the size of a real one and print its links
  backup      write the whole database to one file (ponder backup --help)
  restore     load such a file into an empty database (ponder restore --help)
  (anything) Django management commands pass through: migrate, createsuperuser, shell,
              check --deploy, ... (ponder help --commands lists them all)

Configuration comes from the environment: PONDER_DATA_DIR, DATABASE_URL, REDIS_URL,
SECRET_KEY, ALLOWED_HOSTS, PONDER_HTTPS, PONDER_TRUSTED_PROXIES (the proxies whose
X-Forwarded-* headers are believed; none by default), PONDER_MAX_BODY, PONDER_BODY_TIMEOUT,
PONDER_HEADER_TIMEOUT, PONDER_IMAGE_MAX_BYTES, PONDER_IMAGE_MAX_PIXELS, PONDER_S3_BUCKET (pictures
on ideas in S3; with PONDER_S3_ENDPOINT_URL and friends), DEBUG (see README.md).
"""


def _django(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "ponder", *args], check=True)  # noqa: S603 - our own interpreter


def _die_with_parent() -> None:
    """Linux: the worker gets SIGTERM when `ponder serve` ends, however it ends (uvicorn
    re-raises the signal it was stopped with, so a `finally` alone would not run)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _with_few_malloc_arenas(argv: list[str]) -> None:
    """Start this `ponder serve` command again, in this process, with MALLOC_ARENA_MAX=2 unless
    the environment sets it. glibc gives each thread that meets contention a malloc arena of its
    own, up to 8 per core, and a worker's memory grows with the arenas its request threads have
    touched; glibc reads the variable only as a process starts (README.md, `ponder serve`)."""
    if "MALLOC_ARENA_MAX" in os.environ or sys.orig_argv[-len(argv) - 1 :] != ["serve", *argv]:
        return  # set already, or not run as a command (called from Python)
    os.execve(sys.executable, sys.orig_argv, {**os.environ, "MALLOC_ARENA_MAX": "2"})  # noqa: S606


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging setup, with the filter that redacts admin keys on each of its
    handlers (its error log, and its access log if someone turns it on), as settings.LOGGING has
    on Django's."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_secrets"] = {"()": "ponder.lib.logs.RedactSecrets"}
    for handler in config["handlers"].values():
        handler.setdefault("filters", []).append("redact_secrets")
    return config


def serve(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="ponder serve",
        description="Run Ponder on a production ASGI server (uvicorn): pages and the API on a "
        "pool of threads through Django's WSGI handler, live streams on the event loop. Applies "
        "migrations and collects static files first, and runs the worker (deadlines, mail, "
        "notifications) beside it. "
        "SIGHUP replaces the workers one at a time (with --workers 2 or more).",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument("--port", type=int, default=8000, help="port (default: %(default)s)")
    parser.add_argument(
        "--workers", type=int, default=1, help="worker processes (default: %(default)s)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        help="requests each worker process serves at once, each on a thread of its own; the "
        "live stream holds none (default: PONDER_THREADS, else 32)",
    )
    parser.add_argument(
        "--no-worker",
        action="store_true",
        help=(
            "do not run the worker (deadlines, mail and notifications; run `ponder worker` "
            "yourself instead)"
        ),
    )
    parser.add_argument(
        "--no-migrate", action="store_true", help="skip migrations and collectstatic at start"
    )
    args = parser.parse_args(argv)
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be at least 1")
    os.environ["PONDER_STATIC_MANIFEST"] = "1"
    _with_few_malloc_arenas(argv)
    if args.threads is not None:
        os.environ["PONDER_THREADS"] = str(args.threads)  # read by each worker process

    if not args.no_migrate:
        _django("migrate", "--noinput", "-v", "0")
        _django("collectstatic", "--noinput", "-v", "0")
    worker = None
    if not args.no_worker:
        worker = subprocess.Popen(
            [sys.executable, "-m", "ponder", "worker"], preexec_fn=_die_with_parent
        )

    import uvicorn

    from ponder.connections import HeadDeadline

    try:
        uvicorn.run(
            "ponder.asgi:application",
            host=args.host,
            port=args.port,
            workers=args.workers,
            lifespan="off",
            # Whom to believe about the client's address and scheme is Ponder's to decide, in one
            # place (ponder/proxies.py, PONDER_TRUSTED_PROXIES): the connection's peer is passed
            # on as it is.
            proxy_headers=False,
            access_log=False,
            log_config=uvicorn_log_config(),
            # Each connection gets PONDER_HEADER_TIMEOUT to send a request's head
            # (ponder/connections.py); uvicorn has no such limit of its own.
            http=HeadDeadline,
            # Live streams never end by themselves: without a limit, stopping the server would
            # wait for every open page to leave. Their browsers reconnect and catch up.
            timeout_graceful_shutdown=5,
            # With --workers, the supervisor asks each worker in turn whether it is alive;
            # waiting 5 s on each (the default) made a killed worker come back late.
            timeout_worker_healthcheck=2,
            # An idle keep-alive connection stays open longer than the idle timeout of the
            # proxies and browsers in front (nginx 60 s): closed first by the server, a client
            # may send on it just as it closes, and gets "connection reset" (uvicorn's 5 s
            # default did this to a fifth of the load test's requests that waited 5-8 s).
            timeout_keep_alive=65,
        )
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=10)


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ponder.settings")
    if argv[:1] == ["serve"]:
        serve(argv[1:])
        return
    if argv in ([], ["-h"], ["--help"], ["help"]):
        print(HELP)
        return
    if argv == ["help", "--commands"]:
        argv = ["help"]
    from django.core.management import execute_from_command_line

    execute_from_command_line(["ponder", *argv])
