"""Quality of ``flows.dedupe`` on real articles served by two sites with different chrome.

The corpus (see :mod:`bench.corpus_sites`) holds every real page of a
fundus-style corpus, a syndicated copy of it on a second site (other chrome,
headline, byline, a paragraph dropped or added, tracking parameters) and for
some pages a refetch under another URL variant. Every document goes through
the same path the pipeline takes: extraction (``flows.extract.clean``'s own
trafilatura call and page metadata), URL identity, exact hash and MinHash/LSH candidates verified
by :func:`flows.dedupe.similarity.is_same_story`, against an in-memory index that behaves
like the warehouse's (articles inserted one by one, band buckets looked up,
stories = connected components with the smallest id).

Reported, for a light-edit and a heavy-edit variant: pairwise precision and
recall of "same story" over documents, the similarity of true and false pairs,
whether several insertion orders give the same partition, the time per
article, how many source pages are too short or boilerplate to dedupe, and a
sweep of text length against similarity that justifies ``min_tokens``.

Usage::

    .venv/bin/python -m bench.dedupe_quality --corpus /work/shared/corpus/fundus \
        [--out FILE.json] [--orders 5]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.corpus_sites import Doc, SourcePage, build_corpus, load_pages
from flows.dedupe.config import DEFAULT_CONFIG
from flows.dedupe.hashing import is_boilerplate, is_dedupable, tokens
from flows.dedupe.identity import IdentityDecision, resolve_identity
from flows.dedupe.minhash import lsh_probability, minhash, similarity
from flows.dedupe.similarity import (
    StoryFeatures,
    cluster,
    index_rows,
    is_same_story,
    story_features,
)

# --------------------------------------------------------------------------- extraction


@dataclass(frozen=True, slots=True)
class Extracted:
    """What the pipeline's clean step hands to dedupe for one page."""

    title: str | None
    text: str
    canonical: str | None
    og_url: str | None


def extract(html: str, url: str | None) -> Extracted:
    """Extract title, text, rel=canonical and og:url exactly as ``flows.extract.clean`` does."""
    import trafilatura

    from flows.extract import clean, pagemeta

    tree = trafilatura.load_html(html)
    if tree is None:
        return Extracted(None, "", None, None)
    meta = pagemeta.page_meta(tree)
    # The pipeline's own helpers (so options and title cleaning never drift).
    result = clean._extract(tree, url)
    if result is None:
        return Extracted(None, "", meta.canonical, meta.og_url)
    text = (result.text or "").strip()
    return Extracted(pagemeta.clean_str(result.title), text, meta.canonical, meta.og_url)


# --------------------------------------------------------------------------- processing


@dataclass(slots=True)
class Processed:
    """A document after extraction, identity and feature computation."""

    doc: Doc
    extracted: Extracted
    identity: IdentityDecision
    features: StoryFeatures
    rows: list[tuple[int, int]]  # (band_no, key) index rows
    timings: dict[str, float] = field(default_factory=dict)


def process(doc: Doc) -> Processed:
    """Run one document through extraction, identity and features, timing each step."""
    t0 = time.perf_counter()
    extracted = extract(doc.html, doc.url)
    t1 = time.perf_counter()
    identity = resolve_identity(
        doc.url,
        redirects=doc.redirects,
        page_canonical=extracted.canonical,
        og_url=extracted.og_url,
    )
    t2 = time.perf_counter()
    features = story_features(text=extracted.text, title=extracted.title, url=identity.url)
    rows = index_rows(features)
    t3 = time.perf_counter()
    return Processed(
        doc,
        extracted,
        identity,
        features,
        rows,
        {"extract": t1 - t0, "identity": t2 - t1, "features": t3 - t2},
    )


