//! Quotes by meaning: the quotes whose vectors are nearest a query's, and
//! their fusion with the word ranking (`--mode hybrid`).
//!
//! The meaning side scans the index's vectors ([`VectorStore::nearest`]),
//! then keeps the nearest quotes that pass the same filters a word search
//! applies (asking for more vectors until enough pass). The hybrid ranking
//! takes the word ranking's candidates and the meaning side's, gives every
//! candidate both scores (a word candidate's cosine is read from its
//! vector; a meaning candidate without the words scores 0 for words),
//! normalises each side over the candidates and adds them with a weight
//! chosen per query ([`Fusion`]).
//!
//! A query with phrases, fields, exclusions or `OR` stays a word search:
//! those say exactly which passages are wanted, and meaning cannot honour
//! them.

use std::collections::HashMap;
use std::path::Path;

use tantivy::collector::TopDocs;
use tantivy::query::TermSetQuery;
use tantivy::schema::Value;
use tantivy::tokenizer::TokenStream;
use tantivy::{DocAddress, TantivyDocument, Term};

use super::hit::{FoundBy, Hit, Matching, Results, SideRank};
use super::query::{Builder, Filters, Target};
use super::{Engine, Ranked, Request, Total};
use crate::embed::store::VectorStore;
use crate::error::{Error, Result};

/// How hits are ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankMode {
    /// Words only (BM25): what folio did before it had a model.
    Lexical,
    /// Meaning only: cosine of sentence vectors.
    Semantic,
    /// Both, fused with a per-query weight.
    Hybrid,
}

/// Candidates each side contributes to a hybrid ranking (at least the
/// limit). Not tuned: the figures in BENCHMARKS.md were measured with 50.
const CANDIDATES: usize = 50;

/// The query's vector and the vectors it is compared with.
#[derive(Debug)]
pub struct Meaning<'a> {
    /// The index's vectors.
    pub store: &'a VectorStore,
    /// The query's unit vector.
    pub vector: Vec<f32>,
}

/// The weight of the word ranking in a hybrid ranking (the meaning side
/// gets `1 - weight`): `words · coverage^coverage_power`, where coverage is
/// the largest share of the query's words that one word candidate holds.
/// A query whose words all sit in one quote is remembered words; one that
/// shares a word or two with any quote is an idea put in other words, and
/// meaning leads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fusion {
    /// The word ranking's weight when one quote holds every word.
    pub words: f32,
    /// How fast the weight falls as fewer of the query's words are found.
    pub coverage_power: f32,
}

impl Default for Fusion {
    /// Tuned on both query sets at once (BENCHMARKS.md, Relevance:
    /// semantic), never on one kind alone.
    fn default() -> Self {
        Fusion { words: WORDS, coverage_power: COVERAGE_POWER }
    }
}

impl Fusion {
    /// The word ranking's weight for a query whose best word candidate
    /// holds `coverage` of its words.
    pub fn lexical_weight(&self, lexical: &Ranked, coverage: f32) -> f32 {
        if lexical.ranked.is_empty() {
            return 0.0;
        }
        self.words * coverage.clamp(0.0, 1.0).powf(self.coverage_power)
    }
}

/// Words' weight at full coverage. Over the 46 paraphrase and 40 keyword
/// queries (hybrid first / top 3 / keyword first places lost to lexical),
/// with power 3: 0.3 to 0.8 all give 20/35/0, so 0.6 keeps a query whose
/// words all sit in one quote led by its words when the model is unsure. A
/// fixed weight (power 0) gives 0.3 → 10/27/0, 0.5 → 3/10/0: plain fusion
/// throws the meaning side's gain away, as issue 13 measured.
pub const WORDS: f32 = 0.6;
/// Power of the coverage: with 0.6 words, 1 → 14/31/0, 2 → 19/33/0,
/// 3 → 20/35/0, 4 → 20/35/0 (at 3, a query with half its words found in
/// one quote weighs words 0.075).
pub const COVERAGE_POWER: f32 = 3.0;

impl Engine {
    /// The vector key of a quote document.
    pub fn key_of(&self, address: DocAddress) -> Option<u64> {
        let searcher = self.reader.searcher();
        let segment = searcher.segment_readers().get(address.segment_ord as usize)?;
        let name = self.ix.fields.schema.get_field_name(self.ix.fields.text_hash);
        segment.fast_fields().u64(name).ok()?.first(address.doc_id)
    }

