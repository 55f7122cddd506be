//! The Markdown and plain-text files KOReader's exporter plugin writes
//! (`plugins/exporter.koplugin/template/md.lua` and `target/text.lua`).
//!
//! Markdown, one or several books a file:
//!
//! ```text
//! # Title
//! ##### Author, Other Author
//!
//! ## Chapter
//! ### Page 57 @ 01 March 2024 09:04:11 PM
//! ==the passage==            (or **…**, *…*, ++…++, <u>…</u>, ~~…~~: the highlight's style)
//!
//! ---
//! the reader's note
//! [View in book](<file://…?pos=…>)
//! ```
//!
//! Text, books appended one after another, each ending with a blank line
//! (`　` is U+3000, the wide space KOReader writes so its own reader keeps
//! the indentation; the `-- Page:` line is translated into the device's
//! language):
//!
//! ```text
//! 　Title
//!
//! 　Chapter
//!
//! 　　-- Page: 57, added on Fri Mar  1 21:04:11 2024
//! the passage
//! ---
//! the reader's note
//! -=-=-=-=-=-
//! ```
//!
//! The heading `### Page … @ …` is not translated; `os.date` writes the
//! date in the C locale, so it is read as English (a date in another
//! language leaves the highlight undated).

use std::sync::LazyLock;

use regex::Regex;

use super::super::{Book, Highlight};
use crate::note::markup::inline_text;

/// `### Page 57 @ 01 March 2024 09:04:11 PM` (the word `Page` in any
/// language: a patched or future template may translate it).
static PAGE_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\A###[ \t]+(?:[^\s@]+[ \t]+)?(?P<page>[^\s@]+)[ \t]+@[ \t]+(?P<when>.+?)[ \t]*\z")
        .expect("valid regex")
});

/// `　　-- Page: 57, added on Fri Mar  1 21:04:11 2024`, in any language:
/// the page is what follows the first colon, up to the comma.
static TEXT_CLIP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\A\x{3000}\x{3000}--[^:：]*[:：]\s*(?P<page>[^,，]*)[,，]?\s*(?P<rest>.*)\z")
        .expect("valid regex")
});

/// The text export's line between clippings.
const TEXT_SEPARATOR: &str = "-=-=-=-=-=-";

/// The wide space the text export indents with.
const WIDE: char = '\u{3000}';

/// Reads a KOReader Markdown export; `None` when `text` is not one (no
/// `# Title` first, or no `### Page … @ …` heading).
pub(super) fn parse_markdown(text: &str) -> Option<Vec<Book>> {
    // Every note is offered to every reader: a byte search rules out the
    // files without a `### … @ …` heading before any line is looked at.
    let bytes = text.as_bytes();
    if memchr::memmem::find(bytes, b"### ").is_none() || memchr::memchr(b'@', bytes).is_none() {
        return None;
    }
    let first = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    if !first.starts_with("# ") || !text.lines().any(|l| PAGE_HEADING.is_match(l.trim_end())) {
        return None;
    }
    let mut books: Vec<Book> = Vec::new();
    let mut chapter: Option<String> = None;
    let mut current: Option<Building> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r').trim_end();
        if let Some(title) = line.strip_prefix("# ") {
            finish(&mut current, &mut books);
            books.push(Book { title: inline_text(title).text, line: i + 1, ..Book::default() });
            chapter = None;
            continue;
        }
        let Some(book) = books.last_mut() else { continue };
        if let Some(authors) = line.strip_prefix("##### ") {
            // KOReader joins the book's authors with `, ` (one per line in
            // the book's metadata).
            let authors = inline_text(authors).text;
            book.authors =
                if authors == "N/A" { Vec::new() } else { super::super::authors::split(&authors) };
            continue;
        }
        if let Some(caps) = PAGE_HEADING.captures(line) {
            finish(&mut current, &mut books);
            current = Some(Building::new(i + 1, &caps["page"], chapter.clone(), &caps["when"]));
            continue;
        }
        if let Some(name) = line.strip_prefix("## ") {
            finish(&mut current, &mut books);
            chapter = Some(inline_text(name).text).filter(|c| !c.is_empty());
            continue;
        }
        if line.starts_with("_Generated at:") {
            finish(&mut current, &mut books);
            continue;
        }
        if let Some(building) = current.as_mut() {
            building.line(line, "---", line.starts_with("[View in book]("));
        }
    }
    finish(&mut current, &mut books);
    Some(books)
}

