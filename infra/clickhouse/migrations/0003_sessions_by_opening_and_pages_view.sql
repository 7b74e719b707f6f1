-- Sessions are replaced by version, so their sorting key must not change over a session's life:
-- a late event can move started_at earlier (into another week, even), while opened_at — the time
-- of the event that opened the session — never changes. Journeys are queried from `events` by
-- session_id (every event row carries it), so the session row no longer holds them. Nothing wrote
-- sessions before this migration, so the table is recreated rather than altered.
DROP TABLE IF EXISTS sessions;

CREATE TABLE sessions
(
    project_id LowCardinality(String),
    property_id UInt64,
    opened_at DateTime64(3, 'UTC'),
    session_id String,
    processed_at DateTime64(3, 'UTC') DEFAULT now64(3),
    organization_id LowCardinality(String) DEFAULT '',
    visitor_id String DEFAULT '',
    started_at DateTime64(3, 'UTC') DEFAULT opened_at,
    last_seen DateTime64(3, 'UTC') DEFAULT started_at,
    version UInt64 DEFAULT 0,
    entry_url String DEFAULT '',
    exit_url String DEFAULT '',
    pageviews UInt32 DEFAULT 0,
    events UInt32 DEFAULT 0,
    duration_ms UInt64 DEFAULT 0,
    referrer String DEFAULT '',
    channel LowCardinality(String) DEFAULT 'direct',
    ai_source LowCardinality(String) DEFAULT '',
    utm Map(LowCardinality(String), String),
    conversions UInt32 DEFAULT 0,
    conversion_value Float64 DEFAULT 0
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toMonday(opened_at)
ORDER BY (project_id, property_id, opened_at, session_id)
TTL toDateTime(opened_at) + INTERVAL 90 DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

-- Pages are filled from events by a materialized view, so a deduplicated (retried) events insert
-- is not counted twice. The title is the latest non-empty one sent: crawler hits carry none.
DROP TABLE IF EXISTS pages;

CREATE TABLE pages
(
    project_id LowCardinality(String),
    property_id UInt64,
    url String,
    path SimpleAggregateFunction(any, String),
    title AggregateFunction(argMaxIf, String, DateTime64(3, 'UTC'), UInt8),
    content_type SimpleAggregateFunction(anyLast, LowCardinality(String)),
    first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    views SimpleAggregateFunction(sum, UInt64),
    ai_crawler_hits SimpleAggregateFunction(sum, UInt64),
    ai_referrals SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
ORDER BY (project_id, property_id, url)
TTL toDateTime(last_seen) + INTERVAL 365 DAY;

CREATE MATERIALIZED VIEW IF NOT EXISTS pages_mv TO pages AS
SELECT
    project_id,
    property_id,
    url,
    any(path) AS path,
    argMaxIfState(title, ts, toUInt8(title != '')) AS title,
    anyLast(content_type) AS content_type,
    min(ts) AS first_seen,
    max(ts) AS last_seen,
    toUInt64(countIf(source = 'tag' AND event_type = 'pageview')) AS views,
    toUInt64(countIf(source = 'server' AND agent_class IN
        ('ai_training_crawler', 'ai_search_crawler', 'ai_assistant', 'ai_agent'))) AS ai_crawler_hits,
    toUInt64(countIf(source = 'tag' AND event_type = 'pageview' AND ai_source != '')) AS ai_referrals
FROM events
GROUP BY project_id, property_id, url;
