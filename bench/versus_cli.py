"""``news-ingest run`` against the trafilatura CLI on the same real pages (figure g).

What a user would otherwise run is ``trafilatura -i urls.txt --json
--with-metadata --parallel 8 -o OUTDIR``. Both tools get the same list of
real saved news pages (the fundus corpus, cycled when more URLs than pages
are asked for) served by :mod:`bench.site` from five local outlets
(``127.0.0.1``-``127.0.0.5``), on the same machine, one after the other in
ABBA order (CLI, news-ingest, news-ingest, CLI, repeated), each from nothing:
a fresh output folder for the CLI, an empty DuckDB for news-ingest.

- **The CLI** is trafilatura 2.3.1 in its own virtualenv, made outside the
  repository (``~/.cache/news-ingest-bench/``, ``pip install trafilatura==2.3.1
  lxml_html_clean==0.4.6``, reused when present), with a settings file that
  sets ``SLEEP_TIME = 0`` and ``SSRF_PROTECTION = off`` (loopback allowed);
  all other settings are trafilatura's defaults.
- **news-ingest** is the console script over one ``kind = "urls"`` source
  listing the same URLs, with ``allow_private_addresses = true``,
  ``host_delay = 0``, ``host_concurrency = 8`` and ``max_connections = 8`` (at
  most 8 requests in flight, like the CLI's 8 threads); everything else is
  the default (robots.txt honoured, one extraction worker per core, the
  analysts' snapshot), and no ``PREFECT_API_URL``, so it uses the shared local
  Prefect server, which the first (untimed, warm-up) run starts as a user's
  first ``news-ingest run`` does; its start-up is printed apart. Its home is
  private to the benchmark, and the server is stopped when the benchmark ends.
  The server's CPU during each run is added to the run's CPU seconds.

Figures:

1. Wall seconds of each tool per URL count (median [min-max]) and
   ``news-ingest speed vs the CLI`` = CLI seconds / news-ingest seconds,
   paired within each ABBA block; and the CPU seconds of each tool's process
   tree (``wait4``: the process and the children it waited for, Prefect's
   temporary server and the extraction workers included), which move less
   with the machine's load than wall time. That both really extracted the
   pages is checked and printed: JSON files the CLI wrote (counted as
   written, with inotify: the CLI names each file by a hash of its text, so
   copies of one page overwrite one file, and the files left are printed
   too) and articles in the warehouse. A run with a failing exit code or
   fewer than 90 % of the URLs extracted is reported and left out of the
   figures.
2. Fixed start-up of ``news-ingest run``: process start to the first article
   page request the site server receives (its ``first_page_at``), and the
   last commit (``runs.finished_at``) to process exit; the CLI's start to its
   first request for reference.
3. Marginal throughput: ``news-ingest run`` over 15 outlets minus 5 outlets
   with the same pages per outlet, (pages15 - pages5) / (seconds15 -
   seconds5), so the fixed costs cancel; against bare trafilatura with its
   default options (:mod:`bench.bare`, mode ``default``) over those extra
   pages, with as many processes as the pipeline has extraction workers
   (and, for reference, bare trafilatura with the pipeline's own options).
   The blocks alternate (bare, 5, 15 / 15, 5, bare). Under load the start-up
   moves by seconds and does not quite cancel, so the same difference is
   also given from the first page request to the last commit.

Nothing leaves loopback at run time except, once, the package install of the
CLI's virtualenv from the package registry.

    .venv/bin/python -m bench.versus_cli --corpus ../shared/corpus/fundus [--urls 181,905] [--repeat 2] [--quick]
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import json
import os
import re
import select
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import venv
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import duckdb

from bench import bare, site
from bench.harness import Server, machine, write_results
from bench.pipeline import bench_env, shared_server_cpu
from flows.pipeline.config import PipelineSettings

__all__ = ["SkippedError", "ToolRun", "main", "report", "run"]

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "fundus"
CACHE = Path.home() / ".cache" / "news-ingest-bench"
TRAFILATURA = "2.3.1"
CLI_PACKAGES = (f"trafilatura=={TRAFILATURA}", "lxml_html_clean==0.4.6")
# The two keys of trafilatura's settings.cfg that stand between its CLI and a local mirror.
CLI_SETTINGS = "[DEFAULT]\nSLEEP_TIME = 0\nSSRF_PROTECTION = off\n"
OUTLETS, MARGINAL_OUTLETS = 5, 15
MIN_EXTRACTED = 0.9  # a run that extracted less than this share of its URLs is a failure
WARM_URLS = 10
_T = TypeVar("_T")


class SkippedError(Exception):
    """The comparison cannot run here (no corpus, no CLI); the message says why."""


@dataclass(frozen=True, slots=True)
class ToolRun:
    """One timed run of either tool."""

    tool: str  # cli | ingest
    urls: int
    block: int
    seconds: float  # process start to exit
    cpu_seconds: float  # user + system of the process and the children it waited for
    exit_code: int
    extracted: int  # CLI: JSON files written; news-ingest: articles in the warehouse
    page_requests: int  # article pages the site served during the run
    to_first_request: float | None  # process start to the first request of any kind
    to_first_page: float | None  # process start to the first article page request
    tail_seconds: float | None  # ingest: last commit to exit; CLI: last page request to exit
    load: float  # 1-minute load average when the run started
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Exit code 0 and enough of the URLs extracted."""
        return self.exit_code == 0 and self.extracted >= MIN_EXTRACTED * self.urls


