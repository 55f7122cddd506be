//! Every constant that shapes ranking, with the figures that chose it.
//!
//! A word is scored by BM25F over the fields of the documents searched
//! ([`super::bm25f`]): each field's occurrences count `weight` times,
//! normalised by that field's length with its own `b`, and the sum is
//! saturated once with [`K1`]. For notes, the word in the note's quotes
//! (other documents, [`super::join`]) is a second part, combined with the
//! note's by [`TIE_BREAKER`].
//!
//! Figures: `folio bench --relevance ../shared/eval/scifact-train --split
//! train` (5,183 titled abstracts, 809 claims; nDCG@10 as trec_eval) and
//! `tests/search_quality.rs` on the book-review corpus (40 topic queries for
//! quotes: expected quote first, and the reciprocal-rank sum every word
//! first / plain; 10 keyword queries for notes: each in the top 3, and their
//! reciprocal-rank sum). Before BM25F (each word scored by its best field,
//! title ×3, author ×2, quotes ×1.5, plus 0.2 × the others): SciFact 0.5856;
//! book reviews 40/40 first, 40.00 / 40.00, keywords 10/10 top 3, 9.50.
//! With the values below: SciFact **0.7020** (MRR@10 0.6732, Recall@100
//! 0.9344 with the claims as plain words; read by the query language, as
//! `folio search` reads them, since issue 20: 0.7020, 0.6737, 0.9301); book reviews 40/40, 40.00 / 40.00, 10/10 top 3, 9.50. The
//! surface is flat around them (every figure below within 0.008), so they
//! are the textbook defaults rather than values fitted to one collection.
//! See BENCHMARKS.md, Relevance.

/// A default field: its name, how many body occurrences one occurrence in
/// it counts as (BM25F's field weight), and its length normalisation `b`.
pub type FieldRank = (&'static str, f32, f32);

/// BM25's term-frequency saturation, Lucene's and Tantivy's default.
/// SciFact nDCG@10: k1 0.9 → 0.6979, 1.2 → 0.7020, 1.5 → 0.7013.
pub const K1: f32 = 1.2;

/// BM25's length normalisation, Lucene's and Tantivy's default, for every
/// field. SciFact nDCG@10 with the title's `b` at 0.3 → 0.7011, 0.5 →
/// 0.7008, 0.75 → 0.7020; Anserini's BEIR setting (k1 0.9, b 0.4 on every
/// field) → 0.6968.
pub const B: f32 = 0.75;

/// Default fields of a note search. `quote` is read from the note's quote
/// documents ([`super::join::QuotesOfNote`]), the others from the note.
/// SciFact nDCG@10 with the title's weight at 1 → 0.6940, 2 → 0.7000,
/// 3 → 0.7020, 5 → 0.7019 (SciFact has no authors or quotes; their
/// weights keep the order the book-review queries were tuned with).
pub const NOTE_FIELDS: [FieldRank; 4] =
    [("title", 3.0, B), ("author", 2.0, B), ("quote", 1.5, B), ("body", 1.0, B)];

/// Default fields of a quote search, all on the quote's document: the
/// passage itself counts most; the reader's own note on a highlight finds
/// it too, but a match in the passage ranks first; its book's title and
/// author help a topic query find it (book reviews: 40/40 first, as before
/// BM25F).
pub const QUOTE_FIELDS: [FieldRank; 4] =
    [("quote", 1.0, B), ("note_text", 0.5, B), ("quote_title", 0.4, B), ("quote_author", 0.4, B)];

/// A word matching a note and its quotes, or a phrase matching several
/// fields, scores its best part plus this share of the others: quotes are
/// other documents, with their own lengths, so they cannot join the note's
/// BM25F sum (the book-review figures above are with 0.2).
pub const TIE_BREAKER: f32 = 0.2;

/// The phrase of a word punctuation cuts (`birth-weight`) adds this share
/// of its score to its parts' where they stand side by side. The phrase is
/// scored per field by Tantivy (its words' idfs summed, the field's weight
/// applied, no saturation with the words' BM25F), so at 1 it outweighs the
/// words themselves. SciFact nDCG@10 with the shares 0 / 0.05 / 0.1 / 0.25
/// / 1: 0.7024 / 0.7020 / 0.7009 / 0.6991 / 0.6753 (claims are not typed
/// the way their abstracts write the words); 0.05 decides between notes
/// the words alone score alike, at a cost within SciFact's noise.
pub const ADJACENT: f32 = 0.05;

/// Longer than this many plain words, a query ranks by BM25F over any
/// word: requiring all of a sentence's words would put poor all-word
/// matches above good any-word ones. Below it, hits with every word come
/// first: SciFact nDCG@10 0.7020 both ways (53 of 809 claims are this
/// short), before BM25F 0.5856 with the rule and 0.5815 without; book
/// reviews' topic queries 40.00 both ways. It stays: it never hurt, and a
/// person typing two words expects notes with both first.
pub const ALL_WORDS_MAX: usize = 6;
