"""WARC bytes built by hand for the WARC tests: records no writer would emit, damaged files.

Shared by tests/connectors/test_warc.py (the reader) and
tests/flows/test_warc_ingest.py (the flow over it).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["DATE", "corrupt_between", "http_block", "warc_record", "write_warc"]

DATE = datetime(2024, 3, 1, 12, 0, 0, tzinfo=UTC)


def http_block(
    body: bytes,
    *,
    status: str = "200 OK",
    headers: Sequence[tuple[str, str]] = (("Content-Type", "text/html; charset=utf-8"),),
) -> bytes:
    """An HTTP/1.1 response (status line, headers, body) as a WARC response block."""
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def warc_record(
    uri: str,
    block: bytes,
    *,
    rec_type: str = "response",
    date: datetime = DATE,
    extra: Sequence[tuple[str, str]] = (),
    content_length: int | None = None,
    digest: bool | str = True,
    record_id: str | None = None,
) -> bytes:
    """Raw bytes of one WARC/1.1 record (lets tests write what no writer would).

    ``digest`` True adds the block's true SHA-1 digest, False none, a string
    that header value (a wrong digest, say).
    """
    # The type is part of the id: a response and a revisit of one URL are two records.
    key = uri.encode() + block + rec_type.encode()
    record_id = record_id or f"<urn:uuid:{hashlib.md5(key).hexdigest()}>"
    headers = [
        ("WARC-Type", rec_type),
        ("WARC-Record-ID", record_id),
        ("WARC-Date", date.strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("WARC-Target-URI", uri),
        ("Content-Type", "application/http; msgtype=response"),
        *extra,
    ]
    if digest is True:
        sha1 = base64.b32encode(hashlib.sha1(block).digest()).decode()
        headers.append(("WARC-Block-Digest", f"sha1:{sha1}"))
    elif digest:
        headers.append(("WARC-Block-Digest", digest))
    headers.append(
        ("Content-Length", str(len(block) if content_length is None else content_length))
    )
    head = "WARC/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return head.encode() + block + b"\r\n\r\n"


def write_warc(path: Path, records: Iterable[bytes], *, gz: bool = True) -> list[int]:
    """Write records (one gzip member each when gz); return each record's offset."""
    offsets = []
    with path.open("wb") as out:
        for record in records:
            offsets.append(out.tell())
            out.write(gzip.compress(record) if gz else record)
    return offsets


def corrupt_between(path: Path, start: int, end: int) -> None:
    """Flip 8 bytes midway between two offsets, so the gzip member there no longer inflates."""
    data = bytearray(path.read_bytes())
    middle = (start + end) // 2
    data[middle : middle + 8] = bytes(b ^ 0x5A for b in data[middle : middle + 8])
    path.write_bytes(bytes(data))
