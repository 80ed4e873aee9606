"""Where the pipeline's messages go: the Prefect run log inside a run, else this module's log.

Also what the pipeline asks Prefect's runtime: the flow run it runs in and when
that run was scheduled. Nothing here fails outside a flow run (tests, the CLI
before a run starts): it falls back to logging and to "now".
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from uuid import UUID

from prefect import get_run_logger
from prefect.runtime import flow_run

__all__ = ["flow_run_id", "say", "scheduled_at", "warn"]

logger = logging.getLogger(__name__)


def warn(message: str) -> None:
    """A warning in the Prefect run log (or this module's log outside a run)."""
    _log(logging.WARNING, message)


def say(message: str) -> None:
    """An info line in the Prefect run log (or this module's log outside a run)."""
    _log(logging.INFO, message)


def flow_run_id() -> UUID | None:
    """The Prefect flow run this code runs in, if any."""
    value = flow_run.get_id()
    return UUID(str(value)) if value else None


def scheduled_at() -> datetime:
    """When the flow run was scheduled to start (now for a run started by hand)."""
    try:
        value = flow_run.get_scheduled_start_time()
    except Exception:
        return datetime.now(UTC)
    return datetime.fromtimestamp(value.timestamp(), tz=UTC)


def _log(level: int, message: str) -> None:
    try:
        get_run_logger().log(level, "%s", message)
    except Exception:  # no run context: outside a flow (tests, the CLI before the run)
        logger.log(level, "%s", message)
