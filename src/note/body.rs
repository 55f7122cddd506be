//! The Markdown body: readable text, quotes and their references.
//!
//! Walks pulldown-cmark's event stream once. Text goes into one readable
//! string (blocks separated by a blank line, soft breaks as spaces, markup
//! and URLs gone, entities decoded). An outermost blockquote is a quote: its
//! text is a slice of the body, and a `<footer>…</footer>` inside it (inline,
//! or as an HTML block) is its reference, kept out of the body text.
//!
//! An Obsidian callout (`> [!quote] Chapter 4 • Nov 26, 2025`, then the
//! passage) is a quote whose first line is a header, not passage: its title
//! gives the quote's place (page, location, chapter) and day when it names
//! them, and a paragraph of the callout led by `Note:` is the reader's note
//! on it (Moon+ Reader's MoonSync and Readwise templates write them so). A
//! callout of the reader's own prose (`[!note]`, `[!tip]`, `[!info]`, …) is
//! no quote.

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

/// A callout's header line: `> [!quote] title` (`+`/`-` fold it).
static CALLOUT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\A[ \t]*>[ \t]*\[!(?P<kind>[^\]\s]+)\][+-]?(?P<title>[^\r\n]*)")
        .expect("valid regex")
});

/// A paragraph of a callout that is the reader's note: `Note: …`,
/// `**Note:** …`, `**Note**: …`.
static NOTE_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\A(?:[ \t]*>)*[ \t]*(?:\*\*|__)?(?:my note|notes?|comment)[ \t]*(?:\*\*|__)?[ \t]*:",
    )
    .expect("valid regex")
});

/// The label at the start of a note's readable text.
static NOTE_TEXT_LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\A(?:my note|notes?|comment)\s*:\s*").expect("valid regex"));

/// A Kindle location as a callout title names it: `Location 1024`,
/// `loc. 1024-1030`.
static LOCATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\A(?:location|loc\.?)\s*(?P<first>\d{1,7})(?:\s*[-–]\s*(?P<last>\d{1,7}))?\z")
        .expect("valid regex")
});

/// Callout kinds that hold the reader's own prose, not a quoted passage
/// (Obsidian's built-in kinds and their aliases, but `quote` and `cite`).
const PROSE_CALLOUTS: &[&str] = &[
    "note",
    "abstract",
    "summary",
    "tldr",
    "info",
    "todo",
    "tip",
    "hint",
    "important",
    "success",
    "check",
    "done",
    "question",
    "help",
    "faq",
    "warning",
    "caution",
    "attention",
    "failure",
    "fail",
    "missing",
    "danger",
    "error",
    "bug",
];

/// Whether a callout of this kind (`note` in `> [!note]`) holds the
/// reader's own prose rather than a quoted passage.
pub(crate) fn is_prose_callout(kind: &str) -> bool {
    PROSE_CALLOUTS.iter().any(|p| p.eq_ignore_ascii_case(kind))
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
    /// The current outermost quote's callout header, when it has one.
    callout: Option<Callout>,
    /// Text, breaks and inline HTML that start before this source offset
    /// are a callout's header, not its passage.
    skip_until: usize,
    /// Body offset where the current callout's note paragraph starts.
    note_start: Option<usize>,
}

