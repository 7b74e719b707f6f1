//! Log-shipping batches on `/v1/hits` against the real broker: a batch at the line or byte limit is
//! answered 202 only with every line on the topic; one line or one byte more is 413 and lands
//! nothing; a bad line in the middle names itself and lands nothing; a body that trickles in is cut
//! off with 408, and one sent chunked in small pieces is parsed across their edges.

mod common;

use std::sync::Arc;
use std::time::Duration;

use awc::http::StatusCode;
use bytes::Bytes;
use common::*;
use ingest_edge::sink::KafkaSink;
use ingest_edge::state::AppState;
use platform::control_follower::ControlHandle;
use platform::kafka::producer_config;
use platform::test_support::TestTopics;
use rdkafka::producer::FutureProducer;
use schemas::beacon::Beacon;
use schemas::control::ControlView;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PARTITIONS: i32 = 3;

struct World {
    acme: Tenant,
    server: Running,
    topics: TestTopics,
}

async fn world(flags: &[&str]) -> World {
    let topics = TestTopics::create(&[("beacons", PARTITIONS)]).await;
    let mut view = ControlView::new();
    let acme = onboard(&mut view, "acme.com", all());
    let producer: FutureProducer = producer_config(&topics.brokers).create().unwrap();
    let sink = Arc::new(KafkaSink::new(
        producer,
        topics.name(0).to_owned(),
        Duration::from_secs(20),
        50_000,
    ));
    let state = AppState::new(config(flags), ControlHandle::fixed(view), sink, None);
    World {
        acme,
        server: start_state(state),
        topics,
    }
}

/// One NDJSON hit whose path names its batch and line, so what lands can be traced back.
fn line(batch: &str, n: usize) -> String {
    format!(
        r#"{{"ts":1795515332000,"method":"GET","host":"acme.com","path":"/{batch}/{n}","status":200,"user_agent":"Mozilla/5.0 (compatible; GPTBot/1.2)","ip":"20.15.240.{}","bytes":512}}"#,
        n % 250
    )
}

fn batch(name: &str, lines: usize) -> String {
    (1..=lines).map(|n| line(name, n) + "\n").collect()
}

fn client() -> awc::Client {
    awc::Client::builder()
        .timeout(Duration::from_secs(60))
        .finish()
}

fn post(world: &World) -> awc::ClientRequest {
    client()
        .post(world.server.url("/v1/hits"))
        .insert_header(("Content-Type", "application/x-ndjson"))
        .insert_header(("Authorization", format!("Bearer {}", world.acme.secret)))
}

async fn answer(
    mut res: awc::ClientResponse<
        impl futures::Stream<Item = Result<Bytes, awc::error::PayloadError>> + Unpin,
    >,
) -> (StatusCode, Value) {
    let body = res.body().await.unwrap();
    (
        res.status(),
        serde_json::from_slice(&body).unwrap_or(Value::Null),
    )
}

async fn send(world: &World, body: String) -> (StatusCode, Value) {
    answer(post(world).send_body(body).await.unwrap()).await
}

/// Everything on the topic: asks for one more than `expected`, so the read ends only once the
/// topic has been quiet, and a stray record would be counted.
async fn landed(world: &World, expected: usize) -> Vec<Beacon> {
    read_all(
        &world.topics.brokers,
        world.topics.name(0),
        PARTITIONS,
        expected + 1,
    )
    .await
}

fn paths(beacons: &[Beacon]) -> Vec<String> {
    let mut paths: Vec<String> = beacons
        .iter()
        .map(|b| b.hit.as_ref().expect("a server hit").path.clone())
        .collect();
    paths.sort();
    paths
}

fn expected_paths(batch: &str, lines: usize) -> Vec<String> {
    let mut paths: Vec<String> = (1..=lines).map(|n| format!("/{batch}/{n}")).collect();
    paths.sort();
    paths
}

