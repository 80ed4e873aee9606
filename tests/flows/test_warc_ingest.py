"""WARC sources and raw capture through the ingest flow, end to end, into real DuckDB files.

Every archive is generated here: with WarcCapture (the writer the fetcher
uses) for well-formed files, or byte by byte for records no writer would emit.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import flows.pipeline.local
from connectors.capture import WarcCapture
from connectors.records import CaptureRef, RawDocument
from connectors.warc import CHECKPOINT_EVERY, read_capture
from flows.app.cli import main
from tests.helpers import query, run
from tests.localserver import LocalServer, Response
from tests.textgen import paragraphs
from tests.warcgen import corrupt_between, http_block, warc_record, write_warc

START = datetime(2024, 3, 1, 12, 0, 0, 250000, tzinfo=UTC)
TOPICS = ("harbour", "railway", "library", "stadium", "hospital", "airport", "museum", "bridge")


# --------------------------------------------------------------------------- builders


def article_html(topic: str, n: int = 0) -> bytes:
    """A page that cleans to an article of its own (distinct text for each topic and number)."""
    body = "".join(f"<p>{text}</p>" for text in paragraphs(f"{topic}-{n}"))
    return (
        f"<html><head><title>News about the {topic} {n}</title></head><body>"
        f"<nav>Home | Local | Sport</nav><article><h1>New {topic} plans {n}</h1>{body}"
        "</article><footer>Contact us</footer></body></html>"
    ).encode()


def capture_pages(
    folder: Path, pages: Iterable[tuple[str, bytes]], *, start: datetime = START
) -> list[CaptureRef]:
    """Write pages as one WARC.gz with the fetcher's capture writer; return their records."""
    with WarcCapture(directory=folder, max_file_bytes=2**40) as capture:
        return [
            capture(
                url=url,
                status=200,
                headers=[("Content-Type", "text/html; charset=utf-8")],
                body=body,
                fetched_at=start + timedelta(minutes=n),
            )
            for n, (url, body) in enumerate(pages)
        ]


def warc_sources(
    folder: Path, paths: Sequence[Path | str], *, batch: int = 50, fields: str = ""
) -> Path:
    """A sources file with one warc source ("arch") over ``paths``."""
    listed = ", ".join(f'"{p}"' for p in paths)
    path = folder / "sources.toml"
    path.write_text(
        f"[pipeline]\nworkers = 2\nbatch_size = {batch}\n"
        f'[[sources]]\nname = "arch"\nkind = "warc"\npaths = [{listed}]\n{fields}',
        encoding="utf-8",
    )
    return path


def totals(db: Path) -> tuple[Any, ...]:
    return query(
        db,
        "SELECT (SELECT count(*) FROM store.articles), (SELECT count(*) FROM store.article_versions), "
        "(SELECT count(*) FROM store.url_aliases), (SELECT coalesce(sum(times_seen), 0) FROM store.rejects)",
    )[0]


