//! Sign-in links by SMTP: a real local SMTP listener (speaking the protocol's plain-text subset)
//! receives the message the API sends, and the link in it signs the user in.

mod common;

use common::{client, send, start_mailing};
use platform::control_follower::ControlHandle;
use query_api::control_writer::ControlWriter;
use query_api::http::auth::mail::Mailer;
use schemas::control::{ControlView, CreateUser};
use schemas::fixtures::submit;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// Accepts SMTP sessions and hands each message's envelope recipient and data to `messages`.
async fn smtp_receiver(
    listener: tokio::net::TcpListener,
    messages: mpsc::Sender<(String, String)>,
) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            return;
        };
        let messages = messages.clone();
        tokio::spawn(async move {
            let (read, mut write) = stream.into_split();
            let mut lines = BufReader::new(read).lines();
            write.write_all(b"220 test ESMTP\r\n").await.unwrap();
            let (mut rcpt, mut data, mut in_data) = (String::new(), String::new(), false);
            while let Ok(Some(line)) = lines.next_line().await {
                if in_data {
                    if line == "." {
                        in_data = false;
                        messages.send((rcpt.clone(), data.clone())).await.unwrap();
                        write.write_all(b"250 queued\r\n").await.unwrap();
                    } else {
                        data.push_str(&line);
                        data.push('\n');
                    }
                    continue;
                }
                let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
                let reply: &[u8] = match verb.as_str() {
                    "EHLO" | "HELO" => b"250-test\r\n250 8BITMIME\r\n",
                    "RCPT" => {
                        rcpt = line.clone();
                        b"250 ok\r\n"
                    }
                    "DATA" => {
                        in_data = true;
                        b"354 go on\r\n"
                    }
                    "QUIT" => {
                        write.write_all(b"221 bye\r\n").await.unwrap();
                        return;
                    }
                    _ => b"250 ok\r\n",
                };
                write.write_all(reply).await.unwrap();
            }
        });
    }
}

#[actix_rt::test]
async fn a_sign_in_link_is_delivered_by_smtp_and_works() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, mut rx) = mpsc::channel(4);
    actix_rt::spawn(smtp_receiver(listener, tx));

    let mut view = ControlView::new();
    submit(
        &mut view,
        CreateUser {
            id: "usr_AdaLovelac".into(),
            email: "ada@acme.com".into(),
            name: "Ada".into(),
        },
    )
    .unwrap();
    let producer = platform::kafka::producer_config("127.0.0.1:9")
        .create()
        .unwrap();
    let writer = ControlWriter::new(producer, "unused", ControlHandle::fixed(view));
    let mailer = Mailer::smtp(
        &format!("smtp://127.0.0.1:{port}"),
        "Optiview <no-reply@optiview.test>",
    )
    .unwrap();
    let api = start_mailing(
        std::sync::Arc::new(writer),
        1_000,
        clickhouse::Client::default(),
        Some(mailer),
    );
    for email in ["nobody@acme.com", "ada@acme.com"] {
        let asked = send(
            client().post(format!("{}/api/v1/auth/magic-link", api.base)),
            Some(serde_json::json!({ "email": email })),
        )
        .await;
        assert_eq!(asked.status, 202);
    }
    let (rcpt, data) = tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv())
        .await
        .expect("a message within 10 s")
        .unwrap();
    assert!(rcpt.contains("ada@acme.com"), "{rcpt}");
    assert!(
        data.contains("Subject: Your Optiview sign-in link"),
        "{data}"
    );
    // Long lines travel quoted-printable (RFC 2045): undo soft breaks and `=3D` as a reader does.
    let data = data.replace("=\n", "").replace("=3D", "=");
    let link = data
        .split_whitespace()
        .find(|w| w.starts_with("http://api.test/api/v1/auth/callback?token="))
        .expect("the link in the body");
    let followed = send(
        client().get(link.replacen("http://api.test", &api.base, 1)),
        None,
    )
    .await;
    assert_eq!(followed.status, 303, "the mailed link signs in");
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(500), rx.recv())
            .await
            .is_err(),
        "no message for an address without an account"
    );
    api.handle.stop(true).await;
}
