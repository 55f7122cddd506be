//! The Obsidian Kindle Highlights plugin: one file per book, filled from a
//! template the reader may rewrite. This module owns reading any such
//! template by what every one of them keeps, the anchors, and leaves the
//! book's quotes to [`super::to_note`].
//!
//! Anchors (`../shared/docs/highlights.md`, sections 3 and 7):
//!
//! - a place: `location: [205](kindle://…)` (also with an empty link,
//!   `location: [100]()`), `page: [52](…)`, any link or bare URL
//!   `kindle://book?…location=N`, `(Location N)` / `(Page N)`;
//! - an Obsidian block id closing a paragraph, `^ref-38923`.
//!
//! One anchor is one highlight. A place after text on its line (`… —
//! location: [205](…)`) closes that highlight, so highlights that follow
//! each other with no `---` between stay apart. A place on a line of its own
//! (`- Location: [366](…)`) belongs to the text just before it. Text with no
//! anchor is the reader's note: on the highlight before it in the same
//! stretch (`---` rules and headings end a stretch), else on the one after
//! it (templates that put the note first). Headings between highlights are
//! their chapter. Quotes may sit in `>` blockquotes or `> [!quote]`
//! callouts. Template leftovers (block ids, numbering lines, `key:: value`
//! fields, `sr-due:` fields, the location label) never reach a quote.
//!
//! Title and author come from `kindle-sync:` in the front matter, else
//! top-level `title:` / `author:`, else a `## Metadata` list (`- Author:`),
//! a `by …` line, and the first `# heading`.

use std::sync::LazyLock;

use regex::Regex;
use yaml_rust2::Yaml;

use super::{Book, Highlight, authors};
use crate::note::Warning;
use crate::note::markup::{fold_spaces, inline_text};

/// `location: [205](kindle://…)`, `Location: [366]()`, `page: [52](…)`,
/// with the dash or bar a template puts before it.
static LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:\s*[—–―\-|·•]\s*)?\b(?P<kind>location|loc\.?|page)\s*:?\s*\[(?P<first>[0-9]+|[ivxlcdm]+)(?:\s*[-–]\s*(?P<last>[0-9]+))?\]\([^)]*\)",
    )
    .expect("valid regex")
});
/// A Markdown link or a bare URL into the Kindle app with a place in it.
static KINDLE_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:\s*[—–―\-|·•]\s*)?(?:\[[^\[\]]*\]\()?kindle://book\?[^)\s]*?[?&](?P<kind>location|page)=(?P<first>[0-9]+)[^)\s]*\)?",
    )
    .expect("valid regex")
});
/// `(Location 55)`, `(Page 52)`, `(Loc. 55-57)`.
static PAREN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\s*\((?P<kind>location|loc\.?|page|p\.)[\s\u{a0}]*(?P<first>[0-9]+|[ivxlcdm]+)(?:\s*[-–]\s*(?P<last>[0-9]+))?\)",
    )
    .expect("valid regex")
});
/// An Obsidian block id closing a line (`^ref-38923`, `^abc123`).
static BLOCK_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|\s+)\^[0-9A-Za-z_-]+\s*$").expect("valid regex"));
/// Lines a template leaves that are never text: a bare number, a Dataview
/// `key:: value` field, spaced-repetition fields and comments, tag lines.
static LEFTOVER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:[0-9]+[.)]?|[\w-]+::.*|sr-(?:due|interval|ease)\s*:.*|<!--\s*sr:.*-->|tags?\s*:.*|(?:#[\w/-]+\s*)+)$",
    )
    .expect("valid regex")
});
/// `- Author: …`, `**Author:** …`, `Author:: [[…]]`.
static AUTHOR_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:[-*]\s+)?(?:\*\*)?authors?(?:\*\*)?\s*::?\s*(?:\*\*)?\s*(?P<v>.+)$")
        .expect("valid regex")
});
/// `by Jane Doe`, `By [[Jane Doe]]`, `作者：…`.
static BY_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:[-*]\s+)?(?:by|作者\s*[:：]?|著者\s*[:：]?)\s*(?P<v>\S.*)$")
        .expect("valid regex")
});

