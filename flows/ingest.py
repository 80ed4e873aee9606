"""The ingest flow: discover -> fetch -> clean -> dedupe -> store, one batch at a time.

One Prefect task per batch (hundreds of documents), never one per article,
so API calls do not grow with the corpus. The work of a batch is in
:mod:`flows.pipeline.web` and :mod:`flows.pipeline.local`; the run's lock,
connection, run row and snapshot in :mod:`flows.pipeline.session`; the
per-source bookkeeping in :mod:`flows.pipeline.sourcerun`. This module wires
them into the flow and its tasks.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import TypeVar, cast

from prefect import State, flow, get_run_logger, task
from prefect.artifacts import acreate_markdown_artifact
from prefect.cache_policies import NONE
from prefect.utilities.annotations import quote

from connectors.capture import WarcCapture
from connectors.http import Fetcher
from connectors.protocols import DocumentSource, WebSource
from connectors.records import Candidate, Checkpoint, Rejected
from flows.pipeline import local, sourcerun, web
from flows.pipeline.config import Settings, SourceConfig, load_settings, with_engine
from flows.pipeline.context import RunContext
from flows.pipeline.lakeconfig import lake_target
from flows.pipeline.local import LocalItem
from flows.pipeline.outcome import final_state
from flows.pipeline.paths import existing_sources, locate_database
from flows.pipeline.per_document import extraction_pool
from flows.pipeline.progress import reporter
from flows.pipeline.reports import RunReport, SourceReport, add_counts, summary_markdown
from flows.pipeline.runlog import scheduled_at
from flows.pipeline.session import run_session
from flows.pipeline.sources import build_source
from warehouse.rows import RunCounts

__all__ = ["ingest"]


@flow(name="news-ingest", persist_result=False, log_prints=True)
async def ingest(
    sources_path: str | None = None,
    db_path: str | None = None,
    source_names: list[str] | None = None,
    only_due: bool = False,
    capture: bool | None = None,
    *,
    engine: str | None = None,
    scheduler: str | None = None,
    warehouse: str | None = None,
    data_path: str | None = None,
) -> RunReport | State[RunReport]:
    """Ingest the configured sources (or the named ones) into the warehouse once.

    The flow run ends Failed, with the report as its result, when a source
    failed (exit code 4 or 1): Prefect's UI, automations and ``prefect
    flow-run ls`` then show what the summary says.
    ``report_of(ingest(..., return_state=True))`` (:mod:`flows.pipeline.outcome`)
    returns the report either way.

    ``only_due`` (the served deployments set it) skips web sources whose
    adaptive-freshness interval has not elapsed; a manual run fetches them all.
    ``capture`` overrides the sources file's ``[capture] warc`` for this run,
    ``engine`` and ``scheduler`` its ``[pipeline]`` ones (docs/scale-out.md). Without
    ``sources_path``/``db_path``, $NEWS_INGEST_SOURCES/$NEWS_INGEST_DB or the per-user
    defaults (flows.pipeline.paths), never the working directory. ``warehouse`` and
    ``data_path`` name a lake instead of the file (flows.pipeline.lakeconfig, docs/lake.md).
    """
    settings = load_settings(existing_sources(Path(sources_path) if sources_path else None))
    if capture is not None:
        settings = replace(settings, capture=replace(settings.capture, warc=capture))
    pipeline = with_engine(settings.pipeline, engine=engine, scheduler=scheduler)
    settings = replace(settings, pipeline=pipeline)
    selected = settings.select(source_names)
    connectors = [build_source(config) for config in selected]  # config errors before any work
    database = locate_database(Path(db_path) if db_path else None).path
    lake = lake_target(
        settings.warehouse, warehouse=warehouse, data_path=data_path, database=database
    )
    names = [s.name for s in selected]
    # The workers start up (or the cluster is checked) before anything is stored.
    async with extraction_pool(settings.pipeline) as pool:
        with run_session(
            database,
            pipeline=settings.pipeline,
            sources_file=str(settings.path),
            selected=lambda _: names,
            lake=lake,
        ) as session:
            run = RunContext(
                settings, session.run_id, pool, session.conn, scheduled_at(), only_due=only_due
            )
            async with _fetcher(settings, database, connectors) as run.fetcher:
                for config, connector in zip(selected, connectors, strict=True):
                    run.reports.append(await _ingest_source(run, config, connector))
    report = RunReport(session.run_id, session.status, tuple(run.reports), str(database))
    await acreate_markdown_artifact(
        key="ingest-summary", markdown=summary_markdown(report), description="Per-source counts"
    )
    return final_state(report)


@asynccontextmanager
async def _fetcher(
    settings: Settings, database: Path, connectors: list[DocumentSource | WebSource]
) -> AsyncIterator[Fetcher | None]:
    """The run's one HTTP client, with raw capture when configured; None for local-only runs."""
    if not any(isinstance(c, WebSource) for c in connectors):
        yield None
        return
    capture = None
    if settings.capture.warc:
        folder = settings.capture.directory or database.parent / "captures"
        capture = WarcCapture(directory=folder, max_file_bytes=settings.capture.max_file_bytes)
    try:
        async with Fetcher(settings.fetch, capture=capture) as fetcher:
            yield fetcher
    finally:
        if capture is not None:
            capture.close()


