//! The network an address belongs to, from databases installed beside the services (never
//! fetched by them): its autonomous system and organisation, and its country where no CDN says.
//! CSV ranges are flattened into sorted arrays at load (`table`) and searched by binary search;
//! a reload swaps a whole new database in (`SharedNetworkDatabases`), so a lookup never sees half
//! an update. Lookups take the address and keep nothing of it.

mod databases;
mod reload;
mod table;

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use clap::Args;

pub use databases::{AsnDatabase, AutonomousSystem, CountryDatabase, DatabaseError};
pub use reload::reload_on_change;
pub use table::{Key, RangeTable};

use crate::config::{ConfigError, Validate};

/// Where the databases are; the same flags wherever a service looks addresses up.
#[derive(Debug, Clone, Args)]
pub struct IpDatabaseArgs {
    /// CSV files of the address → autonomous system database (`first,last,asn,organization`, the
    /// layout of the `@ip-location-db/asn` package), comma-separated (IPv4 and IPv6 files). Empty:
    /// beacons carry no network of origin.
    #[arg(long, env = "OPTIVIEW_ASN_DATABASE", value_delimiter = ',')]
    pub asn_database: Vec<PathBuf>,
    /// CSV files of the address → country database (`first,last,country`, the layout of the
    /// `@ip-location-db/geo-whois-asn-country` package), comma-separated. Consulted when no
    /// trusted country header says. Empty: only the header gives a country.
    #[arg(long, env = "OPTIVIEW_COUNTRY_DATABASE", value_delimiter = ',')]
    pub country_database: Vec<PathBuf>,
    /// How often the database files are checked for a newer copy (modification time or size),
    /// in seconds; a changed file is loaded and swapped in whole.
    #[arg(long, env = "OPTIVIEW_IP_DATABASE_CHECK_SECS", default_value_t = 300)]
    pub ip_database_check_secs: u64,
}

impl Default for IpDatabaseArgs {
    fn default() -> Self {
        Self {
            asn_database: Vec::new(),
            country_database: Vec::new(),
            ip_database_check_secs: 300,
        }
    }
}

impl Validate for IpDatabaseArgs {
    fn validate(&self) -> Result<(), ConfigError> {
        if self.ip_database_check_secs == 0 {
            return Err(ConfigError::new(
                "--ip-database-check-secs",
                "is 0; use at least 1",
            ));
        }
        Ok(())
    }
}

impl IpDatabaseArgs {
    pub fn check_period(&self) -> Duration {
        Duration::from_secs(self.ip_database_check_secs)
    }

    /// Loads what is configured, logging what each database holds or why it is off. A file that
    /// is missing or broken leaves its database off rather than the service down: the reload
    /// job takes it in once it is there.
    pub fn open(&self) -> SharedNetworkDatabases {
        let asn = load_logged("ASN", &self.asn_database, AsnDatabase::from_files, |db| {
            tracing::info!(
                ranges = db.ranges(),
                systems = db.systems(),
                files = self.asn_database.len(),
                "ASN database loaded: beacons carry their network of origin"
            );
        });
        let country = load_logged(
            "country",
            &self.country_database,
            CountryDatabase::from_files,
            |db| {
                tracing::info!(
                    ranges = db.ranges(),
                    files = self.country_database.len(),
                    "country database loaded: addresses without a trusted country header are \
                     looked up"
                );
            },
        );
        SharedNetworkDatabases::new(NetworkDatabases { asn, country })
    }
}

fn load_logged<D>(
    name: &str,
    paths: &[PathBuf],
    load: fn(&[PathBuf]) -> Result<D, DatabaseError>,
    loaded: impl FnOnce(&D),
) -> Option<Arc<D>> {
    if paths.is_empty() {
        tracing::info!("no {name} database configured: {name} lookups are off");
        return None;
    }
    match load(paths) {
        Ok(db) => {
            loaded(&db);
            Some(Arc::new(db))
        }
        Err(error) => {
            tracing::error!(%error, "{name} database not loaded: {name} lookups are off until it loads");
            None
        }
    }
}

/// The databases in use; either may be off.
#[derive(Debug, Clone, Default)]
pub struct NetworkDatabases {
    pub asn: Option<Arc<AsnDatabase>>,
    pub country: Option<Arc<CountryDatabase>>,
}

/// What the databases say of one address.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub system: Option<AutonomousSystem>,
    pub country: Option<&'static str>,
}

impl NetworkDatabases {
    pub fn lookup(&self, ip: IpAddr) -> Origin {
        Origin {
            system: self.asn.as_ref().and_then(|db| db.lookup(ip).cloned()),
            country: self.country.as_ref().and_then(|db| db.lookup(ip)),
        }
    }
}

/// The databases a running service looks up; the reload job replaces them whole.
#[derive(Debug, Clone, Default)]
pub struct SharedNetworkDatabases(Arc<RwLock<Arc<NetworkDatabases>>>);

impl SharedNetworkDatabases {
    pub fn new(databases: NetworkDatabases) -> Self {
        Self(Arc::new(RwLock::new(Arc::new(databases))))
    }

    pub fn current(&self) -> Arc<NetworkDatabases> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn replace(&self, databases: NetworkDatabases) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(databases);
    }

    pub fn lookup(&self, ip: IpAddr) -> Origin {
        self.0.read().unwrap_or_else(|e| e.into_inner()).lookup(ip)
    }
}
