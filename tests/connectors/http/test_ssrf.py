"""The SSRF guard: non-public addresses refused on every hop, before connecting, and pinned."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time

import httpcore
import pytest

from connectors.errors import BlockedAddressError, UnresolvableHostError
from connectors.http import FetchOutcome
from connectors.http.ssrf import AddressPolicy, GuardedBackend, GuardedResolver, is_public_address
from tests.connectors.http.fetching import PAGE, fetch_all, fetch_one, settings
from tests.localserver import LocalServer, Response

LOOPBACK_ONLY = ("127.0.0.1/32",)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # shared address space (carrier-grade NAT)
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "198.18.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "::ffff:169.254.169.254",
        "2002:7f00:1::",  # 6to4 around 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 around 10.0.0.1
        "2001:db8::1",
    ],
)
def test_non_public_addresses(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))
    assert not AddressPolicy().permits(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "93.184.216.34", "2606:4700::1111", "64:ff9b::808:808"]
)
def test_public_addresses(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


def test_allowlist_and_allow_private() -> None:
    policy = AddressPolicy.from_strings(allow_private=False, allowlist=LOOPBACK_ONLY)
    assert policy.permits(ipaddress.ip_address("127.0.0.1"))
    assert not policy.permits(ipaddress.ip_address("127.0.0.2"))
    assert AddressPolicy(allow_private=True).permits(ipaddress.ip_address("10.0.0.1"))


def test_loopback_is_refused_by_default_before_connecting(local_server: LocalServer) -> None:
    local_server.route("/p", Response(body=PAGE))
    url = local_server.url("/p")
    port = local_server.port
    variants = [
        url,
        f"http://localhost:{port}/p",  # a name resolving to loopback
        f"http://[::ffff:127.0.0.1]:{port}/p",  # IPv4-mapped IPv6 literal
        f"http://2130706433:{port}/p",  # 127.0.0.1 as one decimal number
        f"http://0x7f.1:{port}/p",  # and in inet_aton's shorthand
    ]
    results, log = fetch_all(settings(allow_private_addresses=False, respect_robots=True), variants)
    for result in results:
        assert result.outcome is FetchOutcome.PRIVATE_ADDRESS, (result.url, result.error)
        assert result.attempts == 0
        assert "non-public address" in (result.error or "")
    assert local_server.requests == []  # nothing reached the server, not even robots.txt
    assert [r.outcome for r in log] == [FetchOutcome.PRIVATE_ADDRESS] * len(variants)


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/admin",
        "http://[::1]:9/",
        "http://192.168.0.1/",
    ],
)
def test_redirect_to_a_private_address_is_refused(local_server: LocalServer, target: str) -> None:
    local_server.route("/go", Response(status=302, headers={"Location": target}))
    started = time.monotonic()
    result, _ = fetch_one(
        settings(allow_private_addresses=False, private_allowlist=LOOPBACK_ONLY),
        local_server.url("/go"),
    )
    assert result.outcome is FetchOutcome.PRIVATE_ADDRESS
    assert result.redirects == (local_server.url("/go"),)
    assert result.attempts == 1
    # 10.0.0.1 and 169.254.169.254 would hang on connect: refused before trying.
    assert time.monotonic() - started < 1.0


def test_allowlisted_loopback_is_fetched(local_server: LocalServer) -> None:
    local_server.route("/p", Response(body=PAGE))
    result, _ = fetch_one(
        settings(allow_private_addresses=False, private_allowlist=LOOPBACK_ONLY),
        local_server.url("/p"),
    )
    assert result.outcome is FetchOutcome.OK


def test_connection_goes_to_the_checked_address_not_a_second_lookup(
    local_server: LocalServer,
) -> None:
    """DNS rebinding: the first answer is checked and pinned; a later, private answer is unused."""
    answers = [["127.0.0.1"], ["10.0.0.1"], ["10.0.0.1"]]
    lookups: list[str] = []

    async def rebinding_dns(host: str, port: int) -> list[str]:
        lookups.append(host)
        return answers[min(len(lookups) - 1, 2)]

    local_server.route("/p", Response(body=PAGE))
    url = f"http://rebind.test:{local_server.port}/p"
    results, _ = fetch_all(
        settings(allow_private_addresses=False, private_allowlist=LOOPBACK_ONLY),
        [url, url],
        lookup=rebinding_dns,
    )
    # "rebind.test" does not exist in real DNS: reaching the server proves the
    # connection used the checked address; one lookup served the check and both connects.
    assert [r.outcome for r in results] == [FetchOutcome.OK, FetchOutcome.OK]
    assert lookups == ["rebind.test"]
    assert local_server.requests[0].header("host") == f"rebind.test:{local_server.port}"


def test_backend_checks_again_when_the_answer_expires(local_server: LocalServer) -> None:
    answers = iter([["127.0.0.1"], ["10.0.0.1"]])

    async def rebinding_dns(host: str, port: int) -> list[str]:
        return next(answers)

    policy = AddressPolicy.from_strings(allow_private=False, allowlist=LOOPBACK_ONLY)
    resolver = GuardedResolver(policy, ttl=0.0, lookup=rebinding_dns)
    backend = GuardedBackend(resolver)

    async def go() -> None:
        assert await resolver.resolve("rebind.test", local_server.port) == ("127.0.0.1",)
        with pytest.raises(BlockedAddressError, match=r"10\.0\.0\.1"):
            await backend.connect_tcp("rebind.test", local_server.port, timeout=1.0)

    asyncio.run(go())
    assert local_server.requests == []


def test_mixed_answer_is_refused_and_unknown_host_is_network_error() -> None:
    async def mixed(host: str, port: int) -> list[str]:
        return ["127.0.0.1", "10.0.0.1"]

    async def go() -> None:
        policy = AddressPolicy.from_strings(allow_private=False, allowlist=LOOPBACK_ONLY)
        with pytest.raises(BlockedAddressError):
            await GuardedResolver(policy, lookup=mixed).resolve("mixed.test", 80)
        with pytest.raises(UnresolvableHostError):
            await GuardedResolver(policy).resolve("no-such-host.invalid", 80)
        with pytest.raises(httpcore.ConnectError):
            await GuardedBackend(GuardedResolver(policy)).connect_unix_socket("/tmp/sock")

    asyncio.run(go())
    result, _ = fetch_one(settings(), "http://no-such-host.invalid/")
    assert result.outcome is FetchOutcome.NETWORK_ERROR
    assert "cannot resolve" in (result.error or "")


def test_a_pooled_connection_is_readable_once_its_peer_wrote_or_closed() -> None:
    """What the pool asks of an idle keep-alive connection, answered by polling its socket."""
    from connectors.http.ssrf import _readable

    ours, peer = socket.socketpair()
    with ours, peer:
        assert _readable(ours) is False  # idle: reusable
        peer.sendall(b"x")
        assert _readable(ours) is True
        ours.recv(1)
        peer.close()
        assert _readable(ours) is True  # closed by the server: not reusable
    assert _readable(None) is True
