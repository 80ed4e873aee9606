"""Adaptive freshness: how soon a web source is worth fetching again (pure rules).

A source that changed in its last run is revisited sooner (the interval
halves), one that did not is revisited later (the interval grows by half),
always within ``[min_interval, max_interval]`` from the sources file. The
defaults are the source's own schedule period and four times that, so a
source whose file sets neither still backs off when it goes quiet. A source
with no schedule and no bounds is always due.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from flows.pipeline.config import SourceConfig
from warehouse.lookups import SourceFreshness
from warehouse.rows import RunCounts

__all__ = [
    "GROWTH",
    "SHRINK",
    "Assessment",
    "Bounds",
    "assess",
    "bounds_for",
    "changed",
    "cron_period",
    "delivered",
    "is_due",
    "next_interval",
    "not_due_note",
    "schedule_period",
]

GROWTH = 1.5  # no change: wait half as long again
SHRINK = 0.5  # a change: come back twice as soon
DEFAULT_SPREAD = 4  # default max_interval = this many schedule periods
SLACK = 0.1  # a run up to 10 % of the interval early still counts as due (clock and start jitter)


@dataclass(frozen=True, slots=True)
class Bounds:
    """The range the revisit interval of a source moves in."""

    low: timedelta
    high: timedelta


def bounds_for(config: SourceConfig, *, period: timedelta | None) -> Bounds | None:
    """The source's bounds from the sources file (or its schedule ``period``); None: always due."""
    low = config.min_interval or period
    high = config.max_interval or (low * DEFAULT_SPREAD if low else None)
    if low is None and high is None:
        return None
    low = low or timedelta(0)
    high = high or low
    return Bounds(low=min(low, high), high=high)


def next_interval(previous: timedelta | None, *, changed: bool, bounds: Bounds) -> timedelta:
    """The next revisit interval after a run that did (or did not) find changes."""
    if previous is None:
        return bounds.low
    proposed = previous * (SHRINK if changed else GROWTH)
    if not changed and proposed <= timedelta(0):
        proposed = bounds.high
    return max(bounds.low, min(bounds.high, proposed))


def is_due(next_due_at: datetime | None, revisit: timedelta | None, *, at: datetime) -> bool:
    """Whether a source whose next visit is ``next_due_at`` should be fetched at ``at``."""
    if next_due_at is None:
        return True
    slack = (revisit or timedelta(0)) * SLACK
    return at + slack >= next_due_at


def cron_period(fire_times: list[datetime]) -> timedelta | None:
    """The shortest gap between consecutive fire times of a cron schedule."""
    gaps = [b - a for a, b in itertools.pairwise(fire_times) if b > a]
    return min(gaps) if gaps else None


async def schedule_period(config: SourceConfig) -> timedelta | None:
    """How often the source's schedule fires (the gap between cron fire times), if it has one."""
    if config.interval is not None:
        return config.interval
    if config.schedule is None:
        return None
    from prefect.server.schemas.schedules import CronSchedule  # noqa: PLC0415 (slow import)

    fire_times = await CronSchedule(cron=config.schedule).get_dates(n=6)
    return cron_period(list(fire_times))


@dataclass(frozen=True, slots=True)
class Assessment:
    """What a web source's run means for its next visit and for the zero-yield flag."""

    next_due_at: datetime | None
    revisit: timedelta | None
    yielded: bool  # delivered or confirmed at least one article
    warning: str | None


def changed(counts: RunCounts) -> int:
    """Articles a run stored new, updated, or found again as duplicates (a change of the source)."""
    return counts.new + counts.updated + counts.duplicates


def delivered(counts: RunCounts) -> int:
    """Articles a run delivered or confirmed (new, duplicate, updated, unchanged, 304)."""
    return counts.new + counts.duplicates + counts.updated + counts.unchanged + counts.not_modified


def assess(
    config: SourceConfig,
    *,
    period: timedelta | None,
    state: SourceFreshness | None,
    counts: RunCounts,
    discovery_unchanged: bool,
    scheduled_at: datetime,
    now: datetime,
) -> Assessment:
    """Next due time, new revisit interval and zero-yield warning after a completed web run.

    ``discovery_unchanged``: every feed or sitemap of the source answered 304,
    so yielding nothing is expected, not a symptom.
    """
    yielded = delivered(counts) > 0
    warning = None
    if not yielded and not discovery_unchanged and state and state.last_yield_at:
        warning = (
            f"source {config.name} yielded no articles this run (found {counts.found}, "
            f"rejected {counts.rejected}, errors {counts.errors}); it last yielded some "
            f"at {state.last_yield_at:%Y-%m-%d %H:%M} UTC"
        )
    bounds = bounds_for(config, period=period)
    if bounds is None:
        return Assessment(None, None, yielded, warning)
    previous = timedelta(seconds=state.revisit_seconds) if state and state.revisit_seconds else None
    revisit = next_interval(previous, changed=changed(counts) > 0, bounds=bounds)
    # Count from the scheduled time, so a run that started a little late does not
    # push the next visit past the next scheduled run; a long-overdue run counts from now.
    base = scheduled_at if now - scheduled_at <= revisit else now
    return Assessment(base + revisit, revisit, yielded, warning)


def not_due_note(state: SourceFreshness | None, *, at: datetime) -> str | None:
    """Why a scheduled run skips this source now, or None if it is due."""
    if state is None or state.next_due_at is None:
        return None
    revisit = timedelta(seconds=state.revisit_seconds or 0)
    if is_due(state.next_due_at, revisit, at=at):
        return None
    return (
        f"not due until {state.next_due_at:%Y-%m-%d %H:%M:%S} UTC (adaptive freshness: "
        f"revisited every {revisit}); skipped"
    )
