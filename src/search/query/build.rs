//! A parsed query into Tantivy queries for one target (notes or quotes):
//! folio's fields and weights, BM25F per word, the quote join, phrases,
//! filters, and what to highlight.

use std::ops::Bound;

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, Occur, PhraseQuery,
    Query, RangeQuery, TermQuery,
};
use tantivy::query_grammar::{
    Delimiter, UserInputAst, UserInputBound, UserInputLeaf, UserInputLiteral,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Searcher, Term};

use super::parse::{MAX_WORDS, ParsedQuery, word_parts};
use super::{
    Filters, HighlightTerms, NOTE_FIELDS, Pass, QUERY_FIELDS, QUOTE_FIELDS, Target, parse_range,
};
use crate::index::schema::Fields;
use crate::search::best_field::BestField;
use crate::search::bm25f::{Bm25F, FieldTerm};
use crate::search::join::QuotesOfNote;
use crate::search::ranking::{ADJACENT, B, FieldRank, TIE_BREAKER};

/// Turns a [`ParsedQuery`] into Tantivy queries for one target.
pub struct Builder<'a> {
    fields: &'a Fields,
    analyzer: TextAnalyzer,
    target: Target,
    searcher: &'a Searcher,
    /// Notices met while building (ignored fields, …).
    pub notices: Vec<String>,
    /// What to highlight; filled by [`Builder::build`].
    pub highlights: HighlightTerms,
    /// Whether the text query has a clause on a field both kinds of
    /// documents have (year, tag, everything): then it needs the `kind`
    /// filter. Text fields are each kind's own, so word queries do not.
    shared_field: bool,
    /// The target's default fields, weights and `b`s, from
    /// [`NOTE_FIELDS`] or [`QUOTE_FIELDS`], looked up once.
    default_fields: Vec<(Field, f32, f32)>,
    /// Note and quote documents in the index (BM25F's `N`), counted when
    /// a word first needs them (a phrase does not).
    counts: std::cell::OnceCell<(u64, u64)>,
    /// Whether each word's fields will mostly be sought (every word
    /// required, or filters): then [`BestField`] walks them faster than
    /// Tantivy's buffered union, which is faster when walked end to end.
    sought: bool,
    /// Whether the queries will be explained: then every word's parts use
    /// [`BestField`], which scores the same and explains its parts
    /// (Tantivy's `DisjunctionMaxQuery` explains itself as a sum).
    pub explaining: bool,
    /// The languages with a stemmer of their own that the index holds
    /// notes in, looked up when a word first needs them: a word matches
    /// its forms under each of their stemmers, and English's.
    languages: std::cell::OnceCell<Vec<&'static str>>,
    /// [`Builder::language_counts`], by language.
    language_counts: std::cell::RefCell<std::collections::HashMap<&'static str, (u64, u64)>>,
    /// The index's block bounds, handed to each word (top-k searches skip
    /// what cannot reach the top).
    pub bounds: Option<std::sync::Arc<crate::index::bounds::BoundFiles>>,
}

impl<'a> Builder<'a> {
    /// A builder for `target`.
    pub fn new(fields: &'a Fields, searcher: &'a Searcher, target: Target) -> Self {
        let names: &[FieldRank] = match target {
            Target::Notes => &NOTE_FIELDS,
            Target::Quotes => &QUOTE_FIELDS,
        };
        let default_fields = names
            .iter()
            .filter_map(|&(name, weight, b)| {
                fields.schema.get_field(name).ok().map(|f| (f, weight, b))
            })
            .collect();
        Builder {
            default_fields,
            counts: std::cell::OnceCell::new(),
            fields,
            analyzer: crate::index::schema::analyzer(),
            target,
            searcher,
            notices: Vec::new(),
            highlights: HighlightTerms::default(),
            shared_field: false,
            sought: false,
            explaining: false,
            languages: std::cell::OnceCell::new(),
            language_counts: Default::default(),
            bounds: None,
        }
    }

