//! Note passages for the meaning side: a note's own prose (its readable
//! body without its quotes) cut into paragraph-sized chunks, each embedded
//! with the note's title in front.
//!
//! This module owns where the cuts fall and what text a chunk's vector is
//! made from; the vectors themselves live in the index's vector store
//! (`super::vectors`), keyed by that text's hash, and a note document lists
//! its chunks' keys (`chunk_hash`) beside its quotes' keys. A quote is
//! embedded on its own already (with the reader's note), so embedding it
//! again inside a passage would cost a second vector for the same words: a
//! highlight export, whose body is nothing but its highlights, would be
//! embedded twice. A note is found by meaning through the best of its
//! passages and its quotes. The cuts are worked out again at query time
//! from the stored body and quote spans, to show the passage that matched,
//! so they depend on nothing else.
//!
//! The model reads at most 256 word pieces. A paragraph longer than
//! [`MAX_WORDS`] is split at sentence ends into chunks of even length (a
//! sentence longer than that at word boundaries); paragraphs shorter than
//! [`MIN_WORDS`] are joined to the next while the two fit, across a quote
//! between them (whose words stay out of the chunk's text).

use crate::note::body::paragraphs;

/// Most words in a chunk. English prose runs about 1.3 word pieces a word
/// and scientific text up to 1.6; 160 words and a title fit the model's 256
/// pieces with little cut.
pub const MAX_WORDS: usize = 160;

/// A paragraph shorter than this is joined to the next one (when both fit
/// in [`MAX_WORDS`]): a heading or a one-line remark means little alone.
pub const MIN_WORDS: usize = 30;

/// One chunk of a note's prose: the byte range of the body it spans and
/// the prose pieces in it (a quote between two pieces is spanned, not
/// embedded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    /// From the first piece's start to the last piece's end.
    pub span: (usize, usize),
    /// Byte ranges of the prose pieces, in order.
    pub parts: Vec<(usize, usize)>,
}

/// The chunks of `body`'s prose, in order: the body outside the byte
/// ranges `quotes` (sorted or not; out-of-range ones are clipped).
pub fn chunks(body: &str, quotes: &[(usize, usize)]) -> Vec<Chunk> {
    let mut pieces: Vec<(usize, usize, usize)> = Vec::new();
    for (gap_start, gap_end) in prose_gaps(body, quotes) {
        for (start, end) in paragraphs(&body[gap_start..gap_end]) {
            let (start, end) = (gap_start + start, gap_start + end);
            let words = word_count(&body[start..end]);
            if words <= MAX_WORDS {
                pieces.push((start, end, words));
            } else {
                pieces.extend(split_long(body, start, end, words));
            }
        }
    }
    // Join short pieces to the next while they fit.
    let mut out: Vec<(Chunk, usize)> = Vec::new();
    for (start, end, words) in pieces {
        match out.last_mut() {
            Some((last, count)) if *count < MIN_WORDS && *count + words <= MAX_WORDS => {
                last.span.1 = end;
                last.parts.push((start, end));
                *count += words;
            }
            _ => out.push((Chunk { span: (start, end), parts: vec![(start, end)] }, words)),
        }
    }
    out.into_iter().map(|(chunk, _)| chunk).collect()
}

/// The stretches of `body` between the quote ranges, on char boundaries.
fn prose_gaps(body: &str, quotes: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut quotes: Vec<(usize, usize)> = quotes
        .iter()
        .map(|&(s, e)| (s.min(body.len()), e.min(body.len())))
        .filter(|&(s, e)| s < e && body.is_char_boundary(s) && body.is_char_boundary(e))
        .collect();
    quotes.sort_unstable();
    let mut gaps = Vec::new();
    let mut at = 0;
    for (start, end) in quotes {
        if start > at {
            gaps.push((at, start));
        }
        at = at.max(end);
    }
    if at < body.len() {
        gaps.push((at, body.len()));
    }
    gaps
}

/// The text a chunk's vector is made from: the note's title, a line break,
/// then the chunk's prose with its white space folded (so rewrapping a
/// paragraph does not embed it again).
pub fn chunk_text(title: Option<&str>, body: &str, chunk: &Chunk) -> String {
    let mut text = String::new();
    write_chunk_text(title, body, chunk, &mut text);
    text
}

