"""Timestamps from any source -> DatedValue: exact with a zone, the day without, None if implausible."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from flows.extract.dating import exact, parse_day, parse_timestamp, timestamp
from flows.extract.records import DatedValue


def test_implausible_dates_are_dropped_with_or_without_zone_and_time() -> None:
    for raw in (
        "2999-12-31",
        "2999-12-31T10:00:00",
        "2999-12-31T10:00:00Z",
        "0001-01-01",
        "1970-01-01T00:00:00",
        "1970-01-01T00:00:00+00:00",
    ):
        assert parse_timestamp(raw, "meta") is None, raw
    day = parse_timestamp("2024-03-05", "meta")
    assert day == DatedValue(datetime(2024, 3, 5, tzinfo=UTC), "day", "meta")


def test_a_zone_makes_a_timestamp_exact_in_utc() -> None:
    assert parse_timestamp(" 2024-03-05T09:30:00+01:00 ", "jsonld") == DatedValue(
        datetime(2024, 3, 5, 8, 30, tzinfo=UTC), "second", "jsonld"
    )
    assert parse_timestamp("2024-03-05T09:30:00Z", "meta") == DatedValue(
        datetime(2024, 3, 5, 9, 30, tzinfo=UTC), "second", "meta"
    )


def test_a_wall_clock_time_keeps_only_its_day() -> None:
    late = datetime(2024, 3, 5, 23, 30)
    assert timestamp(late, "text") == DatedValue(datetime(2024, 3, 5, tzinfo=UTC), "day", "text")
    zoned = late.replace(tzinfo=timezone(timedelta(hours=-5)))
    assert timestamp(zoned, "text") == DatedValue(
        datetime(2024, 3, 6, 4, 30, tzinfo=UTC), "second", "text"
    )


def test_an_iso_day_prefix_is_read_when_the_rest_is_not_iso() -> None:
    assert parse_timestamp("2024-03-05 at noon", "meta") == DatedValue(
        datetime(2024, 3, 5, tzinfo=UTC), "day", "meta"
    )
    assert parse_day("2024-03-05T10:00", "htmldate") == DatedValue(
        datetime(2024, 3, 5, tzinfo=UTC), "day", "htmldate"
    )
    for raw in ("", "   ", "March 5, 2024", "2024-13-01"):
        assert parse_timestamp(raw, "meta") is None, raw
    assert parse_day(None, "htmldate") is None


def test_the_earliest_plausible_year_is_the_shared_one() -> None:
    assert parse_timestamp("1990-01-01", "meta") is not None
    assert parse_timestamp("1989-12-31T23:00:00Z", "meta") is None
    assert exact(datetime(1900, 1, 1, tzinfo=UTC), "feed") is None
    assert exact(datetime.now(UTC) + timedelta(days=2), "feed") is None