/// Reads a KOReader text export; `None` when `text` is not one (no
/// indented `-- Page` line, no clipping separator).
pub(super) fn parse_text(text: &str) -> Option<Vec<Book>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if memchr::memmem::find(text.as_bytes(), TEXT_SEPARATOR.as_bytes()).is_none()
        || memchr::memmem::find(text.as_bytes(), "\u{3000}\u{3000}--".as_bytes()).is_none()
    {
        return None;
    }
    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    if !lines.iter().any(|l| l.trim_end() == TEXT_SEPARATOR)
        || !lines.iter().any(|l| TEXT_CLIP.is_match(l))
    {
        return None;
    }
    let mut books: Vec<Book> = Vec::new();
    let mut chapter: Option<String> = None;
    let mut current: Option<Building> = None;
    // Whether the next `　Name` line opens a book (the file's start, or a
    // blank line after a separator) rather than a chapter.
    let mut book_next = true;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let next_is_wide_blank =
            lines.get(i + 1).is_some_and(|n| n.starts_with(WIDE) && n.trim().is_empty());
        if current.is_none()
            && line.starts_with(WIDE)
            && !line.starts_with("\u{3000}\u{3000}")
            && !line.trim().is_empty()
            && next_is_wide_blank
        {
            let name = line.trim().to_string();
            if book_next || books.is_empty() {
                books.push(Book { title: name, line: i + 1, ..Book::default() });
                chapter = None;
                book_next = false;
            } else {
                chapter = Some(name);
            }
            i += 2;
            continue;
        }
        if let Some(caps) = TEXT_CLIP.captures(line) {
            finish(&mut current, &mut books);
            if books.is_empty() {
                books.push(Book { line: i + 1, ..Book::default() });
            }
            let when = caps["rest"].split_whitespace().collect::<Vec<_>>();
            current = Some(Building::new(i + 1, caps["page"].trim(), chapter.clone(), ""));
            if let Some(building) = current.as_mut() {
                building.added = c_locale_time(&when);
            }
        } else if line.trim_end() == TEXT_SEPARATOR {
            finish(&mut current, &mut books);
            book_next = lines.get(i + 1).is_some_and(|n| n.trim().is_empty());
        } else if let Some(building) = current.as_mut() {
            building.line(line, "---", false);
        }
        i += 1;
    }
    finish(&mut current, &mut books);
    Some(books)
}

/// A highlight being read.
struct Building {
    line: usize,
    page: Option<String>,
    chapter: Option<String>,
    added: Option<String>,
    text: Vec<String>,
    note: Vec<String>,
    in_note: bool,
}

impl Building {
    fn new(line: usize, page: &str, chapter: Option<String>, when: &str) -> Self {
        let page = page.trim();
        Building {
            line,
            page: (!page.is_empty()).then(|| page.to_string()),
            chapter,
            added: markdown_time(when),
            text: Vec::new(),
            note: Vec::new(),
            in_note: false,
        }
    }

    /// One more line of the passage, or of the note after `rule`.
    fn line(&mut self, line: &str, rule: &str, skip: bool) {
        if skip {
            return;
        }
        if !self.in_note && line.trim() == rule {
            self.in_note = true;
        } else if self.in_note {
            self.note.push(line.to_string());
        } else {
            self.text.push(line.to_string());
        }
    }
}

