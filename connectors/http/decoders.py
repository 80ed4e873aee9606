"""A response body decoded as it arrives: its Content-Encoding as a chain of bounded decoders.

httpx's own decoding cannot stop a bomb (a size check inside ``iter_bytes()``
sees a 329-byte brotli body only once it is 200 MiB), so the client reads the
raw stream and feeds it to a :class:`BodyDecoder` here. The codings named in
Content-Encoding are undone in the reverse order of their listing, each by a
decoder from :mod:`connectors.compression`, the innermost writing into an
output that stops at the cap. A sitemap served as a ``.gz`` file without a
Content-Encoding is gunzipped as one more step.

Size is not the only budget: a body of empty zstd frames or gzip members
decodes to nothing at all while costing CPU for every byte, so each step's
CPU time (the thread's own, which other work on the machine does not
inflate) counts against ``cpu_budget`` too. A step takes at most
:data:`~connectors.compression.STEP` raw bytes, so the budget is checked often,
and the fetcher runs the steps of a coded body off the event loop
(:mod:`connectors.http.exchange`): a bomb's single step may still inflate a
whole size cap, and every other host's fetches must go on meanwhile.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from connectors.compression import (
    STEP,
    BoundedOutput,
    Decoder,
    Sink,
    coding_decoder,
    gzip_file_decoder,
)
from connectors.errors import CpuBudgetError, SizeCapError

__all__ = ["ACCEPT_ENCODING", "BodyDecoder"]

ACCEPT_ENCODING = "gzip, deflate, br, zstd"  # every coding BodyDecoder undoes


class BodyDecoder:
    """Decodes one response body from its raw chunks, never holding more than ``limit`` bytes.

    ``feed`` and ``finish`` raise the signals of :mod:`connectors.compression`;
    an unknown Content-Encoding raises CorruptStreamError at construction.
    With ``keep_start`` (robots.txt) a body over the cap is not refused: the
    caller takes :attr:`decoded`, its first ``limit`` bytes. Once the steps
    have used more than ``cpu_budget`` seconds of their threads' CPU time, the
    step that passed it raises CpuBudgetError (each step is timed in the thread
    that runs it, so the steps may run in different threads).
    """

    def __init__(
        self,
        content_encoding: str | None,
        *,
        limit: int,
        keep_start: bool,
        gzip_file: bool,
        cpu_budget: float = math.inf,
    ) -> None:
        self._output = BoundedOutput(limit)
        self._keep_start = keep_start
        self._cpu_budget = cpu_budget
        self._chain = _decoder_chain(content_encoding, self._output, gzip_file=gzip_file)
        # True when a coding is undone: work worth taking off the event loop; else a copy.
        self.inflates = bool(self._chain)
        if not self._chain:
            self._chain.append(
                coding_decoder("identity", self._output.write, room=self._output.room)
            )
        self.raw_bytes = 0  # bytes received on the wire so far
        self.cpu_seconds = 0.0  # thread CPU time spent decoding so far

    @property
    def decoded(self) -> bytes:
        """What has been decoded so far."""
        return bytes(self._output.data)

    def feed(self, chunk: bytes) -> None:
        """Decode one raw chunk, in steps of at most STEP bytes."""
        self.raw_bytes += len(chunk)
        if self.raw_bytes > self._output.limit + STEP and not self._keep_start:
            # Compressed input this long is not a document we want either.
            raise SizeCapError(f"{self.raw_bytes} bytes on the wire")
        for start in range(0, len(chunk), STEP):
            self._timed(self._chain[0].feed, chunk[start : start + STEP])

    def finish(self) -> bytes:
        """Check that every coding's stream ended properly; return the decoded body."""
        for decoder in self._chain:
            self._timed(decoder.finish)
        return self.decoded

    def _timed(self, step: Callable[..., None], *args: bytes) -> None:
        """Run one step; raise CpuBudgetError once the steps so far used up the budget."""
        started = time.thread_time()
        try:
            step(*args)
        finally:
            self.cpu_seconds += time.thread_time() - started
        if self.cpu_seconds > self._cpu_budget:
            error = f"decoding took over its {self._cpu_budget:g} s CPU budget"
            raise CpuBudgetError(error)


def _decoder_chain(
    content_encoding: str | None, output: BoundedOutput, *, gzip_file: bool
) -> list[Decoder]:
    """Decoders for a Content-Encoding, outermost first; none when there is nothing to undo."""
    sink: Sink = output.write
    chain: list[Decoder] = []
    if gzip_file:
        inner = gzip_file_decoder(sink)
        chain.append(inner)
        sink = inner.feed
    codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
    for coding in codings:  # listed in the order applied, so each wraps the previous
        if coding in ("", "identity"):
            continue
        decoder = coding_decoder(coding, sink, room=output.room)
        chain.insert(0, decoder)
        sink = decoder.feed
    return chain
