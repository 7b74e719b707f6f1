//! CORS for the collector: the exact allowed origin echoed back with `Vary: Origin`, and nothing
//! at all for origins no active property allows.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use schemas::control::ControlView;

/// The `Origin` header and its host, when it is a well-formed http(s) origin.
pub fn request_origin(req: &HttpRequest) -> Option<(String, String)> {
    let origin = req.headers().get(header::ORIGIN)?.to_str().ok()?.to_owned();
    let host = crate::payload::collect_host(&origin)?;
    Some((origin, host))
}

/// Whether any active property accepts this origin host (preflights carry no key).
pub fn any_property_allows(view: &ControlView, origin_host: &str) -> bool {
    view.properties()
        .any(|p| view.origin_allowed(p.id, origin_host))
}

pub fn add_headers(response: &mut HttpResponse, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        let headers = response.headers_mut();
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
}

/// Answer to `OPTIONS /v1/collect`.
pub fn preflight(origin: Option<&str>) -> HttpResponse {
    match origin {
        Some(origin) => {
            let mut response = HttpResponse::NoContent()
                .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "POST, OPTIONS"))
                .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, "content-type"))
                .insert_header((header::ACCESS_CONTROL_MAX_AGE, "86400"))
                .finish();
            add_headers(&mut response, origin);
            response
        }
        None => {
            let mut response = HttpResponse::Forbidden().json(serde_json::json!({"error": "origin_not_allowed", "message": "origin is not allowed"}));
            response
                .headers_mut()
                .insert(header::VARY, HeaderValue::from_static("Origin"));
            response
        }
    }
}
