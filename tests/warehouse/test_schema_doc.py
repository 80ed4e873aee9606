"""docs/schema.md lists every table, view, column and macro of a freshly migrated database."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from warehouse.connection import connect

SCHEMA_DOC = Path(__file__).parents[2] / "docs" / "schema.md"
SCHEMAS = ("main", "store")
HEADING = re.compile(r"^### (\w+)\.(\w+) \((table|view|macro)\)\s*$")
ROW = re.compile(r"^\|\s*`?(\w+)`?\s*\|\s*([^|]+?)\s*\|")
# Readable spellings allowed in the doc for DuckDB's type names.
ALIASES = {"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"}

Columns = dict[str, str]


def documented() -> dict[str, tuple[str, Columns]]:
    """`schema.name` -> (kind, {column: type}) as written in docs/schema.md."""
    found: dict[str, tuple[str, Columns]] = {}
    current: Columns | None = None
    for line in SCHEMA_DOC.read_text(encoding="utf-8").splitlines():
        heading = HEADING.match(line)
        if heading:
            schema, name, kind = heading.groups()
            current = {}
            found[f"{schema}.{name}"] = (kind, current)
        elif line.startswith("## "):
            current = None
        elif current is not None and (row := ROW.match(line)):
            column, kind = row.groups()
            if column != "column" and not set(kind) <= {"-"}:
                current[column] = ALIASES.get(kind, kind)
    return found


def actual(conn: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, Columns]]:
    """`schema.name` -> (kind, {column: type}) in the database."""
    found: dict[str, tuple[str, Columns]] = {}
    for schema, name, kind in conn.execute(
        "SELECT table_schema, table_name, table_type FROM information_schema.tables "
        "WHERE table_schema IN (SELECT unnest(?::VARCHAR[]))",
        [list(SCHEMAS)],
    ).fetchall():
        rows = conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, name],
        ).fetchall()
        found[f"{schema}.{name}"] = ("view" if kind == "VIEW" else "table", dict(rows))
    for schema, name, kind in conn.execute(
        "SELECT DISTINCT schema_name, function_name, function_type FROM duckdb_functions() "
        "WHERE NOT internal AND function_type IN ('macro', 'table_macro') "
        "AND schema_name IN (SELECT unnest(?::VARCHAR[]))",
        [list(SCHEMAS)],
    ).fetchall():
        columns: Columns = {}
        if kind == "table_macro":
            described = conn.execute(f"DESCRIBE SELECT * FROM {schema}.{name}('x')").fetchall()
            columns = {row[0]: row[1] for row in described}
        found[f"{schema}.{name}"] = ("macro", columns)
    return found


def stub(name: str, kind: str, columns: Columns) -> str:
    lines = [f"### {name} ({kind})", "", "| column | type | meaning |", "|---|---|---|"]
    readable = {v: k for k, v in ALIASES.items()}
    lines += [f"| {c} | {readable.get(t, t)} | TODO |" for c, t in columns.items()]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, Columns]]:
    path = tmp_path_factory.mktemp("schema") / "fresh.duckdb"
    with connect(path) as conn:  # migrated by opening it for writing
        return actual(conn)


def test_every_table_view_and_macro_is_documented(
    database: dict[str, tuple[str, Columns]],
) -> None:
    doc = documented()
    missing = [name for name in sorted(database) if name not in doc]
    assert not missing, (
        f"{SCHEMA_DOC} does not document {', '.join(missing)}. Add a section for each "
        "(and fill in the meanings):\n\n"
        + "\n\n".join(stub(n, database[n][0], database[n][1]) for n in missing)
    )


def test_every_column_is_documented_with_its_type(
    database: dict[str, tuple[str, Columns]],
) -> None:
    doc = documented()
    problems = []
    for name, (kind, columns) in sorted(database.items()):
        if name not in doc:
            continue  # reported by the test above
        doc_kind, doc_columns = doc[name]
        if doc_kind != kind:
            problems.append(f"{name}: documented as a {doc_kind}, but it is a {kind}")
        for column, type_ in columns.items():
            if column not in doc_columns:
                problems.append(f"{name}: add the row  | {column} | {type_} | <meaning> |")
            elif doc_columns[column] != type_:
                problems.append(
                    f"{name}.{column}: documented as {doc_columns[column]}, but it is {type_} "
                    "(a type change of a main view also needs an entry in docs/CHANGELOG.md)"
                )
        for column in doc_columns:
            if column not in columns:
                problems.append(f"{name}: remove the row for {column!r} (no such column)")
    assert not problems, f"{SCHEMA_DOC} is out of date:\n" + "\n".join(problems)


def test_the_doc_lists_nothing_that_does_not_exist(
    database: dict[str, tuple[str, Columns]],
) -> None:
    stale = sorted(set(documented()) - set(database))
    assert not stale, f"{SCHEMA_DOC} documents {', '.join(stale)}, which the database lacks"


def test_the_parser_reads_sections_rows_and_aliases() -> None:
    doc = documented()
    kind, columns = doc["main.articles"]
    assert kind == "view" and columns["published_at"] == "TIMESTAMP WITH TIME ZONE"
    assert doc["store.search_words"] == ("macro", {})
    assert "meaning" not in columns and "value" not in columns  # vocabulary tables are skipped
