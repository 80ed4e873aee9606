"""``news-ingest deploy``: the sources file's schedules as deployments on a Prefect work pool.

Beside ``serve`` (a runner inside the news-ingest process), this is Prefect's own
path: one deployment per distinct schedule (:func:`flows.serve.plan_deployments`,
the same grouping and parameters as serve), registered against a work pool, and
run by any number of ``prefect worker start --pool NAME`` started from
news-ingest's environment, where the flow imports (``flows.ingest.ingest``, a
module entrypoint: no code to pull). Two ways to register them:

- ``news-ingest deploy --pool NAME``: applies them through Prefect's API
  (``RunnerDeployment.aapply``); ``--create-pool`` creates a missing pool (type
  ``process``, one run at a time);
- ``news-ingest deploy --pool NAME --prefect-yaml FILE``: writes a ``prefect.yaml``
  instead, for ``prefect deploy --all`` (Prefect's project workflow; edit it,
  commit it, add job variables).

With a lake as the warehouse, the ingest deployments store into it and the
lake's upkeep (:mod:`flows.upkeep`) is registered on the pool too, as
``lake <address> @<pool>`` on the ``[warehouse]`` schedule.

Deployments are named ``<schedule> @<pool>`` (``every 30m @news``) and tagged
``news-ingest``, ``sources:<file>@pool:<pool>``: a deployment of this sources
file on this pool whose schedule no source uses any more is paused, and
``serve`` (tagged ``sources:<file>``) never touches them, nor they it.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import timedelta
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

from flows.errors import DeployError
from flows.pipeline.config import Settings, load_settings
from flows.pipeline.lakeconfig import lake_target
from flows.pipeline.sources import build_source
from flows.prefect_api import connect_prefect
from flows.serve import (
    FLOW_NAME,
    DeploymentPlan,
    build_deployment,
    check_api,
    pause_stale,
    plan_deployments,
)
from flows.upkeep import FLOW_NAME as UPKEEP_FLOW
from flows.upkeep import build_upkeep_deployment, upkeep_deployment_name
from warehouse.lake.target import LAKE_PREFIX, LakeTarget

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient

__all__ = [
    "ENTRYPOINT",
    "UPKEEP_ENTRYPOINT",
    "Deployed",
    "Target",
    "deploy",
    "deployment_name",
    "prefect_yaml",
]

ENTRYPOINT = "flows.ingest.ingest"  # a module path: the worker's environment imports it
UPKEEP_ENTRYPOINT = "flows.upkeep.lake_maintain"


@dataclass(frozen=True, slots=True)
class Target:
    """Where the deployed runs store: the database, or the lake named on the command line."""

    db_path: Path
    warehouse: str | None = None  # --warehouse (None: the variable or the sources file's)
    data_path: str | None = None  # --data-path

    def overrides(self) -> dict[str, str | None]:
        return {"warehouse": self.warehouse, "data_path": self.data_path}

    def lake(self, settings: Settings) -> LakeTarget | None:
        return lake_target(
            settings.warehouse,
            warehouse=self.warehouse,
            data_path=self.data_path,
            database=self.db_path,
        )


@dataclass(frozen=True, slots=True)
class Deployed:
    """A deployment registered on the pool."""

    name: str  # e.g. "news-ingest/every 30m @news"
    deployment_id: UUID
    sources: tuple[str, ...]


def deployment_name(plan: DeploymentPlan, pool: str) -> str:
    """``every 30m @news``: the plan's schedule and the pool."""
    return f"{plan.name} @{pool}"


def deploy(
    *, sources_path: Path, target: Target, pool: str, create_pool: bool = False
) -> tuple[str, list[Deployed]]:
    """Register the sources file's schedules on ``pool``; the API's URL and the deployments."""
    settings, plans = _plans(sources_path)
    api_url = connect_prefect()
    check_api(api_url)
    return api_url, asyncio.run(_deploy(settings, plans, target, pool, create_pool))


def prefect_yaml(*, sources_path: Path, target: Target, pool: str) -> str:
    """A ``prefect.yaml`` holding the same deployments, for ``prefect deploy --all``."""
    settings, plans = _plans(sources_path)
    lines = [
        f"# Written by `news-ingest deploy --prefect-yaml` from {settings.path.resolve()}.",
        "# Register: prefect deploy --all (run it from news-ingest's environment, where the",
        f"# flow imports); run: prefect worker start --pool {pool}. Docs: docs/operations.md.",
        "name: news-ingest",
        f"prefect-version: {metadata.version('prefect')}",
        "build: null",
        "push: null",
        "pull: []  # the flow is a module of the worker's environment: nothing to pull",
        "deployments:",
    ]
    for plan in plans:
        lines += _yaml_deployment(plan, settings, target, pool)
    lake = target.lake(settings)
    if lake is not None:
        lines += _yaml_upkeep(lake, settings, pool)
    return "\n".join(lines) + "\n"


