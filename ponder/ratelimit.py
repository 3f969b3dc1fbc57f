"""Rate limits (docs/reliability.md #20-#22, #28), sized so that a room behind one address (a
class, an office, a conference Wi-Fi: 800 people and more) can take part with the defaults.

Every request counts against `write` (POST, PUT, PATCH, DELETE) or `read` (GET), in a
middleware; each limited view and API operation also against its own bucket (`vote`, `idea`,
...), which it names where it is defined (`limit`, `limit_operation`). Each bucket counts per
one kind of sender (`SCOPES`): per client address (a backstop against a flood over many
questions), per question and address (new names: a room joins one question at once, a script
is stopped there), or per person (the participant token of a browser or an API client: what one
person does, whoever shares their address). Over a limit, the answer is 429 with `Retry-After`
(seconds): a page, a status message for htmx, or `{"detail": ...}` under /api/, saying kindly
whose count is full (the network's, or this browser's) and how long to wait.

Counts are fixed windows in Django's cache (`cache.add` then `cache.incr`: atomic in Redis, so
several processes share one count; per process with the in-memory cache). A cache that fails lets
every request through, with a log line: rate limits must never cost a vote.

The client is the address `ponder.proxies.client_address` decides: REMOTE_ADDR, or what a
proxy named in PONDER_TRUSTED_PROXIES forwarded.
"""

import functools
import hashlib
import ipaddress
import logging
import math
import re
import time
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_htmx.http import reswap

from ponder.proxies import client_address

log = logging.getLogger(__name__)


class Limit(NamedTuple):
    count: int  # requests allowed per window
    period: int  # the window, in seconds


# A room behind one address (README, Rate limits): a thousand people join one question within
# minutes, each votes ten times, adds a little and keeps the page open. Loomio's per-address
# numbers (100 votes an hour, 30 new sessions) fit accounts, not such a room, so what one person
# does is counted per person, with Loomio's 100 an hour; new names per question and address,
# with room for the whole room at once (and a script stopped there, its names listed for the
# organiser); and per address only as a backstop sized for a room: its writes (a name, ten votes
# and some more each), its live streams (one per page, again after each drop) and its reads (a
# live page fetches a row for every change anybody makes, so a room's reads grow with its size
# times its changes: the backstop is about what a server can answer at all).
DEFAULT_LIMITS = (
    "write=20000/10m,read=300000/5m,stream=5000/5m,question=100/h,join=2000/h,"
    "join_question=1000/h,idea=100/h,argument=100/h,comment=100/h,vote=100/h,like=100/h,"
    "report=30/h,password=10/10m,password_any=50/h,co_organiser=30/h,notify=20/h"
)
NAMES = tuple(item.partition("=")[0] for item in DEFAULT_LIMITS.split(","))
# Whom each bucket counts: the client address, the question and the address, or the person (the
# participant token the request carries; a request without one is not counted there: it can
# only write by giving a name, which `join` and `join_question` count).
ADDRESS, QUESTION, PERSON = "address", "question", "person"
SCOPES = {
    "write": ADDRESS,
    "read": ADDRESS,
    "stream": ADDRESS,
    "question": ADDRESS,
    "join": ADDRESS,
    "join_question": QUESTION,
    "idea": PERSON,
    "argument": PERSON,
    "comment": PERSON,
    "vote": PERSON,
    "like": PERSON,
    "report": PERSON,
    # Wrong passwords of a question (`wrong_password`): per question and address, and per
    # address over every question.
    "password": QUESTION,
    "password_any": ADDRESS,
    # Adding co-organisers: the answer tells whether an address has an account.
    "co_organiser": ADDRESS,
    # Addresses given for notifications: each is mailed a link to confirm.
    "notify": ADDRESS,
}
JOINING = ("join", "join_question")  # a new name counts against both
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
OFF = {"off", "0", "no", "false", "none"}
_LIMIT = re.compile(r"^(\d+)\s*/\s*(\d*)\s*([smhd])$")

