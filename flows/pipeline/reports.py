"""What a run reports: per-source outcomes and counters, and their markdown summary.

The same report comes out of the ingest and the reextract flows; the CLI
prints it (flows.app.terminal) and the flow publishes it as a Prefect
artifact.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from uuid import UUID

from warehouse.rows import RunCounts

__all__ = ["SUMMARY_COLUMNS", "RunReport", "SourceReport", "add_counts", "summary_markdown"]

SUMMARY_COLUMNS = tuple(f.name for f in fields(RunCounts))  # the counters, in their order


@dataclass(frozen=True, slots=True)
class SourceReport:
    """How one source's part of a run went."""

    name: str
    kind: str
    status: str  # completed | failed | skipped (a scheduled run; the web source was not due)
    counts: RunCounts
    warning: str | None = None
    error: str | None = None
    note: str | None = None  # why the source was skipped


@dataclass(frozen=True, slots=True)
class RunReport:
    """What a run did, per source."""

    run_id: UUID
    status: str
    sources: tuple[SourceReport, ...]
    database: str


def add_counts(a: RunCounts, b: RunCounts) -> RunCounts:
    """The counters of two batches (or runs) together."""
    return RunCounts(**{name: getattr(a, name) + getattr(b, name) for name in SUMMARY_COLUMNS})


def summary_markdown(report: RunReport) -> str:
    """A markdown table of the run's per-source counters."""
    header = "| source | status | " + " | ".join(SUMMARY_COLUMNS) + " |"
    lines = [f"### Run {report.run_id}: {report.status}", "", header]
    lines.append("|" + "---|" * (len(SUMMARY_COLUMNS) + 2))
    for source in report.sources:
        values = " | ".join(str(getattr(source.counts, c)) for c in SUMMARY_COLUMNS)
        lines.append(f"| {source.name} | {source.status} | {values} |")
    for source in report.sources:
        for message in (source.error, source.warning, source.note):
            if message:
                lines.append(f"\n**{source.name}**: {message}")
    return "\n".join(lines)
