//! Web Bot Auth: a server hit that carries an RFC 9421 signature of the `web-bot-auth` profile is
//! checked against the key directory its `Signature-Agent` names. A valid signature by one of
//! that directory's keys vouches for the signer's agent whatever the address (`verified`); a
//! signature that claims the profile but is expired, tampered with or made with a key the
//! directory lacks is `spoofed`; a signer whose directory cannot be read, or a signature over
//! something the hit did not record, decides nothing (the other methods do).
//!
//! The directory is fetched off the hot path ([`directories`]): a hit whose signer's directory
//! is not cached yet waits in the loader's batch ([`WebBotAuth::awaiting`]) until the fetch ends,
//! bounded by the fetch's timeout, and is enriched then — so each hit is written once, with its
//! verdict, and the rollups count it once.

pub mod directories;
pub mod directory;
pub mod signature;

use std::collections::HashMap;
use std::sync::Arc;

use schemas::beacon::ServerHit;
use schemas::catalog::AgentEntry;
use schemas::vocab::{AgentClass, Verification};

use super::user_agent::UaClass;
use crate::telemetry;
use directories::{Directories, Lookup};
pub use directories::{DirectoryConfig, KeyWait};
use signature::{Invalid, Request};

/// A signature's `created` may lead the hit's time, and its `expires` trail it, by this much
/// (the signer's clock against the forwarder's).
pub const CLOCK_SKEW_SECS: i64 = 60;

/// What a signed hit's signature says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub outcome: Result<(), Spoofed>,
    pub signer: Signer,
}

/// Why a signature that claims the profile is `spoofed`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Spoofed {
    #[error("the signature has expired")]
    Expired,
    #[error("the signature is not valid yet")]
    NotYetValid,
    #[error("the signer's directory has no key {0:?}")]
    UnknownKey(String),
    #[error(transparent)]
    Invalid(#[from] Invalid),
}

/// Whose directory vouches: the `Signature-Agent` origin, and the catalog agent it signs for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    pub origin: String,
    pub host: String,
    /// Index into the agent catalog (`schemas::catalog::signature_agents`).
    pub agent: Option<usize>,
}

pub struct WebBotAuth {
    directories: Option<Arc<Directories>>,
    /// Signature-Agent host → index into the agent catalog.
    signers: HashMap<String, usize>,
}

impl WebBotAuth {
    /// Checks signatures against directories fetched under `config`; `agents` is the catalog the
    /// classifier matches with.
    pub fn new(config: DirectoryConfig, agents: &[AgentEntry]) -> anyhow::Result<Self> {
        let signers = schemas::catalog::signature_agents()
            .into_iter()
            .filter_map(|s| {
                let i = agents.iter().position(|a| a.name == s.agent)?;
                Some((s.host.to_owned(), i))
            })
            .collect();
        Ok(Self {
            directories: Some(Arc::new(Directories::new(config)?)),
            signers,
        })
    }

    /// Checks nothing: every hit is left to the other methods.
    pub fn disabled() -> Self {
        Self {
            directories: None,
            signers: HashMap::new(),
        }
    }

    pub fn directories(&self) -> Option<&Arc<Directories>> {
        self.directories.as_ref()
    }

    /// Something to wait on when `hit` is signed and its signer's directory is being fetched
    /// (a miss starts the fetch); `None` when its verdict can be had now.
    pub fn awaiting(&self, hit: &ServerHit) -> Option<KeyWait> {
        let directories = self.directories.as_ref()?;
        let input = hit.signature_input.as_deref()?;
        if !input.contains(signature::TAG) {
            return None;
        }
        let signed = signature::parse(input, hit.signature.as_deref()).ok()??;
        let origin = signer_origin(hit.signature_agent.as_deref()?, &Some(&signed))?;
        match directories.lookup(&origin) {
            Lookup::Pending(wait) => Some(wait),
            Lookup::Ready(_) | Lookup::Unavailable => None,
        }
    }

    /// The verdict of `hit`'s Web Bot Auth signature, at the hit's time `at_ms`; `None` when it
    /// carries none, or nothing can be decided.
    pub fn check(&self, hit: &ServerHit, user_agent: &str, at_ms: i64) -> Option<Checked> {
        let checked = self.decide(hit, user_agent, at_ms);
        let outcome = match &checked {
            Some(Checked {
                outcome: Ok(()), ..
            }) => "verified",
            Some(_) => "spoofed",
            None if hit.signature_input.is_some() => "undecided",
            None => return None,
        };
        metrics::counter!(telemetry::WEB_BOT_AUTH, "outcome" => outcome).increment(1);
        checked
    }

