"""WarcSource: reading WARC/WARC.gz files, damage, filters, resume. All fixtures are generated."""

from __future__ import annotations

import gzip
import io
import os
import re
import tracemalloc
import zlib
from datetime import timedelta
from pathlib import Path

import brotli  # type: ignore[import-untyped, unused-ignore]
import pytest
import zstandard
from fastwarc import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from connectors.errors import SourceConfigError
from connectors.protocols import DocumentSource
from connectors.records import (
    CaptureRef,
    Checkpoint,
    Media,
    RawDocument,
    Rejected,
    RejectReason,
    raw_hash,
)
from connectors.warc import WarcSource, read_capture
from tests.warcgen import DATE, corrupt_between, http_block, warc_record, write_warc

# --------------------------------------------------------------------------- fixture builders


def page(n: int, words: int = 60) -> bytes:
    """A small HTML page whose text says which page it is."""
    text = " ".join(f"word{n}_{i}" for i in range(words))
    return f"<html><head><title>Page {n}</title></head><body><p>{text}</p></body></html>".encode()


def html_records(count: int, *, host: str = "news.example") -> list[bytes]:
    return [warc_record(f"https://{host}/a/{n}", http_block(page(n))) for n in range(count)]


Items = list[RawDocument | Rejected | Checkpoint]


def run(source: WarcSource, resume: dict[str, Checkpoint] | None = None) -> Items:
    return list(source.documents(resume or {}))


def docs(items: Items) -> list[RawDocument]:
    return [item for item in items if isinstance(item, RawDocument)]


def rejects(items: Items) -> list[Rejected]:
    return [item for item in items if isinstance(item, Rejected)]


def checkpoints(items: Items) -> list[Checkpoint]:
    return [item for item in items if isinstance(item, Checkpoint)]


def source(*paths: Path | str, **options) -> WarcSource:
    return WarcSource(name="arch", paths=[str(p) for p in paths], **options)


# --------------------------------------------------------------------------- reading


def test_each_html_response_becomes_a_document_with_its_record(tmp_path: Path) -> None:
    path = tmp_path / "a.warc.gz"
    records = html_records(3)
    records[1] = warc_record(
        "https://news.example/a/1",
        http_block(page(1), headers=[("Content-Type", "text/html"), ("ETag", '"v1"')]),
        extra=[("WARC-Identified-Content-Language", "deu,eng")],
    )
    offsets = write_warc(path, records)

    items = run(source(path))

    found = docs(items)
    assert [d.url for d in found] == [f"https://news.example/a/{n}" for n in range(3)]
    assert [d.location for d in found] == [d.url for d in found]
    for n, doc in enumerate(found):
        assert f"word{n}_59" in doc.content
        assert doc.media is Media.HTML
        assert doc.raw_hash == raw_hash(page(n))
        assert doc.retrieved_at == DATE
        assert doc.hints is not None
        assert doc.hints.origin == "warc"
        assert doc.capture == CaptureRef(path=str(path), offset=offsets[n])
    assert found[1].hints is not None
    assert found[1].hints.language == "de"
    assert found[0].hints is not None
    assert found[0].hints.language is None
    assert found[1].validators is not None
    assert found[1].validators.etag == '"v1"'
    assert rejects(items) == []
    assert checkpoints(items)[-1] == Checkpoint(
        "arch", str(path), _fingerprint(path), path.stat().st_size, done=True
    )


def test_source_satisfies_the_document_source_protocol(tmp_path: Path) -> None:
    path = tmp_path / "a.warc"
    write_warc(path, html_records(1), gz=False)
    assert isinstance(source(path), DocumentSource)


def test_capture_offset_points_at_the_record(tmp_path: Path) -> None:
    for gz in (True, False):
        path = tmp_path / ("x.warc.gz" if gz else "x.warc")
        write_warc(path, html_records(4), gz=gz)
        for doc in docs(run(source(path))):
            assert doc.capture is not None
            with open(doc.capture.path, "rb") as stream:
                stream.seek(doc.capture.offset)
                record = next(iter(ArchiveIterator(stream, parse_http=False)))
                assert record.headers["WARC-Target-URI"] == doc.url
            again = read_capture(doc.capture, source="arch")
            assert isinstance(again, RawDocument)
            assert again.content == doc.content


