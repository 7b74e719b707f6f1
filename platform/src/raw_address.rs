//! A server hit's raw client address crosses the beacons topic only sealed, with a key that
//! belongs to the day the collector received it and is destroyed once the crawler verification
//! window has passed (`DailySecrets`, default 72 h after that day's midnight UTC). The topic keeps
//! records for 400 days; after the window the sealed bytes open with nothing that exists, so the
//! address is gone everywhere without rewriting a record.
//!
//! Sealing is XChaCha20-Poly1305 with a random 24-byte nonce per record (random nonces are safe at
//! that size) and the event id as associated data, so a sealed address cannot be moved onto
//! another event and opened there.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration as StdDuration;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use clap::Args;
use schemas::beacon::SealedAddress;

use crate::config::ConfigError;
use crate::daily_secrets::{DailySecrets, DaySecret, SecretError};

const NONCE_LEN: usize = 24;
const DAY_FORMAT: &str = "%Y-%m-%d";

/// Where the address keys live and how long each does; the same flags on the collector and the
/// processors, which must point at the same directory.
#[derive(Debug, Clone, Args)]
pub struct AddressKeyArgs {
    /// Directory of the daily keys sealing raw client addresses on the beacons topic. The
    /// collector creates them and the processors open with them, so both must see the same
    /// directory (on several hosts, one secret volume mounted into each).
    #[arg(
        long = "address-key-dir",
        env = "OPTIVIEW_ADDRESS_KEY_DIR",
        default_value = ".stack/address-keys"
    )]
    pub dir: PathBuf,
    /// Hours after its day's midnight (UTC) an address key is destroyed: the crawler
    /// verification window. Records not verified by then keep no address.
    #[arg(
        long = "address-key-hours",
        env = "OPTIVIEW_ADDRESS_KEY_HOURS",
        default_value_t = 72
    )]
    pub hours: u32,
}

impl AddressKeyArgs {
    pub fn validate(&self) -> Result<(), ConfigError> {
        // Below a day, the key of the day a hit arrives in could already be gone when it is
        // sealed.
        if self.hours < 24 {
            return Err(ConfigError::new(
                "--address-key-hours",
                format!("is {}; use at least 24", self.hours),
            ));
        }
        Ok(())
    }

    pub fn open(&self) -> Result<AddressKeys, SecretError> {
        AddressKeys::open(self.dir.clone(), Duration::hours(i64::from(self.hours)))
    }
}

/// What a sealed address opened to.
#[derive(PartialEq, Eq)]
pub enum Opened {
    Address(String),
    /// Its day's key is past its lifetime: the address is gone for good.
    KeyDestroyed,
    /// Its day's key should still exist but is not in this directory: a service pointed at
    /// another key directory than the collector's (or the volume is not mounted).
    KeyMissing,
    /// The bytes do not open with the day's key (not sealed for this event, or damaged).
    Unreadable,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Opened::Address(_) => "Address(redacted)",
            Opened::KeyDestroyed => "KeyDestroyed",
            Opened::KeyMissing => "KeyMissing",
            Opened::Unreadable => "Unreadable",
        })
    }
}

/// The address keys of one directory, with the ones in use held in memory. A held key is checked
/// against its lifetime on every use and dropped once expired, so memory never outlives the file.
#[derive(Debug, Clone)]
pub struct AddressKeys {
    secrets: DailySecrets,
    held: Arc<Mutex<HashMap<NaiveDate, DaySecret>>>,
}

impl AddressKeys {
    pub fn open(dir: impl Into<PathBuf>, lifetime: Duration) -> Result<Self, SecretError> {
        Ok(Self {
            secrets: DailySecrets::open(dir, lifetime)?,
            held: Arc::default(),
        })
    }

    pub fn secrets(&self) -> &DailySecrets {
        &self.secrets
    }

