"""Rate limits (docs/reliability.md #20-#22, #28): each limited route lets its limit through and
answers the next request with 429 and Retry-After, as a page, as an htmx status or as API JSON,
saying kindly whose count is full; each bucket counts per client address (where the address comes
from X-Forwarded-For only through a trusted proxy), per question and address, or per person;
windows end; a broken cache lets everything through. (A room behind one address with the
defaults: test_rooms.py.)

The rest of the suite runs with limits off (conftest.py); each test here switches on the one
limit it is about, with a small number."""

import logging
import re
from collections.abc import Callable, Iterator
from itertools import count

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import Client, RequestFactory

from conftest import Person
from ponder import ratelimit
from ponder.api.tests.conftest import Caller, join
from ponder.proxies import (
    FORWARDING_HEADERS,
    ForwardedHeadersMiddleware,
    configured_proxies,
    parse_proxies,
)
from ponder.questions import services
from ponder.questions.models import Idea, Participant, Question, Vote
from ponder.ratelimit import Limit, parse_limits

HX = {"HTTP_HX_REQUEST": "true"}
NETWORK = "Many requests have come from your network in a short time"
NEW_NAMES = "Many new names have joined this question from your network in a short time"
PERSONAL = "You have made many changes in a short time"
# Whose count each route's own limit is: its answer says so.
MESSAGES = {
    "question": NETWORK,
    "join": NETWORK,
    "stream": NETWORK,
    "idea": PERSONAL,
    "argument": PERSONAL,
    "comment": PERSONAL,
    "vote": PERSONAL,
    "like": PERSONAL,
}


@pytest.fixture(autouse=True)
def fresh_counts() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def limits(settings: object) -> Callable[[str], None]:
    def switch_on(text: str) -> None:
        settings.PONDER_RATE_LIMITS = parse_limits(f"off,{text}")  # type: ignore[attr-defined]

    return switch_on


@pytest.fixture
def idea(question: Question, bob: Person) -> Idea:
    author = Participant.objects.get(question=question, name="Bob")
    return services.idea_add(question=question, author=author, title="The lake house")


@pytest.fixture
def argument(idea: Idea, bob: Person):
    return services.argument_add(idea=idea, author=idea.author, kind="pro", text="Quiet")


def assert_too_many(response, *, within: int) -> None:
    assert response.status_code == 429, response.content[:300]
    assert 1 <= int(response["Retry-After"]) <= within


# Configuration ------------------------------------------------------------------------------


def test_the_defaults_admit_a_room_behind_one_address_and_count_each_person_like_loomio() -> None:
    limits = parse_limits("")
    # Per address, backstops sized for a room of a thousand (test_rooms.py has one join).
    assert limits["write"] == Limit(20000, 600)
    assert limits["read"] == Limit(300000, 300)
    assert limits["stream"] == Limit(5000, 300)
    assert limits["question"] == Limit(100, 3600)
    assert limits["join"] == Limit(2000, 3600)
    assert limits["join_question"] == Limit(1000, 3600)  # per question and address
    for name in ("idea", "argument", "comment", "vote", "like"):  # per person: Loomio's 100
        assert limits[name] == Limit(100, 3600), name
        assert ratelimit.SCOPES[name] == ratelimit.PERSON


def test_the_environment_changes_lifts_or_switches_off_limits() -> None:
    limits = parse_limits("vote=200/h, read=6000/5m, like=off, comment=10/30s")
    assert limits["vote"] == Limit(200, 3600)
    assert limits["read"] == Limit(6000, 300)
    assert limits["comment"] == Limit(10, 30)
    assert "like" not in limits
    assert limits["idea"] == Limit(100, 3600)  # untouched
    assert parse_limits("off") == {}
    assert parse_limits("OFF,vote=5/m") == {"vote": Limit(5, 60)}


@pytest.mark.parametrize("text", ["vote", "votes=1/h", "vote=1/y", "vote=0/h", "vote=1/0m", "x"])
def test_a_wrong_setting_stops_the_start_with_a_clear_message(text: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="PONDER_RATE_LIMITS"):
        parse_limits(text)
    with pytest.raises(ImproperlyConfigured, match="PONDER_TRUSTED_PROXIES: 'nginx'"):
        parse_proxies("10.0.0.1, nginx")


