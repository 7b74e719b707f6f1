//! The local gateway answers nothing a web page can send: every request needs the gateway's
//! password, browser requests (Origin) and rebound host names are refused, a GET URL never
//! writes, and table functions reaching files or URLs are refused.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;

use platform::test_support::{free_port, OwnGateway};

struct Answer {
    status: u16,
    body: String,
}

/// One raw HTTP/1.1 request, so the test controls every header (Host, Origin) exactly.
fn send(port: u16, method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the gateway");
    let mut request = format!("{method} {target} HTTP/1.1\r\n");
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("host"))
    {
        request.push_str(&format!("Host: 127.0.0.1:{port}\r\n"));
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Answer { status, body }
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).expect("chunk size");
        if size == 0 {
            break;
        }
        out.push_str(&tail[..size]);
        rest = &tail[size + 2..];
    }
    out
}

/// Standard base64, for HTTP basic auth (the only use here; not worth a dependency).
fn base64(input: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.as_bytes().chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn basic_auth(user: &str, password: &str) -> String {
    format!("Basic {}", base64(&format!("{user}:{password}")))
}

fn basic(gateway: &OwnGateway) -> String {
    basic_auth(&gateway.user, &gateway.password)
}

fn encode(sql: &str) -> String {
    sql.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn start() -> (tempfile::TempDir, OwnGateway) {
    let dir = tempfile::tempdir().unwrap();
    let gateway = OwnGateway::start(&dir.path().join("data"), free_port());
    (dir, gateway)
}

#[test]
#[ignore = "integration test: needs OPTIVIEW_GATEWAY_PYTHON and OPTIVIEW_GATEWAY_SCRIPT; infra/test runs it"]
fn queries_need_the_gateway_password() {
    let (_dir, gateway) = start();
    let query = format!("/?query={}", encode("SELECT 1"));
    let missing = send(gateway.port, "GET", &query, &[], "");
    assert_eq!(missing.status, 401, "{}", missing.body);
    assert!(
        missing.body.contains("REQUIRED_PASSWORD"),
        "{}",
        missing.body
    );

    let wrong_basic = basic_auth("default", "wrong");
    for headers in [
        vec![("Authorization", wrong_basic.as_str())],
        vec![
            ("X-ClickHouse-User", "default"),
            ("X-ClickHouse-Key", "wrong"),
        ],
        vec![
            ("X-ClickHouse-User", "other"),
            ("X-ClickHouse-Key", gateway.password.as_str()),
        ],
    ] {
        let refused = send(gateway.port, "POST", "/", &headers, "SELECT 1");
        assert_eq!(refused.status, 403, "{headers:?}: {}", refused.body);
        assert!(
            refused.body.contains("AUTHENTICATION_FAILED"),
            "{}",
            refused.body
        );
    }
    let wrong_url = format!("/?user=default&password=wrong&query={}", encode("SELECT 1"));
    assert_eq!(send(gateway.port, "GET", &wrong_url, &[], "").status, 403);

    // Liveness stays open.
    let ping = send(gateway.port, "GET", "/ping", &[], "");
    assert_eq!((ping.status, ping.body.as_str()), (200, "Ok.\n"));

    // Basic auth and ClickHouse's headers both pass.
    let auth = basic(&gateway);
    let with_basic = send(
        gateway.port,
        "POST",
        "/",
        &[("Authorization", &auth)],
        "SELECT 41 + 1",
    );
    assert_eq!((with_basic.status, with_basic.body.trim()), (200, "42"));
    let with_headers = send(
        gateway.port,
        "GET",
        &query,
        &[
            ("X-ClickHouse-User", &gateway.user),
            ("X-ClickHouse-Key", &gateway.password),
        ],
        "",
    );
    assert_eq!((with_headers.status, with_headers.body.trim()), (200, "1"));
}

#[test]
#[ignore = "integration test: needs OPTIVIEW_GATEWAY_PYTHON and OPTIVIEW_GATEWAY_SCRIPT; infra/test runs it"]
fn web_pages_and_rebound_hosts_are_refused() {
    let (_dir, gateway) = start();
    let auth = basic(&gateway);
    let port = gateway.port;
    let query = format!("/?query={}", encode("SELECT 1"));
    let origin = send(
        port,
        "GET",
        &query,
        &[("Authorization", &auth), ("Origin", "https://evil.example")],
        "",
    );
    assert_eq!(origin.status, 403, "{}", origin.body);
    assert!(origin.body.contains("ACCESS_DENIED"), "{}", origin.body);
    let fetch = send(
        port,
        "POST",
        "/",
        &[("Authorization", &auth), ("Sec-Fetch-Site", "cross-site")],
        "SELECT 1",
    );
    assert_eq!(fetch.status, 403, "{}", fetch.body);
    for host in [
        "evil.example",
        "evil.example:8123",
        "127.0.0.1.evil.example",
    ] {
        let rebound = send(
            port,
            "GET",
            &query,
            &[("Authorization", &auth), ("Host", host)],
            "",
        );
        assert_eq!(rebound.status, 403, "{host}: {}", rebound.body);
    }
    for host in [
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
        "localhost".to_owned(),
    ] {
        let loopback = send(
            port,
            "GET",
            &query,
            &[("Authorization", &auth), ("Host", &host)],
            "",
        );
        assert_eq!(loopback.status, 200, "{host}: {}", loopback.body);
    }
}

#[test]
#[ignore = "integration test: needs OPTIVIEW_GATEWAY_PYTHON and OPTIVIEW_GATEWAY_SCRIPT; infra/test runs it"]
fn get_is_read_only_whatever_the_url_says() {
    let (_dir, gateway) = start();
    let auth = basic(&gateway);
    let headers = [("Authorization", auth.as_str())];
    let created = send(
        gateway.port,
        "POST",
        "/",
        &headers,
        "CREATE TABLE kept (id UInt64) ENGINE = MergeTree ORDER BY id",
    );
    assert_eq!(created.status, 200, "{}", created.body);
    for readonly in ["0", "2"] {
        let target = format!(
            "/?readonly={readonly}&query={}",
            encode("INSERT INTO kept VALUES (1)")
        );
        let refused = send(gateway.port, "GET", &target, &headers, "");
        assert_eq!(refused.status, 403, "readonly={readonly}: {}", refused.body);
        assert!(refused.body.contains("READONLY"), "{}", refused.body);
    }
    let count = format!("/?query={}", encode("SELECT count() FROM kept"));
    assert_eq!(
        send(gateway.port, "GET", &count, &headers, "").body.trim(),
        "0"
    );
    // POST keeps writing.
    let inserted = send(
        gateway.port,
        "POST",
        "/",
        &headers,
        "INSERT INTO kept VALUES (1)",
    );
    assert_eq!(inserted.status, 200, "{}", inserted.body);
    assert_eq!(
        send(gateway.port, "GET", &count, &headers, "").body.trim(),
        "1"
    );
}

#[test]
#[ignore = "integration test: needs OPTIVIEW_GATEWAY_PYTHON and OPTIVIEW_GATEWAY_SCRIPT; infra/test runs it"]
fn file_and_url_table_functions_are_refused() {
    let (dir, gateway) = start();
    let auth = basic(&gateway);
    let headers = [("Authorization", auth.as_str())];
    let target = dir.path().join("written.tsv");
    let path = target.display().to_string();
    let attempts = [
        format!("INSERT INTO FUNCTION file('{path}', 'TSV', 'a UInt8') VALUES (1)"),
        format!("insert into function FILE /* a /* nested */ comment */ ('{path}', 'TSV', 'a UInt8') values (1)"),
        format!("INSERT INTO FUNCTION `fi\\x6ce`('{path}', 'TSV', 'a UInt8') VALUES (1)"),
        format!("SELECT '--', file/**/('{path}')"),
        format!("SELECT 1 INTO OUTFILE '{path}'"),
        format!("CREATE TABLE f (a UInt8) ENGINE = File(TSV, '{path}')"),
        format!("CREATE DATABASE fs ENGINE = Filesystem('{}')", dir.path().display()),
        "SELECT * FROM url('http://127.0.0.1:9/', 'LineAsString')".to_owned(),
        "SELECT * FROM s3('http://127.0.0.1:9/b/k', 'LineAsString')".to_owned(),
        "SELECT * FROM remote('127.0.0.1:9', system.one)".to_owned(),
        "SELECT * FROM executable('id', 'LineAsString', 'x String')".to_owned(),
        "SELECT file('/etc/hostname')".to_owned(),
        "BACKUP DATABASE default TO Disk('default', 'b.zip')".to_owned(),
    ];
    for sql in &attempts {
        let refused = send(gateway.port, "POST", "/", &headers, sql);
        assert_eq!(refused.status, 403, "{sql}: {}", refused.body);
        assert!(
            refused.body.contains("ACCESS_DENIED"),
            "{sql}: {}",
            refused.body
        );
    }
    let in_get = format!(
        "/?query={}",
        encode(&format!("SELECT * FROM file('{path}')"))
    );
    assert_eq!(send(gateway.port, "GET", &in_get, &headers, "").status, 403);
    assert!(!Path::new(&target).exists(), "a refused query wrote {path}");

    // Ordinary queries, with the same words as columns or in comments, still run.
    for sql in [
        "CREATE TABLE pages (id UInt64, url String, file String) ENGINE = MergeTree ORDER BY id",
        "INSERT INTO pages VALUES (1, 'https://example.com/a?b=1', 'a')",
    ] {
        let ok = send(gateway.port, "POST", "/", &headers, sql);
        assert_eq!(ok.status, 200, "{sql}: {}", ok.body);
    }
    let select = send(
        gateway.port,
        "POST",
        "/",
        &headers,
        "SELECT domain(url), cutURLParameter(url, 'b'), file FROM pages -- url and file are columns\n",
    );
    assert_eq!(select.status, 200, "{}", select.body);
    assert_eq!(select.body.trim(), "example.com\thttps://example.com/a?\ta");
    // Data bound into the SQL text (the crate's `?` binds inline) may read like a call.
    let bound = send(
        gateway.port,
        "POST",
        "/",
        &headers,
        "SELECT count() FROM pages WHERE url != 'see file(1) and url(2)'",
    );
    assert_eq!(
        (bound.status, bound.body.trim()),
        (200, "1"),
        "{}",
        bound.body
    );
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_GATEWAY_PYTHON and OPTIVIEW_GATEWAY_SCRIPT; infra/test runs it"]
async fn the_clickhouse_crate_sends_the_credentials() {
    let (_dir, gateway) = start();
    assert_eq!(
        gateway
            .client()
            .query("SELECT 1")
            .fetch_one::<u8>()
            .await
            .unwrap(),
        1
    );
    let without = clickhouse::Client::default().with_url(gateway.url());
    let err = without
        .query("SELECT 1")
        .fetch_one::<u8>()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("REQUIRED_PASSWORD"), "{err}");
}

/// `SELECT getSetting('max_threads'), currentDatabase()` as `method` with `query` in the URL.
fn settings_seen(gateway: &OwnGateway, method: &str, url_settings: &str) -> Answer {
    let auth = basic(gateway);
    let sql = encode("SELECT getSetting('max_threads'), currentDatabase(), getSetting('readonly')");
    let target = format!("/?{url_settings}query={sql}");
    send(
        gateway.port,
        method,
        &target,
        &[("Authorization", auth.as_str())],
        "",
    )
}

#[test]
#[ignore = "integration test: needs OPTIVIEW_GATEWAY_PYTHON and OPTIVIEW_GATEWAY_SCRIPT; infra/test runs it"]
fn pooled_connections_carry_no_settings_or_database_from_one_request_to_the_next() {
    let (_dir, gateway) = start();
    let auth = basic(&gateway);
    let created = send(
        gateway.port,
        "POST",
        "/",
        &[("Authorization", auth.as_str())],
        "CREATE DATABASE other",
    );
    assert_eq!(created.status, 200, "{}", created.body);
    let defaults = settings_seen(&gateway, "POST", "");
    let (default_threads, _) = defaults.body.split_once('\t').unwrap();
    assert_ne!(default_threads, "3", "the test needs a non-default value");
    assert_eq!(defaults.body, format!("{default_threads}\tdefault\t0\n"));
    // Requests run one after another, so each one takes the connection the last one gave back.
    for method in ["POST", "GET"] {
        let own = settings_seen(&gateway, method, "max_threads=3&database=other&");
        let readonly = if method == "GET" { 1 } else { 0 };
        assert_eq!(own.body, format!("3\tother\t{readonly}\n"), "{method}");
        let next = settings_seen(&gateway, method, "");
        assert_eq!(
            next.body,
            format!("{default_threads}\tdefault\t{readonly}\n"),
            "{method} after one with its own settings"
        );
    }
    // A POST that makes itself read-only leaves no read-only connection behind.
    assert_eq!(settings_seen(&gateway, "POST", "readonly=1&").status, 200);
    let write = send(
        gateway.port,
        "POST",
        "/",
        &[("Authorization", auth.as_str())],
        "CREATE TABLE other.t (id UInt8) ENGINE = Memory",
    );
    assert_eq!(write.status, 200, "{}", write.body);
    // A GET with settings of its own still cannot write.
    let target = format!(
        "/?max_threads=3&query={}",
        encode("INSERT INTO other.t VALUES (1)")
    );
    let refused = send(
        gateway.port,
        "GET",
        &target,
        &[("Authorization", auth.as_str())],
        "",
    );
    assert_eq!(refused.status, 403, "{}", refused.body);
}
