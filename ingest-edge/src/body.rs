//! Request bodies: content-type gate, gzip decoding, and a size limit applied to the decoded
//! bytes (so a small gzip bomb is still refused).

use actix_web::dev::Decompress;
use actix_web::{web, HttpRequest};
use bytes::BytesMut;
use futures::StreamExt;

use crate::error::EdgeError;

/// The request's media type without parameters, lowercased.
pub fn media_type(req: &HttpRequest) -> Option<String> {
    let value = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)?
        .to_str()
        .ok()?;
    Some(value.split(';').next()?.trim().to_ascii_lowercase())
}

/// Reads the whole body, decoding `Content-Encoding`, refusing more than `limit` decoded bytes.
pub async fn read_limited(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<BytesMut, EdgeError> {
    if let Some(len) = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
    {
        if len > limit {
            return Err(EdgeError::BodyTooLarge { limit });
        }
    }
    let mut stream = Decompress::from_headers(payload, req.headers());
    let mut body = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| EdgeError::malformed("body", format!("body could not be read: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(EdgeError::BodyTooLarge { limit });
        }
        if body.is_empty() {
            // Most beacons arrive in one chunk: take it without copying.
            body = BytesMut::from(chunk);
        } else {
            body.extend_from_slice(&chunk);
        }
    }
    Ok(body)
}
