//! Load tool for the collector. Each mode runs in a child process (so its RSS is its own) and is
//! measured at maximum load (closed loop) and at half of that rate (open loop, latency counted
//! from the scheduled send time so a stall cannot hide):
//!   noop   an actix-web handler that answers 202 and does nothing (the HTTP baseline)
//!   null   the collector with a null sink (parse, validate, encode; no Kafka)
//!   kafka  the collector writing to the broker in OPTIVIEW_KAFKA_BROKERS (acks=all)
//! and, in-process, a bare rdkafka producer sending the same messages (the broker baseline).
//! Tag beacons (`/v1/collect`) and log-shipping batches of server hits (`/v1/hits`, NDJSON) are
//! measured alike; hits are reported as lines/s on the server's one core.
//!
//!   eval "$(infra/stack env)"; cargo run --release -p benches --bin edge_load -- --seconds 10

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use benches::edge::{request_bytes, serve_collector, serve_noop, Load};
use clap::Parser;
use ingest_edge::sink::{BeaconSink, KafkaSink, NullSink};
use platform::kafka::producer_config;
use rdkafka::producer::{FutureProducer, FutureRecord};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

// The shipped collector's allocator, for every server mode alike (the no-op baseline included).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
struct Args {
    /// Seconds per measurement.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// Connections for the Kafka runs: broker acknowledgement takes milliseconds, so reaching the
    /// broker's ceiling needs as many messages in flight as the bare producer keeps.
    #[arg(long, default_value_t = 512)]
    kafka_connections: usize,
    /// Events in each request's batch. The tag sends one pageview per page load, and batches only
    /// when several events fire together.
    #[arg(long, default_value_t = 2)]
    events_per_request: usize,
    /// Back-to-back no-op / null-sink rounds whose median ratio is reported.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Lines (server hits) in each `/v1/hits` request: a log shipper's batch.
    #[arg(long, default_value_t = 1000)]
    hits_lines: usize,
    /// Connections for the `/v1/hits` runs; each has a whole batch in flight.
    #[arg(long, default_value_t = 4)]
    hits_connections: usize,
    /// Connections for the `/v1/hits` runs against Kafka (lines in flight = this × --hits-lines).
    #[arg(long, default_value_t = 8)]
    hits_kafka_connections: usize,
    /// Skip the HTTP baselines (no-op and null sink) and measure only the Kafka path.
    #[arg(long)]
    kafka_only: bool,
    /// Rate (requests/s) for the open-loop run instead of half the measured maximum.
    #[arg(long)]
    half_rate: Option<f64>,
    /// Internal: run as the server of one mode and print its port.
    #[arg(long, hide = true)]
    serve: Option<String>,
    #[arg(long, hide = true)]
    topic: Option<String>,
}

fn serve(mode: &str, topic: Option<String>) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        println!("{}", listener.local_addr()?.port());
        if mode == "noop" {
            serve_noop(listener)?.await?;
            return Ok(());
        }
        let sink: Arc<dyn BeaconSink> = match mode {
            "null" => Arc::new(NullSink),
            _ => {
                let brokers = std::env::var(platform::kafka::BROKERS_ENV)?;
                let producer: FutureProducer = producer_config(&brokers).create()?;
                Arc::new(KafkaSink::new(
                    producer,
                    topic.expect("topic"),
                    Duration::from_secs(5),
                    50_000,
                ))
            }
        };
        serve_collector(sink, listener)?.await?;
        Ok(())
    })
}

struct Run {
    requests: u64,
    errors: u64,
    seconds: f64,
    latencies_us: Vec<u64>,
    /// CPU time the server spent during the run (user and kernel), when measured.
    server_cpu_seconds: f64,
}

impl Run {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
    /// Server CPU per answered request, in µs. On this shared machine other processes take the
    /// server's core at times, which lowers requests/s but not the CPU each request costs.
    fn cpu_us_per_request(&self) -> f64 {
        self.server_cpu_seconds * 1e6 / self.requests as f64
    }
    fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let mut v = self.latencies_us.clone();
        v.sort_unstable();
        v[((v.len() as f64 - 1.0) * p) as usize] as f64 / 1000.0
    }
}

