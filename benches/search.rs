//! Query latency (criterion): `search` and `quotes` over a 10,000-note
//! generated corpus (seed 42), indexed once in a temporary folder. Each
//! query of `folio bench`'s fixed mix is one benchmark, snippets included.

use criterion::{Criterion, criterion_group, criterion_main};
use folio::index::FolioIndex;
use folio::index::update::{UpdateOptions, update};
use folio::search::{Engine, Target};

const NOTES: usize = 10_000;

fn search(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let corpus = dir.path().join("notes");
    folio::bench::generate(&corpus, NOTES, 42, 2, &|| {}).expect("the corpus is written");
    let index = dir.path().join("index");
    let ix = FolioIndex::open_or_create(&index, true).expect("a fresh index");
    let options = UpdateOptions {
        roots: vec![corpus],
        default_roots: Vec::new(),
        threads: 2,
        memory_mb: 120,
        progress: None,
        model: None,
    };
    update(&ix, &options, &|_| {}).expect("the build succeeds");
    let engine = Engine::open(ix).expect("a searcher");

    for (group_name, target) in [("search", Target::Notes), ("quotes", Target::Quotes)] {
        let mut group = c.benchmark_group(group_name);
        for q in folio::bench::query_mix() {
            let mut request = q.request.clone();
            request.target = target;
            group.bench_function(&q.name, |b| {
                b.iter(|| std::hint::black_box(engine.search(&request).expect("searches")))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, search);
criterion_main!(benches);
