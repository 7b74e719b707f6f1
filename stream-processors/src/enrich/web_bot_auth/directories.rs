//! The signers' key directories, cached per origin for as long as their `Cache-Control` allows
//! (bounded both ways) and fetched off the enricher's path: a miss starts a fetch on the running
//! Tokio runtime and answers [`Lookup::Pending`] with something to wait on; the fetch is bounded
//! in time and size, and a failure is remembered for a while so an unreachable signer costs one
//! fetch per [`FAILURE_TTL`], not one per hit.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use url::Url;

use super::directory::Directory;
use crate::jobs::public_fetch;
use crate::telemetry;

/// Where a signer publishes its directory, below its origin.
pub const WELL_KNOWN: &str = "/.well-known/http-message-signatures-directory";
/// A directory with no `max-age` is kept this long …
pub const DEFAULT_TTL: Duration = Duration::from_secs(3_600);
/// … and one with any `max-age` at least this long (a key rotation is seen within the hour) …
pub const MIN_TTL: Duration = Duration::from_secs(60);
pub const MAX_TTL: Duration = Duration::from_secs(24 * 3_600);
/// … and an origin whose directory could not be read is not asked again for this long.
pub const FAILURE_TTL: Duration = Duration::from_secs(300);

#[derive(Debug, Clone)]
pub struct DirectoryConfig {
    /// Bound on one fetch, connection to last byte.
    pub timeout: Duration,
    /// Bound on one directory's body.
    pub max_bytes: usize,
    /// Origins cached at once; the one expiring first makes room.
    pub max_origins: usize,
    /// Fetches under way at once; a signer beyond them is undecided until one ends.
    pub max_fetches: usize,
    /// Origin (`https://chatgpt.com`) → where its directory is fetched from instead (a base URL,
    /// `http://127.0.0.1:8123`): for tests and private signers. Without one only `https`
    /// origins are fetched.
    pub overrides: HashMap<String, Url>,
}

impl Default for DirectoryConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(3),
            max_bytes: 64 * 1024,
            max_origins: 4_096,
            max_fetches: 16,
            overrides: HashMap::new(),
        }
    }
}

/// What the cache holds for an origin.
pub enum Lookup {
    Ready(Arc<Directory>),
    /// Its fetch failed lately, or cannot be made: nothing to check against.
    Unavailable,
    /// A fetch is under way; `KeyWait::ready` resolves when it ends.
    Pending(KeyWait),
}

/// Resolves when a directory fetch has ended (whatever its result).
#[derive(Debug, Clone)]
pub struct KeyWait(watch::Receiver<bool>);

impl KeyWait {
    pub async fn ready(mut self) {
        let _ = self.0.wait_for(|done| *done).await;
    }
}

enum Entry {
    Ready {
        directory: Arc<Directory>,
        until: Instant,
    },
    Failed {
        until: Instant,
    },
    Fetching(watch::Receiver<bool>),
}

impl Entry {
    fn expires(&self) -> Option<Instant> {
        match self {
            Entry::Ready { until, .. } | Entry::Failed { until } => Some(*until),
            Entry::Fetching(_) => None,
        }
    }
}

const USER_AGENT: &str = concat!("optiview-key-directory/", env!("CARGO_PKG_VERSION"));

pub struct Directories {
    config: DirectoryConfig,
    /// Connects to public addresses only: the origin comes from the request.
    client: reqwest::Client,
    /// For the configured overrides, which may be local.
    override_client: reqwest::Client,
    entries: Mutex<HashMap<String, Entry>>,
}

impl Directories {
    pub fn new(config: DirectoryConfig) -> anyhow::Result<Self> {
        // No redirects: a directory is where the Signature-Agent says, not where it points.
        let client = public_fetch::client(config.timeout, 0, USER_AGENT, false);
        let override_client = public_fetch::client(config.timeout, 0, USER_AGENT, true);
        Ok(Self {
            config,
            client,
            override_client,
            entries: Mutex::new(HashMap::new()),
        })
    }

    /// The URL the origin's directory is read from, when it may be read at all. The origin comes
    /// from the request, so without an override only https is asked, and only public addresses
    /// (a literal one here, a name through the client's resolver).
    fn url(&self, origin: &str) -> Option<Url> {
        let base = match self.config.overrides.get(origin) {
            Some(base) => base.clone(),
            None if origin.starts_with("https://") => {
                let url = Url::parse(origin).ok()?;
                public_fetch::check_url(&url, false).ok()?;
                url
            }
            None => return None,
        };
        base.join(WELL_KNOWN).ok()
    }

