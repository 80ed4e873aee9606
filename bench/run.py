"""``make bench``: the pipeline's cost against bare extraction, reruns, memory, index, start-up.

One run, on the same pages and cores, measures and prints, with the ratios
against the targets of issue 7:

(a) bare trafilatura extraction of every page with W worker processes
    (:mod:`bench.bare`);
(b) ``news-ingest run`` from feeds and sitemaps to DuckDB over the same pages,
    served by a local multi-host site (:mod:`bench.site`), split by stage
    (:mod:`bench.driver`); throughput is taken over the flow body, with the
    fixed start-up (imports, Prefect's temporary server) reported apart;
(c) a second and a third run over the unchanged sources: with the site
    honouring conditional requests, and with its feeds and sitemaps ignoring
    them (every URL is discovered again); per-page cost against the first
    run, and how many pages went through extraction again (must be 0);
(d) peak RSS of the run's whole process tree, workers and Prefect server
    included (:mod:`bench.procs`);
(e) near-duplicate index lookup per article at 10k vs 1M stored articles
    (:mod:`bench.lsh_index`);
(f) ``make run`` on the seeds with the venv present (:mod:`bench.makerun`);
(g) ``news-ingest run`` against the trafilatura CLI on real pages served
    locally, wall seconds side by side in ABBA order, with its fixed start-up
    and marginal throughput (:mod:`bench.versus_cli`; needs the fundus corpus,
    ``--corpus`` or ../shared/corpus/fundus, and says so when it is absent);
(h) the lake warehouse of issue 17 against the DuckDB file (:mod:`bench.lake`,
    on a throwaway PostgreSQL from scripts/postgres.sh): storing a batch per
    page, lake vs file (ABBA); dedupe lookups per article at 1M vs 10k stored
    articles; two concurrent lake writers vs one (needs the corpus too).

(a)-(d) are repeated ``--repeat`` times, interleaved, because other work on
the machine moves absolute figures: ratios are paired per repeat, and every
figure is given as median [min-max]. Results go to bench/results/*.json.

    make bench                                   # default: 2000 pages, 2 workers, 2 repeats
    BENCH_PAGES=20000 make bench                 # the full target (about an hour on 2 cores)
    .venv/bin/python -m bench.run --pages 500 --workers 2,3 --repeat 3 --only abcd
    .venv/bin/python -m bench.run --corpus ../shared/corpus/fundus --pages 1000
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import bare, lake, lsh_index, site, versus_cli
from bench.harness import REPO, Server, machine, write_results
from bench.makerun import time_make_run
from bench.pipeline import (
    PipelineRun,
    bench_env,
    run_pipeline,
    server_stats,
    set_server_mode,
    sources_file,
)

DEFAULT_PAGES = int(os.environ.get("BENCH_PAGES", "2000"))
FULL_PAGES = 20_000
# --------------------------------------------------------------------------- setup


def _same_corpus(stored: str | None, wanted: Path | None) -> bool:
    """Whether a manifest's corpus folder is the one asked for (both None: synthetic)."""
    if stored is None or wanted is None:
        return stored is None and wanted is None
    return Path(stored).resolve() == wanted.resolve()


def prepare_site(args: argparse.Namespace, workdir: Path) -> tuple[Path, site.Manifest]:
    """Generate the site (or reuse ``--site-dir`` when it matches the options)."""
    folder = args.site_dir or workdir / "site"
    existing = site.load_manifest(folder)
    wanted_kind = "corpus" if args.corpus else "synthetic"
    if (
        existing is not None
        and existing.pages == args.pages
        and existing.seed == args.seed
        and existing.kind == wanted_kind
        and len(existing.sites) == args.sites
        and _same_corpus(existing.corpus, args.corpus)
        and _port_free(existing.port)
    ):
        print(f"reusing the site under {folder}")
        return folder, existing
    if folder.exists():
        shutil.rmtree(folder)
    started = time.perf_counter()
    port = site.free_port()
    if args.corpus:
        manifest = site.from_corpus(
            folder, args.corpus, pages=args.pages, port=port, sites=args.sites
        )
    else:
        manifest = site.generate(
            folder, pages=args.pages, seed=args.seed, sites=args.sites, port=port,
            jobs=os.cpu_count() or 1,
        )  # fmt: skip
    print(
        f"generated {manifest.pages} pages ({manifest.page_bytes / 2**20:.0f} MiB, "
        f"{manifest.copies} syndicated copies, {len(manifest.sites)} hosts) in "
        f"{time.perf_counter() - started:.0f} s under {folder}"
    )
    return folder, manifest


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


