"""news-ingest from Python: run a sources file, open the warehouse, read its articles.

::

    import news_ingest

    report = news_ingest.run("sources.toml", db="news.duckdb")   # a RunReport
    with news_ingest.open_warehouse("news.duckdb") as wh:         # read-only, search ready
        wh.sql("SELECT source, count(*) FROM articles GROUP BY ALL").fetchall()
        hits = wh.search("airspace talks", since="2024-03-01")
        for article in wh.articles(source="wire"):                 # ArticleRecord, streamed
            ...
        table = wh.arrow(since="2024-03-01")                       # a pyarrow.Table

Paths default like the command line's (``NEWS_INGEST_SOURCES``/``NEWS_INGEST_DB``,
else the per-user folders; docs/cli.md). The warehouse is opened read-only,
on the snapshot published after the last run when there is one (``live=True``
for the live file), with DuckDB's ``fts`` extension loaded from its wheel, so
``search_articles(...)`` works offline. :func:`run` works in a notebook too:
with an event loop already running in this thread it runs the flow in another.
Errors are :class:`news_ingest.NewsIngestError` subclasses.

This module is imported on first use of these names (``news_ingest.__getattr__``),
so ``import news_ingest`` stays cheap.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

from flows.pipeline.config import WarehouseSettings
from flows.pipeline.lakeconfig import lake_target
from flows.pipeline.paths import existing_database, existing_sources, locate_database
from flows.pipeline.reports import RunReport, SourceReport
from warehouse.articles import ArticleRecord
from warehouse.connection import Connection, fts_extension_path
from warehouse.lake.connection import plain_lake_connection
from warehouse.lake.target import LakeTarget
from warehouse.reading import Warehouse, open_read_only
from warehouse.search import SearchHit

__all__ = [
    "ArticleRecord",
    "RunReport",
    "SearchHit",
    "SourceReport",
    "Warehouse",
    "connect",
    "fts_extension_path",
    "open_warehouse",
    "run",
]

_T = TypeVar("_T")
PathLike = str | Path


def run(
    sources: PathLike | None = None,
    *,
    db: PathLike | None = None,
    source_names: Sequence[str] | None = None,
    capture: bool | None = None,
) -> RunReport:
    """Ingest the sources file's enabled sources (or ``source_names``) once; the run's report.

    The same flow as ``news-ingest run``: configuration errors are raised
    before anything starts; a source that fails is reported in the report.
    """
    from flows.pipeline.config import load_settings  # noqa: PLC0415
    from flows.pipeline.sources import build_source  # noqa: PLC0415

    settings = load_settings(existing_sources(_path(sources)))
    for config in settings.select(list(source_names) if source_names else None):
        build_source(config)
    from flows.ingest import ingest  # noqa: PLC0415 (imports Prefect: slow)
    from flows.pipeline.outcome import report_of  # noqa: PLC0415
    from flows.prefect_api import connect_prefect  # noqa: PLC0415

    connect_prefect(announce=False)
    return _run_to_end(
        report_of(
            ingest(
                sources_path=str(settings.path),
                db_path=str(locate_database(_path(db)).path),
                source_names=list(source_names) if source_names else None,
                capture=capture,
                return_state=True,
            )
        )
    )


def open_warehouse(
    db: PathLike | None = None, *, live: bool = False, warehouse: str | None = None
) -> Warehouse:
    """The warehouse, read-only: SQL, search, articles as records or Arrow. Close it when done.

    ``warehouse`` (else ``NEWS_INGEST_WAREHOUSE``) names a lake to open instead of
    the file, as ``--warehouse`` does on the command line:
    ``'ducklake:postgres:dbname=news host=127.0.0.1'`` (credentials from libpq's
    ``PGPASSWORD`` and friends).
    """
    lake = _lake(warehouse)
    if lake is not None:
        return Warehouse(lake=lake)
    return Warehouse(existing_database(_path(db)), live=live)


def connect(
    db: PathLike | None = None, *, live: bool = False, warehouse: str | None = None
) -> Connection:
    """A plain read-only DuckDB connection to the warehouse with ``fts`` loaded (close it).

    On a lake (``warehouse``, else ``NEWS_INGEST_WAREHOUSE``): the lake attached
    read-only, its views by name; SQL only (search it with :func:`open_warehouse`).
    """
    lake = _lake(warehouse)
    if lake is not None:
        return plain_lake_connection(lake)
    return open_read_only(existing_database(_path(db)), live=live)


def _lake(warehouse: str | None) -> LakeTarget | None:
    """The lake ``warehouse`` (else ``NEWS_INGEST_WAREHOUSE``) names, as the CLI reads it."""
    return lake_target(
        WarehouseSettings(), warehouse=warehouse, data_path=None, database=Path("unused")
    )


def _path(value: PathLike | None) -> Path | None:
    return None if value is None else Path(value)


def _run_to_end(coroutine: Coroutine[Any, Any, _T]) -> _T:
    """Run a coroutine to its end, in a worker thread when this thread's loop is running."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:  # a notebook's loop
        return pool.submit(asyncio.run, coroutine).result()
