"""``news-ingest`` with timers around the pipeline's stages: run as a subprocess by bench.run.

    python -m bench.driver OUT.json -- run --sources FILE --db FILE

runs exactly what the ``news-ingest`` console script runs (``flows.app.cli.main``)
after wrapping, from the outside, the functions each stage goes through:
discovery (the connectors' ``discover``/``documents`` generators), page
fetches (``Fetcher.fetch``), extraction (``ExtractionPool.process``, and
``DaskPool.process`` with ``BENCH_ENGINE=dask``), the warehouse (``connect``,
``load_url_state``, ``persist_batch``) and the Prefect
flow and task wrappers (time inside a task's function vs. time the task call
took). Every wrapper only records two clock readings. At exit it writes, to
OUT.json, per stage: calls, summed seconds and the wall-clock seconds during
which the stage was active (overlaps counted once); and how long the
extraction workers sat idle and what the main process was doing meanwhile.

With ``BENCH_PROFILE=FILE`` in the environment the main thread also runs
under cProfile and its statistics are dumped to FILE. Memory experiments:
``BENCH_MALLOC_TRIM=1`` calls glibc's ``malloc_trim`` after each stored
batch; ``BENCH_DUCKDB_MEMORY_LIMIT=256MB`` sets DuckDB's memory limit on the
run's connection.

A wrapper whose target has gone (the pipeline changed) is skipped with a note
in the output instead of failing the run.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Timeline", "main"]

STARTED = time.time()  # as early as this module can read a clock

# Priority when several stages are active while extraction workers sit idle.
IDLE_PRIORITY = ("persist", "db_open", "db_close", "state_lookup", "discovery", "fetch_page",
                 "prefect_task", "fetch_discovery")  # fmt: skip


@dataclass
class Timeline:
    """Intervals per stage (time.time() seconds) and counters."""

    intervals: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    marks: dict[str, float] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    workers: int = 0
    samples: list[tuple[float, str]] = field(default_factory=list)  # main thread's stack
    thread_cpu: dict[str, float] = field(default_factory=dict)  # flow body CPU per thread

    def add(self, stage: str, start: float, end: float) -> None:
        """Record that ``stage`` was active from ``start`` to ``end``."""
        self.intervals.setdefault(stage, []).append((start, end))

    @contextmanager
    def timing(self, stage: str) -> Iterator[None]:
        """Record the duration of a block."""
        start = time.time()
        try:
            yield
        finally:
            self.add(stage, start, time.time())

    def summary(self) -> dict[str, Any]:
        """Per-stage figures and the workers' idle time attribution."""
        stages = {
            name: {
                "calls": len(spans),
                "seconds": round(sum(e - s for s, e in spans), 4),
                "wall": round(_union(spans), 4),
            }
            for name, spans in sorted(self.intervals.items())
        }
        return {
            "marks": self.marks,
            "stages": stages,
            "counts": dict(self.counts),
            "workers": self.workers,
            "idle": self._idle(),
            "thread_cpu": self.thread_cpu,
            "notes": self.notes,
        }

    def _idle(self) -> dict[str, Any]:
        """Worker-seconds without a document, by what the main process was doing then."""
        start, end = self.marks.get("flow_body_start"), self.marks.get("flow_body_end")
        if start is None or end is None or not self.workers:
            return {}
        events: list[tuple[float, int, str]] = []
        for name, spans in self.intervals.items():
            for s, e in spans:
                events.append((max(s, start), 1, name))
                events.append((min(e, end), -1, name))
        events.sort()
        active: Counter[str] = Counter()
        idle: dict[str, float] = {}
        unexplained: list[tuple[float, float, float]] = []  # (from, to, idle workers)
        now = start
        for when, delta, name in events:
            if when > now:
                free = self.workers - min(active["extract"], self.workers)
                if free > 0:
                    stage = next((p for p in IDLE_PRIORITY if active[p] > 0), "other")
                    idle[stage] = idle.get(stage, 0.0) + free * (when - now)
                    if stage == "other":
                        unexplained.append((now, when, free))
                now = when
            active[name] += delta
        if end > now:
            idle["other"] = idle.get("other", 0.0) + self.workers * (end - now)
            unexplained.append((now, end, self.workers))
        total = self.workers * (end - start)
        return {
            "worker_seconds": round(total, 3),
            "idle_worker_seconds": round(sum(idle.values()), 3),
            "idle_share": round(sum(idle.values()) / total, 4) if total else 0.0,
            "by_stage": {k: round(v, 3) for k, v in sorted(idle.items(), key=lambda i: -i[1])},
            "other_by_main_thread": self._profile(unexplained),
            "main_thread_profile": self._profile([(start, end, 1.0)]),
        }

    def _profile(self, segments: list[tuple[float, float, float]]) -> dict[str, float]:
        """Share of the main thread's stack samples per place, within the segments."""
        counts: Counter[str] = Counter()
        samples = sorted(self.samples)
        k = 0
        for seg_start, seg_end, _ in sorted(segments):
            while k < len(samples) and samples[k][0] < seg_start:
                k += 1
            j = k
            while j < len(samples) and samples[j][0] < seg_end:
                counts[samples[j][1]] += 1
                j += 1
        total = sum(counts.values())
        return {label: round(n / total, 4) for label, n in counts.most_common(25)} if total else {}


