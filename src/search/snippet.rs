//! Snippets: the part of a text that shows why it matched, with highlights.
//!
//! Tantivy's `SnippetGenerator` highlights every word of a phrase, counts
//! bytes as characters, has no ellipses and nothing for near matches
//! (tantivy.md §7), so folio cuts its own: the text is tokenized with the
//! index's analyser, matches are the query's analysed words and whole
//! phrases, the best window of at most [`MAX_CHARS`] characters is chosen
//! within one paragraph, snapped to sentence or word boundaries, and marked
//! with `…` where it cuts. Highlights are character offsets into the
//! snippet's text.

use std::collections::HashSet;

use rustc_hash::FxHashMap;

use serde::Serialize;
use tantivy::tokenizer::{TextAnalyzer, TokenStream};

use super::query::HighlightTerms;
use crate::note::body::paragraphs;

/// Longest snippet, in characters, ellipses included.
pub const MAX_CHARS: usize = 200;

/// A fragment of text with highlighted ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Snippet {
    /// The fragment, white space folded.
    pub text: String,
    /// `[start, end)` character offsets into `text`.
    pub highlights: Vec<[usize; 2]>,
    /// Byte range of the fragment in the source text (not serialized).
    #[serde(skip)]
    pub source: (usize, usize),
    /// Byte range of the paragraph the fragment is from (not serialized).
    #[serde(skip)]
    pub paragraph: (usize, usize),
}

/// A match in the source: byte range and which query term it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    /// Byte offset of the first character.
    pub start: usize,
    /// Byte offset past the last character.
    pub end: usize,
    /// Index of the term or phrase it matched (for counting distinct terms).
    pub term: usize,
    /// Written as typed in the query (not only the same stem), or a phrase.
    pub exact: bool,
}

/// Finds the query's terms in texts, analysing as little as it can.
///
/// Running the whole analyser (lower case, folding, stemming) over every
/// word of every hit's body was most of a search's time. A stem keeps its
/// word's first letter and is never longer than the word, so a word whose
/// first letter starts no query term, or that is shorter than every term,
/// cannot match and is not analysed at all; the words that could are
/// analysed once per search and remembered.
pub struct Highlighter {
    terms: HighlightTerms,
    /// Word id → index of the single-word term it is, if it is one.
    word_term: Vec<Option<usize>>,
    /// Phrases as word ids.
    phrases: Vec<Vec<u32>>,
    stems: QueryWords,
}

/// The query's analysed words and a cache of what text words analyse to.
struct QueryWords {
    /// Every query word and phrase word, by id.
    vocabulary: FxHashMap<String, u32>,
    /// ASCII first letters of the query words (a table: this is asked for
    /// every word of every hit).
    ascii_first: [bool; 128],
    shortest: usize,
    analyzer: TextAnalyzer,
    cache: FxHashMap<String, Option<u32>>,
}

impl QueryWords {
    /// The vocabulary id of a raw word's analysed form in a language
    /// (an ISO 639-1 code, `None` for English), if it is a query word.
    fn word_id(&mut self, raw: &str, language: Option<&str>) -> Option<u32> {
        let first = *raw.as_bytes().first()?;
        if first.is_ascii()
            && (raw.len() < self.shortest || !self.ascii_first[first.to_ascii_lowercase() as usize])
        {
            return None;
        }
        // The word as the index analysed it: with its language's marker.
        let tagged = crate::index::analyzer::tag(raw, language);
        if let Some(id) = self.cache.get(tagged.as_ref()) {
            return *id;
        }
        // A word may have two stems (its accents read, and folded first):
        // either one that is a query word makes it one.
        let mut stream = self.analyzer.token_stream(&tagged);
        let mut id = None;
        let mut position = None;
        while id.is_none() && stream.advance() {
            let token = stream.token();
            if position.is_some_and(|p| p != token.position) {
                break;
            }
            position = Some(token.position);
            id = self.vocabulary.get(&token.text).copied();
        }
        drop(stream);
        self.cache.insert(tagged.into_owned(), id);
        id
    }
}

