//! `GET /v1/tag.js`: the minified tag (built from `tag/tag.js` by build.rs), cacheable, with an ETag.

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

/// The minified tag as served.
pub const TAG_JS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/tag.min.js"));

fn etag() -> &'static str {
    static ETAG: OnceLock<String> = OnceLock::new();
    ETAG.get_or_init(|| format!("\"{}\"", hex::encode(&Sha256::digest(TAG_JS)[..8])))
}

pub async fn tag_js(req: HttpRequest) -> HttpResponse {
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag() || t.trim() == "*"));
    let mut response = if matches {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((
            header::CACHE_CONTROL,
            "public, max-age=86400, stale-while-revalidate=604800",
        ))
        .insert_header((header::ETAG, etag()));
    if matches {
        return response.finish();
    }
    response
        .content_type("application/javascript; charset=utf-8")
        .body(TAG_JS)
}
