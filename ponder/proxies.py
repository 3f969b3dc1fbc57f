"""Who is asking: the one place that decides a request's client address and whether to believe
the forwarding headers (X-Forwarded-For, X-Forwarded-Proto, Forwarded) that came with it.

They are believed only from the proxies the operator names in PONDER_TRUSTED_PROXIES (none by
default): from anyone else they are a claim, not an address, and `ForwardedHeadersMiddleware`
removes them before any other part of Django (or `SECURE_PROXY_SSL_HEADER`) reads them.
`ponder serve` runs uvicorn without its own proxy headers handling, so the request's
REMOTE_ADDR is always the peer of the connection, and this module alone reads the rest.
"""

import functools
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse

type IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
type IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_FORWARDED")
# `for=` in one element of a Forwarded header (RFC 7239): for=192.0.2.1, for="[2001:db8::1]:80"
_FORWARDED_FOR = re.compile(r'(?:^|[;,])\s*for\s*=\s*"?([^";,]+)"?', re.IGNORECASE)


def parse_proxies(text: str) -> list[IPNetwork]:
    """PONDER_TRUSTED_PROXIES: comma-separated addresses or networks (CIDR) of proxies."""
    networks = []
    for item in text.split(","):
        if item.strip():
            try:
                networks.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                raise ImproperlyConfigured(
                    f"PONDER_TRUSTED_PROXIES: {item.strip()!r} is not an IP address or network"
                ) from None
    return networks


@functools.cache
def _parsed_proxies(text: str) -> list[IPNetwork]:
    return parse_proxies(text)


def configured_proxies() -> list[IPNetwork]:
    """settings.PONDER_TRUSTED_PROXIES, parsed: the text from the environment (parsed once), or
    networks parsed already (as tests set them)."""
    value = settings.PONDER_TRUSTED_PROXIES
    return _parsed_proxies(value) if isinstance(value, str) else value


def parse_address(text: str) -> IPAddress | None:
    """An address as proxies write it (`192.0.2.1`, `192.0.2.1:443`, `[2001:db8::1]:443`), an
    IPv4-mapped IPv6 address as IPv4; None for anything else."""
    text = text.strip()
    if text.startswith("[") and "]" in text:
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:
        text = text.split(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address: IPAddress | None, proxies: Iterable[IPNetwork]) -> bool:
    return address is not None and any(address in network for network in proxies)


def from_trusted_proxy(meta: Mapping[str, Any]) -> bool:
    """Whether the connection came from one of PONDER_TRUSTED_PROXIES."""
    proxies = configured_proxies()
    return bool(proxies) and _trusted(parse_address(meta.get("REMOTE_ADDR", "")), proxies)


def _hops(meta: Mapping[str, Any]) -> list[str]:
    """The addresses the proxies recorded, nearest last: X-Forwarded-For, else Forwarded."""
    if forwarded_for := meta.get("HTTP_X_FORWARDED_FOR", ""):
        return [hop for hop in forwarded_for.split(",") if hop.strip()]
    return _FORWARDED_FOR.findall(meta.get("HTTP_FORWARDED", ""))


def client_address(meta: Mapping[str, Any]) -> IPAddress | None:
    """The client's address: REMOTE_ADDR, unless that is a trusted proxy; then the right-most
    address the proxies recorded that is not a trusted proxy itself (a client can put anything on
    the left of that header, but not on the right of what its proxies append). None when
    REMOTE_ADDR is not an address (a Unix socket)."""
    address = parse_address(meta.get("REMOTE_ADDR", ""))
    proxies = configured_proxies()
    if not _trusted(address, proxies):
        return address
    for hop in reversed(_hops(meta)):
        forwarded = parse_address(hop)
        if forwarded is None:
            break  # our own proxies wrote nonsense: the last one we can name it is
        address = forwarded
        if not _trusted(forwarded, proxies):
            break
    return address


class ForwardedHeadersMiddleware:
    """First in the stack: forwarding headers from anyone but a trusted proxy are removed, so no
    later part (Django's `SECURE_PROXY_SSL_HEADER`, the rate limits) can be told a false scheme
    or address."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        configured_proxies()  # a wrong setting stops the server as it starts

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not from_trusted_proxy(request.META):
            for name in FORWARDING_HEADERS:
                request.META.pop(name, None)
        return self.get_response(request)


def check_trusted_proxies(**kwargs: Any) -> list[Any]:
    """`ponder check --deploy`: PONDER_HTTPS says a proxy in front speaks HTTPS (`ponder serve`
    does not), yet none is trusted. Its X-Forwarded-Proto would be thrown away, every request
    would look like plain HTTP and be redirected to HTTPS again, and every visitor would have the
    proxy's address (one rate limit for all)."""
    from django.core.checks import Warning

    if not settings.HTTPS or settings.PONDER_TRUSTED_PROXIES.strip():
        return []
    return [
        Warning(
            "PONDER_HTTPS is on, but PONDER_TRUSTED_PROXIES names no proxy.",
            hint="Set PONDER_TRUSTED_PROXIES to the address of the proxy in front of ponder serve "
            "(127.0.0.1 when it runs on this machine): until then every request looks like plain "
            "HTTP and is redirected again, and all visitors share the proxy's address and its "
            "rate limits.",
            id="ponder.W001",
        )
    ]
