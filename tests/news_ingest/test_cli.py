"""Tests of news_ingest.cli: the console script refuses to run someone else's package."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from news_ingest.cli import PACKAGES, foreign_packages

ENTRY = "from news_ingest.cli import main; raise SystemExit(main())"


def run_entry(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The console script's code, run from ``cwd`` (``python -c`` puts it first on sys.path)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run(
        [sys.executable, "-c", ENTRY, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_this_checkout_has_no_foreign_package() -> None:
    assert foreign_packages() == {}


@pytest.mark.parametrize("name", PACKAGES)
def test_a_shadowing_package_stops_the_command_with_one_line(tmp_path: Path, name: str) -> None:
    (tmp_path / name).mkdir()
    (tmp_path / name / "__init__.py").write_text("", encoding="utf-8")

    done = run_entry("stats", "--db", str(tmp_path / "none.duckdb"), cwd=tmp_path)

    assert done.returncode == 1
    assert f"'{name}' is {tmp_path / name / '__init__.py'}" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_without_a_shadow_the_command_line_runs(tmp_path: Path) -> None:
    done = run_entry("--help", cwd=tmp_path)
    assert done.returncode == 0
    assert "usage: news-ingest" in done.stdout
