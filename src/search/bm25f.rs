//! One word over several fields of the same documents, scored by BM25F:
//! the fields' term frequencies, each weighted and normalised by its own
//! field's length, add up to one frequency, saturated once.
//!
//! Scoring a word by its best field (Tantivy's `DisjunctionMaxQuery`) lets
//! a short field win: BM25 normalises a title by the title's length, so one
//! title word outweighs a body that discusses the word throughout. BM25F
//! (Robertson, Zaragoza & Taylor, "Simple BM25 extension to multiple
//! weighted fields", 2004) counts a title occurrence as `weight` body
//! occurrences instead, before saturation: the title still helps, and a
//! body full of the word still counts. Tantivy has no BM25F scorer; this
//! one reads each field's postings and field norms directly.
//!
//! A word walked end to end (any word, or one word alone) goes through
//! Tantivy's buffered union of its fields, with a combiner that sums and
//! saturates; a word an intersection seeks merges its fields' cursors one
//! document at a time. A note's quote join, when given
//! ([`Bm25F::with_other`]), joins the same walk.
//!
//! A top-k search (`search::topk`) need not score every match: the index's
//! block bounds ([`crate::index::bounds`]) give, for a window of documents,
//! the best score any of them could have (the quote join's included), and a
//! window that cannot beat the k-th best so far is passed over with one
//! seek.
//!
//! The word's rarity (idf) is taken from the field where it is most common
//! (Lucene's and Elasticsearch's `cross_fields` blending does the same): a
//! lower bound on the documents holding it in any field, and one idf for
//! the word whichever field it is in.

use std::sync::Arc;

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{
    BooleanWeight, EmptyScorer, EnableScoring, Explanation, Occur, Query, ScoreCombiner, Scorer,
    Weight,
};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, Term};

use super::join::{Blocks, QuotesOfNote};
use super::ranking::K1;
use crate::index::bounds::{BoundFiles, MIN_DOC_FREQ, Runs};

/// A field of a [`Bm25F`] word: its term, weight and length normalisation.
#[derive(Debug, Clone)]
pub struct FieldTerm {
    /// The word on this field.
    pub term: Term,
    /// How many body occurrences one occurrence here counts as.
    pub weight: Score,
    /// BM25's length normalisation `b` for this field (0 = none, 1 = full).
    pub b: Score,
}

/// A word on any of its fields, scored by BM25F.
#[derive(Debug)]
pub struct Bm25F {
    fields: Vec<FieldTerm>,
    /// Documents that can hold these fields (the target's kind): the `N`
    /// of idf and the denominator of each field's average length.
    documents: u64,
    /// Whether the word's documents will mostly be sought (an
    /// intersection drives it): then its fields' cursors are merged one
    /// document at a time; walked end to end, Tantivy's buffered union is
    /// faster.
    sought: bool,
    /// Another part of the word (a note's quotes, other documents), and
    /// the share of the lesser part added to the greater: walked in the
    /// same buffered union as the fields, as [`super::best_field`] would
    /// combine them.
    other: Option<(Box<dyn Query>, Score)>,
    /// The index's block bounds: with them, a top-k search skips runs of
    /// documents that cannot enter the top ([`Bm25FWeight::for_each_pruning`]).
    bounds: Option<Arc<BoundFiles>>,
}

impl Clone for Bm25F {
    fn clone(&self) -> Self {
        Bm25F {
            fields: self.fields.clone(),
            documents: self.documents,
            sought: self.sought,
            other: self.other.as_ref().map(|(q, tie)| (q.box_clone(), *tie)),
            bounds: self.bounds.clone(),
        }
    }
}

impl Bm25F {
    /// The word of `fields` (one [`FieldTerm`] per field, same word), over
    /// `documents` documents of the target's kind.
    pub fn new(fields: Vec<FieldTerm>, documents: u64) -> Self {
        Bm25F { fields, documents, sought: false, other: None, bounds: None }
    }

