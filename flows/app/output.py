"""How the commands print: rows that fit the terminal (80 columns when not a terminal), and JSON.

Rows print as a table when every column fits without splitting a word;
otherwise one record after another (``column  value`` lines, like psql's
expanded display), so nothing is ever cut mid-word, whatever the width. Off a
terminal the width is ``$COLUMNS``, else 80. Stored text is printed as Rich
``Text``, never read as markup.

JSON holds data only: dataclasses become objects, datetimes ISO 8601 strings,
durations seconds, UUIDs and paths strings; ``None`` is ``null``.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import IO, Any

from rich import box
from rich.console import Console, JustifyMethod, RenderableType
from rich.table import Table
from rich.text import Text

__all__ = ["emit", "json_value", "print_json", "print_rows", "stdout_console", "to_json"]

_LONGEST_VALUE = 300  # characters of one value shown in a table or record
_FOLDED_WORD = 20  # a token longer than this (a URL, a hash) may fold inside a table cell
_GAP = 3  # characters between two table columns


def stdout_console(handle: IO[str] | None = None) -> Console:
    """A console for ``handle`` (standard output): the terminal's width, else $COLUMNS or 80."""
    return Console(file=handle or sys.stdout, highlight=False)


def print_rows(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    console: Console,
    *,
    right: Sequence[str] = (),
) -> None:
    """Print rows as a table if they fit ``console``'s width unbroken, else as records."""
    narrow = _widths(columns, rows, word=_FOLDED_WORD)
    room = console.width - _GAP * (len(columns) - 1)
    if sum(narrow) <= room:
        widths = _spread(narrow, _widths(columns, rows, word=None), room)
        emit(console, _table(columns, rows, widths, right))
    else:
        _print_records(columns, rows, console)


def emit(console: Console, renderable: RenderableType) -> None:
    """Print ``renderable``; off a terminal without the padding Rich leaves at line ends.

    A string is printed as it is (``Text``), never read as markup.
    """
    if isinstance(renderable, str):
        renderable = Text(renderable)
    if console.is_terminal:
        console.print(renderable)
        return
    with console.capture() as captured:
        console.print(renderable)
    lines = [line.rstrip() for line in captured.get().splitlines()]
    console.file.write("".join(line + "\n" for line in lines))


def _widths(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], *, word: int | None
) -> list[int]:
    """Per column: its widest line, or with ``word`` the narrowest width splitting no word.

    No header word and no value word up to ``word`` characters is split; a
    longer token (a URL, a hash) folds inside its cell.
    """
    widths = []
    for index, column in enumerate(columns):
        texts = [column] + [_cell(row[index]).plain for row in rows]
        if word is None:
            found = [len(line) for text in texts for line in text.splitlines()]
        else:
            found = [len(column_word) for column_word in column.split()]
            found += [min(len(w), word) for text in texts[1:] for w in text.split()]
        widths.append(max(found, default=1))
    return widths


def _spread(narrow: list[int], natural: list[int], room: int) -> list[int]:
    """Column widths from ``narrow`` up, sharing ``room`` by how much more each would use."""
    if sum(natural) <= room:
        return natural
    spare = room - sum(narrow)
    wants = [max(0, n - w) for n, w in zip(natural, narrow, strict=True)]
    total = sum(wants) or 1
    return [w + spare * want // total for w, want in zip(narrow, wants, strict=True)]


def _table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    widths: Sequence[int],
    right: Sequence[str],
) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    for column, width in zip(columns, widths, strict=True):
        justify: JustifyMethod = "right" if column in right else "left"
        table.add_column(Text(column), overflow="fold", width=width, justify=justify)
    for row in rows:
        table.add_row(*(_cell(value) for value in row))
    return table


def _print_records(columns: Sequence[str], rows: Sequence[Sequence[Any]], console: Console) -> None:
    name_width = max((len(c) for c in columns), default=1)
    for number, row in enumerate(rows, start=1):
        label = f"-[ record {number} ]"
        emit(console, Text(label + "-" * max(0, min(console.width, 40) - len(label))))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True, min_width=min(name_width, console.width // 3))
        grid.add_column(overflow="fold")
        for column, value in zip(columns, row, strict=True):
            grid.add_row(Text(column), _cell(value))
        emit(console, grid)


def _cell(value: object) -> Text:
    # Text, not str: stored titles and values like "[video]" or "a[/i]" are data, not markup.
    if value is None:
        return Text("NULL", style="dim")
    text = str(value)
    if len(text) > _LONGEST_VALUE:
        text = text[: _LONGEST_VALUE - 3] + "..."
    return Text(text)


def to_json(value: object) -> str:
    """``value`` as indented JSON text (see :func:`json_value` for the types)."""
    return json.dumps(json_value(value), ensure_ascii=False, indent=2)


def print_json(value: object, handle: IO[str] | None = None) -> None:
    """Write ``value`` as JSON and a newline to ``handle`` (standard output)."""
    out = handle or sys.stdout
    out.write(to_json(value) + "\n")
    out.flush()


def json_value(value: object) -> Any:
    """A structure of JSON types for ``value`` (dataclasses, datetimes, UUIDs, paths...)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: json_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_value(v) for v in value]
    return _scalar(value)


def _scalar(value: object) -> Any:
    if isinstance(value, Enum):
        return json_value(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta | Decimal):
        return value.total_seconds() if isinstance(value, timedelta) else float(value)
    return value.hex() if isinstance(value, bytes) else str(value)  # UUIDs, paths and the rest