def _union(spans: list[tuple[float, float]]) -> float:
    total, reach = 0.0, float("-inf")
    for s, e in sorted(spans):
        if e <= reach:
            continue
        total += e - max(s, reach)
        reach = e
    return total


TIMELINE = Timeline()
_REPO_PARTS = ("/flows/", "/connectors/", "/warehouse/")


def _place(frame: Any) -> str:
    """Where the main thread is: the innermost pipeline function > the innermost function."""
    inner = f"{frame.f_globals.get('__name__', '?')}.{frame.f_code.co_name}"
    current = frame
    while current is not None:
        if any(part in current.f_code.co_filename for part in _REPO_PARTS):
            name = f"{current.f_globals.get('__name__', '?')}.{current.f_code.co_name}"
            return name if current is frame else f"{name} > {inner}"
        current = current.f_back
    return inner


def thread_cpu() -> dict[str, float]:
    """CPU seconds of each thread of this process so far, by thread name (summed per name)."""
    names = {t.native_id: t.name for t in threading.enumerate() if t.native_id}
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            raw = open(f"/proc/self/task/{tid}/stat").read()  # noqa: SIM115
            comm = open(f"/proc/self/task/{tid}/comm").read().strip()  # noqa: SIM115
        except OSError:
            continue
        fields = raw[raw.rindex(")") + 2 :].split()
        seconds = (int(fields[11]) + int(fields[12])) / tick
        name = names.get(int(tid)) or comm
        # Numbered pools (ThreadPoolExecutor-0_1, DuckDB's workers) are summed by family.
        family = name.rstrip("0123456789_-") or name
        out[family] = out.get(family, 0.0) + seconds
    return out


def _sample_main_thread(stop: threading.Event, interval: float = 0.01) -> None:
    main = threading.main_thread().ident
    while not stop.wait(interval):
        frame = sys._current_frames().get(main or 0)
        if frame is not None:
            TIMELINE.samples.append((time.time(), _place(frame)))


# --------------------------------------------------------------------------- wrappers


def _wrap_async(owner: Any, name: str, stage: str | Callable[..., str]) -> None:
    original = getattr(owner, name, None)
    if original is None:
        TIMELINE.notes.append(f"{owner.__name__}.{name} not found: stage {stage} not timed")
        return

    @functools.wraps(original)
    async def timed(*args: Any, **kwargs: Any) -> Any:
        label = stage(*args, **kwargs) if callable(stage) else stage
        start = time.time()
        try:
            return await original(*args, **kwargs)
        finally:
            TIMELINE.add(label, start, time.time())
            TIMELINE.counts[label] += 1

    setattr(owner, name, timed)


def _wrap_sync(owner: Any, name: str, stage: str) -> None:
    original = getattr(owner, name, None)
    if original is None:
        TIMELINE.notes.append(f"{owner.__name__}.{name} not found: stage {stage} not timed")
        return

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.time()
        try:
            return original(*args, **kwargs)
        finally:
            TIMELINE.add(stage, start, time.time())
            TIMELINE.counts[stage] += 1

    setattr(owner, name, timed)