def test_read_capture_at_a_wrong_offset_is_a_reject(tmp_path: Path) -> None:
    path = tmp_path / "x.warc.gz"
    offsets = write_warc(path, html_records(2))
    wrong = read_capture(CaptureRef(str(path), offsets[1] + 3), source="arch")
    assert isinstance(wrong, Rejected)
    assert wrong.reason is RejectReason.MALFORMED_RECORD
    gone = read_capture(CaptureRef(str(tmp_path / "gone.warc.gz"), 0), source="arch")
    assert isinstance(gone, Rejected)
    assert gone.reason is RejectReason.MISSING_PATH


def test_records_that_are_not_page_responses_are_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "mixed.warc.gz"
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True, warc_version="1.1")
        writer.write_record(writer.create_warcinfo_record("mixed.warc.gz", {"software": "t"}))

        def response(uri: str, body: bytes, content_type: str, status: str = "200 OK") -> None:
            http = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
            record = writer.create_warc_record(
                uri, "response", payload=io.BytesIO(body), http_headers=http
            )
            writer.write_record(record)

        request = StatusAndHeaders("GET /a HTTP/1.1", [("Host", "x.example")], is_http_request=True)
        writer.write_record(
            writer.create_warc_record(
                "https://x.example/a", "request", payload=io.BytesIO(b""), http_headers=request
            )
        )
        response("https://x.example/a", page(1), "text/html; charset=utf-8")
        response("https://x.example/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(200), "image/png")
        response("https://x.example/feed", b"<rss></rss>", "application/rss+xml")
        response("https://x.example/missing", page(2), "text/html", status="404 Not Found")
        response("https://x.example/moved", page(3), "text/html", status="301 Moved Permanently")
        revisit = writer.create_revisit_record(
            "https://x.example/a", digest="sha1:AAAA", refers_to_uri="https://x.example/a",
            refers_to_date="2024-01-01T00:00:00Z",
        )  # fmt: skip
        writer.write_record(revisit)
        writer.write_record(
            writer.create_warc_record(
                "https://x.example/a", "metadata", payload=io.BytesIO(b"outlinks: none\r\n"),
                warc_content_type="application/warc-fields",
            )
        )  # fmt: skip
        writer.write_record(
            writer.create_warc_record(
                "https://x.example/b", "resource", payload=io.BytesIO(page(4)),
                warc_content_type="text/html",
            )
        )  # fmt: skip
        response("dns:x.example", b"x.example. 300 IN A 192.0.2.1", "text/dns")

    warc = source(path)
    items = run(warc)

    assert [d.url for d in docs(items)] == ["https://x.example/a"]
    assert rejects(items) == []
    counts = warc.counts
    assert counts["records"] == 11
    assert counts["documents"] == 1
    assert counts["skipped_warcinfo"] == 1
    assert counts["skipped_request"] == 1
    assert counts["skipped_revisit"] == 1
    assert counts["skipped_metadata"] == 1
    assert counts["skipped_other_type"] == 1  # the resource record
    assert counts["skipped_not_html"] == 2
    assert counts["skipped_status"] == 2
    assert counts["skipped_not_http"] == 1


def test_payload_codings_are_undone(tmp_path: Path) -> None:
    body = page(7, words=400)
    chunked = (
        b"".join(
            b"%x\r\n%s\r\n" % (len(body[i : i + 500]), body[i : i + 500])
            for i in range(0, len(body), 500)
        )
        + b"0\r\n\r\n"
    )
    gzipped = gzip.compress(body)
    cases = {
        "plain": (body, []),
        "gzip": (gzipped, [("Content-Encoding", "gzip")]),
        "deflate": (zlib.compress(body), [("Content-Encoding", "deflate")]),
        "raw-deflate": (zlib.compress(body, wbits=-15), [("Content-Encoding", "deflate")]),
        "br": (brotli.compress(body), [("Content-Encoding", "br")]),
        "zstd": (zstandard.ZstdCompressor().compress(body), [("Content-Encoding", "zstd")]),
        "chunked": (chunked, [("Transfer-Encoding", "chunked")]),
        "chunked-gzip": (
            b"%x\r\n%s\r\n0\r\n\r\n" % (len(gzipped), gzipped),
            [("Transfer-Encoding", "chunked"), ("Content-Encoding", "gzip")],
        ),
        # Old CC-NEWS files kept these headers for payloads they stored decoded.
        "stored-decoded": (body, [("Content-Encoding", "gzip"), ("Transfer-Encoding", "chunked")]),
    }
    path = tmp_path / "codings.warc.gz"
    write_warc(
        path,
        [
            warc_record(
                f"https://x.example/{name}",
                http_block(payload, headers=[("Content-Type", "text/html"), *headers]),
            )
            for name, (payload, headers) in cases.items()
        ],
    )

    items = run(source(path))

    assert rejects(items) == []
    found = {d.location.rsplit("/", 1)[1]: d for d in docs(items)}
    assert set(found) == set(cases)
    expected = body.decode()
    for doc in found.values():
        assert doc.content == expected
        assert doc.raw_hash == raw_hash(body)


def test_charset_comes_from_http_header_or_meta(tmp_path: Path) -> None:
    latin = "<html><body><p>Grüße aus Köln, café</p></body></html>"
    sjis = (
        '<html><head><meta charset="shift_jis"></head><body><p>日本語のニュース</p></body></html>'
    )
    path = tmp_path / "charsets.warc"
    write_warc(
        path,
        [
            warc_record(
                "https://x.example/de",
                http_block(latin.encode("cp1252"), headers=[("Content-Type", "text/html; charset=windows-1252")]),
            ),
            warc_record(
                "https://x.example/jp",
                http_block(sjis.encode("shift_jis"), headers=[("Content-Type", "text/html")]),
            ),
        ],
        gz=False,
    )  # fmt: skip
    found = docs(run(source(path)))
    assert "Grüße aus Köln, café" in found[0].content
    assert "日本語のニュース" in found[1].content


def test_untyped_payloads_are_sniffed(tmp_path: Path) -> None:
    path = tmp_path / "untyped.warc.gz"
    write_warc(
        path,
        [
            warc_record("https://x.example/html", http_block(b"\n  <!DOCTYPE html>" + page(1), headers=[])),
            warc_record("https://x.example/text", http_block(b"just some text", headers=[])),
            warc_record(
                "https://x.example/octet",
                http_block(page(2), headers=[("Content-Type", "application/octet-stream")]),
            ),
            warc_record(
                "https://x.example/identified-pdf",
                http_block(page(3), headers=[]),
                extra=[("WARC-Identified-Payload-Type", "application/pdf")],
            ),
        ],
    )  # fmt: skip
    warc = source(path)
    assert [d.url for d in docs(run(warc))] == ["https://x.example/html", "https://x.example/octet"]
    assert warc.counts["skipped_not_html"] == 2


# --------------------------------------------------------------------------- bad records


def test_payload_that_is_not_what_its_headers_say_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "lies.warc.gz"
    body = page(1)
    write_warc(
        path,
        [
            warc_record("https://x.example/binary", http_block(b"<html>\x00\x01\x02" + bytes(300))),
            warc_record(
                "https://x.example/short",
                http_block(body, headers=[("Content-Type", "text/html"), ("Content-Length", str(len(body) + 100))]),
            ),
            warc_record(
                "https://x.example/long",
                http_block(body, headers=[("Content-Type", "text/html"), ("Content-Length", "10")]),
            ),
            warc_record(
                "https://x.example/not-gzip",
                http_block(b"\x1f\x8bnot really gzip", headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip")]),
            ),
            warc_record(
                "https://x.example/cut-gzip",
                http_block(gzip.compress(body)[:-30], headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip")]),
            ),
            warc_record(
                "https://x.example/unknown-coding",
                http_block(b"\x00\x01", headers=[("Content-Type", "text/html"), ("Content-Encoding", "compress")]),
            ),
            warc_record("https://x.example/empty", http_block(b"  \r\n ")),
            warc_record("https://x.example/garbage-status", b"NOT HTTP AT ALL\r\n\r\n" + body),
            warc_record(
                "https://x.example/crawler-cut", http_block(body), extra=[("WARC-Truncated", "length")]
            ),
            warc_record("https://x.example/fine", http_block(body)),
        ],
    )  # fmt: skip

    items = run(source(path))

    reasons = {r.location.rsplit("/", 1)[1]: r.reason for r in rejects(items)}
    assert reasons == {
        "binary": RejectReason.BINARY,
        "short": RejectReason.MALFORMED_RECORD,
        "long": RejectReason.MALFORMED_RECORD,
        "not-gzip": RejectReason.UNDECODABLE,
        "cut-gzip": RejectReason.MALFORMED_RECORD,
        "unknown-coding": RejectReason.UNDECODABLE,
        "empty": RejectReason.EMPTY,
        "garbage-status": RejectReason.MALFORMED_RECORD,
        "crawler-cut": RejectReason.TOO_LARGE,
    }
    assert [d.url for d in docs(items)] == ["https://x.example/fine"]
    for reject in rejects(items):
        assert str(path) in reject.detail
        assert "offset" in reject.detail
    assert checkpoints(items)[-1].done


def test_oversized_payloads_are_rejected_without_reading_them(tmp_path: Path) -> None:
    limit = 64 * 1024
    huge = b"<html><body>" + b"<p>filler text</p>" * 1_200_000 + b"</body></html>"  # ~22 MB
    bomb = gzip.compress(b"<html>" + b" " * (4 * limit))
    path = tmp_path / "big.warc.gz"
    write_warc(
        path,
        [
            warc_record("https://x.example/huge", http_block(huge)),
            warc_record(
                "https://x.example/bomb",
                http_block(bomb, headers=[("Content-Type", "text/html"), ("Content-Encoding", "gzip")]),
            ),
            warc_record("https://x.example/fine", http_block(page(1))),
        ],
    )  # fmt: skip

    tracemalloc.start()
    try:
        items = run(source(path, max_payload_bytes=limit))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert [(r.location, r.reason) for r in rejects(items)] == [
        ("https://x.example/huge", RejectReason.TOO_LARGE),
        ("https://x.example/bomb", RejectReason.TOO_LARGE),
    ]
    assert [d.url for d in docs(items)] == ["https://x.example/fine"]
    assert peak < 4 * limit + 2 * 2**20  # the 22 MB record never reached Python


def test_block_digest_mismatch_rejects_the_record_and_reading_goes_on(tmp_path: Path) -> None:
    records = html_records(3)
    records[1] = records[1].replace(b"word1_5 ", b"WORD1_5 ")  # same length, rotten bytes
    path = tmp_path / "rot.warc.gz"
    write_warc(path, records)
    items = run(source(path))
    assert [d.url for d in docs(items)] == ["https://news.example/a/0", "https://news.example/a/2"]
    (reject,) = rejects(items)
    assert reject.reason is RejectReason.MALFORMED_RECORD
    assert "WARC-Block-Digest" in reject.detail


@pytest.mark.parametrize("gz", [True, False], ids=["gz", "plain"])
@pytest.mark.parametrize("delta", [+40, -20], ids=["longer", "shorter"])
def test_a_wrong_warc_content_length_costs_its_record_alone(
    tmp_path: Path, gz: bool, delta: int
) -> None:
    records = html_records(4)
    block = http_block(page(1))
    records[1] = warc_record("https://news.example/a/1", block, content_length=len(block) + delta)
    path = tmp_path / ("cl.warc.gz" if gz else "cl.warc")
    write_warc(path, records, gz=gz)
    later = tmp_path / "later.warc.gz"
    write_warc(later, html_records(1, host="later.example"))

    items = run(source(path, later))

    assert [d.url for d in docs(items)] == [
        "https://news.example/a/0",
        "https://news.example/a/2",
        "https://news.example/a/3",
        "https://later.example/a/0",
    ]
    assert {r.reason for r in rejects(items)} == {RejectReason.MALFORMED_RECORD}
    assert "WARC-Block-Digest" in rejects(items)[0].detail
    assert rejects(items)[0].location == "https://news.example/a/1"
    # A plain file has the 20 bytes the record left over skipped; nothing else is lost.
    assert len(rejects(items)) == (2 if (delta, gz) == (-20, False) else 1)
    assert [c.done for c in checkpoints(items) if c.key == str(path)] == [True]


# --------------------------------------------------------------------------- damaged files


def _cut_inside(path: Path, offsets: list[int], index: int, *, into: float) -> None:
    """Cut the file inside the record ``index`` (``into`` = share of its member kept)."""
    data = path.read_bytes()
    end = offsets[index + 1] if index + 1 < len(offsets) else len(data)
    path.write_bytes(data[: offsets[index] + int((end - offsets[index]) * into)])


@pytest.mark.parametrize("into", [0.05, 0.5, 0.95], ids=["in-header", "in-body", "near-end"])
def test_truncated_warc_gz_keeps_the_records_before_the_cut(tmp_path: Path, into: float) -> None:
    path = tmp_path / "cut.warc.gz"
    records = [
        warc_record(f"https://x.example/{n}", http_block(page(n, words=300))) for n in range(5)
    ]
    offsets = write_warc(path, records)
    _cut_inside(path, offsets, 2, into=into)
    later = tmp_path / "later.warc.gz"
    write_warc(later, html_records(1, host="later.example"))

    items = run(source(path, later))

    urls = [d.url for d in docs(items)]
    assert urls == ["https://x.example/0", "https://x.example/1", "https://later.example/a/0"]
    (reject,) = rejects(items)
    assert reject.reason is RejectReason.MALFORMED_RECORD
    assert reject.location == path.as_uri()
    assert str(path) in reject.detail
    assert f"offset {offsets[2]}" in reject.detail
    _only_done_at_the_end(items[:-2], path)  # before the later file's items


def test_truncated_plain_warc_keeps_the_records_before_the_cut(tmp_path: Path) -> None:
    path = tmp_path / "cut.warc"
    offsets = write_warc(path, html_records(5), gz=False)
    _cut_inside(path, offsets, 2, into=0.5)
    items = run(source(path))
    assert [d.url for d in docs(items)] == ["https://news.example/a/0", "https://news.example/a/1"]
    (reject,) = rejects(items)
    assert f"offset {offsets[2]}" in reject.detail


def test_cut_in_the_last_gzip_trailer_keeps_whole_records_and_reports_the_damage(
    tmp_path: Path,
) -> None:
    path = tmp_path / "trailer.warc.gz"
    write_warc(path, html_records(3))
    path.write_bytes(path.read_bytes()[:-4])  # part of the last member's CRC/size trailer
    items = run(source(path))
    assert len(docs(items)) == 3  # every block is complete and matches its digest
    (reject,) = rejects(items)
    assert "gzip data is cut" in reject.detail


def test_corrupt_gzip_member_keeps_the_records_before_and_after_it(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.warc.gz"
    offsets = write_warc(path, html_records(5))
    corrupt_between(path, offsets[2], offsets[3])

    items = run(source(path))

    assert [d.url for d in docs(items)] == [f"https://news.example/a/{n}" for n in (0, 1, 3, 4)]
    (reject,) = rejects(items)
    assert reject.reason is RejectReason.MALFORMED_RECORD
    assert checkpoints(items)[-1].done


def test_files_that_are_not_warcs_are_one_reject_each(tmp_path: Path) -> None:
    (tmp_path / "a-page.warc").write_bytes(page(1))
    (tmp_path / "b-gzipped-text.warc.gz").write_bytes(gzip.compress(b"hello, world\n" * 50))
    (tmp_path / "c-noise.warc.gz").write_bytes(os.urandom(3000))
    (tmp_path / "d-empty.warc.gz").write_bytes(b"")
    write_warc(tmp_path / "e-good.warc.gz", html_records(1))

    items = run(source(tmp_path))

    reasons = [(Path(r.location).name, r.reason) for r in rejects(items)]
    assert reasons == [
        ("a-page.warc", RejectReason.MALFORMED_RECORD),
        ("b-gzipped-text.warc.gz", RejectReason.MALFORMED_RECORD),
        ("c-noise.warc.gz", RejectReason.MALFORMED_RECORD),
        ("d-empty.warc.gz", RejectReason.EMPTY),
    ]
    assert "not a WARC" in rejects(items)[0].detail
    assert len(docs(items)) == 1
    assert all(c.done for c in checkpoints(items))
    assert len(checkpoints(items)) == 5  # reruns skip the bad files too


def test_a_file_that_disappears_after_listing_is_rejected_and_reading_goes_on(
    tmp_path: Path,
) -> None:
    first, second, third = (tmp_path / f"{n}.warc.gz" for n in "abc")
    for n, path in enumerate((first, second, third)):
        write_warc(path, html_records(2, host=f"h{n}.example"))

    stream = source(tmp_path).documents({})
    assert isinstance(next(stream), RawDocument)  # the listing is taken, file a is open
    second.unlink()
    items = list(stream)

    (reject,) = rejects(items)
    assert reject.reason is RejectReason.MISSING_PATH
    assert reject.location == second.as_uri()
    assert [d.url for d in docs(items)] == [
        "https://h0.example/a/1",
        "https://h2.example/a/0",
        "https://h2.example/a/1",
    ]


# --------------------------------------------------------------------------- configuration


def test_missing_configured_paths_fail_at_construction(tmp_path: Path) -> None:
    with pytest.raises(SourceConfigError, match=r"'arch'.*nope\.warc\.gz"):
        source(tmp_path / "nope.warc.gz")
    with pytest.raises(SourceConfigError, match=r"'arch'.*missing-dir"):
        source(tmp_path / "missing-dir" / "CC-NEWS-*.warc.gz")
    with pytest.raises(SourceConfigError, match="no WARC paths"):
        WarcSource(name="arch", paths=[])
    with pytest.raises(SourceConfigError, match="not before"):
        source(tmp_path, since=DATE, until=DATE - timedelta(days=1))
    assert run(source(tmp_path / "CC-NEWS-*.warc.gz")) == []  # a glob may match nothing yet


def test_folders_and_globs_list_warc_files_in_order(tmp_path: Path) -> None:
    names = [
        "CC-NEWS-20240102000000-00002.warc.gz",
        "CC-NEWS-20240101123456-00001.warc.gz",
        "CC-NEWS-20240101000000-00000.warc.gz",
    ]
    for n, name in enumerate(names):
        write_warc(tmp_path / name, html_records(1, host=f"h{n}.example"))
    write_warc(tmp_path / "other.warc", html_records(1, host="other.example"), gz=False)
    (tmp_path / "notes.txt").write_text("not an archive")
    (tmp_path / "news-ingest-1.warc.gz.open").write_bytes(b"being written")
    (tmp_path / "sub").mkdir()
    write_warc(tmp_path / "sub" / "CC-NEWS-20240103000000-00003.warc.gz", html_records(1))

    folder = source(tmp_path).files()
    assert [p.name for p in folder] == [*sorted(names), "other.warc"]
    glob_files = source(tmp_path / "**" / "CC-NEWS-*.warc.gz").files()
    assert [p.name for p in glob_files] == [*sorted(names), "CC-NEWS-20240103000000-00003.warc.gz"]
    both = source(tmp_path, tmp_path / names[0]).files()
    assert len(both) == len(folder)  # a file named twice is read once
    hosts = [d.url for d in docs(run(source(tmp_path / "CC-NEWS-2024*.warc.gz")))]
    assert hosts == ["https://h2.example/a/0", "https://h1.example/a/0", "https://h0.example/a/0"]


def test_filters_on_host_date_and_language(tmp_path: Path) -> None:
    path = tmp_path / "mix.warc.gz"
    spec = [  # (uri, days after DATE, language header)
        ("https://www.bbc.co.uk/news/1", 0, "eng"),
        ("https://bbc.co.uk/news/2", 0, "eng"),
        ("https://news.bbc.co.uk:8080/3", 5, "eng"),
        ("https://example.org/4", 0, "eng"),
        ("https://www.bbc.co.uk/news/5", -3, "eng"),
        ("https://www.bbc.co.uk/news/6", 1, "fra,eng"),
        ("https://www.bbc.co.uk/news/7", 1, None),
        ("https://WWW.BBC.CO.UK/news/8", 1, "ger"),
    ]
    write_warc(
        path,
        [
            warc_record(
                uri, http_block(page(n)), date=DATE + timedelta(days=days),
                extra=[("WARC-Identified-Content-Language", lang)] if lang else [],
            )
            for n, (uri, days, lang) in enumerate(spec)
        ],
    )  # fmt: skip

    def urls(**options) -> list[str]:
        return [d.location.rsplit("/", 1)[1] for d in docs(run(source(path, **options)))]

    assert urls(hosts=["*.bbc.co.uk"]) == ["1", "3", "5", "6", "7", "8"]
    assert urls(hosts=["*.bbc.co.uk", "bbc.co.uk"]) == ["1", "2", "3", "5", "6", "7", "8"]
    naive_since = DATE.replace(tzinfo=None)  # taken as UTC
    assert urls(since=naive_since, until=DATE + timedelta(days=2)) == ["1", "2", "4", "6", "7", "8"]
    assert urls(languages=["en"]) == ["1", "2", "3", "4", "5", "7"]
    assert urls(languages=["de", "fra"]) == ["6", "7", "8"]
    warc = source(path, hosts=["*.bbc.co.uk"], languages=["en-GB"], since=DATE)
    assert [d.location.rsplit("/", 1)[1] for d in docs(run(warc))] == ["1", "3", "7"]
    assert warc.counts["skipped_host"] == 2
    assert warc.counts["skipped_date"] == 1
    assert warc.counts["skipped_language"] == 2


# --------------------------------------------------------------------------- resume


def _fingerprint(path: Path) -> str:
    stat = path.stat()
    return f"{stat.st_size}:{stat.st_mtime_ns}"


@pytest.mark.parametrize("gz", [True, False], ids=["gz", "plain"])
def test_resume_mid_file_yields_only_the_remaining_records(tmp_path: Path, gz: bool) -> None:
    path = tmp_path / ("r.warc.gz" if gz else "r.warc")
    offsets = write_warc(path, html_records(7), gz=gz)
    everything = run(source(path, checkpoint_every=3))
    middle = [c for c in checkpoints(everything) if not c.done]
    assert [c.position for c in middle] == [offsets[3], offsets[6]]
    assert middle[0].fingerprint == _fingerprint(path)

    # The flow stored everything up to the first checkpoint, then the run stopped.
    resumed = run(source(path, checkpoint_every=3), {str(path): middle[0]})

    assert [d.url for d in docs(resumed)] == [f"https://news.example/a/{n}" for n in range(3, 7)]
    assert checkpoints(resumed)[-1].done


def test_done_files_are_skipped_and_changed_files_start_over(tmp_path: Path) -> None:
    path = tmp_path / "d.warc.gz"
    write_warc(path, html_records(3))
    warc = source(path, checkpoint_every=1)
    first = run(warc)
    done = checkpoints(first)[-1]
    assert done.done

    assert run(warc, {str(path): done}) == [done]  # handed back unread, for the flow's counts
    assert warc.counts["files_skipped_done"] == 1

    mid = checkpoints(first)[1]
    with path.open("ab") as out:  # the file changed: a new fingerprint
        out.write(gzip.compress(html_records(4)[3]))
    again = run(warc, {str(path): done})
    assert len(docs(again)) == 4
    again_mid = run(warc, {str(path): mid})
    assert len(docs(again_mid)) == 4


def test_a_checkpoint_that_is_not_a_record_start_rereads_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.warc.gz"
    offsets = write_warc(path, html_records(3))
    bogus = Checkpoint("arch", str(path), _fingerprint(path), offsets[1] + 5, done=False)
    assert len(docs(run(source(path), {str(path): bogus}))) == 3


def test_records_sharing_a_gzip_member_get_no_offsets_and_resume_loses_nothing(
    tmp_path: Path,
) -> None:
    # Some writers put several records in one gzip member; FastWARC then reports
    # the next member's start for the records inside, which must not be stored.
    records = html_records(6)
    path = tmp_path / "pairs.warc.gz"
    members = [gzip.compress(records[i] + records[i + 1]) for i in range(0, 6, 2)]
    path.write_bytes(b"".join(members))
    starts = [0, len(members[0]), len(members[0]) + len(members[1])]

    items = run(source(path, checkpoint_every=1))

    captures = [d.capture.offset if d.capture else None for d in docs(items)]
    assert captures == [0, None, starts[1], None, starts[2], None]
    middle = [c for c in checkpoints(items) if not c.done]
    assert [c.position for c in middle] == starts[1:]
    for checkpoint, remaining in zip(middle, (4, 2), strict=True):
        resumed = docs(run(source(path), {str(path): checkpoint}))
        assert [d.url for d in resumed] == [d.url for d in docs(items)][-remaining:]


def test_a_damaged_file_is_not_reread_until_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "damaged.warc.gz"
    offsets = write_warc(path, html_records(5))
    _cut_inside(path, offsets, 3, into=0.5)
    first = run(source(path))
    done = checkpoints(first)[-1]
    assert done.done
    assert len(rejects(first)) == 1

    assert run(source(path), {str(path): done}) == [done]  # no repeated reject row per run

    write_warc(path, html_records(5))  # the download was completed
    again = run(source(path), {str(path): done})
    assert len(docs(again)) == 5
    assert rejects(again) == []


# --------------------------------------------------------------------------- resynchronising


def _only_done_at_the_end(items: Items, path: Path) -> None:
    """The file's one done checkpoint is its last item and says it was read to its last byte."""
    mine = [c for c in checkpoints(items) if c.key == str(path)]
    assert [c.done for c in mine][-1:] == [True]
    assert not any(c.done for c in mine[:-1])
    assert items[-1] == mine[-1]
    assert mine[-1].position == path.stat().st_size


def test_a_corrupt_gzip_member_costs_its_record_alone(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.warc.gz"
    offsets = write_warc(path, html_records(6))
    corrupt_between(path, offsets[2], offsets[3])

    items = run(source(path))

    assert [d.url for d in docs(items)] == [f"https://news.example/a/{n}" for n in (0, 1, 3, 4, 5)]
    (reject,) = rejects(items)
    assert reject.reason is RejectReason.MALFORMED_RECORD
    assert reject.location == path.as_uri()
    assert f"at offset {offsets[2]}:" in reject.detail
    assert f"next record, at offset {offsets[3]}" in reject.detail
    # The record before the damage keeps its offset (its check used to inflate into the next).
    assert [d.capture.offset if d.capture else None for d in docs(items)] == [
        offsets[n] for n in (0, 1, 3, 4, 5)
    ]
    _only_done_at_the_end(items, path)


@pytest.mark.parametrize("gz", [True, False], ids=["gz", "plain"])
def test_a_garbled_record_header_costs_its_record_alone(tmp_path: Path, gz: bool) -> None:
    records = html_records(6)
    records[2] = records[2].replace(b"WARC/1.1\r\n", b"WARX/1.1\r\n", 1)
    path = tmp_path / ("garbled.warc.gz" if gz else "garbled.warc")
    offsets = write_warc(path, records, gz=gz)

    items = run(source(path))

    assert [d.url for d in docs(items)] == [f"https://news.example/a/{n}" for n in (0, 1, 3, 4, 5)]
    (reject,) = rejects(items)
    assert reject.reason is RejectReason.MALFORMED_RECORD
    assert f"at offset {offsets[2]}" in reject.detail
    _only_done_at_the_end(items, path)


def test_a_record_cut_short_in_the_middle_of_a_plain_warc_costs_its_record_alone(
    tmp_path: Path,
) -> None:
    path = tmp_path / "spliced.warc"
    records = html_records(5)
    records[2] = records[2][: len(records[2]) // 2]  # a download resumed at the wrong place
    offsets = write_warc(path, records, gz=False)

    items = run(source(path))

    assert [d.url for d in docs(items)] == [f"https://news.example/a/{n}" for n in (0, 1, 3, 4)]
    (reject,) = rejects(items)  # its block runs into the next record: its digest tells
    assert reject.location == "https://news.example/a/2"
    assert f"at offset {offsets[2]}" in reject.detail
    _only_done_at_the_end(items, path)


def test_a_damaged_first_record_leaves_the_rest_of_the_file_readable(tmp_path: Path) -> None:
    path = tmp_path / "bad-start.warc.gz"
    offsets = write_warc(path, html_records(3))
    corrupt_between(path, offsets[0], offsets[1])

    items = run(source(path))

    assert [d.url for d in docs(items)] == ["https://news.example/a/1", "https://news.example/a/2"]
    (reject,) = rejects(items)
    assert "not a WARC" not in reject.detail
    assert "at offset 0:" in reject.detail
    _only_done_at_the_end(items, path)


def test_checkpoints_after_the_damage_resume_where_they_say(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.warc.gz"
    offsets = write_warc(path, html_records(6))
    corrupt_between(path, offsets[1], offsets[2])

    items = run(source(path, checkpoint_every=1))

    middle = [c for c in checkpoints(items) if not c.done]
    assert [c.position for c in middle] == offsets[2:]  # each record read starts its member
    resumed = run(source(path), {str(path): middle[2]})
    assert [d.url for d in docs(resumed)] == [
        "https://news.example/a/4",
        "https://news.example/a/5",
    ]
    assert rejects(resumed) == []
    _only_done_at_the_end(resumed, path)


def test_several_damaged_records_are_one_reject_each(tmp_path: Path) -> None:
    path = tmp_path / "rotten.warc.gz"
    offsets = write_warc(path, html_records(8))
    for n in (1, 4, 5):
        corrupt_between(path, offsets[n], offsets[n + 1])

    items = run(source(path))

    assert [d.url for d in docs(items)] == [f"https://news.example/a/{n}" for n in (0, 2, 3, 6, 7)]
    damaged = [re.search(r"at offset (\d+):", r.detail) for r in rejects(items)]
    assert [int(m.group(1)) for m in damaged if m] == [offsets[n] for n in (1, 4, 5)]
    _only_done_at_the_end(items, path)
