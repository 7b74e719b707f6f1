//! Which sessions a dashboard request covers: sessions opened in the window, with the session's
//! own AI source filter, and — for filters on event dimensions (country, device, browser, class,
//! page) — only sessions that have a matching event.

use super::request::{Dashboard, Filters};
use super::sql::{ai_source_of, filters, scope, Param, Query, Source};

/// The `WHERE` condition over rows keyed by session (`sessions FINAL` by `opened_at`,
/// `ai_referrals` by `ts`) for `d`, binding into `q`.
pub fn condition(q: &mut Query, d: &Dashboard, time: &str, ai_column: &str) -> String {
    let mut out = scope(time);
    if let Some(source) = &d.filters.ai_source {
        out.push_str(&format!(
            " AND {} = {{s_ai_source:String}}",
            ai_source_of(ai_column)
        ));
        q.bind("s_ai_source", Param::Text(source.clone()));
    }
    let on_events = Filters {
        ai_source: None,
        ..d.filters.clone()
    };
    if !on_events.is_empty() {
        let f = filters(q, &on_events, Source::Events);
        out.push_str(&format!(
            " AND session_id IN (SELECT session_id FROM events WHERE {}{f})",
            scope("ts")
        ));
    }
    out
}