    /// The full query (text, kind, filters) in a mode, or `None` when the
    /// text has nothing searchable and there are no filters.
    pub fn build(
        &mut self,
        parsed: &ParsedQuery,
        mode: Pass,
        filters: &Filters,
    ) -> Option<Box<dyn Query>> {
        self.highlights = HighlightTerms::default();
        self.shared_field = false;
        self.sought =
            (mode == Pass::All && parsed.plain_words > 1) || *filters != Filters::default();
        let text = self.ast(&parsed.ast, mode, true);
        let filter_queries = self.filters(filters);
        if text.is_none() && filter_queries.is_empty() {
            return None;
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if text.is_none() || self.shared_field {
            let kind = match self.target {
                Target::Notes => crate::index::schema::KIND_NOTE,
                Target::Quotes => crate::index::schema::KIND_QUOTE,
            };
            clauses.push((Occur::Must, filter(term_query(self.fields.kind, kind))));
        }
        clauses.push((Occur::Must, text.unwrap_or_else(|| Box::new(AllQuery))));
        clauses.extend(filter_queries.into_iter().map(|q| (Occur::Must, q)));
        Some(Box::new(BooleanQuery::new(clauses)))
    }

    /// `inner` restricted to the target's kind of document and to the
    /// filters: the same filters a word search applies.
    pub fn filtered(&mut self, inner: Box<dyn Query>, filters: &Filters) -> Box<dyn Query> {
        let kind = match self.target {
            Target::Notes => crate::index::schema::KIND_NOTE,
            Target::Quotes => crate::index::schema::KIND_QUOTE,
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, filter(term_query(self.fields.kind, kind))), (Occur::Must, inner)];
        clauses.extend(self.filters(filters).into_iter().map(|q| (Occur::Must, q)));
        Box::new(BooleanQuery::new(clauses))
    }

    /// The title and author fields of the target's documents.
    fn title_author(&self) -> (Field, Field) {
        match self.target {
            Target::Notes => (self.fields.title, self.fields.author),
            Target::Quotes => (self.fields.quote_title, self.fields.quote_author),
        }
    }

    fn filters(&mut self, filters: &Filters) -> Vec<Box<dyn Query>> {
        let mut out = Vec::new();
        if let Some(author) = &filters.author {
            for token in self.tokens(author) {
                out.push(filter(term_query(self.title_author().1, &token.0)));
            }
        }
        if let Some((lo, hi)) = filters.years {
            out.push(filter(u64_range(self.fields.year, lo, hi)));
        }
        if let Some(tag) = &filters.tag {
            out.push(filter(term_query(self.fields.tag, &tag.trim().to_lowercase())));
        }
        if let Some(pages) = filters.pages {
            match self.pages_query(pages) {
                Some(q) => out.push(q),
                None => self.notices.push("--page applies to quotes; ignored for notes".into()),
            }
        }
        if let Some(range) = filters.locations {
            match self.span_query(self.fields.location_start, self.fields.location_end, range) {
                Some(q) => out.push(q),
                None => {
                    self.notices.push("--location applies to quotes; ignored for notes".into());
                }
            }
        }
        if let Some(day) = filters.since {
            if self.target == Target::Quotes {
                out.push(filter(u64_range(self.fields.added_days, day, u64::MAX)));
            } else {
                self.notices.push("--since applies to quotes; ignored for notes".into());
            }
        }
        out
    }

    fn pages_query(&self, range: (u64, u64)) -> Option<Box<dyn Query>> {
        self.span_query(self.fields.page_start, self.fields.page_end, range)
    }

    /// Quotes whose `[start, end]` (pages or locations) overlap `[lo, hi]`.
    fn span_query(&self, start: Field, end: Field, (lo, hi): (u64, u64)) -> Option<Box<dyn Query>> {
        if self.target != Target::Quotes {
            return None;
        }
        Some(filter(Box::new(BooleanQuery::new(vec![
            (Occur::Must, u64_range(start, 0, hi)),
            (Occur::Must, u64_range(end, lo, u64::MAX)),
        ]))))
    }

    fn ast(&mut self, ast: &UserInputAst, mode: Pass, positive: bool) -> Option<Box<dyn Query>> {
        match ast {
            UserInputAst::Clause(clauses) => {
                let mut out: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for (occur, sub) in clauses {
                    let occur = match (occur, mode) {
                        (Some(o), _) => *o,
                        (None, Pass::All) => Occur::Must,
                        (None, _) => Occur::Should,
                    };
                    let sub_positive = positive && occur != Occur::MustNot;
                    if let Some(q) = self.ast(sub, mode, sub_positive) {
                        out.push((occur, q));
                    }
                }
                if out.is_empty() {
                    return None;
                }
                if out.iter().all(|(o, _)| *o == Occur::MustNot) {
                    // `-word` alone means "everything but": match all first.
                    self.shared_field = true;
                    out.push((Occur::Must, filter(Box::new(AllQuery))));
                }
                if out.len() == 1 && out[0].0 != Occur::MustNot {
                    return out.pop().map(|(_, q)| q);
                }
                Some(Box::new(BooleanQuery::new(out)))
            }
            UserInputAst::Boost(inner, boost) => {
                let q = self.ast(inner, mode, positive)?;
                Some(Box::new(BoostQuery::new(q, boost.into_inner() as f32)))
            }
            UserInputAst::Leaf(leaf) => self.leaf(leaf, mode, positive),
        }
    }