/// Ends the highlight being read, adding it to the last book.
fn finish(current: &mut Option<Building>, books: &mut [Book]) {
    let Some(b) = current.take() else { return };
    let Some(book) = books.last_mut() else { return };
    let text = inline_text(unstyled(b.text.join("\n").trim())).text;
    let note = inline_text(b.note.join("\n").trim()).text;
    if text.is_empty() && note.is_empty() {
        return;
    }
    book.highlights.push(Highlight {
        text,
        line: b.line,
        page: b.page,
        location: None,
        chapter: b.chapter,
        note: (!note.is_empty()).then_some(note),
        added: b.added,
    });
}

/// The passage without the markers of its highlight style
/// (`template/md.lua`'s formatters).
fn unstyled(text: &str) -> &str {
    for (open, close) in
        [("**_", "_**"), ("==", "=="), ("++", "++"), ("**", "**"), ("~~", "~~"), ("<u>", "</u>")]
    {
        if let Some(inner) = text.strip_prefix(open).and_then(|t| t.strip_suffix(close)) {
            return inner;
        }
    }
    match text.strip_prefix('*').and_then(|t| t.strip_suffix('*')) {
        Some(inner) if !inner.is_empty() => inner,
        _ => text,
    }
}

/// `01 March 2024 09:04:11 PM` as `2024-03-01T21:04:11`.
fn markdown_time(when: &str) -> Option<String> {
    let words: Vec<&str> = when.split_whitespace().collect();
    let [day, month, year, clock, half] = words.as_slice() else { return None };
    let month = crate::note::date::english_month(month)?;
    let (hour, minute, second) = clock_parts(clock)?;
    let hour = match (half.to_ascii_uppercase().as_str(), hour) {
        ("AM", 12) => 0,
        ("AM", h) => h,
        ("PM", 12) => 12,
        ("PM", h) => h + 12,
        _ => return None,
    };
    iso(year.parse().ok()?, month, day.parse().ok()?, hour, minute, second)
}

/// `Fri Mar  1 21:04:11 2024` (C's `%c`) as `2024-03-01T21:04:11`.
fn c_locale_time(words: &[&str]) -> Option<String> {
    let words: Vec<&str> =
        words.iter().copied().filter(|w| !w.eq_ignore_ascii_case("on")).collect();
    let at = words.iter().position(|w| crate::note::date::english_month(w).is_some())?;
    let [month, day, clock, year] = words.get(at..at + 4)? else { return None };
    let (hour, minute, second) = clock_parts(clock)?;
    iso(
        year.parse().ok()?,
        crate::note::date::english_month(month)?,
        day.parse().ok()?,
        hour,
        minute,
        second,
    )
}

fn clock_parts(clock: &str) -> Option<(u8, u8, u8)> {
    let mut parts = clock.split(':').map(|p| p.parse::<u8>().ok());
    Some((parts.next()??, parts.next()??, parts.next().flatten().unwrap_or(0)))
}

