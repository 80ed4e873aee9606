-- Analyst-facing views (schema main). Column names and types are a contract:
-- a change here is recorded in docs/CHANGELOG.md. Recreated when this file changes.

CREATE OR REPLACE VIEW main.articles AS
SELECT
    a.article_id,
    a.canonical_url       AS url,
    a.source,
    v.title,
    v.text,
    v.description,
    v.authors,
    v.published_at,
    v.published_precision,
    v.published_source,
    v.modified_at,
    v.language,
    v.sitename,
    a.host,
    v.word_count,
    a.story_id,
    a.version_count,
    v.retrieved_at,
    a.first_seen_at,
    a.last_seen_at
FROM store.articles AS a
JOIN store.article_versions AS v
  ON v.article_id = a.article_id AND v.version_no = a.version_count;

CREATE OR REPLACE VIEW main.article_versions AS
SELECT
    article_id, version_no, retrieved_at, source, location, url, title, title_source, text,
    description, authors, authors_source, published_at, published_precision, published_source,
    modified_at, language, sitename, word_count, version_hash, content_hash, extractor,
    hint_origin, hint_guid, hint_title, hint_published_at, capture_path, capture_offset, run_id
FROM store.article_versions;

CREATE OR REPLACE VIEW main.runs AS
SELECT
    r.run_id, r.flow_run_id, r.started_at, r.finished_at, r.status,
    r.finished_at - r.started_at AS duration,
    coalesce(sum(s.found), 0)        AS found,
    coalesce(sum(s.fetched), 0)      AS fetched,
    coalesce(sum(s.not_modified), 0) AS not_modified,
    coalesce(sum(s.new), 0)          AS new,
    coalesce(sum(s.updated), 0)      AS updated,
    coalesce(sum(s.unchanged), 0)    AS unchanged,
    coalesce(sum(s.duplicates), 0)   AS duplicates,
    coalesce(sum(s.rejected), 0)     AS rejected,
    coalesce(sum(s.errors), 0)       AS errors,
    r.sources_file, r.selected_sources, r.error
FROM store.runs AS r
LEFT JOIN store.run_sources AS s USING (run_id)
GROUP BY ALL;

CREATE OR REPLACE VIEW main.run_sources AS
SELECT * FROM store.run_sources;

CREATE OR REPLACE VIEW main.rejects AS
SELECT source, location, reason, detail, first_seen_at, last_seen_at, times_seen, last_run_id
FROM store.rejects;

CREATE OR REPLACE VIEW main.fetch_log AS
SELECT
    run_id, source, fetched_at, url, final_url, purpose, outcome, status, bytes, elapsed_ms,
    attempts, redirects, etag, last_modified, content_type, error
FROM store.fetch_log;