# --------------------------------------------------------------------------- one repeat


def one_repeat(
    *,
    repeat: int,
    workers: int,
    pages: list[tuple[str, Path]],
    manifest: site.Manifest,
    server: Server,
    workdir: Path,
    env: dict[str, str],
    parts: str,
    args: argparse.Namespace,
) -> dict[str, Any]:
    """(a) bare extraction, then (b) a first run, then (c) two reruns, with W workers."""
    label = f"r{repeat}-w{workers}"
    out: dict[str, Any] = {"repeat": repeat, "workers": workers}
    if "a" in parts:
        print(f"[{label}] (a) bare extraction of {len(pages)} pages, {workers} processes ...")
        out["bare"] = asdict(bare.measure(pages, workers=workers))
        print(f"[{label}]     {out['bare']['pages_per_second']:.1f} pages/s")
    if not set("bcd") & set(parts):
        return out
    sources = sources_file(
        workdir / f"{label}.sources.toml", manifest, workers=workers,
        host_concurrency=args.host_concurrency, batch_size=args.batch_size,
    )  # fmt: skip
    db = workdir / f"{label}.duckdb"
    for stale in workdir.glob(f"{label}.*duckdb*"):  # the first run starts from nothing
        stale.unlink()
    common: dict[str, Any] = {"sources": sources, "db": db, "workdir": workdir, "env": env,
              "server_pid": server.process.pid, "port": server.port, "workers": workers}  # fmt: skip
    set_server_mode(server.port, validators=True)
    # With --ab the two trees alternate which goes first, so drift in the load cancels out.
    order = ["this", "ab"] if args.ab_code is not None else ["this"]
    for which in order if repeat % 2 == 0 else reversed(order):
        if which == "this":
            print(f"[{label}] (b) news-ingest run, {workers} workers ...")
            first = run_pipeline(label=f"{label}-first", **common)
            out["first"] = _run_dict(first)
            print(f"[{label}]     {first.pages_per_second:.1f} pages/s over the flow body "
                  f"({first.extracted} pages, body {first.body_seconds:.1f} s, "
                  f"wall {first.wall_seconds:.1f} s)")  # fmt: skip
            continue
        print(f"[{label}] (b) news-ingest run as of {args.ab}, {workers} workers ...")
        for stale in workdir.glob(f"{label}-ab.*duckdb*"):
            stale.unlink()
        other = run_pipeline(
            label=f"{label}-ab-first",
            code=args.ab_code,
            **{**common, "db": workdir / f"{label}-ab.duckdb"},
        )
        out["ab_first"] = _run_dict(other)
        print(f"[{label}]     {other.pages_per_second:.1f} pages/s (as of {args.ab})")
    if "c" in parts:
        print(f"[{label}] (c) rerun, validators honoured ...")
        out["rerun"] = _run_dict(run_pipeline(label=f"{label}-rerun", **common))
        print(f"[{label}] (c) rerun, feeds and sitemaps without validators ...")
        set_server_mode(server.port, validators=False)
        try:
            out["rerun_no_validators"] = _run_dict(
                run_pipeline(label=f"{label}-rerun-novalidators", **common)
            )
        finally:
            set_server_mode(server.port, validators=True)
    if not args.keep:
        db.unlink(missing_ok=True)
    return out


def _run_dict(run: PipelineRun) -> dict[str, Any]:
    data = asdict(run)
    data["pages_per_second"] = round(run.pages_per_second, 3)
    if run.error:
        print(f"    run {run.label} failed: {run.error}", file=sys.stderr)
    return data


# --------------------------------------------------------------------------- figures


def _spread(values: list[float]) -> dict[str, float] | None:
    values = [v for v in values if v is not None]
    if not values:
        return None
    return {"median": round(statistics.median(values), 4), "min": round(min(values), 4),
            "max": round(max(values), 4), "n": len(values)}  # fmt: skip


