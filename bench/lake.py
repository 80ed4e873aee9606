"""The lake warehouse (issue 17) against the DuckDB file: storing, lookups at 1M, two writers.

Three figures, each measured side by side in one run on a throwaway PostgreSQL
started with ``scripts/postgres.sh`` (stopped at the end):

(store) **Storing a batch, lake vs file, per page.** The real pages of a
    fundus-style corpus (``--corpus``; or a folder made by ``python -m bench.site
    generate DIR --pages N``, for more pages than the corpus has) are read and cleaned once with the
    pipeline's own :func:`flows.pipeline.per_document.process_document`, and
    grouped into batches as a local source makes them
    (:class:`flows.pipeline.persist.BatchResult`). Each repeat stores the same
    batches with :func:`flows.pipeline.persist.persist_batch` (what
    ``news-ingest run`` calls for every batch: lookups, identity, versions,
    stories, the transaction; on a lake the commit protocol of
    ``warehouse.lake.batches``) into a new empty DuckDB file and into a new empty
    lake, in ABBA order; only ``persist_batch`` is timed. Figure: seconds per
    page, and the lake/file ratio paired per repeat (target <= 2).
(lookups) **Dedupe lookups per article at 1M vs 10k stored articles, lake.** Two
    lakes are made by the schema code, then their PostgreSQL keyed tables are filled
    with ``generate_series`` (articles, their version keys, two URL aliases,
    url_state, story features, ``--bands`` band keys each), indexed and analysed.
    Then, alternating between the two lakes, the lookups a batch makes are timed
    through a lake connection with the warehouse's own functions: url state,
    aliases by identity key and by URL, latest versions, stories, stored features,
    content-hash matches, band-key matches, for batches of 200 articles (half
    stored, half not). Figure: ms per article, ratio 1M/10k (target <= 2).
(writers) **Two concurrent writers vs one.** The corpus's batches are split in
    two halves; a writer is a subprocess (``python -m bench.lake writer``) that
    opens the lake, loads its half, says it is ready, and on ``go`` stores it with
    ``persist_batch``. One writer alone into a new lake, then two at once into
    another new lake (in ABBA order over repeats). Figure: combined pages per
    second of the two over the wall time from ``go`` to the last one's end,
    against one writer's; target >= 1.6 on separate cores. Also, per writer, the
    share of its wall time spent waiting for its batches' key locks, inside
    state transactions, waiting for and holding the short ``COMMIT`` lock, the
    CPU its process used, and how many state transactions conflicted and were
    decided again. With ``--pin``, writer N and its PostgreSQL backends (found by the
    sessions' ``application_name``, pinned again every 0.2 s as DuckDB opens more) run
    on core N only, one writer alone on core 0 as well: each writer has a core of its
    own, as writers on separate machines would, without the two competing for the same
    cores; unpinned, two writers and their backends share the machine's cores.

The load average is printed with every figure: on a machine whose cores are busy
with other work the writers do not get separate cores and the ratios mean little.

    .venv/bin/python -m bench.lake --corpus /work/shared/corpus/fundus
    .venv/bin/python -m bench.lake --corpus DIR --only store,writers --repeat 4
    .venv/bin/python -m bench.lake --corpus DIR --only writers --pin
    .venv/bin/python -m bench.lake --only lookups --sizes 10000,1000000 --bands 40
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import json
import os
import pickle
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg

from bench import site
from bench.corpus_sites import _meta_url
from bench.harness import REPO, machine, write_results

__all__ = [
    "PgServer",
    "SkippedError",
    "main",
    "measure_lookups",
    "measure_store",
    "measure_writers",
    "report",
    "run",
]

SCRIPT = REPO / "scripts" / "postgres.sh"
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "fundus"
SOURCE = "bench-lake"
_BUSY_LOAD = 0.5  # load average per core above which the figures are flagged


# --------------------------------------------------------------------------- PostgreSQL


class SkippedError(Exception):
    """The figures cannot be taken here (no corpus, no PostgreSQL): says why."""


@dataclass(frozen=True, slots=True)
class PgServer:
    """A running throwaway PostgreSQL (trust authentication on 127.0.0.1)."""

    host: str
    port: int
    user: str

    def dsn(self, dbname: str) -> str:
        return f"dbname={dbname} host={self.host} port={self.port} user={self.user}"

    def new_database(self, name: str) -> str:
        """A new empty database (dropped first if a previous run left it)."""
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return name


@contextmanager
def postgres() -> Iterator[PgServer]:
    """Start a server with scripts/postgres.sh; stop it (and remove its folder) after."""
    folder = Path(tempfile.mkdtemp(prefix="bench-lake-pg."))
    started = subprocess.run(
        ["bash", str(SCRIPT), "start", str(folder)], capture_output=True, text=True, check=False
    )
    try:
        if started.returncode != 0:
            raise SkippedError(
                f"no PostgreSQL for the lake bench: {started.stderr.strip()[-2000:]}"
            )
        values = dict(line.split("=", 1) for line in started.stdout.splitlines() if "=" in line)
        yield PgServer(values["PGHOST"], int(values["PGPORT"]), values["PGUSER"])
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", str(folder)], check=False)


def lake_target(server: PgServer, dbname: str, data_path: Path) -> Any:
    from warehouse.lake.target import LakeTarget

    return LakeTarget(dsn=server.dsn(dbname), data_path=data_path)


# --------------------------------------------------------------------------- load


def load() -> dict[str, Any]:
    """The load averages now, and whether the machine looks busy."""
    one, five, fifteen = os.getloadavg()
    cpus = os.cpu_count() or 1
    return {
        "load": [round(one, 2), round(five, 2), round(fifteen, 2)],
        "cpus": cpus,
        "busy": one / cpus > _BUSY_LOAD,
    }


def load_text(before: dict[str, Any], after: dict[str, Any]) -> str:
    """``load 1.2 -> 1.9 of 2 cores (busy)``."""
    busy = " (BUSY: other work on the cores)" if before["busy"] or after["busy"] else ""
    return f"load {before['load'][0]:.2f} -> {after['load'][0]:.2f} of {after['cpus']} cores{busy}"


def spread(values: Sequence[float], digits: int = 3) -> str:
    """``median [min-max]``."""
    return (
        f"{statistics.median(values):.{digits}f} "
        f"[{min(values):.{digits}f}-{max(values):.{digits}f}]"
    )


# --------------------------------------------------------------------------- the batches


def corpus_pages(corpus: Path) -> list[tuple[str, Path]]:
    """(URL, file) of every page: a generated site's (``bench.site``), or saved pages."""
    if (corpus / "routes.json").is_file() and (corpus / "manifest.json").is_file():
        return list(site.page_files(corpus))
    paths = sorted({*corpus.rglob("*.html.gz"), *corpus.rglob("*.html")})
    return [(_meta_url(p) or f"https://{p.parent.name}.invalid/{p.name}", p) for p in paths]


