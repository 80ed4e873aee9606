"""Every SQL and Python block in docs/queries.md runs against a warehouse built by the real flow.

The Python blocks run as a user would run them, in a folder holding ``data/news.duckdb``
and its snapshot, offline (no extension is downloaded).
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from pathlib import Path

import pytest

from tests.analyst_data import analyst_db  # noqa: F401 (fixture)
from warehouse.queries import check_query
from warehouse.reading import read_only

QUERIES_DOC = Path(__file__).parents[2] / "docs" / "queries.md"
BLOCK = re.compile(r"(<!-- expect rows -->\s*)?```sql\n(.*?)```", re.S)
PYTHON = re.compile(r"```python\n(.*?)```", re.S)


def blocks() -> list[tuple[str, bool]]:
    """(sql, whether the test warehouse must return rows) for each ```sql block."""
    text = QUERIES_DOC.read_text(encoding="utf-8")
    return [(m.group(2).strip(), bool(m.group(1))) for m in BLOCK.finditer(text)]


def test_the_doc_has_at_least_ten_queries() -> None:
    found = blocks()
    assert len(found) >= 10
    assert sum(expect for _, expect in found) >= 8


@pytest.mark.parametrize(("sql", "expect_rows"), blocks(), ids=lambda v: str(v)[:40])
def test_every_documented_query_runs(
    analyst_db: Path,  # noqa: F811
    sql: str,
    expect_rows: bool,
) -> None:
    with read_only(analyst_db) as conn:
        check_query(conn, sql)  # news-ingest sql must accept it: raises QueryRefusedError if not
        rows = conn.execute(sql).fetchall()
    if expect_rows:
        assert rows, f"expected rows from:\n{sql}"


def python_blocks() -> list[str]:
    return PYTHON.findall(QUERIES_DOC.read_text(encoding="utf-8"))


def test_the_doc_has_python_examples() -> None:
    assert len(python_blocks()) >= 2
    assert not any(".pl()" in block for block in python_blocks())  # Polars is not installed


# DuckDB 1.5.5's .df() calls a pandas API that pandas 3.1 deprecates: not ours to fix.
@pytest.mark.filterwarnings("ignore:The inplace keyword:Warning")
@pytest.mark.parametrize("code", python_blocks(), ids=lambda v: v.split("\n")[-2][:40])
def test_every_python_example_runs_offline(
    analyst_db: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    code: str,
) -> None:
    (tmp_path / "data").mkdir()
    shutil.copy(analyst_db, tmp_path / "data" / "news.duckdb")
    shutil.copy(analyst_db, tmp_path / "data" / "news.snapshot.duckdb")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {}
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        exec(compile(code, "docs/queries.md", "exec"), namespace)  # our own documentation
    found = [namespace.get(n) for n in ("per_source", "table", "hits", "stories", "df")]
    assert any(value is not None and len(value) for value in found)  # type: ignore[arg-type]
    if "hits" in namespace:
        assert namespace["hits"]  # full-text search answered offline
    if "for hit in" in code:
        assert "Glacier" in printed.getvalue()
