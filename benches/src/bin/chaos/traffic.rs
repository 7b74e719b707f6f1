//! Tag beacons through the collector's public `/v1/collect`, one event per request so every
//! answer belongs to one event id. A failed send is retried with the same id (and event time), as
//! the tag does, so a 503 whose record did reach the broker tests the dedup downstream.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use schemas::fixtures::Tenant;
use schemas::vocab::{EventType, Vocabulary};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What became of one event id after all its attempts.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub id: String,
    /// Some attempt was answered 2xx.
    pub accepted: bool,
    /// The last attempt's answer: a status code, or why there was none.
    pub last: Answer,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Answer {
    Status(u16),
    NoAnswer(&'static str),
}

pub struct Traffic {
    pub edge: String,
    pub tenant: Tenant,
    pub domain: String,
    /// Prefix of every event id of this run, so its rows are told apart.
    pub run: String,
    pub rate: f64,
    pub visitors: usize,
    pub retries: u32,
}

impl Traffic {
    /// Sends at `rate` events/s until `stop`, then waits for every event's last attempt.
    pub async fn drive(self: Arc<Self>, stop: Arc<AtomicBool>) -> Vec<Outcome> {
        let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / self.rate));
        let mut sends = Vec::new();
        let mut n = 0usize;
        while !stop.load(Ordering::Relaxed) {
            ticks.tick().await;
            let traffic = self.clone();
            sends.push(tokio::spawn(async move { traffic.send(n).await }));
            n += 1;
        }
        let mut outcomes = Vec::with_capacity(sends.len());
        for send in sends {
            outcomes.push(send.await.expect("send task"));
        }
        outcomes
    }

    pub fn event_id(&self, n: usize) -> String {
        format!("{}-{n:08}", self.run)
    }

    async fn send(&self, n: usize) -> Outcome {
        let id = self.event_id(n);
        let body = self.body(n, &id, chrono::Utc::now().timestamp_millis());
        let mut last = Answer::NoAnswer("not sent");
        for attempt in 0..=self.retries {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            last = self.post(&body).await;
            match last {
                Answer::Status(s) if (200..300).contains(&s) => {
                    return Outcome {
                        id,
                        accepted: true,
                        last,
                    }
                }
                // Refusals other than "try again" would refuse a retry too.
                Answer::Status(s) if (400..500).contains(&s) && s != 429 => break,
                _ => {}
            }
        }
        Outcome {
            id,
            accepted: false,
            last,
        }
    }

    fn body(&self, n: usize, id: &str, ts: i64) -> Vec<u8> {
        let t = &self.tenant;
        let visitor = n % self.visitors;
        serde_json::to_vec(&serde_json::json!({
            "key_id": t.key, "project_id": t.project, "property_id": t.property,
            "visitor_id": format!("chaos-v{visitor}"), "session_id": format!("chaos-s{visitor}"),
            "events": [{
                "id": id, "type": EventType::Pageview.as_str(), "ts": ts,
                "url": format!("https://{}/docs/{}", self.domain, n % 50),
                "title": "Chaos", "referrer": "https://chatgpt.com/"
            }]
        }))
        .expect("json")
    }

    /// One request on its own connection (a collector killed in between leaves no pooled socket).
    async fn post(&self, body: &[u8]) -> Answer {
        let exchange = async {
            let mut stream = TcpStream::connect(&self.edge)
                .await
                .map_err(|_| "connection refused")?;
            let head = format!(
                "POST /v1/collect HTTP/1.1\r\nHost: {}\r\nOrigin: https://{}\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                self.edge,
                self.domain,
                body.len()
            );
            stream
                .write_all(head.as_bytes())
                .await
                .map_err(|_| "write failed")?;
            stream.write_all(body).await.map_err(|_| "write failed")?;
            status_line(&mut stream).await
        };
        match tokio::time::timeout(Duration::from_secs(10), exchange).await {
            Ok(Ok(status)) => Answer::Status(status),
            Ok(Err(why)) => Answer::NoAnswer(why),
            Err(_) => Answer::NoAnswer("timed out"),
        }
    }
}

/// The status code of an HTTP/1.1 answer (the rest is not needed).
pub async fn status_line(stream: &mut TcpStream) -> Result<u16, &'static str> {
    let mut head = Vec::new();
    let mut buf = [0u8; 512];
    while !head.windows(2).any(|w| w == b"\r\n") {
        let read = stream.read(&mut buf).await.map_err(|_| "read failed")?;
        if read == 0 {
            return Err("closed without an answer");
        }
        head.extend_from_slice(&buf[..read]);
    }
    std::str::from_utf8(&head)
        .ok()
        .and_then(|h| h.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .ok_or("not HTTP")
}

/// GET `path` on `addr`: the status and the body, or None when nothing answered.
pub async fn get(addr: &str, path: &str) -> Option<(u16, String)> {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        let head = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(head.as_bytes()).await.ok()?;
        let mut all = Vec::new();
        stream.read_to_end(&mut all).await.ok()?;
        let text = String::from_utf8_lossy(&all).into_owned();
        let status = text.split(' ').nth(1)?.parse().ok()?;
        let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
        Some((status, body))
    };
    tokio::time::timeout(Duration::from_secs(5), exchange)
        .await
        .ok()
        .flatten()
}
