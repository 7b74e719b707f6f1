//! Dashboard queries: fixed SQL text with ClickHouse server-side parameters (`{name:Type}`), so
//! request values never become SQL; the only text composed from a request is chosen from fixed
//! fragments (which filter clauses apply, which rollup answers). Rows come back typed, by column
//! name.

use std::sync::LazyLock;

use schemas::vocab::{sql_list, sql_literal, AgentClass, EventSource, EventType};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::request::{Dashboard, Filters};
use super::window::Window;
use crate::http::error::ApiError;

#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Param {
    Text(String),
    Int(i64),
    List(Vec<String>),
}

/// A query under construction: its text and the parameters it names.
#[derive(Debug, Clone, Default)]
pub struct Query {
    text: String,
    params: Vec<(&'static str, Param)>,
}

impl Query {
    /// The parameters every dashboard query may use: project, property (0 = all), window bounds
    /// in epoch milliseconds, the viewer's zone and the enabled AI sources.
    pub fn scoped(d: &Dashboard) -> Self {
        let mut q = Query::default();
        q.bind("project", Param::Text(d.project_id.clone()));
        q.bind(
            "property",
            Param::Int(d.property_id.map_or(0, |p| p as i64)),
        );
        q.bind("from", Param::Int(d.window.from.timestamp_millis()));
        q.bind("to", Param::Int(d.window.to.timestamp_millis()));
        q.bind("tz", Param::Text(d.window.tz_name().to_owned()));
        q.bind("limit", Param::Int(i64::from(d.limit)));
        q.bind(
            "ai",
            Param::List(d.ai_sources.iter().map(|s| (*s).to_owned()).collect()),
        );
        q
    }

    pub fn bind(&mut self, name: &'static str, value: Param) {
        self.params.retain(|(n, _)| *n != name);
        self.params.push((name, value));
    }

    pub fn sql(mut self, text: impl Into<String>) -> Self {
        self.text = text.into();
        self
    }

    /// Every row, each a `T` by its column names (JSONEachRow: numbers stay numbers, 64-bit
    /// integers unquoted).
    pub async fn rows<T: DeserializeOwned>(
        &self,
        client: &clickhouse::Client,
    ) -> Result<Vec<T>, ApiError> {
        let mut query = client
            .query(&self.text)
            .with_setting("output_format_json_quote_64bit_integers", "0")
            .with_setting("output_format_json_quote_denormals", "0");
        for (name, value) in &self.params {
            query = query.param(name, value);
        }
        let bytes = query
            .fetch_bytes("JSONEachRow")
            .map_err(failed)?
            .collect()
            .await
            .map_err(failed)?;
        bytes
            .split(|b| *b == b'\n')
            .filter(|line| !line.is_empty())
            .map(|line| serde_json::from_slice(line).map_err(ApiError::internal))
            .collect()
    }

    /// The first row; `T::default()` (zeros) when there is none.
    pub async fn one<T: DeserializeOwned + Default>(
        &self,
        client: &clickhouse::Client,
    ) -> Result<T, ApiError> {
        Ok(self
            .rows(client)
            .await?
            .into_iter()
            .next()
            .unwrap_or_default())
    }
}

/// What one dashboard query may spend on the shared cluster. ClickHouse enforces them and stops
/// the query where it goes over, so a wide window cannot hold a core or the server's memory; the
/// caller gets [`ApiError::query_too_expensive`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryBounds {
    /// `max_execution_time`, in seconds.
    pub max_execution_secs: u64,
    /// `max_memory_usage`, in bytes.
    pub max_memory_bytes: u64,
}

impl Default for QueryBounds {
    fn default() -> Self {
        Self {
            max_execution_secs: 10,
            max_memory_bytes: 2 << 30,
        }
    }
}

/// `client` with `bounds` on every query it sends, read-only. Dashboard, install and health
/// reads all go through the server's one client, built with this.
pub fn bounded(client: clickhouse::Client, bounds: QueryBounds) -> clickhouse::Client {
    client
        .with_setting("max_execution_time", bounds.max_execution_secs.to_string())
        // `throw`, not `break`: a silently cut-off scan would answer wrong numbers.
        .with_setting("timeout_overflow_mode", "throw")
        .with_setting("max_memory_usage", bounds.max_memory_bytes.to_string())
        // 2, not 1: reads only, but the per-query format settings above may still be set.
        .with_setting("readonly", "2")
}

/// ClickHouse's codes for a query stopped by a limit on what it may spend.
const OVER_LIMIT: &[(u32, &str)] = &[
    (158, "TOO_MANY_ROWS"),
    (159, "TIMEOUT_EXCEEDED"),
    (160, "TOO_SLOW"),
    (241, "MEMORY_LIMIT_EXCEEDED"),
    (307, "TOO_MANY_BYTES"),
    (396, "TOO_MANY_ROWS_OR_BYTES"),
];

