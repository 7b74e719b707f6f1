use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use ed25519_dalek::{Signer as _, SigningKey};
use schemas::beacon::ServerHit;
use schemas::vocab::{AgentClass, Verification};

use super::directory::{thumbprint, Directory};
use super::*;
use crate::enrich::Classifier;

pub(crate) const CHROME: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36";
const GPTBOT: &str = "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)";
/// The hit's time: 2027-01-15T08:00:00Z.
pub(crate) const AT_MS: i64 = 1_800_000_000_000;

pub(crate) fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

pub(crate) fn keyid(key: &SigningKey) -> String {
    thumbprint(&URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes()))
}

pub(crate) fn directory_of(keys: &[&SigningKey]) -> Directory {
    let jwks: Vec<String> = keys
        .iter()
        .map(|k| {
            format!(
                r#"{{"kty":"OKP","crv":"Ed25519","x":"{}"}}"#,
                URL_SAFE_NO_PAD.encode(k.verifying_key().as_bytes())
            )
        })
        .collect();
    Directory::parse(format!(r#"{{"keys":[{}]}}"#, jwks.join(",")).as_bytes()).unwrap()
}

pub(crate) fn unsigned(path: &str) -> ServerHit {
    ServerHit {
        ts: AT_MS,
        method: "GET".into(),
        host: "acme.com".into(),
        path: path.into(),
        query: None,
        status: 200,
        ip: Some("203.0.113.7".into()),
        referrer: None,
        bytes: None,
        response_ms: None,
        signature: None,
        signature_input: None,
        signature_agent: None,
        sealed_ip: None,
    }
}

/// `hit` signed as an agent signs it: `@authority`, `@method`, `@path` and `signature-agent`,
/// written out by hand.
pub(crate) fn signed(
    mut hit: ServerHit,
    by: &SigningKey,
    keyid: &str,
    agent: &str,
    created: i64,
) -> ServerHit {
    let agent_field = format!("\"{agent}\"");
    let input = format!(
        r#"("@authority" "@method" "@path" "signature-agent");created={created};expires={};keyid="{keyid}";tag="web-bot-auth""#,
        created + 300
    );
    let base = format!(
        "\"@authority\": {}\n\"@method\": {}\n\"@path\": {}\n\"signature-agent\": {agent_field}\n\"@signature-params\": {input}",
        hit.host, hit.method, hit.path
    );
    let signature = STANDARD.encode(by.sign(base.as_bytes()).to_bytes());
    hit.signature_input = Some(format!("sig1={input}"));
    hit.signature = Some(format!("sig1=:{signature}:"));
    hit.signature_agent = Some(agent_field);
    hit
}

fn verifier() -> (WebBotAuth, SigningKey) {
    let agents = schemas::catalog::agents();
    let auth = WebBotAuth::new(DirectoryConfig::default(), &agents).unwrap();
    let openai = key(1);
    let directories = auth.directories().unwrap();
    directories.preload(
        "https://chatgpt.com",
        directory_of(&[&openai]),
        Duration::from_secs(60),
    );
    directories.preload(
        "https://agent.example",
        directory_of(&[&key(3)]),
        Duration::from_secs(60),
    );
    (auth, openai)
}

const NOW: i64 = AT_MS / 1000;

#[test]
fn a_valid_signature_by_a_directory_key_is_verified_and_names_its_signer() {
    let (auth, openai) = verifier();
    let hit = signed(
        unsigned("/docs/a"),
        &openai,
        &keyid(&openai),
        "https://chatgpt.com",
        NOW - 10,
    );
    let checked = auth.check(&hit, CHROME, AT_MS).unwrap();
    assert_eq!(checked.outcome, Ok(()));
    assert_eq!(
        (checked.signer.origin.as_str(), checked.signer.host.as_str()),
        ("https://chatgpt.com", "chatgpt.com")
    );
    assert!(auth.awaiting(&hit).is_none(), "its directory is cached");
}

#[test]
fn tampered_expired_early_and_unknown_key_signatures_are_spoofed() {
    let (auth, openai) = verifier();
    let id = keyid(&openai);
    let mut tampered = signed(
        unsigned("/docs/a"),
        &openai,
        &id,
        "https://chatgpt.com",
        NOW,
    );
    tampered.path = "/docs/b".into();
    let expired = signed(
        unsigned("/docs/a"),
        &openai,
        &id,
        "https://chatgpt.com",
        NOW - 3_600,
    );
    let early = signed(
        unsigned("/docs/a"),
        &openai,
        &id,
        "https://chatgpt.com",
        NOW + 3_600,
    );
    let stranger = key(2);
    let unknown = signed(
        unsigned("/docs/a"),
        &stranger,
        &keyid(&stranger),
        "https://chatgpt.com",
        NOW,
    );
    // Signed by a key of another directory, named as if it were this one's.
    let borrowed = signed(
        unsigned("/docs/a"),
        &key(3),
        &id,
        "https://chatgpt.com",
        NOW,
    );
    for (name, hit, want) in [
        ("tampered", tampered, Spoofed::Invalid(Invalid::Mismatch)),
        ("expired", expired, Spoofed::Expired),
        ("early", early, Spoofed::NotYetValid),
        ("unknown", unknown, Spoofed::UnknownKey(keyid(&stranger))),
        ("borrowed", borrowed, Spoofed::Invalid(Invalid::Mismatch)),
    ] {
        let checked = auth.check(&hit, CHROME, AT_MS).unwrap();
        assert_eq!(checked.outcome, Err(want), "{name}");
    }
}

#[test]
fn unsigned_unreachable_or_unrecordable_signatures_decide_nothing() {
    let (auth, openai) = verifier();
    assert_eq!(auth.check(&unsigned("/"), CHROME, AT_MS), None);
    // No directory cached and no runtime to fetch one: undecided, not spoofed.
    let elsewhere = signed(
        unsigned("/"),
        &openai,
        &keyid(&openai),
        "https://unknown.example",
        NOW,
    );
    assert_eq!(auth.check(&elsewhere, CHROME, AT_MS), None);
    // Plain http is never fetched unless configured.
    let plain = signed(
        unsigned("/"),
        &openai,
        &keyid(&openai),
        "http://chatgpt.com",
        NOW,
    );
    assert_eq!(auth.check(&plain, CHROME, AT_MS), None);
    // A component the hit does not record (a `date` header).
    let mut dated = signed(
        unsigned("/"),
        &openai,
        &keyid(&openai),
        "https://chatgpt.com",
        NOW,
    );
    let input = dated.signature_input.take().unwrap();
    dated.signature_input = Some(input.replace("(\"@authority\"", "(\"date\" \"@authority\""));
    assert_eq!(auth.check(&dated, CHROME, AT_MS), None);
    // Another algorithm than the profile's keys use.
    let mut rsa = signed(
        unsigned("/"),
        &openai,
        &keyid(&openai),
        "https://chatgpt.com",
        NOW,
    );
    rsa.signature_input = rsa
        .signature_input
        .map(|i| i.replace(";tag=", ";alg=\"rsa-pss-sha512\";tag="));
    assert_eq!(auth.check(&rsa, CHROME, AT_MS), None);
    assert_eq!(WebBotAuth::disabled().check(&rsa, CHROME, AT_MS), None);
}

#[test]
fn a_claim_without_its_signature_is_spoofed_even_before_the_directory_is_read() {
    let (auth, openai) = verifier();
    let mut hit = signed(
        unsigned("/"),
        &openai,
        &keyid(&openai),
        "https://unknown.example",
        NOW,
    );
    hit.signature = None;
    let checked = auth.check(&hit, CHROME, AT_MS).unwrap();
    assert_eq!(checked.outcome, Err(Spoofed::Invalid(Invalid::NoSignature)));
}

fn applied(auth: &WebBotAuth, hit: &ServerHit, ua: &str) -> (UaClass, Option<Verification>) {
    let classifier = Classifier::from_catalog().unwrap();
    let agents = classifier.bots().agents();
    let mut class = classifier.classify(ua);
    let verification = auth
        .check(hit, ua, AT_MS)
        .and_then(|c| c.apply(&mut class, agents));
    (class, verification)
}

#[test]
fn a_signed_browser_from_chatgpt_com_is_the_chatgpt_agent() {
    let (auth, openai) = verifier();
    let hit = signed(
        unsigned("/pricing"),
        &openai,
        &keyid(&openai),
        "https://chatgpt.com",
        NOW,
    );
    let (class, verification) = applied(&auth, &hit, CHROME);
    assert_eq!(
        (
            class.class,
            class.agent.as_deref(),
            class.operator.as_deref()
        ),
        (AgentClass::AiAgent, Some("ChatGPT Agent"), Some("OpenAI"))
    );
    assert_eq!(verification, Some(Verification::Verified));
    assert_eq!(
        class.browser.as_deref(),
        Some("Chrome"),
        "what it runs stays known"
    );
    // The same claim, tampered with: the agent it pretended to be, spoofed.
    let mut forged = hit.clone();
    forged.path = "/admin".into();
    let (class, verification) = applied(&auth, &forged, CHROME);
    assert_eq!(
        (class.agent.as_deref(), verification),
        (Some("ChatGPT Agent"), Some(Verification::Spoofed))
    );
}

#[test]
fn a_named_agent_is_vouched_for_only_by_its_own_operator() {
    let (auth, openai) = verifier();
    let by_openai = signed(
        unsigned("/"),
        &openai,
        &keyid(&openai),
        "https://chatgpt.com",
        NOW,
    );
    let (class, verification) = applied(&auth, &by_openai, GPTBOT);
    assert_eq!(
        (class.agent.as_deref(), verification),
        (Some("GPTBot"), Some(Verification::Verified))
    );
    let other = key(3);
    let by_other = signed(
        unsigned("/"),
        &other,
        &keyid(&other),
        "https://agent.example",
        NOW,
    );
    let (class, verification) = applied(&auth, &by_other, GPTBOT);
    assert_eq!(
        (class.agent.as_deref(), verification),
        (Some("GPTBot"), None),
        "another signer's valid signature says nothing about GPTBot"
    );
    // An uncatalogued signer's browser: a robot named after its signer.
    let (class, verification) = applied(&auth, &by_other, CHROME);
    assert_eq!(
        (class.class, class.agent.as_deref(), verification),
        (
            AgentClass::OtherBot,
            Some("agent.example"),
            Some(Verification::Verified)
        )
    );
}

#[test]
fn dictionary_and_bare_signature_agents_name_the_same_origin() {
    let signed = signature::parse(
        r#"sig2=("@authority" "signature-agent";key="sig2");created=1;expires=2;keyid="k";tag="web-bot-auth""#,
        Some(&format!("sig2=:{}:", STANDARD.encode([0u8; 64]))),
    )
    .unwrap()
    .unwrap();
    let origin = signer_origin;
    assert_eq!(
        origin(r#""https://chatgpt.com""#, &None).as_deref(),
        Some("https://chatgpt.com")
    );
    assert_eq!(
        origin(
            r#"sig1="https://a.example", sig2="https://chatgpt.com/x""#,
            &Some(&signed)
        )
        .as_deref(),
        Some("https://chatgpt.com")
    );
    assert_eq!(
        origin("https://chatgpt.com", &None).as_deref(),
        Some("https://chatgpt.com")
    );
    assert_eq!(origin(r#""data:application/json,{}""#, &None), None);
    assert_eq!(origin("42", &None), None);
}
