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
//! A note is found by meaning through its passages (`index::passages`):
//! its meaning score is its best passage's cosine, and a hit found by
//! meaning alone shows that passage as its snippet.
//!
//! A query with phrases, fields, exclusions or `OR` stays a word search:
//! those say exactly which passages are wanted, and meaning cannot honour
//! them.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use tantivy::collector::TopDocs;
use tantivy::query::TermSetQuery;
use tantivy::schema::{Field, Value};
use tantivy::tokenizer::TokenStream;
use tantivy::{DocAddress, TantivyDocument, Term};

use super::hit::{Explanation, FoundBy, Hit, Matching, Results, SideRank};
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

impl RankMode {
    /// The mode's name, as `--mode` and `mode=` take it.
    pub fn name(self) -> &'static str {
        match self {
            RankMode::Lexical => "lexical",
            RankMode::Semantic => "semantic",
            RankMode::Hybrid => "hybrid",
        }
    }
}

/// Candidates each side contributes to a hybrid ranking (at least the
/// limit). Not tuned: the figures in BENCHMARKS.md were measured with 50.
pub const CANDIDATES: usize = 50;

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
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
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
        Fusion::QUOTES
    }
}

impl Fusion {
    /// The weights of a quote search.
    pub const QUOTES: Fusion = Fusion { words: WORDS, coverage_power: COVERAGE_POWER };
    /// The weights of a note search.
    pub const NOTES: Fusion = Fusion { words: NOTE_WORDS, coverage_power: NOTE_COVERAGE_POWER };

    /// The weights for searching `target`.
    pub fn of(target: Target) -> Fusion {
        match target {
            Target::Quotes => Fusion::QUOTES,
            Target::Notes => Fusion::NOTES,
        }
    }

    /// The word ranking's weight for a query whose best word candidate
    /// holds `coverage` of its words (0 when words found nothing).
    pub fn lexical_weight(&self, any_words: bool, coverage: f32) -> f32 {
        if !any_words {
            return 0.0;
        }
        self.words * coverage.clamp(0.0, 1.0).powf(self.coverage_power)
    }
}

/// Words' weight at full coverage. Over the 46 paraphrase and 40 keyword
/// queries (hybrid first / top 3 / keyword first places lost to lexical),
/// with power 3: 0.3 to 0.7 all give 20/35/0 (0.8: 19/35/0), so 0.6 keeps
/// a query whose words all sit in one quote led by its words when the
/// model is unsure. A fixed weight (power 0) gives 0.3 → 11/24/0,
/// 0.5 → 5/12/0: plain fusion throws the meaning side's gain away, as
/// issue 13 measured. (Figures with [`fuse`]'s floor at 0; with a min–max
/// over the candidates they were the same at power 3.)
pub const WORDS: f32 = 0.6;
/// Power of the coverage: with 0.6 words, 1 → 14/28/0, 2 → 19/34/0,
/// 3 → 20/35/0, 4 → 20/35/0 (at 3, a query with half its words found in
/// one quote weighs words 0.075).
pub const COVERAGE_POWER: f32 = 3.0;