/// Reads a Kindle-plugin file; `None` when the text is not one.
pub fn parse(text: &str, _warnings: &mut Vec<Warning>) -> Option<Vec<Book>> {
    let (front, body_start) = front_matter(text);
    let sync = front.and_then(kindle_sync);
    if sync.is_none() && !has_plugin_anchors(text) {
        return None;
    }
    let mut book = Book { line: 1, ..Book::default() };
    let synced = sync.is_some();
    if let Some((title, author)) = sync {
        book.title = title;
        book.authors = author.map(|a| authors::split(&a)).unwrap_or_default();
    } else if let Some((title, authors)) = front.and_then(plain_front_matter) {
        book.title = title;
        book.authors = authors;
    }
    let body_line = 1 + text[..body_start].matches('\n').count();
    let items = items(&text[body_start..], body_line);
    let mut meta = Meta::default();
    assemble(items, &mut book, &mut meta);
    if book.title.is_empty() {
        book.title = meta.heading.unwrap_or_default();
    }
    if book.authors.is_empty() {
        book.authors = meta.author.map(|a| authors::split(&a)).unwrap_or_default();
    }
    // A plugin file whose highlights section is absent is not one of its
    // exports (a page that only links to a book).
    if book.highlights.is_empty() && !synced && !text.contains("## Highlights") {
        return None;
    }
    Some(vec![book])
}

/// Whether the text carries the plugin's anchors: a place link into the
/// Kindle app, or a `location: [N](…)` label with a `^ref-N` block id.
fn has_plugin_anchors(text: &str) -> bool {
    let bytes = text.as_bytes();
    // A Markdown link, not a bare URL: Bookcision's JSON holds bare ones.
    if memchr::memmem::find(bytes, b"](kindle://book?").is_some() {
        return text.lines().any(|l| KINDLE_URL.is_match(l) || LABEL.is_match(l));
    }
    memchr::memmem::find(bytes, b"^ref-").is_some()
        && text.lines().any(|l| LABEL.is_match(l) && l.contains("^ref-"))
}

/// Where a highlight points.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Place {
    page: Option<String>,
    location: Option<[u64; 2]>,
}

/// One piece of the body, in file order.
#[derive(Debug)]
enum Item {
    /// A `---` rule: ends a stretch.
    Rule,
    /// A heading: ends a stretch; between highlights, their chapter.
    Heading(usize, String),
    /// The text of a callout of the reader's own prose (`> [!note]`): a
    /// note, never a highlight's text.
    Note(Vec<String>),
    /// A paragraph, list item or quote (or the part of one up to a place),
    /// with the place that closes it. No lines and a place: a place on a
    /// line of its own.
    Text { line: usize, lines: Vec<String>, place: Option<Place>, block_id: bool },
}

/// The body as [`Item`]s: paragraphs split where a quote starts or ends, at
/// each list item, and after each line that carries a place or a block id.
fn items(body: &str, first_line: usize) -> Vec<Item> {
    let mut out = Vec::new();
    let mut lines: Vec<String> = Vec::new();
    let mut start = first_line;
    let mut quoted = false;
    let mut fenced = false;
    // The place a callout's title gives (`> [!quote] Location: [12](…)`):
    // it is the place of the text under it, not of the text before.
    let mut titled: Option<Place> = None;
    // Inside a callout of the reader's prose (`> [!note]`).
    let mut noting = false;
    let end = |lines: &mut Vec<String>,
               out: &mut Vec<Item>,
               start: usize,
               titled: &mut Option<Place>,
               noting: &mut bool| {
        if std::mem::take(noting) {
            if !lines.is_empty() {
                out.push(Item::Note(std::mem::take(lines)));
            }
        } else if !lines.is_empty() || titled.is_some() {
            out.push(Item::Text {
                line: start,
                lines: std::mem::take(lines),
                place: titled.take(),
                block_id: false,
            });
        }
    };
    for (i, raw) in body.lines().enumerate() {
        let line_no = first_line + i;
        let trimmed = raw.trim_end_matches('\r').trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fenced = !fenced;
            end(&mut lines, &mut out, start, &mut titled, &mut noting);
            continue;
        }
        if fenced {
            continue;
        }
        if trimmed.is_empty() {
            end(&mut lines, &mut out, start, &mut titled, &mut noting);
            continue;
        }
        if is_rule(trimmed) {
            end(&mut lines, &mut out, start, &mut titled, &mut noting);
            out.push(Item::Rule);
            continue;
        }
        if let Some((level, name)) = heading(trimmed) {
            end(&mut lines, &mut out, start, &mut titled, &mut noting);
            out.push(Item::Heading(level, name));
            continue;
        }
        let is_quote = trimmed.starts_with('>');
        let mut content = trimmed.trim_start_matches(['>', ' ', '\t']);
        let callout = is_quote && content.starts_with("[!");
        let bullet = strip_bullet(content);
        if is_quote != quoted || bullet.is_some() || callout {
            end(&mut lines, &mut out, start, &mut titled, &mut noting);
        }
        if let Some(rest) = content.strip_prefix("[!") {
            // A callout's type and title (`> [!quote] Highlight`): not
            // text. A place in the title is the place of the callout's
            // text, which follows it.
            let title =
                rest.find(']').map_or("", |at| rest[at + 1..].trim_start_matches(['-', '+']));
            quoted = is_quote;
            let kind = rest.split(']').next().unwrap_or("");
            if is_quote && crate::note::body::is_prose_callout(kind) {
                // The reader's own note, its title the first words of it.
                noting = true;
                start = line_no;
                if !title.trim().is_empty() {
                    lines.push(title.trim().to_string());
                }
                continue;
            }
            match find_place(title.trim()) {
                Some((before, place)) if before.is_empty() => {
                    titled = Some(place);
                    start = line_no;
                    continue;
                }
                // The title holds a highlight and its place: read as text.
                Some(_) => content = title.trim(),
                None => continue,
            }
        }
        quoted = is_quote;
        let content = bullet.unwrap_or(content).trim();
        let (content, block_id) = match BLOCK_ID.find(content) {
            Some(m) => (content[..m.start()].trim_end(), true),
            None => (content, false),
        };
        if noting {
            if !content.is_empty() {
                lines.push(content.to_string());
            }
            continue;
        }
        if content.is_empty() || LEFTOVER.is_match(content) {
            if block_id {
                // The id closes the paragraph above it.
                close_with_id(&mut lines, &mut out, start);
            }
            continue;
        }
        if lines.is_empty() {
            start = line_no;
        }
        if let Some((before, place)) = find_place(content) {
            if before.is_empty() {
                end(&mut lines, &mut out, start, &mut titled, &mut noting);
                out.push(Item::Text {
                    line: line_no,
                    lines: Vec::new(),
                    place: Some(place),
                    block_id,
                });
            } else {
                lines.push(before);
                out.push(Item::Text {
                    line: start,
                    lines: std::mem::take(&mut lines),
                    place: Some(place),
                    block_id,
                });
            }
            continue;
        }
        lines.push(content.to_string());
        if block_id {
            close_with_id(&mut lines, &mut out, start);
        }
    }
    end(&mut lines, &mut out, start, &mut titled, &mut noting);
    out
}

