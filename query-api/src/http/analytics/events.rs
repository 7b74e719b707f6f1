//! Events dashboard: totals, a time series in the viewer's zone, and breakdowns by country,
//! device, browser, OS, agent class, AI source and event name. Rollups answer whenever they can
//! (see `Window::hourly_rollup_fits` and the filters they carry) — daily rows for the window's
//! whole UTC days, hourly rows for its edges and for the series; otherwise raw events. Counts are
//! exact; distinct visitors and sessions are estimates (`sql::distinct_if`), the same whichever
//! table answers.

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::request::{Dashboard, DashboardQuery};
use super::series::{fill, Bucket, Point, ReportWindow, ServedFrom};
use super::sql::{
    bucket, distinct_if, distinct_merge, distinct_merge_if, filters, hours_and_days, retained,
    scope, Param, Query, Source, AI_SOURCE, HUMAN, PAGEVIEW,
};
use crate::http::auth::principal::Principal;
use crate::http::error::ApiError;
use crate::http::state::ApiState;

/// What the totals and every point of the series count.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
pub struct Traffic {
    /// Exact.
    pub events: u64,
    /// Exact.
    pub pageviews: u64,
    /// Every distinct visitor, people's and agents'. Approximate: exact for small counts, within
    /// 5 % beyond (HyperLogLog).
    pub visitors: u64,
    /// Distinct sessions. Approximate like `visitors`.
    pub sessions: u64,
    /// Distinct human visitors, less those from datacenter networks: the people. Approximate
    /// like `visitors`.
    pub human_visitors: u64,
    /// Distinct browser-looking visitors from datacenter networks (clouds, hosters): counted
    /// apart from `human_visitors`, as cloud browsers and scrapers look like people.
    /// Approximate like `visitors`.
    pub datacenter_visitors: u64,
}

/// One value of a dimension: its events and distinct visitors.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct BreakdownValue {
    /// `""` when the events carry none.
    pub value: String,
    /// Exact.
    pub events: u64,
    /// Distinct visitors. Approximate: exact for small counts, within 5 % beyond (HyperLogLog).
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
    let human = &*HUMAN;
    let with_visitor = "visitor_id != ''";
    let measures = if rollup {
        format!(
            "toUInt64(sum(events)) AS events, toUInt64(sum(pageviews)) AS pageviews, \
             toUInt64({}) AS visitors, toUInt64({}) AS sessions, \
             toUInt64({}) AS human_visitors, toUInt64({}) AS datacenter_visitors",
            distinct_merge("visitors"),
            distinct_merge("sessions"),
            distinct_merge_if("non_datacenter_visitors", human),
            distinct_merge_if("datacenter_visitors", human),
        )
    } else {
        format!(
            "toUInt64(count()) AS events, toUInt64(countIf({})) AS pageviews, \
             toUInt64({}) AS visitors, toUInt64({}) AS sessions, \
             toUInt64({}) AS human_visitors, toUInt64({}) AS datacenter_visitors",
            *PAGEVIEW,
            distinct_if("visitor_id", with_visitor),
            distinct_if("session_id", "session_id != ''"),
            distinct_if(
                "visitor_id",
                &format!("{with_visitor} AND {human} AND NOT datacenter")
            ),
            distinct_if(
                "visitor_id",
                &format!("{with_visitor} AND {human} AND datacenter")
            ),
        )
    };
    let (totals, series) = if rollup {
        let f = filters(&mut q, &d.filters, Source::TrafficRollup);
        // Totals from daily rows inside the window; the series from hourly rows, as a day in
        // the viewer's zone is not a UTC day unless their offset is zero.
        let rows = hours_and_days(
            &mut q,
            &d.window,
            "traffic_class_hourly",
            "traffic_class_daily",
            "agent_class, events, pageviews, visitors, sessions, datacenter_visitors, \
             non_datacenter_visitors",
            &f,
        );
        let totals = q.clone().sql(format!("SELECT {measures} FROM ({rows})"));
        let series = q.clone().sql(format!(
            "SELECT {} AS t, {measures} FROM traffic_class_hourly WHERE {} AND {}{f} \
             GROUP BY t ORDER BY t",
            bucket("hour", unit),
            scope("hour"),
            retained("hour"),
        ));
        (totals, series)
    } else {
        let f = filters(&mut q, &d.filters, Source::Events);
        let where_ = format!("{} AND {}{f}", scope("ts"), retained("ts"));
        let totals = q
            .clone()
            .sql(format!("SELECT {measures} FROM events WHERE {where_}"));
        let series = q.clone().sql(format!(
            "SELECT {} AS t, {measures} FROM events WHERE {where_} GROUP BY t ORDER BY t",
            bucket("ts", unit)
        ));
        (totals, series)
    };
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
        let rows = hours_and_days(
            &mut b,
            &d.window,
            "breakdown_hourly",
            "breakdown_daily",
            "dimension, value, events, approx_visitors",
            " AND has({dimensions:Array(String)}, toString(dimension))",
        );
        // Disabled AI sources fold into '' like in raw events.
        b.sql(format!(
            "SELECT toString(dimension) AS dimension, \
               if(dimension = 'ai_source' AND NOT has({{ai:Array(String)}}, toString(value)), '', toString(value)) AS value, \
               toUInt64(sum(events)) AS events, toUInt64({}) AS visitors \
             FROM ({rows}) \
             GROUP BY dimension, value ORDER BY dimension, events DESC, value \
             LIMIT {{limit:Int64}} BY dimension",
            distinct_merge("approx_visitors"),
        ))
    } else {
        let mut b = Query::scoped(&d);
        let f = filters(&mut b, &d.filters, Source::Events);
        let pairs: Vec<String> = DIMENSIONS
            .iter()
            .map(|(column, dim, _)| format!("('{dim}', toString({column}))"))
            .collect();
        b.sql(format!(
            "SELECT dim.1 AS dimension, dim.2 AS value, count() AS events, \
               {} AS visitors \
             FROM events ARRAY JOIN [{}] AS dim WHERE {} AND {}{f} \
             GROUP BY dimension, value ORDER BY dimension, events DESC, value \
             LIMIT {{limit:Int64}} BY dimension",
            distinct_if("visitor_id", with_visitor),
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
