//! RFC 9421 message signatures as the Web Bot Auth profile uses them: the `Signature-Input` and
//! `Signature` fields (RFC 8941 structured fields), the signature base of the covered components
//! and its Ed25519 check. Pure: the request is what a server hit recorded of it.

use ed25519_dalek::{Signature, VerifyingKey};
use sfv::{BareItem, Dictionary, FieldType, InnerList, Item, List, ListEntry, Parser};

/// The `tag` parameter of a Web Bot Auth signature.
pub const TAG: &str = "web-bot-auth";

/// What of a request a signature may cover, as the server hit recorded it. The scheme is not
/// recorded: the forwarders sit behind TLS, so `https` is assumed.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    /// Host, with the port when it is not the default one.
    pub authority: &'a str,
    pub path: &'a str,
    /// Without the leading `?`; `None` when the request had none.
    pub query: Option<&'a str>,
    pub user_agent: &'a str,
    pub signature_agent: Option<&'a str>,
}

/// One `Signature-Input` member tagged `web-bot-auth`, with its `Signature`.
#[derive(Debug, Clone, PartialEq)]
pub struct Signed {
    pub label: String,
    pub keyid: String,
    /// Seconds since the epoch.
    pub created: i64,
    pub expires: i64,
    /// The covered components and the signature parameters, as sent.
    params: InnerList,
    signature: Vec<u8>,
}

/// Why a signature that claims the profile does not hold up: each makes the hit `spoofed`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("the signature lacks the {0} parameter")]
    MissingParameter(&'static str),
    #[error("the signature covers neither @authority nor @target-uri")]
    NotBoundToTheSite,
    #[error("the request names a Signature-Agent the signature does not cover")]
    AgentNotCovered,
    #[error("a covered component is not a string, or is covered twice")]
    BadComponent,
    #[error("no Ed25519 signature under the label")]
    NoSignature,
    #[error("the signature does not match the request")]
    Mismatch,
}

/// Why a signature cannot be checked at all: the hit stays undecided.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unchecked {
    #[error("algorithm {0:?} is not ed25519")]
    Algorithm(String),
    #[error("component {0} is not recorded with the hit")]
    Component(String),
}

/// The first `Signature-Input` member tagged `web-bot-auth`, with its signature. `Ok(None)` when
/// the input does not parse or no member claims the profile: such a request makes no claim.
pub fn parse(signature_input: &str, signature: Option<&str>) -> Result<Option<Signed>, Invalid> {
    let Ok(inputs) = Parser::new(signature_input).parse::<Dictionary>() else {
        return Ok(None);
    };
    let Some((label, params)) = inputs.iter().find_map(|(label, entry)| match entry {
        ListEntry::InnerList(list) if string_param(list, "tag") == Some(TAG) => {
            Some((label.as_str().to_owned(), list))
        }
        _ => None,
    }) else {
        return Ok(None);
    };
    let keyid = string_param(params, "keyid").ok_or(Invalid::MissingParameter("keyid"))?;
    let created = integer_param(params, "created").ok_or(Invalid::MissingParameter("created"))?;
    let expires = integer_param(params, "expires").ok_or(Invalid::MissingParameter("expires"))?;
    let signature = signature
        .and_then(|s| Parser::new(s).parse::<Dictionary>().ok())
        .and_then(|d| match d.get(label.as_str()) {
            Some(ListEntry::Item(item)) => item.bare_item.as_byte_sequence().map(<[u8]>::to_vec),
            _ => None,
        })
        .filter(|bytes| bytes.len() == ed25519_dalek::SIGNATURE_LENGTH)
        .ok_or(Invalid::NoSignature)?;
    Ok(Some(Signed {
        label,
        keyid: keyid.to_owned(),
        created,
        expires,
        params: params.clone(),
        signature,
    }))
}

fn string_param<'a>(list: &'a InnerList, name: &str) -> Option<&'a str> {
    list.params
        .get(name)
        .and_then(BareItem::as_string)
        .map(|s| s.as_str())
}

