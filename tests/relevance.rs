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
    let (report, lines, problems) = relevance::run(&options).expect("the collection runs");
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
