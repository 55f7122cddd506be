//! The query layer: query text in, ranked hits with snippets and page
//! references out.
//!
//! A search runs in up to three passes over one searcher snapshot: every
//! word ([`Mode::All`]); when that finds fewer than the limit, the rest is
//! filled with any-word matches ([`Mode::Any`]); when nothing matched at all
//! (or near matches were asked for), near spellings ([`Mode::Fuzzy`]). Hits
//! of an earlier pass always rank above hits of a later one, so exact
//! matches always outrank near ones.

pub mod best_field;
pub mod hit;
pub mod join;
pub mod query;
pub mod semantic;
pub mod snippet;

use std::collections::HashSet;

use tantivy::collector::{Count, TopDocs};
use tantivy::schema::Value;
use tantivy::{DocAddress, DocSet, Searcher, TantivyDocument};

use crate::error::{Error, Result};
use crate::index::FolioIndex;
use crate::index::document::{Card, Spans};
use crate::index::update::PathDisplay;
use crate::note::Reference;
pub use hit::{FoundBy, Hit, Matching, NoteHit, NoteInfo, QuoteHit, Results, SideRank};
use query::{Builder, HighlightTerms};
pub use query::{Filters, Mode, Target};

/// What to search for.
#[derive(Debug, Clone)]
pub struct Request {
    /// The query text.
    pub query: String,
    /// Notes or quotes.
    pub target: Target,
    /// How many hits.
    pub limit: usize,
    /// Filters from flags.
    pub filters: Filters,
    /// Also show near matches after the exact ones.
    pub fuzzy: bool,
    /// Hits with every word first (the default); `false` ranks by plain
    /// BM25 over any word.
    pub all_first: bool,
    /// Search the text as plain words, without the query syntax: no
    /// `field:`, `-word`, quotes or `OR` (what `folio bench --relevance`
    /// does with test-collection queries, which are sentences).
    pub plain: bool,
}

impl Request {
    /// The top 10 for `query`, every word first, no filters, no near
    /// matches: what `folio search` does without flags.
    pub fn new(query: impl Into<String>, target: Target) -> Self {
        Request {
            query: query.into(),
            target,
            limit: 10,
            filters: Filters::default(),
            fuzzy: false,
            all_first: true,
            plain: false,
        }
    }
}

/// A searcher over one index.
pub struct Engine {
    ix: FolioIndex,
    reader: tantivy::IndexReader,
}

impl Engine {
    /// Opens a searcher on the index's last commit.
    pub fn open(ix: FolioIndex) -> Result<Self> {
        let reader = ix.reader()?;
        Ok(Engine::with_reader(ix, reader))
    }

    /// A searcher on a reader already open on `ix` (as
    /// [`crate::index::update::update_and_read`] hands back).
    pub fn with_reader(ix: FolioIndex, reader: tantivy::IndexReader) -> Self {
        Engine { ix, reader }
    }

    /// The index searched.
    pub fn index(&self) -> &FolioIndex {
        &self.ix
    }

    /// Runs a search.
    pub fn search(&self, request: &Request) -> Result<Results> {
        let lexical = self.rank(request, request.limit)?;
        self.render(request, lexical)
    }

