"""SSRF guard: which addresses the fetcher may connect to, checked on every hop and at connect time.

A feed or a redirect can point anywhere, including ``http://169.254.169.254/``
or a service on the crawler's own network. Every host name is resolved here,
every address it resolves to is checked against an :class:`AddressPolicy`, and
the connection is then made to one of those checked addresses (never to the
name, which a second DNS answer could rebind to an internal address): the
fetcher's transport uses :class:`GuardedBackend`, whose ``connect_tcp`` asks
the same :class:`GuardedResolver` (a short cache of checked answers) that the
fetcher's pre-flight check asked.

Error tree::

    AddressError
    ├── BlockedAddressError     the host is, or resolves to, an address the policy refuses
    └── UnresolvableHostError   the host name does not resolve (``temporary`` for EAI_AGAIN)
"""

from __future__ import annotations

import asyncio
import ipaddress
import select
import socket
import ssl
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

import httpcore
import httpx

from connectors.errors import BlockedAddressError, UnresolvableHostError

__all__ = [
    "AddressPolicy",
    "GuardedBackend",
    "GuardedResolver",
    "IPAddress",
    "IPNetwork",
    "Lookup",
    "guarded_transport",
    "is_public_address",
    "system_lookup",
]

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network
Lookup: TypeAlias = Callable[[str, int], Awaitable[Sequence[str]]]
"""Resolve ``(host, port)`` to IP address strings (the system resolver by default)."""

# Prefixes that embed an IPv4 address whose own status decides the verdict.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_CACHE_SIZE = 4096


def is_public_address(address: IPAddress) -> bool:
    """True when the address is globally routable unicast, also after unwrapping embedded IPv4."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_public_address(embedded)
    if address.is_multicast or address.is_unspecified or address.is_reserved:
        return False
    if address.is_loopback or address.is_link_local or address.is_private:
        return False
    # is_global also rules out shared address space (100.64/10) and other
    # special-purpose blocks that is_private does not cover.
    return address.is_global


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]  # the client's (obfuscation undone) address
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


@dataclass(frozen=True, slots=True)
class AddressPolicy:
    """Which addresses may be contacted: public ones, plus an allow-list or everything."""

    allow_private: bool = False
    allowlist: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_strings(cls, *, allow_private: bool, allowlist: Iterable[str] = ()) -> AddressPolicy:
        """Build a policy from CIDR strings; raise ValueError for a malformed network."""
        networks = tuple(ipaddress.ip_network(item, strict=False) for item in allowlist)
        return cls(allow_private=allow_private, allowlist=networks)

    def permits(self, address: IPAddress) -> bool:
        """True when the fetcher may connect to this address."""
        if self.allow_private or is_public_address(address):
            return True
        return any(address in network for network in self.allowlist)


def _parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return None


async def system_lookup(host: str, port: int) -> list[str]:
    """Resolve a host with the system resolver (asyncio getaddrinfo), keeping the answer order."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


class GuardedResolver:
    """Resolves host names and checks every address; caches checked answers briefly.

    The cache is what closes the DNS-rebinding gap: the pre-flight check and
    the connect that follows it see the same, checked answer.
    """

    def __init__(
        self, policy: AddressPolicy, *, ttl: float = 60.0, lookup: Lookup | None = None
    ) -> None:
        self.policy = policy
        self._ttl = ttl
        self._lookup: Lookup = lookup or system_lookup
        # Keyed by host alone: the pre-flight check and the connect must share one answer.
        self._cache: OrderedDict[str, tuple[float, tuple[str, ...]]] = OrderedDict()

    async def resolve(self, host: str, port: int) -> tuple[str, ...]:
        """Return a host's checked addresses; raise BlockedAddressError, UnresolvableHostError."""
        host = host.strip("[]").lower()
        literal = _parse_ip(host)
        if literal is not None:
            self._check(host, [literal])
            return (str(literal),)
        key = host
        cached = self._cache.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        addresses = await self._resolve_uncached(host, port)
        self._cache[key] = (time.monotonic() + self._ttl, addresses)
        self._cache.move_to_end(key)
        while len(self._cache) > _CACHE_SIZE:
            self._cache.popitem(last=False)
        return addresses

    async def _resolve_uncached(self, host: str, port: int) -> tuple[str, ...]:
        try:
            answer = await self._lookup(host, port)
        except socket.gaierror as exc:
            temporary = exc.errno == socket.EAI_AGAIN
            raise UnresolvableHostError(host, str(exc), temporary=temporary) from exc
        except (OSError, UnicodeError) as exc:
            raise UnresolvableHostError(host, str(exc), temporary=True) from exc
        parsed = [address for address in map(_parse_ip, answer) if address is not None]
        if not parsed:
            raise UnresolvableHostError(host, "no addresses", temporary=False)
        # One refused address refuses the host: a mixed answer is how rebinding starts.
        self._check(host, parsed)
        return tuple(str(address) for address in parsed)

    def _check(self, host: str, addresses: Sequence[IPAddress]) -> None:
        for address in addresses:
            if not self.policy.permits(address):
                raise BlockedAddressError(host, str(address))


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to addresses the resolver checked."""

    def __init__(
        self, resolver: GuardedResolver, inner: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self._resolver = resolver
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Resolve and check ``host``, then connect to the first checked address that answers."""
        try:
            addresses = await self._resolver.resolve(host, port)
        except UnresolvableHostError as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        failure: Exception = httpcore.ConnectError(f"no address to connect to for {host}")
        for address in addresses:
            try:
                stream = await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
            else:
                return _PolledStream(stream)
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Refuse: the fetcher only speaks TCP to checked addresses."""
        raise httpcore.ConnectError("unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        """Sleep through the wrapped backend."""
        await self._inner.sleep(seconds)


class _PolledStream(httpcore.AsyncNetworkStream):
    """The connection as the backend made it, asked "is it readable?" cheaply.

    The connection pool asks every pooled connection whether it is readable (a
    closed keep-alive connection is) each time it hands out a connection; anyio
    answers by building its table of socket attributes every time, which cost
    more than the rest of a request's bookkeeping. This polls the socket found
    once, as httpcore itself does; everything else goes to the wrapped stream.
    """

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner
        self._socket: socket.socket | None = inner.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Read through the wrapped stream."""
        return await self._inner.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Write through the wrapped stream."""
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        """Close the wrapped stream."""
        await self._inner.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Upgrade to TLS; the TLS stream is polled the same way."""
        return _PolledStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        """``is_readable`` from a poll of the socket; the rest from the wrapped stream."""
        if info == "is_readable":
            return _readable(self._socket)
        return self._inner.get_extra_info(info)


def _readable(sock: socket.socket | None) -> bool:
    """Whether reading the socket would return at once (data, or the end of a closed one)."""
    descriptor = -1 if sock is None else sock.fileno()
    if descriptor < 0:
        return True  # gone: the next read returns the end
    poller = select.poll()
    poller.register(descriptor, select.POLLIN)
    return bool(poller.poll(0))


def guarded_transport(
    resolver: GuardedResolver, *, limits: httpx.Limits, trust_env: bool
) -> httpx.AsyncHTTPTransport:
    """An HTTP/1.1 transport whose connections go only to addresses ``resolver`` checked."""
    transport = httpx.AsyncHTTPTransport(
        limits=limits, trust_env=trust_env, http1=True, http2=False
    )
    # httpx 0.28 has no public hook for the network backend, so the pool it
    # built is replaced with an identical one that uses the guarded backend.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=trust_env),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        http1=True,
        http2=False,
        network_backend=GuardedBackend(resolver),
    )
    return transport
