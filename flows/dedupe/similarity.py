"""Article identity and story deduplication, as pure functions (no I/O, no DuckDB, no Prefect).

Three layers, each cheaper and stricter than the next:

1. **URL identity** (:func:`canonical_url`, :func:`identity_key`, :func:`resolve_identity`):
   every URL variant of one page (tracking parameters, session ids, AMP and
   mobile variants, redirect chains, the page's own same-site ``rel=canonical``
   or ``og:url``) folds onto identity keys; the store maps every key to one
   article.
2. **Exact content** (:func:`normalize_text`, :func:`content_hash`,
   :func:`version_hash`): the same normalised text under different URLs is an
   exact duplicate; a changed title or text is a new version.
3. **Near-duplicate stories** (:func:`minhash`, :func:`band_keys`,
   :func:`story_features`, :func:`is_same_story`, :func:`cluster`): MinHash over
   5-token shingles with LSH banding proposes candidates from a persisted index;
   every candidate pair is verified before it joins a story; stories are the
   connected components of verified pairs, named by their smallest member id,
   so the partition does not depend on insertion order.

The parameters (shingle size, bands x rows, thresholds, minimum length) are in
:class:`DedupeConfig`, each with the reason for its value; ``bench/dedupe_quality.py``
measures them on real pages. Everything is deterministic across processes,
runs and library versions: hash functions are xxh3 with fixed seeds and the
MinHash permutations are derived from xxh3, not from a random generator whose
stream may change between numpy releases.

Using it from the store, per article::

    decision = resolve_identity(url, redirects=..., page_canonical=..., og_url=...)
    features = story_features(text=text, title=title, url=decision.url)
    version = version_hash(title, text)
    rows = index_rows(features)          # [(band_no, key)], [] if not dedupable

Look up every ``decision.alias_keys``: any hit is the same article (a new
version if ``version`` differs). Otherwise, or for a new version, look up
``rows`` and ``features.content_hash`` in the index, verify each candidate
with :func:`is_same_story` against the candidate's stored features, and
index the new rows. Index and match *every version's* features, not only the
first or the latest: stories then depend only on the set of versions seen,
never on their order. Stories are the connected components of verified pairs
(:func:`cluster`), named by their smallest article id.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Final, TypeVar
from urllib.parse import SplitResult, parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import numpy as np
import numpy.typing as npt
import xxhash
from w3lib.url import canonicalize_url

from connectors.text.urls import http_url_problem
from flows.errors import DedupeError, InvalidURLError

__all__ = [
    "DEFAULT_CONFIG",
    "AliasKind",
    "CanonicalSource",
    "DedupeConfig",
    "IdentityDecision",
    "IgnoredHint",
    "Signature",
    "StoryFeatures",
    "UrlAlias",
    "band_keys",
    "candidate_pairs",
    "canonical_url",
    "cluster",
    "content_hash",
    "identity_key",
    "index_rows",
    "is_boilerplate",
    "is_dedupable",
    "is_same_story",
    "lsh_probability",
    "minhash",
    "normalize_text",
    "registered_domain",
    "resolve_identity",
    "same_site",
    "similarity",
    "story_features",
    "story_pairs",
    "title_key",
    "tokens",
    "version_hash",
]

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------
# Configuration
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DedupeConfig:
    """Parameters of the near-duplicate layer; persisted signatures depend on them.

    A change to ``shingle_size``, ``bands``, ``rows`` or ``seed`` changes every
    signature and band key: :attr:`scheme` names the combination so the store
    can refuse to mix indexes built with different ones.
    """

    # Tokens per shingle: one replaced word changes at most five shingles, while
    # different articles of one language rarely share a five-token run.
    shingle_size: int = 5
    # LSH: 40 bands of 3 rows (120 permutations). The S-curve 1 - (1 - J**3)**40
    # turns at (1/40)**(1/3) = 0.29: P(candidate) is 0.67 at J=0.3, 0.93 at 0.4,
    # 0.994 at 0.5 and 0.039 at 0.1, so pairs above the weak threshold are found
    # and unrelated ones rarely cost a verification.
    bands: int = 40
    rows: int = 3
    seed: int = 0x5EED_0F_D1
    # Below this many non-boilerplate tokens a text is never merged into a story: at 60
    # tokens a copy with one word changed and one sentence cut still has J > 0.5.
    min_tokens: int = 60
    # Estimated Jaccard of the shingle sets from which two texts are one story ...
    threshold: float = 0.5
    # ... or from this lower one, when they also share at least ``weak_min_shared``
    # shingles: heavily edited copies of long articles, not short templated texts.
    weak_threshold: float = 0.3
    weak_min_shared: int = 50
    # Two pages of one site must also agree on their titles (token Jaccard of the titles).
    title_agreement: float = 0.5

    @property
    def num_perm(self) -> int:
        """Number of MinHash permutations (bands x rows)."""
        return self.bands * self.rows

    @property
    def scheme(self) -> str:
        """Name of the signature and band-key layout, e.g. ``minhash-t5-b40r3-...-v1``."""
        return f"minhash-t{self.shingle_size}-b{self.bands}r{self.rows}-s{self.seed:x}-xxh3-v1"


DEFAULT_CONFIG: Final = DedupeConfig()


# ---------------------------------------------------------------------------
# URL identity
# ---------------------------------------------------------------------------

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
        host_a = urlsplit(canonical_url(_unwrap_amp_cache(a))).hostname or ""
        host_b = urlsplit(canonical_url(_unwrap_amp_cache(b))).hostname or ""
    except InvalidURLError:
        return False
    return registered_domain(host_a) == registered_domain(host_b)


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


# ---------------------------------------------------------------------------
# Text normalisation and exact hashes
# ---------------------------------------------------------------------------

# Scripts written without spaces between words: each character is one token,
# so a 5-token shingle spans about two or three words, like elsewhere.
_UNSPACED = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1000-\u109f"  # Myanmar
    "\u1780-\u17ff"  # Khmer
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u31f0-\u31ff"
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uf900-\ufaff"
    "\U00020000-\U0003134f"
)
_TOKEN: Final = re.compile(f"[{_UNSPACED}]|[^\\s{_UNSPACED}]+")
_HAS_UNSPACED: Final = re.compile(f"[{_UNSPACED}]")


def _words(normalized: str) -> list[str]:
    """Tokens of normalised text; a plain split when no unspaced script occurs (most texts)."""
    if _HAS_UNSPACED.search(normalized):
        return _TOKEN.findall(normalized)
    return normalized.split()


class _Folding(dict[int, str]):
    """``str.translate`` table, filled on first sight of each character.

    Punctuation, symbols, separators and control characters become a space so
    that typographic variants (curly quotes, dashes, ellipses, non-breaking
    spaces) do not change a text's tokens; format characters (soft hyphen,
    zero-width joiners) vanish.
    """

    def __missing__(self, codepoint: int) -> str:
        char = chr(codepoint)
        category = unicodedata.category(char)
        if category == "Cf":
            value = ""
        elif category[0] in "PSZ" or category == "Cc":
            value = " "
        else:
            value = char
        self[codepoint] = value
        return value


_FOLDING: Final = _Folding()


def normalize_text(text: str) -> str:
    """Normalise text for comparison: NFKC, case-fold, punctuation and symbols to spaces."""
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_FOLDING)
    return " ".join(folded.split())


def tokens(text: str) -> list[str]:
    """Split text into comparison tokens: words, or single characters in CJK and Thai scripts."""
    return _words(normalize_text(text))


def content_hash(text: str) -> str:
    """Return the 128-bit xxh3 hex digest of the normalised text (exact-duplicate key)."""
    return _digest(normalize_text(text))


def _digest(normalized: str) -> str:
    return xxhash.xxh3_128_hexdigest(normalized.encode("utf-8"))


def version_hash(title: str | None, text: str) -> str:
    """Return a digest of title and text that changes when either changes beyond whitespace."""
    squashed_title = " ".join(unicodedata.normalize("NFC", title or "").split())
    squashed_text = " ".join(unicodedata.normalize("NFC", text).split())
    return xxhash.xxh3_128_hexdigest(f"{squashed_title}\x1f{squashed_text}".encode())


# Phrases of consent walls, paywall stubs, bot checks and script-required pages,
# matched on a normalised paragraph (lower case, punctuation removed). Each has
# an anchor word that is searched first: most articles contain none, and a
# substring search is far cheaper than the expressions.
_BOILERPLATE: Final = tuple(
    (anchor, re.compile(pattern))
    for anchor, pattern in (
        ("javascript", r"\b(?:enable|activate|turn on) javascript\b"),
        ("javascript", r"\bjavascript (?:is )?(?:disabled|required|must be enabled)\b"),
        ("javascript", r"\bjavascript (?:aktivieren|einschalten)\b"),
        ("javascript", r"\b(?:activez|activer) (?:le )?javascript\b"),
        ("javascript", r"\b(?:habilite|activa|habilitar) (?:el )?javascript\b"),
        ("partners", r"\bwe and our (?:\d+ )?partners\b"),
        ("unsere ", r"\bwir und unsere (?:\d+ )?partner\b"),
        ("nous et nos", r"\bnous et nos (?:\d+ )?partenaires\b"),
        ("nosotros y", r"\bnosotros y nuestros (?:\d+ )?socios\b"),
        ("noi e ", r"\bnoi e (?:i nostri )?(?:\d+ )?partner\b"),
        ("cookies", r"\b(?:accept|reject|manage) (?:all )?cookies\b"),
        ("cookie ", r"\bcookie (?:settings|preferences|policy|consent)\b"),
        ("cookies ", r"\bcookies (?:akzeptieren|zulassen|ablehnen)\b"),
        ("cookies", r"\b(?:accepter|refuser) (?:les |tous les )?cookies\b"),
        ("on a device", r"\bstore and or access information on a device\b"),
        ("subscribe ", r"\bsubscribe (?:now )?to (?:continue|read|keep reading)\b"),
        ("subscriber", r"\b(?:already a subscriber|subscribers only|(?:only|exclusively) for "
                       r"subscribers|for subscribers only)\b"),
        ("subscriber", r"\bthis (?:article|content) is (?:only )?(?:available|reserved) "
                       r"(?:to|for) subscribers\b"),
        (" in to ", r"\b(?:sign|log) in to (?:continue|read)\b"),
        ("jetzt weiterlesen", r"\bjetzt weiterlesen\b"),
        ("jetzt abo", r"\bjetzt (?:abonnieren|abo abschließen)\b"),
        ("abonnent", r"\b(?:bereits abonnent|nur für abonnenten|exklusiv für abonnenten)\b"),
        ("abonné", r"\b(?:réservé aux abonnés|déjà abonné)\b"),
        ("suscriptor", r"\b(?:exclusivo para suscriptores|ya eres suscriptor)\b"),
        ("you are ", r"\b(?:verify|confirm) (?:that )?you are (?:a )?human\b"),
        ("a robot", r"\bare you a robot\b"),
        ("denied", r"\baccess (?:to this page has been )?denied\b"),
        ("security check", r"\bplease complete the security check\b"),
    )
)  # fmt: skip
_ANCHORS: Final = frozenset(anchor for anchor, _ in _BOILERPLATE)
# A paragraph with a phrase is boilerplate when short; a long one only with several phrases
# (an article about cookie law may name one; a consent wall names many).
_BOILERPLATE_PARAGRAPH_TOKENS: Final = 120
_BOILERPLATE_STRONG: Final = 3


def _boilerplate_hits(normalized_paragraph: str) -> int:
    if not any(anchor in normalized_paragraph for anchor in _ANCHORS):
        return 0
    return sum(
        1
        for anchor, pattern in _BOILERPLATE
        if anchor in normalized_paragraph and pattern.search(normalized_paragraph)
    )


def _substance(text: str, normalized: str | None = None) -> tuple[list[str], bool]:
    """Tokens of the paragraphs that are not boilerplate, and whether any paragraph was."""
    if normalized is None:
        normalized = normalize_text(text)
    if not any(anchor in normalized for anchor in _ANCHORS):
        return _words(normalized), False
    words: list[str] = []
    found = False
    for paragraph in text.splitlines():
        normalized = normalize_text(paragraph)
        paragraph_words = _words(normalized)
        hits = _boilerplate_hits(normalized)
        if hits >= _BOILERPLATE_STRONG or (
            hits and len(paragraph_words) < _BOILERPLATE_PARAGRAPH_TOKENS
        ):
            found = True
        else:
            words.extend(paragraph_words)
    return words, found


def is_boilerplate(text: str, *, config: DedupeConfig = DEFAULT_CONFIG) -> bool:
    """Say whether a text is a consent wall, paywall stub, bot check or script notice.

    True when it has such paragraphs and what remains without them is shorter
    than ``config.min_tokens``.
    """
    words, found = _substance(text)
    return found and len(words) < config.min_tokens


def is_dedupable(text: str, *, config: DedupeConfig = DEFAULT_CONFIG) -> bool:
    """Say whether a text has enough non-boilerplate tokens to be merged into a story."""
    words, _ = _substance(text)
    return len(words) >= config.min_tokens


# ---------------------------------------------------------------------------
# MinHash, LSH bands and verification
# ---------------------------------------------------------------------------

Signature = bytes  # num_perm little-endian uint32 minima (a DuckDB BLOB)

_EMPTY: Final = 0xFFFFFFFF  # every slot of the signature of an empty shingle set
_SIGNATURE_CHUNK: Final = 4096  # shingles per step: 4096 x 120 x 8 bytes = 3.9 MB


@lru_cache(maxsize=4)
def _permutations(
    num_perm: int, seed: int
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """Coefficients of h_i(x) = ((a_i x + b_i) mod 2**64) >> 32, derived from xxh3.

    Multiply-add-shift with 64-bit a, b over 32-bit keys is strongly universal
    (Dietzfelbinger 1996), like the usual (a x + b) mod p, and needs no
    64-bit division. xxh3 of fixed strings, not a random generator, so the
    coefficients never change with a numpy release.
    """
    a = [xxhash.xxh3_64_intdigest(b"minhash-a-%d" % i, seed) for i in range(num_perm)]
    b = [xxhash.xxh3_64_intdigest(b"minhash-b-%d" % i, seed) for i in range(num_perm)]
    return (
        np.array(a, dtype=np.uint64).reshape(1, num_perm),
        np.array(b, dtype=np.uint64).reshape(1, num_perm),
    )


_MIX: Final = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier of the rolling combination
_FINAL: Final = np.uint64(0xD6E8FEB86659FD93)  # odd multiplier before taking the high bits


def _shingle_hashes(words: Sequence[str], size: int, seed: int) -> npt.NDArray[np.uint64]:
    """Distinct 32-bit hashes of the runs of ``size`` tokens (of the whole text if shorter).

    Each token is hashed once with xxh3; a shingle's hash is a polynomial
    combination of its tokens' hashes in wrapping 64-bit arithmetic, mixed
    and cut to its high 32 bits. Vectorised, it costs one xxh3 call per token.
    """
    if not words:
        return np.empty(0, dtype=np.uint64)
    token_hashes = np.fromiter(
        (xxhash.xxh3_64_intdigest(word.encode(), seed) for word in words),
        dtype=np.uint64,
        count=len(words),
    )
    width = min(size, len(words))
    count = len(words) - width + 1
    combined = np.zeros(count, dtype=np.uint64)
    for offset in range(width):
        combined = combined * _MIX + token_hashes[offset : offset + count]
    return np.unique((combined * _FINAL) >> np.uint64(32))


def _signature(hashes: npt.NDArray[np.uint64], config: DedupeConfig) -> Signature:
    if hashes.size == 0:
        return np.full(config.num_perm, _EMPTY, dtype="<u4").tobytes()
    a, b = _permutations(config.num_perm, config.seed)
    column = hashes.reshape(-1, 1)
    minima = np.full(config.num_perm, _EMPTY, dtype=np.uint64)
    # In slices, so a huge text never needs a (shingles x permutations) matrix at once.
    for start in range(0, column.shape[0], _SIGNATURE_CHUNK):
        chunk = column[start : start + _SIGNATURE_CHUNK]
        # uint64 arithmetic wraps modulo 2**64, which is the hash family's definition.
        np.minimum(minima, ((chunk * a + b) >> np.uint64(32)).min(axis=0), out=minima)
    return bytes(minima.astype("<u4").tobytes())


def minhash(text: str, *, config: DedupeConfig = DEFAULT_CONFIG) -> Signature:
    """Return the MinHash signature of a text's shingles, boilerplate paragraphs left out."""
    words, _ = _substance(text)
    return _signature(_shingle_hashes(words, config.shingle_size, config.seed), config)


