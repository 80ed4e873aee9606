"""What ``news-ingest reextract`` has to work with, said before anything starts.

A re-extraction cleans again the raw pages captured for the latest version of
each article. Before Prefect is started, the live warehouse is asked
how many articles each selected source has and how many of them have a
capture; the command says so, refuses unknown source names, and stops with an
explanation of how pages get captured when there is nothing to clean.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from flows.app.analyst import check_source
from flows.errors import ReextractError
from warehouse.lake.connection import connect_lake
from warehouse.lake.target import LakeTarget
from warehouse.reading import read_only
from warehouse.summaries import CaptureCoverage, capture_coverage

__all__ = ["HOW_TO_CAPTURE", "describe_coverage", "reextract_coverage"]

HOW_TO_CAPTURE = (
    "Pages are captured when a run fetches them with `news-ingest run --capture` (or "
    "`[capture] warc = true` in the sources file). A page that answers 304 Not Modified is "
    "not downloaded, so a run with --capture after an earlier run captures only pages that "
    "changed: to capture what is already stored, run `news-ingest reset SOURCE` (it forgets "
    "the source's fetch state and keeps its articles), then `news-ingest run --capture "
    "--source SOURCE`. Articles read from a `warc` source are cleaned again from their archive."
)


def reextract_coverage(
    database: Path,
    *,
    names: Sequence[str] | None,
    since: datetime | None,
    lake: LakeTarget | None = None,
) -> tuple[CaptureCoverage, ...]:
    """Per selected source, its articles and captured pages; a ReextractError if none is captured.

    An unknown source name is a UsageError. With ``lake``, the lake's state is asked.
    """
    label = f"lake {lake.address()}" if lake is not None else str(database)
    # What the flow will read: the live file, not the snapshot; or the lake.
    opened = (
        connect_lake(lake, read_only=True) if lake is not None else read_only(database, live=True)
    )
    with opened as conn:
        for name in names or ():
            check_source(conn, name, label)
        coverage = capture_coverage(conn, since=since)
    if names:
        found = {c.source: c for c in coverage}
        coverage = tuple(found.get(n, CaptureCoverage(n, 0, 0)) for n in names)
    if not sum(c.captured for c in coverage):
        raise ReextractError(_nothing(label, coverage, since))
    return coverage


def describe_coverage(coverage: Sequence[CaptureCoverage]) -> str:
    """``re-extracting 120 captured page(s) of 300 article(s): wire 100/200, metro 20/100``."""
    captured = sum(c.captured for c in coverage)
    articles = sum(c.articles for c in coverage)
    parts = ", ".join(f"{c.source} {c.captured}/{c.articles}" for c in coverage)
    return f"re-extracting {captured} captured page(s) of {articles} article(s): {parts}"


def _nothing(database: str, coverage: Sequence[CaptureCoverage], since: datetime | None) -> str:
    articles = sum(c.articles for c in coverage)
    after = f" retrieved since {since.isoformat()}" if since else ""
    sources = ", ".join(c.source for c in coverage) or "no source"
    return (
        f"nothing to re-extract in {database}: none of the {articles} article(s) of "
        f"{sources} has a captured page{after}. {HOW_TO_CAPTURE}"
    )
