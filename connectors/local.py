"""Shared by the readers of local files (files, urls, warc): reject errors, bounded lines."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

__all__ = ["bounded_lines"]


def bounded_lines(handle: IO[bytes], max_bytes: int) -> Iterator[bytes | None]:
    """Yield each line of a binary file, or None for a line over ``max_bytes`` (skipped unread)."""
    while True:
        line = handle.readline(max_bytes + 1)
        if not line:
            return
        if len(line) <= max_bytes or line.endswith(b"\n"):
            yield line  # at most the cap, plus its newline
            continue
        while line and not line.endswith(b"\n"):  # drain the rest of the overlong line
            line = handle.readline(max_bytes)
        yield None
