"""Raw capture: write every fetched page, with its HTTP headers, to rotating WARC.gz files.

:class:`WarcCapture` is the :class:`~connectors.http.ResponseSink` the fetcher
calls for each OK page. Each call appends one WARC/1.1 ``response`` record as
its own gzip member (so a reader can seek to the returned offset and read
that record alone) to ``{prefix}-{UTC time}-{serial:05d}.warc.gz``; every file
starts with a ``warcinfo`` record, and a file that reaches ``max_file_bytes``
is closed and the next record starts a new one.

The body handed over is already content-decoded (the fetcher decodes gzip,
deflate, br and zstd itself from httpx's raw stream, which httpx has
de-chunked), so the stored HTTP headers follow Common Crawl's convention: the
original ``Content-Encoding``, ``Transfer-Encoding`` and ``Content-Length``
are kept under an ``X-Crawler-`` prefix and a ``Content-Length`` for the
stored body is added; the warcinfo record says so too. The status line says
HTTP/1.1 whatever version was spoken (the sink is not told).

Writing uses FastWARC's record writer (the same library that reads them in
:mod:`connectors.warc`): it emits WARC/1.1 headers, record ids, the sha1
base32 WARC-Block-Digest, and the WARC-Payload-Digest computed here, and a
``GzipWriter`` per record gives one gzip member per record. warcio's
WARCWriter would do as well, but a second WARC library buys nothing here.

Crash safety: a file being written is named ``….warc.gz.open`` (a folder
glob of ``*.warc.gz`` never picks it up half-written) and is held with an
exclusive ``flock`` from before it gets that name until after it is fsynced
and renamed to its final name (on rotation or close). Each record is
compressed in memory and written with one ``write`` and a flush, and a failed
write is cut back off, so the file is always a run of complete members.
Offsets returned name the final file (the ``.open`` name is temporary;
:func:`connectors.warc.read_capture` falls back to it). A process that dies
leaves an ``.open`` file: the next ``WarcCapture`` on that folder cuts it back
to its last complete gzip member and renames it, skipping files another live
writer still holds. Durability is per flush (a process crash loses nothing
returned), not per fsync (a power cut may lose the last records of the open
file), because an fsync per page would cost more than the fetch.

Error tree::

    ConnectorError
    └── CaptureError      the capture folder or a capture file cannot be written
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import logging
import os
import re
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Self

from fastwarc import GzipWriter, WarcRecord, WarcRecordType

from connectors.errors import CaptureError
from connectors.records import CaptureRef
from connectors.warcfiles import OPEN_SUFFIX, complete_gzip_length, open_name

__all__ = ["MAX_FILE_BYTES", "WarcCapture"]

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 2**30  # rotate after 1 GiB, as Common Crawl's files roughly are
_CREATING_SUFFIX = ".new"  # before its lock is taken; never recovered
_COMPRESSION_LEVEL = 6  # zlib's default: level 9 costs much more time for ~1 % smaller files
_MASKED_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # an RFC 9110 token
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


class WarcCapture:
    """A ResponseSink writing each response as a WARC record into rotating WARC.gz files."""

    def __init__(
        self, *, directory: Path, prefix: str = "news-ingest", max_file_bytes: int = MAX_FILE_BYTES
    ) -> None:
        if not prefix or "/" in prefix or os.sep in prefix:
            raise CaptureError(f"capture prefix {prefix!r} is not a plain file name part")
        self.directory = directory.absolute()
        self.prefix = prefix
        self.max_file_bytes = max_file_bytes
        self._lock = threading.Lock()
        self._file: BinaryIO | None = None
        self._final: Path | None = None
        self._warcinfo_id = ""
        self._serial = 0
        self._closed = False
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CaptureError(f"cannot create capture folder {self.directory}: {exc}") from exc
        self.recover()

    def __call__(
        self,
        *,
        url: str,
        status: int,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        fetched_at: datetime,
    ) -> CaptureRef:
        """Archive one response (body already content-decoded); return its file and offset."""
        if fetched_at.tzinfo is None:
            raise ValueError("fetched_at must be timezone-aware")
        block = _http_block(status, headers, body)
        with self._lock:
            if self._closed:
                raise CaptureError("capture is closed")
            stream, final = self._current()
            record = _response_record(url, fetched_at, block, self._warcinfo_id)
            offset = self._append(stream, record, _sha1(body))
            if stream.tell() >= self.max_file_bytes:
                self._finish()
        return CaptureRef(path=str(final), offset=offset)

    def close(self) -> None:
        """Finish the file being written (fsync, rename to its final name); idempotent."""
        with self._lock:
            self._closed = True
            self._finish()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def current_path(self) -> Path | None:
        """Final name of the file being written now, if one is open."""
        return self._final

    def recover(self) -> list[Path]:
        """Repair and rename ``.open`` files a dead writer left in the folder; return them."""
        recovered = []
        for leftover in sorted(self.directory.glob(f"{self.prefix}-*.warc.gz{OPEN_SUFFIX}")):
            final = _recover(leftover)
            if final is not None:
                recovered.append(final)
        return recovered

    def _current(self) -> tuple[BinaryIO, Path]:
        """The open file and its final name, starting a new file when none is open."""
        if self._file is None or self._final is None:
            self._open()
        assert self._file is not None
        assert self._final is not None
        return self._file, self._final

    def _open(self) -> None:
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        while True:
            final = self.directory / f"{self.prefix}-{stamp}-{self._serial:05d}.warc.gz"
            self._serial += 1
            partial = open_name(final)
            # Created under a name recovery ignores, locked, then renamed: another
            # process's recovery can never see an unlocked file of a live writer.
            creating = Path(f"{partial}{_CREATING_SUFFIX}")
            if final.exists() or partial.exists():
                continue
            try:
                stream = creating.open("xb")
            except FileExistsError:
                continue  # another writer took the name between the check and the open
            except OSError as exc:
                raise CaptureError(f"cannot create {creating}: {exc}") from exc
            break
        try:
            fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            creating.rename(partial)
        except OSError as exc:
            stream.close()
            raise CaptureError(f"cannot start capture file {partial}: {exc}") from exc
        self._file, self._final = stream, final
        info = _warcinfo_record(final.name)
        self._warcinfo_id = info.record_id or ""
        self._append(stream, info, None)
        logger.info("capture: writing %s", partial)

    def _append(self, stream: BinaryIO, record: WarcRecord, payload_digest: bytes | None) -> int:
        """Write one record as one gzip member; return its offset. A failed write is undone."""
        member = io.BytesIO()
        writer = GzipWriter(member, compression_level=_COMPRESSION_LEVEL)
        record.write(writer, checksum_data=True, payload_digest=payload_digest)
        writer.finish()
        offset = stream.tell()
        try:
            stream.write(member.getvalue())
            stream.flush()
        except OSError as exc:
            self._undo(stream, offset)
            raise CaptureError(f"cannot write to {open_name(str(self._final))}: {exc}") from exc
        return offset

    def _undo(self, stream: BinaryIO, offset: int) -> None:
        """Cut a half-written member off; if even that fails, abandon the file to recovery."""
        try:
            stream.truncate(offset)
            stream.seek(offset)
        except OSError:
            logger.exception("capture: cannot repair %s; leaving it for recovery", self._final)
            stream.close()
            self._file = self._final = None

    def _finish(self) -> None:
        stream, final = self._file, self._final
        self._file = self._final = None
        if stream is None or final is None:
            return
        try:
            stream.flush()
            os.fsync(stream.fileno())
            # Renamed while still locked, so no recovery can take it meanwhile.
            open_name(final).rename(final)
            _fsync_directory(final.parent)
        except OSError as exc:
            raise CaptureError(f"cannot finish capture file {final}: {exc}") from exc
        finally:
            stream.close()  # also releases the flock
        logger.info("capture: finished %s", final)


def _fsync_directory(directory: Path) -> None:
    # A rename is durable only once the folder's entry is on disk.
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _recover(leftover: Path) -> Path | None:
    """Cut a dead writer's file back to whole members and give it its final name."""
    final = Path(str(leftover).removesuffix(OPEN_SUFFIX))
    try:
        with leftover.open("r+b") as stream:
            try:
                fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return None  # a live writer holds it
            size = os.fstat(stream.fileno()).st_size
            good = complete_gzip_length(stream)
            if good < size:
                logger.warning("capture: %s cut from %d to %d bytes", leftover, size, good)
                stream.truncate(good)
            stream.flush()
            os.fsync(stream.fileno())
        if good == 0:
            leftover.unlink()
            return None
        if final.exists():
            logger.error("capture: %s and %s both exist; left as they are", leftover, final)
            return None
        leftover.rename(final)
    except OSError as exc:
        raise CaptureError(f"cannot recover {leftover}: {exc}") from exc
    logger.warning("capture: recovered %s", final)
    return final


