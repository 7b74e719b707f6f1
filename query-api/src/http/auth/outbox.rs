//! Where sign-in links go when no SMTP server is configured: one JSON line per message in a local
//! file, which the README and the tests read.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

pub struct Outbox {
    path: PathBuf,
    lock: Mutex<()>,
}

impl Outbox {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            lock: Mutex::new(()),
        }
    }

    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    pub fn send(&self, to: &str, subject: &str, link: &str) -> std::io::Result<()> {
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        let line = serde_json::json!({
            "at": chrono::Utc::now().to_rfc3339(),
            "to": to,
            "subject": subject,
            "link": link,
        });
        writeln!(file, "{line}")
    }
}