def figures(repeats: list[dict[str, Any]], manifest: site.Manifest) -> dict[str, Any]:
    """Per worker count: each figure and paired ratio as median [min-max] over repeats."""
    by_workers: dict[int, list[dict[str, Any]]] = {}
    for item in repeats:
        by_workers.setdefault(item["workers"], []).append(item)
    out: dict[str, Any] = {}
    for workers, items in sorted(by_workers.items()):
        rows = [_row(item, manifest.pages) for item in items]
        out[str(workers)] = {
            key: _spread([row[key] for row in rows if row.get(key) is not None])
            for key in sorted({k for row in rows for k in row})
        }
    return out


def _row(item: dict[str, Any], pages: int) -> dict[str, Any]:
    row: dict[str, Any] = {}
    bare_run, first = item.get("bare"), item.get("first")
    if bare_run:
        row["bare_pages_per_second"] = bare_run["pages_per_second"]
        row["bare_cpu_ms_per_page"] = bare_run["cpu_ms_mean"] + bare_run["decode_ms_mean"]
    if first:
        extracted = max(1, first["extracted"])
        row["e2e_pages_per_second"] = first["pages_per_second"]
        row["e2e_pages_per_second_with_startup"] = round(extracted / first["wall_seconds"], 3)
        row["startup_seconds"] = first["startup_seconds"]
        row["teardown_seconds"] = first["teardown_seconds"]
        row["peak_rss_mib"] = round(first["peak_rss_bytes"] / 2**20, 1)
        row["peak_rss_mib_main"] = round(first["peak_rss_by_kind"].get("main", 0) / 2**20, 1)
        # CPU of the flow body only: start-up is a fixed cost, reported apart.
        cpu = first["body_cpu_seconds"]
        row["cpu_ms_per_page_total"] = round(sum(cpu.values()) * 1000 / extracted, 2)
        for kind, seconds in cpu.items():
            row[f"cpu_ms_per_page_{kind}"] = round(seconds * 1000 / extracted, 2)
        row["startup_cpu_seconds"] = round(
            sum(first["cpu_seconds"].values()) - sum(cpu.values()), 2
        )
        row["worker_idle_share"] = first["idle"].get("idle_share")
        row["missing_pages"] = pages - first["extracted"]
        if bare_run:
            row["ratio_e2e_vs_bare"] = round(
                first["pages_per_second"] / bare_run["pages_per_second"], 4
            )
            row["ratio_cpu_bare_vs_pipeline"] = round(
                row["bare_cpu_ms_per_page"] / row["cpu_ms_per_page_total"], 4
            )
        other = item.get("ab_first")
        if other and other["extracted"]:
            row["ab_pages_per_second"] = other["pages_per_second"]
            row["ratio_current_vs_ab"] = round(
                first["pages_per_second"] / other["pages_per_second"], 4
            )
            row["ab_cpu_ms_per_page_main"] = round(
                other["body_cpu_seconds"].get("main", 0) * 1000 / other["extracted"], 2
            )
            row["ab_worker_idle_share"] = other["idle"].get("idle_share")
            row["ab_peak_rss_mib"] = round(other["peak_rss_bytes"] / 2**20, 1)
            row["ab_peak_rss_mib_main"] = round(other["peak_rss_by_kind"].get("main", 0) / 2**20, 1)
            if bare_run:
                row["ab_ratio_vs_bare"] = round(
                    other["pages_per_second"] / bare_run["pages_per_second"], 4
                )
        first_per_page = first["body_seconds"] / extracted
        for key in ("rerun", "rerun_no_validators"):
            rerun = item.get(key)
            if rerun:
                row[f"{key}_ms_per_page"] = round(rerun["body_seconds"] * 1000 / extracted, 3)
                row[f"{key}_ratio"] = round(rerun["body_seconds"] / extracted / first_per_page, 4)
                row[f"{key}_reextracted"] = rerun["extracted"]
                row[f"{key}_fixed_seconds"] = round(
                    rerun["startup_seconds"] + rerun["teardown_seconds"], 2
                )
    return row