def prepare_batches(corpus: Path, *, batch_size: int, limit: int | None) -> list[Any]:
    """The corpus's pages cleaned once, as the BatchResults a local source stores."""
    from connectors.records import Media, RawDocument
    from flows.pipeline.per_document import process_document
    from flows.pipeline.persist import BatchResult

    pages = corpus_pages(corpus)[:limit]
    if not pages:
        raise SkippedError(f"no *.html or *.html.gz pages under {corpus}")
    now = datetime.now(UTC)
    processed: list[Any] = []
    rejected = 0
    for url, path in pages:
        raw = path.read_bytes()
        body = gzip.decompress(raw) if path.suffix == ".gz" else raw
        doc = RawDocument(
            source=SOURCE,
            location=url,
            url=url,
            content=body,
            media=Media.HTML,
            raw_hash=hashlib.sha256(body).hexdigest(),
            retrieved_at=now,
        )
        result = process_document(doc)
        if isinstance(result, tuple):
            processed.append(result)
        else:
            rejected += 1
    batches = []
    for start in range(0, len(processed), batch_size):
        batch = BatchResult(SOURCE, seen_at=now)
        batch.articles.extend(processed[start : start + batch_size])
        batches.append(batch)
    print(f"    {len(processed)} pages cleaned ({rejected} rejected) in {len(batches)} batches")
    return batches


def store_batches(conn: Any, batches: Sequence[Any]) -> list[float]:
    """A run's start, then ``persist_batch`` for each batch; the seconds each took."""
    from flows.pipeline.persist import persist_batch, persist_run_start, persist_source_start
    from warehouse import store

    run_id = uuid4()
    now = datetime.now(UTC)
    persist_run_start(
        conn, run_id=run_id, flow_run_id=None, at=now, sources_file="bench", selected=[SOURCE]
    )
    persist_source_start(conn, run_id=run_id, source=SOURCE, kind="files", at=now)
    seconds = []
    for batch in batches:
        started = time.perf_counter()
        persist_batch(conn, batch, run_id=run_id)
        seconds.append(time.perf_counter() - started)
    store.finish_run(conn, run_id=run_id, status="completed", finished_at=datetime.now(UTC))
    return seconds