@pytest.mark.parametrize(
    ("name", "text", "middleware"),
    [
        ("PONDER_RATE_LIMITS", "vote=often", ratelimit.RateLimitMiddleware),
        ("PONDER_TRUSTED_PROXIES", "10.0.0.1, nginx", ForwardedHeadersMiddleware),
    ],
)
def test_a_wrong_setting_from_the_environment_stops_the_handler_as_it_loads(
    settings: object, name: str, text: str, middleware: type
) -> None:
    setattr(settings, name, text)  # as settings.py reads it from the environment
    with pytest.raises(ImproperlyConfigured, match=name):
        middleware(lambda request: HttpResponse())


def test_limits_from_the_environment_are_read_as_text(settings: object) -> None:
    settings.PONDER_RATE_LIMITS = "off,vote=5/m"  # type: ignore[attr-defined]
    settings.PONDER_TRUSTED_PROXIES = "10.0.0.1"  # type: ignore[attr-defined]
    assert ratelimit.configured_limits() == {"vote": Limit(5, 60)}
    assert configured_proxies() == parse_proxies("10.0.0.1")


# Every limited page route: the limit passes, the next gets 429 ------------------------------


def _pages(question: Question, idea: Idea, argument, bob: Person) -> dict[str, Callable]:
    """One request of each limited kind, and the status it has while within the limit."""
    q = question.pk
    n = count()
    flip = count()

    def newcomer() -> Person:
        return Person(f"Newcomer {next(n)}")  # cookies cleared: a new browser, the same address

    return {
        "question": lambda **kw: (Client().post("/", {"title": f"Q{next(n)}"}, **kw), 302),
        "join": lambda **kw: (newcomer().post(f"/q/{q}/join/", {"name": "Eve"}, **kw), 302),
        "idea": lambda **kw: (bob.post(f"/q/{q}/ideas/", {"title": f"I{next(n)}"}, **kw), 302),
        "argument": lambda **kw: (
            bob.post(f"/q/{q}/ideas/{idea.pk}/arguments/", {"kind": "pro", "text": "x"}, **kw),
            302,
        ),
        "comment": lambda **kw: (bob.post(f"/q/{q}/comments/", {"text": "Hi"}, **kw), 302),
        # Taking a vote (or a like) back counts against the same limit as giving it.
        "vote": lambda **kw: (
            bob.post(f"/q/{q}/ideas/{idea.pk}/{('vote', 'unvote')[next(flip) % 2]}/", **kw),
            302,
        ),
        "like": lambda **kw: (
            bob.post(f"/q/{q}/arguments/{argument.pk}/{('like', 'unlike')[next(flip) % 2]}/", **kw),
            302,
        ),
        "stream": lambda **kw: (bob.get(f"/q/{q}/events", **kw), 200),
    }


ROUTES = ["question", "join", "idea", "argument", "comment", "vote", "like"]
# The stream view reads the database on threads of its own: they see only committed rows.
STREAM = pytest.param("stream", marks=pytest.mark.django_db(transaction=True))


@pytest.mark.parametrize("route", [*ROUTES, STREAM])
def test_a_page_route_takes_its_limit_then_answers_429_with_a_page(
    route: str, limits, question: Question, idea: Idea, argument, bob: Person
) -> None:
    limits(f"{route}=3/h")
    send = _pages(question, idea, argument, bob)[route]
    for _ in range(3):
        response, ok = send()
        assert response.status_code == ok, response.content[:300]
    response, _ = send()
    assert_too_many(response, within=3600)
    html = response.content.decode()
    assert "<h1>Too many requests</h1>" in html
    assert MESSAGES[route] in html
    assert "Content-Security-Policy" in response  # a page like any other, with our headers


@pytest.mark.parametrize("route", ROUTES)
def test_in_place_the_answer_is_a_status_message_that_leaves_the_page_alone(
    route: str, limits, question: Question, idea: Idea, argument, bob: Person
) -> None:
    limits(f"{route}=2/h")
    send = _pages(question, idea, argument, bob)[route]
    for _ in range(2):
        send()
    response, _ = send(**HX)
    assert_too_many(response, within=3600)
    body = response.content.decode()
    assert response["HX-Reswap"] == "none"
    assert body.startswith('<div id="status"') and 'hx-swap-oob="innerHTML"' in body
    assert MESSAGES[route] in body and "<html" not in body


