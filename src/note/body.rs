//! The Markdown body: readable text, quotes and their references.
//!
//! Walks pulldown-cmark's event stream once. Text goes into one readable
//! string (blocks separated by a blank line, soft breaks as spaces, markup
//! and URLs gone, entities decoded). An outermost blockquote is a quote: its
//! text is a slice of the body, and a `<footer>…</footer>` inside it (inline,
//! or as an HTML block) is its reference, kept out of the body text.

use std::sync::LazyLock;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use regex::Regex;

use super::markup::strip_tags;
use super::reference;
use super::{Quote, Warning};

/// What the body yields.
#[derive(Debug, Default)]
pub struct Body {
    /// Readable text.
    pub text: String,
    /// Outermost blockquotes.
    pub quotes: Vec<Quote>,
    /// Text of the first heading, a title for notes without a header.
    pub first_heading: Option<String>,
}

static FOOTER_BLOCK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)<footer\b[^>]*>(.*?)</footer\s*>").expect("valid regex"));

/// Maps byte offsets of the source to 1-based line numbers.
struct Lines {
    starts: Vec<usize>,
    first_line: usize,
}

impl Lines {
    fn new(source: &str, first_line: usize) -> Self {
        let mut starts = vec![0];
        starts.extend(source.match_indices('\n').map(|(i, _)| i + 1));
        Lines { starts, first_line }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.first_line + self.starts.partition_point(|&s| s <= offset) - 1
    }
}

struct BodyWriter<'w> {
    text: String,
    quotes: Vec<Quote>,
    warnings: &'w mut Vec<Warning>,
    /// Depth of blockquote nesting.
    quote_depth: usize,
    /// Body offset and source line where the current outermost quote began.
    quote_start: Option<(usize, usize)>,
    quote_reference: Option<reference::Reference>,
    /// Source offset of an open inline `<footer>`.
    footer_open: Option<usize>,
    heading: Option<String>,
    first_heading: Option<String>,
}

impl BodyWriter<'_> {
    /// Ends the current block: the next text starts after a blank line.
    fn break_block(&mut self) {
        let trimmed = self.text.trim_end_matches([' ', '\n']).len();
        self.text.truncate(trimmed);
        if !self.text.is_empty() {
            self.text.push_str("\n\n");
        }
    }

    fn break_line(&mut self) {
        let trimmed = self.text.trim_end_matches(' ').len();
        self.text.truncate(trimmed);
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.text.push('\n');
        }
    }

    fn push_text(&mut self, text: &str) {
        if self.footer_open.is_some() {
            return;
        }
        if let Some(heading) = &mut self.heading {
            heading.push_str(text);
        }
        self.text.push_str(text);
    }

    fn space(&mut self) {
        if !self.text.is_empty() && !self.text.ends_with([' ', '\n']) {
            self.push_text(" ");
        }
    }

    fn footer(&mut self, raw: &str, line: usize) {
        match reference::parse(raw) {
            Some(r) if self.quote_depth > 0 => self.quote_reference = Some(r),
            Some(_) => self.warnings.push(Warning {
                line: Some(line),
                message: "<footer> outside any quote; its reference is ignored. \
                          Put it on the last line of the blockquote (`> <footer>p. 52</footer>`)"
                    .to_string(),
            }),
            None => {}
        }
    }

    fn end_quote(&mut self) {
        let Some((start, line)) = self.quote_start.take() else { return };
        self.break_block();
        let end = self.text.trim_end().len();
        let start = start.min(end);
        let text = self.text[start..end].to_string();
        let reference = self.quote_reference.take();
        if !text.trim().is_empty() || reference.is_some() {
            self.quotes.push(Quote {
                text,
                line,
                offset: start,
                reference,
                note_text: None,
                added: None,
            });
        }
    }
}

