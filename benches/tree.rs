//! A whole working-tree scan (walk, read, scan, findings: the path `leakhound scan` takes) over
//! a generated tree of ~40 MB in 2,000 files. Run with `cargo bench --bench tree`. For the 100 MB synthetic corpus and the
//! side-by-side runs with peer scanners, see `benches/compare.sh`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use leakhound::engine::Engine;
use leakhound::rules::RuleSet;
use leakhound::scan::{scan_walked, FileOptions};
use leakhound::source::fs::{walk_each, WalkOptions};

mod common;

fn tree(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut gen = common::Gen::new(7);
    let mut total = 0u64;
    for i in 0..2000 {
        let sub = dir.path().join(format!("pkg{}", i % 40));
        std::fs::create_dir_all(&sub).expect("mkdir");
        let text = gen.text(20_000, 64 * 1024);
        total += text.len() as u64;
        std::fs::write(sub.join(format!("file{i}.txt")), text).expect("write");
    }
    let engine = Engine::new(RuleSet::embedded().expect("embedded rules")).expect("engine");
    let roots = [dir.path().to_path_buf()];
    let options = FileOptions {
        max_file_size: 50 << 20,
        archives: Some(Default::default()),
    };
    let mut group = c.benchmark_group("tree");
    group.throughput(Throughput::Bytes(total));
    group.sample_size(10);
    group.bench_function("walk+scan 2000 files", |b| {
        b.iter(|| {
            scan_walked(&engine, &options, &|_| {}, |scan_file| {
                walk_each(&roots, &WalkOptions::default(), scan_file)
            })
        })
    });
    group.finish();
}

criterion_group!(benches, tree);
criterion_main!(benches);