def _pages(batches: Sequence[Any]) -> int:
    return sum(len(b.articles) for b in batches)


# --------------------------------------------------------------------------- (store)


def measure_store(server: PgServer, blob: bytes, *, workdir: Path, repeat: int) -> dict[str, Any]:
    """Store the same batches into a new file and a new lake, ABBA; time persist_batch.

    Two more variants, ``file_nosearch`` and ``lake_nosearch``, have the per-batch search
    index step made a no-op: the storing itself (decisions and writes), side by side.
    """
    from unittest import mock

    from warehouse import search
    from warehouse.connection import connect
    from warehouse.lake.connection import connect_lake

    pages = _pages(pickle.loads(blob))
    variants = ["file", "lake", "file_nosearch", "lake_nosearch"]
    rounds: list[dict[str, Any]] = []
    for number in range(repeat):
        order = variants if number % 2 == 0 else list(reversed(variants))
        before = load()
        row: dict[str, Any] = {"repeat": number, "order": order}
        for which in order:
            batches = pickle.loads(blob)  # fresh objects: nothing carries over between backends
            with contextlib.ExitStack() as stack:
                if which.endswith("_nosearch"):
                    stack.enter_context(mock.patch.object(search, "index_new_articles", _no_index))
                if which.startswith("file"):
                    path = workdir / f"store-{number}.duckdb"
                    conn = stack.enter_context(connect(path))
                    stack.callback(path.unlink, missing_ok=True)
                else:
                    dbname = server.new_database(f"bench_store_{number}_{which}")
                    target = lake_target(server, dbname, workdir / f"store-{which}-{number}")
                    conn = stack.enter_context(connect_lake(target))
                seconds = store_batches(conn, batches)
            row[which] = {
                "seconds": round(sum(seconds), 3),
                "ms_per_page": round(sum(seconds) * 1000 / pages, 3),
                "batch_seconds": [round(s, 3) for s in seconds],
            }
        row["ratio"] = round(row["lake"]["ms_per_page"] / row["file"]["ms_per_page"], 2)
        row["ratio_nosearch"] = round(
            row["lake_nosearch"]["ms_per_page"] / row["file_nosearch"]["ms_per_page"], 2
        )
        row["load_before"], row["load_after"] = before, load()
        print(
            f"    repeat {number} ({'/'.join(order)}): file {row['file']['ms_per_page']:.2f} "
            f"ms/page (without search index {row['file_nosearch']['ms_per_page']:.2f}), lake "
            f"{row['lake']['ms_per_page']:.2f} ({row['lake_nosearch']['ms_per_page']:.2f}); "
            f"lake/file {row['ratio']:.2f}, without search {row['ratio_nosearch']:.2f}; "
            f"{load_text(before, row['load_after'])}"
        )
        rounds.append(row)
    ratios = [r["ratio"] for r in rounds]
    plain = [r["ratio_nosearch"] for r in rounds]
    return {
        "pages": pages,
        "batches": len(pickle.loads(blob)),
        "rounds": rounds,
        "file_ms_per_page": [r["file"]["ms_per_page"] for r in rounds],
        "file_nosearch_ms_per_page": [r["file_nosearch"]["ms_per_page"] for r in rounds],
        "lake_ms_per_page": [r["lake"]["ms_per_page"] for r in rounds],
        "lake_nosearch_ms_per_page": [r["lake_nosearch"]["ms_per_page"] for r in rounds],
        "ratio": round(statistics.median(ratios), 2),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "ratio_nosearch": round(statistics.median(plain), 2),
        "ratio_nosearch_min": min(plain),
        "ratio_nosearch_max": max(plain),
    }


def _no_index(conn: Any, docs: Any) -> None:
    """Stands in for warehouse.search.index_new_articles in the ``file_nosearch`` variant."""


# --------------------------------------------------------------------------- (lookups)

_RUN = "'00000000-0000-0000-0000-000000000001'::uuid"
_BATCH = "'00000000-0000-0000-0000-000000000002'::uuid"
_EPOCH = "TIMESTAMPTZ '2026-01-01 00:00:00+00'"


