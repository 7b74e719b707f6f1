//! Shared field checks.

use std::fmt::Display;

use crate::error::EdgeError;

/// A field name such as `events[2].url`, formatted only when an error needs it (the success path
/// runs for every field of every event).
#[derive(Clone, Copy)]
pub struct Field<'a>(pub &'a str, pub &'a str);

impl From<Field<'_>> for String {
    fn from(field: Field<'_>) -> String {
        field.to_string()
    }
}

impl Display for Field<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.0, self.1)
    }
}

/// A field's raw value as text: absent or null is `None`; a non-string is an error.
pub trait TextValue<'a> {
    fn text(self) -> Result<Option<&'a str>, ()>;
}

impl<'a> TextValue<'a> for Option<&'a serde_json::Value> {
    fn text(self) -> Result<Option<&'a str>, ()> {
        match self {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(()),
        }
    }
}

impl<'a> TextValue<'a> for Option<&'a str> {
    fn text(self) -> Result<Option<&'a str>, ()> {
        Ok(self)
    }
}

/// An optional string, trimmed, at most `max` characters; empty becomes `None`.
pub fn bounded<'a>(
    field: impl Display + Copy,
    value: impl TextValue<'a>,
    max: usize,
) -> Result<Option<String>, EdgeError> {
    let s = value
        .text()
        .map_err(|()| EdgeError::malformed(field.to_string(), format!("{field} must be a string")))?
        .map(str::trim)
        .unwrap_or("");
    if s.chars().count() > max {
        return Err(EdgeError::malformed(
            field.to_string(),
            format!("{field} is longer than {max} characters"),
        ));
    }
    Ok((!s.is_empty()).then(|| s.to_owned()))
}

/// A required string (see [`bounded`]).
pub fn required<'a>(
    field: impl Display + Copy,
    value: impl TextValue<'a>,
    max: usize,
) -> Result<String, EdgeError> {
    bounded(field, value, max)?
        .ok_or_else(|| EdgeError::malformed(field.to_string(), format!("{field} is required")))
}

/// An identifier: 1–64 letters, digits, `-` or `_`.
pub fn identifier<'a>(
    field: impl Display + Copy,
    value: impl TextValue<'a>,
) -> Result<Option<String>, EdgeError> {
    let id = bounded(field, value, 64)?;
    if let Some(id) = &id {
        if !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(EdgeError::malformed(
                field.to_string(),
                format!("{field} may hold only letters, digits, - and _"),
            ));
        }
    }
    Ok(id)
}

/// An absolute http(s) URL of at most 2048 characters.
pub fn http_url<'a>(
    field: impl Display + Copy,
    value: impl TextValue<'a>,
) -> Result<Option<String>, EdgeError> {
    let url = bounded(field, value, 2048)?;
    if let Some(url) = &url {
        let lower = url.to_ascii_lowercase();
        let rest = lower
            .strip_prefix("https://")
            .or_else(|| lower.strip_prefix("http://"));
        if rest.is_none_or(|r| r.is_empty() || r.starts_with('/')) {
            return Err(EdgeError::malformed(
                field.to_string(),
                format!("{field} must be an absolute http(s) URL"),
            ));
        }
    }
    Ok(url)
}

/// The host of an absolute URL, lowercased, without port or credentials.
pub fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let host = if host.starts_with('[') {
        host.split(']').next()?.trim_start_matches('[')
    } else {
        host.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}
