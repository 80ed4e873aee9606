"""The sources file (TOML): read once, validated whole, into frozen settings.

Every problem is reported before anything runs, as a :class:`ConfigError`
naming the file, the source and the field::

    [fetch]                       # the one HTTP client's settings
    allow_private_addresses = false
    [pipeline]                    # batch size, extraction workers and limits
    engine = "local"              # local | dask: where pages are extracted
    scheduler = ""                # the Dask scheduler (engine "dask"): "tcp://host:8786"
    [capture]                     # raw WARC capture of fetched pages
    warc = false
    [warehouse]                   # a DuckLake on PostgreSQL instead of the DuckDB file
    target = "ducklake:postgres:dbname=news host=127.0.0.1 port=5432"
    data_path = "lake"            # where its Parquet files go (docs/lake.md)
    maintenance_schedule = "0 3 * * *"  # its upkeep under `serve` (or maintenance_interval)
    keep_days = 7                 # snapshots the upkeep keeps
    [[sources]]
    name = "seeds"
    kind = "files"                # files | feed | sitemap | urls | warc | site
    path = "."                    # relative paths are relative to this file's folder
    schedule = "0 * * * *"        # cron, or interval = "30m"

Relative paths resolve against the folder that holds the sources file, so a
run behaves the same from any working directory.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from connectors.errors import ConnectorError
from connectors.http import FetchSettings
from flows.errors import ConfigError, UsageError

__all__ = [
    "ENGINES",
    "CaptureSettings",
    "PipelineSettings",
    "Settings",
    "SourceConfig",
    "SourceKind",
    "WarehouseSettings",
    "format_interval",
    "load_settings",
    "parse_interval",
    "with_engine",
]

_T = TypeVar("_T")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


class SourceKind(StrEnum):
    """Where a source's documents come from."""

    FILES = "files"
    FEED = "feed"
    SITEMAP = "sitemap"
    URLS = "urls"
    WARC = "warc"
    SITE = "site"


# Which fields each kind requires and accepts, beyond the common ones.
_COMMON = {"name", "kind", "schedule", "interval", "enabled", "min_interval", "max_interval"}
_KIND_FIELDS: dict[SourceKind, tuple[set[str], set[str]]] = {
    SourceKind.FILES: ({"path"}, {"follow_links"}),
    SourceKind.FEED: (set(), {"url", "urls"}),
    SourceKind.SITEMAP: ({"url"}, {"max_urls"}),
    SourceKind.URLS: ({"path"}, set()),
    SourceKind.WARC: ({"paths"}, {"hosts", "since", "until", "languages"}),
    SourceKind.SITE: ({"url"}, {"max_urls"}),
}


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """One ``[[sources]]`` entry, validated."""

    name: str
    kind: SourceKind
    schedule: str | None = None
    interval: timedelta | None = None
    enabled: bool = True
    path: Path | None = None
    follow_links: bool = False  # files: links may lead out of the folder
    paths: tuple[str, ...] = ()
    url: str | None = None
    urls: tuple[str, ...] = ()
    max_urls: int | None = None
    hosts: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    languages: tuple[str, ...] = ()
    min_interval: timedelta | None = None  # adaptive freshness bounds (web sources)
    max_interval: timedelta | None = None


