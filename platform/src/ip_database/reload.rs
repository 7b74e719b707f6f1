//! The refresh job: a database file that changed (modification time or size) is loaded off the
//! async threads and swapped in whole. A file that changed but does not load (a copy still being
//! written, a broken download) leaves the previous database in use, and is tried again when it
//! changes again.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use super::{AsnDatabase, CountryDatabase, DatabaseError, IpDatabaseArgs, SharedNetworkDatabases};

/// Per file: its modification time and size, `None` while it cannot be read.
type Fingerprint = Vec<Option<(SystemTime, u64)>>;

fn fingerprint(paths: &[PathBuf]) -> Fingerprint {
    paths
        .iter()
        .map(|path| {
            let meta = std::fs::metadata(path).ok()?;
            Some((meta.modified().ok()?, meta.len()))
        })
        .collect()
}

/// Checks the files every `--ip-database-check-secs`, for the life of the service.
pub async fn reload_on_change(args: IpDatabaseArgs, shared: SharedNetworkDatabases) {
    let mut reloader = Reloader::new(args, shared);
    let mut tick = tokio::time::interval(reloader.args.check_period());
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        reloader.check().await;
    }
}

/// What the job remembers between checks: the files as they were last loaded or tried.
pub struct Reloader {
    args: IpDatabaseArgs,
    shared: SharedNetworkDatabases,
    asn_seen: Fingerprint,
    country_seen: Fingerprint,
}

impl Reloader {
    /// Taken right after the databases were opened: the files as they are now are the ones in use.
    pub fn new(args: IpDatabaseArgs, shared: SharedNetworkDatabases) -> Self {
        Self {
            asn_seen: fingerprint(&args.asn_database),
            country_seen: fingerprint(&args.country_database),
            args,
            shared,
        }
    }

    /// Reloads whichever database's files changed since the last check; true when one was
    /// swapped in.
    pub async fn check(&mut self) -> bool {
        let asn = changed(
            "ASN",
            &self.args.asn_database,
            &mut self.asn_seen,
            AsnDatabase::from_files,
        )
        .await;
        let country = changed(
            "country",
            &self.args.country_database,
            &mut self.country_seen,
            CountryDatabase::from_files,
        )
        .await;
        if asn.is_none() && country.is_none() {
            return false;
        }
        let mut next = (*self.shared.current()).clone();
        if asn.is_some() {
            next.asn = asn;
        }
        if country.is_some() {
            next.country = country;
        }
        self.shared.replace(next);
        true
    }
}

async fn changed<D: Send + Sync + 'static>(
    name: &'static str,
    paths: &[PathBuf],
    seen: &mut Fingerprint,
    load: fn(&[PathBuf]) -> Result<D, DatabaseError>,
) -> Option<Arc<D>> {
    if paths.is_empty() {
        return None;
    }
    let now = fingerprint(paths);
    if now == *seen {
        return None;
    }
    *seen = now;
    let paths = paths.to_vec();
    match tokio::task::spawn_blocking(move || load(&paths)).await {
        Ok(Ok(db)) => {
            tracing::info!("{name} database changed on disk and was reloaded");
            Some(Arc::new(db))
        }
        Ok(Err(error)) => {
            tracing::warn!(%error, "{name} database changed on disk but did not load; the previous one stays in use");
            None
        }
        Err(error) => {
            tracing::error!(%error, "{name} database reload stopped");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &std::path::Path, text: &str) {
        // A different size each time: some file systems keep modification times to the second.
        std::fs::write(path, text).unwrap();
    }

    #[tokio::test]
    async fn a_changed_file_is_swapped_in_and_a_broken_one_keeps_the_previous_database() {
        let dir = tempfile::tempdir().unwrap();
        let (asn, country) = (dir.path().join("asn.csv"), dir.path().join("country.csv"));
        write(&asn, "198.51.100.0,198.51.100.255,64500,Old Hosting\n");
        write(&country, "198.51.100.0,198.51.100.255,DE\n");
        let args = IpDatabaseArgs {
            asn_database: vec![asn.clone()],
            country_database: vec![country.clone()],
            ..IpDatabaseArgs::default()
        };
        let shared = args.open();
        let ip = "198.51.100.9".parse().unwrap();
        let organization = |shared: &SharedNetworkDatabases| {
            shared.lookup(ip).system.map(|s| s.organization.to_string())
        };
        assert_eq!(organization(&shared).as_deref(), Some("Old Hosting"));
        let mut reloader = Reloader::new(args, shared.clone());
        assert!(!reloader.check().await, "nothing changed");

        write(
            &asn,
            "198.51.100.0,198.51.100.255,64500,Newer Hosting Ltd\n",
        );
        assert!(reloader.check().await);
        assert_eq!(organization(&shared).as_deref(), Some("Newer Hosting Ltd"));
        assert_eq!(shared.lookup(ip).country, Some("DE"), "the other one stays");

        write(&asn, "198.51.100.0,not an address,64500,Broken\n");
        assert!(!reloader.check().await);
        assert_eq!(organization(&shared).as_deref(), Some("Newer Hosting Ltd"));
        std::fs::remove_file(&asn).unwrap();
        assert!(
            !reloader.check().await,
            "a file gone keeps the last good copy"
        );
        assert_eq!(organization(&shared).as_deref(), Some("Newer Hosting Ltd"));
    }

    #[test]
    fn unconfigured_or_missing_databases_are_off_without_stopping_the_service() {
        let off = IpDatabaseArgs::default().open();
        assert_eq!(
            off.lookup("198.51.100.9".parse().unwrap()),
            Default::default()
        );
        let missing = IpDatabaseArgs {
            country_database: vec![PathBuf::from("/nonexistent/country.csv")],
            ..IpDatabaseArgs::default()
        }
        .open();
        assert!(missing.current().country.is_none());
    }
}