    /// The word, scored as the best of its BM25F and `other` plus `tie` ×
    /// the lesser (for a word walked end to end; a sought word's parts go
    /// in a [`super::best_field::BestField`]).
    pub fn with_other(self, other: Box<dyn Query>, tie: Score) -> Self {
        Bm25F { other: Some((other, tie)), ..self }
    }

    /// The same word, for a query that will mostly seek it.
    pub fn sought(self, sought: bool) -> Self {
        Bm25F { sought, ..self }
    }

    /// The same word, skipping what cannot reach the top with `bounds`.
    pub fn with_bounds(self, bounds: Option<Arc<BoundFiles>>) -> Self {
        Bm25F { bounds, ..self }
    }

    /// Whether a top-k search of this word can skip runs of documents.
    pub fn has_bounds(&self) -> bool {
        self.bounds.is_some()
    }

    fn typed_weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Bm25FWeight> {
        let mut fields = Vec::with_capacity(self.fields.len());
        let (mut doc_freq, n) = (0u64, self.documents.max(1));
        if let EnableScoring::Enabled { statistics_provider, .. } = scoring {
            for f in &self.fields {
                doc_freq = doc_freq.max(statistics_provider.doc_freq(&f.term)?);
                let tokens = statistics_provider.total_num_tokens(f.term.field())?;
                let average = (tokens as Score / n as Score).max(1e-3);
                fields.push(FieldWeight::new(f, average));
            }
        } else {
            // Not scoring: the norms are never read.
            fields.extend(self.fields.iter().map(|f| FieldWeight::new(f, 1.0)));
        }
        let doc_freq = doc_freq.min(n);
        let idf = ((n - doc_freq) as Score + 0.5) / (doc_freq as Score + 0.5);
        let other = match &self.other {
            Some((q, tie)) => Some((q.weight(scoring)?, *tie)),
            None => None,
        };
        // The quote join's word, typed, for its bounds.
        let joined = match (&self.other, &self.bounds) {
            (Some((q, tie)), Some(_)) if scoring.is_scoring_enabled() => q
                .downcast_ref::<QuotesOfNote>()
                .and_then(|join| join.inner().downcast_ref::<Bm25F>())
                .map(|word| word.typed_weight(scoring).map(|w| (Box::new(w), *tie)))
                .transpose()?,
            _ => None,
        };
        Ok(Bm25FWeight {
            other,
            joined,
            fields,
            idf: (1.0 + idf).ln(),
            doc_freq,
            documents: n,
            scoring: scoring.is_scoring_enabled(),
            sought: self.sought,
            bounds: self.bounds.clone(),
        })
    }
}

impl Query for Bm25F {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.typed_weight(scoring)?))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        for f in &self.fields {
            visitor(&f.term, false);
        }
        if let Some((q, _)) = &self.other {
            q.query_terms(visitor);
        }
    }
}

/// A field's term with its length normalisation, precomputed per field norm.
struct FieldWeight {
    term: Term,
    weight: Score,
    b: Score,
    average: Score,
    /// `weight / (1 − b + b × length / average)` for each field-norm id.
    per_norm: Arc<[Score; 256]>,
}

impl FieldWeight {
    fn new(f: &FieldTerm, average: Score) -> Self {
        let mut per_norm = [0.0; 256];
        for (id, slot) in per_norm.iter_mut().enumerate() {
            let length = FieldNormReader::id_to_fieldnorm(id as u8) as Score;
            *slot = f.weight / (1.0 - f.b + f.b * length / average);
        }
        FieldWeight {
            term: f.term.clone(),
            weight: f.weight,
            b: f.b,
            average,
            per_norm: Arc::new(per_norm),
        }
    }
}

struct Bm25FWeight {
    fields: Vec<FieldWeight>,
    idf: Score,
    doc_freq: u64,
    documents: u64,
    scoring: bool,
    sought: bool,
    other: Option<(Box<dyn Weight>, Score)>,
    /// The quote join's word (the `other` part, typed), for its bounds.
    joined: Option<(Box<Bm25FWeight>, Score)>,
    bounds: Option<Arc<BoundFiles>>,
}

