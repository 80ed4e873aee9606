"""Read web archives (WARC / WARC.gz files, folders, globs, CC-NEWS) as raw documents.

FastWARC (Rust) does the framing: gzip members, WARC headers, record
boundaries and absolute record offsets (``stream_pos`` is the byte offset of
the record, for WARC.gz the start of its gzip member, so a reader can seek
there). This module does the rest itself, because FastWARC 2.0.1, measured
here, behaves as follows:

- a file cut short ends the iteration *silently*: the last record comes back
  with a short block or with half its headers, or, when only the gzip trailer
  is missing, as if nothing happened. So every block's length is compared with
  its Content-Length, and the last gzip member is checked to end properly;
- corrupt gzip data or a non-WARC file raises ``OSError`` mid-iteration;
- ``auto_decode`` silently drops a record whose decoded payload is large (a
  gzip bomb vanished without a trace), and ``parse_http=True`` in the iterator
  aborts the whole file on one oversized HTTP header. So blocks are read raw
  and the HTTP message is split and de-chunked here and decompressed through
  :mod:`connectors.compression`, with a size cap enforced while decompressing
  and a reject reason for every failure.

One record is in memory at a time (the block is capped, larger records are
skipped without being read), so memory is bounded whatever the file size.

What is yielded, per file, in order: one :class:`RawDocument` per HTTP
``response`` record holding an HTML page; a :class:`Rejected` per bad record;
a :class:`Checkpoint` every ``checkpoint_every`` records (``position`` = offset
of the next record, so resuming re-reads nothing that was yielded) and a final
one with ``done=True``. Records that are not page responses (``warcinfo``,
``request``, ``metadata``, ``revisit``, non-HTML or non-200 responses) and
records outside the host/date/language filters are skipped silently and
counted in :attr:`WarcSource.counts` (keys: ``records``, ``documents``,
``rejected``, ``skipped_warcinfo``, ``skipped_request``, ``skipped_metadata``,
``skipped_revisit``, ``skipped_other_type``, ``skipped_not_http``,
``skipped_status``, ``skipped_not_html``, ``skipped_host``, ``skipped_date``,
``skipped_language``, ``files_read``, ``files_resumed``, ``files_skipped_done``).
A file that is done and unchanged is not opened: its checkpoint is yielded
back so the flow can count it as not modified.

Offsets: FastWARC's ``stream_pos`` is exact for a record that starts its own
gzip member (or any record of an uncompressed WARC), but for a record *inside*
a member shared with others (some writers do that) it reports the start of the
next member. So an offset is only used (in a CaptureRef or a checkpoint) after
checking that the record with the same WARC-Record-ID starts there; documents
from shared members get ``capture=None`` and checkpoints wait for the next
record that starts a member, so resuming never skips a record.

Damaged files: damage costs only the records it touches. Where FastWARC
stops (a corrupt or cut gzip member, a garbled header, a record whose
Content-Length is wrong), the reader looks for the next record start after it
(a gzip member, or a ``WARC/1.x`` header, whose WARC-Record-ID can be read) and
reads on from there. The damage is one ``Rejected(MALFORMED_RECORD)`` naming
the file, the byte offset where it starts and how many bytes were skipped
(none when FastWARC merely lost its way after a record of the wrong length
whose own reject row already tells). The file's done checkpoint is written
only once it has been read to its end, with its fingerprint, so a rerun does
not read it again and repeat the reject rows; a file that is repaired or
finishes downloading changes size and mtime, so its new fingerprint makes the
next run read it from the start (the documents read before come again and are
deduplicated downstream). A file that cannot be read at all (permissions, I/O
errors) gets no done checkpoint, so a later run tries again.

Payload conventions: ``raw_hash`` is taken over the HTTP entity body after
transfer and content decoding (what a browser would parse), which is also what
:mod:`connectors.capture` stores, so a page fetched live and the same page
read back from its capture hash alike. Pre-2019 CC-NEWS files kept the literal
``Content-Encoding``/``Transfer-Encoding`` headers of payloads stored decoded;
a payload that does not decode but already looks like HTML is taken as is.
"""

from __future__ import annotations

import base64
import glob
import hashlib
import logging
import os
import re
from collections import Counter
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from types import MappingProxyType
from typing import BinaryIO
from urllib.parse import urlsplit

from fastwarc import ArchiveIterator, WarcRecord, WarcRecordType

from connectors.compression import decompress, inflate_prefix, is_gzip, is_zstd
from connectors.errors import (
    ConnectorError,
    CorruptStreamError,
    RejectError,
    SizeCapError,
    SourceConfigError,
    TruncatedStreamError,
)
from connectors.records import (
    CaptureRef,
    Checkpoint,
    EntryHints,
    Media,
    RawDocument,
    Rejected,
    RejectReason,
    Validators,
    raw_hash,
)
from connectors.text.charset import decode_html, looks_binary
from connectors.warcfiles import complete_gzip_length, open_name