/// Ends the paragraph being read as one closed by a block id.
fn close_with_id(lines: &mut Vec<String>, out: &mut Vec<Item>, start: usize) {
    if !lines.is_empty() {
        out.push(Item::Text {
            line: start,
            lines: std::mem::take(lines),
            place: None,
            block_id: true,
        });
    } else if let Some(Item::Text { block_id, place: None, .. }) = out.last_mut() {
        *block_id = true;
    }
}

/// The text before the first place on a line (labels and separators gone)
/// and the place: every place on the line is one highlight's.
fn find_place(line: &str) -> Option<(String, Place)> {
    let mut place = Place::default();
    let mut first_at: Option<usize> = None;
    for re in [&*LABEL, &*KINDLE_URL, &*PAREN] {
        for c in re.captures_iter(line) {
            let Some(whole) = c.get(0) else { continue };
            let kind = c["kind"].to_ascii_lowercase();
            let first = &c["first"];
            let last = c.name("last").map_or(first, |m| m.as_str());
            if kind.starts_with('p') {
                place.page.get_or_insert_with(|| {
                    if first == last { first.to_string() } else { format!("{first}-{last}") }
                });
            } else if let (Ok(a), Ok(b)) = (first.parse::<u64>(), last.parse::<u64>()) {
                place.location.get_or_insert([a.min(b), a.max(b)]);
            } else {
                continue;
            }
            first_at = Some(first_at.map_or(whole.start(), |at| at.min(whole.start())));
        }
    }
    let at = first_at?;
    // The separator before a place is part of its match; what is left is
    // the text as written.
    let before = line[..at].trim_end();
    // What a template writes before a place on its own line: not text.
    let label = before.trim_matches(['*', '_', ':', '-', '—', '–', '|', '(', ' ']).to_lowercase();
    let before =
        if ["", "location", "loc", "loc.", "page", "goto", "go to", "link", "kindle", "open"]
            .contains(&label.as_str())
        {
            ""
        } else {
            before
        };
    Some((before.to_string(), place))
}

/// A list item's text without its bullet (`- `, `* `, `+ `, `1. `).
fn strip_bullet(line: &str) -> Option<&str> {
    for b in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(b) {
            return Some(rest.strip_prefix("[ ] ").unwrap_or(rest));
        }
    }
    let digits = line.len() - line.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits > 0 && digits < 4 {
        let rest = &line[digits..];
        return rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") "));
    }
    None
}

