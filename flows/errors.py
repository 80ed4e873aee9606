"""The flows package's error tree, under the project's root :class:`~news_ingest.NewsIngestError`.

A bad document is never an error here: it becomes a reject row with a reason.
These are the problems that stop a command::

    FlowError
    ├── ConfigError              the sources file cannot be used (exit 2)
    ├── UsageError               a command was given options it cannot use (exit 2)
    ├── DatabaseMissingError     the warehouse a command reads does not exist (exit 2)
    ├── ReextractError           the warehouse to re-extract does not exist (exit 2)
    ├── ServeError               the Prefect API cannot be reached or started, or serve runs
    ├── DeployError              the work pool to deploy to does not exist (exit 2)
    ├── PrefectServerError       the shared local Prefect server cannot be started or answer
    ├── EngineError              the Dask cluster cannot be reached or used (no worker, a
    │                            worker of another installed version, a daemonic worker)
    ├── OutputError              a command's output file cannot be written
    ├── RunInterruptedError      Ctrl-C stopped a run; says what it stored (exit 130)
    ├── DedupeError
    │   └── InvalidURLError      not an absolute http(s) URL with a host (also a ValueError)
    └── TextScrapeError
        └── ScrapeTooLargeError  a text scrape is over its ``max_chars`` limit
"""

from __future__ import annotations

from news_ingest.errors import ExitCode, NewsIngestError

__all__ = [
    "ConfigError",
    "DatabaseMissingError",
    "DedupeError",
    "DeployError",
    "EngineError",
    "FlowError",
    "InvalidURLError",
    "OutputError",
    "PrefectServerError",
    "ReextractError",
    "RunInterruptedError",
    "ScrapeTooLargeError",
    "ServeError",
    "TextScrapeError",
    "UsageError",
]


class FlowError(NewsIngestError):
    """Base class of the errors of the flows package (pipeline, extract, dedupe, app)."""


class ConfigError(FlowError):
    """The sources file cannot be used; the message names the file, source and field."""

    exit_code = ExitCode.USAGE


class UsageError(FlowError):
    """A command was given options or input it cannot use; the message says which."""

    exit_code = ExitCode.USAGE


class DatabaseMissingError(FlowError):
    """The warehouse a command reads does not exist; the message says how to point at one."""

    exit_code = ExitCode.USAGE


class ReextractError(FlowError):
    """The warehouse to re-extract does not exist."""

    exit_code = ExitCode.USAGE


class ServeError(FlowError):
    """The Prefect API cannot be reached or started, or another serve holds the database."""


class DeployError(FlowError):
    """The work pool to deploy to does not exist (the message says how to create it)."""

    exit_code = ExitCode.USAGE


class PrefectServerError(FlowError):
    """The shared local Prefect server could not be started or does not answer."""


class EngineError(FlowError):
    """The extraction engine cannot be used: the message says which cluster and why, in one line."""


class OutputError(FlowError):
    """A command's output file cannot be written (the message names it and says why)."""


class RunInterruptedError(FlowError):
    """Ctrl-C (SIGINT) stopped a run; the message says what it stored and that a rerun continues."""

    exit_code = ExitCode.INTERRUPTED


class DedupeError(FlowError):
    """Base class of the dedupe rules' errors."""


class InvalidURLError(DedupeError, ValueError):
    """A string is not an absolute http(s) URL with a host."""


class TextScrapeError(FlowError):
    """Base class of the text-scrape cleaner's errors."""


class ScrapeTooLargeError(TextScrapeError):
    """The scrape is longer than the configured ``max_chars``."""
