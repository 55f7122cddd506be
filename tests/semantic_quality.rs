//! Ranking by meaning with the real sentence model (feature `real-model`;
//! the model folder is named by `FOLIO_MODEL`, the highlight exports by
//! `FOLIO_HIGHLIGHTS`, both set by `.ci/run`; the extra exports by
//! `FOLIO_HIGHLIGHTS_EXTRA`, by default `../shared/corpus/highlights-extra`).
//!
//! The queries are in `tests/eval/highlight-queries.tsv`: paraphrases (an
//! idea as a reader remembers it, at most one word shared with the passage)
//! and keyword queries. Each is run by words, by meaning and by both; the
//! table printed is the one in BENCHMARKS.md (Relevance, semantic).
//!
//! `tests/eval/extra-paraphrases.tsv` holds held-out queries over the extra
//! exports (Kindle notebooks, Kobo, Moon+): paraphrases that share no content
//! word with their passage (`tests/eval/check_paraphrases.py` checks that),
//! written without looking at folio's rankings. The `extra_*` test prints the
//! same table for them; its floors are the counts measured when it was added.
#![cfg(feature = "real-model")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use folio::embed::Model;
use folio::embed::store::VectorStore;
use folio::index::update::{UpdateOptions, update};
use folio::index::{FolioIndex, vectors};
use folio::search::semantic::{Fusion, Meaning, RankMode};
use folio::search::{Engine, Hit, Request, Target};
use tantivy::tokenizer::TokenStream;

mod support;

fn env_dir(name: &str) -> PathBuf {
    let dir = std::env::var_os(name)
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("{name} must name a folder (see .ci/run)"));
    assert!(dir.is_dir(), "{name}={} is not a folder", dir.display());
    dir
}

struct Fixture {
    engine: Engine,
    store: VectorStore,
    model: Arc<Model>,
    _dir: tempfile::TempDir,
}

fn options(roots: Vec<PathBuf>, model: &Arc<Model>) -> UpdateOptions {
    UpdateOptions { memory_mb: 100, ..support::options(roots, Some(model.clone())) }
}

/// The sentence model, loaded once for every test.
fn model() -> &'static Arc<Model> {
    static MODEL: OnceLock<Arc<Model>> = OnceLock::new();
    MODEL.get_or_init(|| {
        let model = Arc::new(Model::new(env_dir("FOLIO_MODEL")));
        let started = Instant::now();
        model.get().expect("the model loads");
        eprintln!("model load: {:.0} ms", started.elapsed().as_secs_f64() * 1000.0);
        model
    })
}

/// `root` indexed with the model into a fresh folder, `cache` (a vector
/// file from an earlier run) reused as `--rebuild` reuses one.
fn build(root: PathBuf, cache: Option<std::ffi::OsString>) -> Fixture {
    let model = model().clone();
    let dir = tempfile::tempdir().expect("temp dir");
    let ix = FolioIndex::open_or_create(&dir.path().join("ix"), false).expect("index opens");
    if let Some(cache) = cache {
        // Beside the generation's own files, where a build looks for
        // the vectors an earlier commit left.
        std::fs::copy(cache, ix.dir.join("vectors-1.bin")).expect("cache");
    }
    let roots = vec![root];
    let summary = update(&ix, &options(roots.clone(), &model), &|_| {}).expect("builds");
    eprintln!(
        "indexed {} quotes, embedded {} passages in {:.2} s",
        summary.quotes, summary.embedded, summary.seconds
    );
    let again = update(&ix, &options(roots, &model), &|_| {}).expect("refreshes");
    eprintln!("no-op refresh: {:.3} s, embedded {}", again.seconds, again.embedded);
    assert!(!again.committed && again.embedded == 0, "a refresh with no change writes nothing");
    let store = vectors::load(&ix, &ix.payload().expect("payload"))
        .expect("vectors load")
        .expect("the commit names its vectors");
    eprintln!(
        "vectors: {} passages, {} bytes per passage",
        store.len(),
        store.file_bytes() / store.len().max(1)
    );
    Fixture { engine: Engine::open(ix).expect("engine"), store, model, _dir: dir }
}

/// The highlight exports indexed with the model, once for every test.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE
        .get_or_init(|| build(env_dir("FOLIO_HIGHLIGHTS"), std::env::var_os("FOLIO_VECTOR_CACHE")))
}

