"""The DuckLake warehouse: keyed state in PostgreSQL, append-only history in DuckLake.

See docs/lake.md for the layout and the batch commit protocol. The pipeline's
code is the same on both backends: a lake connection is a DuckDB connection
with the PostgreSQL state attached as the catalog ``store`` (so every
``store.<table>`` statement of :mod:`warehouse.store` and
:mod:`warehouse.lookups` runs against PostgreSQL) and the lake attached as
``news_lake``. :mod:`warehouse.lake.batches` moves each committed batch's
history rows from PostgreSQL staging into the lake.
"""
