//! Readwise Markdown exports (to Obsidian, Logseq or plain Markdown): one
//! file per book, article or tweet thread.
//!
//! ```text
//! # 12 Rules for Life
//! ## Metadata
//! - Author: [[Jordan B. Peterson]]
//! - Full Title: 12 Rules for Life
//! ## Highlights
//! - Cultivating judgment … ([Location 267](https://readwise.io/to_kindle?…))
//!     - **Note:** the reader's comment
//!     - **Tags:** #favorite
//! - … (Page 52)
//! - … ([View Highlight](https://read.readwise.io/read/01h…))
//! ```
//!
//! Variants read alike: Dataview keys (`Author::`), YAML front matter,
//! `### Highlights`, sections appended by later syncs (`## New highlights
//! added …`), a no-break space in `Location 267`, plain `(Location 53)`,
//! chapter headings inside the highlights, Logseq's tab-indented bullets
//! under `Highlights first synced by #Readwise` with `author::` page
//! properties, and highlights running over several lines. A template may
//! quote each highlight instead (`> …` lines, `> — [Location 12](…)`),
//! the reader's note after it (`Note: …`).

use std::sync::LazyLock;

use regex::Regex;

use super::{Book, Highlight, authors};
use crate::note::Warning;
use crate::note::markup::inline_text;

/// `- Author: …`, `- Full Title:: …`, `author:: …`, `url: …` (front matter);
/// a template's own shapes too: any Markdown bullet (`*`, `+`) and a bold
/// label (`**Author:** …`, `**Author**: …`).
static META: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^\s*(?:[-*+]\s+)?(?:\*\*|__)?(author|full[ _-]title|title|url|source)(?:\*\*|__)?\s*::?\s*(?:\*\*|__)?\s*(.*?)\s*$",
    )
    .expect("valid regex")
});
/// The reference Readwise appends to a highlight (a template may put more
/// after it: what follows is never the highlight's text).
static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?s)\s*(?:\((?:\[(?P<label>[^\]]*)\]\((?P<url>[^)\s]*)\)|(?P<plain>(?:Location|Page)[\s\u{a0}]+[0-9ivxlcdm]+(?:\s*-\s*[0-9]+)?))\)|[—–―]\s*\[(?P<dashed>(?:Location|Page)[\s\u{a0}]+[^\]]*)\]\((?P<dashed_url>[^)\s]*)\))",
    )
    .expect("valid regex")
});
/// `Location 267`, `Page 52`, `Page xvi`.
static PLACE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(location|page)[\s\u{a0}]+([0-9ivxlcdm]+)(?:\s*-\s*([0-9]+))?$")
        .expect("valid regex")
});
/// A bare link to the place at the end of a highlight, named anything
/// (`[🔗](…to_kindle?…location=12345)`).
static TRAILING_KINDLE_LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\s*\[[^\]\n]*\]\([^)\s]*to_kindle\?[^)\s]*?[?&]location=(?P<n>[0-9]+)[^)\s]*\)\s*\z",
    )
    .expect("valid regex")
});
/// A place in a `Goto:` line or a link: `to_kindle?…location=168`.
static TO_KINDLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"to_kindle\?[^)\s]*?[?&]location=(?P<n>[0-9]+)").expect("valid regex")
});
/// Lines a template leaves that are never text: a bare number, a Dataview
/// `key:: value` field (`highlight_tags:: [[proton]]`), spaced-repetition
/// fields, a `Goto:` link, an Obsidian block id alone, tags alone.
static LEFTOVER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:[0-9]+[.)]?|[\w-]+::.*|sr-(?:due|interval|ease)\s*:.*|<!--\s*sr:.*-->|goto:.*|\^[0-9a-z_-]+|(?:#[\w/-]+\s*)+)$",
    )
    .expect("valid regex")
});
/// A heading that is an Obsidian block id (`##### ^283957200`), the quote's
/// (`###### ^283957200q`) or the note's (`###### ^283957200n`).
static ID_HEADING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^#{2,6}\s+\^(?P<id>[0-9A-Za-z_-]*?[0-9]+)(?P<part>[a-z]?)\s*$")
        .expect("valid regex")
});
/// `**Note:** …`, `Note: …`, `**Note**: …`, `Tags:: …`.
static SUB: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:\*\*)?(note|tags)(?:\*\*)?\s*::?\s*(?:\*\*)?\s*(.*)$")
        .expect("valid regex")
});