impl Highlighter {
    /// A highlighter for these analysed terms.
    pub fn new(terms: &HighlightTerms) -> Self {
        let mut vocabulary: FxHashMap<String, u32> = FxHashMap::default();
        let mut id_of = |w: &String| -> u32 {
            let next = vocabulary.len() as u32;
            *vocabulary.entry(w.clone()).or_insert(next)
        };
        let word_ids: Vec<u32> = terms.words.iter().map(&mut id_of).collect();
        let phrases: Vec<Vec<u32>> =
            terms.phrases.iter().map(|p| p.iter().map(&mut id_of).collect()).collect();
        let mut word_term = vec![None; vocabulary.len()];
        for (term, id) in word_ids.iter().enumerate() {
            word_term[*id as usize] = Some(term);
        }
        let mut ascii_first = [false; 128];
        for first in vocabulary.keys().filter_map(|w| w.bytes().next()).filter(u8::is_ascii) {
            ascii_first[first as usize] = true;
        }
        let shortest = vocabulary.keys().map(String::len).min().unwrap_or(0);
        Highlighter {
            terms: terms.clone(),
            word_term,
            phrases,
            stems: QueryWords {
                vocabulary,
                ascii_first,
                shortest,
                analyzer: crate::index::schema::analyzer(),
                cache: FxHashMap::default(),
            },
        }
    }

    /// Every match in an English `text`, in order, not overlapping.
    pub fn find(&mut self, text: &str) -> Vec<Match> {
        self.find_in(text, None)
    }

    /// Every match in `text`, written in `language` (an ISO 639-1 code,
    /// whose stemmer the index used for it), in order, not overlapping.
    /// A CJK word matches as its bigrams at consecutive positions, and is
    /// marked from its first character to its last.
    pub fn find_in(&mut self, text: &str, language: Option<&str>) -> Vec<Match> {
        if self.terms.is_empty() {
            return Vec::new();
        }
        // Only words that are query words are kept, with their ordinal
        // (a phrase is consecutive ordinals): most words of a body are not.
        let tokens: Vec<(usize, usize, usize, u32)> = crate::index::analyzer::words(text)
            .enumerate()
            .filter_map(|(ordinal, (start, end, _))| {
                self.stems.word_id(&text[start..end], language).map(|id| (ordinal, start, end, id))
            })
            .collect();
        let words = self.terms.words.len();
        let mut matches: Vec<Match> = Vec::new();
        let mut i = 0;
        'tokens: while i < tokens.len() {
            // Phrases first: a phrase is highlighted as a whole, its words
            // alone are not (unless they are query words themselves).
            for (p, phrase) in self.phrases.iter().enumerate() {
                let n = phrase.len();
                if n > 0
                    && i + n <= tokens.len()
                    && tokens[i..i + n]
                        .iter()
                        .zip(phrase)
                        .enumerate()
                        .all(|(k, (t, w))| t.3 == *w && t.0 == tokens[i].0 + k)
                {
                    let (start, end) = (tokens[i].1, tokens[i + n - 1].2);
                    match matches.last_mut() {
                        Some(last) if start < last.end => last.end = last.end.max(end),
                        _ => matches.push(Match { start, end, term: words + p, exact: true }),
                    }
                    i += n;
                    continue 'tokens;
                }
            }
            if let Some(term) = self.word_term[tokens[i].3 as usize] {
                let (start, end) = (tokens[i].1, tokens[i].2);
                let exact = self.terms.surface.contains(&text[start..end].to_lowercase());
                match matches.last_mut() {
                    // Bigrams overlap: two that do are one marked stretch.
                    Some(last) if start < last.end => last.end = last.end.max(end),
                    _ => matches.push(Match { start, end, term, exact }),
                }
            }
            i += 1;
        }
        matches
    }
}

/// The whole text with its matches highlighted (for quotes).
pub fn whole(text: &str, matches: &[Match]) -> Snippet {
    render(text, 0, text.len(), matches, false, false)
}

