"""Every SQL block in docs/queries.md runs against a warehouse built by the real flow."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.analyst_data import analyst_db  # noqa: F401 (fixture)
from warehouse.queries import check_query
from warehouse.reading import read_only

QUERIES_DOC = Path(__file__).parents[2] / "docs" / "queries.md"
BLOCK = re.compile(r"(<!-- expect rows -->\s*)?```sql\n(.*?)```", re.S)


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