/// BM25's saturation of a combined frequency, times idf and `(k1 + 1)`
/// (Tantivy's and Lucene's scale, so a one-field word scores as BM25).
fn saturate(idf: Score, tf: Score) -> Score {
    idf * (K1 + 1.0) * tf / (K1 + tf)
}

impl Bm25FWeight {
    fn cursors(&self, reader: &SegmentReader) -> tantivy::Result<Vec<Cursor>> {
        let mut cursors = Vec::with_capacity(self.fields.len());
        for (index, f) in self.fields.iter().enumerate() {
            let field = f.term.field();
            let inverted = reader.inverted_index(field)?;
            let option =
                if self.scoring { IndexRecordOption::WithFreqs } else { IndexRecordOption::Basic };
            let Some(postings) = inverted.read_postings(&f.term, option)? else { continue };
            if postings.doc() == TERMINATED {
                continue;
            }
            let norms = reader
                .fieldnorms_readers()
                .get_field(field)?
                .unwrap_or_else(|| FieldNormReader::constant(reader.max_doc(), 1));
            cursors.push(Cursor { index, postings, norms, per_norm: f.per_norm.clone() });
        }
        Ok(cursors)
    }
}

impl Bm25FWeight {
    /// The word's scorer: Tantivy's buffered union of the fields when
    /// walked end to end, a merge of their cursors when `sought`.
    fn scorer_walking(
        &self,
        reader: &SegmentReader,
        boost: Score,
        sought: bool,
    ) -> tantivy::Result<Box<dyn Scorer>> {
        let mut fields = self.cursors(reader)?;
        let other = match &self.other {
            Some((w, _)) => Some(w.scorer(reader, boost)?).filter(|s| s.doc() != TERMINATED),
            None => None,
        };
        if fields.is_empty()
            && let Some(other) = other
        {
            return Ok(other); // the note part is 0: the other part alone
        }
        if other.is_none() && fields.len() <= 1 {
            // One field holds the word here (always so for a quote join's
            // inner query): no cursors to merge.
            return Ok(match fields.pop() {
                Some(cursor) => Box::new(OneFieldScorer { cursor, idf: self.idf * boost }),
                None => Box::new(EmptyScorer),
            });
        }
        if !sought {
            // Walked end to end: Tantivy's buffered union of the fields
            // (and the other part), each scoring its weighted frequency,
            // summed and saturated by the combiner, as the best-field walk
            // did before BM25F. At 20,000 notes, the merge below (and a
            // union of unions for the quote part) put the mix's p50 24 %
            // above main's; this walk, level with it.
            let mut parts: Vec<(Occur, Box<dyn Weight>)> = fields
                .into_iter()
                .map(|cursor| {
                    let part: Box<dyn Scorer> = Box::new(FieldTfScorer { cursor });
                    (Occur::Should, Box::new(Taken::new(part)) as Box<dyn Weight>)
                })
                .collect();
            if let Some(other) = other {
                let part: Box<dyn Scorer> = Box::new(Negated(other));
                parts.push((Occur::Should, Box::new(Taken::new(part))));
            }
            let (idf, tie) = (self.idf * boost, self.other.as_ref().map_or(0.0, |o| o.1));
            let union = BooleanWeight::with_minimum_number_should_match(
                parts,
                1,
                self.scoring,
                Box::new(move || Saturate { idf, tie, tf: 0.0, other: -1.0 }),
            );
            return union.scorer(reader, 1.0);
        }
        let docs: Vec<DocId> = fields.iter().map(|c| c.postings.doc()).collect();
        let other = other.map(|s| (s, self.other.as_ref().map_or(0.0, |o| o.1)));
        let mut scorer = Bm25FScorer { fields, docs, doc: 0, idf: self.idf * boost, other };
        scorer.doc = scorer.smallest();
        Ok(Box::new(scorer))
    }
}

