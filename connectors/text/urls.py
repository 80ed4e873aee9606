"""The one rule for what counts as a web address: an absolute http(s) URL with a host.

Every part of the pipeline that takes a URL from outside (a URL list, a feed
or sitemap entry, a redirect, a page's canonical link, the dedupe rules)
applies :func:`http_url_problem`; stricter policies are layered on top where
the input calls for them (a listed URL may not hold white space; the HTTP
client also checks the host name's syntax before it connects).
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

__all__ = ["MAX_URL_LENGTH", "absolute_http_url", "http_url_problem", "is_http_url"]

MAX_URL_LENGTH = 2_083  # the longest URL old browsers and many crawlers accept
_SCHEMES = frozenset({"http", "https"})
_BAD_CHARACTER = re.compile(r"[\s\x00-\x1f\x7f]")
_ABSOLUTE = re.compile(r"https?://", re.IGNORECASE)


def http_url_problem(url: str, *, max_length: int | None = MAX_URL_LENGTH) -> str | None:
    """Why ``url`` is not an absolute http(s) URL with a host (and a valid port), or None."""
    if max_length is not None and len(url) > max_length:
        return f"URL longer than {max_length} characters"
    try:
        parts = urlsplit(url.strip())
        hostname = parts.hostname
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError as exc:
        return f"invalid URL: {exc}"
    if not parts.scheme:
        return "not absolute"
    if parts.scheme.lower() not in _SCHEMES:
        return f"scheme {parts.scheme!r} is not http or https"
    if not hostname:
        return "URL has no host"
    return None


def is_http_url(url: str | None) -> bool:
    """Whether ``url`` is an absolute http(s) URL with a host (any length)."""
    return bool(url) and http_url_problem(url or "", max_length=None) is None


def absolute_http_url(
    value: str | None, *, base: str | None = None, max_length: int = MAX_URL_LENGTH
) -> str | None:
    """Return ``value`` (resolved on ``base``) as an absolute http(s) URL sans fragment, or None.

    The form for URLs read from lists, feeds and sitemaps: surrounding white
    space is dropped, and white space or control characters inside refuse it.
    """
    if not value:
        return None
    value = value.strip()
    if not value or _BAD_CHARACTER.search(value):
        return None
    try:
        url = urljoin(base, value) if base and not _ABSOLUTE.match(value) else value
    except ValueError:
        return None
    if http_url_problem(url, max_length=None) is not None:
        return None
    parts = urlsplit(url)
    if parts.fragment:
        # The fragment never reaches the server: "#comments" is the same page.
        url = parts._replace(fragment="").geturl()
    return url if len(url) <= max_length else None
