"""connectors.compression: size-capped decoding of gzip, deflate, brotli and zstd."""

from __future__ import annotations

import gzip
import zlib

from connectors.compression import gunzip_bounded, is_gzip

# ------------------------------------------------------------ gunzip_bounded


def test_gunzip_round_trip_and_concatenated_members():
    data = gzip.compress(b"abc") + gzip.compress(b"def")
    assert is_gzip(data)
    result = gunzip_bounded(data, max_bytes=100)
    assert (result.data, result.truncated, result.error) == (b"abcdef", False, None)


def test_gunzip_bomb_stops_at_the_cap():
    bomb = gzip.compress(b"\0" * (64 * 2**20))
    result = gunzip_bounded(bomb, max_bytes=2**20)
    assert result.truncated
    assert len(result.data) == 2**20
    exact = gunzip_bounded(gzip.compress(b"x" * 1000), max_bytes=1000)
    assert not exact.truncated
    assert len(exact.data) == 1000


def test_gunzip_reports_damage_but_keeps_what_it_read():
    data = gzip.compress(b"hello world" * 100)
    cut = gunzip_bounded(data[:-8], max_bytes=10_000)
    assert cut.error == "gzip stream is cut off"
    assert cut.data == b"hello world" * 100
    junk = gunzip_bounded(data + b"trailing", max_bytes=10_000)
    assert junk.error == "junk after gzip stream"
    corrupt = gunzip_bounded(b"\x1f\x8b\x08\x00" + zlib.compress(b"x")[2:], max_bytes=100)
    assert corrupt.error is not None