# Each limited view says its own bucket where it is defined: a page's view (and the live stream)
# with `limit`, counted here before the view runs; an API operation with `limit_operation`,
# counted as it runs (one path of the API may take several methods, each its own operation, and
# Django resolves the path, not the operation).
UNLIMITED = {"healthz"}  # load balancers ask often, from one address
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
COUNTED = "_ponder_rate_limit_counted"  # set on a request whose view's own bucket was counted


Person = Callable[[HttpRequest], str | None]  # the participant token a request carries, if any


class Own(NamedTuple):
    bucket: str
    methods: frozenset[str]
    newcomer: bool  # a form a newcomer sends with their name: it may make a new participant (#28)
    person: Person | None  # for a bucket counted per person: where the request carries its token


def _checked(bucket: str, person: Person | None) -> str:
    if bucket not in NAMES:
        raise ImproperlyConfigured(f"no rate limit named {bucket!r}")
    if SCOPES[bucket] == PERSON and person is None:
        raise ImproperlyConfigured(f"the rate limit {bucket!r} counts per person: give person=")
    return bucket


def limit(
    bucket: str,
    *,
    methods: Iterable[str] = ("POST",),
    newcomer: bool = False,
    person: Person | None = None,
) -> Callable[[Callable], Callable]:
    """A view's own limit (`bucket`, for `methods`), besides `read` or `write`; `newcomer`: a
    request that sends a name also counts as joining; `person`: the request's participant token,
    for a bucket counted per person."""
    _checked(bucket, person)

    def tag(view: Callable) -> Callable:
        view.rate_limit = Own(bucket, frozenset(methods), newcomer, person)  # type: ignore[attr-defined]
        return view

    return tag


def limit_operation(bucket: str, *, person: Person | None = None) -> Callable[[Callable], Callable]:
    """An API operation's own limit, counted when it runs; over it, a 429 in JSON."""
    _checked(bucket, person)

    def wrap(operation: Callable) -> Callable:
        @functools.wraps(operation)
        def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if configured_limits() and not getattr(request, COUNTED, False):
                setattr(request, COUNTED, True)
                buckets = JOINING if bucket == "join" else (bucket,)
                counts = counts_for(
                    request, buckets, question_id=kwargs.get("question_id"), person=person
                )
                refusal = hit(counts)
                if refusal is not None:
                    return too_many(request, refusal)
            return operation(request, *args, **kwargs)

        limited.rate_limit = Own(bucket, frozenset(), False, person)  # type: ignore[attr-defined]
        return limited

    return wrap