def on_persist(
    monkeypatch: pytest.MonkeyPatch,
    *,
    fail_at: int | None = None,
    before: Callable[[], None] | None = None,
) -> None:
    """Hook the flow's batch store: ``before`` runs first on each call; call ``fail_at``
    raises, as a crash in the middle of a source would."""
    real = flows.pipeline.local.persist_batch  # type: ignore[attr-defined]
    calls = 0

    def persist(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if before is not None:
            before()
        if calls == fail_at:
            raise RuntimeError("simulated crash while storing a batch")
        return real(*args, **kwargs)

    monkeypatch.setattr(flows.pipeline.local, "persist_batch", persist)


# --------------------------------------------------------------------------- a WARC source


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_warc_records_are_stored_with_their_uri_and_date_and_a_rerun_adds_nothing(
    tmp_path: Path, db_path: Path
) -> None:
    pages = [(f"https://news.example/{t}", article_html(t)) for t in TOPICS[:5]]
    pages.append(("https://other.example/skipped", article_html("skipped")))  # host filter
    refs = capture_pages(tmp_path / "warcs", pages)
    (warc,) = sorted((tmp_path / "warcs").glob("*.warc.gz"))
    until = (START + timedelta(minutes=4)).isoformat()  # the fifth page is too late
    fields = f'hosts = ["news.example"]\nuntil = "{until}"\n'
    sources = warc_sources(tmp_path, [tmp_path / "warcs"], batch=2, fields=fields)

    report = run(sources, db_path)

    (source,) = report.sources
    assert (source.kind, source.status) == ("warc", "completed")
    assert (source.counts.found, source.counts.new, source.counts.rejected) == (4, 4, 0)
    rows = query(
        db_path,
        "SELECT url, retrieved_at, location, hint_origin, capture_path, capture_offset, raw_hash, "
        "text FROM store.article_versions ORDER BY retrieved_at",
    )
    assert [r[0] for r in rows] == [url for url, _ in pages[:4]]
    assert [r[1] for r in rows] == [START + timedelta(minutes=n) for n in range(4)]
    for (url, _, location, origin, path, offset, raw, text), ref in zip(
        rows, refs[:4], strict=True
    ):
        assert (location, origin) == (url, "warc")
        assert (path, offset) == (str(warc), ref.offset)  # the version points at its record
        document = read_capture(CaptureRef(path, offset), source="check")
        assert isinstance(document, RawDocument) and document.raw_hash == raw
        assert paragraphs(f"{url.rsplit('/', 1)[1]}-0")[0] in text  # its own page's text
    assert query(db_path, "SELECT key, done, position FROM store.checkpoints") == [
        (str(warc), True, warc.stat().st_size)
    ]
    before = totals(db_path)

    second = run(sources, db_path)

    assert second.sources[0].status == "completed"
    # The finished file is not opened again: it counts once, as not modified.
    assert (second.sources[0].counts.found, second.sources[0].counts.not_modified) == (1, 1)
    assert totals(db_path) == before
    assert query(db_path, "SELECT count(*) FROM runs WHERE status = 'completed'") == [(2,)]


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_an_interrupted_file_resumes_at_its_last_stored_checkpoint(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = 2 * CHECKPOINT_EVERY + 50
    batch = 60
    write_warc(
        tmp_path / "big.warc.gz",
        [
            warc_record(
                f"https://news.example/story/{n}", http_block(article_html(TOPICS[n % 8], n))
            )
            for n in range(records)
        ],
    )
    sources = warc_sources(tmp_path, [tmp_path / "big.warc.gz"], batch=batch)
    # Batches 1 and 2 commit, the second with the checkpoint taken before record 100.
    on_persist(monkeypatch, fail_at=3)

    first = run(sources, db_path)

    (source,) = first.sources
    assert source.status == "failed" and "simulated crash" in (source.error or "")
    assert query(db_path, "SELECT count(*) FROM articles") == [(2 * batch,)]
    assert query(db_path, "SELECT position > 0, done FROM store.checkpoints") == [(True, False)]
    monkeypatch.undo()

    second = run(sources, db_path)

    counts = second.sources[0].counts
    resumed = records - CHECKPOINT_EVERY  # read again from the checkpoint, not from the start
    assert counts.found == resumed
    assert counts.unchanged == 2 * batch - CHECKPOINT_EVERY  # stored after the checkpoint
    assert counts.new == records - 2 * batch
    assert query(db_path, "SELECT count(*), count(DISTINCT url) FROM articles") == [
        (records, records)
    ]
    assert query(db_path, "SELECT max(version_count) FROM articles") == [(1,)]
    assert query(db_path, "SELECT done FROM store.checkpoints") == [(True,)]


# --------------------------------------------------------------------------- bad input


@pytest.mark.usefixtures("prefect_harness")
def test_a_truncated_warc_gz_keeps_every_record_before_the_damage(
    tmp_path: Path, db_path: Path
) -> None:
    folder = tmp_path / "warcs"
    refs = capture_pages(
        folder, [(f"https://cut.example/{t}", article_html(t)) for t in TOPICS[:6]]
    )
    cut = Path(refs[0].path)
    damage = refs[4].offset + 40  # inside the gzip member of the fifth page
    cut.write_bytes(cut.read_bytes()[:damage])
    write_warc(
        folder / "z-later.warc.gz",
        [warc_record("https://later.example/news", http_block(article_html("museum")))],
    )
    sources = warc_sources(tmp_path, [folder])

    report = run(sources, db_path)

    assert report.status == "completed" and report.sources[0].status == "completed"
    urls = {row[0] for row in query(db_path, "SELECT url FROM articles")}
    before_cut = {f"https://cut.example/{t}" for t in TOPICS[:4]}
    assert urls == before_cut | {"https://later.example/news"}  # and the next file is read
    (reject,) = query(db_path, "SELECT location, reason, detail, times_seen FROM rejects")
    assert reject[:2] == (cut.as_uri(), "malformed_record")
    assert f"offset {refs[4].offset}" in reject[2]
    assert reject[3] == 1
    assert report.sources[0].counts.rejected == 1

    rerun = run(sources, db_path)

    # The damaged file is not reread until it changes (both files count as not modified).
    assert (rerun.sources[0].counts.found, rerun.sources[0].counts.not_modified) == (2, 2)
    assert query(db_path, "SELECT times_seen FROM rejects") == [(1,)]


@pytest.mark.usefixtures("prefect_harness")
def test_odd_records_and_files_that_are_not_warcs_become_rejects_and_the_run_goes_on(
    tmp_path: Path, db_path: Path
) -> None:
    folder = tmp_path / "warcs"
    folder.mkdir()
    good = article_html("harbour", 1)
    html = ("Content-Type", "text/html")
    write_warc(
        folder / "a-mixed.warc.gz",
        [
            warc_record("https://x.example/info", b"software: test\r\n", rec_type="warcinfo"),
            warc_record("https://x.example/first", http_block(good)),
            warc_record("https://x.example/first", b"", rec_type="revisit"),
            warc_record(
                "https://x.example/logo.png",
                http_block(
                    b"\x89PNG\r\n\x1a\n" + bytes(200), headers=[("Content-Type", "image/png")]
                ),
            ),
            warc_record(
                "https://x.example/png-as-html", http_block(b"\x89PNG\r\n\x1a\n" + bytes(300))
            ),
            warc_record(
                "https://x.example/not-gzip",
                http_block(
                    b"\x1f\x8bnot really gzip", headers=[html, ("Content-Encoding", "gzip")]
                ),
            ),
            warc_record(
                "https://x.example/short",
                http_block(good, headers=[html, ("Content-Length", str(len(good) + 100))]),
            ),
            warc_record("https://x.example/rotten", http_block(good), digest="sha1:" + "A" * 32),
            warc_record("https://x.example/last", http_block(article_html("railway", 1))),
        ],
    )
    (folder / "b-text.warc.gz").write_bytes(gzip.compress(b"hello, this is not a WARC\n" * 40))
    (folder / "c-page.warc").write_bytes(article_html("library"))
    offsets = write_warc(
        folder / "d-corrupt.warc.gz",
        [warc_record(f"https://d.example/{t}", http_block(article_html(t))) for t in TOPICS[:4]],
    )
    corrupt_between(folder / "d-corrupt.warc.gz", offsets[2], offsets[3])

    report = run(warc_sources(tmp_path, [folder]), db_path)

    assert report.status == "completed" and report.sources[0].status == "completed"
    assert sorted(r[0] for r in query(db_path, "SELECT url FROM articles")) == [
        "https://d.example/harbour",
        "https://d.example/railway",
        "https://d.example/stadium",  # after the damaged record: reading resynchronises
        "https://x.example/first",
        "https://x.example/last",
    ]
    reasons = dict(query(db_path, "SELECT regexp_extract(location, '[^/]*$'), reason FROM rejects"))
    assert reasons == {
        "png-as-html": "binary",
        "not-gzip": "undecodable",
        "short": "malformed_record",
        "rotten": "malformed_record",
        "b-text.warc.gz": "malformed_record",
        "c-page.warc": "malformed_record",
        "d-corrupt.warc.gz": "malformed_record",
    }  # the revisit, warcinfo and image records are skipped, not rejected
    details = dict(query(db_path, "SELECT regexp_extract(location, '[^/]*$'), detail FROM rejects"))
    assert "not a WARC" in details["b-text.warc.gz"] and "not a WARC" in details["c-page.warc"]
    assert report.sources[0].counts.rejected == len(reasons)
    assert query(db_path, "SELECT count(*), bool_and(done) FROM store.checkpoints") == [(4, True)]


@pytest.mark.usefixtures("prefect_harness")
def test_a_file_that_disappears_mid_run_is_a_reject_and_the_other_files_are_read(
    tmp_path: Path, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "warcs"
    folder.mkdir()
    files = [folder / f"{name}.warc.gz" for name in "abc"]
    for n, path in enumerate(files):
        records = [
            warc_record(f"https://h{n}.example/{t}", http_block(article_html(t, n)))
            for t in TOPICS[:3]
        ]
        write_warc(path, records)
    # The listing is taken when reading starts; file b goes while batch 1 (file a) is stored.
    on_persist(monkeypatch, before=lambda: files[1].unlink(missing_ok=True))

    report = run(warc_sources(tmp_path, [folder], batch=3), db_path)

    assert report.status == "completed" and report.sources[0].status == "completed"
    hosts = query(db_path, "SELECT DISTINCT host FROM articles ORDER BY host")
    assert hosts == [("h0.example",), ("h2.example",)]
    assert query(db_path, "SELECT count(*) FROM articles") == [(6,)]
    assert query(db_path, "SELECT location, reason FROM rejects") == [
        (files[1].as_uri(), "missing_path")
    ]


# --------------------------------------------------------------------------- raw capture


@pytest.fixture
def site(local_server: LocalServer) -> LocalServer:
    for topic in TOPICS[:4]:
        local_server.route(f"/news/{topic}", Response(body=article_html(topic)))
    local_server.route(
        "/old/harbour", Response(status=301, headers={"Location": "/news/harbour"}, body=b"")
    )
    local_server.route("/robots.txt", Response(status=404, body=b""))
    return local_server


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_harness")
def test_captured_fetches_ingested_into_a_fresh_database_give_the_same_articles(
    tmp_path: Path, site: LocalServer
) -> None:
    urls = [site.url("/old/harbour")] + [site.url(f"/news/{t}") for t in TOPICS[1:4]]
    (tmp_path / "urls.txt").write_text("\n".join(urls) + "\n", encoding="utf-8")
    web = tmp_path / "web.toml"
    web.write_text(
        "[fetch]\nallow_private_addresses = true\nhost_delay = 0\n"
        '[[sources]]\nname = "list"\nkind = "urls"\npath = "urls.txt"\n',
        encoding="utf-8",
    )
    fetched_db = tmp_path / "fetched" / "news.duckdb"

    code = main(["run", "--sources", str(web), "--db", str(fetched_db), "--capture"])

    assert code == 0
    captures = tmp_path / "fetched" / "captures"
    files = sorted(captures.iterdir())
    assert [f.name.endswith(".warc.gz") for f in files] == [True]  # closed, no .open left
    versions = query(
        fetched_db, "SELECT url, raw_hash, capture_path, capture_offset FROM store.article_versions"
    )
    assert len(versions) == 4
    for url, raw, path, offset in versions:
        document = read_capture(CaptureRef(path, offset), source="check")
        assert isinstance(document, RawDocument)
        assert (document.url, document.raw_hash) == (url, raw)

    archive_db = tmp_path / "archive" / "news.duckdb"
    archive = warc_sources(tmp_path, [captures])
    assert main(["run", "--sources", str(archive), "--db", str(archive_db)]) == 0

    assert query(archive_db, "SELECT kind, new FROM run_sources") == [("warc", 4)]
    compare = "SELECT url, title, text, retrieved_at FROM articles ORDER BY url"
    fetched = query(fetched_db, compare)
    assert query(archive_db, compare) == fetched
    assert fetched[0][0] == site.url("/news/harbour")  # the redirect's target, in both