/// Reads a Readwise export; `None` when the text is not one.
pub fn parse(text: &str, warnings: &mut Vec<Warning>) -> Option<Vec<Book>> {
    if !looks_like_readwise(text) {
        return None;
    }
    if text.lines().any(|l| ID_HEADING.captures(l.trim()).is_some_and(|c| &c["part"] == "q")) {
        return Some(vec![parse_id_blocks(text, warnings)]);
    }
    let mut book = Book::default();
    let mut heading: Option<String> = None;
    let mut full_title: Option<String> = None;
    let mut in_front_matter = text.starts_with("---");
    let mut in_highlights = false;
    let mut chapter: Option<String> = None;
    // Indentation of a highlight's bullet in the current section.
    let mut bullet_indent: Option<usize> = None;
    let mut current: Option<Building> = None;
    // A template's highlight as a `>` quote instead of a bullet: whether
    // the highlight being read is one, and whether its quote runs on (no
    // blank line yet: the next `>` line is more of it).
    let (mut quoted, mut quote_open) = (false, false);

    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim_end_matches('\r');
        let trimmed = line.trim();
        if in_front_matter {
            if i > 0 && trimmed == "---" {
                in_front_matter = false;
            } else {
                read_meta(line, &mut book, &mut full_title);
            }
            continue;
        }
        if let Some(title) = trimmed.strip_prefix("# ") {
            heading.get_or_insert_with(|| inline_text(title).text);
            continue;
        }
        if let Some(name) = heading_text(trimmed) {
            if is_highlights_heading(name) {
                in_highlights = true;
                bullet_indent = None;
                chapter = None;
            } else if trimmed.starts_with("## ") || !in_highlights {
                finish(&mut current, &mut book, warnings);
                in_highlights = false;
            } else if is_highlight_heading(name) {
                // A template's heading per highlight (`### Highlight 3`):
                // the lines under it are the highlight, then its fields.
                finish(&mut current, &mut book, warnings);
                current = Some(Building::at(line_no, chapter.clone()));
                bullet_indent = None;
                quoted = false;
            } else {
                finish(&mut current, &mut book, warnings);
                chapter = Some(inline_text(name).text);
            }
            continue;
        }
        if !in_highlights {
            if !read_meta(line, &mut book, &mut full_title)
                && let Some(bullet) = bullet(line)
                && is_highlights_heading(bullet.1)
            {
                // Logseq: the highlights are the children of this bullet.
                in_highlights = true;
                bullet_indent = None;
            }
            continue;
        }
        if trimmed.is_empty() {
            quote_open = false;
            continue;
        }
        if let Some(quote) = trimmed.strip_prefix('>')
            && (current.is_none() || quoted)
        {
            let quote = quote.trim_start_matches(['>', ' ']).trim_end();
            if !quote_open || current.is_none() {
                finish(&mut current, &mut book, warnings);
                current = Some(Building::at(line_no, chapter.clone()));
                (quoted, quote_open) = (true, true);
            }
            if let Some(building) = current.as_mut()
                && !quote.is_empty()
            {
                if let Some(title) = callout_title(quote) {
                    // A callout's header: its title may name the place;
                    // the passage is the callout's text under it.
                    let label = title.strip_prefix('[').and_then(|t| t.split_once(']'));
                    let place = label.map_or(title, |(label, _)| label);
                    building.place = building
                        .place
                        .or_else(|| {
                            PLACE
                                .captures(place.trim())
                                .filter(|p| p[1].eq_ignore_ascii_case("location"))
                                .and_then(|p| p[2].parse().ok())
                        })
                        .or_else(|| TO_KINDLE.captures(title).and_then(|c| c["n"].parse().ok()));
                } else if !building.sub_field(quote) {
                    building.text.push(quote.to_string());
                }
            }
            continue;
        }
        if quoted && current.is_some() {
            // After a quoted highlight, until the next one: the reader's
            // note on it (`Note: …`, or a bullet of one), its tags, or
            // leftovers of the template; another bullet is a highlight.
            let bulleted = bullet(line);
            let body = bulleted.map_or(trimmed, |(_, body)| body);
            if bulleted.is_none() || SUB.is_match(body) {
                if let Some(building) = current.as_mut()
                    && !LEFTOVER.is_match(body)
                    && !building.sub_field(body)
                {
                    building.note.push(body.to_string());
                }
                quote_open = false;
                continue;
            }
        }
        quoted = false;
        match bullet(line) {
            Some((_, body)) if is_highlights_heading(body) => {
                // A later sync's section: its first bullet sets the level.
                finish(&mut current, &mut book, warnings);
                bullet_indent = None;
            }
            Some((indent, body)) if bullet_indent.is_none_or(|b| indent <= b) => {
                finish(&mut current, &mut book, warnings);
                bullet_indent = Some(indent);
                let mut building = Building::at(line_no, chapter.clone());
                building.text.push(body.to_string());
                current = Some(building);
            }
            Some((_, body)) => {
                let Some(building) = current.as_mut() else { continue };
                if !building.sub_field(body) {
                    building.text.push(format!("- {body}"));
                }
            }
            None if LEFTOVER.is_match(trimmed) => {}
            None if current.is_some() && PLACE_FIELD.is_match(trimmed) => {
                // `Location: [Location 812](…)` on a line of its own.
                if let Some(building) = current.as_mut() {
                    let place = TO_KINDLE
                        .captures(trimmed)
                        .and_then(|c| c["n"].parse().ok())
                        .or_else(|| {
                            let label = inline_text(trimmed).text;
                            let value = label.split_once(':').map_or("", |(_, v)| v.trim());
                            PLACE.captures(value).and_then(|p| p[2].parse().ok())
                        });
                    building.place = building.place.or(place);
                }
            }
            None if current.as_mut().is_some_and(|b| b.sub_field(trimmed)) => {}
            None => {
                if let Some(building) = current.as_mut() {
                    if building.note.is_empty() {
                        building.text.push(trimmed.to_string());
                    } else {
                        building.note.push(trimmed.to_string());
                    }
                }
            }
        }
    }
    finish(&mut current, &mut book, warnings);
    book.title = full_title.or(heading).unwrap_or_default();
    book.line = 1;
    Some(vec![book])
}

