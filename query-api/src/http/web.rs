//! The dashboard: one HTML shell for every page path (the browser routes), and its static files.
//! Everything is embedded at build time; nothing here knows about accounts or data, so every
//! page is public and every figure arrives through the authenticated JSON API.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use rust_embed::RustEmbed;

use super::error::ApiError;

#[derive(RustEmbed)]
#[folder = "web/"]
pub struct Assets;

/// Scripts and styles from this origin only; API calls to this origin only; no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The shell of every page; the path picks the view in the browser.
pub async fn page() -> HttpResponse {
    shell("index.html")
}

/// The API reference (`/api/docs`): the vendored renderer reads the document's address from a
/// `data-` attribute, so it runs under the dashboard's policy with no inline script and nothing
/// from another origin.
pub fn docs_page() -> HttpResponse {
    shell("docs.html")
}

fn shell(name: &str) -> HttpResponse {
    let Some(file) = Assets::get(name) else {
        return HttpResponse::InternalServerError().finish();
    };
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(file.data.into_owned())
}

/// `/assets/<file>`, revalidated by content hash so a new build is picked up at once.
pub async fn asset(
    request: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let name = path.into_inner();
    // Pages are served only with their policy, at their own paths; vendor notes are not served.
    if name.ends_with(".html") || name.ends_with(".md") {
        return Err(ApiError::not_found("asset"));
    }
    let file = Assets::get(&name).ok_or_else(|| ApiError::not_found("asset"))?;
    let etag = format!("\"{}\"", hex::encode(&file.metadata.sha256_hash()[..12]));
    let fresh = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes());
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if fresh {
        return Ok(response.finish());
    }
    let mime = HeaderValue::from_str(file.metadata.mimetype())
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok(response
        .insert_header((header::CONTENT_TYPE, mime))
        .body(file.data.into_owned()))
}