def _http_block(status: int, headers: Sequence[tuple[str, str]], body: bytes) -> bytes:
    """The stored HTTP response: status line, headers (codings masked), blank line, body."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    lines = [f"HTTP/1.1 {status} {reason}".rstrip()]
    for raw_name, value in headers:
        name = raw_name.strip()
        if not _HEADER_NAME.fullmatch(name):
            continue  # a header a WARC reader could not parse back
        stored = f"X-Crawler-{name}" if name.lower() in _MASKED_HEADERS else name
        lines.append(f"{stored}: {_CONTROL.sub(' ', value).strip()}")
    lines.append(f"Content-Length: {len(body)}")
    head = "\r\n".join(lines) + "\r\n\r\n"
    return _header_bytes(head) + body


def _header_bytes(text: str) -> bytes:
    # httpx decodes header bytes as latin-1 where it can, so that gives them back.
    try:
        return text.encode("latin-1")
    except UnicodeEncodeError:
        return text.encode("utf-8")


def _response_record(url: str, fetched_at: datetime, block: bytes, warcinfo_id: str) -> WarcRecord:
    record = WarcRecord()
    record.init_headers(WarcRecordType.response)
    record.record_date = fetched_at.astimezone(UTC)
    record.headers.set("WARC-Target-URI", _CONTROL.sub("", url))
    if warcinfo_id:
        record.headers.set("WARC-Warcinfo-ID", warcinfo_id)
    record.headers.set("Content-Type", "application/http; msgtype=response")
    record.set_bytes_content(block)
    return record


def _warcinfo_record(filename: str) -> WarcRecord:
    try:
        version = metadata.version("news-ingest")
    except metadata.PackageNotFoundError:
        version = "unknown"
    fields = (
        f"software: news-ingest/{version} (FastWARC {metadata.version('fastwarc')})\r\n"
        "format: WARC File Format 1.1\r\n"
        "conformsTo: https://iipc.github.io/warc-specifications/specifications/"
        "warc-format/warc-1.1/\r\n"
        "description: pages fetched by news-ingest; payloads are stored content-decoded"
        " and de-chunked, the original Content-Encoding, Transfer-Encoding and"
        " Content-Length headers are kept as X-Crawler-*\r\n"
    )
    record = WarcRecord()
    record.init_headers(WarcRecordType.warcinfo)
    record.headers.set("WARC-Filename", filename)
    record.headers.set("Content-Type", "application/warc-fields")
    record.set_bytes_content(fields.encode())
    return record


def _sha1(data: bytes) -> bytes:
    return hashlib.sha1(data, usedforsecurity=False).digest()
