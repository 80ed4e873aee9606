"""Shared by the lake's end-to-end tests: runs in subprocesses, and the lake's invariants."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import psycopg

from tests.helpers import article, run_command
from tests.prefectserver import stop_process
from warehouse.lake.connection import connect_lake
from warehouse.lake.target import LakeTarget

__all__ = [
    "assert_consistent",
    "finish",
    "lake_rows",
    "page",
    "sources_over",
    "start_lake_run",
]


def page(index: int) -> str:
    """Article ``index`` with its canonical URL: copies in two folders are one article."""
    link = f'<link rel="canonical" href="https://news.example/story/{index}">'
    return article(index).replace("<head>", f"<head>{link}", 1)


def sources_over(folder: Path, name: str, indexes: range, batch: int = 5) -> Path:
    """A sources file whose files source reads pages ``indexes`` from its own folder."""
    docs = folder / name
    docs.mkdir(exist_ok=True)
    for index in indexes:
        (docs / f"{index:04d}.html").write_text(page(index), encoding="utf-8")
    path = folder / f"{name}.toml"
    path.write_text(
        f"[pipeline]\nbatch_size = {batch}\nworkers = 1\n"
        f'[[sources]]\nname = "{name}"\nkind = "files"\npath = "{name}"\n',
        encoding="utf-8",
    )
    return path


def start_lake_run(
    sources: Path, target: LakeTarget, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    command = run_command(sources, sources.parent / "unused.duckdb")
    command += ["--warehouse", f"ducklake:postgres:{target.dsn}"]
    command += ["--data-path", str(target.data_path)]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )


def finish(process: subprocess.Popen[bytes], timeout: float = 300) -> str:
    try:
        output, _ = process.communicate(timeout=timeout)
    finally:
        stop_process(process)
    text = output.decode(errors="replace")
    assert process.returncode == 0, text[-3000:]
    return text


def lake_rows(target: LakeTarget, sql: str) -> list[tuple[Any, ...]]:
    with connect_lake(target, read_only=True) as conn:
        return conn.execute(sql).fetchall()


def assert_consistent(target: LakeTarget, expected_articles: int) -> None:
    """Every article once with all its versions, nothing pending, staged or orphaned."""
    views = "news_lake.main"
    assert lake_rows(target, f"SELECT count(*), count(DISTINCT url) FROM {views}.articles") == [
        (expected_articles, expected_articles)
    ]
    assert lake_rows(target, f"SELECT sum(article_count) FROM {views}.stories") == [
        (expected_articles,)
    ]
    # The lake's versions are exactly the versions PostgreSQL keyed, each once.
    lake_versions = lake_rows(
        target,
        "SELECT article_id, version_no, count(*) FROM news_lake.history.article_versions "
        "GROUP BY ALL ORDER BY ALL",
    )
    assert all(n == 1 for _, _, n in lake_versions)
    with psycopg.connect(target.dsn) as pg:
        keyed = pg.execute(
            "SELECT article_id, version_no FROM store.article_versions ORDER BY 1, 2"
        ).fetchall()
        assert [(a, v) for a, v, _ in lake_versions] == keyed
        assert pg.execute(
            "SELECT count(*) FROM store.articles a WHERE NOT EXISTS "
            "(SELECT 1 FROM store.article_versions v WHERE v.article_id = a.article_id)"
        ).fetchall() == [(0,)]
        assert pg.execute(
            "SELECT count(*) FROM store.lake_batches WHERE published_at IS NULL"
        ).fetchall() == [(0,)]
        assert pg.execute(
            "SELECT (SELECT count(*) FROM store.fetch_log) + (SELECT count(*) FROM "
            "store.story_merges) + (SELECT count(*) FROM store.article_versions WHERE text <> '')"
        ).fetchall() == [(0,)]
        published = pg.execute(
            "SELECT batch_id FROM store.lake_batches ORDER BY batch_id"
        ).fetchall()
    markers = lake_rows(
        target,
        "SELECT batch_id, count(*) FROM news_lake.history.batches GROUP BY ALL ORDER BY ALL",
    )
    assert all(n == 1 for _, n in markers)
    assert {b for b, _ in markers} <= {b for (b,) in published}
    # No lake row belongs to a batch PostgreSQL does not know.
    for table in ("article_versions", "fetch_log", "story_merges"):
        strays = lake_rows(
            target,
            f"SELECT count(*) FROM news_lake.history.{table} h WHERE NOT EXISTS "
            "(SELECT 1 FROM news_lake.history.batches b WHERE b.batch_id = h.batch_id)",
        )
        assert strays == [(0,)], table
