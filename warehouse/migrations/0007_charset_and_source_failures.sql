-- Nothing silently wrong (see docs/schema.md).
-- How each stored version's bytes became text: the codec used, why it was chosen
-- (bom | declared-header | meta | utf8-valid | utf8-mixed | detected: connectors.records.CharsetSource),
-- and what the Content-Type header (else the page's <meta>) declared. NULL for versions
-- stored before this migration and for documents handed over as text (JSON records,
-- UTF-8 text scrapes).

ALTER TABLE store.article_versions ADD COLUMN charset VARCHAR;

ALTER TABLE store.article_versions ADD COLUMN charset_source VARCHAR;

ALTER TABLE store.article_versions ADD COLUMN charset_declared VARCHAR;