class MemoryStore:
    """The warehouse's dedupe logic over dicts: alias keys, content hashes, LSH buckets."""

    def __init__(self) -> None:
        self.alias: dict[str, int] = {}
        self.buckets: dict[tuple[int, int], list[int]] = {}
        self.by_hash: dict[str, list[int]] = {}
        self.articles: set[int] = set()
        self.versions: dict[int, dict[str, int]] = {}  # article -> content hash -> version
        self.features: dict[int, StoryFeatures] = {}  # version -> features
        self.version_article: dict[int, int] = {}
        self.pairs: set[tuple[int, int]] = set()  # verified same-story pairs of article ids
        self.same_article: set[tuple[int, int]] = set()  # identity merges found late
        self.doc_article: dict[str, int] = {}
        self.reasons: Counter[str] = Counter()
        self.lookup_seconds = 0.0

    def add(self, item: Processed) -> None:
        """Insert one document the way the store step does."""
        t0 = time.perf_counter()
        known = sorted({self.alias[k] for k in item.identity.alias_keys if k in self.alias})
        if known:
            article = known[0]
            # A key seen under two articles (a canonical loop resolved late) joins them.
            self.same_article.update((article, other) for other in known[1:])
            self.reasons["identity"] += 1
        else:
            article = len(self.articles) + 1
            self.articles.add(article)
        versions = self.versions.setdefault(article, {})
        if item.features.content_hash not in versions:
            # Every version is indexed and matched: matching only the first version
            # seen would make stories depend on which version arrived first.
            version = len(self.features)
            versions[item.features.content_hash] = version
            self.features[version] = item.features
            self.version_article[version] = article
            self._match(version, item)
        for key in item.identity.alias_keys:
            self.alias.setdefault(key, article)
        self.doc_article[item.doc.doc_id] = article
        self.lookup_seconds += time.perf_counter() - t0

    def _match(self, version: int, item: Processed) -> None:
        features = item.features
        if not features.dedupable:
            self.reasons["not_dedupable"] += 1
            return
        candidates = set(self.by_hash.get(features.content_hash, ()))
        for row in item.rows:
            candidates.update(self.buckets.get(row, ()))
        article = self.version_article[version]
        for other in sorted(candidates):
            other_article = self.version_article[other]
            if other_article == article:
                continue
            if is_same_story(features, self.features[other]):
                self.pairs.add((other_article, article))
                exact = features.content_hash == self.features[other].content_hash
                self.reasons["exact" if exact else "near"] += 1
        self.by_hash.setdefault(features.content_hash, []).append(version)
        for row in item.rows:
            self.buckets.setdefault(row, []).append(version)

    def partition(self) -> frozenset[frozenset[str]]:
        """Stories as sets of document ids."""
        stories = cluster(self.pairs | self.same_article, self.articles)
        groups: dict[int, set[str]] = {}
        for doc_id, article in self.doc_article.items():
            groups.setdefault(stories[article], set()).add(doc_id)
        return frozenset(frozenset(group) for group in groups.values())


# --------------------------------------------------------------------------- metrics


def pair_metrics(partition: frozenset[frozenset[str]], truth: dict[str, str]) -> dict[str, Any]:
    """Pairwise precision and recall of 'same story' against the true groups."""
    predicted = {
        tuple(sorted(pair)) for story in partition for pair in itertools.combinations(story, 2)
    }
    groups: dict[str, list[str]] = {}
    for doc_id, group in truth.items():
        groups.setdefault(group, []).append(doc_id)
    actual = {
        tuple(sorted(pair)) for docs in groups.values() for pair in itertools.combinations(docs, 2)
    }
    true_positive = len(predicted & actual)
    return {
        "true_pairs": len(actual),
        "predicted_pairs": len(predicted),
        "true_positive": true_positive,
        "precision": true_positive / len(predicted) if predicted else 1.0,
        "recall": true_positive / len(actual) if actual else 1.0,
        "false_pairs": sorted(predicted - actual)[:20],
        "missed_pairs": sorted(actual - predicted)[:40],
    }


