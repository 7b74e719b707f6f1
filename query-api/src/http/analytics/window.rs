//! The time window of a dashboard request: `[from, to)` in UTC, the viewer's IANA time zone and the
//! bucket interval. Buckets are cut in the viewer's zone (a "day" is their midnight to midnight),
//! and every bucket of the window is listed, so an empty range is a series of zeros.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use schemas::vocab::Vocabulary;
use serde::{Deserialize, Serialize};

use crate::http::error::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    Minute,
    Hour,
    Day,
}

impl Vocabulary for Interval {
    const ALL: &'static [Self] = &[Interval::Minute, Interval::Hour, Interval::Day];

    fn as_str(self) -> &'static str {
        match self {
            Interval::Minute => "minute",
            Interval::Hour => "hour",
            Interval::Day => "day",
        }
    }
}

impl Interval {
    /// The ClickHouse unit of `toStartOfInterval`, from a fixed set (never request text): ClickHouse
    /// spells its units as the API spells its intervals.
    pub fn unit(self) -> &'static str {
        self.as_str()
    }
}

/// Default window when the request names none.
const DEFAULT_DAYS: i64 = 7;
/// Longest window: the longest retention (365 days) plus slack for time zones.
const MAX_DAYS: i64 = 400;
/// Minute buckets beyond this would be a chart nobody can read and a heavy query.
const MAX_MINUTE_BUCKETS: i64 = 48 * 60;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub tz: Tz,
    pub interval: Interval,
}

fn invalid(field: &'static str, message: impl std::fmt::Display) -> ApiError {
    ApiError::invalid(field, message)
}

/// RFC 3339 instant, or a calendar date meaning that day's start in `tz` (`end`: the next day's).
fn parse_bound(
    field: &'static str,
    text: &str,
    tz: Tz,
    end: bool,
) -> Result<DateTime<Utc>, ApiError> {
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return Ok(instant.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        invalid(
            field,
            "expected an RFC 3339 time (2026-11-24T10:00:00Z) or a date (2026-11-24)",
        )
    })?;
    let date = if end {
        date.succ_opt().unwrap_or(date)
    } else {
        date
    };
    local_midnight(tz, date)
        .ok_or_else(|| invalid(field, "that date has no midnight in the time zone"))
}

