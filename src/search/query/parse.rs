//! Query text into Tantivy's query AST: the grammar, the fallback to
//! plain words when the text is not valid syntax (with a notice), and how
//! a word as typed is cut into the words the analyser sees.

use tantivy::query::Occur;
use tantivy::query_grammar::{self, Delimiter, UserInputAst, UserInputLeaf, UserInputLiteral};

/// Queries longer than this are searched as plain words (bounded work).
const MAX_QUERY_CHARS: usize = 2_000;
/// At most this many words are searched.
pub(super) const MAX_WORDS: usize = 64;

/// A query, understood.
#[derive(Debug, Clone)]
pub struct ParsedQuery {
    pub(super) ast: UserInputAst,
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

/// Whether `c` is a combining mark (Unicode's general categories Mn, Mc,
/// Me: a virama, a pulli, a Hebrew point, a decomposed accent) or a
/// zero-width joiner or non-joiner: a part of a letter, which the
/// analyser, like Tantivy's `SimpleTokenizer`, cuts words at when it is
/// not alphabetic, not punctuation between words.
fn is_mark(c: char) -> bool {
    use unicode_general_category::{GeneralCategory, get_general_category};
    matches!(
        get_general_category(c),
        GeneralCategory::NonspacingMark
            | GeneralCategory::SpacingMark
            | GeneralCategory::EnclosingMark
    ) || matches!(c, '\u{200C}' | '\u{200D}')
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let rows: [(&str, &[&str]); 14] = [
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
            // So is a Hindi word cut at its virama, a pointed Hebrew word,
            // and a word whose accent is a separate combining mark.
            ("विद्या", &["विद्या"]),
            ("שָׁלוֹם", &["שָׁלוֹם"]),
            ("nai\u{308}ve", &["nai\u{308}ve"]),
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
}
