//! A query of one Chinese, Japanese or Korean character. The index cuts
//! CJK text into overlapping two-character pairs (`书店` `店里`), and keeps
//! a character alone only where its run is one character long; so `书`
//! alone would find only the texts where it stands between punctuation.
//! It also stands for every indexed pair that holds it, found by walking
//! each segment's term dictionary with an automaton (`书.|.书`): the walk
//! follows every first character but, after it, only the edges of `书`.

use std::collections::HashMap;

use tantivy::Searcher;
use tantivy::schema::Field;
use tantivy_fst::Regex;

use crate::index::analyzer::is_cjk;

/// At most this many pairs stand in for one character: the ones in the
/// most documents (a common character, `人`, is in thousands of pairs;
/// each pair is one more word to look up in every segment).
const MAX_PAIRS: usize = 200;

/// The indexed pairs that hold `word`, when it is one CJK character, most
/// documents first; nothing for any other word.
pub(super) fn pairs_with(
    searcher: &Searcher,
    word: &str,
    fields: &[(Field, f32, f32)],
) -> Vec<String> {
    let mut chars = word.chars();
    let (Some(c), None) = (chars.next(), chars.next()) else { return Vec::new() };
    if !is_cjk(c) {
        return Vec::new();
    }
    let Ok(automaton) = Regex::new(&format!("{c}.|.{c}")) else { return Vec::new() };
    let mut documents: HashMap<String, u64> = HashMap::new();
    for segment in searcher.segment_readers() {
        for &(field, _, _) in fields {
            let Ok(inverted) = segment.inverted_index(field) else { continue };
            let Ok(mut stream) = inverted.terms().search(&automaton).into_stream() else {
                continue;
            };
            while stream.advance() {
                let Ok(pair) = std::str::from_utf8(stream.key()) else { continue };
                // Both halves CJK: a pair, not a word of another script.
                if pair.chars().all(is_cjk) {
                    *documents.entry(pair.to_string()).or_default() +=
                        u64::from(stream.value().doc_freq);
                }
            }
        }
    }
    let mut pairs: Vec<(String, u64)> = documents.into_iter().collect();
    pairs.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    pairs.truncate(MAX_PAIRS);
    pairs.into_iter().map(|(pair, _)| pair).collect()
}
