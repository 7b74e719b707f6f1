//! Every way a request can fail, mapped exhaustively to a status and a JSON body whose `error`
//! field is machine-readable.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum EdgeError {
    #[error("malformed request: {detail}")]
    Malformed { field: String, detail: String },
    #[error("unknown API key")]
    UnknownKey,
    #[error("missing or malformed Authorization: Bearer header")]
    MissingSecret,
    #[error("API key is revoked")]
    RevokedKey,
    #[error("property is inactive")]
    InactiveProperty,
    #[error("API key lacks the {0} permission")]
    MissingPermission(&'static str),
    #[error("payload {field} does not match the API key")]
    KeyMismatch { field: &'static str },
    #[error("origin is not allowed for this property")]
    OriginNotAllowed,
    #[error("request body is larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("batch has {count} events, more than {limit}")]
    BatchTooLarge { count: usize, limit: usize },
    #[error("request body did not arrive within {seconds} s")]
    BodyTimeout { seconds: f64 },
    #[error("unsupported content type {0}")]
    UnsupportedType(String),
    #[error("unsupported Content-Encoding {0}; send the body as is or gzip")]
    UnsupportedEncoding(String),
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    #[error("the event store is unavailable; retry later")]
    Unavailable,
    #[error("too many requests in flight; retry later")]
    Overloaded,
}

impl EdgeError {
    pub fn malformed(field: impl Into<String>, detail: impl Into<String>) -> Self {
        EdgeError::Malformed {
            field: field.into(),
            detail: detail.into(),
        }
    }

    /// The machine-readable code in the response body.
    pub fn code(&self) -> &'static str {
        match self {
            EdgeError::Malformed { .. } => "malformed",
            EdgeError::UnknownKey => "unknown_key",
            EdgeError::MissingSecret => "missing_secret",
            EdgeError::RevokedKey => "revoked_key",
            EdgeError::InactiveProperty => "inactive_property",
            EdgeError::MissingPermission(_) => "missing_permission",
            EdgeError::KeyMismatch { .. } => "key_mismatch",
            EdgeError::OriginNotAllowed => "origin_not_allowed",
            EdgeError::BodyTooLarge { .. } => "body_too_large",
            EdgeError::BatchTooLarge { .. } => "batch_too_large",
            EdgeError::BodyTimeout { .. } => "body_timeout",
            EdgeError::UnsupportedType(_) => "unsupported_media_type",
            EdgeError::UnsupportedEncoding(_) => "unsupported_encoding",
            EdgeError::RateLimited { .. } => "rate_limited",
            EdgeError::Unavailable => "unavailable",
            EdgeError::Overloaded => "overloaded",
        }
    }
}

/// Error class of a response status for edge statistics and alerting; `None` for success.
pub fn error_class(status: u16) -> Option<&'static str> {
    match status {
        401 | 403 => Some("4xx_auth"),
        429 => Some("4xx_rate"),
        400..=499 => Some("4xx_client"),
        500..=599 => Some("5xx_unavailable"),
        _ => None,
    }
}

impl ResponseError for EdgeError {
    fn status_code(&self) -> StatusCode {
        match self {
            EdgeError::Malformed { .. } => StatusCode::BAD_REQUEST,
            EdgeError::UnknownKey | EdgeError::MissingSecret => StatusCode::UNAUTHORIZED,
            EdgeError::RevokedKey
            | EdgeError::InactiveProperty
            | EdgeError::MissingPermission(_)
            | EdgeError::KeyMismatch { .. }
            | EdgeError::OriginNotAllowed => StatusCode::FORBIDDEN,
            EdgeError::BodyTooLarge { .. } | EdgeError::BatchTooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            EdgeError::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            EdgeError::UnsupportedType(_) | EdgeError::UnsupportedEncoding(_) => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            EdgeError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            EdgeError::Unavailable | EdgeError::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut body = json!({ "error": self.code(), "message": self.to_string() });
        if let EdgeError::Malformed { field, .. } = self {
            body["field"] = json!(field);
        }
        let mut response = HttpResponse::build(self.status_code()).json(body);
        let retry_after = match self {
            EdgeError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            EdgeError::Unavailable | EdgeError::Overloaded => Some(1),
            _ => None,
        };
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