    /// The word ranking: up to `limit` documents, best first, and what to
    /// highlight in them.
    pub fn rank(&self, request: &Request, limit: usize) -> Result<Ranked> {
        let searcher = self.reader.searcher();
        let parsed = if request.plain {
            query::parse_plain(&request.query)
        } else {
            query::parse(&request.query)
        };
        let mut notices = parsed.notices.clone();
        let limit = limit.max(1);
        let mut builder = Builder::new(&self.ix.fields, &searcher, request.target);
        let mut seen: HashSet<DocAddress> = HashSet::new();
        let mut ranked: Vec<(f32, DocAddress)> = Vec::new();
        let mut highlights = HighlightTerms::default();
        let mut matching = Matching::All;
        let mut total = 0;

        let long = parsed.plain_words > query::ALL_WORDS_MAX || !request.all_first;
        let modes: &[Mode] = if long { &[Mode::Any] } else { &[Mode::All, Mode::Any] };
        for &mode in modes {
            if ranked.len() >= limit && mode == Mode::Any {
                break;
            }
            let Some(q) = builder.build(&parsed, mode, &request.filters) else { break };
            let before = ranked.len();
            let count = fill(&searcher, &*q, limit, &mut seen, &mut ranked, "searching")?;
            total = total.max(count);
            merge(&mut highlights, &builder.highlights);
            if mode == Mode::Any && ranked.len() > before || long {
                matching = Matching::Any;
            }
            if parsed.plain_words <= 1 && mode == Mode::All {
                break; // one word: any is the same as all
            }
        }
        if ranked.is_empty() || request.fuzzy {
            let exact = ranked.len();
            if let Some(q) = builder.build(&parsed, Mode::Fuzzy, &request.filters) {
                let count =
                    fill(&searcher, &*q, limit, &mut seen, &mut ranked, "searching near matches")?;
                merge(&mut highlights, &builder.highlights);
                if exact == 0 && !ranked.is_empty() {
                    total = count;
                    matching = Matching::Fuzzy;
                    notices.push(format!(
                        "no exact match; showing near matches for “{}”",
                        request.query.trim()
                    ));
                }
            }
        }
        notices.append(&mut builder.notices);
        notices.dedup();
        Ok(Ranked { ranked, highlights, matching, total, notices, only_words: parsed.only_words() })
    }

    /// Loads and renders ranked documents as hits.
    pub fn render(&self, request: &Request, ranked: Ranked) -> Result<Results> {
        let Ranked { ranked, highlights, matching, total, notices, .. } = ranked;
        let searcher = self.reader.searcher();
        let mut highlighter = snippet::Highlighter::new(&highlights);
        let paths = PathDisplay::new();
        let mut hits = Vec::with_capacity(ranked.len());
        for (score, addr) in ranked {
            let doc: TantivyDocument =
                searcher.doc(addr).map_err(|e| Error::tantivy("loading a hit", e))?;
            hits.push(match request.target {
                Target::Notes => self.note_hit(&doc, score, &mut highlighter, &paths),
                Target::Quotes => self.quote_hit(&doc, score, &mut highlighter, &paths),
            });
        }
        Ok(Results { query: request.query.clone(), matching, total, notices, hits })
    }

    fn note_hit(
        &self,
        doc: &TantivyDocument,
        score: f32,
        highlighter: &mut snippet::Highlighter,
        paths: &PathDisplay,
    ) -> Hit {
        let f = &self.ix.fields;
        let card: Card = json_field(doc, f.card).unwrap_or_default();
        let spans: Spans = json_field(doc, f.spans).unwrap_or_default();
        let body = text_field(doc, f.body_text);
        let matches = highlighter.find(body);
        let snippet = snippet::best(body, &matches);
        let matching_quotes = spans
            .quotes
            .iter()
            .filter(|q| {
                // Matches are in order: the first one at or after the
                // quote's start decides (not a scan per quote).
                let first = matches.partition_point(|m| m.start < q.start);
                matches.get(first).is_some_and(|m| m.end <= q.end)
            })
            .count();
        let reference = if matches.is_empty() { None } else { reference_for(&spans, &snippet) };
        let path = paths.show(std::path::Path::new(&card.path));
        let NoteInfo { name, titles, authors, year } = card.into();
        Hit::Note(NoteHit {
            path,
            name,
            titles,
            authors,
            year,
            score,
            snippet,
            reference,
            matching_quotes,
        })
    }

