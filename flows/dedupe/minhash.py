"""MinHash signatures and LSH band keys: which texts may be near-duplicates, cheaply.

A signature holds, for each of 120 hash permutations, the minimum over a
text's shingles (runs of 5 tokens) (:func:`minhash`); the share of equal slots
of two signatures estimates the Jaccard similarity of their shingle sets
(:func:`similarity`). Each band of 3 slots hashes to one key (:func:`band_keys`):
texts that share a key are candidates, verified by
:func:`flows.dedupe.similarity.is_same_story`. The numbers are
:class:`~flows.dedupe.config.DedupeConfig`'s defaults.

Signatures and band keys are stored in warehouses, so they are deterministic
across processes, runs and library versions: hash functions are xxh3 with
fixed seeds and the permutations are derived from xxh3, not from a random
generator whose stream may change between numpy releases.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Final

import numpy as np
import numpy.typing as npt
import xxhash

from flows.dedupe.config import DEFAULT_CONFIG, DedupeConfig
from flows.dedupe.hashing import content_tokens
from flows.errors import DedupeError

__all__ = [
    "Signature",
    "band_keys",
    "lsh_probability",
    "minhash",
    "shingle_signature",
    "similarity",
]

Signature = bytes  # num_perm little-endian uint32 minima (a DuckDB BLOB)

_EMPTY: Final = 0xFFFFFFFF  # every slot of the signature of an empty shingle set
_MAX64: Final = np.iinfo(np.uint64).max
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
    # The minimum is taken before the shift: ">> 32" never changes which value is
    # smallest, so one shift of 120 minima replaces one of the whole matrix.
    minima = np.full(config.num_perm, _MAX64, dtype=np.uint64)
    # In slices, so a huge text never needs a (shingles x permutations) matrix at once,
    # computed in place in one buffer (uint64 arithmetic wraps modulo 2**64: the hash
    # family's definition).
    buffer = np.empty((min(column.shape[0], _SIGNATURE_CHUNK), config.num_perm), np.uint64)
    for start in range(0, column.shape[0], _SIGNATURE_CHUNK):
        chunk = column[start : start + _SIGNATURE_CHUNK]
        values = buffer[: chunk.shape[0]]
        np.multiply(chunk, a, out=values)
        np.add(values, b, out=values)
        np.minimum(minima, values.min(axis=0), out=minima)
    return bytes((minima >> np.uint64(32)).astype("<u4").tobytes())


def minhash(text: str, *, config: DedupeConfig = DEFAULT_CONFIG) -> Signature:
    """Return the MinHash signature of a text's shingles, boilerplate paragraphs left out."""
    signature, _ = shingle_signature(content_tokens(text), config=config)
    return signature


def shingle_signature(
    words: Sequence[str], *, config: DedupeConfig = DEFAULT_CONFIG
) -> tuple[Signature, int]:
    """Return the MinHash signature of comparison tokens and their number of distinct shingles."""
    hashes = _shingle_hashes(words, config.shingle_size, config.seed)
    return _signature(hashes, config), int(hashes.size)


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
