//! Parse throughput (criterion): every note of `seeds/` and, when present,
//! of the real corpus (`FOLIO_REAL_CORPUS`, default `../shared/corpus/book-reviews`).

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn load(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter_map(|p| std::fs::read(&p).ok().map(|bytes| (p, bytes)))
        .collect();
    files.sort();
    files
}

fn parse_all(c: &mut Criterion) {
    let real = std::env::var_os("FOLIO_REAL_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../shared/corpus/book-reviews"));
    let mut group = c.benchmark_group("parse");
    for (name, dir) in [("seeds", PathBuf::from("seeds")), ("book-reviews", real)] {
        let files = load(&dir);
        if files.is_empty() {
            continue;
        }
        let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_function(name, |b| {
            b.iter(|| {
                for (path, bytes) in &files {
                    let _ = std::hint::black_box(folio::note::parse(path, bytes));
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, parse_all);
criterion_main!(benches);
