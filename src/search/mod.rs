//! The query layer: query text in, ranked hits with snippets and page
//! references out.
//!
//! A search runs in up to three passes over one searcher snapshot: every
//! word ([`Pass::All`]); when that finds fewer than the limit, the rest is
//! filled with any-word matches ([`Pass::Any`]); when nothing matched at all
//! (or near matches were asked for), near spellings ([`Pass::Fuzzy`]). Hits
//! of an earlier pass always rank above hits of a later one, so exact
//! matches always outrank near ones.

pub mod best_field;
pub mod bm25f;
pub mod hit;
pub mod join;
pub mod note;
pub mod policy;
pub mod query;
pub mod ranking;
pub mod semantic;
pub mod snippet;
pub mod topk;

use std::collections::{HashMap, HashSet};

use tantivy::collector::{Count, TopDocs};
use tantivy::schema::Value;
use tantivy::{DocAddress, Searcher, TantivyDocument};

use crate::error::{Error, Result};
use crate::index::FolioIndex;
use crate::index::analyzer::untag;
use crate::index::document::{NoteCard, Spans};
use crate::note::Reference;
pub use hit::{
    Explanation, FoundBy, Hit, Matching, NoteHit, NoteInfo, QuoteHit, Results, SideRank,
};
use query::{Builder, HighlightTerms};
pub use query::{Filters, Pass, Target};

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
    /// Hits with every word first (the default); `false` ranks by
    /// BM25F over any word.
    pub all_first: bool,
    /// Explain each hit's score ([`Explanation`]).
    pub explain: bool,
    /// Count every match exactly (`--count`). Without it, a query Tantivy
    /// can prune collects only its top hits, and `total` is exact only up
    /// to [`COUNT_CAP`] (see `fill`).
    pub count: bool,
    /// The ranking asked for; `None`: hybrid when there is a model and
    /// vectors, else words ([`policy::decide`]).
    pub rank: Option<semantic::RankMode>,
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
            explain: false,
            count: false,
            rank: None,
        }
    }
}