impl Weight for Bm25FWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        self.scorer_walking(reader, boost, self.sought)
    }

    /// Top-k collection: with block bounds, a run of documents whose bound
    /// does not beat the k-th best score so far is skipped unscored.
    fn for_each_pruning(
        &self,
        mut threshold: Score,
        reader: &SegmentReader,
        callback: &mut dyn FnMut(DocId, Score) -> Score,
    ) -> tantivy::Result<()> {
        let mut bounds = self.segment_bounds(reader)?;
        // Skipping seeks: the buffered union would have walked ahead of
        // every skip already (4,096 documents at a time).
        let mut scorer = self.scorer_walking(reader, 1.0, self.sought || bounds.is_some())?;
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            let end = match bounds.as_mut() {
                Some(bounds) => {
                    let (end, bound) = bounds.window(doc);
                    if bound <= threshold {
                        if end >= TERMINATED - 1 {
                            break;
                        }
                        doc = scorer.seek(end + 1);
                        continue;
                    }
                    end
                }
                None => TERMINATED,
            };
            while doc <= end && doc != TERMINATED {
                let score = scorer.score();
                if score > threshold {
                    threshold = callback(doc, score);
                }
                doc = scorer.advance();
            }
        }
        Ok(())
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let own = self.explain_fields(reader, doc);
        let Some((other, tie)) = &self.other else { return own };
        let parts: Vec<Explanation> =
            [own.ok(), other.explain(reader, doc).ok()].into_iter().flatten().collect();
        let (mut best, mut sum) = (0.0 as Score, 0.0 as Score);
        for part in &parts {
            best = best.max(part.value());
            sum += part.value();
        }
        if parts.is_empty() {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not hold the word"
            )));
        }
        let mut out = Explanation::new_with_string(
            format!("best part, plus {tie} × the others"),
            best + tie * (sum - best),
        );
        for part in parts {
            out.add_detail(part);
        }
        Ok(out)
    }
}

impl Bm25FWeight {
    /// The word's BM25F over its fields, explained.
    fn explain_fields(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut tf = 0.0;
        let mut parts = Vec::new();
        for mut cursor in self.cursors(reader)? {
            let f = &self.fields[cursor.index];
            // Postings only seek forward (a debug assertion in Tantivy).
            if cursor.postings.doc() > doc || cursor.postings.seek(doc) != doc {
                continue;
            }
            let freq = cursor.postings.term_freq();
            let length = cursor.norms.fieldnorm(doc);
            let part = freq as Score * cursor.per_norm[cursor.norms.fieldnorm_id(doc) as usize];
            tf += part;
            let name = reader.schema().get_field_name(f.term.field());
            let mut e = Explanation::new_with_string(
                format!("{name}: frequency × weight / (1 − b + b × length / average length)"),
                part,
            );
            e.add_const("frequency", freq as Score);
            e.add_const("weight", f.weight);
            e.add_const("b", f.b);
            e.add_const("length", length as Score);
            e.add_const("average length", f.average);
            parts.push(e);
        }
        if parts.is_empty() {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not hold the word"
            )));
        }
        let word = self
            .fields
            .first()
            .and_then(|f| f.term.value().as_str().map(str::to_string))
            .unwrap_or_default();
        let mut out = Explanation::new_with_string(
            format!("BM25F of `{word}`: idf × (k1 + 1) × tf / (k1 + tf)"),
            saturate(self.idf, tf),
        );
        let mut idf = Explanation::new("idf, log(1 + (N − n + 0.5) / (n + 0.5))", self.idf);
        idf.add_const("n, documents with the word (its most common field)", self.doc_freq as Score);
        idf.add_const("N, documents", self.documents as Score);
        out.add_detail(idf);
        out.add_const("k1", K1);
        let mut combined = Explanation::new("tf, the fields' weighted frequencies", tf);
        for part in parts {
            combined.add_detail(part);
        }
        out.add_detail(combined);
        Ok(out)
    }
}

impl Bm25FWeight {
    /// The bounds of this word in one segment, or `None` when a field
    /// holding it there has none (an index written before bounds): then
    /// every match is scored.
    fn segment_bounds(&self, reader: &SegmentReader) -> tantivy::Result<Option<WindowBounds>> {
        let Some(files) = &self.bounds else { return Ok(None) };
        if !self.scoring {
            return Ok(None);
        }
        let Some(own) = self.field_bounds(reader, files)? else { return Ok(None) };
        let joined = match &self.joined {
            Some((word, tie)) => match word.field_bounds(reader, files)? {
                Some(fields) => {
                    let blocks = Blocks::of(reader, Some(files))?;
                    Some(JoinedBounds { fields, idf: word.idf, tie: *tie, blocks })
                }
                None => return Ok(None),
            },
            None if self.other.is_some() => return Ok(None),
            None => None,
        };
        Ok(Some(WindowBounds { own, idf: self.idf, joined }))
    }

