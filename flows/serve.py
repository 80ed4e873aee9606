"""``news-ingest serve``: Prefect deployments from the sources file's schedules.

One deployment per distinct schedule (``every 30m``, ``cron 0 * * * *``),
running the ``news-ingest`` flow over the sources that share it: sources due
at the same moment share one run, one process start, one extraction pool and
one polite HTTP client, and one summary artifact. The deployments are served
by a runner in this process that starts at most one flow run at a time (the
flow's run lock serialises runs from other processes too); schedules are not
paused when it stops, so runs missed while it was down are still on the
server and run when it comes back, collapsed into one run per deployment.

Without ``PREFECT_API_URL`` it uses the shared local Prefect server
(:mod:`flows.prefect_server`: a real ``prefect server start`` on 127.0.0.1, UI
and scheduler included), starting it if it is not running; the server stays
up when serve stops, so the schedules keep their history.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import sys
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

import httpx

from flows.errors import ConfigError, ServeError
from flows.pipeline.config import (
    Settings,
    SourceConfig,
    format_interval,
    load_settings,
    with_engine,
)
from flows.pipeline.lakeconfig import lake_target
from flows.pipeline.per_document import check_engine
from flows.pipeline.sources import build_source
from flows.prefect_api import connect_prefect
from flows.prefect_server import DEFAULT_PORT
from flows.upkeep import FLOW_NAME as UPKEEP_FLOW
from flows.upkeep import build_upkeep_deployment
from warehouse.lake.connection import check_reachable
from warehouse.lake.target import LakeTarget

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient

__all__ = [
    "DeploymentPlan",
    "build_deployment",
    "check_api",
    "collapse_missed_runs",
    "pause_stale",
    "plan_deployments",
    "serve",
    "unscheduled_sources",
]

logger = logging.getLogger(__name__)

FLOW_NAME = "news-ingest"
_FRACTION_SLASH = "\u2044"


@dataclass(frozen=True, slots=True)
class DeploymentPlan:
    """One deployment to serve: a schedule and the sources it runs."""

    name: str
    sources: tuple[str, ...]
    cron: str | None = None
    interval: timedelta | None = None


def plan_deployments(settings: Settings) -> tuple[DeploymentPlan, ...]:
    """Group the enabled, scheduled sources by schedule (a ConfigError if none is scheduled)."""
    groups: dict[str, list[SourceConfig]] = {}
    for config in settings.sources:
        name = _schedule_name(config)
        if config.enabled and name is not None:
            groups.setdefault(name, []).append(config)
    if not groups:
        raise ConfigError(
            f"{settings.path}: no enabled source has a `schedule` (cron) or an `interval`; "
            "there is nothing to serve (use `news-ingest run` for one-off runs)"
        )
    return tuple(
        DeploymentPlan(
            name=name,
            sources=tuple(c.name for c in configs),
            cron=configs[0].schedule,
            interval=configs[0].interval,
        )
        for name, configs in sorted(groups.items())
    )


def unscheduled_sources(settings: Settings) -> list[str]:
    """Enabled sources that only a manual ``news-ingest run`` ingests."""
    return [s.name for s in settings.sources if s.enabled and _schedule_name(s) is None]


def _schedule_name(config: SourceConfig) -> str | None:
    if config.schedule is not None:
        # Prefect names cannot hold "/" (flow/deployment separator): "*/15" shows as "*⁄15".
        return f"cron {config.schedule.replace('/', _FRACTION_SLASH)}"
    if config.interval is not None:
        return f"every {format_interval(config.interval)}"
    return None


def serve(
    *,
    sources_path: Path,
    db_path: Path,
    port: int = DEFAULT_PORT,
    engine: str | None = None,
    scheduler: str | None = None,
    warehouse: str | None = None,
    data_path: str | None = None,
) -> None:
    """Validate the sources file, then serve its schedules until interrupted.

    ``engine`` and ``scheduler`` override the file's ``[pipeline]`` ones in every
    run served, ``warehouse`` and ``data_path`` its ``[warehouse]`` ones; a Dask
    cluster and a lake's PostgreSQL are checked before serving starts. With a
    lake, its upkeep (:mod:`flows.upkeep`) is served on its own schedule too.
    """
    settings = load_settings(sources_path)
    for config in settings.sources:
        if config.enabled:
            build_source(config)  # every config error before anything starts
    check_engine(with_engine(settings.pipeline, engine=engine, scheduler=scheduler))
    lake = lake_target(
        settings.warehouse, warehouse=warehouse, data_path=data_path, database=db_path
    )
    if lake is not None:
        check_reachable(lake)
    plans = plan_deployments(settings)
    for name in unscheduled_sources(settings):
        logger.warning("source %s has no schedule: only `news-ingest run` ingests it", name)
    with _serve_lock(db_path):
        api_url = connect_prefect(port=port)
        check_api(api_url)
        overrides = {
            "engine": engine,
            "scheduler": scheduler,
            "warehouse": warehouse,
            "data_path": data_path,
        }
        served = _Served(settings, plans, db_path, overrides, lake)
        _serve_with(api_url, served)


@dataclass(frozen=True, slots=True)
class _Served:
    """What one serve registers: the ingest plans, their overrides, the lake to maintain."""

    settings: Settings
    plans: tuple[DeploymentPlan, ...]
    db_path: Path
    overrides: dict[str, str | None]
    lake: LakeTarget | None


def _serve_with(api_url: str, served: _Served) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings  # noqa: PLC0415

    with (
        temporary_settings(updates={PREFECT_API_URL: api_url}),
        contextlib.suppress(KeyboardInterrupt),
    ):
        asyncio.run(_serve_async(api_url, served))
    logger.info("news-ingest serve stopped; the schedules stay active on %s", api_url)


async def _serve_async(api_url: str, served: _Served) -> None:
    from prefect import get_client  # noqa: PLC0415
    from prefect.runner import Runner  # noqa: PLC0415

    runner = Runner(name="news-ingest-serve", pause_on_shutdown=False, limit=1)
    tag = _sources_tag(served.settings.path)
    ids: dict[UUID, str] = {}
    for plan in served.plans:
        deployment = await build_deployment(
            plan, served.settings.path, served.db_path, tags=[tag], overrides=served.overrides
        )
        sources = ", ".join(plan.sources)
        ids[await _added(runner, deployment)] = f"{FLOW_NAME}/{plan.name}: {sources}"
    if served.lake is not None:
        upkeep = await build_upkeep_deployment(served.lake, served.settings.warehouse, tags=[tag])
        ids[await _added(runner, upkeep)] = f"{UPKEEP_FLOW}/{upkeep.name}: the lake's upkeep"
    async with get_client() as client:
        await pause_stale(client, keep=set(ids), tag=tag)
        await _crash_orphans(client, list(ids))
        await collapse_missed_runs(client, list(ids))
    _announce(api_url, list(ids.values()), served)
    await runner.start()


async def _added(runner: Any, deployment: Any) -> UUID:
    """Add ``deployment`` to ``runner``; its id (``add_deployment`` is async in some versions)."""
    added = runner.add_deployment(deployment)
    return cast(UUID, await added if isinstance(added, Coroutine) else added)


async def build_deployment(
    plan: DeploymentPlan,
    sources_path: Path,
    db_path: Path,
    *,
    tags: list[str],
    name: str | None = None,
    overrides: dict[str, str | None] | None = None,
) -> Any:
    """The news-ingest flow's deployment for ``plan`` (a RunnerDeployment; module entrypoint).

    ``name`` defaults to the plan's; ``tags`` come after the flow's name; ``overrides``
    (the ingest flow's ``engine``, ``scheduler``, ``warehouse``, ``data_path`` given on the
    command line; None = the sources file's) are passed to every run.
    """
    from prefect.types.entrypoint import EntrypointType  # noqa: PLC0415

    from flows.ingest import ingest  # noqa: PLC0415

    return await ingest.ato_deployment(
        name=name or plan.name,
        cron=plan.cron,
        interval=plan.interval,
        paused=False,  # the sources file decides: a schedule paused as stale comes back
        parameters={
            "sources_path": str(sources_path.resolve()),
            "db_path": str(db_path.resolve()),
            "source_names": list(plan.sources),
            "only_due": True,
            **{key: value for key, value in (overrides or {}).items() if value is not None},
        },
        tags=[FLOW_NAME, *tags],
        description=f"{plan.name}: {', '.join(plan.sources)} into {db_path.resolve()}",
        entrypoint_type=EntrypointType.MODULE_PATH,
    )


def _sources_tag(path: Path) -> str:
    return f"sources:{path.resolve()}"


async def pause_stale(client: PrefectClient, *, keep: set[UUID], tag: str) -> None:
    """Pause deployments tagged ``tag`` (one sources file's) that are not in ``keep``."""
    from prefect.client.schemas.filters import (  # noqa: PLC0415
        DeploymentFilter,
        DeploymentFilterTags,
    )

    stale = await client.read_deployments(
        deployment_filter=DeploymentFilter(tags=DeploymentFilterTags(all_=[tag]))
    )
    for deployment in stale:
        if deployment.id not in keep and not deployment.paused:
            await client.pause_deployment(deployment.id)
            logger.warning(
                "paused deployment %r: no source of this sources file uses its schedule now",
                deployment.name,
            )


async def _crash_orphans(client: PrefectClient, deployment_ids: list[UUID]) -> None:
    """Runs left Running/Pending by a serve that died cannot still be running: say so."""
    from prefect.client.schemas.filters import FlowRunFilter  # noqa: PLC0415
    from prefect.states import Crashed  # noqa: PLC0415

    runs = await client.read_flow_runs(
        flow_run_filter=FlowRunFilter.model_validate(
            {
                "deployment_id": {"any_": deployment_ids},
                "state": {"type": {"any_": ["RUNNING", "PENDING"]}},
            }
        )
    )
    for run in runs:
        await client.set_flow_run_state(
            run.id,
            Crashed(message="news-ingest serve stopped while this run was in progress"),
            force=True,
        )
        logger.warning("flow run %s was left running by an earlier serve: crashed", run.name)


async def collapse_missed_runs(client: PrefectClient, deployment_ids: list[UUID]) -> int:
    """Keep the latest overdue scheduled run of each deployment, cancel the older ones.

    Runs missed while nothing served them are still on the server (Prefect
    keeps past scheduled runs; it marks them Late); running each of them would
    only repeat the same work. Returns how many runs were cancelled.
    """
    from prefect.client.schemas.filters import FlowRunFilter  # noqa: PLC0415
    from prefect.client.schemas.sorting import FlowRunSort  # noqa: PLC0415
    from prefect.states import Cancelled  # noqa: PLC0415

    overdue = await client.read_flow_runs(
        flow_run_filter=FlowRunFilter.model_validate(
            {
                "deployment_id": {"any_": deployment_ids},
                "state": {"type": {"any_": ["SCHEDULED"]}},
                "expected_start_time": {"before_": datetime.now(UTC)},
            }
        ),
        sort=FlowRunSort.EXPECTED_START_TIME_DESC,
    )
    kept: set[UUID | None] = set()
    cancelled = 0
    for run in overdue:
        if run.deployment_id not in kept:
            kept.add(run.deployment_id)
            logger.info("missed run %s (due %s) runs now", run.name, run.expected_start_time)
            continue
        await client.set_flow_run_state(
            run.id, Cancelled(message="superseded by a later missed run of the same schedule")
        )
        cancelled += 1
    if cancelled:
        logger.warning("%d older missed run(s) cancelled: the latest does their work", cancelled)
    return cancelled


def _announce(api_url: str, deployments: list[str], served: _Served) -> None:
    ui = api_url.rstrip("/").removesuffix("/api")
    lines = [f"news-ingest serve: {len(deployments)} deployment(s) on {api_url}"]
    lines += [f"  {line}" for line in deployments]
    where = (
        f"the lake at {served.lake.address()}"
        if served.lake is not None
        else f"database {served.db_path.resolve()}"
    )
    lines.append(f"{where}; one run at a time; runs and summaries: {ui}/runs")
    lines.append("Ctrl-C stops serving; the schedules stay active and missed runs run on restart")
    print("\n".join(lines), file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the Prefect server


def check_api(api_url: str) -> None:
    """A ServeError unless the Prefect API at ``api_url`` answers its health check."""
    try:
        response = httpx.get(f"{api_url.rstrip('/')}/health", timeout=10)
    except httpx.HTTPError as exc:
        raise ServeError(
            f"the Prefect API at {api_url} (PREFECT_API_URL) is unreachable: {exc}"
        ) from exc
    if response.status_code != 200:
        raise ServeError(f"the Prefect API at {api_url} answered {response.status_code}")


@contextmanager
def _serve_lock(db_path: Path) -> Iterator[None]:
    """One serve per warehouse (a second would mark the first one's runs as crashed)."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    lock_path = db_path.with_name(db_path.name + ".serve.lock")
    with lock_path.open("a+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ServeError(
                f"another `news-ingest serve` is serving {db_path} (lock {lock_path})"
            ) from exc
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
