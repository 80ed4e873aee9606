"""Size-capped decompression: gzip, deflate, brotli and zstd that never decode past a cap.

A 329-byte brotli body can decode to 200 MiB in one call, so nothing in the
connectors inflates bytes it did not make itself except through this module:
the fetcher's Content-Encoding chain (:mod:`connectors.http.decoders`), WARC
payloads and record heads (:mod:`connectors.warc`), and gzipped feeds,
sitemaps and files (:func:`gunzip_bounded`).

It sits at the package root, not under ``http/`` or ``text/``, because it
handles bytes (neither HTTP nor text) for the HTTP client and the local
readers alike, and imports nothing of the package but the error tree.

A decoder is fed compressed bytes and hands what it decodes to a sink, at most
:data:`STEP` bytes at a time (zstd: no more than the room left), so a
:class:`BoundedOutput` stops a bomb within one step of its cap. Decoding stops
with one of three signals from :mod:`connectors.errors`, which each caller
turns into its own outcome or reject reason::

    DecompressionError
    ├── SizeCapError          the output reached its cap (what fitted is kept)
    ├── TruncatedStreamError  the stream ended before its end marker
    └── CorruptStreamError    the bytes are not valid in their coding, or it is unknown
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeAlias

import brotli  # type: ignore[import-untyped, unused-ignore]  # no stubs
import zstandard

from connectors.errors import CorruptStreamError, SizeCapError, TruncatedStreamError

__all__ = [
    "GZIP_MAGIC",
    "STEP",
    "ZSTD_MAGIC",
    "BoundedOutput",
    "Decoder",
    "Decompressed",
    "Sink",
    "coding_decoder",
    "decompress",
    "gunzip_bounded",
    "gzip_file_decoder",
    "inflate_prefix",
    "is_gzip",
    "is_zstd",
]

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
STEP = 64 * 2**10  # most bytes a decoder hands on per step
_INPUT_STEP = 4 * 2**10  # most compressed bytes zlib is handed per step
_PEEK_STEP = 64  # compressed bytes per step when salvaging the start of a damaged member
_GZIP_WBITS = 16 + zlib.MAX_WBITS
_ZSTD_MAX_BLOCK = 128 * 2**10  # a zstd block never decodes to more than this
_ZSTD_MIN_BLOCK_INPUT = 4  # and takes at least this many input bytes (an RLE block)

Sink: TypeAlias = Callable[[bytes], None]
"""Where a decoder hands its output: the next decoder's ``feed`` or ``BoundedOutput.write``."""


class Decoder(Protocol):
    """A streaming decoder: feed it compressed bytes, then ask whether the stream ended."""

    def feed(self, data: bytes) -> None:
        """Decode ``data``, handing the output to the sink in bounded steps."""
        ...

    def finish(self) -> None:
        """Raise TruncatedStreamError when the stream stopped before its end."""
        ...


class BoundedOutput:
    """Decoded bytes collected up to a cap; ``write`` raises SizeCapError once it is passed."""

    def __init__(self, limit: int) -> None:
        self.data = bytearray()
        self.limit = limit

    def room(self) -> int:
        """Bytes that still fit."""
        return self.limit - len(self.data)

    def write(self, piece: bytes) -> None:
        """Append a piece; keep what fits and raise when it does not all fit."""
        room = self.room()
        if len(piece) > room:
            self.data += piece[:room]
            raise SizeCapError(f"decoded output passed {self.limit} bytes")
        self.data += piece


def is_gzip(data: bytes) -> bool:
    """Tell whether bytes start with the gzip magic number."""
    return data.startswith(GZIP_MAGIC)


def is_zstd(data: bytes) -> bool:
    """Tell whether bytes start with the zstd frame magic number."""
    return data.startswith(ZSTD_MAGIC)


class _Identity:
    def __init__(self, sink: Sink) -> None:
        self._sink = sink

    def feed(self, data: bytes) -> None:
        if data:
            self._sink(data)

    def finish(self) -> None:
        return