fn integer_param(list: &InnerList, name: &str) -> Option<i64> {
    list.params
        .get(name)
        .and_then(BareItem::as_integer)
        .map(i64::from)
}

impl Signed {
    /// The `alg` parameter, when given.
    pub fn algorithm(&self) -> Option<&str> {
        string_param(&self.params, "alg")
    }

    /// The covered components' names (`@authority`, `signature-agent`, …).
    pub fn covers(&self, name: &str) -> bool {
        self.params
            .items
            .iter()
            .any(|i| i.bare_item.as_string().is_some_and(|s| s.as_str() == name))
    }

    /// The `key` parameter of the covered `signature-agent` component: which member of a
    /// dictionary-valued `Signature-Agent` names the signer.
    pub fn agent_key(&self) -> Option<&str> {
        self.params
            .items
            .iter()
            .find(|i| {
                i.bare_item
                    .as_string()
                    .is_some_and(|s| s.as_str() == "signature-agent")
            })
            .and_then(|i| i.params.get("key"))
            .and_then(BareItem::as_string)
            .map(|s| s.as_str())
    }

    /// The profile's requirements on what is signed, beyond the tag and the parameters.
    pub fn check_profile(&self, request: &Request<'_>) -> Result<(), Invalid> {
        if !self.covers("@authority") && !self.covers("@target-uri") {
            return Err(Invalid::NotBoundToTheSite);
        }
        if request.signature_agent.is_some() && !self.covers("signature-agent") {
            return Err(Invalid::AgentNotCovered);
        }
        Ok(())
    }

    /// The signature base (RFC 9421 section 2.5): one line per covered component, then the
    /// signature parameters. `Ok(Err(_))` when a component cannot be rebuilt from the hit.
    pub fn base(&self, request: &Request<'_>) -> Result<Result<String, Unchecked>, Invalid> {
        let mut base = String::new();
        let mut seen = Vec::with_capacity(self.params.items.len());
        for item in &self.params.items {
            let identifier = item.serialize();
            if item.bare_item.as_string().is_none() || seen.contains(&identifier) {
                return Err(Invalid::BadComponent);
            }
            let value = match component(item, request) {
                Ok(value) => value,
                Err(unchecked) => return Ok(Err(unchecked)),
            };
            base.push_str(&identifier);
            base.push_str(": ");
            base.push_str(&value);
            base.push('\n');
            seen.push(identifier);
        }
        let params: List = vec![ListEntry::InnerList(self.params.clone())];
        base.push_str("\"@signature-params\": ");
        base.push_str(&params.serialize().unwrap_or_default());
        Ok(Ok(base))
    }

    /// Whether `key` signed `base`: strict Ed25519 (no malleable or small-order signatures).
    pub fn verify(&self, base: &str, key: &VerifyingKey) -> Result<(), Invalid> {
        let signature = Signature::from_slice(&self.signature).map_err(|_| Invalid::NoSignature)?;
        key.verify_strict(base.as_bytes(), &signature)
            .map_err(|_| Invalid::Mismatch)
    }
}

/// A covered component's value as the hit recorded it (RFC 9421 sections 2.1 and 2.2).
fn component(item: &Item, request: &Request<'_>) -> Result<String, Unchecked> {
    let name = item
        .bare_item
        .as_string()
        .map(|s| s.as_str())
        .unwrap_or_default();
    let unrecorded = || Unchecked::Component(item.serialize());
    let query = request.query.map(|q| q.trim_start_matches('?'));
    let path = if request.path.is_empty() {
        "/"
    } else {
        request.path
    };
    let with_query = |prefix: String| match query {
        Some(q) => format!("{prefix}?{q}"),
        None => prefix,
    };
    let derived_with_params = name.starts_with('@') && !item.params.is_empty();
    if derived_with_params {
        return Err(unrecorded());
    }
    Ok(match name {
        "@method" => request.method.to_owned(),
        "@authority" => request.authority.to_ascii_lowercase(),
        "@scheme" => "https".to_owned(),
        "@path" => path.to_owned(),
        "@query" => format!("?{}", query.unwrap_or_default()),
        "@request-target" => with_query(path.to_owned()),
        "@target-uri" => with_query(format!(
            "https://{}{path}",
            request.authority.to_ascii_lowercase()
        )),
        "user-agent" if item.params.is_empty() => request.user_agent.trim().to_owned(),
        "signature-agent" => {
            let raw = request.signature_agent.ok_or_else(unrecorded)?.trim();
            field_value(raw, item).ok_or_else(unrecorded)?
        }
        _ => return Err(unrecorded()),
    })
}

