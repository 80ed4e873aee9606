-- Single-column indexes on article_id for the per-batch lookups of store.latest_versions and
-- stories.load_features. Both tables' primary key is (article_id, version_no), and DuckDB 1.5.5
-- does not use a multi-column ART index for a condition on its first column alone: without
-- these, `article_id IN (?, ...)` scanned the whole table every batch (see docs/performance.md).

CREATE INDEX article_versions_article_id ON store.article_versions (article_id);

CREATE INDEX story_features_article_id ON store.story_features (article_id);
