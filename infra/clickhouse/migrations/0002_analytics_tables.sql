-- The processors' facts. Rows carry the retention their plan had when they were processed
-- (retention_days); TTL expires them from that, and partitions by (retention class, week) line up
-- with it, so with ttl_only_drop_parts expiry drops whole parts instead of rewriting them: a row
-- leaves with the last row of its week, at most 7 days after its own expiry. Dashboards filter on
-- ts >= now() - retention_days as well, so that week is never shown.
-- ReplacingMergeTree on the event id (version = processed_at) makes a replay after a catalog change
-- replace rows instead of adding them; ORDER BY starts with the dashboards' filters.
-- non_replicated_deduplication_window: the loader's retried inserts carry the same
-- insert_deduplication_token and are dropped (a replicated engine deduplicates by itself).

CREATE TABLE IF NOT EXISTS events
(
    project_id LowCardinality(String),
    property_id UInt64,
    ts DateTime64(3, 'UTC'),
    event_id String,
    received_at DateTime64(3, 'UTC') DEFAULT ts,
    processed_at DateTime64(3, 'UTC') DEFAULT now64(3),
    organization_id LowCardinality(String) DEFAULT '',
    visitor_id String DEFAULT '',
    session_id String DEFAULT '',
    source LowCardinality(String) DEFAULT 'tag',
    event_type LowCardinality(String) DEFAULT 'pageview',
    url String DEFAULT '',
    host LowCardinality(String) DEFAULT '',
    path String DEFAULT '',
    title String DEFAULT '',
    content_type LowCardinality(String) DEFAULT 'other',
    referrer String DEFAULT '',
    referrer_host LowCardinality(String) DEFAULT '',
    channel LowCardinality(String) DEFAULT 'direct',
    ai_source LowCardinality(String) DEFAULT '',
    ai_matched_by LowCardinality(String) DEFAULT '',
    utm Map(LowCardinality(String), String),
    agent_class LowCardinality(String) DEFAULT 'human',
    agent_name LowCardinality(String) DEFAULT '',
    agent_operator LowCardinality(String) DEFAULT '',
    verification LowCardinality(String) DEFAULT '',
    browser LowCardinality(String) DEFAULT '',
    browser_major LowCardinality(String) DEFAULT '',
    os LowCardinality(String) DEFAULT '',
    device LowCardinality(String) DEFAULT '',
    country LowCardinality(String) DEFAULT '',
    status UInt16 DEFAULT 0,
    name LowCardinality(String) DEFAULT '',
    props Map(LowCardinality(String), String),
    value Nullable(Float64),
    currency LowCardinality(String) DEFAULT '',
    classifier_version LowCardinality(String) DEFAULT '',
    retention_days UInt16
)
ENGINE = ReplacingMergeTree(processed_at)
PARTITION BY (retention_days, toMonday(ts))
ORDER BY (project_id, property_id, ts, event_id)
TTL toDateTime(ts) + toIntervalDay(retention_days)
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

-- Visits an AI assistant sent: kept 365 days whatever the plan.
CREATE TABLE IF NOT EXISTS ai_referrals
(
    project_id LowCardinality(String),
    property_id UInt64,
    ts DateTime64(3, 'UTC'),
    event_id String,
    processed_at DateTime64(3, 'UTC') DEFAULT now64(3),
    visitor_id String DEFAULT '',
    session_id String DEFAULT '',
    ai_source LowCardinality(String),
    matched_by LowCardinality(String) DEFAULT '',
    url String DEFAULT '',
    path String DEFAULT '',
    content_type LowCardinality(String) DEFAULT 'other',
    referrer String DEFAULT '',
    country LowCardinality(String) DEFAULT '',
    device LowCardinality(String) DEFAULT ''
)
ENGINE = ReplacingMergeTree(processed_at)
PARTITION BY toMonday(ts)
ORDER BY (project_id, property_id, ts, event_id)
TTL toDateTime(ts) + INTERVAL 365 DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

-- Server-side hits of robots, with crawler verification.
CREATE TABLE IF NOT EXISTS crawler_hits
(
    project_id LowCardinality(String),
    property_id UInt64,
    ts DateTime64(3, 'UTC'),
    event_id String,
    processed_at DateTime64(3, 'UTC') DEFAULT now64(3),
    agent_class LowCardinality(String),
    agent_name LowCardinality(String) DEFAULT '',
    agent_operator LowCardinality(String) DEFAULT '',
    verification LowCardinality(String) DEFAULT 'unverifiable',
    method LowCardinality(String) DEFAULT 'GET',
    host LowCardinality(String) DEFAULT '',
    path String DEFAULT '',
    content_type LowCardinality(String) DEFAULT 'other',
    status UInt16 DEFAULT 0,
    bytes UInt64 DEFAULT 0,
    response_ms UInt32 DEFAULT 0,
    retention_days UInt16
)
ENGINE = ReplacingMergeTree(processed_at)
PARTITION BY (retention_days, toMonday(ts))
ORDER BY (project_id, property_id, ts, event_id)
TTL toDateTime(ts) + toIntervalDay(retention_days)
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

