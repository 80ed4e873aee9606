"""connectors.http.settings: FetchSettings refuses unusable values and gives each purpose its cap."""

from __future__ import annotations

import pytest

from connectors.errors import FetchSettingsError
from connectors.http import FetchSettings


def test_bad_settings_are_rejected() -> None:
    with pytest.raises(FetchSettingsError, match="host_concurrency"):
        FetchSettings(host_concurrency=0)
    with pytest.raises(FetchSettingsError, match="private_allowlist"):
        FetchSettings(private_allowlist=("not-a-network",))
    with pytest.raises(FetchSettingsError, match="total_timeout"):
        FetchSettings(total_timeout=0)
