//! AI referral attribution: which assistant sent a visit, matched on the full referrer host (and
//! path where the catalog says so) or on a URL marker, never on the registrable domain alone
//! (gemini.google.com is AI, google.com is search). Every other visit gets its channel.

use std::collections::HashMap;

use schemas::vocab::Channel;
use serde::Serialize;
use url::Url;

use schemas::catalog::{ChannelHost, ReferrerRule};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attribution {
    pub ai_source: Option<String>,
    pub channel: Channel,
    /// `referrer_host`, `referrer_path`, `url_marker` or `utm_source_host` when an AI source matched.
    pub matched_by: Option<&'static str>,
}

pub struct Attributor {
    /// Host (without `www.`) → (path prefix, source); entries with a path come first.
    ai_hosts: HashMap<String, Vec<(Option<String>, String)>>,
    markers: Vec<(String, String, String)>,
    exact_channels: HashMap<String, Channel>,
    /// `google.{}` → "google." prefix, any public suffix after it.
    suffix_channels: HashMap<String, Channel>,
}

/// A campaign link in a newsletter says so in `utm_medium`; mail apps send no referrer.
fn tagged_as_email(page: &Url) -> bool {
    page.query_pairs().any(|(key, value)| {
        key == "utm_medium"
            && matches!(
                value.to_ascii_lowercase().as_str(),
                "email" | "e-mail" | "newsletter" | "mail"
            )
    })
}

/// The catalog lists search engines, social networks and webmail; a host listed under any other channel
/// is a plain referral (only attribution says a visit is AI).
fn host_channel(channel: Channel) -> Channel {
    match channel {
        Channel::Search | Channel::Social | Channel::Email => channel,
        _ => Channel::Referral,
    }
}

/// `www.` is the same site; every other subdomain is a different host.
fn site_host(host: &str) -> &str {
    host.strip_prefix("www.").unwrap_or(host)
}

impl Attributor {
    pub fn new(rules: Vec<ReferrerRule>, channels: Vec<ChannelHost>) -> Self {
        let mut ai_hosts: HashMap<String, Vec<(Option<String>, String)>> = HashMap::new();
        let mut markers = Vec::new();
        for rule in rules {
            match rule {
                ReferrerRule::Host {
                    source,
                    host,
                    path_prefix,
                } => ai_hosts
                    .entry(site_host(&host).to_owned())
                    .or_default()
                    .push((path_prefix, source)),
                ReferrerRule::Marker {
                    source,
                    param,
                    value,
                } => markers.push((param, value, source)),
            }
        }
        for entries in ai_hosts.values_mut() {
            entries.sort_by_key(|(path, _)| path.is_none());
        }
        let (mut exact_channels, mut suffix_channels) = (HashMap::new(), HashMap::new());
        for c in channels {
            let channel = host_channel(c.channel);
            match c.host.strip_suffix("{}") {
                Some(prefix) => suffix_channels.insert(site_host(prefix).to_owned(), channel),
                None => exact_channels.insert(site_host(&c.host).to_owned(), channel),
            };
        }
        Self {
            ai_hosts,
            markers,
            exact_channels,
            suffix_channels,
        }
    }

    pub fn from_catalog() -> Self {
        Self::new(
            schemas::catalog::referrer_rules(),
            schemas::catalog::channel_hosts(),
        )
    }

    pub fn attribute(&self, url: &str, referrer: Option<&str>) -> Attribution {
        let page = Url::parse(url).ok();
        let referrer = referrer
            .filter(|r| !r.trim().is_empty())
            .and_then(|r| Url::parse(r.trim()).ok());
        self.attribute_urls(page.as_ref(), referrer.as_ref())
    }

    /// [`Attributor::attribute`] for callers that parsed the URLs already.
    pub fn attribute_urls(&self, page: Option<&Url>, referrer: Option<&Url>) -> Attribution {
        if let Some(r) = referrer {
            if let Some((source, by)) = self.ai_referrer(r) {
                return ai(source, by);
            }
        }
        if let Some(page) = page {
            if let Some((source, by)) = self.ai_marker(page) {
                return ai(source, by);
            }
        }
        let channel = match (referrer, page) {
            (None, Some(page)) if tagged_as_email(page) => Channel::Email,
            (None, _) => Channel::Direct,
            (Some(r), page) => {
                let host = site_host(r.host_str().unwrap_or(""));
                if page.and_then(|p| p.host_str()).map(site_host) == Some(host) {
                    Channel::Internal
                } else {
                    self.channel_of(host)
                }
            }
        };
        Attribution {
            ai_source: None,
            channel,
            matched_by: None,
        }
    }

    fn ai_referrer(&self, referrer: &Url) -> Option<(&str, &'static str)> {
        let host = site_host(referrer.host_str()?);
        let entries = self.ai_hosts.get(host)?;
        entries.iter().find_map(|(path, source)| match path {
            Some(prefix) => referrer
                .path()
                .starts_with(prefix.as_str())
                .then_some((source.as_str(), "referrer_path")),
            None => Some((source.as_str(), "referrer_host")),
        })
    }

    fn ai_marker(&self, page: &Url) -> Option<(&str, &'static str)> {
        for (key, value) in page.query_pairs() {
            let value = value.to_ascii_lowercase();
            if let Some((_, _, source)) = self
                .markers
                .iter()
                .find(|(param, marker, _)| *param == key && *marker == value)
            {
                return Some((source.as_str(), "url_marker"));
            }
            // utm_source naming an assistant's host (utm_source=claude.ai) is that assistant.
            if key == "utm_source" {
                if let Some(entries) = self.ai_hosts.get(site_host(&value)) {
                    if let Some((_, source)) = entries.iter().find(|(path, _)| path.is_none()) {
                        return Some((source.as_str(), "utm_source_host"));
                    }
                }
            }
        }
        None
    }

