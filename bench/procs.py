"""Resident memory and CPU time of a process tree, sampled from /proc (Linux).

``TreeSampler(pid)`` polls every ``interval`` seconds in a thread: the RSS of
each process under ``pid`` (itself included), summed per sample, and each
process's CPU seconds (user + system), kept per process after it exits so
recycled extraction workers still count. Processes are grouped by what their
command line says they are: ``main``, ``worker`` (multiprocessing spawn
children), ``prefect-server`` (the temporary API server) or ``other``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["TreeSample", "TreeSampler", "cpu_seconds", "group_cpu_seconds", "kind_of", "processes"]

_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a process, None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses: split after the last ')'.
    fields = raw[raw.rindex(")") + 2 :].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 if it is gone)."""
    stat = _stat(pid)
    return stat[1] if stat else 0.0


def group_cpu_seconds(group: int) -> float:
    """User + system CPU seconds so far of the live processes of one process group."""
    return sum(seconds for _, _, member_of, seconds in processes() if member_of == group)


def processes() -> Iterator[tuple[int, int, int, float]]:
    """(pid, parent pid, process group, user + system CPU seconds) of every live process."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: split after the last ')'.
        fields = raw[raw.rindex(")") + 2 :].split()
        yield (
            int(entry.name),
            int(fields[1]),
            int(fields[2]),
            (int(fields[11]) + int(fields[12])) / _TICK,
        )


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


def kind_of(pid: int, root: int) -> str:
    """What a process of the tree is, from its command line."""
    if pid == root:
        return "main"
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "other"
    if "multiprocessing" in cmdline or "pebble" in cmdline:
        return "worker"
    if "uvicorn" in cmdline or "prefect" in cmdline:
        return "prefect-server"
    return "other"


@dataclass
class TreeSample:
    """What the sampler saw."""

    peak_rss: int = 0  # bytes, sum over the tree at the worst sample
    peak_by_kind: dict[str, int] = field(default_factory=dict)  # the same sample, per kind
    peak_at: float = 0.0  # seconds after start
    samples: int = 0
    cpu_by_kind: dict[str, float] = field(default_factory=dict)
    processes_by_kind: dict[str, int] = field(default_factory=dict)
    # (time.time(), cumulative CPU seconds per kind) at every sample
    series: list[tuple[float, dict[str, float]]] = field(default_factory=list)
    # (time.time(), RSS bytes per kind) at every sample
    rss_series: list[tuple[float, dict[str, int]]] = field(default_factory=list)

    def cpu_between(self, start: float, end: float) -> dict[str, float]:
        """CPU seconds per kind spent between two time.time() readings (nearest samples)."""
        if not self.series:
            return {}
        first = min(self.series, key=lambda item: abs(item[0] - start))[1]
        last = min(self.series, key=lambda item: abs(item[0] - end))[1]
        return {kind: last.get(kind, 0.0) - first.get(kind, 0.0) for kind in last}


class TreeSampler:
    """Samples the tree under ``root`` until stopped."""

    def __init__(self, root: int, *, interval: float = 0.2) -> None:
        self.root = root
        self.interval = interval
        self.result = TreeSample()
        self._kinds: dict[int, str] = {}
        self._cpu: dict[int, float] = {}
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> TreeSampler:
        """Start sampling in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> TreeSample:
        """Stop and return the figures."""
        self._stop.set()
        self._thread.join()
        cpu: dict[str, float] = {}
        count: dict[str, int] = {}
        for pid, seconds in self._cpu.items():
            kind = self._kinds.get(pid, "other")
            cpu[kind] = cpu.get(kind, 0.0) + seconds
            count[kind] = count.get(kind, 0) + 1
        self.result.cpu_by_kind = cpu
        self.result.processes_by_kind = count
        return self.result

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def sample(self) -> None:
        """Take one sample of the whole tree."""
        parents: dict[int, int] = {}
        cpu: dict[int, float] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                stat = _stat(int(entry))
                if stat is not None:
                    parents[int(entry)], cpu[int(entry)] = stat
        tree = {self.root} if self.root in parents else set()
        grew = True
        while grew:
            grew = False
            for pid, parent in parents.items():
                if parent in tree and pid not in tree:
                    tree.add(pid)
                    grew = True
        by_kind: dict[str, int] = {}
        for pid in tree:
            kind = self._kinds.setdefault(pid, kind_of(pid, self.root))
            by_kind[kind] = by_kind.get(kind, 0) + _rss(pid)
            self._cpu[pid] = cpu[pid]
        total = sum(by_kind.values())
        cumulative: dict[str, float] = {}
        for pid, seconds in self._cpu.items():
            kind = self._kinds.get(pid, "other")
            cumulative[kind] = cumulative.get(kind, 0.0) + seconds
        self.result.series.append((time.time(), cumulative))
        self.result.rss_series.append((time.time(), by_kind))
        self.result.samples += 1
        if total > self.result.peak_rss:
            self.result.peak_rss = total
            self.result.peak_by_kind = by_kind
            self.result.peak_at = time.monotonic() - self._started
