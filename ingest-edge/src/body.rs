//! Request bodies: content-type gate, `Content-Encoding` gate, and size limits on both the bytes
//! on the wire and the decoded bytes.
//!
//! actix's own `Decompress` inflates each network chunk completely before anyone can count the
//! output, so a 33 KB zstd chunk becomes 1 GB in memory. Here the raw payload is read instead,
//! only gzip is decoded, and the decoder writes into a buffer that refuses to grow past the limit,
//! so memory per request stays near the limit whatever the body claims to expand to. Bodies are
//! handed on as they arrive (`for_each_chunk`), so a log-shipping batch of megabytes is parsed
//! line by line instead of held whole.

use std::io::{self, Write};
use std::time::Duration;

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use bytes::{Bytes, BytesMut};
use flate2::write::MultiGzDecoder;
use futures::StreamExt;

use crate::error::EdgeError;

/// The request's media type without parameters, lowercased.
pub fn media_type(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(value.split(';').next()?.trim().to_ascii_lowercase())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Identity,
    Gzip,
}

/// The body's encoding. Browsers' `CompressionStream` and server-side senders need nothing but
/// gzip; every other coding is refused rather than decoded, so there is one decoder to bound.
fn encoding(req: &HttpRequest) -> Result<Encoding, EdgeError> {
    let mut codings = Vec::new();
    for value in req.headers().get_all(header::CONTENT_ENCODING) {
        let value = value
            .to_str()
            .map_err(|_| EdgeError::UnsupportedEncoding("(not text)".to_owned()))?;
        codings.extend(
            value
                .split(',')
                .map(|c| c.trim().to_ascii_lowercase())
                .filter(|c| !c.is_empty() && c != "identity"),
        );
    }
    match codings.as_slice() {
        [] => Ok(Encoding::Identity),
        [one] if one == "gzip" || one == "x-gzip" => Ok(Encoding::Gzip),
        _ => Err(EdgeError::UnsupportedEncoding(codings.join(", "))),
    }
}

/// Wire bytes allowed for a gzip body whose decoded size is within `limit`: deflate's stored
/// blocks add 5 bytes per 64 KiB to incompressible input, plus the gzip header and trailer.
fn compressed_limit(limit: usize) -> usize {
    limit.saturating_add(limit / 1024).saturating_add(1024)
}

/// The decoder's output: refuses any write that would take the decoded total past `limit`, and
/// holds only what was decoded since the caller last drained it.
struct Capped {
    buf: BytesMut,
    total: usize,
    limit: usize,
    over: bool,
}

impl Write for Capped {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if self.total + data.len() > self.limit {
            self.over = true;
            return Err(io::Error::other("decoded body is over the limit"));
        }
        self.total += data.len();
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn gzip_failure(decoder: &MultiGzDecoder<Capped>, limit: usize, error: io::Error) -> EdgeError {
    if decoder.get_ref().over {
        EdgeError::BodyTooLarge { limit }
    } else {
        EdgeError::malformed("body", format!("gzip body could not be decoded: {error}"))
    }
}

/// Limits of one body: decoded bytes, and the time the whole body may take to arrive (a client
/// trickling bytes would otherwise hold its connection and buffers for as long as it likes).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub bytes: usize,
    pub time: Duration,
}

/// Hands the body to `each` as it arrives, decoded, in pieces of whatever size the network and the
/// decoder produce; refuses more than `limits.bytes` decoded bytes (and about as many on the wire,
/// with or without a `Content-Length`) and a body slower than `limits.time`. Nothing but the piece
/// being handed over is held here.
pub async fn for_each_chunk(
    req: &HttpRequest,
    payload: web::Payload,
    limits: BodyLimits,
    each: impl FnMut(Bytes) -> Result<(), EdgeError>,
) -> Result<(), EdgeError> {
    let encoding = encoding(req)?;
    let limit = limits.bytes;
    let wire_limit = match encoding {
        Encoding::Identity => limit,
        Encoding::Gzip => compressed_limit(limit),
    };
    if let Some(len) = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
    {
        if len > wire_limit {
            return Err(EdgeError::BodyTooLarge { limit });
        }
    }
    let read = read_chunks(payload, encoding, limit, wire_limit, each);
    tokio::time::timeout(limits.time, read)
        .await
        .map_err(|_| EdgeError::BodyTimeout {
            seconds: limits.time.as_secs_f64(),
        })?
}