def _values(signature: Signature) -> npt.NDArray[np.uint32]:
    return np.frombuffer(signature, dtype="<u4")


def similarity(sig_a: Signature, sig_b: Signature) -> float:
    """Estimate the Jaccard similarity of two shingle sets from their signatures."""
    a, b = _values(sig_a), _values(sig_b)
    if a.shape != b.shape:
        raise DedupeError(f"signatures differ in length: {a.size} and {b.size}")
    if a.size == 0 or bool((a == _EMPTY).all()) or bool((b == _EMPTY).all()):
        return 0.0
    return float(np.count_nonzero(a == b)) / a.size


def band_keys(signature: Signature, *, config: DedupeConfig = DEFAULT_CONFIG) -> list[int]:
    """Return one signed 64-bit key per LSH band (index ``(band_no, key)``); [] if empty."""
    values = _values(signature)
    if values.size != config.num_perm:
        raise DedupeError(f"signature has {values.size} values, config wants {config.num_perm}")
    if bool((values == _EMPTY).all()):
        return []
    width = 4 * config.rows
    return [
        _signed(xxhash.xxh3_64_intdigest(signature[i * width : (i + 1) * width], config.seed + i))
        for i in range(config.bands)
    ]


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def lsh_probability(jaccard: float, *, config: DedupeConfig = DEFAULT_CONFIG) -> float:
    """Probability that two texts with this Jaccard similarity share at least one band."""
    return float(1.0 - (1.0 - jaccard**config.rows) ** config.bands)


