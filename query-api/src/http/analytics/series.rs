//! Chart-shaped time series: every bucket of the window, in order, labelled in the viewer's zone,
//! zeros where nothing happened.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::window::Window;

/// `rows` carry `t` (bucket start, epoch seconds) and the `measures`.
pub fn fill(window: &Window, rows: &[Value], measures: &[&str]) -> Vec<Value> {
    let by_start: HashMap<i64, &Value> = rows
        .iter()
        .filter_map(|r| r.get("t").and_then(Value::as_i64).map(|t| (t, r)))
        .collect();
    window
        .buckets()
        .into_iter()
        .map(|start| {
            let row = by_start.get(&start.timestamp());
            let mut point = Map::new();
            point.insert("t".into(), Value::String(window.label(start)));
            for m in measures {
                let v = row
                    .and_then(|r| r.get(*m))
                    .cloned()
                    .unwrap_or(Value::from(0));
                point.insert((*m).to_owned(), v);
            }
            Value::Object(point)
        })
        .collect()
}

pub fn window_json(window: &Window) -> Value {
    json!({
        "from": window.label(window.from),
        "to": window.label(window.to),
        "tz": window.tz_name(),
        "interval": window.interval,
    })
}
