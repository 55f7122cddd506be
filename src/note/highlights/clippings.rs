//! Kindle `My Clippings.txt`: one file the device appends every highlight,
//! note and bookmark of every book to, in the device's language.
//!
//! An entry is the book line (`Title (Author)`), a line saying what it is
//! and where (`- Your Highlight on page 88 | Location 1631-1631 | Added on
//! …`), a blank line, the text, and a line of ten `=`. The second line is
//! read by its structure, not its words: its numbers in order, with the
//! words only deciding which number is the page and which the location, so
//! every language the device speaks reads the same.
//!
//! What the reader expects, beyond one quote per highlight:
//!
//! - bookmarks are not quotes, nor is the device's stand-in `<You have
//!   reached the clipping limit for this item>`;
//! - a note entry is the reader's comment on the highlight of the same book
//!   that ends where the note sits;
//! - the device never edits an entry: an extended or re-made highlight is a
//!   new entry overlapping the old one, one text containing the other; the
//!   latest supersedes the earlier, so each passage appears once;
//! - highlights that only touch (`829-829`, `829-830`, different texts) are
//!   both kept.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

use super::{Book, Highlight, authors};
use crate::note::Warning;

/// The line that ends every entry.
const SEPARATOR: &str = "==========";

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Highlight,
    Note,
    Bookmark,
}

/// Words for a bookmark and a note in the languages Kindles are sold in.
/// Anything else with text is a highlight.
const BOOKMARK_WORDS: [&str; 9] = [
    "bookmark",
    "marcador",
    "lesezeichen",
    "закладка",
    "书签",
    "signet",
    "segnalibro",
    "ブックマーク",
    "bladwijzer",
];
const NOTE_WORDS: [&str; 9] =
    ["note", "nota", "notiz", "заметка", "笔记", "メモ", "notitie", "注释", "notes"];
/// Words that make a number a page; location words are the default.
const PAGE_WORDS: [&str; 10] =
    ["page", "pág", "pagina", "página", "seite", "стр", "页", "ページ", "blz", "p."];
/// A page word before a roman page (`on page xvi`, `página iv-v`), in the
/// lower-cased kind line.
static ROMAN_PAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:page|pág|pagina|página|seite|стр|blz|p\.)\s*([ivxlcdm]{1,8}(?:\s*[-–—]\s*[ivxlcdm]{1,8})?)(?:[^\p{L}\p{N}]|$)")
        .expect("a valid regex")
});

/// Reads a clippings file; `None` when the text is not one.
pub fn parse(text: &str, warnings: &mut Vec<Warning>) -> Option<Vec<Book>> {
    if !looks_like_clippings(text) {
        return None;
    }
    let mut books: Vec<Book> = Vec::new();
    let mut by_key: HashMap<String, usize> = HashMap::new();
    // Per book: its entries (highlights and notes) in file order.
    let mut entries: Vec<Vec<Entry>> = Vec::new();

    let lines: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
    let mut at = 0;
    loop {
        // Skip blank lines (and stray separators) between entries.
        while lines.get(at).is_some_and(|l| {
            let l = clean(l);
            l.is_empty() || l == SEPARATOR
        }) {
            at += 1;
        }
        let Some(title_line) = lines.get(at) else { break };
        let line = at + 1;
        let start = at + 1;
        let mut end = start;
        // Where the entry ends: its separator, the end of the file (a
        // truncated file), or the next entry's book and kind lines when the
        // separator is missing.
        let mut closed = false;
        let mut missing = false;
        while let Some(l) = lines.get(end) {
            if clean(l) == SEPARATOR {
                closed = true;
                break;
            }
            if end >= start + 2
                && clean(l).contains('|')
                && is_meta_line(clean(l))
                && !clean(lines[end - 1]).is_empty()
            {
                missing = true;
                end -= 1;
                break;
            }
            end += 1;
        }
        let body: &[&str] = &lines[start..end];
        at = if closed { end + 1 } else { end };
        if missing {
            warnings.push(Warning {
                line: Some(end),
                message: "a clippings entry without its closing “==========” line (was the file \
                          edited by hand?); read up to the next entry"
                    .to_string(),
            });
        }
        let closed = closed || missing;
        let book_line = clean(title_line);
        let Some((meta, text_lines)) = body.split_first() else {
            warnings.push(Warning {
                line: Some(line),
                message: format!(
                    "clippings entry “{}” has no second line (kind, location, date); skipped",
                    shorten(book_line)
                ),
            });
            continue;
        };
        let meta = clean(meta);
        if !is_meta_line(meta) {
            warnings.push(Warning {
                line: Some(line + 1),
                message: "clippings entry without its “- Your Highlight … | Added on …” line; \
                          skipped (was the file edited by hand?)"
                    .to_string(),
            });
            continue;
        }
        if !closed {
            warnings.push(Warning {
                line: Some(line),
                message: "the last clippings entry has no closing “==========” line (a \
                          truncated file?); read as it is"
                    .to_string(),
            });
        }
        let place = read_meta(meta);
        let text = text_lines.join("\n").trim().to_string();
        if place.kind == Kind::Bookmark || text.is_empty() || super::is_clipping_limit(&text) {
            continue;
        }
        let (title, authors) = split_book_line(book_line);
        let key = book_line.to_string();
        let index = *by_key.entry(key).or_insert_with(|| {
            books.push(Book { title, authors, url: None, line, highlights: Vec::new() });
            entries.push(Vec::new());
            books.len() - 1
        });
        entries[index].push(Entry { kind: place.kind, line, place, text });
    }
    for (book, entries) in books.iter_mut().zip(entries) {
        book.highlights = resolve(entries);
    }
    books.retain(|b| !b.highlights.is_empty());
    Some(books)
}

