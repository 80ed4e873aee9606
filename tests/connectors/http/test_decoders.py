"""connectors.http.decoders: every Content-Encoding undone in bounded steps, bombs stopped at the cap."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import time
import tracemalloc
import zlib
from collections.abc import Callable

import brotli  # type: ignore[import-untyped]
import pytest
import zstandard

from connectors.compression import STEP
from connectors.errors import CorruptStreamError, CpuBudgetError, SizeCapError
from connectors.http import Fetcher, FetchOutcome, FetchResult, Purpose
from connectors.http.decoders import ACCEPT_ENCODING, BodyDecoder
from tests.connectors.http.fetching import PAGE, fetch_all, fetch_one, gaps, settings
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
EMPTY_ZSTD_FRAME = zstandard.ZstdCompressor().compress(b"")  # 9 bytes that decode to nothing


def bomb(coding: str) -> bytes:
    """A body of zeros, 210 MiB decoded, generated once per session."""
    if coding not in _BOMBS:
        make = {"gzip": _gzip_bomb, "br": _brotli_bomb, "zstd": _zstd_bomb}[coding]
        _BOMBS[coding] = make()
    return _BOMBS[coding]


def decode(
    body: bytes,
    content_encoding: str | None,
    *,
    limit: int = MiB,
    keep_start: bool = False,
    gzip_file: bool = False,
    chunk: int = 1000,
) -> BodyDecoder:
    """Feed a raw body to a BodyDecoder in chunks, as it would arrive; the decoder, unfinished."""
    decoder = BodyDecoder(content_encoding, limit=limit, keep_start=keep_start, gzip_file=gzip_file)
    for start in range(0, len(body), chunk):
        decoder.feed(body[start : start + chunk])
    return decoder


def feed_repeatedly(decoder: BodyDecoder, chunk: bytes, *, times: int) -> None:
    """Feed the same raw chunk again and again."""
    for _ in range(times):
        decoder.feed(chunk)


# ----------------------------------------------------------------- BodyDecoder


def test_stacked_codings_are_undone_in_reverse_order() -> None:
    raw = zstandard.ZstdCompressor().compress(brotli.compress(gzip.compress(PAGE)))
    assert decode(raw, "gzip, br, zstd").finish() == PAGE
    assert decode(raw, " GZIP ,BR,  zstd").finish() == PAGE  # spacing and case as servers send


@pytest.mark.parametrize("content_encoding", [None, "", "identity"])
def test_no_coding_passes_the_body_through(content_encoding: str | None) -> None:
    assert decode(PAGE, content_encoding).finish() == PAGE


def test_every_advertised_coding_is_decoded() -> None:
    for coding in ACCEPT_ENCODING.split(", "):
        BodyDecoder(coding, limit=MiB, keep_start=False, gzip_file=False)


def test_an_unknown_coding_is_refused_before_reading() -> None:
    with pytest.raises(CorruptStreamError, match="unsupported"):
        BodyDecoder("gzip, compress", limit=MiB, keep_start=False, gzip_file=False)


def test_a_body_over_the_cap_stops_or_keeps_its_start() -> None:
    with pytest.raises(SizeCapError):
        decode(gzip.compress(PAGE * 100), "gzip", limit=1000)
    decoder = BodyDecoder("gzip", limit=1000, keep_start=True, gzip_file=False)
    with pytest.raises(SizeCapError):
        decoder.feed(gzip.compress(PAGE * 100))
    assert decoder.decoded == (PAGE * 100)[:1000]  # robots.txt: the first part is used


def test_raw_input_far_past_the_cap_stops_even_when_it_decodes_small() -> None:
    padded = gzip.compress(b"<html></html>") + b"\0" * (1000 + STEP)  # ignored trailing bytes
    with pytest.raises(SizeCapError):
        decode(padded, "gzip", limit=1000)
    kept = decode(padded, "gzip", limit=1000, keep_start=True)
    assert kept.finish() == b"<html></html>"
    assert kept.raw_bytes == len(padded)


def test_a_gzip_file_is_gunzipped_only_when_asked_and_only_if_gzipped() -> None:
    xml = b"<urlset/>"
    assert decode(gzip.compress(xml), None, gzip_file=True, chunk=1).finish() == xml
    assert decode(xml, None, gzip_file=True).finish() == xml
    assert decode(gzip.compress(xml), None).finish() == gzip.compress(xml)
    gzipped_twice = gzip.compress(gzip.compress(xml))
    assert decode(gzipped_twice, "gzip", gzip_file=True).finish() == xml


def test_decoding_past_its_cpu_budget_stops() -> None:
    decoder = BodyDecoder("zstd", limit=MiB, keep_start=False, gzip_file=False, cpu_budget=0.01)
    frames = EMPTY_ZSTD_FRAME * (STEP // len(EMPTY_ZSTD_FRAME))
    with pytest.raises(CpuBudgetError, match="CPU"):
        feed_repeatedly(decoder, frames, times=2000)  # 128 MiB of frames: far more than 0.01 s
    assert 0.01 < decoder.cpu_seconds < 0.1  # stopped within a step of the budget
    assert decoder.raw_bytes < MiB + STEP  # the size cap was not what stopped it


# ------------------------------------------------------- through the fetcher


def test_sitemap_gzip_file_is_gunzipped(local_server: LocalServer) -> None:
    xml = b"<?xml version='1.0'?><urlset><url><loc>http://a/</loc></url></urlset>"
    local_server.route(
        "/sitemap.xml.gz", Response(body=gzip.compress(xml), content_type="application/x-gzip")
    )
    local_server.route("/sitemap.txt", Response(body=b"http://a/\n", content_type="text/plain"))
    (gz, txt), _ = fetch_all(
        settings(),
        [local_server.url("/sitemap.xml.gz"), local_server.url("/sitemap.txt")],
        purpose=Purpose.SITEMAP,
    )
    assert gz.outcome is FetchOutcome.OK and gz.body == xml
    assert txt.outcome is FetchOutcome.OK and txt.body == b"http://a/\n"


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", _raw_deflate),
        ("br", brotli.compress),
        ("zstd", lambda data: zstandard.ZstdCompressor().compress(data)),
        ("identity", lambda data: data),
    ],
)
def test_content_codings_are_decoded(local_server: LocalServer, coding: str, encode) -> None:
    body = PAGE * 2000  # ~170 KB: several decoding steps
    local_server.route("/p", Response(body=encode(body), headers={"Content-Encoding": coding}))
    result, _ = fetch_one(settings(), local_server.url("/p"))
    assert result.outcome is FetchOutcome.OK, result.error
    assert result.body == body


def test_multi_member_gzip_and_stacked_codings(local_server: LocalServer) -> None:
    local_server.route(
        "/members",
        Response(
            body=gzip.compress(b"<html>one ") + gzip.compress(b"two</html>"),
            headers={"Content-Encoding": "gzip"},
        ),
    )
    local_server.route(
        "/stacked",
        Response(
            body=brotli.compress(gzip.compress(PAGE)), headers={"Content-Encoding": "gzip, br"}
        ),
    )
    (members, stacked), _ = fetch_all(
        settings(), [local_server.url("/members"), local_server.url("/stacked")]
    )
    assert members.body == b"<html>one two</html>"
    assert stacked.outcome is FetchOutcome.OK and stacked.body == PAGE


@pytest.mark.parametrize(
    ("coding", "body"),
    [
        ("gzip", b"this is not gzip at all"),
        ("br", b"\xff\xff\xff\xff not brotli"),
        ("zstd", b"not zstd either, no magic"),
        ("compress", b"whatever"),
    ],
)
def test_corrupt_or_unknown_coding_is_decoding_error(
    local_server: LocalServer, coding: str, body: bytes
) -> None:
    local_server.route("/p", Response(body=body, headers={"Content-Encoding": coding}))
    result, _ = fetch_one(settings(), local_server.url("/p"))
    assert result.outcome is FetchOutcome.DECODING_ERROR
    assert result.body == b""
    assert result.error


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


def test_plain_body_over_the_cap_is_too_large(local_server: LocalServer) -> None:
    local_server.route("/big", Response(body=[PAGE * 100] * 200))  # streamed, no length
    result, _ = fetch_one(settings(max_page_bytes=MiB), local_server.url("/big"))
    assert result.outcome is FetchOutcome.TOO_LARGE
    just_under, _ = fetch_one(settings(max_page_bytes=len(PAGE) * 20_000), local_server.url("/big"))
    assert just_under.outcome is FetchOutcome.OK
    assert len(just_under.body) == len(PAGE) * 20_000


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


# ------------------------------------------------ CPU budget and the event loop


def test_a_body_over_its_cpu_budget_is_too_large_and_counts_against_the_host(
    local_server: LocalServer,
) -> None:
    frames = EMPTY_ZSTD_FRAME * (8 * MiB // len(EMPTY_ZSTD_FRAME))  # decodes to nothing
    local_server.route("/frames", Response(body=frames, headers={"Content-Encoding": "zstd"}))
    local_server.route("/p", Response(body=PAGE))
    urls = [local_server.url("/frames")] * 2 + [local_server.url("/p")]
    budget = 0.05
    started = time.process_time()

    results, log = fetch_all(settings(decode_cpu_budget=budget, breaker_threshold=2), urls)

    spent = time.process_time() - started
    assert [r.outcome for r in results] == [FetchOutcome.TOO_LARGE] * 2 + [
        FetchOutcome.CIRCUIT_OPEN
    ]
    assert "CPU" in (results[0].error or "")
    assert [r.outcome for r in log] == [r.outcome for r in results]
    # 16 MiB of empty frames cost 2 s of CPU before and 19 s before decoding was linear;
    # each fetch now stops within a step of its budget (the server's work is counted too).
    assert spent < 1.0, f"{spent:.2f} s of CPU"


def test_no_decoding_step_holds_the_event_loop(local_server: LocalServer) -> None:
    hostile = {
        "/br-bomb": ("br", bomb("br")),  # 342 bytes on the wire decode to the 50 MiB cap
        "/gzip-bomb": ("gzip", bomb("gzip")),
        "/frames": ("zstd", EMPTY_ZSTD_FRAME * (4 * MiB // len(EMPTY_ZSTD_FRAME))),
    }
    for path, (coding, body) in hostile.items():
        local_server.route(
            path,
            Response(
                body=body, headers={"Content-Encoding": coding}, content_type="application/xml"
            ),
        )
    ticks: list[tuple[float, float]] = []  # (wall clock, the event loop thread's CPU time)

    async def tick(stop: asyncio.Event) -> None:
        while not stop.is_set():
            ticks.append((time.monotonic(), time.thread_time()))
            await asyncio.sleep(0.001)

    async def go() -> list[FetchResult]:
        async with Fetcher(settings(host_concurrency=3)) as fetcher:
            stop = asyncio.Event()
            ticker = asyncio.create_task(tick(stop))  # once the client is built (TLS set-up)
            fetches = [
                fetcher.fetch(local_server.url(path), purpose=Purpose.SITEMAP) for path in hostile
            ]
            results = await asyncio.gather(*fetches)
            stop.set()
            await ticker
        return list(results)

    results = asyncio.run(go())

    assert [r.outcome for r in results] == [
        FetchOutcome.TOO_LARGE,
        FetchOutcome.TOO_LARGE,
        FetchOutcome.OK,
    ]
    wall = max(gaps([t for t, _ in ticks]))
    held = max(b - a for (_, a), (_, b) in itertools.pairwise(ticks))
    # Decoding on the event loop stood it still 450-1150 ms (load average 7 on 2 cores),
    # 200 ms of it working for one step; now 15-80 ms, 1-22 ms of the loop's own CPU:
    # the rest is other threads and processes taking their turn.
    assert wall < 0.25, f"the event loop stood still for {wall * 1000:.0f} ms"
    assert held < 0.05, f"one turn of the event loop took {held * 1000:.0f} ms of its CPU"