/// A searcher over one index.
pub struct Engine {
    ix: FolioIndex,
    reader: tantivy::IndexReader,
    bounds: std::sync::Arc<crate::index::bounds::BoundFiles>,
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
        let bounds = std::sync::Arc::new(crate::index::bounds::BoundFiles::new(&ix.dir));
        Engine { ix, reader, bounds }
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
        let parsed = query::parse(&request.query);
        let mut notices = parsed.notices.clone();
        let limit = limit.max(1);
        let mut builder = Builder::new(&self.ix.fields, &searcher, request.target);
        builder.explaining = request.explain;
        builder.bounds = Some(self.bounds.clone());
        let mut seen: HashSet<DocAddress> = HashSet::new();
        let mut ranked: Vec<(f32, DocAddress)> = Vec::new();
        // Each pass's query, and the pass of each hit (for explanations).
        let mut passes: Vec<(&'static str, Box<dyn tantivy::query::Query>)> = Vec::new();
        let mut pass_of: Vec<usize> = Vec::new();
        let mut highlights = HighlightTerms::default();
        let mut matching = Matching::All;
        let mut total = Total { count: 0, exact: true };

        let long = parsed.plain_words > query::ALL_WORDS_MAX || !request.all_first;
        let modes: &[Pass] = if long { &[Pass::Any] } else { &[Pass::All, Pass::Any] };
        for &mode in modes {
            if ranked.len() >= limit && mode == Pass::Any {
                break;
            }
            let Some(q) = builder.build(&parsed, mode, &request.filters) else { break };
            let before = ranked.len();
            let count =
                fill(&searcher, &*q, limit, request.count, &mut seen, &mut ranked, "searching")?;
            pass_of.resize(ranked.len(), passes.len());
            passes.push((pass_label(mode, long, parsed.plain_words), q));
            total = total.max(count);
            merge(&mut highlights, &builder.highlights);
            if mode == Pass::Any && ranked.len() > before || long {
                matching = Matching::Any;
            }
            if parsed.plain_words <= 1 && mode == Pass::All {
                break; // one word: any is the same as all
            }
        }
        if ranked.is_empty() || request.fuzzy {
            let exact = ranked.len();
            if let Some(q) = builder.build(&parsed, Pass::Fuzzy, &request.filters) {
                let count = fill(
                    &searcher,
                    &*q,
                    limit,
                    request.count,
                    &mut seen,
                    &mut ranked,
                    "searching near matches",
                )?;
                pass_of.resize(ranked.len(), passes.len());
                passes.push((pass_label(Pass::Fuzzy, long, parsed.plain_words), q));
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
        let mut explanations = HashMap::new();
        if request.explain {
            for (i, &(score, addr)) in ranked.iter().enumerate() {
                if let Some((pass, q)) = pass_of.get(i).and_then(|&p| passes.get(p)) {
                    explanations.insert(addr, explain(&searcher, &**q, pass, addr, score)?);
                }
            }
        }
        Ok(Ranked {
            ranked,
            highlights,
            matching,
            total,
            notices,
            only_words: parsed.only_words(),
            explanations,
        })
    }

    /// Loads and renders ranked documents as hits.
    pub fn render(&self, request: &Request, ranked: Ranked) -> Result<Results> {
        let Ranked { ranked, highlights, matching, total, notices, mut explanations, .. } = ranked;
        let searcher = self.reader.searcher();
        let mut highlighter = snippet::Highlighter::new(&highlights);
        let mut hits = Vec::with_capacity(ranked.len());
        for (score, addr) in ranked {
            let doc: TantivyDocument =
                searcher.doc(addr).map_err(|e| Error::tantivy("loading a hit", e))?;
            let mut hit = match request.target {
                Target::Notes => self.note_hit(&doc, score, &mut highlighter),
                Target::Quotes => self.quote_hit(&doc, score, &mut highlighter),
            };
            if let Some(why) = explanations.remove(&addr) {
                match &mut hit {
                    Hit::Note(h) => h.explanation = Some(why),
                    Hit::Quote(h) => h.explanation = Some(why),
                }
            }
            hits.push(hit);
        }
        Ok(Results {
            query: request.query.clone(),
            matching,
            total: total.count.max(hits.len()),
            total_exact: total.exact,
            notices,
            hits,
        })
    }

    fn note_hit(
        &self,
        doc: &TantivyDocument,
        score: f32,
        highlighter: &mut snippet::Highlighter,
    ) -> Hit {
        let f = &self.ix.fields;
        let card: NoteCard = json_field(doc, f.card).unwrap_or_default();
        let spans: Spans = json_field(doc, f.spans).unwrap_or_default();
        let body = text_field(doc, f.body_text);
        let language = doc.get_first(f.language).and_then(|v| v.as_str());
        let matches = highlighter.find_in(body, language);
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
        let id = hit::note_key(&card.path, &card.name);
        Hit::Note(NoteHit {
            id,
            card,
            score,
            snippet,
            reference,
            matching_quotes,
            found_by: None,
            explanation: None,
        })
    }

    fn quote_hit(
        &self,
        doc: &TantivyDocument,
        score: f32,
        highlighter: &mut snippet::Highlighter,
    ) -> Hit {
        let f = &self.ix.fields;
        let card: NoteCard = json_field(doc, f.card).unwrap_or_default();
        let text = untag(text_field(doc, f.quote));
        let language = doc.get_first(f.language).and_then(|v| v.as_str());
        let matches = highlighter.find_in(text, language);
        let whole = snippet::whole(text, &matches);
        let note_id = hit::note_key(&card.path, &card.name);
        let line = doc.get_first(f.line).and_then(|v| v.as_u64()).unwrap_or(0);
        Hit::Quote(QuoteHit {
            id: hit::quote_key(&note_id, line),
            note_id,
            path: card.path.clone(),
            line,
            text: whole.text,
            highlights: whole.highlights,
            reference: json_field(doc, f.reference),
            note_text: doc
                .get_first(f.note_text)
                .and_then(|v| v.as_str())
                .map(|t| untag(t).to_string()),
            added: doc.get_first(f.added).and_then(|v| v.as_str()).map(str::to_string),
            note: card.into(),
            score,
            found_by: None,
            explanation: None,
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
    /// Matching documents in all (a lower bound when not counted).
    pub total: Total,
    /// Things the person should know.
    pub notices: Vec<String>,
    /// Whether the query was plain words only ([`query::ParsedQuery::only_words`]).
    pub only_words: bool,
    /// Why each document scores what it does (`--explain` only).
    pub explanations: HashMap<DocAddress, Explanation>,
}

/// Matches counted without `--count` stop here: `total` is then a lower
/// bound (shown as "1,000+").
pub const COUNT_CAP: usize = 1000;

/// How many documents a pass matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Total {
    /// Documents counted.
    pub count: usize,
    /// `false` when counting stopped at [`COUNT_CAP`].
    pub exact: bool,
}

impl Total {
    /// The larger of two counts (each pass's matches include the earlier
    /// passes' in practice: all words, then any word).
    fn max(self, other: Total) -> Total {
        if other.count > self.count { other } else { self }
    }
}

/// Runs one pass and adds its hits not seen yet, up to `limit` in all;
/// returns how many documents the pass matched.
///
/// Counting costs nothing when every match is scored anyway, which is what
/// Tantivy does for folio's own queries (a word over several fields, the
/// quote join): its top-k collection only skips blocks (block-max WAND)
/// for a single term or a boolean query of plain term queries. So matches
/// are counted in the same pass unless the query is one Tantivy can prune
/// ([`topk::prunable`]) and no count was asked for: then only the top documents
/// are collected, and when as many came back as were asked, matches are
/// counted without scoring up to [`COUNT_CAP`]. On the benchmark mix at
/// 20,000 notes, collecting without the count and counting up to the cap
/// afterwards was 0.69 ms p50 against 0.52 ms for one counting pass.
fn fill(
    searcher: &Searcher,
    query: &dyn tantivy::query::Query,
    limit: usize,
    count: bool,
    seen: &mut HashSet<DocAddress>,
    ranked: &mut Vec<(f32, DocAddress)>,
    doing: &str,
) -> Result<Total> {
    let want = limit + ranked.len();
    let top_docs = TopDocs::with_limit(want).order_by_score();
    let (top, total) = if count || !topk::prunable(query) {
        let (top, n) =
            searcher.search(query, &(top_docs, Count)).map_err(|e| Error::tantivy(doing, e))?;
        (top, Total { count: n, exact: true })
    } else {
        let top = topk::top_k(searcher, query, want).map_err(|e| Error::tantivy(doing, e))?;
        let total = if top.len() < want {
            Total { count: top.len(), exact: true }
        } else {
            count_up_to(searcher, query, COUNT_CAP).map_err(|e| Error::tantivy(doing, e))?
        };
        (top, total)
    };
    for (score, addr) in top {
        if ranked.len() < limit && seen.insert(addr) {
            ranked.push((score, addr));
        }
    }
    Ok(total)
}

/// Counts the live documents `query` matches, without scoring, stopping at
/// `cap`.
fn count_up_to(
    searcher: &Searcher,
    query: &dyn tantivy::query::Query,
    cap: usize,
) -> tantivy::Result<Total> {
    let weight = query.weight(tantivy::query::EnableScoring::disabled_from_searcher(searcher))?;
    let mut count = 0;
    for reader in searcher.segment_readers() {
        let mut scorer = weight.scorer(reader, 1.0)?;
        let alive = reader.alive_bitset();
        let mut doc = scorer.doc();
        while doc != tantivy::TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                count += 1;
                if count >= cap {
                    return Ok(Total { count, exact: false });
                }
            }
            doc = scorer.advance();
        }
    }
    Ok(Total { count, exact: true })
}

/// What a pass does, for explanations.
fn pass_label(mode: Pass, long: bool, words: usize) -> &'static str {
    match mode {
        Pass::All if words > 1 => "every-word pass: hits with every word rank above the rest",
        Pass::All => "one word: BM25F",
        Pass::Any if long => "any word: BM25F summed over the words found",
        Pass::Any => "any-word pass: ranks after the hits with every word",
        Pass::Fuzzy => "near-spelling pass: ranks after the exact hits",
    }
}

/// Why the hit at `addr` scored `score` in the pass that found it: the
/// pass, then Tantivy's explanation of the pass's query.
fn explain(
    searcher: &Searcher,
    query: &dyn tantivy::query::Query,
    pass: &str,
    addr: DocAddress,
    score: f32,
) -> Result<Explanation> {
    let tree = query.explain(searcher, addr).map_err(|e| Error::tantivy("explaining a hit", e))?;
    let tree: Explanation =
        serde_json::to_value(&tree).and_then(serde_json::from_value).map_err(|e| {
            Error::tantivy(
                "explaining a hit",
                tantivy::TantivyError::InvalidArgument(e.to_string()),
            )
        })?;
    Ok(Explanation { value: score, description: pass.to_string(), details: vec![tree] })
}

fn merge(into: &mut HighlightTerms, from: &HighlightTerms) {
    into.words.extend(from.words.iter().cloned());
    into.surface.extend(from.surface.iter().cloned());
    into.variants.extend(from.variants.iter().map(|(v, w)| (v.clone(), w.clone())));
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

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::query::{BooleanQuery, DisjunctionMaxQuery, Occur, Query, TermQuery};
    use tantivy::schema::{IndexRecordOption, Schema, TEXT};
    use tantivy::{Index, Term, doc};

    fn term(field: tantivy::schema::Field, word: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(Term::from_field_text(field, word), IndexRecordOption::WithFreqs))
    }

