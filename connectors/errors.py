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
    "FetchError",
    "FetchSettingsError",
    "FetcherClosedError",
    "RejectError",
    "SourceConfigError",
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


class RejectError(ConnectorError):
    """A file, line or record that cannot be used; carries the reject reason.

    Internal control flow: the reader catches it and yields a Rejected row.
    """

    def __init__(self, reason: RejectReason, detail: str, digest: str | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.digest = digest