def similarity_profile(items: list[Processed]) -> dict[str, Any]:
    """Estimated Jaccard of true original/copy pairs and the highest among different stories."""
    by_group: dict[str, dict[str, Processed]] = {}
    for item in items:
        by_group.setdefault(item.doc.group, {})[item.doc.kind] = item
    true_sims = [
        similarity(g["original"].features.signature, g["copy"].features.signature)
        for g in by_group.values()
        if g["original"].features.dedupable and g["copy"].features.dedupable
    ]
    originals = [g["original"] for g in by_group.values() if g["original"].features.dedupable]
    copies = [g["copy"] for g in by_group.values() if g["copy"].features.dedupable]
    pool = originals + copies
    negatives = sorted(
        (
            similarity(a.features.signature, b.features.signature)
            for a, b in itertools.combinations(pool, 2)
            if a.doc.group != b.doc.group
        ),
        reverse=True,
    )
    true_sims.sort()
    return {
        "true_pairs": len(true_sims),
        "true_min": true_sims[0] if true_sims else None,
        "true_p05": true_sims[len(true_sims) // 20] if true_sims else None,
        "true_median": statistics.median(true_sims) if true_sims else None,
        "true_below_threshold": sum(s < DEFAULT_CONFIG.threshold for s in true_sims),
        "true_below_weak_threshold": sum(s < DEFAULT_CONFIG.weak_threshold for s in true_sims),
        "negative_pairs": len(negatives),
        "negative_top5": negatives[:5],
        "negative_at_or_above_0.2": sum(s >= 0.2 for s in negatives),
        "negative_at_or_above_threshold": sum(s >= DEFAULT_CONFIG.threshold for s in negatives),
    }


def _lost_copies(items: list[Processed]) -> list[str]:
    """Copies whose extracted text kept under 30 % of the original's paragraphs unchanged.

    That is a defect of the corpus construction or of extraction on the new
    chrome, not of deduplication; the figures count such pairs as misses.
    """
    originals = {i.doc.group: i for i in items if i.doc.kind == "original"}
    lost = []
    for item in items:
        if item.doc.kind != "copy":
            continue
        lines = {line for line in originals[item.doc.group].extracted.text.splitlines() if line}
        kept = lines & set(item.extracted.text.splitlines())
        if lines and len(kept) < len(lines) * 0.3:
            lost.append(item.doc.doc_id)
    return lost


# --------------------------------------------------------------------------- length sweep


def length_sweep(pages: list[SourcePage], lengths: list[int], seed: int) -> list[dict[str, Any]]:
    """Similarity of one-edit copies and of different articles, cut to each length in tokens.

    A copy with one word replaced and one later sentence-sized run of 8 tokens
    dropped is what a syndicated copy looks like at its smallest; different
    articles of one language share openings ("Berlin (dpa) -"), bylines and
    boilerplate. The shortest length where edited copies stay above the
    threshold and different articles stay below it is where similarity means
    something.
    """
    rng = random.Random(seed)
    # One page per URL: the corpus holds a few articles saved twice.
    texts = [tokens(p.text) for p in {p.url: p for p in pages}.values()]
    rows = []
    for length in lengths:
        usable = [t[:length] for t in texts if len(t) >= length]
        kept = []
        for words in usable:
            edited = list(words)
            edited[rng.randrange(len(edited))] = "edited"
            start = rng.randrange(len(edited) // 2, max(len(edited) - 8, len(edited) // 2 + 1))
            del edited[start : start + 8]
            kept.append(_jaccard_estimate(" ".join(words), " ".join(edited)))
        sigs = [minhash(" ".join(words)) for words in usable]
        negatives = [similarity(a, b) for a, b in itertools.combinations(sigs, 2)]
        rows.append(
            {
                "tokens": length,
                "texts": len(usable),
                "edited_copy_median": statistics.median(kept) if kept else None,
                "edited_copy_below_threshold": sum(s < DEFAULT_CONFIG.threshold for s in kept),
                "different_max": max(negatives, default=0.0),
                "different_at_or_above_0.2": sum(s >= 0.2 for s in negatives),
                "different_pairs": len(negatives),
            }
        )
    return rows


def _jaccard_estimate(a: str, b: str) -> float:
    return similarity(minhash(a), minhash(b))


# --------------------------------------------------------------------------- driver


def run_variant(
    pages: list[SourcePage], *, heavy: bool, orders: int, seed: int
) -> tuple[dict[str, Any], list[Processed]]:
    """Build one corpus variant, process it, and measure quality, order independence and time."""
    docs = build_corpus(pages, heavy=heavy, seed=seed)
    items = [process(doc) for doc in docs]
    truth = {item.doc.doc_id: item.doc.group for item in items}
    partitions = []
    stores = []
    for order in range(orders):
        shuffled = list(items)
        random.Random(seed + order).shuffle(shuffled)
        store = MemoryStore()
        for item in shuffled:
            store.add(item)
        partitions.append(store.partition())
        stores.append(store)
    metrics = pair_metrics(partitions[0], truth)
    dedupable = {i.doc.doc_id for i in items if i.features.dedupable}
    dedupable_truth = {d: g for d, g in truth.items() if d in dedupable}
    restricted = frozenset(frozenset(d for d in story if d in dedupable) for story in partitions[0])
    n = len(items)
    lost = _lost_copies(items)
    report = {
        "variant": "heavy" if heavy else "light",
        "documents": n,
        "kinds": dict(Counter(i.doc.kind for i in items)),
        "pairwise": metrics,
        "pairwise_dedupable_only": {
            k: v
            for k, v in pair_metrics(restricted, dedupable_truth).items()
            if k not in {"false_pairs", "missed_pairs"}
        },
        "copies_that_lost_the_article": lost,
        "order_independent": all(p == partitions[0] for p in partitions),
        "orders": orders,
        "match_reasons": dict(stores[0].reasons),
        "similarity": similarity_profile(items),
        "ms_per_article": {
            "extract": 1000 * sum(i.timings["extract"] for i in items) / n,
            "identity": 1000 * sum(i.timings["identity"] for i in items) / n,
            "features": 1000 * sum(i.timings["features"] for i in items) / n,
            "lookup_verify": 1000 * stores[0].lookup_seconds / n,
        },
    }
    return report, items


def print_variant(report: dict[str, Any]) -> None:
    """Print one variant's figures."""
    pw, sim, ms = report["pairwise"], report["similarity"], report["ms_per_article"]
    dedupe_ms = ms["identity"] + ms["features"] + ms["lookup_verify"]
    print(f"\n== {report['variant']} edits: {report['documents']} documents {report['kinds']}")
    print(
        f"pairwise precision {pw['precision']:.4f}  recall {pw['recall']:.4f}  "
        f"({pw['true_positive']}/{pw['predicted_pairs']} predicted, {pw['true_pairs']} true)"
    )
    dd = report["pairwise_dedupable_only"]
    print(f"  dedupable documents only: precision {dd['precision']:.4f} recall {dd['recall']:.4f}")
    print(f"  match reasons (first order): {report['match_reasons']}")
    lost = report["copies_that_lost_the_article"]
    print(
        f"  copies whose extraction kept < 30 % of the original's paragraphs: {len(lost)} {lost[:6]}"
    )
    print(f"order independent over {report['orders']} shuffles: {report['order_independent']}")
    print(
        f"similarity of original/copy: min {sim['true_min']:.3f} p05 {sim['true_p05']:.3f} "
        f"median {sim['true_median']:.3f}, {sim['true_below_threshold']} below "
        f"{DEFAULT_CONFIG.threshold}, {sim['true_below_weak_threshold']} below "
        f"{DEFAULT_CONFIG.weak_threshold}; "
        f"different stories: top {[round(s, 3) for s in sim['negative_top5']]}, "
        f"{sim['negative_at_or_above_0.2']} of {sim['negative_pairs']} >= 0.2"
    )
    print(
        "ms per article: "
        + ", ".join(f"{k} {v:.2f}" for k, v in ms.items())
        + f"  (dedupe total {dedupe_ms:.2f} = {100 * dedupe_ms / ms['extract']:.1f} % of extraction)"
    )
    if pw["false_pairs"]:
        print(f"  false pairs: {pw['false_pairs'][:5]}")
    if pw["missed_pairs"]:
        print(f"  missed pairs: {pw['missed_pairs'][:8]}")


def main(argv: list[str] | None = None) -> int:
    """Build the corpus, run both variants and the length sweep, print and write figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--orders", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20240501)
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    pages = load_pages(args.corpus, extract)
    short = [
        {
            "page": p.name,
            "tokens": len(tokens(p.text)),
            "boilerplate": is_boilerplate(p.text),
        }
        for p in pages
        if not is_dedupable(p.text)
    ]
    print(f"{len(pages)} pages read and extracted in {time.perf_counter() - t0:.1f} s")
    print(
        f"{len(short)} of {len(pages)} pages are not dedupable (under "
        f"{DEFAULT_CONFIG.min_tokens} tokens or boilerplate): they stay single-article "
        f"stories; their copies are still joined by URL identity only"
    )
    for row in short:
        print(f"  {row['page']}: {row['tokens']} tokens, boilerplate={row['boilerplate']}")
    config = DEFAULT_CONFIG
    print(
        f"config: {config.scheme}; threshold {config.threshold}; LSH P(candidate) at J=0.3/0.4/"
        f"0.5/0.6/0.8: " + "/".join(f"{lsh_probability(j):.3f}" for j in (0.3, 0.4, 0.5, 0.6, 0.8))
    )
    variants = []
    for heavy in (False, True):
        report, _ = run_variant(pages, heavy=heavy, orders=args.orders, seed=args.seed)
        print_variant(report)
        variants.append(report)
    sweep = length_sweep(pages, [10, 20, 30, 40, 60, 80, 120, 200], args.seed)
    print(
        "\nlength sweep (tokens: edited-copy median J / copies below threshold / "
        "max J of different texts / different pairs >= 0.2):"
    )
    for row in sweep:
        print(
            f"  {row['tokens']:>4}: {row['edited_copy_median']:.3f} / "
            f"{row['edited_copy_below_threshold']} of {row['texts']} / "
            f"{row['different_max']:.3f} / {row['different_at_or_above_0.2']}"
        )
    result = {
        "corpus": str(args.corpus),
        "pages": len(pages),
        "config": {
            "scheme": config.scheme,
            "threshold": config.threshold,
            "weak_threshold": config.weak_threshold,
            "weak_min_shared": config.weak_min_shared,
            "min_tokens": config.min_tokens,
        },
        "not_dedupable": short,
        "variants": variants,
        "length_sweep": sweep,
        "seconds": time.perf_counter() - t0,
    }
    if args.out:
        args.out.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
        print(f"\nwrote {args.out}")
    ok = all(
        v["pairwise"]["precision"] >= 0.99 and v["pairwise"]["recall"] >= 0.95 for v in variants[:1]
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