class _ZlibDecoder:
    """gzip (wbits 31), zlib (15) or raw deflate (-15), emitting at most STEP bytes per step.

    ``ignored_trailer`` tells that bytes after the end of the stream (other than
    a further gzip member) were dropped, as browsers drop them.
    """

    def __init__(self, sink: Sink, wbits: int) -> None:
        self._sink = sink
        self._wbits = wbits
        self._zlib = zlib.decompressobj(wbits)
        self._more = False  # the last step filled its output: more may be pending
        self._seen = False
        self._magic = b""  # the start of a gzip magic number cut off by the end of a feed
        self.ignored_trailer = False

    def feed(self, data: bytes) -> None:
        self._seen = self._seen or bool(data)
        if self._magic:
            data, self._magic = self._magic + data, b""
        view = memoryview(data)
        pos = 0
        try:
            while pos < len(view) or self._more:
                if self._zlib.eof and not self._next_member(view[pos:]):
                    return
                # A bounded slice: zlib copies what a step leaves over (unused_data
                # at a member's end), so a whole chunk would make tiny members quadratic.
                piece_in = view[pos : pos + _INPUT_STEP]
                piece = self._zlib.decompress(piece_in, STEP)
                left = self._zlib.unused_data if self._zlib.eof else self._zlib.unconsumed_tail
                pos += len(piece_in) - len(left)
                self._more = len(piece) == STEP and not self._zlib.eof
                if piece:
                    self._sink(piece)
        except zlib.error as exc:
            raise CorruptStreamError(f"invalid compressed data: {exc}", detail=str(exc)) from exc

    def _next_member(self, rest: memoryview) -> bool:
        """After the end of a stream: start the next gzip member, or drop what follows."""
        if self._wbits == _GZIP_WBITS and not self.ignored_trailer:
            if len(rest) < len(GZIP_MAGIC) and GZIP_MAGIC.startswith(rest):
                self._magic = bytes(rest)  # wait for the next feed to tell
                return False
            if rest[: len(GZIP_MAGIC)] == GZIP_MAGIC:
                self._zlib = zlib.decompressobj(self._wbits)
                return True
        # Once junk was dropped, everything after it is dropped too, whatever it looks like.
        self.ignored_trailer = self.ignored_trailer or bool(rest)
        return False

    def finish(self) -> None:
        if self._more:
            self.feed(b"")
        if self._magic:
            self.ignored_trailer = True
        if self._seen and not self._zlib.eof:
            raise TruncatedStreamError("compressed stream ended before its end marker")


class _BrotliDecoder:
    def __init__(self, sink: Sink) -> None:
        self._sink = sink
        self._brotli = brotli.Decompressor()
        self._seen = False

    def feed(self, data: bytes) -> None:
        self._seen = self._seen or bool(data)
        try:
            piece = self._brotli.process(data, output_buffer_limit=STEP)
            # can_accept_more_data() may say True while output is still pending,
            # so drain with empty input until a step yields nothing.
            while piece:
                self._sink(piece)
                if self._brotli.is_finished():
                    return
                piece = self._brotli.process(b"", output_buffer_limit=STEP)
        except brotli.error as exc:
            raise CorruptStreamError(f"invalid brotli data: {exc}", detail=str(exc)) from exc

    def finish(self) -> None:
        if self._seen and not self._brotli.is_finished():
            raise TruncatedStreamError("brotli stream ended before its end marker")


