"""The parameters of the near-duplicate layer (shingles, LSH bands, thresholds), with reasons.

``bench/dedupe_quality.py`` measures them on real pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["DEFAULT_CONFIG", "DedupeConfig"]


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
