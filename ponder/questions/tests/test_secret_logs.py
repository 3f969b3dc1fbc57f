"""No admin key in any log line (ponder/lib/logs.py): one filter on every handler, Django's and
uvicorn's, that redacts the message and each of its arguments. The live server's log is checked
in tests/live/test_secret_logs.py."""

import io
import logging
import logging.config
import re
from pathlib import Path

import pytest
from django.test import Client
from uvicorn.logging import AccessFormatter

from ponder.cli import uvicorn_log_config
from ponder.lib.logs import REDACTED, RedactSecrets, redact

KEY = "k" * 22
PATH = f"/q/AAAAAAAAAAAAAAAAAAAAAA/a/{KEY}/"


def test_the_key_of_an_admin_link_is_replaced_wherever_it_stands() -> None:
    assert redact(f"GET {PATH}?x=1 from {PATH}") == (
        f"GET /q/AAAAAAAAAAAAAAAAAAAAAA/a/{REDACTED}/?x=1 from "
        f"/q/AAAAAAAAAAAAAAAAAAAAAA/a/{REDACTED}/"
    )
    assert redact("/q/AAAAAAAAAAAA/ideas/BBBBBBBBBBBB/") == "/q/AAAAAAAAAAAA/ideas/BBBBBBBBBBBB/"


def test_every_handler_of_uvicorn_redacts_and_its_access_log_still_formats() -> None:
    config = uvicorn_log_config()
    assert config["handlers"]
    for handler in config["handlers"].values():
        assert "redact_secrets" in handler["filters"]
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("203.0.113.9:4711", "HEAD", PATH, "1.1", 200), None,
    )  # fmt: skip
    assert RedactSecrets().filter(record)
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s').format(record)
    assert KEY not in line and f"/a/{REDACTED}/" in line and " 200" in line


@pytest.fixture
def django_log() -> io.StringIO:
    """What Ponder's own handlers write (those of settings.LOGGING), caught in memory."""
    stream = io.StringIO()
    handlers = [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
    assert handlers, "settings.LOGGING puts a handler on the root logger"
    for handler in handlers:
        assert any(isinstance(f, RedactSecrets) for f in handler.filters)
        old = handler.setStream(stream)
    yield stream
    for handler in handlers:
        handler.setStream(old)


@pytest.mark.django_db
def test_refusals_on_the_admin_link_are_logged_without_its_key(django_log, question) -> None:
    path = f"/q/{question.pk}/a/{question.admin_key}/"
    head = Client().head(path)
    assert head.status_code == 200 and head.content == b""
    assert "Set-Cookie" not in head  # a link preview makes nobody the organiser
    assert Client().options(path).status_code == 405
    assert Client(enforce_csrf_checks=True).post(path).status_code == 403
    log = django_log.getvalue()
    assert question.admin_key not in log
    assert f"Method Not Allowed (OPTIONS): /q/{question.pk}/a/{REDACTED}/" in log
    assert f"Forbidden (CSRF cookie not set.): /q/{question.pk}/a/{REDACTED}/" in log


def test_the_nginx_access_log_logs_admin_links_without_their_key() -> None:
    """deploy/nginx.conf's maps, run with Python's re (their patterns use nothing else): the
    format logs the mapped path and referrer, never the raw ones."""
    conf = (Path(__file__).resolve().parents[3] / "deploy" / "nginx.conf").read_text()
    log_format = re.search(r"log_format ponder ((?:'[^']*'\s*)+);", conf)[1]
    assert "$ponder_logged_uri" in log_format and "$ponder_logged_referer" in log_format
    assert "$request_uri" not in log_format and "$http_referer" not in log_format
    assert re.search(r"access_log \S+ ponder;", conf)
    found = re.findall(r'map \$\w+ \$(\w+) \{\s*"~([^"]+)" "([^"]+)";', conf)
    maps = {name: (pattern, replacement) for name, pattern, replacement in found}
    assert set(maps) == {"ponder_logged_uri", "ponder_logged_referer"}
    samples = {"ponder_logged_uri": PATH, "ponder_logged_referer": f"https://x.org{PATH}"}
    for name, sample in samples.items():
        pattern, replacement = maps[name]
        logged = re.sub(pattern, replacement.replace("$1", r"\1").replace("$2", r"\2"), sample)
        assert KEY not in logged and f"/a/{REDACTED}/" in logged, (name, logged)
