"""Parse the dates feeds and sitemaps carry (RFC 822, ISO 8601, W3C datetime) into UTC.

Also the home of the date rules every part of the project shares: the one
table of time-zone abbreviations (:data:`ZONE_OFFSETS`, read through
:func:`zone_offset`, which also reads numeric offsets) and the one earliest
plausible year (:data:`EARLIEST_YEAR`). ``flows.extract`` uses both for page
dates and text-scrape datelines; connectors never import flows, so they live here.

A wrong date is worse than none, so the parser is strict about *which* day it
returns: a value naming only a year or a month is refused, an unknown or
ambiguous time-zone name is refused, and dates before :data:`EARLIEST_YEAR`
(placeholders such as the Unix epoch, ``0001-01-01`` or ``1900-01-01``) are
refused. Two conventions fill the remaining gaps:

* a date without a time (``2024-05-01``) becomes midnight UTC;
  :func:`parse_date` says so in :attr:`ParsedDate.date_only`, but the
  connectors call :func:`parse_datetime`, which drops that flag, so
  downstream such a date is indistinguishable from a real midnight;
* a time without an offset is read as UTC, as feedparser and most crawlers do
  (W3C datetime and RFC 822 both require an offset, so such values are rare).

Why one earliest year, and why 1990: there used to be two, 1900 here ("not a
placeholder") and 1990 for page dates ("the web's news era"). Every date the
project reads is a date of publication on the web (a feed entry, a sitemap
``lastmod``, a page's JSON-LD or ``<meta>``, a text scrape's dateline), and the
web began in 1991. An earlier value is a placeholder (``1900-01-01`` from
spreadsheets and SQL Server, the epoch written in a local zone, which is not
the epoch in UTC) or a print date of a digitised archive, never the day the
item appeared on the web; and a wrong date is worse than none. So 1990 holds
everywhere: feed and sitemap dates from 1900 to 1989, accepted before, are now
refused like those of pages.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType

__all__ = [
    "EARLIEST_YEAR",
    "ZONE_OFFSETS",
    "ParsedDate",
    "parse_date",
    "parse_datetime",
    "zone_offset",
]

EARLIEST_YEAR = 1990  # the web began in 1991: anything earlier is a placeholder (see above)

_MAX_LENGTH = 80
_MAX_OFFSET = timedelta(hours=14)  # the largest offset in use (Kiribati, UTC+14)

_ISO_DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}|\d{8}")
_ISO_PREFIX = re.compile(r"\d{4}-\d{2}-\d{2}(?:[Tt ]|$)|\d{8}(?:[Tt]|$)")
_RFC822 = re.compile(
    r"""
    (?:[A-Za-z]+\.?,?\s*)?              # optional day name, in any language
    (?P<day>\d{1,2})\s*[\s-]\s*
    (?P<month>[A-Za-z]{3,9})\.?\s*[\s-]\s*
    (?P<year>\d{4}|\d{2})
    (?:
        [\sT,]+(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.\d+)?)?
        (?:\s*(?P<zone>[+-]\d{2}:?\d{2}|[A-Za-z]{1,5}))?
    )?
    """,
    re.VERBOSE,
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
# Only unambiguous abbreviations; IST, CST (China) and the like are refused
# rather than guessed (RFC 822 defines UT, GMT, Z and the four US zones).
# Hours east of UTC, read as offsets through ZONE_OFFSETS.
_ZONE_HOURS = {
    "UT": 0,
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
    "WET": 0,
    "WEST": 1,
    "BST": 1,
    "CET": 1,
    "CEST": 2,
    "MET": 1,
    "MEST": 2,
    "MEZ": 1,  # German for CET
    "MESZ": 2,  # German for CEST
    "EET": 2,
    "EEST": 3,
    "MSK": 3,
    "JST": 9,
    "KST": 9,
    "HKT": 8,
    "SGT": 8,
    "AEST": 10,
    "AEDT": 11,
    "NZST": 12,
    "NZDT": 13,
}
ZONE_OFFSETS: Mapping[str, timedelta] = MappingProxyType(
    {name: timedelta(hours=hours) for name, hours in _ZONE_HOURS.items()}
)
# "+02:00", "-0500", "UTC+2", "GMT-05:30": an optional UTC/GMT, a sign, hours, minutes.
_NUMERIC_ZONE = re.compile(r"(?:UTC|GMT)?\s?(?P<sign>[+-])(?P<hours>\d{1,2}):?(?P<minutes>\d{2})?")


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """A parsed timestamp in UTC; ``date_only`` when the source gave no time of day."""

    value: datetime
    date_only: bool


def parse_datetime(text: str | None) -> datetime | None:
    """Return the UTC-aware datetime a feed or sitemap date names, or None."""
    parsed = parse_date(text)
    return parsed.value if parsed else None


def parse_date(text: str | None) -> ParsedDate | None:
    """Parse an RFC 822, ISO 8601 or W3C datetime value; None if absent or doubtful."""
    if not text:
        return None
    value = " ".join(text.split())
    if not value or len(value) > _MAX_LENGTH:
        return None
    parsed = _parse_iso(value) if _ISO_PREFIX.match(value) else _parse_rfc822(value)
    if parsed is None or not _plausible(parsed.value):
        return None
    return parsed


def _parse_iso(value: str) -> ParsedDate | None:
    date_only = _ISO_DATE_ONLY.fullmatch(value) is not None
    if value.endswith("z"):
        value = value[:-1] + "Z"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return ParsedDate(_as_utc(moment), date_only)


def _parse_rfc822(value: str) -> ParsedDate | None:
    match = _RFC822.fullmatch(value)
    if match is None:
        return None
    month = _MONTHS.get(match["month"].lower())
    if month is None:
        return None
    # A time without a zone is read as UTC (see the module docstring).
    offset = zone_offset(match["zone"]) if match["zone"] else timedelta(0)
    if offset is None:
        return None
    year = int(match["year"])
    if len(match["year"]) == 2:
        year += 2000 if year < 50 else 1900  # RFC 2822 section 4.3
    try:
        moment = datetime(
            year,
            month,
            int(match["day"]),
            int(match["hour"] or 0),
            int(match["minute"] or 0),
            int(match["second"] or 0),
            tzinfo=timezone(offset),
        )
    except ValueError:
        return None
    return ParsedDate(moment.astimezone(UTC), match["hour"] is None)


def zone_offset(zone: str) -> timedelta | None:
    """The offset east of UTC a zone abbreviation or numeric offset names; None if unknown."""
    name = zone.strip().upper()
    named = ZONE_OFFSETS.get(name)
    if named is not None:
        return named
    match = _NUMERIC_ZONE.fullmatch(name)
    if match is None:
        return None
    minutes = int(match["minutes"] or 0)
    delta = timedelta(hours=int(match["hours"]), minutes=minutes)
    if minutes > 59 or delta > _MAX_OFFSET:
        return None
    return -delta if match["sign"] == "-" else delta


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _plausible(moment: datetime) -> bool:
    # The epoch, year one and 1900-01-01 are what unset timestamps serialise to.
    return moment.year >= EARLIEST_YEAR
