//! Heap allocations per request and per event on the collector's paths, counted by a counting
//! allocator (its atomic counters would slow `edge_load`'s servers, so it has a binary of its own).
//! The no-op actix handler receiving the same requests is the baseline measured in the same run:
//! what it allocates is HTTP's, the rest is the collector's. Servers run in this process, one
//! request at a time over one keep-alive connection whose client allocates nothing per request.
//!
//!   cargo run --release -p benches --bin edge_allocs -- --requests 20000

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

use benches::edge::{request_bytes, serve_collector, serve_noop, Load};
use clap::Parser;
use ingest_edge::sink::NullSink;
use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<std::alloc::System> = &INSTRUMENTED_SYSTEM;

#[derive(Parser)]
struct Args {
    /// Requests counted per measurement (after as many again to warm up).
    #[arg(long, default_value_t = 20_000)]
    requests: usize,
    /// Events in each `/v1/collect` request.
    #[arg(long, default_value_t = 2)]
    events_per_request: usize,
    /// Lines in each `/v1/hits` request.
    #[arg(long, default_value_t = 1000)]
    hits_lines: usize,
}

/// Starts a server on its own thread and returns its port.
fn start(collector: bool) -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = if collector {
                serve_collector(Arc::new(NullSink), listener)
            } else {
                serve_noop(listener).map_err(anyhow::Error::from)
            };
            server.expect("server").await.expect("serving");
        })
    });
    Ok(port)
}

/// Sends `request` and reads the whole answer into `buf`; the status.
fn exchange(stream: &mut TcpStream, request: &[u8], buf: &mut [u8]) -> anyhow::Result<u16> {
    stream.write_all(request)?;
    let mut filled = 0;
    loop {
        let n = stream.read(&mut buf[filled..])?;
        anyhow::ensure!(n > 0, "server closed the connection");
        filled += n;
        let Some(head) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let length = content_length(&buf[..head]);
        if filled >= head + 4 + length {
            let status = std::str::from_utf8(&buf[9..12])?.parse()?;
            return Ok(status);
        }
    }
}

fn content_length(head: &[u8]) -> usize {
    const NAME: &[u8] = b"content-length:";
    head.split(|b| *b == b'\n')
        .find(|line| line.len() > NAME.len() && line[..NAME.len()].eq_ignore_ascii_case(NAME))
        .and_then(|line| std::str::from_utf8(&line[NAME.len()..]).ok())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

struct Counted {
    allocations: f64,
    bytes: f64,
}

fn count(port: u16, what: Load, requests: usize) -> anyhow::Result<Counted> {
    let request = request_bytes(port, what);
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; 64 * 1024];
    for _ in 0..requests {
        anyhow::ensure!(exchange(&mut stream, &request, &mut buf)? == 202, "refused");
    }
    let region = Region::new(GLOBAL);
    for _ in 0..requests {
        anyhow::ensure!(exchange(&mut stream, &request, &mut buf)? == 202, "refused");
    }
    let change = region.change();
    let n = requests as f64;
    Ok(Counted {
        allocations: (change.allocations + change.reallocations) as f64 / n,
        bytes: change.bytes_allocated as f64 / n,
    })
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let noop = start(false)?;
    let collector = start(true)?;
    std::thread::sleep(std::time::Duration::from_millis(300));
    for (route, what, requests) in [
        (
            "/v1/collect",
            Load::Collect(args.events_per_request),
            args.requests,
        ),
        // Batches are large: fewer of them count as many events.
        (
            "/v1/hits",
            Load::Hits(args.hits_lines),
            (args.requests / args.hits_lines).max(20),
        ),
    ] {
        let baseline = count(noop, what, requests)?;
        let measured = count(collector, what, requests)?;
        let events = what.events() as f64;
        let own = measured.allocations - baseline.allocations;
        println!(
            "{route} ({} events/request): no-op handler {:.1} allocations ({:.0} B) per request; collector {:.1} ({:.0} B); the collector's own {:.1} per request = {:.2} per event ({:.0} B per event)",
            what.events(),
            baseline.allocations,
            baseline.bytes,
            measured.allocations,
            measured.bytes,
            own,
            own / events,
            (measured.bytes - baseline.bytes) / events,
        );
    }
    Ok(())
}
