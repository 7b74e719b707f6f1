//! Server-side hits forwarded from a partner's edge: NDJSON objects, or the combined log format
//! (`ip - user [time] "METHOD path HTTP/x" status bytes "referrer" "user agent"`), one per line.
//!
//! Log shippers send batches of megabytes, so the body is parsed as it arrives ([`HitLines`]):
//! each complete line is validated and handed on, and only the unfinished last line of a piece is
//! kept. A JSON line is read field by field into borrowed text, never into a `Value` tree.

use std::borrow::Cow;
use std::fmt::{self, Display};

use schemas::beacon::ServerHit;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::limits::{bounded, required, TextValue};
use crate::error::EdgeError;

/// Longest Web Bot Auth header values kept (RFC 9421 `Signature`, `Signature-Input`;
/// `Signature-Agent`): a few signatures' worth, far above one Ed25519 signature's ~100 characters.
const MAX_SIGNATURE: usize = 4096;
const MAX_SIGNATURE_INPUT: usize = 4096;
const MAX_SIGNATURE_AGENT: usize = 2048;

/// One validated hit: the requesting user agent (which the beacon carries beside the hit) and the
/// hit as the beacon carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingHit {
    pub user_agent: String,
    pub hit: ServerHit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitFormat {
    NdJson,
    CombinedLog,
}

/// Parses every non-empty line; any bad line rejects the whole batch, naming the line.
/// `default_host` fills the host for log lines, which do not carry one.
pub fn parse_hits(
    body: &[u8],
    format: HitFormat,
    default_host: &str,
    max_hits: usize,
) -> Result<Vec<IncomingHit>, EdgeError> {
    let mut hits = Vec::new();
    let mut lines = HitLines::new(format, default_host, max_hits);
    let mut keep = |hit| {
        hits.push(hit);
        Ok(())
    };
    lines.push(body, &mut keep)?;
    lines.finish(&mut keep)?;
    Ok(hits)
}

/// A body's lines parsed as its pieces arrive. The answer is the one the whole body would get:
/// a body that is not UTF-8, then one without hits, then one with more than `max_hits` lines
/// (counted to the end, so the error says how many), then the first bad line, in that order.
/// Once the answer can only be an error, lines are only counted.
pub struct HitLines<'h> {
    format: HitFormat,
    default_host: &'h str,
    max_hits: usize,
    /// The unfinished line at the end of the pieces so far.
    partial: Vec<u8>,
    lines: usize,
    hits: usize,
    not_utf8: bool,
    first_error: Option<EdgeError>,
}

impl<'h> HitLines<'h> {
    pub fn new(format: HitFormat, default_host: &'h str, max_hits: usize) -> Self {
        Self {
            format,
            default_host,
            max_hits,
            partial: Vec::new(),
            lines: 0,
            hits: 0,
            not_utf8: false,
            first_error: None,
        }
    }

    /// Parses the lines `piece` completes and hands each hit to `accept`; fails only when
    /// `accept` does (a bad line is remembered for [`HitLines::finish`]).
    pub fn push(
        &mut self,
        mut piece: &[u8],
        accept: &mut impl FnMut(IncomingHit) -> Result<(), EdgeError>,
    ) -> Result<(), EdgeError> {
        while let Some(end) = memchr::memchr(b'\n', piece) {
            if self.partial.is_empty() {
                self.line(&piece[..end], accept)?;
            } else {
                let mut joined = std::mem::take(&mut self.partial);
                joined.extend_from_slice(&piece[..end]);
                self.line(&joined, accept)?;
                // The buffer is kept for the next unfinished line.
                joined.clear();
                self.partial = joined;
            }
            piece = &piece[end + 1..];
        }
        self.partial.extend_from_slice(piece);
        Ok(())
    }

