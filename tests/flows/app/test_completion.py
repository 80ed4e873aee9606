"""The bash completion script, generated from the parser, completes in a real bash."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from flows.app.cli import _parser
from flows.app.completion import bash_script

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def complete(*words: str) -> list[str]:
    """What bash offers for the last of ``words`` (news-ingest's own ones first)."""
    line = " ".join(f"'{w}'" for w in ("news-ingest", *words))
    program = (
        f"{bash_script(_parser())}\n"
        f"COMP_WORDS=({line}); COMP_CWORD={len(words)}; _news_ingest\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    done = subprocess.run(["bash", "-c", program], capture_output=True, text=True, check=True)
    return [w for w in done.stdout.splitlines() if w]


def test_commands_options_and_choices_complete() -> None:
    assert complete("re") == ["reextract", "report", "reset"]
    assert {"init", "check", "run", "deploy", "completion"} <= set(complete(""))
    assert "--version" in complete("--")
    assert complete("run", "--so") == ["--sources", "--source"]
    assert complete("stats", "--format", "") == ["table", "json"]
    assert {"status", "stop"} <= set(complete("server", ""))


def test_paths_fall_back_to_the_shells_own_completion() -> None:
    assert complete("run", "--sources", "") == []  # -o default: bash lists files
    assert complete("sql", "--out", "res") == []
