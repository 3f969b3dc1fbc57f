"""Rate limits on real `ponder serve` processes: one count shared by two processes through Redis
(per person, and new names per question and address), the client address as uvicorn and Ponder
see it (X-Forwarded-For believed from a trusted proxy only), windows that end, and Redis going
away (limits off, every request served, limits back).

Clients connect from chosen loopback addresses (127.0.0.2, ...), so "another machine" is real to
the server: its REMOTE_ADDR differs."""

import http.client
import json
import time
import urllib.parse
from dataclasses import dataclass

import pytest

from .conftest import Redis, Server, Servers, wait_until

NETWORK = "Many requests have come from your network in a short time"
NEW_NAMES = "Many new names have joined this question from your network in a short time"
PERSONAL = "You have made many changes in a short time"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]  # names in lower case
    body: str
    cookies: list[str]

    def json(self) -> dict:
        return json.loads(self.body)


def call(
    server: Server,
    method: str,
    path: str,
    body: object = None,
    *,
    token: str | None = None,
    source: str = "127.0.0.1",
    headers: dict[str, str] | None = None,
) -> Reply:
    connection = http.client.HTTPConnection(
        "127.0.0.1", server.port, timeout=10, source_address=(source, 0)
    )
    try:
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        data = body.encode() if isinstance(body, str) else None
        if body is not None and data is None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        connection.request(method, path, body=data, headers=sent)
        response = connection.getresponse()
        reply_headers = {k.lower(): v for k, v in response.getheaders()}
        body_text = response.read().decode(errors="replace")
        cookies = response.msg.get_all("Set-Cookie") or []
        return Reply(response.status, reply_headers, body_text, cookies)
    finally:
        connection.close()


def question_with_idea(server: Server) -> tuple[str, str, str]:
    """A question with one idea, through the API; returns (question, idea, participant token)."""
    created = call(server, "POST", "/api/v1/questions", {"title": "Where to on Friday?"})
    assert created.status == 201, created.body
    question = created.json()["id"]
    joined = call(server, "POST", f"/api/v1/questions/{question}/participants", {"name": "Bob"})
    token = joined.json()["token"]
    idea = call(
        server, "POST", f"/api/v1/questions/{question}/ideas", {"title": "Lake"}, token=token
    )
    return question, idea.json()["id"], token


def vote(server: Server, idea: str, token: str, n: int, **kwargs: object) -> Reply:
    """Vote, or take the vote back: both count as votes."""
    return call(
        server, ("PUT", "DELETE")[n % 2], f"/api/v1/ideas/{idea}/vote", token=token, **kwargs
    )


def join(server: Server, question: str, name: str, **kwargs: object) -> Reply:
    return call(
        server, "POST", f"/api/v1/questions/{question}/participants", {"name": name}, **kwargs
    )


def assert_too_many(reply: Reply, *, within: int, message: str = PERSONAL) -> None:
    assert reply.status == 429, reply.body[:300]
    assert 1 <= int(reply.headers["retry-after"]) <= within
    assert reply.json()["detail"].startswith(message)


def test_two_processes_share_one_count_through_redis(servers: Servers, redis_server: Redis) -> None:
    a, b = servers.start(
        2, REDIS_URL=redis_server.url, PONDER_RATE_LIMITS="off,vote=4/h,join_question=3/h"
    )
    question, idea, token = question_with_idea(a)  # Bob joins: one new name
    statuses = [vote((a, b)[n % 2], idea, token, n).status for n in range(4)]
    assert statuses == [200, 200, 200, 200]
    assert_too_many(vote(a, idea, token, 4), within=3600)
    assert_too_many(vote(b, idea, token, 5), within=3600)
    # Bob's count goes with Bob, from any machine; another person has their own, on either
    # process, on the same machine.
    assert_too_many(vote(b, idea, token, 0, source="127.0.0.2"), within=3600)
    carol = join(b, question, "Carol").json()["token"]
    assert vote(a, idea, carol, 0).status == 200
    # New names on the question from one address, counted once over both processes.
    assert join(a, question, "Dave").status == 201
    assert_too_many(join(b, question, "Erin"), within=3600, message=NEW_NAMES)
    assert join(a, question, "Erin", source="127.0.0.2").status == 201


