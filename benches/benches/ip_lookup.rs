//! The edge's per-beacon network lookup (AS number and organisation, country) against two
//! baselines measured in the same run: parsing the client address, which every request already
//! does, and a `HashMap` lookup. On the installed databases when `OPTIVIEW_ASN_DATABASE` and
//! `OPTIVIEW_COUNTRY_DATABASE` name them (as `infra/stack env`-style comma lists), else on
//! synthetic tables of the same order of size.
//! `cargo bench -p benches --bench ip_lookup`

use std::collections::HashMap;
use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use criterion::{criterion_group, Criterion};
use platform::ip_database::{
    AsnDatabase, CountryDatabase, NetworkDatabases, SharedNetworkDatabases,
};

/// A small deterministic generator: the same addresses every run.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn files(var: &str) -> Option<Vec<PathBuf>> {
    let text = std::env::var(var).ok().filter(|t| !t.is_empty())?;
    Some(text.split(',').map(PathBuf::from).collect())
}

/// 400 000 IPv4 /24-ish ranges and 100 000 IPv6 /32-ish ones, 50 000 organisations: the order
/// of the real ASN database (412 000 and 103 000 rows).
fn synthetic() -> NetworkDatabases {
    let mut asn = String::new();
    let mut country = String::new();
    let mut rng = XorShift(7);
    let mut v4 = 16_777_216u32;
    for i in 0..400_000u32 {
        let len = 256 << (rng.next() % 4);
        let (first, last) = (Ipv4Addr::from(v4), Ipv4Addr::from(v4 + len - 1));
        asn.push_str(&format!(
            "{first},{last},{},\"Org {}, Inc.\"\n",
            1000 + i % 50_000,
            i % 50_000
        ));
        country.push_str(&format!(
            "{first},{last},{}\n",
            ["US", "DE", "FR", "JP"][i as usize % 4]
        ));
        v4 += len + 256 * (rng.next() % 2) as u32;
    }
    let mut v6 = 0x2001_0000_0000_0000_0000_0000_0000_0000u128;
    for i in 0..100_000u32 {
        let (first, last) = (Ipv6Addr::from(v6), Ipv6Addr::from(v6 + (1u128 << 96) - 1));
        asn.push_str(&format!(
            "{first},{last},{},Org6 {}\n",
            1000 + i % 50_000,
            i
        ));
        country.push_str(&format!("{first},{last},NL\n"));
        v6 += 1u128 << 97;
    }
    NetworkDatabases {
        asn: Some(Arc::new(
            AsnDatabase::from_reader("asn", asn.as_bytes()).unwrap(),
        )),
        country: Some(Arc::new(
            CountryDatabase::from_reader("country", country.as_bytes()).unwrap(),
        )),
    }
}

fn databases() -> (NetworkDatabases, &'static str) {
    match (
        files("OPTIVIEW_ASN_DATABASE"),
        files("OPTIVIEW_COUNTRY_DATABASE"),
    ) {
        (Some(asn), Some(country)) => {
            let start = Instant::now();
            let asn = AsnDatabase::from_files(&asn).unwrap();
            let loaded_asn = start.elapsed();
            let start = Instant::now();
            let country = CountryDatabase::from_files(&country).unwrap();
            println!(
                "installed databases: ASN {} ranges, {} systems, ~{} MiB in memory, loaded in {:.2} s; \
                 country {} ranges, ~{} MiB, loaded in {:.2} s",
                asn.ranges(),
                asn.systems(),
                asn.heap_bytes() >> 20,
                loaded_asn.as_secs_f64(),
                country.ranges(),
                country.heap_bytes() >> 20,
                start.elapsed().as_secs_f64()
            );
            let databases = NetworkDatabases {
                asn: Some(Arc::new(asn)),
                country: Some(Arc::new(country)),
            };
            (databases, "installed")
        }
        _ => (synthetic(), "synthetic"),
    }
}

/// Client addresses: mostly IPv4 across the whole space, one in five IPv6 in 2000::/3.
fn addresses(n: usize) -> Vec<IpAddr> {
    let mut rng = XorShift(42);
    (0..n)
        .map(|i| {
            if i % 5 == 4 {
                let high = 0x2000_0000_0000_0000u64 | (rng.next() >> 3);
                IpAddr::V6(Ipv6Addr::from(
                    (u128::from(high) << 64) | u128::from(rng.next()),
                ))
            } else {
                IpAddr::V4(Ipv4Addr::from(rng.next() as u32))
            }
        })
        .collect()
}

fn setup() -> (
    SharedNetworkDatabases,
    Vec<IpAddr>,
    Vec<String>,
    HashMap<IpAddr, u32>,
) {
    let (databases, source) = databases();
    println!("lookup benchmark on the {source} databases");
    let ips = addresses(10_000);
    let texts = ips.iter().map(ToString::to_string).collect();
    let map = ips
        .iter()
        .enumerate()
        .map(|(i, ip)| (*ip, i as u32))
        .collect();
    (SharedNetworkDatabases::new(databases), ips, texts, map)
}

fn lookup(c: &mut Criterion) {
    let (shared, ips, texts, map) = setup();
    let mut group = c.benchmark_group("network_lookup");
    group.bench_function("parse client address (baseline)", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % texts.len();
            black_box(texts[i].parse::<IpAddr>().unwrap())
        })
    });
    group.bench_function("hashmap get (baseline)", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % ips.len();
            black_box(map.get(&ips[i]))
        })
    });
    group.bench_function("asn + country lookup", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % ips.len();
            black_box(shared.lookup(ips[i]))
        })
    });
    group.finish();
}

/// Per-lookup figures and ratios against both baselines from one timed pass.
fn ratios() {
    let (shared, ips, texts, map) = setup();
    const ROUNDS: usize = 50;
    let time = |f: &dyn Fn(usize)| {
        let start = Instant::now();
        for _ in 0..ROUNDS {
            for i in 0..ips.len() {
                f(i);
            }
        }
        start.elapsed().as_secs_f64() * 1e9 / (ROUNDS * ips.len()) as f64
    };
    let parse = time(&|i| {
        black_box(texts[i].parse::<IpAddr>().unwrap());
    });
    let hashmap = time(&|i| {
        black_box(map.get(&ips[i]));
    });
    let found = ips
        .iter()
        .filter(|ip| shared.lookup(**ip).system.is_some())
        .count();
    let network = time(&|i| drop(black_box(shared.lookup(ips[i]))));
    println!(
        "lookup: {network:.0} ns (address parse {parse:.0} ns: {:.2}x; hashmap get {hashmap:.0} ns: \
         {:.2}x); {found} of {} addresses have an AS",
        network / parse,
        network / hashmap,
        ips.len()
    );
}

criterion_group!(benches, lookup);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    ratios();
}