def test_nothing_is_saved_over_the_limit(limits, question: Question, idea: Idea) -> None:
    limits("join=1/h")
    for name in ("Carol", "Dave", "Erin"):
        Person(name).post(f"/q/{question.pk}/join/", {"name": name})
    assert Participant.objects.filter(name__in=["Carol", "Dave", "Erin"]).count() == 1


def test_the_message_is_in_german_for_a_german_browser(limits, question: Question) -> None:
    limits("join=1/h")
    Person("Eve").post(f"/q/{question.pk}/join/", {"name": "Eve"})
    response = Person("Eve").post(
        f"/q/{question.pk}/join/", {"name": "Eve"}, HTTP_ACCEPT_LANGUAGE="de"
    )
    assert response.status_code == 429
    html = response.content.decode()
    assert "Zu viele Anfragen" in html
    assert "Aus Ihrem Netz kamen in kurzer Zeit viele Anfragen" in html
    # The wait is what is left of the limit's window: seconds in the last minute of the hour.
    assert re.search(r"es in \d+ (Minuten?|Sekunden?) noch einmal", html)


def test_a_newcomer_adding_an_idea_with_a_name_counts_as_joining(
    limits, question: Question
) -> None:
    """Clearing cookies and adding an idea under a new name makes a new participant too (#28)."""
    limits("join=2/h")
    statuses = [
        Person("x").post(f"/q/{question.pk}/ideas/", {"name": f"Sock {i}", "title": f"I{i}"})
        for i in range(3)
    ]
    assert [r.status_code for r in statuses] == [302, 302, 429]
    assert Participant.objects.filter(question=question, name__startswith="Sock").count() == 2


def test_writes_in_general_have_a_limit_of_their_own(
    limits, question: Question, idea: Idea, bob: Person
) -> None:
    limits("write=3/5m")
    q = question.pk
    assert bob.post(f"/q/{q}/idea/{idea.pk}/edit/", {"title": "Lake"}).status_code == 302
    assert bob.post(f"/q/{q}/comments/", {"text": "Hi"}).status_code == 302
    assert bob.post(f"/q/{q}/ideas/{idea.pk}/vote/").status_code == 302
    assert_too_many(bob.post(f"/q/{q}/ideas/{idea.pk}/unvote/"), within=300)
    assert bob.get(f"/q/{q}/").status_code == 200  # reading goes on


def test_reads_have_a_higher_limit_and_the_health_check_none(
    limits, question: Question, bob: Person
) -> None:
    limits("read=3/5m")
    for _ in range(3):
        assert bob.get(f"/q/{question.pk}/").status_code == 200
    assert_too_many(bob.get(f"/q/{question.pk}/"), within=300)
    assert_too_many(bob.get(f"/q/{question.pk}/?part=ideas", **HX), within=300)
    for _ in range(5):
        assert bob.get("/healthz").status_code == 200


# The API ------------------------------------------------------------------------------------


def _json(response):
    if response["Content-Type"] == "application/json":
        response.data = response.json()
    return response


@pytest.fixture
def api(question: Question) -> dict[str, Callable]:
    q = question.pk
    bob = join(q, "Bob")
    idea_id = bob.post(f"/questions/{q}/ideas", {"title": "Lake"}).data["id"]
    argument_id = bob.post(f"/ideas/{idea_id}/arguments", {"kind": "pro", "text": "x"}).data["id"]
    n = count()
    flip = count()
    return {
        "question": lambda: (Caller().post("/questions", {"title": "Q"}), 201),
        "join": lambda: (Caller().post(f"/questions/{q}/participants", {"name": "Eve"}), 201),
        "idea": lambda: (bob.post(f"/questions/{q}/ideas", {"title": f"I{next(n)}"}), 201),
        "argument": lambda: (
            bob.post(f"/ideas/{idea_id}/arguments", {"kind": "con", "text": f"{next(n)}"}),
            201,
        ),
        "comment": lambda: (bob.post(f"/questions/{q}/comments", {"text": "Hi"}), 201),
        "vote": lambda: (
            bob.call(("PUT", "DELETE")[next(flip) % 2], f"/ideas/{idea_id}/vote"),
            200,
        ),
        "like": lambda: (
            bob.call(("PUT", "DELETE")[next(flip) % 2], f"/arguments/{argument_id}/like"),
            200,
        ),
        "stream": lambda: (_json(Client().get(f"/api/v1/questions/{q}/events")), 200),
    }


