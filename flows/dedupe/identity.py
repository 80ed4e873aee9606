"""URL identity: which URLs are one page, and which URL an article lives at.

Every URL variant of one page (tracking parameters, session ids, AMP and
mobile variants, redirect chains, the page's own same-site ``rel=canonical``
or ``og:url``) folds onto identity keys (:func:`identity_key`);
:func:`resolve_identity` chooses an article's preferred URL and collects the
keys of every variant seen, and the store maps every key to one article.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Final
from urllib.parse import SplitResult, parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

from connectors.text.urls import http_url_problem
from flows.errors import InvalidURLError

__all__ = [
    "AliasKind",
    "CanonicalSource",
    "IdentityDecision",
    "IgnoredHint",
    "UrlAlias",
    "canonical_url",
    "identity_key",
    "registered_domain",
    "resolve_identity",
    "same_site",
    "site_of",
]

logger = logging.getLogger(__name__)

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}

# Query parameters that only say where a click came from. Sources: ClearURLs
# rules, Firefox query stripping, AdGuard's tracking-parameter filter, and the
# feed links of the development corpus (DW's maca, heise's wt_mc, CBC's cmp,
# Metro's ico, LTO's r=rss, Der Standard's ref=rss). Names compare
# case-insensitively.
_TRACKING_EXACT: Final = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid",
        "ysclid", "twclid", "ttclid", "igshid", "igsh", "mc_cid", "mc_eid", "_ga", "_gl",
        "_hsenc", "_hsmi", "__hstc", "__hssc", "__hsfp", "hsctatracking", "mkt_tok",
        "oly_anon_id", "oly_enc_id", "rb_clickid", "s_cid", "vero_id", "vero_conv",
        "wickedid", "_openstat", "ncid", "ocid", "cmpid", "xtor", "xtref", "ito", "smid",
        "smtyp", "sr_share", "spm", "ref", "ref_src", "ref_url", "referrer", "referer",
        "li_fat_id", "trk", "trkcampaign", "at_medium", "at_campaign", "at_custom1",
        "at_custom2", "at_custom3", "at_custom4", "at_dist", "at_link", "at_ptr",
        "at_platform", "at_type", "at_format", "at_recipient_id", "at_recipient_list",
        "usqp", "amp_js_v", "amp_gsa", "_gsa", "__twitter_impression", "share",
        "cid_source", "dicbo", "fb_action_ids", "fb_action_types", "fb_source", "fb_ref",
        "maca", "cmp", "ico", "wt_mc", "wt_zmc", "ftag", "dmcid", "partner_id",
    }
)  # fmt: skip
_TRACKING_PREFIXES: Final = (
    "utm_", "pk_", "mtm_", "matomo_", "piwik_", "hsa_", "itm_", "ns_", "ga_", "stm_",
    "cm_mmc", "sc_cid", "wt_", "wt.", "icid", "ic_", "mc_",
)  # fmt: skip
# Session ids. "sid" and "s" are also real ids on some sites (Slashdot's
# sid=08/01/01/1234), so they are dropped only when the value looks like a token.
_SESSION_EXACT: Final = frozenset(
    {"jsessionid", "phpsessid", "sessionid", "session_id", "sessid", "cfid", "cftoken",
     "zenid", "oscsid", "aspsessionid"}
)  # fmt: skip
_SESSION_IF_TOKEN: Final = frozenset({"sid", "s", "session"})
# Generic names ("?r=rss", "?from=newsletter") that are tracking only with a channel value.
_CHANNEL_NAMES: Final = frozenset({"r", "src", "source", "from", "via", "channel", "feed", "f"})
_CHANNEL_VALUE: Final = re.compile(
    r"(?:rss|atom|feed|newsletter|e?mail|twitter|facebook|fb|social|share|push|app|"
    r"home|homepage|frontpage|mostread|google|googlenews|gnews|flipboard|upday|msn|yahoo)"
    r"(?:\b|_|$)|.*rss",
    re.IGNORECASE,
)
_TOKEN_VALUE: Final = re.compile(r"[A-Za-z0-9_-]{16,}")
_SESSION_PATH_PARAM: Final = re.compile(
    r";(?:jsessionid|phpsessid|sessionid|sid|aspsessionid[a-z]*)=[^/?#;]*", re.IGNORECASE
)
# Query parameters that select the AMP rendering of the same article.
_AMP_PARAMS: Final = frozenset({"amp", "_amp", "outputtype", "output", "format", "view"})
_AMP_VALUES: Final = frozenset({"", "1", "true", "yes", "amp"})
# Host labels that select a device rendering of the same site.
_DEVICE_LABELS: Final = frozenset({"www", "m", "mobile", "amp", "mob", "wap", "touch"})
_WWW_N: Final = re.compile(r"www\d{1,2}")
_AMP_CACHE_SUFFIX: Final = ".cdn.ampproject.org"
_GOOGLE_AMP_HOSTS: Final = frozenset({"www.google.com", "google.com"})
# Second-level labels under a two-letter country TLD that are open for public
# registration (co.uk, com.au, ne.jp, gob.mx, ...). The registrable domain is
# then the last three labels. Without the public suffix list this is a
# deliberate approximation: private suffixes (blogspot.com, github.io) and
# geographic ones (kyoto.jp) count as one site.
_GENERIC_SLDS: Final = frozenset(
    {
        "ac", "ad", "co", "com", "ed", "edu", "go", "gob", "gouv", "gov", "govt", "gr",
        "int", "lg", "ltd", "mil", "ne", "net", "nhs", "nic", "nom", "or", "org", "plc",
        "res", "sch", "web", "info", "biz", "gen", "firm", "ind", "police", "mod", "med",
        "press", "tv", "in", "blog",
    }
)  # fmt: skip


class AliasKind(StrEnum):
    """How a URL variant of an article was seen (the ``url_aliases.kind`` vocabulary)."""

    FETCHED = "fetched"
    REDIRECT = "redirect"
    CANONICAL = "canonical"


class CanonicalSource(StrEnum):
    """Which URL was preferred as the article's canonical URL."""

    REL_CANONICAL = "rel_canonical"
    OG_URL = "og_url"
    FETCHED = "fetched"