/// A failed read: over a limit is the caller's query being too wide (its text never reaches the
/// caller); anything else is ours.
pub fn failed(error: clickhouse::error::Error) -> ApiError {
    if let clickhouse::error::Error::BadResponse(text) = &error {
        if platform::clickhouse::errors::is_one_of(text, OVER_LIMIT) {
            tracing::warn!(cause = %text, "dashboard query stopped at its limit");
            return ApiError::query_too_expensive();
        }
    }
    ApiError::internal(error)
}

/// The one tenant condition every analytics read carries: the project, and the property when one
/// is asked for.
pub const TENANT: &str =
    "project_id = {project:String} AND ({property:Int64} = 0 OR property_id = {property:Int64})";

/// Rows of the project (and property) within the window, by a table's time column.
pub fn scope(time: &str) -> String {
    let bound = if time == "hour" {
        // Hour rows start on the hour; the window's bounds are whole hours when a rollup answers.
        "hour >= toDateTime(intDiv({from:Int64}, 1000)) AND hour < toDateTime(intDiv({to:Int64}, 1000))".to_owned()
    } else {
        format!(
            "{time} >= fromUnixTimestamp64Milli({{from:Int64}}) AND {time} < fromUnixTimestamp64Milli({{to:Int64}})"
        )
    };
    format!("{TENANT} AND {bound}")
}

/// Distinct counts the API gives as approximate (visitors, sessions): `uniqCombined` with 2^12
/// cells, the state type of migration 0010's rollups, so raw rows and rollups estimate alike
/// (exact for small sets, HyperLogLog beyond; README, "Dashboards at scale").
pub fn distinct_if(column: &str, cond: &str) -> String {
    format!("uniqCombinedIf(12)({column}, {cond})")
}

/// [`distinct_if`]'s states merged.
pub fn distinct_merge(state: &str) -> String {
    format!("uniqCombinedMerge(12)({state})")
}

/// [`distinct_merge`] over the rows matching `cond`.
pub fn distinct_merge_if(state: &str, cond: &str) -> String {
    format!("uniqCombinedMergeIf(12)({state}, {cond})")
}

/// Rollup rows covering a window of whole hours, each hour once: `daily` rows (time column
/// `day`) for the UTC days wholly inside the window and wholly within their retention, `hourly`
/// rows (`hour`) for every other hour. `columns` are selected from both (they name the columns
/// alike), `filter` (` AND …`) applies to both. Binds the days' bounds into `q`.
pub fn hours_and_days(
    q: &mut Query,
    window: &Window,
    hourly: &str,
    daily: &str,
    columns: &str,
    filter: &str,
) -> String {
    let (start, end) = window.whole_utc_days();
    q.bind("days_from", Param::Int(start.timestamp()));
    q.bind("days_to", Param::Int(end.timestamp()));
    format!(
        "SELECT {columns} FROM {hourly} WHERE {} AND {}{filter} \
           AND (hour < toDateTime({{days_from:Int64}}) OR hour >= toDateTime({{days_to:Int64}}) \
                OR toStartOfDay(hour) < now() - toIntervalDay(retention_days)) \
         UNION ALL \
         SELECT {columns} FROM {daily} WHERE {TENANT} \
           AND day >= toDateTime({{days_from:Int64}}) AND day < toDateTime({{days_to:Int64}}) \
           AND {}{filter}",
        scope("hour"),
        retained("hour"),
        retained("day"),
    )
}

/// A row's AI source if the project tracks it, else ''.
pub const AI_SOURCE: &str =
    "if(has({ai:Array(String)}, toString(ai_source)), toString(ai_source), '')";

/// [`AI_SOURCE`] over another column of the same meaning (a conversion's attributed sources).
pub fn ai_source_of(column: &str) -> String {
    format!("if(has({{ai:Array(String)}}, toString({column})), toString({column}), '')")
}

/// Which table a filter reads: raw events carry every dimension, `traffic_hourly` only class and
/// AI source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Events,
    TrafficRollup,
}

/// The filter clauses (` AND …`) for `source`, binding each filter's value.
pub fn filters(q: &mut Query, f: &Filters, source: Source) -> String {
    let mut out = String::new();
    let mut eq = |name: &'static str, column: &str, value: &Option<String>| {
        if let Some(v) = value {
            out.push_str(&format!(" AND {column} = {{{name}:String}}"));
            q.bind(name, Param::Text(v.clone()));
        }
    };
    eq("f_class", "agent_class", &f.class);
    eq("f_ai_source", AI_SOURCE, &f.ai_source);
    if source == Source::Events {
        eq("f_country", "country", &f.country);
        eq("f_device", "device", &f.device);
        eq("f_browser", "browser", &f.browser);
        if let Some(page) = &f.page {
            out.push_str(" AND (path = {f_page:String} OR url = {f_page:String})");
            q.bind("f_page", Param::Text(page.clone()));
        }
    }
    out
}

/// Rows whose retention has passed are hidden until TTL drops their part.
pub fn retained(time: &str) -> String {
    format!("{time} >= now() - toIntervalDay(retention_days)")
}

/// A bucket expression for `time` in the viewer's zone; the unit comes from a fixed enum.
pub fn bucket(time: &str, unit: &str) -> String {
    format!(
        "toUnixTimestamp(toStartOfInterval(toDateTime({time}), INTERVAL 1 {unit}, {{tz:String}}))"
    )
}

