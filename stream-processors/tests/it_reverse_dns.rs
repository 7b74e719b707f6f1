//! Forward-confirmed reverse DNS through the real loader into ClickHouse, against a DNS server of
//! the test's own on a local UDP port: real crawlers verified, forged and foreign names spoofed,
//! a server that fails decides nothing; and a server that answers only after 2 s holds back the
//! waiting hits, never the batches around them.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clickhouse::Row;
use common::{beacon, count, loader, produce};
use platform::control_follower::ControlHandle;
use platform::test_support::{random_name, TestDatabase, TestTopics};
use schemas::beacon::{Beacon, ServerHit};
use schemas::control::{ControlView, Permission, Plan};
use schemas::fixtures::{onboard, Tenant};
use schemas::vocab::{EventSource, Vocabulary};
use serde::Deserialize;
use stream_processors::enrich::enricher::Enricher;
use stream_processors::load::process::Processor;
use stream_processors::load::sink::ClickHouseSink;
use stream_processors::rdns::hickory::HickoryResolver;
use stream_processors::rdns::{LookupSettings, Masks, ReverseDns};
use stream_processors::replay::{reprocess, Replay, StartAt};
use stream_processors::sessionize::SessionConfig;
use tokio::sync::watch;

use dns_server::{DnsServer, Zone};

const GOOGLEBOT: &str = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const BAIDUSPIDER: &str =
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)";

/// A minimal authoritative server: PTR, A and AAAA from a fixed zone, NXDOMAIN for the rest,
/// SERVFAIL for the names it is told to fail, each answer sent `delay` after its query.
mod dns_server {
    use std::collections::HashMap;
    use std::net::{IpAddr, SocketAddr};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use hickory_proto::op::{Message, MessageType, ResponseCode};
    use hickory_proto::rr::rdata::{A, AAAA, PTR};
    use hickory_proto::rr::{Name, RData, Record, RecordType};
    use tokio::net::UdpSocket;

    #[derive(Default, Clone)]
    pub struct Zone {
        ptr: HashMap<Name, Vec<Name>>,
        addresses: HashMap<Name, Vec<IpAddr>>,
        failing: Vec<Name>,
    }

    fn name(text: &str) -> Name {
        Name::from_ascii(format!("{text}.")).unwrap().to_lowercase()
    }

    impl Zone {
        pub fn ptr(mut self, ip: &str, host: &str) -> Self {
            let ip: IpAddr = ip.parse().unwrap();
            self.ptr
                .entry(Name::from(ip).to_lowercase())
                .or_default()
                .push(name(host));
            self
        }

        pub fn address(mut self, host: &str, ip: &str) -> Self {
            self.addresses
                .entry(name(host))
                .or_default()
                .push(ip.parse().unwrap());
            self
        }

        /// Queries for the PTR name of `ip` get SERVFAIL.
        pub fn failing(mut self, ip: &str) -> Self {
            let ip: IpAddr = ip.parse().unwrap();
            self.failing.push(Name::from(ip).to_lowercase());
            self
        }

        fn answer(&self, query: &Message) -> Message {
            let mut response = Message::new();
            response
                .set_id(query.id())
                .set_message_type(MessageType::Response)
                .set_op_code(query.op_code())
                .set_recursion_desired(query.recursion_desired())
                .set_recursion_available(true)
                .set_authoritative(true);
            let Some(question) = query.queries().first() else {
                response.set_response_code(ResponseCode::FormErr);
                return response;
            };
            response.add_query(question.clone());
            let asked = question.name().to_lowercase();
            if self.failing.contains(&asked) {
                response.set_response_code(ResponseCode::ServFail);
                return response;
            }
            let records: Vec<Record> = match question.query_type() {
                RecordType::PTR => self
                    .ptr
                    .get(&asked)
                    .into_iter()
                    .flatten()
                    .map(|host| {
                        Record::from_rdata(asked.clone(), 60, RData::PTR(PTR(host.clone())))
                    })
                    .collect(),
                kind @ (RecordType::A | RecordType::AAAA) => self
                    .addresses
                    .get(&asked)
                    .into_iter()
                    .flatten()
                    .filter_map(|ip| match (ip, kind) {
                        (IpAddr::V4(v4), RecordType::A) => Some(RData::A(A(*v4))),
                        (IpAddr::V6(v6), RecordType::AAAA) => Some(RData::AAAA(AAAA(*v6))),
                        _ => None,
                    })
                    .map(|data| Record::from_rdata(asked.clone(), 60, data))
                    .collect(),
                _ => Vec::new(),
            };
            let known = self.ptr.contains_key(&asked) || self.addresses.contains_key(&asked);
            if records.is_empty() && !known {
                response.set_response_code(ResponseCode::NXDomain);
            }
            response.add_answers(records);
            response
        }
    }

