//! The k best documents of a query, skipping documents that cannot enter
//! them: runs of documents whose bound (the index's block bounds, read by
//! [`super::bm25f`]) does not beat the k-th best score found so far, in any
//! segment.
//!
//! Two shapes skip: a plain term query or a boolean query of them
//! (Tantivy's own block-max WAND), and one word scored by BM25F, alone
//! ([`Bm25F`]'s top-k walk). Anything else is scored in full, as is every
//! search with `--count`.
//!
//! Not kept: every word of a query required, a window's bound the sum of
//! its words'. Tried at 1,000,000 notes, walking the intersection one
//! `advance` at a time (to skip between windows) was slower than
//! Tantivy's own walk of it: `memory light` 12.7 → 14.8 ms, while a word
//! with a year filter went 14.8 → 12.6 ms (`BENCHMARKS.md`, "Top-k that
//! skips"). Tried again once the join read block starts instead of the
//! column, led by the rarest word and summing as Tantivy's intersection
//! sums: 5.3 → 10.1 ms, and 6.3 → 7.5 ms with each word's window kept
//! until the walk leaves it (`BENCHMARKS.md`, "Block starts"): the sum of
//! two words' bounds seldom falls below the tenth best score.
//!
//! Not kept either: one word with filters, the word's walk scoring only
//! the documents every filter holds. `history --year 1990..2010`: 15.1 →
//! 13.1 ms at 1,000,000 notes, but 1.31 → 1.59 ms at 100,000.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::{DocAddress, DocId, Score, Searcher};

use super::bm25f::Bm25F;

/// Whether top-k collection of `query` can skip what cannot reach the top.
pub fn prunable(query: &dyn Query) -> bool {
    if query.downcast_ref::<TermQuery>().is_some() {
        return true;
    }
    if sole_clause(query).downcast_ref::<Bm25F>().is_some_and(Bm25F::has_bounds) {
        return true;
    }
    query.downcast_ref::<BooleanQuery>().is_some_and(|b| {
        !b.clauses().is_empty()
            && b.clauses().iter().all(|(occur, q)| {
                *occur != Occur::MustNot && q.downcast_ref::<TermQuery>().is_some()
            })
    })
}

/// The `k` best documents of `query`, best first (of equal scores, the
/// first in the index). Tantivy's `TopDocs` starts every segment from
/// nothing, so with 31 segments each scored its matches until its own top
/// k filled up; here each segment starts from the k-th best of those
/// before it.
pub fn top_k(
    searcher: &Searcher,
    query: &dyn Query,
    k: usize,
) -> tantivy::Result<Vec<(f32, DocAddress)>> {
    let query = sole_clause(query);
    let scoring = tantivy::query::EnableScoring::enabled_from_searcher(searcher);
    let weight = query.weight(scoring)?;
    let mut best = Best::new(k);
    for (ord, reader) in searcher.segment_readers().iter().enumerate() {
        let alive = reader.alive_bitset();
        let threshold = best.floor();
        weight.for_each_pruning(threshold, reader, &mut |doc: DocId, score: Score| {
            if !alive.is_some_and(|a| a.is_deleted(doc)) {
                best.push(score, DocAddress::new(ord as u32, doc));
            }
            best.floor()
        })?;
    }
    Ok(best.into_sorted())
}

/// The query a boolean query of one required clause scores as: that
/// clause (recursively); any other query itself.
fn sole_clause(query: &dyn Query) -> &dyn Query {
    match query.downcast_ref::<BooleanQuery>().map(BooleanQuery::clauses) {
        Some([(Occur::Must, only)]) => sole_clause(&**only),
        _ => query,
    }
}

/// The k best so far, worst on top.
struct Best {
    k: usize,
    /// (score, reversed address): of two equal scores, the later document
    /// is dropped first.
    heap: BinaryHeap<Reverse<(ByScore, Reverse<DocAddress>)>>,
}

impl Best {
    fn new(k: usize) -> Self {
        Best { k, heap: BinaryHeap::with_capacity(k + 1) }
    }

    fn push(&mut self, score: Score, addr: DocAddress) {
        self.heap.push(Reverse((ByScore(score), Reverse(addr))));
        if self.heap.len() > self.k {
            self.heap.pop();
        }
    }

    /// The score a document must beat to enter.
    fn floor(&self) -> Score {
        if self.heap.len() < self.k {
            return Score::MIN;
        }
        self.heap.peek().map_or(Score::MIN, |worst| worst.0.0.0)
    }

    fn into_sorted(self) -> Vec<(f32, DocAddress)> {
        let mut top: Vec<(f32, DocAddress)> =
            self.heap.into_iter().map(|Reverse((score, Reverse(addr)))| (score.0, addr)).collect();
        top.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        top
    }
}

/// A score ordered by `total_cmp`.
#[derive(Clone, Copy, PartialEq)]
struct ByScore(Score);

impl Eq for ByScore {}

impl PartialOrd for ByScore {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ByScore {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}