@dataclass(frozen=True, slots=True)
class UrlAlias:
    """One URL variant of an article: its identity key and the variant as first seen."""

    key: str
    url: str
    kind: AliasKind


@dataclass(frozen=True, slots=True)
class IgnoredHint:
    """A canonical hint the page gave that was not followed, and why."""

    url: str
    reason: str  # malformed | not_http | cross_site | site_root | section


@dataclass(frozen=True, slots=True)
class IdentityDecision:
    """Where an article lives: its preferred URL, its key and every alias key to look up.

    The store looks up all ``aliases`` keys and reuses the article any of them
    already points at, so a canonical loop (A says B, B says A) ends as one
    article whichever page is fetched first.
    """

    url: str  # preferred canonical URL (normalised by canonical_url)
    key: str  # identity key of ``url``
    source: CanonicalSource
    aliases: tuple[UrlAlias, ...]  # one per distinct key; ``key`` is among them
    ignored: tuple[IgnoredHint, ...] = ()

    @property
    def alias_keys(self) -> tuple[str, ...]:
        """Every identity key of this article, sorted."""
        return tuple(sorted(alias.key for alias in self.aliases))


@lru_cache(maxsize=16384)
def canonical_url(url: str) -> str:
    """Normalise an http(s) URL: case, default port, fragment, tracking and session parameters."""
    parts = _split_http(url)
    scheme = parts.scheme.lower()
    host = _host(parts.hostname)
    port = _port(parts)
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    path = _SESSION_PATH_PARAM.sub("", parts.path)
    query = _clean_query(parts.query)
    # A hash-bang fragment (#!/story/1) addressed content in old AJAX sites; others never do.
    fragment = parts.fragment if parts.fragment.startswith("!") else ""
    rebuilt = urlunsplit((scheme, netloc, path or "/", query, fragment))
    try:
        return canonicalize_url(rebuilt, keep_fragments=bool(fragment))
    except (ValueError, UnicodeError) as exc:
        raise InvalidURLError(f"cannot normalise URL {url!r}: {exc}") from exc


@lru_cache(maxsize=16384)
def identity_key(url: str) -> str:
    """Return the key that every variant of one page shares (AMP, mobile, www, scheme folded)."""
    origin = urlsplit(canonical_url(_unwrap_amp_cache(url)))
    host = _strip_device_labels(origin.hostname or "")
    netloc = host if origin.port is None else f"{host}:{origin.port}"
    path = _fold_amp_path(origin.path)
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(origin.query, keep_blank_values=True) if not _is_amp(k, v)]
    )
    # Both schemes serve the same article; the key is not meant to be fetched.
    return urlunsplit(("https", netloc, path, query, origin.fragment))


