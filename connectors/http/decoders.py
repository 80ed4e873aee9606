"""A response body decoded as it arrives: its Content-Encoding as a chain of bounded decoders.

httpx's own decoding cannot stop a bomb (a size check inside ``iter_bytes()``
sees a 329-byte brotli body only once it is 200 MiB), so the client reads the
raw stream and feeds it to a :class:`BodyDecoder` here. The codings named in
Content-Encoding are undone in the reverse order of their listing, each by a
decoder from :mod:`connectors.compression`, the innermost writing into an
output that stops at the cap. A sitemap served as a ``.gz`` file without a
Content-Encoding is gunzipped as one more step.
"""

from __future__ import annotations

from connectors.compression import (
    STEP,
    BoundedOutput,
    Decoder,
    Sink,
    coding_decoder,
    gzip_file_decoder,
)
from connectors.errors import SizeCapError

__all__ = ["ACCEPT_ENCODING", "BodyDecoder"]

ACCEPT_ENCODING = "gzip, deflate, br, zstd"  # every coding BodyDecoder undoes


class BodyDecoder:
    """Decodes one response body from its raw chunks, never holding more than ``limit`` bytes.

    ``feed`` and ``finish`` raise the signals of :mod:`connectors.compression`;
    an unknown Content-Encoding raises CorruptStreamError at construction.
    With ``keep_start`` (robots.txt) a body over the cap is not refused: the
    caller takes :attr:`decoded`, its first ``limit`` bytes.
    """

    def __init__(
        self, content_encoding: str | None, *, limit: int, keep_start: bool, gzip_file: bool
    ) -> None:
        self._output = BoundedOutput(limit)
        self._keep_start = keep_start
        self._chain = _decoder_chain(content_encoding, self._output, gzip_file=gzip_file)
        self.raw_bytes = 0  # bytes received on the wire so far

    @property
    def decoded(self) -> bytes:
        """What has been decoded so far."""
        return bytes(self._output.data)

    def feed(self, chunk: bytes) -> None:
        """Decode one raw chunk."""
        self.raw_bytes += len(chunk)
        if self.raw_bytes > self._output.limit + STEP and not self._keep_start:
            # Compressed input this long is not a document we want either.
            raise SizeCapError(f"{self.raw_bytes} bytes on the wire")
        self._chain[0].feed(chunk)

    def finish(self) -> bytes:
        """Check that every coding's stream ended properly; return the decoded body."""
        for decoder in self._chain:
            decoder.finish()
        return self.decoded


def _decoder_chain(
    content_encoding: str | None, output: BoundedOutput, *, gzip_file: bool
) -> list[Decoder]:
    """Decoders for a Content-Encoding, outermost first."""
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
    if not chain:
        chain.append(coding_decoder("identity", sink, room=output.room))
    return chain
