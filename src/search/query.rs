//! Query text into Tantivy queries: the query language, default fields and
//! boosts, filters, and the all-words / any-word / near-match modes.
//!
//! The syntax is Tantivy's query grammar (words, `"phrases"`, `field:value`,
//! `-word`, `+word`, `OR`, `AND`, parentheses), read into its AST and turned
//! into queries here, so folio decides what each field name means for notes
//! and for quotes. Text that is not valid syntax is searched as plain words,
//! with a notice; nothing a person types makes a search fail.
//!
//! A word that punctuation cuts in several (`birth-weight`, `pre-miRNA.`,
//! `COVID-19`) is its parts, each a word of the query as if typed apart,
//! and the whole as a phrase that only adds to the score: punctuation
//! never makes a query stricter than its words (issue 20). A `"quoted
//! phrase"` still requires its words side by side, and so does a Chinese or
//! Japanese word, whose bigrams are how it is matched at all.

use std::collections::BTreeSet;
use std::ops::Bound;
use std::sync::LazyLock;

use levenshtein_automata::{DFA, Distance, LevenshteinAutomatonBuilder, SINK_STATE};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, Occur, PhraseQuery,
    Query, RangeQuery, TermQuery,
};
use tantivy::query_grammar::{
    self, Delimiter, UserInputAst, UserInputBound, UserInputLeaf, UserInputLiteral,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{Searcher, Term};

use super::best_field::BestField;
use super::bm25f::{Bm25F, FieldTerm};
use super::join::QuotesOfNote;
use super::ranking::{ADJACENT, B, FieldRank, TIE_BREAKER};
use crate::index::schema::Fields;

pub use super::ranking::{ALL_WORDS_MAX, NOTE_FIELDS, QUOTE_FIELDS};

/// Field names people may write before a colon.
pub const QUERY_FIELDS: [&str; 7] = ["title", "author", "body", "quote", "tag", "year", "page"];

/// Queries longer than this are searched as plain words (bounded work).
const MAX_QUERY_CHARS: usize = 2_000;
/// At most this many words are searched.
const MAX_WORDS: usize = 64;
/// At most this many dictionary terms stand in for one fuzzy word.
const MAX_FUZZY_EXPANSIONS: usize = 30;

/// What a search is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Whole notes.
    Notes,
    /// Quoted passages.
    Quotes,
}

/// How words combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Every word must match.
    All,
    /// Any word may match; more matches rank higher.
    Any,
    /// Any word, each also matching near spellings in the index.
    Fuzzy,
}

/// Filters from flags (`--author`, `--year`, `--tag`, `--page`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Words of an author's name, all required.
    pub author: Option<String>,
    /// Inclusive year range.
    pub years: Option<(u64, u64)>,
    /// A tag.
    pub tag: Option<String>,
    /// Inclusive page range (quotes).
    pub pages: Option<(u64, u64)>,
    /// Inclusive Kindle location range (quotes).
    pub locations: Option<(u64, u64)>,
    /// Only highlights made on or after this day (days since 1970-01-01).
    pub since: Option<u64>,
}

/// `2018` → (2018, 2018); `2010..2020` → (2010, 2020); `..2000`, `1990..`.
pub fn parse_range(text: &str) -> Option<(u64, u64)> {
    let text = text.trim();
    let (lo, hi) = match text.split_once("..") {
        Some((lo, hi)) => (lo.trim(), hi.trim().trim_start_matches('=')),
        None => match text.split_once(['-', '–']) {
            Some((lo, hi)) if !lo.is_empty() => (lo.trim(), hi.trim()),
            _ => (text, text),
        },
    };
    let lo = if lo.is_empty() { 0 } else { lo.parse().ok()? };
    let hi = if hi.is_empty() { u64::MAX } else { hi.parse().ok()? };
    Some(if lo <= hi { (lo, hi) } else { (hi, lo) })
}