/// Words' weight at full coverage in a note search (the note's best
/// passage or quote gives its meaning score). SciFact-train nDCG@10 (809
/// claims; words alone 0.7020, meaning alone 0.6816), by words and power
/// 0 / 1 / 2 / 3: 0.3 → .7337 .7271 .7193 .7157; 0.4 → .7403 .7341 .7251
/// .7185; 0.5 → .7371 .7351 .7327 .7232; 0.6 → .7351 .7403 .7347 .7281;
/// 0.7 → .7314 .7396 .7353 .7285; 0.8 → .7201 .7394 .7368 .7321. Power 1
/// from 0.6 to 0.8 is a ridge at .739–.740; 0.6 is the quotes' weight too
/// (only the power differs), and on the book reviews' 40 topic and 10
/// keyword queries every weight ranks the same (BENCHMARKS.md, Relevance:
/// notes by meaning). The quotes' setting (0.6, power 3) gives .7281 here:
/// a claim shares more of its words with its abstract than a remembered
/// idea with its quote.
pub const NOTE_WORDS: f32 = 0.6;
/// Power of the coverage in a note search (see [`NOTE_WORDS`]).
pub const NOTE_COVERAGE_POWER: f32 = 1.0;

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
        let found = self.nearest_docs(
            (store, vector),
            (self.ix.fields.text_hash, Target::Quotes),
            filters,
            (limit, (limit * 4).max(64)),
            |addr, cosine| {
                let key = self.key_of(addr).filter(|&k| Some(k) != exclude)?;
                Some((*cosine.get(&key)?, ()))
            },
        )?;
        Ok(found.into_iter().map(|(cos, addr, ())| (cos, addr)).collect())
    }

    /// Runs a search in `mode`. Without `meaning` (no model or no vectors),
    /// or for a query that is not plain words, it is a word search.
    pub fn search_by(
        &self,
        request: &Request,
        mode: RankMode,
        meaning: Option<&Meaning>,
    ) -> Result<Results> {
        self.search_fused(request, mode, meaning, &Fusion::of(request.target))
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
        let mut lexical = self.rank(request, limit.max(CANDIDATES))?;
        if !lexical.only_words {
            lexical.ranked.truncate(limit);
            return self.render(request, lexical);
        }
        let mut sides = self.candidates(request, &lexical, meaning)?;
        if mode == RankMode::Semantic {
            let found_by = sides
                .semantic
                .iter()
                .take(limit)
                .enumerate()
                .map(|(i, &(score, _))| FoundBy {
                    lexical: None,
                    semantic: Some(SideRank { rank: i + 1, score }),
                    lexical_weight: 0.0,
                })
                .collect();
            let total = Total { count: sides.semantic.len(), exact: true };
            let ranked = Ranked {
                ranked: sides.semantic.iter().copied().take(limit).collect(),
                matching: Matching::Meaning,
                total,
                ..lexical
            };
            return self.render_with(request, ranked, found_by, &sides.passage_of);
        }
        let mut fused = sides.fuse(fusion);
        holding_first(&mut fused, &sides.holding);
        for f in &fused {
            if let Some(key) = f.passage {
                sides.passage_of.entry(f.address).or_insert(key);
            }
        }
        let found_by: Vec<FoundBy> = fused.iter().take(limit).map(|f| f.found_by).collect();
        let total =
            Total { count: lexical.total.count.max(fused.len()), exact: lexical.total.exact };
        let ranked = Ranked {
            ranked: fused.into_iter().take(limit).map(|f| (f.score, f.address)).collect(),
            matching: Matching::Hybrid,
            total,
            ..lexical
        };
        self.render_with(request, ranked, found_by, &sides.passage_of)
    }

    /// Both sides of a search by meaning, before fusion: the word ranking's
    /// candidates (`lexical`, from [`Engine::rank`] of `request`), the
    /// meaning side's, and what fusing them needs. Tuning reuses them for
    /// every weight tried (`folio bench --relevance --fusion`).
    pub fn candidates(
        &self,
        request: &Request,
        lexical: &Ranked,
        meaning: &Meaning,
    ) -> Result<Candidates> {
        let candidates = request.limit.max(1).max(CANDIDATES);
        let notes = request.target == Target::Notes;
        let passages = if notes { Some(self.passage_keys()?) } else { None };
        let mut passage_of: HashMap<DocAddress, u64> = HashMap::new();
        let semantic = match &passages {
            Some(passages) => {
                let found = self.nearest_notes(
                    meaning.store,
                    &meaning.vector,
                    passages,
                    &request.filters,
                    candidates,
                )?;
                found
                    .into_iter()
                    .map(|(score, addr, key)| {
                        passage_of.insert(addr, key);
                        (score, addr)
                    })
                    .collect()
            }
            None => {
                self.nearest(meaning.store, &meaning.vector, &request.filters, candidates, None)?
            }
        };
        let words = if notes {
            // A later pass's hit (fewer of the words) can score above an
            // earlier one's: its place, not its raw score, must decide.
            monotone(&lexical.ranked)
        } else {
            lexical.ranked.clone()
        };
        // A word candidate's cosine: a quote's own, a note's best passage's.
        let mut cosines = HashMap::new();
        for &(_, addr) in &words {
            let found = match &passages {
                Some(passages) => passages
                    .of(addr)
                    .into_iter()
                    .filter_map(|k| {
                        let v = meaning.store.vector(k)?;
                        Some((crate::embed::dot(&v, &meaning.vector), Some(k)))
                    })
                    .max_by(|a, b| a.0.total_cmp(&b.0)),
                None => self
                    .key_of(addr)
                    .and_then(|k| meaning.store.vector(k))
                    .map(|v| (crate::embed::dot(&v, &meaning.vector), None)),
            };
            if let Some(found) = found {
                cosines.insert(addr, found);
            }
        }
        let (coverage, holding) = self.coverage(lexical, request.target);
        Ok(Candidates { coverage, holding, words, semantic, cosines, passage_of })
    }

    /// Up to `limit` notes whose best passage is nearest `vector`, that
    /// pass `filters`, best first: the cosine, the note, the passage's key.
    pub fn nearest_notes(
        &self,
        store: &VectorStore,
        vector: &[f32],
        passages: &PassageKeys,
        filters: &Filters,
        limit: usize,
    ) -> Result<Vec<(f32, DocAddress, u64)>> {
        self.nearest_docs(
            (store, vector),
            (self.ix.fields.chunk_hash, Target::Notes),
            filters,
            (limit, (limit * 8).max(256)),
            |addr, cosine| {
                passages
                    .of(addr)
                    .into_iter()
                    .filter_map(|k| Some((*cosine.get(&k)?, k)))
                    .max_by(|a, b| a.0.total_cmp(&b.0))
            },
        )
    }

    /// The documents of `target` whose `field` holds one of the keys
    /// nearest `vector` and that pass `filters`, each scored by `pick`
    /// (from the cosines of the keys asked for), best first, at most
    /// `limit`. Starts with `first_ask` vectors and asks for 8 times more
    /// until `limit` documents pass or the store is exhausted.
    fn nearest_docs<T>(
        &self,
        (store, vector): (&VectorStore, &[f32]),
        (field, target): (Field, Target),
        filters: &Filters,
        (limit, first_ask): (usize, usize),
        pick: impl Fn(DocAddress, &HashMap<u64, f32>) -> Option<(f32, T)>,
    ) -> Result<Vec<(f32, DocAddress, T)>> {
        let searcher = self.reader.searcher();
        let mut want = first_ask;
        loop {
            let cosine: HashMap<u64, f32> = store.nearest(vector, want).into_iter().collect();
            let terms = cosine.keys().map(|&k| Term::from_field_u64(field, k));
            let mut builder = Builder::new(&self.ix.fields, &searcher, target);
            let query = builder.filtered(Box::new(TermSetQuery::new(terms)), filters);
            let docs = searcher
                .search(&*query, &TopDocs::with_limit(cosine.len().max(1) * 4).order_by_score())
                .map_err(|e| Error::tantivy("searching by meaning", e))?;
            let mut found: Vec<(f32, DocAddress, T)> = docs
                .into_iter()
                .filter_map(|(_, addr)| pick(addr, &cosine).map(|(cos, t)| (cos, addr, t)))
                .collect();
            found.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            if found.len() >= limit || want >= store.len() {
                found.truncate(limit);
                return Ok(found);
            }
            want *= 8;
        }
    }

    /// The passage keys of every note document of the current snapshot.
    pub fn passage_keys(&self) -> Result<PassageKeys> {
        let searcher = self.reader.searcher();
        let name = self.ix.fields.schema.get_field_name(self.ix.fields.chunk_hash);
        let columns = searcher
            .segment_readers()
            .iter()
            .map(|s| s.fast_fields().u64(name))
            .collect::<tantivy::Result<Vec<_>>>()
            .map_err(|e| Error::tantivy("reading the passage keys", e))?;
        Ok(PassageKeys { columns })
    }

    /// How much of the query one word candidate holds, from their stored
    /// text: for quotes, the largest share of the query's weight (each word
    /// weighs its inverse document frequency, so a candidate sharing `of`,
    /// `the` and `people` with a paraphrase holds little of it) past one
    /// half ([`beyond_half`]); for notes, the largest share of its words.
    /// And, when a candidate of a note in another language than English
    /// holds every word, the candidates that do (empty otherwise).
    fn coverage(&self, lexical: &Ranked, target: Target) -> (f32, HashSet<DocAddress>) {
        let terms = &lexical.highlights;
        let words = terms.distinct_words();
        if words == 0 {
            return (0.0, HashSet::new());
        }
        let searcher = self.reader.searcher();
        let f = &self.ix.fields;
        let weights = word_weights(&searcher, f, terms, target);
        let total: f32 = weights.values().sum();
        let mut analyzer = crate::index::schema::analyzer();
        // Every candidate is read only when some may be in another language.
        let every = !terms.variants.is_empty();
        let mut best = 0usize;
        let mut best_weight = 0.0f32;
        let mut holding = HashSet::new();
        let mut foreign_holds = false;
        for &(_, addr) in &lexical.ranked {
            let Ok(doc) = searcher.doc::<TantivyDocument>(addr) else { continue };
            let mut found = HashSet::new();
            let text_of = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("");
            // Titles and a note's body are stored without their language's
            // marker; the words are looked for as the index analysed them.
            let language = doc.get_first(f.language).and_then(|v| v.as_str());
            use crate::index::analyzer::tag;
            let titles = match target {
                Target::Quotes => String::new(),
                Target::Notes => {
                    let card: crate::index::document::NoteCard =
                        super::json_field(&doc, f.card).unwrap_or_default();
                    let titles: Vec<&str> = card.titles.iter().map(|t| t.text.as_str()).collect();
                    tag(&titles.join("\n"), language).into_owned()
                }
            };
            let body = tag(text_of(f.body_text), language);
            let texts: [&str; 2] = match target {
                Target::Quotes => [text_of(f.quote), text_of(f.note_text)],
                Target::Notes => [&titles, &body],
            };
            for text in texts {
                // A huge note's words are looked for in its first part only.
                let mut cut = COVERAGE_BYTES.min(text.len());
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                let text = &text[..cut];
                let mut stream = analyzer.token_stream(text);
                while stream.advance() {
                    if let Some(word) = terms.word_of(&stream.token().text) {
                        found.insert(word.to_string());
                    }
                }
            }
            best = best.max(found.len());
            best_weight = best_weight.max(found.iter().filter_map(|w| weights.get(w)).sum());
            if found.len() == words {
                holding.insert(addr);
                foreign_holds |= language.is_some_and(|l| l != "en");
            }
            if best == words && !every {
                break;
            }
        }
        if !foreign_holds {
            holding.clear();
        }
        let share = best as f32 / words as f32;
        let coverage = match target {
            // A quote search weighs the words by their rarity, and trusts
            // them only past half the query's weight: a remembered phrase
            // has its rare words in one quote, while a paraphrase shares a
            // common word or two with many, and those must not push the
            // passage it means down (issue 21's held-out paraphrases).
            Target::Quotes if total > 0.0 => beyond_half(best_weight / total),
            // A note search keeps the share of words, as SciFact-train
            // tuned it (`NOTE_WORDS`).
            _ => share,
        };
        (coverage.clamp(0.0, 1.0), holding)
    }

    fn render_with(
        &self,
        request: &Request,
        ranked: Ranked,
        sides: Vec<FoundBy>,
        passage_of: &HashMap<DocAddress, u64>,
    ) -> Result<Results> {
        let addresses: Vec<DocAddress> = ranked.ranked.iter().map(|(_, a)| *a).collect();
        let mut results = self.render(request, ranked)?;
        for ((hit, side), addr) in results.hits.iter_mut().zip(sides).zip(addresses) {
            if request.explain {
                let (explanation, score) = match hit {
                    Hit::Quote(q) => (&mut q.explanation, q.score),
                    Hit::Note(n) => (&mut n.explanation, n.score),
                };
                explanation.get_or_insert_with(|| Explanation {
                    value: score,
                    description: "found by meaning only: no word of the query matched".into(),
                    details: Vec::new(),
                });
            }
            match hit {
                Hit::Quote(q) => q.found_by = Some(side),
                Hit::Note(n) => {
                    n.found_by = Some(side);
                    // No word of the query in the note: show the passage
                    // that its meaning was found by.
                    if n.snippet.highlights.is_empty()
                        && let Some(&key) = passage_of.get(&addr)
                    {
                        self.passage_snippet(addr, key, n)?;
                    }
                }
            }
        }
        Ok(results)
    }

    /// Sets a note hit's snippet to its passage or quote with key `key`,
    /// with its page reference.
    fn passage_snippet(&self, addr: DocAddress, key: u64, hit: &mut super::NoteHit) -> Result<()> {
        let searcher = self.reader.searcher();
        let doc: TantivyDocument =
            searcher.doc(addr).map_err(|e| Error::tantivy("loading a hit", e))?;
        let spans: crate::index::document::Spans =
            super::json_field(&doc, self.ix.fields.spans).unwrap_or_default();
        let quote = spans.quotes.iter().find(|q| q.key == Some(key)).map(|q| (q.start, q.end));
        let passage = || {
            let passages = crate::index::vectors::passages_of(&self.ix, &doc);
            passages.into_iter().find(|(k, _, _)| *k == key).map(|(_, _, range)| range)
        };
        let Some((start, end)) = quote.or_else(passage) else { return Ok(()) };
        let body = doc.get_first(self.ix.fields.body_text).and_then(|v| v.as_str()).unwrap_or("");
        let Some(passage) = body.get(start..end) else { return Ok(()) };
        let mut snippet = super::snippet::best(passage, &[]);
        snippet.source = (snippet.source.0 + start, snippet.source.1 + start);
        snippet.paragraph = (snippet.paragraph.0 + start, snippet.paragraph.1 + start);
        hit.reference = super::reference_for(&spans, &snippet);
        hit.snippet = snippet;
        Ok(())
    }

    /// The quote of the note file `path` at `line` (or the one that starts
    /// last before it), and its vector key.
    pub fn quote_at(&self, path: &Path, line: u64) -> Result<Option<(DocAddress, u64)>> {
        let canonical = path.canonicalize().map_err(|e| Error::io(path, e))?;
        self.quote_in_file(&crate::index::update::note_id(&canonical), line)
    }

    /// The quote of the file with id `id` at `line`, or the last before it.
    pub(crate) fn quote_in_file(&self, id: &str, line: u64) -> Result<Option<(DocAddress, u64)>> {
        let searcher = self.reader.searcher();
        let f = &self.ix.fields;
        let mut builder = Builder::new(f, &searcher, Target::Quotes);
        let query = builder.filtered(
            Box::new(tantivy::query::TermQuery::new(
                Term::from_field_text(f.file_id, id),
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
        self.render_with(request, ranked, sides, &HashMap::new()).map(Some)
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
    /// The passage whose cosine a word candidate's meaning score is (a
    /// note's best), when `cosine_of` named one.
    pub passage: Option<u64>,
}

/// A candidate's (rank, score) on the word side and on the meaning side.
type Sides = (Option<(usize, f32)>, Option<(usize, f32)>);

/// Fuses a word ranking and a meaning ranking (both best first) into one:
/// `weight · words + (1 − weight) · meaning`, each side divided by its
/// best candidate's score. The floor is each side's theoretical minimum,
/// 0 (BM25 is never negative; a cosine of 0 is unrelated text), not its
/// worst candidate's score: a min–max over the candidates stretches two
/// nearly equal word scores to 1 and 0 when there happen to be only two,
/// and its zero moves with how deep the candidates go. (Bruch et al.,
/// "An Analysis of Fusion Functions for Hybrid Retrieval", 2023, call it
/// theoretical min–max; on SciFact-train it raised the mean nDCG@10 of
/// the 24 weights tried from 0.7292 to 0.7310 and left the highlights'
/// quote setting at 20 / 35 / 0: BENCHMARKS.md, Relevance: semantic.)
/// `cosine_of` gives a word candidate's cosine when the meaning side did
/// not return it.
pub fn fuse(
    lexical: &[(f32, DocAddress)],
    semantic: &[(f32, DocAddress)],
    weight: f32,
    cosine_of: impl Fn(DocAddress) -> Option<(f32, Option<u64>)>,
) -> Vec<Fused> {
    let mut by_doc: HashMap<DocAddress, Sides> = HashMap::new();
    for (i, &(score, addr)) in lexical.iter().enumerate() {
        by_doc.entry(addr).or_default().0 = Some((i + 1, score));
    }
    for (i, &(score, addr)) in semantic.iter().enumerate() {
        by_doc.entry(addr).or_default().1 = Some((i + 1, score));
    }
    let cosines: HashMap<DocAddress, (f32, Option<u64>)> = by_doc
        .iter()
        .filter_map(|(&addr, (_, sem))| match sem {
            Some((_, cos)) => Some((addr, (*cos, None))),
            None => cosine_of(addr).map(|found| (addr, found)),
        })
        .collect();
    let best_lex = best(lexical.iter().map(|(s, _)| *s));
    let best_sem = best(cosines.values().map(|(c, _)| *c));
    let norm = |x: f32, best: f32| if best > 0.0 { x / best } else { 1.0 };
    let mut fused: Vec<Fused> = by_doc
        .into_iter()
        .map(|(address, (lex, sem))| {
            let words = lex.map_or(0.0, |(_, s)| norm(s, best_lex));
            let meaning = cosines.get(&address).map_or(0.0, |&(c, _)| norm(c, best_sem));
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
                passage: cosines.get(&address).and_then(|(_, key)| *key),
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

/// Puts the hits in `holding` (those that hold every word of the query,
/// when one of them is of a note in another language) before the others,
/// each group in its fused order: the sentence model reads English, and
/// must not push a foreign note that holds the words below one that does
/// not. An empty `holding` leaves the order as it is.
pub fn holding_first(fused: &mut [Fused], holding: &HashSet<DocAddress>) {
    if !holding.is_empty() {
        fused.sort_by_key(|f| !holding.contains(&f.address));
    }
}

/// Both sides of a hybrid search before fusion ([`Engine::candidates`]).
#[derive(Debug, Clone)]
pub struct Candidates {
    /// The word ranking's candidates, best first (a note's scores made to
    /// fall with the rank).
    pub words: Vec<(f32, DocAddress)>,
    /// The meaning side's, best first, with their cosine.
    pub semantic: Vec<(f32, DocAddress)>,
    /// The largest share of the query's words one word candidate holds.
    pub coverage: f32,
    /// The word candidates that hold every word of the query, when one of
    /// them is of a note in another language than English; else empty.
    pub holding: HashSet<DocAddress>,
    /// Each word candidate's cosine (and, for a note, its best passage).
    cosines: HashMap<DocAddress, (f32, Option<u64>)>,
    /// The passage each note found by meaning was found by.
    passage_of: HashMap<DocAddress, u64>,
}

impl Candidates {
    /// The hybrid ranking with these weights, best first.
    pub fn fuse(&self, fusion: &Fusion) -> Vec<Fused> {
        let weight = fusion.lexical_weight(!self.words.is_empty(), self.coverage);
        fuse(&self.words, &self.semantic, weight, |addr| self.cosines.get(&addr).copied())
    }
}

/// How far `share` (0 to 1) goes past one half, as a share of the other
/// half: 0 up to ½, then rising to 1.
fn beyond_half(share: f32) -> f32 {
    (2.0 * share - 1.0).max(0.0)
}

/// Each word of the query (its English stem; a variant in another language
/// counts as the word it stands for) and its weight: BM25's inverse
/// document frequency among the target's documents, on the field holding
/// their text (a quote's words, a note's body).
fn word_weights(
    searcher: &tantivy::Searcher,
    f: &crate::index::schema::Fields,
    terms: &super::query::HighlightTerms,
    target: Target,
) -> HashMap<String, f32> {
    use crate::index::schema::{KIND_NOTE, KIND_QUOTE};
    let (field, kind) = match target {
        Target::Quotes => (f.quote, KIND_QUOTE),
        Target::Notes => (f.body, KIND_NOTE),
    };
    let documents = searcher.doc_freq(&Term::from_field_text(f.kind, kind)).unwrap_or(0) as f32;
    terms
        .words
        .iter()
        .filter(|w| !terms.variants.contains_key(*w))
        .map(|word| {
            let df = searcher.doc_freq(&Term::from_field_text(field, word)).unwrap_or(0) as f32;
            let idf = ((documents - df + 0.5) / (df + 0.5)).ln_1p().max(0.0);
            (word.clone(), idf)
        })
        .collect()
}

/// Bytes of a note read for its coverage of the query's words.
const COVERAGE_BYTES: usize = 64 * 1024;

/// The passage keys of each note document, by segment.
pub struct PassageKeys {
    columns: Vec<tantivy::columnar::Column<u64>>,
}

impl PassageKeys {
    /// The passage keys of the note at `addr`.
    pub fn of(&self, addr: DocAddress) -> Vec<u64> {
        self.columns
            .get(addr.segment_ord as usize)
            .map(|c| c.values_for_doc(addr.doc_id).collect())
            .unwrap_or_default()
    }
}

/// Scores made to fall with the rank (each at most the one before), so
/// dividing by the first keeps the ranking's order.
fn monotone(ranked: &[(f32, DocAddress)]) -> Vec<(f32, DocAddress)> {
    let mut ceiling = f32::INFINITY;
    ranked
        .iter()
        .map(|&(score, addr)| {
            ceiling = ceiling.min(score);
            (ceiling, addr)
        })
        .collect()
}

/// The largest of `values` (−∞ when there are none).
fn best(values: impl Iterator<Item = f32>) -> f32 {
    values.fold(f32::NEG_INFINITY, f32::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(doc: u32) -> DocAddress {
        DocAddress::new(0, doc)
    }

    #[test]
    fn hits_holding_every_word_of_a_foreign_query_come_first() {
        let lexical = [(9.0, addr(1)), (1.0, addr(2))];
        let semantic = [(0.9, addr(3)), (0.1, addr(2))];
        let cos = |_| Some((0.0, None));
        let mut fused = fuse(&lexical, &semantic, 0.3, cos);
        let order = |f: &[Fused]| f.iter().map(|f| f.address).collect::<Vec<_>>();
        // Meaning puts doc 3 (no word) above docs 1 and 2 (every word).
        assert_eq!(order(&fused), [addr(3), addr(1), addr(2)]);
        holding_first(&mut fused, &HashSet::new());
        assert_eq!(order(&fused), [addr(3), addr(1), addr(2)], "no foreign note: unchanged");
        holding_first(&mut fused, &HashSet::from([addr(1), addr(2)]));
        assert_eq!(order(&fused), [addr(1), addr(2), addr(3)]);
    }

    #[test]
    fn fusion_weighs_each_side_and_records_where_it_came_from() {
        let lexical = [(9.0, addr(1)), (5.0, addr(2)), (1.0, addr(3))];
        let semantic = [(0.8, addr(4)), (0.6, addr(2)), (0.2, addr(3))];
        let cos = |a: DocAddress| Some((if a == addr(1) { 0.2 } else { 0.0 }, None));
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

    #[test]
    fn nearly_equal_word_scores_leave_meaning_to_decide() {
        // Words barely prefer doc 1; meaning clearly prefers doc 2. A
        // min-max over the two candidates would make the words' 10 vs 9.5
        // a full 1 vs 0 and tie them.
        let lexical = [(10.0, addr(1)), (9.5, addr(2))];
        let semantic = [(0.9, addr(2)), (0.3, addr(1))];
        let fused = fuse(&lexical, &semantic, 0.5, |_| None);
        assert_eq!(fused[0].address, addr(2));
        assert!(fused[0].score - fused[1].score > 0.2, "{fused:?}");
        // A side whose every score is 0 or below counts all its candidates
        // alike instead of dividing by zero.
        let flat = fuse(&[(0.0, addr(1))], &[(-0.1, addr(2))], 0.5, |_| None);
        assert!(flat.iter().all(|f| f.score.is_finite()), "{flat:?}");
    }
}
