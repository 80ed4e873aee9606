"""URL lists: a text file, one URL a line (``kind = "urls"``).

``UrlListSource`` checks that its file exists when it is built, so a typo in
the sources file fails the run before anything is fetched
(:class:`~connectors.records.SourceConfigError`). A file that disappears or turns
unreadable after that is a data problem: ``discover`` yields one
:class:`~connectors.records.Rejected` (``missing_path`` / ``unreadable``) and
nothing else, so a scheduled run reports it instead of crashing.

Lines are read as UTF-8 (a BOM is ignored); blank lines and lines starting
with ``#`` are skipped; anything else that is not an absolute http(s) URL
yields a ``invalid_url`` reject naming the line number. Each URL is yielded
once, on its first line.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from connectors.errors import SourceConfigError
from connectors.local import bounded_lines
from connectors.records import Candidate, EntryHints, Rejected, RejectReason, Validators
from connectors.text.urls import MAX_URL_LENGTH, absolute_http_url

if TYPE_CHECKING:
    from connectors.http import Fetcher

__all__ = ["UrlListSource"]

logger = logging.getLogger(__name__)

_MAX_LINE_BYTES = 64 * 1024
# A comment is a whole line starting with "#", or " #..." after a URL; a "#"
# glued to a URL is a fragment, not a comment.
_COMMENT = re.compile(r"(?:^|\s)#.*$", re.DOTALL)


class UrlListSource:
    """A text file of URLs to fetch, one a line (``kind = "urls"`` in the sources file)."""

    def __init__(self, *, name: str, path: Path) -> None:
        if not name:
            raise SourceConfigError("a urls source needs a name")
        if not path.is_file():
            raise SourceConfigError(f"source {name!r}: path {str(path)!r} is not a file")
        self.name = name
        self.path = path

    async def discover(
        self, fetcher: Fetcher, known: Mapping[str, Validators]
    ) -> AsyncIterator[Candidate | Rejected]:
        """Yield each listed URL once, and a reject row for each line that is not a URL."""
        del fetcher, known  # a local file needs neither the network nor validators
        for item in self._read():
            yield item

    def _read(self) -> Iterator[Candidate | Rejected]:
        location = self.path.resolve().as_uri()
        seen: set[str] = set()
        try:
            with self.path.open("rb") as handle:
                for number, raw in enumerate(bounded_lines(handle, _MAX_LINE_BYTES), start=1):
                    item = self._line(raw, number, location, seen)
                    if item is not None:
                        yield item
        except FileNotFoundError as exc:
            logger.warning("source %s: URL list %s is gone", self.name, self.path)
            yield Rejected(self.name, location, RejectReason.MISSING_PATH, str(exc))
        except OSError as exc:
            logger.warning("source %s: cannot read %s: %s", self.name, self.path, exc)
            yield Rejected(self.name, location, RejectReason.UNREADABLE, str(exc))

    def _line(
        self, raw: bytes | None, number: int, location: str, seen: set[str]
    ) -> Candidate | Rejected | None:
        if number == 1 and raw is not None and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        where = f"{location}#line={number}"
        if raw is None:
            detail = f"line {number}: longer than {_MAX_LINE_BYTES} bytes"
            return Rejected(self.name, where, RejectReason.INVALID_URL, detail)
        try:
            text = _COMMENT.sub("", raw.decode("utf-8")).strip()
        except UnicodeDecodeError:
            detail = f"line {number}: not UTF-8"
            return Rejected(self.name, where, RejectReason.INVALID_URL, detail)
        if not text:
            return None
        url = absolute_http_url(text)
        if url is None:
            detail = (
                f"line {number}: not an absolute http(s) URL of at most"
                f" {MAX_URL_LENGTH} characters: {text[:200]!r}"
            )
            return Rejected(self.name, where, RejectReason.INVALID_URL, detail)
        if url in seen:
            return None
        seen.add(url)
        return Candidate(url, self.name, EntryHints(origin="urls"))
