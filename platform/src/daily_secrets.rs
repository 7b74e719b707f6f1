//! Secrets that belong to one UTC day and are destroyed a fixed time after that day began: the
//! cookieless visitor salt (gone after 48 h, so nobody can link one day's visitors to another's)
//! and the keys that seal raw client addresses on the beacons topic (gone after the crawler
//! verification window, so the address then exists nowhere).
//!
//! Each secret is a file `YYYY-MM-DD.key` in a directory that every process needing it shares (one
//! machine's directory, or a secret volume mounted into each service). Whoever needs a day's secret
//! first creates it; the create is atomic (written aside, then hard-linked into place, which fails
//! if another process got there first), so two collectors never hold different secrets for a day.
//! Destroying is deleting the file: nothing derives a day's secret from anything that outlives it.

use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, NaiveDate, Utc};

const SECRET_LEN: usize = 32;
const SUFFIX: &str = ".key";

/// One day's secret. Its bytes never reach `Debug` output, logs or errors.
#[derive(Clone, PartialEq, Eq)]
pub struct DaySecret {
    pub day: NaiveDate,
    bytes: [u8; SECRET_LEN],
}

impl DaySecret {
    pub fn bytes(&self) -> &[u8; SECRET_LEN] {
        &self.bytes
    }
}

impl std::fmt::Debug for DaySecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DaySecret({}, redacted)", self.day)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("secret directory {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("secret file {path} is not {SECRET_LEN} bytes")]
    Corrupt { path: PathBuf },
}

/// The directory of day secrets of one kind, and how long each lives.
#[derive(Debug, Clone)]
pub struct DailySecrets {
    dir: PathBuf,
    lifetime: Duration,
}

impl DailySecrets {
    /// Opens (creating, owner-only) `dir`. A day's secret is destroyed once `lifetime` has passed
    /// since that day's midnight UTC: 48 h keeps today's and yesterday's.
    pub fn open(dir: impl Into<PathBuf>, lifetime: Duration) -> Result<Self, SecretError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|source| io_error(&dir, source))?;
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))
            .map_err(|source| io_error(&dir, source))?;
        Ok(DailySecrets { dir, lifetime })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    /// The secret for the day `now` falls in, created if nobody has yet.
    pub fn current(&self, now: DateTime<Utc>) -> Result<DaySecret, SecretError> {
        let day = now.date_naive();
        if let Some(found) = self.read(day)? {
            return Ok(found);
        }
        self.create(day)
    }

    /// The secret of `day` if it still exists and is within its lifetime at `now`; `None` once it
    /// is destroyed (or was never made). A secret past its lifetime is deleted here rather than
    /// returned, so a late purge never lets an expired secret be used.
    pub fn for_day(
        &self,
        day: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Option<DaySecret>, SecretError> {
        if self.expired(day, now) {
            self.remove(day)?;
            return Ok(None);
        }
        self.read(day)
    }

    /// Whether `day`'s secret must no longer exist at `now`.
    pub fn expired(&self, day: NaiveDate, now: DateTime<Utc>) -> bool {
        let start = day.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc();
        now >= start + self.lifetime
    }

    /// Deletes every secret past its lifetime; returns the days destroyed.
    pub fn purge(&self, now: DateTime<Utc>) -> Result<Vec<NaiveDate>, SecretError> {
        let mut destroyed = Vec::new();
        for day in self.days()? {
            if self.expired(day, now) {
                self.remove(day)?;
                destroyed.push(day);
            }
        }
        Ok(destroyed)
    }

    /// The days whose secret exists, oldest first.
    pub fn days(&self) -> Result<Vec<NaiveDate>, SecretError> {
        let entries = fs::read_dir(&self.dir).map_err(|source| io_error(&self.dir, source))?;
        let mut days: Vec<NaiveDate> = entries
            .filter_map(Result::ok)
            .filter_map(|entry| {
                let name = entry.file_name();
                let stem = name.to_str()?.strip_suffix(SUFFIX)?;
                NaiveDate::parse_from_str(stem, "%Y-%m-%d").ok()
            })
            .collect();
        days.sort();
        Ok(days)
    }

    fn path(&self, day: NaiveDate) -> PathBuf {
        self.dir.join(format!("{}{SUFFIX}", day.format("%Y-%m-%d")))
    }

    fn read(&self, day: NaiveDate) -> Result<Option<DaySecret>, SecretError> {
        let path = self.path(day);
        let mut file = match fs::File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(io_error(&path, source)),
        };
        let mut bytes = [0u8; SECRET_LEN];
        let mut extra = [0u8; 1];
        file.read_exact(&mut bytes)
            .map_err(|_| SecretError::Corrupt { path: path.clone() })?;
        if file.read(&mut extra).map_err(|e| io_error(&path, e))? != 0 {
            return Err(SecretError::Corrupt { path });
        }
        Ok(Some(DaySecret { day, bytes }))
    }

    fn create(&self, day: NaiveDate) -> Result<DaySecret, SecretError> {
        let bytes: [u8; SECRET_LEN] = rand::random();
        let aside = self.dir.join(format!(
            ".{}.{}.tmp",
            day.format("%Y-%m-%d"),
            uuid::Uuid::new_v4()
        ));
        let written = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&aside)
            .and_then(|mut file| {
                file.write_all(&bytes)?;
                file.sync_all()
            });
        if let Err(source) = written {
            let _ = fs::remove_file(&aside);
            return Err(io_error(&aside, source));
        }
        let target = self.path(day);
        let linked = fs::hard_link(&aside, &target);
        let _ = fs::remove_file(&aside);
        match linked {
            Ok(()) => Ok(DaySecret { day, bytes }),
            // Another process created it first: theirs is the day's secret.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => self
                .read(day)?
                .ok_or_else(|| io_error(&target, io::ErrorKind::NotFound.into())),
            Err(source) => Err(io_error(&target, source)),
        }
    }

    fn remove(&self, day: NaiveDate) -> Result<(), SecretError> {
        let path = self.path(day);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(io_error(&path, source)),
        }
    }
}

