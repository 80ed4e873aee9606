"""news-ingest's own namespace: the root of its error tree and its exit codes.

The pipeline lives in the top-level packages ``flows``, ``connectors`` and
``warehouse`` (see docs/architecture.md); this package sits below all three and
imports none of them, so every package can share one error root::

    NewsIngestError                      news_ingest.errors
    ├── ConnectorError                   connectors.errors
    ├── WarehouseError                   warehouse.errors
    └── FlowError                        flows.errors
"""

from news_ingest.errors import ExitCode, NewsIngestError

__all__ = ["ExitCode", "NewsIngestError"]