@dataclass(frozen=True, slots=True)
class StoryFeatures:
    """What verification needs to know about one article; small enough to persist per article."""

    signature: Signature
    site: str  # registrable domain of the article's URL ('' when unknown)
    title_key: str  # normalised title parts joined by " | " ('' when unknown)
    tokens: int  # comparison tokens in the text, boilerplate paragraphs left out
    shingles: int  # distinct shingles of those tokens
    content_hash: str
    dedupable: bool


def index_rows(
    features: StoryFeatures, *, config: DedupeConfig = DEFAULT_CONFIG
) -> list[tuple[int, int]]:
    """Return the ``(band_no, key)`` rows to index for an article; none if it is not dedupable."""
    if not features.dedupable:
        return []
    return list(enumerate(band_keys(features.signature, config=config)))


def story_features(
    *,
    text: str,
    title: str | None = None,
    url: str | None = None,
    config: DedupeConfig = DEFAULT_CONFIG,
) -> StoryFeatures:
    """Compute an article's story features: signature, site, title, sizes, hash, dedupability."""
    normalized = normalize_text(text)
    words, _ = _substance(text, normalized)
    hashes = _shingle_hashes(words, config.shingle_size, config.seed)
    return StoryFeatures(
        signature=_signature(hashes, config),
        site=_site_of(url),
        title_key=title_key(title),
        tokens=len(words),
        shingles=int(hashes.size),
        content_hash=_digest(normalized),
        dedupable=len(words) >= config.min_tokens,
    )


