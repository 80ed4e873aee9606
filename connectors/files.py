"""Folders of saved pages and text scrapes: .html/.htm, .txt, .json, .jsonl (optionally .gz).

A file that cannot be used becomes a :class:`Rejected` with a reason; the
folder is read on. Each file ends with a :class:`Checkpoint` (fingerprint =
size and modification time), so a rerun skips files that did not change
without reading them, and a JSONL file interrupted mid-way resumes at its line.
A file that could not be opened or read (``unreadable``, ``missing_path``) gets
no final checkpoint: fixing its permissions changes neither size nor mtime, so
a done checkpoint would make every later run skip it.

The source stays inside its folder: a symbolic link whose target, every link
and ``..`` on the way resolved, lies outside the folder is an
``outside_folder`` reject row naming the link (a folder link is not entered),
so a link dropped into the folder cannot turn any file the pipeline's user can
read into a stored and exported article. It is checked when the folder is
listed and again on the opened file (through ``/proc/self/fd`` where there is
one), so a file swapped for a link in between is caught too. Links inside the
folder are read as before (a folder link is skipped: its target is read under
its own name). With ``follow_links`` every link is followed, folder links
entered once each. Like an unreadable file, a refused link gets no checkpoint:
turning ``follow_links`` on reads it on the next run.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

from connectors.compression import gunzip_bounded
from connectors.errors import RejectError, SourceConfigError
from connectors.local import bounded_lines
from connectors.records import (
    Checkpoint,
    EntryHints,
    Media,
    RawDocument,
    Rejected,
    RejectReason,
    raw_hash,
)
from connectors.text.charset import decode_html, looks_binary

__all__ = ["MAX_FILE_BYTES", "SUFFIXES", "FilesSource"]

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 10 * 2**20  # decoded, per document (DESIGN: 10 MiB for pages)
_JSONL_CHECKPOINT_EVERY = 500
SUFFIXES = {".html": Media.HTML, ".htm": Media.HTML, ".txt": Media.TEXT}
_RECORD_SUFFIXES = {".json", ".jsonl"}
# Read bound for a .gz file: gzip adds only a few bytes per 64 KiB block, so a
# real document that compresses to over twice the decoded cap decodes past it.
_MAX_GZIP_BYTES = 2 * MAX_FILE_BYTES
# Rejects that say nothing about the file's bytes: the next run tries the file again.
_RETRY_REASONS = frozenset(
    {RejectReason.UNREADABLE, RejectReason.MISSING_PATH, RejectReason.OUTSIDE_FOLDER}
)


@dataclass(frozen=True, slots=True)
class FilesSource:
    """A folder (read recursively, in sorted order) or a single file of documents.

    ``follow_links`` lets symbolic links lead out of the folder (see the module docstring).
    """

    name: str
    path: Path
    follow_links: bool = field(default=False, kw_only=True)

    def check(self) -> None:
        """Raise SourceConfigError when the configured path is missing (before a run starts)."""
        if not self.path.exists():
            raise SourceConfigError(f"source {self.name!r}: path {self.path} does not exist")

    def documents(
        self, resume: Mapping[str, Checkpoint]
    ) -> Iterator[RawDocument | Rejected | Checkpoint]:
        """Yield each file's documents or reject rows, then the file's checkpoint."""
        if not self.path.exists():
            yield self._reject(self.path, RejectReason.MISSING_PATH, "path does not exist")
            return
        for file in self._files():
            if isinstance(file, Rejected):
                yield file
                continue
            try:
                fingerprint = _fingerprint(file)
            except OSError as exc:
                yield self._reject(file, RejectReason.MISSING_PATH, f"cannot stat: {exc}")
                continue
            previous = resume.get(str(file))
            if previous is not None and previous.fingerprint == fingerprint and previous.done:
                yield previous  # unchanged since it was fully read: the flow counts it, no read
                continue
            start = previous.position if previous and previous.fingerprint == fingerprint else 0
            yield from self._read_file(file, fingerprint, start)

    def _root(self) -> Path | None:
        """The folder links must stay in; None when they may go anywhere (or a file was named)."""
        if self.follow_links or not self.path.is_dir():
            return None
        return self.path.resolve()

    def _files(self) -> list[Path | Rejected]:
        """The files to read, in sorted order, and a reject row for each link that leads out."""
        if self.path.is_file():
            return [self.path]
        if not self.path.is_dir():
            return []  # neither (a device, a pipe): nothing to read
        return list(self._walk(self.path, self.path.resolve(), set()))

    def _walk(self, folder: Path, root: Path, seen: set[Path]) -> Iterator[Path | Rejected]:
        """Files under ``folder`` (hidden ones skipped), depth first, each folder once."""
        resolved = folder.resolve()
        if resolved in seen:
            return  # a folder link back to a folder already read
        seen.add(resolved)
        try:
            children = sorted(folder.iterdir())
        except OSError as exc:  # no checkpoint: fixing its permissions lets the next run in
            yield self._reject(folder, RejectReason.UNREADABLE, f"cannot list the folder: {exc}")
            return
        for child in children:
            if child.name.startswith("."):
                continue
            if child.is_symlink():
                yield from self._link(child, root, seen)
            elif child.is_dir():
                yield from self._walk(child, root, seen)
            elif child.is_file() and _kind(child) is not None:
                yield child

    def _link(self, link: Path, root: Path, seen: set[Path]) -> Iterator[Path | Rejected]:
        """A link found in the folder: a file or folder to read, or a reject row if it leads out."""
        folder = link.is_dir()
        if not folder and _kind(link) is None:
            return  # never read, so it leaks nothing
        if not self.follow_links:
            problem = _outside(link, root)
            if problem is not None:
                yield self._reject(link, RejectReason.OUTSIDE_FOLDER, problem)
                return
            if folder:
                return  # inside the folder: read under its own name
        if folder:
            yield from self._walk(link, root, seen)
        elif link.is_file():
            yield link

    def _read_file(
        self, file: Path, fingerprint: str, start: int
    ) -> Iterator[RawDocument | Rejected | Checkpoint]:
        kind = _kind(file)
        if kind in _RECORD_SUFFIXES:
            yield from self._read_records(file, fingerprint, start)
            return
        try:
            yield self._read_document(file, SUFFIXES[str(kind)])
        except RejectError as problem:
            yield self._reject(file, problem.reason, problem.detail, problem.digest)
            if problem.reason in _RETRY_REASONS:
                return
        yield Checkpoint(self.name, str(file), fingerprint, 0, done=True)

    def _read_document(self, file: Path, media: Media) -> RawDocument:
        data = _read_bytes(file, self._root())
        digest = raw_hash(data)
        _check_text_bytes(data, digest)
        decoding = None
        if media is Media.TEXT:
            content = _decode_utf8(data, digest)
        else:
            content, decoding = decode_html(data)
        return RawDocument(
            source=self.name,
            location=file.resolve().as_uri(),
            url=None,
            content=content,
            media=media,
            raw_hash=digest,
            retrieved_at=_mtime(file),
            decoding=decoding,
        )

    def _read_records(
        self, file: Path, fingerprint: str, start: int
    ) -> Iterator[RawDocument | Rejected | Checkpoint]:
        retrieved_at = _mtime(file)
        number = 0
        try:
            for number, record in _iter_records(file, self._root()):
                if number <= start:
                    continue
                yield self._record_document(file, number, record, retrieved_at)
                if number % _JSONL_CHECKPOINT_EVERY == 0:
                    yield Checkpoint(self.name, str(file), fingerprint, number, done=False)
        except RejectError as problem:
            yield self._reject(file, problem.reason, problem.detail, problem.digest)
            if problem.reason in _RETRY_REASONS:
                return
        yield Checkpoint(self.name, str(file), fingerprint, number, done=True)

    def _record_document(
        self, file: Path, number: int, record: bytes | dict[str, Any] | None, retrieved_at: datetime
    ) -> RawDocument | Rejected:
        location = f"{file.resolve().as_uri()}#line={number}"
        try:
            return _record_to_document(self.name, location, record, retrieved_at)
        except RejectError as problem:
            return Rejected(self.name, location, problem.reason, problem.detail, problem.digest)

    def _reject(
        self, file: Path, reason: RejectReason, detail: str, digest: str | None = None
    ) -> Rejected:
        logger.info("rejected %s: %s (%s)", file, reason.value, detail)
        # A link out is named by its own path: where it leads is what must not leak.
        where = _own_path(file) if reason is RejectReason.OUTSIDE_FOLDER else file.resolve()
        return Rejected(self.name, where.as_uri(), reason, detail, digest)


def _kind(path: Path) -> str | None:
    """The document suffix of a file name (".gz" looked through), or None if not ours."""
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    if not suffixes:
        return None
    suffix = suffixes[-1]
    return suffix if suffix in SUFFIXES or suffix in _RECORD_SUFFIXES else None


def _own_path(path: Path) -> Path:
    """The absolute path of a link itself, its folder resolved but not the link."""
    return path.parent.resolve() / path.name


def _outside(path: Path, root: Path) -> str | None:
    """Why ``path`` leads out of ``root`` once every link and ``..`` is resolved, or None."""
    try:
        target = path.resolve()
    except (OSError, RuntimeError):  # a loop of links leads nowhere, and is never read
        return None
    return _escape(target, root)


def _escape(target: Path, root: Path) -> str | None:
    """Why a resolved ``target`` is out of bounds, or None when it lies in ``root``."""
    if target == root or root in target.parents:
        return None
    return f"a link to {target}, outside the source's folder {root} (follow_links = true reads it)"


def _check_opened(handle: IO[bytes], root: Path | None) -> None:
    """Raise RejectError when the file just opened lies outside ``root`` (a link swapped in)."""
    if root is None:
        return
    try:  # where the open file really is, whatever its path became since it was listed
        real = Path(os.readlink(f"/proc/self/fd/{handle.fileno()}"))
    except OSError:
        return  # no /proc: the check made when the folder was listed stands
    problem = _escape(real, root)
    if problem is not None:
        raise RejectError(RejectReason.OUTSIDE_FOLDER, problem)


def _fingerprint(file: Path) -> str:
    stat = file.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def _mtime(file: Path) -> datetime:
    try:
        return datetime.fromtimestamp(file.stat().st_mtime, tz=UTC)
    except OSError:
        return datetime.now(UTC)


def _read_bytes(file: Path, root: Path | None) -> bytes:
    gzipped = file.suffix.lower() == ".gz"
    limit = _MAX_GZIP_BYTES if gzipped else MAX_FILE_BYTES
    try:
        with file.open("rb") as handle:
            _check_opened(handle, root)
            data = handle.read(limit + 1)
    except FileNotFoundError as exc:
        raise RejectError(RejectReason.MISSING_PATH, f"file vanished: {exc}") from exc
    except OSError as exc:
        raise RejectError(RejectReason.UNREADABLE, f"cannot read: {exc}") from exc
    if len(data) > limit:
        what = "compressed file" if gzipped else "file"
        raise RejectError(RejectReason.TOO_LARGE, f"{what} larger than {limit} bytes")
    return _gunzip(data) if gzipped else data


def _gunzip(compressed: bytes) -> bytes:
    """Inflate every gzip member, at most MAX_FILE_BYTES, so a gzip bomb cannot exhaust memory."""
    inflated = gunzip_bounded(compressed, max_bytes=MAX_FILE_BYTES)
    if inflated.truncated:
        raise RejectError(RejectReason.TOO_LARGE, f"decompresses to over {MAX_FILE_BYTES} bytes")
    if inflated.error is not None:
        # A cut download must not become a silently shortened document.
        raise RejectError(RejectReason.BINARY, f"not valid gzip: {inflated.error}")
    return inflated.data


def _check_text_bytes(data: bytes, digest: str) -> None:
    if not data.strip():
        raise RejectError(RejectReason.EMPTY, "file is empty", digest)
    if looks_binary(data):
        raise RejectError(RejectReason.BINARY, "file holds NUL bytes: not a text document", digest)


def _decode_utf8(data: bytes, digest: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RejectError(
            RejectReason.UNDECODABLE,
            f"invalid UTF-8 at byte {exc.start}: text files must be UTF-8",
            digest,
        ) from exc


def _iter_records(
    file: Path, root: Path | None
) -> Iterator[tuple[int, bytes | dict[str, Any] | None]]:
    """Number and yield records: JSONL streamed line by line, JSON (object or list) whole."""
    if _kind(file) == ".json":
        data = _read_bytes(file, root)
        digest = raw_hash(data)
        _check_text_bytes(data, digest)
        try:
            value = json.loads(_decode_utf8(data, digest))
        except json.JSONDecodeError as exc:
            raise RejectError(
                RejectReason.MALFORMED_RECORD, f"invalid JSON: {exc}", digest
            ) from exc
        items = value if isinstance(value, list) else [value]
        for number, item in enumerate(items, start=1):
            yield number, item if isinstance(item, dict) else json.dumps(item).encode()
        return
    try:
        with _open_stream(file) as handle:
            _check_opened(handle, root)
            yield from enumerate(bounded_lines(handle, MAX_FILE_BYTES), start=1)
    except FileNotFoundError as exc:
        raise RejectError(RejectReason.MISSING_PATH, f"file vanished: {exc}") from exc
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        # Cut or corrupt gzip: permanent for these bytes, like a bad .html.gz.
        raise RejectError(RejectReason.BINARY, f"not valid gzip: {exc}") from exc
    except OSError as exc:
        raise RejectError(RejectReason.UNREADABLE, f"cannot read: {exc}") from exc


def _open_stream(file: Path) -> BinaryIO:
    if file.suffix.lower() == ".gz":
        return cast(BinaryIO, gzip.open(file, "rb"))
    return file.open("rb")


def _record_to_document(
    source: str, location: str, record: bytes | dict[str, Any] | None, retrieved_at: datetime
) -> RawDocument:
    obj = _parse_record(record)
    url = obj.get("url")
    html, text = obj.get("html"), obj.get("text")
    if not isinstance(url, str) or not url.strip():
        raise RejectError(RejectReason.MALFORMED_RECORD, "record has no string field 'url'")
    body = html if isinstance(html, str) and html.strip() else text
    if not isinstance(body, str) or not body.strip():
        raise RejectError(RejectReason.EMPTY, "record has neither 'html' nor 'text' content")
    media = Media.HTML if body is html else Media.TEXT
    encoded = body.encode("utf-8", errors="surrogatepass")
    if len(encoded) > MAX_FILE_BYTES:
        raise RejectError(RejectReason.TOO_LARGE, f"content larger than {MAX_FILE_BYTES} bytes")
    if "\x00" in body:
        raise RejectError(RejectReason.BINARY, "content holds NUL characters")
    return RawDocument(
        source=source,
        location=location,
        url=url.strip(),
        content=body,
        media=media,
        raw_hash=raw_hash(encoded),
        retrieved_at=retrieved_at,
        hints=_record_hints(obj),
    )


def _parse_record(record: bytes | dict[str, Any] | None) -> dict[str, Any]:
    if isinstance(record, dict):
        return record
    if record is None:
        raise RejectError(RejectReason.TOO_LARGE, f"line longer than {MAX_FILE_BYTES} bytes")
    if not record.strip():
        raise RejectError(RejectReason.EMPTY, "blank line")
    try:
        text = record.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RejectError(
            RejectReason.UNDECODABLE, f"invalid UTF-8 at byte {exc.start} of the line"
        ) from exc
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RejectError(RejectReason.MALFORMED_RECORD, f"invalid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise RejectError(RejectReason.MALFORMED_RECORD, "record is not a JSON object")
    return value


def _record_hints(obj: dict[str, Any]) -> EntryHints:
    """Optional metadata a record may carry: title, published_at, language, authors."""
    title = obj.get("title")
    language = obj.get("language")
    authors = obj.get("authors")
    return EntryHints(
        origin="jsonl",
        guid=obj["id"] if isinstance(obj.get("id"), str) else None,
        title=title.strip() or None if isinstance(title, str) else None,
        published_at=_parse_timestamp(obj.get("published_at")),
        language=language if isinstance(language, str) and language else None,
        authors=tuple(a for a in authors if isinstance(a, str))
        if isinstance(authors, list)
        else (),
    )


def _parse_timestamp(value: object) -> datetime | None:
    """An ISO 8601 timestamp with a time zone; anything else is unknown (None), not a guess."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else None
