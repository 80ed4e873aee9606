"""``news-ingest migrate``: copy a DuckDB warehouse file into a lake, and a lake into a file.

Every stored table is copied with its ids (article, story and run ids), so the
copy answers the same queries and later runs continue it: see
:mod:`warehouse.lake.migrate.tables` for what is copied and what is rebuilt
instead, :mod:`~warehouse.lake.migrate.into_lake` and
:mod:`~warehouse.lake.migrate.into_file` for how each direction stays safe
when killed (docs/lake.md, "Moving between a file and a lake").
"""

from __future__ import annotations

from warehouse.lake.migrate.into_file import copy_lake_into_file
from warehouse.lake.migrate.into_lake import LakeCopy, copy_file_into_lake
from warehouse.lake.migrate.tables import COPIED, LEFT_OUT, CopiedTable, Progress

__all__ = [
    "COPIED",
    "LEFT_OUT",
    "CopiedTable",
    "LakeCopy",
    "Progress",
    "copy_file_into_lake",
    "copy_lake_into_file",
]
