//! URL normalization (lowercase host, no fragment, tracking parameters in their own columns) and
//! content type by path rules.

use schemas::vocab::{ContentType, Vocabulary};
use url::Url;

/// Parameters that identify a campaign or click, not a page.
const TRACKING: [&str; 8] = [
    "gclid", "fbclid", "msclkid", "dclid", "yclid", "twclid", "mc_cid", "mc_eid",
];

fn is_tracking(key: &str) -> bool {
    key.starts_with("utm_") || TRACKING.contains(&key)
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizedUrl {
    pub url: String,
    pub host: String,
    pub path: String,
    pub tracking: Vec<(String, String)>,
}

/// `None` for anything that is not an absolute http(s) URL.
pub fn normalize_url(raw: &str) -> Option<NormalizedUrl> {
    normalize_parsed(Url::parse(raw.trim()).ok()?)
}

/// [`normalize_url`] for a URL already parsed.
pub fn normalize_parsed(mut url: Url) -> Option<NormalizedUrl> {
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    url.set_fragment(None);
    let (mut kept, mut tracking) = (Vec::new(), Vec::new());
    for (k, v) in url.query_pairs() {
        let pair = (k.into_owned(), v.into_owned());
        if is_tracking(&pair.0) {
            tracking.push(pair);
        } else {
            kept.push(pair);
        }
    }
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(&kept);
    }
    Some(NormalizedUrl {
        host: url.host_str().unwrap_or("").to_owned(),
        path: url.path().to_owned(),
        url: url.into(),
        tracking,
    })
}

/// Path-prefix rules, first match wins; a project's own rules go before the defaults.
#[derive(Debug, Clone)]
pub struct ContentRules {
    rules: Vec<(String, ContentType)>,
}

const DEFAULT_RULES: &[(&str, ContentType)] = &[
    ("/pricing", ContentType::Pricing),
    ("/plans", ContentType::Pricing),
    ("/blog/", ContentType::Article),
    ("/news/", ContentType::Article),
    ("/articles/", ContentType::Article),
    ("/posts/", ContentType::Article),
    ("/docs", ContentType::Docs),
    ("/documentation", ContentType::Docs),
    ("/help/", ContentType::Docs),
    ("/guides/", ContentType::Docs),
    ("/api/", ContentType::Docs),
    ("/products/", ContentType::Product),
    ("/product/", ContentType::Product),
    ("/p/", ContentType::Product),
    ("/category/", ContentType::Category),
    ("/categories/", ContentType::Category),
    ("/collections/", ContentType::Category),
    ("/c/", ContentType::Category),
    ("/tag/", ContentType::Category),
];

impl Default for ContentRules {
    fn default() -> Self {
        Self {
            rules: DEFAULT_RULES
                .iter()
                .map(|(p, t)| ((*p).to_owned(), *t))
                .collect(),
        }
    }
}

impl ContentRules {
    /// A project's rules as `prefix=type` pairs separated by commas or newlines, before the
    /// defaults. Unknown types are an error naming the pair.
    pub fn with_project_rules(spec: &str) -> Result<Self, String> {
        let mut rules = Vec::new();
        for pair in spec
            .split([',', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (prefix, kind) = pair
                .split_once('=')
                .ok_or_else(|| format!("rule {pair:?} is not prefix=type"))?;
            let kind = ContentType::parse(kind.trim())
                .ok_or_else(|| format!("rule {pair:?} has an unknown content type"))?;
            rules.push((prefix.trim().to_ascii_lowercase(), kind));
        }
        rules.extend(Self::default().rules);
        Ok(Self { rules })
    }

    pub fn classify(&self, path: &str) -> ContentType {
        let path = path.to_ascii_lowercase();
        if path.is_empty() || path == "/" || path == "/index.html" {
            return ContentType::Home;
        }
        self.rules
            .iter()
            .find(|(prefix, _)| path.starts_with(prefix.as_str()))
            .map_or(ContentType::Other, |(_, t)| *t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_lowercases_the_host_drops_the_fragment_and_moves_tracking_out() {
        let n = normalize_url(
            "HTTPS://WWW.Acme.COM:443/Docs/Start?b=2&utm_source=chatgpt.com&a=1&gclid=x#intro",
        )
        .unwrap();
        assert_eq!(n.url, "https://www.acme.com/Docs/Start?b=2&a=1");
        assert_eq!(n.host, "www.acme.com");
        assert_eq!(n.path, "/Docs/Start");
        assert_eq!(
            n.tracking,
            vec![
                ("utm_source".to_owned(), "chatgpt.com".to_owned()),
                ("gclid".to_owned(), "x".to_owned())
            ]
        );
        assert_eq!(
            normalize_url("https://acme.com/?utm_medium=x").unwrap().url,
            "https://acme.com/"
        );
        assert!(normalize_url("ftp://acme.com/").is_none());
        assert!(normalize_url("/relative").is_none());
    }

    #[test]
    fn content_types_follow_project_rules_then_defaults() {
        let rules = ContentRules::with_project_rules("/kb/=docs, /shop/=product").unwrap();
        assert_eq!(rules.classify("/"), ContentType::Home);
        assert_eq!(rules.classify("/kb/setup"), ContentType::Docs);
        assert_eq!(rules.classify("/shop/red-shoe"), ContentType::Product);
        assert_eq!(rules.classify("/Blog/hello"), ContentType::Article);
        assert_eq!(rules.classify("/pricing"), ContentType::Pricing);
        assert_eq!(rules.classify("/about"), ContentType::Other);
        assert!(ContentRules::with_project_rules("/x=poem").is_err());
        assert!(ContentRules::with_project_rules("nonsense").is_err());
    }
}
