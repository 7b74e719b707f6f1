//! What a browser's user agent never contains (isbot's fragments, `nonbrowser_patterns.tsv`): a
//! client that passes every robot check but matches one is automated all the same — a feed
//! reader, an HTTP library, an uptime monitor, a configuration-management client.
//!
//! Most fragments are plain regexes and run together as one `RegexSet`. The few with look-around
//! run through `fancy-regex`, and only when the same fragment with its look-around removed (a
//! pattern that matches more) matched first, so a browser's user agent, which matches none of
//! those, never pays for the backtracking engine.

use fancy_regex::Regex as FancyRegex;
use regex::RegexSet;

pub struct NonBrowser {
    plain: RegexSet,
    /// The look-around fragments without their look-around: a cheap necessary condition.
    relaxed: RegexSet,
    exact: Vec<FancyRegex>,
}

impl NonBrowser {
    pub fn new(patterns: &[&str]) -> anyhow::Result<Self> {
        let (mut plain, mut relaxed, mut exact) = (Vec::new(), Vec::new(), Vec::new());
        for pattern in patterns {
            let pattern = &literal_class_dashes(pattern);
            let insensitive = format!("(?i){pattern}");
            if has_look_around(pattern) {
                relaxed.push(format!("(?i){}", without_look_around(pattern)));
                exact.push(FancyRegex::new(&insensitive)?);
            } else {
                plain.push(insensitive);
            }
        }
        Ok(Self {
            plain: RegexSet::new(&plain)?,
            relaxed: RegexSet::new(&relaxed)?,
            exact,
        })
    }

    pub fn from_catalog() -> anyhow::Result<Self> {
        Self::new(&schemas::catalog::nonbrowser_patterns())
    }

    /// Whether `ua` has something no browser sends. An empty user agent is no browser's either.
    pub fn is_match(&self, ua: &str) -> bool {
        if ua.trim().is_empty() {
            return true;
        }
        let ua = without_android_model(ua);
        let ua = ua.as_ref();
        if self.plain.is_match(ua) {
            return true;
        }
        // A look-around fragment that cannot be decided within its backtracking limit counts as
        // no match: the user agent stays a browser rather than being flagged on a guess.
        self.relaxed
            .matches(ua)
            .iter()
            .any(|i| self.exact[i].is_match(ua).unwrap_or(false))
    }
}

/// An Android browser's platform part names the device as its maker or ROM builder typed it
/// (`ARCHOS 101G9 Build/ICS@ROM_04.06.2012`, `… (TabletWarehouseUSA.com) Build/IML74K`):
/// free text that can look like an address or a URL without saying anything about the client.
/// The fragments judge the rest of the user agent.
fn without_android_model(ua: &str) -> std::borrow::Cow<'_, str> {
    let Some(start) = ua.find("; Android ").or_else(|| ua.find("(Android ")) else {
        return ua.into();
    };
    let Some(build) = ua[start..].find(" Build/").map(|i| start + i) else {
        return ua.into();
    };
    let Some(close) = ua[build..].find(')').map(|i| build + i) else {
        return ua.into();
    };
    // The model follows the version (and the locale, on old Android): after the last `; `
    // before `Build/`, or the whole part when the maker wrote no separators.
    let head = &ua[..build];
    let model_start = head.rfind("; ").map_or(start, |i| i + 2).max(start);
    format!("{}device{}", &ua[..model_start], &ua[close..]).into()
}

/// isbot's fragments are JavaScript regexes, where `-` right after a class escape inside
/// brackets (`[\d-.]`) is a literal dash; `regex` reads it as a range and refuses it.
fn literal_class_dashes(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 4);
    let (mut in_class, mut after_class_escape) = (false, false);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let next = chars.next();
                out.push(c);
                if let Some(n) = next {
                    out.push(n);
                }
                after_class_escape = in_class && next.is_some_and(|n| "wWdDsS".contains(n));
                continue;
            }
            '-' if after_class_escape => out.push_str("\\-"),
            '[' if !in_class => {
                in_class = true;
                out.push(c);
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            _ => out.push(c),
        }
        after_class_escape = false;
    }
    out
}