    /// The origin's directory from the cache; on a miss (or once expired) a fetch starts.
    pub fn lookup(self: &Arc<Self>, origin: &str) -> Lookup {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(origin) {
            Some(Entry::Ready { directory, until }) if *until > now => {
                return Lookup::Ready(directory.clone())
            }
            Some(Entry::Failed { until }) if *until > now => return Lookup::Unavailable,
            Some(Entry::Fetching(done)) => return Lookup::Pending(KeyWait(done.clone())),
            _ => {}
        }
        let (Some(url), Ok(runtime)) = (self.url(origin), tokio::runtime::Handle::try_current())
        else {
            return Lookup::Unavailable;
        };
        let fetching = entries
            .values()
            .filter(|e| matches!(e, Entry::Fetching(_)))
            .count();
        if fetching >= self.config.max_fetches
            || !make_room(&mut entries, self.config.max_origins, origin)
        {
            return Lookup::Unavailable;
        }
        let (done, waiting) = watch::channel(false);
        entries.insert(origin.to_owned(), Entry::Fetching(waiting.clone()));
        drop(entries);
        let this = self.clone();
        let origin = origin.to_owned();
        let client = if self.config.overrides.contains_key(&origin) {
            self.override_client.clone()
        } else {
            self.client.clone()
        };
        runtime.spawn(async move {
            let entry = match this.fetch(&client, url).await {
                Ok((directory, ttl)) => {
                    metrics::counter!(telemetry::KEY_DIRECTORY_FETCHES, "result" => "ok")
                        .increment(1);
                    Entry::Ready {
                        directory: Arc::new(directory),
                        until: Instant::now() + ttl,
                    }
                }
                Err(error) => {
                    metrics::counter!(telemetry::KEY_DIRECTORY_FETCHES, "result" => "failed")
                        .increment(1);
                    tracing::warn!(%origin, %error, "key directory unavailable");
                    Entry::Failed {
                        until: Instant::now() + FAILURE_TTL,
                    }
                }
            };
            this.entries
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(origin, entry);
            let _ = done.send(true);
        });
        Lookup::Pending(KeyWait(waiting))
    }