/// One keep-alive connection; `interval` set = open loop at a fixed rate.
async fn connection(
    port: u16,
    request: Arc<Vec<u8>>,
    until: Instant,
    interval: Option<Duration>,
    first_send: Instant,
) -> anyhow::Result<(u64, u64, Vec<u64>)> {
    let connect = || async {
        let stream = TcpStream::connect(("127.0.0.1", port)).await?;
        stream.set_nodelay(true)?;
        anyhow::Ok(stream)
    };
    let mut stream = connect().await?;
    let mut buf = vec![0u8; 16 * 1024];
    let (mut ok, mut errors, mut latencies) = (0u64, 0u64, Vec::new());
    let mut next = first_send;
    tokio::time::sleep_until(first_send.into()).await;
    while Instant::now() < until {
        if interval.is_some() {
            tokio::time::sleep_until(next.into()).await;
        }
        let scheduled = if interval.is_some() {
            next
        } else {
            Instant::now()
        };
        if stream.write_all(&request).await.is_err() {
            stream = connect().await?;
            stream.write_all(&request).await?;
        }
        let mut filled = 0;
        let (head_end, body_len, status) = loop {
            let n = stream.read(&mut buf[filled..]).await?;
            anyhow::ensure!(n > 0, "server closed the connection");
            filled += n;
            if let Some(pos) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
                let head = std::str::from_utf8(&buf[..pos])?;
                let status: u16 = head.get(9..12).unwrap_or("0").parse()?;
                let len = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>())
                    })
                    .transpose()?
                    .unwrap_or(0);
                break (pos + 4, len, status);
            }
        };
        while filled < head_end + body_len {
            let n = stream.read(&mut buf[filled..]).await?;
            anyhow::ensure!(n > 0, "server closed the connection");
            filled += n;
        }
        latencies.push(scheduled.elapsed().as_micros() as u64);
        if buf[..head_end]
            .windows(17)
            .any(|w| w.eq_ignore_ascii_case(b"connection: close"))
        {
            stream = connect().await?;
        }
        if status == 202 {
            ok += 1
        } else {
            errors += 1
        }
        if let Some(interval) = interval {
            next += interval;
        }
    }
    Ok((ok, errors, latencies))
}

async fn load(
    port: u16,
    what: Load,
    connections: usize,
    seconds: u64,
    rate: Option<f64>,
) -> anyhow::Result<Run> {
    let request = Arc::new(request_bytes(port, what));
    // Every connection is open before the clock starts: a burst of connects can overflow the
    // accept queue, and a retransmitted SYN (1 s) would be counted as request latency.
    let started = Instant::now() + Duration::from_secs(1);
    let until = started + Duration::from_secs(seconds);
    let interval = rate.map(|r| Duration::from_secs_f64(connections as f64 / r));
    // Open loop: the connections' schedules are staggered evenly over one interval, so the
    // offered load is a steady rate rather than all connections firing at the same instant.
    let tasks: Vec<_> = (0..connections)
        .map(|i| {
            let offset = interval.map_or(Duration::ZERO, |d| d * i as u32 / connections as u32);
            tokio::spawn(connection(
                port,
                request.clone(),
                until,
                interval,
                started + offset,
            ))
        })
        .collect();
    let mut run = Run {
        requests: 0,
        errors: 0,
        seconds: 0.0,
        latencies_us: Vec::new(),
        server_cpu_seconds: f64::NAN,
    };
    for task in tasks {
        let (ok, errors, latencies) = task.await??;
        run.requests += ok;
        run.errors += errors;
        run.latencies_us.extend(latencies);
    }
    run.seconds = started.elapsed().as_secs_f64();
    Ok(run)
}

/// A maximum-load run with the server's CPU time measured around it.
async fn load_measured(
    pid: u32,
    port: u16,
    what: Load,
    connections: usize,
    seconds: u64,
) -> anyhow::Result<Run> {
    let before = benches::cpu::cpu_seconds(pid);
    let mut run = load(port, what, connections, seconds, None).await?;
    run.server_cpu_seconds = benches::cpu::cpu_seconds(pid) - before;
    Ok(run)
}

/// Peak resident memory of a process, in MB.
fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .unwrap_or(f64::NAN)
        / 1024.0
}

