//! Today's cookieless salt, kept in memory: the directory (`platform::daily_secrets`) is read when
//! the day changes, not per beacon. Every day change and every purge tick destroys the salts past
//! their 48 hours, so no salt older than that exists on disk, and the one in memory is always
//! today's.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use chrono::{Duration, NaiveDate};
use platform::daily_secrets::{DailySecrets, DaySecret, SecretError};

use crate::clock::Clock;

/// Yesterday's salt still exists (a visitor crossing midnight can be told apart from a new one by
/// anyone holding both), the day before's does not: afterwards nobody can link days.
pub fn salt_lifetime() -> Duration {
    Duration::hours(48)
}

pub struct CookielessSalts {
    dir: PathBuf,
    clock: Arc<dyn Clock>,
    inner: RwLock<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Opened on first use: an edge whose properties all use cookies never touches the directory.
    store: Option<DailySecrets>,
    today: Option<DaySecret>,
}

impl CookielessSalts {
    pub fn new(dir: impl Into<PathBuf>, clock: Arc<dyn Clock>) -> Self {
        Self {
            dir: dir.into(),
            clock,
            inner: RwLock::new(Inner::default()),
        }
    }

    /// Opens the directory now, so a collector that cannot write it fails at start-up rather than
    /// on its first cookieless beacon.
    pub fn open(&self) -> Result<(), SecretError> {
        let mut inner = self.write();
        store(&mut inner, &self.dir).map(|_| ())
    }

    /// The salt of the day the clock is in: the cached copy on the same day, else (purging what
    /// expired first) the directory's, created if no collector has yet.
    pub fn current(&self) -> Result<DaySecret, SecretError> {
        let now = self.clock.now();
        let day = now.date_naive();
        if let Some(salt) = self.read().today.as_ref().filter(|s| s.day == day) {
            return Ok(salt.clone());
        }
        let mut inner = self.write();
        if let Some(salt) = inner.today.as_ref().filter(|s| s.day == day) {
            return Ok(salt.clone());
        }
        let store = store(&mut inner, &self.dir)?.clone();
        log_destroyed(&store.purge(now)?);
        let salt = store.current(now)?;
        // Replacing it drops the previous day's copy from memory.
        inner.today = Some(salt.clone());
        Ok(salt)
    }

    /// Destroys every salt past its lifetime (on a timer, so a collector that sees no cookieless
    /// beacon for days still deletes them); returns the days destroyed.
    pub fn purge(&self) -> Result<Vec<NaiveDate>, SecretError> {
        let now = self.clock.now();
        let mut inner = self.write();
        let store = store(&mut inner, &self.dir)?.clone();
        if inner
            .today
            .as_ref()
            .is_some_and(|s| store.expired(s.day, now))
        {
            inner.today = None;
        }
        let destroyed = store.purge(now)?;
        log_destroyed(&destroyed);
        Ok(destroyed)
    }

    /// The days whose salt exists on disk, oldest first.
    pub fn days(&self) -> Result<Vec<NaiveDate>, SecretError> {
        let mut inner = self.write();
        store(&mut inner, &self.dir)?.days()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        // The guarded data is a cache, valid whatever a panicking holder was doing.
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }
}

fn store<'a>(inner: &'a mut Inner, dir: &Path) -> Result<&'a DailySecrets, SecretError> {
    if inner.store.is_none() {
        inner.store = Some(DailySecrets::open(dir, salt_lifetime())?);
    }
    Ok(inner.store.as_ref().expect("just opened"))
}

fn log_destroyed(days: &[NaiveDate]) {
    for day in days {
        tracing::info!(%day, "cookieless salt destroyed");
    }
}

/// Runs `purge` at every `period`, logging failures (the next tick retries).
pub async fn purge_every(salts: Arc<CookielessSalts>, period: std::time::Duration) {
    loop {
        tokio::time::sleep(period).await;
        if let Err(error) = salts.purge() {
            tracing::error!(%error, "purging cookieless salts failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use chrono::{TimeZone, Utc};

    fn setup() -> (tempfile::TempDir, Arc<ManualClock>, CookielessSalts) {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(
            Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap(),
        ));
        let salts = CookielessSalts::new(dir.path().join("salts"), clock.clone());
        (dir, clock, salts)
    }

    #[test]
    fn the_same_salt_all_day_and_a_new_one_after_midnight() {
        let (_dir, clock, salts) = setup();
        let morning = salts.current().unwrap();
        clock.advance(Duration::hours(13));
        assert_eq!(salts.current().unwrap(), morning, "23:00 the same day");
        clock.advance(Duration::hours(1));
        let next = salts.current().unwrap();
        assert_ne!(next.bytes(), morning.bytes());
        assert_eq!(next.day, morning.day.succ_opt().unwrap());
    }

    #[test]
    fn the_cache_is_not_reread_within_the_day() {
        let (_dir, _clock, salts) = setup();
        let first = salts.current().unwrap();
        // Were the directory read again, a new salt would be created in the file's place.
        std::fs::remove_dir_all(&salts.dir).unwrap();
        assert_eq!(salts.current().unwrap(), first);
    }

    #[test]
    fn a_day_change_destroys_the_salt_of_the_day_before_yesterday() {
        let (_dir, clock, salts) = setup();
        let first = salts.current().unwrap();
        clock.advance(Duration::days(1));
        salts.current().unwrap();
        clock.advance(Duration::days(1));
        let today = salts.current().unwrap();
        let days = salts.days().unwrap();
        assert_eq!(days.len(), 2, "yesterday's and today's: {days:?}");
        assert!(!days.contains(&first.day));
        assert_eq!(days[1], today.day);
    }

    #[test]
    fn the_timer_destroys_salts_past_48_hours_without_any_beacon() {
        let (_dir, clock, salts) = setup();
        let first = salts.current().unwrap();
        clock.advance(Duration::hours(37));
        assert!(salts.purge().unwrap().is_empty(), "47 h after its midnight");
        clock.advance(Duration::hours(1));
        assert_eq!(salts.purge().unwrap(), vec![first.day]);
        assert!(salts.days().unwrap().is_empty());
        assert!(salts.read().today.is_none(), "nor in memory");
    }
}