async fn read_chunks(
    mut payload: web::Payload,
    encoding: Encoding,
    limit: usize,
    wire_limit: usize,
    mut each: impl FnMut(Bytes) -> Result<(), EdgeError>,
) -> Result<(), EdgeError> {
    let mut decoder = (encoding == Encoding::Gzip).then(|| {
        MultiGzDecoder::new(Capped {
            buf: BytesMut::new(),
            total: 0,
            limit,
            over: false,
        })
    });
    let mut received = 0usize;
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|e| EdgeError::malformed("body", format!("body could not be read: {e}")))?;
        received += chunk.len();
        if received > wire_limit {
            return Err(EdgeError::BodyTooLarge { limit });
        }
        match decoder.as_mut() {
            Some(decoder) => {
                decoder
                    .write_all(&chunk)
                    .map_err(|e| gzip_failure(decoder, limit, e))?;
                let decoded = decoder.get_mut().buf.split().freeze();
                if !decoded.is_empty() {
                    each(decoded)?;
                }
            }
            None => each(chunk)?,
        }
    }
    if let Some(mut decoder) = decoder {
        decoder
            .try_finish()
            .map_err(|e| gzip_failure(&decoder, limit, e))?;
        let rest = decoder.get_mut().buf.split().freeze();
        if !rest.is_empty() {
            each(rest)?;
        }
    }
    Ok(())
}

/// Reads the whole body into one buffer (see [`for_each_chunk`]): for small bodies parsed at once.
pub async fn read_limited(
    req: &HttpRequest,
    payload: web::Payload,
    limits: BodyLimits,
) -> Result<Bytes, EdgeError> {
    // Most beacons arrive in one chunk: it is kept as it came, without a copy.
    let mut first = Bytes::new();
    let mut joined = BytesMut::new();
    for_each_chunk(req, payload, limits, |chunk| {
        if first.is_empty() && joined.is_empty() {
            first = chunk;
        } else {
            if joined.is_empty() {
                joined.extend_from_slice(&std::mem::take(&mut first));
            }
            joined.extend_from_slice(&chunk);
        }
        Ok(())
    })
    .await?;
    Ok(if joined.is_empty() {
        first
    } else {
        joined.freeze()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn coding(values: &[&str]) -> Result<Encoding, String> {
        let mut req = TestRequest::default();
        for v in values {
            req = req.append_header((header::CONTENT_ENCODING, *v));
        }
        encoding(&req.to_http_request()).map_err(|e| e.code().to_owned())
    }

    #[test]
    fn only_identity_and_gzip_are_accepted() {
        assert_eq!(coding(&[]), Ok(Encoding::Identity));
        assert_eq!(coding(&["identity"]), Ok(Encoding::Identity));
        assert_eq!(coding(&["GZIP"]), Ok(Encoding::Gzip));
        assert_eq!(coding(&["identity, gzip"]), Ok(Encoding::Gzip));
        for refused in [
            &["zstd"][..],
            &["br"],
            &["deflate"],
            &["compress"],
            &["gzip, gzip"],
            &["gzip", "br"],
        ] {
            assert_eq!(
                coding(refused),
                Err("unsupported_encoding".to_owned()),
                "{refused:?}"
            );
        }
    }

    #[test]
    fn the_wire_allowance_covers_incompressible_gzip_at_the_limit() {
        let data: Vec<u8> = (0..256 * 1024u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gz.write_all(&data).unwrap();
        assert!(gz.finish().unwrap().len() <= compressed_limit(data.len()));
    }
}