    /// Up to `limit` quotes nearest `vector` that pass `filters`, best
    /// first, with their cosine; the quotes with key `exclude` are left out.
    pub fn nearest(
        &self,
        store: &VectorStore,
        vector: &[f32],
        filters: &Filters,
        limit: usize,
        exclude: Option<u64>,
    ) -> Result<Vec<(f32, DocAddress)>> {
        let searcher = self.reader.searcher();
        let mut want = (limit * 4).max(64);
        loop {
            let keys = store.nearest(vector, want);
            let cosine: HashMap<u64, f32> =
                keys.iter().copied().filter(|(k, _)| Some(*k) != exclude).collect();
            let terms = cosine.keys().map(|&k| Term::from_field_u64(self.ix.fields.text_hash, k));
            let mut builder = Builder::new(&self.ix.fields, &searcher, Target::Quotes);
            let query = builder.filtered(Box::new(TermSetQuery::new(terms)), filters);
            let docs = searcher
                .search(&*query, &TopDocs::with_limit(cosine.len().max(1) * 4).order_by_score())
                .map_err(|e| Error::tantivy("searching by meaning", e))?;
            let mut found: Vec<(f32, DocAddress)> = docs
                .into_iter()
                .filter_map(|(_, addr)| Some((*cosine.get(&self.key_of(addr)?)?, addr)))
                .collect();
            found.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            if found.len() >= limit || want >= store.len() {
                found.truncate(limit);
                return Ok(found);
            }
            want *= 8;
        }
    }

    /// Runs a search in `mode`. Without `meaning` (no model or no vectors),
    /// or for a query that is not plain words, it is a word search.
    pub fn search_by(
        &self,
        request: &Request,
        mode: RankMode,
        meaning: Option<&Meaning>,
    ) -> Result<Results> {
        self.search_fused(request, mode, meaning, &Fusion::default())
    }

    /// [`Engine::search_by`] with other fusion weights (for tuning them).
    pub fn search_fused(
        &self,
        request: &Request,
        mode: RankMode,
        meaning: Option<&Meaning>,
        fusion: &Fusion,
    ) -> Result<Results> {
        let limit = request.limit.max(1);
        let Some(meaning) = meaning.filter(|_| mode != RankMode::Lexical) else {
            return self.search(request);
        };
        let candidates = limit.max(CANDIDATES);
        let lexical = self.rank(request, candidates)?;
        if !lexical.only_words || request.target != Target::Quotes {
            let mut lexical = lexical;
            lexical.ranked.truncate(limit);
            return self.render(request, lexical);
        }
        let semantic =
            self.nearest(meaning.store, &meaning.vector, &request.filters, candidates, None)?;
        if mode == RankMode::Semantic {
            let mut sides = Vec::new();
            for (i, &(score, _)) in semantic.iter().take(limit).enumerate() {
                sides.push(FoundBy {
                    lexical: None,
                    semantic: Some(SideRank { rank: i + 1, score }),
                    lexical_weight: 0.0,
                });
            }
            let total = Total { count: semantic.len(), exact: true };
            let ranked = Ranked {
                ranked: semantic.into_iter().take(limit).collect(),
                matching: Matching::Meaning,
                total,
                ..lexical
            };
            return self.render_with(request, ranked, sides);
        }
        let coverage = self.coverage(&lexical);
        let weight = fusion.lexical_weight(&lexical, coverage);
        let fused = fuse(&lexical.ranked, &semantic, weight, |addr| {
            let vector = meaning.store.vector(self.key_of(addr)?)?;
            Some(crate::embed::dot(&vector, &meaning.vector))
        });
        let sides: Vec<FoundBy> = fused.iter().take(limit).map(|f| f.found_by).collect();
        let total =
            Total { count: lexical.total.count.max(fused.len()), exact: lexical.total.exact };
        let ranked = Ranked {
            ranked: fused.into_iter().take(limit).map(|f| (f.score, f.address)).collect(),
            matching: Matching::Hybrid,
            total,
            ..lexical
        };
        self.render_with(request, ranked, sides)
    }