/// A highlight or note entry of one book.
struct Entry {
    kind: Kind,
    line: usize,
    place: Place,
    text: String,
}

/// What the second line says.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Place {
    kind: Kind,
    page: Option<String>,
    location: Option<[u64; 2]>,
    added: Option<String>,
}

/// Supersession and note attachment, for one book's entries in file order.
fn resolve(entries: Vec<Entry>) -> Vec<Highlight> {
    let mut highlights: Vec<(Highlight, bool)> = Vec::new();
    let mut notes: Vec<Entry> = Vec::new();
    for entry in entries {
        match entry.kind {
            Kind::Note => notes.push(entry),
            _ => highlights.push((
                Highlight {
                    text: entry.text,
                    line: entry.line,
                    page: entry.place.page,
                    location: entry.place.location,
                    chapter: None,
                    note: None,
                    added: entry.place.added,
                },
                true,
            )),
        }
    }
    // An earlier highlight is superseded by a later one of the same book
    // that overlaps it, one text containing the other: the reader extended
    // or re-made it, and expects the latest. Only overlapping highlights
    // are compared (by location order), so a book of thousands of
    // highlights is not compared pair by pair.
    let folded: Vec<String> = highlights.iter().map(|(h, _)| fold(&h.text)).collect();
    let count = highlights.len();
    let mut superseded_by: Vec<Option<usize>> = vec![None; count];
    let mut by_start: Vec<(u64, u64, usize)> = highlights
        .iter()
        .enumerate()
        .filter_map(|(i, (h, _))| h.location.map(|[a, b]| (a, b, i)))
        .collect();
    by_start.sort_unstable();
    let same =
        |i: usize, j: usize| folded[j].contains(&folded[i]) || folded[i].contains(&folded[j]);
    for &(start, end, i) in &by_start {
        // Highlights starting at or before this one's end, ending at or after its start.
        let reach = by_start.partition_point(|&(s, _, _)| s <= end);
        let first_later = by_start[..reach]
            .iter()
            .filter(|&&(_, e, j)| j > i && e >= start && same(i, j))
            .map(|&(_, _, j)| j)
            .min();
        superseded_by[i] = first_later;
    }
    // Without locations, highlights on the same page are compared.
    let mut by_page: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, (h, _)) in highlights.iter().enumerate() {
        if h.location.is_none()
            && let Some(page) = &h.page
        {
            by_page.entry(page.as_str()).or_default().push(i);
        }
    }
    for group in by_page.values() {
        for (n, &i) in group.iter().enumerate() {
            superseded_by[i] = group[n + 1..].iter().copied().find(|&j| same(i, j));
        }
    }
    // Follow the chain to the latest form.
    let latest = |mut i: usize| {
        while let Some(j) = superseded_by.get(i).copied().flatten() {
            i = j;
        }
        i
    };
    for (i, superseded) in superseded_by.iter().enumerate() {
        if superseded.is_some() {
            highlights[i].1 = false;
        }
    }
    // A note sits where its highlight ends: the nearest such highlight in
    // the file (the device writes the note just before or after it).
    let mut by_end: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, (h, _)) in highlights.iter().enumerate() {
        if let Some([_, end]) = h.location {
            by_end.entry(end).or_default().push(i);
        }
    }
    for note in notes {
        let at = note.place.location.map(|[first, _]| first);
        let candidates: Vec<usize> = match at {
            Some(at) => by_end.get(&at).cloned().unwrap_or_default(),
            None => (0..count)
                .filter(|&i| {
                    let h = &highlights[i].0;
                    h.location.is_none() && note.place.page.is_some() && h.page == note.place.page
                })
                .collect(),
        };
        let target = candidates
            .into_iter()
            .min_by_key(|&i| highlights[i].0.line.abs_diff(note.line))
            .map(latest);
        match target {
            Some(i) => {
                let h = &mut highlights[i].0;
                match &mut h.note {
                    Some(existing) if existing.contains(&note.text) => {}
                    Some(existing) => {
                        existing.push_str("\n\n");
                        existing.push_str(&note.text);
                    }
                    None => h.note = Some(note.text),
                }
            }
            // A note with no highlight is still the reader's words about
            // that place: keep it as a quote of its own (later notes at the
            // same place join it).
            None => {
                if let Some([_, end]) = note.place.location {
                    by_end.entry(end).or_default().push(highlights.len());
                }
                highlights.push((
                    Highlight {
                        text: note.text.clone(),
                        line: note.line,
                        page: note.place.page,
                        location: note.place.location,
                        chapter: None,
                        note: Some(note.text),
                        added: note.place.added,
                    },
                    true,
                ));
            }
        }
    }
    let mut kept: Vec<Highlight> =
        highlights.into_iter().filter(|(_, keep)| *keep).map(|(h, _)| h).collect();
    kept.sort_by_key(|h| h.line);
    kept
}