/// A template with a heading per highlight: `##### ^ID` over its fields
/// (`highlight_tags::`, `Goto: …location=N`), `###### ^IDq` over the quote,
/// `###### ^IDn` (when there is one) over the note. Other headings are the
/// chapters; the fields are never text.
fn parse_id_blocks(text: &str, warnings: &mut Vec<Warning>) -> Book {
    #[derive(PartialEq)]
    enum Part {
        Outside,
        Fields,
        Quote,
        Note,
    }
    let mut book = Book { line: 1, ..Book::default() };
    let mut full_title = None;
    let mut heading: Option<String> = None;
    let mut chapter: Option<String> = None;
    let mut in_front_matter = text.starts_with("---");
    let mut part = Part::Outside;
    let mut place: Option<u64> = None;
    let mut note_first: Vec<String> = Vec::new();
    let mut current: Option<Building> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        let trimmed = line.trim();
        if in_front_matter {
            if i > 0 && trimmed == "---" {
                in_front_matter = false;
            } else {
                read_meta(line, &mut book, &mut full_title);
            }
            continue;
        }
        if let Some(c) = ID_HEADING.captures(trimmed) {
            match &c["part"] {
                "q" => {
                    finish(&mut current, &mut book, warnings);
                    current = Some(Building {
                        line: i + 2,
                        text: Vec::new(),
                        note: std::mem::take(&mut note_first),
                        chapter: chapter.clone(),
                        place,
                    });
                    part = Part::Quote;
                }
                "n" => part = Part::Note,
                _ => {
                    finish(&mut current, &mut book, warnings);
                    place = None;
                    part = Part::Fields;
                }
            }
            continue;
        }
        if let Some(title) = trimmed.strip_prefix("# ") {
            heading.get_or_insert_with(|| inline_text(title).text);
            continue;
        }
        if let Some(name) = heading_text(trimmed) {
            finish(&mut current, &mut book, warnings);
            part = Part::Outside;
            let lower = name.to_lowercase();
            if is_highlights_heading(name) || lower == "metadata" {
                chapter = None;
            } else {
                chapter = Some(inline_text(name).text);
            }
            continue;
        }
        if trimmed == "---" {
            finish(&mut current, &mut book, warnings);
            part = Part::Outside;
            continue;
        }
        if trimmed.is_empty() {
            continue;
        }
        if let Some(c) = TO_KINDLE.captures(trimmed) {
            let n = c["n"].parse().ok();
            match current.as_mut() {
                Some(b) if part != Part::Fields => b.place = b.place.or(n),
                _ => place = place.or(n),
            }
            continue;
        }
        let note = SUB.captures(trimmed).filter(|c| c[1].eq_ignore_ascii_case("note"));
        match part {
            Part::Outside => {
                read_meta(line, &mut book, &mut full_title);
            }
            _ if LEFTOVER.is_match(trimmed) => {}
            Part::Fields => {
                if let Some(c) = note {
                    note_first.push(c[2].to_string());
                }
            }
            Part::Quote | Part::Note => {
                let Some(b) = current.as_mut() else { continue };
                match note {
                    Some(c) => {
                        b.note.push(c[2].to_string());
                        part = Part::Note;
                    }
                    None if part == Part::Note => b.note.push(trimmed.to_string()),
                    None => b.text.push(trimmed.to_string()),
                }
            }
        }
    }
    finish(&mut current, &mut book, warnings);
    book.title = full_title.or(heading).unwrap_or_default();
    book
}

