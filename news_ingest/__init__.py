"""news-ingest's own namespace: the error root, the exit codes, and the Python API.

The pipeline lives in the top-level packages ``flows``, ``connectors`` and
``warehouse`` (see docs/architecture.md). :mod:`news_ingest.errors` sits below
all three and imports none of them, so every package shares one error root::

    NewsIngestError                      news_ingest.errors
    ├── ConnectorError                   connectors.errors
    ├── WarehouseError                   warehouse.errors
    └── FlowError                        flows.errors

The Python API (:mod:`news_ingest.api`: ``run``, ``open_warehouse``, ``connect``
and the records they return) is imported on first use of one of its names, so
``import news_ingest`` loads nothing but the error root::

    import news_ingest
    with news_ingest.open_warehouse("news.duckdb") as wh:
        hits = wh.search("airspace talks")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from news_ingest.errors import ExitCode, NewsIngestError

if TYPE_CHECKING:
    from news_ingest.api import (
        ArticleRecord,
        RunReport,
        SearchHit,
        SourceReport,
        Warehouse,
        connect,
        fts_extension_path,
        open_warehouse,
        run,
    )

__all__ = [
    "ArticleRecord",
    "ExitCode",
    "NewsIngestError",
    "RunReport",
    "SearchHit",
    "SourceReport",
    "Warehouse",
    "connect",
    "fts_extension_path",
    "open_warehouse",
    "run",
]

_API = frozenset(__all__) - {"ExitCode", "NewsIngestError"}


def __getattr__(name: str) -> Any:
    """The API's names, imported from :mod:`news_ingest.api` when first asked for."""
    if name in _API:
        from news_ingest import api  # noqa: PLC0415 (lazy: keeps `import news_ingest` cheap)

        return getattr(api, name)
    raise AttributeError(f"module 'news_ingest' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _API)