/// Text as compared for supersession: its words, lower-cased, without
/// punctuation (an extended highlight's earlier end may have been a comma
/// where the first one stopped at a full stop).
fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        if !folded.is_empty() {
            folded.push(' ');
        }
        folded.extend(word.chars().flat_map(char::to_lowercase));
    }
    folded
}

/// A line without its byte-order mark (any entry may start with one), line
/// end and surrounding spaces.
fn clean(line: &str) -> &str {
    line.trim_start_matches('\u{feff}').trim()
}

fn shorten(text: &str) -> String {
    let cut: String = text.chars().take(60).collect();
    if cut.len() < text.len() { format!("{cut}…") } else { cut }
}

/// Whether the text is a clippings file: its first entry has a kind line
/// (`- … | …`) and an `==========` line ends it.
fn looks_like_clippings(text: &str) -> bool {
    let mut lines = text.lines().map(clean).filter(|l| !l.is_empty());
    let (Some(_title), Some(meta)) = (lines.next(), lines.next()) else { return false };
    is_meta_line(meta) && text.lines().take(200).any(|l| clean(l) == SEPARATOR)
}

/// `- Your Highlight … | …` in any language (an en dash in Russian).
fn is_meta_line(line: &str) -> bool {
    (line.starts_with("- ") || line.starts_with("– ") || line.starts_with("— "))
        && (line.contains('|') || line.chars().any(|c| c.is_ascii_digit()))
}

/// The book line: `Title (Author)`, the author being the last
/// parenthesised group, read into people by [`authors::split`]. Groups
/// naming the site a book was downloaded from (`Meditations (Marcus
/// Aurelius) (z-lib.org)`) are neither author nor title: they are dropped.
/// (A web page sent to the Kindle is written `Title (site.org)`: with no
/// group before it, the site stays the author, as the only one there is.)
fn split_book_line(line: &str) -> (String, Vec<String>) {
    let line = without_site_tags(line.trim());
    if let Some(open) = last_group_start(line) {
        let title = without_site_tags(line[..open].trim());
        let author = line[open + 1..line.len() - 1].trim();
        if !title.is_empty() && !author.is_empty() {
            return (title.to_string(), authors::split(author));
        }
    }
    (line.to_string(), Vec::new())
}

/// The line without the download-site groups that end it: a shadow
/// library's name or domain always, any other bare domain when a group
/// comes before it (`(Marcus Aurelius) (ebooks.example)`).
fn without_site_tags(mut line: &str) -> &str {
    while let Some(open) = last_group_start(line) {
        let before = line[..open].trim_end();
        let group = &line[open + 1..line.len() - 1];
        let tag = is_library(group)
            || (is_domain(group) && last_group_start(before).is_some_and(|at| at > 0));
        if before.is_empty() || !tag {
            break;
        }
        line = before;
    }
    line
}

