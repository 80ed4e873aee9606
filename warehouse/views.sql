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
    a.last_seen_at,
    v.title_source,
    v.authors_source,
    v.charset,
    v.charset_source,
    v.charset_declared,
    v.organisations
FROM store.articles AS a
JOIN store.article_versions AS v
  ON v.article_id = a.article_id AND v.version_no = a.version_count;

CREATE OR REPLACE VIEW main.article_versions AS
SELECT
    article_id, version_no, retrieved_at, source, location, url, title, title_source, text,
    description, authors, authors_source, published_at, published_precision, published_source,
    modified_at, language, sitename, word_count, version_hash, content_hash, extractor,
    hint_origin, hint_guid, hint_title, hint_published_at, capture_path, capture_offset, run_id,
    charset, charset_source, charset_declared,
    organisations, page_title
FROM store.article_versions;

CREATE OR REPLACE VIEW main.runs AS
SELECT
    r.run_id, r.flow_run_id, r.started_at, r.finished_at, r.status,
    r.finished_at - r.started_at AS duration,
    CAST(coalesce(sum(s.found), 0) AS BIGINT)        AS found,
    CAST(coalesce(sum(s.fetched), 0) AS BIGINT)      AS fetched,
    CAST(coalesce(sum(s.not_modified), 0) AS BIGINT) AS not_modified,
    CAST(coalesce(sum(s.new), 0) AS BIGINT)          AS new,
    CAST(coalesce(sum(s.updated), 0) AS BIGINT)      AS updated,
    CAST(coalesce(sum(s.unchanged), 0) AS BIGINT)    AS unchanged,
    CAST(coalesce(sum(s.duplicates), 0) AS BIGINT)   AS duplicates,
    CAST(coalesce(sum(s.rejected), 0) AS BIGINT)     AS rejected,
    CAST(coalesce(sum(s.errors), 0) AS BIGINT)       AS errors,
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

CREATE OR REPLACE VIEW main.url_aliases AS
SELECT identity_key, url, article_id, kind, first_seen_at, first_run_id
FROM store.url_aliases;

-- One row per story (articles.story_id): its first article, size, outlets and dates.
CREATE OR REPLACE VIEW main.stories AS
WITH members AS (
    SELECT a.story_id, a.article_id, a.canonical_url, a.source, a.host, v.title,
           v.published_at, a.first_seen_at, a.last_seen_at
    FROM store.articles AS a
    JOIN store.article_versions AS v
      ON v.article_id = a.article_id AND v.version_no = a.version_count
)
SELECT
    story_id,
    min(article_id)                                    AS first_article_id,
    arg_min(title, article_id)                         AS title,
    arg_min(canonical_url, article_id)                 AS url,
    count(*)                                           AS article_count,
    count(DISTINCT source)                             AS source_count,
    count(DISTINCT host)                               AS host_count,
    list(DISTINCT source ORDER BY source)              AS sources,
    list(DISTINCT host ORDER BY host) FILTER (WHERE host IS NOT NULL) AS hosts,
    min(published_at)                                  AS first_published_at,
    min(first_seen_at)                                 AS first_seen_at,
    max(last_seen_at)                                  AS last_seen_at,
    list(article_id ORDER BY article_id)               AS article_ids,
    list(canonical_url ORDER BY article_id)            AS urls
FROM members
GROUP BY story_id;

-- Articles per UTC day and source. `day` is the publication day when known, else the day
-- the pipeline first saw the article (the same rule as the `day` partition of an export).
CREATE OR REPLACE VIEW main.daily_counts AS
WITH latest AS (
    SELECT a.source, a.first_seen_at, v.published_at
    FROM store.articles AS a
    JOIN store.article_versions AS v
      ON v.article_id = a.article_id AND v.version_no = a.version_count
),
events AS (
    SELECT source,
           CAST(timezone('UTC', coalesce(published_at, first_seen_at)) AS DATE) AS day,
           1 AS articles, 0 AS published, 0 AS first_seen, 0 AS updated
    FROM latest
    UNION ALL
    SELECT source, CAST(timezone('UTC', published_at) AS DATE), 0, 1, 0, 0
    FROM latest WHERE published_at IS NOT NULL
    UNION ALL
    SELECT source, CAST(timezone('UTC', first_seen_at) AS DATE), 0, 0, 1, 0
    FROM latest
    UNION ALL
    SELECT source, CAST(timezone('UTC', retrieved_at) AS DATE), 0, 0, 0, 1
    FROM store.article_versions WHERE version_no > 1
)
SELECT
    day,
    source,
    CAST(sum(articles) AS BIGINT)   AS articles,
    CAST(sum(published) AS BIGINT)  AS published,
    CAST(sum(first_seen) AS BIGINT) AS first_seen,
    CAST(sum(updated) AS BIGINT)    AS updated
FROM events
GROUP BY day, source;

