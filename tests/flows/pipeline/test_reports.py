"""A run's report: which sources failed, and the exit code that says so."""

from __future__ import annotations

from uuid import uuid4

import pytest

from flows.pipeline.reports import RunReport, SourceReport, summary_markdown
from news_ingest.errors import ExitCode
from warehouse.rows import RunCounts


def report(*statuses: str, run: str = "completed") -> RunReport:
    sources = tuple(
        SourceReport(f"s{n}", "feed", status, RunCounts()) for n, status in enumerate(statuses)
    )
    return RunReport(uuid4(), run, sources, "news.duckdb")


@pytest.mark.parametrize(
    ("statuses", "run", "code"),
    [
        (("completed", "completed"), "completed", ExitCode.OK),
        (("completed", "skipped"), "completed", ExitCode.OK),
        ((), "completed", ExitCode.OK),
        (("completed", "failed"), "completed", ExitCode.SOURCES_FAILED),
        (("failed", "failed"), "completed", ExitCode.FAILED),
        (("failed", "skipped"), "completed", ExitCode.FAILED),
        (("completed",), "failed", ExitCode.FAILED),
    ],
)
def test_exit_code_policy(statuses: tuple[str, ...], run: str, code: ExitCode) -> None:
    assert report(*statuses, run=run).exit_code() is code


def test_failed_sources_are_named_in_the_summary() -> None:
    partial = report("completed", "failed", "failed")
    assert partial.failed_sources == ("s1", "s2")
    assert partial.failure_line() == "2 of 3 sources failed: s1, s2"
    assert "(2 of 3 sources failed: s1, s2)" in summary_markdown(partial).splitlines()[0]
    assert report("completed").failure_line() is None