/// A query, understood.
#[derive(Debug, Clone)]
pub struct ParsedQuery {
    ast: UserInputAst,
    /// Things to tell the person (syntax fallback, ignored parts).
    pub notices: Vec<String>,
    /// How many plain (unfielded, positive) words it has.
    pub plain_words: usize,
}

/// Reads query text; never fails.
pub fn parse(text: &str) -> ParsedQuery {
    let mut notices = Vec::new();
    let too_long = text.chars().count() > MAX_QUERY_CHARS;
    let ast = if too_long {
        notices.push(format!(
            "the query is over {MAX_QUERY_CHARS} characters; searched as plain words"
        ));
        None
    } else if nesting_depth(text) > 16 {
        notices.push("the query nests parentheses too deeply; searched as plain words".into());
        None
    } else {
        match query_grammar::parse_query(&inner_apostrophes_escaped(text)) {
            Ok(ast) => Some(ast),
            Err(_) => {
                notices.push(
                    "the query is not valid syntax (an unclosed quote or parenthesis?); \
                     searched as plain words"
                        .into(),
                );
                None
            }
        }
    };
    let ast = ast.unwrap_or_else(|| plain_words(text, &mut notices));
    let plain_words = count_plain_words(&ast);
    ParsedQuery { ast, notices, plain_words }
}

impl ParsedQuery {
    /// Whether the query is plain words only: no phrase, field, prefix,
    /// exclusion, `OR`, range or boost, whose exact meaning only the word
    /// index can honour.
    pub fn only_words(&self) -> bool {
        fn words(ast: &UserInputAst) -> bool {
            match ast {
                UserInputAst::Clause(clauses) => clauses
                    .iter()
                    .all(|(occur, sub)| matches!(occur, None | Some(Occur::Must)) && words(sub)),
                UserInputAst::Boost(..) => false,
                UserInputAst::Leaf(leaf) => match leaf.as_ref() {
                    UserInputLeaf::Literal(l) => {
                        l.field_name.is_none()
                            && !l.prefix
                            && (l.delimiter == Delimiter::None || !l.phrase.contains(' '))
                    }
                    _ => false,
                },
            }
        }
        self.plain_words > 0 && words(&self.ast)
    }
}

/// `text` with each apostrophe inside a word (`patient's`, `don't`,
/// `O'Brien`) escaped: Tantivy's grammar ends a word at `'` and reads what
/// follows up to the next one as a `'quoted phrase'`, so `the patient's
/// capacity … the patient's genes` would require `s capacity … the patient`
/// side by side. A `'phrase'` opened after a space still is one.
fn inner_apostrophes_escaped(text: &str) -> std::borrow::Cow<'_, str> {
    let inner = |(i, c): (usize, char)| {
        c == '\''
            && text[..i].chars().next_back().is_some_and(char::is_alphanumeric)
            && text[i + 1..].chars().next().is_some_and(char::is_alphanumeric)
    };
    if !text.char_indices().any(inner) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for (i, c) in text.char_indices() {
        if inner((i, c)) {
            out.push('\\');
        }
        out.push(c);
    }
    std::borrow::Cow::Owned(out)
}

fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for c in text.chars() {
        match c {
            '(' => {
                depth += 1;
                max = max.max(depth);
            }
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Text that is not valid syntax as words: cut at spaces and at the
/// syntax's own characters (quotes, parentheses, colons, …), so a word
/// with a hyphen or a full stop in it stays one word, searched as its
/// parts like any other ([`word_parts`]).
fn plain_words(text: &str, notices: &mut Vec<String>) -> UserInputAst {
    let syntax = |c: char| c.is_whitespace() || "\"`()[]{}:^~*!+\\/<>=".contains(c);
    let words: Vec<&str> = text
        .split(syntax)
        .map(|w| w.trim_start_matches('-'))
        .filter(|w| !word_parts(w).is_empty())
        .collect();
    if words.len() > MAX_WORDS {
        notices.push(format!("only the first {MAX_WORDS} words are searched"));
    }
    let clauses = words
        .into_iter()
        .take(MAX_WORDS)
        .map(|word| {
            let literal = UserInputLiteral {
                field_name: None,
                phrase: word.to_string(),
                delimiter: Delimiter::None,
                slop: 0,
                prefix: false,
            };
            (None, UserInputAst::Leaf(Box::new(UserInputLeaf::Literal(literal))))
        })
        .collect();
    UserInputAst::Clause(clauses)
}

fn count_plain_words(ast: &UserInputAst) -> usize {
    match ast {
        UserInputAst::Clause(clauses) => clauses
            .iter()
            .filter(|(occur, _)| *occur != Some(Occur::MustNot))
            .map(|(_, sub)| count_plain_words(sub))
            .sum(),
        UserInputAst::Boost(inner, _) => count_plain_words(inner),
        UserInputAst::Leaf(leaf) => match leaf.as_ref() {
            UserInputLeaf::Literal(l) if l.field_name.is_none() => match l.delimiter {
                Delimiter::None => word_parts(&l.phrase).len(),
                _ => 1,
            },
            _ => 0,
        },
    }
}

/// The words of an unquoted word as typed: the runs the analyser cuts it
/// into, where punctuation (`-`, `.`, `'`, `/`) or a change of script
/// separates them (`birth-weight`, `pre-miRNA.`, `API接口`). A run of CJK
/// characters stays one word (its bigrams are matched side by side), and so
/// does a word the tokenizer cuts at combining marks (a Tamil pulli, a
/// Devanagari virama), which are parts of its letters, not punctuation.
pub fn word_parts(text: &str) -> Vec<&str> {
    use crate::index::analyzer::{WordKind, words};
    let mut parts: Vec<(usize, usize)> = Vec::new();
    let mut last_kind = None;
    for (start, end, kind) in words(text) {
        let joins = match (parts.last(), last_kind, kind) {
            (None, ..) => false,
            // The bigrams of one CJK run overlap; another run does not.
            (Some(&(_, last_end)), Some(WordKind::Cjk), WordKind::Cjk) => start < last_end,
            (_, Some(WordKind::Cjk), _) | (_, _, WordKind::Cjk) => false,
            (Some(&(_, last_end)), ..) => {
                text.get(last_end..start).is_some_and(|gap| gap.chars().all(is_mark))
            }
        };
        match parts.last_mut() {
            Some(last) if joins => last.1 = end,
            _ => parts.push((start, end)),
        }
        last_kind = Some(kind);
    }
    parts.into_iter().filter_map(|(start, end)| text.get(start..end)).collect()
}

/// Whether `c` is a combining mark (or joiner) of a script that writes
/// words without them being separate words: the analyser, like Tantivy's
/// `SimpleTokenizer`, cuts words at the marks that are not alphabetic.
fn is_mark(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F         // combining diacritical marks
        | 0x0483..=0x0489       // Cyrillic
        | 0x0591..=0x05BD | 0x05BF | 0x05C1..=0x05C2 | 0x05C4..=0x05C5 | 0x05C7 // Hebrew points
        | 0x0610..=0x061A | 0x064B..=0x065F | 0x0670 | 0x06D6..=0x06ED   // Arabic
        | 0x0900..=0x0963 | 0x0966..=0x096F | 0x0971..=0x0DF3   // Indic (not the dandas)
        | 0x0E31..=0x0E3A | 0x0E47..=0x0E4E     // Thai
        | 0x0EB1..=0x0EBC | 0x0EC8..=0x0ECD     // Lao
        | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F
        | 0x200C..=0x200D       // zero-width non-joiner and joiner
        | 0xFE00..=0xFE0F       // variation selectors
    )
}

/// Words and phrases to highlight in a text, as analysed terms.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HighlightTerms {
    /// Single analysed words.
    pub words: BTreeSet<String>,
    /// Phrases, as analysed words in order.
    pub phrases: Vec<Vec<String>>,
    /// The words as typed, lower-cased: a match written exactly so ranks
    /// its snippet window above one that only shares the stem.
    pub surface: BTreeSet<String>,
    /// Each word's stems in the index's other languages (in `words` too),
    /// to the English stem of the query word they stand for: one query
    /// word, however many languages read it.
    pub variants: std::collections::BTreeMap<String, String>,
}

