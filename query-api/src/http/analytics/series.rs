//! What every dashboard answer shares: the window it covers, which tables answered, and
//! chart-shaped time series — every bucket of the window, in order, labelled in the viewer's
//! zone, zeros where nothing happened.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::window::{Interval, Window};

/// The window as the viewer reads it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportWindow {
    /// RFC 3339 with the viewer's offset.
    pub from: String,
    pub to: String,
    pub tz: &'static str,
    pub interval: Interval,
    /// Each bucket is a day in `tz`: charts label the buckets by date.
    pub day_buckets: bool,
}

impl From<&Window> for ReportWindow {
    fn from(window: &Window) -> Self {
        ReportWindow {
            from: window.label(window.from),
            to: window.label(window.to),
            tz: window.tz_name(),
            interval: window.interval,
            day_buckets: window.interval == Interval::Day,
        }
    }
}

/// Which tables answered: the hourly rollups when they are exact for the request, else raw rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServedFrom {
    Rollup,
    Events,
}

impl ServedFrom {
    pub fn rollup_if(rollup: bool) -> Self {
        if rollup {
            ServedFrom::Rollup
        } else {
            ServedFrom::Events
        }
    }
}

/// A series row as a query returns it: the bucket start (epoch seconds) and its measures.
#[derive(Debug, Deserialize)]
pub struct Bucket<M> {
    pub t: i64,
    #[serde(flatten)]
    pub measures: M,
}

/// A point of a chart: the bucket start in the viewer's zone and its measures.
#[derive(Debug, Serialize, ToSchema)]
pub struct Point<M> {
    /// RFC 3339 with the viewer's offset.
    pub t: String,
    #[serde(flatten)]
    pub measures: M,
}

/// Every bucket of the window with its row's measures, `empty` where no row is.
pub fn fill<M: Clone>(window: &Window, rows: Vec<Bucket<M>>, empty: &M) -> Vec<Point<M>> {
    let mut by_start: HashMap<i64, M> = rows.into_iter().map(|r| (r.t, r.measures)).collect();
    window
        .buckets()
        .into_iter()
        .map(|start| Point {
            t: window.label(start),
            measures: by_start
                .remove(&start.timestamp())
                .unwrap_or_else(|| empty.clone()),
        })
        .collect()
}