    pub struct DnsServer {
        pub address: SocketAddr,
        answered: Arc<Mutex<Vec<Instant>>>,
        task: tokio::task::JoinHandle<()>,
    }

    impl DnsServer {
        pub async fn start(zone: Zone, delay: Duration) -> Self {
            let socket = Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
            let address = socket.local_addr().unwrap();
            let answered = Arc::new(Mutex::new(Vec::new()));
            let zone = Arc::new(zone);
            let log = answered.clone();
            let task = tokio::spawn(async move {
                let mut buffer = vec![0u8; 4096];
                loop {
                    let Ok((n, from)) = socket.recv_from(&mut buffer).await else {
                        return;
                    };
                    let Ok(query) = Message::from_vec(&buffer[..n]) else {
                        continue;
                    };
                    let (socket, zone, log) = (socket.clone(), zone.clone(), log.clone());
                    // Each answer on its own task: a slow server is slow per query, not serial.
                    tokio::spawn(async move {
                        tokio::time::sleep(delay).await;
                        let bytes = zone.answer(&query).to_vec().unwrap();
                        log.lock().unwrap().push(Instant::now());
                        let _ = socket.send_to(&bytes, from).await;
                    });
                }
            });
            Self {
                address,
                answered,
                task,
            }
        }

        /// When the first answer left, if one did.
        pub fn first_answer(&self) -> Option<Instant> {
            self.answered.lock().unwrap().first().copied()
        }

        pub fn answers(&self) -> usize {
            self.answered.lock().unwrap().len()
        }
    }

    impl Drop for DnsServer {
        fn drop(&mut self) {
            self.task.abort();
        }
    }
}

fn reverse_dns(server: SocketAddr, timeout: Duration) -> ReverseDns {
    let settings = LookupSettings {
        timeout,
        ..LookupSettings::default()
    };
    let resolver = HickoryResolver::new(Some(server), timeout).unwrap();
    ReverseDns::new(Arc::new(resolver), Masks::shipped(), settings)
}

/// A robot's server hit from `ip`, received now.
fn hit(tenant: &Tenant, id: &str, user_agent: &str, ip: &str) -> Beacon {
    let mut b = beacon(tenant, 0);
    b.event_id = id.to_owned();
    b.visitor_id = String::new();
    b.user_agent = user_agent.to_owned();
    b.tag = None;
    b.hit = Some(ServerHit {
        ts: b.received_at,
        method: "GET".into(),
        host: "acme.com".into(),
        path: format!("/docs/{id}"),
        query: None,
        status: 200,
        ip: Some(ip.to_owned()),
        referrer: None,
        bytes: Some(100),
        response_ms: Some(5),
        signature: None,
        signature_input: None,
        signature_agent: None,
        sealed_ip: None,
    });
    b
}

#[derive(Debug, Row, Deserialize)]
struct Verdict {
    event_id: String,
    agent_name: String,
    verification: String,
    verification_method: String,
}

