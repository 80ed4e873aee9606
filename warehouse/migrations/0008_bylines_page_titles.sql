-- Issue 15: an organisation byline apart from the people, and the page's own <title>.
-- organisations: publishers, agencies, desks and institutions the byline names (authors holds
-- people only). page_title: the <title> element as the page states it, site name and all; the
-- pipeline learns each host's title affixes from it (flows.extract.titles). Both NULL on rows
-- written before this migration.

ALTER TABLE store.article_versions ADD COLUMN organisations VARCHAR[];

ALTER TABLE store.article_versions ADD COLUMN page_title VARCHAR;