def _fill_sql(bands: int) -> list[str]:
    """PostgreSQL statements filling the keyed tables with ``%(n)s`` synthetic articles."""
    gs = "generate_series(1, %(n)s) AS t(i)"
    host = "'h' || (i % 50) || '.example'"
    return [
        "INSERT INTO store.lake_batches VALUES "
        f"({_BATCH}, {_EPOCH}, {_EPOCH}) ON CONFLICT DO NOTHING",
        f"INSERT INTO store.articles SELECT i, 'https://' || {host} || '/a/' || i, {host}, "
        f"'bench', i, 1, {_EPOCH}, {_EPOCH}, {_RUN}, {_RUN} FROM {gs}",
        "INSERT INTO store.article_versions (article_id, version_no, run_id, source, "
        "retrieved_at, location, text, word_count, version_hash, content_hash, raw_hash, "
        f"extractor, batch_id) SELECT i, 1, {_RUN}, 'bench', {_EPOCH}, "
        f"'https://' || {host} || '/a/' || i, '', 1, md5('v' || i), md5('c' || i), "
        f"md5('r' || i), 'bench', {_BATCH} FROM {gs}",
        f"INSERT INTO store.url_aliases SELECT 'https://' || {host} || '/a/' || i || v, "
        f"{host} || '/a/' || i || v, i, 'fetched', {_EPOCH}, {_RUN} "
        f"FROM {gs}, (VALUES (''), ('?amp')) AS s(v)",
        "INSERT INTO store.url_state (location, source, raw_hash, article_id, last_seen_at, "
        f"last_changed_at, kind) SELECT 'https://' || {host} || '/a/' || i, 'bench', "
        f"md5('r' || i), i, {_EPOCH}, {_EPOCH}, 'page' FROM {gs}",
        "INSERT INTO store.story_features SELECT i, 1, 'bench', '\\x'::bytea, '', '', 100, 100, "
        f"md5('c' || i), true FROM {gs}",
        # band keys as the pipeline stores them: `bands` per article, each a 64-bit key
        "INSERT INTO store.story_bands SELECT "
        "('x' || substr(md5(i || ':' || b), 1, 16))::bit(64)::bigint, i "
        f"FROM {gs}, generate_series(0, {bands - 1}) AS g(b)",
    ]


def _band_key(article_id: int, band: int) -> int:
    """The key ``_fill_sql`` stored for (article, band): md5's first 64 bits, signed."""
    value = int(hashlib.md5(f"{article_id}:{band}".encode()).hexdigest()[:16], 16)
    return value - 2**64 if value >= 2**63 else value


def _location(i: int) -> str:
    return f"https://h{i % 50}.example/a/{i}"


def _key(i: int) -> str:
    return f"h{i % 50}.example/a/{i}"


def batch_lookups(conn: Any, ids: list[int], bands: int, spent: dict[str, float]) -> None:
    """The per-batch lookups of storing a batch, with the warehouse's own functions.

    Adds the seconds of each lookup to ``spent`` (by the function's name).
    """
    from warehouse import lookups, stories

    hashes = [hashlib.md5(f"c{i}".encode()).hexdigest() for i in ids]
    calls: list[tuple[str, Callable[[], object]]] = [
        ("load_url_state", lambda: lookups.load_url_state(conn, [_location(i) for i in ids])),
        ("find_aliases", lambda: lookups.find_aliases(
            conn, [_key(i) + v for i in ids for v in ("", "?amp")])),
        ("known_alias_urls", lambda: lookups.known_alias_urls(
            conn, [_location(i) + "?amp" for i in ids])),
        ("latest_versions", lambda: lookups.latest_versions(conn, ids)),
        ("story_ids", lambda: stories.story_ids(conn, ids)),
        ("load_features", lambda: stories.load_features(conn, ids, scheme="bench")),
        ("find_content_matches", lambda: stories.find_content_matches(conn, hashes)),
        ("find_band_matches", lambda: stories.find_band_matches(
            conn, [_band_key(i, b) for i in ids for b in range(bands)])),
    ]  # fmt: skip
    for name, call in calls:
        started = time.perf_counter()
        call()
        spent[name] = spent.get(name, 0.0) + time.perf_counter() - started


def direct_lookups(pg: Any, ids: list[int], bands: int) -> dict[str, float]:
    """Band-key and identity-key lookups straight to PostgreSQL: seconds of each."""
    keys = [_band_key(i, b) for i in ids for b in range(bands)]
    identity = [_key(i) + v for i in ids for v in ("", "?amp")]
    spent = {}
    started = time.perf_counter()
    pg.execute(
        "SELECT DISTINCT key, article_id FROM store.story_bands WHERE key = ANY(%s)", (keys,)
    ).fetchall()
    spent["direct_pg_band_matches"] = time.perf_counter() - started
    started = time.perf_counter()
    pg.execute(
        "SELECT identity_key, min(article_id) FROM store.url_aliases "
        "WHERE identity_key = ANY(%s) GROUP BY identity_key",
        (identity,),
    ).fetchall()
    spent["direct_pg_aliases"] = time.perf_counter() - started
    return spent


