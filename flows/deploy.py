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

Deployments are named ``<schedule> @<pool>`` (``every 30m @news``) and tagged
``news-ingest``, ``sources:<file>@pool:<pool>``: a deployment of this sources
file on this pool whose schedule no source uses any more is paused, and
``serve`` (tagged ``sources:<file>``) never touches them, nor they it.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

from flows.errors import DeployError
from flows.pipeline.config import Settings, load_settings
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

if TYPE_CHECKING:
    from prefect.client.orchestration import PrefectClient

__all__ = ["ENTRYPOINT", "Deployed", "deploy", "deployment_name", "prefect_yaml"]

ENTRYPOINT = "flows.ingest.ingest"  # a module path: the worker's environment imports it


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
    *, sources_path: Path, db_path: Path, pool: str, create_pool: bool = False
) -> tuple[str, list[Deployed]]:
    """Register the sources file's schedules on ``pool``; the API's URL and the deployments."""
    settings, plans = _plans(sources_path)
    api_url = connect_prefect()
    check_api(api_url)
    return api_url, asyncio.run(_deploy(settings, plans, db_path, pool, create_pool))


def prefect_yaml(*, sources_path: Path, db_path: Path, pool: str) -> str:
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
        lines += _yaml_deployment(plan, settings, db_path, pool)
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
    db_path: Path,
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
        deployment = await build_deployment(plan, settings.path, db_path, tags=[tag], name=name)
        deployment_id = await deployment.aapply(work_pool_name=pool)
        deployed.append(Deployed(f"{FLOW_NAME}/{name}", deployment_id, plan.sources))
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
    plan: DeploymentPlan, settings: Settings, db_path: Path, pool: str
) -> list[str]:
    """One deployment of prefect.yaml; JSON scalars and lists are YAML too."""
    parameters = {
        "sources_path": str(settings.path.resolve()),
        "db_path": str(db_path.resolve()),
        "source_names": list(plan.sources),
        "only_due": True,
    }
    schedule = (
        f"cron: {json.dumps(plan.cron)}"
        if plan.cron
        else f"interval: {plan.interval.total_seconds() if plan.interval else 0:g}"
    )
    tags = [FLOW_NAME, _pool_tag(settings.path, pool)]
    return [
        f"- name: {json.dumps(deployment_name(plan, pool))}",
        f"  entrypoint: {ENTRYPOINT}",
        f"  description: {json.dumps(f'{plan.name}: ' + ', '.join(plan.sources))}",
        f"  tags: {json.dumps(tags)}",
        f"  parameters: {json.dumps(parameters)}",
        "  schedules:",
        f"  - {schedule}",
        "    active: true",
        "  work_pool:",
        f"    name: {json.dumps(pool)}",
    ]