    /// The last line (one without a newline), then the batch's answer: how many hits it held.
    pub fn finish(
        mut self,
        accept: &mut impl FnMut(IncomingHit) -> Result<(), EdgeError>,
    ) -> Result<usize, EdgeError> {
        let last = std::mem::take(&mut self.partial);
        if !last.is_empty() {
            self.line(&last, accept)?;
        }
        if self.not_utf8 {
            return Err(EdgeError::malformed("body", "body is not UTF-8"));
        }
        if self.hits == 0 {
            return Err(EdgeError::malformed("body", "no hits in the body"));
        }
        if self.hits > self.max_hits {
            return Err(EdgeError::BatchTooLarge {
                count: self.hits,
                limit: self.max_hits,
            });
        }
        match self.first_error {
            Some(error) => Err(error),
            None => Ok(self.hits),
        }
    }

    fn line(
        &mut self,
        raw: &[u8],
        accept: &mut impl FnMut(IncomingHit) -> Result<(), EdgeError>,
    ) -> Result<(), EdgeError> {
        self.lines += 1;
        // A newline byte is never part of a multi-byte character, so lines are checked alone.
        let Ok(text) = std::str::from_utf8(raw) else {
            self.not_utf8 = true;
            return Ok(());
        };
        let text = text.strip_suffix('\r').unwrap_or(text);
        if text.trim().is_empty() {
            return Ok(());
        }
        self.hits += 1;
        if self.not_utf8 || self.first_error.is_some() || self.hits > self.max_hits {
            return Ok(());
        }
        let parsed = match self.format {
            HitFormat::NdJson => parse_json_line(text, self.lines),
            HitFormat::CombinedLog => parse_log_line(text, self.lines, self.default_host),
        };
        match parsed {
            Ok(hit) => accept(hit),
            Err(error) => {
                self.first_error = Some(error);
                Ok(())
            }
        }
    }
}

/// `line 3: path`, formatted only when an error needs it.
#[derive(Clone, Copy)]
struct LineField<'a> {
    line: usize,
    name: &'a str,
}

impl Display for LineField<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.name)
    }
}

/// One field's JSON value, as much of it as a check needs: text borrowed from the line where it
/// has no escapes, an integer, or the fact that it was something else.
enum Loose<'a> {
    Null,
    Text(Cow<'a, str>),
    /// An integer `serde_json::Value::as_i64` would give.
    Int(i64),
    Other,
}

impl<'de> de::Deserialize<'de> for Loose<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Loose<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Loose::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Loose::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Loose::Text(Cow::Owned(v)))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Loose::Null)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Loose::Null)
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Loose::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(i64::try_from(v).map_or(Loose::Other, Loose::Int))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Loose::Other)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Loose::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Loose::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Loose::Other)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'a> TextValue<'a> for Option<&'a Loose<'_>> {
    fn text(self) -> Result<Option<&'a str>, ()> {
        match self {
            None | Some(Loose::Null) => Ok(None),
            Some(Loose::Text(s)) => Ok(Some(s)),
            Some(_) => Err(()),
        }
    }
}

/// The fields of one NDJSON hit; unknown fields are skipped, and a repeated field's last value
/// counts (as it did when lines were read into a `Value`).
#[derive(Default)]
struct RawHit<'a> {
    ts: Option<Loose<'a>>,
    method: Option<Loose<'a>>,
    host: Option<Loose<'a>>,
    path: Option<Loose<'a>>,
    query: Option<Loose<'a>>,
    status: Option<Loose<'a>>,
    user_agent: Option<Loose<'a>>,
    ip: Option<Loose<'a>>,
    referrer: Option<Loose<'a>>,
    bytes: Option<Loose<'a>>,
    response_ms: Option<Loose<'a>>,
    signature: Option<Loose<'a>>,
    signature_input: Option<Loose<'a>>,
    signature_agent: Option<Loose<'a>>,
}

impl<'a> RawHit<'a> {
    fn slot(&mut self, key: &str) -> Option<&mut Option<Loose<'a>>> {
        Some(match key {
            "ts" => &mut self.ts,
            "method" => &mut self.method,
            "host" => &mut self.host,
            "path" => &mut self.path,
            "query" => &mut self.query,
            "status" => &mut self.status,
            "user_agent" => &mut self.user_agent,
            "ip" => &mut self.ip,
            "referrer" => &mut self.referrer,
            "bytes" => &mut self.bytes,
            "response_ms" => &mut self.response_ms,
            "signature" => &mut self.signature,
            "signature_input" => &mut self.signature_input,
            "signature_agent" => &mut self.signature_agent,
            _ => return None,
        })
    }
}

