-- Web sources: one fetch_log row per HTTP fetch, per-source state, and what kind of
-- document each remembered location is (a page, a feed, a sitemap, a local file).

CREATE TABLE store.fetch_log (
    run_id          UUID NOT NULL,
    source          VARCHAR NOT NULL,
    url             VARCHAR NOT NULL,       -- as requested
    final_url       VARCHAR NOT NULL,       -- after redirects
    purpose         VARCHAR NOT NULL,       -- page | feed | sitemap | robots
    outcome         VARCHAR NOT NULL,       -- closed vocabulary, see docs/schema.md
    status          INTEGER,                -- last HTTP status, NULL if no response
    bytes           BIGINT NOT NULL,        -- decoded body length kept (0 unless ok)
    elapsed_ms      BIGINT NOT NULL,        -- pacing and robots.txt waits included
    etag            VARCHAR,
    last_modified   VARCHAR,
    content_type    VARCHAR,
    error           VARCHAR,
    attempts        INTEGER NOT NULL,       -- HTTP requests sent (hops and retries)
    redirects       INTEGER NOT NULL,
    fetched_at      TIMESTAMPTZ NOT NULL
);

ALTER TABLE store.url_state ADD COLUMN kind VARCHAR DEFAULT 'page';

CREATE TABLE store.source_state (
    source                VARCHAR PRIMARY KEY,
    kind                  VARCHAR NOT NULL,
    last_run_id           UUID,
    last_run_at           TIMESTAMPTZ,
    last_success_at       TIMESTAMPTZ,     -- last run that completed for this source
    last_change_at        TIMESTAMPTZ,     -- last run that stored a new or updated article
    last_yield            BIGINT,          -- new + updated + duplicates in the last run
    consecutive_failures  INTEGER NOT NULL DEFAULT 0,
    next_due_at           TIMESTAMPTZ,     -- adaptive freshness: earliest useful next run
    last_error            VARCHAR
);
