//! Crawlers dashboard: AI crawler hits by operator, agent, class, verification and status code,
//! their top pages, and the crawl-to-referral ratio (crawler hits ÷ AI referral visits) per
//! operator and per page — how much an assistant reads compared with how many visitors it sends.

use actix_web::{web, HttpResponse};
use schemas::vocab::{Verification, Vocabulary};
use serde_json::{json, Map, Value};

use super::request::{Dashboard, DashboardQuery};
use super::series::fill;
use super::sql::{bucket, count_where, page_counts, scope, Param, Query, AI_CRAWLER_CLASSES};
use crate::ai_catalog::OPERATOR_ASSISTANTS;
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

/// (response key, column) of the breakdowns; both tables name the columns alike.
const BREAKDOWNS: [(&str, &str); 5] = [
    ("operator", "agent_operator"),
    ("agent", "agent_name"),
    ("class", "agent_class"),
    ("verification", "verification"),
    ("status", "toString(status)"),
];

fn ratio(hits: u64, referrals: u64) -> Value {
    if referrals == 0 {
        Value::Null
    } else {
        json!((hits as f64 / referrals as f64 * 100.0).round() / 100.0)
    }
}

pub async fn report(
    principal: Principal,
    path: web::Path<String>,
    query: web::Query<DashboardQuery>,
    state: web::Data<ApiState>,
) -> Result<HttpResponse, ApiError> {
    let d = Dashboard::resolve(&principal, &path, query.into_inner(), &state)?;
    let ch = &state.clickhouse;
    let rollup = d.window.hourly_rollup_fits() && d.filters.page.is_none();
    let mut q = Query::scoped(&d);
    let class = match &d.filters.class {
        Some(c) => {
            q.bind("f_class", Param::Text(c.clone()));
            "agent_class = {f_class:String}".to_owned()
        }
        None => AI_CRAWLER_CLASSES.clone(),
    };
    let (table, time, hits) = if rollup {
        ("crawler_agents_hourly", "hour", "sum(hits)")
    } else {
        ("crawler_hits", "ts", "count()")
    };
    let mut where_ = format!(
        "{} AND {time} >= now() - toIntervalDay(retention_days) AND {class}",
        scope(time)
    );
    if let Some(page) = &d.filters.page {
        where_.push_str(" AND path = {f_page:String}");
        q.bind("f_page", Param::Text(page.clone()));
    }

    let totals = q.clone().sql(format!(
        "SELECT toUInt64({hits}) AS hits FROM {table} WHERE {where_}"
    ));
    let series = q.clone().sql(format!(
        "SELECT {} AS t, toUInt64({hits}) AS hits FROM {table} WHERE {where_} GROUP BY t ORDER BY t",
        bucket(time, d.window.interval.unit())
    ));
    // Every breakdown in one pass, top `limit` values each.
    let pairs: Vec<String> = BREAKDOWNS
        .iter()
        .map(|(name, column)| format!("('{name}', toString({column}))"))
        .collect();
    let breakdown = q.clone().sql(format!(
        "SELECT b.1 AS breakdown, b.2 AS value, toUInt64({hits}) AS hits \
         FROM {table} ARRAY JOIN [{}] AS b WHERE {where_} \
         GROUP BY breakdown, value ORDER BY breakdown, hits DESC, value \
         LIMIT {{limit:Int64}} BY breakdown",
        pairs.join(", ")
    ));
    // Per operator: its hits against the visits its assistant sent (only enabled assistants).
    let referrals = Query::scoped(&d).sql(format!(
        "SELECT toString(ai_source) AS source, count() AS visits FROM ai_referrals \
         WHERE {} AND has({{ai:Array(String)}}, toString(ai_source)) GROUP BY source",
        scope("ts")
    ));
    // Per page, from the hourly page rollup when it fits, else raw events.
    let counts = page_counts(d.window.hourly_rollup_fits(), "path");
    let pages = Query::scoped(&d)
        .sql(format!(
            "SELECT path, toUInt64(ai_crawler_hits) AS crawler_hits, toUInt64(ai_referrals) AS referral_visits \
             FROM ({counts}) WHERE crawler_hits > 0 \
             ORDER BY crawler_hits DESC, path LIMIT {{limit:Int64}}"
        ))
        ;
    let (totals, series, breakdown, referrals, pages) = futures::try_join!(
        totals.one(ch),
        series.rows(ch),
        breakdown.rows(ch),
        referrals.rows(ch),
        pages.rows(ch)
    )?;
    let mut breakdowns = Map::new();
    for (name, _) in BREAKDOWNS {
        let rows: Vec<Value> = breakdown
            .iter()
            .filter(|r| r["breakdown"] == name)
            .map(|r| json!({ "value": r["value"], "hits": r["hits"] }))
            .collect();
        breakdowns.insert(name.to_owned(), Value::Array(rows));
    }
    let verified = |v: Verification| -> u64 {
        breakdowns["verification"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter(|r| r["value"] == v.as_str())
            .filter_map(|r| r["hits"].as_u64())
            .sum()
    };
    let visits_of = |source: &str| count_where(&referrals, "source", source, "visits");
    let by_operator: Vec<Value> = breakdowns["operator"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|row| {
            let operator = row["value"].as_str().unwrap_or_default();
            let hits = row["hits"].as_u64().unwrap_or(0);
            let assistant = OPERATOR_ASSISTANTS
                .iter()
                .find(|(op, _)| *op == operator)
                .map(|(_, a)| *a)
                .filter(|a| d.ai_sources.contains(a));
            let visits = assistant.map_or(0, visits_of);
            json!({
                "operator": operator,
                "assistant": assistant,
                "crawler_hits": hits,
                "referral_visits": visits,
                "crawl_to_referral": if assistant.is_some() { ratio(hits, visits) } else { Value::Null },
            })
        })
        .collect();

    let pages: Vec<Value> = pages
        .into_iter()
        .map(|mut p| {
            let hits = p["crawler_hits"].as_u64().unwrap_or(0);
            let visits = p["referral_visits"].as_u64().unwrap_or(0);
            p["crawl_to_referral"] = ratio(hits, visits);
            p
        })
        .collect();

    Ok(HttpResponse::Ok().json(json!({
        "window": super::series::window_json(&d.window),
        "served_from": if rollup { "rollup" } else { "events" },
        "totals": {
            "hits": totals.get("hits").cloned().unwrap_or(json!(0)),
            "verified": verified(Verification::Verified),
            "spoofed": verified(Verification::Spoofed),
            "unverifiable": verified(Verification::Unverifiable),
        },
        "series": fill(&d.window, &series, &["hits"]),
        "breakdowns": breakdowns,
        "crawl_to_referral": { "by_operator": by_operator, "by_page": pages },
    })))
}
