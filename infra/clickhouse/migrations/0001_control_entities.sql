-- Projection of optiview.control.v1 for joins and admin listings: the latest state per entity.
-- ReplacingMergeTree keeps the row with the highest topic offset, so replays are idempotent.
CREATE TABLE IF NOT EXISTS control_entities
(
    entity_id String,
    kind LowCardinality(String),
    organization_id String,
    action LowCardinality(String),
    state String CODEC(ZSTD(3)),
    at DateTime64(3, 'UTC'),
    offset UInt64
)
ENGINE = ReplacingMergeTree(offset)
ORDER BY entity_id;
