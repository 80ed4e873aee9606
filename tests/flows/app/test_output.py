"""Rows fit the width: a table when no word would split, else records; JSON holds data only."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

from rich.console import Console

from flows.app.output import emit, json_value, print_rows, to_json

COLUMNS = ("article_id", "title", "published_at", "source", "url", "word_count", "version_count")
ROW = (
    12,
    "Pakistan and US discuss counterterror use of airspace",
    datetime(2024, 3, 7, 9, 30, tzinfo=UTC),
    "wire",
    "https://wire.example/news/2024/03/07/pakistan-us-airspace-talks",
    435,
    1,
)


def render(width: int, columns: tuple[str, ...], rows: list[tuple[object, ...]]) -> str:
    buffer = io.StringIO()
    print_rows(columns, rows, Console(file=buffer, width=width), right=("word_count",))
    return buffer.getvalue()


def test_a_table_that_fits_keeps_every_header_word_whole() -> None:
    out = render(120, COLUMNS, [ROW])
    lines = out.splitlines()
    assert all(len(line) <= 120 for line in lines)
    assert lines[0].split() == list(COLUMNS)  # the header is one line, no word split
    assert "Pakistan and US" in out and not any(line != line.rstrip() for line in lines)


def test_rows_too_wide_for_the_width_print_as_records() -> None:
    out = render(80, COLUMNS, [ROW, ROW])
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert [line for line in lines if line.startswith("-[ record")] == [
        "-[ record 1 ]---------------------------",
        "-[ record 2 ]---------------------------",
    ]
    assert "title          Pakistan and US discuss counterterror use of airspace" in lines


def test_a_long_token_folds_inside_its_cell_and_null_is_shown() -> None:
    out = render(80, ("source", "url", "title"), [("wire", ROW[4], None)])
    assert all(len(line) <= 80 for line in out.splitlines())
    assert out.splitlines()[0].split() == ["source", "url", "title"]
    assert "NULL" in out


def test_emit_prints_strings_verbatim_without_trailing_padding() -> None:
    buffer = io.StringIO()
    emit(Console(file=buffer, width=40), "a [b]bold[/b] claim")
    assert buffer.getvalue() == "a [b]bold[/b] claim\n"


@dataclass(frozen=True)
class Sample:
    when: datetime
    day: date
    took: timedelta
    run: UUID
    path: Path
    amount: Decimal
    tags: tuple[str, ...]
    missing: None = None


def test_json_holds_plain_data() -> None:
    sample = Sample(
        datetime(2024, 3, 7, 9, 30, tzinfo=UTC),
        date(2024, 3, 7),
        timedelta(minutes=2),
        UUID(int=1),
        Path("/data/news.duckdb"),
        Decimal("1.5"),
        ("a", "b"),
    )
    assert json_value(sample) == {
        "when": "2024-03-07T09:30:00+00:00",
        "day": "2024-03-07",
        "took": 120.0,
        "run": "00000000-0000-0000-0000-000000000001",
        "path": "/data/news.duckdb",
        "amount": 1.5,
        "tags": ["a", "b"],
        "missing": None,
    }
    assert json.loads(to_json({"rows": [sample]}))["rows"][0]["took"] == 120.0
    assert json_value(b"\x01\xff") == "01ff"
