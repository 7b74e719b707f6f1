//! The local engine's floor: `SELECT 1` through the ClickHouse gateway with the official crate
//! (the client every dashboard query uses, keep-alive pool and all) against the same client's
//! round trip to a trivial local HTTP server that answers every request with the bytes
//! ClickHouse answers `SELECT 1` with (the baseline, measured in the same run). The ratio is what the gateway and
//! the engine add to an HTTP round trip on this machine. Both without compression (the trivial
//! server does not frame LZ4 blocks); a third line is the gateway with the crate's default LZ4,
//! as the services query it.
//!
//!   eval "$(infra/stack env)"; cargo run --release -p benches --bin gateway_floor -- 2000

use std::time::{Duration, Instant};

use clickhouse::Compression;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What ClickHouse answers `SELECT 1` with in the format the crate asks for
/// (RowBinaryWithNamesAndTypes: one column named `1` of type UInt8, then the value).
const ANSWER: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-ClickHouse-Format: RowBinaryWithNamesAndTypes\r\nContent-Length: 10\r\n\r\n\x01\x011\x05UInt8\x01";

/// Requests before the measured ones: the pool's connections are opened and warm.
const WARM_UP: usize = 50;

/// Answers every HTTP/1.1 request on a kept-alive connection with a RowBinary `1`. It reads
/// until the end of the headers and the Content-Length body, which is all the crate sends.
async fn trivial_server() -> anyhow::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let _ = socket.set_nodelay(true);
            tokio::spawn(async move {
                let mut buf = Vec::with_capacity(4096);
                let mut chunk = [0u8; 4096];
                loop {
                    let Some(end) = request_end(&buf) else {
                        match socket.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                        continue;
                    };
                    buf.drain(..end);
                    let answer = ANSWER;
                    if socket.write_all(answer).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    Ok(url)
}

/// The length of the first complete request in `buf` (headers and Content-Length body).
fn request_end(buf: &[u8]) -> Option<usize> {
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let body: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    (buf.len() >= head_end + body).then_some(head_end + body)
}

/// p50 and p95 of `n` sequential `SELECT 1` round trips, in milliseconds.
async fn measure(client: &clickhouse::Client, n: usize) -> anyhow::Result<(f64, f64)> {
    for _ in 0..WARM_UP {
        anyhow::ensure!(client.query("SELECT 1").fetch_one::<u8>().await? == 1);
    }
    let mut times: Vec<Duration> = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        let one = client.query("SELECT 1").fetch_one::<u8>().await?;
        times.push(started.elapsed());
        anyhow::ensure!(one == 1, "SELECT 1 answered {one}");
    }
    times.sort();
    let at = |q: f64| times[((n as f64 * q) as usize).min(n - 1)].as_secs_f64() * 1000.0;
    Ok((at(0.50), at(0.95)))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(2000);
    anyhow::ensure!(n > 0, "the number of requests must be positive");
    let url =
        std::env::var("OPTIVIEW_CLICKHOUSE_URL").unwrap_or_else(|_| "http://127.0.0.1:8123".into());
    // As the services build it: credentials from `infra/stack env`, the project's database.
    let gateway = platform::test_support::clickhouse_client(&url)
        .with_database("default")
        .with_compression(Compression::None);
    let lz4 = gateway.clone().with_compression(Compression::Lz4);
    let bare = clickhouse::Client::default()
        .with_url(trivial_server().await?)
        .with_database("default")
        .with_compression(Compression::None);

    let (bare50, bare95) = measure(&bare, n).await?;
    let (gw50, gw95) = measure(&gateway, n).await?;
    let (lz50, lz95) = measure(&lz4, n).await?;
    println!("{n} sequential SELECT 1 round trips with the clickhouse crate");
    println!("bare HTTP (trivial local server, baseline): p50 {bare50:.3} ms, p95 {bare95:.3} ms");
    println!(
        "gateway {url}: p50 {gw50:.3} ms, p95 {gw95:.3} ms ({:.1}x / {:.1}x the bare round trip)",
        gw50 / bare50,
        gw95 / bare95
    );
    println!(
        "gateway, lz4 (as the services): p50 {lz50:.3} ms, p95 {lz95:.3} ms ({:.1}x / {:.1}x)",
        lz50 / bare50,
        lz95 / bare95
    );
    Ok(())
}