def registered_domain(host: str) -> str:
    """Return the registrable domain of a host: last two labels, three under co.uk-like SLDs."""
    host = host.lower().rstrip(".")
    if _is_ip(host):
        return host
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _GENERIC_SLDS:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def same_site(a: str, b: str) -> bool:
    """Say whether two URLs are on the same registrable domain (False if either is invalid)."""
    try:
        return _site(a) == _site(b)
    except InvalidURLError:
        return False


def site_of(url: str | None) -> str:
    """Return the registrable domain of a URL's page ('' when there is no valid URL)."""
    if not url:
        return ""
    try:
        return _site(url)
    except InvalidURLError:
        return ""


def _site(url: str) -> str:
    # An AMP cache URL belongs to the publisher's site, not to the cache's.
    host = urlsplit(canonical_url(_unwrap_amp_cache(url))).hostname
    return registered_domain(host or "")


def resolve_identity(
    fetched_url: str,
    *,
    redirects: Sequence[str] = (),
    page_canonical: str | None = None,
    og_url: str | None = None,
) -> IdentityDecision:
    """Choose an article's canonical URL and collect the identity keys of every variant seen.

    ``fetched_url`` is the page's final URL; ``redirects`` the other URLs of
    the redirect chain (the requested one included, any order). The page's
    ``rel=canonical`` (else ``og:url``) is preferred when it is an absolute or
    relative http(s) URL on the same site and does not point at the site root
    or a section above the page (a template mistake that would fold a whole
    site or section into one article). The reasons for ignored hints are kept.
    """
    fetched = canonical_url(fetched_url)
    aliases: dict[str, UrlAlias] = {}
    _add_alias(aliases, fetched_url, AliasKind.FETCHED)
    for hop in redirects:
        _add_alias(aliases, hop, AliasKind.REDIRECT)
    ignored: list[IgnoredHint] = []
    preferred, source = fetched, CanonicalSource.FETCHED
    for hint, hint_source in (
        (og_url, CanonicalSource.OG_URL),
        (page_canonical, CanonicalSource.REL_CANONICAL),
    ):
        if not hint or not hint.strip():
            continue
        accepted = _accept_hint(fetched, hint, ignored)
        if accepted is not None:
            _add_alias(aliases, accepted, AliasKind.CANONICAL)
            preferred, source = canonical_url(accepted), hint_source
    return IdentityDecision(
        url=preferred,
        key=identity_key(preferred),
        source=source,
        aliases=tuple(sorted(aliases.values(), key=lambda alias: alias.key)),
        ignored=tuple(ignored),
    )


def _accept_hint(fetched: str, hint: str, ignored: list[IgnoredHint]) -> str | None:
    """Return the absolute hint URL if it may name this page, else record why not."""
    try:
        absolute = urljoin(fetched, hint.strip())
    except ValueError:  # e.g. an unbalanced "[" in the host
        absolute = ""
    reason = _hint_problem(fetched, absolute) if absolute else "malformed"
    if reason is None:
        return absolute
    ignored.append(IgnoredHint(url=hint.strip(), reason=reason))
    logger.debug("ignoring canonical hint %r for %s: %s", hint, fetched, reason)
    return None


def _hint_problem(fetched: str, hint: str) -> str | None:
    if not hint.lower().startswith(("http://", "https://")):
        return "not_http"
    try:
        hint_key = identity_key(hint)
    except InvalidURLError:
        return "malformed"
    if not same_site(fetched, hint):
        return "cross_site"
    return _points_above(urlsplit(identity_key(fetched)).path, urlsplit(hint_key))


def _points_above(page_path: str, hint: SplitResult) -> str | None:
    """Name the template mistake if a hint points at the site root or a section above the page.

    A hint that is a path ancestor of the page is accepted only when its last
    segment looks like an article (an AMP or comments page names its article
    as canonical); one that looks like a section (``/news/``, ``/de/politik/``,
    ``/2024/``) would fold every page below it into one article.
    """
    if hint.query or hint.path == page_path:
        return None
    if hint.path == "/":
        return "site_root"
    ancestor = hint.path.rstrip("/")
    if not page_path.startswith(ancestor + "/"):
        return None
    last = ancestor.rsplit("/", 1)[-1]
    has_digits, has_letters = any(c.isdigit() for c in last), any(c.isalpha() for c in last)
    article_like = (has_digits and has_letters) or last.count("-") + last.count("_") >= 2
    return None if article_like else "section"


