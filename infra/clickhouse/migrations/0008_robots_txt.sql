-- Every distinct version of each property's robots.txt, as the loader's refresh job fetched it
-- (stream-processors/src/jobs/robots_txt.rs): a row when the status or the body changed. A 4xx
-- is stored with an empty body (RFC 9309: no file, anything may be fetched); server errors and
-- unreachable sites are no version (the last one stays in force). Public files, kept whole.
CREATE TABLE IF NOT EXISTS robots_txt
(
    project_id LowCardinality(String),
    property_id UInt64,
    fetched_at DateTime64(3, 'UTC'),
    url String,
    status UInt16,
    -- SHA-256 of body, hex: what crawler_hits.robots_checksum names.
    checksum String,
    body String
)
ENGINE = ReplacingMergeTree
ORDER BY (project_id, property_id, fetched_at);

-- The robots.txt version a crawler hit was judged against ('' while none was known).
ALTER TABLE crawler_hits ADD COLUMN IF NOT EXISTS robots_checksum String DEFAULT '';