def build_lookup_lake(server: PgServer, articles: int, *, bands: int, workdir: Path) -> Any:
    """A lake made by the schema code whose keyed tables hold ``articles`` articles."""
    from warehouse.lake.connection import connect_lake

    dbname = server.new_database(f"bench_lookups_{articles}")
    target = lake_target(server, dbname, workdir / f"lookups-lake-{articles}")
    with connect_lake(target):
        pass  # creates the tables, indexes and views
    started = time.perf_counter()
    with psycopg.connect(target.dsn, autocommit=True) as pg:
        pg.execute("SET maintenance_work_mem = '256MB'")
        # The band index is built once after the fill (faster than maintained row by row),
        # with the definition state.sql gives it.
        index = pg.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'store' "
            "AND indexname = 'story_bands_key'"
        ).fetchall()
        pg.execute("DROP INDEX IF EXISTS store.story_bands_key")
        for statement in _fill_sql(bands):
            pg.execute(statement.replace("%(n)s", str(int(articles))).encode())
        for (definition,) in index:
            pg.execute(str(definition).encode())
        pg.execute("VACUUM ANALYZE")
    print(f"    {articles:,} articles ({articles * bands:,} band rows) in "
          f"{time.perf_counter() - started:.0f} s")  # fmt: skip
    return target


def measure_lookups(
    server: PgServer, *, sizes: list[int], bands: int, workdir: Path, batch: int, batches: int
) -> dict[str, Any]:
    """Per-article lookup cost at each size, sizes alternating batch by batch."""
    from warehouse.lake.connection import connect_lake

    targets = {n: build_lookup_lake(server, n, bands=bands, workdir=workdir) for n in sizes}
    before = load()
    times: dict[int, list[float]] = {n: [] for n in sizes}
    spent: dict[int, dict[str, float]] = {n: {} for n in sizes}
    rng = random.Random(7)
    with (
        connect_lake(targets[sizes[0]]) as first,
        connect_lake(targets[sizes[-1]]) as last,
        psycopg.connect(targets[sizes[0]].dsn, autocommit=True) as pg_first,
        psycopg.connect(targets[sizes[-1]].dsn, autocommit=True) as pg_last,
    ):
        conns = {sizes[0]: first, sizes[-1]: last}
        pgs = {sizes[0]: pg_first, sizes[-1]: pg_last}
        for number in range(batches + 1):
            order = sizes if number % 2 == 0 else list(reversed(sizes))
            for n in order:
                ids = [rng.randrange(1, 2 * n) for _ in range(batch)]  # half are not stored
                per_lookup: dict[str, float] = {}
                started = time.perf_counter()
                batch_lookups(conns[n], ids, bands, per_lookup)
                if number:  # the first batch warms the caches up
                    times[n].append((time.perf_counter() - started) * 1000 / batch)
                    for name, seconds in per_lookup.items():
                        spent[n][name] = spent[n].get(name, 0.0) + seconds
                # Reference, not in the total: the same band and alias lookups sent to
                # PostgreSQL directly (psycopg, `= ANY`), where its btree indexes answer them.
                for name, seconds in direct_lookups(pgs[n], ids, bands).items():
                    if number:
                        spent[n][name] = spent[n].get(name, 0.0) + seconds
    after = load()
    rows: list[dict[str, Any]] = [
        {
            "articles": n,
            "ms_per_article": round(statistics.median(times[n]), 4),
            "ms_min": round(min(times[n]), 4),
            "ms_max": round(max(times[n]), 4),
            "ms_per_lookup": {
                name: round(seconds * 1000 / (batch * batches), 4)
                for name, seconds in spent[n].items()
            },
        }
        for n in sizes
    ]
    pairs = [b / a for a, b in zip(times[sizes[0]], times[sizes[-1]], strict=True)]
    for row in rows:
        split = ", ".join(f"{k} {v:.3f}" for k, v in row["ms_per_lookup"].items())
        print(f"    {row['articles']:>9,} articles: {spread(times[int(row['articles'])])} "
              f"ms/article ({split})")  # fmt: skip
    ratio = rows[-1]["ms_per_article"] / rows[0]["ms_per_article"]
    print(f"    ratio {sizes[-1]:,}/{sizes[0]:,}: {ratio:.2f} (per batch pair "
          f"{spread(pairs, 2)}); {load_text(before, after)}")  # fmt: skip
    return {
        "batch": batch,
        "bands": bands,
        "sizes": rows,
        "ratio": round(ratio, 2),
        "ratio_pairs_min": round(min(pairs), 2),
        "ratio_pairs_max": round(max(pairs), 2),
        "load_before": before,
        "load_after": after,
    }


