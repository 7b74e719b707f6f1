//! The demo's agentic browser: ChatGPT Agent's requests, signed the way Web Bot Auth agents sign
//! them (RFC 9421, the `web-bot-auth` profile) with a demo key whose directory the demo site
//! serves. The local stack points the loader's directory lookup for `https://chatgpt.com` at the
//! demo site, so these hits verify by signature although their addresses are in no list; a few
//! carry a signature by a key the directory does not hold, and are spoofed.

use std::path::Path;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// Who the demo agent signs as.
pub const SIGNATURE_AGENT: &str = "https://chatgpt.com";
/// Where a key directory lives under its origin.
pub const DIRECTORY_PATH: &str = ".well-known/http-message-signatures-directory";
/// ChatGPT Agent browses with an ordinary browser's user agent; the signature says who it is.
pub const USER_AGENT: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// The same key on every run (a demo secret, useless anywhere else).
pub fn demo_key(label: &str) -> SigningKey {
    SigningKey::from_bytes(&Sha256::digest(format!("optiview demo signing key: {label}")).into())
}

fn jwk_x(key: &SigningKey) -> String {
    URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes())
}

/// RFC 7638: the SHA-256 of the JWK's required members in lexicographic order.
fn thumbprint(key: &SigningKey) -> String {
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, jwk_x(key));
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// Writes the directory holding the agent's key into the demo site.
pub fn write_directory(site: &Path) -> std::io::Result<()> {
    let path = site.join(DIRECTORY_PATH);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let key = demo_key("agent");
    let body = json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": jwk_x(&key)}]});
    std::fs::write(path, body.to_string())
}

/// The signature fields of a hit of `host` + `path` at `ts_ms`, signed by `key`: what the
/// forwarders copy from the agent's `Signature`, `Signature-Input` and `Signature-Agent` headers.
pub fn sign(hit: &mut Value, key: &SigningKey, host: &str, path: &str, ts_ms: i64, nonce: u64) {
    let created = ts_ms / 1000 - 1;
    let agent = format!("\"{SIGNATURE_AGENT}\"");
    let params = format!(
        r#"("@authority" "@method" "@path" "signature-agent");created={created};expires={};keyid="{}";nonce="demo-{nonce}";tag="web-bot-auth""#,
        created + 300,
        thumbprint(key)
    );
    let base = format!(
        "\"@authority\": {host}\n\"@method\": GET\n\"@path\": {path}\n\"signature-agent\": {agent}\n\"@signature-params\": {params}"
    );
    let signature = STANDARD.encode(key.sign(base.as_bytes()).to_bytes());
    hit["signature"] = json!(format!("sig1=:{signature}:"));
    hit["signature_input"] = json!(format!("sig1={params}"));
    hit["signature_agent"] = json!(agent);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Verifier;

    #[test]
    fn the_signature_is_over_the_rfc_9421_base_with_the_directory_key() {
        let key = demo_key("agent");
        let mut hit = json!({});
        sign(
            &mut hit,
            &key,
            "www.example.com",
            "/pricing/",
            1_764_000_000_000,
            7,
        );
        let input = hit["signature_input"].as_str().unwrap();
        assert!(input.starts_with("sig1=(\"@authority\""), "{input}");
        assert!(input.contains(&format!("keyid=\"{}\"", thumbprint(&key))));
        let params = input.strip_prefix("sig1=").unwrap();
        let base = format!(
            "\"@authority\": www.example.com\n\"@method\": GET\n\"@path\": /pricing/\n\"signature-agent\": \"https://chatgpt.com\"\n\"@signature-params\": {params}"
        );
        let encoded = hit["signature"].as_str().unwrap();
        let bytes = STANDARD
            .decode(encoded.trim_start_matches("sig1=:").trim_end_matches(':'))
            .unwrap();
        let signature = ed25519_dalek::Signature::from_slice(&bytes).unwrap();
        key.verifying_key()
            .verify(base.as_bytes(), &signature)
            .unwrap();
        // Another label is another key: what the spoofed demo hits sign with.
        assert_ne!(demo_key("stranger").verifying_key(), key.verifying_key());
    }
}