@pytest.mark.parametrize("route", [*ROUTES, STREAM])
def test_an_api_route_takes_its_limit_then_answers_429_in_json(
    route: str, limits, api: dict[str, Callable]
) -> None:
    limits(f"{route}=3/h")
    send = api[route]
    for _ in range(3):
        response, ok = send()
        assert response.status_code == ok, getattr(response, "data", response)
    response, _ = send()
    assert_too_many(response, within=3600)
    assert response.data["detail"].startswith(MESSAGES[route])


def test_reading_the_ideas_takes_nothing_from_the_limit_on_adding_them(
    limits, question: Question, api: dict[str, Callable]
) -> None:
    # One path, two methods: GET reads a page of ideas, POST adds one (and is limited).
    limits("idea=3/h")
    reader = Caller()
    for _ in range(5):
        assert reader.get(f"/questions/{question.pk}/ideas").status_code == 200
    for _ in range(3):
        response, ok = api["idea"]()
        assert response.status_code == ok
    assert_too_many(api["idea"]()[0], within=3600)


@pytest.mark.django_db(transaction=True)
def test_the_page_stream_refused_answers_in_json_for_the_browsers_event_source(
    limits, question: Question, bob: Person
) -> None:
    limits("stream=1/5m")
    bob.get(f"/q/{question.pk}/events")
    response = bob.get(f"/q/{question.pk}/events", HTTP_ACCEPT="text/event-stream")
    assert_too_many(response, within=300)
    assert response.json()["detail"].startswith(NETWORK)


# Whose request it is ------------------------------------------------------------------------


def _join_from(question: Question, name: str, **meta: str):
    person = Person(name)
    person.client.defaults.update(meta)
    return person.post(f"/q/{question.pk}/join/", {"name": name})


def test_each_address_has_its_own_count(limits, question: Question) -> None:
    limits("join=1/h")
    first = {"REMOTE_ADDR": "198.51.100.1"}
    second = {"REMOTE_ADDR": "198.51.100.2"}
    assert _join_from(question, "Carol", **first).status_code == 302
    assert _join_from(question, "Dave", **first).status_code == 429
    assert _join_from(question, "Erin", **second).status_code == 302


def test_a_forwarded_address_is_believed_only_from_a_trusted_proxy(
    limits, settings, question: Question
) -> None:
    limits("join=1/h")
    settings.PONDER_TRUSTED_PROXIES = parse_proxies("10.0.0.0/24")
    proxy = {"REMOTE_ADDR": "10.0.0.5"}
    # Through the proxy, two people are two addresses, whatever they claim on the left.
    carol = {**proxy, "HTTP_X_FORWARDED_FOR": "1.1.1.1, 203.0.113.7"}
    dave = {**proxy, "HTTP_X_FORWARDED_FOR": "203.0.113.7, 203.0.113.8"}
    erin = {**proxy, "HTTP_X_FORWARDED_FOR": "203.0.113.7"}
    assert _join_from(question, "Carol", **carol).status_code == 302
    assert _join_from(question, "Dave", **dave).status_code == 302
    assert _join_from(question, "Erin", **erin).status_code == 429  # Carol's address
    # Straight from the internet, X-Forwarded-For is a claim, not an address: every new claim
    # still counts against the address the request came from.
    mallory = {"REMOTE_ADDR": "198.51.100.66"}
    assert (
        _join_from(question, "M1", **mallory, HTTP_X_FORWARDED_FOR="192.0.2.1").status_code == 302
    )
    spoofed = _join_from(question, "M2", **mallory, HTTP_X_FORWARDED_FOR="192.0.2.2")
    assert spoofed.status_code == 429