    fn decide(&self, hit: &ServerHit, user_agent: &str, at_ms: i64) -> Option<Checked> {
        let directories = self.directories.as_ref()?;
        let parsed = signature::parse(hit.signature_input.as_deref()?, hit.signature.as_deref());
        let request = Request {
            method: &hit.method,
            authority: &hit.host,
            path: &hit.path,
            query: hit.query.as_deref().filter(|q| !q.is_empty()),
            user_agent,
            signature_agent: hit.signature_agent.as_deref(),
        };
        let signed = match parsed {
            Ok(Some(signed)) => signed,
            Ok(None) => return None,
            // A claim too broken to name its signer: whoever it is, it does not hold.
            Err(invalid) => {
                let origin = signer_origin(hit.signature_agent.as_deref()?, &None)?;
                return Some(self.checked(origin, Err(invalid.into())));
            }
        };
        let origin = signer_origin(request.signature_agent?, &Some(&signed))?;
        if signed.algorithm().is_some_and(|alg| alg != "ed25519") {
            return None;
        }
        let Lookup::Ready(directory) = directories.lookup(&origin) else {
            return None;
        };
        match judge(&signed, &request, &directory, at_ms) {
            Ok(Some(())) => Some(self.checked(origin, Ok(()))),
            Ok(None) => None,
            Err(spoofed) => Some(self.checked(origin, Err(spoofed))),
        }
    }

    fn checked(&self, origin: String, outcome: Result<(), Spoofed>) -> Checked {
        let host = url::Url::parse(&origin)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        Checked {
            outcome,
            signer: Signer {
                agent: self.signers.get(&host).copied(),
                origin,
                host,
            },
        }
    }
}

/// `Ok(Some(()))` for a valid signature, `Ok(None)` when it covers what the hit did not record.
fn judge(
    signed: &signature::Signed,
    request: &Request<'_>,
    directory: &directory::Directory,
    at_ms: i64,
) -> Result<Option<()>, Spoofed> {
    let at = at_ms.div_euclid(1000);
    if at > signed.expires + CLOCK_SKEW_SECS {
        return Err(Spoofed::Expired);
    }
    if at + CLOCK_SKEW_SECS < signed.created {
        return Err(Spoofed::NotYetValid);
    }
    signed.check_profile(request)?;
    let key = directory
        .key(&signed.keyid, at)
        .ok_or_else(|| Spoofed::UnknownKey(signed.keyid.clone()))?;
    let Ok(base) = signed.base(request)? else {
        return Ok(None);
    };
    signed.verify(&base, key)?;
    Ok(Some(()))
}

/// The origin of the signer's directory: the `Signature-Agent` URL (RFC 8941 string, or the
/// dictionary member the signature covers), as `scheme://host[:port]`.
fn signer_origin(signature_agent: &str, signed: &Option<&signature::Signed>) -> Option<String> {
    use sfv::{Dictionary, Item, ListEntry, Parser};
    // Early drafts sent the URL bare, which parses as a token when it has no `?` or `=`.
    let text_of = |item: &Item| {
        let bare = &item.bare_item;
        bare.as_string()
            .map(|s| s.as_str())
            .or_else(|| bare.as_token().map(|t| t.as_str()))
            .map(str::to_owned)
    };
    let raw = signature_agent.trim();
    let text = if let Ok(item) = Parser::new(raw).parse::<Item>() {
        text_of(&item)?
    } else if let Ok(dictionary) = Parser::new(raw).parse::<Dictionary>() {
        let key = signed.map(|s| s.agent_key().unwrap_or(&s.label).to_owned());
        let member = match key {
            Some(key) => dictionary.get(key.as_str()),
            None => dictionary.values().next(),
        };
        match member? {
            ListEntry::Item(item) => text_of(item)?,
            ListEntry::InnerList(_) => return None,
        }
    } else {
        raw.to_owned()
    };
    let url = url::Url::parse(&text).ok()?;
    matches!(url.scheme(), "https" | "http")
        .then(|| url.origin().ascii_serialization())
        .filter(|o| o != "null")
}

impl Checked {
    /// What the signature makes of the hit's client: a verified signer's agent replaces a browser
    /// user agent (an agentic browser) or an unnamed robot, and a spoofed one names the agent it
    /// pretended to be. A user agent naming a catalog agent keeps its name; the signature then
    /// vouches for it only when that agent's operator signed. `None`: the signature decides
    /// nothing about this client.
    pub fn apply(&self, ua: &mut UaClass, agents: &[AgentEntry]) -> Option<Verification> {
        let signer = self
            .signer
            .agent
            .and_then(|i| agents.get(i).map(|a| (i, a)));
        let claimed = ua.catalog_agent.and_then(|i| agents.get(i));
        if let (Ok(()), Some(claimed)) = (&self.outcome, claimed) {
            return signer
                .is_some_and(|(_, s)| s.operator == claimed.operator)
                .then_some(Verification::Verified);
        }
        if claimed.is_none() {
            match signer {
                Some((i, agent)) => {
                    ua.class = agent.class;
                    ua.agent = Some(agent.name.clone());
                    ua.operator = Some(agent.operator.clone()).filter(|o| !o.is_empty());
                    ua.catalog_agent = Some(i);
                }
                None => {
                    if !ua.class.is_bot() {
                        ua.class = AgentClass::OtherBot;
                    }
                    ua.agent = Some(self.signer.host.clone());
                    ua.operator = Some(self.signer.host.clone());
                }
            }
        }
        Some(match self.outcome {
            Ok(()) => Verification::Verified,
            Err(_) => Verification::Spoofed,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests;