/// A highlight whose lines are still being read.
struct Building {
    line: usize,
    text: Vec<String>,
    note: Vec<String>,
    chapter: Option<String>,
    /// A location given apart from the text (a `Goto:` line).
    place: Option<u64>,
}

impl Building {
    /// A highlight starting on `line`, in `chapter`.
    fn at(line: usize, chapter: Option<String>) -> Self {
        Building { line, text: Vec::new(), note: Vec::new(), chapter, place: None }
    }

    /// Takes `body` when it is one of the highlight's fields: the reader's
    /// note (`**Note:** …`) or its tags (not text); whether it was.
    fn sub_field(&mut self, body: &str) -> bool {
        match SUB.captures(body) {
            Some(c) if c[1].eq_ignore_ascii_case("note") => self.note.push(c[2].to_string()),
            Some(_) => {}
            None => return false,
        }
        true
    }
}

/// Turns the highlight being read into a [`Highlight`] of the book.
fn finish(current: &mut Option<Building>, book: &mut Book, warnings: &mut Vec<Warning>) {
    let Some(building) = current.take() else { return };
    let mut raw = building.text.join("\n");
    let mut highlight = Highlight { line: building.line, ..Highlight::default() };
    // A template's bare link to the place (`[🔗](…to_kindle…location=N)`)
    // at the end: the place, not text.
    if !REFERENCE.is_match(&raw)
        && let Some(link) = TRAILING_KINDLE_LINK.captures(&raw)
    {
        let at = link.get(0).map_or(raw.len(), |m| m.start());
        let n = link.name("n").and_then(|n| n.as_str().parse::<u64>().ok());
        highlight.location = n.map(|n| [n, n]);
        raw.truncate(at);
    }
    let mut extra_note = String::new();
    let body = match REFERENCE.captures(&raw) {
        Some(c) => {
            let place = c
                .name("label")
                .or_else(|| c.name("plain"))
                .or_else(|| c.name("dashed"))
                .map_or("", |m| m.as_str());
            let url = c.name("url").or_else(|| c.name("dashed_url")).map_or("", |m| m.as_str());
            if let Some(n) = TO_KINDLE.captures(url).and_then(|k| k["n"].parse::<u64>().ok())
                && PLACE.captures(place.trim()).is_none()
            {
                // A link named otherwise (`open in Kindle`): its place.
                highlight.location = Some([n, n]);
            }
            if let Some(p) = PLACE.captures(place.trim()) {
                let first = &p[2];
                let last = p.get(3).map_or(first, |m| m.as_str());
                if p[1].eq_ignore_ascii_case("page") {
                    highlight.page = Some(if first == last {
                        first.to_string()
                    } else {
                        format!("{first}-{last}")
                    });
                } else if let (Ok(a), Ok(b)) = (first.parse::<u64>(), last.parse::<u64>()) {
                    highlight.location = Some([a.min(b), a.max(b)]);
                }
            }
            let whole = c.get(0).map_or(raw.len()..raw.len(), |m| m.range());
            let after: Vec<&str> = raw[whole.end..]
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !LEFTOVER.is_match(l))
                .collect();
            extra_note = after.join("\n");
            raw[..whole.start].to_string()
        }
        None => raw,
    };
    highlight.text = readable(&body);
    if highlight.text.is_empty() {
        warnings.push(Warning {
            line: Some(building.line),
            message: "a Readwise highlight with no text; skipped".to_string(),
        });
        return;
    }
    let mut note_lines = building.note;
    if !extra_note.is_empty() {
        note_lines.insert(0, extra_note);
    }
    if highlight.location.is_none() && highlight.page.is_none() {
        highlight.location = building.place.map(|n| [n, n]);
    }
    let note = readable(&note_lines.join("\n"));
    highlight.note = (!note.is_empty()).then_some(note);
    highlight.chapter = building.chapter;
    book.highlights.push(highlight);
}

