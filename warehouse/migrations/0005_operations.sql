-- Scheduled operation: adaptive freshness and the zero-yield flag (see docs/operations.md).
-- store.source_state.next_due_at (0002) is the earliest time a scheduled run fetches the
-- source again; revisit_seconds is the interval it was computed from, grown while the
-- source does not change and shrunk when it does, within the source's bounds.

ALTER TABLE store.source_state ADD COLUMN revisit_seconds DOUBLE;

-- The last run in which the source delivered or confirmed at least one article
-- (new + duplicates + updated + unchanged + not_modified > 0). A run that yields none
-- while this is set gets a warning in store.run_sources.warning.
ALTER TABLE store.source_state ADD COLUMN last_yield_at TIMESTAMPTZ;
