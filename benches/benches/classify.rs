//! User-agent classification and referral attribution. Baseline in the same run: the full uap
//! regex parser (browser + OS + device extractors of the same regexes) on the same user agents.
//! `cargo bench -p benches --bench classify`

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, Criterion};
use schemas::catalog::UAP_REGEXES;
use stream_processors::enrich::{Attributor, Classifier};

/// Real user agents: every crawler-user-agents example and every uap-core browser test case.
fn user_agents() -> Vec<String> {
    let (mut uas, bots) = benches::reference_user_agents();
    uas.extend(bots);
    uas
}

fn full_parser() -> ua_parser::Extractor<'static> {
    let regexes: ua_parser::Regexes<'static> = serde_json::from_str(UAP_REGEXES).unwrap();
    ua_parser::Extractor::try_from(regexes).unwrap()
}

fn referrals() -> Vec<(String, Option<String>)> {
    let refs = [
        Some("https://chatgpt.com/"),
        Some("https://www.google.com/"),
        Some("https://gemini.google.com/app"),
        Some("https://x.com/i/grok"),
        Some("https://news.ycombinator.com/item?id=1"),
        Some("https://www.perplexity.ai/search?q=a"),
        None,
    ];
    let urls = [
        "https://acme.com/pricing",
        "https://acme.com/docs/start?utm_source=chatgpt.com",
        "https://www.acme.com/blog/post?utm_campaign=x",
    ];
    refs.iter()
        .flat_map(|r| {
            urls.iter()
                .map(move |u| ((*u).to_owned(), r.map(str::to_owned)))
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let uas = user_agents();
    let classifier = Classifier::from_catalog().unwrap();
    let full = full_parser();
    let mut group = c.benchmark_group("user_agent");
    group.bench_function("full uap parser, all UAs (baseline)", |b| {
        b.iter(|| {
            for ua in &uas {
                black_box(full.extract(black_box(ua)));
            }
        })
    });
    group.bench_function("classify, all UAs", |b| {
        b.iter(|| {
            for ua in &uas {
                black_box(classifier.classify(black_box(ua)));
            }
        })
    });
    group.finish();
    let attributor = Attributor::from_catalog();
    let cases = referrals();
    c.bench_function("attribute, 21 url/referrer pairs", |b| {
        b.iter(|| {
            for (url, referrer) in &cases {
                black_box(attributor.attribute(black_box(url), referrer.as_deref()));
            }
        })
    });
}

/// Median over user agents of each one's mean time, for classify and for the full parser.
fn medians() {
    const REPS: u32 = 30;
    let uas = user_agents();
    let classifier = Classifier::from_catalog().unwrap();
    let full = full_parser();
    let per_ua = |f: &dyn Fn(&str)| {
        let mut times: Vec<f64> = uas
            .iter()
            .map(|ua| {
                f(ua);
                let start = Instant::now();
                for _ in 0..REPS {
                    f(ua);
                }
                start.elapsed().as_secs_f64() * 1e9 / f64::from(REPS)
            })
            .collect();
        times.sort_by(f64::total_cmp);
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        (times[times.len() / 2], times[times.len() * 99 / 100], mean)
    };
    let (full_med, full_p99, full_mean) = per_ua(&|ua| drop(black_box(full.extract(ua))));
    let (cls_med, cls_p99, cls_mean) = per_ua(&|ua| drop(black_box(classifier.classify(ua))));
    println!(
        "{} user agents: classify median {cls_med:.0} ns (p99 {cls_p99:.0}, mean {cls_mean:.0}); full uap parser median {full_med:.0} ns (p99 {full_p99:.0}, mean {full_mean:.0}); classify is {:.1}x faster at the median, {:.1}x on the mean (goal <= 2000 ns and >= 5x)",
        uas.len(),
        full_med / cls_med,
        full_mean / cls_mean
    );
    let attributor = Attributor::from_catalog();
    let cases = referrals();
    let start = Instant::now();
    const ROUNDS: u32 = 20_000;
    for _ in 0..ROUNDS {
        for (url, referrer) in &cases {
            black_box(attributor.attribute(url, referrer.as_deref()));
        }
    }
    let per = start.elapsed().as_secs_f64() / f64::from(ROUNDS) / cases.len() as f64;
    println!(
        "attribute: {:.0} ns per url/referrer pair ({:.2} M pairs/s)",
        per * 1e9,
        1e-6 / per
    );
}

criterion_group!(group, benches);

fn main() {
    medians();
    group();
    Criterion::default().configure_from_args().final_summary();
}