    /// Each field's bounds in `reader`'s segment (fields without the word
    /// are left out).
    fn field_bounds(
        &self,
        reader: &SegmentReader,
        files: &BoundFiles,
    ) -> tantivy::Result<Option<Vec<FieldBounds>>> {
        let segment = files.segment(reader.segment_id());
        let mut out = Vec::with_capacity(self.fields.len());
        for f in &self.fields {
            let field = f.term.field();
            let inverted = reader.inverted_index(field)?;
            let Some(info) = inverted.get_term_info(&f.term)? else { continue };
            if info.doc_freq < MIN_DOC_FREQ {
                // Few postings: their runs are read here, shorter than the
                // file's, as they are sparse.
                let mut postings =
                    inverted.read_postings_from_terminfo(&info, IndexRecordOption::WithFreqs)?;
                let norms = reader
                    .fieldnorms_readers()
                    .get_field(field)?
                    .unwrap_or_else(|| FieldNormReader::constant(reader.max_doc(), 1));
                let mut runs: Vec<(DocId, DocId, Score)> = Vec::new();
                let mut in_run = 0;
                let mut doc = postings.doc();
                while doc != TERMINATED {
                    let part = postings.term_freq() as Score
                        * f.per_norm[norms.fieldnorm_id(doc) as usize];
                    match runs.last_mut() {
                        Some(run) if in_run < READ_RUN => {
                            run.1 = doc;
                            run.2 = run.2.max(part);
                            in_run += 1;
                        }
                        _ => {
                            runs.push((doc, doc, part));
                            in_run = 1;
                        }
                    }
                    doc = postings.advance();
                }
                let runs = Runs::read(runs, f.average);
                out.push(FieldBounds { runs, scale: SLACK, at: 0 });
                continue;
            }
            let Some(segment) = &segment else { return Ok(None) };
            let Some(ord) = inverted.terms().term_ord(f.term.serialized_value_bytes())? else {
                continue;
            };
            let Some(runs) = segment.runs(field, f.b, ord) else { return Ok(None) };
            // The runs were normalised by the average then; any length's
            // normalisation moves by at most the ratio of the averages.
            let scale = f.weight * (f.average / runs.average).max(1.0) * SLACK;
            out.push(FieldBounds { runs, scale, at: 0 });
        }
        Ok(Some(out))
    }
}

/// Headroom over a bound for float rounding: a bound is summed in another
/// order than the score it bounds.
const SLACK: Score = 1.0 + 1e-4;

/// Postings per run read at query time (a word in few documents, whose
/// runs span many documents each).
const READ_RUN: usize = 16;

/// One field's bounds in a segment: the word's runs of postings there.
struct FieldBounds {
    runs: Runs,
    /// The field's weight, with the averages' ratio and [`SLACK`].
    scale: Score,
    /// The first run not wholly before the current window.
    at: usize,
}

impl FieldBounds {
    /// The first run that ends at or after `doc`: its first and last
    /// document and its bound; `None` when the field has no posting left.
    fn from(&mut self, doc: DocId) -> Option<(DocId, DocId, Score)> {
        while self.at < self.runs.len() && self.runs.get(self.at).1 < doc {
            self.at += 1;
        }
        (self.at < self.runs.len()).then(|| {
            let (first, last, value) = self.runs.get(self.at);
            (first, last, value * self.scale)
        })
    }

    /// The highest bound over the documents `lo..=hi`.
    fn over(&mut self, lo: DocId, hi: DocId) -> Score {
        let Some((first, _, mut highest)) = self.from(lo) else { return 0.0 };
        if first > hi {
            return 0.0;
        }
        for i in self.at + 1..self.runs.len() {
            let (first, _, value) = self.runs.get(i);
            if first > hi {
                break;
            }
            highest = highest.max(value * self.scale);
        }
        highest
    }
}