    /// The largest share of the query's (analysed) words that one of the
    /// word candidates holds, from their stored text.
    fn coverage(&self, lexical: &Ranked) -> f32 {
        let words = &lexical.highlights.words;
        if words.is_empty() {
            return 0.0;
        }
        let searcher = self.reader.searcher();
        let f = &self.ix.fields;
        let mut analyzer = crate::index::schema::analyzer();
        let mut best = 0usize;
        for &(_, addr) in &lexical.ranked {
            let Ok(doc) = searcher.doc::<TantivyDocument>(addr) else { continue };
            let mut found = std::collections::HashSet::new();
            for field in [f.quote, f.note_text] {
                let Some(text) = doc.get_first(field).and_then(|v| v.as_str()) else { continue };
                let mut stream = analyzer.token_stream(text);
                while stream.advance() {
                    let term = &stream.token().text;
                    if words.contains(term) {
                        found.insert(term.clone());
                    }
                }
            }
            best = best.max(found.len());
            if best == words.len() {
                break;
            }
        }
        best as f32 / words.len() as f32
    }

    fn render_with(
        &self,
        request: &Request,
        ranked: Ranked,
        sides: Vec<FoundBy>,
    ) -> Result<Results> {
        let mut results = self.render(request, ranked)?;
        for (hit, side) in results.hits.iter_mut().zip(sides) {
            if let Hit::Quote(q) = hit {
                q.found_by = Some(side);
            }
        }
        Ok(results)
    }

    /// The quote of the note file `path` at `line` (or the one that starts
    /// last before it), and its vector key.
    pub fn quote_at(&self, path: &Path, line: u64) -> Result<Option<(DocAddress, u64)>> {
        let canonical = path.canonicalize().map_err(|e| Error::io(path, e))?;
        let id = crate::index::update::note_id(&canonical);
        let searcher = self.reader.searcher();
        let f = &self.ix.fields;
        let mut builder = Builder::new(f, &searcher, Target::Quotes);
        let query = builder.filtered(
            Box::new(tantivy::query::TermQuery::new(
                Term::from_field_text(f.file_id, &id),
                tantivy::schema::IndexRecordOption::Basic,
            )),
            &Filters::default(),
        );
        let docs = searcher
            .search(&*query, &TopDocs::with_limit(100_000).order_by_score())
            .map_err(|e| Error::tantivy("finding the quote", e))?;
        let mut best: Option<(u64, DocAddress)> = None;
        for (_, addr) in docs {
            let doc: TantivyDocument =
                searcher.doc(addr).map_err(|e| Error::tantivy("loading a quote", e))?;
            let at = doc.get_first(f.line).and_then(|v| v.as_u64()).unwrap_or(0);
            if at <= line && best.is_none_or(|(b, _)| at > b) {
                best = Some((at, addr));
            }
        }
        Ok(best.and_then(|(_, addr)| Some((addr, self.key_of(addr)?))))
    }

    /// Quotes nearest in meaning to the quote at `addr` (key `key`), itself
    /// left out.
    pub fn like(
        &self,
        request: &Request,
        store: &VectorStore,
        key: u64,
    ) -> Result<Option<Results>> {
        let Some(vector) = store.vector(key) else { return Ok(None) };
        let norm = crate::embed::dot(&vector, &vector).sqrt().max(1e-12);
        let vector: Vec<f32> = vector.iter().map(|x| x / norm).collect();
        let limit = request.limit.max(1);
        let found = self.nearest(store, &vector, &request.filters, limit, Some(key))?;
        let sides = found
            .iter()
            .enumerate()
            .map(|(i, &(score, _))| FoundBy {
                lexical: None,
                semantic: Some(SideRank { rank: i + 1, score }),
                lexical_weight: 0.0,
            })
            .collect();
        let ranked = Ranked {
            total: Total { count: found.len(), exact: true },
            ranked: found,
            highlights: Default::default(),
            matching: Matching::Meaning,
            notices: Vec::new(),
            only_words: false,
            explanations: Default::default(),
        };
        self.render_with(request, ranked, sides).map(Some)
    }
}

