//! Crawlers dashboard: AI crawler hits by operator, agent, class, verification and status code,
//! their top pages, and the crawl-to-referral ratio (crawler hits ÷ AI referral visits) per
//! operator and per page — how much an assistant reads compared with how many visitors it sends;
//! with how hits were verified, what agents read, their networks (`crawler_evidence`) and
//! robots.txt compliance (`robots`).

use actix_web::web;
use schemas::vocab::{Verification, Vocabulary};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::crawler_evidence::{self, CrawlerEvidence};
use super::crawler_rows::{HitRows, FACET_FILTER, ROLLUP_COLUMNS};
use super::request::{Dashboard, DashboardQuery};
use super::robots::{self, RobotsCompliance};
use super::series::{fill, Bucket, Point, ReportWindow, ServedFrom};
use super::sql::{
    bucket, hours_and_days, page_counts, retained, scope, Param, Query, AI_CRAWLER_CLASSES,
};
use crate::ai_catalog::assistant_of;
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

/// What the series counts.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
pub struct Hits {
    pub hits: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CrawlerTotals {
    pub hits: u64,
    /// From the operator's published addresses.
    pub verified: u64,
    /// A known agent's name from elsewhere.
    pub spoofed: u64,
    /// The operator publishes no addresses.
    pub unverifiable: u64,
    /// The address was destroyed (its key past the verification window) before it was checked.
    pub unchecked: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct HitsByValue {
    pub value: String,
    pub hits: u64,
}

/// The top values of each breakdown, most hits first.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct CrawlerBreakdowns {
    pub operator: Vec<HitsByValue>,
    pub agent: Vec<HitsByValue>,
    pub class: Vec<HitsByValue>,
    pub verification: Vec<HitsByValue>,
    /// The HTTP status answered.
    pub status: Vec<HitsByValue>,
}

/// An operator's crawler hits against the visits its assistant sent.
#[derive(Debug, Serialize, ToSchema)]
pub struct OperatorRatio {
    pub operator: String,
    /// The operator's assistant when the project counts it.
    pub assistant: Option<&'static str>,
    pub crawler_hits: u64,
    pub referral_visits: u64,
    /// Hits per referral visit (2 decimals); none without an assistant or visits.
    pub crawl_to_referral: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PageRatio {
    pub path: String,
    pub crawler_hits: u64,
    pub referral_visits: u64,
    pub crawl_to_referral: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CrawlToReferral {
    pub by_operator: Vec<OperatorRatio>,
    pub by_page: Vec<PageRatio>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CrawlersReport {
    pub window: ReportWindow,
    pub served_from: ServedFrom,
    pub totals: CrawlerTotals,
    pub series: Vec<Point<Hits>>,
    pub breakdowns: CrawlerBreakdowns,
    pub crawl_to_referral: CrawlToReferral,
    /// Verification methods, what agents read and the networks hits came from.
    pub evidence: CrawlerEvidence,
    /// robots.txt compliance, under the file in force at the time and under the current file.
    pub robots: RobotsCompliance,
}

#[derive(Debug, Deserialize)]
struct BreakdownRow {
    breakdown: String,
    #[serde(flatten)]
    value: HitsByValue,
}

#[derive(Debug, Deserialize)]
struct SourceVisits {
    source: String,
    visits: u64,
}

#[derive(Debug, Deserialize)]
struct PageHits {
    path: String,
    crawler_hits: u64,
    referral_visits: u64,
}

/// Where a breakdown's values go in the answer.
type Slot = fn(&mut CrawlerBreakdowns) -> &mut Vec<HitsByValue>;

/// (name in the query, column, its list in the answer); both tables name the columns alike.
const BREAKDOWNS: [(&str, &str, Slot); 5] = [
    ("operator", "agent_operator", |b| &mut b.operator),
    ("agent", "agent_name", |b| &mut b.agent),
    ("class", "agent_class", |b| &mut b.class),
    ("verification", "verification", |b| &mut b.verification),
    ("status", "toString(status)", |b| &mut b.status),
];

fn ratio(hits: u64, referrals: u64) -> Option<f64> {
    (referrals != 0).then(|| (hits as f64 / referrals as f64 * 100.0).round() / 100.0)
}

pub async fn report(
    principal: Principal,
    path: web::Path<String>,
    query: web::Query<DashboardQuery>,
    state: web::Data<ApiState>,
) -> Result<web::Json<CrawlersReport>, ApiError> {
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
    let mut raw_where = format!("{} AND {} AND {class}", scope("ts"), retained("ts"));
    if let Some(page) = &d.filters.page {
        where_.push_str(" AND path = {f_page:String}");
        raw_where.push_str(" AND path = {f_page:String}");
        q.bind("f_page", Param::Text(page.clone()));
    }
    // Evidence and robots: daily facet rows for whole UTC days, hourly ones for the edges.
    let hit_rows = if rollup {
        HitRows::Rollup(hours_and_days(
            &mut q,
            &d.window,
            "crawler_facets_hourly",
            "crawler_facets_daily",
            ROLLUP_COLUMNS,
            &format!("{FACET_FILTER} AND {class}"),
        ))
    } else {
        HitRows::Raw(raw_where)
    };

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
        .map(|(name, column, _)| format!("('{name}', toString({column}))"))
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
    let (totals, series, breakdown, referrals, pages, evidence, robots) = futures::try_join!(
        totals.one::<Hits>(ch),
        series.rows::<Bucket<Hits>>(ch),
        breakdown.rows::<BreakdownRow>(ch),
        referrals.rows::<SourceVisits>(ch),
        pages.rows::<PageHits>(ch),
        crawler_evidence::evidence(ch, &q, &hit_rows),
        robots::compliance(ch, &q, &hit_rows, d.limit),
    )?;
    let mut breakdowns = CrawlerBreakdowns::default();
    for row in breakdown {
        if let Some((_, _, slot)) = BREAKDOWNS
            .iter()
            .find(|(name, _, _)| *name == row.breakdown)
        {
            slot(&mut breakdowns).push(row.value);
        }
    }
    let verified = |v: Verification| -> u64 {
        breakdowns
            .verification
            .iter()
            .filter(|r| r.value == v.as_str())
            .map(|r| r.hits)
            .sum()
    };
    let visits_of = |source: &str| {
        referrals
            .iter()
            .find(|r| r.source == source)
            .map_or(0, |r| r.visits)
    };
    let by_operator = breakdowns
        .operator
        .iter()
        .map(|row| {
            let assistant = assistant_of(&row.value).filter(|a| d.ai_sources.contains(a));
            let visits = assistant.map_or(0, visits_of);
            OperatorRatio {
                operator: row.value.clone(),
                assistant,
                crawler_hits: row.hits,
                referral_visits: visits,
                crawl_to_referral: assistant.and_then(|_| ratio(row.hits, visits)),
            }
        })
        .collect();
    let by_page = pages
        .into_iter()
        .map(|p| PageRatio {
            crawl_to_referral: ratio(p.crawler_hits, p.referral_visits),
            path: p.path,
            crawler_hits: p.crawler_hits,
            referral_visits: p.referral_visits,
        })
        .collect();

    Ok(web::Json(CrawlersReport {
        window: ReportWindow::from(&d.window),
        served_from: ServedFrom::rollup_if(rollup),
        totals: CrawlerTotals {
            hits: totals.hits,
            verified: verified(Verification::Verified),
            spoofed: verified(Verification::Spoofed),
            unverifiable: verified(Verification::Unverifiable),
            unchecked: verified(Verification::Unchecked),
        },
        series: fill(&d.window, series, &Hits::default()),
        breakdowns,
        crawl_to_referral: CrawlToReferral {
            by_operator,
            by_page,
        },
        evidence,
        robots,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_breakdown_has_its_own_list_in_the_answer() {
        let mut breakdowns = CrawlerBreakdowns::default();
        for (n, (_, _, slot)) in BREAKDOWNS.iter().enumerate() {
            slot(&mut breakdowns).extend(std::iter::repeat_n(
                HitsByValue {
                    value: String::new(),
                    hits: 0,
                },
                n + 1,
            ));
        }
        let json = serde_json::to_value(&breakdowns).unwrap();
        let lists = json.as_object().unwrap();
        assert_eq!(lists.len(), BREAKDOWNS.len());
        for (n, (name, _, _)) in BREAKDOWNS.iter().enumerate() {
            assert_eq!(lists[*name].as_array().unwrap().len(), n + 1, "{name}");
        }
    }
}
