"""Which Prefect API this process's flow runs report to, decided once before a flow starts.

An API the user configured (``PREFECT_API_URL`` in the environment, a Prefect
profile, ``prefect.toml``, a test harness) always wins. Without one, the shared
local server of :mod:`flows.prefect_server` is used (started on first use), and
Prefect's temporary per-run server is switched off, so no run ever starts one.
"""

from __future__ import annotations

import os
import sys

from flows.prefect_server import DEFAULT_PORT, ServerInfo, default_home, ensure_server

__all__ = ["connect_prefect", "use_prefect_api"]


def use_prefect_api(*, port: int | None = None) -> tuple[str, ServerInfo | None]:
    """Point this process at its Prefect API; return its URL and the shared server, if used.

    ``port`` is the preferred port if the shared server has to be started (default
    Prefect's own 4200; any free port when that one is taken).
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from prefect.settings import get_current_settings  # noqa: PLC0415 (imports Prefect: slow)

    configured = get_current_settings().api.url
    if configured:
        return str(configured), None
    server = ensure_server(port=port or DEFAULT_PORT)
    os.environ["PREFECT_API_URL"] = server.api_url
    os.environ["PREFECT_SERVER_EPHEMERAL_ENABLED"] = "false"
    from prefect.context import refresh_global_settings_context  # noqa: PLC0415

    refresh_global_settings_context()
    return server.api_url, server


def connect_prefect(*, port: int | None = None) -> str:
    """:func:`use_prefect_api`, saying on standard error when the shared server was started."""
    api_url, server = use_prefect_api(port=port)
    if server is not None and not server.reused:
        print(
            f"news-ingest: started the shared Prefect server (UI {server.ui_url}, home "
            f"{default_home()}); later runs reuse it; `news-ingest server stop` stops it",
            file=sys.stderr,
        )
    return api_url