/// One candidate of a hybrid ranking.
#[derive(Debug, Clone, Copy)]
pub struct Fused {
    /// The document.
    pub address: DocAddress,
    /// Its fused score.
    pub score: f32,
    /// Where each side placed it.
    pub found_by: FoundBy,
}

/// A candidate's (rank, score) on the word side and on the meaning side.
type Sides = (Option<(usize, f32)>, Option<(usize, f32)>);

/// Fuses a word ranking and a meaning ranking (both best first) into one:
/// `weight · words + (1 − weight) · meaning`, each side min–max normalised
/// over the candidates. `cosine_of` gives a word candidate's cosine when
/// the meaning side did not return it.
pub fn fuse(
    lexical: &[(f32, DocAddress)],
    semantic: &[(f32, DocAddress)],
    weight: f32,
    cosine_of: impl Fn(DocAddress) -> Option<f32>,
) -> Vec<Fused> {
    let mut by_doc: HashMap<DocAddress, Sides> = HashMap::new();
    for (i, &(score, addr)) in lexical.iter().enumerate() {
        by_doc.entry(addr).or_default().0 = Some((i + 1, score));
    }
    for (i, &(score, addr)) in semantic.iter().enumerate() {
        by_doc.entry(addr).or_default().1 = Some((i + 1, score));
    }
    let cosines: HashMap<DocAddress, f32> = by_doc
        .iter()
        .filter_map(|(&addr, (_, sem))| match sem {
            Some((_, cos)) => Some((addr, *cos)),
            None => cosine_of(addr).map(|cos| (addr, cos)),
        })
        .collect();
    let (lo_lex, hi_lex) = range(lexical.iter().map(|(s, _)| *s));
    let (lo_sem, hi_sem) = range(cosines.values().copied());
    let norm = |x: f32, lo: f32, hi: f32| if hi > lo { (x - lo) / (hi - lo) } else { 1.0 };
    let mut fused: Vec<Fused> = by_doc
        .into_iter()
        .map(|(address, (lex, sem))| {
            let words = lex.map_or(0.0, |(_, s)| norm(s, lo_lex, hi_lex));
            let meaning = cosines.get(&address).map_or(0.0, |&c| norm(c, lo_sem, hi_sem));
            let side =
                |found: Option<(usize, f32)>| found.map(|(rank, score)| SideRank { rank, score });
            Fused {
                address,
                score: weight * words + (1.0 - weight) * meaning,
                found_by: FoundBy {
                    lexical: side(lex),
                    semantic: side(sem),
                    lexical_weight: weight,
                },
            }
        })
        .collect();
    // On a tie, the word ranking's order decides: a quote with the words
    // beats one without.
    let lexical_rank = |f: &Fused| f.found_by.lexical.map_or(usize::MAX, |side| side.rank);
    fused.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(lexical_rank(a).cmp(&lexical_rank(b)))
            .then(a.address.cmp(&b.address))
    });
    fused
}

fn range(values: impl Iterator<Item = f32>) -> (f32, f32) {
    values.fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(doc: u32) -> DocAddress {
        DocAddress::new(0, doc)
    }

    #[test]
    fn fusion_weighs_each_side_and_records_where_it_came_from() {
        let lexical = [(9.0, addr(1)), (5.0, addr(2)), (1.0, addr(3))];
        let semantic = [(0.8, addr(4)), (0.6, addr(2)), (0.2, addr(3))];
        let cos = |a: DocAddress| Some(if a == addr(1) { 0.2 } else { 0.0 });
        let words = fuse(&lexical, &semantic, 1.0, cos);
        assert_eq!(words[0].address, addr(1));
        let meaning = fuse(&lexical, &semantic, 0.0, cos);
        assert_eq!(meaning[0].address, addr(4));
        let even = fuse(&lexical, &semantic, 0.5, cos);
        // Doc 2 is second on both sides: it wins the even fusion.
        assert_eq!(even[0].address, addr(2));
        let found = even[0].found_by;
        assert_eq!(found.lexical, Some(SideRank { rank: 2, score: 5.0 }));
        assert_eq!(found.semantic, Some(SideRank { rank: 2, score: 0.6 }));
        let four = even.iter().find(|f| f.address == addr(4)).expect("test value");
        assert!(four.found_by.lexical.is_none());
    }
}
