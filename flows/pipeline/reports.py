"""What a run reports: per-source outcomes and counters, and their markdown summary.

The same report comes out of the ingest and the reextract flows; the CLI
prints it (flows.app.terminal) and the flow publishes it as a Prefect
artifact.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from uuid import UUID

from news_ingest.errors import ExitCode
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

    @property
    def failed_sources(self) -> tuple[str, ...]:
        """The names of the sources that failed, in run order."""
        return tuple(s.name for s in self.sources if s.status == "failed")

    def exit_code(self) -> ExitCode:
        """What ``news-ingest`` exits with after this run (docs/operations.md, "Exit codes").

        0 when every source completed (or was not due); 4 when some failed and
        the others completed; 1 when the run failed or every source it ran failed.
        """
        ran = [s for s in self.sources if s.status != "skipped"]
        failed = self.failed_sources
        if self.status != "completed" or (ran and len(failed) == len(ran)):
            return ExitCode.FAILED
        return ExitCode.SOURCES_FAILED if failed else ExitCode.OK

    def failure_line(self) -> str | None:
        """One line naming the failed sources (None when none failed)."""
        failed = self.failed_sources
        if not failed:
            return None
        return f"{len(failed)} of {len(self.sources)} sources failed: {', '.join(failed)}"


def add_counts(a: RunCounts, b: RunCounts) -> RunCounts:
    """The counters of two batches (or runs) together."""
    return RunCounts(**{name: getattr(a, name) + getattr(b, name) for name in SUMMARY_COLUMNS})


def summary_markdown(report: RunReport) -> str:
    """A markdown table of the run's per-source counters."""
    header = "| source | status | " + " | ".join(SUMMARY_COLUMNS) + " |"
    failures = report.failure_line()
    title = f"### Run {report.run_id}: {report.status}" + (f" ({failures})" if failures else "")
    lines = [title, "", header]
    lines.append("|" + "---|" * (len(SUMMARY_COLUMNS) + 2))
    for source in report.sources:
        values = " | ".join(str(getattr(source.counts, c)) for c in SUMMARY_COLUMNS)
        lines.append(f"| {source.name} | {source.status} | {values} |")
    for source in report.sources:
        for message in (source.error, source.warning, source.note):
            if message:
                lines.append(f"\n**{source.name}**: {message}")
    return "\n".join(lines)
