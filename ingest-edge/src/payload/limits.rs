//! Shared field checks.

use std::fmt::Display;

use crate::error::EdgeError;

/// A field name such as `events[2].url` (`list` = `Some(("events", 2))`), formatted only when an
/// error needs it: the success path runs for every field of every event.
#[derive(Clone, Copy)]
pub struct Field<'a> {
    pub list: Option<(&'a str, usize)>,
    pub name: &'a str,
}

impl From<Field<'_>> for String {
    fn from(field: Field<'_>) -> String {
        field.to_string()
    }
}

impl Display for Field<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.list {
            Some((list, index)) => write!(f, "{list}[{index}].{}", self.name),
            None => f.write_str(self.name),
        }
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
    if exceeds_chars(s, max) {
        return Err(EdgeError::malformed(
            field.to_string(),
            format!("{field} is longer than {max} characters"),
        ));
    }
    Ok((!s.is_empty()).then(|| s.to_owned()))
}

/// Whether `s` has more than `max` characters; counts only when the byte length allows it.
pub fn exceeds_chars(s: &str, max: usize) -> bool {
    s.len() > max && s.chars().count() > max
}

/// The first `max` characters of `s`.
pub fn truncate_chars(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    s.char_indices().nth(max).map_or(s, |(end, _)| &s[..end])
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
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
        let rest = strip_prefix_ignore_case(url, "https://")
            .or_else(|| strip_prefix_ignore_case(url, "http://"));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn character_limits_count_characters_not_bytes() {
        // Four 2-byte characters: 8 bytes, 4 characters.
        assert!(!exceeds_chars("éééé", 4));
        assert!(exceeds_chars("ééééé", 4));
        assert_eq!(truncate_chars("ééééé", 4), "éééé");
        assert_eq!(truncate_chars("abc", 4), "abc");
        assert_eq!(truncate_chars("abcdef", 4), "abcd");
    }

    #[test]
    fn urls_need_an_http_scheme_in_any_case() {
        assert!(http_url("u", Some("HTTPS://Acme.com/x")).unwrap().is_some());
        assert!(http_url("u", Some("http://acme.com")).unwrap().is_some());
        assert!(http_url("u", Some("ftp://acme.com")).is_err());
        assert!(http_url("u", Some("https:///path")).is_err());
        assert!(http_url("u", Some("https://")).is_err());
    }
}