/// The extra exports (`FOLIO_HIGHLIGHTS_EXTRA`, else the shared corpus
/// beside the repository) indexed with the model, once for every test.
fn extra_fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir =
            std::env::var_os("FOLIO_HIGHLIGHTS_EXTRA").map(PathBuf::from).unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/highlights-extra")
            });
        assert!(
            dir.is_dir(),
            "FOLIO_HIGHLIGHTS_EXTRA={} is not a folder: point it at the extra highlight samples",
            dir.display()
        );
        build(dir, None)
    })
}

/// 1-based rank of the first hit containing `expected`, in the top 10.
fn rank(f: &Fixture, query: &str, expected: &str, mode: RankMode) -> Option<usize> {
    let vector = f.model.get().expect("model").embed_one(query).expect("embeds");
    rank_with(f, query, &vector, expected, mode, &Fusion::default())
}

fn rank_with(
    f: &Fixture,
    query: &str,
    vector: &[f32],
    expected: &str,
    mode: RankMode,
    fusion: &Fusion,
) -> Option<usize> {
    let request = Request::new(query, Target::Quotes);
    let meaning = Meaning { store: &f.store, vector: vector.to_vec() };
    let results = f.engine.search_fused(&request, mode, Some(&meaning), fusion).expect("searches");
    let expected = comparable(expected);
    results
        .hits
        .iter()
        .position(|hit| match hit {
            Hit::Quote(q) => comparable(&q.text).contains(&expected),
            Hit::Note(_) => false,
        })
        .map(|i| i + 1)
}

/// `text` lower-cased, with straight apostrophes and single spaces: a
/// passage as the query files quote it (a Kobo highlight keeps the book's
/// line breaks).
fn comparable(text: &str) -> String {
    text.to_lowercase().replace('’', "'").split_whitespace().collect::<Vec<_>>().join(" ")
}

fn stems(text: &str) -> BTreeSet<String> {
    let mut analyzer = folio::index::schema::analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut out = BTreeSet::new();
    while stream.advance() {
        out.insert(stream.token().text.clone());
    }
    out
}

struct Query {
    kind: String,
    text: String,
    expected: String,
}

fn queries() -> Vec<Query> {
    queries_in("highlight-queries.tsv")
}

/// The queries of `tests/eval/<file>`.
fn queries_in(file: &str) -> Vec<Query> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/eval").join(file);
    std::fs::read_to_string(&path)
        .expect("queries")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut parts = l.split('\t');
            let mut next = || parts.next().expect("kind, query, expected").to_string();
            Query { kind: next(), text: next(), expected: next() }
        })
        .collect()
}

#[derive(Default, Clone, Copy)]
struct Tally {
    first: usize,
    top3: usize,
    top10: usize,
}

#[test]
fn paraphrases_share_at_most_one_word_with_their_passage() {
    let f = fixture();
    for q in queries().iter().filter(|q| q.kind == "paraphrase") {
        let request = Request::new(format!("\"{}\"", q.expected), Target::Quotes);
        let results = f.engine.search(&request).expect("searches");
        let Some(Hit::Quote(hit)) = results.hits.first() else {
            panic!("no passage holds {:?}", q.expected)
        };
        let shared: Vec<String> = stems(&q.text).intersection(&stems(&hit.text)).cloned().collect();
        assert!(shared.len() <= 1, "{:?} shares {shared:?} with its passage", q.text);
    }
}