def _site_of(url: str | None) -> str:
    if not url:
        return ""
    try:
        host = urlsplit(canonical_url(_unwrap_amp_cache(url))).hostname
    except InvalidURLError:
        return ""
    return registered_domain(host or "")


def is_same_story(
    a: StoryFeatures, b: StoryFeatures, *, config: DedupeConfig = DEFAULT_CONFIG
) -> bool:
    """Verify a candidate pair: similar enough text, and for one site also agreeing titles.

    Similar enough: the same normalised text, an estimated Jaccard of at least
    ``threshold``, or of at least ``weak_threshold`` with ``weak_min_shared``
    shingles in common (a low similarity needs much evidence).

    Symmetric and deterministic, so the set of verified pairs (and the stories
    built from it) does not depend on the order articles arrive in. Pages of
    one site share navigation, teasers and legal text that can leak into the
    extracted text, so two pages of one site must also agree on their titles
    (even identical texts: an identical text under two titles is a template).
    """
    if not (a.dedupable and b.dedupable):
        return False
    same_site_titles_differ = (
        a.site
        and a.site == b.site
        and (_title_similarity(a.title_key, b.title_key) < config.title_agreement)
    )
    if same_site_titles_differ:
        return False
    if a.content_hash == b.content_hash:
        return True
    jaccard = similarity(a.signature, b.signature)
    if jaccard >= config.threshold:
        return True
    return jaccard >= config.weak_threshold and _shared(a, b, jaccard) >= config.weak_min_shared


