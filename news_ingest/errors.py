"""The project's error root and the command line's exit codes, in one place.

Every error news-ingest raises on purpose derives from :class:`NewsIngestError`
through its package's own root (``connectors.errors.ConnectorError``,
``warehouse.errors.WarehouseError``, ``flows.errors.FlowError``); foreign errors
(DuckDB's, httpx's, the file system's) are translated into one of them where
they cross a package boundary, with ``raise ... from exc``. Each class says
which exit code the command line returns for it, so the CLI catches the root
alone.
"""

from __future__ import annotations

from enum import IntEnum
from typing import ClassVar

__all__ = ["ExitCode", "NewsIngestError"]


class ExitCode(IntEnum):
    """What ``news-ingest`` exits with."""

    OK = 0
    FAILED = 1  # the run, query or command failed
    USAGE = 2  # bad configuration or usage (including a writing statement given to `sql`)
    LOCKED = 3  # the database stayed locked by another process
    SOURCES_FAILED = 4  # the run completed, but some of its sources failed (the others stored)
    INTERRUPTED = 130  # stopped by Ctrl-C (SIGINT), as shells report it; what was stored stays


class NewsIngestError(Exception):
    """Root of every error news-ingest raises on purpose."""

    exit_code: ClassVar[ExitCode] = ExitCode.FAILED