def test_pages_and_htmx_get_their_own_answers_from_a_real_server(servers: Servers) -> None:
    (a,) = servers.start(1, PONDER_RATE_LIMITS="off,question=1/h")
    home = call(a, "GET", "/")
    cookie = next(c.split(";")[0] for c in home.cookies if c.startswith("csrftoken="))
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": cookie.split("=", 1)[1], "title": "Q"})
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    assert call(a, "POST", "/", form, headers=headers).status == 302
    page = call(a, "POST", "/", form, headers=headers)
    assert page.status == 429 and "<h1>Too many requests</h1>" in page.body
    assert int(page.headers["retry-after"]) > 0
    htmx = call(a, "POST", "/", form, headers={**headers, "HX-Request": "true"})
    assert htmx.status == 429 and htmx.headers["hx-reswap"] == "none"
    assert htmx.body.startswith('<div id="status"') and NETWORK in htmx.body


def _spoofing_and_proxying(server: Server) -> None:
    question, _, _ = question_with_idea(server)
    # From 127.0.0.2 (not a proxy), every request claims another address: all count as one.
    claims = [f"198.51.100.{n}" for n in range(3)]
    statuses = [
        join(server, question, f"N{n}", source="127.0.0.2", headers={"X-Forwarded-For": claim})
        for n, claim in enumerate(claims)
    ]
    assert [reply.status for reply in statuses] == [201, 201, 429]
    assert_too_many(statuses[2], within=3600, message=NETWORK)
    # Through the proxy (127.0.0.1), the forwarded address is the client: two people, two counts.
    for client in ("203.0.113.1", "203.0.113.2"):
        forwarded = {"X-Forwarded-For": f"6.6.6.6, {client}"}  # the left part is the client's claim
        replies = [join(server, question, f"{client}-{n}", headers=forwarded) for n in range(3)]
        assert [r.status for r in replies] == [201, 201, 429], client


def test_behind_a_trusted_proxy_the_forwarded_address_counts(servers: Servers) -> None:
    """PONDER_TRUSTED_PROXIES names the proxy (nginx on the same machine: 127.0.0.1)."""
    (a,) = servers.start(1, PONDER_RATE_LIMITS="off,join=2/h", PONDER_TRUSTED_PROXIES="127.0.0.1")
    _spoofing_and_proxying(a)


@pytest.mark.parametrize("trusted", ["", "192.0.2.1"], ids=["nobody (the default)", "another"])
def test_without_a_trusted_proxy_the_header_is_ignored(servers: Servers, trusted: str) -> None:
    """Not even uvicorn reads it: `ponder serve` leaves the client address to Ponder alone."""
    env = {"PONDER_TRUSTED_PROXIES": trusted} if trusted else {}
    (a,) = servers.start(1, PONDER_RATE_LIMITS="off,join=3/h", **env)
    question, _, _ = question_with_idea(a)  # Bob's name is the first
    replies = [
        join(a, question, f"N{n}", headers={"X-Forwarded-For": f"203.0.113.{n}"}) for n in range(3)
    ]
    assert [r.status for r in replies] == [201, 201, 429]


def test_a_window_ends_and_the_next_one_lets_requests_through(servers: Servers) -> None:
    (a,) = servers.start(1, PONDER_RATE_LIMITS="off,vote=2/3s")
    _, idea, token = question_with_idea(a)
    # Windows start at multiples of 3 s: begin at the start of a fresh one, so that all three
    # fall in it; on a loaded machine that took longer, begin again in the next one.
    last = time.time() // 3
    for attempt in range(5):
        wait_until(lambda last=last: time.time() // 3 > last, timeout=4, every=0.01)
        window = time.time() // 3
        first = 3 * attempt  # a vote, then a vote taken back, and so on: each attempt goes on
        replies = [vote(a, idea, token, n) for n in range(first, first + 3)]
        last = time.time() // 3
        if last == window:
            break
    assert last == window, "no three requests came within one window of 3 s"
    assert [reply.status for reply in replies[:2]] == [200, 200]
    refused = replies[2]
    assert_too_many(refused, within=3)
    time.sleep(int(refused.headers["retry-after"]))
    assert vote(a, idea, token, first + 2).status == 200


def test_with_redis_down_every_request_is_served_and_limits_come_back_with_it(
    servers: Servers, redis_server: Redis
) -> None:
    (a,) = servers.start(1, REDIS_URL=redis_server.url, PONDER_RATE_LIMITS="off,vote=2/h")
    _, idea, token = question_with_idea(a)
    assert [vote(a, idea, token, n).status for n in range(3)] == [200, 200, 429]

    redis_server.stop()
    statuses = [vote(a, idea, token, n).status for n in range(6)]
    assert statuses == [200] * 6  # counted nowhere, refused never
    assert "Rate limits are off for 10 s: the cache failed" in a.log.read_text()

    # Back: after the pause the count starts again (Redis lost the old one) and holds.
    redis_server.start()
    wait_until(lambda: vote(a, idea, token, 0).status == 429, timeout=20, every=1)
    assert_too_many(vote(a, idea, token, 1), within=3600)
