//! How every service reaches ClickHouse: the same flags and environment variables everywhere.

use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct ClickHouseArgs {
    /// ClickHouse HTTP endpoint.
    #[arg(
        long = "clickhouse-url",
        env = "OPTIVIEW_CLICKHOUSE_URL",
        default_value = "http://127.0.0.1:8123"
    )]
    pub url: String,
    /// Database holding Optiview's tables.
    #[arg(
        long = "clickhouse-database",
        env = "OPTIVIEW_CLICKHOUSE_DATABASE",
        default_value = "optiview"
    )]
    pub database: String,
    /// User (`infra/stack env` exports the local gateway's: `default`).
    #[arg(long = "clickhouse-user", env = "OPTIVIEW_CLICKHOUSE_USER")]
    pub user: Option<String>,
    /// Password for the user (the local stack's is in `$OPTIVIEW_STACK_DIR/clickhouse.password`).
    #[arg(
        long = "clickhouse-password",
        env = "OPTIVIEW_CLICKHOUSE_PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,
    /// Cluster (`remote_servers` name) to create the tables on: replicated and sharded, read and
    /// written through Distributed tables of the usual names (infra/production/README.md,
    /// "ClickHouse cluster"). Unset or empty: one server. Read by `query-api migrate`, and by
    /// `stream-processors health` and `replay` for their maintenance statements
    /// (`clickhouse::placement`).
    #[arg(long = "clickhouse-cluster", env = "OPTIVIEW_CLICKHOUSE_CLUSTER")]
    pub cluster: Option<String>,
}

impl ClickHouseArgs {
    /// A client without a default database (for CREATE DATABASE).
    pub fn server_client(&self) -> clickhouse::Client {
        let mut client = clickhouse::Client::default().with_url(&self.url);
        if let Some(user) = &self.user {
            client = client.with_user(user);
        }
        if let Some(password) = &self.password {
            client = client.with_password(password);
        }
        client
    }

    pub fn client(&self) -> clickhouse::Client {
        self.server_client().with_database(&self.database)
    }

    /// One server, or the cluster the migrations render for.
    pub fn layout(&self) -> Result<cluster::Layout, cluster::RenderError> {
        match self.cluster.as_deref().filter(|name| !name.is_empty()) {
            None => Ok(cluster::Layout::SingleNode),
            Some(name) => Ok(cluster::Layout::Cluster(cluster::Cluster::new(
                name,
                &self.database,
            )?)),
        }
    }
}

pub mod cluster;
pub mod errors;
pub mod migrations;
pub mod placement;
mod sql_tokens;