/// A word's bounds in a segment: a window of documents from a given one,
/// and the best score any document in it could have.
struct WindowBounds {
    own: Vec<FieldBounds>,
    idf: Score,
    joined: Option<JoinedBounds>,
}

/// The quote join's part of [`WindowBounds`]: a note scores its first
/// matching quote, so the window's notes' quotes bound it.
struct JoinedBounds {
    fields: Vec<FieldBounds>,
    idf: Score,
    tie: Score,
    blocks: Blocks,
}

impl WindowBounds {
    /// The window `doc..=end` the fields' runs allow, and its bound: it
    /// ends where a field's run ends or the next one starts, so the runs
    /// it sums are those holding `doc`.
    fn window(&mut self, doc: DocId) -> (DocId, Score) {
        let mut end = TERMINATED - 1;
        for field in &mut self.own {
            if let Some((first, last, _)) = field.from(doc) {
                end = end.min(if first > doc { first - 1 } else { last });
            }
        }
        let tf: Score = self
            .own
            .iter_mut()
            .filter_map(|field| field.from(doc))
            .filter(|&(first, _, _)| first <= end)
            .map(|(_, _, bound)| bound)
            .sum();
        let own = saturate(self.idf, tf);
        let Some(joined) = &mut self.joined else { return (end, own) };
        // The quotes of the window's notes run to the last note's block end.
        let quotes_end =
            if end >= TERMINATED - 1 { TERMINATED - 1 } else { joined.blocks.end_of(end) };
        let tf: Score = joined.fields.iter_mut().map(|f| f.over(doc, quotes_end)).sum();
        let quotes = saturate(joined.idf, tf);
        (end, own.max(quotes) + joined.tie * own.min(quotes))
    }
}

struct Cursor {
    /// Its field's place in [`Bm25FWeight::fields`].
    index: usize,
    postings: SegmentPostings,
    norms: FieldNormReader,
    per_norm: Arc<[Score; 256]>,
}

/// Sums the fields' weighted frequencies and saturates the sum once; the
/// other part (its score negated, to tell it from a frequency) is combined
/// as the best part plus `tie` × the lesser.
#[derive(Default, Clone, Copy)]
struct Saturate {
    idf: Score,
    tie: Score,
    tf: Score,
    /// The other part's score; negative when it does not match.
    other: Score,
}

impl ScoreCombiner for Saturate {
    fn update<S: Scorer>(&mut self, scorer: &mut S) {
        let score = scorer.score();
        if score.is_sign_negative() {
            self.other = -score;
        } else {
            self.tf += score;
        }
    }

    fn clear(&mut self) {
        self.tf = 0.0;
        self.other = -1.0;
    }

    fn score(&self) -> Score {
        let own = saturate(self.idf, self.tf);
        if self.other < 0.0 {
            return own;
        }
        own.max(self.other) + self.tie * own.min(self.other)
    }
}

/// The other part of a [`Saturate`] union: its score, negated.
struct Negated(Box<dyn Scorer>);

impl DocSet for Negated {
    fn advance(&mut self) -> DocId {
        self.0.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        self.0.seek(target)
    }

    fn doc(&self) -> DocId {
        self.0.doc()
    }

    fn size_hint(&self) -> u32 {
        self.0.size_hint()
    }
}

impl Scorer for Negated {
    fn score(&mut self) -> Score {
        -self.0.score()
    }
}

/// A scorer made already, handed once to the buffered union (which takes
/// weights).
struct Taken {
    scorer: std::sync::Mutex<Option<Box<dyn Scorer>>>,
}

impl Taken {
    fn new(scorer: Box<dyn Scorer>) -> Self {
        Taken { scorer: std::sync::Mutex::new(Some(scorer)) }
    }
}

impl Weight for Taken {
    fn scorer(&self, _: &SegmentReader, _: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let scorer = self.scorer.lock().ok().and_then(|mut c| c.take());
        Ok(scorer.unwrap_or_else(|| Box::new(EmptyScorer)))
    }