    /// Seals `address` for the event `event_id` with the key of the day `now` falls in.
    pub fn seal(
        &self,
        address: &str,
        event_id: &str,
        now: DateTime<Utc>,
    ) -> Result<SealedAddress, SecretError> {
        let key = self.today(now)?;
        let nonce: [u8; NONCE_LEN] = rand::random();
        let ciphertext = cipher(&key)
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: address.as_bytes(),
                    aad: event_id.as_bytes(),
                },
            )
            .expect("sealing a short text cannot fail");
        Ok(SealedAddress {
            key_day: key.day.format(DAY_FORMAT).to_string(),
            nonce: nonce.to_vec(),
            ciphertext,
        })
    }

    /// Opens `sealed` for the event `event_id`, if its day's key still exists at `now`.
    pub fn open_sealed(
        &self,
        sealed: &SealedAddress,
        event_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Opened, SecretError> {
        let Ok(day) = NaiveDate::parse_from_str(&sealed.key_day, DAY_FORMAT) else {
            return Ok(Opened::Unreadable);
        };
        let Ok(nonce) = <[u8; NONCE_LEN]>::try_from(sealed.nonce.as_slice()) else {
            return Ok(Opened::Unreadable);
        };
        let Some(key) = self.of_day(day, now)? else {
            return Ok(if self.secrets.expired(day, now) {
                Opened::KeyDestroyed
            } else {
                Opened::KeyMissing
            });
        };
        let opened = cipher(&key).decrypt(
            &XNonce::from(nonce),
            Payload {
                msg: &sealed.ciphertext,
                aad: event_id.as_bytes(),
            },
        );
        Ok(
            match opened.ok().and_then(|bytes| String::from_utf8(bytes).ok()) {
                Some(address) => Opened::Address(address),
                None => Opened::Unreadable,
            },
        )
    }

    /// Destroys every key past its lifetime, on disk and in memory; returns the days destroyed.
    pub fn purge(&self, now: DateTime<Utc>) -> Result<Vec<NaiveDate>, SecretError> {
        self.lock()
            .retain(|day, _| !self.secrets.expired(*day, now));
        self.secrets.purge(now)
    }

    /// Purges every `period` until the task is dropped; logs the days destroyed (never a key).
    pub async fn purge_every(self, period: StdDuration) {
        let mut tick = tokio::time::interval(period);
        loop {
            tick.tick().await;
            match self.purge(Utc::now()) {
                Ok(days) if !days.is_empty() => {
                    tracing::info!(
                        ?days,
                        "address keys destroyed: their raw addresses are gone"
                    )
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "address keys could not be purged"),
            }
        }
    }

    fn today(&self, now: DateTime<Utc>) -> Result<DaySecret, SecretError> {
        let day = now.date_naive();
        if let Some(key) = self.lock().get(&day) {
            return Ok(key.clone());
        }
        let key = self.secrets.current(now)?;
        self.lock().insert(day, key.clone());
        Ok(key)
    }

    fn of_day(&self, day: NaiveDate, now: DateTime<Utc>) -> Result<Option<DaySecret>, SecretError> {
        if self.secrets.expired(day, now) {
            self.lock().remove(&day);
            // Deletes the file if a purge has not yet.
            return self.secrets.for_day(day, now);
        }
        if let Some(key) = self.lock().get(&day) {
            return Ok(Some(key.clone()));
        }
        // A missing key is not remembered: on a shared volume it may appear a moment later.
        let key = self.secrets.for_day(day, now)?;
        if let Some(key) = &key {
            self.lock().insert(day, key.clone());
        }
        Ok(key)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<NaiveDate, DaySecret>> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn cipher(key: &DaySecret) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(key.bytes().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).unwrap()
    }

    fn keys(dir: &tempfile::TempDir) -> AddressKeys {
        AddressKeys::open(dir.path().join("address-keys"), Duration::hours(72)).unwrap()
    }

    #[test]
    fn a_sealed_address_opens_for_its_event_within_the_window_only() {
        let dir = tempfile::tempdir().unwrap();
        let (edge, processor) = (keys(&dir), keys(&dir));
        let sealed = edge.seal("4.227.36.7", "evt-1", at(1, 10)).unwrap();
        assert_eq!(sealed.key_day, "2026-12-01");
        assert!(!String::from_utf8_lossy(&sealed.ciphertext).contains("4.227"));
        assert_eq!(
            processor.open_sealed(&sealed, "evt-1", at(3, 23)).unwrap(),
            Opened::Address("4.227.36.7".into())
        );
        assert_eq!(
            processor.open_sealed(&sealed, "evt-2", at(1, 11)).unwrap(),
            Opened::Unreadable,
            "moved onto another event, it does not open"
        );
        // The processor holds the key in memory now; past the window it must not use it.
        assert_eq!(
            processor.open_sealed(&sealed, "evt-1", at(4, 0)).unwrap(),
            Opened::KeyDestroyed
        );
        assert!(processor.secrets().days().unwrap().is_empty(), "file gone");
    }

    #[test]
    fn a_key_absent_within_its_window_is_missing_not_destroyed() {
        let (collector, elsewhere) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let sealed = keys(&collector)
            .seal("4.227.36.7", "evt-1", at(1, 10))
            .unwrap();
        let misconfigured = keys(&elsewhere);
        assert_eq!(
            misconfigured
                .open_sealed(&sealed, "evt-1", at(1, 11))
                .unwrap(),
            Opened::KeyMissing,
            "another directory than the collector's"
        );
        assert_eq!(
            misconfigured
                .open_sealed(&sealed, "evt-1", at(4, 0))
                .unwrap(),
            Opened::KeyDestroyed,
            "past the window it is gone wherever one looks"
        );
    }

    #[test]
    fn each_record_has_its_own_nonce() {
        let dir = tempfile::tempdir().unwrap();
        let k = keys(&dir);
        let a = k.seal("1.2.3.4", "e", at(1, 1)).unwrap();
        let b = k.seal("1.2.3.4", "e", at(1, 1)).unwrap();
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
    }

    #[test]
    fn a_purge_destroys_held_and_stored_keys() {
        let dir = tempfile::tempdir().unwrap();
        let (edge, processor) = (keys(&dir), keys(&dir));
        let sealed = edge.seal("2001:db8::1", "evt-1", at(1, 10)).unwrap();
        let fresh = edge.seal("2001:db8::2", "evt-2", at(3, 10)).unwrap();
        assert!(matches!(
            processor.open_sealed(&sealed, "evt-1", at(2, 0)).unwrap(),
            Opened::Address(_)
        ));
        assert_eq!(edge.purge(at(4, 0)).unwrap(), vec![at(1, 0).date_naive()]);
        assert!(edge.lock().get(&at(1, 0).date_naive()).is_none());
        // The processor still held the key; the file is gone and so is every way to open it,
        // even asked with a clock that says the window is still open.
        assert!(processor.purge(at(4, 0)).unwrap().is_empty());
        assert_eq!(
            processor.open_sealed(&sealed, "evt-1", at(2, 0)).unwrap(),
            Opened::KeyMissing
        );
        assert!(matches!(
            processor.open_sealed(&fresh, "evt-2", at(4, 0)).unwrap(),
            Opened::Address(_)
        ));
    }

    #[test]
    fn damaged_records_are_unreadable_not_errors_and_debug_hides_the_address() {
        let dir = tempfile::tempdir().unwrap();
        let k = keys(&dir);
        let mut sealed = k.seal("1.2.3.4", "e", at(1, 1)).unwrap();
        sealed.ciphertext[0] ^= 1;
        assert_eq!(
            k.open_sealed(&sealed, "e", at(1, 2)).unwrap(),
            Opened::Unreadable
        );
        sealed.key_day = "yesterday".into();
        assert_eq!(
            k.open_sealed(&sealed, "e", at(1, 2)).unwrap(),
            Opened::Unreadable
        );
        assert_eq!(
            format!("{:?}", Opened::Address("1.2.3.4".into())),
            "Address(redacted)"
        );
    }

    #[test]
    fn a_window_shorter_than_a_day_is_refused() {
        let args = |hours| AddressKeyArgs {
            dir: "x".into(),
            hours,
        };
        assert!(args(72).validate().is_ok());
        assert_eq!(
            args(12).validate().unwrap_err().to_string(),
            "invalid --address-key-hours: is 12; use at least 24"
        );
    }
}
