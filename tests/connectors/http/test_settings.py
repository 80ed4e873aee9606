"""connectors.http.settings: FetchSettings refuses unusable values and gives each purpose its cap."""

from __future__ import annotations

import pytest

from connectors.errors import FetchSettingsError
from connectors.http import FetchSettings, Purpose


def test_bad_settings_are_rejected() -> None:
    with pytest.raises(FetchSettingsError, match="host_concurrency"):
        FetchSettings(host_concurrency=0)
    with pytest.raises(FetchSettingsError, match="private_allowlist"):
        FetchSettings(private_allowlist=("not-a-network",))
    with pytest.raises(FetchSettingsError, match="total_timeout"):
        FetchSettings(total_timeout=0)


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("connect_timeout", 0.0, "> 0"),
        ("host_delay", -1.0, ">= 0"),
        ("breaker_threshold", -1, ">= 0"),
        ("max_connections", 0, ">= 1"),
        ("max_url_length", 0, ">= 1"),
        ("decode_cpu_budget", 0.0, "> 0"),
    ],
)
def test_each_rule_names_its_field(field: str, value: float, rule: str) -> None:
    with pytest.raises(FetchSettingsError, match=f"fetch.{field} must be {rule}"):
        FetchSettings(**{field: value})  # type: ignore[arg-type]


def test_zero_is_a_valid_delay_retry_count_and_threshold() -> None:
    FetchSettings(host_delay=0, retries=0, breaker_threshold=0, max_redirects=0)


def test_an_empty_user_agent_is_refused() -> None:
    with pytest.raises(FetchSettingsError, match="user_agent"):
        FetchSettings(user_agent="  ")


def test_each_purpose_has_its_size_cap() -> None:
    s = FetchSettings(max_page_bytes=10, max_sitemap_bytes=20, max_robots_bytes=30)
    assert [s.size_limit(p) for p in Purpose] == [10, 10, 20, 30]  # page, feed, sitemap, robots


def test_the_address_policy_follows_the_settings() -> None:
    assert FetchSettings(allow_private_addresses=True).address_policy().allow_private
    policy = FetchSettings(private_allowlist=("10.1.0.0/16",)).address_policy()
    assert not policy.allow_private
    assert policy.allowlist


def test_decoding_has_a_cpu_budget_by_default() -> None:
    # Ten times what a 44 MiB sitemap takes to inflate here (0.1 s in any coding).
    assert FetchSettings().decode_cpu_budget == 1.0