/// The verdicts on server hits stored in `table` (`crawler_hits` or `events`).
async fn verdicts(client: &clickhouse::Client, table: &str) -> Vec<Verdict> {
    client
        .query(
            "SELECT event_id, agent_name, verification, verification_method FROM ? FINAL \
             WHERE event_id IN (SELECT event_id FROM events FINAL WHERE source = ?) \
             ORDER BY event_id",
        )
        .bind(clickhouse::sql::Identifier(table))
        .bind(EventSource::Server.as_str())
        .fetch_all()
        .await
        .unwrap()
}

/// Tag events stored (humans' pageviews here).
async fn tag_events(client: &clickhouse::Client) -> u64 {
    client
        .query("SELECT count() FROM events FINAL WHERE source = ?")
        .bind(EventSource::Tag.as_str())
        .fetch_one()
        .await
        .unwrap()
}

/// Polls until `table` holds `want` rows (after merging) or `within` passed; the count reached.
async fn wait_rows(client: &clickhouse::Client, table: &str, want: u64, within: Duration) -> u64 {
    let until = Instant::now() + within;
    loop {
        let got = count(client, table, true).await;
        if got >= want || Instant::now() > until {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn tenant_and_view() -> (Tenant, ControlView) {
    let mut view = ControlView::new();
    let tenant = onboard(
        &mut view,
        "acme.com",
        Plan::Growth,
        vec![Permission::Collect],
    );
    (tenant, view)
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn crawler_claims_are_verified_or_spoofed_by_their_operators_dns() {
    let zone = Zone::default()
        // Googlebot outside the shipped ranges (a new crawler address): DNS vouches.
        .ptr("192.0.2.10", "crawl-192-0-2-10.googlebot.com")
        .address("crawl-192-0-2-10.googlebot.com", "192.0.2.10")
        // A spoofer's own name, which resolves back, but is no Google name.
        .ptr("203.0.113.7", "evil.example.com")
        .address("evil.example.com", "203.0.113.7")
        // A PTR the spoofer controls claiming Google's name; Google's zone points elsewhere.
        .ptr("203.0.113.8", "crawl-66-249-66-2.googlebot.com")
        .address("crawl-66-249-66-2.googlebot.com", "66.249.66.2")
        // Baidu publishes no ranges: DNS alone decides.
        .ptr("198.51.100.20", "baiduspider-198-51-100-20.crawl.baidu.com")
        .address("baiduspider-198-51-100-20.crawl.baidu.com", "198.51.100.20")
        .ptr("203.0.113.17", "evil.example.com")
        .ptr("203.0.113.18", "baiduspider-220-181-108-1.crawl.baidu.com")
        .address("baiduspider-220-181-108-1.crawl.baidu.com", "220.181.108.1")
        .failing("203.0.113.66");
    let server = DnsServer::start(zone, Duration::ZERO).await;

    let topics = TestTopics::create(&[("beacons", 2), ("deadletter", 1), ("sessions", 2)]).await;
    let db = TestDatabase::migrated().await;
    let (tenant, view) = tenant_and_view();
    let hits = [
        ("g-dns-real", GOOGLEBOT, "192.0.2.10"),
        ("g-ranges-real", GOOGLEBOT, "66.249.66.1"),
        ("g-foreign-name", GOOGLEBOT, "203.0.113.7"),
        ("g-forged-name", GOOGLEBOT, "203.0.113.8"),
        ("b-dns-real", BAIDUSPIDER, "198.51.100.20"),
        ("b-foreign-name", BAIDUSPIDER, "203.0.113.17"),
        ("b-forged-name", BAIDUSPIDER, "203.0.113.18"),
        ("b-dns-fails", BAIDUSPIDER, "203.0.113.66"),
    ];
    let beacons: Vec<Beacon> = hits
        .iter()
        .map(|(id, ua, ip)| hit(&tenant, id, ua, ip))
        .collect();
    produce(&topics, &beacons).await;

    let group = random_name("loader");
    let mut first = loader(&topics, db.client(), &view, &group);
    first.enricher = first
        .enricher
        .with_reverse_dns(reverse_dns(server.address, Duration::from_secs(5)));
    let (stop, stopped) = watch::channel(false);
    let running = tokio::spawn(first.run(stopped));
    let n = hits.len() as u64;
    assert_eq!(
        wait_rows(&db.client(), "crawler_hits", n, Duration::from_secs(60)).await,
        n
    );
    stop.send(true).unwrap();
    running.await.unwrap().unwrap();

    let want = [
        ("b-dns-fails", "Baiduspider", "unverifiable", ""),
        ("b-dns-real", "Baiduspider", "verified", "reverse_dns"),
        ("b-foreign-name", "Baiduspider", "spoofed", "reverse_dns"),
        ("b-forged-name", "Baiduspider", "spoofed", "reverse_dns"),
        ("g-dns-real", "Googlebot", "verified", "reverse_dns"),
        ("g-foreign-name", "Googlebot", "spoofed", "ip_ranges"),
        ("g-forged-name", "Googlebot", "spoofed", "ip_ranges"),
        ("g-ranges-real", "Googlebot", "verified", "ip_ranges"),
    ];
    for table in ["crawler_hits", "events"] {
        let got = verdicts(&db.client(), table).await;
        let got: Vec<_> = got
            .iter()
            .map(|v| {
                (
                    v.event_id.as_str(),
                    v.agent_name.as_str(),
                    v.verification.as_str(),
                    v.verification_method.as_str(),
                )
            })
            .collect();
        assert_eq!(got, want, "{table}");
    }
    assert!(server.answers() > 0);

    // The same group again: every offset was committed once its rows landed, held ones too.
    let (stop, stopped) = watch::channel(false);
    let mut second = loader(&topics, db.client(), &view, &group);
    second.enricher = second
        .enricher
        .with_reverse_dns(reverse_dns(server.address, Duration::from_secs(5)));
    let again = tokio::spawn(second.run(stopped));
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.send(true).unwrap();
    again.await.unwrap().unwrap();
    for table in ["crawler_hits", "events"] {
        assert_eq!(count(&db.client(), table, false).await, n, "{table} once");
    }

    // A replay looks nothing up: what reverse DNS decided the first time stands.
    let started = chrono::Utc::now().timestamp_millis();
    let report = reprocess(Replay {
        brokers: &topics.brokers,
        topic: topics.name(0),
        start: StartAt::Beginning,
        control: ControlHandle::fixed(view.clone()),
        processor: Processor::new(
            Enricher::from_catalog()
                .unwrap()
                .with_recorded_dns_verdicts(),
            topics.name(0),
        ),
        sink: ClickHouseSink::new(db.client(), format!("replay-{started}/beacons")),
        batch_rows: 5,
        sessions: SessionConfig::default(),
        progress: false,
    })
    .await
    .unwrap();
    assert_eq!(report.events, n);
    // All but the one the published ranges verify again.
    assert_eq!(
        (report.addresses_expired, report.verifications_kept),
        (n - 1, n - 1)
    );
    let replayed: u64 = db
        .client()
        .query("SELECT count() FROM crawler_hits FINAL WHERE processed_at >= fromUnixTimestamp64Milli(?)")
        .bind(started)
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(replayed, n, "the replay did write");
    for table in ["crawler_hits", "events"] {
        let got = verdicts(&db.client(), table).await;
        let got: Vec<_> = got
            .iter()
            .map(|v| {
                (
                    v.event_id.as_str(),
                    v.agent_name.as_str(),
                    v.verification.as_str(),
                    v.verification_method.as_str(),
                )
            })
            .collect();
        assert_eq!(got, want, "{table} after the replay");
    }
}

/// One run of the throughput test: when the human rows had all landed, when the DNS server first
/// answered, and when the held crawler hits had landed.
struct Run {
    humans_landed: Instant,
    hits_at_humans_landed: u64,
    first_answer: Option<Instant>,
    hits_landed: Instant,
    started: Instant,
}

async fn run_with_dns(delay: Duration) -> Run {
    const HUMANS: usize = 120;
    const CRAWLERS: usize = 12;
    let mut zone = Zone::default();
    let mut beacons = Vec::new();
    let (tenant, view) = tenant_and_view();
    // One partition, so the order holds: humans, then the hits each followed by two humans. The
    // batches that hold hits back also carry human rows, so a loader that waited for DNS in its
    // batch would hold those too.
    const ALONE: usize = HUMANS - 2 * CRAWLERS;
    for i in 0..ALONE {
        beacons.push(beacon(&tenant, i));
    }
    for n in 1..=CRAWLERS {
        let ip = format!("192.0.2.{n}");
        let host = format!("crawl-192-0-2-{n}.googlebot.com");
        zone = zone.ptr(&ip, &host).address(&host, &ip);
        beacons.push(hit(&tenant, &format!("hit-{n:02}"), GOOGLEBOT, &ip));
        let i = ALONE + 2 * (n - 1);
        beacons.push(beacon(&tenant, i));
        beacons.push(beacon(&tenant, i + 1));
    }
    let server = DnsServer::start(zone, delay).await;
    let topics = TestTopics::create(&[("beacons", 1), ("deadletter", 1), ("sessions", 1)]).await;
    let db = TestDatabase::migrated().await;
    produce(&topics, &beacons).await;

    let mut processor = loader(&topics, db.client(), &view, &random_name("loader"));
    processor.enricher = processor
        .enricher
        .with_reverse_dns(reverse_dns(server.address, Duration::from_secs(10)));
    let (stop, stopped) = watch::channel(false);
    let started = Instant::now();
    let running = tokio::spawn(processor.run(stopped));
    let client = db.client();
    let humans = HUMANS as u64;
    let until = Instant::now() + Duration::from_secs(60);
    while tag_events(&client).await < humans && Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let humans_landed = Instant::now();
    assert_eq!(tag_events(&client).await, humans);
    let hits_at_humans_landed = count(&client, "crawler_hits", false).await;
    let crawlers = CRAWLERS as u64;
    assert_eq!(
        wait_rows(&client, "crawler_hits", crawlers, Duration::from_secs(60)).await,
        crawlers
    );
    let hits_landed = Instant::now();
    stop.send(true).unwrap();
    running.await.unwrap().unwrap();
    let verified: u64 = client
        .query(
            "SELECT count() FROM crawler_hits FINAL \
             WHERE verification = 'verified' AND verification_method = 'reverse_dns'",
        )
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(verified, crawlers, "every held hit carries DNS's verdict");
    Run {
        humans_landed,
        hits_at_humans_landed,
        first_answer: server.first_answer(),
        hits_landed,
        started,
    }
}

#[tokio::test]
#[ignore = "integration test: needs OPTIVIEW_KAFKA_BROKERS and OPTIVIEW_CLICKHOUSE_URL; infra/test runs it"]
async fn a_slow_dns_server_holds_back_only_the_hits_that_wait_for_it() {
    let fast = run_with_dns(Duration::ZERO).await;
    let slow = run_with_dns(Duration::from_secs(2)).await;
    // Against the slow server's own clock: every human row was in ClickHouse before it sent its
    // first answer, and no hit was (they wait for it) …
    let first = slow.first_answer.expect("the slow server answered");
    assert!(
        slow.humans_landed < first,
        "the batches waited for DNS: humans landed {:?} after the start, first answer {:?}",
        slow.humans_landed - slow.started,
        first - slow.started
    );
    assert_eq!(slow.hits_at_humans_landed, 0);
    // … and the hits came after it, verified.
    assert!(slow.hits_landed > first);
    println!(
        "human rows landed after {:?} (DNS at once) and {:?} (DNS after 2 s, {:?} before its \
         first answer); the held hits after {:?} and {:?}",
        fast.humans_landed - fast.started,
        slow.humans_landed - slow.started,
        first - slow.humans_landed,
        fast.hits_landed - fast.started,
        slow.hits_landed - slow.started,
    );
}
