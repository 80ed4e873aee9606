"""What an extraction worker does with one document: clean it, then fingerprint it.

Both run in the worker process, so the flow's process receives an article
with its identity, hashes and MinHash features, or a reject row. The
function is module-level so the process pool can send it to its workers.
The cleaner (and trafilatura with it) is imported by the workers only: the
flow's process never loads it, and each worker loads it as it starts.
"""

from __future__ import annotations

from connectors.records import RawDocument, Rejected
from flows.dedupe.fingerprint import Features, fingerprint
from flows.extract.records import Article
from flows.extract.titles import SiteTitles
from flows.extract.workers import ExtractionPool
from flows.pipeline.config import PipelineSettings

__all__ = ["ArticlePool", "Processed", "extraction_pool", "process_document"]

CLEANER = "flows.extract.clean"  # what each worker imports as it starts
Processed = tuple[Article, Features] | Rejected
ArticlePool = ExtractionPool[tuple[Article, Features]]


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
    """The run's worker pool, sized and limited by the ``[pipeline]`` settings."""
    return ExtractionPool(
        workers=pipeline.workers,
        timeout=pipeline.extraction_timeout,
        task=process_document,
        preload=CLEANER,
    )