def _add_alias(aliases: dict[str, UrlAlias], url: str, kind: AliasKind) -> None:
    try:
        key = identity_key(url)
    except InvalidURLError:
        logger.debug("skipping alias %r: not an http(s) URL", url)
        return
    # The first way a key was seen wins: fetched, then redirects, then canonical hints.
    aliases.setdefault(key, UrlAlias(key=key, url=url.strip(), kind=kind))


def _split_http(url: str) -> SplitResult:
    problem = http_url_problem(url, max_length=None)
    if problem is not None:
        raise InvalidURLError(f"not an absolute http(s) URL ({problem}): {url!r}")
    return urlsplit(url.strip())


def _host(hostname: str | None) -> str:
    host = (hostname or "").rstrip(".").lower()
    if _is_ip(host):
        return f"[{host}]" if ":" in host else host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        # Labels the IDNA 2003 codec refuses (too long, odd characters): w3lib's
        # canonicalisation percent-encodes them; the URL stays usable as a key.
        return host


def _port(parts: SplitResult) -> int | None:
    try:
        return parts.port
    except ValueError as exc:
        raise InvalidURLError(f"bad port in {parts.geturl()!r}") from exc


def _is_ip(host: str) -> bool:
    return ":" in host or bool(re.fullmatch(r"\d{1,3}(?:\.\d{1,3}){3}", host))


def _clean_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not _is_tracking(k, v)]
    return urlencode(sorted(kept))


def _is_tracking(name: str, value: str) -> bool:
    lowered = name.lower()
    if lowered in _TRACKING_EXACT or lowered in _SESSION_EXACT:
        return True
    if lowered in _SESSION_IF_TOKEN:
        return bool(_TOKEN_VALUE.fullmatch(value)) and not value.isdigit()
    if lowered in _CHANNEL_NAMES:
        return bool(_CHANNEL_VALUE.match(value))
    return lowered.startswith(_TRACKING_PREFIXES)


def _is_amp(name: str, value: str) -> bool:
    lowered, val = name.lower(), value.lower()
    if lowered in {"amp", "_amp"}:
        return val in _AMP_VALUES
    return lowered in _AMP_PARAMS and val == "amp"


def _unwrap_amp_cache(url: str) -> str:
    """Turn a Google AMP cache or viewer URL back into the publisher's URL."""
    lowered = url.lower()
    if _AMP_CACHE_SUFFIX not in lowered and "google." not in lowered:
        _split_http(url)  # still refuse what is not an http(s) URL
        return url
    parts = _split_http(url)
    host = (parts.hostname or "").lower()
    segments = parts.path.split("/")[1:]
    if (host.endswith(_AMP_CACHE_SUFFIX) and segments[:1] and segments[0] in {"c", "v", "wp"}) or (
        host in _GOOGLE_AMP_HOSTS and segments[:1] == ["amp"]
    ):
        rest = segments[1:]
    else:
        return url
    scheme = "http"
    if rest[:1] == ["s"]:
        scheme, rest = "https", rest[1:]
    if not rest or not rest[0]:
        return url
    return urlunsplit((scheme, rest[0], "/" + "/".join(rest[1:]), parts.query, ""))


def _strip_device_labels(host: str) -> str:
    if _is_ip(host.strip("[]")):
        return host
    labels = host.split(".")
    minimum = registered_domain(host).count(".") + 1
    while len(labels) > minimum and (labels[0] in _DEVICE_LABELS or _WWW_N.fullmatch(labels[0])):
        labels = labels[1:]
    return ".".join(labels)


def _fold_amp_path(path: str) -> str:
    if path.endswith(".amp.html"):
        path = path[: -len(".amp.html")] + ".html"
    elif path.endswith(".amp"):
        path = path[: -len(".amp")]
    if path.startswith("/amp/"):
        path = path[len("/amp") :]
    stripped = path.rstrip("/")
    if stripped.endswith("/amp"):
        path = stripped[: -len("/amp")] or "/"
    return path
