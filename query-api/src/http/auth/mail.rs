//! Delivering sign-in links: by SMTP when a server is configured (`--smtp-url`), otherwise to
//! the local outbox file. Delivery runs after the answer is decided and off the request, so
//! neither its duration nor its failure tells a caller whether the address has an account.

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::outbox::Outbox;

pub enum Mailer {
    Outbox(Outbox),
    Smtp {
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
    },
}

impl Mailer {
    /// `url`: `smtp://user:pass@host:587?tls=required`, `smtps://host:465`, or plain
    /// `smtp://host:25` (local relays and tests).
    pub fn smtp(url: &str, from: &str) -> anyhow::Result<Self> {
        Ok(Mailer::Smtp {
            transport: Box::new(AsyncSmtpTransport::<Tokio1Executor>::from_url(url)?.build()),
            from: from.parse()?,
        })
    }

    pub async fn send(&self, to: &str, subject: &str, link: &str) -> anyhow::Result<()> {
        match self {
            Mailer::Outbox(outbox) => Ok(outbox.send(to, subject, link)?),
            Mailer::Smtp { transport, from } => {
                let message = Message::builder()
                    .from(from.clone())
                    .to(to.parse()?)
                    .subject(subject)
                    .body(format!(
                        "Sign in to Optiview:\n\n{link}\n\nThe link works once, for 15 \
                         minutes. If you did not ask for it, ignore this message.\n"
                    ))?;
                transport.send(message).await?;
                Ok(())
            }
        }
    }
}
