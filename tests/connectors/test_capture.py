"""WarcCapture: writing fetched responses to WARC.gz, and reading them back with WarcSource."""

from __future__ import annotations

import gzip
import hashlib
import re
import subprocess
import sys
import threading
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastwarc import ArchiveIterator, WarcRecordType
from warcio.archiveiterator import ArchiveIterator as WarcioIterator

from connectors.capture import WarcCapture
from connectors.errors import CaptureError
from connectors.http import ResponseSink
from connectors.records import CaptureRef, RawDocument, Rejected, raw_hash
from connectors.text.charset import decode_html
from connectors.warc import WarcSource, read_capture
from connectors.warcfiles import OPEN_SUFFIX
from tests.localserver import Response

FETCHED = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
NAME = re.compile(r"news-ingest-\d{14}-\d{5}\.warc\.gz")

# Pages as the fetcher hands them over: decoded bodies, the server's headers.
PAGES = [
    (
        "https://news.example/politics/1",
        [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "br"),
         ("Content-Length", "512"), ("ETag", '"abc"')],
        "<html><head><title>Zürich</title></head><body><p>Grüße aus Zürich – naïve café</p></body></html>".encode(),
    ),
    (
        "https://news.example/sport/2",
        [("Content-Type", "text/html; charset=windows-1252"), ("Transfer-Encoding", "chunked")],
        "<html><body><p>Señor Müller’s goal</p></body></html>".encode("cp1252"),
    ),
    (
        "https://jp.example/3",
        [("Content-Type", "text/html")],
        '<html><head><meta charset="shift_jis"></head><body><p>東京のニュース</p></body></html>'.encode("shift_jis"),
    ),
    (
        "https://news.example/world/4?id=7&x=%C3%A9",
        [("Content-Type", "application/xhtml+xml"), ("Last-Modified", "Mon, 06 May 2024 07:00:00 GMT")],
        b"<html xmlns='http://www.w3.org/1999/xhtml'><body><p>plain ascii</p></body></html>",
    ),
]  # fmt: skip


def page_body(n: int, *, words: int) -> bytes:
    """A page whose words differ (so it does not compress to nothing)."""
    text = " ".join(hashlib.sha1(f"{n}-{i}".encode()).hexdigest()[:8] for i in range(words))
    return f"<html><body><p>{text}</p></body></html>".encode()


def capture_pages(capture: WarcCapture, pages=PAGES) -> list[CaptureRef]:
    return [
        capture(
            url=url,
            status=200,
            headers=headers,
            body=body,
            fetched_at=FETCHED + timedelta(seconds=n),
        )
        for n, (url, headers, body) in enumerate(pages)
    ]


def read_all(*paths: Path) -> list[RawDocument | Rejected]:
    source = WarcSource(name="cap", paths=[str(p) for p in paths])
    return [item for item in source.documents({}) if not hasattr(item, "fingerprint")]


def test_round_trip_gives_the_same_urls_texts_and_hashes(tmp_path: Path) -> None:
    with WarcCapture(directory=tmp_path) as capture:
        refs = capture_pages(capture)

    items = read_all(tmp_path)

    assert all(isinstance(item, RawDocument) for item in items)
    docs = [item for item in items if isinstance(item, RawDocument)]
    assert [d.url for d in docs] == [url for url, _, _ in PAGES]
    for n, (doc, (_, headers, body)) in enumerate(zip(docs, PAGES, strict=True)):
        content_type = dict(headers)["Content-Type"]
        assert doc.content == decode_html(body, content_type)[0]
        assert doc.raw_hash == raw_hash(body)
        assert doc.retrieved_at == FETCHED + timedelta(seconds=n)
        assert doc.capture == refs[n]
    assert "Grüße aus Zürich" in docs[0].content
    assert "Señor Müller’s goal" in docs[1].content
    assert "東京のニュース" in docs[2].content
    assert docs[0].validators is not None
    assert docs[0].validators.etag == '"abc"'


def test_capture_is_a_response_sink(tmp_path: Path) -> None:
    with WarcCapture(directory=tmp_path) as capture:
        sink: ResponseSink = capture
        ref = sink(
            url="https://a.example/", status=200, headers=[], body=b"<p>x</p>", fetched_at=FETCHED
        )
    assert Path(ref.path).exists()


def test_offsets_point_at_one_independently_readable_record(tmp_path: Path) -> None:
    with WarcCapture(directory=tmp_path) as capture:
        refs = capture_pages(capture)

    for ref, (url, _, body) in zip(refs, PAGES, strict=True):
        with open(ref.path, "rb") as stream:
            stream.seek(ref.offset)
            member = stream.read()
        # One gzip member holds exactly this record: plain zlib can read it alone.
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
        text = inflater.decompress(member)
        assert inflater.eof
        assert text.startswith(b"WARC/1.1\r\n")
        assert text.count(b"WARC/1.1\r\n") == 1
        assert f"WARC-Target-URI: {url}\r\n".encode() in text
        assert text.endswith(body + b"\r\n\r\n")
        again = read_capture(ref, source="cap")
        assert isinstance(again, RawDocument)
        assert again.url == url