def verdicts(summary: dict[str, Any], results: dict[str, Any], pages: int) -> list[dict[str, Any]]:
    """Each target of issue 7 with the measured value and whether it holds."""
    checks: list[dict[str, Any]] = []
    for workers, fig in summary.items():

        def med(key: str, fig: dict[str, Any] = fig) -> float | None:
            value = fig.get(key)
            return value["median"] if value else None

        checks.append(_check(f"end-to-end / bare throughput (W={workers})",
                             med("ratio_e2e_vs_bare"), ">=", 0.85))  # fmt: skip
        for key, name in (
            ("rerun", "validators honoured"),
            ("rerun_no_validators", "no validators"),
        ):
            checks.append(_check(f"rerun per-page / first run per-page, {name} (W={workers})",
                                 med(f"{key}_ratio"), "<=", 0.05))  # fmt: skip
            reextracted = fig.get(f"{key}_reextracted")
            if reextracted:
                checks.append(_check(f"pages re-extracted on rerun, {name} (W={workers})",
                                     reextracted["max"], "<=", 0))  # fmt: skip
        # The target bounds every run, so the worst repeat decides (as re-extraction does).
        peak = fig.get("peak_rss_mib")
        rss = peak["max"] if peak else None
        check = _check(f"peak RSS GiB at {pages} pages (W={workers})",
                       rss / 1024 if rss is not None else None, "<=", 1.0)  # fmt: skip
        if pages < FULL_PAGES:
            check["note"] = (
                f"the target is for {FULL_PAGES} pages: BENCH_PAGES={FULL_PAGES} make bench"
            )
        checks.append(check)
    lsh = results.get("lsh", {}).get("strategies", {})
    if "pipeline" in lsh:  # the reference strategies are shown for comparison only
        checks.append(_check("index lookup per article, largest / smallest index (pipeline)",
                             lsh["pipeline"]["ratio"], "<=", 2.0))  # fmt: skip
    lake_figures = results.get("lake", {})
    if "store" in lake_figures:
        checks.append(_check("lake / DuckDB file, storing a batch per page",
                             lake_figures["store"]["ratio"], "<=", 2.0))  # fmt: skip
        checks.append(_check("lake / DuckDB file without its search index, storing per page",
                             lake_figures["store"]["ratio_nosearch"], "<=", 2.0))  # fmt: skip
    if "lookups" in lake_figures:
        sizes = lake_figures["lookups"]["sizes"]
        checks.append(_check(f"lake dedupe lookups per article, {sizes[-1]['articles']:,} / "
                             f"{sizes[0]['articles']:,} stored articles",
                             lake_figures["lookups"]["ratio"], "<=", 2.0))  # fmt: skip
    if "writers" in lake_figures:
        checks.append(_check("two lake writers / one, combined throughput",
                             lake_figures["writers"]["ratio"], ">=", 1.6))  # fmt: skip
    make_run = results.get("make_run")
    if make_run:
        checks.append(_check("make run seconds (warm Prefect home)",
                             make_run["warm"]["seconds"], "<", 30.0))  # fmt: skip
    return checks


def _check(name: str, value: float | None, op: str, target: float) -> dict[str, Any]:
    if value is None:
        return {"target": name, "value": None, "op": op, "limit": target, "holds": None}
    holds = {">=": value >= target, "<=": value <= target, "<": value < target}[op]
    return {"target": name, "value": round(value, 4), "op": op, "limit": target, "holds": holds}


# --------------------------------------------------------------------------- printing


def _fmt(spread: dict[str, float] | None, unit: str = "", digits: int = 1) -> str:
    if not spread:
        return "n/a"
    median = f"{spread['median']:.{digits}f}"
    if spread["n"] == 1:
        return f"{median}{unit}"
    return f"{median}{unit} [{spread['min']:.{digits}f}-{spread['max']:.{digits}f}]"


