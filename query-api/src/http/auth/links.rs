//! Sending a sign-in link: issued by the store, delivered by the mailer. Shared by the sign-in
//! page (anyone asks for their own) and a platform admin's invitation from `/admin/users`.

use actix_web::web;

use super::mail::Mailer;
use crate::http::state::ApiState;

/// What the e-mail's subject says, so the recipient knows why it came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// They asked for it on the sign-in page.
    SignIn,
    /// A platform admin invited them.
    Invitation,
}

impl LinkPurpose {
    fn subject(self) -> &'static str {
        match self {
            LinkPurpose::SignIn => "Your Optiview sign-in link",
            LinkPurpose::Invitation => "You are invited to Optiview",
        }
    }
}

/// An address with a dotted domain and no spaces or control characters, at most 254 bytes.
pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Sends `user_id` a fresh single-use link at `email`, unless the address's link limit is
/// reached (the links already sent stay valid); returns whether one was sent. The caller has
/// checked that the user may sign in.
pub async fn send_link(
    state: &web::Data<ApiState>,
    user_id: &str,
    email: &str,
    purpose: LinkPurpose,
) -> bool {
    if !state.limits.may_send_link(email) {
        tracing::info!("sign-in link not sent: this address's limit is reached");
        return false;
    }
    let token = state
        .auth
        .issue_link(user_id, chrono::Utc::now().timestamp_millis());
    let link = format!(
        "{}/api/v1/auth/callback?token={token}",
        state.config.public_url.trim_end_matches('/')
    );
    deliver(state, email.to_owned(), link, purpose.subject()).await;
    true
}

/// The answer does not wait for (or depend on) delivery: a failure is logged for operators.
async fn deliver(state: &web::Data<ApiState>, email: String, link: String, subject: &'static str) {
    match &state.mailer {
        // A local file append: done before answering, so the link is there when the caller looks.
        Mailer::Outbox(_) => {
            if let Err(error) = state.mailer.send(&email, subject, &link).await {
                tracing::error!(%error, "writing the sign-in link to the outbox failed");
            }
        }
        Mailer::Smtp { .. } => {
            let state = state.clone();
            actix_web::rt::spawn(async move {
                if let Err(error) = state.mailer.send(&email, subject, &link).await {
                    tracing::error!(%error, "sending the sign-in link by SMTP failed");
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::valid_email;

    #[test]
    fn email_shape() {
        assert!(valid_email("ada@acme.com"));
        assert!(!valid_email("ada"));
        assert!(!valid_email("@acme.com"));
        assert!(!valid_email("ada@localhost"));
        assert!(!valid_email("a da@acme.com"));
    }
}