# --------------------------------------------------------------------------- (writers)


def writer_main(args: argparse.Namespace) -> int:
    """A writer subprocess: open the lake, load a share of the batches, wait for go, store."""
    from warehouse.lake.connection import connect_lake
    from warehouse.lake.registry import handle_of
    from warehouse.lake.target import LakeTarget

    name = f"bench-writer-{args.part}"  # names its PostgreSQL sessions, DuckDB's too
    target = LakeTarget(dsn=f"{args.dsn} application_name={name}", data_path=args.data_path)
    batches = pickle.loads(args.batches.read_bytes())[args.part :: args.parts]
    if args.core is not None:
        os.sched_setaffinity(0, {args.core})
    with connect_lake(target) as conn, _pinned_backends(args.dsn, name, args.core):
        print("ready", flush=True)
        sys.stdin.readline()
        started, cpu = time.time(), time.process_time()
        seconds = store_batches(conn, batches)
        ended = time.time()
        handle = handle_of(conn)
        spent = dict(handle.spent) if handle is not None else {}
        spent["cpu"] = time.process_time() - cpu  # the writer process's, DuckDB's threads too
    print(json.dumps({"start": started, "end": ended, "pages": _pages(batches),
                      "persist_seconds": sum(seconds), "spent": spent}), flush=True)  # fmt: skip
    return 0


@contextmanager
def _pinned_backends(dsn: str, name: str, core: int | None) -> Iterator[None]:
    """While open, keep the PostgreSQL backends of sessions named ``name`` on ``core``.

    DuckDB's postgres extension opens its connections when it needs them, so the
    backends are looked up again every 0.2 s; the bench runs as root, so it may set
    the ``postgres`` user's processes' CPU affinity.
    """
    if core is None:
        yield
        return
    stop = threading.Event()

    def pin() -> None:
        with psycopg.connect(dsn, autocommit=True) as pg:
            while not stop.is_set():
                rows = pg.execute(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (name,)
                ).fetchall()
                for (pid,) in rows:
                    with contextlib.suppress(ProcessLookupError):
                        os.sched_setaffinity(int(pid), {core})
                stop.wait(0.2)

    thread = threading.Thread(target=pin, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


# What a writer's seconds went to (warehouse.lake.registry.LakeHandle.spent), as a share of
# its wall time: waiting for its batches' key locks, deciding inside state transactions
# (lookups, decisions, writes, validation, COMMIT), waiting for the COMMIT lock, holding it;
# and the CPU its process used (its PostgreSQL sessions' CPU is not counted).
_SPENT = ("key_lock_wait", "state", "commit_lock_wait", "commit_held", "cpu")


def _shares(report: dict[str, Any]) -> dict[str, float]:
    wall = report["end"] - report["start"]
    spent = report.get("spent", {})
    shares = {name: round(spent.get(name, 0.0) / wall, 3) for name in _SPENT}
    shares["conflicts"] = spent.get("conflicts", 0)
    return shares


def run_writers(
    server: PgServer, blob_path: Path, *, writers: int, label: str, workdir: Path, pin: bool
) -> dict[str, Any]:
    """``writers`` writer processes into one new lake, started together; combined pages/s.

    With ``pin``, writer N and its PostgreSQL backends run on core N only.
    """
    dbname = server.new_database(f"bench_writers_{label}")
    target = lake_target(server, dbname, workdir / f"writers-lake-{label}")
    from warehouse.lake.connection import connect_lake

    with connect_lake(target):
        pass  # the schema exists before the writers race for it
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.lake",
                "writer",
                "--dsn",
                target.dsn,
                "--data-path",
                str(target.data_path),
                "--batches",
                str(blob_path),
                "--part",
                str(part),
                "--parts",
                "2",
                *(["--core", str(part)] if pin else []),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for part in range(writers)
    ]
    for proc in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if "ready" not in line:
            raise SystemExit(f"a lake writer did not start: {line!r}")
    go = time.time()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    reports = []
    for proc in procs:
        out, _ = proc.communicate(timeout=3600)
        if proc.returncode != 0:
            raise SystemExit(f"a lake writer failed ({proc.returncode})")
        reports.append(json.loads(out.strip().splitlines()[-1]))
    wall = max(r["end"] for r in reports) - go
    pages = sum(r["pages"] for r in reports)
    with psycopg.connect(target.dsn) as pg:
        row = pg.execute("SELECT count(*) FROM store.articles").fetchone()
    return {
        "writers": writers,
        "pages": pages,
        "wall_seconds": round(wall, 3),
        "pages_per_second": round(pages / wall, 2),
        "articles_stored": row[0] if row else None,
        "time_shares": [_shares(r) for r in reports],
    }


