"""Splitting the project's SQL files into statements (shared by both backends)."""

from __future__ import annotations

import re

__all__ = ["statements"]


def statements(sql: str) -> list[str]:
    """Split a file of SQL statements on semicolons at line ends (our files' convention)."""
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [s.strip() for s in re.split(r";\s*$", "\n".join(lines), flags=re.M) if s.strip()]