/// Parses the body text; `first_line` is the body's line in the file.
pub fn parse(source: &str, first_line: usize, warnings: &mut Vec<Warning>) -> Body {
    let lines = Lines::new(source, first_line);
    let mut b = BodyWriter {
        text: String::with_capacity(source.len()),
        quotes: Vec::new(),
        warnings,
        quote_depth: 0,
        quote_start: None,
        quote_reference: None,
        footer_open: None,
        heading: None,
        first_heading: None,
    };
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    for (event, range) in Parser::new_ext(source, options).into_offset_iter() {
        match event {
            Event::Start(tag) => match tag {
                Tag::BlockQuote(_) => {
                    b.break_block();
                    b.quote_depth += 1;
                    if b.quote_depth == 1 {
                        b.quote_start = Some((b.text.len(), lines.line_of(range.start)));
                        b.quote_reference = None;
                    }
                }
                Tag::Heading { .. } => {
                    b.break_block();
                    if b.first_heading.is_none() {
                        b.heading = Some(String::new());
                    }
                }
                Tag::Item => b.break_line(),
                Tag::TableRow | Tag::TableHead => b.break_line(),
                Tag::TableCell => b.space(),
                Tag::Paragraph
                | Tag::CodeBlock(_)
                | Tag::HtmlBlock
                | Tag::List(_)
                | Tag::Table(_) => b.break_block(),
                Tag::Image { .. } => b.space(),
                _ => {}
            },
            Event::End(tag) => match tag {
                TagEnd::BlockQuote(_) => {
                    b.quote_depth = b.quote_depth.saturating_sub(1);
                    if b.quote_depth == 0 {
                        if b.footer_open.take().is_some() {
                            b.warnings.push(Warning {
                                line: Some(lines.line_of(range.start)),
                                message: "<footer> is never closed; add </footer>".to_string(),
                            });
                        }
                        b.end_quote();
                    }
                }
                TagEnd::Heading(_) => {
                    if let Some(heading) = b.heading.take() {
                        let heading = heading.trim().to_string();
                        if !heading.is_empty() {
                            b.first_heading = Some(heading);
                        }
                    }
                    b.break_block();
                }
                TagEnd::Paragraph | TagEnd::CodeBlock | TagEnd::HtmlBlock | TagEnd::List(_) => {
                    b.break_block()
                }
                _ => {}
            },
            Event::Text(text) | Event::Code(text) => b.push_text(&text),
            Event::InlineMath(text) | Event::DisplayMath(text) => b.push_text(&text),
            Event::SoftBreak => b.space(),
            Event::HardBreak => b.break_line(),
            Event::InlineHtml(html) => {
                if starts_with_ignore_case(&html, "<footer") {
                    b.footer_open = Some(range.end);
                } else if starts_with_ignore_case(&html, "</footer") {
                    if let Some(open) = b.footer_open.take() {
                        let raw = source.get(open..range.start).unwrap_or("");
                        b.footer(raw, lines.line_of(open));
                    }
                } else {
                    let stripped = strip_tags(&html);
                    if stripped == "\n" {
                        b.space();
                    } else {
                        b.push_text(&stripped);
                    }
                }
            }
            Event::Html(html) => {
                let line = lines.line_of(range.start);
                let mut rest_start = 0;
                for caps in FOOTER_BLOCK.captures_iter(&html) {
                    let (Some(all), Some(inner)) = (caps.get(0), caps.get(1)) else { continue };
                    b.push_text(&strip_tags(&html[rest_start..all.start()]));
                    b.footer(inner.as_str(), line);
                    rest_start = all.end();
                }
                b.push_text(&strip_tags(&html[rest_start..]));
            }
            Event::Rule => b.break_block(),
            Event::FootnoteReference(_) | Event::TaskListMarker(_) => {}
        }
    }
    if b.quote_start.is_some() {
        b.end_quote();
    }
    let trimmed = b.text.trim_end().len();
    b.text.truncate(trimmed);
    Body { text: b.text, quotes: b.quotes, first_heading: b.first_heading }
}

/// Whether `text` starts with `prefix`, ASCII case ignored (no lower-cased
/// copy of every inline HTML tag).
fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix))
}

/// Byte ranges of the paragraphs of a readable body (the blocks [`parse`]
/// writes with a blank line between them), trimmed, non-empty.
pub fn paragraphs(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let breaks = memchr::memmem::find_iter(text.as_bytes(), b"\n\n");
    for at in breaks.chain(std::iter::once(text.len())) {
        if at < start {
            continue;
        }
        let slice = &text[start..at];
        let lead = slice.len() - slice.trim_start().len();
        let trail = slice.trim_end().len();
        if trail > lead {
            out.push((start + lead, start + trail));
        }
        start = at + 2;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::note::ReferenceKind;

    fn body(source: &str) -> (Body, Vec<Warning>) {
        let mut warnings = Vec::new();
        let body = parse(source, 1, &mut warnings);
        (body, warnings)
    }

    #[test]
    fn markup_is_gone_and_link_text_kept() {
        let (b, _) = body(
            "A _guide_ on [**Kafka**](https://kafka.apache.org) &mdash; caf&eacute;.\n\
             <span class=\"newthought\">Note:</span> x<br />y <ins>new</ins> <del>old</del>\n",
        );
        assert_eq!(b.text, "A guide on Kafka — café. Note: x y new old");
        assert!(!b.text.contains("http"));
    }

    #[test]
    fn quotes_keep_lines_text_and_footer_references() {
        let source = "Intro.\n\n> when a new node starts,\n> it must load\n> <footer>p.52</footer>\n\n\
                      > a quote without footer\n\n> one\n>\n> two\n>\n> <footer>pp. 1-2</footer>\n";
        let (b, warnings) = body(source);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(b.quotes.len(), 3);
        let q = &b.quotes[0];
        assert_eq!(q.text, "when a new node starts, it must load");
        assert_eq!(q.line, 3);
        assert_eq!(&b.text[q.offset..q.offset + q.text.len()], q.text);
        assert_eq!(q.reference.as_ref().map(|r| r.pages), Some(Some([52, 52])));
        assert_eq!(b.quotes[1].reference, None);
        assert_eq!(b.quotes[2].text, "one\n\ntwo");
        assert_eq!(b.quotes[2].reference.as_ref().map(|r| r.kind), Some(ReferenceKind::PageRange));
        assert!(!b.text.contains("p.52"), "footers are not body text: {}", b.text);
    }

    #[test]
    fn footer_outside_a_quote_warns_with_its_line() {
        let (b, warnings) = body("Para.\n\n<footer>p. 3</footer>\n");
        assert!(b.quotes.is_empty());
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].line, Some(3));
    }

    #[test]
    fn deep_nesting_is_one_quote() {
        let source = format!("{} deep\n", ">".repeat(1000));
        let (b, _) = body(&source);
        assert_eq!(b.quotes.len(), 1);
        assert_eq!(b.quotes[0].text, "deep");
    }

    #[test]
    fn first_heading_is_found() {
        let (b, _) = body("# The *Title*\n\nText.\n");
        assert_eq!(b.first_heading.as_deref(), Some("The Title"));
        assert_eq!(b.text, "The Title\n\nText.");
    }
}
