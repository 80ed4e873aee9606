"""The pipeline's one way into the warehouse: a run, a source's part of it, and each batch.

A batch is stored in one transaction: identity, versions, stories, rejects,
state, counters (on a lake, decided again should another writer's commit
change what it looked up: :func:`warehouse.store.decided`). Decisions are
made here (pure rules from ``flows.dedupe``); reads and writes go through
``warehouse.store``. Everything of a batch commits together or not at all, so
a crash leaves no partial batch and a rerun redoes exactly the work that was
lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import UUID

from connectors.records import Checkpoint, Rejected, Validators
from flows.dedupe.fingerprint import Features
from flows.dedupe.stories import StoryItem, StoryPlan, assign_stories, write_index
from flows.extract.records import Article
from flows.pipeline.runlog import warn
from warehouse import lookups, search, store
from warehouse import stories as story_index
from warehouse.connection import Connection
from warehouse.errors import SearchError
from warehouse.rows import (
    AliasRow,
    ArticleRow,
    CheckpointRow,
    FetchLogRow,
    RejectRow,
    RunCounts,
    UrlStateRow,
    VersionRow,
)
from warehouse.store import record_freshness

__all__ = [
    "BatchResult",
    "Seen",
    "SourceEnd",
    "persist_batch",
    "persist_run_end",
    "persist_run_start",
    "persist_source_end",
    "persist_source_finish",
    "persist_source_start",
]


@dataclass(frozen=True, slots=True)
class Seen:
    """A document whose raw bytes were unchanged since last time (not re-extracted)."""

    source: str
    location: str
    raw_hash: str
    seen_at: datetime
    article_id: int | None = None  # the article it produced last time, if any
    validators: Validators | None = None
    not_modified: bool = False  # a 304 or a sitemap lastmod said so (else: same raw bytes)


@dataclass(slots=True)
class BatchResult:
    """Everything one batch produced, to be stored together."""

    source: str
    seen_at: datetime  # when the pipeline handled the batch: first/last seen of articles
    articles: list[tuple[Article, Features]] = field(default_factory=list)
    rejects: list[tuple[Rejected, datetime]] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    checkpoints: list[tuple[Checkpoint, datetime]] = field(default_factory=list)
    fetches: list[FetchLogRow] = field(default_factory=list)
    counts: RunCounts = field(default_factory=RunCounts)
    # Re-extraction (flows.reextract): index in ``articles`` -> the article it is a new
    # reading of. Nothing was seen on the web, so such a batch writes no url_state rows
    # and moves no last-seen time (a sitemap lastmod is compared with them).
    targets: dict[int, int] | None = None


@dataclass(slots=True)
class _Pending:
    """The batch's view of the warehouse, updated as articles are placed."""

    aliases: dict[str, int]  # identity key -> article id
    versions: dict[int, tuple[int, str, int]]  # article id -> (count, version hash, story)
    ids: Iterator[int]  # ids for new articles (lookups.new_article_ids)
    known_urls: set[str] = field(default_factory=set)
    story_items: list[StoryItem] = field(default_factory=list)
    articles: list[ArticleRow] = field(default_factory=list)
    versions_out: list[VersionRow] = field(default_factory=list)
    aliases_out: list[AliasRow] = field(default_factory=list)
    bumped: dict[int, int] = field(default_factory=dict)
    touched: set[int] = field(default_factory=set)
    state: list[UrlStateRow] = field(default_factory=list)
    new: int = 0
    duplicates: int = 0
    updated: int = 0
    unchanged: int = 0


def persist_batch(conn: Connection, batch: BatchResult, *, run_id: UUID) -> RunCounts:
    """Write a batch in one transaction; return the counters it added to the run.

    On a lake the decision may run more than once (another writer committed
    something it looked up meanwhile): :func:`warehouse.store.decided`.
    """
    pending, counts = store.decided(
        conn, lambda: _store_batch(conn, batch, run_id), keys=_batch_keys(batch)
    )
    _index_new_articles(conn, pending)
    return counts


def _store_batch(conn: Connection, batch: BatchResult, run_id: UUID) -> tuple[_Pending, RunCounts]:
    """Look up, decide and write the whole batch (inside the caller's transaction)."""
    run = str(run_id)
    pending = _load_pending(conn, batch)
    targets = batch.targets
    for index, (article, features) in enumerate(batch.articles):
        target = targets.get(index) if targets is not None else None
        _place(pending, article, features, run, batch.seen_at, target=target)
    pending.touched.update(s.article_id for s in batch.seen if s.article_id is not None)
    plan = assign_stories(conn, pending.story_items)
    _apply_stories(pending, plan)
    story_index.claim_stories(conn, _stories_of(plan))
    _write_articles(conn, pending, run, None if targets is not None else batch.seen_at)
    write_index(conn, pending.story_items, plan, run_id=run_id, at=batch.seen_at)
    counts = _counts(batch, pending)
    _write_rest(conn, batch, pending, run)
    store.add_run_counts(conn, run_id=run_id, source=batch.source, counts=counts)
    return pending, counts