/// `YYYY-MM-DDTHH:MM:SS`, when it names a moment of the calendar.
fn iso(year: i32, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> Option<String> {
    let month = time::Month::try_from(month).ok()?;
    let date = time::Date::from_calendar_date(year, month, day).ok()?;
    let clock = time::Time::from_hms(hour, minute, second).ok()?;
    Some(format!("{date}T{clock}", clock = format_clock(clock)))
}

fn format_clock(clock: time::Time) -> String {
    format!("{:02}:{:02}:{:02}", clock.hour(), clock.minute(), clock.second())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARKDOWN: &str = "# Solaris\n##### Stanisław Lem, Bill Johnston\n\n## The Arrival\n\
        ### Page 57 @ 01 March 2024 09:04:11 PM\n==We don't want to conquer the cosmos.==\n\n---\n\
        Lem's thesis in one line\n[View in book](<file:///books/solaris.epub?pos=12>)\n\
        ### Page 60 @ 01 March 2024 12:12:00 AM\n*The ocean mimicked the shapes.*\n\
        ## The Little Apocrypha\n### Seite xii @ 03 März 2024 10:00:00 PM\nMan has gone out.\n\n\
        # Second Book\n##### N/A\n\n## One\n### Page 3 @ 04 March 2024 10:00:00 AM\n**Bold words.**\n\n\
        _Generated at: 2024-03-05 10:00:00_";

    #[test]
    fn a_markdown_export_gives_each_books_highlights_pages_chapters_notes_and_times() {
        let books = parse_markdown(MARKDOWN).expect("a KOReader Markdown export");
        assert_eq!(books.len(), 2);
        let solaris = &books[0];
        assert_eq!(solaris.title, "Solaris");
        assert_eq!(solaris.authors, ["Stanisław Lem", "Bill Johnston"]);
        let texts: Vec<&str> = solaris.highlights.iter().map(|h| h.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "We don't want to conquer the cosmos.",
                "The ocean mimicked the shapes.",
                "Man has gone out."
            ]
        );
        let first = &solaris.highlights[0];
        assert_eq!(first.page.as_deref(), Some("57"));
        assert_eq!(first.chapter.as_deref(), Some("The Arrival"));
        assert_eq!(first.note.as_deref(), Some("Lem's thesis in one line"));
        assert_eq!(first.added.as_deref(), Some("2024-03-01T21:04:11"));
        assert_eq!(solaris.highlights[1].added.as_deref(), Some("2024-03-01T00:12:00"));
        assert_eq!(solaris.highlights[2].page.as_deref(), Some("xii"));
        assert_eq!(solaris.highlights[2].added, None, "a date in another language: undated");
        assert_eq!(solaris.highlights[2].chapter.as_deref(), Some("The Little Apocrypha"));
        let second = &books[1];
        assert!(second.authors.is_empty(), "N/A is no author");
        assert_eq!(second.highlights[0].text, "Bold words.");
        assert_eq!(second.highlights.len(), 1, "the closing line is no highlight");
    }

    #[test]
    fn a_text_export_gives_each_books_highlights_in_any_language() {
        let text = "\u{3000}Solaris\n\u{3000}\n\u{3000}The Arrival\n\u{3000}\n\
            \u{3000}\u{3000}-- Page: 57, added on Fri Mar  1 21:04:11 2024\nWe don't want to conquer.\n\
            ---\nLem's thesis\n-=-=-=-=-=-\n\u{3000}The Little Apocrypha\n\u{3000}\n\
            \u{3000}\u{3000}-- Page: 131, added on Sun Mar  3 22:00:00 2024\nMan has gone out.\n-=-=-=-=-=-\n\n\
            \u{3000}Der Zauberberg\n\u{3000}\n\
            \u{3000}\u{3000}-- Seite: 12, hinzugefügt am Mo 4 Mär 10:00:00 2024\nEin Satz.\n-=-=-=-=-=-\n\n";
        let books = parse_text(text).expect("a KOReader text export");
        let titles: Vec<&str> = books.iter().map(|b| b.title.as_str()).collect();
        assert_eq!(titles, ["Solaris", "Der Zauberberg"]);
        let solaris = &books[0].highlights;
        assert_eq!(solaris.len(), 2);
        assert_eq!(solaris[0].text, "We don't want to conquer.");
        assert_eq!(solaris[0].note.as_deref(), Some("Lem's thesis"));
        assert_eq!(solaris[0].page.as_deref(), Some("57"));
        assert_eq!(solaris[0].chapter.as_deref(), Some("The Arrival"));
        assert_eq!(solaris[0].added.as_deref(), Some("2024-03-01T21:04:11"));
        assert_eq!(solaris[1].chapter.as_deref(), Some("The Little Apocrypha"));
        let german = &books[1].highlights;
        assert_eq!((german[0].text.as_str(), german[0].page.as_deref()), ("Ein Satz.", Some("12")));
    }

    #[test]
    fn other_markdown_and_text_are_not_claimed() {
        assert!(parse_markdown("# A note\n\nSome prose.\n### A heading\n").is_none());
        assert!(parse_text("Some text\n-=-=-=-=-=-\nmore\n").is_none());
    }
}
