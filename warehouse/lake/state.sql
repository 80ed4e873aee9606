-- PostgreSQL side of the lake warehouse (docs/lake.md): keyed state with real constraints
-- and indexes, plus staging for the append-only history a batch sends to DuckLake.
-- Same table and column names as the DuckDB file's schema `store` (warehouse/migrations),
-- so warehouse.store and warehouse.lookups run unchanged through DuckDB's postgres extension.
-- Applied once per database under an advisory lock (warehouse.lake.schema); every statement
-- is idempotent. Statements end with a semicolon at the end of a line.

CREATE SCHEMA IF NOT EXISTS store;

CREATE TABLE IF NOT EXISTS store.runs (
    run_id            UUID PRIMARY KEY,
    flow_run_id       UUID,
    started_at        TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ,
    status            TEXT NOT NULL,
    sources_file      TEXT,
    selected_sources  TEXT[],
    error             TEXT
);

CREATE TABLE IF NOT EXISTS store.run_sources (
    run_id        UUID NOT NULL REFERENCES store.runs (run_id),
    source        TEXT NOT NULL,
    kind          TEXT NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    status        TEXT NOT NULL,
    found         BIGINT NOT NULL DEFAULT 0,
    fetched       BIGINT NOT NULL DEFAULT 0,
    not_modified  BIGINT NOT NULL DEFAULT 0,
    new           BIGINT NOT NULL DEFAULT 0,
    duplicates    BIGINT NOT NULL DEFAULT 0,
    updated       BIGINT NOT NULL DEFAULT 0,
    unchanged     BIGINT NOT NULL DEFAULT 0,
    rejected      BIGINT NOT NULL DEFAULT 0,
    errors        BIGINT NOT NULL DEFAULT 0,
    warning       TEXT,
    error         TEXT,
    PRIMARY KEY (run_id, source)
);

CREATE TABLE IF NOT EXISTS store.articles (
    article_id      BIGINT PRIMARY KEY,
    canonical_url   TEXT NOT NULL,
    host            TEXT,
    source          TEXT NOT NULL,
    story_id        BIGINT NOT NULL,
    version_count   INTEGER NOT NULL,
    first_seen_at   TIMESTAMPTZ NOT NULL,
    last_seen_at    TIMESTAMPTZ NOT NULL,
    first_run_id    UUID NOT NULL,
    last_run_id     UUID NOT NULL
);

CREATE INDEX IF NOT EXISTS articles_story_id ON store.articles (story_id);

-- Article ids: a sequence, so writers allocate ids without waiting for each other. A rolled
-- back state transaction leaves a gap; one writer alone gets 1, 2, 3... as the DuckDB file
-- does. store.next_article_ids(n) first moves the sequence past the largest stored id, should
-- articles have been stored with their own ids (a copied warehouse).
CREATE SEQUENCE IF NOT EXISTS store.article_ids AS BIGINT;

CREATE OR REPLACE FUNCTION store.next_article_ids(n INTEGER) RETURNS SETOF BIGINT
LANGUAGE plpgsql AS $$
DECLARE
    stored BIGINT := (SELECT coalesce(max(article_id), 0) FROM store.articles);
    issued BIGINT := (SELECT CASE WHEN is_called THEN last_value ELSE 0 END
                      FROM store.article_ids);
BEGIN
    IF stored > issued THEN
        PERFORM setval('store.article_ids', stored);
    END IF;
    RETURN QUERY SELECT nextval('store.article_ids') FROM generate_series(1, n);
END $$;

CREATE INDEX IF NOT EXISTS articles_host ON store.articles (host);