/// A key, borrowed where it has no escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

impl<'de> de::Deserialize<'de> for RawHit<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawHit<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut hit = RawHit::default();
                while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
                    match hit.slot(&key) {
                        Some(slot) => *slot = Some(map.next_value()?),
                        None => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(hit)
            }
        }
        d.deserialize_map(V)
    }
}

fn parse_json_line(line: &str, n: usize) -> Result<IncomingHit, EdgeError> {
    let field = |name| LineField { line: n, name };
    let obj: RawHit<'_> = serde_json::from_str(line).map_err(|e| {
        if e.is_data() {
            EdgeError::malformed(
                field("json").to_string(),
                format!("line {n} must be an object"),
            )
        } else {
            EdgeError::malformed(
                field("json").to_string(),
                format!("line {n} is not JSON: {e}"),
            )
        }
    })?;
    let ts = match &obj.ts {
        Some(Loose::Int(n)) => Some(*n),
        Some(Loose::Text(s)) => chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.timestamp_millis()),
        _ => None,
    }
    .ok_or_else(|| {
        EdgeError::malformed(
            field("ts").to_string(),
            "ts must be epoch milliseconds or an RFC 3339 time",
        )
    })?;
    let status = match obj.status {
        Some(Loose::Int(s)) if (100..=599).contains(&s) => s,
        _ => {
            return Err(EdgeError::malformed(
                field("status").to_string(),
                "status must be an HTTP status code",
            ))
        }
    };
    let path = required(field("path"), obj.path.as_ref(), 2048)?;
    if !path.starts_with('/') {
        return Err(EdgeError::malformed(
            field("path").to_string(),
            "path must start with /",
        ));
    }
    let number =
        |name: &'static str, value: &Option<Loose<'_>>| -> Result<Option<i64>, EdgeError> {
            match value {
                None | Some(Loose::Null) => Ok(None),
                Some(Loose::Int(x)) if *x >= 0 => Ok(Some(*x)),
                Some(_) => Err(EdgeError::malformed(
                    field(name).to_string(),
                    format!("{name} must be a non-negative integer"),
                )),
            }
        };
    let mut method = required(field("method"), obj.method.as_ref(), 16)?;
    method.make_ascii_uppercase();
    let mut host = required(field("host"), obj.host.as_ref(), 253)?;
    host.make_ascii_lowercase();
    Ok(IncomingHit {
        user_agent: bounded(field("user_agent"), obj.user_agent.as_ref(), 1024)?
            .unwrap_or_default(),
        hit: ServerHit {
            ts,
            method,
            host,
            path,
            query: bounded(field("query"), obj.query.as_ref(), 2048)?,
            status: status as i32,
            ip: bounded(field("ip"), obj.ip.as_ref(), 45)?,
            referrer: bounded(field("referrer"), obj.referrer.as_ref(), 2048)?,
            bytes: number("bytes", &obj.bytes)?,
            response_ms: number("response_ms", &obj.response_ms)?
                .map(|ms| i32::try_from(ms).unwrap_or(i32::MAX)),
            signature: bounded(field("signature"), obj.signature.as_ref(), MAX_SIGNATURE)?,
            signature_input: bounded(
                field("signature_input"),
                obj.signature_input.as_ref(),
                MAX_SIGNATURE_INPUT,
            )?,
            signature_agent: bounded(
                field("signature_agent"),
                obj.signature_agent.as_ref(),
                MAX_SIGNATURE_AGENT,
            )?,
            sealed_ip: None,
        },
    })
}

/// Splits a combined log line into its fields, honouring quotes and brackets.
fn log_fields(line: &str) -> Vec<&str> {
    let mut fields = Vec::new();
    let mut rest = line.trim();
    while !rest.is_empty() {
        let (closing, skip) = match rest.as_bytes()[0] {
            b'"' => ('"', 1),
            b'[' => (']', 1),
            _ => (' ', 0),
        };
        let body = &rest[skip..];
        let end = if closing == '"' {
            quoted_end(body)
        } else {
            body.find(closing)
        }
        .unwrap_or(body.len());
        fields.push(&body[..end]);
        rest = body.get(end + skip..).unwrap_or("").trim_start();
    }
    fields
}

