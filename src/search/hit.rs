//! Hits: what a search returns, the only types the output layer sees.
//!
//! # JSON contract (`folio search --json`, `folio quotes --json`)
//!
//! One object: `{query, matching, total, total_exact, notices, hits: [...]}`
//! where `matching` is `all` (every hit has every word), `any` (some hits
//! were filled in with fewer words) or `fuzzy` (no exact match; near
//! spellings), and `total` counts the matching documents: exactly when
//! `total_exact` is `true`, else it is a lower bound (a search Tantivy can
//! prune counts only up to 1,000 unless `--count` asks for every match).
//! A note hit is
//!
//! ```text
//! {kind: "note", id, path, name, titles[{text, url}], authors[], year, score,
//!  snippet: {text, highlights: [[start, end], ...]}, reference, matching_quotes, found_by}
//! ```
//!
//! and a quote hit is
//!
//! ```text
//! {kind: "quote", id, note_id, path, line, text, highlights, reference, note_text, added,
//!  note: {name, titles, authors, year}, score, found_by}
//! ```
//!
//! `found_by` appears on the hits of a search by meaning or a hybrid one
//! (a note's meaning score is its best passage's cosine):
//! `{lexical: {rank, score} | null, semantic: {rank, score} | null,
//! lexical_weight}` (BM25 score, cosine), and `matching` is then `meaning`
//! or `hybrid`.
//! With `--explain`, each hit also has `explanation`: `{value, description,
//! details: [...]}`, a tree whose root's value is the hit's score: the pass
//! that found the hit (every word, any word, near spellings), then
//! Tantivy's explanation of the query (clauses summed, BM25F per word with
//! each field's part, the quote join, boosts).
//!
//! `id` is the note's index id (a hex string, stable while the note keeps
//! its file and name; `GET /api/notes/{id}` under `folio serve` reads it);
//! a quote's `id` is its note's id, `:`, and its line, and `note_id` its
//! note's id. Ids are opaque: never paths.
//!
//! `reference` is `{display, kind, pages, locations, attribution, url}` or
//! `null` (`kind` `location` for a Kindle location without a page);
//! `note_text` is the reader's own note on a highlight and `added` the ISO
//! date it was made, each `null` when there is none;
//! highlight offsets are character (not byte) offsets into the text they
//! belong to, end exclusive.

use serde::{Deserialize, Serialize};

use super::snippet::Snippet;
use crate::note::{Reference, Title};

/// A note's index id: 16 hex digits of the xxh3 of its file's path, then 8
/// of its name's (a clippings file holds one note per book). Opaque: the
/// path cannot be read back from it, so an id in a URL names no file.
pub fn note_key(path: &str, name: &str) -> String {
    let file = xxhash_rust::xxh3::xxh3_64(path.as_bytes());
    let name = xxhash_rust::xxh3::xxh3_64(name.as_bytes()) as u32;
    format!("{file:016x}{name:08x}")
}

/// A quote's id: its note's id and its line.
pub fn quote_key(note_id: &str, line: u64) -> String {
    format!("{note_id}:{line}")
}

/// Whether hits have every word of the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Matching {
    /// Every hit has every word.
    All,
    /// Some hits have only some words.
    Any,
    /// No exact match: hits match near spellings.
    Fuzzy,
    /// Ranked by meaning (`--mode semantic`, `--like`): hits need not
    /// share a word with the query.
    Meaning,
    /// Words and meaning together (`--mode hybrid`).
    Hybrid,
}

/// Where one ranking placed a hit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct SideRank {
    /// 1-based rank in that ranking.
    pub rank: usize,
    /// Its score there (BM25 for words, cosine for meaning).
    pub score: f32,
}

/// Which rankings found a hit (`--mode hybrid`), and the word ranking's
/// weight in the fused score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, schemars::JsonSchema)]
pub struct FoundBy {
    /// The word ranking's place, when it found the hit.
    pub lexical: Option<SideRank>,
    /// The meaning ranking's place, when it found the hit.
    pub semantic: Option<SideRank>,
    /// The weight of words in this query's fusion (meaning has `1 - weight`).
    pub lexical_weight: f32,
}

/// The note a quote belongs to.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct NoteInfo {
    /// Note name.
    pub name: String,
    /// Titles.
    pub titles: Vec<Title>,
    /// Authors.
    pub authors: Vec<String>,
    /// Year.
    pub year: Option<u64>,
}

impl From<crate::index::document::NoteCard> for NoteInfo {
    fn from(card: crate::index::document::NoteCard) -> Self {
        NoteInfo { name: card.name, titles: card.titles, authors: card.authors, year: card.year }
    }
}

/// A ranked note.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct NoteHit {
    /// The note's index id ([`note_key`]).
    pub id: String,
    /// The note's file (absolute: front ends show it as they see fit),
    /// name, titles, authors and year.
    #[serde(flatten)]
    pub card: crate::index::document::NoteCard,
    /// Score (higher is better; all-word hits come first regardless).
    pub score: f32,
    /// The best fragment of the note.
    pub snippet: Snippet,
    /// The page reference of the passage or quote the snippet is from.
    pub reference: Option<Reference>,
    /// How many of the note's quotes contain query words.
    pub matching_quotes: usize,
    /// Which rankings found it (a search by meaning or a hybrid one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found_by: Option<FoundBy>,
    /// Why it ranks where it does (`--explain`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
}

/// A ranked quote.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct QuoteHit {
    /// The quote's id: its note's id, `:`, its line ([`quote_key`]).
    pub id: String,
    /// Its note's index id.
    pub note_id: String,
    /// The note's file.
    pub path: String,
    /// The quote's line in the file.
    pub line: u64,
    /// The whole quote.
    pub text: String,
    /// Character ranges of matches in `text`.
    pub highlights: Vec<[usize; 2]>,
    /// Its reference.
    pub reference: Option<Reference>,
    /// The reader's own note on the highlight.
    pub note_text: Option<String>,
    /// When the highlight was made (ISO 8601).
    pub added: Option<String>,
    /// Its note.
    pub note: NoteInfo,
    /// Score.
    pub score: f32,
    /// Which rankings found it (hybrid and meaning searches only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found_by: Option<FoundBy>,
    /// Why it ranks where it does (`--explain`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<Explanation>,
}

/// Why a hit scores what it does: a value, what it is, and the values it
/// is made of (Tantivy's `Explanation`, read back as data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Explanation {
    /// This part's value.
    pub value: f32,
    /// What it is.
    pub description: String,
    /// The parts it is computed from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<Explanation>,
}

/// One hit.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Hit {
    /// A note.
    Note(NoteHit),
    /// A quote.
    Quote(QuoteHit),
}

/// What a search found.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Results {
    /// The query as given.
    pub query: String,
    /// How the hits match.
    pub matching: Matching,
    /// Matching documents in all, or at least this many when
    /// `total_exact` is `false`.
    pub total: usize,
    /// Whether `total` was counted to the end (`--count`, or few matches).
    pub total_exact: bool,
    /// Things the person should know (syntax fallback, near matches, …).
    pub notices: Vec<String>,
    /// Ranked hits.
    pub hits: Vec<Hit>,
}
