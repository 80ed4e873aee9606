"""Adaptive freshness and the zero-yield warning: the rules, then through the flow."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from flows.pipeline.config import SourceConfig, SourceKind
from flows.pipeline.freshness import (
    Bounds,
    assess,
    bounds_for,
    cron_period,
    is_due,
    next_interval,
    schedule_period,
)
from flows.pipeline.reports import summary_markdown
from tests.flows.test_ingest_web import article_html, rss
from tests.helpers import query, run
from tests.localserver import LocalServer, Response, conditional
from warehouse.lookups import SourceFreshness
from warehouse.rows import RunCounts

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def feed(**timing: Any) -> SourceConfig:
    return SourceConfig(name="f", kind=SourceKind.FEED, url="http://x/rss", **timing)


# ---------------------------------------------------------------- the rules


def test_bounds_default_to_the_schedule_and_four_times_it() -> None:
    assert bounds_for(feed(), period=timedelta(minutes=10)) == Bounds(
        timedelta(minutes=10), timedelta(minutes=40)
    )
    assert bounds_for(feed(), period=None) is None  # no schedule, no bounds: always due
    given = feed(min_interval=timedelta(minutes=5), max_interval=timedelta(hours=6))
    assert bounds_for(given, period=timedelta(minutes=30)) == Bounds(
        timedelta(minutes=5), timedelta(hours=6)
    )
    capped = feed(max_interval=timedelta(minutes=20))
    assert bounds_for(capped, period=timedelta(hours=1)) == Bounds(
        timedelta(minutes=20), timedelta(minutes=20)
    )


def test_interval_grows_while_quiet_and_halves_on_change_within_bounds() -> None:
    bounds = Bounds(timedelta(minutes=10), timedelta(minutes=40))
    first = next_interval(None, changed=False, bounds=bounds)
    assert first == timedelta(minutes=10)
    quiet = [first]
    for _ in range(5):
        quiet.append(next_interval(quiet[-1], changed=False, bounds=bounds))
    assert [q.total_seconds() / 60 for q in quiet] == [10, 15, 22.5, 33.75, 40, 40]
    assert next_interval(timedelta(minutes=40), changed=True, bounds=bounds) == timedelta(
        minutes=20
    )
    assert next_interval(timedelta(minutes=12), changed=True, bounds=bounds) == timedelta(
        minutes=10
    )


def test_due_allows_a_little_slack_for_start_jitter() -> None:
    revisit = timedelta(minutes=10)
    due = T0 + revisit
    assert not is_due(due, revisit, at=T0 + timedelta(minutes=8))
    assert is_due(due, revisit, at=T0 + timedelta(minutes=9, seconds=30))
    assert is_due(None, None, at=T0)


def test_cron_period_is_the_shortest_gap() -> None:
    fires = [T0, T0 + timedelta(hours=1), T0 + timedelta(hours=2), T0 + timedelta(hours=26)]
    assert cron_period(fires) == timedelta(hours=1)
    assert cron_period([T0]) is None
    period = asyncio.run(schedule_period(feed(schedule="*/15 * * * *")))
    assert period == timedelta(minutes=15)
    assert asyncio.run(schedule_period(feed(interval=timedelta(hours=2)))) == timedelta(hours=2)


def state(last_yield_at: datetime | None, revisit: float | None = None) -> SourceFreshness:
    return SourceFreshness("f", None, revisit, last_yield_at)


@pytest.mark.parametrize(
    ("counts", "discovery_unchanged", "history", "warned"),
    [
        (RunCounts(found=5, errors=5), False, T0, True),  # pages failing
        (RunCounts(), False, T0, True),  # the feed went empty
        (RunCounts(), True, T0, False),  # the feed answered 304: nothing new, no symptom
        (RunCounts(found=3, not_modified=3), False, T0, False),  # pages 304: still yields
        (RunCounts(found=2, unchanged=2), False, T0, False),
        (RunCounts(found=4, rejected=4), False, None, False),  # never yielded: nothing to lose
    ],
)
def test_zero_yield_warning(
    counts: RunCounts, discovery_unchanged: bool, history: datetime | None, warned: bool
) -> None:
    result = assess(
        feed(interval=timedelta(minutes=10)),
        period=timedelta(minutes=10),
        state=state(history),
        counts=counts,
        discovery_unchanged=discovery_unchanged,
        scheduled_at=T0,
        now=T0 + timedelta(seconds=30),
    )
    assert (result.warning is not None) is warned
    assert result.yielded is (counts.not_modified + counts.unchanged > 0)
    if warned:
        assert "yielded no articles" in str(result.warning) and "2026-03-01 12:00" in str(
            result.warning
        )


def test_next_due_counts_from_the_scheduled_time_unless_long_overdue() -> None:
    config = feed(interval=timedelta(minutes=10))
    changed = RunCounts(found=1, new=1)
    on_time = assess(
        config,
        period=timedelta(minutes=10),
        state=state(None, revisit=1200),
        counts=changed,
        discovery_unchanged=False,
        scheduled_at=T0,
        now=T0 + timedelta(seconds=40),
    )
    assert on_time.revisit == timedelta(minutes=10)  # 20 min halved
    assert on_time.next_due_at == T0 + timedelta(minutes=10)
    overdue = assess(
        config,
        period=timedelta(minutes=10),
        state=state(None, revisit=600),
        counts=RunCounts(found=1, unchanged=1),
        discovery_unchanged=False,
        scheduled_at=T0,
        now=T0 + timedelta(hours=3),
    )
    assert overdue.revisit == timedelta(minutes=15)
    assert overdue.next_due_at == T0 + timedelta(hours=3, minutes=15)


# ---------------------------------------------------------------- through the flow


@pytest.fixture
def site(local_server: LocalServer) -> LocalServer:
    topics = ["harbour", "railway", "library"]
    for topic in topics:
        local_server.route(f"/news/{topic}", conditional(article_html(topic), f'"{topic}"'))
    local_server.route("/robots.txt", Response(status=404, body=b"", content_type="text/plain"))
    local_server.route(
        "/rss.xml", conditional(rss(local_server, topics), '"feed-1"', "application/rss+xml")
    )
    return local_server


def sources(tmp_path: Path, server: LocalServer) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(
        "[fetch]\nallow_private_addresses = true\nhost_delay = 0\nretries = 0\n"
        f'[[sources]]\nname = "feed"\nkind = "feed"\nurl = "{server.url("/rss.xml")}"\n'
        'interval = "1h"\n',
        encoding="utf-8",
    )
    return path


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_a_scheduled_run_skips_a_source_not_due_and_a_manual_run_forces_it(
    tmp_path: Path, site: LocalServer, db_path: Path
) -> None:
    path = sources(tmp_path, site)
    first = run(path, db_path, only_due=True)
    assert first.sources[0].status == "completed" and first.sources[0].counts.new == 3
    ((due, revisit),) = query(
        db_path, "SELECT next_due_at, revisit_seconds FROM store.source_state"
    )
    assert revisit == 3600
    assert timedelta(minutes=59) < due - datetime.now(UTC) <= timedelta(hours=1)
    hits = site.hits("/rss.xml")

    skipped = run(path, db_path, only_due=True)

    (report,) = skipped.sources
    assert report.status == "skipped" and "not due until" in str(report.note)
    assert site.hits("/rss.xml") == hits  # nothing fetched
    assert "not due until" in summary_markdown(skipped)
    # No run_sources row: the source's health counts only the runs that looked at it.
    assert query(db_path, "SELECT count(*) FROM store.run_sources") == [(1,)]
    assert query(db_path, "SELECT count(*) FROM store.runs WHERE status = 'completed'") == [(2,)]

    forced = run(path, db_path, only_due=False)

    assert forced.sources[0].status == "completed"
    assert site.hits("/rss.xml") == hits + 1
    # The feed answered 304: nothing changed, so it is revisited later, within max (4 h).
    assert query(db_path, "SELECT revisit_seconds FROM store.source_state") == [(5400.0,)]
    assert forced.sources[0].warning is None  # 304 is not a symptom


@pytest.mark.usefixtures("prefect_harness")
def test_a_source_that_stops_yielding_gets_a_warning(
    tmp_path: Path, site: LocalServer, db_path: Path
) -> None:
    path = sources(tmp_path, site)
    run(path, db_path, only_due=False)
    # The feed changes, and every page it lists now fails.
    site.route(
        "/rss.xml",
        conditional(rss(site, ["gone1", "gone2"]), '"feed-2"', "application/rss+xml"),
    )
    for name in ("gone1", "gone2"):
        site.route(f"/news/{name}", Response(status=500, body=b"oops"))

    quiet = run(path, db_path, only_due=False)

    (report,) = quiet.sources
    assert report.status == "completed"
    assert report.warning is not None and "yielded no articles" in report.warning
    assert "errors 2" in report.warning
    stored = query(
        db_path, "SELECT warning FROM store.run_sources ORDER BY started_at DESC LIMIT 1"
    )
    assert stored == [(report.warning,)]
    assert report.warning in summary_markdown(quiet)
