//! A signer's key directory (draft-meunier-http-message-signatures-directory): a JSON Web Key
//! Set whose Ed25519 keys (`OKP`) sign its agents' requests, each named by its RFC 7638
//! thumbprint, which a Web Bot Auth signature gives as its `keyid`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::VerifyingKey;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Keys read from one directory; the rest are ignored (a directory holds a handful).
pub const MAX_KEYS: usize = 64;

#[derive(Debug, Clone, Default)]
pub struct Directory {
    keys: Vec<DirectoryKey>,
}

#[derive(Debug, Clone)]
struct DirectoryKey {
    thumbprint: String,
    kid: Option<String>,
    key: VerifyingKey,
    /// Validity in seconds since the epoch (JWK `nbf`, `exp`), when given.
    not_before: Option<i64>,
    expires: Option<i64>,
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct Jwk {
    kty: String,
    crv: String,
    x: String,
    kid: Option<String>,
    nbf: Option<i64>,
    exp: Option<i64>,
}

impl Directory {
    /// The directory's Ed25519 keys. Keys of other types are skipped; a directory with none is an
    /// error (nothing it could vouch for).
    pub fn parse(json: &[u8]) -> Result<Self, String> {
        let jwks: Jwks =
            serde_json::from_slice(json).map_err(|e| format!("not a JSON Web Key Set: {e}"))?;
        let keys: Vec<DirectoryKey> = jwks
            .keys
            .into_iter()
            .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
            .filter(|jwk| jwk.kty == "OKP" && jwk.crv == "Ed25519")
            .filter_map(|jwk| {
                let bytes: [u8; 32] = URL_SAFE_NO_PAD.decode(&jwk.x).ok()?.try_into().ok()?;
                Some(DirectoryKey {
                    thumbprint: thumbprint(&jwk.x),
                    kid: jwk.kid,
                    key: VerifyingKey::from_bytes(&bytes).ok()?,
                    not_before: jwk.nbf,
                    expires: jwk.exp,
                })
            })
            .take(MAX_KEYS)
            .collect();
        if keys.is_empty() {
            return Err("the directory holds no Ed25519 key".into());
        }
        Ok(Self { keys })
    }

    /// The key a signature names, valid at `at` (seconds): by thumbprint, or by the `kid` the
    /// directory gives it.
    pub fn key(&self, keyid: &str, at: i64) -> Option<&VerifyingKey> {
        self.keys
            .iter()
            .filter(|k| k.not_before.is_none_or(|nbf| nbf <= at))
            .filter(|k| k.expires.is_none_or(|exp| at < exp))
            .find(|k| k.thumbprint == keyid || k.kid.as_deref() == Some(keyid))
            .map(|k| &k.key)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// RFC 7638 thumbprint of an Ed25519 JWK (RFC 8037 section 2): SHA-256 of its required members
/// in lexicographic order, base64url without padding.
pub fn thumbprint(x: &str) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#);
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8037 Appendix A.3: the thumbprint of the Appendix A.2 public key.
    #[test]
    fn the_rfc_8037_thumbprint_example() {
        assert_eq!(
            thumbprint("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
    }

    /// The Web Bot Auth draft names the RFC 9421 test key by this keyid.
    #[test]
    fn the_rfc_9421_key_has_the_keyid_of_the_web_bot_auth_draft() {
        assert_eq!(
            thumbprint("JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs"),
            "poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U"
        );
    }

    #[test]
    fn ed25519_keys_are_found_by_thumbprint_or_kid_within_their_validity() {
        let json = br#"{"keys":[
            {"kty":"RSA","n":"x","e":"AQAB"},
            {"kty":"OKP","crv":"Ed25519","x":"JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs","nbf":1000,"exp":2000},
            {"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"rotated-2"},
            {"kty":"OKP","crv":"Ed25519","x":"short"}
        ],"purpose":"ai"}"#;
        let directory = Directory::parse(json).unwrap();
        assert_eq!(
            directory.len(),
            2,
            "the RSA key and the broken key are skipped"
        );
        let rfc = "poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U";
        assert!(directory.key(rfc, 1500).is_some());
        assert!(directory.key(rfc, 999).is_none(), "not yet valid");
        assert!(directory.key(rfc, 2000).is_none(), "expired");
        assert!(directory.key("rotated-2", 0).is_some());
        assert!(directory
            .key("kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k", 0)
            .is_some());
        assert!(directory.key("unknown", 1500).is_none());
        assert!(Directory::parse(br#"{"keys":[{"kty":"RSA"}]}"#).is_err());
        assert!(Directory::parse(b"<html>").is_err());
    }
}