struct Measured {
    max: Run,
    half: Run,
    rss_mb: f64,
}

/// Starts the server of `mode` pinned to core 0 and returns it with its port.
async fn spawn_server(
    mode: &str,
    topic: Option<&str>,
) -> anyhow::Result<(std::process::Child, u16)> {
    // The server gets core 0 and the load generator the others (see main), so a ratio compares
    // servers, not how much CPU each left to the load generator.
    let mut command = std::process::Command::new("taskset");
    command
        .args(["-c", "0"])
        .arg(std::env::current_exe()?)
        .args(["--serve", mode])
        .stdout(std::process::Stdio::piped());
    if let Some(topic) = topic {
        command.args(["--topic", topic]);
    }
    let mut child = command.spawn()?;
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().expect("stdout")),
        &mut line,
    )?;
    let port: u16 = line.trim().parse()?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok((child, port))
}

async fn measure(
    mode: &str,
    args: &Args,
    connections: usize,
    topic: Option<&str>,
) -> anyhow::Result<Measured> {
    let (mut child, port) = spawn_server(mode, topic).await?;
    let what = Load::Collect(args.events_per_request);
    let max = load_measured(child.id(), port, what, connections, args.seconds).await?;
    let half_rate = args.half_rate.unwrap_or(max.rps() / 2.0);
    let half = load(port, what, connections, args.seconds, Some(half_rate)).await?;
    let rss_mb = peak_rss_mb(child.id());
    child.kill()?;
    child.wait()?;
    Ok(Measured { max, half, rss_mb })
}

/// "0.52x, median of 5 rounds [0.50, …]", the rounds in the order they ran.
fn median_of(ratios: &mut [f64]) -> String {
    let shown: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
    ratios.sort_by(f64::total_cmp);
    format!(
        "{:.2}x, median of {} rounds [{}]",
        ratios[ratios.len() / 2],
        ratios.len(),
        shown.join(", ")
    )
}

/// One maximum-load run of tag beacons against a fresh server of `mode`.
async fn measure_max(mode: &str, args: &Args) -> anyhow::Result<Run> {
    let what = Load::Collect(args.events_per_request);
    Ok(
        measure_load(mode, what, args.connections, args.seconds, None)
            .await?
            .run,
    )
}

/// One maximum-load run of `what` against a fresh server of `mode`.
async fn measure_load(
    mode: &str,
    what: Load,
    connections: usize,
    seconds: u64,
    topic: Option<&str>,
) -> anyhow::Result<Loaded> {
    let (mut child, port) = spawn_server(mode, topic).await?;
    let run = load_measured(child.id(), port, what, connections, seconds).await;
    let rss_mb = peak_rss_mb(child.id());
    child.kill()?;
    child.wait()?;
    Ok(Loaded { run: run?, rss_mb })
}

struct Loaded {
    run: Run,
    rss_mb: f64,
}

/// `/v1/hits` at maximum load: requests/s, lines/s on the server's one core, latency, memory.
fn report_hits(name: &str, loaded: &Loaded, lines: usize) {
    let run = &loaded.run;
    let cpu_per_line = run.cpu_us_per_request() / lines as f64;
    println!(
        "{name:<6} /v1/hits {lines} lines/request: {:>6.0} req/s = {:>8.0} lines/s on its core; server CPU {:.2} µs/line = {:>8.0} lines per CPU-second ({} errors)  p50 {:>6.2} ms  p99 {:>6.2} ms | peak RSS {:>5.1} MB",
        run.rps(),
        run.rps() * lines as f64,
        cpu_per_line,
        1e6 / cpu_per_line,
        run.errors,
        run.percentile_ms(0.5),
        run.percentile_ms(0.99),
        loaded.rss_mb
    );
}

