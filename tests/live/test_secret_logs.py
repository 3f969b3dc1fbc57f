"""The admin key never reaches the log of a real `ponder serve`: HEAD (as link-preview bots send
it), OPTIONS and a POST refused for its missing CSRF token on the admin link are logged, if at
all, with the key replaced (ponder/lib/logs.py)."""

import json
import urllib.request

from ponder.lib.logs import REDACTED

from .conftest import Servers, Visitor


def _request(url: str, method: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, method=method)  # noqa: S310 - our own test server
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.status, error.read()


def test_no_log_line_holds_the_admin_key(servers: Servers) -> None:
    (server,) = servers.start(LOG_LEVEL="INFO")
    request = urllib.request.Request(  # noqa: S310
        f"{server.url}/api/v1/questions",
        data=json.dumps({"title": "Where should the team offsite be?"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        created = json.loads(response.read())
    key, admin_url = created["admin_token"], created["admin_url"]

    assert _request(admin_url, "HEAD") == (200, b"")
    assert _request(admin_url, "OPTIONS")[0] == 405
    assert _request(admin_url, "POST")[0] == 403  # no CSRF token
    assert Visitor("Alice").get(admin_url).status == 302  # the link still works

    log = server.log.read_text()
    assert key not in log
    # The refusals were logged, with the key replaced: the filter ran, not silence.
    assert f"Method Not Allowed (OPTIONS): /q/{created['id']}/a/{REDACTED}/" in log
    assert f"/q/{created['id']}/a/{REDACTED}/" in log.split("Forbidden (", 1)[1]
