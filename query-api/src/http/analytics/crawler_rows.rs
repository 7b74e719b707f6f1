//! Where the crawlers dashboard's evidence and robots sections count hits: raw `crawler_hits`,
//! or migration 0011's facet rollups (hourly and daily rows by one facet each) for windows the
//! hourly rollups answer. Each query names raw columns; a rollup facet's keys are renamed to them,
//! so both sources take the same query text and count the same hits.

/// A facet of `crawler_facets_*` and the raw columns its keys stand for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    Method,
    Resource,
    Read,
    Network,
    Robots,
    /// Every (property, agent, path).
    Path,
    /// (agent, path) of the hits disallowed at the time.
    Violation,
}

impl Facet {
    /// The facet's name in the rollups and its keys as raw columns (migration 0011).
    fn keys(self) -> (&'static str, &'static str) {
        match self {
            Facet::Method => ("method", "key1 AS verification_method"),
            Facet::Resource => ("resource", "key1 AS resource"),
            Facet::Read => ("read", "key1 AS resource, key2 AS agent_name"),
            Facet::Network => (
                "network",
                "key1 AS as_organization, toBool(key2 = 'true') AS datacenter",
            ),
            Facet::Robots => ("robots", "key1 AS robots"),
            Facet::Path | Facet::Violation => {
                let name = if self == Facet::Path {
                    "path"
                } else {
                    "violation"
                };
                (name, "property_id, key1 AS agent_name, key2 AS path")
            }
        }
    }
}

/// The dashboard's crawler hits.
#[derive(Debug, Clone)]
pub enum HitRows {
    /// `crawler_hits` rows matching this condition.
    Raw(String),
    /// Rollup rows of the window: a [`super::sql::hours_and_days`] select of [`ROLLUP_COLUMNS`]
    /// filtered by [`FACET_FILTER`], whose placeholder each query replaces with its facet (so
    /// both tables' primary key prunes to it).
    Rollup(String),
}

impl HitRows {
    /// `FROM … WHERE …` over the hits of `facet` (raw: all hits; `Violation` the disallowed).
    pub fn from(&self, facet: Facet) -> String {
        match self {
            HitRows::Raw(where_) => {
                let violation = if facet == Facet::Violation {
                    format!(
                        " AND robots = {}",
                        schemas::vocab::sql_literal(schemas::vocab::RobotsVerdict::Disallowed)
                    )
                } else {
                    String::new()
                };
                format!("FROM crawler_hits WHERE {where_}{violation}")
            }
            HitRows::Rollup(rows) => {
                let (name, keys) = facet.keys();
                let rows = rows.replace(FACET, name);
                format!("FROM (SELECT {keys}, hits FROM ({rows})) WHERE 1")
            }
        }
    }

    /// The count of the rows `from` selects.
    pub fn count(&self) -> &'static str {
        match self {
            HitRows::Raw(_) => "count()",
            HitRows::Rollup(_) => "toUInt64(sum(hits))",
        }
    }
}

/// The columns a facet select reads from both rollups.
pub const ROLLUP_COLUMNS: &str = "property_id, key1, key2, hits";

/// Stands for a facet's name (fixed texts of [`Facet`]) in a rollup select.
const FACET: &str = "__facet__";

/// The rollup filter selecting one facet (` AND …`, for `hours_and_days`).
pub const FACET_FILTER: &str = " AND facet = '__facet__'";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rollup_select_reads_only_its_facet_and_names_raw_columns() {
        let rows = HitRows::Rollup(format!(
            "SELECT {ROLLUP_COLUMNS} FROM t WHERE 1{FACET_FILTER}"
        ));
        let from = rows.from(Facet::Network);
        assert!(from.contains("facet = 'network'"), "{from}");
        assert!(!from.contains(FACET), "{from}");
        assert!(from.contains("AS as_organization") && from.contains("AS datacenter"));
    }

    #[test]
    fn raw_violations_are_the_disallowed_hits() {
        let rows = HitRows::Raw("x".into());
        assert_eq!(
            rows.from(Facet::Violation),
            "FROM crawler_hits WHERE x AND robots = 'disallowed'"
        );
        assert_eq!(rows.from(Facet::Path), "FROM crawler_hits WHERE x");
    }
}