/// The broker's ceiling: the same messages from a bare producer with the same settings, keeping as
/// many messages in flight as the collector's load does (connections × events per request), since
/// with acks=all throughput is messages in flight ÷ acknowledgement time.
async fn bare_producer(
    brokers: &str,
    topic: &str,
    seconds: u64,
    in_flight: usize,
) -> anyhow::Result<f64> {
    let producer: FutureProducer = producer_config(brokers).create()?;
    let beacon = schemas::fixtures::sample_tag_beacon();
    let payload = schemas::encode(&beacon)?;
    let key = "1:v-bench-1";
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut sent = 0u64;
    let mut pending = futures::stream::FuturesUnordered::new();
    use futures::StreamExt;
    while Instant::now() < until {
        while pending.len() < in_flight {
            pending.push(producer.send(
                FutureRecord::to(topic).key(key).payload(&payload),
                Duration::from_secs(10),
            ));
        }
        if let Some(result) = pending.next().await {
            result.map_err(|(e, _)| e)?;
            sent += 1;
        }
    }
    while let Some(result) = pending.next().await {
        result.map_err(|(e, _)| e)?;
        sent += 1;
    }
    Ok(sent as f64 / started.elapsed().as_secs_f64())
}

/// The broker's own latency at a fixed rate: one message every `1/rate` s from a bare producer,
/// latency from the scheduled send time to the acknowledgement.
async fn bare_producer_latency(
    brokers: &str,
    topic: &str,
    seconds: u64,
    rate: f64,
) -> anyhow::Result<Run> {
    let producer: FutureProducer = producer_config(brokers).create()?;
    let payload = Arc::new(schemas::encode(&schemas::fixtures::sample_tag_beacon())?);
    let topic = Arc::new(topic.to_owned());
    // The first send waits for the idempotent producer's id from the broker (about a second);
    // the collector's producer is long past that when it is measured, so this one must be too.
    producer
        .send(
            FutureRecord::to(topic.as_str())
                .key("1:v-bench-1")
                .payload(payload.as_slice()),
            Duration::from_secs(10),
        )
        .await
        .map_err(|(e, _)| e)?;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let started = Instant::now();
    let mut next = started;
    let mut tasks = Vec::new();
    while started.elapsed() < Duration::from_secs(seconds) {
        tokio::time::sleep_until(next.into()).await;
        let (producer, payload, topic, scheduled) =
            (producer.clone(), payload.clone(), topic.clone(), next);
        tasks.push(tokio::spawn(async move {
            let record = FutureRecord::to(topic.as_str())
                .key("1:v-bench-1")
                .payload(payload.as_slice());
            let acked = producer.send(record, Duration::from_secs(10)).await.is_ok();
            (acked, scheduled.elapsed().as_micros() as u64)
        }));
        next += interval;
    }
    let mut run = Run {
        requests: 0,
        errors: 0,
        seconds: started.elapsed().as_secs_f64(),
        latencies_us: Vec::new(),
        server_cpu_seconds: f64::NAN,
    };
    for task in tasks {
        let (acked, us) = task.await?;
        if acked {
            run.requests += 1;
        } else {
            run.errors += 1;
        }
        run.latencies_us.push(us);
    }
    Ok(run)
}

