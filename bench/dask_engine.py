"""The Dask engine against the local pool, on the same pages, ratios side by side in one run.

    .venv/bin/python -m bench.dask_engine [--pages 600] [--repeat 3] [--corpus DIR | --synthetic]

A Dask cluster is started as a user would start one on this machine: ``dask
scheduler`` and two ``news-ingest worker --nthreads 1`` (each a nanny and one
single-threaded worker process, which extracts the pages itself). Then, in ABBA order, ``news-ingest run`` (:mod:`bench.pipeline`: the
driver's stage timers, the run's process tree sampled) over the pages served
by a local multi-host site, once with the local pool of 2 workers and once with
``--engine dask``, each into a fresh warehouse, after one warm-up run of each.
The Dask workers are restarted before each measured run, so both engines load
the extractor during the run (in a backfill the Dask workers keep
theirs from run to run: an advantage these figures leave out). Per repeat it
reports:

- throughput over the flow body (extracted pages / s) of each engine, and the
  ratio Dask / local (the target is >= 0.90);
- the flow process's CPU per page during the body (fetching, dedupe, storing,
  Prefect, and with Dask the client): what bounds how many workers one flow
  process can feed;
- the cluster's CPU per page (scheduler, workers and their extraction
  processes, the whole run), and from both the projected ceiling: pages/s one
  flow-process core can feed = 1 / flow CPU per page, and how many worker
  cores that is = ceiling x worker CPU per page.

Pages: the fundus corpus (real news pages, ../shared/corpus/fundus) when
present, else the synthetic site. Results go to bench/results/dask_engine-*.json.
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
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import site
from bench.harness import REPO, Server, machine, write_results
from bench.pipeline import PipelineRun, bench_env, run_pipeline, shared_server_home, sources_file
from bench.procs import group_cpu_seconds, processes
from flows.prefect_server import stop_server

CORPUS = REPO.parent / "shared" / "corpus" / "fundus"
WORKERS = 2


@dataclass
class Cluster:
    """A scheduler and its workers, each a process group of its own."""

    address: str
    groups: list[int]

    def restart_workers(self) -> None:
        """New worker processes: the run loads their extractor, as the local pool's processes."""
        from distributed import Client

        with Client(self.address, timeout=60) as client:
            client.restart(wait_for_workers=True, timeout=120)

    def cpu_seconds(self) -> float:
        """CPU seconds of every process of the cluster so far."""
        return sum(group_cpu_seconds(group) for group in self.groups)

    def cpu_by_role(self) -> dict[str, float]:
        """CPU seconds so far of the scheduler, the nannies, the Dask worker processes and
        their extraction processes if any (a worker group: nanny, its worker, the worker's
        pebble pool, which a single-threaded worker only starts for a chunk sent again)."""
        roles: dict[str, float] = {}
        scheduler, *workers = self.groups
        for pid, ppid, group, seconds in processes():
            if group == scheduler:
                role = "scheduler"
            elif group in workers:
                role = "nanny" if pid == group else "dask-worker" if ppid == group else "extraction"
            else:
                continue
            roles[role] = roles.get(role, 0.0) + seconds
        return roles


@contextmanager
def cluster(workers: int, env: dict[str, str]) -> Iterator[Cluster]:
    """``dask scheduler`` and ``workers`` single-threaded ``news-ingest worker`` processes."""
    from distributed import Client

    port = site.free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                 "--port", str(port), "--dashboard-address", ":0"]  # fmt: skip
    worker = [sys.executable, "-m", "flows.app.cli", "worker", "--scheduler", address,
              "--nthreads", "1"]  # fmt: skip
    processes = [_start(scheduler, env)]
    time.sleep(1.0)  # the workers' check of the scheduler should find it up
    processes += [_start(worker, env) for _ in range(workers)]
    try:
        with Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)
        yield Cluster(address, [p.pid for p in processes])
    finally:
        for process in reversed(processes):
            _stop(process)


