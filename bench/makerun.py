"""How long ``make run`` takes on the bundled seeds with the virtualenv already present (figure f).

``make run`` is run with the repository's Makefile and virtualenv from a
scratch folder that holds a copy of ``seeds/`` (and of ``pyproject.toml`` and
``requirements.lock``, dated before the venv's install stamp so make does not
reinstall), so the user's ``data/news.duckdb`` is never touched. Three runs:
with a Prefect home nobody used yet (Prefect creates its database first, as on
a machine that never ran Prefect), then with that home warm and a fresh
warehouse, then again over the unchanged seeds. Where the time goes is split
by one more run of the same command through :mod:`bench.driver`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.pipeline import bench_env

__all__ = ["time_make_run"]


def _scratch(repo: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(repo / "seeds", folder / "seeds", dirs_exist_ok=True)
    stamp = repo / ".venv" / ".installed"
    old = (stamp.stat().st_mtime - 60) if stamp.exists() else time.time() - 60
    for name in ("pyproject.toml", "requirements.lock"):
        shutil.copy2(repo / name, folder / name)
        os.utime(folder / name, (old, old))


def _make(repo: Path, folder: Path, env: dict[str, str]) -> dict[str, Any]:
    command = ["make", "--no-print-directory", "-f", str(repo / "Makefile"),
               f"VENV={repo / '.venv'}", "run"]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    reinstalled = "pip install" in done.stdout
    return {
        "seconds": round(wall, 2),
        "exit_code": done.returncode,
        "reinstalled": reinstalled,
        "output_tail": (done.stdout + done.stderr)[-600:] if done.returncode else "",
    }


def time_make_run(repo: Path, workdir: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Time ``make run`` cold, warm and as a rerun; split a run by stage through the driver.

    ``env`` should name a Prefect home nobody used yet (``PREFECT_HOME``); it is warm afterwards.
    """
    folder = workdir / "make-run"
    _scratch(repo, folder)
    env = env or bench_env(workdir / "make-run-prefect-home")
    results: dict[str, Any] = {"cold_prefect_home": _make(repo, folder, env)}
    shutil.rmtree(folder / "data", ignore_errors=True)
    results["warm"] = _make(repo, folder, env)
    results["rerun"] = _make(repo, folder, env)
    shutil.rmtree(folder / "data", ignore_errors=True)
    results["split"] = _split(folder, env)
    return results


def _split(folder: Path, env: dict[str, str]) -> dict[str, Any]:
    """Where a warm ``make run`` spends its time, from the driver's marks."""
    import json

    out = folder / "driver.json"
    command = [sys.executable, "-m", "bench.driver", str(out), "--", "run",
               "--sources", "seeds/sources.toml", "--db", "data/news.duckdb"]  # fmt: skip
    started = time.time()
    subprocess.run(command, cwd=folder, env=env, capture_output=True, check=False)
    ended = time.time()
    if not out.exists():
        return {"error": "the driver wrote no figures"}
    marks = json.loads(out.read_text())["marks"]
    body_start = marks.get("flow_body_start", ended)
    body_end = marks.get("flow_body_end", ended)
    return {
        "total": round(ended - started, 2),
        "python_and_imports": round(marks["cli_start"] - started, 2),
        "prefect_startup": round(body_start - marks["cli_start"], 2),
        "flow_body": round(body_end - body_start, 2),
        "teardown": round(ended - body_end, 2),
    }