def measure_writers(
    server: PgServer, blob_path: Path, *, workdir: Path, repeat: int, pin: bool
) -> dict[str, Any]:
    """One writer (half the batches) vs two at once (both halves), ABBA over repeats."""
    if pin and (os.cpu_count() or 1) < 2:
        raise SkippedError("--pin needs two cores")
    rounds = []
    for number in range(repeat):
        order = [1, 2] if number % 2 == 0 else [2, 1]
        before = load()
        row: dict[str, Any] = {"repeat": number, "order": order}
        for writers in order:
            row[f"w{writers}"] = run_writers(
                server, blob_path, writers=writers, label=f"{number}_{writers}", workdir=workdir,
                pin=pin,
            )  # fmt: skip
        row["ratio"] = round(row["w2"]["pages_per_second"] / row["w1"]["pages_per_second"], 2)
        row["load_before"], row["load_after"] = before, load()
        print(
            f"    repeat {number} ({'/'.join(map(str, order))} writers): one "
            f"{row['w1']['pages_per_second']:.1f} pages/s, two {row['w2']['pages_per_second']:.1f} "
            f"pages/s combined, ratio {row['ratio']:.2f}; {load_text(before, row['load_after'])}"
        )
        print(f"      time shares, one writer: {row['w1']['time_shares']}")
        print(f"      time shares, two writers: {row['w2']['time_shares']}")
        rounds.append(row)
    ratios = [r["ratio"] for r in rounds]
    return {
        "pinned": pin,
        "rounds": rounds,
        "ratio": round(statistics.median(ratios), 2),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
        "two_writers_time_shares": _median_shares([r["w2"] for r in rounds]),
    }


def _median_shares(runs: list[dict[str, Any]]) -> dict[str, float]:
    """Per share, the median over every writer of these runs."""
    shares = [s for run in runs for s in run["time_shares"]]
    names = (*_SPENT, "conflicts")
    return {name: round(statistics.median(s[name] for s in shares), 3) for name in names}


# --------------------------------------------------------------------------- main


def run(
    *,
    corpus: Path,
    only: set[str],
    repeat: int,
    batch_size: int,
    limit: int | None,
    sizes: list[int],
    bands: int,
    lookup_batches: int,
    workdir: Path,
    pin: bool = False,
) -> dict[str, Any]:
    """The figures asked for in ``only`` (store, lookups, writers); returns them."""
    results: dict[str, Any] = {"machine": machine()}
    if {"store", "writers"} & only and not corpus.is_dir():
        raise SkippedError(f"no corpus at {corpus} (--corpus)")
    with postgres() as server:
        blob_path = workdir / "batches.pickle"
        if {"store", "writers"} & only:
            if not corpus.is_dir():
                raise SkippedError(f"no corpus at {corpus} (--corpus)")
            print(f"cleaning the pages of {corpus} once ...")
            blob_path.write_bytes(
                pickle.dumps(prepare_batches(corpus, batch_size=batch_size, limit=limit))
            )
        if "store" in only:
            print("(store) persist_batch into a DuckDB file vs a lake, per page, ABBA ...")
            results["store"] = measure_store(
                server, blob_path.read_bytes(), workdir=workdir, repeat=repeat
            )
        if "lookups" in only:
            print(f"(lookups) dedupe lookups per article in the lake at {sizes} articles ...")
            results["lookups"] = measure_lookups(
                server, sizes=sizes, bands=bands, workdir=workdir, batch=200,
                batches=lookup_batches,
            )  # fmt: skip
        if "writers" in only:
            print("(writers) two lake writers at once vs one ...")
            results["writers"] = measure_writers(
                server, blob_path, workdir=workdir, repeat=repeat, pin=pin
            )
    results["machine"]["load_average_end"] = os.getloadavg()
    return results


