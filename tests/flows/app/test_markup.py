"""Stored text and messages print verbatim: brackets in data are never read as Rich markup."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from rich.console import Console

from flows.app.cli import main
from flows.app.stats import print_stats
from flows.app.terminal import print_report
from flows.pipeline.reports import RunReport, SourceReport
from tests.analyst_data import prose
from tests.helpers import run
from warehouse.rows import RunCounts
from warehouse.summaries import SourceLine, Stats

TITLES = ("Breaking [video] clip from the lighthouse", "Lighthouse keeper writes a[/i] note")


@pytest.fixture(scope="module")
def bracket_db(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> Path:
    """A warehouse whose two articles have titles that look like Rich markup."""
    root = tmp_path_factory.mktemp("markup")
    (root / "wire").mkdir()
    lines = [
        json.dumps(
            {
                "url": f"https://wire.example/news/{n}",
                "title": title,
                "text": f"{title}\n\n"
                + "\n\n".join(prose(f"{n}-{i}", 3) for i in range(6))
                + " The lighthouse stands.",
                "published_at": "2024-03-07T09:30:00+00:00",
            }
        )
        for n, title in enumerate(TITLES)
    ]
    (root / "wire" / "wire.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    sources = root / "sources.toml"
    sources.write_text('[[sources]]\nname = "wire"\nkind = "files"\npath = "wire"\n')
    db = root / "news.duckdb"
    assert run(sources, db).status == "completed"
    return db


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    out, _ = capsys.readouterr()
    return code, out


def test_sql_and_search_print_titles_verbatim(
    bracket_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = cli(capsys, "sql", "SELECT title FROM articles", "--db", str(bracket_db))
    assert code == 0 and "2 row(s)" in out
    for title in TITLES:
        assert title in out
    code, out = cli(capsys, "sql", 'SELECT 1 AS "[b]column[/b]"', "--db", str(bracket_db))
    assert code == 0 and "[b]column[/b]" in out

    code, out = cli(capsys, "search", "lighthouse", "--db", str(bracket_db))
    assert code == 0
    for title in TITLES:
        assert title in out


def test_run_summary_prints_messages_verbatim(capsys: pytest.CaptureFixture[str]) -> None:
    warning = "no captured pages (fetched with [capture] warc = true?)"
    report = RunReport(
        run_id=uuid4(),
        status="completed",
        sources=(
            SourceReport("feed[1]", "feed", "completed", RunCounts(), warning=warning),
            SourceReport("odd", "feed", "failed", RunCounts(), error="parse error near a[/i]"),
        ),
        database="/data/[x]/news.duckdb",
    )
    print_report(report)
    out = capsys.readouterr().out
    assert f"feed[1]: {warning}" in out
    assert "odd: parse error near a[/i]" in out
    assert "database: /data/[x]/news.duckdb" in out


def test_stats_prints_database_and_source_problems_verbatim() -> None:
    now = datetime.now(UTC)
    line = SourceLine("wire[eu]", "feed", now, "failed", None, None, 0, 1, False, "bad a[/i] tag")
    stats = Stats(0, 0, 0, 0, 0, 1, 1, 0, None, (line,))
    buffer = io.StringIO()
    print_stats(stats, database="/data/[x]/news.duckdb", console=Console(file=buffer, width=200))
    out = buffer.getvalue()
    assert "/data/[x]/news.duckdb" in out
    assert "wire[eu]" in out and "bad a[/i] tag" in out