    fn leaf(&mut self, leaf: &UserInputLeaf, mode: Pass, positive: bool) -> Option<Box<dyn Query>> {
        match leaf {
            UserInputLeaf::Literal(literal) => self.literal(literal, mode, positive),
            UserInputLeaf::All => {
                self.shared_field = true;
                Some(filter(Box::new(AllQuery)))
            }
            UserInputLeaf::Range { field, lower, upper } => {
                let name = field.as_deref().unwrap_or("").to_ascii_lowercase();
                let lo = bound_number(lower).unwrap_or(0);
                let hi = bound_number(upper).unwrap_or(u64::MAX);
                self.numeric(&name, (lo, hi))
            }
            UserInputLeaf::Set { field, elements } => {
                let field = field.clone();
                let clauses = elements
                    .iter()
                    .filter_map(|e| {
                        let literal = UserInputLiteral {
                            field_name: field.clone(),
                            phrase: e.clone(),
                            delimiter: Delimiter::None,
                            slop: 0,
                            prefix: false,
                        };
                        self.literal(&literal, mode, positive).map(|q| (Occur::Should, q))
                    })
                    .collect::<Vec<_>>();
                (!clauses.is_empty())
                    .then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>)
            }
            UserInputLeaf::Exists { field } | UserInputLeaf::Regex { field: Some(field), .. } => {
                self.notices.push(format!("`{field}:` with that form is not supported; ignored"));
                None
            }
            UserInputLeaf::Regex { field: None, .. } => None,
        }
    }

    fn numeric(&mut self, name: &str, range: (u64, u64)) -> Option<Box<dyn Query>> {
        match name {
            "year" | "years" => {
                self.shared_field = true;
                Some(filter(u64_range(self.fields.year, range.0, range.1)))
            }
            "page" | "pages" => {
                let q = self.pages_query(range);
                if q.is_none() {
                    self.notices.push("`page:` applies to quotes; ignored for notes".into());
                }
                q
            }
            other => {
                self.notices.push(format!("ranges work on year and page, not `{other}`; ignored"));
                None
            }
        }
    }

    fn literal(
        &mut self,
        literal: &UserInputLiteral,
        mode: Pass,
        positive: bool,
    ) -> Option<Box<dyn Query>> {
        let fields: Vec<(Field, f32, f32)> = match literal.field_name.as_deref() {
            None => self.default_fields(),
            Some(name) => match name.to_ascii_lowercase().as_str() {
                "title" | "titles" => vec![(self.title_author().0, 1.0, B)],
                "author" | "authors" => vec![(self.title_author().1, 1.0, B)],
                "body" => match self.target {
                    Target::Notes => {
                        vec![(self.fields.body, 1.0, B), (self.fields.quote, 1.0, B)]
                    }
                    Target::Quotes => vec![(self.fields.quote, 1.0, B)],
                },
                "quote" | "quotes" => vec![(self.fields.quote, 1.0, B)],
                "tag" | "tags" => {
                    self.shared_field = true;
                    return Some(filter(term_query(
                        self.fields.tag,
                        &literal.phrase.trim().to_lowercase(),
                    )));
                }
                "year" | "years" | "page" | "pages" => {
                    let Some(range) = parse_range(&literal.phrase) else {
                        self.notices.push(format!(
                            "`{name}:{}` is not a number or range (like 2018 or 2010..2020); ignored",
                            literal.phrase
                        ));
                        return None;
                    };
                    return self.numeric(&name.to_ascii_lowercase(), range);
                }
                other => {
                    self.notices.push(format!(
                        "unknown field `{other}:` (fields: {}); searched as words",
                        QUERY_FIELDS.join(", ")
                    ));
                    let words = UserInputLiteral {
                        field_name: None,
                        phrase: format!("{other} {}", literal.phrase),
                        delimiter: Delimiter::None,
                        slop: 0,
                        prefix: false,
                    };
                    return self.words(&words, mode, positive);
                }
            },
        };
        let highlight = positive && self.highlightable(literal.field_name.as_deref());
        // An excluded word keeps its exact meaning: `-birth-weight` drops
        // notes that say it, not every note with `birth` or `weight`.
        if positive && literal.delimiter == Delimiter::None {
            let parts = word_parts(&literal.phrase);
            if parts.len() > 1 {
                return self.parts(literal, &parts, &fields, mode, highlight);
            }
        }
        self.analysed(literal, &fields, mode, highlight)
    }

    /// A word punctuation cuts in several: each part a word of its own
    /// (required with every word, as typed apart), and the whole as a
    /// phrase that adds its score where the parts stand side by side.
    fn parts(
        &mut self,
        literal: &UserInputLiteral,
        parts: &[&str],
        fields: &[(Field, f32, f32)],
        mode: Pass,
        highlight: bool,
    ) -> Option<Box<dyn Query>> {
        let occur = if mode == Pass::All { Occur::Must } else { Occur::Should };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = parts
            .iter()
            .filter_map(|part| {
                let part = UserInputLiteral { phrase: part.to_string(), ..literal.clone() };
                self.literal(&part, mode, true).map(|q| (occur, q))
            })
            .collect();
        if clauses.is_empty() {
            return None;
        }
        let whole = self.analysed(literal, fields, mode, highlight);
        clauses.extend(whole.map(|q| (Occur::Should, boosted(q, ADJACENT))));
        Some(Box::new(BooleanQuery::new(clauses)))
    }

    /// A literal as its analysed tokens: one word (in each language's
    /// stems), or a phrase.
    fn analysed(
        &mut self,
        literal: &UserInputLiteral,
        fields: &[(Field, f32, f32)],
        mode: Pass,
        highlight: bool,
    ) -> Option<Box<dyn Query>> {
        let variants = self.variants(&literal.phrase);
        let singles: Vec<String> = variants
            .iter()
            .skip(1)
            .filter_map(|v| match v.as_slice() {
                [(word, _)] => Some(word.clone()),
                _ => None,
            })
            .collect();
        let first = variants.first().map(Vec::as_slice).unwrap_or_default();
        if singles.len() + 1 == variants.len() {
            // One word, perhaps stemmed differently in the index's languages.
            return self.terms_query(first, &singles, fields, literal, mode, highlight);
        }
        // A phrase (or a word some stemmer splits): any of its readings.
        let mut alternatives: Vec<(Occur, Box<dyn Query>)> = variants
            .iter()
            .filter_map(|tokens| self.terms_query(tokens, &[], fields, literal, mode, highlight))
            .map(|q| (Occur::Should, q))
            .collect();
        match alternatives.len() {
            0 => None,
            1 => alternatives.pop().map(|(_, q)| q),
            _ => Some(Box::new(BooleanQuery::new(alternatives))),
        }
    }

    /// The analysed tokens of `text` in English, then in each other
    /// language of the index whose stemmer reads it differently.
    fn variants(&mut self, text: &str) -> Vec<Vec<(String, usize)>> {
        let mut variants = readings(self.tokens(text));
        let languages = self.languages.get_or_init(|| {
            crate::index::analyzer::STEMMED
                .iter()
                .map(|(code, _)| *code)
                .filter(|code| {
                    let term = Term::from_field_text(self.fields.language, code);
                    self.searcher.doc_freq(&term).unwrap_or(0) > 0
                })
                .collect()
        });
        for &code in languages.clone().iter() {
            let tokens = self.tokens(&crate::index::analyzer::tag(text, Some(code)));
            for reading in readings(tokens) {
                if !variants.contains(&reading) {
                    variants.push(reading);
                }
            }
        }
        variants
    }

    /// An unfielded literal of several words, each searched on its own.
    fn words(
        &mut self,
        literal: &UserInputLiteral,
        mode: Pass,
        positive: bool,
    ) -> Option<Box<dyn Query>> {
        let occur = if mode == Pass::All { Occur::Must } else { Occur::Should };
        let clauses: Vec<_> = literal
            .phrase
            .split_whitespace()
            .filter_map(|word| {
                let single = UserInputLiteral { phrase: word.to_string(), ..literal.clone() };
                self.literal(&single, mode, positive).map(|q| (occur, q))
            })
            .collect();
        (!clauses.is_empty()).then(|| Box::new(BooleanQuery::new(clauses)) as Box<dyn Query>)
    }

    fn highlightable(&self, field: Option<&str>) -> bool {
        match field.map(|f| f.to_ascii_lowercase()) {
            None => true,
            Some(f) => matches!(f.as_str(), "body" | "quote" | "quotes"),
        }
    }

    fn default_fields(&self) -> Vec<(Field, f32, f32)> {
        self.default_fields.clone()
    }

    /// Analysed tokens with their positions.
    fn tokens(&mut self, text: &str) -> Vec<(String, usize)> {
        let mut stream = self.analyzer.token_stream(text);
        let mut tokens = Vec::new();
        while stream.advance() {
            let token = stream.token();
            tokens.push((token.text.clone(), token.position));
            if tokens.len() >= MAX_WORDS {
                break;
            }
        }
        tokens
    }

    /// The query for a word (with `also`: its other stems, any of which
    /// may match) or a phrase, on `fields`.
    fn terms_query(
        &mut self,
        tokens: &[(String, usize)],
        also: &[String],
        fields: &[(Field, f32, f32)],
        literal: &UserInputLiteral,
        mode: Pass,
        highlight: bool,
    ) -> Option<Box<dyn Query>> {
        match tokens {
            [] => None,
            [(word, _)] => {
                let mut words = vec![word.clone()];
                words.extend(also.iter().filter(|w| *w != word).cloned());
                if mode == Pass::Fuzzy && literal.delimiter == Delimiter::None {
                    words.extend(super::fuzzy::near_words(self.searcher, word, fields));
                }
                // A lone Chinese, Japanese or Korean character is indexed
                // inside the two-character pairs of its text.
                words.extend(super::cjk::pairs_with(self.searcher, word, fields));
                if highlight {
                    for variant in also.iter().filter(|v| *v != word) {
                        if !self.highlights.words.contains(variant) {
                            self.highlights.variants.insert(variant.clone(), word.clone());
                        }
                    }
                    self.highlights.words.extend(words.iter().cloned());
                    self.highlights.surface.insert(literal.phrase.trim().to_lowercase());
                }
                let mut alternatives: Vec<(Occur, Box<dyn Query>)> =
                    words.iter().map(|w| (Occur::Should, self.word_query(w, fields))).collect();
                Some(if alternatives.len() == 1 {
                    alternatives.pop().map(|(_, q)| q)?
                } else {
                    Box::new(BooleanQuery::new(alternatives))
                })
            }
            _ => {
                if highlight {
                    self.highlights.phrases.push(tokens.iter().map(|(w, _)| w.clone()).collect());
                }
                let first = tokens.first().map(|t| t.1).unwrap_or(0);
                let per_field = fields
                    .iter()
                    .map(|&(field, weight, _)| {
                        let terms = tokens
                            .iter()
                            .map(|(w, p)| (p - first, Term::from_field_text(field, w)))
                            .collect();
                        let q = PhraseQuery::new_with_offset_and_slop(terms, literal.slop);
                        boosted(self.on_target(field, Box::new(q)), weight)
                    })
                    .collect();
                Some(self.any_field(per_field))
            }
        }
    }

    /// One word on `fields`, scored by BM25F over the fields of the
    /// target's documents; for notes, the word in the note's quotes (other
    /// documents, with their own lengths) counts as a second part, combined
    /// as the best part plus [`TIE_BREAKER`] × the other.
    fn word_query(&self, word: &str, fields: &[(Field, f32, f32)]) -> Box<dyn Query> {
        let (notes, quote_docs) = match crate::index::analyzer::tagged_language(word) {
            "en" => *self.counts.get_or_init(|| {
                let count = |kind: &str| {
                    let term = Term::from_field_text(self.fields.kind, kind);
                    self.searcher.doc_freq(&term).unwrap_or(0)
                };
                (count(crate::index::schema::KIND_NOTE), count(crate::index::schema::KIND_QUOTE))
            }),
            // A stem of another language is weighed among that language's
            // documents: among every document, a word as common as `a` in
            // Hungarian would look rare.
            code => self.language_counts(code),
        };
        let joined = |field: Field| self.target == Target::Notes && field == self.fields.quote;
        let term = |&(field, weight, b): &(Field, f32, f32)| FieldTerm {
            term: Term::from_field_text(field, word),
            weight,
            b,
        };
        let own: Vec<FieldTerm> = fields.iter().filter(|f| !joined(f.0)).map(term).collect();
        let quoted: Vec<FieldTerm> = fields.iter().filter(|f| joined(f.0)).map(term).collect();
        let documents = match self.target {
            Target::Notes => notes,
            Target::Quotes => quote_docs,
        };
        let mut parts: Vec<Box<dyn Query>> = Vec::with_capacity(2);
        let quotes = (!quoted.is_empty()).then(|| {
            let inner =
                Bm25F::new(quoted, quote_docs).sought(self.sought).with_bounds(self.bounds.clone());
            Box::new(QuotesOfNote::new(Box::new(inner), self.bounds.clone())) as Box<dyn Query>
        });
        if !own.is_empty() {
            let word =
                Bm25F::new(own, documents).sought(self.sought).with_bounds(self.bounds.clone());
            match quotes {
                // Both parts in one walk (one buffered union, or one merge
                // when sought), not a walk of walks.
                Some(quotes) if !self.explaining => {
                    return Box::new(word.with_other(quotes, TIE_BREAKER));
                }
                Some(quotes) => parts.extend([Box::new(word) as Box<dyn Query>, quotes]),
                None => parts.push(Box::new(word)),
            }
        } else {
            parts.extend(quotes);
        }
        match parts.len() {
            1 => parts.pop().unwrap_or_else(|| Box::new(tantivy::query::EmptyQuery)),
            _ => self.any_field(parts),
        }
    }

    /// Note and quote documents of notes in language `code` (BM25F's `N`
    /// for that language's stems), counted once per search.
    fn language_counts(&self, code: &'static str) -> (u64, u64) {
        if let Some(&counts) = self.language_counts.borrow().get(code) {
            return counts;
        }
        let count = |kind: &str| {
            let query = BooleanQuery::new(vec![
                (Occur::Must, term_query(self.fields.kind, kind)),
                (Occur::Must, term_query(self.fields.language, code)),
            ]);
            self.searcher.search(&query, &tantivy::collector::Count).unwrap_or(0) as u64
        };
        let counts =
            (count(crate::index::schema::KIND_NOTE), count(crate::index::schema::KIND_QUOTE));
        self.language_counts.borrow_mut().insert(code, counts);
        counts
    }

    /// A word or phrase on any of its fields, scored by the best field.
    fn any_field(&self, per_field: Vec<Box<dyn Query>>) -> Box<dyn Query> {
        if self.sought || self.explaining {
            Box::new(BestField::new(per_field, TIE_BREAKER))
        } else {
            Box::new(DisjunctionMaxQuery::with_tie_breaker(per_field, TIE_BREAKER))
        }
    }

    /// `q` on `field`, matching the target's documents: a note search's
    /// query on quote text matches the quotes' notes.
    fn on_target(&self, field: Field, q: Box<dyn Query>) -> Box<dyn Query> {
        if self.target == Target::Notes && field == self.fields.quote {
            Box::new(QuotesOfNote::new(q, self.bounds.clone()))
        } else {
            q
        }
    }
}

fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::WithFreqs))
}

fn boosted(q: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    if (boost - 1.0).abs() < f32::EPSILON { q } else { Box::new(BoostQuery::new(q, boost)) }
}

/// A clause that restricts without scoring.
fn filter(q: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(q, 0.0))
}

fn u64_range(field: Field, lo: u64, hi: u64) -> Box<dyn Query> {
    Box::new(RangeQuery::new(
        Bound::Included(Term::from_field_u64(field, lo)),
        Bound::Included(Term::from_field_u64(field, hi)),
    ))
}

fn bound_number(bound: &UserInputBound) -> Option<u64> {
    match bound {
        UserInputBound::Inclusive(v) => v.trim().parse().ok(),
        UserInputBound::Exclusive(v) => v.trim().parse::<u64>().ok().map(|n| n.saturating_add(1)),
        UserInputBound::Unbounded => None,
    }
}

/// Analysed tokens as the readings they hold: a word the analyser stems
/// two ways (with its accents, and folded first: `vivía`) gives two tokens
/// at one position; the first reading takes each position's first stem,
/// the second its last.
fn readings(tokens: Vec<(String, usize)>) -> Vec<Vec<(String, usize)>> {
    let mut first: Vec<(String, usize)> = Vec::with_capacity(tokens.len());
    let mut last: Vec<(String, usize)> = Vec::with_capacity(tokens.len());
    for (text, position) in tokens {
        match last.last_mut() {
            Some(previous) if previous.1 == position => *previous = (text, position),
            _ => {
                first.push((text.clone(), position));
                last.push((text, position));
            }
        }
    }
    if first == last { vec![first] } else { vec![first, last] }
}
