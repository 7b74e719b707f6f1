//! Request bodies over HTTP (real server, port 0, no broker): only identity bodies are taken,
//! a compression bomb is refused unread, and JSON bodies are bounded with or without a
//! `Content-Length`.

mod common;

use actix_web::web::Bytes;
use common::{client, links, send, start_with_view};
use platform::test_support::memory::{peak_rss_kib, reset_peak_rss};

/// A zstd frame of 1 GiB of zeros in 32 KB: 8192 RLE blocks of 128 KiB (RFC 8878 §3.1.1), the
/// same ratio as the issue's `head -c 1G /dev/zero | zstd -19`.
fn zstd_bomb() -> Vec<u8> {
    const BLOCKS: usize = 8192;
    let mut frame = 0xFD2F_B528u32.to_le_bytes().to_vec();
    // No content size, no checksum; window 128 KiB.
    frame.extend_from_slice(&[0x00, 0x38]);
    for i in 0..BLOCKS {
        let last = u32::from(i == BLOCKS - 1);
        let header = (128 * 1024) << 3 | 1 << 1 | last;
        frame.extend_from_slice(&header.to_le_bytes()[..3]);
        frame.push(0);
    }
    frame
}

struct Reply {
    status: u16,
    json: serde_json::Value,
}

async fn reply(
    mut response: awc::ClientResponse<
        impl futures::Stream<Item = Result<Bytes, awc::error::PayloadError>> + Unpin,
    >,
) -> Reply {
    let bytes = response.body().await.unwrap();
    Reply {
        status: response.status().as_u16(),
        json: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    }
}

fn post(url: &str, encoding: Option<&str>) -> awc::ClientRequest {
    let request = client()
        .post(url)
        .insert_header(("Content-Type", "application/json"));
    match encoding {
        Some(coding) => request.insert_header(("Content-Encoding", coding)),
        None => request,
    }
}

#[actix_rt::test]
async fn encoded_bodies_are_refused_unread_and_json_bodies_are_bounded() {
    let api = start_with_view(common::view_with_users(&["ada@acme.com"]));
    let url = format!("{}/api/v1/auth/magic-link", api.base);
    let sign_in = serde_json::to_vec(&serde_json::json!({ "email": "ada@acme.com" })).unwrap();

    let bomb = zstd_bomb();
    let before = reset_peak_rss();
    let refused = reply(post(&url, Some("zstd")).send_body(bomb).await.unwrap()).await;
    let growth = peak_rss_kib().saturating_sub(before);
    eprintln!("zstd bomb (1 GiB of zeros in 32 KB): peak RSS {before} KiB + {growth} KiB");
    assert_eq!(
        (refused.status, refused.json["error"].as_str()),
        (415, Some("unsupported_encoding")),
        "{}",
        refused.json
    );
    assert!(growth < 64 * 1024, "peak RSS grew {growth} KiB");
    for coding in ["gzip", "br", "deflate", "identity, gzip", "x-unknown"] {
        let refused = reply(
            post(&url, Some(coding))
                .send_body(sign_in.clone())
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (refused.status, refused.json["error"].as_str()),
            (415, Some("unsupported_encoding")),
            "{coding}: {}",
            refused.json
        );
        assert!(refused.json["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    assert!(links(&api.outbox).is_empty(), "no refused body sent a link");

    // Over the JSON limit, with a Content-Length and chunked without one.
    let padding = " ".repeat(100 * 1024);
    let big = format!(r#"{{"email":"ada@acme.com"{padding}}}"#).into_bytes();
    let sized = reply(post(&url, None).send_body(big.clone()).await.unwrap()).await;
    let chunks = big
        .chunks(8 * 1024)
        .map(|c| Ok::<_, std::io::Error>(Bytes::copy_from_slice(c)))
        .collect::<Vec<_>>();
    let chunked = reply(
        post(&url, None)
            .send_stream(futures::stream::iter(chunks))
            .await
            .unwrap(),
    )
    .await;
    for over in [sized, chunked] {
        assert_eq!(
            (over.status, over.json["error"].as_str()),
            (413, Some("body_too_large")),
            "{}",
            over.json
        );
    }
    assert!(links(&api.outbox).is_empty());

    // Identity, named or not, is taken as before.
    for coding in [None, Some("identity")] {
        let taken = send(
            post(&url, coding),
            Some(serde_json::json!({ "email": "ada@acme.com" })),
        )
        .await;
        assert_eq!(taken.status, 202, "{coding:?}: {}", taken.json);
    }
    assert_eq!(links(&api.outbox).len(), 2);
    api.handle.stop(true).await;
}