def report(results: dict[str, Any]) -> None:
    """The three figures against their targets."""
    print("\nlake warehouse (issue 17):")
    if "store" in results:
        s = results["store"]
        print(f"  storing a batch, {s['pages']} pages in {s['batches']} batches: file "
              f"{spread(s['file_ms_per_page'], 2)} ms/page, lake {spread(s['lake_ms_per_page'], 2)} "
              f"ms/page; lake/file {s['ratio']:.2f} [{s['ratio_min']:.2f}-{s['ratio_max']:.2f}] "
              f"(target <= 2: {'holds' if s['ratio'] <= 2 else 'MISSED'})")  # fmt: skip
        print(f"    both without their per-batch search index: file "
              f"{spread(s['file_nosearch_ms_per_page'], 2)} ms/page, lake "
              f"{spread(s['lake_nosearch_ms_per_page'], 2)} ms/page; lake/file "
              f"{s['ratio_nosearch']:.2f} [{s['ratio_nosearch_min']:.2f}-{s['ratio_nosearch_max']:.2f}] "
              f"(target <= 2: {'holds' if s['ratio_nosearch'] <= 2 else 'MISSED'})")  # fmt: skip
    if "lookups" in results:
        lk = results["lookups"]
        sizes = ", ".join(f"{r['articles']:,}: {r['ms_per_article']:.3f} ms" for r in lk["sizes"])
        print(f"  dedupe lookups per article ({lk['bands']} band keys each): {sizes}; ratio "
              f"{lk['ratio']:.2f} [{lk['ratio_pairs_min']:.2f}-{lk['ratio_pairs_max']:.2f}] "
              f"(target <= 2: {'holds' if lk['ratio'] <= 2 else 'MISSED'})")  # fmt: skip
    if "writers" in results:
        w = results["writers"]
        cores = "one core per writer (pinned)" if w.get("pinned") else "cores shared"
        print(f"  two writers vs one, combined throughput, {cores}: {w['ratio']:.2f} "
              f"[{w['ratio_min']:.2f}-{w['ratio_max']:.2f}] "
              f"(target >= 1.6: {'holds' if w['ratio'] >= 1.6 else 'MISSED'})")  # fmt: skip
        print(f"    two writers, share of each one's wall time (median): "
              f"{w['two_writers_time_shares']}")  # fmt: skip
    end = results["machine"]["load_average_end"]
    print(f"  load average at the start {results['machine']['load_average_start']}, "
          f"at the end {end}, {results['machine']['cpus']} cores")  # fmt: skip


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench.lake", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command")
    writer = sub.add_parser("writer", help="(internal) one writer process of (writers)")
    writer.add_argument("--dsn", required=True)
    writer.add_argument("--data-path", type=Path, required=True)
    writer.add_argument("--batches", type=Path, required=True)
    writer.add_argument("--part", type=int, required=True)
    writer.add_argument("--parts", type=int, required=True)
    writer.add_argument("--core", type=int, help="run on this core only, its backends too")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--only", default="store,lookups,writers")
    parser.add_argument("--repeat", type=int, default=6, help="(store), (writers): ABBA rounds")
    parser.add_argument("--batch-size", type=int, default=50, help="pages per batch")
    parser.add_argument("--pages", type=int, help="use only the first N pages of the corpus")
    parser.add_argument("--sizes", default="10000,1000000", help="(lookups) stored articles")
    parser.add_argument("--bands", type=int, default=40, help="(lookups) band keys per article")
    parser.add_argument("--lookup-batches", type=int, default=12)
    parser.add_argument(
        "--pin",
        action="store_true",
        help="(writers) writer N and its PostgreSQL backends on core N only: separate cores",
    )
    parser.add_argument("--out", type=Path)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the lake figures, print them, write bench/results/lake-*.json."""
    args = _parser().parse_args(argv)
    if args.command == "writer":
        return writer_main(args)
    with tempfile.TemporaryDirectory(prefix="bench-lake-") as folder:
        try:
            results = run(
            corpus=args.corpus, only=set(args.only.split(",")), repeat=args.repeat,
            batch_size=args.batch_size, limit=args.pages,
            sizes=[int(s) for s in args.sizes.split(",")], bands=args.bands,
            lookup_batches=args.lookup_batches, workdir=Path(folder), pin=args.pin,
            )  # fmt: skip
        except SkippedError as exc:
            print(f"bench.lake: {exc}", file=sys.stderr)
            return 1
    out = write_results(results, "lake", args.out)
    report(results)
    print(f"\nresults written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