ENGINES = ("local", "dask")  # the local process pool; a Dask cluster's workers (scale-out.md)


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    """How documents move through the pipeline."""

    batch_size: int = 200
    workers: int = max(1, os.cpu_count() or 1)  # processes of the local engine
    extraction_timeout: float = 30.0
    lock_timeout: float = 3600.0  # how long a run waits for a database held by someone else
    snapshot: bool = True  # copy the database for analysts after each run (see operations.md)
    engine: str = "local"  # where pages are extracted: one of ENGINES
    scheduler: str = ""  # the Dask scheduler's address when the engine is "dask"

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ValueError(f"`engine` must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        if self.engine == "dask" and not self.scheduler.strip():
            raise ValueError(
                'engine "dask" needs the scheduler\'s address: `scheduler = "tcp://host:8786"` '
                "in [pipeline], or --scheduler"
            )
        if any(c.isspace() for c in self.scheduler):
            raise ValueError(
                f"`scheduler` must be an address such as tcp://host:8786, got {self.scheduler!r}"
            )


def with_engine(
    pipeline: PipelineSettings, *, engine: str | None, scheduler: str | None
) -> PipelineSettings:
    """The settings with a command's --engine and --scheduler applied (UsageError if unusable)."""
    if engine is None and scheduler is None:
        return pipeline
    chosen = engine or pipeline.engine
    if scheduler and chosen != "dask":
        raise UsageError("--scheduler is the Dask scheduler's address: it needs --engine dask")
    try:
        return replace(pipeline, engine=chosen, scheduler=scheduler or pipeline.scheduler)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


@dataclass(frozen=True, slots=True)
class CaptureSettings:
    """Raw capture of fetched pages into rotating WARC.gz files."""

    warc: bool = False
    directory: Path | None = None  # default: "captures" beside the database
    max_file_bytes: int = 2**30


DEFAULT_MAINTENANCE_SCHEDULE = "0 3 * * *"  # daily at 03:00 UTC


@dataclass(frozen=True, slots=True)
class WarehouseSettings:
    """Where runs store: empty ``target`` is the DuckDB file (``--db``), else a lake."""

    target: str = ""  # ducklake:postgres:<libpq connection string> (no password here)
    data_path: Path | None = None  # the lake's Parquet folder; default "lake" beside the db
    # The lake's upkeep under `serve` (docs/lake.md#upkeep): a cron (UTC) or an interval.
    maintenance_schedule: str | None = DEFAULT_MAINTENANCE_SCHEDULE
    maintenance_interval: timedelta | None = None
    keep_days: float = 7.0  # snapshots (time travel) kept by the upkeep


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the sources file configures."""

    path: Path
    fetch: FetchSettings
    pipeline: PipelineSettings
    capture: CaptureSettings
    sources: tuple[SourceConfig, ...]
    warehouse: WarehouseSettings = WarehouseSettings()

    def select(self, names: tuple[str, ...] | list[str] | None) -> tuple[SourceConfig, ...]:
        """The enabled sources, or the named ones.

        An unknown name, a file without sources, or no enabled source when none
        is named is a ConfigError: a run that would do nothing is a mistake.
        """
        if not self.sources:
            raise ConfigError(
                f"{self.path}: no source: add a [[sources]] table (see docs/sources.md; "
                "`news-ingest init --feed URL` writes a file with one)"
            )
        if not names:
            enabled = tuple(s for s in self.sources if s.enabled)
            if not enabled:
                raise ConfigError(
                    f"{self.path}: every source has `enabled = false`; enable one, or name "
                    "the sources to run with --source NAME"
                )
            return enabled
        known = {s.name: s for s in self.sources}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ConfigError(
                f"{self.path}: no source named {', '.join(map(repr, unknown))}; "
                f"known: {', '.join(sorted(known)) or 'none'}"
            )
        return tuple(known[n] for n in names)


def load_settings(path: Path) -> Settings:
    """Read and validate a sources file; raise ConfigError with the file, source and field."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"sources file {path} does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"sources file {path} cannot be read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"sources file {path} is not valid TOML: {exc}") from exc
    where = str(path)
    _reject_unknown(data, {"fetch", "pipeline", "capture", "sources", "warehouse"}, where)
    base = path.resolve().parent
    sources = _sources(data.get("sources", []), base, where)
    return Settings(
        path=path,
        fetch=_table(FetchSettings, data.get("fetch", {}), f"{where} [fetch]"),
        pipeline=_table(PipelineSettings, data.get("pipeline", {}), f"{where} [pipeline]"),
        capture=_capture(data.get("capture", {}), base, f"{where} [capture]"),
        sources=sources,
        warehouse=_warehouse(data.get("warehouse", {}), base, f"{where} [warehouse]"),
    )


def parse_interval(value: object, where: str) -> timedelta:
    """``"30m"``, ``"1h"``, ``"90s"``, ``"1d"`` or a number of seconds, as a timedelta."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ConfigError(f'{where}: expected a duration such as "30m", got {value!r}')
    match = _INTERVAL.match(str(value))
    if not match:
        raise ConfigError(f'{where}: expected a duration such as "30m" or "1h", got {value!r}')
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise ConfigError(f"{where}: the duration must be positive, got {value!r}")
    return timedelta(seconds=seconds)


def format_interval(interval: timedelta) -> str:
    """A duration as the sources file writes it: ``"30m"``, ``"1h"``, ``"1d"``, ``"90s"``."""
    seconds = interval.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _sources(raw: object, base: Path, where: str) -> tuple[SourceConfig, ...]:
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: `sources` must be an array of tables ([[sources]])")
    seen: set[str] = set()
    sources = []
    for index, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: source #{index} must be a table")
        source = _source(entry, base, f"{where}: source #{index}")
        if source.name in seen:
            raise ConfigError(f"{where}: source {source.name!r}: the name is used twice")
        seen.add(source.name)
        sources.append(source)
    return tuple(sources)


def _source(entry: dict[str, Any], base: Path, where: str) -> SourceConfig:
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(
            f"{where}: field `name` must be 1-64 letters, digits, '.', '_' or '-', got {name!r}"
        )
    where = f"{where.rsplit(':', 1)[0]}: source {name!r}"
    kind = _kind(entry.get("kind"), where)
    required, optional = _KIND_FIELDS[kind]
    _reject_unknown(entry, _COMMON | required | optional, where)
    missing = sorted(required - entry.keys())
    if missing:
        raise ConfigError(f"{where}: kind {kind.value!r} needs field `{missing[0]}`")
    if kind is SourceKind.FEED and not ({"url", "urls"} & entry.keys()):
        raise ConfigError(f"{where}: kind 'feed' needs field `url` (or `urls`)")
    return SourceConfig(
        name=name,
        kind=kind,
        enabled=_bool(entry.get("enabled", True), f"{where}: field `enabled`"),
        path=_path(entry["path"], base, f"{where}: field `path`") if "path" in entry else None,
        follow_links=_bool(entry.get("follow_links", False), f"{where}: field `follow_links`"),
        paths=_paths(entry.get("paths"), base, f"{where}: field `paths`"),
        url=_url(entry["url"], f"{where}: field `url`") if "url" in entry else None,
        urls=tuple(_url(u, f"{where}: field `urls`") for u in _strings(entry.get("urls"), where)),
        max_urls=_positive_int(entry.get("max_urls"), f"{where}: field `max_urls`"),
        hosts=_strings(entry.get("hosts"), f"{where}: field `hosts`"),
        since=_datetime(entry.get("since"), f"{where}: field `since`"),
        until=_datetime(entry.get("until"), f"{where}: field `until`"),
        languages=_strings(entry.get("languages"), f"{where}: field `languages`"),
        **_timing(entry, where),
    )


def _timing(entry: dict[str, Any], where: str) -> dict[str, Any]:
    if "schedule" in entry and "interval" in entry:
        raise ConfigError(f"{where}: give either `schedule` (cron) or `interval`, not both")
    timing: dict[str, Any] = {}
    if "schedule" in entry:
        timing["schedule"] = _cron(entry["schedule"], f"{where}: field `schedule`")
    if "interval" in entry:
        timing["interval"] = parse_interval(entry["interval"], f"{where}: field `interval`")
    for key in ("min_interval", "max_interval"):
        if key in entry:
            timing[key] = parse_interval(entry[key], f"{where}: field `{key}`")
    low, high = timing.get("min_interval"), timing.get("max_interval")
    if low and high and low > high:
        raise ConfigError(f"{where}: `min_interval` is longer than `max_interval`")
    return timing


def _cron(value: object, where: str) -> str:
    from prefect.client.schemas.schedules import CronSchedule  # noqa: PLC0415 (slow import)

    if not isinstance(value, str):
        raise ConfigError(f'{where}: expected a cron string such as "0 * * * *", got {value!r}')
    try:
        CronSchedule(cron=value)
    except ValueError as exc:
        raise ConfigError(f"{where}: {value!r} is not a valid cron expression") from exc
    return value


def _kind(value: object, where: str) -> SourceKind:
    try:
        return SourceKind(str(value))
    except ValueError:
        kinds = ", ".join(k.value for k in SourceKind)
        raise ConfigError(f"{where}: field `kind` must be one of {kinds}, got {value!r}") from None


def _reject_unknown(table: Mapping[str, object], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(
            f"{where}: unknown field `{unknown[0]}` (allowed: {', '.join(sorted(allowed))})"
        )


def _table(cls: type[_T], raw: object, where: str) -> _T:
    """Build a settings dataclass from a TOML table, type-checking each field."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table")
    known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    _reject_unknown(raw, known, where)
    defaults = cls()
    values = {key: _field_value(type(getattr(defaults, key)), value, f"{where}: field `{key}`")
              for key, value in raw.items()}  # fmt: skip
    try:
        return cls(**values)
    except (ValueError, ConnectorError) as exc:  # the settings' own checks
        raise ConfigError(f"{where}: {exc}") from exc


