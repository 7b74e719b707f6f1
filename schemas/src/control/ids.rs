//! Public identifiers and secrets: `key_`/`prj_`/`org_`/`usr_` + 10 random characters.

use rand::distr::{Alphanumeric, SampleString};
use sha2::{Digest, Sha256};

pub const ID_SUFFIX_LEN: usize = 10;

/// A new random id such as `key_a1B2c3D4e5`.
pub fn new_id(prefix: &str) -> String {
    format!(
        "{prefix}_{}",
        Alphanumeric.sample_string(&mut rand::rng(), ID_SUFFIX_LEN)
    )
}

/// True when `id` is `prefix_` followed by exactly 10 ASCII letters or digits.
pub fn is_valid_id(prefix: &str, id: &str) -> bool {
    id.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('_'))
        .is_some_and(|s| s.len() == ID_SUFFIX_LEN && s.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// A new server-side secret. It is shown once; only [`hash_secret`] of it is stored.
pub fn new_secret() -> String {
    format!("ovs_{}", Alphanumeric.sample_string(&mut rand::rng(), 40))
}

/// A new analyst API token, sent as `Authorization: Bearer ovt_…`; shown once, stored hashed.
pub fn new_analyst_token() -> String {
    format!("ovt_{}", Alphanumeric.sample_string(&mut rand::rng(), 40))
}

/// SHA-256 is enough here: secrets are 238 bits of randomness, so there is nothing to brute-force
/// that a slow password hash would protect, and lookups happen on every server-side request.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}
