"""Article identity and story deduplication, as pure rules (no I/O, no DuckDB, no Prefect).

Three layers, each cheaper and stricter than the next:

1. **URL identity** (:mod:`.identity`: ``canonical_url``, ``identity_key``,
   ``resolve_identity``): every URL variant of one page (tracking parameters,
   session ids, AMP and mobile variants, redirect chains, the page's own
   same-site ``rel=canonical`` or ``og:url``) folds onto identity keys; the
   store maps every key to one article.
2. **Exact content** (:mod:`.hashing`: ``normalize_text``, ``content_hash``,
   ``version_hash``): the same normalised text under different URLs is an
   exact duplicate; a changed title or text is a new version.
3. **Near-duplicate stories** (:mod:`.minhash`: ``minhash``, ``band_keys``;
   :mod:`.similarity`: ``story_features``, ``is_same_story``, ``cluster``):
   MinHash over 5-token shingles with LSH banding proposes candidates from a
   persisted index; every candidate pair is verified before it joins a story;
   stories are the connected components of verified pairs, named by their
   smallest member id, so the partition does not depend on insertion order.

The parameters (shingle size, bands x rows, thresholds, minimum length) are in
:class:`.config.DedupeConfig`, each with the reason for its value. Everything
is deterministic across processes, runs and library versions (see
:mod:`.minhash`). :mod:`.fingerprint` applies the rules to one article in the
extraction worker; :mod:`.stories` assigns a batch's stories against the
warehouse's index.

Using it from the store, per article::

    decision = resolve_identity(url, redirects=..., page_canonical=..., og_url=...)
    features = story_features(text=text, title=title, url=decision.url)
    version = version_hash(title, text)
    rows = index_rows(features)          # [(band_no, key)], [] if not dedupable

Look up every ``decision.alias_keys``: any hit is the same article (a new
version if ``version`` differs). Otherwise, or for a new version, look up
``rows`` and ``features.content_hash`` in the index, verify each candidate
with ``is_same_story`` against the candidate's stored features, and index the
new rows. Index and match *every version's* features, not only the first or
the latest: stories then depend only on the set of versions seen, never on
their order.

Imports point one way: ``hashing`` uses ``config``; ``minhash`` uses both;
``similarity`` uses those and ``identity``, which uses none of them;
``fingerprint`` and ``stories`` sit on top.
"""