__all__ = ["CHECKPOINT_EVERY", "MAX_PAYLOAD_BYTES", "WarcSource", "read_capture"]

logger = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 10 * 2**20  # decoded page cap (DESIGN: 10 MiB for pages)
CHECKPOINT_EVERY = 100  # records between checkpoints
_MAX_HTTP_HEADER = 64 * 2**10  # HTTP status line + headers; more is not a page response
_SCAN_CHUNK = 64 * 2**10
# Where a record may start, when looking for one past damage: a gzip member
# (magic and deflate method) or an uncompressed header (not always at a line's
# start: a spliced download puts one right after half a record).
_RECORD_START = re.compile(rb"\x1f\x8b\x08|WARC/1\.[01]\r?\n")
_MAX_RECORD_START = 16  # longer than any match of _RECORD_START
_WARC_SUFFIXES = (".warc", ".warc.gz")
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_UNTYPED = frozenset({"", "application/octet-stream", "unknown/unknown", "application/unknown"})
_PAGE_STATUSES = frozenset({200, 203})  # a 206 is a fragment, 204/3xx/4xx are not pages
_STATUS_LINE = re.compile(rb"HTTP/\d(?:\.\d)?[ \t]+(\d{3})\b")
_CHUNK_SIZE_LINE = re.compile(rb"[ \t]*([0-9A-Fa-f]+)[^\r\n]*\r?\n")
# The WHATWG MIME sniffing patterns that identify HTML, after leading whitespace.
_HTML_SNIFF = re.compile(
    rb"[\t\n\x0c\r ]*<(?:!doctype html|html|head|script|iframe|h1|div|font|table|a|style"
    rb"|title|b|body|br|p|!--)[ >]",
    re.IGNORECASE,
)
_SKIPPED_TYPES = {  # FastWARC's record types are not hashable; their ints are
    int(WarcRecordType.warcinfo): "skipped_warcinfo",
    int(WarcRecordType.request): "skipped_request",
    int(WarcRecordType.metadata): "skipped_metadata",
    int(WarcRecordType.revisit): "skipped_revisit",
}
# WARC-Identified-Content-Language carries ISO 639-3 (639-2/B for some) codes;
# documents and filters use ISO 639-1 where one exists.
_ISO639_1 = {
    "afr": "af", "alb": "sq", "amh": "am", "ara": "ar", "arm": "hy", "aze": "az",
    "baq": "eu", "bel": "be", "ben": "bn", "bos": "bs", "bul": "bg", "cat": "ca",
    "ces": "cs", "chi": "zh", "cym": "cy", "cze": "cs", "dan": "da", "deu": "de",
    "dut": "nl", "ell": "el", "eng": "en", "epo": "eo", "est": "et", "eus": "eu",
    "fas": "fa", "fin": "fi", "fra": "fr", "fre": "fr", "geo": "ka", "ger": "de",
    "gle": "ga", "glg": "gl", "gre": "el", "guj": "gu", "hau": "ha", "heb": "he",
    "hin": "hi", "hrv": "hr", "hun": "hu", "hye": "hy", "ibo": "ig", "ice": "is",
    "ind": "id", "isl": "is", "ita": "it", "jpn": "ja", "kan": "kn", "kat": "ka",
    "kaz": "kk", "kor": "ko", "lat": "la", "lav": "lv", "lit": "lt", "ltz": "lb",
    "mac": "mk", "mal": "ml", "mar": "mr", "may": "ms", "mkd": "mk", "mlt": "mt",
    "msa": "ms", "nep": "ne", "nld": "nl", "nno": "nn", "nob": "nb", "nor": "no",
    "pan": "pa", "per": "fa", "pol": "pl", "por": "pt", "ron": "ro", "rum": "ro",
    "rus": "ru", "sin": "si", "slk": "sk", "slo": "sk", "slv": "sl", "som": "so",
    "spa": "es", "sqi": "sq", "srp": "sr", "swa": "sw", "swe": "sv", "tam": "ta",
    "tel": "te", "tgl": "tl", "tha": "th", "tur": "tr", "ukr": "uk", "urd": "ur",
    "uzb": "uz", "vie": "vi", "wel": "cy", "xho": "xh", "yor": "yo", "zho": "zh",
    "zul": "zu",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Http:
    """An HTTP response split out of a WARC block."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """Return the first value of a header (case-insensitive), or None."""
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)


class _DamageError(ConnectorError):
    """The file is damaged here; nothing after it can be trusted."""

    def __init__(self, detail: str, offset: int | None = None) -> None:
        super().__init__(detail)
        self.offset = offset  # where the damage starts, when not at the current record


@dataclass(frozen=True, slots=True)
class _Damage:
    """Where reading a file went wrong, and where to look for the next record."""

    at: int  # the damaged record's offset, or where the data stops making sense
    problem: str
    scan_from: int  # the next record starts after the last one FastWARC found
    after_reject: bool = False  # the record read before the damage is a reject row already


_Items = Iterator[RawDocument | Rejected | Checkpoint]
_Run = Generator[RawDocument | Rejected | Checkpoint, None, _Damage | None]


class _Skip(ConnectorError):  # noqa: N818 (control flow, not an error)
    """The record is not a page we want; carries the counter to bump."""

    def __init__(self, counter: str) -> None:
        super().__init__(counter)
        self.counter = counter


@dataclass(frozen=True, slots=True)
class _Filters:
    """Which records a source wants: host patterns, a WARC-Date range, languages."""

    hosts: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    languages: frozenset[str] = frozenset()

    def check(self, uri: str, date: datetime, languages: tuple[str, ...]) -> None:
        """Raise _Skip when a record falls outside the filters."""
        if self.hosts:
            host = (urlsplit(uri).hostname or "").lower()
            if not any(fnmatchcase(host, pattern) for pattern in self.hosts):
                raise _Skip("skipped_host")
        if (self.since and date < self.since) or (self.until and date >= self.until):
            raise _Skip("skipped_date")
        # A record without a language tag is kept: CC-NEWS and our own captures
        # carry none, and the cleaning stage detects the language anyway.
        if self.languages and languages and languages[0] not in self.languages:
            raise _Skip("skipped_language")


@dataclass(frozen=True, slots=True)
class _Settings:
    """Everything a file reader needs from its source."""

    name: str
    filters: _Filters
    checkpoint_every: int
    max_payload_bytes: int


class WarcSource:
    """WARC/WARC.gz files, folders of them or globs (CC-NEWS naming included) as a source.

    ``hosts`` are fnmatch patterns on the URL's host ("*.bbc.co.uk" does not
    match "bbc.co.uk": list both); ``since`` <= WARC-Date < ``until`` (naive
    datetimes are taken as UTC); ``languages`` are ISO 639-1 or 639-3 codes
    matched against the first WARC-Identified-Content-Language (records
    without one are kept). A folder is read without recursion; use a glob with
    ``**`` for nested layouts such as CC-NEWS's year/month folders.
    """

    def __init__(
        self,
        *,
        name: str,
        paths: Sequence[str],
        hosts: Sequence[str] = (),
        since: datetime | None = None,
        until: datetime | None = None,
        languages: Sequence[str] = (),
        checkpoint_every: int = CHECKPOINT_EVERY,
        max_payload_bytes: int = MAX_PAYLOAD_BYTES,
    ) -> None:
        if isinstance(paths, str):
            paths = [paths]  # a lone string is one path, not a sequence of characters
        if not paths:
            raise SourceConfigError(f"source {name!r}: no WARC paths configured")
        for entry in paths:
            _check_path(name, entry)
        since, until = _as_utc(since), _as_utc(until)
        if since and until and since >= until:
            raise SourceConfigError(f"source {name!r}: since {since} is not before until {until}")
        self.name = name
        self.paths = tuple(paths)
        self._settings = _Settings(
            name=name,
            filters=_Filters(
                hosts=tuple(pattern.strip().lower() for pattern in hosts),
                since=since,
                until=until,
                languages=frozenset(_language_code(code) for code in languages),
            ),
            checkpoint_every=max(1, checkpoint_every),
            max_payload_bytes=max_payload_bytes,
        )
        self._counts: Counter[str] = Counter()

    @property
    def counts(self) -> Mapping[str, int]:
        """Counters of the current or last documents() run, by cause (see the module doc)."""
        return MappingProxyType(dict(self._counts))

    def files(self) -> list[Path]:
        """List the WARC files the configured paths name now, in order, without duplicates."""
        seen: set[Path] = set()
        listed: list[Path] = []
        for entry in self.paths:
            for path in _expand(entry):
                absolute = path.absolute()
                if absolute not in seen:
                    seen.add(absolute)
                    listed.append(absolute)
        return listed

    def documents(
        self, resume: Mapping[str, Checkpoint]
    ) -> Iterator[RawDocument | Rejected | Checkpoint]:
        """Yield every page response (or reject row), with checkpoints, file by file."""
        self._counts.clear()
        for path in self.files():
            yield from self._read_file(path, resume.get(str(path)))
        logger.info("source %s: %s", self.name, dict(self._counts))

    def _read_file(
        self, path: Path, previous: Checkpoint | None
    ) -> Iterator[RawDocument | Rejected | Checkpoint]:
        try:
            stat = path.stat()
        except FileNotFoundError:
            yield self._file_reject(path, RejectReason.MISSING_PATH, "file disappeared")
            return
        except OSError as exc:
            yield self._file_reject(path, RejectReason.UNREADABLE, f"cannot stat: {exc}")
            return
        fingerprint = f"{stat.st_size}:{stat.st_mtime_ns}"
        start = 0
        if previous is not None and previous.fingerprint == fingerprint:
            if previous.done:
                self._counts["files_skipped_done"] += 1
                yield previous  # unchanged and fully read: handed back so the flow counts it
                return
            start = previous.position
        try:
            with path.open("rb") as stream, path.open("rb") as probe:
                reader = _FileReader(self._settings, self._counts, path, stream, probe)
                if start and _record_id_at(probe, start) is None:
                    logger.warning(
                        "%s: checkpoint %d is not a record start; rereading", path, start
                    )
                    start = 0
                self._counts["files_resumed" if start else "files_read"] += 1
                yield from reader.read(start, fingerprint)
        except FileNotFoundError:
            yield self._file_reject(path, RejectReason.MISSING_PATH, "file disappeared")
        except OSError as exc:
            # Permissions, or a path that became a folder: no checkpoint, so a later run retries.
            yield self._file_reject(path, RejectReason.UNREADABLE, f"cannot read: {exc}")

    def _file_reject(self, path: Path, reason: RejectReason, detail: str) -> Rejected:
        self._counts["rejected"] += 1
        logger.warning("source %s: %s: %s", self.name, path, detail)
        return Rejected(self.name, path.as_uri(), reason, f"{path}: {detail}")


class _FileReader:
    """Reads one open WARC file; all per-file state lives here."""

    def __init__(
        self,
        settings: _Settings,
        counts: Counter[str],
        path: Path,
        stream: BinaryIO,
        probe: BinaryIO,
    ) -> None:
        self.settings = settings
        self.counts = counts
        self.path = path
        self.stream = stream
        self.probe = probe  # a second handle, for looking at offsets without moving ``stream``
        self._found = False  # whether any record was found in the file
        self._since_checkpoint = 0  # records read since the last checkpoint

    def read(self, start: int, fingerprint: str) -> _Items:
        """Yield the file's documents from ``start``, checkpoints, then its done checkpoint.

        Damage costs only what it touches: reading starts again at the next
        record found after it, and the file is done once read to its end.
        """
        position: int | None = start
        reported = False
        # Damage where nothing was skipped: reported once the next read tells more.
        pending: tuple[_Damage, int] | None = None
        while position is not None:
            damage = yield from self._read_from(position, fingerprint)
            if pending is not None and _needs_row(pending, damage):
                yield self._damage_reject(*pending)
            pending = None
            if damage is None:
                break
            reported = True
            position = _next_record_start(self.probe, damage.scan_from)
            if position is not None and position <= damage.at:
                # FastWARC lost its way after a record whose length was wrong, or the
                # record here is damaged: reading on from here tells which.
                pending = (damage, position)
                continue
            yield self._damage_reject(damage, position)
        if not self._found and start == 0 and not reported:
            yield self._reject(RejectReason.EMPTY, "holds no WARC record")
        yield self._checkpoint(fingerprint, _size(self.stream), done=True)

    def _read_from(self, position: int, fingerprint: str) -> _Run:
        """Yield what the records from ``position`` hold; return the damage that stopped it."""
        self.stream.seek(position)
        last: WarcRecord | None = None  # the last record read whole
        current: WarcRecord | None = None  # the record being read
        rejected = False  # whether ``last`` became a reject row
        try:
            for record in ArchiveIterator(self.stream, parse_http=False):
                current, self._found = record, True
                if self._since_checkpoint >= self.settings.checkpoint_every and self._at(record):
                    yield self._checkpoint(fingerprint, record.stream_pos, done=False)
                    self._since_checkpoint = 0
                self._since_checkpoint += 1
                item = self.record(record)
                if item is not None:
                    yield item
                last, current, rejected = record, None, isinstance(item, Rejected)
            if last is not None and self._at(last):
                self._check_gzip_tail(last.stream_pos)
        except _DamageError as exc:
            base = current or last
            at = exc.offset if exc.offset is not None else base.stream_pos if base else position
            return _Damage(at, str(exc), (base.stream_pos if base else position) + 1)
        except (OSError, ValueError) as exc:
            # FastWARC raises for corrupt gzip data, for a record that does not
            # start where the previous one's Content-Length said, or a non-WARC.
            if current is not None:
                offset = current.stream_pos
                return _Damage(offset, f"unreadable record ({exc})", offset + 1)
            if last is None:
                return _Damage(position, f"unreadable data ({exc})", position + 1)
            problem = f"unreadable data after the record at offset {last.stream_pos} ({exc})"
            return _Damage(self._record_end(last), problem, last.stream_pos + 1, rejected)
        return None

    def _record_end(self, record: WarcRecord) -> int:
        """Where a record ends by its own framing: the end of its gzip member, or of its block."""
        start = record.stream_pos
        if not self._at(record):
            return start  # inside a shared gzip member: FastWARC reported the next one's start
        if is_gzip(_read_at(self.probe, start, 2)):
            return complete_gzip_length(self.probe, start, members=1)
        head = _read_at(self.probe, start, _SCAN_CHUNK).find(b"\r\n\r\n")
        return start + head + 4 + record.content_length + 4 if head >= 0 else start

    def _damage_reject(self, damage: _Damage, resume: int | None) -> Rejected:
        """The reject row of damaged data: where it is, and where reading went on."""
        if resume is None and damage.at == 0 and not self._found:
            return self._reject(RejectReason.MALFORMED_RECORD, f"not a WARC file: {damage.problem}")
        if resume is None:
            rest = (
                f"no record after it ({_size(self.probe) - damage.at} bytes to the end of the file)"
            )
        elif resume > damage.at:
            rest = f"{resume - damage.at} bytes skipped to the next record, at offset {resume}"
        else:
            rest = f"reading resumed at the next record, at offset {resume}"
        return self._reject(
            RejectReason.MALFORMED_RECORD, f"at offset {damage.at}: {damage.problem}; {rest}"
        )

    def record(self, record: WarcRecord) -> RawDocument | Rejected | None:
        """Turn one record into a document or reject row; None for a skipped record."""
        self.counts["records"] += 1
        if "Content-Length" not in record.headers:
            raise _DamageError("record header is incomplete (no Content-Length)")
        uri = ""
        try:
            if record.record_type != WarcRecordType.response:
                raise _Skip(_SKIPPED_TYPES.get(int(record.record_type), "skipped_other_type"))
            uri = _target_uri(record)
            document = self._response(record, uri)
        except _Skip as skip:
            self._consume(record)
            self.counts[skip.counter] += 1
            return None
        except RejectError as exc:
            self._consume(record)
            self.counts["rejected"] += 1
            location = uri or f"{self.path.as_uri()}#offset={record.stream_pos}"
            detail = f"{exc.detail} ({self.path} at offset {record.stream_pos})"
            return Rejected(self.settings.name, location, exc.reason, detail, exc.digest)
        self.counts["documents"] += 1
        return document

    def _response(self, record: WarcRecord, uri: str) -> RawDocument:
        date = _warc_date(record)
        languages = _languages(record.headers.get("WARC-Identified-Content-Language"))
        self.settings.filters.check(uri, date, languages)
        limit = self.settings.max_payload_bytes
        if record.content_length > limit + _MAX_HTTP_HEADER:
            detail = f"record block of {record.content_length} bytes"
            raise RejectError(RejectReason.TOO_LARGE, detail)
        http = _split_http(self._block(record))
        if http.status not in _PAGE_STATUSES:
            raise _Skip("skipped_status")
        media_type = _media_type(http.header("Content-Type"))
        if media_type not in _HTML_TYPES and media_type not in _UNTYPED:
            raise _Skip("skipped_not_html")
        _check_truncation(record, http)
        body = _decoded_body(http, limit)
        if media_type in _UNTYPED and not _is_html(record, body):
            raise _Skip("skipped_not_html")
        digest = raw_hash(body)
        if not body or body.isspace():
            raise RejectError(RejectReason.EMPTY, "empty page body", digest)
        if looks_binary(body):
            raise RejectError(RejectReason.BINARY, "page body holds NUL bytes", digest)
        text, decoding = decode_html(body, http.header("Content-Type"))
        capture = CaptureRef(str(self.path), record.stream_pos) if self._at(record) else None
        return RawDocument(
            source=self.settings.name,
            location=uri,
            url=uri,
            content=text,
            media=Media.HTML,
            raw_hash=digest,
            retrieved_at=date,
            hints=EntryHints(origin="warc", language=languages[0] if languages else None),
            validators=_validators(http),
            capture=capture,
            decoding=decoding,
        )

    def _block(self, record: WarcRecord) -> bytes:
        """Read the whole record block; a short block means the file was cut here."""
        expected = record.content_length
        parts: list[bytes] = []
        got = 0
        while got < expected:
            part = record.reader.read(expected - got)
            if not part:
                raise _DamageError(f"record block ends after {got} of {expected} bytes")
            parts.append(part)
            got += len(part)
        block = b"".join(parts)
        _check_block_digest(record, block)
        return block

    def _consume(self, record: WarcRecord) -> None:
        """Skip the rest of a record, checking that the file really holds all of it."""
        remaining = record.content_length - record.reader.tell()
        if remaining > 0 and record.reader.consume() < remaining:
            raise _DamageError(f"record block is cut short ({record.content_length} expected)")

    def _at(self, record: WarcRecord) -> bool:
        """True when the record really starts at its reported offset (a reader can seek there).

        FastWARC reports, for a record that is not first in its gzip member,
        the start of the *next* member; such offsets must not be stored.
        """
        record_id = record.headers.get("WARC-Record-ID")
        return record_id is not None and _record_id_at(self.probe, record.stream_pos) == record_id

    def _check_gzip_tail(self, last_offset: int) -> None:
        """Raise _DamageError when the file ends inside the gzip member of its last record."""
        if not is_gzip(_read_at(self.probe, last_offset, 2)):
            return
        end = complete_gzip_length(self.probe, last_offset)
        size = _size(self.probe)
        if end != size:
            raise _DamageError(f"gzip data is cut or corrupt (the file has {size} bytes)", end)

    def _checkpoint(self, fingerprint: str, position: int, *, done: bool) -> Checkpoint:
        return Checkpoint(self.settings.name, str(self.path), fingerprint, position, done)

    def _reject(self, reason: RejectReason, detail: str) -> Rejected:
        self.counts["rejected"] += 1
        logger.warning("source %s: %s: %s", self.settings.name, self.path, detail)
        return Rejected(self.settings.name, self.path.as_uri(), reason, f"{self.path}: {detail}")


def read_capture(
    ref: CaptureRef, *, source: str, max_payload_bytes: int = MAX_PAYLOAD_BYTES
) -> RawDocument | Rejected:
    """Read the one page record a CaptureRef points at (re-extraction without re-fetching).

    A capture file still being written carries an ``.open`` suffix
    (:mod:`connectors.capture`) and is read under that name.
    """
    path = Path(ref.path)
    if not path.exists() and open_name(path).exists():
        path = open_name(path)
    settings = _Settings(source, _Filters(), CHECKPOINT_EVERY, max_payload_bytes)
    where = f"{ref.path} at offset {ref.offset}"
    try:
        with path.open("rb") as stream, path.open("rb") as probe:
            if _record_id_at(probe, ref.offset) is None:
                raise _DamageError("no WARC record starts there")
            stream.seek(ref.offset)
            reader = _FileReader(settings, Counter(), path, stream, probe)
            for record in ArchiveIterator(stream, parse_http=False):
                item = reader.record(record)
                if item is not None:
                    return item
                break
    except FileNotFoundError:
        return Rejected(source, ref.path, RejectReason.MISSING_PATH, f"{ref.path}: no such file")
    except (_DamageError, OSError, ValueError) as exc:
        return Rejected(source, ref.path, RejectReason.MALFORMED_RECORD, f"{where}: {exc}")
    detail = f"{where}: not a page response record"
    return Rejected(source, ref.path, RejectReason.MALFORMED_RECORD, detail)


def _check_path(name: str, entry: str) -> None:
    """Raise SourceConfigError when a configured path (or a glob's folder) does not exist."""
    if _is_glob(entry):
        base = Path(entry).parent
        while _is_glob(str(base)):
            base = base.parent
        if not base.is_dir():
            raise SourceConfigError(f"source {name!r}: folder {base} of glob {entry!r} is missing")
    elif not Path(entry).exists():
        raise SourceConfigError(f"source {name!r}: path {entry!r} does not exist")


def _is_glob(entry: str) -> bool:
    return any(char in entry for char in "*?[")


def _expand(entry: str) -> list[Path]:
    """The WARC files one configured path names: a file, a folder's files, or a glob's matches."""
    if _is_glob(entry):
        # "dir/**" matches the folders too; only files are archives.
        matches = (Path(match) for match in sorted(glob.glob(entry, recursive=True)))
        return [match for match in matches if match.is_file()]
    path = Path(entry)
    if path.is_dir():
        return sorted(
            child
            for child in path.iterdir()
            if child.name.endswith(_WARC_SUFFIXES) and child.is_file()
        )
    return [path]


def _as_utc(moment: datetime | None) -> datetime | None:
    # A date range from a config file has no zone; archives are dated in UTC.
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _language_code(code: str) -> str:
    primary = re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0]
    return _ISO639_1.get(primary, primary)