/// End of a quoted field, skipping backslash-escaped quotes.
fn quoted_end(s: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

fn parse_log_line(line: &str, n: usize, default_host: &str) -> Result<IncomingHit, EdgeError> {
    let bad = |what: &str| {
        EdgeError::malformed(
            format!("line {n}: {what}"),
            format!("line {n} is not in the combined log format ({what})"),
        )
    };
    let f = log_fields(line);
    if f.len() < 9 {
        return Err(bad("fields"));
    }
    let ts = chrono::DateTime::parse_from_str(f[3], "%d/%b/%Y:%H:%M:%S %z")
        .map_err(|_| bad("time"))?
        .timestamp_millis();
    let mut request = f[4].split(' ');
    let (method, target) = (
        request.next().ok_or_else(|| bad("request"))?,
        request.next().ok_or_else(|| bad("request"))?,
    );
    if !target.starts_with('/') {
        return Err(bad("request"));
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q.to_owned())),
        None => (target, None),
    };
    let status: i32 = f[5]
        .parse()
        .ok()
        .filter(|s| (100..=599).contains(s))
        .ok_or_else(|| bad("status"))?;
    let dash_none = |s: &str| (s != "-" && !s.is_empty()).then(|| s.to_owned());
    Ok(IncomingHit {
        user_agent: f[8].replace("\\\"", "\""),
        hit: ServerHit {
            ts,
            method: method.to_ascii_uppercase(),
            host: default_host.to_owned(),
            path: path.to_owned(),
            query,
            status,
            ip: dash_none(f[0]),
            referrer: dash_none(f[7]),
            bytes: f[6].parse().ok(),
            response_ms: None,
            signature: None,
            signature_input: None,
            signature_agent: None,
            sealed_ip: None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = r#"20.15.240.64 - - [24/Nov/2026:10:15:32 +0000] "GET /docs/pricing?ref=x HTTP/1.1" 200 5120 "-" "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; GPTBot/1.2; +https://openai.com/gptbot""#;

    #[test]
    fn combined_log_lines_parse_into_hits() {
        let hits = parse_hits(LOG.as_bytes(), HitFormat::CombinedLog, "acme.com", 10).unwrap();
        let hit = &hits[0].hit;
        assert_eq!(hit.ts, 1_795_515_332_000);
        assert_eq!(
            (hit.method.as_str(), hit.path.as_str(), hit.query.as_deref()),
            ("GET", "/docs/pricing", Some("ref=x"))
        );
        assert_eq!(
            (hit.status, hit.bytes, hit.host.as_str()),
            (200, Some(5120), "acme.com")
        );
        assert_eq!(hit.ip.as_deref(), Some("20.15.240.64"));
        assert_eq!(hit.referrer, None);
        assert!(hits[0].user_agent.contains("GPTBot/1.2"));
    }

    #[test]
    fn ndjson_hits_accept_epoch_or_rfc3339_times() {
        let body = concat!(
            r#"{"ts":1795515332000,"method":"get","host":"Acme.com","path":"/a","status":200,"user_agent":"ClaudeBot/1.0","ip":"1.2.3.4","bytes":10,"response_ms":7}"#,
            "\n\n",
            r#"{"ts":"2026-11-24T10:15:32Z","method":"HEAD","host":"acme.com","path":"/b","query":"x=1","status":404,"user_agent":"PerplexityBot"}"#
        );
        let hits = parse_hits(body.as_bytes(), HitFormat::NdJson, "ignored", 10).unwrap();
        assert_eq!(hits.len(), 2);
        assert_eq!(
            (
                hits[0].hit.method.as_str(),
                hits[0].hit.host.as_str(),
                hits[0].hit.response_ms
            ),
            ("GET", "acme.com", Some(7))
        );
        assert_eq!(hits[1].hit.ts, 1_795_515_332_000);
    }

    #[test]
    fn ndjson_hits_carry_the_web_bot_auth_headers() {
        let line = r#"{"ts":1795515332000,"method":"GET","host":"acme.com","path":"/a","status":200,"user_agent":"Mozilla/5.0","signature":"sig1=:AAAA:","signature_input":"sig1=(\"@authority\");created=1;expires=2;keyid=\"k\";tag=\"web-bot-auth\"","signature_agent":"\"https://chatgpt.com\""}"#;
        let hit = &parse_hits(line.as_bytes(), HitFormat::NdJson, "x", 1).unwrap()[0].hit;
        assert_eq!(hit.signature.as_deref(), Some("sig1=:AAAA:"));
        assert_eq!(
            hit.signature_input.as_deref(),
            Some(r#"sig1=("@authority");created=1;expires=2;keyid="k";tag="web-bot-auth""#)
        );
        assert_eq!(
            hit.signature_agent.as_deref(),
            Some(r#""https://chatgpt.com""#)
        );
        let unsigned = r#"{"ts":1,"method":"GET","host":"a.com","path":"/","status":200,"signature":null,"signature_agent":""}"#;
        let hit = &parse_hits(unsigned.as_bytes(), HitFormat::NdJson, "x", 1).unwrap()[0].hit;
        assert_eq!(
            (&hit.signature, &hit.signature_input, &hit.signature_agent),
            (&None, &None, &None)
        );
    }

    #[test]
    fn web_bot_auth_headers_of_the_wrong_type_or_length_are_named() {
        let with = |field: &str, value: &str| {
            format!(
                r#"{{"ts":1,"method":"GET","host":"a.com","path":"/","status":200,"{field}":{value}}}"#
            )
        };
        let long = format!("\"{}\"", "a".repeat(MAX_SIGNATURE + 1));
        for (field, value, message) in [
            ("signature", "42", "line 1: signature must be a string"),
            (
                "signature_input",
                "[\"sig1\"]",
                "line 1: signature_input must be a string",
            ),
            (
                "signature_agent",
                "{}",
                "line 1: signature_agent must be a string",
            ),
            (
                "signature",
                long.as_str(),
                "line 1: signature is longer than 4096 characters",
            ),
        ] {
            match parse_hits(with(field, value).as_bytes(), HitFormat::NdJson, "a.com", 1) {
                Err(EdgeError::Malformed {
                    field: named,
                    detail: said,
                }) => {
                    assert_eq!(
                        (named.as_str(), said.as_str()),
                        (format!("line 1: {field}").as_str(), message)
                    );
                }
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    /// What the whole body gets, parsed at once.
    fn whole(body: &[u8], format: HitFormat, max: usize) -> Result<Vec<IncomingHit>, String> {
        parse_hits(body, format, "acme.com", max).map_err(|e| format!("{e:?}"))
    }

    /// The same body fed in pieces cut at `cuts`.
    fn pieces(
        body: &[u8],
        cuts: &[usize],
        format: HitFormat,
        max: usize,
    ) -> Result<Vec<IncomingHit>, String> {
        let mut hits = Vec::new();
        let mut keep = |hit| {
            hits.push(hit);
            Ok(())
        };
        let mut lines = HitLines::new(format, "acme.com", max);
        let mut start = 0;
        for &cut in cuts.iter().chain([body.len()].iter()) {
            lines.push(&body[start..cut], &mut keep).unwrap();
            start = cut;
        }
        lines.finish(&mut keep).map_err(|e| format!("{e:?}"))?;
        Ok(hits)
    }

    #[test]
    fn a_body_cut_anywhere_parses_as_the_whole_body_does() {
        let json = r#"{"ts":1,"method":"GET","host":"a.com","path":"/é","status":200,"user_agent":"GPTBöt"}"#;
        let bad = r#"{"ts":1,"method":"GET","host":"a.com","path":"nope","status":200}"#;
        let cases: Vec<(HitFormat, String, usize)> = vec![
            (
                HitFormat::NdJson,
                format!(
                    "{json}

{json}
{json}"
                ),
                10,
            ),
            (
                HitFormat::NdJson,
                format!(
                    "{json}
{bad}
{json}
"
                ),
                10,
            ),
            (
                HitFormat::NdJson,
                format!(
                    "{json}
{json}
{json}
"
                ),
                2,
            ),
            (
                HitFormat::NdJson,
                format!(
                    "{bad}
{json}
{json}
"
                ),
                2,
            ),
            (
                HitFormat::NdJson,
                "
 

"
                .to_owned(),
                10,
            ),
            (
                HitFormat::CombinedLog,
                format!(
                    "{LOG}
{LOG}"
                ),
                10,
            ),
            (
                HitFormat::CombinedLog,
                format!(
                    "{LOG}
garbage
"
                ),
                10,
            ),
        ];
        for (format, body, max) in cases {
            let body = body.as_bytes();
            let expected = whole(body, format, max);
            for cut in 0..=body.len() {
                assert_eq!(pieces(body, &[cut], format, max), expected, "cut at {cut}");
            }
            let every_byte: Vec<usize> = (1..body.len()).collect();
            assert_eq!(pieces(body, &every_byte, format, max), expected);
        }
        // Not UTF-8 in any line wins over an earlier bad line, as for the whole body.
        let mut body = format!(
            "{bad}
{json}
"
        )
        .into_bytes();
        body.extend_from_slice(&[0xff, b'\n']);
        assert_eq!(
            pieces(&body, &[3], HitFormat::NdJson, 10),
            Err(format!(
                "{:?}",
                EdgeError::malformed("body", "body is not UTF-8")
            ))
        );
    }

    #[test]
    fn a_repeated_field_counts_its_last_value_and_unknown_fields_are_skipped() {
        let line = r#"{"ts":"x","ts":5,"method":"GET","host":"a.com","path":"/","status":200,"extra":{"deep":[1,{"a":null}]},"user_agent":"a\"b"}"#;
        let hit = &parse_hits(line.as_bytes(), HitFormat::NdJson, "x", 1).unwrap()[0];
        assert_eq!(hit.hit.ts, 5);
        assert_eq!(hit.user_agent, "a\"b");
        for (line, message) in [
            ("[1,2]", "line 1 must be an object"),
            ("42", "line 1 must be an object"),
            (r#""text""#, "line 1 must be an object"),
        ] {
            match parse_hits(line.as_bytes(), HitFormat::NdJson, "x", 1) {
                Err(EdgeError::Malformed { field, detail }) => {
                    assert_eq!((field.as_str(), detail.as_str()), ("line 1: json", message))
                }
                other => panic!("{line}: {other:?}"),
            }
        }
        match parse_hits(b"{\"ts\":", HitFormat::NdJson, "x", 1) {
            Err(EdgeError::Malformed { field, detail }) => {
                assert_eq!(field, "line 1: json");
                assert!(detail.starts_with("line 1 is not JSON: "), "{detail}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_bad_line_rejects_the_batch_and_names_the_line() {
        let body = "{\"ts\":1,\"method\":\"GET\",\"host\":\"a.com\",\"path\":\"/\",\"status\":200}\n{\"ts\":1,\"method\":\"GET\",\"host\":\"a.com\",\"path\":\"nope\",\"status\":200}";
        match parse_hits(body.as_bytes(), HitFormat::NdJson, "a.com", 10) {
            Err(EdgeError::Malformed { field, .. }) => assert_eq!(field, "line 2: path"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_hits(b"garbage line", HitFormat::CombinedLog, "a.com", 10),
            Err(EdgeError::Malformed { .. })
        ));
        assert!(matches!(
            parse_hits(b"\n\n", HitFormat::NdJson, "a.com", 10),
            Err(EdgeError::Malformed { .. })
        ));
        let many = format!("{LOG}\n{LOG}\n{LOG}");
        assert!(matches!(
            parse_hits(many.as_bytes(), HitFormat::CombinedLog, "a.com", 2),
            Err(EdgeError::BatchTooLarge { count: 3, limit: 2 })
        ));
    }
}
