"""Timestamps from any source become a :class:`DatedValue`, or None when they cannot be trusted.

A page's JSON-LD and ``<meta>`` dates, trafilatura's date, a feed's or
sitemap's date and a text scrape's dateline all pass through here, so they
follow one rule: a timestamp with a time zone is exact ("second"); one without
a zone, or without a time, keeps only its day ("day"), because guessing the
zone would invent hours; and a value before
:data:`~connectors.text.dates.EARLIEST_YEAR` (the project's one earliest
plausible year, shared with the feed parser) or more than a day in the future
is dropped. A wrong publication date is worse than none.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

from connectors.text.dates import EARLIEST_YEAR
from flows.extract.records import DatedValue

__all__ = ["exact", "parse_day", "parse_timestamp", "timestamp"]

_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")


def parse_timestamp(raw: str, source: str) -> DatedValue | None:
    """ISO 8601 with a zone -> exact; with no zone or no time -> the day only; else None."""
    text = raw.strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        match = _ISO_DAY.match(text)
        return parse_day(match.group(0), source) if match else None
    if len(text) <= 10:
        return _day(parsed.date(), source)
    return timestamp(parsed, source)


def parse_day(raw: str | None, source: str) -> DatedValue | None:
    """The day an ISO 8601 value starts with (``2024-03-05...``), or None."""
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw[:10])
    except ValueError:
        return None
    return _day(day, source)


def timestamp(moment: datetime, source: str) -> DatedValue | None:
    """Exact when ``moment`` has a zone; a wall-clock time in an unknown zone keeps its day."""
    if moment.tzinfo is None:
        return _day(moment.date(), source)
    return exact(moment, source)


def exact(moment: datetime, source: str) -> DatedValue | None:
    """``moment`` to the second, in UTC (a naive one is read in the local zone)."""
    return _plausible(DatedValue(moment.astimezone(UTC), "second", source))


def _day(day: date, source: str) -> DatedValue | None:
    return _plausible(DatedValue(datetime.combine(day, time.min, UTC), "day", source))


def _plausible(value: DatedValue) -> DatedValue | None:
    """Drop dates before the web's news era or more than a day in the future."""
    now = datetime.now(UTC)
    if value.value.year < EARLIEST_YEAR or (value.value - now).days >= 1:
        return None
    return value
