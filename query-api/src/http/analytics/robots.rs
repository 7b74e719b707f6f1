//! robots.txt compliance on the crawlers dashboard, judged two ways: by the verdict each hit got
//! when the loader processed it (the file then in force), and retroactively, by each property's
//! current file — the window's distinct (property, agent, path) triples are evaluated here, with
//! the same parser and matcher the loader uses, so the answer says who would break today's rules.

use std::collections::HashMap;

use platform::robots::RobotsTxt;
use schemas::vocab::RobotsVerdict;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::crawler_rows::{Facet, HitRows};
use super::crawlers::HitsByValue;
use super::sql::{Query, TENANT};
use crate::http::error::ApiError;

/// Most (property, agent, path) triples a window's retroactive evaluation reads, most hits first;
/// rarer ones are left out and `truncated` says so.
pub const MAX_TRIPLES: u32 = 10_000;

/// Disallowed hits of one agent on one path.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
pub struct Violation {
    pub agent: String,
    pub path: String,
    pub hits: u64,
}

/// A property's newest robots.txt version.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CurrentFile {
    pub property_id: u64,
    /// When this version was first fetched (RFC 3339).
    pub fetched_at: String,
    /// The HTTP status it was fetched with: a 4xx means the site has none (anything may be
    /// fetched).
    pub status: u16,
    /// SHA-256 of the body, as crawler hits name the version they were judged by.
    pub checksum: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RobotsCompliance {
    /// Hits by the verdict they got when processed (`unknown`: no file was known yet).
    pub verdicts: Vec<HitsByValue>,
    /// Disallowed hits by agent and path under the file in force at the time, most first.
    pub violations_at_the_time: Vec<Violation>,
    /// Disallowed hits by agent and path under each property's current file, most first.
    pub violations_current: Vec<Violation>,
    /// The current file of each property in scope that has one.
    pub current_files: Vec<CurrentFile>,
    /// The window had more than the triples the current-file evaluation reads; the rarest were
    /// not judged.
    pub truncated: bool,
}

#[derive(Debug, Deserialize)]
struct Triple {
    property_id: u64,
    agent: String,
    path: String,
    hits: u64,
}

#[derive(Debug, Deserialize)]
struct FileRow {
    property_id: u64,
    fetched_ms: i64,
    status: u16,
    checksum: String,
    body: String,
}

/// `q` is scoped to the dashboard, `hits` are its crawler hits, and each violation list has at
/// most `limit` rows.
pub async fn compliance(
    client: &clickhouse::Client,
    q: &Query,
    hits: &HitRows,
    limit: u32,
) -> Result<RobotsCompliance, ApiError> {
    let count = hits.count();
    let verdicts = q.clone().sql(format!(
        "SELECT toString(robots) AS value, {count} AS hits {} \
         GROUP BY value ORDER BY hits DESC, value",
        hits.from(Facet::Robots)
    ));
    let at_the_time = q.clone().sql(format!(
        "SELECT toString(agent_name) AS agent, path, {count} AS hits {} GROUP BY agent, path \
         ORDER BY hits DESC, agent, path LIMIT {{limit:Int64}}",
        hits.from(Facet::Violation)
    ));
    let triples = q.clone().sql(format!(
        "SELECT property_id, toString(agent_name) AS agent, path, {count} AS hits \
         {} GROUP BY property_id, agent, path \
         ORDER BY hits DESC, property_id, agent, path LIMIT {}",
        hits.from(Facet::Path),
        MAX_TRIPLES + 1
    ));
    let files = q.clone().sql(format!(
        "SELECT property_id, toUnixTimestamp64Milli(max(fetched_at)) AS fetched_ms, \
           argMax(status, fetched_at) AS status, argMax(checksum, fetched_at) AS checksum, \
           argMax(body, fetched_at) AS body \
         FROM robots_txt WHERE {TENANT} \
         GROUP BY property_id ORDER BY property_id"
    ));
    let (verdicts, at_the_time, mut triples, files) = futures::try_join!(
        verdicts.rows::<HitsByValue>(client),
        at_the_time.rows::<Violation>(client),
        triples.rows::<Triple>(client),
        files.rows::<FileRow>(client),
    )?;
    let truncated = triples.len() > MAX_TRIPLES as usize;
    triples.truncate(MAX_TRIPLES as usize);
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let rules: HashMap<u64, RobotsTxt> =
        files.iter().map(|f| (f.property_id, rules_of(f))).collect();
    Ok(RobotsCompliance {
        verdicts,
        violations_at_the_time: at_the_time,
        violations_current: judge(&rules, &triples, limit),
        current_files: files
            .into_iter()
            .map(|f| CurrentFile {
                property_id: f.property_id,
                fetched_at: chrono::DateTime::from_timestamp_millis(f.fetched_ms)
                    .unwrap_or_default()
                    .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                status: f.status,
                checksum: f.checksum,
            })
            .collect(),
        truncated,
    })
}

