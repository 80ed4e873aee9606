"""connectors.http.client limits against a real server: compression bombs, slow drips, cut bodies."""

from __future__ import annotations

import gzip
import time
import tracemalloc
import zlib
from collections.abc import Callable

import brotli  # type: ignore[import-untyped]
import pytest
import zstandard

from connectors.http import FetchOutcome, Purpose
from tests.connectors.http.test_client import PAGE, fetch_one, settings
from tests.localserver import LocalServer, Response

MiB = 2**20
BOMB_MIB = 210  # decoded size of every bomb: well past 200 MiB


def _stream(compress: Callable[[bytes], bytes], flush: Callable[[], bytes]) -> bytes:
    chunk = b"\0" * MiB
    return b"".join(compress(chunk) for _ in range(BOMB_MIB)) + flush()


def _gzip_bomb() -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    return _stream(compressor.compress, compressor.flush)


def _brotli_bomb() -> bytes:
    compressor = brotli.Compressor(quality=5)
    return _stream(compressor.process, compressor.finish)


def _zstd_bomb() -> bytes:
    compressor = zstandard.ZstdCompressor(level=3).compressobj()
    return _stream(compressor.compress, compressor.flush)


_BOMBS: dict[str, bytes] = {}


def bomb(coding: str) -> bytes:
    """A body of zeros, 210 MiB decoded, generated once per session."""
    if coding not in _BOMBS:
        make = {"gzip": _gzip_bomb, "br": _brotli_bomb, "zstd": _zstd_bomb}[coding]
        _BOMBS[coding] = make()
    return _BOMBS[coding]


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
def test_compression_bomb_stops_at_the_cap_with_bounded_memory(
    local_server: LocalServer, coding: str
) -> None:
    body = bomb(coding)
    assert len(body) < 300_000  # small on the wire ...
    local_server.route("/bomb", Response(body=body, headers={"Content-Encoding": coding}))
    cap = 4 * MiB
    tracemalloc.start()
    try:
        started = time.monotonic()
        result, _ = fetch_one(settings(max_page_bytes=cap), local_server.url("/bomb"))
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.outcome is FetchOutcome.TOO_LARGE  # ... 210 MiB decoded
    assert result.body == b""
    assert f"{cap}-byte cap" in (result.error or "")
    # Peak Python memory during the fetch stays near the cap, far below 210 MiB.
    assert peak < 6 * cap, f"peak {peak / MiB:.1f} MiB"
    assert elapsed < 5


def test_sitemap_bomb_inside_a_gzip_file_stops_at_the_sitemap_cap(
    local_server: LocalServer,
) -> None:
    local_server.route(
        "/sitemap.xml.gz", Response(body=bomb("gzip"), content_type="application/x-gzip")
    )
    result, _ = fetch_one(
        settings(max_sitemap_bytes=2 * MiB),
        local_server.url("/sitemap.xml.gz"),
        purpose=Purpose.SITEMAP,
    )
    assert result.outcome is FetchOutcome.TOO_LARGE


def test_content_length_over_the_cap_is_refused_without_reading(
    local_server: LocalServer,
) -> None:
    # The server claims 1 GB but sends a few bytes and hangs up: had the body
    # been read, the outcome would be truncated.
    local_server.route("/huge", Response(body=PAGE, content_length=10**9))
    result, _ = fetch_one(settings(max_page_bytes=MiB), local_server.url("/huge"))
    assert result.outcome is FetchOutcome.TOO_LARGE
    assert "Content-Length 1000000000" in (result.error or "")


def test_plain_body_over_the_cap_is_too_large(local_server: LocalServer) -> None:
    local_server.route("/big", Response(body=[PAGE * 100] * 200))  # streamed, no length
    result, _ = fetch_one(settings(max_page_bytes=MiB), local_server.url("/big"))
    assert result.outcome is FetchOutcome.TOO_LARGE
    just_under, _ = fetch_one(settings(max_page_bytes=len(PAGE) * 20_000), local_server.url("/big"))
    assert just_under.outcome is FetchOutcome.OK
    assert len(just_under.body) == len(PAGE) * 20_000


def test_server_dripping_a_byte_at_a_time_hits_the_total_deadline(
    local_server: LocalServer,
) -> None:
    drip = (bytes([b]) for b in PAGE)
    local_server.route("/drip", Response(body=drip, chunk_delay=0.25))
    started = time.monotonic()
    # Each byte arrives well inside read_timeout, so only the total deadline can stop it.
    result, _ = fetch_one(
        settings(read_timeout=1.0, total_timeout=1.5, retries=2), local_server.url("/drip")
    )
    elapsed = time.monotonic() - started
    assert result.outcome is FetchOutcome.TIMEOUT
    assert "total deadline" in (result.error or "")
    assert result.attempts == 1  # a deadline overrun is not retried
    assert 1.4 < elapsed < 5.0  # the whole drip would take 20 s; room for a loaded machine


def test_read_inactivity_timeout(local_server: LocalServer) -> None:
    local_server.route("/stall", Response(body=[b"<html>", b"late"], chunk_delay=2.0))
    result, _ = fetch_one(settings(read_timeout=0.5, total_timeout=3.0), local_server.url("/stall"))
    assert result.outcome is FetchOutcome.TIMEOUT
    assert "ReadTimeout" in (result.error or "")


def test_truncated_body_is_truncated_and_retried(local_server: LocalServer) -> None:
    local_server.route("/cut", Response(body=PAGE * 100, truncate_at=200))
    result, _ = fetch_one(settings(retries=1), local_server.url("/cut"))
    assert result.outcome is FetchOutcome.TRUNCATED
    assert result.body == b""
    assert "cut short" in (result.error or "")
    assert local_server.hits("/cut") == 2 and result.attempts == 2


def test_lying_content_length_longer_than_the_body(local_server: LocalServer) -> None:
    local_server.route("/liar", Response(body=PAGE, content_length=len(PAGE) + 500))
    result, _ = fetch_one(settings(), local_server.url("/liar"))
    assert result.outcome is FetchOutcome.TRUNCATED
    assert "received" in (result.error or "") or "cut short" in (result.error or "")


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
def test_lying_content_length_shorter_than_a_compressed_body(
    local_server: LocalServer, coding: str
) -> None:
    encode = {
        "gzip": gzip.compress,
        "br": brotli.compress,
        "zstd": zstandard.ZstdCompressor().compress,
    }[coding]
    body = encode(PAGE * 50 + bytes(range(256)) * 40)
    local_server.route(
        "/short",
        Response(body=body, content_length=len(body) // 2, headers={"Content-Encoding": coding}),
    )
    result, _ = fetch_one(settings(), local_server.url("/short"))
    assert result.outcome is FetchOutcome.TRUNCATED
    assert "ended before" in (result.error or "")