async def _ingest_source(
    run: RunContext, config: SourceConfig, connector: DocumentSource | WebSource
) -> SourceReport:
    """One source's part of the run; its failure is reported and the run goes on."""
    web_state = await sourcerun.web_state(run, config) if isinstance(connector, WebSource) else None
    skipped = sourcerun.not_due(run, config, web_state)
    if skipped is not None:
        return skipped
    progress = reporter()
    progress.start_source(config.name)
    sourcerun.start_source(run, config)
    totals = RunCounts()
    error = None
    try:
        async for counts in _batches(run, connector):
            totals = add_counts(totals, counts)
    except Exception as exc:  # one failing source must not stop the others
        error = f"{type(exc).__name__}: {exc}"
        get_run_logger().exception("source %s failed", config.name)
    report = sourcerun.finish_source(run, config, error=error, totals=totals, web=web_state)
    progress.end_source(config.name)
    return report


async def _batches(
    run: RunContext, connector: DocumentSource | WebSource
) -> AsyncIterator[RunCounts]:
    """The counters of each stored batch of a source, as its batch tasks finish."""
    if isinstance(connector, DocumentSource):
        for items, resume in local.local_batches(run, connector):
            yield await ingest_local_batch(
                _as_is(run), connector.name, _as_is(items), _as_is(resume)
            )
        return

    def start(
        candidates: list[Candidate],
        rejects: list[Rejected],
        after: asyncio.Task[RunCounts] | None,
    ) -> asyncio.Task[RunCounts]:
        return asyncio.ensure_future(
            ingest_web_batch(
                _as_is(run),
                connector.name,
                _as_is(candidates),
                _as_is(rejects),
                after=_as_is(after),
            )
        )

    async for counts in web.web_batches(run, connector, start):
        yield counts


@task(name="ingest-web-batch", cache_policy=NONE, persist_result=False)
async def ingest_web_batch(
    run: RunContext,
    source: str,
    candidates: list[Candidate],
    rejects: list[Rejected],
    after: asyncio.Task[RunCounts] | None = None,
) -> RunCounts:
    """Fetch, clean and store one batch of discovered URLs (after the batch ``after``)."""
    return await web.ingest_web_batch(run, source, candidates, rejects, after=after)


@task(name="ingest-local-batch", cache_policy=NONE, persist_result=False)
async def ingest_local_batch(
    run: RunContext, source: str, items: list[LocalItem], resume: dict[str, Checkpoint]
) -> RunCounts:
    """Clean and store one batch read from a local source."""
    counts = await local.ingest_local_batch(run, source, items, resume)
    get_run_logger().debug("batch of %s stored: %s", source, counts)
    return counts


_T = TypeVar("_T")


def _as_is(value: _T) -> _T:
    """A task argument Prefect hands over without walking through it.

    Prefect visits every element of every task argument (lists, dicts,
    dataclasses) looking for futures, twice per call; for a batch of
    candidates and the run's state that is the larger part of a batch task's
    overhead. ``quote`` stops the walk and is unwrapped before the task runs.
    """
    return cast(_T, quote(value))
