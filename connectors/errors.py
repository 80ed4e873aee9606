"""The connectors' error tree, under the project's root :class:`~news_ingest.NewsIngestError`.

Connectors raise for configuration, misuse and capture-writing problems only;
a bad document becomes a :class:`~connectors.records.Rejected` record and a
failed fetch a fetch outcome, never an exception that escapes::

    ConnectorError
    ├── SourceConfigError        a source's settings are unusable (missing folder, bad URL)
    ├── CaptureError             raw capture cannot write its WARC files (connectors.capture)
    ├── FetchError               the fetcher was misused or misconfigured (connectors.http)
    │   ├── FetchSettingsError   a FetchSettings value is unusable
    │   └── FetcherClosedError   fetch() on a Fetcher that is not open
    ├── AddressError             the SSRF guard refused a host (caught inside the fetcher)
    │   ├── BlockedAddressError
    │   └── UnresolvableHostError
    ├── DecompressionError       a bounded decoder stopped (connectors.compression; caught
    │   │                        by its caller and turned into a fetch outcome or a reject)
    │   ├── SizeCapError         the decoded output reached its cap
    │   ├── TruncatedStreamError the stream ended before its end marker
    │   ├── CorruptStreamError   the bytes are not valid in their coding, or it is unknown
    │   └── CpuBudgetError       decoding a response took more CPU than its budget
    └── RejectError              a local file, line or record is unusable (caught by its reader)
"""

from __future__ import annotations

from connectors.records import RejectReason
from news_ingest.errors import ExitCode, NewsIngestError

__all__ = [
    "AddressError",
    "BlockedAddressError",
    "CaptureError",
    "ConnectorError",
    "CorruptStreamError",
    "CpuBudgetError",
    "DecompressionError",
    "FetchError",
    "FetchSettingsError",
    "FetcherClosedError",
    "RejectError",
    "SizeCapError",
    "SourceConfigError",
    "TruncatedStreamError",
    "UnresolvableHostError",
]


class ConnectorError(NewsIngestError):
    """Base class of every error a connector raises."""


class SourceConfigError(ConnectorError):
    """A source's configuration cannot be used (the message names the source and field)."""

    exit_code = ExitCode.USAGE


class CaptureError(ConnectorError):
    """The capture folder or a capture file cannot be written."""


class FetchError(ConnectorError):
    """Base class of the fetcher's errors (misuse and settings only)."""


class FetchSettingsError(FetchError):
    """A FetchSettings value is unusable (the message names the field)."""

    exit_code = ExitCode.USAGE


class FetcherClosedError(FetchError):
    """fetch() was called on a Fetcher that is not open (use ``async with``)."""


class AddressError(ConnectorError):
    """Base class of the SSRF guard's errors."""


class BlockedAddressError(AddressError):
    """The host is, or resolves to, an address the policy refuses."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} resolves to non-public address {address}")
        self.host = host
        self.address = address


class UnresolvableHostError(AddressError):
    """The host name does not resolve."""

    def __init__(self, host: str, detail: str, *, temporary: bool) -> None:
        super().__init__(f"cannot resolve {host}: {detail}")
        self.host = host
        self.temporary = temporary


class DecompressionError(ConnectorError):
    """Base class of the signals that stop a bounded decoder (internal control flow)."""


class SizeCapError(DecompressionError):
    """The decoded output reached its cap; what fitted has been kept."""


class TruncatedStreamError(DecompressionError):
    """A compressed stream ended before its end marker."""


class CorruptStreamError(DecompressionError):
    """The bytes cannot be decoded as their coding says, or the coding is not one we decode.

    ``detail`` is the decoding library's own words, for callers that phrase the
    message themselves.
    """

    def __init__(self, message: str, *, detail: str) -> None:
        super().__init__(message)
        self.detail = detail


class CpuBudgetError(DecompressionError):
    """Decoding one response took more CPU time than its budget (connectors.http.decoders)."""


class RejectError(ConnectorError):
    """A file, line or record that cannot be used; carries the reject reason.

    Internal control flow: the reader catches it and yields a Rejected row.
    """

    def __init__(self, reason: RejectReason, detail: str, digest: str | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.digest = digest
