"""What the benchmark parts share: the results folder, the machine they ran on, the site server.

``bench.run`` (``make bench``), ``bench.versus_cli``, ``bench.dask_engine`` and
``bench.lake`` write their figures under :data:`RESULTS` with :func:`write_results`
(with :func:`machine` beside them) and serve pages with :class:`Server`.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.pipeline import bench_env

__all__ = ["GIB", "REPO", "RESULTS", "Server", "machine", "write_results"]

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
GIB = 2**30
PACKAGES = ("prefect", "httpx", "trafilatura", "lxml", "duckdb", "pyarrow", "pebble", "numpy")


def machine() -> dict[str, Any]:
    """The machine and software the figures were taken on."""
    meminfo = Path("/proc/meminfo").read_text().split("\n")
    total = next(
        (int(line.split()[1]) * 1024 for line in meminfo if line.startswith("MemTotal")), 0
    )
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    commit = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
        capture_output=True, text=True, check=False,
    ).stdout.strip()  # fmt: skip
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(total / GIB, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
        "commit": commit,
        "load_average_start": os.getloadavg(),
    }


def write_results(results: dict[str, Any], name: str, out: Path | None = None) -> Path:
    """Write ``results`` as JSON to ``out``, else to RESULTS/<name>-<UTC time>.json; the path."""
    path = out or RESULTS / f"{name}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=1, default=str))
    return path


class Server:
    """The site server subprocess."""

    def __init__(self, folder: Path, port: int) -> None:
        self.port = port
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.site", "serve", str(folder)],
            stdout=subprocess.PIPE,
            env=bench_env(folder / "unused-prefect-home"),
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if "ready" not in line:
            raise SystemExit(f"the site server did not start: {line!r}")

    def stop(self) -> None:
        """Stop the server."""
        self.process.terminate()
        self.process.wait(timeout=10)