    /// A query Tantivy can prune collects its top hits and counts up to
    /// the cap; asked to count, or a query it cannot prune, counts all.
    #[test]
    fn totals_past_the_cap_are_lower_bounds_unless_counted() -> tantivy::Result<()> {
        let mut schema = Schema::builder();
        let text = schema.add_text_field("text", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer::<TantivyDocument>(15_000_000)?;
        for i in 0..3000 {
            writer.add_document(doc!(text => if i % 2 == 0 { "common even" } else { "common" }))?;
        }
        writer.commit()?;
        let searcher = index.reader()?.searcher();
        let run = |q: &dyn Query, count: bool| {
            let (mut seen, mut ranked) = (HashSet::new(), Vec::new());
            let total = fill(&searcher, q, 10, count, &mut seen, &mut ranked, "test");
            (total.expect("searches"), ranked.len())
        };
        let plain = term(text, "common");
        assert!(topk::prunable(&*plain));
        assert_eq!(run(&*plain, false), (Total { count: COUNT_CAP, exact: false }, 10));
        assert_eq!(run(&*plain, true), (Total { count: 3000, exact: true }, 10));
        let both = BooleanQuery::new(vec![
            (Occur::Must, term(text, "common")),
            (Occur::Must, term(text, "even")),
        ]);
        assert!(topk::prunable(&both));
        assert_eq!(run(&both, false).0, Total { count: COUNT_CAP, exact: false });
        // A few matches are all counted.
        let rare = BooleanQuery::new(vec![(Occur::Must, term(text, "nowhere"))]);
        assert_eq!(run(&rare, false).0, Total { count: 0, exact: true });
        // Folio's shapes (a word over fields) are scored in full: counted.
        let dismax = BooleanQuery::new(vec![(
            Occur::Must,
            Box::new(DisjunctionMaxQuery::new(vec![term(text, "common")])) as Box<dyn Query>,
        )]);
        assert!(!topk::prunable(&dismax));
        assert_eq!(run(&dismax, false).0, Total { count: 3000, exact: true });
        Ok(())
    }
}
