-- Operational state for /admin/health, written by `stream-processors health`. None of it is
-- tenant data: only platform admins read it.

-- Each evaluated 5-minute window, globally (property_id 0) and per property; re-evaluating the
-- same window end replaces the row.
CREATE TABLE IF NOT EXISTS health_windows
(
    window_end DateTime('UTC'),
    scope LowCardinality(String),
    property_id UInt64,
    requests UInt64,
    events UInt64,
    errors UInt64,
    error_rate Float64,
    p95_ms Float64,
    evaluated_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(evaluated_at)
PARTITION BY toYYYYMMDD(window_end)
ORDER BY (scope, window_end)
TTL window_end + INTERVAL 30 DAY
SETTINGS ttl_only_drop_parts = 1;

-- Committed-offset lag of each consumer group, sampled every minute.
CREATE TABLE IF NOT EXISTS consumer_lag
(
    at DateTime('UTC'),
    group_id LowCardinality(String),
    topic LowCardinality(String),
    lag UInt64
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMMDD(at)
ORDER BY (group_id, topic, at)
TTL at + INTERVAL 30 DAY
SETTINGS ttl_only_drop_parts = 1;

-- Every alert raised, resolved or sent as a test, with how its delivery went.
CREATE TABLE IF NOT EXISTS alerts
(
    at DateTime64(3, 'UTC'),
    rule LowCardinality(String),
    scope String,
    state LowCardinality(String),
    value Float64,
    threshold Float64,
    window String,
    delivered Bool,
    attempts UInt8,
    error String DEFAULT ''
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (at, rule, scope)
TTL toDateTime(at) + INTERVAL 180 DAY;

-- One row per run of a scheduled job.
CREATE TABLE IF NOT EXISTS job_runs
(
    job LowCardinality(String),
    started DateTime64(3, 'UTC'),
    finished DateTime64(3, 'UTC'),
    status LowCardinality(String),
    rows_affected UInt64,
    parts_affected UInt64,
    message String,
    next_run Nullable(DateTime64(3, 'UTC')),
    instance String DEFAULT ''
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(started)
ORDER BY (job, started)
TTL toDateTime(started) + INTERVAL 180 DAY;