/// [`chunk_text`] into `out` (cleared first), so one buffer serves every
/// chunk of a build.
fn write_chunk_text(title: Option<&str>, body: &str, chunk: &Chunk, out: &mut String) {
    out.clear();
    if let Some(title) = title.map(str::trim).filter(|t| !t.is_empty()) {
        out.push_str(title);
        out.push('\n');
    }
    let start = out.len();
    for part in chunk.parts.iter().filter_map(|&(s, e)| body.get(s..e)) {
        push_folded(part, start, out);
    }
}

/// Appends the words of `text` to `out`, one space between words (also
/// before the first when `out` holds words past `start`): what
/// `split_whitespace` then `join(" ")` give.
fn push_folded(text: &str, start: usize, out: &mut String) {
    for word in Words(text) {
        if out.len() > start {
            out.push(' ');
        }
        out.push_str(word);
    }
}

/// The words of a text, as `split_whitespace` gives them, in one pass over
/// mostly ASCII bytes instead of char by char.
struct Words<'a>(&'a str);

impl<'a> Iterator for Words<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = skip_spaces(self.0);
        let end = word_end(rest);
        let (word, after) = rest.split_at(end);
        self.0 = after;
        (end > 0).then_some(word)
    }
}

/// `text.trim_start()`, byte by byte over ASCII white space.
fn skip_spaces(text: &str) -> &str {
    let ascii =
        text.bytes().take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r'));
    let rest = &text[ascii.count()..];
    // Non-ASCII white space (a no-break space, an ideographic space).
    if rest.as_bytes().first().is_some_and(|&b| b >= 0x80) { rest.trim_start() } else { rest }
}

/// Where the word at the start of `text` ends: at its first white space
/// (as `char::is_whitespace` says), else at its end.
fn word_end(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b < 0x80 {
            if matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r') {
                return i;
            }
            i += 1;
        } else {
            // A multi-byte char: `i` is on its first byte.
            let c = text[i..].chars().next().unwrap_or(' ');
            if c.is_whitespace() {
                return i;
            }
            i += c.len_utf8();
        }
    }
    bytes.len()
}

/// The keys of [`keyed_chunks`], in the same order, without keeping the
/// texts: what a build stores on every note (`chunk_hash`), model or not.
/// A build without a model made every chunk's text three times over (its
/// words collected, joined, the title put in front) only to hash it: 8 % of
/// a build's instructions.
pub fn chunk_keys(title: Option<&str>, body: &str, quotes: &[(usize, usize)]) -> Vec<u64> {
    let mut text = String::new();
    chunks(body, quotes)
        .iter()
        .map(|chunk| {
            write_chunk_text(title, body, chunk, &mut text);
            crate::embed::store::key(&text)
        })
        .collect()
}

/// Each chunk of `body`'s prose (outside `quotes`) with the key of its
/// text, its text and the byte range it spans.
pub fn keyed_chunks(
    title: Option<&str>,
    body: &str,
    quotes: &[(usize, usize)],
) -> Vec<(u64, String, (usize, usize))> {
    chunks(body, quotes)
        .into_iter()
        .map(|chunk| {
            let text = chunk_text(title, body, &chunk);
            (crate::embed::store::key(&text), text, chunk.span)
        })
        .collect()
}

/// `text.split_whitespace().count()`.
fn word_count(text: &str) -> usize {
    Words(text).count()
}

/// A paragraph of `words` words cut into chunks of about even length, at
/// sentence ends where it can.
fn split_long(body: &str, start: usize, end: usize, words: usize) -> Vec<(usize, usize, usize)> {
    let parts = words.div_ceil(MAX_WORDS);
    let target = words.div_ceil(parts);
    let mut out = Vec::new();
    let (mut from, mut count) = (start, 0);
    for (s, e) in sentences(body, start, end) {
        let n = word_count(&body[s..e]);
        if n > MAX_WORDS {
            if count > 0 {
                out.push((from, s, count));
            }
            out.extend(split_words(body, s, e));
            (from, count) = (e, 0);
            continue;
        }
        if count > 0 && (count + n > MAX_WORDS || count >= target) {
            out.push((from, s, count));
            (from, count) = (s, 0);
        }
        count += n;
    }
    if count > 0 {
        out.push((from, end, count));
    }
    out.into_iter()
        .filter_map(|(s, e, n)| {
            let text = &body[s..e];
            let lead = text.len() - text.trim_start().len();
            let trimmed = text.trim().len();
            (trimmed > 0).then_some((s + lead, s + lead + trimmed, n))
        })
        .collect()
}

