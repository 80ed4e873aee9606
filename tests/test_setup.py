"""The Makefile's setup: it picks a supported Python or fails at once saying so, and never
leaves a broken virtual environment behind (scripts/find-python.sh, scripts/setup-venv.sh)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIND = ROOT / "scripts" / "find-python.sh"
SETUP = ROOT / "scripts" / "setup-venv.sh"


def test_the_interpreter_found_is_a_supported_one() -> None:
    done = subprocess.run(["bash", str(FIND)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    version = subprocess.run(
        [done.stdout.strip(), "-c", "import sys; print(sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert version.strip() in ("(3, 11)", "(3, 12)", "(3, 13)")


def test_without_a_supported_python_it_fails_within_seconds_and_says_why(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    old = bin_dir / "python3"
    old.write_text("#!/bin/sh\necho 3.8\n", encoding="utf-8")  # prints 3.8 whatever it is asked
    old.chmod(0o755)
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path / "none")}
    started = time.monotonic()
    done = subprocess.run(
        ["/bin/bash", str(FIND)], capture_output=True, text=True, env=env, check=False
    )
    assert time.monotonic() - started < 5
    assert done.returncode == 1 and done.stdout == ""
    assert "needs Python 3.11, 3.12, 3.13" in done.stderr and "PYTHON=" in done.stderr


def test_a_failed_setup_removes_the_environment_it_could_not_finish(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    broken = venv / "bin" / "python"
    broken.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")  # a Python that is gone
    broken.chmod(0o755)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PIP_")},
        "PYTHON": sys.executable,
        "VENV": str(venv),
        "PIP_CONFIG_FILE": os.devnull,  # no local wheel folders from the machine's pip.conf
        "PIP_NO_INDEX": "1",  # and no index: the install fails at once, offline
    }
    done = subprocess.run(
        ["bash", str(SETUP)], cwd=ROOT, capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode != 0
    assert "has no working Python 3.11-3.13; making it again" in done.stderr
    assert "removed it so the next make starts clean" in done.stderr
    assert not venv.exists()


def test_an_unsupported_python_given_by_name_is_refused(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHON": "/bin/false", "VENV": str(tmp_path / "venv")}
    done = subprocess.run(
        ["bash", str(SETUP)], cwd=ROOT, capture_output=True, text=True, env=env, check=False
    )
    assert done.returncode == 1 and "is not Python 3.11, 3.12 or 3.13" in done.stderr
    assert not (tmp_path / "venv").exists()