def test_records_are_valid_warc_with_masked_codings_and_digests(tmp_path: Path) -> None:
    with WarcCapture(directory=tmp_path) as capture:
        capture_pages(capture)
    (path,) = tmp_path.iterdir()

    with path.open("rb") as stream:
        records = list(
            WarcioIterator(stream, check_digests="raise")
        )  # a second, independent reader
    assert [r.rec_type for r in records] == ["warcinfo"] + ["response"] * len(PAGES)
    assert all(r.rec_headers.get_header("WARC-Payload-Digest") for r in records[1:])
    first = records[1].http_headers
    assert first.get_header("Content-Encoding") is None
    assert first.get_header("X-Crawler-Content-Encoding") == "br"
    assert first.get_header("X-Crawler-Content-Length") == "512"
    assert first.get_header("Content-Length") == str(len(PAGES[0][2]))
    second = records[2].http_headers
    assert second.get_header("Transfer-Encoding") is None
    assert second.get_header("X-Crawler-Transfer-Encoding") == "chunked"
    assert records[1].rec_headers.get_header("WARC-Date") == "2024-05-06T07:08:09.123456Z"
    assert records[1].rec_headers.get_header("WARC-Warcinfo-ID") == records[
        0
    ].rec_headers.get_header("WARC-Record-ID")

    with path.open("rb") as stream:
        for record in ArchiveIterator(stream, parse_http=False):
            assert record.verify_block_digest(consume=False)
            if record.record_type == WarcRecordType.warcinfo:
                info = record.reader.read()
                assert b"X-Crawler-" in info
                assert record.headers["WARC-Filename"] == path.name


def test_unsafe_headers_are_cleaned(tmp_path: Path) -> None:
    with WarcCapture(directory=tmp_path) as capture:
        ref = capture(
            url="https://a.example/x",
            status=299,  # a status without a standard phrase
            headers=[
                ("Content-Type", "text/html"),
                ("X-Injected", "a\r\nWARC-Type: revisit"),
                ("Bad Name", "dropped"),
                ("X-Unicode", "naïve → ok"),
            ],
            body=b"<html><body>x</body></html>",
            fetched_at=FETCHED,
        )
    with open(ref.path, "rb") as stream:
        stream.seek(ref.offset)
        (record,) = list(WarcioIterator(stream, check_digests="raise"))[:1]
        http = record.http_headers
        assert http.get_statuscode() == "299"
        assert http.get_header("X-Injected") == "a  WARC-Type: revisit"
        assert http.get_header("Bad Name") is None


def test_files_rotate_and_are_renamed_when_complete(tmp_path: Path) -> None:
    pages = [(f"https://news.example/{n}", PAGES[0][1], page_body(n, words=150)) for n in range(12)]
    capture = WarcCapture(directory=tmp_path, max_file_bytes=3000)
    refs = capture_pages(capture, pages)
    if capture.current_path is None:  # the last record happened to fill a file
        pages.append(("https://news.example/extra", PAGES[0][1], page_body(99, words=10)))
        refs += capture_pages(capture, pages[-1:])
    assert capture.current_path is not None

    assert len(list(tmp_path.glob(f"*{OPEN_SUFFIX}"))) == 1
    assert len(list(tmp_path.glob("*.warc.gz"))) >= 2
    visible = [d.url for d in read_all(tmp_path) if isinstance(d, RawDocument)]
    pending = str(capture.current_path)
    assert visible == [
        url for (url, _, _), ref in zip(pages, refs, strict=True) if ref.path != pending
    ]

    capture.close()
    capture.close()  # idempotent
    files = sorted(tmp_path.iterdir())
    assert not list(tmp_path.glob(f"*{OPEN_SUFFIX}"))
    assert all(NAME.fullmatch(f.name) for f in files)
    serials = [int(f.name[-13:-8]) for f in files]
    assert serials == sorted(set(serials))
    assert {ref.path for ref in refs} == {str(f) for f in files}
    for f in files:
        assert f.stat().st_size < 3000 + 2000
        with f.open("rb") as stream:
            assert next(iter(ArchiveIterator(stream))).record_type == WarcRecordType.warcinfo
    docs = read_all(tmp_path)
    assert [d.url for d in docs if isinstance(d, RawDocument)] == [url for url, _, _ in pages]


def test_a_file_being_written_is_readable_through_its_open_name(tmp_path: Path) -> None:
    capture = WarcCapture(directory=tmp_path)
    refs = capture_pages(capture)
    assert not Path(refs[0].path).exists()
    assert Path(refs[0].path + OPEN_SUFFIX).exists()
    doc = read_capture(refs[2], source="cap")
    assert isinstance(doc, RawDocument)
    assert "東京のニュース" in doc.content
    capture.close()
    assert Path(refs[0].path).exists()


