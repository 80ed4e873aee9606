"""Parse the dates feeds and sitemaps carry (RFC 822, ISO 8601, W3C datetime) into UTC.

A wrong date is worse than none, so the parser is strict about *which* day it
returns: a value naming only a year or a month is refused, an unknown or
ambiguous time-zone name is refused, and obvious placeholders (the Unix epoch,
years before 1900) are refused. Two conventions fill the remaining gaps:

* a date without a time (``2024-05-01``) becomes midnight UTC;
  :func:`parse_date` says so in :attr:`ParsedDate.date_only`, but the
  connectors call :func:`parse_datetime`, which drops that flag, so
  downstream such a date is indistinguishable from a real midnight;
* a time without an offset is read as UTC, as feedparser and most crawlers do
  (W3C datetime and RFC 822 both require an offset, so such values are rare).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

__all__ = ["ParsedDate", "parse_date", "parse_datetime"]

_MAX_LENGTH = 80
_MIN_YEAR = 1900
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

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
_ZONES = {
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
    offset = _zone_offset(match["zone"])
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


def _zone_offset(zone: str | None) -> timedelta | None:
    if zone is None:
        return timedelta(0)
    if zone[0] in "+-":
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 14 or minutes > 59:
            return None
        delta = timedelta(hours=hours, minutes=minutes)
        return -delta if zone[0] == "-" else delta
    hours_east = _ZONES.get(zone.upper())
    return None if hours_east is None else timedelta(hours=hours_east)


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _plausible(moment: datetime) -> bool:
    # The epoch and year-one values are what unset timestamps serialise to.
    return moment.year >= _MIN_YEAR and moment != _EPOCH