-- The version keys of every article (what identity and story decisions read), and the
-- staging of a batch's full version rows until warehouse.lake.batches has copied them into
-- the lake (then text and description are emptied: the lake holds the content).
CREATE TABLE IF NOT EXISTS store.article_versions (
    article_id          BIGINT NOT NULL REFERENCES store.articles (article_id),
    version_no          INTEGER NOT NULL,
    run_id              UUID NOT NULL,
    source              TEXT NOT NULL,
    retrieved_at        TIMESTAMPTZ NOT NULL,
    location            TEXT NOT NULL,
    url                 TEXT,
    title               TEXT,
    title_source        TEXT,
    text                TEXT NOT NULL,
    description         TEXT,
    authors             TEXT[],
    authors_source      TEXT,
    published_at        TIMESTAMPTZ,
    published_precision TEXT,
    published_source    TEXT,
    modified_at         TIMESTAMPTZ,
    language            TEXT,
    sitename            TEXT,
    word_count          INTEGER NOT NULL,
    version_hash        TEXT NOT NULL,
    content_hash        TEXT NOT NULL,
    raw_hash            TEXT NOT NULL,
    extractor           TEXT NOT NULL,
    hint_origin         TEXT,
    hint_guid           TEXT,
    hint_title          TEXT,
    hint_published_at   TIMESTAMPTZ,
    capture_path        TEXT,
    capture_offset      BIGINT,
    charset             TEXT,
    charset_source      TEXT,
    charset_declared    TEXT,
    organisations       TEXT[],
    page_title          TEXT,
    batch_id            UUID NOT NULL DEFAULT current_setting('news_ingest.batch')::UUID,
    PRIMARY KEY (article_id, version_no)
);

CREATE INDEX IF NOT EXISTS article_versions_batch ON store.article_versions (batch_id);

CREATE TABLE IF NOT EXISTS store.url_aliases (
    url            TEXT PRIMARY KEY,
    identity_key   TEXT NOT NULL,
    article_id     BIGINT NOT NULL REFERENCES store.articles (article_id),
    kind           TEXT NOT NULL,
    first_seen_at  TIMESTAMPTZ NOT NULL,
    first_run_id   UUID NOT NULL
);

CREATE INDEX IF NOT EXISTS url_aliases_identity_key ON store.url_aliases (identity_key);

CREATE TABLE IF NOT EXISTS store.rejects (
    source         TEXT NOT NULL,
    location       TEXT NOT NULL,
    reason         TEXT NOT NULL,
    detail         TEXT NOT NULL,
    raw_hash       TEXT NOT NULL,
    first_seen_at  TIMESTAMPTZ NOT NULL,
    last_seen_at   TIMESTAMPTZ NOT NULL,
    first_run_id   UUID NOT NULL,
    last_run_id    UUID NOT NULL,
    times_seen     INTEGER NOT NULL,
    PRIMARY KEY (source, location, reason, raw_hash)
);

CREATE TABLE IF NOT EXISTS store.url_state (
    location         TEXT PRIMARY KEY,
    source           TEXT NOT NULL,
    raw_hash         TEXT,
    article_id       BIGINT,
    etag             TEXT,
    last_modified    TEXT,
    last_seen_at     TIMESTAMPTZ NOT NULL,
    last_changed_at  TIMESTAMPTZ NOT NULL,
    kind             TEXT DEFAULT 'page'
);

CREATE INDEX IF NOT EXISTS url_state_source ON store.url_state (source);

CREATE TABLE IF NOT EXISTS store.checkpoints (
    source       TEXT NOT NULL,
    key          TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    position     BIGINT NOT NULL,
    done         BOOLEAN NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    run_id       UUID NOT NULL,
    PRIMARY KEY (source, key)
);

-- Staging: one row per HTTP fetch until its batch is in the lake (then deleted here).
CREATE TABLE IF NOT EXISTS store.fetch_log (
    run_id          UUID NOT NULL,
    source          TEXT NOT NULL,
    url             TEXT NOT NULL,
    final_url       TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    status          INTEGER,
    bytes           BIGINT NOT NULL,
    elapsed_ms      BIGINT NOT NULL,
    etag            TEXT,
    last_modified   TEXT,
    content_type    TEXT,
    error           TEXT,
    attempts        INTEGER NOT NULL,
    redirects       INTEGER NOT NULL,
    fetched_at      TIMESTAMPTZ NOT NULL,
    batch_id        UUID NOT NULL DEFAULT current_setting('news_ingest.batch')::UUID
);