-- Conversions with both attribution models: the session's AI source and the visitor's last AI
-- touch within the lookback.
CREATE TABLE IF NOT EXISTS conversions
(
    project_id LowCardinality(String),
    property_id UInt64,
    ts DateTime64(3, 'UTC'),
    event_id String,
    processed_at DateTime64(3, 'UTC') DEFAULT now64(3),
    visitor_id String DEFAULT '',
    session_id String DEFAULT '',
    name LowCardinality(String),
    value Nullable(Float64),
    currency LowCardinality(String) DEFAULT '',
    session_ai_source LowCardinality(String) DEFAULT '',
    last_touch_ai_source LowCardinality(String) DEFAULT '',
    last_touch_at Nullable(DateTime64(3, 'UTC')),
    retention_days UInt16
)
ENGINE = ReplacingMergeTree(processed_at)
PARTITION BY (retention_days, toMonday(ts))
ORDER BY (project_id, property_id, ts, event_id)
TTL toDateTime(ts) + toIntervalDay(retention_days)
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

-- Session state after each change; the latest version per session wins. Kept 90 days.
CREATE TABLE IF NOT EXISTS sessions
(
    project_id LowCardinality(String),
    property_id UInt64,
    started_at DateTime64(3, 'UTC'),
    session_id String,
    visitor_id String DEFAULT '',
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
    journey Array(Tuple(ts DateTime64(3, 'UTC'), event_type LowCardinality(String), path String))
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toMonday(started_at)
ORDER BY (project_id, property_id, started_at, session_id)
TTL toDateTime(started_at) + INTERVAL 90 DAY
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

-- Content discovery: one row per page, merged from every batch that saw it.
CREATE TABLE IF NOT EXISTS pages
(
    project_id LowCardinality(String),
    property_id UInt64,
    url String,
    path SimpleAggregateFunction(any, String),
    title SimpleAggregateFunction(anyLast, String),
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

-- Hourly rollups for the dashboards, filled by materialized views on insert.
CREATE TABLE IF NOT EXISTS traffic_hourly
(
    project_id LowCardinality(String),
    property_id UInt64,
    hour DateTime('UTC'),
    retention_days UInt16,
    agent_class LowCardinality(String),
    agent_name LowCardinality(String),
    channel LowCardinality(String),
    ai_source LowCardinality(String),
    content_type LowCardinality(String),
    events AggregateFunction(count),
    pageviews AggregateFunction(countIf, UInt8),
    visitors AggregateFunction(uniq, String),
    sessions AggregateFunction(uniq, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY (retention_days, toMonday(hour))
ORDER BY (project_id, property_id, hour, agent_class, channel, ai_source, agent_name, content_type)
TTL hour + toIntervalDay(retention_days)
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS traffic_hourly_mv TO traffic_hourly AS
SELECT
    project_id,
    property_id,
    toStartOfHour(toDateTime(ts)) AS hour,
    retention_days,
    agent_class,
    agent_name,
    channel,
    ai_source,
    content_type,
    countState() AS events,
    countIfState(event_type = 'pageview') AS pageviews,
    uniqState(visitor_id) AS visitors,
    uniqState(session_id) AS sessions
FROM events
GROUP BY project_id, property_id, hour, retention_days, agent_class, agent_name, channel, ai_source, content_type;

CREATE TABLE IF NOT EXISTS crawler_hourly
(
    project_id LowCardinality(String),
    property_id UInt64,
    hour DateTime('UTC'),
    retention_days UInt16,
    agent_class LowCardinality(String),
    agent_name LowCardinality(String),
    verification LowCardinality(String),
    hits AggregateFunction(count),
    pages AggregateFunction(uniq, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY (retention_days, toMonday(hour))
ORDER BY (project_id, property_id, hour, agent_class, agent_name, verification)
TTL hour + toIntervalDay(retention_days)
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS crawler_hourly_mv TO crawler_hourly AS
SELECT
    project_id,
    property_id,
    toStartOfHour(toDateTime(ts)) AS hour,
    retention_days,
    agent_class,
    agent_name,
    verification,
    countState() AS hits,
    uniqState(path) AS pages
FROM crawler_hits
GROUP BY project_id, property_id, hour, retention_days, agent_class, agent_name, verification;