/// `---`, `***`, `___` (three or more, spaces allowed).
fn is_rule(line: &str) -> bool {
    let chars: Vec<char> = line.chars().filter(|c| !c.is_whitespace()).collect();
    chars.len() >= 3 && ['-', '*', '_'].iter().any(|r| chars.iter().all(|c| c == r))
}

/// A Markdown heading: its level and readable text.
fn heading(line: &str) -> Option<(usize, String)> {
    let level = line.len() - line.trim_start_matches('#').len();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = line[level..].strip_prefix([' ', '\t'])?;
    let rest = rest.trim().trim_end_matches('#').trim();
    Some((level, inline_text(rest).text))
}

/// Headings that organise the file rather than name a chapter.
fn is_structural(name: &str) -> bool {
    let lower = name.trim().trim_end_matches(':').to_lowercase();
    let first = lower.split_whitespace().next().unwrap_or("");
    name.starts_with('^')
        || matches!(first, "highlights" | "highlight" | "metadata" | "notes" | "note")
        || lower.starts_with("my notes")
        || lower.starts_with("non-kindle")
        || lower.starts_with("kindle highlights")
        || lower.chars().all(|c| c.is_ascii_digit() || c.is_whitespace())
        || lower == "ハイライト"
        || lower == "メモ"
        || lower == "笔记"
        || lower == "标注"
}

/// What the body says of the book outside the highlights.
#[derive(Debug, Default)]
struct Meta {
    heading: Option<String>,
    author: Option<String>,
}

/// Highlights out of the items: see the module doc for the rules.
fn assemble(items: Vec<Item>, book: &mut Book, meta: &mut Meta) {
    let mut chapter: Option<String> = None;
    // Text with no place seen since the last anchor of this stretch.
    let mut pending: Vec<(usize, Vec<String>, bool)> = Vec::new();
    // The stretch's last highlight, by index into `book.highlights`.
    let mut last: Option<usize> = None;
    let mut after_title = false;
    // A `[!note]` callout before any highlight: the note of the next one.
    let mut note_ahead: Vec<(usize, Vec<String>, bool)> = Vec::new();
    for item in items {
        if !note_ahead.is_empty() && last.is_some() {
            attach_note(&mut note_ahead, last, book);
        }
        match item {
            Item::Note(lines) => {
                let mut note = vec![(0, lines, false)];
                match last {
                    Some(_) => attach_note(&mut note, last, book),
                    None => note_ahead.append(&mut note),
                }
            }
            Item::Rule => end_stretch(&mut pending, &mut last, book, chapter.as_deref()),
            Item::Heading(level, name) => {
                end_stretch(&mut pending, &mut last, book, chapter.as_deref());
                if level == 1 && meta.heading.is_none() {
                    meta.heading = Some(name);
                    after_title = true;
                    continue;
                }
                after_title = false;
                let lower = name.to_lowercase();
                if !is_structural(&name) {
                    chapter = Some(name);
                } else if lower.starts_with("highlights") || lower.starts_with("metadata") {
                    chapter = None;
                }
            }
            Item::Text { line, lines, place: None, block_id } => {
                if book.highlights.is_empty() && last.is_none() {
                    read_meta(&lines, meta, after_title);
                }
                after_title = false;
                pending.push((line, lines, block_id));
            }
            Item::Text { line, lines, place: Some(place), .. } => {
                after_title = false;
                if lines.is_empty() {
                    // A place on its own line: the text just before is its
                    // highlight.
                    if pending.is_empty() {
                        if let Some(h) = last.map(|i| &mut book.highlights[i])
                            && h.location.is_none()
                            && h.page.is_none()
                        {
                            h.location = place.location;
                            h.page = place.page;
                        }
                        continue;
                    }
                    // Text before the first block id is the last one's note.
                    let split = match last {
                        Some(_) => pending.iter().position(|p| p.2).unwrap_or(0),
                        None => 0,
                    };
                    let text: Vec<_> = pending.drain(split..).collect();
                    attach_note(&mut pending, last, book);
                    let first = text.first().map_or(line, |t| t.0);
                    let lines: Vec<String> = text.into_iter().flat_map(|t| t.1).collect();
                    last = push(book, first, &lines, Some(place), chapter.as_deref()).or(last);
                } else {
                    // A highlight closed by its place: text before it is the
                    // note of the stretch's last highlight, or this one's.
                    let before = std::mem::take(&mut pending);
                    let pushed = push(book, line, &lines, Some(place), chapter.as_deref());
                    let owner = if last.is_some() { last } else { pushed };
                    let mut before = before;
                    attach_note(&mut before, owner, book);
                    last = pushed.or(last);
                }
            }
        }
    }
    if last.is_some() {
        attach_note(&mut note_ahead, last, book);
    }
    end_stretch(&mut pending, &mut last, book, chapter.as_deref());
}

