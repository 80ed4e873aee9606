"""Progress reporting: a bar per stage on a terminal, plain log lines otherwise.

The flow reports through :func:`reporter`; the CLI installs a terminal
reporter for the duration of a run. With none installed (a served deployment,
a test), progress goes to the log every few seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

__all__ = ["LogProgress", "Progress", "installed", "reporter"]

logger = logging.getLogger(__name__)

STAGES = ("found", "fetched", "cleaned", "stored")


class Progress(Protocol):
    """Receives stage counters as a run moves along."""

    def start_source(self, source: str) -> None:
        """A source begins."""

    def advance(self, source: str, stage: str, amount: int = 1) -> None:
        """``amount`` more items reached ``stage`` (one of STAGES)."""

    def end_source(self, source: str) -> None:
        """A source is done."""


class LogProgress:
    """Logs each source's counters at most every ``every`` seconds, and at its end."""

    def __init__(self, every: float = 5.0) -> None:
        self._every = every
        self._counts: dict[str, dict[str, int]] = {}
        self._last = 0.0

    def start_source(self, source: str) -> None:
        """Reset the counters of a source."""
        self._counts[source] = dict.fromkeys(STAGES, 0)

    def advance(self, source: str, stage: str, amount: int = 1) -> None:
        """Count and log now and then."""
        self._counts.setdefault(source, dict.fromkeys(STAGES, 0))[stage] += amount
        if time.monotonic() - self._last >= self._every:
            self._log(source)

    def end_source(self, source: str) -> None:
        """Log the final counters."""
        self._log(source)

    def _log(self, source: str) -> None:
        self._last = time.monotonic()
        counts = self._counts.get(source, {})
        logger.info(
            "%s: %s", source, ", ".join(f"{stage} {counts.get(stage, 0)}" for stage in STAGES)
        )


_current: Progress = LogProgress()


def reporter() -> Progress:
    """The progress reporter in use."""
    return _current


@contextmanager
def installed(progress: Progress) -> Iterator[Progress]:
    """Use ``progress`` for the duration of the block."""
    global _current  # noqa: PLW0603 (one reporter per process, set by the CLI)
    previous, _current = _current, progress
    try:
        yield progress
    finally:
        _current = previous