    /// Puts `directory` in the cache for `origin` until `ttl` has passed, as a fetch would.
    pub fn preload(&self, origin: &str, directory: Directory, ttl: Duration) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if make_room(&mut entries, self.config.max_origins, origin) {
            entries.insert(
                origin.to_owned(),
                Entry::Ready {
                    directory: Arc::new(directory),
                    until: Instant::now() + ttl,
                },
            );
        }
    }

    pub fn cached(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    async fn fetch(
        &self,
        client: &reqwest::Client,
        url: Url,
    ) -> Result<(Directory, Duration), String> {
        let mut response = client
            .get(url)
            .header(
                reqwest::header::ACCEPT,
                "application/http-message-signatures-directory+json, application/json",
            )
            .send()
            .await
            .map_err(|e| e.without_url().to_string())?;
        if !response.status().is_success() {
            return Err(format!("answered {}", response.status()));
        }
        if response
            .content_length()
            .is_some_and(|n| n > self.config.max_bytes as u64)
        {
            return Err(format!("larger than {} bytes", self.config.max_bytes));
        }
        let ttl = response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .map_or(DEFAULT_TTL, time_to_live);
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| e.without_url().to_string())?
        {
            if body.len() + chunk.len() > self.config.max_bytes {
                return Err(format!("larger than {} bytes", self.config.max_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((Directory::parse(&body)?, ttl))
    }
}

/// Room for `origin` among at most `max` entries: expired ones go first, then the one expiring
/// soonest. False when every entry is a fetch under way.
fn make_room(entries: &mut HashMap<String, Entry>, max: usize, origin: &str) -> bool {
    if entries.len() < max || entries.contains_key(origin) {
        return true;
    }
    let now = Instant::now();
    entries.retain(|_, e| e.expires().is_none_or(|until| until > now));
    if entries.len() < max {
        return true;
    }
    let soonest = entries
        .iter()
        .filter_map(|(k, e)| Some((e.expires()?, k.clone())))
        .min();
    match soonest {
        Some((_, key)) => {
            entries.remove(&key);
            true
        }
        None => false,
    }
}

/// How long a directory served with this `Cache-Control` is kept, within [`MIN_TTL`, `MAX_TTL`].
pub fn time_to_live(cache_control: &str) -> Duration {
    let mut ttl = None;
    for directive in cache_control.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return MIN_TTL;
        }
        if let Some(seconds) = lower.strip_prefix("max-age=") {
            ttl = seconds
                .trim_matches('"')
                .parse::<u64>()
                .ok()
                .map(Duration::from_secs);
        }
    }
    ttl.unwrap_or(DEFAULT_TTL).clamp(MIN_TTL, MAX_TTL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_sets_the_lifetime_within_bounds() {
        assert_eq!(
            time_to_live("public, max-age=600"),
            Duration::from_secs(600)
        );
        assert_eq!(time_to_live("max-age=5"), MIN_TTL);
        assert_eq!(time_to_live("max-age=99999999"), MAX_TTL);
        assert_eq!(time_to_live("no-store"), MIN_TTL);
        assert_eq!(time_to_live("public"), DEFAULT_TTL);
        assert_eq!(time_to_live("max-age=soon"), DEFAULT_TTL);
    }

    fn directories(config: DirectoryConfig) -> Arc<Directories> {
        Arc::new(Directories::new(config).unwrap())
    }

    fn some_directory() -> Directory {
        Directory::parse(
            br#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs"}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn only_https_origins_or_overridden_ones_are_fetched() {
        let mut config = DirectoryConfig::default();
        config.overrides.insert(
            "https://chatgpt.com".into(),
            Url::parse("http://127.0.0.1:9/").unwrap(),
        );
        let d = directories(config);
        assert_eq!(
            d.url("https://agent.example").unwrap().as_str(),
            "https://agent.example/.well-known/http-message-signatures-directory"
        );
        assert_eq!(
            d.url("https://chatgpt.com").unwrap().as_str(),
            "http://127.0.0.1:9/.well-known/http-message-signatures-directory"
        );
        assert_eq!(d.url("http://agent.example"), None);
        for internal in [
            "https://127.0.0.1:8443",
            "https://10.1.2.3",
            "https://192.168.0.1",
            "https://169.254.169.254",
            "https://[::1]",
            "https://[fd00::1]",
        ] {
            assert_eq!(d.url(internal), None, "{internal}");
        }
        assert!(d.url("https://93.184.216.34").is_some());
    }

    #[test]
    fn without_a_runtime_a_miss_is_unavailable_and_preloaded_entries_are_ready() {
        let d = directories(DirectoryConfig::default());
        assert!(matches!(
            d.lookup("https://agent.example"),
            Lookup::Unavailable
        ));
        assert_eq!(
            d.cached(),
            0,
            "nothing is remembered for a fetch never made"
        );
        d.preload("https://agent.example", some_directory(), MIN_TTL);
        assert!(matches!(
            d.lookup("https://agent.example"),
            Lookup::Ready(_)
        ));
    }

    /// Answers every connection on a local port with `response` (status line, headers, body).
    async fn serve(response: String) -> Url {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let _ = socket.write_all(response.as_bytes()).await;
            }
        });
        base
    }

    fn response(status: &str, headers: &str, body: &str) -> String {
        format!(
            "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n{headers}\r\n{body}",
            body.len()
        )
    }

    /// Looks `origin` up, waits for the fetch it starts, and looks again.
    async fn fetched(d: &Arc<Directories>, origin: &str) -> Lookup {
        match d.lookup(origin) {
            Lookup::Pending(wait) => wait.ready().await,
            _ => panic!("{origin}: a miss starts a fetch"),
        }
        d.lookup(origin)
    }

    #[tokio::test]
    async fn a_fetched_directory_is_cached_and_a_bad_one_is_unavailable() {
        let jwks = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs"}]}"#;
        let mut config = DirectoryConfig {
            max_bytes: 1_000,
            timeout: Duration::from_millis(500),
            ..DirectoryConfig::default()
        };
        // Accepts and never answers: the fetch's timeout ends it.
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        config.overrides.insert(
            "https://silent.example".into(),
            Url::parse(&format!("http://{}/", silent.local_addr().unwrap())).unwrap(),
        );
        for (origin, answer) in [
            (
                "https://good.example",
                response("200 OK", "cache-control: max-age=600\r\n", jwks),
            ),
            ("https://missing.example", response("404 Not Found", "", "")),
            (
                "https://huge.example",
                response("200 OK", "", &" ".repeat(1_001)),
            ),
            (
                "https://html.example",
                response("200 OK", "", "<html></html>"),
            ),
        ] {
            config.overrides.insert(origin.into(), serve(answer).await);
        }
        let d = directories(config);
        match fetched(&d, "https://good.example").await {
            Lookup::Ready(directory) => assert_eq!(directory.len(), 1),
            _ => panic!("the good directory is cached"),
        }
        for origin in [
            "https://missing.example",
            "https://huge.example",
            "https://html.example",
            "https://silent.example",
        ] {
            assert!(
                matches!(fetched(&d, origin).await, Lookup::Unavailable),
                "{origin}"
            );
        }
    }

    #[test]
    fn the_cache_holds_at_most_its_bound() {
        let d = directories(DirectoryConfig {
            max_origins: 2,
            ..DirectoryConfig::default()
        });
        d.preload("https://a.example", some_directory(), MAX_TTL);
        d.preload("https://b.example", some_directory(), MIN_TTL);
        d.preload("https://c.example", some_directory(), MAX_TTL);
        assert_eq!(d.cached(), 2);
        assert!(
            matches!(d.lookup("https://a.example"), Lookup::Ready(_)),
            "the entry expiring soonest made room"
        );
        assert!(matches!(d.lookup("https://c.example"), Lookup::Ready(_)));
    }
}