CREATE INDEX IF NOT EXISTS fetch_log_batch ON store.fetch_log (batch_id);

CREATE TABLE IF NOT EXISTS store.source_state (
    source                TEXT PRIMARY KEY,
    kind                  TEXT NOT NULL,
    last_run_id           UUID,
    last_run_at           TIMESTAMPTZ,
    last_success_at       TIMESTAMPTZ,
    last_change_at        TIMESTAMPTZ,
    last_yield            BIGINT,
    consecutive_failures  INTEGER NOT NULL DEFAULT 0,
    next_due_at           TIMESTAMPTZ,
    last_error            TEXT,
    revisit_seconds       DOUBLE PRECISION,
    last_yield_at         TIMESTAMPTZ,
    failing_since         TIMESTAMPTZ
);

CREATE TABLE IF NOT EXISTS store.story_features (
    article_id    BIGINT NOT NULL,
    version_no    INTEGER NOT NULL,
    scheme        TEXT NOT NULL,
    signature     BYTEA NOT NULL,
    site          TEXT NOT NULL,
    title_key     TEXT NOT NULL,
    tokens        INTEGER NOT NULL,
    shingles      INTEGER NOT NULL,
    content_hash  TEXT NOT NULL,
    dedupable     BOOLEAN NOT NULL,
    PRIMARY KEY (article_id, version_no)
);

CREATE INDEX IF NOT EXISTS story_features_content_hash ON store.story_features (content_hash);

CREATE TABLE IF NOT EXISTS store.story_bands (
    key         BIGINT NOT NULL,
    article_id  BIGINT NOT NULL
);

CREATE INDEX IF NOT EXISTS story_bands_key ON store.story_bands (key);

-- Staging: stories joined by a batch, until the batch is in the lake (then deleted here).
CREATE TABLE IF NOT EXISTS store.story_merges (
    run_id        UUID NOT NULL,
    merged_story  BIGINT NOT NULL,
    into_story    BIGINT NOT NULL,
    merged_at     TIMESTAMPTZ NOT NULL,
    batch_id      UUID NOT NULL DEFAULT current_setting('news_ingest.batch')::UUID
);

CREATE INDEX IF NOT EXISTS story_merges_batch ON store.story_merges (batch_id);

-- The commit protocol's intent rows: one per committed state transaction; published_at is
-- set once its staged history is in the lake (docs/lake.md).
CREATE TABLE IF NOT EXISTS store.lake_batches (
    batch_id      UUID PRIMARY KEY,
    committed_at  TIMESTAMPTZ NOT NULL,
    published_at  TIMESTAMPTZ
);

CREATE INDEX IF NOT EXISTS lake_batches_pending ON store.lake_batches (committed_at)
    WHERE published_at IS NULL;

-- DuckDB's postgres extension sends every column of a row it inserts with ON CONFLICT, NULL
-- for those the statement left out, so PostgreSQL's column defaults never apply: these
-- triggers apply them (the counters of a new run_sources row, the batch id of staged rows).
CREATE OR REPLACE FUNCTION store.run_sources_defaults() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.found := coalesce(NEW.found, 0);
    NEW.fetched := coalesce(NEW.fetched, 0);
    NEW.not_modified := coalesce(NEW.not_modified, 0);
    NEW.new := coalesce(NEW.new, 0);
    NEW.duplicates := coalesce(NEW.duplicates, 0);
    NEW.updated := coalesce(NEW.updated, 0);
    NEW.unchanged := coalesce(NEW.unchanged, 0);
    NEW.rejected := coalesce(NEW.rejected, 0);
    NEW.errors := coalesce(NEW.errors, 0);
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER run_sources_defaults BEFORE INSERT ON store.run_sources
    FOR EACH ROW EXECUTE FUNCTION store.run_sources_defaults();

