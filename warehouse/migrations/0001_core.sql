-- Core tables: runs, articles with versions, URL aliases, rejects, per-URL state, checkpoints.
-- Internal tables live in schema `store`; analysts use the views in `main` (views.sql).
-- Statements end with a semicolon at the end of a line (warehouse.connection splits on that).

CREATE TABLE store.runs (
    run_id            UUID PRIMARY KEY,
    flow_run_id       UUID,
    started_at        TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ,
    status            VARCHAR NOT NULL,      -- running | completed | failed | crashed
    sources_file      VARCHAR,
    selected_sources  VARCHAR[],
    error             VARCHAR
);

CREATE TABLE store.run_sources (
    run_id        UUID NOT NULL,
    source        VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    status        VARCHAR NOT NULL,          -- running | completed | failed | crashed
    -- Every document found ends in exactly one of the outcome counters below:
    -- found = not_modified + new + duplicates + updated + unchanged + rejected + errors.
    found         BIGINT NOT NULL DEFAULT 0, -- documents or URLs the source offered this run
    fetched       BIGINT NOT NULL DEFAULT 0, -- pages downloaded (web) or files read (local)
    not_modified  BIGINT NOT NULL DEFAULT 0, -- 304 answers, or local files skipped as unchanged
    new           BIGINT NOT NULL DEFAULT 0, -- new articles that start a new story
    duplicates    BIGINT NOT NULL DEFAULT 0, -- new articles that joined an existing story
    updated       BIGINT NOT NULL DEFAULT 0, -- new versions of known articles
    unchanged     BIGINT NOT NULL DEFAULT 0, -- known articles seen again with the same content
    rejected      BIGINT NOT NULL DEFAULT 0, -- documents dropped with a reason (see rejects)
    errors        BIGINT NOT NULL DEFAULT 0, -- URLs whose fetch failed (see fetch_log)
    warning       VARCHAR,
    error         VARCHAR,
    PRIMARY KEY (run_id, source)
);

CREATE TABLE store.articles (
    article_id      BIGINT PRIMARY KEY,
    canonical_url   VARCHAR NOT NULL,
    host            VARCHAR,
    source          VARCHAR NOT NULL,        -- the source that first delivered it
    story_id        BIGINT NOT NULL,
    version_count   INTEGER NOT NULL,        -- number of rows in article_versions (latest = this)
    first_seen_at   TIMESTAMPTZ NOT NULL,
    last_seen_at    TIMESTAMPTZ NOT NULL,
    first_run_id    UUID NOT NULL,
    last_run_id     UUID NOT NULL
);

CREATE TABLE store.article_versions (
    article_id          BIGINT NOT NULL,
    version_no          INTEGER NOT NULL,
    run_id              UUID NOT NULL,
    source              VARCHAR NOT NULL,
    retrieved_at        TIMESTAMPTZ NOT NULL,  -- when this content was fetched or captured
    location            VARCHAR NOT NULL,      -- where it was read: URL fetched or file:// URI
    url                 VARCHAR,               -- the page's own URL, when known
    title               VARCHAR,
    title_source        VARCHAR,
    text                VARCHAR NOT NULL,
    description         VARCHAR,
    authors             VARCHAR[],
    authors_source      VARCHAR,
    published_at        TIMESTAMPTZ,
    published_precision VARCHAR,               -- second | day
    published_source    VARCHAR,
    modified_at         TIMESTAMPTZ,
    language            VARCHAR,
    sitename            VARCHAR,
    word_count          INTEGER NOT NULL,
    version_hash        VARCHAR NOT NULL,      -- title + text; a change makes a new version
    content_hash        VARCHAR NOT NULL,      -- normalised text; equal hashes = exact duplicates
    raw_hash            VARCHAR NOT NULL,      -- the raw bytes this version was extracted from
    extractor           VARCHAR NOT NULL,      -- e.g. trafilatura 2.3.1
    hint_origin         VARCHAR,               -- feed | sitemap | news_sitemap | urls | warc | jsonl
    hint_guid           VARCHAR,
    hint_title          VARCHAR,
    hint_published_at   TIMESTAMPTZ,
    capture_path        VARCHAR,
    capture_offset      BIGINT,
    PRIMARY KEY (article_id, version_no)
);

CREATE TABLE store.url_aliases (
    identity_key   VARCHAR PRIMARY KEY,       -- normalised form of a URL variant
    url            VARCHAR NOT NULL,          -- the variant as first seen
    article_id     BIGINT NOT NULL,
    kind           VARCHAR NOT NULL,          -- fetched | redirect | canonical | file
    first_seen_at  TIMESTAMPTZ NOT NULL,
    first_run_id   UUID NOT NULL
);

CREATE TABLE store.rejects (
    source         VARCHAR NOT NULL,
    location       VARCHAR NOT NULL,
    reason         VARCHAR NOT NULL,
    detail         VARCHAR NOT NULL,
    raw_hash       VARCHAR NOT NULL,          -- '' when there were no bytes to hash
    first_seen_at  TIMESTAMPTZ NOT NULL,
    last_seen_at   TIMESTAMPTZ NOT NULL,
    first_run_id   UUID NOT NULL,
    last_run_id    UUID NOT NULL,
    times_seen     INTEGER NOT NULL,
    PRIMARY KEY (source, location, reason, raw_hash)
);

CREATE TABLE store.url_state (
    location         VARCHAR PRIMARY KEY,     -- URL requested, or file:// URI
    source           VARCHAR NOT NULL,
    raw_hash         VARCHAR,                 -- last raw bytes seen; equal bytes skip extraction
    article_id       BIGINT,                  -- what it produced last, if an article
    etag             VARCHAR,
    last_modified    VARCHAR,
    last_seen_at     TIMESTAMPTZ NOT NULL,
    last_changed_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE store.checkpoints (
    source       VARCHAR NOT NULL,
    key          VARCHAR NOT NULL,
    fingerprint  VARCHAR NOT NULL,
    position     BIGINT NOT NULL,
    done         BOOLEAN NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    run_id       UUID NOT NULL,
    PRIMARY KEY (source, key)
);
