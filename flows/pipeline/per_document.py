"""What an extraction worker does with one document: clean it, then fingerprint it.

Both run in the worker process, so the flow's process receives an article
with its identity, hashes and MinHash features, or a reject row. The
function is module-level so the process pool can send it to its workers.
The cleaner (and trafilatura with it) is imported by the workers only: the
flow's process never loads it, and each worker loads it as it starts.

:func:`extraction_pool` picks the engine of the ``[pipeline]`` settings: the
local process pool, or a Dask cluster's workers (:mod:`flows.extract.dask_pool`,
imported only then: ``distributed`` takes 0.4 s to import). Both run the same
function in the same kind of pebble process, so they store the same articles.
"""

from __future__ import annotations

from connectors.records import RawDocument, Rejected
from flows.dedupe.fingerprint import Features, fingerprint
from flows.extract.records import Article
from flows.extract.titles import SiteTitles
from flows.extract.workers import DocumentPool, ExtractionPool
from flows.pipeline.config import PipelineSettings

__all__ = ["ArticlePool", "Processed", "check_engine", "extraction_pool", "process_document"]

CLEANER = "flows.extract.clean"  # what each worker imports as it starts
Processed = tuple[Article, Features] | Rejected
ArticlePool = DocumentPool[tuple[Article, Features]]


def process_document(doc: RawDocument, site: SiteTitles | None = None) -> Processed:
    """Clean one document and compute its dedupe features (runs in a worker process).

    ``site``: what the page's host taught about its titles (``flows.pipeline.sitetitles``).
    """
    from flows.extract.clean import clean  # noqa: PLC0415 (imported by the workers only)

    result = clean(doc, site)
    if isinstance(result, Rejected):
        return result
    return result, fingerprint(result)


def extraction_pool(pipeline: PipelineSettings) -> ArticlePool:
    """The run's extraction engine, chosen, sized and limited by the ``[pipeline]`` settings."""
    if pipeline.engine == "dask":
        from flows.extract.dask_pool import DaskPool  # noqa: PLC0415 (only with this engine)

        return DaskPool(
            scheduler=pipeline.scheduler,
            timeout=pipeline.extraction_timeout,
            task=process_document,
            preload=CLEANER,
        )
    return ExtractionPool(
        workers=pipeline.workers,
        timeout=pipeline.extraction_timeout,
        task=process_document,
        preload=CLEANER,
    )


def check_engine(pipeline: PipelineSettings) -> None:
    """Before a command starts: the Dask cluster answers, has a worker, and every one is usable.

    The same checks as opening the engine, made before Prefect starts, so a
    cluster that cannot be used is one EngineError line, not a failed flow run.
    """
    if pipeline.engine != "dask":
        return
    import asyncio  # noqa: PLC0415

    from flows.extract.dask_pool import check_cluster  # noqa: PLC0415 (only with this engine)

    asyncio.run(check_cluster(pipeline.scheduler))
