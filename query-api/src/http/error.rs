//! One error type for every handler: a status, a machine-readable `error` code and a message for
//! people. Internal details (SQL, stack traces, broker errors) go to the log, never the response.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::control_writer::WriteError;
use schemas::control::CommandError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub retry_after_secs: Option<u64>,
}

/// What every error answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody<'a> {
    /// Machine-readable: `invalid_request`, `unauthenticated`, `not_found`, `rate_limited`, …
    pub error: &'a str,
    /// For people: names the field and the rule where there is one.
    pub message: &'a str,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after_secs: None,
        }
    }

    pub fn unauthenticated() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "sign in or send an API token",
        )
    }

    /// Also what another tenant's ids get: their existence is not revealed.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    pub fn invalid(field: &str, reason: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("{field}: {reason}"),
        )
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        Self {
            retry_after_secs: Some(retry_after_secs),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("too many requests; retry after {retry_after_secs} s"),
            )
        }
    }

    /// A dashboard query stopped by its time, memory or row bound. 503 like other "not now"
    /// answers, but with no `Retry-After`: the same query will most likely stop again, a narrower
    /// one will not.
    pub fn query_too_expensive() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "query_too_expensive",
            "this report needs more time or memory than one request may use; narrow the time window or filters (or pick a single property) and try again",
        )
    }

    /// Logs the cause under the request's id; the caller sees only that it may retry.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "temporarily unavailable; retry shortly",
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if let Some(seconds) = self.retry_after_secs {
            response.insert_header(("Retry-After", seconds.to_string()));
        }
        response.json(ErrorBody {
            error: self.code,
            message: &self.message,
        })
    }
}

impl From<WriteError> for ApiError {
    fn from(error: WriteError) -> Self {
        match error {
            WriteError::Rejected(CommandError::NotFound { kind, .. }) => Self::not_found(kind),
            WriteError::Rejected(CommandError::AlreadyExists { kind, id }) => Self::new(
                StatusCode::CONFLICT,
                "conflict",
                format!("{kind} {id} already exists"),
            ),
            WriteError::Rejected(CommandError::Invalid { field, reason }) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                format!("{field}: {reason}"),
            ),
            WriteError::Rejected(CommandError::Domain(reason)) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_field",
                format!("domain: {reason}"),
            ),
            WriteError::Rejected(CommandError::OwnerRequired { .. }) => Self::new(
                StatusCode::FORBIDDEN,
                "owner_required",
                "only an owner of the organization makes, changes or removes its owners",
            ),
            WriteError::Rejected(CommandError::LastOwner { .. }) => Self::new(
                StatusCode::CONFLICT,
                "last_owner",
                "the organization must keep at least one owner; make another owner first",
            ),
            WriteError::Rejected(CommandError::OwnAccount { .. }) => Self::new(
                StatusCode::CONFLICT,
                "own_account",
                "you cannot deactivate your own account; another platform admin can",
            ),
            WriteError::Rejected(CommandError::LastPlatformAdmin { .. }) => Self::new(
                StatusCode::CONFLICT,
                "last_platform_admin",
                "the platform must keep at least one active platform admin; make another first",
            ),
            WriteError::Rejected(CommandError::Deactivated { .. }) => Self::new(
                StatusCode::CONFLICT,
                "user_deactivated",
                "this user is deactivated; reactivate them first",
            ),
            other => Self::internal(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_rejections_map_to_client_errors_and_hide_nothing_internal() {
        let conflict: ApiError = WriteError::Rejected(CommandError::AlreadyExists {
            kind: "project",
            id: "prj_1".into(),
        })
        .into();
        assert_eq!(
            (conflict.status, conflict.code),
            (StatusCode::CONFLICT, "conflict")
        );
        let invalid: ApiError = WriteError::Rejected(CommandError::Invalid {
            field: "name",
            reason: "empty".into(),
        })
        .into();
        assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(invalid.message.starts_with("name:"));
        let missing: ApiError = WriteError::Rejected(CommandError::NotFound {
            kind: "organization",
            id: "org_x".into(),
        })
        .into();
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert!(!missing.message.contains("org_x"), "{}", missing.message);
        let organization_id = "org_x".to_owned();
        let not_owner: ApiError = WriteError::Rejected(CommandError::OwnerRequired {
            organization_id: organization_id.clone(),
        })
        .into();
        assert_eq!(
            (not_owner.status, not_owner.code),
            (StatusCode::FORBIDDEN, "owner_required")
        );
        let last: ApiError =
            WriteError::Rejected(CommandError::LastOwner { organization_id }).into();
        assert_eq!(
            (last.status, last.code),
            (StatusCode::CONFLICT, "last_owner")
        );
    }

    #[test]
    fn user_rules_answer_409_with_their_own_codes() {
        let user_id = "usr_x".to_owned();
        for (error, code) in [
            (
                CommandError::OwnAccount {
                    user_id: user_id.clone(),
                },
                "own_account",
            ),
            (
                CommandError::LastPlatformAdmin {
                    user_id: user_id.clone(),
                },
                "last_platform_admin",
            ),
            (CommandError::Deactivated { user_id }, "user_deactivated"),
        ] {
            let answer: ApiError = WriteError::Rejected(error).into();
            assert_eq!((answer.status, answer.code), (StatusCode::CONFLICT, code));
            assert!(!answer.message.contains("usr_x"), "{}", answer.message);
        }
    }

    #[test]
    fn rate_limited_answers_carry_retry_after() {
        let response = ApiError::rate_limited(7).error_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers().get("Retry-After").unwrap(), "7");
    }
}