/// The best window of `text` for these matches; the start of the text when
/// there are none.
pub fn best(text: &str, matches: &[Match]) -> Snippet {
    let paragraphs = paragraphs(text);
    let Some(&(para_start, para_end)) = paragraphs.first() else { return Snippet::default() };
    if matches.is_empty() {
        return window(text, (para_start, para_end), para_start, para_start, &[]);
    }
    // Score windows: distinct terms first, then all matches.
    struct Candidate {
        para: (usize, usize),
        /// Its paragraph's matches: `matches[from..to]`.
        matches: (usize, usize),
        span: (usize, usize),
        score: (usize, usize, usize),
    }
    let mut best: Option<Candidate> = None;
    let mut distinct = HashSet::new();
    for &(ps, pe) in &paragraphs {
        // Matches are in order: take this paragraph's by binary search, not
        // by a scan of all (that was paragraphs × matches: 16 s and 800 MB
        // for a hit in a 50 MB note).
        let from = matches.partition_point(|m| m.start < ps);
        let to = matches.partition_point(|m| m.start < pe);
        let in_para: Vec<&Match> = matches[from..to].iter().filter(|m| m.end <= pe).collect();
        for (a, first) in in_para.iter().enumerate() {
            distinct.clear();
            let mut last_end = first.end;
            let (mut count, mut exact) = (0, 0);
            for m in &in_para[a..] {
                if char_len(text, first.start, m.end) > MAX_CHARS - 2 {
                    break;
                }
                distinct.insert(m.term);
                count += 1;
                exact += usize::from(m.exact);
                last_end = m.end;
            }
            let score = (distinct.len(), exact, count);
            if best.as_ref().is_none_or(|b| score > b.score) {
                best = Some(Candidate {
                    para: (ps, pe),
                    matches: (from, to),
                    span: (first.start, last_end),
                    score,
                });
            }
        }
    }
    let Some(Candidate { para, matches: (from, to), span: (start, end), .. }) = best else {
        return window(text, (para_start, para_end), para_start, para_start, &[]);
    };
    let inside: Vec<Match> =
        matches[from..to].iter().copied().filter(|m| m.end <= para.1).collect();
    window(text, para, start, end, &inside)
}

fn char_len(text: &str, start: usize, end: usize) -> usize {
    text.get(start..end).map(|s| s.chars().count()).unwrap_or(0)
}

/// A window of at most MAX_CHARS within `para` that contains `[start, end)`.
fn window(
    text: &str,
    para: (usize, usize),
    start: usize,
    end: usize,
    matches: &[Match],
) -> Snippet {
    let (ps, pe) = para;
    let budget = MAX_CHARS - 2; // room for the ellipses
    let span = char_len(text, start, end);
    let spare = budget.saturating_sub(span);
    // Start: a sentence start shortly before the match if there is one,
    // else a word boundary about a third of the spare room before it.
    let lead_room = (spare / 3).max(spare.min(40));
    let earliest = back_chars(text, start, lead_room).max(ps);
    let mut from =
        sentence_start(text, earliest, start).unwrap_or_else(|| word_start(text, earliest, start));
    if char_len(text, ps, start) <= lead_room {
        from = ps;
    }
    // End: fill the budget, then snap back to a sentence end or a word end.
    let limit = forward_chars(text, from, budget).min(pe);
    let mut to = if limit >= pe {
        pe
    } else {
        sentence_end(text, end, limit).unwrap_or_else(|| word_end(text, end, limit))
    };
    if to < end {
        to = end.min(pe);
    }
    Snippet { paragraph: (ps, pe), ..render(text, from, to, matches, from > ps, to < pe) }
}

fn back_chars(text: &str, at: usize, n: usize) -> usize {
    text[..at].char_indices().rev().nth(n.saturating_sub(1)).map(|(i, _)| i).unwrap_or(0)
}

fn forward_chars(text: &str, at: usize, n: usize) -> usize {
    text[at..].char_indices().nth(n).map(|(i, _)| at + i).unwrap_or(text.len())
}

/// The first sentence start in `[from, before)`.
fn sentence_start(text: &str, from: usize, before: usize) -> Option<usize> {
    let slice = text.get(from..before)?;
    slice
        .match_indices(['.', '!', '?', '\n'])
        .map(|(i, _)| from + i + 1)
        .find(|&i| text[i..].starts_with([' ', '\n']))
        .map(|i| i + text[i..].len() - text[i..].trim_start().len())
        .filter(|&i| i <= before)
}

fn word_start(text: &str, from: usize, before: usize) -> usize {
    if from == 0 || text[..from].ends_with(char::is_whitespace) {
        return from;
    }
    text.get(from..before)
        .and_then(|s| s.find(char::is_whitespace))
        .map(|i| from + i + 1)
        .filter(|&i| i <= before)
        .unwrap_or(from)
}

/// The last sentence end in `(after, limit]`, when it keeps at least half the room.
fn sentence_end(text: &str, after: usize, limit: usize) -> Option<usize> {
    let slice = text.get(after..limit)?;
    let end = slice.rfind(['.', '!', '?']).map(|i| after + i + 1)?;
    (char_len(text, after, end) * 2 >= char_len(text, after, limit)).then_some(end)
}