def _plans(sources_path: Path) -> tuple[Settings, tuple[DeploymentPlan, ...]]:
    settings = load_settings(sources_path)
    for config in settings.sources:
        if config.enabled:
            build_source(config)  # every configuration error before anything is registered
    return settings, plan_deployments(settings)


async def _deploy(
    settings: Settings,
    plans: tuple[DeploymentPlan, ...],
    target: Target,
    pool: str,
    create_pool: bool,
) -> list[Deployed]:
    from prefect import get_client  # noqa: PLC0415 (imports Prefect: slow)

    async with get_client() as client:
        await _ensure_pool(client, pool, create=create_pool)
    tag = _pool_tag(settings.path, pool)
    deployed = []
    for plan in plans:
        name = deployment_name(plan, pool)
        deployment = await build_deployment(
            plan, settings.path, target.db_path, tags=[tag], name=name, overrides=target.overrides()
        )
        deployment_id = await deployment.aapply(work_pool_name=pool)
        deployed.append(Deployed(f"{FLOW_NAME}/{name}", deployment_id, plan.sources))
    lake = target.lake(settings)
    if lake is not None:
        name = f"{upkeep_deployment_name(lake)} @{pool}"
        upkeep = await build_upkeep_deployment(lake, settings.warehouse, tags=[tag], name=name)
        deployment_id = await upkeep.aapply(work_pool_name=pool)
        deployed.append(Deployed(f"{UPKEEP_FLOW}/{name}", deployment_id, ()))
    async with get_client() as client:
        await pause_stale(client, keep={d.deployment_id for d in deployed}, tag=tag)
    return deployed


async def _ensure_pool(client: PrefectClient, pool: str, *, create: bool) -> None:
    from prefect.client.schemas.actions import WorkPoolCreate  # noqa: PLC0415
    from prefect.exceptions import ObjectNotFound  # noqa: PLC0415
    from prefect.workers.process import ProcessWorker  # noqa: PLC0415

    try:
        await client.read_work_pool(pool)
        return
    except ObjectNotFound:
        if not create:
            raise DeployError(
                f"work pool {pool!r} does not exist: create it with `prefect work-pool create "
                f"{pool} --type process`, or give --create-pool"
            ) from None
    template = ProcessWorker.get_default_base_job_template()
    await client.create_work_pool(
        WorkPoolCreate(name=pool, type="process", base_job_template=template, concurrency_limit=1)
    )


def _pool_tag(sources_path: Path, pool: str) -> str:
    return f"sources:{sources_path.resolve()}@pool:{pool}"


def _yaml_deployment(
    plan: DeploymentPlan, settings: Settings, target: Target, pool: str
) -> list[str]:
    """One deployment of prefect.yaml; JSON scalars and lists are YAML too."""
    parameters = {
        "sources_path": str(settings.path.resolve()),
        "db_path": str(target.db_path.resolve()),
        "source_names": list(plan.sources),
        "only_due": True,
        **{key: value for key, value in target.overrides().items() if value is not None},
    }
    return _yaml_entry(
        name=deployment_name(plan, pool),
        entrypoint=ENTRYPOINT,
        description=f"{plan.name}: " + ", ".join(plan.sources),
        tags=[FLOW_NAME, _pool_tag(settings.path, pool)],
        parameters=parameters,
        schedule=_yaml_schedule(plan.cron, plan.interval),
        pool=pool,
    )


def _yaml_upkeep(lake: LakeTarget, settings: Settings, pool: str) -> list[str]:
    """The lake's upkeep as a deployment of prefect.yaml."""
    parameters = {
        "warehouse": LAKE_PREFIX + lake.dsn,
        "data_path": str(lake.data_path.resolve()),
        "keep_days": settings.warehouse.keep_days,
    }
    return _yaml_entry(
        name=f"{upkeep_deployment_name(lake)} @{pool}",
        entrypoint=UPKEEP_ENTRYPOINT,
        description=f"the upkeep of the lake at {lake.address()}",
        tags=[UPKEEP_FLOW, _pool_tag(settings.path, pool)],
        parameters=parameters,
        schedule=_yaml_schedule(
            settings.warehouse.maintenance_schedule, settings.warehouse.maintenance_interval
        ),
        pool=pool,
    )


def _yaml_schedule(cron: str | None, interval: timedelta | None) -> str:
    if cron:
        return f"cron: {json.dumps(cron)}"
    return f"interval: {interval.total_seconds() if interval else 0:g}"


def _yaml_entry(
    *,
    name: str,
    entrypoint: str,
    description: str,
    tags: list[str],
    parameters: dict[str, object],
    schedule: str,
    pool: str,
) -> list[str]:
    return [
        f"- name: {json.dumps(name)}",
        f"  entrypoint: {entrypoint}",
        f"  description: {json.dumps(description)}",
        f"  tags: {json.dumps(tags)}",
        f"  parameters: {json.dumps(parameters)}",
        "  schedules:",
        f"  - {schedule}",
        "    active: true",
        "  work_pool:",
        f"    name: {json.dumps(pool)}",
    ]