def _languages(header: str | None) -> tuple[str, ...]:
    """Languages of a record, most prominent first, as ISO 639-1 where one exists."""
    if not header:
        return ()
    return tuple(_language_code(code) for code in header.split(",") if code.strip())


def _target_uri(record: WarcRecord) -> str:
    # WARC/1.0's grammar put the URI in angle brackets; some writers still do.
    uri = (record.headers.get("WARC-Target-URI") or "").strip().strip("<>")
    if not uri:
        raise RejectError(RejectReason.MALFORMED_RECORD, "response record without target URI")
    if urlsplit(uri).scheme.lower() not in {"http", "https"}:
        raise _Skip("skipped_not_http")
    return uri


def _warc_date(record: WarcRecord) -> datetime:
    value = (record.headers.get("WARC-Date") or "").strip()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise RejectError(RejectReason.MALFORMED_RECORD, f"bad WARC-Date {value!r}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _check_block_digest(record: WarcRecord, block: bytes) -> None:
    """Reject a block whose sha1 WARC-Block-Digest does not match (wrong Content-Length, rot)."""
    algorithm, _, value = (record.headers.get("WARC-Block-Digest") or "").partition(":")
    if algorithm.strip().lower() != "sha1" or not value.strip():
        return  # no digest, or one in a form we do not check
    digest = hashlib.sha1(block, usedforsecurity=False).digest()
    value = value.strip()
    expected = base64.b32encode(digest).decode() if len(value) == 32 else digest.hex()
    if value.upper() != expected.upper():
        detail = f"block of {len(block)} bytes does not match its WARC-Block-Digest"
        raise RejectError(RejectReason.MALFORMED_RECORD, detail)


def _split_http(block: bytes) -> _Http:
    """Split an HTTP response block into status, headers and (still encoded) body."""
    crlf = block.find(b"\r\n\r\n", 0, _MAX_HTTP_HEADER)
    lf = block.find(b"\n\n", 0, _MAX_HTTP_HEADER)  # some servers send bare LF line ends
    if crlf < 0 and lf < 0:
        raise RejectError(RejectReason.MALFORMED_RECORD, "HTTP header has no end")
    end, gap = (lf, 2) if crlf < 0 or 0 <= lf < crlf else (crlf, 4)
    lines = block[:end].replace(b"\r\n", b"\n").split(b"\n")
    status = _STATUS_LINE.match(lines[0])
    if status is None:
        detail = f"bad HTTP status line {lines[0][:80]!r}"
        raise RejectError(RejectReason.MALFORMED_RECORD, detail)
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (b" ", b"\t") and headers:  # obsolete folded continuation line
            previous, folded = headers[-1]
            headers[-1] = (previous, f"{folded} {line.strip().decode('latin-1')}")
            continue
        name, colon, value = line.partition(b":")
        if colon and name.strip():
            headers.append((name.strip().decode("latin-1"), value.strip().decode("latin-1")))
    return _Http(int(status.group(1)), tuple(headers), block[end + gap :])


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _is_html(record: WarcRecord, body: bytes) -> bool:
    """For an untyped response: the archive's own identification, else content sniffing."""
    identified = _media_type(record.headers.get("WARC-Identified-Payload-Type"))
    if identified and identified not in _UNTYPED:
        return identified in _HTML_TYPES
    return _looks_html(body)


def _looks_html(body: bytes) -> bool:
    start = body[:512]
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        start = start.removeprefix(bom)
    return _HTML_SNIFF.match(start) is not None


def _check_truncation(record: WarcRecord, http: _Http) -> None:
    """Reject a payload the crawler cut, or one shorter or longer than its HTTP Content-Length."""
    truncated = record.headers.get("WARC-Truncated")
    if truncated:
        reason = (
            RejectReason.TOO_LARGE
            if truncated.strip() == "length"
            else RejectReason.MALFORMED_RECORD
        )
        raise RejectError(reason, f"payload truncated by the crawler (WARC-Truncated: {truncated})")
    if http.header("Transfer-Encoding") or http.header("Content-Encoding"):
        # The declared length is that of the encoded bytes, and old CC-NEWS
        # files kept it even for payloads they stored decoded.
        return
    declared = http.header("Content-Length")
    if declared is not None and declared.strip().isdigit() and int(declared) != len(http.body):
        detail = f"payload has {len(http.body)} bytes, HTTP Content-Length says {declared.strip()}"
        raise RejectError(RejectReason.MALFORMED_RECORD, detail)


def _decoded_body(http: _Http, limit: int) -> bytes:
    """Undo chunked transfer coding and content codings, never exceeding ``limit`` bytes."""
    body = http.body
    transfer = (http.header("Transfer-Encoding") or "").lower()
    if "chunked" in transfer:
        body = _dechunk(body)
    codings = [c.strip().lower() for c in (http.header("Content-Encoding") or "").split(",")]
    for coding in reversed([c for c in codings if c and c != "identity"]):
        body = _decompress(body, coding, limit)
    if len(body) > limit:
        raise RejectError(RejectReason.TOO_LARGE, f"page body of {len(body)} bytes")
    return body


def _dechunk(body: bytes) -> bytes:
    """Join the chunks of a chunked body; a body that is not chunked is returned as is."""
    parts: list[bytes] = []
    pos = 0
    while True:
        line = _CHUNK_SIZE_LINE.match(body, pos)
        if line is None:
            if not parts and _looks_html(body):
                return body  # stored de-chunked under its original header (old CC-NEWS)
            detail = f"chunked body broken at byte {pos}"
            raise RejectError(RejectReason.MALFORMED_RECORD, detail)
        size = int(line.group(1), 16)
        start = line.end()
        if size == 0:
            return b"".join(parts)
        if start + size > len(body):
            raise RejectError(RejectReason.MALFORMED_RECORD, "chunked body ends mid-chunk")
        parts.append(body[start : start + size])
        pos = start + size
        pos += 2 if body.startswith(b"\r\n", pos) else 1 if body.startswith(b"\n", pos) else 0


def _decompress(body: bytes, coding: str, limit: int) -> bytes:
    """Decode one content coding, stopping once the output passes ``limit`` bytes."""
    if not _looks_encoded(body, coding):
        if _looks_html(body):
            return body  # a coding is declared but the payload was stored decoded (old CC-NEWS)
        raise RejectError(RejectReason.UNDECODABLE, f"content coding {coding!r} not decodable")
    try:
        return decompress(body, coding, max_bytes=limit)
    except SizeCapError:
        detail = f"{coding} payload decodes to over {limit} bytes"
        raise RejectError(RejectReason.TOO_LARGE, detail) from None
    except TruncatedStreamError:
        detail = f"{coding} payload is cut short"
        raise RejectError(RejectReason.MALFORMED_RECORD, detail) from None
    except CorruptStreamError as exc:
        detail = f"{coding} payload: {exc.detail}"
        raise RejectError(RejectReason.UNDECODABLE, detail) from exc


def _looks_encoded(body: bytes, coding: str) -> bool:
    """Whether a payload may be in ``coding``; old CC-NEWS kept codings of decoded payloads."""
    if coding in {"gzip", "x-gzip"}:
        return is_gzip(body)
    if coding == "zstd":
        return is_zstd(body)
    return coding in {"deflate", "br"} and not _looks_html(body)


def _validators(http: _Http) -> Validators | None:
    etag, modified = http.header("ETag"), http.header("Last-Modified")
    return Validators(etag=etag, last_modified=modified) if etag or modified else None


def _needs_row(pending: tuple[_Damage, int], damage: _Damage | None) -> bool:
    """Whether damage where nothing was skipped needs a reject row of its own.

    Not when the record before it is a reject row already, nor when reading on
    failed right where it had resumed (that failure's row tells).
    """
    earlier, resumed_at = pending
    return not earlier.after_reject and (damage is None or damage.at != resumed_at)


def _next_record_start(probe: BinaryIO, start: int) -> int | None:
    """The offset of the first record at or after ``start`` (its header checked), or None."""
    position = start
    while True:
        chunk = _read_at(probe, position, _SCAN_CHUNK + _MAX_RECORD_START)
        for match in _RECORD_START.finditer(chunk):
            if match.start() >= _SCAN_CHUNK:
                break  # the next window looks at it
            if _record_id_at(probe, position + match.start()) is not None:
                return position + match.start()
        if len(chunk) <= _SCAN_CHUNK:
            return None
        position += _SCAN_CHUNK


def _record_id_at(probe: BinaryIO, offset: int) -> str | None:
    """The WARC-Record-ID of the record starting at ``offset`` (plain, or its own gzip member)."""
    head = _read_at(probe, offset, _SCAN_CHUNK // 8)
    if is_gzip(head):
        try:
            head = inflate_prefix(head, max_bytes=_SCAN_CHUNK // 4)
        except CorruptStreamError:
            return None
    if not head.startswith(b"WARC/"):
        return None
    for line in head.split(b"\r\n\r\n", 1)[0].split(b"\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"warc-record-id":
            return value.strip().decode("latin-1")
    return None


def _read_at(probe: BinaryIO, offset: int, size: int) -> bytes:
    probe.seek(offset)
    return probe.read(size)


def _size(stream: BinaryIO) -> int:
    return os.fstat(stream.fileno()).st_size