# --------------------------------------------------------------------------- the CLI


def cli_venv(cache: Path = CACHE) -> Path:
    """The trafilatura CLI's own virtualenv (created and installed once, then reused)."""
    folder = cache / f"trafilatura-{TRAFILATURA}"
    python = folder / "bin" / "python"
    if _installed_version(python) == TRAFILATURA:
        return folder
    print(f"installing trafilatura {TRAFILATURA} into {folder} (package registry) ...")
    shutil.rmtree(folder, ignore_errors=True)
    venv.EnvBuilder(with_pip=True).create(folder)
    done = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *CLI_PACKAGES],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode or _installed_version(python) != TRAFILATURA:
        raise SkippedError(f"could not install {' '.join(CLI_PACKAGES)} into {folder}: "
                           f"{(done.stderr or done.stdout).strip()[-500:]}")  # fmt: skip
    return folder


def _installed_version(python: Path, package: str = "trafilatura") -> str | None:
    if not python.exists():
        return None
    done = subprocess.run(
        [str(python), "-c", f"import importlib.metadata as m; print(m.version({package!r}))"],
        capture_output=True, text=True, check=False, env=_cli_env(),
    )  # fmt: skip
    return done.stdout.strip() or None


def _cli_env() -> dict[str, str]:
    """The caller's environment without this repository's Python settings."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


_IN_CLOSE_WRITE, _IN_CREATE, _IN_Q_OVERFLOW, _IN_ISDIR = 0x8, 0x100, 0x4000, 0x40000000
_EVENT = struct.Struct("iIII")  # struct inotify_event without its name


class WriteCounter:
    """How many ``*suffix`` files were written under a folder, overwrites included (inotify)."""

    def __init__(self, folder: Path, suffix: str = ".json") -> None:
        self._libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        self._fd = self._libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        self.suffix, self.written, self.overflow = suffix, 0, False
        self._folders: dict[int, Path] = {}
        self._watch(folder)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _watch(self, folder: Path) -> None:
        wd = self._libc.inotify_add_watch(
            self._fd, os.fsencode(folder), _IN_CLOSE_WRITE | _IN_CREATE
        )
        if wd >= 0:
            self._folders[wd] = folder

    def _run(self) -> None:
        while not self._stop.is_set():
            if select.select([self._fd], [], [], 0.05)[0]:
                self._drain()
        self._drain()

    def _drain(self) -> None:
        while True:
            try:
                data = os.read(self._fd, 1 << 16)
            except BlockingIOError:
                return
            offset = 0
            while offset < len(data):
                wd, mask, _cookie, length = _EVENT.unpack_from(data, offset)
                start = offset + _EVENT.size
                name = data[start : start + length].rstrip(b"\0").decode(errors="replace")
                offset = start + length
                self._event(wd, mask, name)

    def _event(self, wd: int, mask: int, name: str) -> None:
        if mask & _IN_Q_OVERFLOW:
            self.overflow = True
        elif mask & _IN_CREATE and mask & _IN_ISDIR and wd in self._folders:
            # The CLI's numbered subfolders (over 1000 URLs): watch, and count what beat the watch.
            folder = self._folders[wd] / name
            self._watch(folder)
            self.written += sum(1 for _ in folder.rglob(f"*{self.suffix}"))
        elif mask & _IN_CLOSE_WRITE and name.endswith(self.suffix):
            self.written += 1

    def stop(self) -> int:
        """Stop watching; the number of files written."""
        self._stop.set()
        self._thread.join()
        os.close(self._fd)
        return self.written


def run_cli(
    *, venv_dir: Path, urls_file: Path, urls: int, block: int, workdir: Path, port: int,
    parallel: int, label: str = "",
) -> ToolRun:  # fmt: skip
    """One timed ``trafilatura -i URLS --json --with-metadata --parallel N -o OUT`` run."""
    config = workdir / "trafilatura-settings.cfg"
    config.write_text(CLI_SETTINGS, encoding="utf-8")
    name = f"cli-{label or urls}-{block}"
    out = workdir / f"{name}.out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    command = [str(venv_dir / "bin" / "trafilatura"), "-i", str(urls_file), "--json",
               "--with-metadata", "--parallel", str(parallel), "-o", str(out),
               "--config-file", str(config)]  # fmt: skip
    counter = WriteCounter(out)
    try:
        timed = _timed(command, _cli_env(), workdir / f"{name}.log", port)
    finally:
        written = counter.stop()
    left = sum(1 for _ in out.rglob("*.json"))
    shutil.rmtree(out, ignore_errors=True)
    served = timed["served"]
    last_page = served.get("last_page_at")
    return ToolRun(
        tool="cli", urls=urls, block=block, seconds=timed["seconds"],
        cpu_seconds=timed["cpu_seconds"], exit_code=timed["exit_code"],
        extracted=written, page_requests=served["page_requests"],
        to_first_request=_since(served.get("first_request_at"), timed["started"]),
        to_first_page=_since(served.get("first_page_at"), timed["started"]),
        tail_seconds=_since(timed["exited"], last_page) if last_page else None,
        load=timed["load"],
        detail={"json_files_left": left, "inotify_overflow": counter.overflow},
    )  # fmt: skip


# --------------------------------------------------------------------------- news-ingest


def ingest_sources(path: Path, urls_file: Path, *, workers: int, host_concurrency: int) -> Path:
    """A sources file with one ``urls`` source: loopback allowed, no pacing."""
    path.write_text(
        "# Generated by bench.versus_cli for a local mirror.\n"
        "[fetch]\nallow_private_addresses = true\nhost_delay = 0.0\n"
        f"host_concurrency = {host_concurrency}\nmax_connections = {host_concurrency}\n\n"
        f"[pipeline]\nworkers = {workers}\n\n"
        f'[[sources]]\nname = "urls"\nkind = "urls"\npath = "{urls_file}"\n',
        encoding="utf-8",
    )
    return path


def ingest_command() -> list[str]:
    """The ``news-ingest`` console script of this interpreter's virtualenv."""
    script = Path(sys.executable).with_name("news-ingest")
    return [str(script)] if script.exists() else [sys.executable, "-m", "flows.app.cli"]