def bearer_token(request: HttpRequest) -> str | None:
    """The token of `Authorization: Bearer <token>` (the API's participant or admin token)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


# Configuration ------------------------------------------------------------------------------


def parse_limits(text: str) -> dict[str, Limit]:
    """PONDER_RATE_LIMITS: comma-separated `name=count/period` on top of the defaults, e.g.
    `vote=200/h,read=6000/5m`; `name=off` lifts one limit; `off` lifts all of them so far (so
    `off,vote=5/m` limits votes only). Periods: `30s`, `5m`, `h`, `2h`, `d`."""
    limits: dict[str, Limit] = {}
    for item in f"{DEFAULT_LIMITS},{text}".split(","):
        item = item.strip().lower()
        if not item:
            continue
        if item in OFF:
            limits.clear()
            continue
        name, sep, value = (part.strip() for part in item.partition("="))
        if not sep or name not in NAMES:
            raise ImproperlyConfigured(
                f"PONDER_RATE_LIMITS: {item!r} is not name=count/period; names: {', '.join(NAMES)}"
            )
        if value in OFF:
            limits.pop(name, None)
            continue
        match = _LIMIT.match(value)
        if not match or int(match[1]) < 1 or match[2] == "0":
            raise ImproperlyConfigured(
                f"PONDER_RATE_LIMITS: {item!r} needs count/period like 100/h, 300/5m or 10/30s"
            )
        limits[name] = Limit(int(match[1]), int(match[2] or 1) * UNITS[match[3]])
    return limits


@functools.cache
def _parsed_limits(text: str) -> dict[str, Limit]:
    return parse_limits(text)


def configured_limits() -> dict[str, Limit]:
    """settings.PONDER_RATE_LIMITS, parsed: the text from the environment (parsed once), or
    limits parsed already (as tests set them)."""
    value = settings.PONDER_RATE_LIMITS
    return _parsed_limits(value) if isinstance(value, str) else value


# Who is asking ------------------------------------------------------------------------------


def client_ip(request: HttpRequest) -> str:
    """The address to count this request against, as text."""
    address = client_address(request.META)
    if address is None:
        return request.META.get("REMOTE_ADDR", "")[:64] or "unknown"
    if address.version == 6:
        # One machine gets a whole /64 from its provider: counting each address alone would
        # let it take a fresh one for every request.
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


# Counting -----------------------------------------------------------------------------------

clock: Callable[[], float] = time.time  # tests move it forward
PAUSE_AFTER_FAILURE = 10.0  # seconds without limits after the cache failed, per process
_paused_until = 0.0


def _count(key: str, timeout: int) -> int:
    # add() creates the key only if missing, incr() adds atomically: two processes never both
    # see 1. A key expiring between the two is a new window, so it starts at 1 again.
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:
        cache.add(key, 1, timeout=timeout)
        return 1


class Refusal(NamedTuple):
    wait: int  # seconds until the fullest count's window ends
    scope: str  # whose count is full: ADDRESS, QUESTION or PERSON


def counts_for(
    request: HttpRequest,
    buckets: Iterable[str],
    *,
    question_id: str | None = None,
    person: Person | None = None,
) -> list[tuple[str, str]]:
    """Each bucket with whom it counts this request against: the client address, the question
    and the address, or the person (their token, hashed: no secret is kept in the cache)."""
    ip = client_ip(request)
    counts = []
    for bucket in buckets:
        scope = SCOPES[bucket]
        if scope == ADDRESS:
            counts.append((bucket, ip))
        elif scope == QUESTION:
            if question_id:
                counts.append((bucket, f"{question_id}/{ip}"))
        elif (token := person(request) if person else None) is not None:
            counts.append((bucket, "p" + hashlib.sha256(token.encode()).hexdigest()[:32]))
    return counts


def hit(counts: Iterable[tuple[str, str]]) -> Refusal | None:
    """Count one request in each (bucket, sender); a `Refusal` if one is over its limit."""
    global _paused_until
    limits = configured_limits()
    now = clock()
    if time.monotonic() < _paused_until:
        return None
    refusal: Refusal | None = None
    try:
        for bucket, who in counts:
            limit = limits.get(bucket)
            if limit is None:
                continue
            window = int(now // limit.period)
            ends = (window + 1) * limit.period
            count = _count(f"ratelimit:{bucket}:{who}:{window}", timeout=math.ceil(ends - now) + 1)
            if count > limit.count:
                if count == limit.count + 1:
                    log.warning("Rate limit %s=%d/%ds reached by %s", bucket, *limit, who)
                wait = max(math.ceil(ends - now), 1)
                if refusal is None or wait > refusal.wait:
                    refusal = Refusal(wait, SCOPES[bucket])
    except Exception:
        # Redis down, or any cache trouble: let everyone through rather than refuse a vote, and
        # stop asking for a while so that a hung Redis does not slow every request.
        _paused_until = time.monotonic() + PAUSE_AFTER_FAILURE
        log.warning(
            "Rate limits are off for %d s: the cache failed", PAUSE_AFTER_FAILURE, exc_info=True
        )
        return None
    return refusal


# Wrong passwords: only wrong guesses count, and once over, no guess is even checked.
GUESSES = ("password", "password_any")


def guesses_left(request: HttpRequest, question_id: str) -> Refusal | None:
    """A `Refusal` if this address has made too many wrong guesses at the question's password
    lately (counted by `wrong_password`); None if it may guess. Counts nothing."""
    limits = configured_limits()
    now = clock()
    refusal: Refusal | None = None
    try:
        for bucket, who in counts_for(request, GUESSES, question_id=question_id):
            limit = limits.get(bucket)
            if limit is None:
                continue
            window = int(now // limit.period)
            if (cache.get(f"ratelimit:{bucket}:{who}:{window}") or 0) >= limit.count:
                wait = max(math.ceil((window + 1) * limit.period - now), 1)
                if refusal is None or wait > refusal.wait:
                    refusal = Refusal(wait, SCOPES[bucket])
    except Exception:
        log.warning("Password guesses are not limited now: the cache failed", exc_info=True)
        return None
    return refusal


def wrong_password(request: HttpRequest, question_id: str) -> None:
    """Count a wrong guess at the question's password."""
    hit(counts_for(request, GUESSES, question_id=question_id))


