"""Which warehouse a command uses: the DuckDB file, or a lake named by option, variable or file.

``--warehouse`` wins over ``$NEWS_INGEST_WAREHOUSE``, which wins over the
sources file's ``[warehouse] target``; likewise ``--data-path``,
``$NEWS_INGEST_DATA_PATH`` and ``[warehouse] data_path`` (default: ``lake``
beside the database). Nothing configured: the DuckDB file, exactly as before.
"""

from __future__ import annotations

import os
from pathlib import Path

from flows.pipeline.config import WarehouseSettings
from warehouse.lake.target import LakeTarget, parse_target

__all__ = ["DATA_PATH_VARIABLE", "WAREHOUSE_VARIABLE", "lake_target"]

WAREHOUSE_VARIABLE = "NEWS_INGEST_WAREHOUSE"
DATA_PATH_VARIABLE = "NEWS_INGEST_DATA_PATH"


def lake_target(
    configured: WarehouseSettings,
    *,
    warehouse: str | None,
    data_path: str | None,
    database: Path,
) -> LakeTarget | None:
    """The lake to use, or None for the DuckDB file ``database``."""
    text = warehouse or os.environ.get(WAREHOUSE_VARIABLE) or configured.target
    if not text:
        return None
    folder = data_path or os.environ.get(DATA_PATH_VARIABLE)
    path = Path(folder) if folder else configured.data_path or database.parent / "lake"
    return parse_target(text, data_path=path)
