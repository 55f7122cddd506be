//! Readable text out of the markup found in header values and raw HTML.
//!
//! Header values are inline Markdown that may hold HTML (`<i>…</i>`,
//! `<a href="…">…</a>`) and entities (`&eacute;`); they go through
//! pulldown-cmark like the body does. Raw HTML blocks in the body arrive as
//! one string, so their tags are dropped and entities decoded here.

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

/// Readable text of a one-line header value, and the first link's URL.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct InlineText {
    /// The text, tags and link markup gone, entities decoded, spaces folded.
    pub text: String,
    /// The URL of the first Markdown link or `<a href>` in the value.
    pub url: Option<String>,
}

/// Renders a header value (inline Markdown with HTML) as readable text.
pub fn inline_text(value: &str) -> InlineText {
    // Most values (names, titles, dates) hold no markup: Markdown would
    // give back their words as they are. Parsing them anyway was 4 % of a
    // build (eleven parsers a note).
    if is_plain(value) {
        return InlineText { text: fold_spaces(value), url: None };
    }
    parsed_inline_text(value)
}

/// Whether Markdown reads `value` as its own text: one line that starts
/// with a letter or digit (not a list's number: digits then `.` or `)`),
/// so no list, heading, quote or code block, and holds only letters,
/// digits, spaces, `_` between two of them (`The_Twins`: no emphasis), and
/// punctuation that means nothing inline (no emphasis, link, code, HTML,
/// entity or escape).
fn is_plain(value: &str) -> bool {
    let Some(first) = value.chars().next() else { return false };
    if !first.is_alphanumeric() {
        return false;
    }
    if first.is_ascii_digit() {
        let after = value.trim_start_matches(|c: char| c.is_ascii_digit());
        if after.starts_with(['.', ')']) {
            return false;
        }
    }
    let mut before = None;
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        let plain = c.is_alphanumeric()
            || matches!(c, ' ' | ',' | '.' | ';' | ':' | '\'' | '"' | '(' | ')' | '?' | '/' | '-')
            || (c == '_'
                && before.is_some_and(char::is_alphanumeric)
                && chars.peek().is_some_and(|n| n.is_alphanumeric()));
        if !plain {
            return false;
        }
        before = Some(c);
    }
    true
}

/// [`inline_text`] through the Markdown parser.
fn parsed_inline_text(value: &str) -> InlineText {
    let mut out = InlineText::default();
    let mut text = String::new();
    for event in Parser::new(value) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::Start(Tag::Link { dest_url, .. }) if out.url.is_none() => {
                out.url = Some(dest_url.into_string());
            }
            Event::InlineHtml(html) | Event::Html(html) => {
                if out.url.is_none()
                    && let Some(href) = href_of(&html)
                {
                    out.url = Some(href);
                }
                text.push_str(&strip_tags(&html));
            }
            Event::End(TagEnd::Paragraph) => text.push(' '),
            _ => {}
        }
    }
    out.text = fold_spaces(&text);
    out
}

/// The `href` of an `<a …>` tag, if this HTML is one.
fn href_of(html: &str) -> Option<String> {
    let lower = html.trim_start().to_ascii_lowercase();
    if !lower.starts_with("<a ") {
        return None;
    }
    let at = lower.find("href=")? + "href=".len();
    let rest = &html.trim_start()[at..];
    let (quote, rest) = match rest.chars().next()? {
        q @ ('"' | '\'') => (q, &rest[1..]),
        _ => (' ', rest),
    };
    let end = rest.find([quote, '>']).unwrap_or(rest.len());
    Some(html_escape::decode_html_entities(&rest[..end]).into_owned())
}

/// Drops HTML tags and comments and decodes entities; text between tags stays.
pub fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        let close = if after.starts_with("<!--") {
            after.find("-->").map(|i| i + 3)
        } else if looks_like_tag(after) {
            after.find('>').map(|i| i + 1)
        } else {
            // A lone `<` (as in `a < b`) is text.
            out.push('<');
            rest = &after[1..];
            continue;
        };
        match close {
            Some(end) => {
                if is_line_break_tag(&after[..end]) {
                    out.push('\n');
                }
                rest = &after[end..];
            }
            None => {
                // An unclosed tag runs to the end: drop it rather than show markup.
                rest = "";
            }
        }
    }
    out.push_str(rest);
    html_escape::decode_html_entities(&out).into_owned()
}

fn looks_like_tag(s: &str) -> bool {
    let mut chars = s.chars().skip(1);
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?')
}

fn is_line_break_tag(tag: &str) -> bool {
    let name: String = tag
        .trim_start_matches(['<', '/'])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    matches!(name.as_str(), "br" | "p" | "div" | "li")
}

/// Collapses runs of white space into one space and trims the ends.
pub fn fold_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_become_readable_text() {
        let rows: &[(&str, &str, Option<&str>)] = &[
            ("Ben Stopford", "Ben Stopford", None),
            (
                "[Designing Event-Driven Systems](https://example.org/book)",
                "Designing Event-Driven Systems",
                Some("https://example.org/book"),
            ),
            (
                "[<i>The Black Book of English Canada</i>](http://amzn.com/1)",
                "The Black Book of English Canada",
                Some("http://amzn.com/1"),
            ),
            ("La myst&eacute;rieuse affaire", "La mystérieuse affaire", None),
            (
                r#"<a target="_blank" href="MartinFowler.html">Martin Fowler</a>"#,
                "Martin Fowler",
                Some("MartinFowler.html"),
            ),
            ("<i>1943</i>", "1943", None),
            ("(1750&nbsp;&amp;&nbsp;1755)", "(1750 & 1755)", None),
            ("Design Patterns Explained, 2nd Ed.", "Design Patterns Explained, 2nd Ed.", None),
            ("_Emphasised_ title", "Emphasised title", None),
        ];
        for (value, text, url) in rows {
            let got = inline_text(value);
            assert_eq!(got.text, *text, "text of {value:?}");
            assert_eq!(got.url.as_deref(), *url, "url of {value:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4096))]
        /// A value read as plain text reads as the Markdown parser reads it.
        #[test]
        fn plain_values_read_as_markdown_reads_them(
            value in "([a-zA-Z0-9\u{e9}\u{4e00}\u{b2}]{1,8}|[ ,.;:'\"()?/_\\-]|[*_`\\[\\]<>&#!=+|~\\\\\t\n]){0,12}"
        ) {
            proptest::prop_assert_eq!(inline_text(&value), parsed_inline_text(&value));
        }
    }

    #[test]
    fn plain_values_skip_the_parser_and_markup_does_not() {
        for plain in ["Ben Stopford", "The_Twins", "2019-07-01", "9781293182845", "2024"] {
            assert_eq!(inline_text(plain), parsed_inline_text(plain), "{plain}");
        }
        assert!(is_plain("Ben Stopford") && is_plain("The Art (2nd ed.): a/b - c?"));
        for markup in
            ["1. First", "- item", "# Heading", "_Emphasised_", "a &amp; b", "[a](b)", " x"]
        {
            assert!(!is_plain(markup), "{markup}");
        }
    }

    #[test]
    fn strip_tags_keeps_text_and_lone_angle_brackets() {
        assert_eq!(strip_tags(r#"<span class="newthought">Note:</span> x"#), "Note: x");
        assert_eq!(strip_tags("a < b &mdash; c"), "a < b — c");
        assert_eq!(strip_tags("<!-- hidden --> shown"), " shown");
        assert_eq!(strip_tags("cut <span"), "cut ");
    }
}
