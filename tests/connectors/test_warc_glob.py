"""WARC globs that match folders, and files that turn into folders mid-run."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

from connectors.records import Checkpoint, RawDocument, Rejected, RejectReason
from connectors.warc import WarcSource


def warc_page(uri: str) -> bytes:
    """One gzipped WARC/1.1 response record holding a small HTML page."""
    body = f"<html><body><p>The page at {uri}.</p></body></html>".encode()
    block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + body
    record_id = f"<urn:uuid:{hashlib.md5(uri.encode()).hexdigest()}>"
    head = (
        "WARC/1.1\r\nWARC-Type: response\r\n"
        f"WARC-Record-ID: {record_id}\r\nWARC-Date: 2024-03-01T12:00:00Z\r\n"
        f"WARC-Target-URI: {uri}\r\nContent-Type: application/http; msgtype=response\r\n"
        f"Content-Length: {len(block)}\r\n\r\n"
    )
    return gzip.compress(head.encode() + block + b"\r\n\r\n")


def test_a_double_star_glob_reads_the_files_and_ignores_the_folders(tmp_path: Path) -> None:
    nested = tmp_path / "2024" / "03"
    nested.mkdir(parents=True)
    (tmp_path / "top.warc.gz").write_bytes(warc_page("https://news.example/top"))
    (nested / "deep.warc.gz").write_bytes(warc_page("https://news.example/deep"))
    source = WarcSource(name="arch", paths=[f"{tmp_path}/**"])

    items = list(source.documents({}))

    assert source.files() == [nested / "deep.warc.gz", tmp_path / "top.warc.gz"]
    urls = sorted(i.url or "" for i in items if isinstance(i, RawDocument))
    assert urls == ["https://news.example/deep", "https://news.example/top"]
    assert not [i for i in items if isinstance(i, Rejected)]


def test_a_file_that_cannot_be_opened_is_a_reject_and_the_source_goes_on(
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "a.warc.gz", tmp_path / "b.warc.gz"
    first.write_bytes(warc_page("https://news.example/a"))
    second.write_bytes(warc_page("https://news.example/b"))
    items: list[RawDocument | Rejected | Checkpoint] = []
    for item in WarcSource(name="arch", paths=[str(tmp_path)]).documents({}):
        items.append(item)
        if isinstance(item, Checkpoint) and item.key == str(first):
            # Listed as a file, a folder by the time it is opened (IsADirectoryError).
            second.unlink()
            second.mkdir()
            (second / "inside").write_text("x")

    (reject,) = [i for i in items if isinstance(i, Rejected)]
    assert reject.reason is RejectReason.UNREADABLE and "b.warc.gz" in reject.detail
    # No done checkpoint: once it is a file again, the next run reads it.
    assert [c.key for c in items if isinstance(c, Checkpoint)] == [str(first)]