    fn quote_hit(
        &self,
        doc: &TantivyDocument,
        score: f32,
        highlighter: &mut snippet::Highlighter,
        paths: &PathDisplay,
    ) -> Hit {
        let f = &self.ix.fields;
        let card: Card = json_field(doc, f.card).unwrap_or_default();
        let text = text_field(doc, f.quote);
        let matches = highlighter.find(text);
        let whole = snippet::whole(text, &matches);
        Hit::Quote(QuoteHit {
            path: paths.show(std::path::Path::new(&card.path)),
            line: doc.get_first(f.line).and_then(|v| v.as_u64()).unwrap_or(0),
            text: whole.text,
            highlights: whole.highlights,
            reference: json_field(doc, f.reference),
            note_text: doc.get_first(f.note_text).and_then(|v| v.as_str()).map(str::to_string),
            added: doc.get_first(f.added).and_then(|v| v.as_str()).map(str::to_string),
            note: card.into(),
            score,
            found_by: None,
        })
    }

    /// The searcher of the current snapshot (for benches and tests).
    pub fn searcher(&self) -> Searcher {
        self.reader.searcher()
    }
}

/// A word ranking before its hits are loaded.
#[derive(Debug, Clone)]
pub struct Ranked {
    /// Documents, best first, with their scores.
    pub ranked: Vec<(f32, DocAddress)>,
    /// What to highlight.
    pub highlights: HighlightTerms,
    /// How the hits match.
    pub matching: Matching,
    /// Matching documents in all.
    pub total: usize,
    /// Things the person should know.
    pub notices: Vec<String>,
    /// Whether the query was plain words only ([`query::ParsedQuery::only_words`]).
    pub only_words: bool,
}

/// Runs one pass and adds its hits not seen yet, up to `limit` in all;
/// returns how many documents the pass matched.
fn fill(
    searcher: &Searcher,
    query: &dyn tantivy::query::Query,
    limit: usize,
    seen: &mut HashSet<DocAddress>,
    ranked: &mut Vec<(f32, DocAddress)>,
    doing: &str,
) -> Result<usize> {
    let (top, count) = searcher
        .search(query, &(TopDocs::with_limit(limit + ranked.len()).order_by_score(), Count))
        .map_err(|e| Error::tantivy(doing, e))?;
    for (score, addr) in top {
        if ranked.len() < limit && seen.insert(addr) {
            ranked.push((score, addr));
        }
    }
    Ok(count)
}

/// An explanation from a weight's own scorer (folio's custom queries
/// explain a document by its score): `label` when `doc` matches, else an
/// error saying `no_match`.
fn explain_by_score(
    weight: &dyn tantivy::query::Weight,
    reader: &tantivy::SegmentReader,
    doc: tantivy::DocId,
    label: &'static str,
    no_match: &str,
) -> tantivy::Result<tantivy::query::Explanation> {
    let mut scorer = weight.scorer(reader, 1.0)?;
    if scorer.seek(doc) != doc {
        return Err(tantivy::TantivyError::InvalidArgument(format!("document {doc} {no_match}")));
    }
    Ok(tantivy::query::Explanation::new(label, scorer.score()))
}

fn merge(into: &mut HighlightTerms, from: &HighlightTerms) {
    into.words.extend(from.words.iter().cloned());
    into.surface.extend(from.surface.iter().cloned());
    for phrase in &from.phrases {
        if !into.phrases.contains(phrase) {
            into.phrases.push(phrase.clone());
        }
    }
}

fn text_field(doc: &TantivyDocument, field: tantivy::schema::Field) -> &str {
    doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("")
}

fn json_field<T: serde::de::DeserializeOwned>(
    doc: &TantivyDocument,
    field: tantivy::schema::Field,
) -> Option<T> {
    doc.get_first(field).and_then(|v| v.as_str()).and_then(|s| serde_json::from_str(s).ok())
}

/// The reference for a snippet cut from `source` bytes of the body: the
/// quote it is in, else the nearest inline reference in its paragraph.
fn reference_for(spans: &Spans, snippet: &snippet::Snippet) -> Option<Reference> {
    let (from, to) = snippet.source;
    if let Some(q) = spans.quotes.iter().find(|q| from < q.end && to > q.start) {
        return q.reference.clone();
    }
    let para = snippet.paragraph;
    spans
        .inline
        .iter()
        .filter(|r| r.offset >= para.0 && r.offset < para.1)
        .min_by_key(|r| r.offset.abs_diff(from))
        .map(|r| r.reference.clone())
}
