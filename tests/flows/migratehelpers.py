"""Shared by the migrate tests: a small warehouse with every kind of row, and comparisons."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import files_sources, query, run
from tests.localserver import LocalServer, Response
from warehouse.lake.connection import connect_lake
from warehouse.lake.migrate import COPIED
from warehouse.lake.target import LakeTarget

__all__ = [
    "VIEWS",
    "clean_env",
    "file_rows",
    "lake_view_rows",
    "make_warehouse",
    "migrate",
    "migrate_command",
    "run_into",
    "store_rows",
    "warehouse_for_module",
]

VIEWS = (
    "articles",
    "article_versions",
    "stories",
    "runs",
    "run_sources",
    "rejects",
    "fetch_log",
    "url_aliases",
    "daily_counts",
    "source_health",
)


def make_warehouse(tmp_path: Path, server: LocalServer, db: Path) -> Path:
    """Two runs into ``db``: files with a story of three copies, a changed page (two
    versions), an empty file (a reject), and a URL list fetched over HTTP (fetch log, an
    error, an invalid URL). Returns the sources file."""
    sources = files_sources(tmp_path, 8)
    docs = tmp_path / "docs"
    page = (docs / "0003.html").read_text(encoding="utf-8")
    for n in (1, 2):
        (docs / f"copy{n}.html").write_text(page.replace("Report 3.", f"Report 3 ({n})."))
    (docs / "empty.html").write_text("", encoding="utf-8")
    server.route("/news/a", Response(body=page.replace("Report 3.", "Report 3 (web).").encode()))
    server.route("/news/b", Response(body=(docs / "0005.html").read_bytes() + b" "))
    server.route("/news/broken", Response(status=500, body=b"oops"))
    urls = tmp_path / "urls.txt"
    urls.write_text(
        "".join(f"{server.url(p)}\n" for p in ("/news/a", "/news/b", "/news/broken"))
        + "not a url\n",
        encoding="utf-8",
    )
    sources.write_text(
        sources.read_text(encoding="utf-8")
        + "[fetch]\nallow_private_addresses = true\nhost_delay = 0\nretries = 0\n"
        + '[[sources]]\nname = "list"\nkind = "urls"\npath = "urls.txt"\n',
        encoding="utf-8",
    )
    assert run(sources, db).status == "completed"
    changed = docs / "0002.html"
    changed.write_text(changed.read_text().replace("Report 2.", "Report 2, updated."))
    assert run(sources, db).status == "completed"
    return sources


def warehouse_for_module(factory: pytest.TempPathFactory) -> Path:
    """:func:`make_warehouse` in a folder of its own, its HTTP server stopped after."""
    folder = factory.mktemp("source")
    with LocalServer() as server:
        make_warehouse(folder, server, folder / "news.duckdb")
    return folder / "news.duckdb"


def run_into(sources: Path, db: Path, lake: LakeTarget | None = None) -> None:
    """One more run, into the file ``db`` or into ``lake``."""
    options: dict[str, Any] = {}
    if lake is not None:
        options = {"warehouse": f"ducklake:postgres:{lake.dsn}", "data_path": str(lake.data_path)}
        db = db.with_name("unused.duckdb")
    assert run(sources, db, **options).status == "completed"


def file_rows(db: Path, view: str) -> list[tuple[Any, ...]]:
    return query(db, f"SELECT * FROM main.{view} ORDER BY ALL")


def lake_view_rows(lake: LakeTarget, view: str) -> list[tuple[Any, ...]]:
    with connect_lake(lake, read_only=True) as conn:
        return conn.execute(f"SELECT * FROM news_lake.main.{view} ORDER BY ALL").fetchall()


def store_rows(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every copied store table of a DuckDB file, ordered."""
    return {table: query(db, f"SELECT * FROM store.{table} ORDER BY ALL") for table in COPIED}


def migrate_command(*options: str) -> list[str]:
    return [sys.executable, "-m", "flows.app.cli", "migrate", *options]


def clean_env() -> dict[str, str]:
    """This process's environment without news-ingest's own variables."""
    return {k: v for k, v in os.environ.items() if not k.startswith("NEWS_INGEST_")}


def migrate(*options: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        migrate_command(*options),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=clean_env(),
        check=False,
    )