    fn explain(&self, _: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        Err(tantivy::TantivyError::InvalidArgument(format!(
            "document {doc}: explained by its BM25F word"
        )))
    }
}

struct FieldTfScorer {
    cursor: Cursor,
}

/// `DocSet` for a scorer that walks one [`Cursor`] (its `cursor` field).
macro_rules! cursor_doc_set {
    ($scorer:ty) => {
        impl DocSet for $scorer {
            fn advance(&mut self) -> DocId {
                self.cursor.postings.advance()
            }

            fn seek(&mut self, target: DocId) -> DocId {
                if self.cursor.postings.doc() >= target {
                    return self.cursor.postings.doc();
                }
                self.cursor.postings.seek(target)
            }

            fn doc(&self) -> DocId {
                self.cursor.postings.doc()
            }

            fn size_hint(&self) -> u32 {
                self.cursor.postings.size_hint()
            }
        }
    };
}

cursor_doc_set!(FieldTfScorer);

impl Scorer for FieldTfScorer {
    fn score(&mut self) -> Score {
        let c = &self.cursor;
        let doc = c.postings.doc();
        c.postings.term_freq() as Score * c.per_norm[c.norms.fieldnorm_id(doc) as usize]
    }
}

/// [`Bm25FScorer`] when only one field holds the word.
struct OneFieldScorer {
    cursor: Cursor,
    /// idf × the query's boost.
    idf: Score,
}

cursor_doc_set!(OneFieldScorer);

impl Scorer for OneFieldScorer {
    fn score(&mut self) -> Score {
        let c = &self.cursor;
        let doc = c.postings.doc();
        let id = c.norms.fieldnorm_id(doc);
        saturate(self.idf, c.postings.term_freq() as Score * c.per_norm[id as usize])
    }
}

struct Bm25FScorer {
    /// Each field's cursor, at or after `doc`.
    fields: Vec<Cursor>,
    /// Each cursor's document (saves a call per field and step).
    docs: Vec<DocId>,
    doc: DocId,
    /// idf × the query's boost.
    idf: Score,
    /// The other part's cursor, and the share of the lesser part.
    other: Option<(Box<dyn Scorer>, Score)>,
}

impl Bm25FScorer {
    fn smallest(&self) -> DocId {
        let fields = self.docs.iter().copied().min().unwrap_or(TERMINATED);
        self.other.as_ref().map_or(fields, |(o, _)| fields.min(o.doc()))
    }
}

impl DocSet for Bm25FScorer {
    fn advance(&mut self) -> DocId {
        let current = self.doc;
        for (cursor, doc) in self.fields.iter_mut().zip(self.docs.iter_mut()) {
            if *doc == current {
                *doc = cursor.postings.advance();
            }
        }
        if let Some((other, _)) = &mut self.other
            && other.doc() == current
        {
            other.advance();
        }
        self.doc = self.smallest();
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        for (cursor, doc) in self.fields.iter_mut().zip(self.docs.iter_mut()) {
            if *doc < target {
                *doc = cursor.postings.seek(target);
            }
        }
        if let Some((other, _)) = &mut self.other
            && other.doc() < target
        {
            other.seek(target);
        }
        self.doc = self.smallest();
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        let other = self.other.as_ref().map_or(0, |(o, _)| o.size_hint());
        self.fields.iter().map(|c| c.postings.size_hint()).sum::<u32>() + other
    }
}