/// Adds a highlight with these lines; its index, `None` when it has no text.
fn push(
    book: &mut Book,
    line: usize,
    lines: &[String],
    place: Option<Place>,
    chapter: Option<&str>,
) -> Option<usize> {
    let text = readable(lines);
    if text.is_empty() {
        return None;
    }
    let place = place.unwrap_or_default();
    book.highlights.push(Highlight {
        text,
        line,
        page: place.page,
        location: place.location,
        chapter: chapter.map(str::to_string),
        ..Highlight::default()
    });
    Some(book.highlights.len() - 1)
}

/// The pending text as the note of highlight `owner` (dropped when none).
fn attach_note(
    pending: &mut Vec<(usize, Vec<String>, bool)>,
    owner: Option<usize>,
    book: &mut Book,
) {
    let lines: Vec<String> = pending.drain(..).flat_map(|p| p.1).collect();
    let Some(h) = owner.map(|i| &mut book.highlights[i]) else { return };
    let note = readable(&lines);
    let note = note
        .strip_prefix("Note:")
        .or_else(|| note.strip_prefix("note:"))
        .or_else(|| note.strip_prefix("メモ:"))
        .map_or(note.as_str(), str::trim)
        .to_string();
    if note.is_empty() {
        return;
    }
    h.note = Some(match h.note.take() {
        Some(before) => format!("{before}\n{note}"),
        None => note,
    });
}

/// At a rule or heading: the text left over is the note of the stretch's
/// last highlight; with none, each paragraph closed by a block id is a
/// highlight with no place (the plugin wrote no location).
fn end_stretch(
    pending: &mut Vec<(usize, Vec<String>, bool)>,
    last: &mut Option<usize>,
    book: &mut Book,
    chapter: Option<&str>,
) {
    if last.is_none() && pending.iter().any(|p| p.2) {
        let mut group: Vec<String> = Vec::new();
        let mut group_line = None;
        for (line, lines, id) in pending.drain(..) {
            group_line.get_or_insert(line);
            group.extend(lines);
            if id {
                let at = group_line.take().unwrap_or(line);
                *last = push(book, at, &std::mem::take(&mut group), None, chapter).or(*last);
            }
        }
        if !group.is_empty() {
            pending.push((0, group, false));
        }
    }
    attach_note(pending, *last, book);
    *last = None;
}

/// Author and `by …` lines before the first highlight.
fn read_meta(lines: &[String], meta: &mut Meta, after_title: bool) {
    for line in lines {
        if let Some(c) = AUTHOR_LINE.captures(line) {
            meta.author.get_or_insert_with(|| name_of(&c["v"]));
        } else if (after_title || lines.len() == 1)
            && line.chars().count() < 80
            && let Some(c) = BY_LINE.captures(line)
        {
            meta.author.get_or_insert_with(|| name_of(&c["v"]));
        }
    }
    if meta.author.as_deref() == Some("") {
        meta.author = None;
    }
}

/// A name as written in a metadata line: links and `[[ ]]` gone.
fn name_of(value: &str) -> String {
    inline_text(&value.replace("[[", "").replace("]]", "")).text
}

/// Readable text of Markdown lines, lines kept apart.
fn readable(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| inline_text(l).text)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The front matter's YAML and the byte where the body starts.
fn front_matter(text: &str) -> (Option<&str>, usize) {
    let Some(rest) = text.strip_prefix("---") else { return (None, 0) };
    let Some(rest_start) = rest.find('\n') else { return (None, 0) };
    if !rest[..rest_start].trim().is_empty() {
        return (None, 0);
    }
    let yaml_start = 3 + rest_start + 1;
    let mut at = yaml_start;
    for line in text[yaml_start..].split_inclusive('\n') {
        if line.trim_end() == "---" {
            return (Some(&text[yaml_start..at]), at + line.len());
        }
        at += line.len();
    }
    (None, 0)
}

/// A YAML scalar as text.
fn yaml_text(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(fold_spaces(s)),
        Yaml::Integer(i) => Some(i.to_string()),
        _ => None,
    }
}

/// `kindle-sync:` title and author (folded scalars read by the YAML parser).
fn kindle_sync(yaml: &str) -> Option<(String, Option<String>)> {
    if !yaml.contains("kindle-sync:") {
        return None;
    }
    let docs = crate::note::header::load_front_matter(yaml).ok()?.docs;
    let sync = &docs.first()?["kindle-sync"];
    if !matches!(sync, Yaml::Hash(_)) {
        return None;
    }
    let title = yaml_text(&sync["title"]).unwrap_or_default();
    let author = yaml_text(&sync["author"]).filter(|a| !a.is_empty());
    Some((title, author))
}

