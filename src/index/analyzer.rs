//! folio's English analyser: text in, the tokens every text field indexes
//! and every query looks up.
//!
//! The tokens are exactly those of Tantivy's chain `SimpleTokenizer` →
//! `RemoveLongFilter(40)` → `LowerCaser` → `AsciiFoldingFilter` →
//! `Stemmer(English)` (a test holds it to that, text, positions and offsets),
//! so the index means the same as with the plain chain. It is one pass
//! instead of five because tokenizing was a third of an index build:
//!
//! - words that are plain ASCII (nearly all of them) are cut and lower-cased
//!   byte by byte; the rare others go through Tantivy's own filters;
//! - stems come from a per-thread cache whose entries hold the word and its
//!   stem inline, so a lookup touches one table slot and never a second
//!   allocation (the stemmer costs about 2,000 instructions a word, and
//!   words follow a Zipf law, so nearly every word is a cache hit).

use std::cell::RefCell;

use rustc_hash::FxHashMap;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, Stemmer, TextAnalyzer, Token,
    TokenStream, Tokenizer,
};

/// Tokens of this many bytes or more are dropped (Tantivy's `RemoveLongFilter`).
const LONGEST_TOKEN: usize = 40;

/// folio's analyser, ready to register under [`super::schema::ANALYZER`].
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::from(FolioTokenizer::default())
}

/// The fused tokenizer; see the module documentation.
#[derive(Clone, Default)]
pub struct FolioTokenizer {
    token: Token,
}

/// The token stream of a [`FolioTokenizer`].
pub struct FolioTokenStream<'a> {
    text: &'a str,
    words: Words<'a>,
    position: usize,
    token: &'a mut Token,
}

impl Tokenizer for FolioTokenizer {
    type TokenStream<'a> = FolioTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> FolioTokenStream<'a> {
        self.token.reset();
        FolioTokenStream { text, words: words(text), position: usize::MAX, token: &mut self.token }
    }
}

/// A byte that is ASCII and not a letter or digit.
const SEPARATOR: u8 = 0;
/// An ASCII letter or digit.
const ASCII_WORD: u8 = 1;
/// Part of a non-ASCII character: decoded to decide.
const OTHER: u8 = 2;

/// The class of every byte, one table lookup per byte of text.
static CLASS: [u8; 256] = {
    let mut table = [SEPARATOR; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = if b >= 0x80 {
            OTHER
        } else if (b as u8).is_ascii_alphanumeric() {
            ASCII_WORD
        } else {
            SEPARATOR
        };
        b += 1;
    }
    table
};

/// The words of a text as Tantivy's `SimpleTokenizer` cuts them (runs of
/// alphanumeric characters), as byte ranges, and whether each is ASCII.
pub struct Words<'a> {
    text: &'a str,
    at: usize,
}

/// The words of `text`; see [`Words`].
pub fn words(text: &str) -> Words<'_> {
    Words { text, at: 0 }
}

impl Iterator for Words<'_> {
    type Item = (usize, usize, bool);

    fn next(&mut self) -> Option<(usize, usize, bool)> {
        let bytes = self.text.as_bytes();
        let mut i = self.at;
        // Skip to the start of a word: ASCII in a tight scan, other
        // characters one by one.
        let start = loop {
            let skip = bytes.get(i..)?.iter().position(|&b| CLASS[usize::from(b)] != SEPARATOR);
            let Some(skip) = skip else {
                self.at = bytes.len();
                return None;
            };
            i += skip;
            if bytes[i] < 0x80 {
                break i;
            }
            let c = self.text.get(i..)?.chars().next()?;
            if c.is_alphanumeric() {
                break i;
            }
            i += c.len_utf8();
        };
        // Find its end.
        let mut ascii = true;
        let mut end = start;
        loop {
            let run = bytes[end..]
                .iter()
                .position(|&b| CLASS[usize::from(b)] != ASCII_WORD)
                .unwrap_or(bytes.len() - end);
            end += run;
            match bytes.get(end) {
                Some(&b) if b >= 0x80 => {
                    let Some(c) = self.text.get(end..).and_then(|t| t.chars().next()) else {
                        break;
                    };
                    if !c.is_alphanumeric() {
                        break;
                    }
                    ascii = false;
                    end += c.len_utf8();
                }
                _ => break,
            }
        }
        self.at = end;
        Some((start, end, ascii))
    }
}

impl TokenStream for FolioTokenStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            let Some((start, end, ascii)) = self.words.next() else { return false };
            // Every word takes a position, even a dropped long one, as in
            // Tantivy's chain (the tokenizer counts before the filter drops).
            self.position = self.position.wrapping_add(1);
            if end - start >= LONGEST_TOKEN {
                continue;
            }
            let word = &self.text[start..end];
            self.token.offset_from = start;
            self.token.offset_to = end;
            self.token.position = self.position;
            self.token.position_length = 1;
            self.token.text.clear();
            STEMS.with_borrow_mut(|stems| {
                if ascii {
                    stems.stem_ascii(word, &mut self.token.text);
                } else {
                    stems.stem_other(word, &mut self.token.text);
                }
            });
            return true;
        }
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