/// The shadow libraries that add themselves to a book's file, by name
/// (`Z-Library`, `libgen`, `Anna's Archive`) or by domain (`z-lib.org`,
/// `libgen.rs`, `1lib.sk`).
fn is_library(group: &str) -> bool {
    let lower = group.trim().to_lowercase().replace('’', "'");
    let named = [
        "z-library",
        "zlibrary",
        "z-lib",
        "zlib",
        "libgen",
        "library genesis",
        "anna's archive",
        "annas archive",
        "annas-archive",
    ];
    let domain = ["z-lib", "zlib", "z-library", "libgen", "annas-archive", "1lib", "b-ok"];
    named.contains(&lower.as_str())
        || (is_domain(&lower) && lower.split('.').any(|label| domain.contains(&label)))
}

/// A bare domain (`z-lib.org`, `www.allitebooks.com`).
fn is_domain(group: &str) -> bool {
    let lower = group.trim().to_lowercase();
    // A domain: dot-separated labels of letters, digits and hyphens, ending
    // in a top-level domain of letters; one label longer than a letter, so
    // initials (`J.R.R`) are not a domain.
    let labels: Vec<&str> = lower.split('.').collect();
    let Some((tld, names)) = labels.split_last() else { return false };
    !names.is_empty()
        && (2..=6).contains(&tld.len())
        && tld.chars().all(|c| c.is_ascii_lowercase())
        && names
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        && names.iter().any(|l| l.len() >= 2)
}

/// Byte index of the `(` that opens a parenthesised group ending the line.
fn last_group_start(line: &str) -> Option<usize> {
    if !line.ends_with(')') {
        return None;
    }
    let mut depth = 0usize;
    for (i, c) in line.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Reads the kind line: what the entry is, its page and location, and the
/// date, by the numbers and the few words that tell them apart.
fn read_meta(meta: &str) -> Place {
    let lower = meta.to_lowercase();
    let segments: Vec<&str> = lower.split('|').collect();
    // The kind's word is in the first segment in most languages, but a
    // Japanese device writes the page first (`12ページ|位置No. 152のメモ`):
    // every segment but the date is read for it.
    let dated = segments.len() > 1 && segments.last().is_some_and(|s| is_date(s));
    let head = segments[..segments.len() - usize::from(dated)].join("|");
    let head = head.as_str();
    let kind = if BOOKMARK_WORDS.iter().any(|w| head.contains(w)) {
        Kind::Bookmark
    } else if NOTE_WORDS.iter().any(|w| has_word(head, w)) {
        Kind::Note
    } else {
        Kind::Highlight
    };
    let mut place = Place { kind, page: None, location: None, added: None };
    for (i, segment) in segments.iter().enumerate() {
        if i > 0 && i + 1 == segments.len() && segments.len() > 1 && is_date(segment) {
            place.added = parse_date(segment);
            continue;
        }
        // A book whose front matter has roman pages: `on page xvi`.
        let mut cursor = 0;
        if let Some(c) = ROMAN_PAGE.captures(segment)
            && let Some(roman) = c.get(1)
        {
            if place.page.is_none() {
                place.page = Some(roman.as_str().split_whitespace().collect());
            }
            cursor = roman.end();
        }
        // Each number or range of the segment, the words since the one
        // before deciding what it is. Old Kindles put page and location in
        // one segment (`Highlight on Page 23 | Loc. 345-46` is split, but
        // `Highlight Loc. 1234-36` is one), and so does Chinese
        // (`您在第 47 页（位置 #708-710）的标注`).
        while let Some((first, last, at, end)) = number_range(&segment[cursor..]) {
            let before = &segment[cursor..cursor + at];
            let after = &segment[cursor + end..];
            cursor += end;
            // CJK writes the page word after the number (`第 12 页`,
            // `12ページ`); it belongs to that number, not the next.
            let page_after =
                ["页", "ページ"].into_iter().find(|w| after.trim_start().starts_with(w));
            if let Some(word) = page_after {
                cursor += after.len() - after.trim_start().len() + word.len();
            }
            let is_page = page_after.is_some() || PAGE_WORDS.iter().any(|w| before.contains(w));
            if is_page {
                if place.page.is_none() {
                    place.page = Some(if first == last {
                        first.to_string()
                    } else {
                        format!("{first}-{last}")
                    });
                }
            } else if place.location.is_none()
                && let Some(range) = expand_range(first, last)
            {
                place.location = Some(range);
            }
        }
    }
    place
}

/// Whether `word` is in `text` as a word of its own (`note` in `your note`,
/// not in `denote`); CJK words match anywhere.
fn has_word(text: &str, word: &str) -> bool {
    if !word.is_ascii() {
        return text.contains(word);
    }
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Whether a segment is the date: it has a time (`2:56:46`) or a year.
fn is_date(segment: &str) -> bool {
    segment.contains(':') && segment.chars().filter(|c| c.is_ascii_digit()).count() >= 4
}

/// The first number or range in a segment (`1631-1640`, `#182-182`,
/// `637–640`, `1234-36`), as written, with the byte indexes it starts and
/// ends at.
fn number_range(segment: &str) -> Option<(&str, &str, usize, usize)> {
    let digits_at = |from: usize| {
        let rest = &segment[from..];
        from + rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len())
    };
    let start = segment.find(|c: char| c.is_ascii_digit())?;
    let first_end = digits_at(start);
    let first = &segment[start..first_end];
    // `-`, `–` or `—` and the range's end, spaces allowed around the dash.
    let after = &segment[first_end..];
    let dash = after.trim_start();
    let last_start = ['-', '–', '—']
        .into_iter()
        .find_map(|d| dash.strip_prefix(d))
        .map(|rest| segment.len() - rest.trim_start().len());
    match last_start.map(|at| (at, digits_at(at))) {
        Some((at, end)) if end > at => Some((first, &segment[at..end], start, end)),
        _ => Some((first, first, start, first_end)),
    }
}

/// `[first, last]`, an abbreviated end expanded (`1234-36` → 1234-1236).
fn expand_range(first: &str, last: &str) -> Option<[u64; 2]> {
    let a: u64 = first.parse().ok()?;
    let mut b: u64 = last.parse().ok()?;
    if b < a && last.len() < first.len() {
        let scale = 10u64.checked_pow(last.len() as u32)?;
        b += a - a % scale;
        if b < a {
            b += scale;
        }
    }
    Some(if b < a { [b, a] } else { [a, b] })
}

/// Month names (and the genitive Russian forms) in the device languages.
const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
    ("enero", 1),
    ("febrero", 2),
    ("marzo", 3),
    ("abril", 4),
    ("mayo", 5),
    ("junio", 6),
    ("julio", 7),
    ("agosto", 8),
    ("septiembre", 9),
    ("setiembre", 9),
    ("octubre", 10),
    ("noviembre", 11),
    ("diciembre", 12),
    ("januar", 1),
    ("februar", 2),
    ("märz", 3),
    ("mai", 5),
    ("juni", 6),
    ("juli", 7),
    ("oktober", 10),
    ("dezember", 12),
    ("janvier", 1),
    ("février", 2),
    ("mars", 3),
    ("avril", 4),
    ("juin", 6),
    ("juillet", 7),
    ("août", 8),
    ("septembre", 9),
    ("octobre", 10),
    ("novembre", 11),
    ("décembre", 12),
    ("gennaio", 1),
    ("febbraio", 2),
    ("aprile", 4),
    ("maggio", 5),
    ("giugno", 6),
    ("luglio", 7),
    ("settembre", 9),
    ("ottobre", 10),
    ("dicembre", 12),
    ("января", 1),
    ("февраля", 2),
    ("марта", 3),
    ("апреля", 4),
    ("мая", 5),
    ("июня", 6),
    ("июля", 7),
    ("августа", 8),
    ("сентября", 9),
    ("октября", 10),
    ("ноября", 11),
    ("декабря", 12),
    ("janeiro", 1),
    ("fevereiro", 2),
    ("março", 3),
    ("maio", 5),
    ("junho", 6),
    ("julho", 7),
    ("setembro", 9),
    ("outubro", 10),
    ("dezembro", 12),
    ("januari", 1),
    ("februari", 2),
    ("maart", 3),
    ("mei", 5),
    ("augustus", 8),
];

