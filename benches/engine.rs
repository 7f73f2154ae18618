//! Engine throughput alone (no I/O): MB/s on generated source text with rare and dense secrets,
//! and of the keyword prefilter by itself; start-up with and without a configuration (what the
//! pre-commit hook pays), and triage of many findings.
//! Run with `cargo bench --bench engine`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use leakhound::config::Config;
use leakhound::engine::{Engine, EngineOptions, Prefilter};
use leakhound::rules::RuleSet;
use leakhound::scan::scan_bytes;
use leakhound::triage::Triage;

mod common;

fn engine(c: &mut Criterion) {
    let engine = Engine::new(RuleSet::embedded().expect("embedded rules")).expect("engine");
    let mut group = c.benchmark_group("engine");
    let size = 8 << 20;
    for (name, every) in [("rare-secrets", 256 * 1024), ("dense-secrets", 1024)] {
        let text = common::Gen::new(42).text(size, every);
        // Compile every rule the text touches before measuring.
        engine.scan(&text);
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), &text, |b, text| {
            b.iter(|| engine.scan(text))
        });
    }
    // The rare-secrets text without the decoding stage: the prefilter and the regexes alone.
    let plain = Engine::with_options(
        RuleSet::embedded().expect("embedded rules"),
        EngineOptions {
            decode_depth: 0,
            ..EngineOptions::default()
        },
    )
    .expect("engine");
    let text = common::Gen::new(42).text(size, 256 * 1024);
    plain.scan(&text);
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_with_input(
        BenchmarkId::from_parameter("rare-secrets-no-decode"),
        &text,
        |b, text| b.iter(|| plain.scan(text)),
    );
    group.finish();
}

/// The keyword prefilter alone: the one pass over every byte (AVX-512 where the processor has
/// it, else the scalar shift-or).
fn prefilter(c: &mut Criterion) {
    let rules = RuleSet::embedded().expect("embedded rules");
    let prefilter = Prefilter::new(&rules, false).expect("prefilter");
    let text = common::Gen::new(42).text(8 << 20, 256 * 1024);
    let mut group = c.benchmark_group("prefilter");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_with_input(BenchmarkId::from_parameter("keywords"), &text, |b, text| {
        b.iter(|| {
            let mut hits = 0usize;
            prefilter.for_each_hit(text, |_| hits += 1);
            hits
        })
    });
    group.finish();
}

fn startup(c: &mut Criterion) {
    c.bench_function("startup/load-rules-and-build-engine", |b| {
        b.iter(|| Engine::new(RuleSet::embedded().expect("embedded rules")).expect("engine"))
    });
}

/// leakhound's own configuration: path allowlists, as a repository with fixtures has.
const CONFIG: &str = include_str!("../.leakhound.toml");

fn startup_with_config(c: &mut Criterion) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    c.bench_function("startup/config-rules-engine-and-triage", |b| {
        b.iter(|| {
            let mut config = Config::from_text(".leakhound.toml", CONFIG, dir).expect("config");
            let mut rules = RuleSet::embedded().expect("embedded rules");
            config.apply_to(&mut rules).expect("applies");
            let triage =
                Triage::new(Some(dir), Some(dir)).with_allowlists(config.take_allowlists());
            (Engine::new(rules).expect("engine"), triage)
        })
    });
}

fn triage(c: &mut Criterion) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let engine = Engine::new(RuleSet::embedded().expect("embedded rules")).expect("engine");
    let text = common::Gen::new(7).text(4 << 20, 1024);
    let findings = scan_bytes(&engine, "src/app/config.py", &text);
    let mut config = Config::from_text(".leakhound.toml", CONFIG, dir).expect("config");
    let triage = Triage::new(Some(dir), Some(dir)).with_allowlists(config.take_allowlists());
    let mut group = c.benchmark_group("triage");
    group.throughput(Throughput::Elements(findings.len() as u64));
    group.bench_function("apply", |b| b.iter(|| triage.apply(findings.clone())));
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = engine, prefilter, startup, startup_with_config, triage
}
criterion_main!(benches);
