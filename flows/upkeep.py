"""The lake's upkeep as a Prefect flow: what ``news-ingest serve`` schedules for a lake.

``news-ingest-lake-maintain`` does what ``news-ingest lake-maintain`` does
(:func:`warehouse.lake.maintenance.maintain`: flush inlined rows, merge small
Parquet files, expire snapshots older than ``keep_days``, delete unused files)
and publishes what it did as a markdown artifact. It may run while ingest runs
write (DuckLake commits the merge as one more snapshot). The flow takes the
target's text, never a password (:func:`warehouse.lake.target.parse_target`
refuses one), so nothing secret reaches the Prefect server.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact

from flows.pipeline.config import WarehouseSettings
from warehouse.lake.maintenance import Upkeep, maintain
from warehouse.lake.target import LAKE_PREFIX, LakeTarget, parse_target

__all__ = [
    "FLOW_NAME",
    "build_upkeep_deployment",
    "lake_maintain",
    "upkeep_deployment_name",
    "upkeep_markdown",
]

FLOW_NAME = "news-ingest-lake-maintain"
_FRACTION_SLASH = "\u2044"


@flow(name=FLOW_NAME, persist_result=False)
async def lake_maintain(
    warehouse: str, data_path: str | None = None, keep_days: float = 7.0
) -> str:
    """Maintain the lake ``warehouse`` names, keeping ``keep_days`` days of snapshots."""
    target = parse_target(warehouse, data_path=Path(data_path) if data_path else None)
    upkeep = maintain(target, expire_before=datetime.now(UTC) - timedelta(days=keep_days))
    summary = upkeep_markdown(target.address(), upkeep, keep_days)
    get_run_logger().info(
        "lake %s: snapshots %d -> %d, %d old file(s) deleted",
        target.address(),
        upkeep.snapshots_before,
        upkeep.snapshots_after,
        upkeep.files_deleted,
    )
    await acreate_markdown_artifact(
        key="lake-upkeep", markdown=summary, description="What the lake's upkeep did"
    )
    return summary


def upkeep_markdown(address: str, upkeep: Upkeep, keep_days: float) -> str:
    """The artifact's text: the lake, the snapshots before and after, the files deleted."""
    return (
        f"# Lake upkeep: {address}\n\n"
        "| snapshots before | snapshots after | old files deleted | snapshots kept |\n"
        "|---:|---:|---:|---|\n"
        f"| {upkeep.snapshots_before} | {upkeep.snapshots_after} | {upkeep.files_deleted} "
        f"| the last {keep_days:g} day(s) |\n"
    )


def upkeep_deployment_name(lake: LakeTarget) -> str:
    """One deployment per lake, whichever serve registers it ("/" cannot be in a name)."""
    return f"lake {lake.address()}".replace("/", _FRACTION_SLASH)


async def build_upkeep_deployment(
    lake: LakeTarget, settings: WarehouseSettings, *, tags: list[str], name: str | None = None
) -> Any:
    """The upkeep's deployment for ``lake`` on the ``[warehouse]`` schedule (a RunnerDeployment).

    Its parameters hold the target's text (never a password) and the resolved data path;
    ``name`` defaults to :func:`upkeep_deployment_name`.
    """
    from prefect.types.entrypoint import EntrypointType  # noqa: PLC0415

    return await lake_maintain.ato_deployment(
        name=name or upkeep_deployment_name(lake),
        cron=settings.maintenance_schedule,
        interval=settings.maintenance_interval,
        paused=False,
        parameters={
            "warehouse": LAKE_PREFIX + lake.dsn,
            "data_path": str(lake.data_path.resolve()),
            "keep_days": settings.keep_days,
        },
        tags=[FLOW_NAME, *tags],
        description=f"merge small files and expire snapshots older than {settings.keep_days:g} "
        f"day(s) in the lake at {lake.address()}",
        entrypoint_type=EntrypointType.MODULE_PATH,
    )