def test_votes_and_likes_count_per_person_whoever_shares_their_address(
    limits, question: Question, idea: Idea, argument, bob: Person
) -> None:
    limits("vote=2/h,like=1/h")
    url = f"/q/{question.pk}/ideas/{idea.pk}/"
    carol = Person("Carol").join(question)
    # Bob and Carol share 127.0.0.1, as a class shares its school's address: each has two votes.
    for person in (bob, carol):
        assert person.post(url + "vote/").status_code == 302
        assert person.post(url + "unvote/").status_code == 302
    refused = bob.post(url + "vote/")
    assert_too_many(refused, within=3600)
    assert PERSONAL in refused.content.decode()
    # From another address Bob is still Bob: his count goes with his browser.
    assert bob.post(url + "vote/", REMOTE_ADDR="198.51.100.9").status_code == 429
    assert carol.post(f"/q/{question.pk}/arguments/{argument.pk}/like/").status_code == 302
    assert bob.post(f"/q/{question.pk}/arguments/{argument.pk}/like/").status_code == 302
    assert not Vote.objects.filter(idea=idea).exists()


def test_new_names_count_per_question_and_address(limits, make_question) -> None:
    limits("join_question=2/h")
    first, _ = make_question("Where to on Friday?")
    second, _ = make_question("What to cook?")
    statuses = [Person(f"P{i}").post(f"/q/{first.pk}/join/", {"name": f"P{i}"}) for i in range(3)]
    assert [r.status_code for r in statuses] == [302, 302, 429]
    assert NEW_NAMES in statuses[2].content.decode()
    # Another question from the same address, or the same question from another address: fresh.
    assert Person("Q").post(f"/q/{second.pk}/join/", {"name": "Q"}).status_code == 302
    other = Person("R").post(f"/q/{first.pk}/join/", {"name": "R"}, REMOTE_ADDR="198.51.100.3")
    assert other.status_code == 302
    # Through the API too: the same count for the question.
    api_join = Caller().post(f"/questions/{first.pk}/participants", {"name": "Eve"})
    assert_too_many(api_join, within=3600)
    assert api_join.data["detail"].startswith(NEW_NAMES)


def test_a_request_without_a_participant_token_is_counted_as_joining_not_per_person(
    limits, question: Question
) -> None:
    """A newcomer's first idea, with their name: they have no token yet, so no person's count
    can hold them; the new name counts as joining, per address and per question."""
    limits("idea=1/h,join_question=3/h")
    statuses = [
        Person("x").post(f"/q/{question.pk}/ideas/", {"name": f"N{i}", "title": f"I{i}"})
        for i in range(4)
    ]
    assert [r.status_code for r in statuses] == [302, 302, 302, 429]


def _ip(remote: str, forwarded: str | None = None) -> str:
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return ratelimit.client_ip(RequestFactory().get("/", **meta))