def _field_value(expected: type, value: object, where: str) -> object:
    """Check one TOML value against the type of the field's default."""
    if expected is tuple:
        return _strings(value, where)
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if expected is float and number:
        value = float(value)  # type: ignore[arg-type]
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        raise ConfigError(f"{where} must be {expected.__name__}, got {value!r}")
    if number and value < 0:  # type: ignore[operator]
        raise ConfigError(f"{where} must not be negative, got {value!r}")
    return value


def _capture(raw: object, base: Path, where: str) -> CaptureSettings:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table")
    _reject_unknown(raw, {"warc", "directory", "max_file_bytes"}, where)
    directory = raw.get("directory")
    return CaptureSettings(
        warc=_bool(raw.get("warc", False), f"{where}: field `warc`"),
        directory=_path(directory, base, f"{where}: field `directory`") if directory else None,
        max_file_bytes=_positive_int(raw.get("max_file_bytes"), f"{where}: field `max_file_bytes`")
        or 2**30,
    )


def _warehouse(raw: object, base: Path, where: str) -> WarehouseSettings:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table")
    _reject_unknown(
        raw,
        {"target", "data_path", "maintenance_schedule", "maintenance_interval", "keep_days"},
        where,
    )
    target = raw.get("target", "")
    if not isinstance(target, str):
        raise ConfigError(f"{where}: field `target`: expected a string, got {target!r}")
    data_path = raw.get("data_path")
    return WarehouseSettings(
        target=target,
        data_path=_path(data_path, base, f"{where}: field `data_path`") if data_path else None,
        keep_days=_keep_days(raw.get("keep_days", 7.0), f"{where}: field `keep_days`"),
        **_maintenance_timing(raw, where),
    )


