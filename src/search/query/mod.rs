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
//!
//! Three parts: [`parse`] reads the text into Tantivy's query AST (never
//! failing), `build` turns the AST into queries over folio's fields, and
//! `fuzzy` finds the indexed words near a misspelt one.

mod build;
mod cjk;
mod fuzzy;
mod parse;

use std::collections::BTreeSet;

pub use super::ranking::{ALL_WORDS_MAX, NOTE_FIELDS, QUOTE_FIELDS};
pub use build::Builder;
pub use parse::{ParsedQuery, parse, word_parts};

/// Field names people may write before a colon.
pub const QUERY_FIELDS: [&str; 7] = ["title", "author", "body", "quote", "tag", "year", "page"];

/// What a search is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Whole notes.
    Notes,
    /// Quoted passages.
    Quotes,
}

/// One pass of a word search: how its words combine. A search runs the
/// passes in turn (every word, then any word, then near spellings) and
/// ranks each pass's hits after the previous one's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
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
            default_roots: Vec::new(),
            threads: 1,
            memory_mb: 60,
            progress: None,
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
        let rows: [(&str, &[&str], bool); 16] = [
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
            // No exact match: near spellings of the word, through
            // Tantivy's automaton (one edit at 5 to 8 letters).
            ("orchrds", &["orchard"], true),
            // Under 5 letters nothing is near enough to guess.
            ("tres", &[], true),
        ];
        for (query, want, ordered) in rows {
            let request = crate::search::Request::new(query, Target::Notes);
            let results = engine.search(&request).expect("a search");
            let mut names: Vec<String> = results
                .hits
                .iter()
                .filter_map(|h| match h {
                    crate::search::Hit::Note(n) => Some(n.card.name.clone()),
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
