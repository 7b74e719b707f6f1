//! Server-side hits forwarded from a partner's edge: NDJSON objects, or the combined log format
//! (`ip - user [time] "METHOD path HTTP/x" status bytes "referrer" "user agent"`), one per line.

use schemas::beacon::ServerHit;
use serde_json::Value;

use super::limits::{bounded, required};
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
    let text =
        std::str::from_utf8(body).map_err(|_| EdgeError::malformed("body", "body is not UTF-8"))?;
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    if lines.is_empty() {
        return Err(EdgeError::malformed("body", "no hits in the body"));
    }
    if lines.len() > max_hits {
        return Err(EdgeError::BatchTooLarge {
            count: lines.len(),
            limit: max_hits,
        });
    }
    lines
        .into_iter()
        .map(|(i, line)| match format {
            HitFormat::NdJson => parse_json_line(line, i + 1),
            HitFormat::CombinedLog => parse_log_line(line, i + 1, default_host),
        })
        .collect()
}

fn parse_json_line(line: &str, n: usize) -> Result<IncomingHit, EdgeError> {
    let field = |name: &str| format!("line {n}: {name}");
    let value: Value = serde_json::from_str(line)
        .map_err(|e| EdgeError::malformed(field("json"), format!("line {n} is not JSON: {e}")))?;
    let obj = value.as_object().ok_or_else(|| {
        EdgeError::malformed(field("json"), format!("line {n} must be an object"))
    })?;
    let ts = match obj.get("ts") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.timestamp_millis()),
        _ => None,
    }
    .ok_or_else(|| {
        EdgeError::malformed(
            field("ts"),
            "ts must be epoch milliseconds or an RFC 3339 time",
        )
    })?;
    let status = obj
        .get("status")
        .and_then(Value::as_i64)
        .filter(|s| (100..=599).contains(s))
        .ok_or_else(|| {
            EdgeError::malformed(field("status"), "status must be an HTTP status code")
        })?;
    let path = required(&field("path"), obj.get("path"), 2048)?;
    if !path.starts_with('/') {
        return Err(EdgeError::malformed(
            field("path"),
            "path must start with /",
        ));
    }
    let number = |name: &str| -> Result<Option<i64>, EdgeError> {
        match obj.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_i64().filter(|x| *x >= 0).map(Some).ok_or_else(|| {
                EdgeError::malformed(
                    field(name),
                    format!("{name} must be a non-negative integer"),
                )
            }),
        }
    };
    Ok(IncomingHit {
        user_agent: bounded(&field("user_agent"), obj.get("user_agent"), 1024)?.unwrap_or_default(),
        hit: ServerHit {
            ts,
            method: required(&field("method"), obj.get("method"), 16)?.to_ascii_uppercase(),
            host: required(&field("host"), obj.get("host"), 253)?.to_ascii_lowercase(),
            path,
            query: bounded(&field("query"), obj.get("query"), 2048)?,
            status: status as i32,
            ip: bounded(&field("ip"), obj.get("ip"), 45)?,
            referrer: bounded(&field("referrer"), obj.get("referrer"), 2048)?,
            bytes: number("bytes")?,
            response_ms: number("response_ms")?.map(|ms| i32::try_from(ms).unwrap_or(i32::MAX)),
            signature: bounded(&field("signature"), obj.get("signature"), MAX_SIGNATURE)?,
            signature_input: bounded(
                &field("signature_input"),
                obj.get("signature_input"),
                MAX_SIGNATURE_INPUT,
            )?,
            signature_agent: bounded(
                &field("signature_agent"),
                obj.get("signature_agent"),
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
