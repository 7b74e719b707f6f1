//! A real HTTP server on a local port standing in for a Slack incoming webhook: it records every
//! JSON body it is sent and answers with the statuses a test queues (200 once they run out) and
//! the body a test set ("ok" unless set; lets it stand in for any small HTTP source too).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as received, with the status it was answered with.
#[derive(Debug, Clone)]
pub struct Received {
    pub status: u16,
    pub body: Value,
}

#[derive(Default)]
struct Shared {
    received: Vec<Received>,
    statuses: VecDeque<u16>,
    reply: Option<String>,
}

pub struct WebhookReceiver {
    pub url: String,
    shared: Arc<Mutex<Shared>>,
    task: tokio::task::JoinHandle<()>,
}

impl WebhookReceiver {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/services/T000/B000/test",
            listener.local_addr().unwrap()
        );
        let shared = Arc::new(Mutex::new(Shared::default()));
        let serving = shared.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(answer(stream, serving.clone()));
            }
        });
        Self { url, shared, task }
    }

    /// The next requests get these statuses, in order.
    pub fn answer_next(&self, statuses: &[u16]) {
        self.shared.lock().unwrap().statuses.extend(statuses);
    }

    /// Every later answer carries `body`.
    pub fn reply_with(&self, body: &str) {
        self.shared.lock().unwrap().reply = Some(body.to_owned());
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.lock().unwrap().received.clone()
    }

    /// Bodies answered with 2xx: what reached the channel.
    pub fn delivered(&self) -> Vec<Value> {
        self.received()
            .into_iter()
            .filter(|r| (200..300).contains(&r.status))
            .map(|r| r.body)
            .collect()
    }

    /// Waits until `n` bodies were delivered (or `timeout` passed) and returns what was.
    pub async fn wait_delivered(&self, n: usize, timeout: Duration) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let delivered = self.delivered();
            if delivered.len() >= n || tokio::time::Instant::now() >= deadline {
                return delivered;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(mut stream: TcpStream, shared: Arc<Mutex<Shared>>) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buffer.len() < head_end + length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
    let body = serde_json::from_slice(&buffer[head_end..head_end + length]).unwrap_or(Value::Null);
    let (status, text) = {
        let mut shared = shared.lock().unwrap();
        let status = shared.statuses.pop_front().unwrap_or(200);
        shared.received.push(Received { status, body });
        (status, shared.reply.clone().unwrap_or_else(|| "ok".into()))
    };
    let reply = format!(
        "HTTP/1.1 {status} Test\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
}
