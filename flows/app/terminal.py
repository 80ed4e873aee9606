"""What ``news-ingest run`` and ``reextract`` show: progress bars and the run summary.

Query results (sql, search) are printed by :mod:`flows.app.analyst`.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Awaitable, Iterator
from contextlib import ExitStack, contextmanager
from types import FrameType
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from flows.pipeline import progress
from flows.pipeline.reports import SUMMARY_COLUMNS, RunReport

__all__ = ["live_progress", "print_report", "quiet_after_interrupt"]

T = TypeVar("T")


class _RichProgress:
    """One bar per stage of each source, with counts, rate and elapsed time."""

    def __init__(self, bars: Progress) -> None:
        self._bars = bars
        self._tasks: dict[tuple[str, str], TaskID] = {}

    def start_source(self, source: str) -> None:
        """Add the source's stage bars (the total of 'found' is unknown until it ends)."""
        for stage in progress.STAGES:
            label = (
                f"{source} {stage}"
                if stage == progress.STAGES[0]
                else f"{'':{len(source)}} {stage}"
            )
            self._tasks[(source, stage)] = self._bars.add_task(label, total=None)

    def advance(self, source: str, stage: str, amount: int = 1) -> None:
        """Move a stage bar; 'found' sets the total of the later stages."""
        task = self._tasks.get((source, stage))
        if task is None:
            return
        self._bars.advance(task, amount)
        if stage == "found":
            found = self._bars.tasks[task].completed
            for later in progress.STAGES[1:]:
                self._bars.update(self._tasks[(source, later)], total=found)

    def end_source(self, source: str) -> None:
        """Fill the bars of a finished source."""
        for stage in progress.STAGES:
            task = self._tasks[(source, stage)]
            done = self._bars.tasks[task].completed
            self._bars.update(task, total=done, completed=done)


class _RateColumn(ProgressColumn):
    """Items per second of a stage, averaged since it started."""

    def render(self, task: Task) -> str:
        """The stage's average rate, blank until it has one."""
        elapsed = task.elapsed or 0.0
        if not task.completed or elapsed < 0.5:
            return " " * 9
        return f"{task.completed / elapsed:7.1f}/s"


@contextmanager
def live_progress(*, enabled: bool) -> Iterator[None]:
    """Bars per stage on a terminal; otherwise plain progress log lines every few seconds."""
    if not enabled:
        with _level(logging.getLogger(progress.__name__), logging.INFO):
            yield
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(bar_width=30),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
    )
    with (
        Progress(*columns, console=Console(stderr=True), transient=False) as bars,
        _logs_above(bars.console),
        progress.installed(_RichProgress(bars)),
    ):
        yield


@contextmanager
def _level(logger: logging.Logger, level: int) -> Iterator[None]:
    previous = logger.level
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.setLevel(previous)


@contextmanager
def _logs_above(console: Console) -> Iterator[None]:
    """Send terminal log handlers through the live console, so lines print above the bars.

    A handler writing to the terminal behind Rich's back (Prefect's console
    handler keeps its own stream) shifts the live region and leaves copies of
    the bars behind.
    """
    with ExitStack() as stack:
        for handler in _terminal_handlers():
            stack.enter_context(_redirected(handler, console))
        yield


def _terminal_handlers() -> list[logging.StreamHandler]:  # type: ignore[type-arg]
    loggers = [logging.getLogger()]
    loggers += [
        value for value in logging.Logger.manager.loggerDict.values()
        if isinstance(value, logging.Logger)
    ]  # fmt: skip
    found: dict[int, logging.StreamHandler] = {}  # type: ignore[type-arg]
    for logger in loggers:
        for handler in logger.handlers:
            if isinstance(handler, logging.StreamHandler) and _is_terminal(handler.stream):
                found[id(handler)] = handler
    return list(found.values())


def _is_terminal(stream: object) -> bool:
    return (
        stream is sys.__stderr__ or stream is sys.__stdout__ or stream in (sys.stderr, sys.stdout)
    )


@contextmanager
def _redirected(handler: logging.StreamHandler, console: Console) -> Iterator[None]:  # type: ignore[type-arg]
    prefect_console = getattr(handler, "console", None)
    if isinstance(prefect_console, Console):
        handler.console = console  # type: ignore[attr-defined]
        try:
            yield
        finally:
            handler.console = prefect_console  # type: ignore[attr-defined]
        return
    previous = handler.setStream(_ConsoleWriter(console))
    try:
        yield
    finally:
        handler.setStream(previous)


class _ConsoleWriter:
    """A text stream that prints through a Rich console (above its live display)."""

    def __init__(self, console: Console) -> None:
        self._console = console

    def write(self, text: str) -> int:
        """Print ``text`` as is (no markup, no highlighting)."""
        self._console.print(text, end="", markup=False, highlight=False, soft_wrap=True)
        return len(text)

    def flush(self) -> None:
        """Nothing is buffered."""


async def quiet_after_interrupt(run: Awaitable[T]) -> T:
    """Await a flow run; after Ctrl-C, keep log lines off the terminal (not off Prefect's API).

    asyncio.run answers the first SIGINT by cancelling the run; its handler is
    kept and called. Prefect then logs the cancelled tasks as crashed and the
    run's end with a traceback, while the run itself says in one line what it
    stored (flows.errors.RunInterruptedError): that line is what the user reads.
    """
    interrupted = False
    previous = signal.getsignal(signal.SIGINT)

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        nonlocal interrupted
        interrupted = True
        if callable(previous):
            previous(signum, frame)

    def still_quiet(record: logging.LogRecord) -> bool:
        return not interrupted

    with ExitStack() as stack:
        for handler in _terminal_handlers():
            handler.addFilter(still_quiet)
            stack.callback(handler.removeFilter, still_quiet)
        signal.signal(signal.SIGINT, on_sigint)
        stack.callback(signal.signal, signal.SIGINT, previous)
        return await run


def print_report(report: RunReport) -> None:
    """Print the per-source summary table of a run."""
    table = Table(title=f"news-ingest run {report.run_id} - {report.status}")
    table.add_column("source")
    table.add_column("status")
    for column in SUMMARY_COLUMNS:
        table.add_column(column.replace("_", " "), justify="right")
    for source in report.sources:
        values = [str(getattr(source.counts, c)) for c in SUMMARY_COLUMNS]
        table.add_row(Text(source.name), Text(source.status), *values)
    # Piped into a log, a table squeezed to 80 columns is unreadable: give it room.
    console = Console() if sys.stdout.isatty() else Console(width=200)
    console.print(table)
    for source in report.sources:
        for message in (source.error, source.warning, source.note):
            if message:
                # Messages quote config keys ("[capture] warc") and stored data: not markup.
                console.print(Text.assemble((source.name, "bold"), ": ", message))
    failures = report.failure_line()
    if failures:
        console.print(Text(failures, style="bold red"))
    console.print(Text(f"database: {report.database}"))
