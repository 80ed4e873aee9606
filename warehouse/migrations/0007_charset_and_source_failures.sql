-- Nothing silently wrong (see docs/schema.md): how text was decoded; failing sources.
-- How each stored version's bytes became text: the codec used, why it was chosen
-- (bom | declared-header | meta | utf8-valid | utf8-mixed | detected: connectors.records.CharsetSource),
-- and what the Content-Type header (else the page's <meta>) declared. NULL for versions
-- stored before this migration and for documents handed over as text (JSON records,
-- UTF-8 text scrapes).

ALTER TABLE store.article_versions ADD COLUMN charset VARCHAR;

ALTER TABLE store.article_versions ADD COLUMN charset_source VARCHAR;

ALTER TABLE store.article_versions ADD COLUMN charset_declared VARCHAR;

-- Since when a source has been failing: when its first failed part of a run after its
-- last success ended (NULL while it succeeds). Sources failing now get the end of their
-- first failed run_sources row after their last success.
ALTER TABLE store.source_state ADD COLUMN failing_since TIMESTAMPTZ;

UPDATE store.source_state AS s SET failing_since = (
    SELECT min(rs.finished_at) FROM store.run_sources AS rs
    WHERE rs.source = s.source AND rs.status = 'failed'
      AND rs.started_at > coalesce(s.last_success_at, '-infinity'::TIMESTAMPTZ)
)
WHERE s.consecutive_failures > 0;