#[test]
fn hybrid_finds_paraphrases_and_keeps_keyword_first_places() {
    let f = fixture();
    let modes = [RankMode::Lexical, RankMode::Semantic, RankMode::Hybrid];
    let mut tallies = [[Tally::default(); 3]; 2];
    let mut counts = [0usize; 2];
    let mut lost = Vec::new();
    let started = Instant::now();
    let mut runs = 0;
    for q in queries() {
        let kind = usize::from(q.kind == "keyword");
        counts[kind] += 1;
        let ranks: Vec<Option<usize>> =
            modes.iter().map(|&m| rank(f, &q.text, &q.expected, m)).collect();
        runs += 3;
        for (tally, r) in tallies[kind].iter_mut().zip(&ranks) {
            tally.first += usize::from(*r == Some(1));
            tally.top3 += usize::from(r.is_some_and(|r| r <= 3));
            tally.top10 += usize::from(r.is_some());
        }
        eprintln!("{:<10} {:?} {:?}", q.kind, ranks, q.text);
        if kind == 1 && ranks[0] == Some(1) && ranks[2] != Some(1) {
            lost.push(q.text.clone());
        }
    }
    eprintln!(
        "{:.1} ms per search (embedding the query included)",
        started.elapsed().as_secs_f64() * 1000.0 / runs as f64
    );
    eprintln!("| queries | ranking | first | top 3 | top 10 |");
    for (kind, name) in ["paraphrase", "keyword"].iter().enumerate() {
        for (m, mode) in ["lexical", "semantic", "hybrid"].iter().enumerate() {
            let t = tallies[kind][m];
            let n = counts[kind];
            eprintln!(
                "| {name} ({n}) | {mode} | {}/{n} | {}/{n} | {}/{n} |",
                t.first, t.top3, t.top10
            );
        }
    }
    eprintln!("keyword first places lost by hybrid: {lost:?}");
    let paraphrase = tallies[0][2];
    let n = counts[0] as f64;
    assert!(paraphrase.first as f64 / n >= 0.40, "hybrid first {}/{}", paraphrase.first, n);
    assert!(paraphrase.top3 as f64 / n >= 0.65, "hybrid top 3 {}/{}", paraphrase.top3, n);
    assert!(lost.len() <= 2, "hybrid loses keyword first places: {lost:?}");
    // Fusion does no harm (issue 21): on each kind of query the default
    // ranks at least as many first and in the top 3 as words or meaning.
    for (kind, [words, meaning, hybrid]) in tallies.iter().enumerate() {
        for t in [words, meaning] {
            assert!(
                hybrid.first >= t.first && hybrid.top3 >= t.top3,
                "kind {kind}: hybrid {}/{} first/top 3, below one side alone {}/{}",
                hybrid.first,
                hybrid.top3,
                t.first,
                t.top3
            );
        }
    }
}