def _batch_keys(batch: BatchResult) -> store.BatchKeys:
    """What the batch will decide, from its own content (the lake locks these first)."""
    return store.BatchKeys(
        identity=frozenset(key for _, f in batch.articles for key in f.identity.keys),
        locations=frozenset(
            [a.location for a, _ in batch.articles]
            + [s.location for s in batch.seen]
            + [r.location for r, _ in batch.rejects]
        ),
        checkpoints=frozenset(f"{c.source}\n{c.key}" for c, _ in batch.checkpoints),
        articles=frozenset((batch.targets or {}).values()),
    )


def _stories_of(plan: StoryPlan) -> set[int]:
    """Every story the plan reads or changes (the stories of linked articles among them)."""
    return {*plan.story_of.values(), *plan.merges, *plan.merges.values()}


def _index_new_articles(conn: Connection, pending: _Pending) -> None:
    """Make the batch's new articles searchable now, while the next batch is being cleaned.

    Its own transaction after the batch's: a failure costs search freshness, not the
    batch, and the run's final index refresh catches up.
    """
    new = {row.article_id for row in pending.articles}
    docs = [
        (v.article_id, v.version_no, v.title, v.text)
        for v in pending.versions_out
        if v.article_id in new
    ]
    try:
        search.index_new_articles(conn, docs)
    except SearchError as exc:
        warn(f"search index not updated for this batch ({exc}); the run's end catches up")


def _load_pending(conn: Connection, batch: BatchResult) -> _Pending:
    keys = [key for _, f in batch.articles for key in f.identity.keys]
    aliases = lookups.find_aliases(conn, keys)
    urls = [url for _, f in batch.articles for url, _, _ in f.identity.aliases]
    targets = list((batch.targets or {}).values())
    return _Pending(
        aliases=aliases,
        versions=lookups.latest_versions(conn, [*aliases.values(), *targets]),
        ids=lookups.new_article_ids(conn, _expected_new(batch, set(aliases))),
        known_urls=lookups.known_alias_urls(conn, urls),
    )


def _expected_new(batch: BatchResult, known: set[str]) -> int:
    """How many new articles :func:`_place` will make of the batch (as it decides them)."""
    targets = batch.targets or {}
    new = 0
    for index, (_, features) in enumerate(batch.articles):
        if index not in targets and known.isdisjoint(features.identity.keys):
            new += 1
        known.update(key for _, key, _ in features.identity.aliases)
    return new


def _place(
    pending: _Pending,
    article: Article,
    features: Features,
    run: str,
    now: datetime,
    *,
    target: int | None = None,
) -> None:
    """Decide new article / new version / unchanged for one article and queue the rows.

    ``target`` pins a re-extracted article to the article it was read for,
    whatever its URL variants say now.
    """
    known = (
        [target]
        if target is not None
        else sorted({pending.aliases[k] for k in features.identity.keys if k in pending.aliases})
    )
    if known:
        article_id = known[0]  # several: a canonical loop or variants met late; the oldest wins
        count, version_hash, story = pending.versions[article_id]
        if version_hash == features.version_hash:
            if target is None:
                pending.touched.add(article_id)
            pending.unchanged += 1
        else:
            pending.versions[article_id] = (count + 1, features.version_hash, story)
            pending.bumped[article_id] = count + 1
            pending.versions_out.append(_version_row(article, features, article_id, count + 1, run))
            pending.story_items.append(_story_item(features, article_id, count + 1, story))
            pending.updated += 1
    else:
        article_id = next(pending.ids)
        # The story is decided for the whole batch at once (_apply_stories).
        row = _article_row(article, features, article_id, run=run, now=now)
        pending.articles.append(row)
        pending.versions[article_id] = (1, features.version_hash, article_id)
        pending.versions_out.append(_version_row(article, features, article_id, 1, run))
        pending.story_items.append(_story_item(features, article_id, 1, None))
    _add_aliases(pending, features, article_id, run, now)
    if target is None:
        pending.state.append(_state_row(article, article_id, now))


def _story_item(
    features: Features, article_id: int, version_no: int, story_id: int | None
) -> StoryItem:
    return StoryItem(article_id, version_no, features.story, features.bands, story_id)


def _apply_stories(pending: _Pending, plan: StoryPlan) -> None:
    """Give new articles their story and count them as new stories or duplicates."""
    for index, row in enumerate(pending.articles):
        story_id = plan.story_of.get(row.article_id, row.article_id)
        pending.articles[index] = replace(row, story_id=story_id)
        if story_id == row.article_id:
            pending.new += 1
        else:
            pending.duplicates += 1