/// Longest word (bytes) whose stem the cache keeps; longer words are
/// stemmed every time (they are rare).
const INLINE: usize = 15;

/// A short ASCII word stored inline: bytes, zero-padded, and the length.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct InlineWord([u8; INLINE + 1]);

impl InlineWord {
    fn new(word: &[u8]) -> Option<Self> {
        if word.len() > INLINE {
            return None;
        }
        let mut bytes = [0u8; INLINE + 1];
        bytes[..word.len()].copy_from_slice(word);
        bytes[INLINE] = word.len() as u8;
        Some(InlineWord(bytes))
    }

    fn as_bytes(&self) -> &[u8] {
        &self.0[..usize::from(self.0[INLINE])]
    }
}

/// Most distinct words a thread's stem cache holds before starting over.
const STEM_CACHE_WORDS: usize = 200_000;

/// Stems already made on this thread, and the stemmers for the rest.
struct Stems {
    cache: FxHashMap<InlineWord, InlineWord>,
    /// Tantivy's stemmer for lower-case ASCII words.
    stemmer: TextAnalyzer,
    /// Tantivy's lower-caser, folding and stemmer, for other words.
    folding_stemmer: TextAnalyzer,
    /// A lower-cased word being looked up.
    lower: String,
}

thread_local! {
    static STEMS: RefCell<Stems> = RefCell::new(Stems {
        cache: FxHashMap::default(),
        stemmer: TextAnalyzer::builder(RawTokenizer::default())
            .filter(Stemmer::new(Language::English))
            .build(),
        folding_stemmer: TextAnalyzer::builder(RawTokenizer::default())
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .filter(Stemmer::new(Language::English))
            .build(),
        lower: String::with_capacity(LONGEST_TOKEN),
    });
}

impl Stems {
    /// Writes the stem of an ASCII `word` (any case) to `out`.
    fn stem_ascii(&mut self, word: &str, out: &mut String) {
        self.lower.clear();
        self.lower.extend(word.chars().map(|c| c.to_ascii_lowercase()));
        let Some(key) = InlineWord::new(self.lower.as_bytes()) else {
            first_token(&mut self.stemmer, &self.lower, out);
            return;
        };
        if let Some(stem) = self.cache.get(&key) {
            // Only ASCII bytes go in: always valid UTF-8.
            out.push_str(std::str::from_utf8(stem.as_bytes()).unwrap_or_default());
            return;
        }
        first_token(&mut self.stemmer, &self.lower, out);
        if let Some(stem) = InlineWord::new(out.as_bytes()) {
            if self.cache.len() >= STEM_CACHE_WORDS {
                self.cache.clear();
            }
            self.cache.insert(key, stem);
        }
    }

    /// Writes the lower-cased, folded stem of a non-ASCII `word` to `out`.
    fn stem_other(&mut self, word: &str, out: &mut String) {
        first_token(&mut self.folding_stemmer, word, out);
    }
}

/// The one token a raw-tokenizing `analyzer` makes of `word`, appended to `out`.
fn first_token(analyzer: &mut TextAnalyzer, word: &str, out: &mut String) {
    let mut stream = analyzer.token_stream(word);
    if stream.advance() {
        out.push_str(&stream.token().text);
    } else {
        out.push_str(word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tantivy::tokenizer::{RemoveLongFilter, SimpleTokenizer};

    fn tantivy_chain() -> TextAnalyzer {
        TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(LONGEST_TOKEN))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .filter(Stemmer::new(Language::English))
            .build()
    }

    fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(String, usize, usize, usize)> {
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            let t = stream.token();
            out.push((t.text.clone(), t.position, t.offset_from, t.offset_to));
        }
        out
    }

    #[test]
    fn same_tokens_as_tantivys_chain() {
        let text = "Running runners ran; the mystérieuse histories, HISTORY and Happiness \
                    of dying skies. Ærøskøbing ĲSSEL straße 42nd 3.14 x²  \
                    pneumonoultramicroscopicsilicovolcanoconiosis-and-more \
                    aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa end \
                    internationalisations café Running again: histories!";
        let (plain, fused) = (&mut tantivy_chain(), &mut analyzer());
        for _ in 0..2 {
            // twice: the second time from the cache
            assert_eq!(tokens(fused, text), tokens(plain, text));
        }
        assert_eq!(tokens(fused, "mystérieuse")[0].0, "mysterieus");
        assert!(tokens(fused, "").is_empty());
    }

    proptest! {
        #[test]
        fn same_tokens_on_any_text(text in "([a-zA-Z]{1,30}|[ -~]|[éÆßİĲ²ſ\u{300}一]|\\PC){0,40}") {
            prop_assert_eq!(tokens(&mut analyzer(), &text), tokens(&mut tantivy_chain(), &text));
        }
    }
}