/// A stored version's rules: its body for a success, none for a 4xx (no file).
fn rules_of(file: &FileRow) -> RobotsTxt {
    if (200..300).contains(&file.status) {
        RobotsTxt::parse(&file.body)
    } else {
        RobotsTxt::default()
    }
}

/// Disallowed hits by (agent, path) over the properties that have a file, most first, `limit`
/// of them.
fn judge(rules: &HashMap<u64, RobotsTxt>, triples: &[Triple], limit: usize) -> Vec<Violation> {
    let mut by_pair: HashMap<(&str, &str), u64> = HashMap::new();
    for t in triples {
        let Some(file) = rules.get(&t.property_id) else {
            continue;
        };
        if file.verdict(&t.agent, &t.path) == RobotsVerdict::Disallowed {
            *by_pair.entry((&t.agent, &t.path)).or_default() += t.hits;
        }
    }
    let mut out: Vec<Violation> = by_pair
        .into_iter()
        .map(|((agent, path), hits)| Violation {
            agent: agent.to_owned(),
            path: path.to_owned(),
            hits,
        })
        .collect();
    out.sort_by(|a, b| {
        b.hits
            .cmp(&a.hits)
            .then_with(|| a.agent.cmp(&b.agent))
            .then_with(|| a.path.cmp(&b.path))
    });
    out.truncate(limit);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn triple(property_id: u64, agent: &str, path: &str, hits: u64) -> Triple {
        Triple {
            property_id,
            agent: agent.into(),
            path: path.into(),
            hits,
        }
    }

    #[test]
    fn each_propertys_current_file_judges_its_own_hits_and_pairs_add_up_across_properties() {
        let rules = HashMap::from([
            (
                1,
                RobotsTxt::parse("User-agent: GPTBot\nDisallow: /private/\n"),
            ),
            (2, RobotsTxt::parse("User-agent: *\nDisallow: /\n")),
        ]);
        let triples = [
            triple(1, "GPTBot", "/private/a", 3),
            triple(1, "GPTBot", "/public", 5),
            triple(1, "ClaudeBot", "/private/a", 4),
            triple(2, "GPTBot", "/private/a", 2),
            triple(2, "ClaudeBot", "/x", 1),
            // No file known for property 3: nothing to judge by.
            triple(3, "GPTBot", "/private/a", 50),
        ];
        assert_eq!(
            judge(&rules, &triples, 10),
            [
                Violation {
                    agent: "GPTBot".into(),
                    path: "/private/a".into(),
                    hits: 5
                },
                Violation {
                    agent: "ClaudeBot".into(),
                    path: "/x".into(),
                    hits: 1
                },
            ]
        );
        assert_eq!(judge(&rules, &triples, 1).len(), 1);
    }

    #[test]
    fn a_client_error_version_has_no_rules() {
        let file = |status| FileRow {
            property_id: 1,
            fetched_ms: 0,
            status,
            checksum: String::new(),
            body: "User-agent: *\nDisallow: /\n".into(),
        };
        assert_eq!(
            rules_of(&file(404)).verdict("a", "/x"),
            RobotsVerdict::NoRule
        );
        assert_eq!(
            rules_of(&file(200)).verdict("a", "/x"),
            RobotsVerdict::Disallowed
        );
    }
}