impl Scorer for Bm25FScorer {
    fn score(&mut self) -> Score {
        let doc = self.doc;
        let mut tf = 0.0;
        for (cursor, &at) in self.fields.iter().zip(&self.docs) {
            if at == doc {
                let id = cursor.norms.fieldnorm_id(doc);
                tf += cursor.postings.term_freq() as Score * cursor.per_norm[id as usize];
            }
        }
        let own = saturate(self.idf, tf);
        match &mut self.other {
            Some((other, tie)) if other.doc() == doc => {
                let other = other.score();
                own.max(other) + *tie * own.min(other)
            }
            _ => own,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::TopDocs;
    use tantivy::query::TermQuery;
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{Index, TantivyDocument, doc};

    fn index() -> tantivy::Result<(Index, tantivy::schema::Field, tantivy::schema::Field)> {
        let mut schema = Schema::builder();
        let title = schema.add_text_field("title", TEXT);
        let body = schema.add_text_field("body", TEXT);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer::<TantivyDocument>(15_000_000)?;
        let words = ["red", "green blue", "red red green", "blue", "", "red green blue red"];
        for i in 0..120 {
            writer.add_document(doc!(
                title => words[i % words.len()],
                body => words[(i * 7 + 3) % words.len()],
            ))?;
        }
        writer.commit()?;
        Ok((index, title, body))
    }

    fn scores(searcher: &tantivy::Searcher, q: &dyn Query) -> tantivy::Result<Vec<(u32, i64)>> {
        let top = searcher.search(q, &TopDocs::with_limit(500).order_by_score())?;
        let mut out: Vec<(u32, i64)> =
            top.into_iter().map(|(s, d)| (d.doc_id, (s * 1e4).round() as i64)).collect();
        out.sort();
        Ok(out)
    }

    /// One field, weight 1, Tantivy's `N`: the same scores as its BM25.
    #[test]
    fn one_field_scores_as_bm25() -> tantivy::Result<()> {
        let (index, _, body) = index()?;
        let searcher = index.reader()?.searcher();
        for word in ["red", "green", "blue"] {
            let term = Term::from_field_text(body, word);
            let ours = Bm25F::new(
                vec![FieldTerm { term: term.clone(), weight: 1.0, b: super::super::ranking::B }],
                searcher.num_docs(),
            );
            let theirs = TermQuery::new(term, IndexRecordOption::WithFreqs);
            assert_eq!(scores(&searcher, &ours)?, scores(&searcher, &theirs)?);
            assert!(!scores(&searcher, &ours)?.is_empty());
        }
        Ok(())
    }

    /// Matches any field; the explanation's value is the score, and its
    /// fields' parts add up to the combined frequency.
    #[test]
    fn explanation_adds_up_to_the_score() -> tantivy::Result<()> {
        let (index, title, body) = index()?;
        let searcher = index.reader()?.searcher();
        let fields = |word: &str| {
            vec![
                FieldTerm { term: Term::from_field_text(title, word), weight: 3.0, b: 0.75 },
                FieldTerm { term: Term::from_field_text(body, word), weight: 1.0, b: 0.75 },
            ]
        };
        let q = Bm25F::new(fields("green"), searcher.num_docs());
        let top = searcher.search(&q, &TopDocs::with_limit(500).order_by_score())?;
        let either = searcher.search(
            &tantivy::query::BooleanQuery::new(vec![
                (
                    tantivy::query::Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_text(title, "green"),
                        IndexRecordOption::Basic,
                    )) as Box<dyn Query>,
                ),
                (
                    tantivy::query::Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_text(body, "green"),
                        IndexRecordOption::Basic,
                    )),
                ),
            ]),
            &tantivy::collector::Count,
        )?;
        assert_eq!(top.len(), either);
        for (score, address) in top {
            let e = q.explain(&searcher, address)?;
            assert!((e.value() - score).abs() < 1e-4, "{} vs {score}", e.value());
            let json: serde_json::Value = serde_json::from_str(&e.to_pretty_json())
                .map_err(|e| tantivy::TantivyError::InvalidArgument(e.to_string()))?;
            let details = json["details"].as_array().cloned().unwrap_or_default();
            let tf = details
                .iter()
                .find(|d| d["description"].as_str().is_some_and(|t| t.starts_with("tf")))
                .unwrap_or(&serde_json::Value::Null);
            let parts: f64 = tf["details"]
                .as_array()
                .map(|d| d.iter().filter_map(|p| p["value"].as_f64()).sum())
                .unwrap_or(0.0);
            let total = tf["value"].as_f64().unwrap_or(f64::NAN);
            assert!((parts - total).abs() < 1e-4, "{json:#}");
        }
        Ok(())
    }
}