/// Readable text of Markdown lines: markup gone, lines kept apart.
fn readable(text: &str) -> String {
    text.lines()
        .map(|l| inline_text(l.trim()).text)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Title, author and URL from a metadata line; whether it was one.
fn read_meta(line: &str, book: &mut Book, full_title: &mut Option<String>) -> bool {
    let Some(c) = META.captures(line) else { return false };
    let value = c[2].trim().trim_matches('"').trim();
    let key = c[1].to_ascii_lowercase().replace([' ', '_'], "-");
    match key.as_str() {
        "author" => {
            if book.authors.is_empty() {
                book.authors = authors::split(&value.replace("[[", "").replace("]]", ""));
            }
        }
        "full-title" | "title" => {
            let title = inline_text(&value.replace("[[", "").replace("]]", "")).text;
            if !title.is_empty() && full_title.is_none() {
                *full_title = Some(title);
            }
        }
        _ => {
            if book.url.is_none() && value.starts_with("http") {
                book.url = Some(value.trim_matches(['<', '>']).to_string());
            }
        }
    }
    true
}

/// A Markdown heading's text (`## Highlights` → `Highlights`).
fn heading_text(line: &str) -> Option<&str> {
    let hashes = line.len() - line.trim_start_matches('#').len();
    if !(2..=6).contains(&hashes) {
        return None;
    }
    line[hashes..].strip_prefix(' ').map(str::trim)
}

/// `Highlight 3`, `Highlight`: a template's heading over one highlight.
fn is_highlight_heading(text: &str) -> bool {
    let lower = text.trim().to_lowercase();
    lower
        .strip_prefix("highlight")
        .is_some_and(|rest| rest.trim().trim_start_matches('#').chars().all(|c| c.is_ascii_digit()))
}

/// `Location: …` or `Page: …` on a line of its own, under a highlight.
static PLACE_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:\*\*)?(?:location|loc\.?|page)(?:\*\*)?\s*:").expect("valid regex")
});

/// `Highlights`, `New highlights added …`, `Highlights first synced by …`.
fn is_highlights_heading(text: &str) -> bool {
    let lower = text.trim().to_lowercase();
    lower == "highlights"
        || lower.starts_with("new highlights added")
        || lower.starts_with("highlights first synced by")
}

/// A bullet line: its indentation (a tab counts 4) and its text.
fn bullet(line: &str) -> Option<(usize, &str)> {
    let body = line.trim_start_matches([' ', '\t']);
    let lead = &line[..line.len() - body.len()];
    let indent = lead.chars().map(|c| if c == '\t' { 4 } else { 1 }).sum();
    let text = body
        .strip_prefix("- ")
        .or_else(|| body.strip_prefix("* "))
        .or_else(|| body.strip_prefix("+ "))
        .or_else(|| numbered(body))?;
    Some((indent, text.trim()))
}

/// The text of a numbered list item (`1. …`, `12) …`), as a template that
/// numbers its highlights writes them.
fn numbered(body: &str) -> Option<&str> {
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    if !(1..=4).contains(&digits) {
        return None;
    }
    let rest = &body[digits..];
    rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") "))
}

/// A callout's header line inside a quote (`[!quote] [Location 1024](…)`):
/// its title, after the `[!kind]` marker.
fn callout_title(quote: &str) -> Option<&str> {
    let rest = quote.strip_prefix("[!")?;
    let end = rest.find(']')?;
    if rest[..end].is_empty() || rest[..end].contains(char::is_whitespace) {
        return None;
    }
    Some(rest[end + 1..].trim_start_matches(['+', '-']).trim())
}