fn has_look_around(pattern: &str) -> bool {
    ["(?=", "(?!", "(?<=", "(?<!"]
        .iter()
        .any(|open| pattern.contains(open))
}

/// `pattern` with every look-around group cut out (nested parentheses and escapes respected).
fn without_look_around(pattern: &str) -> String {
    let bytes = pattern.as_bytes();
    let mut out = String::with_capacity(pattern.len());
    let mut i = 0;
    while i < bytes.len() {
        let rest = &pattern[i..];
        let look = ["(?<=", "(?<!", "(?=", "(?!"]
            .iter()
            .find(|open| rest.starts_with(**open));
        match (bytes[i], look) {
            (b'\\', _) => {
                let end = (i + 2).min(bytes.len());
                out.push_str(&pattern[i..end]);
                i = end;
            }
            (_, Some(open)) => {
                let (mut depth, mut j) = (1usize, i + open.len());
                while j < bytes.len() && depth > 0 {
                    match bytes[j] {
                        b'\\' => j += 1,
                        b'(' => depth += 1,
                        b')' => depth -= 1,
                        _ => {}
                    }
                    j += 1;
                }
                i = j;
            }
            _ => {
                let c = rest.chars().next().expect("not at the end");
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_android_device_name_is_not_judged_as_the_client() {
        let nb = NonBrowser::from_catalog().unwrap();
        for ua in [
            "Mozilla/5.0 (Linux; Android 4.0.3; ARCHOS 101G9 Build/ICS@ROM_04.06.2012) AppleWebKit/535.19 (KHTML, like Gecko) Chrome/18.0.1025.166 Safari/535.19",
            "Mozilla/5.0 (Linux; U; Android 4.0.3; en-us; Ainol Novo 7 Aurora (TabletWarehouseUSA.com) Build/IML74K) AppleWebKit/534.30 (KHTML, like Gecko) Version/4.0 Safari/534.30",
        ] {
            assert!(!nb.is_match(ua), "{ua}");
        }
        // The rest of the user agent still counts.
        assert!(nb.is_match(
            "Mozilla/5.0 (Linux; Android 10; K Build/QP1A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120 Mobile Safari/537.36 contact@crawler.example"
        ));
    }

    #[test]
    fn a_dash_after_a_class_escape_is_literal_as_in_javascript() {
        assert_eq!(literal_class_dashes(r"[\w\d-.]+"), r"[\w\d\-.]+");
        assert_eq!(literal_class_dashes(r"[a-z]\d-x"), r"[a-z]\d-x");
        assert!(regex::Regex::new(&literal_class_dashes(r"[\w\d-.]+")).is_ok());
    }

    #[test]
    fn look_around_is_cut_out_whole() {
        assert_eq!(without_look_around("(?<!cam)scan"), "scan");
        assert_eq!(
            without_look_around("(?<! channel/|google/)google(?!(?:wv|app|/google| pixel))"),
            "google"
        );
        assert_eq!(without_look_around(r"java(?!;)"), "java");
        assert_eq!(without_look_around(r"a\(?!b"), r"a\(?!b");
    }

    #[test]
    fn look_around_fragments_keep_their_meaning() {
        let set = NonBrowser::new(&["(?<!cam)scan", "java(?!;)"]).unwrap();
        assert!(set.is_match("NetScanner/2.0"));
        assert!(!set.is_match("Mozilla/5.0 (Linux; Android 9; CamScanner)"));
        assert!(set.is_match("Java/1.8.0_151"));
        assert!(!set.is_match("Mozilla/4.0 (compatible; MSIE 6.0; java;)"));
    }

    #[test]
    fn the_shipped_fragments_compile_and_know_libraries_from_browsers() {
        let set = NonBrowser::from_catalog().unwrap();
        for client in [
            "python-requests/2.31.0",
            "curl/8.5.0",
            "Feedly/1.0 (+http://www.feedly.com/fetcher.html; 2 subscribers)",
            "Go-http-client/1.1",
            "",
            "-",
        ] {
            assert!(set.is_match(client), "{client:?} passed as a browser");
        }
        for browser in [
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        ] {
            assert!(!set.is_match(browser), "{browser} flagged");
        }
    }
}
