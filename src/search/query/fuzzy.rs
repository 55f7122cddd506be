//! Near spellings: the indexed words within one or two edits of a query
//! word, found by walking each segment's term dictionary with Tantivy's
//! own Levenshtein automaton ([`FuzzyTermQuery::automaton`]). The words
//! found are then searched like typed words (BM25F, the quote join), which
//! a `FuzzyTermQuery` alone would score as a constant.

use std::collections::BTreeSet;

use tantivy::query::FuzzyTermQuery;
use tantivy::schema::Field;
use tantivy::{Searcher, Term};

/// At most this many dictionary terms stand in for one fuzzy word.
const MAX_FUZZY_EXPANSIONS: usize = 30;

/// Indexed words within 1 edit (from 5 letters) or 2 (from 9) of `word`.
pub(super) fn near_words(
    searcher: &Searcher,
    word: &str,
    fields: &[(Field, f32, f32)],
) -> Vec<String> {
    let letters = word.chars().count();
    let distance = match letters {
        0..=4 => return Vec::new(),
        5..=8 => 1,
        _ => 2,
    };
    let Some(&(first_field, _, _)) = fields.first() else { return Vec::new() };
    // Tantivy's own automaton (built once per distance, transpositions
    // counting as one edit); a term's text is the same in every field.
    let query = FuzzyTermQuery::new(Term::from_field_text(first_field, word), distance, true);
    let Ok(dfa) = query.automaton() else { return Vec::new() };
    let mut found = BTreeSet::new();
    for segment in searcher.segment_readers() {
        for &(field, _, _) in fields {
            let Ok(inverted) = segment.inverted_index(field) else { continue };
            let Ok(mut stream) = inverted.terms().search(&dfa).into_stream() else {
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