/// What a callout's header says.
struct Callout {
    /// The reader's own prose (`[!note]`, `[!tip]`, …): no quote.
    prose: bool,
    /// The place its title names.
    reference: Option<reference::Reference>,
    /// The day its title names, ISO 8601.
    added: Option<String>,
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
        let callout = self.callout.take();
        let note_start = self.note_start.take();
        let Some((start, line)) = self.quote_start.take() else { return };
        self.break_block();
        let reference = self.quote_reference.take();
        if callout.as_ref().is_some_and(|c| c.prose) {
            return;
        }
        let end = self.text.trim_end().len();
        let start = start.min(end);
        // A callout's title read as its passage keeps the space after `]`.
        let start = end - self.text[start..end].trim_start().len();
        let passage_end = match note_start {
            Some(note) => self.text[..note.min(end)].trim_end().len().max(start),
            None => end,
        };
        let text = self.text[start..passage_end].to_string();
        let note_text = note_start.and_then(|note| {
            let note = self.text[note.min(end)..end].trim();
            let note = NOTE_TEXT_LABEL.find(note).map_or(note, |label| &note[label.end()..]);
            (!note.is_empty()).then(|| note.to_string())
        });
        let (place, added) = callout.map_or((None, None), |c| (c.reference, c.added));
        let reference = reference.or(place);
        if !text.trim().is_empty() || reference.is_some() {
            self.quotes.push(Quote { text, line, offset: start, reference, note_text, added });
        }
    }

    /// Reads a callout header at the start of the outermost quote that
    /// spans `range` of `source`.
    fn open_callout(&mut self, source: &str, range: std::ops::Range<usize>) {
        let quote = source.get(range.clone()).unwrap_or("");
        let Some(header) = CALLOUT.captures(quote) else { return };
        let (Some(all), Some(kind), Some(title)) =
            (header.get(0), header.name("kind"), header.name("title"))
        else {
            return;
        };
        let prose = is_prose_callout(kind.as_str());
        let after = &quote[all.end()..];
        let has_body = after.chars().any(|c| !c.is_whitespace() && c != '>');
        if !has_body {
            // A title alone: it is the passage (or the prose).
            self.skip_until = range.start + title.start();
            self.callout = Some(Callout { prose, reference: None, added: None });
            return;
        }
        // The header and the line break after it.
        self.skip_until = range.start + all.end() + 1;
        let (reference, added) =
            if prose { (None, None) } else { callout_place(title.as_str().trim()) };
        self.callout = Some(Callout { prose, reference, added });
    }

    /// A paragraph of the current callout starts at `range` of `source`:
    /// a `Note:` one after the passage is the reader's note.
    fn callout_paragraph(&mut self, source: &str, at: usize) {
        let Some((start, _)) = self.quote_start else { return };
        if self.quote_depth != 1
            || self.note_start.is_some()
            || self.callout.as_ref().is_none_or(|c| c.prose)
            || self.text[start.min(self.text.len())..].trim().is_empty()
        {
            return;
        }
        if NOTE_LABEL.is_match(source.get(at..).unwrap_or("")) {
            self.note_start = Some(self.text.len());
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
        callout: None,
        skip_until: 0,
        note_start: None,
    };
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    for (event, range) in Parser::new_ext(source, options).into_offset_iter() {
        if range.start < b.skip_until
            && matches!(
                event,
                Event::Text(_)
                    | Event::Code(_)
                    | Event::InlineHtml(_)
                    | Event::SoftBreak
                    | Event::HardBreak
            )
        {
            continue;
        }
        match event {
            Event::Start(tag) => match tag {
                Tag::BlockQuote(_) => {
                    b.break_block();
                    b.quote_depth += 1;
                    if b.quote_depth == 1 {
                        b.quote_start = Some((b.text.len(), lines.line_of(range.start)));
                        b.quote_reference = None;
                        b.open_callout(source, range.clone());
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
                Tag::Paragraph => {
                    b.break_block();
                    b.callout_paragraph(source, range.start);
                }
                Tag::CodeBlock(_) | Tag::HtmlBlock | Tag::List(_) | Tag::Table(_) => {
                    b.break_block()
                }
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

/// The place and day a callout's title names, in parts set apart by `•`,
/// `·` or `|` (`Chapter 4 • Nov 26, 2025`, `[Location 1024](…)`, `Page
/// 52`): a page or location over a chapter; anything else (an attribution,
/// `Marcus Aurelius`) as written.
fn callout_place(title: &str) -> (Option<reference::Reference>, Option<String>) {
    let (mut place, mut added) = (None::<reference::Reference>, None);
    for part in title.split(['•', '·', '|']).map(str::trim).filter(|p| !p.is_empty()) {
        if added.is_none()
            && let Some(day) = english_day(part)
        {
            added = Some(day);
            continue;
        }
        let found = match reference::parse(part) {
            // A link's text is the place (`[Location 1024](kindle://…)`).
            Some(r) if r.kind == reference::ReferenceKind::Link => {
                location(&r.display).or_else(|| reference::parse(&r.display)).or(Some(r))
            }
            Some(r) if r.kind == reference::ReferenceKind::Other => location(part).or(Some(r)),
            other => other,
        };
        let better = |new: &reference::Reference, old: &reference::Reference| {
            use reference::ReferenceKind::*;
            let rank = |k| match k {
                Page | PageRange | Location => 3,
                Chapter | Section => 2,
                Link => 1,
                Other => 0,
            };
            rank(new.kind) > rank(old.kind)
        };
        place = match (place, found) {
            (Some(old), Some(new)) if better(&new, &old) => Some(new),
            (None, new) => new,
            (old, _) => old,
        };
    }
    (place, added)
}

/// `Location 1024` or `loc. 1024-1030` as a location reference.
fn location(text: &str) -> Option<reference::Reference> {
    let caps = LOCATION.captures(text.trim())?;
    let first: u64 = caps["first"].parse().ok()?;
    let last: u64 = caps.name("last").and_then(|l| l.as_str().parse().ok()).unwrap_or(first);
    reference::Reference::highlight(None, Some([first.min(last), first.max(last)]), None)
}

/// A day written `Nov 26, 2025`, `November 26, 2025` or `2025-11-26`, as
/// `YYYY-MM-DD`; `None` for anything else, or no day of the calendar.
fn english_day(text: &str) -> Option<String> {
    if let Some(day) = super::date::day(text) {
        return day.ok().map(|d| d.to_string());
    }
    let mut words = text.split([' ', ',']).filter(|w| !w.is_empty());
    let (month, day, year) = (words.next()?, words.next()?, words.next()?);
    if words.next().is_some() {
        return None;
    }
    let month = time::Month::try_from(super::date::english_month(month)?).ok()?;
    let date = time::Date::from_calendar_date(year.parse().ok()?, month, day.parse().ok()?).ok()?;
    Some(date.to_string())
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

    #[test]
    fn a_callouts_header_gives_the_place_and_day_and_its_note_paragraph_the_note() {
        // MoonSync's layout (Moon+ Reader): the header, the passage, a rule
        // and the reader's note, all in the callout.
        let source = "## Highlights\n\n> [!quote] Chapter 37 • Feb 2, 2026\n> flashlight in the dark\n\
                      >\n> ---\n> **Note:** my favorite part\n\n> [!quote]\n> A passage alone.\n";
        let (b, warnings) = body(source);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(b.quotes.len(), 2);
        let q = &b.quotes[0];
        assert_eq!(q.text, "flashlight in the dark");
        assert_eq!(&b.text[q.offset..q.offset + q.text.len()], q.text);
        let place = q.reference.as_ref().expect("the title names a chapter");
        assert_eq!((place.kind, place.display.as_str()), (ReferenceKind::Chapter, "Chapter 37"));
        assert_eq!(q.added.as_deref(), Some("2026-02-02"));
        assert_eq!(q.note_text.as_deref(), Some("my favorite part"));
        assert_eq!(b.quotes[1].text, "A passage alone.");
        assert_eq!((b.quotes[1].reference.as_ref(), b.quotes[1].note_text.as_ref()), (None, None));
        assert!(!b.text.contains("[!quote]"), "the marker is no text: {}", b.text);
    }

    #[test]
    fn a_callout_titled_with_a_location_link_or_a_page_has_that_place() {
        let source = "> [!quote] [Location 1024](kindle://book?action=open&location=1024)\n\
                      > Light is the left hand of darkness.\n> Note: the Handdara verse\n\n\
                      > [!cite] Page 52 · Chapter 3\n> Another passage.\n";
        let (b, _) = body(source);
        assert_eq!(b.quotes.len(), 2);
        let place = b.quotes[0].reference.as_ref().expect("a place");
        assert_eq!((place.kind, place.locations), (ReferenceKind::Location, Some([1024, 1024])));
        // `Note:` on the passage's own line is part of its paragraph: the
        // passage as written, nothing lost.
        assert!(b.quotes[0].text.starts_with("Light is the left hand of darkness."));
        let page = b.quotes[1].reference.as_ref().expect("a page");
        assert_eq!((page.kind, page.pages), (ReferenceKind::Page, Some([52, 52])));
        assert_eq!(b.quotes[1].text, "Another passage.");
    }

    #[test]
    fn a_callout_of_the_readers_prose_is_no_quote_and_a_title_alone_is_the_passage() {
        let source = "> [!note] My thoughts\n> This is what I think.\n\n\
                      > [!quote] The whole passage in the title.\n\n> plain quote\n";
        let (b, _) = body(source);
        let texts: Vec<&str> = b.quotes.iter().map(|q| q.text.as_str()).collect();
        assert_eq!(texts, ["The whole passage in the title.", "plain quote"]);
        assert!(b.text.contains("This is what I think."), "prose stays searchable: {}", b.text);
    }
}