def _start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A process group of its own (to count and stop it), in this session: with the kernel's
    autogroup scheduling each session gets its own CPU share, and on a loaded machine a
    cluster in sessions of its own would get more CPU than the local pool in this one."""
    return subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        process_group=0,
    )  # fmt: skip


def _stop(process: subprocess.Popen[bytes]) -> None:
    import signal

    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def figures(run: PipelineRun, cluster_cpu: float | None) -> dict[str, Any]:
    """What the comparison reads of one run."""
    pages = max(1, run.extracted)
    out = {
        "pages": run.extracted,
        "pages_per_second": round(run.pages_per_second, 2),
        "body_seconds": run.body_seconds,
        "flow_cpu_ms_per_page": round(1000 * run.body_cpu_seconds.get("main", 0.0) / pages, 2),
        "worker_cpu_ms_per_page": round(1000 * run.cpu_seconds.get("worker", 0.0) / pages, 2),
        "tree_cpu_seconds": run.cpu_seconds,
        "load_average_after": round(os.getloadavg()[0], 2),  # other work on the machine
        "exit_code": run.exit_code,
        "error": run.error,
        "counters": run.counters,
    }
    if cluster_cpu is not None:
        out["cluster_cpu_ms_per_page"] = round(1000 * cluster_cpu / pages, 2)
    return out


def one_repeat(
    repeat: int, *, common: dict[str, Any], dask: Cluster, workdir: Path
) -> dict[str, Any]:
    """One local run and one Dask run (alternating which goes first)."""
    out: dict[str, Any] = {"repeat": repeat}
    order = ["local", "dask"] if repeat % 2 == 0 else ["dask", "local"]
    for engine in order:
        db = workdir / f"r{repeat}-{engine}.duckdb"
        for stale in workdir.glob(f"r{repeat}-{engine}.*duckdb*"):
            stale.unlink()
        extra: tuple[str, ...] = ()
        env = common["env"]
        if engine == "dask":
            extra = ("--engine", "dask", "--scheduler", dask.address)
            env = {**env, "BENCH_ENGINE": "dask"}
        if engine == "dask":
            dask.restart_workers()
        before, roles = dask.cpu_seconds(), dask.cpu_by_role()
        run = run_pipeline(label=f"r{repeat}-{engine}", db=db, extra=extra,
                           **{**common, "env": env})  # fmt: skip
        cluster_cpu = dask.cpu_seconds() - before if engine == "dask" else None
        if run.exit_code != 0 or not run.extracted:
            raise SystemExit(f"run {run.label} failed: {run.error or 'no page extracted'}")
        out[engine] = figures(run, cluster_cpu)
        if engine == "dask":
            after = dask.cpu_by_role()
            out[engine]["cluster_cpu_ms_per_page_by_role"] = {
                role: round(1000 * (after[role] - roles.get(role, 0.0)) / max(1, run.extracted), 2)
                for role in sorted(after)
            }
        print(f"[r{repeat}] {engine:5s} {run.pages_per_second:6.1f} pages/s, "
              f"flow CPU {out[engine]['flow_cpu_ms_per_page']:.2f} ms/page"
              + (f", cluster CPU {out[engine]['cluster_cpu_ms_per_page']:.2f} ms/page"
                 if cluster_cpu is not None else "")
              + f", load {os.getloadavg()[0]:.1f}")  # fmt: skip
        db.unlink(missing_ok=True)
    out["ratio"] = round(
        out["dask"]["pages_per_second"] / max(out["local"]["pages_per_second"], 1e-9), 3
    )
    return out


def summary(repeats: list[dict[str, Any]]) -> dict[str, Any]:
    """Median [min-max] of the figures, and the projected ceiling of one flow process."""

    def spread(values: list[float]) -> dict[str, float]:
        return {
            "median": round(statistics.median(values), 3),
            "min": min(values),
            "max": max(values),
        }

    flow_ms = [r["dask"]["flow_cpu_ms_per_page"] for r in repeats]
    by_role = {
        role: spread([r["dask"]["cluster_cpu_ms_per_page_by_role"].get(role, 0.0) for r in repeats])
        for role in repeats[0]["dask"]["cluster_cpu_ms_per_page_by_role"]
    }
    cluster_ms = [r["dask"]["cluster_cpu_ms_per_page"] for r in repeats]
    ceiling = 1000 / statistics.median(flow_ms)
    return {
        "ratio": spread([r["ratio"] for r in repeats]),
        "local_pages_per_second": spread([r["local"]["pages_per_second"] for r in repeats]),
        "dask_pages_per_second": spread([r["dask"]["pages_per_second"] for r in repeats]),
        "local_flow_cpu_ms_per_page": spread([r["local"]["flow_cpu_ms_per_page"] for r in repeats]),
        "dask_flow_cpu_ms_per_page": spread(flow_ms),
        "dask_cluster_cpu_ms_per_page": spread(cluster_ms),
        "dask_cluster_cpu_ms_per_page_by_role": by_role,
        "local_worker_cpu_ms_per_page": spread(
            [r["local"]["worker_cpu_ms_per_page"] for r in repeats]
        ),
        "flow_ceiling_pages_per_second": round(ceiling, 1),
        "worker_cores_fed": round(ceiling * statistics.median(cluster_ms) / 1000, 1),
    }


def print_summary(result: dict[str, Any]) -> None:
    def fmt(key: str) -> str:
        figure = result[key]
        return f"{figure['median']:.2f} [{figure['min']:.2f}-{figure['max']:.2f}]"

    print()
    print(f"{'':34s} {'local pool (2)':>20s} {'Dask (2 x 1 thread)':>22s}")
    print(
        f"{'pages/s over the flow body':34s} {fmt('local_pages_per_second'):>20s} {fmt('dask_pages_per_second'):>22s}"
    )
    print(
        f"{'flow-process CPU, ms/page':34s} {fmt('local_flow_cpu_ms_per_page'):>20s} {fmt('dask_flow_cpu_ms_per_page'):>22s}"
    )
    print(
        f"{'extraction CPU (local workers / cluster), ms/page':34s} {fmt('local_worker_cpu_ms_per_page'):>20s} {fmt('dask_cluster_cpu_ms_per_page'):>22s}"
    )
    for role, figure in result["dask_cluster_cpu_ms_per_page_by_role"].items():
        print(f"{'  of which ' + role:34s} {'':>20s} {figure['median']:>22.2f}")
    print(f"throughput ratio Dask / local: {fmt('ratio')} (target >= 0.90)")
    print(f"one flow-process core can feed ~{result['flow_ceiling_pages_per_second']:.0f} pages/s, "
          f"i.e. ~{result['worker_cores_fed']:.0f} worker cores at this cluster CPU per page")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and write its figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pages", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--sites", type=int, default=4)
    parser.add_argument("--corpus", type=Path, default=CORPUS if CORPUS.exists() else None)
    parser.add_argument(
        "--synthetic", action="store_true", help="synthetic pages even with a corpus"
    )
    args = parser.parse_args(argv)
    corpus = None if args.synthetic else args.corpus
    workdir = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    port = site.free_port()
    if corpus:
        manifest = site.from_corpus(
            workdir / "site", corpus, pages=args.pages, port=port, sites=args.sites
        )
    else:
        manifest = site.generate(workdir / "site", pages=args.pages, sites=args.sites, port=port,
                                 jobs=os.cpu_count() or 1)  # fmt: skip
    print(
        f"{manifest.pages} {'corpus' if corpus else 'synthetic'} pages on {len(manifest.sites)} hosts"
    )
    server = Server(workdir / "site", manifest.port)
    env = bench_env(workdir / "prefect")
    sources = sources_file(workdir / "sources.toml", manifest, workers=WORKERS)
    common: dict[str, Any] = {"sources": sources, "workdir": workdir, "env": env, "server_pid": server.process.pid,
              "port": server.port, "workers": WORKERS}  # fmt: skip
    try:
        with cluster(WORKERS, env) as dask:
            # Warm-ups: the first starts the shared Prefect server, the second loads the
            # workers' extractor (kept for the workers' life), so both engines are measured
            # warm, as in a long backfill.
            run_pipeline(label="warm-up", db=workdir / "warm.duckdb", **common)
            run_pipeline(label="warm-up-dask", db=workdir / "warm-dask.duckdb",
                         extra=("--engine", "dask", "--scheduler", dask.address), **common)  # fmt: skip
            repeats = [
                one_repeat(r, common=common, dask=dask, workdir=workdir) for r in range(args.repeat)
            ]
    finally:
        server.stop()
        # Before the work folder goes: the server's pid file is in it (atexit would be late).
        stop_server(shared_server_home(workdir / "prefect"))
    result = summary(repeats)
    print_summary(result)
    path = write_results({"machine": machine(), "pages": manifest.pages, "corpus": str(corpus),
                          "summary": result, "repeats": repeats}, "dask_engine")  # fmt: skip
    print(f"figures in {path}")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