def test_the_client_address_is_the_right_most_untrusted_hop(settings) -> None:
    settings.PONDER_TRUSTED_PROXIES = []
    assert _ip("198.51.100.1", "203.0.113.9") == "198.51.100.1"
    settings.PONDER_TRUSTED_PROXIES = parse_proxies("10.0.0.1, 10.1.0.0/16")
    assert _ip("10.0.0.1", "203.0.113.9") == "203.0.113.9"
    assert _ip("10.0.0.1", "6.6.6.6, 203.0.113.9, 10.1.2.3") == "203.0.113.9"  # two proxies
    assert _ip("10.0.0.1", "203.0.113.9:4711") == "203.0.113.9"
    assert _ip("10.0.0.1", "nonsense") == "10.0.0.1"
    assert _ip("10.0.0.1") == "10.0.0.1"
    assert _ip("10.0.0.1", "10.1.0.1") == "10.1.0.1"  # only proxies: the farthest one
    assert _ip("10.0.0.2", "203.0.113.9") == "10.0.0.2"
    # One machine has a whole /64 of IPv6 addresses: they count as one.
    assert _ip("2001:db8:1:2:aaaa::1") == _ip("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert _ip("::ffff:198.51.100.1") == "198.51.100.1"


# Time and failure ---------------------------------------------------------------------------


def test_a_new_window_lets_requests_through_again(
    limits, monkeypatch: pytest.MonkeyPatch, question: Question, idea: Idea, bob: Person
) -> None:
    limits("vote=2/h")
    now = 1_800_000_000.0  # 08:00:00 UTC, the start of an hour
    monkeypatch.setattr(ratelimit, "clock", lambda: now + 45 * 60)
    url = f"/q/{question.pk}/ideas/{idea.pk}/"
    assert bob.post(url + "vote/").status_code == 302
    assert bob.post(url + "unvote/").status_code == 302
    refused = bob.post(url + "vote/")
    assert_too_many(refused, within=3600)
    assert refused["Retry-After"] == str(15 * 60)  # until 09:00
    assert "15 minutes" in refused.content.decode()
    monkeypatch.setattr(ratelimit, "clock", lambda: now + 60 * 60 - 1)
    assert bob.post(url + "vote/").status_code == 429
    monkeypatch.setattr(ratelimit, "clock", lambda: now + 60 * 60)
    assert bob.post(url + "vote/").status_code == 302
    assert Vote.objects.filter(idea=idea).count() == 1


def test_a_broken_cache_lets_every_request_through_and_says_so(
    limits, settings, caplog: pytest.LogCaptureFixture, question: Question, idea: Idea, bob: Person
) -> None:
    limits("vote=1/h,write=1/h")
    # A Redis nobody listens on (port 9 is discard; connections are refused at once).
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1},
        }
    }
    ratelimit._paused_until = 0.0
    try:
        with caplog.at_level(logging.WARNING, logger="ponder.ratelimit"):
            url = f"/q/{question.pk}/ideas/{idea.pk}/"
            statuses = [bob.post(url + ("vote/", "unvote/")[i % 2]).status_code for i in range(4)]
        assert statuses == [302] * 4
        assert "Rate limits are off for 10 s: the cache failed" in caplog.text
        assert caplog.text.count("the cache failed") == 1  # not once per request
    finally:
        ratelimit._paused_until = 0.0


def test_with_limits_off_nothing_is_counted(settings, question: Question, bob: Person) -> None:
    settings.PONDER_RATE_LIMITS = parse_limits("off")
    for i in range(120):
        assert bob.post(f"/q/{question.pk}/ideas/", {"title": f"I{i}"}).status_code == 302
    assert cache.get(f"ratelimit:write:127.0.0.1:{int(ratelimit.clock() // 600)}") is None


def test_a_trusted_proxy_may_name_the_client_in_a_forwarded_header_instead(settings) -> None:
    settings.PONDER_TRUSTED_PROXIES = parse_proxies("10.0.0.1")
    forwarded = {"REMOTE_ADDR": "10.0.0.1", "HTTP_FORWARDED": 'for=6.6.6.6, for="[2001:db8::1]:80"'}
    assert ratelimit.client_ip(RequestFactory().get("/", **forwarded)) == "2001:db8::/64"
    # From anyone else, it is ignored like X-Forwarded-For.
    direct = {**forwarded, "REMOTE_ADDR": "198.51.100.1"}
    assert ratelimit.client_ip(RequestFactory().get("/", **direct)) == "198.51.100.1"


def test_forwarding_headers_from_an_untrusted_peer_never_reach_a_view(settings) -> None:
    seen = {}

    def view(request):
        seen.update({name: request.META.get(name) for name in FORWARDING_HEADERS})
        return HttpResponse()

    headers = {"HTTP_X_FORWARDED_FOR": "1.2.3.4", "HTTP_X_FORWARDED_PROTO": "https"}
    headers |= {"HTTP_FORWARDED": "for=1.2.3.4;proto=https"}
    settings.PONDER_TRUSTED_PROXIES = parse_proxies("10.0.0.1")
    ForwardedHeadersMiddleware(view)(RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", **headers))
    assert seen == dict.fromkeys(FORWARDING_HEADERS)
    ForwardedHeadersMiddleware(view)(RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", **headers))
    assert seen == {name: headers[name] for name in FORWARDING_HEADERS}