def report(results: dict[str, Any]) -> None:
    """Print every figure and the target verdicts."""
    m, man = results["machine"], results["site"]
    print()
    print(f"news-ingest benchmark: {man['pages']} pages ({man['kind']}, {len(man['sites'])} hosts, "
          f"{man['copies']} syndicated copies, {man['page_bytes'] / man['pages'] / 1024:.0f} KiB/page)")  # fmt: skip
    print(f"machine: {m['cpus']} CPUs, {m['memory_gib']} GiB, Python {m['python']}, commit {m['commit']}, "
          f"load {m['load_average_start'][0]:.1f} -> {m['load_average_end'][0]:.1f}")  # fmt: skip
    for workers, fig in results["summary"].items():
        print(
            f"\n-- {workers} extraction workers, {results['args']['repeat']} repeat(s): median [min-max]"
        )
        print(f"(a) bare trafilatura    {_fmt(fig.get('bare_pages_per_second'), ' pages/s')}"
              f"   CPU {_fmt(fig.get('bare_cpu_ms_per_page'), ' ms/page')}")  # fmt: skip
        print(f"(b) news-ingest run     {_fmt(fig.get('e2e_pages_per_second'), ' pages/s')} over the flow body; "
              f"{_fmt(fig.get('e2e_pages_per_second_with_startup'), ' pages/s')} with start-up")  # fmt: skip
        print(f"    ratio to bare       {_fmt(fig.get('ratio_e2e_vs_bare'), '', 3)}  (target >= 0.85); "
              f"CPU-cost ratio {_fmt(fig.get('ratio_cpu_bare_vs_pipeline'), '', 3)}")  # fmt: skip
        print(f"    fixed start-up      {_fmt(fig.get('startup_seconds'), ' s')} + teardown "
              f"{_fmt(fig.get('teardown_seconds'), ' s')}")  # fmt: skip
        cpu = ", ".join(
            f"{k.removeprefix('cpu_ms_per_page_')} {_fmt(v, '', 2)}"
            for k, v in sorted(fig.items()) if k.startswith("cpu_ms_per_page_") and v
        )  # fmt: skip
        print(f"    CPU ms per page     {cpu} (flow body; start-up and teardown "
              f"{_fmt(fig.get('startup_cpu_seconds'), ' CPU s')})")  # fmt: skip
        print(f"    workers idle        {_fmt(fig.get('worker_idle_share'), '', 3)} of worker time")
        for key, name in (
            ("rerun", "validators honoured"),
            ("rerun_no_validators", "no validators"),
        ):
            print(f"(c) rerun, {name:<20} {_fmt(fig.get(f'{key}_ms_per_page'), ' ms/page', 3)}, ratio "
                  f"{_fmt(fig.get(f'{key}_ratio'), '', 4)} (target <= 0.05), re-extracted "
                  f"{_fmt(fig.get(f'{key}_reextracted'), '', 0)}, fixed {_fmt(fig.get(f'{key}_fixed_seconds'), ' s')}")  # fmt: skip
        print(f"(d) peak RSS            {_fmt(fig.get('peak_rss_mib'), ' MiB', 0)} (whole tree; "
              f"main process {_fmt(fig.get('peak_rss_mib_main'), ' MiB', 0)})")  # fmt: skip
        if fig.get("ratio_current_vs_ab"):
            ref = results["args"].get("ab")
            print(f"A/B vs {ref}:  {_fmt(fig.get('ab_pages_per_second'), ' pages/s')} as of {ref}; "
                  f"this tree / {ref} {_fmt(fig.get('ratio_current_vs_ab'), '', 3)}; {ref} / bare "
                  f"{_fmt(fig.get('ab_ratio_vs_bare'), '', 3)}; main CPU {_fmt(fig.get('ab_cpu_ms_per_page_main'), ' ms/page', 2)}, "
                  f"idle {_fmt(fig.get('ab_worker_idle_share'), '', 3)}, peak RSS "
                  f"{_fmt(fig.get('ab_peak_rss_mib'), ' MiB', 0)} (main {_fmt(fig.get('ab_peak_rss_mib_main'), ' MiB', 0)})")  # fmt: skip
    _report_stages(results)
    lsh = results.get("lsh")
    if lsh:
        for note in lsh["notes"]:
            print(f"(e) note: {note}")
        for name, data in lsh["strategies"].items():
            sizes = ", ".join(
                f"{r['articles']:,}: {r['per_article_ms']:.3f} ms" for r in data["sizes"]
            )
            ratio = "not measured" if data["ratio"] is None else f"{data['ratio']:.1f}"
            print(f"(e) lookup per article, {name}: {sizes}; ratio {ratio} (target <= 2)")
    make_run = results.get("make_run")
    if make_run:
        split = make_run["split"]
        print(f"(f) make run            {make_run['warm']['seconds']:.1f} s (cold Prefect home "
              f"{make_run['cold_prefect_home']['seconds']:.1f} s, rerun {make_run['rerun']['seconds']:.1f} s)")  # fmt: skip
        if "error" not in split:
            print(f"    split: python+imports {split['python_and_imports']:.1f} s, Prefect start-up "
                  f"{split['prefect_startup']:.1f} s, flow {split['flow_body']:.1f} s, "
                  f"teardown {split['teardown']:.1f} s")  # fmt: skip
    if "versus_cli" in results:
        versus_cli.report(results["versus_cli"])
    print("\ntargets:")
    for check in results["verdicts"]:
        mark = {True: "holds", False: "MISSED", None: "not measured"}[check["holds"]]
        note = f"  ({check['note']})" if check.get("note") else ""
        print(
            f"  {mark:>12}  {check['target']}: {check['value']} {check['op']} {check['limit']}{note}"
        )


