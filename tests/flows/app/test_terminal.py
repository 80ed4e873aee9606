"""The run summary: one line per source that fits 80 columns and names every outcome."""

from __future__ import annotations

import io
from uuid import uuid4

from rich.console import Console

from flows.app.terminal import describe_counts, needs_attention, print_report
from flows.pipeline.reports import SUMMARY_COLUMNS, RunReport, SourceReport
from warehouse.rows import RunCounts

BUSY = RunCounts(
    found=123456,
    fetched=120000,
    not_modified=3000,
    new=80000,
    duplicates=20000,
    updated=10000,
    unchanged=5000,
    rejected=456,
    errors=5000,
)


def report(*sources: SourceReport, status: str = "completed") -> RunReport:
    return RunReport(uuid4(), status, sources, "/var/lib/news-ingest/news.duckdb")


def test_every_counter_reads_as_words() -> None:
    text = describe_counts(BUSY)
    assert text == (
        "123456 found: 80000 new, 10000 updated, 20000 duplicates, 5000 unchanged, "
        "3000 not modified, 456 rejected, 5000 errors; 120000 fetched"
    )
    for counter in SUMMARY_COLUMNS:  # a new counter must be added to the summary
        assert f"{getattr(BUSY, counter)} {counter.replace('_', ' ')}" in text
    assert describe_counts(RunCounts()) == "0 found"
    assert describe_counts(RunCounts(found=2, not_modified=2)) == "2 found: 2 not modified"


def test_the_summary_fits_80_columns_without_cutting_words() -> None:
    buffer = io.StringIO()
    sources = (
        SourceReport("wire", "feed", "completed", BUSY),
        SourceReport("a-source-with-a-rather-long-name", "sitemap", "failed", BUSY, error="boom"),
    )
    print_report(report(*sources), Console(file=buffer, width=80))
    out = buffer.getvalue()
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines), out
    assert "…" not in out
    words = " ".join(lines).split()
    for word in ("found:", "duplicates,", "modified,", "rejected,", "fetched"):
        assert word in words
    assert lines[1].split()[:4] == ["wire", "completed", "123456", "found:"]
    assert "a-source-with-a-rather-long-name: boom" in out


def test_quiet_runs_show_only_what_needs_attention() -> None:
    fine = SourceReport("wire", "feed", "completed", BUSY)
    warned = SourceReport("wire", "feed", "completed", BUSY, warning="went quiet")
    assert not needs_attention(report(fine))
    assert needs_attention(report(warned))
    assert needs_attention(report(fine, status="failed"))