/// The date of the kind line as ISO 8601 (`2024-03-09T14:56:46`), from the
/// year, the month (a name or a CJK `月` number), the day and the time;
/// `None` when it cannot be told.
fn parse_date(segment: &str) -> Option<String> {
    let mut numbers: Vec<(usize, u32)> = Vec::new();
    let mut month = None;
    let mut time: Option<(u32, u32, u32)> = None;
    let mut meridiem: Option<bool> = None;
    let chars: Vec<(usize, char)> = segment.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        let (at, c) = chars[i];
        if c.is_ascii_digit() {
            let mut j = i;
            while j < chars.len() && chars[j].1.is_ascii_digit() {
                j += 1;
            }
            let end = chars.get(j).map_or(segment.len(), |(b, _)| *b);
            let value: u32 = segment[at..end].parse().ok()?;
            if chars.get(j).is_some_and(|(_, c)| *c == ':') {
                // h:mm[:ss]; AM/PM is written after it, 下午/午後 before it.
                let rest = &segment[end + 1..];
                let clock_len =
                    rest.find(|c: char| !c.is_ascii_digit() && c != ':').unwrap_or(rest.len());
                let mut hms = rest[..clock_len].split(':');
                let minute = hms.next().and_then(|m| m.parse().ok()).unwrap_or(0);
                let second = hms.next().and_then(|s| s.parse().ok()).unwrap_or(0);
                time = Some((value, minute, second));
                let after = rest[clock_len..].trim_start();
                let before = &segment[..at];
                let pm = ["pm", "p. m.", "p.m."].iter().any(|w| after.starts_with(w))
                    || ["下午", "午後"].iter().any(|w| before.contains(w));
                let am = ["am", "a. m.", "a.m."].iter().any(|w| after.starts_with(w))
                    || ["上午", "午前"].iter().any(|w| before.contains(w));
                meridiem = if pm {
                    Some(true)
                } else if am {
                    Some(false)
                } else {
                    None
                };
                break;
            }
            if chars.get(j).is_some_and(|(_, c)| *c == '月') {
                month = Some(value);
            } else {
                numbers.push((at, value));
            }
            i = j;
            continue;
        }
        if c.is_alphabetic() && month.is_none() {
            let mut j = i;
            while j < chars.len() && chars[j].1.is_alphabetic() {
                j += 1;
            }
            let end = chars.get(j).map_or(segment.len(), |(b, _)| *b);
            let word = &segment[at..end];
            month = MONTHS.iter().find(|(m, _)| *m == word).map(|m| m.1);
            i = j;
            continue;
        }
        i += 1;
    }
    let year = numbers.iter().find(|(_, n)| (1900..=2200).contains(n))?.1;
    let day = numbers.iter().find(|(_, n)| (1..=31).contains(n))?.1;
    let month = month.filter(|m| (1..=12).contains(m))?;
    let mut date = format!("{year:04}-{month:02}-{day:02}");
    if let Some((mut hour, minute, second)) = time {
        match meridiem {
            Some(true) if hour < 12 => hour += 12,
            Some(false) if hour == 12 => hour = 0,
            _ => {}
        }
        if hour < 24 && minute < 60 && second < 61 {
            date.push_str(&format!("T{hour:02}:{minute:02}:{second:02}"));
        }
    }
    Some(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(meta: &str) -> Place {
        read_meta(meta)
    }

    #[test]
    fn every_kind_line_in_the_doc_reads_by_its_numbers() {
        use Kind::*;
        type Row<'a> = (&'a str, Kind, Option<&'a str>, Option<[u64; 2]>, Option<&'a str>);
        let rows: &[Row] = &[
            (
                "- Your Highlight on page 88 | Location 1631-1631 | Added on Saturday, July 11, 2015 7:46:55 PM",
                Highlight,
                Some("88"),
                Some([1631, 1631]),
                Some("2015-07-11T19:46:55"),
            ),
            (
                "- Your Note on page 8 | Location 186 | Added on Saturday, March 9, 2024 2:56:46 PM",
                Note,
                Some("8"),
                Some([186, 186]),
                Some("2024-03-09T14:56:46"),
            ),
            (
                "- Your Bookmark on Location 1490 | Added on Wednesday, April 13, 2016 10:11:20 PM",
                Bookmark,
                None,
                Some([1490, 1490]),
                Some("2016-04-13T22:11:20"),
            ),
            (
                "- La subrayado en la página 251 | posición 3374-3375 | Añadido el jueves, 18 de julio de 2024 10:34:35 p. m.",
                Highlight,
                Some("251"),
                Some([3374, 3375]),
                Some("2024-07-18T22:34:35"),
            ),
            (
                "- Ihre Markierung bei Position 1129-1130 | Hinzugefügt am Freitag, 19. Dezember 2014 08:52:50",
                Highlight,
                None,
                Some([1129, 1130]),
                Some("2014-12-19T08:52:50"),
            ),
            (
                "– Ваш выделенный отрывок в месте 637–640 | Добавлено: понедельник, 16 марта 2015 г. в 21:46:06",
                Highlight,
                None,
                Some([637, 640]),
                Some("2015-03-16T21:46:06"),
            ),
            (
                "- 您在位置 #182-182的标注 | 添加于 2022年1月24日星期一 下午12:00:06",
                Highlight,
                None,
                Some([182, 182]),
                Some("2022-01-24T12:00:06"),
            ),
            (
                "- 您在第 12-12 页的标注 | 添加于 2022年1月24日星期一 上午9:05:00",
                Highlight,
                Some("12"),
                None,
                Some("2022-01-24T09:05:00"),
            ),
            (
                "- Highlight Loc. 1234-36 | Added on Monday, May 5, 2011, 09:12 AM",
                Highlight,
                None,
                Some([1234, 1236]),
                Some("2011-05-05T09:12:00"),
            ),
            (
                "- Highlight on Page 23 | Loc. 345-46 | Added on Monday, May 5, 2011, 09:12 AM",
                Highlight,
                Some("23"),
                Some([345, 346]),
                Some("2011-05-05T09:12:00"),
            ),
            (
                "- Votre note sur la page 12 | emplacement 180 | Ajoutée le lundi 3 février 2020 10:00:00",
                Note,
                Some("12"),
                Some([180, 180]),
                Some("2020-02-03T10:00:00"),
            ),
            (
                "- La tua evidenziazione a pagina 7 | posizione 95-96 | Aggiunto in data martedì 2 maggio 2017 18:01:02",
                Highlight,
                Some("7"),
                Some([95, 96]),
                Some("2017-05-02T18:01:02"),
            ),
            (
                "- Seu destaque ou posição 120-121 | Adicionado: sexta-feira, 3 de março de 2017 07:21:26",
                Highlight,
                None,
                Some([120, 121]),
                Some("2017-03-03T07:21:26"),
            ),
            (
                "- Uw markering op pagina 5 | locatie 70-71 | Toegevoegd op zondag 1 april 2018 20:00:00",
                Highlight,
                Some("5"),
                Some([70, 71]),
                Some("2018-04-01T20:00:00"),
            ),
            (
                "- 12ページ|位置No. 170-171のハイライト |作成日: 2019年7月6日土曜日 午後3:04:05",
                Highlight,
                Some("12"),
                Some([170, 171]),
                Some("2019-07-06T15:04:05"),
            ),
            (
                "- Your Highlight on page xvi | Location 200-201 | Added on Monday, 6 May 2019 09:00:00",
                Highlight,
                Some("xvi"),
                Some([200, 201]),
                Some("2019-05-06T09:00:00"),
            ),
            (
                "- La subrayado en la página iv-v | posición 30-31 | Añadido el jueves, 18 de julio de 2024 10:34:35 p. m.",
                Highlight,
                Some("iv-v"),
                Some([30, 31]),
                Some("2024-07-18T22:34:35"),
            ),
            (
                "- 您在第 47 页（位置 #708-710）的标注 | 添加于 2021年3月5日星期五 上午1:26:56",
                Highlight,
                Some("47"),
                Some([708, 710]),
                Some("2021-03-05T01:26:56"),
            ),
            (
                "- 您在第 47 页（位置 #710）的笔记 | 添加于 2021年3月5日星期五 上午1:27:56",
                Note,
                Some("47"),
                Some([710, 710]),
                Some("2021-03-05T01:27:56"),
            ),
            (
                "- Your Highlight on Location 10-11 | Added on Monday, 6 May 2019 08:00:00",
                Highlight,
                None,
                Some([10, 11]),
                Some("2019-05-06T08:00:00"),
            ),
            (
                "- 12ページ|位置No. 152のメモ |作成日: 2020年2月3日月曜日 21:05:11",
                Note,
                Some("12"),
                Some([152, 152]),
                Some("2020-02-03T21:05:11"),
            ),
            (
                "- 12ページ|位置No. 152のブックマーク |作成日: 2020年2月3日月曜日 21:05:11",
                Bookmark,
                Some("12"),
                Some([152, 152]),
                Some("2020-02-03T21:05:11"),
            ),
        ];
        for (meta, kind, page, location, added) in rows {
            let p = place(meta);
            assert_eq!(p.kind, *kind, "kind of {meta}");
            assert_eq!(p.page.as_deref(), *page, "page of {meta}");
            assert_eq!(p.location, *location, "location of {meta}");
            assert_eq!(p.added.as_deref(), *added, "date of {meta}");
        }
    }

    #[test]
    fn the_author_is_the_last_parenthesised_group() {
        let rows: &[(&str, &str, &[&str])] = &[
            ("AI Superpowers (Lee, Kai-Fu)", "AI Superpowers", &["Kai-Fu Lee"]),
            (
                "Dune (Dune Chronicles, Book 1) (Frank Herbert)",
                "Dune (Dune Chronicles, Book 1)",
                &["Frank Herbert"],
            ),
            ("Untitled notes", "Untitled notes", &[]),
            (
                "Good Omens (Pratchett, Terry;Gaiman, Neil)",
                "Good Omens",
                &["Terry Pratchett", "Neil Gaiman"],
            ),
            // A comma between full names lists people; a degree is no name.
            (
                "Freakonomics (Steven D. Levitt, Stephen J. Dubner)",
                "Freakonomics",
                &["Steven D. Levitt", "Stephen J. Dubner"],
            ),
            (
                "The Hungry Brain (Stephan J. Guyenet, Ph.D.)",
                "The Hungry Brain",
                &["Stephan J. Guyenet"],
            ),
            ("Why We Sleep (Walker, Matthew, PhD)", "Why We Sleep", &["Matthew Walker"]),
            // `and` and `&` between people, not inside a company's name.
            (
                "Freakonomics (Steven D. Levitt & Stephen J. Dubner)",
                "Freakonomics",
                &["Steven D. Levitt", "Stephen J. Dubner"],
            ),
            (
                "Freakonomics (Levitt, Steven D. & Dubner, Stephen J.)",
                "Freakonomics",
                &["Steven D. Levitt", "Stephen J. Dubner"],
            ),
            (
                "Freakonomics (Steven D. Levitt and Stephen J. Dubner)",
                "Freakonomics",
                &["Steven D. Levitt", "Stephen J. Dubner"],
            ),
            ("Atlas (Simon & Schuster)", "Atlas", &["Simon & Schuster"]),
            // A download site's tag is neither author nor title.
            ("Meditations (Marcus Aurelius) (z-lib.org)", "Meditations", &["Marcus Aurelius"]),
            ("Meditations (Marcus Aurelius) (Z-Library)", "Meditations", &["Marcus Aurelius"]),
            ("Meditations (z-lib.org) (Marcus Aurelius)", "Meditations", &["Marcus Aurelius"]),
            ("Dune (Frank Herbert) (libgen.rs) (Anna’s Archive)", "Dune", &["Frank Herbert"]),
            ("Meditations (z-lib.org)", "Meditations", &[]),
            ("The Hobbit (J.R.R. Tolkien)", "The Hobbit", &["J.R.R. Tolkien"]),
            ("The Hobbit (J.R.R.Tolkien)", "The Hobbit", &["J.R.R.Tolkien"]),
            (
                "Walden (Henry David Thoreau) (ebooks.example.com)",
                "Walden",
                &["Henry David Thoreau"],
            ),
            // A web page sent to the Kindle: the site is all there is.
            (
                "Sustainable living - Wikipedia (wikipedia.org)",
                "Sustainable living - Wikipedia",
                &["wikipedia.org"],
            ),
            ("(only a group)", "(only a group)", &[]),
            ("Broken (paren", "Broken (paren", &[]),
        ];
        for (line, title, authors) in rows {
            let (t, a) = split_book_line(line);
            assert_eq!(t, *title, "{line}");
            assert_eq!(a, *authors, "{line}");
        }
    }

    #[test]
    fn the_clipping_limit_stand_in_is_no_highlight() {
        let text = "Middlemarch (Eliot, George)\n\
            - Your Highlight on page 88 | Location 1631-1633 | Added on Saturday, July 11, 2015 7:47:30 PM\n\n\
            for the growing good of the world\n==========\n\
            Middlemarch (Eliot, George)\n\
            - Your Highlight on page 90 | Location 1700-1701 | Added on Saturday, July 11, 2015 7:50:30 PM\n\n\
            <You have reached the clipping limit for this item>\n==========\n";
        let mut warnings = Vec::new();
        let books = parse(text, &mut warnings).expect("clippings");
        let texts: Vec<&str> = books[0].highlights.iter().map(|h| h.text.as_str()).collect();
        assert_eq!(texts, ["for the growing good of the world"]);
        assert!(warnings.is_empty(), "{warnings:?}");
    }

    #[test]
    fn a_japanese_note_with_a_page_is_the_note_of_its_highlight() {
        let text = "吾輩は猫である (夏目 漱石)\n\
            - 12ページ|位置No. 150-152のハイライト |作成日: 2020年2月3日月曜日 21:04:11\n\n\
            吾輩は猫である。名前はまだ無い。\n==========\n\
            吾輩は猫である (夏目 漱石)\n\
            - 12ページ|位置No. 152のメモ |作成日: 2020年2月3日月曜日 21:05:11\n\n\
            有名な書き出し\n==========\n";
        let books = parse(text, &mut Vec::new()).expect("clippings");
        let h = &books[0].highlights;
        assert_eq!(h.len(), 1, "{h:?}");
        assert_eq!(h[0].text, "吾輩は猫である。名前はまだ無い。");
        assert_eq!(h[0].note.as_deref(), Some("有名な書き出し"));
    }

    #[test]
    fn other_text_is_not_clippings() {
        let mut w = Vec::new();
        assert!(parse("# A note\n\nSome prose.\n", &mut w).is_none());
        assert!(parse("title: x\n- a | b\n", &mut w).is_none());
        assert!(w.is_empty());
    }
}