fn local_midnight(tz: Tz, date: NaiveDate) -> Option<DateTime<Utc>> {
    // `earliest` also covers zones whose midnight is skipped or repeated by a DST change.
    tz.from_local_datetime(&date.and_time(NaiveTime::MIN))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

impl Window {
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        tz: Option<&str>,
        interval: Option<Interval>,
        now: DateTime<Utc>,
    ) -> Result<Self, ApiError> {
        let tz: Tz = match tz {
            None => Tz::UTC,
            Some(name) => name
                .parse()
                .map_err(|_| invalid("tz", format!("{name:?} is not an IANA time zone")))?,
        };
        let to = match to {
            Some(text) => parse_bound("to", text, tz, true)?,
            None => now,
        };
        let from = match from {
            Some(text) => parse_bound("from", text, tz, false)?,
            None => to - Duration::days(DEFAULT_DAYS),
        };
        if from >= to {
            return Err(invalid("from", "must be before `to`"));
        }
        if to - from > Duration::days(MAX_DAYS) {
            return Err(invalid(
                "from",
                format!("the window is at most {MAX_DAYS} days"),
            ));
        }
        // Two days on the viewer's clock too: two dates across a DST change span 47 or 49 hours.
        let local = |t: DateTime<Utc>| t.with_timezone(&tz).naive_local();
        let span = (to - from).min(local(to) - local(from));
        let interval = interval.unwrap_or(if span <= Duration::days(2) {
            Interval::Hour
        } else {
            Interval::Day
        });
        if interval == Interval::Minute && (to - from).num_minutes() > MAX_MINUTE_BUCKETS {
            return Err(invalid(
                "interval",
                "minute buckets are for windows of at most 48 hours",
            ));
        }
        Ok(Window {
            from,
            to,
            tz,
            interval,
        })
    }

    pub fn tz_name(&self) -> &'static str {
        self.tz.name()
    }

    /// The start of the bucket holding `t`, in the viewer's zone.
    pub fn bucket_of(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        let local = t.with_timezone(&self.tz);
        match self.interval {
            Interval::Minute => {
                let s = t.timestamp();
                DateTime::from_timestamp(s - s.rem_euclid(60), 0).unwrap_or(t)
            }
            // An hour in the viewer's zone; for zones offset by 30 or 45 minutes it is not a UTC hour.
            Interval::Hour => {
                let offset = i64::from(local.offset().fix().local_minus_utc());
                let shifted = t.timestamp() + offset;
                DateTime::from_timestamp(shifted - shifted.rem_euclid(3600) - offset, 0)
                    .unwrap_or(t)
            }
            Interval::Day => local_midnight(self.tz, local.date_naive()).unwrap_or(t),
        }
    }

    /// Every bucket start of the window, in order.
    pub fn buckets(&self) -> Vec<DateTime<Utc>> {
        let mut out = Vec::new();
        let mut at = self.bucket_of(self.from);
        while at < self.to {
            out.push(at);
            let next = match self.interval {
                Interval::Minute => at + Duration::minutes(1),
                Interval::Hour => self.bucket_of(at + Duration::minutes(61)),
                Interval::Day => {
                    let local = at.with_timezone(&self.tz).date_naive();
                    local
                        .succ_opt()
                        .and_then(|d| local_midnight(self.tz, d))
                        .unwrap_or(at + Duration::days(1))
                }
            };
            // Never loop on a zone rule that fails to advance.
            at = if next > at {
                next
            } else {
                at + Duration::hours(1)
            };
        }
        out
    }

    /// Whether hourly rollups answer this window exactly: buckets of an hour or more, bounds on
    /// UTC hours, and a zone whose offset is whole hours at both ends (so its hours and midnights
    /// are UTC hours).
    pub fn hourly_rollup_fits(&self) -> bool {
        let whole_hours = |t: DateTime<Utc>| {
            self.tz
                .offset_from_utc_datetime(&t.naive_utc())
                .fix()
                .local_minus_utc()
                % 3600
                == 0
        };
        self.interval != Interval::Minute
            && self.from.timestamp() % 3600 == 0
            && self.to.timestamp() % 3600 == 0
            && whole_hours(self.from)
            && whole_hours(self.to)
    }

    /// The UTC days wholly inside the window, `[start, end)` (empty: `start == end`): daily
    /// rollups answer them, hourly rollups the hours before and after. Only meaningful when
    /// [`Window::hourly_rollup_fits`]; the viewer's zone plays no part (a day row is a UTC day).
    pub fn whole_utc_days(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        const DAY: i64 = 86_400;
        let first = self.from.timestamp().div_euclid(DAY) * DAY;
        let start = if first < self.from.timestamp() {
            first + DAY
        } else {
            first
        };
        let end = self.to.timestamp().div_euclid(DAY) * DAY;
        let at = |s: i64| DateTime::from_timestamp(s, 0).unwrap_or(self.from);
        if start < end {
            (at(start), at(end))
        } else {
            (self.from, self.from)
        }
    }

    /// A bucket start as the viewer reads it, with their offset.
    pub fn label(&self, t: DateTime<Utc>) -> String {
        t.with_timezone(&self.tz).to_rfc3339()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn dates_are_local_midnights_and_the_end_date_is_inclusive() {
        let now = at("2026-11-24T12:00:00Z");
        let w = Window::parse(
            Some("2026-11-20"),
            Some("2026-11-21"),
            Some("Europe/Berlin"),
            None,
            now,
        )
        .unwrap();
        assert_eq!(w.from, at("2026-11-19T23:00:00Z"));
        assert_eq!(w.to, at("2026-11-21T23:00:00Z"));
        assert_eq!(w.interval, Interval::Hour, "two days → hourly by default");
        assert_eq!(w.buckets().len(), 48);
        assert!(w.hourly_rollup_fits());
    }

    #[test]
    fn two_dates_across_a_dst_change_are_still_hourly_by_default() {
        // Europe/Berlin leaves summer time on 2026-10-25: the two days have 49 hours.
        let w = Window::parse(
            Some("2026-10-24"),
            Some("2026-10-25"),
            Some("Europe/Berlin"),
            None,
            at("2026-11-24T00:00:00Z"),
        )
        .unwrap();
        assert_eq!(w.to - w.from, Duration::hours(49));
        assert_eq!(w.interval, Interval::Hour);
        let three = Window::parse(
            Some("2026-10-24"),
            Some("2026-10-26"),
            Some("Europe/Berlin"),
            None,
            at("2026-11-24T00:00:00Z"),
        )
        .unwrap();
        assert_eq!(three.interval, Interval::Day);
    }

    #[test]
    fn day_buckets_follow_dst_changes() {
        // Europe/Berlin leaves summer time on 2026-10-25: that day has 25 hours.
        let w = Window::parse(
            Some("2026-10-24"),
            Some("2026-10-26"),
            Some("Europe/Berlin"),
            Some(Interval::Day),
            at("2026-11-24T00:00:00Z"),
        )
        .unwrap();
        let b = w.buckets();
        assert_eq!(
            b,
            vec![
                at("2026-10-23T22:00:00Z"),
                at("2026-10-24T22:00:00Z"),
                at("2026-10-25T23:00:00Z")
            ]
        );
        assert_eq!(w.label(b[2]), "2026-10-26T00:00:00+01:00");
    }

    #[test]
    fn half_hour_zones_are_not_served_by_hourly_rollups() {
        let w = Window::parse(
            Some("2026-11-20"),
            Some("2026-11-22"),
            Some("Asia/Kolkata"),
            Some(Interval::Hour),
            at("2026-11-24T00:00:00Z"),
        )
        .unwrap();
        assert!(!w.hourly_rollup_fits());
        let first = w.buckets()[0];
        assert_eq!(w.label(first), "2026-11-20T00:00:00+05:30");
        assert_eq!(
            w.bucket_of(at("2026-11-20T01:10:00Z")),
            at("2026-11-20T00:30:00Z")
        );
    }

    #[test]
    fn whole_utc_days_are_the_days_inside_the_window() {
        let window = |from: &str, to: &str| Window {
            from: at(from),
            to: at(to),
            tz: Tz::America__New_York,
            interval: Interval::Day,
        };
        // Three New York days across the end of summer time (2026-11-01): 05:00Z to 05:00Z,
        // 04:00Z to 05:00Z; the UTC days inside are the 1st and the 2nd.
        let w = window("2026-10-31T04:00:00Z", "2026-11-03T05:00:00Z");
        assert_eq!(
            w.whole_utc_days(),
            (at("2026-11-01T00:00:00Z"), at("2026-11-03T00:00:00Z"))
        );
        // Bounds on midnights are inside; less than a whole day is none.
        let w = window("2026-11-01T00:00:00Z", "2026-11-02T00:00:00Z");
        assert_eq!(
            w.whole_utc_days(),
            (at("2026-11-01T00:00:00Z"), at("2026-11-02T00:00:00Z"))
        );
        let w = window("2026-11-01T01:00:00Z", "2026-11-02T23:00:00Z");
        assert_eq!(w.whole_utc_days().0, w.whole_utc_days().1);
    }

    #[test]
    fn bad_windows_are_refused_with_the_field() {
        let now = at("2026-11-24T00:00:00Z");
        let field = |r: Result<Window, ApiError>| r.unwrap_err().message;
        assert!(field(Window::parse(None, None, Some("Mars/Olympus"), None, now)).contains("tz"));
        assert!(field(Window::parse(
            Some("2026-11-25"),
            Some("2026-11-20"),
            None,
            None,
            now
        ))
        .contains("from"));
        assert!(field(Window::parse(Some("2024-01-01"), None, None, None, now)).contains("from"));
        assert!(field(Window::parse(Some("yesterday"), None, None, None, now)).contains("from"));
        assert!(field(Window::parse(
            Some("2026-11-01"),
            None,
            None,
            Some(Interval::Minute),
            now
        ))
        .contains("interval"));
        let default = Window::parse(None, None, None, None, now).unwrap();
        assert_eq!(default.to - default.from, Duration::days(7));
        assert_eq!(default.buckets().len(), 7);
    }
}
