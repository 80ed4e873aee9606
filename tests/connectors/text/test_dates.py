"""Feed and sitemap date parsing (RFC 822, ISO 8601, W3C datetime, what is refused) and the
shared date rules: the time-zone table and the earliest plausible year."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors.text.dates import EARLIEST_YEAR, parse_date, parse_datetime, zone_offset


@pytest.mark.parametrize(
    ("text", "expected", "date_only"),
    [
        # RFC 822 / 2822 (RSS pubDate)
        ("Wed, 01 May 2024 14:30:00 +0200", datetime(2024, 5, 1, 12, 30), False),
        ("Wed, 01 May 2024 14:30:00 GMT", datetime(2024, 5, 1, 14, 30), False),
        ("1 May 2024 14:30 EST", datetime(2024, 5, 1, 19, 30), False),
        ("Wed, 1 May 24 14:30:00 Z", datetime(2024, 5, 1, 14, 30), False),
        ("Wed, 01 May 2024 14:30:00 +01:00", datetime(2024, 5, 1, 13, 30), False),
        ("Wed, 01 May 2024 14:30:00 CEST", datetime(2024, 5, 1, 12, 30), False),
        ("Wednesday, 01 September 2024 08:00:00 -0000", datetime(2024, 9, 1, 8, 0), False),
        ("Mi, 01 Mai 2024 10:00:00 +0000", None, None),  # German month name: refused
        ("Wed, 01 May 2024", datetime(2024, 5, 1), True),
        ("Wed, 01 May 2024 10:00:00", datetime(2024, 5, 1, 10, 0), False),  # no zone: UTC
        # ISO 8601 / W3C datetime (Atom, sitemaps, JSON Feed)
        ("2024-05-01T14:30:00Z", datetime(2024, 5, 1, 14, 30), False),
        ("2024-05-01T14:30:00.123456789+05:30", datetime(2024, 5, 1, 9, 0, 0, 123456), False),
        ("2024-05-01T14:30+02:00", datetime(2024, 5, 1, 12, 30), False),
        ("2024-05-01t14:30:00z", datetime(2024, 5, 1, 14, 30), False),
        ("2024-05-01 14:30:00", datetime(2024, 5, 1, 14, 30), False),
        ("20240501T143000Z", datetime(2024, 5, 1, 14, 30), False),
        ("2024-05-01", datetime(2024, 5, 1), True),
        ("  2024-05-01\n", datetime(2024, 5, 1), True),
    ],
)
def test_parses_to_utc(text, expected, date_only):
    parsed = parse_date(text)
    if expected is None:
        assert parsed is None
        return
    assert parsed is not None
    assert parsed.value == expected.replace(tzinfo=UTC)
    assert parsed.value.tzinfo is UTC
    assert parsed.date_only is date_only


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "   ",
        "yesterday",
        "2024",  # a year is not a date
        "2024-05",  # nor is a month
        "2024-W18-3",
        "2024-02-30",
        "2024-05-01T25:00:00Z",
        "Wed, 01 May 2024 14:30:00 IST",  # ambiguous zone
        "Wed, 01 May 2024 14:30:00 +2500",
        "1970-01-01T00:00:00Z",  # the epoch: an unset timestamp
        "0001-01-01T00:00:00Z",
        "1899-12-31",
        "2024-05-01" * 20,
    ],
)
def test_refuses_what_it_cannot_be_sure_of(text):
    assert parse_datetime(text) is None


@pytest.mark.parametrize(
    ("zone", "hours"),
    [
        ("GMT", 0),
        ("z", 0),
        ("BST", 1),
        ("MEZ", 1),  # German names read like their English ones
        ("MESZ", 2),
        ("cest", 2),
        ("EST", -5),
        ("NZDT", 13),
        ("+02:00", 2),
        ("-0530", -5.5),
        ("UTC+2", 2),
        ("GMT -05:00", -5),
        ("+14:00", 14),
    ],
)
def test_zone_offsets_named_and_numeric(zone, hours):
    assert zone_offset(zone) == timedelta(hours=hours)


@pytest.mark.parametrize("zone", ["IST", "CHINA", "", "+14:30", "+01:75", "+2500", "UTC+"])
def test_unknown_ambiguous_or_impossible_zones_have_no_offset(zone):
    assert zone_offset(zone) is None


def test_feed_dates_in_german_zone_names_parse():
    assert parse_datetime("Wed, 01 May 2024 14:30:00 MESZ") == datetime(
        2024, 5, 1, 12, 30, tzinfo=UTC
    )


def test_earliest_plausible_year_is_the_web_era():
    assert EARLIEST_YEAR == 1990
    assert parse_datetime("1990-01-01") == datetime(1990, 1, 1, tzinfo=UTC)
    for placeholder in ("1989-12-31", "1900-01-01", "1970-01-01T01:00:00+01:00"):
        assert parse_datetime(placeholder) is None, placeholder