_CRASHING_WRITER = """
import os, sys
from datetime import UTC, datetime
from pathlib import Path
from connectors.capture import WarcCapture
capture = WarcCapture(directory=Path(sys.argv[1]))
for n in range(3):
    capture(url=f"https://crash.example/{n}", status=200, headers=[("Content-Type", "text/html")],
            body=b"<html><body><p>page %d</p></body></html>" % n, fetched_at=datetime.now(UTC))
partial = Path(str(capture.current_path) + ".open")
with partial.open("ab") as out:  # the write of a 4th record was cut by the crash
    out.write(b"\\x1f\\x8b\\x08\\x00half a member")
os._exit(9)
"""


def test_a_crashed_writers_file_is_cut_to_whole_records_and_renamed(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _CRASHING_WRITER, str(tmp_path)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 9, result.stderr.decode()
    (leftover,) = tmp_path.iterdir()
    assert leftover.name.endswith(OPEN_SUFFIX)

    with WarcCapture(directory=tmp_path) as capture:
        assert not list(tmp_path.glob(f"*{OPEN_SUFFIX}"))
        ref = capture(
            url="https://after.example/",
            status=200,
            headers=[],
            body=b"<p>later</p>",
            fetched_at=FETCHED,
        )

    recovered = Path(str(leftover).removesuffix(OPEN_SUFFIX))
    assert recovered.exists()
    assert ref.path != str(recovered)
    items = read_all(recovered)
    assert [d.url for d in items if isinstance(d, RawDocument)] == [
        f"https://crash.example/{n}" for n in range(3)
    ]
    assert not [item for item in items if isinstance(item, Rejected)]


def test_recovery_leaves_a_live_writers_file_alone(tmp_path: Path) -> None:
    live = WarcCapture(directory=tmp_path)
    ref = capture_pages(live)[0]
    other = WarcCapture(directory=tmp_path)  # its recovery must not touch live's file
    assert Path(ref.path + OPEN_SUFFIX).exists()
    other_ref = capture_pages(other)[0]
    assert other_ref.path != ref.path
    live.close()
    other.close()
    assert len(read_all(tmp_path)) == 2 * len(PAGES)


def test_concurrent_writers_in_threads_produce_whole_records(tmp_path: Path) -> None:
    refs: list[CaptureRef] = []
    lock = threading.Lock()

    def work(capture: WarcCapture, worker: int) -> None:
        for n in range(25):
            ref = capture(
                url=f"https://t{worker}.example/{n}",
                status=200,
                headers=[("Content-Type", "text/html")],
                body=f"<html><body><p>thread {worker} page {n}</p></body></html>".encode(),
                fetched_at=FETCHED,
            )
            with lock:
                refs.append(ref)

    with WarcCapture(directory=tmp_path, max_file_bytes=20_000) as capture:
        threads = [threading.Thread(target=work, args=(capture, w)) for w in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert len({(r.path, r.offset) for r in refs}) == 100
    assert len({r.path for r in refs}) > 1  # rotation happened under concurrency
    docs = [d for d in read_all(tmp_path) if isinstance(d, RawDocument)]
    assert len(docs) == 100
    assert {d.capture for d in docs} == set(refs)


def test_misuse_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(CaptureError, match="cannot create capture folder"):
        WarcCapture(directory=blocker / "sub")
    with pytest.raises(CaptureError, match="prefix"):
        WarcCapture(directory=tmp_path, prefix="../evil")
    capture = WarcCapture(directory=tmp_path / "caps")
    with pytest.raises(ValueError, match="timezone"):
        capture(
            url="https://a.example/",
            status=200,
            headers=[],
            body=b"x",
            fetched_at=datetime(2024, 1, 1),
        )
    capture.close()
    with pytest.raises(CaptureError, match="closed"):
        capture(url="https://a.example/", status=200, headers=[], body=b"x", fetched_at=FETCHED)


def test_pages_fetched_over_http_round_trip_through_capture(tmp_path: Path, local_server) -> None:
    article = "<html><head><title>Ünïcode</title></head><body><p>Report from Köln</p></body></html>"
    local_server.route(
        "/gz",
        Response(body=gzip.compress(article.encode()), headers={"Content-Encoding": "gzip"}),
    )
    local_server.route(
        "/drip",
        Response(
            body=[article.encode("cp1252")[:40], article.encode("cp1252")[40:]],
            content_type="text/html; charset=windows-1252",
        ),
    )
    fetched = []
    with httpx.Client(trust_env=False) as client, WarcCapture(directory=tmp_path) as capture:
        for path in ("/gz", "/drip"):
            response = client.get(local_server.url(path))
            fetched.append(response)
            capture(
                url=str(response.url),
                status=response.status_code,
                headers=list(response.headers.items()),
                body=response.content,
                fetched_at=datetime.now(UTC),
            )
    assert fetched[0].headers["Content-Encoding"] == "gzip"  # the server really compressed it

    docs = [d for d in read_all(tmp_path) if isinstance(d, RawDocument)]

    assert [d.url for d in docs] == [str(r.url) for r in fetched]
    for doc, response in zip(docs, fetched, strict=True):
        assert doc.content == response.text
        assert doc.raw_hash == raw_hash(response.content)
        assert "Report from Köln" in doc.content
