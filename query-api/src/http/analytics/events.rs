//! Events dashboard: totals, a time series in the viewer's zone, and breakdowns by country,
//! device, browser, OS, agent class, AI source and event name. Hourly rollups answer whenever
//! they can (see `Window::hourly_rollup_fits` and the filters they carry); otherwise raw events.

use actix_web::{web, HttpResponse};
use serde_json::{json, Map, Value};

use super::request::{Dashboard, DashboardQuery};
use super::series::fill;
use super::sql::{bucket, field, filters, retained, scope, Param, Query, Source, AI_SOURCE};
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
            "countIfMerge(pageviews)",
            "uniqMerge(visitors)",
            "uniqMerge(sessions)",
            "hour",
        )
    } else {
        (
            "count()",
            "countIf(event_type = 'pageview')",
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
        .sql(format!("SELECT {measures} FROM {table} WHERE {where_}"))
        .one(ch)
        .await?;
    let series = q
        .clone()
        .sql(format!(
            "SELECT {} AS t, {measures} FROM {table} WHERE {where_} GROUP BY t ORDER BY t",
            bucket(time, unit)
        ))
        .rows(ch)
        .await?;

    let mut breakdowns = Map::new();
    for (name, column, dimension) in DIMENSIONS {
        let rows = if d.filters.is_empty() && d.window.hourly_rollup_fits() {
            let mut b = Query::scoped(&d);
            b.bind("dimension", Param::Text(dimension.to_owned()));
            // Disabled AI sources fold into '' like in raw events.
            let value = if name == "ai_source" {
                "if(has({ai:Array(String)}, toString(value)), toString(value), '')"
            } else {
                "toString(value)"
            };
            b.sql(format!(
                "SELECT {value} AS value, toUInt64(sum(events)) AS events, \
                 toUInt64(uniqMerge(visitors)) AS visitors \
                 FROM breakdown_hourly WHERE {} AND {} AND dimension = {{dimension:String}} \
                 GROUP BY value ORDER BY events DESC, value LIMIT {{limit:Int64}}",
                scope("hour"),
                retained("hour"),
            ))
            .rows(ch)
            .await?
        } else {
            let mut b = Query::scoped(&d);
            let f = filters(&mut b, &d.filters, Source::Events);
            b.sql(format!(
                "SELECT toString({column}) AS value, count() AS events, \
                 uniqIf(visitor_id, visitor_id != '') AS visitors \
                 FROM events WHERE {} AND {}{f} \
                 GROUP BY value ORDER BY events DESC, value LIMIT {{limit:Int64}}",
                scope("ts"),
                retained("ts"),
            ))
            .rows(ch)
            .await?
        };
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
