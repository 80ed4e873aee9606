"""The warehouse's error tree, under the project's root :class:`~news_ingest.NewsIngestError`.

DuckDB's own errors are translated into these where they leave the package::

    WarehouseError
    ├── WarehouseLockedError     another process held the file longer than the wait (exit 3)
    ├── WarehouseConfigError     the warehouse option names no supported target (a usage error)
    ├── WarehouseUnavailableError  the lake's PostgreSQL server cannot be reached
    ├── LakeBatchError           a batch could not be published into the lake (retried later)
    ├── LakeDropError            a drop on a lake stopped midway (its rerun finishes it)
    ├── MigrationError           a migration could not be applied
    ├── SnapshotError            the read-only snapshot could not be published
    ├── NotAWarehouseError       the file has no news-ingest tables
    ├── QueryError               an analyst's query failed
    │   └── QueryRefusedError    it writes, or is several statements (a usage error)
    ├── SearchError              full-text search failed
    │   ├── EmptyQueryError      no word the index could match (a usage error)
    │   └── IndexMissingError    the database predates the search index
    ├── ExportError              the export could not be written
    │   ├── TargetExistsError    the target folder holds files (a usage error)
    │   └── TargetNotWritableError
    └── WarehouseCopyError       `news-ingest migrate` could not copy the warehouse
        └── CopyTargetNotEmptyError  the target already holds data (a usage error)
"""

from __future__ import annotations

from news_ingest.errors import ExitCode, NewsIngestError

__all__ = [
    "CopyTargetNotEmptyError",
    "EmptyQueryError",
    "ExportError",
    "IndexMissingError",
    "LakeBatchError",
    "LakeDropError",
    "MigrationError",
    "NotAWarehouseError",
    "QueryError",
    "QueryRefusedError",
    "SearchError",
    "SnapshotError",
    "TargetExistsError",
    "TargetNotWritableError",
    "WarehouseConfigError",
    "WarehouseCopyError",
    "WarehouseError",
    "WarehouseLockedError",
    "WarehouseUnavailableError",
]


class WarehouseError(NewsIngestError):
    """Base class of warehouse errors."""


class WarehouseLockedError(WarehouseError):
    """Another process held the database file for longer than the configured wait."""

    exit_code = ExitCode.LOCKED


class WarehouseConfigError(WarehouseError):
    """``--warehouse`` (or its variable, or ``[warehouse]``) names no supported target."""

    exit_code = ExitCode.USAGE


class WarehouseUnavailableError(WarehouseError):
    """The lake's PostgreSQL server cannot be reached (the message names its address)."""


class LakeBatchError(WarehouseError):
    """A committed batch could not be published into the lake; the next run finishes it."""


class LakeDropError(WarehouseError):
    """A drop on a lake stopped after recording its intent; rerunning the drop finishes it."""


class MigrationError(WarehouseError):
    """A migration could not be applied."""


class SnapshotError(WarehouseError):
    """The read-only snapshot could not be published."""


class NotAWarehouseError(WarehouseError):
    """The DuckDB file has no news-ingest tables (never migrated by a run)."""


class QueryError(WarehouseError):
    """An analyst's SQL query failed (the message says why, in DuckDB's words)."""


class QueryRefusedError(QueryError):
    """The sql command does not run this query: it writes, or is not one statement."""

    exit_code = ExitCode.USAGE


class SearchError(WarehouseError):
    """Base class of search errors."""


class EmptyQueryError(SearchError):
    """The query has no word the index could match (only stop words or punctuation)."""

    exit_code = ExitCode.USAGE


class IndexMissingError(SearchError):
    """The database predates the search index: a run (which migrates it) is needed."""


class ExportError(WarehouseError):
    """Base class of export errors."""


class TargetExistsError(ExportError):
    """The target folder exists and holds files."""

    exit_code = ExitCode.USAGE


class TargetNotWritableError(ExportError):
    """The target folder cannot be created or written."""


class WarehouseCopyError(WarehouseError):
    """``news-ingest migrate`` could not copy a warehouse (the message says what and why)."""


class CopyTargetNotEmptyError(WarehouseCopyError):
    """The file or lake to copy into already holds data; migrate only fills an empty one."""

    exit_code = ExitCode.USAGE