/// Byte ranges of the sentences of `body[start..end]`: a sentence ends
/// after `.`, `!` or `?` (and any closing quote or bracket) followed by
/// white space.
fn sentences(body: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    let text = &body[start..end];
    let mut out = Vec::new();
    let mut from = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !matches!(c, '.' | '!' | '?') {
            continue;
        }
        let mut stop = i + c.len_utf8();
        while let Some(&(j, close)) = chars.peek() {
            if matches!(close, '"' | '\'' | ')' | ']' | '”' | '’') {
                stop = j + close.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        if chars.peek().is_some_and(|&(_, next)| next.is_whitespace()) {
            out.push((start + from, start + stop));
            from = stop;
        }
    }
    if from < text.len() {
        out.push((start + from, end));
    }
    out
}

/// A run of text with no sentence end, cut every [`MAX_WORDS`] words.
fn split_words(body: &str, start: usize, end: usize) -> Vec<(usize, usize, usize)> {
    let text = &body[start..end];
    let mut out = Vec::new();
    let (mut from, mut count, mut last_end) = (None, 0, 0);
    let mut at = 0;
    for word in text.split_whitespace() {
        // split_whitespace yields subslices: find each one's offset.
        let offset = at + text[at..].find(word).unwrap_or(0);
        at = offset + word.len();
        if from.is_none() {
            from = Some(offset);
        }
        count += 1;
        last_end = at;
        if count == MAX_WORDS {
            out.push((start + from.unwrap_or(offset), start + last_end, count));
            (from, count) = (None, 0);
        }
    }
    if let Some(from) = from {
        out.push((start + from, start + last_end, count));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(body: &str) -> Vec<&str> {
        chunks(body, &[]).into_iter().map(|c| &body[c.span.0..c.span.1]).collect()
    }

    fn sentence(n: usize, word: &str) -> String {
        let mut s = vec![word; n].join(" ");
        s.push('.');
        s
    }

    #[test]
    fn each_paragraph_of_fitting_length_is_one_chunk() {
        let one = sentence(40, "alpha");
        let two = sentence(50, "beta");
        let body = format!("{one}\n\n{two}\n");
        assert_eq!(texts(&body), vec![one.as_str(), two.as_str()]);
    }

    #[test]
    fn short_paragraphs_join_the_next_one() {
        let body = format!("A heading\n\n{}\n\n{}", sentence(40, "prose"), sentence(150, "more"));
        let got = texts(&body);
        assert_eq!(got.len(), 2);
        assert!(got[0].starts_with("A heading\n\nprose"), "{:?}", got[0]);
        assert!(got[1].starts_with("more"));
    }

    #[test]
    fn a_long_paragraph_splits_at_sentence_ends_into_even_chunks() {
        // 5 sentences of 50 words: 250 words, 2 chunks of 150 and 100.
        let para: Vec<String> = (0..5).map(|i| sentence(50, &format!("w{i}"))).collect();
        let body = para.join(" ");
        let got = texts(&body);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got.iter().all(|c| c.ends_with('.')));
        assert!(got.iter().all(|c| word_count(c) <= MAX_WORDS));
        assert_eq!(got.iter().map(|c| word_count(c)).sum::<usize>(), 250);
    }

    #[test]
    fn a_sentence_longer_than_a_chunk_splits_at_words() {
        let body = vec!["word"; 400].join(" ");
        let got = texts(&body);
        assert_eq!(got.iter().map(|c| word_count(c)).collect::<Vec<_>>(), vec![160, 160, 80]);
    }

    #[test]
    fn chunk_text_puts_the_title_first_and_folds_white_space() {
        let text = |title, body: &str| {
            chunks(body, &[]).iter().map(|c| chunk_text(title, body, c)).collect::<Vec<_>>()
        };
        assert_eq!(text(Some("Title"), "a\n  b"), ["Title\na b"]);
        assert_eq!(text(None, "a b"), ["a b"]);
        assert_eq!(text(Some(" "), "a"), ["a"]);
        // Rewrapping a paragraph keeps its key.
        let a = keyed_chunks(Some("T"), "one two\nthree", &[]);
        let b = keyed_chunks(Some("T"), "one\ntwo three", &[]);
        assert_eq!(a[0].0, b[0].0);
        // Joined paragraphs read as the folded text of their whole span, as
        // before quotes were left out (kept vectors stay valid).
        let body = "A heading\n\nsome prose after it.";
        assert_eq!(text(Some("T"), body), ["T\nA heading some prose after it."]);
    }

    /// [`chunk_text`] as it was written first (words collected, joined,
    /// the title put in front): the texts, and so the keys of every vector
    /// already embedded, must not change.
    fn reference_chunk_text(title: Option<&str>, body: &str, chunk: &Chunk) -> String {
        let words: Vec<&str> = chunk
            .parts
            .iter()
            .filter_map(|&(s, e)| body.get(s..e))
            .flat_map(str::split_whitespace)
            .collect();
        let passage = words.join(" ");
        match title.map(str::trim).filter(|t| !t.is_empty()) {
            Some(title) => format!("{title}\n{passage}"),
            None => passage,
        }
    }

    proptest::proptest! {
        /// The keys a build stores are the keys of the texts a model embeds.
        #[test]
        fn chunk_keys_are_the_keys_of_the_chunk_texts(
            title in proptest::option::of("[ a-zA-Z\u{e9}]{0,12}"),
            body in "([a-z\u{e9}\u{4e00}]{1,9}|[ .!?\n\t\r\u{b}\u{c}\"\u{a0}\u{85}\u{2003}\u{3000}]){0,400}",
            quote in (0usize..300, 0usize..120),
        ) {
            proptest::prop_assert_eq!(word_count(&body), body.split_whitespace().count());
            let quotes = [(quote.0, quote.0 + quote.1)];
            let title = title.as_deref();
            let texts: Vec<String> = chunks(&body, &quotes)
                .iter()
                .map(|chunk| reference_chunk_text(title, &body, chunk))
                .collect();
            let keyed = keyed_chunks(title, &body, &quotes);
            let keyed_texts: Vec<&String> = keyed.iter().map(|k| &k.1).collect();
            proptest::prop_assert_eq!(keyed_texts, texts.iter().collect::<Vec<_>>());
            let keys: Vec<u64> = texts.iter().map(|t| crate::embed::store::key(t)).collect();
            proptest::prop_assert_eq!(chunk_keys(title, &body, &quotes), keys);
        }
    }

    #[test]
    fn quotes_are_left_out_of_the_passages() {
        let quote = sentence(40, "quoted");
        let body = format!("{}\n\n{quote}\n\n{}", sentence(40, "mine"), sentence(40, "after"));
        let at = body.find(&quote).expect("the quote is in the body");
        let got = keyed_chunks(None, &body, &[(at, at + quote.len())]);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got.iter().all(|(_, text, _)| !text.contains("quoted")));
        assert!(got[0].1.starts_with("mine") && got[1].1.starts_with("after"));
    }

    #[test]
    fn a_body_of_quotes_alone_has_no_passages() {
        // A highlight export: its quotes are embedded on their own.
        let one = sentence(20, "first");
        let two = sentence(20, "second");
        let body = format!("{one}\n\n{two}");
        let at = body.find(&two).expect("the second quote is in the body");
        let quotes = [(0, one.len()), (at, at + two.len())];
        assert!(chunks(&body, &quotes).is_empty());
    }

    #[test]
    fn short_prose_joins_across_a_quote_without_its_words() {
        let quote = sentence(50, "quoted");
        let body = format!("Short remark.\n\n{quote}\n\n{}", sentence(40, "mine"));
        let at = body.find(&quote).expect("the quote is in the body");
        let got = chunks(&body, &[(at, at + quote.len())]);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].span, (0, body.len()));
        let text = chunk_text(None, &body, &got[0]);
        assert!(text.starts_with("Short remark. mine") && !text.contains("quoted"), "{text}");
    }

    #[test]
    fn quote_ranges_out_of_bounds_or_inside_a_char_are_ignored() {
        let body = "café au lait, déjà vu";
        assert_eq!(chunks(body, &[(4, 5), (10, 999), (50, 60)]).len(), 1);
    }

    #[test]
    fn multibyte_text_cuts_on_char_boundaries() {
        let body = format!("{} {}", sentence(120, "café"), sentence(120, "naïve"));
        let got = texts(&body);
        assert_eq!(got.len(), 2);
        assert!(got[1].starts_with("naïve"));
    }
}