def _shared(a: StoryFeatures, b: StoryFeatures, jaccard: float) -> float:
    """Estimated number of shingles two texts share: J / (1 + J) * (|A| + |B|)."""
    return jaccard / (1.0 + jaccard) * (a.shingles + b.shingles)


_TITLE_SEPARATOR: Final = re.compile(r"\s+(?:[|–—·•»:-]|::)\s+")


def title_key(title: str | None) -> str:
    """Normalise a title for comparison, keeping its parts ("Headline | Site") apart."""
    parts = (normalize_text(part) for part in _TITLE_SEPARATOR.split(title or ""))
    return " | ".join(part for part in parts if part)


def _title_similarity(a: str, b: str) -> float:
    """Token Jaccard of two title keys after dropping the parts both share (the site name)."""
    if not a or not b:
        return 0.0
    parts_a, parts_b = a.split(" | "), b.split(" | ")
    shared = set(parts_a) & set(parts_b)
    rest_a = [part for part in parts_a if part not in shared]
    rest_b = [part for part in parts_b if part not in shared]
    if not rest_a and not rest_b:
        return 1.0
    set_a = set(_TOKEN.findall(" ".join(rest_a)))
    set_b = set(_TOKEN.findall(" ".join(rest_b)))
    return len(set_a & set_b) / len(set_a | set_b) if set_a | set_b else 0.0


