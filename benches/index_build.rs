//! Index build throughput (criterion): a fresh index of 1,000 generated
//! notes (seed 42, about 2.9 MB), files already on disk and in the page
//! cache, as `folio index --rebuild` would build it.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use folio::index::FolioIndex;
use folio::index::update::{UpdateOptions, update};

const NOTES: usize = 1000;

fn index_build(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let corpus = dir.path().join("notes");
    let made =
        folio::bench::generate(&corpus, NOTES, 42, 2, &|| {}).expect("the corpus is written");
    let options = UpdateOptions {
        roots: vec![corpus],
        default_roots: Vec::new(),
        threads: 2,
        memory_mb: 120,
        progress: None,
        model: None,
    };
    let mut group = c.benchmark_group("index_build");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(made.bytes));
    let mut round = 0;
    group.bench_function("1000_notes", |b| {
        b.iter(|| {
            round += 1;
            let ix = FolioIndex::open_or_create(&dir.path().join(format!("index-{round}")), true)
                .expect("a fresh index");
            let summary = update(&ix, &options, &|_| {}).expect("the build succeeds");
            assert_eq!(summary.notes, NOTES as u64);
        })
    });
    group.finish();
}

criterion_group!(benches, index_build);
criterion_main!(benches);