    fn channel_of(&self, host: &str) -> Channel {
        if let Some(channel) = self.exact_channels.get(host) {
            return *channel;
        }
        // google.de, google.co.uk: a listed name followed by nothing but a public suffix.
        let mut rest = host;
        while let Some((_, tail)) = rest.split_once('.') {
            let prefix = &host[..host.len() - tail.len()];
            if let Some(channel) = self.suffix_channels.get(prefix) {
                if psl::suffix_str(tail) == Some(tail) {
                    return *channel;
                }
            }
            rest = tail;
        }
        Channel::Referral
    }
}

fn ai(source: &str, by: &'static str) -> Attribution {
    Attribution {
        ai_source: Some(source.to_owned()),
        channel: Channel::Ai,
        matched_by: Some(by),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attributor() -> Attributor {
        Attributor::from_catalog()
    }

    #[test]
    fn assistants_match_on_the_full_host_never_the_apex() {
        let a = attributor();
        let page = "https://acme.com/pricing";
        let gemini = a.attribute(page, Some("https://gemini.google.com/app/123"));
        assert_eq!(gemini.ai_source.as_deref(), Some("Gemini"));
        assert_eq!(gemini.matched_by, Some("referrer_host"));
        let google = a.attribute(page, Some("https://www.google.com/"));
        assert_eq!((google.ai_source, google.channel), (None, Channel::Search));
        let google_de = a.attribute(page, Some("https://www.google.de/"));
        assert_eq!(google_de.channel, Channel::Search);
        let chatgpt = a.attribute(page, Some("https://chatgpt.com/"));
        assert_eq!(chatgpt.ai_source.as_deref(), Some("ChatGPT"));
        assert_eq!(chatgpt.channel, Channel::Ai);
    }

    #[test]
    fn webmail_and_newsletter_links_are_the_email_channel() {
        let a = attributor();
        let page = "https://acme.com/launch";
        for referrer in [
            "https://mail.google.com/",
            "https://outlook.live.com/mail/0/inbox",
            "android-app://com.google.android.gm/",
        ] {
            assert_eq!(
                a.attribute(page, Some(referrer)).channel,
                Channel::Email,
                "{referrer}"
            );
        }
        let tagged = a.attribute(
            "https://acme.com/launch?utm_medium=email&utm_source=weekly",
            None,
        );
        assert_eq!(tagged.channel, Channel::Email);
        // A search engine's own mail host is mail, its search host search.
        assert_eq!(
            a.attribute(page, Some("https://www.google.com/")).channel,
            Channel::Search
        );
        assert_eq!(a.attribute(page, None).channel, Channel::Direct);
    }

    #[test]
    fn assistant_apps_that_send_their_package_as_referrer_are_attributed() {
        let a = attributor();
        for (referrer, source) in [
            ("android-app://com.openai.chatgpt/", "ChatGPT"),
            ("android-app://com.anthropic.claude/", "Claude"),
            ("https://copilot.com/chats/1", "Copilot"),
            ("https://www.bing.com/chat?q=x", "Copilot"),
            ("https://huggingface.co/chat/conversation/1", "HuggingChat"),
        ] {
            let got = a.attribute("https://acme.com/", Some(referrer));
            assert_eq!(got.ai_source.as_deref(), Some(source), "{referrer}");
        }
        // The rest of those sites is no assistant.
        let search = a.attribute("https://acme.com/", Some("https://www.bing.com/search?q=x"));
        assert_eq!((search.ai_source, search.channel), (None, Channel::Search));
        let model_page = a.attribute(
            "https://acme.com/",
            Some("https://huggingface.co/acme/model"),
        );
        assert_eq!(
            (model_page.ai_source, model_page.channel),
            (None, Channel::Referral)
        );
    }

    #[test]
    fn paths_and_url_markers_identify_assistants_without_a_referrer_host() {
        let a = attributor();
        let grok = a.attribute(
            "https://acme.com/",
            Some("https://x.com/i/grok?conversation=1"),
        );
        assert_eq!(grok.ai_source.as_deref(), Some("Grok"));
        assert_eq!(grok.matched_by, Some("referrer_path"));
        let x = a.attribute("https://acme.com/", Some("https://x.com/someone/status/1"));
        assert_eq!(x.ai_source, None);
        for (url, source) in [
            ("https://acme.com/?utm_source=chatgpt.com", "ChatGPT"),
            ("https://acme.com/?utm_source=perplexity", "Perplexity"),
            ("https://acme.com/?utm_source=copilot.com", "Copilot"),
            ("https://acme.com/?referrer=grok.com", "Grok"),
        ] {
            let got = a.attribute(url, None);
            assert_eq!(got.ai_source.as_deref(), Some(source), "{url}");
            assert_eq!(got.matched_by, Some("url_marker"));
        }
        let claude = a.attribute("https://acme.com/?utm_source=claude.ai", None);
        assert_eq!(claude.ai_source.as_deref(), Some("Claude"));
    }

    #[test]
    fn other_visits_get_a_channel() {
        let a = attributor();
        let page = "https://www.acme.com/docs";
        assert_eq!(a.attribute(page, None).channel, Channel::Direct);
        assert_eq!(a.attribute(page, Some("")).channel, Channel::Direct);
        assert_eq!(
            a.attribute(page, Some("https://acme.com/")).channel,
            Channel::Internal
        );
        assert_eq!(
            a.attribute(page, Some("https://bsky.app/profile/x"))
                .channel,
            Channel::Social
        );
        assert_eq!(
            a.attribute(page, Some("https://blog.example.org/post"))
                .channel,
            Channel::Referral
        );
    }
}
