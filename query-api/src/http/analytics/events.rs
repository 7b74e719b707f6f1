//! Events dashboard: totals, a time series in the viewer's zone, and breakdowns by country,
//! device, browser, OS, agent class, AI source and event name. Hourly rollups answer whenever
//! they can (see `Window::hourly_rollup_fits` and the filters they carry); otherwise raw events.

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::request::{Dashboard, DashboardQuery};
use super::series::{fill, Bucket, Point, ReportWindow, ServedFrom};
use super::sql::{
    bucket, filters, retained, scope, Param, Query, Source, AI_SOURCE, HUMAN, PAGEVIEW,
};
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

/// What the totals and every point of the series count.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
pub struct Traffic {
    pub events: u64,
    pub pageviews: u64,
    /// Every distinct visitor, people's and agents'.
    pub visitors: u64,
    pub sessions: u64,
    /// Distinct human visitors, less those from datacenter networks: the people.
    pub human_visitors: u64,
    /// Distinct browser-looking visitors from datacenter networks (clouds, hosters): counted
    /// apart from `human_visitors`, as cloud browsers and scrapers look like people.
    pub datacenter_visitors: u64,
}

/// One value of a dimension: its events and distinct visitors.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct BreakdownValue {
    /// `""` when the events carry none.
    pub value: String,
    pub events: u64,
    pub visitors: u64,
}

/// The top values of each dimension, most events first.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct EventBreakdowns {
    pub country: Vec<BreakdownValue>,
    pub device: Vec<BreakdownValue>,
    pub browser: Vec<BreakdownValue>,
    pub os: Vec<BreakdownValue>,
    /// Agent class: human or the kind of bot.
    pub class: Vec<BreakdownValue>,
    /// Enabled AI sources only; others fold into `""`.
    pub ai_source: Vec<BreakdownValue>,
    /// The custom event's name, else the event type.
    pub event: Vec<BreakdownValue>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventsReport {
    pub window: ReportWindow,
    pub served_from: ServedFrom,
    pub totals: Traffic,
    pub series: Vec<Point<Traffic>>,
    pub breakdowns: EventBreakdowns,
}

#[derive(Debug, Deserialize)]
struct DimensionValue {
    dimension: String,
    #[serde(flatten)]
    value: BreakdownValue,
}

/// Where a dimension's values go in the answer.
type Slot = fn(&mut EventBreakdowns) -> &mut Vec<BreakdownValue>;

/// (the `events` column, the `breakdown_hourly` dimension, its list in the answer)
const DIMENSIONS: [(&str, &str, Slot); 7] = [
    ("country", "country", |b| &mut b.country),
    ("device", "device", |b| &mut b.device),
    ("browser", "browser", |b| &mut b.browser),
    ("os", "os", |b| &mut b.os),
    ("agent_class", "class", |b| &mut b.class),
    (AI_SOURCE, "ai_source", |b| &mut b.ai_source),
    ("if(name != '', name, event_type)", "event", |b| {
        &mut b.event
    }),
];

pub async fn report(
    principal: Principal,
    path: web::Path<String>,
    query: web::Query<DashboardQuery>,
    state: web::Data<ApiState>,
) -> Result<web::Json<EventsReport>, ApiError> {
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
    let human = &*HUMAN;
    let (events, pageviews, visitors, sessions, people, datacenter, time) = if rollup {
        (
            "countMerge(events)",
            "countIfMerge(pageviews)".to_owned(),
            "uniqMerge(visitors)",
            "uniqMerge(sessions)",
            format!("uniqMergeIf(non_datacenter_visitors, {human})"),
            format!("uniqMergeIf(datacenter_visitors, {human})"),
            "hour",
        )
    } else {
        (
            "count()",
            format!("countIf({})", *PAGEVIEW),
            "uniqIf(visitor_id, visitor_id != '')",
            "uniqIf(session_id, session_id != '')",
            format!("uniqIf(visitor_id, visitor_id != '' AND {human} AND NOT datacenter)"),
            format!("uniqIf(visitor_id, visitor_id != '' AND {human} AND datacenter)"),
            "ts",
        )
    };
    let measures = format!(
        "toUInt64({events}) AS events, toUInt64({pageviews}) AS pageviews, \
         toUInt64({visitors}) AS visitors, toUInt64({sessions}) AS sessions, \
         toUInt64({people}) AS human_visitors, toUInt64({datacenter}) AS datacenter_visitors"
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
                    .map(|(_, dim, _)| (*dim).to_owned())
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
            .map(|(column, dim, _)| format!("('{dim}', toString({column}))"))
            .collect();
        b.sql(format!(
            "SELECT dim.1 AS dimension, dim.2 AS value, count() AS events,                uniqIf(visitor_id, visitor_id != '') AS visitors              FROM events ARRAY JOIN [{}] AS dim WHERE {} AND {}{f}              GROUP BY dimension, value ORDER BY dimension, events DESC, value              LIMIT {{limit:Int64}} BY dimension",
            pairs.join(", "),
            scope("ts"),
            retained("ts"),
        ))
    };
    let (totals, series, breakdown) = futures::try_join!(
        totals.one::<Traffic>(ch),
        series.rows::<Bucket<Traffic>>(ch),
        breakdown.rows::<DimensionValue>(ch)
    )?;

    let mut breakdowns = EventBreakdowns::default();
    for row in breakdown {
        if let Some((_, _, slot)) = DIMENSIONS.iter().find(|(_, dim, _)| *dim == row.dimension) {
            slot(&mut breakdowns).push(row.value);
        }
    }

    Ok(web::Json(EventsReport {
        window: ReportWindow::from(&d.window),
        served_from: ServedFrom::rollup_if(rollup),
        totals,
        series: fill(&d.window, series, &Traffic::default()),
        breakdowns,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dimension_has_its_own_list_in_the_answer() {
        let mut breakdowns = EventBreakdowns::default();
        for (n, (_, dimension, slot)) in DIMENSIONS.iter().enumerate() {
            slot(&mut breakdowns).extend(std::iter::repeat_n(
                BreakdownValue {
                    value: (*dimension).to_owned(),
                    events: 0,
                    visitors: 0,
                },
                n + 1,
            ));
        }
        let json = serde_json::to_value(&breakdowns).unwrap();
        let lists = json.as_object().unwrap();
        assert_eq!(lists.len(), DIMENSIONS.len());
        for (n, (_, dimension, _)) in DIMENSIONS.iter().enumerate() {
            assert_eq!(
                lists[*dimension].as_array().unwrap().len(),
                n + 1,
                "{dimension}"
            );
        }
    }
}