#[actix_web::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS; infra/test runs it"]
async fn a_batch_at_the_line_limit_lands_whole_and_one_line_more_lands_nothing() {
    // The shipped default: 10 000 lines, about 2 MB of nginx JSON.
    let limit = ingest_edge::config::default_max_hits_lines();
    let world = world(&[]).await;

    let (status, body) = send(&world, batch("over", limit + 1)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"], "batch_too_large");
    assert_eq!(
        body["message"],
        format!("batch has {} events, more than {limit}", limit + 1)
    );

    let (status, body) = send(&world, batch("full", limit)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["accepted"], limit);

    let beacons = landed(&world, limit).await;
    assert_eq!(
        paths(&beacons),
        expected_paths("full", limit),
        "every line of the accepted batch, once, and nothing of the refused one"
    );
    let first = beacons
        .iter()
        .find(|b| b.hit.as_ref().unwrap().path == "/full/1")
        .unwrap();
    assert_eq!(
        opened_address(&world.server, first).as_deref(),
        Some("20.15.240.1")
    );
    assert_eq!(first.property_id, world.acme.property);
}

#[actix_web::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS; infra/test runs it"]
async fn a_batch_of_exactly_the_byte_limit_lands_and_one_byte_more_lands_nothing() {
    let lines = 3_000;
    let text = batch("bytes", lines);
    // Blank lines are skipped, so padding with newlines makes a body of any size above the text.
    let limit = text.len() + 100;
    let limit_flag = limit.to_string();
    let world = world(&["--max-hits-bytes", &limit_flag]).await;
    let at_limit = format!("{text}{}", "\n".repeat(limit - text.len()));
    assert_eq!(at_limit.len(), limit);

    let over = format!("{at_limit}\n");
    // Renamed with names of the same length, so the sizes stay what they are.
    let (status, body) = send(&world, over.replace("/bytes/", "/overs/")).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"], "body_too_large");

    // Chunked, without a Content-Length, so the limit is enforced on what arrives.
    let pieces: Vec<Bytes> = over
        .replace("/bytes/", "/chunk/")
        .into_bytes()
        .chunks(64 * 1024)
        .map(Bytes::copy_from_slice)
        .collect();
    let stream = futures::stream::iter(pieces.into_iter().map(Ok::<_, std::io::Error>));
    let (status, body) = answer(post(&world).send_stream(stream).await.unwrap()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["error"], "body_too_large");

    let (status, body) = send(&world, at_limit).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["accepted"], lines);
    assert_eq!(
        paths(&landed(&world, lines).await),
        expected_paths("bytes", lines)
    );
}

#[actix_web::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS; infra/test runs it"]
async fn a_bad_line_in_the_middle_is_named_and_lands_nothing_of_its_batch() {
    let world = world(&[]).await;
    let mut lines: Vec<String> = (1..=5_000).map(|n| line("bad", n)).collect();
    lines[2_499] = lines[2_499].replace(r#""path":"/bad/2500""#, r#""path":"bad-2500""#);
    let (status, body) = send(&world, lines.join("\n")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "malformed");
    assert_eq!(body["field"], "line 2500: path");
    assert_eq!(body["message"], "malformed request: path must start with /");

    // Not JSON at all, further on: still the first bad line that is named.
    lines[3_999] = "{not json".to_owned();
    let (status, body) = send(&world, lines.join("\n")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["field"], "line 2500: path");

    // The same batch with the line fixed lands whole.
    let good = batch("good", 5_000);
    let (status, body) = send(&world, good).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        paths(&landed(&world, 5_000).await),
        expected_paths("good", 5_000),
        "nothing of the refused batches"
    );
}

#[actix_web::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS; infra/test runs it"]
async fn a_trickling_body_is_cut_off_and_small_chunks_are_parsed_across_their_edges() {
    let world = world(&["--body-timeout-ms", "1000"]).await;

    // Half a batch, then silence: the collector answers 408 instead of waiting for the rest.
    let text = batch("slow", 100);
    let half = &text[..text.len() / 2];
    let address = world.server.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /v1/hits HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-ndjson\r\n\
         Authorization: Bearer {}\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{half}\r\n",
        world.acme.secret,
        half.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    // Never sends the rest; the answer must come without it (the bound is far above 1 s).
    tokio::time::timeout(Duration::from_secs(20), async {
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&response).contains("body_timeout") {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed without an answer");
            response.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .expect("an answer while the body is still missing");
    let response = String::from_utf8_lossy(&response);
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");

    // 1 000 lines sent as chunks of 7 bytes: lines and two-byte characters span chunk edges.
    let text = batch("pieces", 1_000).replace("GPTBot", "GPTBöt");
    let pieces: Vec<Bytes> = text
        .into_bytes()
        .chunks(7)
        .map(Bytes::copy_from_slice)
        .collect();
    let stream = futures::stream::iter(pieces.into_iter().map(Ok::<_, std::io::Error>));
    let (status, body) = answer(post(&world).send_stream(stream).await.unwrap()).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body["accepted"], 1_000);
    let beacons = landed(&world, 1_000).await;
    assert_eq!(paths(&beacons), expected_paths("pieces", 1_000));
    assert!(beacons.iter().all(|b| b.user_agent.contains("GPTBöt")));
}