def _maintenance_timing(raw: dict[str, Any], where: str) -> dict[str, Any]:
    """The upkeep's cron or interval (the default cron when neither is given)."""
    if "maintenance_schedule" in raw and "maintenance_interval" in raw:
        raise ConfigError(
            f"{where}: give either `maintenance_schedule` (cron) or `maintenance_interval`, "
            "not both"
        )
    if "maintenance_interval" in raw:
        return {
            "maintenance_schedule": None,
            "maintenance_interval": parse_interval(
                raw["maintenance_interval"], f"{where}: field `maintenance_interval`"
            ),
        }
    cron = raw.get("maintenance_schedule", DEFAULT_MAINTENANCE_SCHEDULE)
    return {"maintenance_schedule": _cron(cron, f"{where}: field `maintenance_schedule`")}


def _keep_days(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"{where}: expected a positive number of days, got {value!r}")
    return float(value)


def _bool(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    return value


def _positive_int(value: object, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"{where}: expected a positive integer, got {value!r}")
    return value


def _path(value: object, base: Path, where: str) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: expected a path string, got {value!r}")
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _paths(value: object, base: Path, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
        raise ConfigError(f"{where}: expected a path, glob or list of them, got {value!r}")
    return tuple(str(_path(i, base, where)) for i in items)


def _strings(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
        raise ConfigError(f"{where}: expected a string or a list of strings, got {value!r}")
    return tuple(i.strip() for i in items)


def _url(value: object, where: str) -> str:
    if not isinstance(value, str) or not re.match(r"^https?://[^\s/]+", value.strip()):
        raise ConfigError(f"{where}: expected an absolute http(s) URL, got {value!r}")
    return value.strip()


def _datetime(value: object, where: str) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time.min)
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError as exc:
            raise ConfigError(f"{where}: expected an ISO date or time, got {value!r}") from exc
    else:
        raise ConfigError(f"{where}: expected an ISO date or time, got {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
