-- Dashboards at scale (issue 21). Two costs dominated a 30-day events dashboard at 10 M events:
-- merging `uniq` states of ~63 k hourly rows per project (every combination of class, agent,
-- channel, AI source and content type) and of ~27 k breakdown rows. This migration adds:
--
-- * traffic_class_hourly / traffic_class_daily: the events dashboard's measures by the only two
--   dimensions it filters on (agent class, AI source) — ~10 rows an hour instead of ~90;
-- * breakdown_daily, and an `approx_visitors` state on breakdown_hourly: a window of whole UTC
--   days reads one row per day for its interior and hourly rows only for its edges;
-- * distinct counts as uniqCombined(12) states (HyperLogLog once a state outgrows 2^12 cells,
--   exact below). A daily state merges in constant time whatever the day's visitors; `uniq`
--   states grow with them. Visitors and sessions are approximate (README, "Dashboards at
--   scale": within 5 % on the synthetic traffic); every count (events, pageviews) stays exact.
--
-- A daily row's day is a UTC day. The API reads daily rows only for UTC days wholly inside the
-- window and wholly within retention, hourly rows for the rest: each hour is counted once.
-- TTL and partitions follow the hourly rollups (and `events`): the row's own retention_days, by
-- week, whole parts dropped. Retried inserts: the views inherit the insert's deduplication token
-- (`deduplicate_blocks_in_dependent_materialized_views=1`), so every target table keeps a
-- non-replicated deduplication window like the tables it summarizes.
-- `event_type = 'pageview'` is `EventType::Pageview` (schemas/src/vocab/event.rs).

CREATE TABLE IF NOT EXISTS traffic_class_hourly
(
    project_id LowCardinality(String),
    property_id UInt64,
    hour DateTime('UTC'),
    retention_days UInt16,
    agent_class LowCardinality(String),
    ai_source LowCardinality(String),
    events SimpleAggregateFunction(sum, UInt64),
    pageviews SimpleAggregateFunction(sum, UInt64),
    visitors AggregateFunction(uniqCombined(12), String),
    sessions AggregateFunction(uniqCombined(12), String),
    datacenter_visitors AggregateFunction(uniqCombined(12), String),
    non_datacenter_visitors AggregateFunction(uniqCombined(12), String)
)
ENGINE = AggregatingMergeTree
PARTITION BY (retention_days, toMonday(hour))
ORDER BY (project_id, property_id, hour, agent_class, ai_source)
TTL hour + toIntervalDay(retention_days)
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS traffic_class_hourly_mv TO traffic_class_hourly AS
SELECT
    project_id,
    property_id,
    toStartOfHour(toDateTime(ts)) AS hour,
    retention_days,
    agent_class,
    ai_source,
    toUInt64(count()) AS events,
    toUInt64(countIf(event_type = 'pageview')) AS pageviews,
    uniqCombinedStateIf(12)(visitor_id, visitor_id != '') AS visitors,
    uniqCombinedStateIf(12)(session_id, session_id != '') AS sessions,
    uniqCombinedStateIf(12)(visitor_id, visitor_id != '' AND datacenter) AS datacenter_visitors,
    uniqCombinedStateIf(12)(visitor_id, visitor_id != '' AND NOT datacenter) AS non_datacenter_visitors
FROM events
GROUP BY project_id, property_id, hour, retention_days, agent_class, ai_source;

CREATE TABLE IF NOT EXISTS traffic_class_daily
(
    project_id LowCardinality(String),
    property_id UInt64,
    day DateTime('UTC'),
    retention_days UInt16,
    agent_class LowCardinality(String),
    ai_source LowCardinality(String),
    events SimpleAggregateFunction(sum, UInt64),
    pageviews SimpleAggregateFunction(sum, UInt64),
    visitors AggregateFunction(uniqCombined(12), String),
    sessions AggregateFunction(uniqCombined(12), String),
    datacenter_visitors AggregateFunction(uniqCombined(12), String),
    non_datacenter_visitors AggregateFunction(uniqCombined(12), String)
)
ENGINE = AggregatingMergeTree
PARTITION BY (retention_days, toMonday(day))
ORDER BY (project_id, property_id, day, agent_class, ai_source)
TTL day + toIntervalDay(retention_days)
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS traffic_class_daily_mv TO traffic_class_daily AS
SELECT
    project_id,
    property_id,
    toStartOfDay(toDateTime(ts)) AS day,
    retention_days,
    agent_class,
    ai_source,
    toUInt64(count()) AS events,
    toUInt64(countIf(event_type = 'pageview')) AS pageviews,
    uniqCombinedStateIf(12)(visitor_id, visitor_id != '') AS visitors,
    uniqCombinedStateIf(12)(session_id, session_id != '') AS sessions,
    uniqCombinedStateIf(12)(visitor_id, visitor_id != '' AND datacenter) AS datacenter_visitors,
    uniqCombinedStateIf(12)(visitor_id, visitor_id != '' AND NOT datacenter) AS non_datacenter_visitors
FROM events
GROUP BY project_id, property_id, day, retention_days, agent_class, ai_source;

ALTER TABLE breakdown_hourly ADD COLUMN IF NOT EXISTS approx_visitors AggregateFunction(uniqCombined(12), String);

DROP VIEW IF EXISTS breakdown_hourly_mv;

CREATE MATERIALIZED VIEW IF NOT EXISTS breakdown_hourly_mv TO breakdown_hourly AS
SELECT
    project_id,
    property_id,
    toStartOfHour(toDateTime(ts)) AS hour,
    retention_days,
    dim.1 AS dimension,
    dim.2 AS value,
    toUInt64(count()) AS events,
    toUInt64(countIf(event_type = 'pageview')) AS pageviews,
    uniqStateIf(visitor_id, visitor_id != '') AS visitors,
    uniqCombinedStateIf(12)(visitor_id, visitor_id != '') AS approx_visitors
FROM events
ARRAY JOIN [
    ('country', country),
    ('device', device),
    ('browser', browser),
    ('os', os),
    ('class', agent_class),
    ('ai_source', ai_source),
    ('event', if(name != '', name, event_type))
] AS dim
GROUP BY project_id, property_id, hour, retention_days, dimension, value;

CREATE TABLE IF NOT EXISTS breakdown_daily
(
    project_id LowCardinality(String),
    property_id UInt64,
    day DateTime('UTC'),
    retention_days UInt16,
    dimension LowCardinality(String),
    value LowCardinality(String),
    events SimpleAggregateFunction(sum, UInt64),
    pageviews SimpleAggregateFunction(sum, UInt64),
    approx_visitors AggregateFunction(uniqCombined(12), String)
)
ENGINE = AggregatingMergeTree
PARTITION BY (retention_days, toMonday(day))
ORDER BY (project_id, dimension, property_id, day, value)
TTL day + toIntervalDay(retention_days)
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS breakdown_daily_mv TO breakdown_daily AS
SELECT
    project_id,
    property_id,
    toStartOfDay(toDateTime(ts)) AS day,
    retention_days,
    dim.1 AS dimension,
    dim.2 AS value,
    toUInt64(count()) AS events,
    toUInt64(countIf(event_type = 'pageview')) AS pageviews,
    uniqCombinedStateIf(12)(visitor_id, visitor_id != '') AS approx_visitors
FROM events
ARRAY JOIN [
    ('country', country),
    ('device', device),
    ('browser', browser),
    ('os', os),
    ('class', agent_class),
    ('ai_source', ai_source),
    ('event', if(name != '', name, event_type))
] AS dim
GROUP BY project_id, property_id, day, retention_days, dimension, value;

-- Backfill: the events stored before the views above existed, each event once (FINAL: a replayed
-- event counts as the one row it is). Rows processed since the first view was created reach the
-- tables through the views, so they are left out here.
INSERT INTO traffic_class_hourly (project_id, property_id, hour, retention_days, agent_class, ai_source, events, pageviews, visitors, sessions, datacenter_visitors, non_datacenter_visitors)
SELECT
    project_id,
    property_id,
    toStartOfHour(toDateTime(ts)) AS hour,
    retention_days,
    agent_class,
    ai_source,
    toUInt64(count()) AS events,
    toUInt64(countIf(event_type = 'pageview')) AS pageviews,
    uniqCombinedStateIf(12)(visitor_id, visitor_id != '') AS visitors,
    uniqCombinedStateIf(12)(session_id, session_id != '') AS sessions,
    uniqCombinedStateIf(12)(visitor_id, visitor_id != '' AND datacenter) AS datacenter_visitors,
    uniqCombinedStateIf(12)(visitor_id, visitor_id != '' AND NOT datacenter) AS non_datacenter_visitors
FROM events FINAL
WHERE processed_at < (SELECT min(metadata_modification_time) FROM system.tables WHERE database = currentDatabase() AND name = 'traffic_class_hourly_mv')
GROUP BY project_id, property_id, hour, retention_days, agent_class, ai_source;

INSERT INTO traffic_class_daily (project_id, property_id, day, retention_days, agent_class, ai_source, events, pageviews, visitors, sessions, datacenter_visitors, non_datacenter_visitors)
SELECT
    project_id,
    property_id,
    toStartOfDay(toDateTime(ts)) AS day,
    retention_days,
    agent_class,
    ai_source,
    toUInt64(count()) AS events,
    toUInt64(countIf(event_type = 'pageview')) AS pageviews,
    uniqCombinedStateIf(12)(visitor_id, visitor_id != '') AS visitors,
    uniqCombinedStateIf(12)(session_id, session_id != '') AS sessions,
    uniqCombinedStateIf(12)(visitor_id, visitor_id != '' AND datacenter) AS datacenter_visitors,
    uniqCombinedStateIf(12)(visitor_id, visitor_id != '' AND NOT datacenter) AS non_datacenter_visitors
FROM events FINAL
WHERE processed_at < (SELECT min(metadata_modification_time) FROM system.tables WHERE database = currentDatabase() AND name = 'traffic_class_daily_mv')
GROUP BY project_id, property_id, day, retention_days, agent_class, ai_source;

-- breakdown_hourly already counts these events: rows carrying only the new state (counts zero,
-- the `uniq` state empty), as 0009 backfilled traffic_hourly. A uniqCombined state merges as a
-- set union, so an event the re-created view also wrote is still one visitor.
INSERT INTO breakdown_hourly (project_id, property_id, hour, retention_days, dimension, value, events, pageviews, approx_visitors)
SELECT
    project_id,
    property_id,
    toStartOfHour(toDateTime(ts)) AS hour,
    retention_days,
    dim.1 AS dimension,
    dim.2 AS value,
    toUInt64(0) AS events,
    toUInt64(0) AS pageviews,
    uniqCombinedStateIf(12)(visitor_id, visitor_id != '') AS approx_visitors
FROM events
ARRAY JOIN [
    ('country', country),
    ('device', device),
    ('browser', browser),
    ('os', os),
    ('class', agent_class),
    ('ai_source', ai_source),
    ('event', if(name != '', name, event_type))
] AS dim
GROUP BY project_id, property_id, hour, retention_days, dimension, value;

INSERT INTO breakdown_daily (project_id, property_id, day, retention_days, dimension, value, events, pageviews, approx_visitors)
SELECT
    project_id,
    property_id,
    toStartOfDay(toDateTime(ts)) AS day,
    retention_days,
    dim.1 AS dimension,
    dim.2 AS value,
    toUInt64(count()) AS events,
    toUInt64(countIf(event_type = 'pageview')) AS pageviews,
    uniqCombinedStateIf(12)(visitor_id, visitor_id != '') AS approx_visitors
FROM events FINAL
ARRAY JOIN [
    ('country', country),
    ('device', device),
    ('browser', browser),
    ('os', os),
    ('class', agent_class),
    ('ai_source', ai_source),
    ('event', if(name != '', name, event_type))
] AS dim
WHERE processed_at < (SELECT min(metadata_modification_time) FROM system.tables WHERE database = currentDatabase() AND name = 'breakdown_daily_mv')
GROUP BY project_id, property_id, day, retention_days, dimension, value;