def _report_stages(results: dict[str, Any]) -> None:
    """Stage split of the last first run (the most representative of its repeat)."""
    firsts = [r["first"] for r in results["repeats"] if r.get("first")]
    if not firsts:
        return
    run = firsts[-1]
    stages = run["stages"]

    def wall(name: str) -> str:
        return f"{stages[name]['wall']:.1f}" if name in stages else "-"

    def secs(name: str) -> float:
        return float(stages[name]["seconds"]) if name in stages else 0.0

    task_overhead = secs("task_call") - secs("task_body")
    print(
        f"\nstages of {run['label']} (seconds; 'active' = wall time with at least one in progress):"
    )
    print(f"    start-up {run['startup_seconds']:.1f} (imports {secs('import'):.1f}, Prefect server "
          f"and flow run creation), flow body {run['body_seconds']:.1f}, teardown {run['teardown_seconds']:.1f}")  # fmt: skip
    print(f"    discovery {wall('discovery')}, fetch active {wall('fetch_page')}, extraction active "
          f"{wall('extract')}, persist {secs('persist'):.2f}, state lookups {secs('state_lookup'):.2f}, "
          f"db open/close {secs('db_open') + secs('db_close'):.2f}, Prefect task overhead {task_overhead:.2f}")  # fmt: skip
    idle = run["idle"]
    if idle:
        by_stage = ", ".join(f"{k} {v:.1f}" for k, v in idle["by_stage"].items())
        print(f"    workers idle {idle['idle_worker_seconds']:.1f} of {idle['worker_seconds']:.1f} "
              f"worker-seconds, while the main process was in: {by_stage}")  # fmt: skip
    for note in run["notes"]:
        print(f"    note: {note}")


