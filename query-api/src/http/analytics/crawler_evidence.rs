//! What the crawlers dashboard shows about each hit beyond who claimed it: how its verification
//! was reached, what kind of resource it asked for ("what agents read") and the network it came
//! from. Only `crawler_hits` and its facet rollups (migration 0011) carry these columns.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::crawler_rows::{Facet, HitRows};
use super::crawlers::HitsByValue;
use super::sql::Query;
use crate::http::error::ApiError;

/// An agent's hits on one kind of resource.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct ResourceReads {
    /// A crawl resource (`robots_txt`, `llms_txt`, `sitemap`, …; `page` for everything else).
    pub resource: String,
    pub agent: String,
    pub hits: u64,
}

/// Hits from one network.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct NetworkHits {
    /// The autonomous system's organization ('' when the address was not in the AS table).
    pub organization: String,
    /// A hosting (datacenter) network.
    pub datacenter: bool,
    pub hits: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CrawlerEvidence {
    /// Hits by how their verification was reached ('' when nothing was checked: unverifiable
    /// or unchecked hits).
    pub verification_methods: Vec<HitsByValue>,
    /// Hits by the kind of resource asked for, most first.
    pub resources: Vec<HitsByValue>,
    /// Hits on machine-written files (everything but pages) by resource and agent, most first.
    pub reads: Vec<ResourceReads>,
    /// Hits from hosting networks.
    pub datacenter_hits: u64,
    /// Hits by network, most first.
    pub networks: Vec<NetworkHits>,
}

#[derive(Debug, Default, Deserialize)]
struct Count {
    hits: u64,
}

/// `q` is scoped to the dashboard and `hits` are its crawler hits.
pub async fn evidence(
    client: &clickhouse::Client,
    q: &Query,
    hits: &HitRows,
) -> Result<CrawlerEvidence, ApiError> {
    let count = hits.count();
    let by = |column: &str, facet: Facet| {
        q.clone().sql(format!(
            "SELECT toString({column}) AS value, {count} AS hits {} \
             GROUP BY value ORDER BY hits DESC, value LIMIT {{limit:Int64}}",
            hits.from(facet)
        ))
    };
    let (methods, resources) = (
        by("verification_method", Facet::Method),
        by("resource", Facet::Resource),
    );
    let reads = q.clone().sql(format!(
        "SELECT toString(resource) AS resource, toString(agent_name) AS agent, {count} AS hits \
         {} AND resource != {} GROUP BY resource, agent \
         ORDER BY hits DESC, resource, agent LIMIT {{limit:Int64}}",
        hits.from(Facet::Read),
        schemas::vocab::sql_literal(schemas::vocab::CrawlResource::Page)
    ));
    let datacenter = q.clone().sql(format!(
        "SELECT {count} AS hits {} AND datacenter",
        hits.from(Facet::Network)
    ));
    let networks = q.clone().sql(format!(
        "SELECT toString(as_organization) AS organization, datacenter, {count} AS hits \
         {} GROUP BY organization, datacenter \
         ORDER BY hits DESC, organization LIMIT {{limit:Int64}}",
        hits.from(Facet::Network)
    ));
    let (verification_methods, resources, reads, datacenter, networks) = futures::try_join!(
        methods.rows::<HitsByValue>(client),
        resources.rows::<HitsByValue>(client),
        reads.rows::<ResourceReads>(client),
        datacenter.one::<Count>(client),
        networks.rows::<NetworkHits>(client),
    )?;
    Ok(CrawlerEvidence {
        verification_methods,
        resources,
        reads,
        datacenter_hits: datacenter.hits,
        networks,
    })
}
