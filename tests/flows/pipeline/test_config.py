"""The sources file: valid forms, and a clear error naming source and field for each mistake."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from connectors.files import FilesSource
from flows.errors import ConfigError
from flows.pipeline.config import SourceKind, load_settings, parse_interval
from flows.pipeline.sources import build_source


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_full_file_is_parsed_and_paths_resolve_against_its_folder(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[fetch]
allow_private_addresses = true
host_delay = 0
user_agent = "test-agent"
[pipeline]
batch_size = 50
[[sources]]
name = "local"
kind = "files"
path = "pages"
schedule = "*/5 * * * *"
[[sources]]
name = "wire"
kind = "feed"
url = "https://example.com/rss"
interval = "30m"
enabled = false
[[sources]]
name = "archive"
kind = "warc"
paths = ["a/*.warc.gz"]
since = 2024-01-01
""",
    )
    settings = load_settings(path)
    local, wire, archive = settings.sources
    assert settings.fetch.allow_private_addresses is True
    assert settings.fetch.host_delay == 0.0
    assert settings.fetch.user_agent == "test-agent"
    assert settings.pipeline.batch_size == 50
    assert local.kind is SourceKind.FILES and local.path == tmp_path / "pages"
    assert local.schedule == "*/5 * * * *"
    assert wire.interval == timedelta(minutes=30) and not wire.enabled
    assert archive.paths == (str(tmp_path / "a/*.warc.gz"),)
    assert archive.since is not None and archive.since.tzinfo is not None
    assert [s.name for s in settings.select(None)] == ["local", "archive"]
    assert [s.name for s in settings.select(["wire"])] == ["wire"]


def test_bundled_seeds_file_is_valid() -> None:
    settings = load_settings(Path(__file__).parents[3] / "seeds" / "sources.toml")
    (seeds,) = settings.sources
    assert seeds.kind is SourceKind.FILES
    assert seeds.path is not None and (seeds.path / "000_a816b2ae7982ef0e.txt").exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '[[sources]]\nname = "x"\nkind = "ftp"\npath = "."',
            r"source 'x': field `kind` must be one of",
        ),
        (
            '[[sources]]\nname = "x"\nkind = "files"\npath = "."\nschedule = "61 * * * *"',
            r"source 'x': field `schedule`.*not a valid cron",
        ),
        (
            '[[sources]]\nname = "x"\nkind = "files"\npath = "."\ninterval = "soon"',
            r"source 'x': field `interval`",
        ),
        (
            '[[sources]]\nname = "x"\nkind = "files"\npath = "."\nschedule = "* * * * *"\ninterval = "1m"',
            "either `schedule`",
        ),
        ('[[sources]]\nname = "x"\nkind = "files"', r"source 'x': kind 'files' needs field `path`"),
        ('[[sources]]\nname = "x"\nkind = "feed"', r"source 'x': kind 'feed' needs field `url`"),
        (
            '[[sources]]\nname = "x"\nkind = "feed"\nurl = "ftp://a/b"',
            r"source 'x': field `url`: expected an absolute http",
        ),
        (
            '[[sources]]\nname = "x"\nkind = "files"\npath = "."\ncolour = "red"',
            r"source 'x': unknown field `colour`",
        ),
        ('[[sources]]\nname = "bad name!"\nkind = "files"\npath = "."', r"source #1: field `name`"),
        (
            '[[sources]]\nname = "x"\nkind = "files"\npath = "."\n[[sources]]\nname = "x"\nkind = "files"\npath = "."',
            "name is used twice",
        ),
        ("[fetch]\nhost_delay = -1", r"\[fetch\]: field `host_delay` must not be negative"),
        ('[fetch]\nhost_delay = "fast"', r"\[fetch\]: field `host_delay` must be float"),
        ("[fetch]\nretries = true", r"\[fetch\]: field `retries` must be int"),
        ("[fetch]\nspeed = 3", r"\[fetch\]: unknown field `speed`"),
        ("[extras]\na = 1", "unknown field `extras`"),
        ("[[sources]\nname = 1", "not valid TOML.*line 1"),
    ],
)
def test_mistakes_name_the_source_and_field(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(write(tmp_path, body))


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")
    path = write(tmp_path, "")
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ConfigError, match="cannot be read"):
        load_settings(path)


def test_unknown_selected_source_lists_known_ones(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, '[[sources]]\nname = "a"\nkind = "files"\npath = "."'))
    with pytest.raises(ConfigError, match="no source named 'b'; known: a"):
        settings.select(["b"])


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30m", 1800), ("1h", 3600), ("90s", 90), ("2d", 172800), (45, 45), ("1.5h", 5400)],
)
def test_intervals(text: object, seconds: int) -> None:
    assert parse_interval(text, "here") == timedelta(seconds=seconds)


@pytest.mark.parametrize("text", ["0m", "-5m", "5 minutes", True, None])
def test_bad_intervals(text: object) -> None:
    with pytest.raises(ConfigError, match="here"):
        parse_interval(text, "here")


def test_fetch_settings_checks_and_lists(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, '[fetch]\nprivate_allowlist = ["127.0.0.0/8"]'))
    assert settings.fetch.private_allowlist == ("127.0.0.0/8",)
    with pytest.raises(ConfigError, match=r"\[fetch\].*private_allowlist"):
        load_settings(write(tmp_path, '[fetch]\nprivate_allowlist = ["not a network"]'))
    with pytest.raises(ConfigError, match=r"\[fetch\].*total_timeout"):
        load_settings(write(tmp_path, "[fetch]\ntotal_timeout = 0"))


def test_a_files_source_follows_links_out_of_its_folder_only_when_told(tmp_path: Path) -> None:
    entry = '[[sources]]\nname = "x"\nkind = "{kind}"\npath = "."\n{extra}'
    (default,) = load_settings(write(tmp_path, entry.format(kind="files", extra=""))).sources
    assert default.follow_links is False
    on = entry.format(kind="files", extra="follow_links = true")
    (following,) = load_settings(write(tmp_path, on)).sources
    assert following.follow_links is True
    built = build_source(following)
    assert isinstance(built, FilesSource) and built.follow_links  # it reaches the connector
    with pytest.raises(ConfigError, match=r"source 'x': field `follow_links`: expected true or"):
        load_settings(write(tmp_path, entry.format(kind="files", extra='follow_links = "yes"')))
    with pytest.raises(ConfigError, match=r"source 'x': unknown field `follow_links`"):
        load_settings(write(tmp_path, entry.format(kind="urls", extra="follow_links = true")))