# --------------------------------------------------------------------------- main


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bench.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=DEFAULT_PAGES,
                        help=f"article pages to serve (default {DEFAULT_PAGES}, env BENCH_PAGES)")  # fmt: skip
    parser.add_argument(
        "--workers", default="2", help="extraction worker counts to compare, e.g. 2,3"
    )
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--only", default="abcdefgh", help="which figures (letters a-h)")
    parser.add_argument("--corpus", type=Path, help="serve real saved pages (*.html.gz) from here")
    parser.add_argument("--sites", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--host-concurrency", type=int, default=8)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--versus-urls", default="181,905", help="(g) URL counts")
    parser.add_argument("--lsh-sizes", default="10000,1000000")
    parser.add_argument("--lsh-strategies", default="pipeline,join")
    parser.add_argument(
        "--ab",
        metavar="GITREF",
        help="also run (b) with the pipeline as of GITREF, interleaved, for before/after ratios",
    )
    parser.add_argument("--site-dir", type=Path, help="generate into (or reuse) this folder")
    parser.add_argument("--workdir", type=Path, help="keep databases and logs here")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--out", type=Path, help="results file (default bench/results/<time>.json)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the figures; write them to a JSON file."""
    args = _parser().parse_args(argv)
    parts = args.only
    worker_counts = [int(w) for w in args.workers.split(",")]
    results: dict[str, Any] = {"machine": machine(), "args": {k: str(v) for k, v in vars(args).items()},
                               "started": datetime.now(UTC).isoformat(), "repeats": []}  # fmt: skip
    results["args"]["repeat"] = args.repeat
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="news-ingest-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        _run_all(args, parts, worker_counts, workdir, results)
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    results["machine"]["load_average_end"] = os.getloadavg()
    results["finished"] = datetime.now(UTC).isoformat()
    manifest_pages = results["site"]["pages"] if "site" in results else 0
    results["verdicts"] = verdicts(results.get("summary", {}), results, manifest_pages)
    out = write_results(results, "bench", args.out)
    if "site" in results:
        report(results)
    elif "versus_cli" in results:
        versus_cli.report(results["versus_cli"])
    if "lake" in results and "skipped" not in results["lake"]:
        lake.report(results["lake"])
    print(f"\nresults written to {out}")
    return 0


def _run_all(
    args: argparse.Namespace,
    parts: str,
    worker_counts: list[int],
    workdir: Path,
    results: dict[str, Any],
) -> None:
    env = bench_env(workdir / "prefect-home")
    args.ab_code = _export(args.ab, workdir / "ab-code") if args.ab else None
    if "f" in parts:
        print("(f) make run on the seeds (cold Prefect home, warm, rerun) ...")
        results["make_run"] = time_make_run(REPO, workdir, env)
    if set("abcde") & set(parts):
        _run_site_parts(args, parts, worker_counts, workdir, results, env)
    if "g" in parts:
        results["versus_cli"] = _versus(args, workdir)
    if "h" in parts:
        results["lake"] = _lake(args, workdir)


def _run_site_parts(
    args: argparse.Namespace,
    parts: str,
    worker_counts: list[int],
    workdir: Path,
    results: dict[str, Any],
    env: dict[str, str],
) -> None:
    folder, manifest = prepare_site(args, workdir)
    results["site"] = asdict(manifest)
    pages = list(site.page_files(folder))
    if set("abcd") & set(parts):
        server = Server(folder, manifest.port)
        try:
            if "f" not in parts:
                _warm_prefect(env, workdir)
            for repeat in range(args.repeat):
                for workers in worker_counts:
                    results["repeats"].append(
                        one_repeat(repeat=repeat, workers=workers, pages=pages, manifest=manifest,
                                   server=server, workdir=workdir, env=env, parts=parts, args=args)
                    )  # fmt: skip
            results["server"] = server_stats(server.port)
        finally:
            server.stop()
        results["summary"] = figures(results["repeats"], manifest)
    if "e" in parts:
        print("(e) near-duplicate index lookups ...")
        sizes = [int(s) for s in args.lsh_sizes.split(",")]
        results["lsh"] = lsh_index.run(sizes, args.lsh_strategies.split(","), folder=workdir)


def _versus(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """(g) news-ingest run vs the trafilatura CLI, or why it was skipped."""
    print("(g) news-ingest run vs the trafilatura CLI on real pages ...")
    try:
        return versus_cli.run(
            corpus=args.corpus or versus_cli.DEFAULT_CORPUS,
            workdir=workdir / "versus",
            url_counts=[int(n) for n in args.versus_urls.split(",")],
            repeat=args.repeat,
        )
    except versus_cli.SkippedError as exc:
        print(f"(g) skipped: {exc}")
        return {"skipped": str(exc)}


def _lake(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """(h) the lake warehouse against the DuckDB file, or why it was skipped."""
    print("(h) lake warehouse: storing, lookups at 1M, two writers ...")
    folder = workdir / "lake"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        return lake.run(
            corpus=args.corpus or lake.DEFAULT_CORPUS, only={"store", "lookups", "writers"},
            repeat=max(2, 2 * args.repeat), batch_size=50, limit=None,
            sizes=[int(s) for s in args.lsh_sizes.split(",")], bands=40, lookup_batches=12,
            workdir=folder,
        )  # fmt: skip
    except lake.SkippedError as exc:
        print(f"(h) skipped: {exc}")
        return {"skipped": str(exc)}


def _export(ref: str, folder: Path) -> Path:
    """The repository's tree at ``ref``, extracted into ``folder`` (git archive, no checkout)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", ref],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def _warm_prefect(env: dict[str, str], workdir: Path) -> None:
    """One untimed run on the seeds, so Prefect's database exists before the timed runs."""
    command = [sys.executable, "-m", "flows.app.cli", "run", "--sources", str(REPO / "seeds" / "sources.toml"),
               "--db", str(workdir / "warm.duckdb")]  # fmt: skip
    subprocess.run(command, env=env, capture_output=True, check=False)


if __name__ == "__main__":
    raise SystemExit(main())
