-- Crawler evidence and robots.txt compliance at scale (issue 21). The crawlers dashboard's
-- evidence (verification methods, resources, what agents read, networks) and robots sections read
-- raw `crawler_hits` in eight queries; these rollups count the same hits per hour and per UTC day
-- by one facet each (ARRAY JOIN, as breakdown_hourly), so a window of whole hours reads daily rows
-- for its interior and hourly rows for its edges (sql::hours_and_days, as 0010).
--
-- Facets (key1, key2): method (verification_method), resource, read (resource, agent_name),
-- network (as_organization, datacenter as 'true'/'false'), robots (the verdict at the time), path
-- (agent_name, path: the triples the current-file evaluation judges, with property_id) and
-- violation (agent_name, path of the hits whose verdict was disallowed). `hits` are counts, exact:
-- the same rows the raw queries count (every stored row; retried inserts are deduplicated by
-- the insert's token, `deduplicate_blocks_in_dependent_materialized_views=1`, as in 0010).
-- `'disallowed'` is `RobotsVerdict::Disallowed` (schemas/src/vocab/crawl.rs). TTL and partitions
-- follow the other rollups: the row's own retention_days, by week, whole parts dropped.

CREATE TABLE IF NOT EXISTS crawler_facets_hourly
(
    project_id LowCardinality(String),
    property_id UInt64,
    hour DateTime('UTC'),
    retention_days UInt16,
    agent_class LowCardinality(String),
    facet LowCardinality(String),
    key1 String,
    key2 String,
    hits SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY (retention_days, toMonday(hour))
ORDER BY (project_id, facet, property_id, hour, agent_class, key1, key2)
TTL hour + toIntervalDay(retention_days)
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS crawler_facets_hourly_mv TO crawler_facets_hourly AS
SELECT
    project_id,
    property_id,
    toStartOfHour(toDateTime(ts)) AS hour,
    retention_days,
    agent_class,
    f.1 AS facet,
    f.2 AS key1,
    f.3 AS key2,
    toUInt64(count()) AS hits
FROM crawler_hits
ARRAY JOIN arrayConcat([
    ('method', toString(verification_method), ''),
    ('resource', toString(resource), ''),
    ('read', toString(resource), toString(agent_name)),
    ('network', toString(as_organization), toString(datacenter)),
    ('robots', toString(robots), ''),
    ('path', toString(agent_name), path)
], if(robots = 'disallowed', [('violation', toString(agent_name), path)], [])) AS f
GROUP BY project_id, property_id, hour, retention_days, agent_class, facet, key1, key2;

CREATE TABLE IF NOT EXISTS crawler_facets_daily
(
    project_id LowCardinality(String),
    property_id UInt64,
    day DateTime('UTC'),
    retention_days UInt16,
    agent_class LowCardinality(String),
    facet LowCardinality(String),
    key1 String,
    key2 String,
    hits SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY (retention_days, toMonday(day))
ORDER BY (project_id, facet, property_id, day, agent_class, key1, key2)
TTL day + toIntervalDay(retention_days)
SETTINGS ttl_only_drop_parts = 1, non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS crawler_facets_daily_mv TO crawler_facets_daily AS
SELECT
    project_id,
    property_id,
    toStartOfDay(toDateTime(ts)) AS day,
    retention_days,
    agent_class,
    f.1 AS facet,
    f.2 AS key1,
    f.3 AS key2,
    toUInt64(count()) AS hits
FROM crawler_hits
ARRAY JOIN arrayConcat([
    ('method', toString(verification_method), ''),
    ('resource', toString(resource), ''),
    ('read', toString(resource), toString(agent_name)),
    ('network', toString(as_organization), toString(datacenter)),
    ('robots', toString(robots), ''),
    ('path', toString(agent_name), path)
], if(robots = 'disallowed', [('violation', toString(agent_name), path)], [])) AS f
GROUP BY project_id, property_id, day, retention_days, agent_class, facet, key1, key2;

-- Backfill: the hits stored before the views above existed, each hit once (FINAL: a replayed
-- hit counts as the one row it is). Rows processed since the views were created reach the tables
-- through them, so they are left out here.
INSERT INTO crawler_facets_hourly (project_id, property_id, hour, retention_days, agent_class, facet, key1, key2, hits)
SELECT
    project_id,
    property_id,
    toStartOfHour(toDateTime(ts)) AS hour,
    retention_days,
    agent_class,
    f.1 AS facet,
    f.2 AS key1,
    f.3 AS key2,
    toUInt64(count()) AS hits
FROM crawler_hits FINAL
ARRAY JOIN arrayConcat([
    ('method', toString(verification_method), ''),
    ('resource', toString(resource), ''),
    ('read', toString(resource), toString(agent_name)),
    ('network', toString(as_organization), toString(datacenter)),
    ('robots', toString(robots), ''),
    ('path', toString(agent_name), path)
], if(robots = 'disallowed', [('violation', toString(agent_name), path)], [])) AS f
WHERE processed_at < (SELECT min(metadata_modification_time) FROM system.tables WHERE database = currentDatabase() AND name = 'crawler_facets_hourly_mv')
GROUP BY project_id, property_id, hour, retention_days, agent_class, facet, key1, key2;

INSERT INTO crawler_facets_daily (project_id, property_id, day, retention_days, agent_class, facet, key1, key2, hits)
SELECT
    project_id,
    property_id,
    toStartOfDay(toDateTime(ts)) AS day,
    retention_days,
    agent_class,
    f.1 AS facet,
    f.2 AS key1,
    f.3 AS key2,
    toUInt64(count()) AS hits
FROM crawler_hits FINAL
ARRAY JOIN arrayConcat([
    ('method', toString(verification_method), ''),
    ('resource', toString(resource), ''),
    ('read', toString(resource), toString(agent_name)),
    ('network', toString(as_organization), toString(datacenter)),
    ('robots', toString(robots), ''),
    ('path', toString(agent_name), path)
], if(robots = 'disallowed', [('violation', toString(agent_name), path)], [])) AS f
WHERE processed_at < (SELECT min(metadata_modification_time) FROM system.tables WHERE database = currentDatabase() AND name = 'crawler_facets_daily_mv')
GROUP BY project_id, property_id, day, retention_days, agent_class, facet, key1, key2;