CREATE OR REPLACE FUNCTION store.staged_batch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.batch_id := coalesce(NEW.batch_id, current_setting('news_ingest.batch')::UUID);
    RETURN NEW;
END $$;

CREATE OR REPLACE TRIGGER article_versions_batch BEFORE INSERT ON store.article_versions
    FOR EACH ROW EXECUTE FUNCTION store.staged_batch();

CREATE OR REPLACE TRIGGER fetch_log_batch BEFORE INSERT ON store.fetch_log
    FOR EACH ROW EXECUTE FUNCTION store.staged_batch();

CREATE OR REPLACE TRIGGER story_merges_batch BEFORE INSERT ON store.story_merges
    FOR EACH ROW EXECUTE FUNCTION store.staged_batch();

-- drop intents ----------------------------------------------------------------------------
-- `news-ingest drop SOURCE` on a lake (warehouse/lake/drop.py, docs/lake.md): the plan shown
-- and the version keys to delete, recorded before the lake's history rows are deleted and
-- deleted with the source's keyed state, so a drop killed in between is finished by its rerun.
CREATE TABLE IF NOT EXISTS store.lake_drops (
    source        TEXT PRIMARY KEY,
    requested_at  TIMESTAMPTZ NOT NULL,
    plan          JSONB NOT NULL
);

CREATE TABLE IF NOT EXISTS store.lake_drop_versions (
    source      TEXT NOT NULL REFERENCES store.lake_drops (source) ON DELETE CASCADE,
    article_id  BIGINT NOT NULL,
    version_no  INTEGER NOT NULL,
    PRIMARY KEY (source, article_id, version_no)
);

-- search index ------------------------------------------------------------------------------
-- The DuckDB file's BM25 index (migration 0004, warehouse/search.py), with PostgreSQL's keys:
-- the same documents, terms and counts, so the same corpus gives the same hits and scores on
-- both. One difference: postings are keyed by the term itself (its bytes: COLLATE "C"), not
-- by a dictionary's term id. Giving ids to the thousands of new terms of a batch was a round
-- trip and an insert into two more indexes, half the cost of indexing; a term's key is about
-- as long as an id (stems are short). Tokenising (stem() of DuckDB's fts extension) happens
-- in DuckDB; these tables are written and ranked on the lake's own psycopg session
-- (warehouse/lake/search.py), so every lookup is answered from an index. Several writers
-- index at once: a document row is replaced only by a newer version of its article (the
-- upsert locks the row; its postings follow it).

-- Lakes made before keyed postings by term ids (search_dictionary): their index is emptied
-- here, once, and the next run's refresh indexes every article again (search says how many
-- are not indexed meanwhile).
DO $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM information_schema.columns
        WHERE table_schema = 'store' AND table_name = 'search_postings'
          AND column_name = 'term_id'
    ) THEN
        DROP TABLE store.search_postings;
        DROP TABLE IF EXISTS store.search_dictionary;
        TRUNCATE store.search_docs;   -- no trigger: the totals are emptied with it, refilled below
        DELETE FROM store.search_totals;
    END IF;
END $$;

CREATE TABLE IF NOT EXISTS store.search_docs (
    article_id  BIGINT PRIMARY KEY,
    version_no  INTEGER NOT NULL,   -- the version indexed (always one already in the lake)
    length      INTEGER NOT NULL,   -- indexed terms (title terms counted with their weight)
    indexed_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS store.search_postings (
    term        TEXT COLLATE "C" NOT NULL,   -- a stemmed word
    article_id  BIGINT NOT NULL,
    tf          INTEGER NOT NULL,            -- occurrences; one in the title counts as two
    PRIMARY KEY (term, article_id)
);

-- Deleting an article's postings when a new version replaces it.
CREATE INDEX IF NOT EXISTS search_postings_article ON store.search_postings (article_id);

-- Filled from migration 0004's list (warehouse.lake.search.STOPWORDS_SQL): one list.
CREATE TABLE IF NOT EXISTS store.search_stopwords (
    word  TEXT PRIMARY KEY
);

-- BM25's corpus figures, kept by statement triggers on search_docs: no count(*) per query.
-- A few rows summed, not one: each writer adds to the row of its session's slot, so two
-- writers indexing at once do not wait for each other's commit on one row.
DO $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM information_schema.columns
        WHERE table_schema = 'store' AND table_name = 'search_totals' AND column_name = 'one'
    ) THEN
        DROP TABLE store.search_totals;   -- the one-row layout before 2026-12-06; refilled below
    END IF;
