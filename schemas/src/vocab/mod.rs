//! The values that cross crates and storage: one enum each, with one text form. Rust code uses the
//! enums; SQL and JSON get the text through [`Vocabulary::as_str`] (serde derives the same
//! form, tested), and constant SQL gets its literals and lists from [`sql_literal`] / [`sql_list`].

mod agent_class;
mod channel;
mod content_type;
mod crawl;
mod event;
mod job_status;
mod verification;

pub use agent_class::AgentClass;
pub use channel::Channel;
pub use content_type::ContentType;
pub use crawl::{CrawlResource, RobotsVerdict};
pub use event::{EventSource, EventType};
pub use job_status::JobStatus;
pub use verification::{Verification, VerificationMethod};

/// A closed set of values with one text form each.
pub trait Vocabulary: Copy + Eq + Sized + 'static {
    /// Every value, in the order lists show them.
    const ALL: &'static [Self];

    fn as_str(self) -> &'static str;

    fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == text)
    }
}

/// `'text'`: the value as a ClickHouse string literal, for constant SQL (never for user input;
/// text forms are `[a-z0-9_]` only, tested, so no quoting can break).
pub fn sql_literal<T: Vocabulary>(value: T) -> String {
    format!("'{}'", value.as_str())
}

/// `('a', 'b')`: a ClickHouse tuple of the values' literals, for `IN` conditions of constant SQL.
pub fn sql_list<T: Vocabulary>(values: &[T]) -> String {
    let items: Vec<String> = values.iter().map(|v| sql_literal(*v)).collect();
    format!("({})", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::{AlertRule, AlertState};

    fn check<T: Vocabulary + serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug>() {
        let mut seen = std::collections::HashSet::new();
        for value in T::ALL {
            let text = value.as_str();
            assert!(
                !text.is_empty()
                    && text
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
                "{text:?} is not a plain identifier"
            );
            assert!(seen.insert(text), "{text} spelled twice");
            assert_eq!(T::parse(text), Some(*value));
            assert_eq!(serde_json::to_value(value).unwrap(), text);
            assert_eq!(
                serde_json::from_value::<T>(serde_json::Value::from(text)).unwrap(),
                *value
            );
        }
        assert_eq!(T::parse("no_such_value"), None);
    }

    #[test]
    fn every_value_has_one_plain_text_form_that_serde_and_parse_agree_on() {
        check::<AgentClass>();
        check::<crate::beacon::TagEventType>();
        check::<Channel>();
        check::<ContentType>();
        check::<EventSource>();
        check::<EventType>();
        check::<JobStatus>();
        check::<Verification>();
        check::<VerificationMethod>();
        check::<RobotsVerdict>();
        check::<CrawlResource>();
        check::<AlertRule>();
        check::<AlertState>();
    }

    #[test]
    fn sql_lists_quote_each_value() {
        assert_eq!(
            sql_list(&[EventSource::Tag, EventSource::Server]),
            "('tag', 'server')"
        );
        assert_eq!(sql_literal(JobStatus::Success), "'success'");
    }
}