# ---------------------------------------------------------------------------
# Batches and clustering
# ---------------------------------------------------------------------------

K = TypeVar("K", int, str)


def candidate_pairs(
    features: Mapping[K, StoryFeatures], *, config: DedupeConfig = DEFAULT_CONFIG
) -> set[tuple[K, K]]:
    """Return the pairs of a batch that share an LSH band or a content hash (smaller id first)."""
    buckets: dict[tuple[int, int] | str, list[K]] = {}
    for item_id in sorted(features):
        item = features[item_id]
        if not item.dedupable:
            continue
        buckets.setdefault(item.content_hash, []).append(item_id)
        for band_no, key in enumerate(band_keys(item.signature, config=config)):
            buckets.setdefault((band_no, key), []).append(item_id)
    pairs: set[tuple[K, K]] = set()
    for members in buckets.values():
        for i, first in enumerate(members):
            pairs.update((first, second) for second in members[i + 1 :])
    return pairs


def story_pairs(
    features: Mapping[K, StoryFeatures], *, config: DedupeConfig = DEFAULT_CONFIG
) -> set[tuple[K, K]]:
    """Return the verified same-story pairs of a batch (candidates that pass is_same_story)."""
    return {
        (a, b)
        for a, b in candidate_pairs(features, config=config)
        if is_same_story(features[a], features[b], config=config)
    }


def cluster(pairs: Iterable[tuple[K, K]], ids: Iterable[K] = ()) -> dict[K, K]:
    """Map every id to its story id: the smallest id of its connected component.

    ``ids`` adds singletons. The result depends only on the set of pairs, not
    on their order, which makes stories independent of insertion order. For an
    incremental store, pass the new verified pairs plus ``(article, story_id)``
    of every stored article they touch: a story id is its smallest member, so
    the components (and merged stories' new ids) come out the same as if the
    whole warehouse had been clustered at once.
    """
    parent: dict[K, K] = {}

    def find(item: K) -> K:
        root = parent.setdefault(item, item)
        while root != parent[root]:
            root = parent[root]
        while parent[item] != root:  # path compression
            parent[item], item = root, parent[item]
        return root

    for item in ids:
        find(item)
    for a, b in pairs:
        root_a, root_b = find(a), find(b)
        if root_a != root_b:
            # The smaller root wins, so every root is its component's minimum.
            low, high = (root_a, root_b) if root_a < root_b else (root_b, root_a)
            parent[high] = low
    return {item: find(item) for item in parent}