-- Per source: freshness, failures, yield, and error / not-modified rates over its last
-- 10 runs. `went_quiet`: its last completed run delivered or confirmed no article at all
-- (new + duplicates + updated + unchanged + not_modified = 0) although an earlier one did;
-- a run whose feeds and sitemaps all answered 304 Not Modified does not count (nothing new
-- is expected then). The same rule as the run's zero-yield warning (flows/pipeline/freshness.py).
CREATE OR REPLACE VIEW main.source_health AS
WITH ranked AS (
    SELECT rs.*, rs.new + rs.updated + rs.duplicates AS yield,
           rs.new + rs.duplicates + rs.updated + rs.unchanged + rs.not_modified AS delivered,
           row_number() OVER (PARTITION BY rs.source ORDER BY rs.started_at DESC) AS recency,
           row_number() OVER (PARTITION BY rs.source, rs.status = 'completed'
                              ORDER BY rs.started_at DESC) AS completed_recency
    FROM store.run_sources AS rs
),
recent AS (
    SELECT source,
           count(*)                                            AS recent_runs,
           count(*) FILTER (WHERE status <> 'completed')       AS recent_failed_runs,
           CAST(coalesce(sum(yield), 0) AS BIGINT)             AS recent_yield
    FROM ranked WHERE recency <= 10
    GROUP BY source
),
last_run AS (
    SELECT source, status AS last_status, warning AS last_warning FROM ranked WHERE recency = 1
),
discovery AS (
    SELECT run_id, source, bool_and(outcome = 'not_modified') AS unchanged
    FROM store.fetch_log WHERE purpose IN ('feed', 'sitemap')
    GROUP BY run_id, source
),
quiet AS (
    SELECT r.source,
           bool_or(r.completed_recency = 1 AND r.delivered = 0
                   AND NOT coalesce(d.unchanged, false))
             AND bool_or(r.completed_recency > 1 AND r.delivered > 0) AS went_quiet
    FROM ranked AS r
    LEFT JOIN discovery AS d USING (run_id, source)
    WHERE r.status = 'completed'
    GROUP BY r.source
),
fetches AS (
    SELECT f.source,
           count(*)                                                  AS recent_fetches,
           count(*) FILTER (WHERE f.outcome NOT IN ('ok', 'not_modified')) AS recent_fetch_errors,
           count(*) FILTER (WHERE f.outcome = 'not_modified')       AS recent_not_modified
    FROM store.fetch_log AS f
    JOIN ranked AS r ON r.run_id = f.run_id AND r.source = f.source AND r.recency <= 10
    GROUP BY f.source
),
articles AS (
    SELECT source, count(*) AS articles, max(first_seen_at) AS newest_article_at
    FROM store.articles GROUP BY source
)
SELECT
    s.source,
    s.kind,
    s.last_run_at,
    l.last_status,
    s.last_success_at,
    s.last_change_at,
    s.last_yield,
    s.consecutive_failures,
    s.next_due_at,
    s.last_error,
    l.last_warning,
    coalesce(r.recent_runs, 0)                      AS recent_runs,
    coalesce(r.recent_failed_runs, 0)               AS recent_failed_runs,
    coalesce(r.recent_yield, 0)                     AS recent_yield,
    coalesce(f.recent_fetches, 0)                   AS recent_fetches,
    f.recent_fetch_errors / nullif(f.recent_fetches, 0)   AS error_rate,
    f.recent_not_modified / nullif(f.recent_fetches, 0)   AS not_modified_rate,
    coalesce(a.articles, 0)                         AS articles,
    a.newest_article_at,
    coalesce(q.went_quiet, false)                   AS went_quiet,
    s.failing_since
FROM store.source_state AS s
LEFT JOIN last_run AS l USING (source)
LEFT JOIN recent AS r USING (source)
LEFT JOIN quiet AS q USING (source)
LEFT JOIN fetches AS f USING (source)
LEFT JOIN articles AS a USING (source);

-- Full-text search (see docs/queries.md): the words of a text as the index cuts them.
CREATE OR REPLACE MACRO store.search_words(s) AS
    regexp_split_to_array(lower(strip_accents(coalesce(s, ''))), '[^\p{L}\p{N}]+');

-- The stemmed terms a search query is made of (stop words and punctuation dropped).
CREATE OR REPLACE MACRO main.search_terms(query) AS TABLE
SELECT DISTINCT stem(w, 'porter') AS term
FROM (SELECT unnest(store.search_words(query)) AS w)
WHERE w <> '' AND w NOT IN (SELECT word FROM store.search_stopwords);

-- BM25 (k1 = 1.2, b = 0.75) of every article matching at least one query term:
-- SELECT * FROM search_articles('airspace talks') JOIN articles USING (article_id)
-- ORDER BY score DESC LIMIT 10;
CREATE OR REPLACE MACRO main.search_articles(query) AS TABLE
WITH q AS (
    SELECT d.term_id FROM store.search_dictionary AS d
    WHERE d.term IN (SELECT term FROM search_terms(query))
),
hits AS MATERIALIZED (
    SELECT p.term_id, p.article_id, p.tf FROM store.search_postings AS p SEMI JOIN q USING (term_id)
),
df AS (
    SELECT term_id, count(*) AS df FROM hits GROUP BY term_id
),
stats AS (
    SELECT count(*) AS n, avg(length) AS avgdl FROM store.search_docs
)
SELECT
    h.article_id,
    sum(ln((stats.n - df.df + 0.5) / (df.df + 0.5) + 1)
        * h.tf * 2.2 / (h.tf + 1.2 * (0.25 + 0.75 * d.length / stats.avgdl))) AS score,
    count(*) AS matched_terms
FROM hits AS h
JOIN df USING (term_id)
JOIN store.search_docs AS d USING (article_id)
CROSS JOIN stats
GROUP BY h.article_id;
