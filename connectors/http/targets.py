"""Which URL the fetcher requests: the checks before any request, and where a redirect leads.

A URL is requested only if it passes the shared rule of
:mod:`connectors.text.urls` (absolute http or https, a sane length) and what
the transport needs on top: a host name httpx can encode that is a valid DNS
name. Redirects are followed by hand, so every hop passes the same checks (and,
in the client, the address guard and robots.txt again); a
:class:`RedirectChain` refuses a bad Location, a loop and a chain that is too
long. :func:`redirect_target` is the rule for a Location; the exchange applies
it too, as a response arrives, because httpx raises on one it cannot parse.
"""

from __future__ import annotations

import re

import httpx

from connectors.http.results import FetchOutcome, Reply
from connectors.text.urls import http_url_problem

__all__ = ["RedirectChain", "host_name", "origin", "port", "redirect_target", "request_target"]

_HOSTNAME = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_-]{1,63})*\.?")
_MAX_HOST_LENGTH = 253


def request_target(url: str, *, max_length: int) -> httpx.URL | str:
    """The URL to request (fragment dropped), or why it cannot be requested."""
    problem = http_url_problem(url, max_length=max_length)
    if problem is not None:
        return problem
    try:
        parsed = httpx.URL(url.strip())
        host = parsed.raw_host.decode("ascii").lower()
    except (httpx.InvalidURL, UnicodeError, ValueError, TypeError) as exc:
        return f"invalid URL: {exc}"
    if ":" not in host and (len(host) > _MAX_HOST_LENGTH or not _HOSTNAME.fullmatch(host)):
        return f"invalid host {host!r}"
    return parsed.copy_with(fragment=None)


def redirect_target(current: httpx.URL, location: str, *, max_length: int) -> httpx.URL | str:
    """Where a Location header sent in answer to ``current`` leads, or why it cannot be followed."""
    try:
        joined = str(current.join(location))
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        return f"redirect to an invalid URL {location!r}: {exc}"
    target = request_target(joined, max_length=max_length)
    if isinstance(target, str):
        return f"redirect to {location!r}: {target}"  # as sent: what the site's owner would fix
    return target


def host_name(url: httpx.URL) -> str:
    """The URL's host as sent (IDNA-encoded), lower-cased: the key of per-host state."""
    return url.raw_host.decode("ascii").lower()


def port(url: httpx.URL) -> int:
    """The URL's port, or its scheme's default."""
    return url.port or (443 if url.scheme == "https" else 80)


def origin(url: httpx.URL) -> str:
    """scheme://host:port, the unit robots.txt applies to."""
    return f"{url.scheme}://{host_name(url)}:{port(url)}"


class RedirectChain:
    """The redirects of one fetch: each Location checked, loops and overlong chains refused."""

    def __init__(self, first: httpx.URL, *, max_redirects: int, max_url_length: int) -> None:
        self._seen = {str(first)}
        self._followed = 0
        self._max_redirects = max_redirects
        self._max_url_length = max_url_length

    def next_hop(self, current: httpx.URL, redirect: Reply) -> httpx.URL | Reply:
        """Where the redirect answering ``current`` leads, or the refusal that ends the chain."""
        target = self._target(current, redirect.location or "")
        if isinstance(target, Reply):
            return target
        if str(target) in self._seen:
            loop = Reply.refused(FetchOutcome.REDIRECT_LOOP, f"redirect back to {target}")
            return loop.caused_by(redirect)
        if self._followed >= self._max_redirects:
            error = f"more than {self._max_redirects} redirects (next: {target})"
            return Reply.refused(FetchOutcome.TOO_MANY_REDIRECTS, error).caused_by(redirect)
        self._seen.add(str(target))
        self._followed += 1
        return target

    def _target(self, current: httpx.URL, location: str) -> httpx.URL | Reply:
        target = redirect_target(current, location, max_length=self._max_url_length)
        if isinstance(target, str):
            return Reply.refused(FetchOutcome.BAD_URL, target)
        return target