/// The agent classes counted as AI crawlers, as `pages_mv` and `pages_hourly_mv` count them:
/// `agent_class IN (…)`.
pub static AI_CRAWLER_CLASSES: LazyLock<String> =
    LazyLock::new(|| format!("agent_class IN {}", sql_list(&AgentClass::AI)));

/// Events that are pageviews (the tag's; server hits are never pageviews).
pub static PAGEVIEW: LazyLock<String> =
    LazyLock::new(|| format!("event_type = {}", sql_literal(EventType::Pageview)));

/// Pageviews the tag sent: what a page's views count.
pub static TAG_PAGEVIEW: LazyLock<String> = LazyLock::new(|| {
    format!(
        "source = {} AND {}",
        sql_literal(EventSource::Tag),
        *PAGEVIEW
    )
});

/// Events the classifier took for a person's (a browser-looking visitor; datacenter ones too).
pub static HUMAN: LazyLock<String> =
    LazyLock::new(|| format!("agent_class = {}", sql_literal(AgentClass::Human)));

/// Server-side hits (crawlers are seen there, never by the tag).
pub static SERVER_HIT: LazyLock<String> =
    LazyLock::new(|| format!("source = {}", sql_literal(EventSource::Server)));

/// Per-page counts in the window, grouped by `key` (`url` or `path`): views, ai_crawler_hits,
/// ai_referrals, path, content_type, first_at, last_at — from `pages_hourly` when the hourly
/// rollup fits the window, else from raw events with the rollup view's own expressions.
pub fn page_counts(rollup: bool, key: &str) -> String {
    let path = if key == "path" {
        ""
    } else {
        "any(path) AS path, "
    };
    if rollup {
        format!(
            "SELECT {key}, {path}anyLast(content_type) AS content_type, \
               sum(views) AS views, sum(ai_crawler_hits) AS ai_crawler_hits, \
               sum(ai_referrals) AS ai_referrals, min(hour) AS first_at, max(hour) AS last_at \
             FROM pages_hourly WHERE {} AND {} GROUP BY {key}",
            scope("hour"),
            retained("hour")
        )
    } else {
        format!(
            "SELECT {key}, {path}anyLast(content_type) AS content_type, \
               countIf({views}) AS views, \
               countIf({server} AND {ai_classes}) AS ai_crawler_hits, \
               countIf({views} AND ai_source != '') AS ai_referrals, \
               min(ts) AS first_at, max(ts) AS last_at \
             FROM events WHERE {} AND {} GROUP BY {key}",
            scope("ts"),
            retained("ts"),
            views = *TAG_PAGEVIEW,
            server = *SERVER_HIT,
            ai_classes = *AI_CRAWLER_CLASSES,
        )
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::StatusCode;
    use clickhouse::error::Error;

    use super::*;

    fn bad(text: &str) -> ApiError {
        failed(Error::BadResponse(text.into()))
    }

    #[test]
    fn a_query_stopped_at_a_limit_is_too_expensive_and_shows_no_engine_text() {
        for text in [
            "Code: 159. DB::Exception: Timeout exceeded: elapsed 10.2 seconds, maximum: 10. (TIMEOUT_EXCEEDED) (version 24.10.1.2812 (official build))",
            "Code: 241. DB::Exception: Memory limit (for query) exceeded: would use 2.00 GiB (attempt to allocate chunk of 4 MiB), maximum: 2.00 GiB. (MEMORY_LIMIT_EXCEEDED)",
            "Code: 158. DB::Exception: Limit for rows (controlled by 'max_rows_to_read' setting) exceeded. (TOO_MANY_ROWS)",
            "Code: 396. DB::Exception: Limit for result exceeded. (TOO_MANY_ROWS_OR_BYTES)",
            // The status line only, when the body could not be read.
            "Code: 241",
            "DB::Exception: Memory limit (total) exceeded (MEMORY_LIMIT_EXCEEDED)",
        ] {
            let error = bad(text);
            assert_eq!(
                (error.status, error.code),
                (StatusCode::SERVICE_UNAVAILABLE, "query_too_expensive"),
                "{text}"
            );
            assert!(error.message.contains("narrow"), "{}", error.message);
            assert!(!error.message.contains("DB::"), "{}", error.message);
        }
    }

    #[test]
    fn other_failures_stay_internal() {
        for error in [
            bad("Code: 60. DB::Exception: Unknown table expression identifier 'events'. (UNKNOWN_TABLE)"),
            bad("Code: 1590. DB::Exception: made up"),
            failed(Error::Network("connection refused".into())),
            failed(Error::TimedOut),
        ] {
            assert_eq!(error.code, "unavailable", "{error}");
            assert!(!error.message.contains("DB::"));
        }
    }

    #[test]
    fn the_bounds_are_what_the_server_is_told() {
        assert_eq!(
            QueryBounds::default().max_memory_bytes,
            2 * 1024 * 1024 * 1024
        );
    }
}
