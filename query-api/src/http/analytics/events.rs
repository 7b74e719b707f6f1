//! Events dashboard: totals, a time series in the viewer's zone, and breakdowns by country,
//! device, browser, OS, agent class, AI source and event name. Hourly rollups answer whenever
//! they can (see `Window::hourly_rollup_fits` and the filters they carry); otherwise raw events.

use actix_web::{web, HttpResponse};
use serde_json::{json, Map, Value};

use super::request::{Dashboard, DashboardQuery};
use super::series::fill;
use super::sql::{
    bucket, field, filters, retained, scope, Param, Query, Source, AI_SOURCE, PAGEVIEW,
};
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

/// (name in the response, the `events` column, the `breakdown_hourly` dimension)
const DIMENSIONS: [(&str, &str, &str); 7] = [
    ("country", "country", "country"),
    ("device", "device", "device"),
    ("browser", "browser", "browser"),
    ("os", "os", "os"),
    ("class", "agent_class", "class"),
    ("ai_source", AI_SOURCE, "ai_source"),
    ("event", "if(name != '', name, event_type)", "event"),
];

pub async fn report(
    principal: Principal,
    path: web::Path<String>,
    query: web::Query<DashboardQuery>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let d = Dashboard::resolve(&principal, &path, query.into_inner(), &state)?;
    let ch = &state.clickhouse;
    let rollup = d.window.hourly_rollup_fits() && d.filters.only_class_and_source();
    let unit = d.window.interval.unit();

    let mut q = Query::scoped(&d);
    let (table, where_) = if rollup {
        let f = filters(&mut q, &d.filters, Source::TrafficRollup);
        (
            "traffic_hourly",
            format!("{} AND {}{f}", scope("hour"), retained("hour")),
        )
    } else {
        let f = filters(&mut q, &d.filters, Source::Events);
        (
            "events",
            format!("{} AND {}{f}", scope("ts"), retained("ts")),
        )
    };
    let (events, pageviews, visitors, sessions, time) = if rollup {
        (
            "countMerge(events)",
            "countIfMerge(pageviews)".to_owned(),
            "uniqMerge(visitors)",
            "uniqMerge(sessions)",
            "hour",
        )
    } else {
        (
            "count()",
            format!("countIf({})", *PAGEVIEW),
            "uniqIf(visitor_id, visitor_id != '')",
            "uniqIf(session_id, session_id != '')",
            "ts",
        )
    };
    let measures = format!(
        "toUInt64({events}) AS events, toUInt64({pageviews}) AS pageviews, \
         toUInt64({visitors}) AS visitors, toUInt64({sessions}) AS sessions"
    );
    let totals = q
        .clone()
        .sql(format!("SELECT {measures} FROM {table} WHERE {where_}"));
    let series = q.clone().sql(format!(
        "SELECT {} AS t, {measures} FROM {table} WHERE {where_} GROUP BY t ORDER BY t",
        bucket(time, unit)
    ));
    // Every dimension in one pass: one row per (dimension, value), top `limit` per dimension.
    let breakdown = if d.filters.is_empty() && d.window.hourly_rollup_fits() {
        let mut b = Query::scoped(&d);
        b.bind(
            "dimensions",
            Param::List(
                DIMENSIONS
                    .iter()
                    .map(|(_, _, dim)| (*dim).to_owned())
                    .collect(),
            ),
        );
        // Disabled AI sources fold into '' like in raw events.
        b.sql(format!(
            "SELECT toString(dimension) AS dimension,                if(dimension = 'ai_source' AND NOT has({{ai:Array(String)}}, toString(value)), '', toString(value)) AS value,                toUInt64(sum(events)) AS events, toUInt64(uniqMerge(visitors)) AS visitors              FROM breakdown_hourly WHERE {} AND {} AND has({{dimensions:Array(String)}}, toString(dimension))              GROUP BY dimension, value ORDER BY dimension, events DESC, value              LIMIT {{limit:Int64}} BY dimension",
            scope("hour"),
            retained("hour"),
        ))
    } else {
        let mut b = Query::scoped(&d);
        let f = filters(&mut b, &d.filters, Source::Events);
        let pairs: Vec<String> = DIMENSIONS
            .iter()
            .map(|(_, column, dim)| format!("('{dim}', toString({column}))"))
            .collect();
        b.sql(format!(
            "SELECT dim.1 AS dimension, dim.2 AS value, count() AS events,                uniqIf(visitor_id, visitor_id != '') AS visitors              FROM events ARRAY JOIN [{}] AS dim WHERE {} AND {}{f}              GROUP BY dimension, value ORDER BY dimension, events DESC, value              LIMIT {{limit:Int64}} BY dimension",
            pairs.join(", "),
            scope("ts"),
            retained("ts"),
        ))
    };
    let (totals, series, breakdown) =
        futures::try_join!(totals.one(ch), series.rows(ch), breakdown.rows(ch))?;

    let mut breakdowns = Map::new();
    for (name, _, dimension) in DIMENSIONS {
        let rows: Vec<Value> = breakdown
            .iter()
            .filter(|r| r["dimension"] == dimension)
            .map(|r| json!({ "value": r["value"], "events": r["events"], "visitors": r["visitors"] }))
            .collect();
        breakdowns.insert(name.to_owned(), Value::Array(rows));
    }

    Ok(HttpResponse::Ok().json(json!({
        "window": super::series::window_json(&d.window),
        "served_from": if rollup { "rollup" } else { "events" },
        "totals": {
            "events": field(&totals, "events"),
            "pageviews": field(&totals, "pageviews"),
            "visitors": field(&totals, "visitors"),
            "sessions": field(&totals, "sessions"),
        },
        "series": fill(&d.window, &series, &["events", "pageviews", "visitors", "sessions"]),
        "breakdowns": breakdowns,
    })))
}