END $$;

CREATE TABLE IF NOT EXISTS store.search_totals (
    slot          SMALLINT PRIMARY KEY,   -- a writer's session: pg_backend_pid() % 16
    docs          BIGINT NOT NULL,        -- summed over the slots: the documents indexed
    total_length  BIGINT NOT NULL         -- summed: their lengths
);

INSERT INTO store.search_totals (slot, docs, total_length)
SELECT 0, count(*), coalesce(sum(length), 0) FROM store.search_docs
WHERE NOT EXISTS (SELECT 1 FROM store.search_totals);

CREATE OR REPLACE FUNCTION store.search_totals_add(n BIGINT, l BIGINT) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO store.search_totals AS t (slot, docs, total_length)
    VALUES ((pg_backend_pid() % 16)::smallint, n, l)
    ON CONFLICT (slot) DO UPDATE
    SET docs = t.docs + excluded.docs, total_length = t.total_length + excluded.total_length;
$$;

CREATE OR REPLACE FUNCTION store.search_docs_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM store.search_totals_add(count(*), coalesce(sum(length), 0)) FROM added
    HAVING count(*) > 0;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION store.search_docs_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM store.search_totals_add(-count(*), -coalesce(sum(length), 0)) FROM removed
    HAVING count(*) > 0;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION store.search_docs_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM store.search_totals_add(
        0,
        (SELECT coalesce(sum(length), 0) FROM added) - (SELECT coalesce(sum(length), 0) FROM removed)
    )
    WHERE EXISTS (SELECT 1 FROM added);
    RETURN NULL;
END $$;

CREATE OR REPLACE TRIGGER search_docs_added AFTER INSERT ON store.search_docs
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION store.search_docs_added();

CREATE OR REPLACE TRIGGER search_docs_removed AFTER DELETE ON store.search_docs
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION store.search_docs_removed();

CREATE OR REPLACE TRIGGER search_docs_changed AFTER UPDATE ON store.search_docs
    REFERENCING OLD TABLE AS removed NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION store.search_docs_changed();

-- BM25 (k1 = 1.2, b = 0.75) of every article matching at least one of the stemmed terms:
-- the same formula, in the same arithmetic, as the file's main.search_articles (views.sql).
-- SELECT * FROM store.search_articles(ARRAY['airspac', 'talk']) ORDER BY score DESC;
CREATE OR REPLACE FUNCTION store.search_articles(terms TEXT[])
RETURNS TABLE (article_id BIGINT, score DOUBLE PRECISION, matched_terms BIGINT)
LANGUAGE sql STABLE AS $$
WITH hits AS MATERIALIZED (
    SELECT p.term, p.article_id, p.tf FROM store.search_postings AS p WHERE p.term = ANY (terms)
),
df AS (
    SELECT term, count(*) AS df FROM hits GROUP BY term
),
stats AS (
    SELECT sum(docs)::bigint AS n, sum(total_length)::float8 / nullif(sum(docs), 0)::float8 AS avgdl
    FROM store.search_totals
)
SELECT
    h.article_id,
    sum(ln((stats.n - df.df + 0.5)::float8 / (df.df + 0.5)::float8 + 1)
        * (h.tf * 2.2)::float8
        / (h.tf + 1.2::float8 * (0.25::float8 + (0.75 * d.length)::float8 / stats.avgdl))),
    count(*)
FROM hits AS h
JOIN df USING (term)
JOIN store.search_docs AS d USING (article_id)
CROSS JOIN stats
GROUP BY h.article_id
$$;