/// A field's component value under the identifier's parameters: as sent, re-serialized (`sf`),
/// or one dictionary member (`key`).
fn field_value(raw: &str, item: &Item) -> Option<String> {
    if let Some(key) = item.params.get("key") {
        let key = key.as_string()?.as_str();
        let dictionary = Parser::new(raw).parse::<Dictionary>().ok()?;
        return match dictionary.get(key)? {
            ListEntry::Item(member) => Some(member.serialize()),
            ListEntry::InnerList(list) => vec![ListEntry::InnerList(list.clone())].serialize(),
        };
    }
    match item.params.keys().next().map(|k| k.as_str()) {
        None => Some(raw.to_owned()),
        Some("sf") if item.params.len() == 1 => Parser::new(raw)
            .parse::<Item>()
            .map(|i| i.serialize())
            .ok()
            .or_else(|| Parser::new(raw).parse::<Dictionary>().ok()?.serialize()),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use ed25519_dalek::{Signer, SigningKey};

    const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
    const B64URL: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

    /// RFC 9421 Appendix B.1.4: the Ed25519 test key (private seed, public x).
    const RFC_SEED: &str = "n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU";
    const RFC_X: &str = "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs";

    fn rfc_key() -> SigningKey {
        let seed: [u8; 32] = B64URL.decode(RFC_SEED).unwrap().try_into().unwrap();
        SigningKey::from_bytes(&seed)
    }

    fn request<'a>(path: &'a str, agent: Option<&'a str>) -> Request<'a> {
        Request {
            method: "GET",
            authority: "acme.com",
            path,
            query: Some("ref=ai"),
            user_agent: "Mozilla/5.0",
            signature_agent: agent,
        }
    }

    #[test]
    fn the_rfc_test_key_is_the_one_the_rfc_publishes() {
        assert_eq!(B64URL.encode(rfc_key().verifying_key().as_bytes()), RFC_X);
    }

    /// RFC 9421 Appendix B.2.6 covers `date`, `content-type` and `content-length`, which a server
    /// hit does not record, so its base is written out here as the RFC prints it; the Ed25519
    /// signature over it is the RFC's, byte for byte (Ed25519 is deterministic).
    #[test]
    fn the_rfc_9421_ed25519_example_signs_and_verifies() {
        let base = concat!(
            "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n",
            "\"@method\": POST\n",
            "\"@path\": /foo\n",
            "\"@authority\": example.com\n",
            "\"content-type\": application/json\n",
            "\"content-length\": 18\n",
            "\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@authority\" ",
            "\"content-type\" \"content-length\");created=1618884473;keyid=\"test-key-ed25519\""
        );
        let rfc = "wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==";
        assert_eq!(B64.encode(rfc_key().sign(base.as_bytes()).to_bytes()), rfc);
        // The parameters line is this module's serialization of the RFC's Signature-Input.
        let input = r#"sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length");created=1618884473;keyid="test-key-ed25519""#;
        let dict = Parser::new(input).parse::<Dictionary>().unwrap();
        let Some(ListEntry::InnerList(list)) = dict.get("sig-b26") else {
            panic!("{dict:?}")
        };
        let line = vec![ListEntry::InnerList(list.clone())]
            .serialize()
            .unwrap();
        assert!(base.ends_with(&format!("\"@signature-params\": {line}")));
        let signed = Signed {
            label: "sig-b26".into(),
            keyid: "test-key-ed25519".into(),
            created: 1618884473,
            expires: 0,
            params: list.clone(),
            signature: B64.decode(rfc).unwrap(),
        };
        assert_eq!(signed.verify(base, &rfc_key().verifying_key()), Ok(()));
        assert_eq!(
            signed.verify(&base.replace("/foo", "/bar"), &rfc_key().verifying_key()),
            Err(Invalid::Mismatch)
        );
        // The request this module rebuilds from a hit has no `date` header to offer.
        assert_eq!(
            signed.base(&request("/foo", None)),
            Ok(Err(Unchecked::Component("\"date\"".into())))
        );
    }

    /// The Web Bot Auth architecture draft's example: `@authority` of example.com, signed with the
    /// RFC 9421 key, whose JWK thumbprint is the keyid.
    #[test]
    fn the_web_bot_auth_draft_example_verifies() {
        let input = r#"sig1=("@authority");created=1735689600;keyid="poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U";alg="ed25519";expires=1735693200;nonce="gubxywVx7hzbYKatLgzuKDllDAIXAkz41PydU7aOY7vT+Mb3GJNxW0qD4zJ+IOQ1NVtg+BNbTCRUMt1Ojr5BgA==";tag="web-bot-auth""#;
        let signature = "sig1=:uz2SAv+VIemw+Oo890bhYh6Xf5qZdLUgv6/PbiQfCFXcX/vt1A8Pf7OcgL2yUDUYXFtffNpkEr5W6dldqFrkDg==:";
        let signed = parse(input, Some(signature)).unwrap().unwrap();
        assert_eq!(
            (
                signed.label.as_str(),
                signed.keyid.as_str(),
                signed.created,
                signed.expires
            ),
            (
                "sig1",
                "poqkLGiymh_W0uP6PZFw-dvez3QJT5SolqXBCW38r0U",
                1735689600,
                1735693200
            )
        );
        assert_eq!(signed.algorithm(), Some("ed25519"));
        let example = Request {
            authority: "example.com",
            ..request("/", None)
        };
        let base = signed.base(&example).unwrap().unwrap();
        assert_eq!(
            base,
            format!(
                "\"@authority\": example.com\n\"@signature-params\": {}",
                &input[5..]
            )
        );
        assert_eq!(signed.check_profile(&example), Ok(()));
        assert_eq!(signed.verify(&base, &rfc_key().verifying_key()), Ok(()));
        let elsewhere = Request {
            authority: "example.org",
            ..example
        };
        let base = signed.base(&elsewhere).unwrap().unwrap();
        assert_eq!(
            signed.verify(&base, &rfc_key().verifying_key()),
            Err(Invalid::Mismatch)
        );
    }

    /// Signs `components` of `request` the way an agent would (its own serialization of the
    /// base, not this module's), with `key`.
    fn sign(
        key: &SigningKey,
        components: &[&str],
        params: &str,
        lines: &[String],
    ) -> (String, String) {
        let list = components
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(" ");
        let input = format!("({list}){params}");
        let base = format!("{}\"@signature-params\": {input}", lines.concat());
        let signature = B64.encode(key.sign(base.as_bytes()).to_bytes());
        (format!("sig1={input}"), format!("sig1=:{signature}:"))
    }

    #[test]
    fn a_base_is_rebuilt_from_what_the_hit_recorded() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let agent = "\"https://chatgpt.com\"";
        let params = r#";created=1800000000;expires=1800000300;keyid="k1";tag="web-bot-auth""#;
        let (input, signature) = sign(
            &key,
            &[
                "@authority",
                "@method",
                "@path",
                "@query",
                "@target-uri",
                "signature-agent",
            ],
            params,
            &[
                "\"@authority\": acme.com\n".into(),
                "\"@method\": GET\n".into(),
                "\"@path\": /docs/a\n".into(),
                "\"@query\": ?ref=ai\n".into(),
                "\"@target-uri\": https://acme.com/docs/a?ref=ai\n".into(),
                format!("\"signature-agent\": {agent}\n"),
            ],
        );
        let signed = parse(&input, Some(&signature)).unwrap().unwrap();
        let genuine = request("/docs/a", Some(agent));
        assert_eq!(signed.check_profile(&genuine), Ok(()));
        let base = signed.base(&genuine).unwrap().unwrap();
        assert_eq!(signed.verify(&base, &key.verifying_key()), Ok(()));
        let tampered = signed
            .base(&request("/docs/b", Some(agent)))
            .unwrap()
            .unwrap();
        assert_eq!(
            signed.verify(&tampered, &key.verifying_key()),
            Err(Invalid::Mismatch)
        );
        let other_key = SigningKey::from_bytes(&[8; 32]);
        assert_eq!(
            signed.verify(&base, &other_key.verifying_key()),
            Err(Invalid::Mismatch)
        );
    }

    #[test]
    fn a_dictionary_signature_agent_is_covered_by_its_member() {
        let key = SigningKey::from_bytes(&[9; 32]);
        let agent = r#"sig1="https://agent.example", other="https://x.example""#;
        let (input, signature) = {
            let input = r#"("@authority" "signature-agent";key="sig1");created=1;expires=2;keyid="k";tag="web-bot-auth""#;
            let base = format!(
                "\"@authority\": acme.com\n\"signature-agent\";key=\"sig1\": \"https://agent.example\"\n\"@signature-params\": {input}"
            );
            (
                format!("sig1={input}"),
                format!(
                    "sig1=:{}:",
                    B64.encode(key.sign(base.as_bytes()).to_bytes())
                ),
            )
        };
        let signed = parse(&input, Some(&signature)).unwrap().unwrap();
        assert_eq!(signed.agent_key(), Some("sig1"));
        let base = signed.base(&request("/", Some(agent))).unwrap().unwrap();
        assert_eq!(signed.verify(&base, &key.verifying_key()), Ok(()));
    }

    #[test]
    fn claims_of_the_profile_that_do_not_hold_are_invalid_and_others_are_no_claim() {
        let full = r#"sig1=("@authority");created=1;expires=2;keyid="k";tag="web-bot-auth""#;
        let sig = format!("sig1=:{}:", B64.encode([0u8; 64]));
        assert!(parse(full, Some(&sig)).unwrap().is_some());
        // No claim: not the profile's tag, or not a structured field at all.
        assert_eq!(
            parse(&full.replace("web-bot-auth", "other"), Some(&sig)),
            Ok(None)
        );
        assert_eq!(parse("not a (dictionary", Some(&sig)), Ok(None));
        for (input, why) in [
            (
                full.replace(";keyid=\"k\"", ""),
                Invalid::MissingParameter("keyid"),
            ),
            (
                full.replace(";created=1", ""),
                Invalid::MissingParameter("created"),
            ),
            (
                full.replace(";expires=2", ""),
                Invalid::MissingParameter("expires"),
            ),
        ] {
            assert_eq!(parse(&input, Some(&sig)), Err(why));
        }
        assert_eq!(parse(full, None), Err(Invalid::NoSignature));
        assert_eq!(parse(full, Some("sig2=:AAAA:")), Err(Invalid::NoSignature));
        assert_eq!(
            parse(full, Some("sig1=:AAAA:")),
            Err(Invalid::NoSignature),
            "not 64 bytes"
        );
        let path_only = parse(&full.replace("(\"@authority\")", "(\"@path\")"), Some(&sig))
            .unwrap()
            .unwrap();
        assert_eq!(
            path_only.check_profile(&request("/", None)),
            Err(Invalid::NotBoundToTheSite)
        );
        let signed = parse(full, Some(&sig)).unwrap().unwrap();
        assert_eq!(
            signed.check_profile(&request("/", Some("\"https://a.example\""))),
            Err(Invalid::AgentNotCovered)
        );
        let twice = parse(
            &full.replace("(\"@authority\")", "(\"@authority\" \"@authority\")"),
            Some(&sig),
        )
        .unwrap()
        .unwrap();
        assert_eq!(twice.base(&request("/", None)), Err(Invalid::BadComponent));
    }
}
