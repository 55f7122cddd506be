//! Ranking on a public test collection (feature `real-corpus`): SciFact's
//! training split in BEIR layout, named by `FOLIO_EVAL_DIR` (set by
//! `.ci/run`), through `folio bench --relevance`'s code. The floor is the
//! figure BM25F reached (nDCG@10 0.7020, see `src/search/ranking.rs`) less
//! 0.01: a ranking change that loses more than that fails here.
#![cfg(feature = "real-corpus")]

use std::path::PathBuf;

use folio::bench::relevance::{self, Options};

#[test]
fn scifact_train_ranks_at_least_as_well_as_measured() {
    let dir = std::env::var_os("FOLIO_EVAL_DIR")
        .map(PathBuf::from)
        .expect("FOLIO_EVAL_DIR must name the SciFact training split (see .ci/run)");
    assert!(
        dir.join("corpus.jsonl").is_file(),
        "FOLIO_EVAL_DIR={} has no corpus.jsonl",
        dir.display()
    );
    let options = Options { split: "train".to_string(), ..Options::new(&dir) };
    let (reports, lines, problems) = relevance::run(&options).expect("the collection runs");
    let report = &reports[0];
    eprintln!(
        "SciFact train: nDCG@10 {:.4}, MRR@10 {:.4}, Recall@100 {:.4} ({} queries, {:.1} s searching)",
        report.ndcg, report.mrr, report.recall, report.queries, report.search_seconds
    );
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!((report.documents, report.queries), (5_183, 809));
    assert!(lines.len() > 809 * 50, "every query returns hits");
    assert!(report.ndcg >= 0.692, "nDCG@10 {:.4} < 0.692", report.ndcg);
    assert!(report.recall >= 0.92, "Recall@100 {:.4} < 0.92", report.recall);
}

/// With the sentence model (feature `real-model`, `FOLIO_MODEL` set by
/// `.ci/run`): the notes' passages embedded, the queries ranked by meaning
/// and by both: meaning alone at least [`SEMANTIC_FLOOR`], both at least
/// [`HYBRID_FLOOR`] and better than words alone. Not run by `.ci/run`
/// (35 CPU-minutes of embedding); by hand:
/// `FOLIO_EVAL_DIR=.. FOLIO_MODEL=.. CANDLE_NUM_THREADS=1 cargo test
/// --release --features real-corpus,real-model --test relevance`.
#[cfg(feature = "real-model")]
#[test]
fn scifact_train_hybrid_ranks_at_least_as_well_as_measured() {
    let dir = std::env::var_os("FOLIO_EVAL_DIR")
        .map(PathBuf::from)
        .expect("FOLIO_EVAL_DIR must name the SciFact training split (see .ci/run)");
    let model = std::env::var_os("FOLIO_MODEL")
        .map(PathBuf::from)
        .expect("FOLIO_MODEL must name the sentence model's folder (see .ci/run)");
    // FOLIO_RELEVANCE_KEEP names a folder kept from an earlier run (`folio
    // bench --relevance --keep DIR`): its vectors are reused, nothing is
    // embedded again.
    let temporary = tempfile::tempdir().expect("a temporary folder");
    let work = std::env::var_os("FOLIO_RELEVANCE_KEEP")
        .map_or_else(|| temporary.path().to_path_buf(), PathBuf::from);
    let model = std::sync::Arc::new(folio::embed::Model::new(model));
    let mut options =
        Options { split: "train".to_string(), keep: Some(work), ..Options::new(&dir) };
    options.settings.model = Some(model);
    let (reports, _, problems) = relevance::run(&options).expect("the collection runs");
    assert!(problems.is_empty(), "{problems:?}");
    let by_mode = |mode: &str| reports.iter().find(|r| r.mode == mode).expect("a report");
    let (lexical, semantic, hybrid) = (by_mode("lexical"), by_mode("semantic"), by_mode("hybrid"));
    eprintln!(
        "SciFact train with the model (build {:.0} s, {} vectors): nDCG@10 lexical {:.4}, \
         semantic {:.4}, hybrid {:.4}",
        hybrid.build_seconds, hybrid.vectors, lexical.ndcg, semantic.ndcg, hybrid.ndcg
    );
    assert_eq!((hybrid.mode.as_str(), semantic.mode.as_str()), ("hybrid", "semantic"));
    assert!(hybrid.vectors >= 5_183, "every abstract has a passage: {}", hybrid.vectors);
    assert!(semantic.ndcg >= SEMANTIC_FLOOR, "semantic nDCG@10 {:.4}", semantic.ndcg);
    assert!(hybrid.ndcg >= HYBRID_FLOOR, "hybrid nDCG@10 {:.4}", hybrid.ndcg);
    assert!(
        hybrid.ndcg > lexical.ndcg,
        "hybrid nDCG@10 {:.4} not above words alone {:.4}",
        hybrid.ndcg,
        lexical.ndcg
    );
}

/// Meaning alone measured 0.6816 (2026-12-01, `folio bench --relevance
/// --model`, BENCHMARKS.md, Relevance: notes by meaning), less 0.01.
#[cfg(feature = "real-model")]
const SEMANTIC_FLOOR: f64 = 0.67;

/// Both measured 0.7403 with the note fusion (words 0.6, power 1, each
/// side divided by its best score) on the same vectors, less 0.01.
#[cfg(feature = "real-model")]
const HYBRID_FLOOR: f64 = 0.73;