impl HighlightTerms {
    /// How many query words `words` stands for (its language variants
    /// counted with the word they are a form of).
    pub fn distinct_words(&self) -> usize {
        self.words.len().saturating_sub(self.variants.len())
    }

    /// The query word an analysed term stands for, if it is one.
    pub fn word_of<'t>(&'t self, term: &'t str) -> Option<&'t str> {
        if !self.words.contains(term) {
            return None;
        }
        Some(self.variants.get(term).map_or(term, String::as_str))
    }
}

impl HighlightTerms {
    /// Whether there is nothing to highlight.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.phrases.is_empty()
    }
}

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
        }
    }

    /// The full query (text, kind, filters) in a mode, or `None` when the
    /// text has nothing searchable and there are no filters.
    pub fn build(
        &mut self,
        parsed: &ParsedQuery,
        mode: Mode,
        filters: &Filters,
    ) -> Option<Box<dyn Query>> {
        self.highlights = HighlightTerms::default();
        self.shared_field = false;
        self.sought =
            (mode == Mode::All && parsed.plain_words > 1) || *filters != Filters::default();
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

    fn ast(&mut self, ast: &UserInputAst, mode: Mode, positive: bool) -> Option<Box<dyn Query>> {
        match ast {
            UserInputAst::Clause(clauses) => {
                let mut out: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for (occur, sub) in clauses {
                    let occur = match (occur, mode) {
                        (Some(o), _) => *o,
                        (None, Mode::All) => Occur::Must,
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

    fn leaf(&mut self, leaf: &UserInputLeaf, mode: Mode, positive: bool) -> Option<Box<dyn Query>> {
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
        mode: Mode,
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
        mode: Mode,
        highlight: bool,
    ) -> Option<Box<dyn Query>> {
        let occur = if mode == Mode::All { Occur::Must } else { Occur::Should };
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
        mode: Mode,
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
        let mut variants = vec![self.tokens(text)];
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
            if !variants.contains(&tokens) {
                variants.push(tokens);
            }
        }
        variants
    }

    /// An unfielded literal of several words, each searched on its own.
    fn words(
        &mut self,
        literal: &UserInputLiteral,
        mode: Mode,
        positive: bool,
    ) -> Option<Box<dyn Query>> {
        let occur = if mode == Mode::All { Occur::Must } else { Occur::Should };
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
        mode: Mode,
        highlight: bool,
    ) -> Option<Box<dyn Query>> {
        match tokens {
            [] => None,
            [(word, _)] => {
                let mut words = vec![word.clone()];
                words.extend(also.iter().filter(|w| *w != word).cloned());
                if mode == Mode::Fuzzy && literal.delimiter == Delimiter::None {
                    words.extend(self.near_words(word, fields));
                }
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
            let inner = Bm25F::new(quoted, quote_docs).sought(self.sought);
            Box::new(QuotesOfNote::new(Box::new(inner))) as Box<dyn Query>
        });
        if !own.is_empty() {
            let word = Bm25F::new(own, documents).sought(self.sought);
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
            Box::new(QuotesOfNote::new(q))
        } else {
            q
        }
    }

    /// Indexed words within 1 edit (from 5 letters) or 2 (from 9) of `word`.
    fn near_words(&self, word: &str, fields: &[(Field, f32, f32)]) -> Vec<String> {
        let letters = word.chars().count();
        let distance = match letters {
            0..=4 => return Vec::new(),
            5..=8 => 1,
            _ => 2,
        };
        let dfa = LEVENSHTEIN[distance - 1].build_dfa(word);
        let mut found = BTreeSet::new();
        for segment in self.searcher.segment_readers() {
            for &(field, _, _) in fields {
                let Ok(inverted) = segment.inverted_index(field) else { continue };
                let Ok(mut stream) = inverted.terms().search(Automaton(&dfa)).into_stream() else {
                    continue;
                };
                while stream.advance() && found.len() < MAX_FUZZY_EXPANSIONS {
                    if let Ok(term) = std::str::from_utf8(stream.key())
                        && term != word
                    {
                        found.insert(term.to_string());
                    }
                }
            }
        }
        found.into_iter().collect()
    }
}

/// Levenshtein automaton builders for 1 and 2 edits (transpositions count
/// as one): building one is the costly step, so it is done once, as
/// Tantivy's `FuzzyTermQuery` does.
static LEVENSHTEIN: [LazyLock<LevenshteinAutomatonBuilder>; 2] = [
    LazyLock::new(|| LevenshteinAutomatonBuilder::new(1, true)),
    LazyLock::new(|| LevenshteinAutomatonBuilder::new(2, true)),
];

/// A Levenshtein DFA as an FST automaton, to walk the term dictionary.
struct Automaton<'a>(&'a DFA);

impl tantivy_fst::Automaton for Automaton<'_> {
    type State = u32;

    fn start(&self) -> u32 {
        self.0.initial_state()
    }

    fn is_match(&self, state: &u32) -> bool {
        matches!(self.0.distance(*state), Distance::Exact(_))
    }

    fn can_match(&self, state: &u32) -> bool {
        *state != SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse() {
        let rows = [
            ("2018", Some((2018, 2018))),
            ("2010..2020", Some((2010, 2020))),
            ("50-60", Some((50, 60))),
            ("..2000", Some((0, 2000))),
            ("1990..", Some((1990, u64::MAX))),
            ("2020..2010", Some((2010, 2020))),
            ("soon", None),
        ];
        for (text, want) in rows {
            assert_eq!(parse_range(text), want, "{text}");
        }
    }

    #[test]
    fn bad_syntax_falls_back_to_words_with_a_notice() {
        for text in [r#"what's "stateful"#, "author:", "-", r#""""#, "((a", "0-dimensional (show)."]
        {
            let parsed = parse(text);
            // Never panics; either valid syntax or a notice and plain words.
            let _ = parsed.plain_words;
        }
        let parsed = parse(r#"what's "stateful"#);
        assert_eq!(parsed.notices.len(), 1, "{:?}", parsed.notices);
        assert_eq!(parsed.plain_words, 3);
        let long = "word ".repeat(2_100);
        let parsed = parse(&long);
        assert!(parsed.notices.iter().any(|n| n.contains("plain words")));
        assert_eq!(parsed.plain_words, MAX_WORDS);
        assert!(!parse(&"(".repeat(5_000)).notices.is_empty());
        // The fallback keeps a hyphenated word whole, to be cut into parts.
        let parsed = parse("birth-weight (\"unclosed");
        assert_eq!(parsed.plain_words, 3, "{:?}", parsed.notices);
    }

    #[test]
    fn words_are_cut_where_punctuation_or_script_cuts_them() {
        let rows: [(&str, &[&str]); 11] = [
            ("weight", &["weight"]),
            ("birth-weight", &["birth", "weight"]),
            ("pre-miRNA.", &["pre", "miRNA"]),
            ("COVID-19", &["COVID", "19"]),
            ("U.S.", &["U", "S"]),
            ("naïve", &["naïve"]),
            // One CJK run is one word: its bigrams go together.
            ("东京的苹果", &["东京的苹果"]),
            ("API接口", &["API", "接口"]),
            ("東京。大阪", &["東京", "大阪"]),
            // A Tamil word the tokenizer cuts at its pulli is one word.
            ("பள்ளி", &["பள்ளி"]),
            ("—", &[]),
        ];
        for (text, want) in rows {
            assert_eq!(word_parts(text), want, "{text}");
        }
    }

    #[test]
    fn each_part_of_a_word_counts_as_a_word_of_the_query() {
        let rows = [
            ("birth weight", 2),
            ("birth-weight", 2),
            ("pre-miRNA. processing", 3),
            ("\"birth weight\"", 1),
            ("title:birth-weight", 0),
            ("cells -birth-weight", 1),
            ("birth-weight OR cells", 3),
            ("东京的苹果", 1),
            // An apostrophe inside a word opens no phrase; one after a
            // space does.
            ("the patient's capacity and the mother's genes", 8),
            ("'birth weight' cells", 2),
        ];
        for (text, want) in rows {
            assert_eq!(parse(text).plain_words, want, "{text}");
        }
    }

    /// Notes named `name`, indexed as `folio index` indexes them, and an
    /// engine on them (the folder goes when the first value is dropped).
    fn engine(notes: &[(&str, &str)]) -> (tempfile::TempDir, crate::search::Engine) {
        use crate::index::update::{UpdateOptions, update};
        let dir = tempfile::tempdir().expect("a temporary folder");
        let folder = dir.path().join("notes");
        std::fs::create_dir_all(&folder).expect("a notes folder");
        for (name, text) in notes {
            let note = format!("name: {name}\n{text}");
            std::fs::write(folder.join(format!("{name}.md")), note).expect("a note");
        }
        let ix = crate::index::FolioIndex::open_or_create(&dir.path().join("index"), false)
            .expect("an index");
        let options = UpdateOptions {
            roots: vec![folder],
            threads: 1,
            memory_mb: 60,
            progress: false,
            model: None,
        };
        update(&ix, &options, &|_| {}).expect("indexed");
        (dir, crate::search::Engine::open(ix).expect("a searcher"))
    }

    #[test]
    fn the_query_language_as_people_type_it() {
        let (_dir, engine) = engine(&[
            ("together", "title: Newborn care\n\nLow birth-weight infants need warm rooms.\n"),
            ("apart", "title: Mothers\n\nThe weight of the mother at birth.\n"),
            ("mirna", "title: Dicer\n\nThe enzyme Dicer cuts each pre-miRNA.\n"),
            ("mirna-apart", "title: Stages\n\nThe enzyme acts pre, then the miRNA.\n"),
            (
                "orchard",
                "title: Orchard apples\n\nApples grow in the orchards, and a cherry tree too.\n",
            ),
            ("cherry", "title: Cherry trees\n\nThe trees are in bloom in the spring.\n"),
            ("tokyo", "title: 东京\n\n东京的苹果很好吃。\n"),
            ("tokyo-apart", "title: 水果\n\n苹果在东京。的确。\n"),
        ]);
        // Each query's notes, best first (`ordered`) or in any order.
        let rows: [(&str, &[&str], bool); 14] = [
            ("infants rooms", &["together"], true),
            // A hyphen joins words without requiring them side by side;
            // side by side ranks first (the notes are as long: the words
            // alone score them the same).
            ("birth-weight", &["together", "apart"], true),
            ("Birth-Weight.", &["together", "apart"], true),
            ("pre-miRNA.", &["mirna", "mirna-apart"], true),
            // A quoted phrase is a phrase.
            ("\"birth weight\"", &["together"], true),
            ("\"pre miRNA\"", &["mirna"], true),
            // field:value, its parts on that field.
            ("title:cherry", &["cherry"], true),
            ("title:care-newborn", &["together"], true),
            ("title:birth-weight", &[], true),
            // An exclusion excludes the word as written.
            ("weight -birth-weight", &["apart"], true),
            ("trees -bloom", &["orchard"], true),
            ("rooms OR bloom", &["cherry", "together"], false),
            // A CJK word still needs its bigrams side by side.
            ("东京的苹果", &["tokyo"], true),
            ("苹果", &["tokyo", "tokyo-apart"], false),
        ];
        for (query, want, ordered) in rows {
            let request = crate::search::Request::new(query, Target::Notes);
            let results = engine.search(&request).expect("a search");
            let mut names: Vec<String> = results
                .hits
                .iter()
                .filter_map(|h| match h {
                    crate::search::Hit::Note(n) => Some(n.name.clone()),
                    crate::search::Hit::Quote(_) => None,
                })
                .collect();
            if !ordered {
                names.sort();
            }
            assert_eq!(names, want, "{query}");
        }
    }
}
