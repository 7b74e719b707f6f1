-- Browser-looking visitors from hosting networks are counted apart (issue 20): traffic_hourly
-- keeps, beside all visitors, those whose event came from a datacenter (`events.datacenter`,
-- migration 0007) and those that did not, so the traffic overview's human visitors leave the
-- datacenter ones out and show them as their own figure. Aggregate-state columns: added to an
-- AggregatingMergeTree they merge like the others, and rows written before read as empty states.

ALTER TABLE traffic_hourly ADD COLUMN IF NOT EXISTS datacenter_visitors AggregateFunction(uniq, String);
ALTER TABLE traffic_hourly ADD COLUMN IF NOT EXISTS non_datacenter_visitors AggregateFunction(uniq, String);

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
    uniqStateIf(session_id, session_id != '') AS sessions,
    uniqStateIf(visitor_id, visitor_id != '' AND datacenter) AS datacenter_visitors,
    uniqStateIf(visitor_id, visitor_id != '' AND NOT datacenter) AS non_datacenter_visitors
FROM events
GROUP BY project_id, property_id, hour, retention_days, agent_class, agent_name, channel, ai_source, content_type;

-- The hours before this migration: rows carrying only the two new states (the others empty, so
-- no count changes). A uniq state merges as a set union, so a visitor the view also wrote after
-- its re-creation is still one visitor.
INSERT INTO traffic_hourly (project_id, property_id, hour, retention_days, agent_class, agent_name, channel, ai_source, content_type, datacenter_visitors, non_datacenter_visitors)
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
    uniqStateIf(visitor_id, visitor_id != '' AND datacenter) AS datacenter_visitors,
    uniqStateIf(visitor_id, visitor_id != '' AND NOT datacenter) AS non_datacenter_visitors
FROM events
GROUP BY project_id, property_id, hour, retention_days, agent_class, agent_name, channel, ai_source, content_type;