fn io_error(path: &Path, source: io::Error) -> SecretError {
    SecretError::Io {
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).unwrap()
    }

    fn secrets(dir: &tempfile::TempDir) -> DailySecrets {
        DailySecrets::open(dir.path().join("salts"), Duration::hours(48)).unwrap()
    }

    #[test]
    fn one_secret_per_day_shared_by_every_opener() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (secrets(&dir), secrets(&dir));
        let first = a.current(at(1, 9)).unwrap();
        assert_eq!(b.current(at(1, 23)).unwrap(), first);
        let next = a.current(at(2, 0)).unwrap();
        assert_ne!(next.bytes(), first.bytes());
        assert_eq!(a.days().unwrap().len(), 2);
    }

    #[test]
    fn a_secret_is_gone_once_its_lifetime_since_midnight_has_passed() {
        let dir = tempfile::tempdir().unwrap();
        let s = secrets(&dir);
        let day1 = s.current(at(1, 12)).unwrap();
        s.current(at(2, 12)).unwrap();
        assert!(s.for_day(day1.day, at(2, 23)).unwrap().is_some());
        assert!(s.purge(at(2, 23)).unwrap().is_empty());
        assert_eq!(s.purge(at(3, 0)).unwrap(), vec![day1.day]);
        assert_eq!(s.days().unwrap(), vec![at(2, 0).date_naive()]);
        assert!(s.for_day(day1.day, at(1, 12)).unwrap().is_none());
    }

    #[test]
    fn an_expired_secret_is_destroyed_when_asked_for_even_without_a_purge() {
        let dir = tempfile::tempdir().unwrap();
        let s = secrets(&dir);
        let day1 = s.current(at(1, 12)).unwrap();
        assert!(s.for_day(day1.day, at(3, 1)).unwrap().is_none());
        assert!(s.days().unwrap().is_empty());
    }

    #[test]
    fn files_are_private_and_debug_output_hides_the_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let s = secrets(&dir);
        let secret = s.current(at(1, 12)).unwrap();
        let mode = fs::metadata(s.path(secret.day))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "group/other bits: {mode:o}");
        assert_eq!(
            fs::metadata(s.dir()).unwrap().permissions().mode() & 0o077,
            0
        );
        let shown = format!("{secret:?}");
        assert!(!shown.contains(&hex::encode(secret.bytes())));
        assert!(shown.contains("redacted"));
    }

    #[test]
    fn a_truncated_file_is_an_error_not_a_short_secret() {
        let dir = tempfile::tempdir().unwrap();
        let s = secrets(&dir);
        let day = at(1, 0).date_naive();
        fs::write(s.path(day), b"short").unwrap();
        assert!(matches!(
            s.for_day(day, at(1, 1)),
            Err(SecretError::Corrupt { .. })
        ));
    }
}