/// A Readwise export has its metadata (a `Full Title`, the cover, an
/// `author::` property, a Readwise link) and a highlights section, or
/// headings that are the highlights' block ids (`###### ^283957200q`).
fn looks_like_readwise(text: &str) -> bool {
    // Most notes are not exports: a byte search rules them out before any
    // line is looked at (every variant has a `…ighlights` heading or bullet).
    if memchr::memmem::find(text.as_bytes(), b"ighlights").is_none()
        && memchr::memmem::find(text.as_bytes(), b"readwise.io/").is_none()
    {
        return false;
    }
    let mut marked = false;
    let mut section = false;
    for line in text.lines().take(400) {
        let t = line.trim();
        let lower = t.to_lowercase();
        if lower.contains("rw-book-cover")
            || lower.starts_with("- full title:")
            || lower.starts_with("full-title::")
            || lower.starts_with("- full title::")
            || lower.contains("#readwise")
            || lower.contains("readwise.io/")
        {
            marked = true;
        }
        if heading_text(t).is_some_and(is_highlights_heading)
            || bullet(line).is_some_and(|(_, b)| is_highlights_heading(b))
            || ID_HEADING.captures(t).is_some_and(|c| &c["part"] == "q")
        {
            section = true;
        }
        if marked && section {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Book {
        let mut w = Vec::new();
        let mut books = parse(text, &mut w).expect("a Readwise export");
        assert_eq!(books.len(), 1);
        books.remove(0)
    }

    #[test]
    fn authors_joined_by_and_are_several_people() {
        let book = one(
            "# Good Omens\n\n## Metadata\n- Author: [[Terry Pratchett and Neil Gaiman]]\n\
             - Full Title: Good Omens: The Nice and Accurate Prophecies\n\n## Highlights\n\n\
             - Most of the great triumphs are caused by people. ([Location 4170](https://readwise.io/to_kindle?action=open&asin=B&location=4170))\n",
        );
        assert_eq!(book.authors, ["Terry Pratchett", "Neil Gaiman"]);
        assert_eq!(book.title, "Good Omens: The Nice and Accurate Prophecies");
    }

    #[test]
    fn a_template_that_quotes_each_highlight_reads_it_with_its_place_and_note() {
        let book = one(
            "# Deep Work\n\n## Metadata\n- Author: [[Cal Newport]]\n\n## Highlights\n\n\
             > Clarity about what matters.\n\
             > — [Location 1203](https://readwise.io/to_kindle?action=open&asin=B&location=1203)\n\n\
             **Note:** my own thought\nTags: #focus\n\n\
             > A second one,\n> over two lines.\n\
             > — [Page 52](https://readwise.io/to_kindle?action=open&asin=B&page=52)\n\
             - Note: a bulleted note\n\n\
             > Third, with no place.\n\n\
             - And a bulleted one. (Location 7)\n",
        );
        assert_eq!(book.authors, ["Cal Newport"]);
        let h = &book.highlights;
        assert_eq!(h.len(), 4, "{h:?}");
        assert_eq!(
            (h[0].text.as_str(), h[0].location, h[0].note.as_deref()),
            ("Clarity about what matters.", Some([1203, 1203]), Some("my own thought"))
        );
        assert_eq!(
            (h[1].text.as_str(), h[1].page.as_deref(), h[1].note.as_deref()),
            ("A second one,\nover two lines.", Some("52"), Some("a bulleted note"))
        );
        assert_eq!(
            (h[2].text.as_str(), h[2].location, h[2].page.as_deref()),
            ("Third, with no place.", None, None)
        );
        assert_eq!((h[3].text.as_str(), h[3].location), ("And a bulleted one.", Some([7, 7])));
    }

    #[test]
    fn a_template_that_numbers_its_highlights_reads_each_with_its_place_and_note() {
        let book = one(
            "# Sapiens\n\n## Metadata\n- Author: [[Yuval Noah Harari]]\n\n## Highlights\n\n\
             1. History's biggest fraud. ([Location 1422](https://readwise.io/to_kindle?action=open&asin=B1&location=1422))\n\
             \x20   * Note: wheat domesticated us\n\
             2) Fiction lets us imagine together. ([Location 540](https://readwise.io/to_kindle?action=open&asin=B1&location=540))\n",
        );
        let texts: Vec<&str> = book.highlights.iter().map(|h| h.text.as_str()).collect();
        assert_eq!(texts, ["History's biggest fraud.", "Fiction lets us imagine together."]);
        assert_eq!(book.highlights[0].location, Some([1422, 1422]));
        assert_eq!(book.highlights[0].note.as_deref(), Some("wheat domesticated us"));
        assert_eq!(book.highlights[1].location, Some([540, 540]));
    }

    #[test]
    fn a_heading_per_highlight_with_its_place_and_note_below() {
        let book = one(
            "# Meditations\n\n## Metadata\n- Author: [[Marcus Aurelius]]\n- Full Title: Meditations\n\n\
             ## Highlights\n\n### Highlight 1\nYou have power over your mind, not outside events.\n\n\
             Location: [Location 812](https://readwise.io/to_kindle?action=open&asin=B0&location=812)\n\
             Note: the dichotomy of control\n\n### Highlight 2\nBe one.\n\n\
             Location: [Location 2310](https://readwise.io/to_kindle?action=open&asin=B0&location=2310)\n",
        );
        let h = &book.highlights;
        assert_eq!(h.len(), 2);
        assert_eq!(h[0].text, "You have power over your mind, not outside events.");
        assert_eq!(h[0].location, Some([812, 812]));
        assert_eq!(h[0].note.as_deref(), Some("the dichotomy of control"));
        assert_eq!(
            (h[1].text.as_str(), h[1].location, h[1].note.as_deref()),
            ("Be one.", Some([2310, 2310]), None)
        );
    }

    #[test]
    fn a_link_to_the_place_named_otherwise_gives_the_place() {
        let book = one(
            "# War and Peace\n\n## Metadata\n- Author: [[Leo Tolstoy]]\n- Full Title: War and Peace\n\n\
             ## Highlights\n\
             - If everyone fought for their own convictions there would be no war. [🔗](https://readwise.io/to_kindle?action=open&asin=B0&location=12345)\n\
             - Nothing is so necessary as intelligent company. ([open in Kindle](https://readwise.io/to_kindle?action=open&asin=B0&location=2210))\n",
        );
        let found: Vec<(&str, Option<[u64; 2]>)> =
            book.highlights.iter().map(|h| (h.text.as_str(), h.location)).collect();
        assert_eq!(
            found,
            [
                (
                    "If everyone fought for their own convictions there would be no war.",
                    Some([12345, 12345])
                ),
                ("Nothing is so necessary as intelligent company.", Some([2210, 2210])),
            ]
        );
    }

    #[test]
    fn a_callout_per_highlight_gives_its_place_from_the_title_and_its_note() {
        let book = one(
            "# The Left Hand of Darkness\n\n## Metadata\n- Author:: [[Ursula K. Le Guin]]\n\
             - Full Title:: The Left Hand of Darkness\n\n## Highlights\n\n\
             > [!quote] [Location 1024](https://readwise.io/to_kindle?action=open&asin=B0&location=1024)\n\
             > Light is the left hand of darkness.\n>\n> **Note**: the Handdara verse\n\n\
             > [!quote]+ [Location 2211](https://readwise.io/to_kindle?action=open&asin=B0&location=2211)\n\
             > To oppose something is to maintain it.\n",
        );
        let texts: Vec<&str> = book.highlights.iter().map(|h| h.text.as_str()).collect();
        assert_eq!(
            texts,
            ["Light is the left hand of darkness.", "To oppose something is to maintain it."]
        );
        assert_eq!(book.highlights[0].location, Some([1024, 1024]));
        assert_eq!(book.highlights[0].note.as_deref(), Some("the Handdara verse"));
        assert_eq!(book.highlights[1].location, Some([2211, 2211]));
        assert_eq!(book.highlights[1].note, None);
    }

    #[test]
    fn a_templates_own_bullets_and_bold_labels_give_the_metadata() {
        for (author, title) in [
            ("* Author: [[Tessa Dare]]", "* Full Title: A Night to Surrender"),
            ("+ Author: [[Tessa Dare]]", "+ Full Title: A Night to Surrender"),
            ("- **Author:** [[Tessa Dare]]", "- **Full Title:** A Night to Surrender"),
            ("**Author**: Tessa Dare", "**Full Title**: A Night to Surrender"),
        ] {
            let book = one(&format!(
                "# A Night\n\n## Metadata\n{author}\n{title}\n\n## Highlights\n\
                 * A passage. ([Location 930](https://readwise.io/to_kindle?location=930))\n"
            ));
            assert_eq!(book.authors, ["Tessa Dare"], "{author}");
            assert_eq!(book.title, "A Night to Surrender", "{title}");
            assert_eq!(book.highlights.len(), 1, "{author}");
        }
    }

    #[test]
    fn the_obsidian_shape_reads_references_notes_and_metadata() {
        let book = one("# 12 Rules\n\n![rw-book-cover](https://x/y.jpg)\n\n## Metadata\n\
             - Author: [[Jordan B. Peterson]]\n- Full Title: 12 Rules for Life\n- Category: #books\n\n\
             ## Highlights\n\
             - Cultivating judgment is hard. ([Location\u{a0}267](https://readwise.io/to_kindle?location=267))\n    \
             - **Note:** my comment\n    - **Tags:** #favorite\n\
             - A page one (Page 52)\n\
             - Plain location (Location 53)\n\
             - A web one ([View Highlight](https://read.readwise.io/read/01h))\n");
        assert_eq!(book.title, "12 Rules for Life");
        assert_eq!(book.authors, ["Jordan B. Peterson"]);
        let h = &book.highlights;
        assert_eq!(h.len(), 4);
        assert_eq!(h[0].text, "Cultivating judgment is hard.");
        assert_eq!(h[0].location, Some([267, 267]));
        assert_eq!(h[0].note.as_deref(), Some("my comment"));
        assert_eq!(h[1].page.as_deref(), Some("52"));
        assert_eq!(h[2].location, Some([53, 53]));
        assert_eq!(
            (h[3].text.as_str(), h[3].location, h[3].page.as_deref()),
            ("A web one", None, None)
        );
    }

    #[test]
    fn a_number_on_the_line_after_an_item_is_not_text() {
        let book = one(
            "---\r\nauthor: \"[[Wen Li]]\"\r\ntitle: 三体\r\n---\r\n# 三体\r\n\r\n![rw-book-cover](https://x/y.jpg)\r\n\r\n## Highlights\r\n\
             - 弱小和无知不是生存的障碍，傲慢才是。 ([Location\u{a0}101](https://readwise.io/to_kindle?action=open&asin=B0&location=101))\r\n2\r\n    - Note: 书中最有名的一句\r\n\
             - The universe is a dark forest. ([Location 240](https://readwise.io/to_kindle?action=open&asin=B0&location=240))\r\n3\r\n\
             - Every hunter is silent. (Location 250) #scifi\r\n4\r\n",
        );
        assert_eq!(
            (book.title.as_str(), book.authors.as_slice()),
            ("三体", &["Wen Li".to_string()][..])
        );
        let h = &book.highlights;
        let rows: Vec<_> =
            h.iter().map(|h| (h.text.as_str(), h.location, h.note.as_deref())).collect();
        assert_eq!(
            rows,
            [
                (
                    "弱小和无知不是生存的障碍，傲慢才是。",
                    Some([101, 101]),
                    Some("书中最有名的一句")
                ),
                ("The universe is a dark forest.", Some([240, 240]), None),
                ("Every hunter is silent.", Some([250, 250]), None),
            ]
        );
    }

    #[test]
    fn a_heading_per_highlight_with_the_quote_under_its_id() {
        let book = one("---\ntitle: A Brief Universe\nauthor: Ines Calder\n---\n\
             # A Brief Universe\n\n![rw-book-cover](https://x/y.jpg)\n\n\
             ### 1 HOW TO BUILD A UNIVERSE\n\
             ##### ^283957200\nhighlight_tags:: [[proton]]\n\
             Goto: https://readwise.io/to_kindle?action=open&asin=B000FBFNII&location=168\n\n\
             ###### ^283957200q\nA proton is a bag of quarks\nheld by gluons.\n\n\
             ##### ^283957201\n\
             Goto: https://readwise.io/to_kindle?action=open&asin=B000FBFNII&location=175\n\n\
             ###### ^283957201q\nNothing is emptier than a vacuum, and nothing busier.\n\n\
             ###### ^283957201n\nLook up vacuum fluctuations.\n\n\
             ### 2 THE FIRST STARS\n\
             ##### ^283957202\nsr-due: 2024-06-01\n\
             Goto: https://readwise.io/to_kindle?action=open&asin=B000FBFNII&location=301\n\n\
             ###### ^283957202q\n最初的恒星是巨大的。\n");
        assert_eq!(
            (book.title.as_str(), book.authors.as_slice()),
            ("A Brief Universe", &["Ines Calder".to_string()][..])
        );
        let rows: Vec<_> = book
            .highlights
            .iter()
            .map(|h| (h.text.as_str(), h.location, h.note.as_deref(), h.chapter.as_deref()))
            .collect();
        assert_eq!(
            rows,
            [
                (
                    "A proton is a bag of quarks\nheld by gluons.",
                    Some([168, 168]),
                    None,
                    Some("1 HOW TO BUILD A UNIVERSE")
                ),
                (
                    "Nothing is emptier than a vacuum, and nothing busier.",
                    Some([175, 175]),
                    Some("Look up vacuum fluctuations."),
                    Some("1 HOW TO BUILD A UNIVERSE")
                ),
                ("最初的恒星是巨大的。", Some([301, 301]), None, Some("2 THE FIRST STARS")),
            ]
        );
    }

    #[test]
    fn a_note_with_a_readwise_link_but_no_highlights_is_not_an_export() {
        let mut w = Vec::new();
        let note = "# Reading log\n\nI keep highlights in https://readwise.io/ now.\n\n> A quote I liked.\n";
        assert!(parse(note, &mut w).is_none());
    }
}