def guesses_message(refusal: Refusal) -> str:
    return _(
        "Too many wrong passwords were tried from your network. Please wait %(wait)s, then "
        "try again."
    ) % {"wait": _wait_text(refusal.wait)}


def buckets_for(request: HttpRequest, view: Callable) -> list[str]:
    """The buckets a request is counted against before its view runs."""
    method = request.method or "GET"
    buckets = ["read" if method in SAFE_METHODS else "write"]
    own: Own | None = getattr(view, "rate_limit", None)
    if own is not None and method in own.methods:
        buckets += JOINING if own.bucket == "join" else (own.bucket,)
        setattr(request, COUNTED, True)
        if own.bucket == "stream":
            buckets.remove("read")  # a stream is counted as a connection, not a read
        if own.newcomer and method == "POST" and _sends_a_name(request):
            buckets += JOINING
    return buckets


def _sends_a_name(request: HttpRequest) -> bool:
    try:
        return bool(request.POST.get("name", "").strip())
    except Exception:  # a body Django will not read: the view answers that
        return False


# The answer ---------------------------------------------------------------------------------


def _wait_text(seconds: int) -> str:
    if seconds < 60:
        return ngettext("%(count)d second", "%(count)d seconds", seconds) % {"count": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def refusal_message(refusal: Refusal) -> str:
    """Why nothing happened, kindly: whose count is full, and how long to wait."""
    wait = {"wait": _wait_text(refusal.wait)}
    if refusal.scope == PERSON:
        return (
            _(
                "You have made many changes in a short time, more than Ponder takes from one "
                "person. Please try again in %(wait)s."
            )
            % wait
        )
    if refusal.scope == QUESTION:
        return (
            _(
                "Many new names have joined this question from your network in a short time, more "
                "than Ponder takes from one network (everyone on it counts together). Please try "
                "again in %(wait)s."
            )
            % wait
        )
    return (
        _(
            "Many requests have come from your network in a short time, more than Ponder takes "
            "from one network (everyone on it counts together). Please try again in %(wait)s."
        )
        % wait
    )


def too_many(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    message = refusal_message(refusal)
    response: HttpResponse
    if request.path.startswith("/api/") or request.headers.get("Accept", "").startswith(
        ("application/json", "text/event-stream")
    ):
        response = JsonResponse({"detail": message}, status=429)
    elif getattr(request, "htmx", False):
        # In place: the page stays as it is and the status line says why nothing happened.
        status = render_to_string(
            "status.html", {"message": message, "error": True, "oob": True}, request
        )
        response = reswap(HttpResponse(status, status=429), "none")
    else:
        context = {"title": _("Too many requests"), "message": message, "status": 429}
        response = render(request, "errors/error.html", context, status=429)
    response["Retry-After"] = str(refusal.wait)
    return response


class RateLimitMiddleware:
    """Counts each request against its address's limits; over one, answers 429."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # A wrong setting stops the server as it starts (the handler loads its middleware
        # then), with ImproperlyConfigured saying what is wrong, not at the first request.
        configured_limits()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., HttpResponse], args: list, kwargs: dict
    ) -> HttpResponse | None:
        match = request.resolver_match
        if not configured_limits() or match is None or match.view_name in UNLIMITED:
            return None
        own: Own | None = getattr(view, "rate_limit", None)
        counts = counts_for(
            request,
            buckets_for(request, view),
            question_id=match.kwargs.get("question_id"),
            person=own.person if own is not None else None,
        )
        refusal = hit(counts)
        return too_many(request, refusal) if refusal is not None else None