fn report(name: &str, m: &Measured, events_per_request: usize) {
    println!(
        "{name:<6} max {:>8.0} req/s ({:>8.0} events/s, {} errors, server CPU {:>5.1} µs/request)  p50 {:>6.2} ms  p99 {:>6.2} ms | at half load {:>7.0} req/s: p50 {:>6.2} ms  p99 {:>6.2} ms | peak RSS {:>5.1} MB",
        m.max.rps(),
        m.max.rps() * events_per_request as f64,
        m.max.errors,
        m.max.cpu_us_per_request(),
        m.max.percentile_ms(0.5),
        m.max.percentile_ms(0.99),
        m.half.rps(),
        m.half.percentile_ms(0.5),
        m.half.percentile_ms(0.99),
        m.rss_mb
    );
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    match &args.serve {
        // The server child runs on actix's own runtime; the load runs on tokio's.
        Some(mode) => serve(mode, args.topic.clone()),
        None => {
            let cores = std::thread::available_parallelism().map_or(1, usize::from);
            if cores > 1 {
                std::process::Command::new("taskset")
                    .args([
                        "-pc",
                        &format!("1-{}", cores - 1),
                        &std::process::id().to_string(),
                    ])
                    .output()?;
            }
            tokio::runtime::Runtime::new()?.block_on(run(args))
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    if !args.kafka_only {
        http_baselines(&args).await?;
    }
    kafka_measurements(&args).await
}

async fn http_baselines(args: &Args) -> anyhow::Result<()> {
    let noop = measure("noop", args, args.connections, None).await?;
    report("noop", &noop, args.events_per_request);
    let null = measure("null", args, args.connections, None).await?;
    report("null", &null, args.events_per_request);
    // This machine's speed drifts between runs, so the ratio is taken per round from back-to-back
    // maximum-load runs and the median reported.
    let mut ratios = vec![null.max.rps() / noop.max.rps()];
    let mut cpu_ratios = vec![noop.max.cpu_us_per_request() / null.max.cpu_us_per_request()];
    for _ in 1..args.rounds {
        let noop = measure_max("noop", args).await?;
        let null = measure_max("null", args).await?;
        ratios.push(null.rps() / noop.rps());
        cpu_ratios.push(noop.cpu_us_per_request() / null.cpu_us_per_request());
    }
    println!(
        "null sink vs no-op handler: {} requests/s (goal >= 0.50)",
        median_of(&mut ratios)
    );
    println!(
        "null sink vs no-op handler by server CPU per request (no-op µs / null µs, the requests/s ratio of a core of their own): {}",
        median_of(&mut cpu_ratios)
    );
    let hits = Load::Hits(args.hits_lines);
    let noop = measure_load("noop", hits, args.hits_connections, args.seconds, None).await?;
    report_hits("noop", &noop, args.hits_lines);
    let null = measure_load("null", hits, args.hits_connections, args.seconds, None).await?;
    report_hits("null", &null, args.hits_lines);
    println!(
        "null sink vs no-op handler, /v1/hits: {:.2}x requests/s, {:.2}x by server CPU per request (the no-op only reads the batch)",
        null.run.rps() / noop.run.rps(),
        noop.run.cpu_us_per_request() / null.run.cpu_us_per_request()
    );
    Ok(())
}

async fn kafka_measurements(args: &Args) -> anyhow::Result<()> {
    let Ok(brokers) = std::env::var(platform::kafka::BROKERS_ENV) else {
        println!("OPTIVIEW_KAFKA_BROKERS not set: skipping the Kafka measurements");
        return Ok(());
    };
    let topic = format!("bench_beacons_{}", std::process::id());
    let definition = schemas::topics::TopicDefinition {
        name: topic.clone(),
        partitions: 6,
        retention_ms: 3_600_000,
        cleanup_policy: "delete".into(),
    };
    platform::kafka::admin::ensure_topics(&brokers, &[definition], 1).await?;
    let in_flight = args.kafka_connections * args.events_per_request;
    let baseline = bare_producer(&brokers, &topic, args.seconds, in_flight).await?;
    println!(
        "bare rdkafka producer: {baseline:.0} msgs/s (acks=all, idempotent, lz4, {in_flight} in flight)"
    );
    let kafka = measure("kafka", args, args.kafka_connections, Some(&topic)).await?;
    report("kafka", &kafka, args.events_per_request);
    let events = kafka.max.rps() * args.events_per_request as f64;
    println!(
        "collector with Kafka vs bare producer: {:.2}x messages/s (goal >= 0.70)",
        events / baseline
    );
    let broker = bare_producer_latency(
        &brokers,
        &topic,
        args.seconds,
        kafka.half.rps() * args.events_per_request as f64,
    )
    .await?;
    let hits = Load::Hits(args.hits_lines);
    let kafka_hits = measure_load(
        "kafka",
        hits,
        args.hits_kafka_connections,
        args.seconds,
        Some(&topic),
    )
    .await?;
    report_hits("kafka", &kafka_hits, args.hits_lines);
    println!(
        "collector with Kafka, /v1/hits vs bare producer: {:.2}x messages/s ({} lines in flight)",
        kafka_hits.run.rps() * args.hits_lines as f64 / baseline,
        args.hits_kafka_connections * args.hits_lines
    );
    println!(
        "broker alone at the half-load message rate ({:.0} msgs/s): p50 {:.2} ms  p99 {:.2} ms; collector p99 / broker p99 = {:.2}x",
        broker.rps(),
        broker.percentile_ms(0.5),
        broker.percentile_ms(0.99),
        kafka.half.percentile_ms(0.99) / broker.percentile_ms(0.99)
    );
    Ok(())
}