def _add_aliases(
    pending: _Pending, features: Features, article_id: int, run: str, now: datetime
) -> None:
    for url, key, kind in features.identity.aliases:
        pending.aliases.setdefault(key, article_id)
        if url not in pending.known_urls:
            pending.known_urls.add(url)
            pending.aliases_out.append(AliasRow(key, url, article_id, kind, now, run))


def _write_articles(conn: Connection, pending: _Pending, run: str, now: datetime | None) -> None:
    """Write the queued rows; ``now`` None (re-extraction) leaves last-seen times alone."""
    store.insert_articles(conn, pending.articles)
    store.insert_versions(conn, pending.versions_out)
    store.insert_aliases(conn, pending.aliases_out)
    store.set_version_counts(conn, pending.bumped, seen_at=now, run_id=run)
    if now is not None:
        store.touch_articles(conn, pending.touched - set(pending.bumped), seen_at=now, run_id=run)


def _write_rest(conn: Connection, batch: BatchResult, pending: _Pending, run: str) -> None:
    rejects = [
        RejectRow(r.source, r.location, r.reason.value, r.detail, r.raw_hash or "", at)
        for r, at in batch.rejects
    ]
    store.upsert_rejects(conn, rejects, run_id=run)
    if batch.targets is None:
        state = pending.state + [_seen_state(s) for s in batch.seen]
        state += [_reject_state(r, at) for r, at in batch.rejects if r.raw_hash]
        store.upsert_url_state(conn, state)
    checkpoints = [
        CheckpointRow(c.source, c.key, c.fingerprint, c.position, c.done, at)
        for c, at in batch.checkpoints
    ]
    store.upsert_checkpoints(conn, checkpoints, run_id=run)
    store.insert_fetch_log(conn, batch.fetches)


def _counts(batch: BatchResult, pending: _Pending) -> RunCounts:
    base = batch.counts
    return RunCounts(
        found=base.found,
        fetched=base.fetched,
        not_modified=base.not_modified,
        new=pending.new,
        duplicates=pending.duplicates,
        updated=pending.updated,
        unchanged=pending.unchanged + sum(1 for s in batch.seen if not s.not_modified),
        rejected=len(batch.rejects),
        errors=base.errors,
    )


def _article_row(
    article: Article, features: Features, article_id: int, *, run: str, now: datetime
) -> ArticleRow:
    """A new article's row; it starts as its own story (the batch's clustering may merge it)."""
    return ArticleRow(
        article_id=article_id,
        canonical_url=features.identity.canonical_url,
        host=features.identity.host,
        source=article.source,
        story_id=article_id,
        version_count=1,
        first_seen_at=now,
        last_seen_at=now,
        first_run_id=run,
        last_run_id=run,
    )


def _version_row(
    article: Article, features: Features, article_id: int, version_no: int, run: str
) -> VersionRow:
    hints, published, decoding = article.hints, article.published, article.decoding
    return VersionRow(
        article_id=article_id,
        version_no=version_no,
        run_id=run,
        source=article.source,
        retrieved_at=article.retrieved_at,
        location=article.location,
        url=article.url,
        title=article.title,
        title_source=article.title_source,
        text=article.text,
        description=article.description,
        authors=article.authors,
        authors_source=article.authors_source,
        published_at=published.value if published else None,
        published_precision=published.precision if published else None,
        published_source=published.source if published else None,
        modified_at=article.modified_at,
        language=article.language,
        sitename=article.sitename,
        word_count=article.word_count,
        version_hash=features.version_hash,
        content_hash=features.content_hash,
        raw_hash=article.raw_hash,
        extractor=article.extractor,
        hint_origin=hints.origin if hints else None,
        hint_guid=hints.guid if hints else None,
        hint_title=hints.title if hints else None,
        hint_published_at=hints.published_at if hints else None,
        capture_path=article.capture.path if article.capture else None,
        capture_offset=article.capture.offset if article.capture else None,
        charset=decoding.charset if decoding else None,
        charset_source=decoding.source.value if decoding else None,
        charset_declared=decoding.declared if decoding else None,
        organisations=article.organisations,
        page_title=article.page_title,
    )


def _state_row(article: Article, article_id: int, now: datetime) -> UrlStateRow:
    return UrlStateRow(
        location=article.location,
        source=article.source,
        raw_hash=article.raw_hash,
        article_id=article_id,
        etag=article.validators.etag if article.validators else None,
        last_modified=article.validators.last_modified if article.validators else None,
        last_seen_at=now,
        last_changed_at=now,
    )


