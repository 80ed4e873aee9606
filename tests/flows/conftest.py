"""Fixtures for flow tests that run the CLI in subprocesses against a real Prefect server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.prefectserver import PrefectServer


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """One ``prefect server start`` on 127.0.0.1 for the session (about 10 s to start)."""
    with PrefectServer(tmp_path_factory.mktemp("prefect-home")) as server:
        yield server