/// The folder (`kindle-notebook`, `kobo`, `moonreader`, …) of the one
/// quote holding `expected`, found by its own words: a fragment folio does
/// not show (a reader's text read differently) fails here, not as a miss.
fn folder_of(f: &Fixture, expected: &str) -> String {
    // Its words only: a colon or a leading hyphen is query syntax.
    let words: String =
        expected.chars().map(|c| if c.is_alphanumeric() || c == '\'' { c } else { ' ' }).collect();
    let mut request = Request::new(words, Target::Quotes);
    request.limit = 20;
    let results = f.engine.search(&request).expect("searches");
    let wanted = comparable(expected);
    let holding: Vec<&str> = results
        .hits
        .iter()
        .filter_map(|hit| match hit {
            Hit::Quote(q) if comparable(&q.text).contains(&wanted) => Some(q.path.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        holding.len(),
        1,
        "{expected:?} should be in exactly one quote folio shows, found in {holding:?} \
         (check tests/eval/extra-paraphrases.tsv with tests/eval/check_paraphrases.py)"
    );
    let path = std::path::Path::new(holding[0]);
    path.parent()
        .and_then(|p| p.file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn tally(t: &mut Tally, r: Option<usize>) {
    t.first += usize::from(r == Some(1));
    t.top3 += usize::from(r.is_some_and(|r| r <= 3));
    t.top10 += usize::from(r.is_some());
}

/// Held-out queries over the Kindle notebook, Kobo and Moon+ exports, by
/// words, by meaning and by both. The floors are the counts measured when
/// the set was written (fusion tuned on other queries): a change to the
/// ranking may raise them, not lower them.
#[test]
fn extra_held_out_queries_by_words_meaning_and_both() {
    let f = extra_fixture();
    let queries = queries_in("extra-paraphrases.tsv");
    assert!(queries.iter().filter(|q| q.kind == "paraphrase").count() >= 60, "the held-out set");
    let modes = [RankMode::Lexical, RankMode::Semantic, RankMode::Hybrid];
    let names = ["lexical", "semantic", "hybrid"];
    let mut tallies = [[Tally::default(); 3]; 2];
    let mut counts = [0usize; 2];
    let mut folders: BTreeMap<String, (usize, [Tally; 3])> = BTreeMap::new();
    let mut lost = Vec::new();
    for q in &queries {
        let kind = usize::from(q.kind == "keyword");
        counts[kind] += 1;
        let folder = folder_of(f, &q.expected);
        let ranks: Vec<Option<usize>> =
            modes.iter().map(|&m| rank(f, &q.text, &q.expected, m)).collect();
        for (t, r) in tallies[kind].iter_mut().zip(&ranks) {
            tally(t, *r);
        }
        if kind == 0 {
            let (n, per_mode) = folders.entry(folder.clone()).or_default();
            *n += 1;
            for (t, r) in per_mode.iter_mut().zip(&ranks) {
                tally(t, *r);
            }
        }
        eprintln!("{:<10} {:<16} {:?} {:?}", q.kind, folder, ranks, q.text);
        if kind == 1 && ranks[0] == Some(1) && ranks[2] != Some(1) {
            lost.push(q.text.clone());
        }
    }
    eprintln!("| queries | ranking | first | top 3 | top 10 |");
    eprintln!("| --- | --- | --- | --- | --- |");
    for (kind, name) in ["paraphrase", "keyword"].iter().enumerate() {
        for (m, mode) in names.iter().enumerate() {
            let t = tallies[kind][m];
            let n = counts[kind];
            eprintln!(
                "| {name} ({n}) | {mode} | {}/{n} | {}/{n} | {}/{n} |",
                t.first, t.top3, t.top10
            );
        }
    }
    for (folder, (n, per_mode)) in &folders {
        let cells: Vec<String> = names
            .iter()
            .zip(per_mode)
            .map(|(mode, t)| format!("{mode} {}/{}/{}", t.first, t.top3, t.top10))
            .collect();
        eprintln!("paraphrases in {folder} ({n}), first/top 3/top 10: {}", cells.join(", "));
    }
    eprintln!("keyword first places lost by hybrid: {lost:?}");
    assert!(lost.is_empty(), "hybrid loses keyword first places: {lost:?}");
    // [kind][mode] = (first, top 3, top 10), as measured when the set was
    // added (see BENCHMARKS); each count may only grow.
    let floors = EXTRA_FLOORS;
    for (kind, name) in ["paraphrase", "keyword"].iter().enumerate() {
        for (m, mode) in names.iter().enumerate() {
            let t = tallies[kind][m];
            let (first, top3, top10) = floors[kind][m];
            assert!(
                t.first >= first && t.top3 >= top3 && t.top10 >= top10,
                "{name} by {mode}: {}/{}/{} first/top 3/top 10, below the floor \
                 {first}/{top3}/{top10}",
                t.first,
                t.top3,
                t.top10
            );
        }
        // Fusion does no harm (issue 21): the default ranks at least as
        // many first and in the top 3 as the better of words and meaning.
        let [words, meaning, hybrid] = tallies[kind];
        for (side, t) in [("words", words), ("meaning", meaning)] {
            assert!(
                hybrid.first >= t.first && hybrid.top3 >= t.top3,
                "{name}: hybrid {}/{} first/top 3, below {side} alone {}/{}",
                hybrid.first,
                hybrid.top3,
                t.first,
                t.top3
            );
        }
    }
}

/// Floors for `extra_held_out_queries_by_words_meaning_and_both`:
/// [paraphrase, keyword] x [lexical, semantic, hybrid] x (first, top 3, top 10).
/// Measured 2026-12-05 (all-MiniLM-L6-v2, `CANDLE_NUM_THREADS=1`, release),
/// with words trusted only past half the query's weight (hybrid was
/// 26/34/45 before, below meaning alone).
const EXTRA_FLOORS: [[(usize, usize, usize); 3]; 2] =
    [[(0, 0, 1), (27, 37, 45), (27, 37, 45)], [(18, 18, 18), (18, 18, 18), (18, 18, 18)]];

#[test]
fn bystander_effect_finds_diffused_responsibility() {
    let f = fixture();
    let _ = f;
    let dir = tempfile::tempdir().expect("temp dir");
    let notes = dir.path().join("notes");
    std::fs::create_dir_all(&notes).expect("notes dir");
    std::fs::copy(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/semantic/Influence.md"),
        notes.join("Influence.md"),
    )
    .expect("fixture");
    let model = fixture().model.clone();
    let ix = FolioIndex::open_or_create(&dir.path().join("ix"), false).expect("index");
    update(&ix, &options(vec![notes], &model), &|e| panic!("{e}")).expect("builds");
    let store =
        vectors::load(&ix, &ix.payload().expect("payload")).expect("load").expect("vectors");
    let engine = Engine::open(ix).expect("engine");
    let query = "bystander effect in crowds";
    let vector = model.get().expect("model").embed_one(query).expect("embeds");
    let results = engine
        .search_by(
            &Request::new(query, Target::Quotes),
            RankMode::Hybrid,
            Some(&Meaning { store: &store, vector }),
        )
        .expect("searches");
    let Some(Hit::Quote(first)) = results.hits.first() else { panic!("no hit") };
    assert!(first.text.contains("responsibility for acting is diffused"), "{}", first.text);
    assert!(first.reference.is_some(), "the hit carries its page");
}
