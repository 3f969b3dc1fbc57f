"""Time zones for deadlines: the canonical names of the tz database, and the common ones that the
settings form offers.

The tz database keeps older spellings of its zones as links (`US/Eastern`, `Asia/Calcutta`,
`W-SU`) beside a few technical entries (`Factory`, `localtime`, `posixrules`); a list of every
name Python knows holds about 600 of them. Canonical here means a zone of `zone.tab`, the
database's own table of the zones people live in, country by country, plus `UTC`.
"""

import zoneinfo
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from importlib import resources
from pathlib import Path

# The tz database's regions, in the order the form shows them (UTC comes first, on its own).
REGIONS = (
    "Europe",
    "America",
    "Africa",
    "Asia",
    "Australia",
    "Pacific",
    "Atlantic",
    "Indian",
    "Antarctica",
    "Arctic",
)

# Offered without JavaScript (with it, the browser's own zone comes first): the big cities of
# every region and at least one zone for every offset in use. Any other canonical zone is
# accepted too (the API, a browser's zone); `canonical()` filters this list on an older tz
# database that lacks a name.
COMMON = (
    "UTC",
    *(f"Europe/{city}" for city in (
        "Amsterdam", "Athens", "Belgrade", "Berlin", "Brussels", "Bucharest", "Budapest",
        "Copenhagen", "Dublin", "Helsinki", "Istanbul", "Kyiv", "Lisbon", "London", "Madrid",
        "Minsk", "Moscow", "Oslo", "Paris", "Prague", "Rome", "Samara", "Sofia", "Stockholm",
        "Vienna", "Warsaw", "Zurich",
    )),
    *(f"America/{city}" for city in (
        "Adak", "Anchorage", "Argentina/Buenos_Aires", "Asuncion", "Bogota", "Caracas",
        "Chicago", "Denver", "Edmonton", "Guatemala", "Halifax", "Havana", "La_Paz", "Lima",
        "Los_Angeles", "Mexico_City", "Montevideo", "New_York", "Nuuk", "Panama", "Phoenix",
        "Puerto_Rico", "Regina", "Santiago", "Santo_Domingo", "Sao_Paulo", "St_Johns", "Toronto",
        "Vancouver", "Winnipeg",
    )),
    *(f"Africa/{city}" for city in (
        "Abidjan", "Accra", "Addis_Ababa", "Algiers", "Cairo", "Casablanca", "Dakar",
        "Johannesburg", "Khartoum", "Kinshasa", "Lagos", "Maputo", "Nairobi", "Tunis",
    )),
    *(f"Asia/{city}" for city in (
        "Almaty", "Baghdad", "Baku", "Bangkok", "Beirut", "Colombo", "Dhaka", "Dubai",
        "Ho_Chi_Minh", "Hong_Kong", "Jakarta", "Jerusalem", "Kabul", "Kamchatka", "Karachi",
        "Kathmandu", "Kolkata", "Kuala_Lumpur", "Manila", "Novosibirsk", "Riyadh", "Seoul",
        "Shanghai", "Singapore", "Taipei", "Tashkent", "Tbilisi", "Tehran", "Tokyo",
        "Ulaanbaatar", "Vladivostok", "Yangon", "Yekaterinburg", "Yerevan",
    )),
    *(f"Australia/{city}" for city in (
        "Adelaide", "Brisbane", "Darwin", "Hobart", "Lord_Howe", "Melbourne", "Perth", "Sydney",
    )),
    *(f"Pacific/{city}" for city in (
        "Apia", "Auckland", "Chatham", "Fiji", "Guam", "Honolulu", "Kiritimati", "Marquesas",
        "Noumea", "Pago_Pago", "Port_Moresby", "Tahiti", "Tongatapu",
    )),
    *(f"Atlantic/{city}" for city in ("Azores", "Canary", "Cape_Verde", "Reykjavik")),
    *(f"Indian/{city}" for city in ("Maldives", "Mauritius")),
)  # fmt: skip


def _zone_table() -> str | None:
    """`zone.tab` of the tz database Python reads: the system's, else the `tzdata` package's."""
    for folder in zoneinfo.TZPATH:
        path = Path(folder) / "zone.tab"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    try:
        return resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return None


@cache
def canonical() -> frozenset[str]:
    """Every zone a deadline may be given in."""
    known = zoneinfo.available_timezones()
    table = _zone_table()
    if table is None:  # no table to read: the zones named by a region, still no `W-SU`
        names = {name for name in known if name.split("/")[0] in REGIONS}
    else:
        # Lines of country code, coordinates, zone and comment; `#` starts a comment line.
        names = {line.split("\t")[2] for line in table.splitlines() if line[:1] not in ("#", "")}
    return frozenset((names | {"UTC"}) & known)


def offset(name: str, at: datetime) -> str:
    """The zone's offset from UTC at `at`, as `UTC+05:30`."""
    minutes = int(at.astimezone(zoneinfo.ZoneInfo(name)).utcoffset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02}:{abs(minutes) % 60:02}"


def label(name: str, at: datetime) -> str:
    """`America/New York (UTC-05:00)`: the name as people read it, and its offset at `at`."""
    return f"{name.replace('_', ' ')} ({offset(name, at)})"


def grouped(first: Iterable[str], at: datetime, region_names: dict[str, str]) -> list:
    """Choices for a select: the zones of `first` (the current one, if it is not common), UTC,
    then the common zones of each region under the region's name (`region_names`)."""
    zones = canonical()
    choices: list = [(name, label(name, at)) for name in dict.fromkeys(first) if name]
    taken = {name for name, _label in choices}
    if "UTC" not in taken:
        choices.append(("UTC", label("UTC", at)))
    for region in REGIONS:
        members = sorted(
            name
            for name in COMMON
            if name.split("/")[0] == region and name in zones and name not in taken
        )
        if members:
            choices.append((region_names[region], [(name, label(name, at)) for name in members]))
    return choices
