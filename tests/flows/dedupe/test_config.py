"""Tests of flows.dedupe.config: the parameters' scheme name."""

from __future__ import annotations

from flows.dedupe.config import DEFAULT_CONFIG, DedupeConfig
from flows.dedupe.minhash import minhash


def test_scheme_names_the_parameters() -> None:
    assert DEFAULT_CONFIG.scheme != DedupeConfig(bands=20, rows=6).scheme
    assert DEFAULT_CONFIG.num_perm == len(minhash("x y z")) // 4