def run_ingest(
    *, sources: Path, urls: int, block: int, workdir: Path, port: int, env: dict[str, str],
    label: str = "",
) -> ToolRun:  # fmt: skip
    """One timed ``news-ingest run`` into an empty warehouse."""
    name = f"ingest-{label or urls}-{block}"
    db = workdir / f"{name}.duckdb"
    _remove_warehouse(db)
    command = [*ingest_command(), "run", "--sources", str(sources), "--db", str(db)]
    server_before = shared_server_cpu(env)
    timed = _timed(command, env, workdir / f"{name}.log", port)
    # The shared Prefect server is not a child of the run: its CPU meanwhile is added.
    server_cpu = round(shared_server_cpu(env) - server_before, 3)
    counts = warehouse_counts(db)
    _remove_warehouse(db)
    served, finished = timed["served"], counts.pop("finished_at", None)
    return ToolRun(
        tool="ingest", urls=urls, block=block, seconds=timed["seconds"],
        cpu_seconds=round(timed["cpu_seconds"] + server_cpu, 3), exit_code=timed["exit_code"],
        extracted=counts.get("articles", 0),
        page_requests=served["page_requests"],
        to_first_request=_since(served.get("first_request_at"), timed["started"]),
        to_first_page=_since(served.get("first_page_at"), timed["started"]),
        tail_seconds=_since(timed["exited"], finished) if finished else None,
        load=timed["load"], detail={**counts, "prefect_server_cpu_seconds": server_cpu},
    )  # fmt: skip


def warehouse_counts(db: Path) -> dict[str, Any]:
    """Articles, the run's outcome counters and when its last commit was (runs.finished_at)."""
    if not db.exists():
        return {"articles": 0}
    with duckdb.connect(str(db), read_only=True) as conn:
        articles = conn.execute("SELECT count(*) FROM store.articles").fetchone()
        run = conn.execute(
            "SELECT r.finished_at, r.status, sum(s.found), sum(s.fetched), sum(s.rejected), "
            "sum(s.errors) FROM store.runs r JOIN store.run_sources s USING (run_id) "
            "GROUP BY r.run_id, r.started_at, r.finished_at, r.status "
            "ORDER BY r.started_at DESC LIMIT 1"
        ).fetchone()
    out: dict[str, Any] = {"articles": int(articles[0]) if articles else 0}
    if run:
        out.update(zip(("status", "found", "fetched", "rejected", "errors"), run[1:], strict=True))
        out["finished_at"] = run[0].timestamp() if run[0] else None
    return out


