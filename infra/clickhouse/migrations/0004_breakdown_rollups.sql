-- Breakdown rollups for the dashboards: one row per (hour, dimension, value), so a 30-day
-- breakdown by country reads ~720 × countries rows instead of every event. A row per dimension
-- (ARRAY JOIN) rather than one row per combination of dimensions: combinations multiply to about
-- as many rows as events, while each dimension alone stays small. Filtered breakdowns (country =
-- DE by device) are not served from here; the API reads `events` for those.

CREATE TABLE IF NOT EXISTS breakdown_hourly
(
    project_id LowCardinality(String),
    property_id UInt64,
    hour DateTime('UTC'),
    retention_days UInt16,
    dimension LowCardinality(String),
    value LowCardinality(String),
    events SimpleAggregateFunction(sum, UInt64),
    pageviews SimpleAggregateFunction(sum, UInt64),
    visitors AggregateFunction(uniq, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY (retention_days, toMonday(hour))
ORDER BY (project_id, dimension, property_id, hour, value)
TTL hour + toIntervalDay(retention_days)
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

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
    uniqStateIf(visitor_id, visitor_id != '') AS visitors
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

-- Crawler hits per hour by operator, agent, class, verification and status code: the crawlers
-- dashboard's breakdowns. Pages are read from `crawler_hits` itself (one project's AI crawler
-- hits are far fewer than its events).
CREATE TABLE IF NOT EXISTS crawler_agents_hourly
(
    project_id LowCardinality(String),
    property_id UInt64,
    hour DateTime('UTC'),
    retention_days UInt16,
    agent_operator LowCardinality(String),
    agent_name LowCardinality(String),
    agent_class LowCardinality(String),
    verification LowCardinality(String),
    status UInt16,
    hits SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY (retention_days, toMonday(hour))
ORDER BY (project_id, property_id, hour, agent_operator, agent_name, agent_class, verification, status)
TTL hour + toIntervalDay(retention_days)
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS crawler_agents_hourly_mv TO crawler_agents_hourly AS
SELECT
    project_id,
    property_id,
    toStartOfHour(toDateTime(ts)) AS hour,
    retention_days,
    agent_operator,
    agent_name,
    agent_class,
    verification,
    status,
    toUInt64(count()) AS hits
FROM crawler_hits
GROUP BY project_id, property_id, hour, retention_days, agent_operator, agent_name, agent_class, verification, status;

-- Pages per hour: views, AI crawler hits and AI referrals of each URL, so the content and
-- crawlers dashboards count a window's activity per page without reading every event. Titles
-- stay in `pages` (one row per URL).
CREATE TABLE IF NOT EXISTS pages_hourly
(
    project_id LowCardinality(String),
    property_id UInt64,
    hour DateTime('UTC'),
    retention_days UInt16,
    url String,
    path SimpleAggregateFunction(any, String),
    content_type SimpleAggregateFunction(anyLast, LowCardinality(String)),
    views SimpleAggregateFunction(sum, UInt64),
    ai_crawler_hits SimpleAggregateFunction(sum, UInt64),
    ai_referrals SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY (retention_days, toMonday(hour))
ORDER BY (project_id, property_id, hour, url)
TTL hour + toIntervalDay(retention_days)
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS pages_hourly_mv TO pages_hourly AS
SELECT
    project_id,
    property_id,
    toStartOfHour(toDateTime(ts)) AS hour,
    retention_days,
    url,
    any(path) AS path,
    anyLast(content_type) AS content_type,
    toUInt64(countIf(source = 'tag' AND event_type = 'pageview')) AS views,
    toUInt64(countIf(source = 'server' AND agent_class IN
        ('ai_training_crawler', 'ai_search_crawler', 'ai_assistant', 'ai_agent'))) AS ai_crawler_hits,
    toUInt64(countIf(source = 'tag' AND event_type = 'pageview' AND ai_source != '')) AS ai_referrals
FROM events
GROUP BY project_id, property_id, hour, retention_days, url;

-- Server hits carry no visitor or session: counting '' as one visitor and one session made the
-- rollup disagree with raw events by one. Same state type (uniqStateIf yields uniq's state), so
-- only the view changes; `stream-processors replay` rebuilds earlier hours.
DROP VIEW IF EXISTS traffic_hourly_mv;

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
    uniqStateIf(visitor_id, visitor_id != '') AS visitors,
    uniqStateIf(session_id, session_id != '') AS sessions
FROM events
GROUP BY project_id, property_id, hour, retention_days, agent_class, agent_name, channel, ai_source, content_type;
