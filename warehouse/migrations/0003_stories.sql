-- Near-duplicate stories and URL variants.
-- story_features: what verification needs per article version (flows/dedupe/similarity.py StoryFeatures).
-- story_bands: the persisted LSH index, one row per (version, band) of a dedupable text;
--   looked up by key through an ART index, so a lookup does not grow with the warehouse.
-- story_merges: a log of stories joined when a new article linked them (nothing is lost).
-- url_aliases is re-keyed by the raw URL: every variant seen is kept, and identity_key
--   (the normalised form that decides identity) is indexed for lookups.

CREATE TABLE store.story_features (
    article_id    BIGINT NOT NULL,
    version_no    INTEGER NOT NULL,
    scheme        VARCHAR NOT NULL,    -- signature layout, e.g. minhash-t5-b40r3-...
    signature     BLOB NOT NULL,
    site          VARCHAR NOT NULL,    -- registrable domain, '' when unknown
    title_key     VARCHAR NOT NULL,
    tokens        INTEGER NOT NULL,
    shingles      INTEGER NOT NULL,
    content_hash  VARCHAR NOT NULL,
    dedupable     BOOLEAN NOT NULL,
    PRIMARY KEY (article_id, version_no)
);

CREATE TABLE store.story_bands (
    key         BIGINT NOT NULL,
    article_id  BIGINT NOT NULL
);

CREATE INDEX story_bands_key ON store.story_bands (key);

CREATE INDEX story_features_content_hash ON store.story_features (content_hash);

CREATE TABLE store.story_merges (
    run_id        UUID NOT NULL,
    merged_story  BIGINT NOT NULL,     -- the story id that stopped being used
    into_story    BIGINT NOT NULL,     -- the story its articles joined
    merged_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE store.url_aliases_by_url (
    url            VARCHAR PRIMARY KEY,
    identity_key   VARCHAR NOT NULL,
    article_id     BIGINT NOT NULL,
    kind           VARCHAR NOT NULL,
    first_seen_at  TIMESTAMPTZ NOT NULL,
    first_run_id   UUID NOT NULL
);

INSERT INTO store.url_aliases_by_url
SELECT url, identity_key, article_id, kind, first_seen_at, first_run_id
FROM store.url_aliases
QUALIFY row_number() OVER (PARTITION BY url ORDER BY first_seen_at) = 1;

DROP TABLE store.url_aliases;

ALTER TABLE store.url_aliases_by_url RENAME TO url_aliases;

CREATE INDEX url_aliases_identity_key ON store.url_aliases (identity_key);