fn word_end(text: &str, after: usize, limit: usize) -> usize {
    if limit >= text.len() || text[limit..].starts_with(char::is_whitespace) {
        return limit;
    }
    text.get(after..limit)
        .and_then(|s| s.rfind(char::is_whitespace))
        .map(|i| after + i)
        .unwrap_or(limit)
}

/// Builds the snippet text (white space folded) and character highlights.
fn render(
    text: &str,
    from: usize,
    to: usize,
    matches: &[Match],
    lead: bool,
    trail: bool,
) -> Snippet {
    let mut out = String::new();
    let mut highlights = Vec::new();
    let mut chars = 0usize;
    if lead {
        out.push('…');
        chars += 1;
    }
    let mut open: Option<usize> = None;
    let mut pending: Option<&Match> = None;
    let relevant: Vec<&Match> = matches.iter().filter(|m| m.start >= from && m.end <= to).collect();
    let mut next = 0;
    let mut last_space = lead;
    for (i, c) in text[from..to].char_indices() {
        let at = from + i;
        if open.is_none()
            && let Some(m) = relevant.get(next)
            && m.start == at
        {
            open = Some(chars);
            pending = Some(m);
            next += 1;
        }
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
                chars += 1;
                last_space = true;
            }
        } else {
            out.push(c);
            chars += 1;
            last_space = false;
        }
        if let (Some(s), Some(m)) = (open, pending)
            && at + c.len_utf8() >= m.end
        {
            highlights.push([s, chars]);
            open = None;
            pending = None;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    if trail {
        out.push('…');
    }
    Snippet { text: out, highlights, source: (from, to), paragraph: (from, to) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(words: &[&str], phrases: &[&[&str]]) -> HighlightTerms {
        HighlightTerms {
            words: words.iter().map(|w| w.to_string()).collect(),
            phrases: phrases.iter().map(|p| p.iter().map(|w| w.to_string()).collect()).collect(),
            ..Default::default()
        }
    }

    fn highlighted(s: &Snippet) -> Vec<String> {
        let chars: Vec<char> = s.text.chars().collect();
        s.highlights.iter().map(|[a, b]| chars[*a..*b].iter().collect()).collect()
    }

    #[test]
    fn stemmed_words_highlight_the_original_words() {
        let text = "It must load all stateful components when it starts.";
        let m = Highlighter::new(&terms(&["state", "start"], &[])).find(text);
        let s = best(text, &m);
        assert_eq!(highlighted(&s), ["stateful", "starts"]);
    }

    #[test]
    fn a_phrase_highlights_the_phrase_not_its_words_elsewhere() {
        let text = "The quality of your thoughts. Of course your day matters.";
        let m = Highlighter::new(&terms(&[], &[&["qualiti", "of", "your", "thought"]])).find(text);
        let s = best(text, &m);
        assert_eq!(highlighted(&s), ["quality of your thoughts"]);
    }

    #[test]
    fn long_text_is_cut_to_200_chars_with_ellipses() {
        let filler = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(10);
        let text = format!("{filler}Here the river meanders slowly past the town. {filler}");
        let m = Highlighter::new(&terms(&["meander"], &[])).find(&text);
        let s = best(&text, &m);
        assert!(s.text.chars().count() <= MAX_CHARS, "{} chars", s.text.chars().count());
        assert!(s.text.starts_with('…') || s.text.starts_with("Here"), "{}", s.text);
        assert!(s.text.ends_with('…'));
        assert_eq!(highlighted(&s), ["meanders"]);
    }

    #[test]
    fn no_match_gives_the_start_of_the_text() {
        let text = "First paragraph here.\n\nSecond one.";
        let s = best(text, &[]);
        assert_eq!(s.text, "First paragraph here.");
        assert!(s.highlights.is_empty());
    }

    #[test]
    fn words_that_cannot_match_are_not_confused_with_ones_that_do() {
        // `dying` stems to `die`; `history` to `histori`; `hist` is shorter.
        let text = "Dying histories die; his hist history.";
        let m = Highlighter::new(&terms(&["die", "histori"], &[])).find(text);
        let s = whole(text, &m);
        assert_eq!(highlighted(&s), ["Dying", "histories", "die", "history"]);
    }

    #[test]
    fn multibyte_text_keeps_char_offsets() {
        let text = "Über die Flüsse — la rivière mystérieuse coule.";
        let m = Highlighter::new(&terms(&["mysterieus"], &[])).find(text);
        let s = whole(text, &m);
        assert_eq!(highlighted(&s), ["mystérieuse"]);
    }
}