class _ZstdDecoder:
    """zstd, fed in slices small enough that one step cannot decode past the room left.

    zstandard's decompressobj has no output limit, but a block decodes to at
    most 128 KiB and needs at least 4 input bytes, which bounds a slice's output.
    One ZstdDecompressor serves every frame of the stream: making one costs
    more than decoding a small frame.
    """

    def __init__(self, sink: Sink, room: Callable[[], int]) -> None:
        self._sink = sink
        self._room = room
        self._context = zstandard.ZstdDecompressor()
        self._zstd = self._context.decompressobj()
        self._in_frame = False

    def feed(self, data: bytes) -> None:
        view = memoryview(data)
        pos, end = 0, len(view)
        size = self._slice()
        try:
            while pos < end:
                if self._zstd.eof:  # concatenated frames: the next one starts here
                    self._zstd = self._context.decompressobj()
                piece = self._zstd.decompress(view[pos : pos + size])
                pos = min(pos + size, end)
                if self._zstd.eof:
                    pos -= len(self._zstd.unused_data)
                self._in_frame = not self._zstd.eof
                if piece:
                    self._sink(piece)
                    size = self._slice()
        except zstandard.ZstdError as exc:
            raise CorruptStreamError(f"invalid zstd data: {exc}", detail=str(exc)) from exc

    def _slice(self) -> int:
        """Input bytes that cannot decode to more than the room left (one block at least)."""
        return max(1, self._room() // _ZSTD_MAX_BLOCK) * _ZSTD_MIN_BLOCK_INPUT

    def finish(self) -> None:
        if self._in_frame:
            raise TruncatedStreamError("zstd stream ended before the end of its frame")


class _Sniffed:
    """Chooses its decoder from the first two bytes (deflate's zlib header, a gzip file)."""

    def __init__(self, choose: Callable[[bytes], Decoder]) -> None:
        self._choose = choose
        self._head = b""
        self._inner: Decoder | None = None

    def feed(self, data: bytes) -> None:
        if self._inner is None:
            self._head += data
            if len(self._head) < 2:
                return
            self._inner = self._choose(self._head)
            data, self._head = self._head, b""
        self._inner.feed(data)

    def finish(self) -> None:
        if self._inner is None:
            if not self._head:
                return
            self._inner = self._choose(self._head)
            self._inner.feed(self._head)
        self._inner.finish()


def _deflate_decoder(sink: Sink) -> Decoder:
    # "deflate" should be zlib-wrapped (RFC 9110) but some servers send raw deflate.
    def choose(head: bytes) -> Decoder:
        zlib_wrapped = len(head) >= 2 and head[0] & 0x0F == 8 and (head[0] << 8 | head[1]) % 31 == 0
        return _ZlibDecoder(sink, zlib.MAX_WBITS if zlib_wrapped else -zlib.MAX_WBITS)

    return _Sniffed(choose)


def gzip_file_decoder(sink: Sink) -> Decoder:
    """A decoder that gunzips a body starting with the gzip magic and passes any other through."""

    def choose(head: bytes) -> Decoder:
        return _ZlibDecoder(sink, _GZIP_WBITS) if is_gzip(head) else _Identity(sink)

    return _Sniffed(choose)


def coding_decoder(coding: str, sink: Sink, *, room: Callable[[], int]) -> Decoder:
    """The decoder of one content coding (gzip, x-gzip, deflate, br, zstd or identity).

    ``room`` says how many more bytes the final output takes (zstd slices its
    input by it). An unknown coding raises CorruptStreamError.
    """
    if coding in ("", "identity"):
        return _Identity(sink)
    if coding in ("gzip", "x-gzip"):
        return _ZlibDecoder(sink, _GZIP_WBITS)
    if coding == "deflate":
        return _deflate_decoder(sink)
    if coding == "br":
        return _BrotliDecoder(sink)
    if coding == "zstd":
        return _ZstdDecoder(sink, room)
    error = f"unsupported Content-Encoding {coding!r}"
    raise CorruptStreamError(error, detail=error)


def decompress(data: bytes, coding: str, *, max_bytes: int) -> bytes:
    """Decode a whole body in one content coding; raise a DecompressionError if it cannot."""
    output = BoundedOutput(max_bytes)
    decoder = coding_decoder(coding, output.write, room=output.room)
    decoder.feed(data)
    decoder.finish()
    return bytes(output.data)


def inflate_prefix(data: bytes, *, max_bytes: int) -> bytes:
    """The first ``max_bytes`` the first gzip member of ``data`` decodes to (a peek; it may be cut).

    What follows the member is not looked at, and a member damaged further on
    gives what decodes before the damage (the head of a damaged WARC record);
    raises CorruptStreamError when not even its start decodes.
    """
    try:
        return zlib.decompressobj(_GZIP_WBITS).decompress(data, max_bytes)
    except zlib.error as exc:
        salvaged = _inflate_until_damage(data, max_bytes)
        if not salvaged:
            raise CorruptStreamError(f"invalid compressed data: {exc}", detail=str(exc)) from exc
        return salvaged


def _inflate_until_damage(data: bytes, max_bytes: int) -> bytes:
    """Inflate a gzip member in small steps, keeping what came out before an error."""
    inflater = zlib.decompressobj(_GZIP_WBITS)
    output = bytearray()
    view = memoryview(data)
    with contextlib.suppress(zlib.error):
        for start in range(0, len(view), _PEEK_STEP):
            output += inflater.decompress(view[start : start + _PEEK_STEP], max_bytes - len(output))
            if len(output) >= max_bytes or inflater.eof:
                break
    return bytes(output)


@dataclass(frozen=True, slots=True)
class Decompressed:
    """The result of a bounded gunzip: what was inflated, and why it stopped early if so."""

    data: bytes
    truncated: bool  # output reached the size cap; data is its first max_bytes
    error: str | None  # corrupt or cut-off stream; data is what could be inflated


def gunzip_bounded(data: bytes, *, max_bytes: int) -> Decompressed:
    """Inflate gzip data (all members) without ever producing more than ``max_bytes``.

    Unlike the fetcher, which ignores bytes after the last member as browsers
    do, this reports them: a feed or file with junk after its gzip data is
    read but flagged.
    """
    output = BoundedOutput(max_bytes)
    decoder = _ZlibDecoder(output.write, _GZIP_WBITS)
    error: str | None = None
    try:
        decoder.feed(data)
        decoder.finish()
    except SizeCapError:
        return Decompressed(bytes(output.data), truncated=True, error=None)
    except CorruptStreamError as exc:
        error = f"corrupt gzip data: {exc.detail}"
    except TruncatedStreamError:
        error = "gzip stream is cut off"
    if error is None and decoder.ignored_trailer:
        error = "junk after gzip stream"
    return Decompressed(bytes(output.data), truncated=False, error=error)
