//! Users by e-mail address, shared by the admin CLI and the API.

use schemas::control::ids::new_id;
use schemas::control::CreateUser;

use crate::control_writer::{ControlWriter, WriteError};

/// The id of the user with `email`, creating them (named `name`) when the address is new.
pub async fn find_or_create(
    writer: &ControlWriter,
    actor: &str,
    email: &str,
    name: String,
) -> Result<String, WriteError> {
    let email = email.trim().to_lowercase();
    let existing = writer
        .view()
        .view()
        .user_by_email(&email)
        .map(|u| u.id.clone());
    if let Some(id) = existing {
        return Ok(id);
    }
    let id = new_id("usr");
    let command = CreateUser {
        id: id.clone(),
        email,
        name,
    };
    writer.submit(actor, &command).await?;
    Ok(id)
}