def _seen_state(seen: Seen) -> UrlStateRow:
    validators = seen.validators or Validators()
    return UrlStateRow(
        location=seen.location,
        source=seen.source,
        raw_hash=seen.raw_hash,
        article_id=seen.article_id,
        etag=validators.etag,
        last_modified=validators.last_modified,
        last_seen_at=seen.seen_at,
        last_changed_at=seen.seen_at,
    )


def _reject_state(rejected: Rejected, at: datetime) -> UrlStateRow:
    return UrlStateRow(
        location=rejected.location,
        source=rejected.source,
        raw_hash=rejected.raw_hash,
        article_id=None,
        etag=None,
        last_modified=None,
        last_seen_at=at,
        last_changed_at=at,
    )


@dataclass(frozen=True, slots=True)
class SourceEnd:
    """How one source's part of a run ended, and what to remember of it."""

    source: str
    kind: str
    run_id: UUID
    status: str  # completed | failed
    at: datetime
    changed: int  # articles stored new, updated or found again as duplicates
    error: str | None = None
    warning: str | None = None
    fetches: list[FetchLogRow] = field(default_factory=list)  # not yet stored with a batch
    # Validators of the feeds and sitemaps fetched; empty unless every batch was stored.
    discovery: list[UrlStateRow] = field(default_factory=list)
    freshness: SourceFreshnessUpdate | None = None


@dataclass(frozen=True, slots=True)
class SourceFreshnessUpdate:
    """When a web source is next due, its revisit interval, and whether it yielded."""

    next_due_at: datetime | None
    revisit_seconds: float | None
    yielded_at: datetime | None


def persist_source_start(
    conn: Connection, *, run_id: UUID, source: str, kind: str, at: datetime
) -> None:
    """Record that a source's part of a run began (its run_sources row)."""
    store.start_run_source(conn, run_id=run_id, source=source, kind=kind, started_at=at)


def persist_source_finish(
    conn: Connection,
    *,
    run_id: UUID,
    source: str,
    status: str,
    at: datetime,
    warning: str | None,
    error: str | None,
) -> None:
    """Record the end of a source's part of a run (its run_sources row) and nothing else."""
    store.finish_run_source(
        conn,
        run_id=run_id,
        source=source,
        status=status,
        finished_at=at,
        warning=warning,
        error=error,
    )


def persist_source_end(conn: Connection, end: SourceEnd) -> None:
    """Close a source's part of a run in one transaction: fetch log, validators, state."""
    keys = store.BatchKeys(
        locations=frozenset(row.location for row in end.discovery),
        sources=frozenset([end.source]),
    )
    store.decided(conn, lambda: _store_source_end(conn, end), keys=keys)


def _store_source_end(conn: Connection, end: SourceEnd) -> None:
    store.insert_fetch_log(conn, end.fetches)
    store.upsert_url_state(conn, end.discovery)
    persist_source_finish(
        conn,
        run_id=end.run_id,
        source=end.source,
        status=end.status,
        at=end.at,
        warning=end.warning,
        error=end.error,
    )
    store.record_source_outcome(
        conn,
        source=end.source,
        kind=end.kind,
        run_id=end.run_id,
        at=end.at,
        succeeded=end.status == "completed",
        changed=end.changed,
        error=end.error,
    )
    if end.freshness is not None:
        record_freshness(
            conn,
            source=end.source,
            next_due_at=end.freshness.next_due_at,
            revisit_seconds=end.freshness.revisit_seconds,
            yielded_at=end.freshness.yielded_at,
        )


def persist_run_start(
    conn: Connection,
    *,
    run_id: UUID,
    flow_run_id: UUID | None,
    at: datetime,
    sources_file: str,
    selected: list[str],
) -> int:
    """Record a run as started, after marking runs that never finished as crashed.

    Returns how many earlier runs were marked crashed (the caller holds the run
    lock, so none of them is alive).
    """
    # It decides nothing other writers decide: beside them on a lake, not excluding them.
    with store.transaction(conn, keys=store.BatchKeys()):
        crashed = store.mark_abandoned_runs(conn, now=at)
        store.start_run(
            conn,
            run_id=run_id,
            flow_run_id=flow_run_id,
            started_at=at,
            sources_file=sources_file,
            selected=selected,
        )
    return crashed


def persist_run_end(
    conn: Connection, *, run_id: UUID, status: str, at: datetime, error: str | None
) -> None:
    """Bring the search index up to date with the run's articles, then record the run's end.

    A failed index refresh does not fail the run (the next run catches up):
    it raises SearchError after the run's end is recorded.
    """
    try:
        search.refresh_index(conn)
    finally:
        store.finish_run(conn, run_id=run_id, status=status, finished_at=at, error=error)
