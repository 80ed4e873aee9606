"""Helpers shared by the end-to-end tests: documents, sources files, running the flow, queries."""

from __future__ import annotations

import asyncio
import random
import sys
from pathlib import Path
from typing import Any

import duckdb

from flows.ingest import ingest
from flows.pipeline.outcome import report_of
from flows.pipeline.reports import RunReport

__all__ = ["WORDS", "article", "files_sources", "query", "run", "run_command"]

# Topic words for generated pages (random.choice over them, so the order matters).
WORDS = (
    "council",
    "harbour",
    "railway",
    "budget",
    "mayor",
    "river",
    "bridge",
    "school",
    "museum",
    "festival",
    "market",
    "election",
    "court",
    "hospital",
    "airport",
    "stadium",
    "library",
    "tram",
    "police",
    "weather",
    "farmers",
    "energy",
    "water",
    "housing",
    "tourism",
    "factory",
    "union",
    "teachers",
    "nurses",
    "students",
)


def article(index: int) -> str:
    """An HTML news page made of random topic words, the same for the same index."""
    rng = random.Random(index)
    paragraphs = "".join(
        "<p>" + " ".join(rng.choice(WORDS) for _ in range(40)) + f" Report {index}.</p>"
        for _ in range(5)
    )
    title = f"Story {index}: {' '.join(rng.choice(WORDS) for _ in range(4))}"
    return (
        f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
        f"{paragraphs}</article></body></html>"
    )


def files_sources(tmp_path: Path, count: int, pipeline: str = "") -> Path:
    """``count`` article pages in ``tmp_path/docs`` and a sources file naming that folder.

    ``pipeline`` holds the ``[pipeline]`` settings, one ``key = value`` per line.
    """
    docs = tmp_path / "docs"
    docs.mkdir()
    for index in range(count):
        (docs / f"{index:04d}.html").write_text(article(index), encoding="utf-8")
    path = tmp_path / "sources.toml"
    path.write_text(
        f'[pipeline]\n{pipeline}[[sources]]\nname = "folder"\nkind = "files"\npath = "docs"\n',
        encoding="utf-8",
    )
    return path


def run_command(sources: Path, db: Path) -> list[str]:
    """The ``news-ingest run`` command line, for a subprocess of this interpreter."""
    return [
        sys.executable,
        "-m",
        "flows.app.cli",
        "run",
        "--sources",
        str(sources),
        "--db",
        str(db),
    ]


def run(sources: Path, db: Path, **options: Any) -> RunReport:
    """Run the ingest flow once in this process (under the session's Prefect harness)."""
    report: RunReport = asyncio.run(
        report_of(ingest(sources_path=str(sources), db_path=str(db), return_state=True, **options))
    )
    return report


def query(db: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    """Rows of a read-only query on a warehouse file."""
    with duckdb.connect(str(db), read_only=True) as conn:
        return conn.execute(sql, params or []).fetchall()