def _remove_warehouse(db: Path) -> None:
    """The database, its write-ahead log, run lock and the analysts' snapshot."""
    for pattern in (f"{db.name}*", f"{db.stem}.snapshot.duckdb*"):
        for stale in db.parent.glob(pattern):
            stale.unlink()


# --------------------------------------------------------------------------- timing


def _timed(command: list[str], env: dict[str, str], log: Path, port: int) -> dict[str, Any]:
    """Run ``command`` once from a reset site server; wall seconds and what the server saw."""
    _server(port, "reset")
    load = os.getloadavg()[0]
    with log.open("wb") as handle:
        started, clock = time.time(), time.perf_counter()
        process = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(process.pid, 0)  # with the CPU time of its whole tree
        seconds, exited = time.perf_counter() - clock, time.time()
    process.returncode = os.waitstatus_to_exitcode(status)
    return {"seconds": round(seconds, 3), "started": started, "exited": exited, "load": load,
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
            "exit_code": process.returncode, "served": _server(port, "stats")}  # fmt: skip


def _server(port: int, action: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/__bench/{action}", timeout=10) as reply:
        data: dict[str, Any] = json.loads(reply.read())
    return data


def _since(end: float | None, start: float | None) -> float | None:
    return None if end is None or start is None else round(end - start, 3)


# --------------------------------------------------------------------------- the pages


def make_site(folder: Path, corpus: Path, *, pages: int, outlets: int) -> list[tuple[str, Path]]:
    """Serve ``pages`` real pages on ``outlets`` hosts; (URL, file) in page order."""
    site.from_corpus(folder, corpus, pages=pages, port=site.free_port(), sites=outlets)
    number = re.compile(r"-(\d+)\.html$")
    listed = sorted(site.page_files(folder), key=lambda item: int(number.findall(item[0])[0]))
    for _, path in listed:  # into the page cache, so the first timed run is not the cold one
        path.read_bytes()
    return listed


def write_urls(path: Path, pages: list[tuple[str, Path]]) -> Path:
    """A URL list, one a line (the CLI's ``-i`` and news-ingest's ``urls`` source)."""
    path.write_text("".join(f"{url}\n" for url, _ in pages), encoding="utf-8")
    return path


def check_corpus(corpus: Path) -> None:
    """Raise SkippedError, saying so clearly, when the corpus is not there."""
    if not corpus.is_dir():
        raise SkippedError(f"the real-page corpus is absent: {corpus} does not exist "
                           "(pass --corpus DIR; the fundus corpus lives in ../shared/corpus/fundus)")  # fmt: skip
    if next(corpus.rglob("*.html.gz"), None) is None:
        raise SkippedError(f"the real-page corpus is absent: no *.html.gz under {corpus}")


# --------------------------------------------------------------------------- the runs


@dataclass(frozen=True, slots=True)
class Setup:
    """What every run of one comparison needs."""

    workdir: Path
    venv_dir: Path
    env: dict[str, str]  # news-ingest's
    workers: int
    parallel: int
    host_concurrency: int


def versus(
    setup: Setup, pages: list[tuple[str, Path]], url_counts: list[int], repeat: int, port: int
) -> tuple[list[ToolRun], ToolRun]:
    """Figures 1 and 2: ABBA blocks (CLI, news-ingest, news-ingest, CLI) per URL count.

    Also returns the warm-up run of news-ingest: the first run, which starts the
    shared Prefect server.
    """
    runs: list[ToolRun] = []
    lists = {n: _lists(setup, pages[:n], f"urls{n}") for n in url_counts}
    first = _warm(setup, pages[:WARM_URLS], port)
    for block in range(repeat):
        for n in url_counts:
            urls_file, sources = lists[n]
            for tool in ("cli", "ingest", "ingest", "cli"):
                print(f"[g] block {block + 1}/{repeat}, {n} URLs: {tool} ...", flush=True)
                done = _one(setup, tool, urls_file, sources, n, block, port)
                print(f"[g]     {done.seconds:.1f} s, {done.extracted} extracted"
                      + ("" if done.ok else "  (FAILED: left out)"), flush=True)  # fmt: skip
                runs.append(done)
    return runs, first


def _lists(setup: Setup, pages: list[tuple[str, Path]], name: str) -> tuple[Path, Path]:
    urls_file = write_urls(setup.workdir / f"{name}.txt", pages)
    sources = ingest_sources(setup.workdir / f"{name}.sources.toml", urls_file,
                             workers=setup.workers, host_concurrency=setup.host_concurrency)  # fmt: skip
    return urls_file, sources


def _one(
    setup: Setup, tool: str, urls_file: Path, sources: Path, n: int, block: int, port: int,
    label: str = "",
) -> ToolRun:  # fmt: skip
    if tool == "cli":
        return run_cli(venv_dir=setup.venv_dir, urls_file=urls_file, urls=n, block=block,
                       workdir=setup.workdir, port=port, parallel=setup.parallel, label=label)  # fmt: skip
    return run_ingest(sources=sources, urls=n, block=block, workdir=setup.workdir, port=port,
                      env=setup.env, label=label)  # fmt: skip


def _warm(setup: Setup, pages: list[tuple[str, Path]], port: int) -> ToolRun:
    """One untimed run of each tool (compiled bytecode, OS caches, the shared Prefect server).

    Returns news-ingest's: a first run, which starts the shared Prefect server.
    """
    print(f"[g] warming up both tools on {len(pages)} URLs (untimed) ...", flush=True)
    urls_file, sources = _lists(setup, pages, "warm")
    done = {}
    for tool in ("cli", "ingest"):
        done[tool] = _one(setup, tool, urls_file, sources, len(pages), 0, port, label="warm")
        if not done[tool].ok:
            raise SkippedError(f"the {tool} warm-up run failed (exit {done[tool].exit_code}, "
                               f"{done[tool].extracted} of {len(pages)} extracted); see "
                               f"{setup.workdir}/{tool}-warm-0.log")  # fmt: skip
    return done["ingest"]


def marginal(
    setup: Setup, pages: list[tuple[str, Path]], repeat: int, port: int
) -> list[dict[str, Any]]:
    """Figure 3: 15-outlet and 5-outlet runs and bare trafilatura (defaults) on the extra pages."""
    hosts = {f"127.0.0.{i + 1}" for i in range(OUTLETS)}
    five = [p for p in pages if urlsplit(p[0]).hostname in hosts]
    extra = [p for p in pages if urlsplit(p[0]).hostname not in hosts]
    small, large = _lists(setup, five, "outlets5"), _lists(setup, pages, "outlets15")
    out = []
    for block in range(repeat):
        order = ("bare", "5", "15") if block % 2 == 0 else ("15", "5", "bare")
        item: dict[str, Any] = {"block": block}
        for step in order:
            print(f"[g] marginal block {block + 1}/{repeat}: {step} ...", flush=True)
            if step == "bare":
                item["bare"] = asdict(bare.measure(extra, workers=setup.workers, mode="default"))
                item["bare_pipeline"] = asdict(bare.measure(extra, workers=setup.workers))
                continue
            urls_file, sources = small if step == "5" else large
            count = len(five) if step == "5" else len(pages)
            item[step] = asdict(_one(setup, "ingest", urls_file, sources, count, block, port,
                                     label=f"outlets{step}"))  # fmt: skip
        out.append(item)
    return out


# --------------------------------------------------------------------------- figures


def _spread(values: list[float | None] | list[float] | list[int]) -> dict[str, float] | None:
    known = [float(v) for v in values if v is not None]
    if not known:
        return None
    return {"median": round(statistics.median(known), 3), "min": round(min(known), 3),
            "max": round(max(known), 3), "n": len(known)}  # fmt: skip


def summarize(runs: list[ToolRun], marginal_blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """Per URL count: each tool's seconds, the paired ratios, extraction counts; start-up; marginal."""
    out: dict[str, Any] = {"by_urls": {}}
    for n in sorted({r.urls for r in runs}):
        mine = [r for r in runs if r.urls == n]
        cli = [r for r in mine if r.tool == "cli" and r.ok]
        ingest = [r for r in mine if r.tool == "ingest" and r.ok]
        out["by_urls"][str(n)] = {
            "cli_seconds": _spread([r.seconds for r in cli]),
            "ingest_seconds": _spread([r.seconds for r in ingest]),
            "speed_vs_cli": _spread(_paired(mine)),
            "cli_cpu_seconds": _spread([r.cpu_seconds for r in cli]),
            "ingest_cpu_seconds": _spread([r.cpu_seconds for r in ingest]),
            "cli_extracted": _spread([r.extracted for r in mine if r.tool == "cli"]),
            "cli_json_files_left": _spread([r.detail["json_files_left"] for r in cli]),
            "ingest_articles": _spread([r.extracted for r in mine if r.tool == "ingest"]),
            "failed_runs": [asdict(r) for r in mine if not r.ok],
        }
    ingest = [r for r in runs if r.tool == "ingest" and r.ok]
    cli = [r for r in runs if r.tool == "cli" and r.ok]
    out["startup"] = {
        "ingest_to_first_page": _spread([r.to_first_page for r in ingest]),
        "ingest_to_first_request": _spread([r.to_first_request for r in ingest]),
        "ingest_last_commit_to_exit": _spread([r.tail_seconds for r in ingest]),
        "cli_to_first_request": _spread([r.to_first_request for r in cli]),
        "cli_last_page_to_exit": _spread([r.tail_seconds for r in cli]),
    }
    out["marginal"] = _marginal_figures(marginal_blocks)
    out["load"] = _spread([r.load for r in runs])
    return out


def _paired(runs: list[ToolRun]) -> list[float]:
    """CLI seconds / news-ingest seconds for each adjacent pair of an ABBA block."""
    ratios = []
    for block in sorted({r.block for r in runs}):
        abba = [r for r in runs if r.block == block]
        for cli, ingest in ((abba[0], abba[1]), (abba[3], abba[2])) if len(abba) == 4 else ():
            if cli.ok and ingest.ok:
                ratios.append(round(cli.seconds / ingest.seconds, 4))
    return ratios


def _marginal_figures(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    rows = [row for row in map(_marginal_row, blocks) if row is not None]
    if not rows:
        return {}
    keys = ("seconds", "pages_per_second", "body_pages_per_second", "bare_pages_per_second",
            "bare_pipeline_pages_per_second", "ratio", "cpu_ms_per_page", "bare_cpu_ms_per_page",
            "bare_pipeline_cpu_ms_per_page")  # fmt: skip
    return {
        "pages": rows[0]["pages"],
        **{key: _spread([row[key] for row in rows]) for key in keys},
        "seconds5": _spread([b["5"]["seconds"] for b in blocks if "5" in b]),
        "seconds15": _spread([b["15"]["seconds"] for b in blocks if "15" in b]),
        "articles5": _spread([b["5"]["extracted"] for b in blocks if "5" in b]),
        "articles15": _spread([b["15"]["extracted"] for b in blocks if "15" in b]),
        "bare_texts": _spread([b["bare"]["texts"] for b in blocks if "bare" in b]),
    }  # fmt: skip


def _marginal_row(item: dict[str, Any]) -> dict[str, Any] | None:
    """One block's marginal figures; None unless both runs extracted their pages."""
    small, large, floor = item.get("5"), item.get("15"), item.get("bare")
    if not (small and large and floor) or not (_ok(small) and _ok(large)):
        return None
    pages = large["urls"] - small["urls"]
    seconds = large["seconds"] - small["seconds"]
    rate = pages / seconds if seconds > 0 else None
    body = _body_seconds(large) - _body_seconds(small)
    return {"pages": pages, "seconds": round(seconds, 3), "pages_per_second": rate,
            "body_pages_per_second": pages / body if body > 0 else None,
            "bare_pages_per_second": floor["pages_per_second"],
            "bare_pipeline_pages_per_second": item["bare_pipeline"]["pages_per_second"],
            "ratio": rate / floor["pages_per_second"] if rate else None,
            "cpu_ms_per_page": (large["cpu_seconds"] - small["cpu_seconds"]) * 1000 / pages,
            "bare_cpu_ms_per_page": floor["cpu_ms_mean"] + floor["decode_ms_mean"],
            "bare_pipeline_cpu_ms_per_page": item["bare_pipeline"]["cpu_ms_mean"]
            + item["bare_pipeline"]["decode_ms_mean"]}  # fmt: skip


def _body_seconds(run: dict[str, Any]) -> float:
    """First page request to the last commit: the run without its fixed start-up and exit."""
    return float(run["seconds"] - (run["to_first_page"] or 0) - (run["tail_seconds"] or 0))


def _ok(run: dict[str, Any]) -> bool:
    return bool(run["exit_code"] == 0 and run["extracted"] >= MIN_EXTRACTED * run["urls"])


# --------------------------------------------------------------------------- printing


def _fmt(spread: dict[str, float] | None, unit: str = "", digits: int = 1) -> str:
    if not spread:
        return "n/a"
    median = f"{spread['median']:.{digits}f}{unit}"
    if spread["n"] == 1 or spread["min"] == spread["max"]:
        return median
    return f"{median} [{spread['min']:.{digits}f}-{spread['max']:.{digits}f}]"


def report(results: dict[str, Any]) -> None:
    """Print the comparison's table."""
    if "skipped" in results:
        print(f"\n(g) news-ingest vs the trafilatura CLI: SKIPPED: {results['skipped']}")
        return
    summary, setup = results["summary"], results["setup"]
    print(f"\n(g) news-ingest run vs the trafilatura {TRAFILATURA} CLI: {setup['corpus_pages']} real "
          f"pages ({setup['corpus']}, cycled), {OUTLETS} local outlets, ABBA x{setup['repeat']}, "
          f"load {_fmt(summary['load'])}; wall seconds, median [min-max]")  # fmt: skip
    print(f"    {'URLs':>5}  {'CLI --parallel ' + str(setup['parallel']):<22}{'news-ingest run':<22}"
          f"{'speed vs the CLI':<22}extracted: CLI JSON written (left) / warehouse articles")  # fmt: skip
    for n, fig in summary["by_urls"].items():
        print(f"    {n:>5}  {_fmt(fig['cli_seconds'], ' s'):<22}{_fmt(fig['ingest_seconds'], ' s'):<22}"
              f"{_fmt(fig['speed_vs_cli'], 'x', 2):<22}{_fmt(fig['cli_extracted'], '', 0)} "
              f"({_fmt(fig['cli_json_files_left'], '', 0)}) / {_fmt(fig['ingest_articles'], '', 0)}")  # fmt: skip
        print(f"           CPU seconds (process tree): CLI {_fmt(fig['cli_cpu_seconds'], ' s')}, "
              f"news-ingest {_fmt(fig['ingest_cpu_seconds'], ' s')}")  # fmt: skip
        for failed in fig["failed_runs"]:
            print(f"           FAILED {failed['tool']} run (block {failed['block'] + 1}): exit "
                  f"{failed['exit_code']}, {failed['extracted']} of {n} extracted: left out")  # fmt: skip
    start = summary["startup"]
    print(f"    news-ingest fixed start-up: process start -> first page request "
          f"{_fmt(start['ingest_to_first_page'], ' s')} (first request of any kind "
          f"{_fmt(start['ingest_to_first_request'], ' s')}); last commit -> exit "
          f"{_fmt(start['ingest_last_commit_to_exit'], ' s')}")  # fmt: skip
    first = results["first_run"]
    print(f"    news-ingest's first run (it starts the shared Prefect server; untimed warm-up): "
          f"process start -> first page request {first['to_first_page']} s, last commit -> exit "
          f"{first['tail_seconds']} s")  # fmt: skip
    print(f"    CLI: process start -> first request {_fmt(start['cli_to_first_request'], ' s', 2)}; "
          f"last page request -> exit {_fmt(start['cli_last_page_to_exit'], ' s', 2)}")  # fmt: skip
    _report_marginal(summary["marginal"], setup)


def _report_marginal(fig: dict[str, Any], setup: dict[str, Any]) -> None:
    if not fig:
        print("    marginal throughput: n/a (no complete block)")
        return
    print(f"    marginal: {MARGINAL_OUTLETS} outlets {_fmt(fig['seconds15'], ' s')} - {OUTLETS} "
          f"outlets {_fmt(fig['seconds5'], ' s')} ({setup['outlet_pages']} pages each; articles "
          f"{_fmt(fig['articles15'], '', 0)} / {_fmt(fig['articles5'], '', 0)}): {fig['pages']} pages "
          f"in {_fmt(fig['seconds'], ' s')} = {_fmt(fig['pages_per_second'], ' pages/s')} "
          f"(first page request to last commit: {_fmt(fig['body_pages_per_second'], ' pages/s')})")  # fmt: skip
    print(f"    bare trafilatura (default options, {setup['workers']} processes) on those pages: "
          f"{_fmt(fig['bare_pages_per_second'], ' pages/s')} ({_fmt(fig['bare_texts'], '', 0)} texts); "
          f"news-ingest marginal / bare {_fmt(fig['ratio'], '', 3)}; bare with the pipeline's "
          f"options {_fmt(fig['bare_pipeline_pages_per_second'], ' pages/s')}")  # fmt: skip
    print(f"    CPU per extra page: news-ingest {_fmt(fig['cpu_ms_per_page'], ' ms')} (whole tree), "
          f"bare default options {_fmt(fig['bare_cpu_ms_per_page'], ' ms')}, bare pipeline options "
          f"{_fmt(fig['bare_pipeline_cpu_ms_per_page'], ' ms')} (read and decode included)")  # fmt: skip


# --------------------------------------------------------------------------- main


def run(
    *, corpus: Path, workdir: Path, url_counts: list[int], repeat: int, outlet_pages: int = 36,
    workers: int | None = None, parallel: int = 8, host_concurrency: int = 8,
    cache: Path = CACHE,
) -> dict[str, Any]:  # fmt: skip
    """Every figure of the comparison (raises SkippedError when it cannot run here)."""
    check_corpus(corpus)
    venv_dir = cli_venv(cache)
    workdir.mkdir(parents=True, exist_ok=True)
    setup = Setup(workdir=workdir, venv_dir=venv_dir, env=bench_env(workdir / "prefect-home"),
                  workers=workers or PipelineSettings().workers, parallel=parallel,
                  host_concurrency=host_concurrency)  # fmt: skip
    results: dict[str, Any] = {"setup": {
        "corpus": str(corpus), "corpus_pages": sum(1 for _ in corpus.rglob("*.html.gz")),
        "url_counts": url_counts, "repeat": repeat, "workers": setup.workers,
        "parallel": parallel, "host_concurrency": host_concurrency, "outlet_pages": outlet_pages,
        "cli_venv": str(venv_dir), "cli_lxml": _installed_version(venv_dir / "bin" / "python", "lxml"),
        "command": ingest_command(), "load_start": os.getloadavg()}}  # fmt: skip
    runs, first = _served(workdir / "site-versus", corpus, max(url_counts), OUTLETS,
                          lambda pages, port: versus(setup, pages, url_counts, repeat, port))  # fmt: skip
    blocks = _served(workdir / "site-marginal", corpus, MARGINAL_OUTLETS * outlet_pages,
                     MARGINAL_OUTLETS, lambda pages, port: marginal(setup, pages, repeat, port))  # fmt: skip
    results.update(runs=[asdict(r) for r in runs], first_run=asdict(first), marginal=blocks,
                   summary=summarize(runs, blocks))  # fmt: skip
    results["setup"]["load_end"] = os.getloadavg()
    return results


def _served(
    folder: Path, corpus: Path, pages: int, outlets: int,
    body: Callable[[list[tuple[str, Path]], int], _T],
) -> _T:  # fmt: skip
    """Make a site of real pages, serve it, and call ``body(pages, port)``."""

    listed = make_site(folder, corpus, pages=pages, outlets=outlets)
    manifest = site.load_manifest(folder)
    assert manifest is not None
    server = Server(folder, manifest.port)
    try:
        return body(listed, manifest.port)
    finally:
        server.stop()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench.versus_cli", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS,
                        help=f"saved pages (*.html.gz; default {DEFAULT_CORPUS})")  # fmt: skip
    parser.add_argument("--urls", help="URL counts, comma-separated (default 181,905; --quick 181)")
    parser.add_argument("--repeat", type=int, help="ABBA blocks (default 2; --quick 1)")
    parser.add_argument("--quick", action="store_true", help="one block, 181 URLs")
    parser.add_argument("--outlet-pages", type=int, default=36,
                        help="pages per outlet of the marginal runs (default 36)")  # fmt: skip
    parser.add_argument("--workers", type=int, help="extraction workers (default: the pipeline's)")
    parser.add_argument("--parallel", type=int, default=8, help="the CLI's download threads")
    parser.add_argument("--host-concurrency", type=int, default=8)
    parser.add_argument("--cache", type=Path, default=CACHE, help="where the CLI's venv lives")
    parser.add_argument("--workdir", type=Path, help="keep sites, logs and lists here")
    parser.add_argument("--out", type=Path, help="results file (default bench/results/<time>.json)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the comparison alone; print its table; write its results file."""

    args = _parser().parse_args(argv)
    url_counts = [int(n) for n in (args.urls or ("181" if args.quick else "181,905")).split(",")]
    repeat = args.repeat or (1 if args.quick else 2)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="news-ingest-versus-"))
    results: dict[str, Any] = {"machine": machine(), "started": datetime.now(UTC).isoformat()}
    try:
        results.update(run(corpus=args.corpus, workdir=workdir, url_counts=url_counts,
                           repeat=repeat, outlet_pages=args.outlet_pages, workers=args.workers,
                           parallel=args.parallel, host_concurrency=args.host_concurrency,
                           cache=args.cache))  # fmt: skip
    except SkippedError as exc:
        print(f"bench.versus_cli: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    out = write_results(results, "versus-cli", args.out)
    report(results)
    print(f"\nresults written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