/// Top-level `title:` and `author:` / `authors:` (a name, `[[Name]]`, or a
/// list of them) of a template's own front matter.
fn plain_front_matter(yaml: &str) -> Option<(String, Vec<String>)> {
    let docs = crate::note::header::load_front_matter(yaml).ok()?.docs;
    let doc = docs.first()?;
    let title = yaml_text(&doc["title"]).map(|t| name_of(&t)).unwrap_or_default();
    let mut people = Vec::new();
    for key in ["author", "authors"] {
        let values = match &doc[key] {
            Yaml::Array(items) => items.iter().filter_map(yaml_text).collect(),
            other => yaml_text(other).into_iter().collect::<Vec<_>>(),
        };
        for value in values {
            for name in authors::split(&name_of(&value)) {
                if !people.contains(&name) {
                    people.push(name);
                }
            }
        }
        if !people.is_empty() {
            break;
        }
    }
    Some((title, people))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_callout_between_highlights_is_the_note_of_the_one_before() {
        let text = "---\nkindle-sync:\n  title: Project Hail Mary\n  author: Andy Weir\n---\n\
            # Project Hail Mary\n\n## Highlights\n\n\
            > [!quote]\n> Fist my bump, said Rocky.\n\
            > — location: [3340](kindle://book?action=open&asin=B0&location=3340) ^ref-33333\n\n\
            > [!note]\n> Rocky's grammar is the best running gag\n\n\
            > [!quote]\n> I penetrated the mystery of the Astrophage.\n\
            > — location: [1200](kindle://book?action=open&asin=B0&location=1200) ^ref-44444\n";
        let books = parse(text, &mut Vec::new()).expect("a Kindle plugin file");
        let h = &books[0].highlights;
        let texts: Vec<&str> = h.iter().map(|h| h.text.as_str()).collect();
        assert_eq!(
            texts,
            ["Fist my bump, said Rocky.", "I penetrated the mystery of the Astrophage."]
        );
        assert_eq!(h[0].note.as_deref(), Some("Rocky's grammar is the best running gag"));
        assert_eq!((h[0].location, h[1].location), (Some([3340, 3340]), Some([1200, 1200])));
        assert_eq!(h[1].note, None);
    }

    #[test]
    fn both_templates_and_block_ids() {
        let text = "---\nkindle-sync:\n    title: >-\n        Long Title: With A\n        Subtitle\n    author: Hilery  Hutchinson\n    highlightsCount: 3\n---\n\n# Long Title\n\n## Highlights\n\n\
            First passage. — location: [205](kindle://book?action=open&asin=B&location=205) ^ref-38923\n\n---\n\n\
            Second passage.\n\n- Location: [366](kindle://book?action=open&asin=B&location=366)\n\nMy own note. ^ref-1\n\n---\n\n\
            Third on a page. — page: [52](kindle://book?action=open&asin=B&page=52) ^ref-2\n\n---\n\n## Non-Kindle Data\n\nprose\n";
        let mut w = Vec::new();
        let books = parse(text, &mut w).expect("a plugin file");
        let book = &books[0];
        assert_eq!(book.title, "Long Title: With A Subtitle");
        assert_eq!(book.authors, ["Hilery Hutchinson"]);
        let h = &book.highlights;
        assert_eq!(h.len(), 3, "{h:?}");
        assert_eq!((h[0].text.as_str(), h[0].location), ("First passage.", Some([205, 205])));
        assert_eq!((h[1].text.as_str(), h[1].location), ("Second passage.", Some([366, 366])));
        assert_eq!(h[1].note.as_deref(), Some("My own note."));
        assert_eq!((h[2].text.as_str(), h[2].page.as_deref()), ("Third on a page.", Some("52")));
        assert!(h.iter().all(|h| !h.text.contains("^ref")));
    }

    #[test]
    fn a_list_of_authors_with_and_is_several_people() {
        for (author, people) in [
            ("David Thomas and Andrew Hunt", &["David Thomas", "Andrew Hunt"][..]),
            (
                "Alex Forrester, Eran Boudjnah, Alexandru Dumbravan, and Jomar Tigcal",
                &["Alex Forrester", "Eran Boudjnah", "Alexandru Dumbravan", "Jomar Tigcal"],
            ),
            ("Simon & Schuster", &["Simon & Schuster"]),
        ] {
            let book = one(&format!(
                "---\nkindle-sync:\n  title: \"T\"\n  author: {author}\n---\n\n## Highlights\n\n\
                 Care about your craft. — location: [310](kindle://book?action=open&asin=B&location=310) ^ref-1\n"
            ));
            assert_eq!(book.authors, people, "{author}");
        }
    }

    #[test]
    fn a_callout_titled_with_its_place_holds_the_highlight_under_it() {
        let book = one(
            "---\nkindle-sync:\n  title: \"Deep Work\"\n  author: Cal Newport\n---\n\n## Highlights\n\n\
             > [!quote] Location: [1203](kindle://book?action=open&asin=B&location=1203)\n\
             > Clarity about what matters.\n\n\
             > [!quote] Location: [402](kindle://book?action=open&asin=B&location=402)\n\
             > To produce at your peak level,\n> work for extended periods.\n\n\
             > [!quote] Highlight\n> Placed after. — location: [9](kindle://book?action=open&asin=B&location=9)\n",
        );
        let h: Vec<(&str, Option<[u64; 2]>)> =
            book.highlights.iter().map(|h| (h.text.as_str(), h.location)).collect();
        assert_eq!(
            h,
            [
                ("Clarity about what matters.", Some([1203, 1203])),
                ("To produce at your peak level,\nwork for extended periods.", Some([402, 402])),
                ("Placed after.", Some([9, 9])),
            ]
        );
    }

    #[test]
    fn a_key_given_twice_keeps_the_front_matters_title_and_author() {
        // A custom template: an empty `date:`, filled again further down
        // (YAML forbids it; the header reader keeps the first filled
        // value). No heading in the body to fall back on.
        let synced = "---\ndate:\nkindle-sync:\n  title: \"The Synced Title\"\n  author: Ada Byron\n\
            date: 2024-01-01\n---\n\n## Highlights\n\n\
            A passage. — location: [10](kindle://book?action=open&asin=B&location=10) ^ref-1\n";
        let book = one(synced);
        assert_eq!(
            (book.title.as_str(), book.authors.as_slice()),
            ("The Synced Title", &["Ada Byron".to_string()][..])
        );
        let plain = "---\ntitle:\ntitle: Plain Title\nauthor: Ada Byron\n---\n\n## Highlights\n\n\
            A passage. — location: [10](kindle://book?action=open&asin=B&location=10) ^ref-1\n";
        let book = one(plain);
        assert_eq!(
            (book.title.as_str(), book.authors.as_slice()),
            ("Plain Title", &["Ada Byron".to_string()][..])
        );
    }

    fn one(text: &str) -> Book {
        let mut w = Vec::new();
        let mut books = parse(text, &mut w).expect("a plugin file");
        assert_eq!(books.len(), 1);
        books.remove(0)
    }

    /// (text, location, note, chapter) of a highlight.
    type Row<'a> = (&'a str, Option<[u64; 2]>, Option<&'a str>, Option<&'a str>);

    fn rows(book: &Book) -> Vec<Row<'_>> {
        book.highlights
            .iter()
            .map(|h| (h.text.as_str(), h.location, h.note.as_deref(), h.chapter.as_deref()))
            .collect()
    }

    #[test]
    fn a_highlight_heading_per_highlight_with_the_location_below() {
        let book = one("---\ntags: [books]\n---\n# The Salt Road\n\n## Metadata\n\
            - Author: [[Mara Quill]]\n- ASIN: B005OMBTKY\n\n\
            ## Highlight\n\nSalt was once worth its weight in silver. ^ref-57526\n\n\
            - Location: [55](kindle://book?action=open&asin=B005OMBTKY&location=55)\n\n\
            ## Highlight\n\nEvery road to the coast\nwas a salt road. ^ref-1201\n\n\
            - Location: [72](kindle://book?action=open&asin=B005OMBTKY&location=72)\n\n\
            Compare with the Roman via Salaria.\n\n\
            ## Highlight\n\nCaravans kept no maps. ^ref-99\n\n\
            - Location: [130](kindle://book?action=open&asin=B005OMBTKY&location=130)\n");
        assert_eq!(
            (book.title.as_str(), book.authors.as_slice()),
            ("The Salt Road", &["Mara Quill".to_string()][..])
        );
        assert_eq!(
            rows(&book),
            [
                ("Salt was once worth its weight in silver.", Some([55, 55]), None, None),
                (
                    "Every road to the coast\nwas a salt road.",
                    Some([72, 72]),
                    Some("Compare with the Roman via Salaria."),
                    None
                ),
                ("Caravans kept no maps.", Some([130, 130]), None, None),
            ]
        );
    }

    #[test]
    fn japanese_highlights_with_no_rule_between_stay_apart() {
        let book = one(
            "---\nkindle-sync:\n  title: 雪国\n  author: 川端 康成\n  highlightsCount: 4\n---\n\n# 雪国\n\n## Highlights\n\n\
            国境の長いトンネルを抜けると雪国であった。 — location: [138](kindle://book?action=open&asin=B009&location=138) ^ref-6307\n\
            夜の底が白くなった。 — location: [154](kindle://book?action=open&asin=B009&location=154) ^ref-51343\n\n\
            信号所に汽車が止まった。 — location: [160](kindle://book?action=open&asin=B009&location=160) ^ref-7\n\
            美しい場面だ。\n\n\
            ### 第二章\n\n\
            駒子の唇は美しい蛭の輪のように滑らかであった。 — location: [900](kindle://book?action=open&asin=B009&location=900) ^ref-8\n",
        );
        assert_eq!(book.authors, ["川端 康成"]);
        assert_eq!(
            rows(&book),
            [
                ("国境の長いトンネルを抜けると雪国であった。", Some([138, 138]), None, None),
                ("夜の底が白くなった。", Some([154, 154]), None, None),
                ("信号所に汽車が止まった。", Some([160, 160]), Some("美しい場面だ。"), None),
                (
                    "駒子の唇は美しい蛭の輪のように滑らかであった。",
                    Some([900, 900]),
                    None,
                    Some("第二章")
                ),
            ]
        );
    }

    #[test]
    fn empty_links_quotes_and_notes_after_as_list_items_with_crlf() {
        let text = "---\r\ntitle: \"The Quiet Workshop\"\r\nauthor: \"[[Ada Brenner]]\"\r\n---\r\n\r\n# The Quiet Workshop\r\n\r\n\
            > Sharpen before you are tired, not after. ― location: [100]() ^ref-48721\r\n\
            - my note: the same goes for knives\r\n\r\n\
            > Measure twice;\r\n> cut once. ― location: [120]() ^ref-48722\r\n\r\n\
            > A dull chisel is a dangerous chisel. ― page: [14]() ^ref-48723\r\nsr-due: 2024-05-01\r\nsr-interval: 3\r\n";
        let book = one(text);
        assert_eq!(book.title, "The Quiet Workshop");
        assert_eq!(book.authors, ["Ada Brenner"]);
        assert_eq!(
            rows(&book),
            [
                (
                    "Sharpen before you are tired, not after.",
                    Some([100, 100]),
                    Some("my note: the same goes for knives"),
                    None
                ),
                ("Measure twice;\ncut once.", Some([120, 120]), None, None),
                ("A dull chisel is a dangerous chisel.", None, None, None),
            ]
        );
        assert_eq!(book.highlights[2].page.as_deref(), Some("14"));
        assert_eq!(book.highlights[1].line, 11, "the line where the quote starts");
    }

    #[test]
    fn notes_first_then_the_quote_in_a_callout_under_chapter_headings() {
        let book = one(
            "# Deep Rivers\n\nby [[Lena Ortiz]]\n\n## Highlights\n\n### Chapter 1: Springs\n\n\
            Why does this matter for the delta?\n\n\
            > [!quote]\n> Every river begins as a rumour of water. — location: [417](kindle://book?action=open&asin=B0B&location=417) ^ref-1\n\n\
            ---\n\n\
            > [!quote]\n> Rivers remember their old beds. — location: [499](kindle://book?action=open&asin=B0B&location=499) ^ref-2\n\n\
            Like the Rhine after the floods.\n\n\
            #### 1.2 Meanders\n\n\
            > A meander is a river arguing with itself. (Location 560)\n",
        );
        assert_eq!(
            (book.title.as_str(), book.authors.as_slice()),
            ("Deep Rivers", &["Lena Ortiz".to_string()][..])
        );
        assert_eq!(
            rows(&book),
            [
                (
                    "Every river begins as a rumour of water.",
                    Some([417, 417]),
                    Some("Why does this matter for the delta?"),
                    Some("Chapter 1: Springs")
                ),
                (
                    "Rivers remember their old beds.",
                    Some([499, 499]),
                    Some("Like the Rhine after the floods."),
                    Some("Chapter 1: Springs")
                ),
                (
                    "A meander is a river arguing with itself.",
                    Some([560, 560]),
                    None,
                    Some("1.2 Meanders")
                ),
            ]
        );
    }

    #[test]
    fn a_note_without_the_plugin_is_not_one() {
        let mut w = Vec::new();
        assert!(parse("---\ntitle: x\n---\n# A\n\n## Highlights\n\ntext\n", &mut w).is_none());
        // Blockquotes, a `^ref` id and a page label, but no place link and
        // no `location: [N]` label: a hand-written note.
        let note = "# Reading log\n\n> A line I liked. ^ref-1\n\n> Another, page: 12.\n";
        assert!(parse(note, &mut w).is_none());
    }
}