def _wrap_agen(owner: type, name: str, stage: str) -> None:
    """Time each step of an async generator method (the consumer's work in between is not)."""
    original = getattr(owner, name, None)
    if original is None:
        TIMELINE.notes.append(f"{owner.__name__}.{name} not found: stage {stage} not timed")
        return

    @functools.wraps(original)
    async def timed(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        steps = original(*args, **kwargs)
        while True:
            start = time.time()
            try:
                item = await steps.__anext__()
            except StopAsyncIteration:
                TIMELINE.add(stage, start, time.time())
                return
            TIMELINE.add(stage, start, time.time())
            yield item

    setattr(owner, name, timed)


def _wrap_gen(owner: type, name: str, stage: str) -> None:
    original = getattr(owner, name, None)
    if original is None:
        TIMELINE.notes.append(f"{owner.__name__}.{name} not found: stage {stage} not timed")
        return

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
        steps = original(*args, **kwargs)
        while True:
            start = time.time()
            try:
                item = next(steps)
            except StopIteration:
                TIMELINE.add(stage, start, time.time())
                return
            TIMELINE.add(stage, start, time.time())
            yield item

    setattr(owner, name, timed)


def _watch_duckdb_memory(module: Any) -> None:
    """After each batch is stored, note how much memory DuckDB holds (its buffer pool)."""
    persist = getattr(module, "persist_batch", None)
    if persist is None:
        return

    trim = None
    if os.environ.get("BENCH_MALLOC_TRIM"):  # experiment: give freed heap back after each batch
        import ctypes

        trim = ctypes.CDLL("libc.so.6").malloc_trim

    @functools.wraps(persist)
    def watched(conn: Any, *args: Any, **kwargs: Any) -> Any:
        result = persist(conn, *args, **kwargs)
        if trim is not None:
            trim(0)
        row = conn.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()
        used = int(row[0] or 0) if row else 0
        TIMELINE.counts["duckdb_memory_peak"] = max(TIMELINE.counts["duckdb_memory_peak"], used)
        TIMELINE.counts["duckdb_memory_last"] = used
        return result

    module.persist_batch = watched


def _wrap_connect(module: Any) -> None:
    original = getattr(module, "connect", None)
    limit = os.environ.get("BENCH_DUCKDB_MEMORY_LIMIT")  # experiment: cap DuckDB's buffer pool
    if original is None:
        TIMELINE.notes.append("flows.pipeline.session.connect not found: opens not timed")
        return

    @contextmanager
    def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
        start = time.time()
        manager = original(*args, **kwargs)
        conn = manager.__enter__()
        if limit:
            conn.execute(f"SET memory_limit = '{limit}'")
        TIMELINE.add("db_open", start, time.time())
        try:
            yield conn
        except BaseException:
            if not manager.__exit__(*sys.exc_info()):
                raise
        else:
            closing = time.time()
            manager.__exit__(None, None, None)
            TIMELINE.add("db_close", closing, time.time())

    module.connect = timed


def _wrap_tasks(module: Any) -> None:
    """Time each batch task's function (inside) and its call through Prefect (outside)."""
    for name in ("ingest_web_batch", "ingest_local_batch"):
        task = getattr(module, name, None)
        if task is None or not hasattr(task, "fn"):
            TIMELINE.notes.append(f"flows.ingest.{name} not found: task overhead not timed")
            continue
        inner = task.fn

        @functools.wraps(inner)
        async def body(*args: Any, _inner: Any = inner, **kwargs: Any) -> Any:
            start = time.time()
            try:
                return await _inner(*args, **kwargs)
            finally:
                TIMELINE.add("task_body", start, time.time())

        task.fn = body

        async def call(*args: Any, _task: Any = task, **kwargs: Any) -> Any:
            start = time.time()
            try:
                return await _task(*args, **kwargs)
            finally:
                TIMELINE.add("task_call", start, time.time())

        setattr(module, name, call)


def _wrap_flow(module: Any) -> None:
    flow = getattr(module, "ingest", None)
    if flow is None or not hasattr(flow, "fn"):
        TIMELINE.notes.append("flows.ingest.ingest not found: flow body not timed")
        return
    inner = flow.fn

    @functools.wraps(inner)
    async def body(*args: Any, **kwargs: Any) -> Any:
        TIMELINE.marks["flow_body_start"] = time.time()
        before = thread_cpu()
        try:
            return await inner(*args, **kwargs)
        finally:
            TIMELINE.marks["flow_body_end"] = time.time()
            after = thread_cpu()
            TIMELINE.thread_cpu = {
                name: round(seconds - before.get(name, 0.0), 3)
                for name, seconds in sorted(after.items(), key=lambda i: -i[1])
                if seconds - before.get(name, 0.0) > 0
            }

    flow.fn = body


def _page_or_discovery(*args: Any, **kwargs: Any) -> str:
    purpose = kwargs.get("purpose")
    return "fetch_page" if str(getattr(purpose, "value", purpose)) == "page" else "fetch_discovery"


def _counted(original_process: Callable[..., Any]) -> Callable[..., Any]:
    """An extraction pool's ``process``, timed and counted."""

    @functools.wraps(original_process)
    async def process(self: Any, doc: Any, *context: Any) -> Any:
        if not TIMELINE.workers:
            settings = getattr(self, "_settings", None)
            TIMELINE.workers = int(getattr(settings, "workers", 0) or getattr(self, "slots", 0))
        start = time.time()
        try:
            return await original_process(self, doc, *context)
        finally:
            TIMELINE.add("extract", start, time.time())
            TIMELINE.counts["extracted"] += 1

    return process


def install() -> None:
    """Wrap the pipeline's stage functions (imports Prefect: call once, before running)."""
    with TIMELINE.timing("import"):
        import connectors.feeds
        import connectors.files
        import connectors.http
        import connectors.sitemaps
        import connectors.urllist
        import flows.extract.workers
        import flows.ingest
        import flows.pipeline.local
        import flows.pipeline.session
        import flows.pipeline.web
        import warehouse.store
    _wrap_flow(flows.ingest)
    _wrap_tasks(flows.ingest)
    _wrap_connect(flows.pipeline.session)
    for batches in (flows.pipeline.web, flows.pipeline.local):
        _wrap_sync(batches, "persist_batch", "persist")
        _watch_duckdb_memory(batches)
    _wrap_sync(warehouse.store, "load_url_state", "state_lookup")
    _wrap_async(connectors.http.Fetcher, "fetch", _page_or_discovery)
    pools: list[Any] = [flows.extract.workers.ExtractionPool]
    if os.environ.get("BENCH_ENGINE") == "dask":  # importing the engine costs 0.4 s: only then
        import flows.extract.dask_pool

        pools.append(flows.extract.dask_pool.DaskPool)
    for pool in pools:
        pool.process = _counted(pool.process)
    for cls in (connectors.feeds.FeedSource, connectors.sitemaps.SitemapSource):
        _wrap_agen(cls, "discover", "discovery")
    url_source = getattr(connectors.urllist, "UrlListSource", None)
    if url_source is not None:
        _wrap_agen(url_source, "discover", "discovery")
    _wrap_gen(connectors.files.FilesSource, "documents", "discovery")


def main(argv: list[str]) -> int:
    """Run flows.app.cli.main(argv[2:]) with the timers; write the figures to argv[0]."""
    out = Path(argv[0])
    cli_args = argv[2:] if argv[1:2] == ["--"] else argv[1:]
    TIMELINE.marks["process_start"] = STARTED
    install()
    from flows.app.cli import main as cli_main

    TIMELINE.marks["cli_start"] = time.time()
    code, error = 1, None
    stop = threading.Event()
    sampler = threading.Thread(target=_sample_main_thread, args=(stop,), daemon=True)
    sampler.start()
    profiler = None
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        profiler = cProfile.Profile(time.thread_time)  # CPU of this thread, not wall
        profiler.enable()
    try:
        code = cli_main(cli_args)
    except BaseException as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        stop.set()
        TIMELINE.marks["cli_end"] = time.time()
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(os.environ["BENCH_PROFILE"])
        summary = {"exit_code": code, "error": error, **TIMELINE.summary()}
        out.write_text(json.dumps(summary, indent=1))
    return code


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
