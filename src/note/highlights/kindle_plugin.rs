//! The Obsidian Kindle Highlights plugin: one file per book, the title and
//! author under `kindle-sync:` in the front matter, highlights between `---`
//! lines in the `## Highlights` section.
//!
//! Two templates are read: the location inline after the text
//! (`… — location: [205](kindle://…) ^ref-38923`), or on a line of its own
//! after it (`- Location: [366](kindle://…)`); some write `page: [52](…)`.
//! Lines after the location line, up to the next `---`, are the reader's
//! note. `^ref-38923` is an Obsidian block id: never text.

use std::sync::LazyLock;

use regex::Regex;
use yaml_rust2::{Yaml, YamlLoader};

use super::{Book, Highlight};
use crate::note::Warning;
use crate::note::markup::{fold_spaces, inline_text};

/// `— location: [205](kindle://…)`, `- Location: [366](…)`, `page: [52](…)`.
static PLACE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?:^|\s+[—–-]\s+|^\s*-\s+)(?P<kind>location|page):\s*\[(?P<first>[0-9ivxlcdm]+)(?:\s*-\s*(?P<last>[0-9]+))?\]\([^)]*\)",
    )
    .expect("valid regex")
});
/// An Obsidian block id at the end of a line.
static BLOCK_ID: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s*\^ref-[0-9A-Za-z_-]+\s*$").expect("valid regex"));

/// Reads a Kindle-plugin file; `None` when the text is not one.
pub fn parse(text: &str, _warnings: &mut Vec<Warning>) -> Option<Vec<Book>> {
    let (front, body_start) = front_matter(text);
    let sync = front.and_then(kindle_sync);
    let linked = memchr::memmem::find(text.as_bytes(), b"](kindle://book?action=open").is_some();
    if sync.is_none() && !linked {
        return None;
    }
    let mut book = Book { line: 1, ..Book::default() };
    let synced = sync.is_some();
    if let Some((title, author)) = sync {
        book.title = title;
        book.authors.extend(author);
    }
    let mut in_highlights = false;
    let mut block: Vec<(usize, &str)> = Vec::new();
    let mut heading = None;
    let mut meta_author = None;
    let body_line = 1 + text[..body_start].matches('\n').count();
    for (i, raw) in text[body_start..].lines().enumerate() {
        let line_no = body_line + i;
        let line = raw.trim_end_matches('\r');
        let trimmed = line.trim();
        if let Some(title) = trimmed.strip_prefix("# ") {
            heading.get_or_insert_with(|| inline_text(title).text);
            continue;
        }
        if let Some(name) = trimmed.strip_prefix("## ") {
            flush(&mut block, &mut book);
            in_highlights = name.trim().eq_ignore_ascii_case("highlights");
            continue;
        }
        if !in_highlights {
            // A highlight the reader moved out of the section (into their
            // own notes) still carries its location link: still a highlight.
            if PLACE.is_match(line) && line.contains("](kindle://") {
                block.push((line_no, line));
                flush(&mut block, &mut book);
                continue;
            }
            if let Some(author) = trimmed
                .strip_prefix("- ")
                .map(str::trim_start)
                .and_then(|l| l.strip_prefix("Author:"))
            {
                meta_author.get_or_insert_with(|| inline_text(author.trim()).text);
            }
            continue;
        }
        if trimmed == "---" {
            flush(&mut block, &mut book);
        } else {
            block.push((line_no, line));
        }
    }
    flush(&mut block, &mut book);
    if book.title.is_empty() {
        book.title = heading.unwrap_or_default();
    }
    if book.authors.is_empty()
        && let Some(author) = meta_author.filter(|a| !a.is_empty())
    {
        book.authors.push(author);
    }
    // A plugin file whose highlights section is absent is not one of its
    // exports (a page that only links to a book).
    if book.highlights.is_empty() && !synced && !text.contains("## Highlights") {
        return None;
    }
    Some(vec![book])
}

/// One highlight's lines (between `---` lines) into a [`Highlight`].
fn flush(block: &mut Vec<(usize, &str)>, book: &mut Book) {
    let lines = std::mem::take(block);
    let Some(first) = lines.iter().position(|(_, l)| !l.trim().is_empty()) else { return };
    let mut highlight = Highlight { line: lines[first].0, ..Highlight::default() };
    let mut text: Vec<String> = Vec::new();
    let mut note: Vec<String> = Vec::new();
    let mut placed = false;
    for (_, raw) in &lines[first..] {
        let line = BLOCK_ID.replace(raw, "");
        let line = line.trim();
        if !placed && let Some(c) = PLACE.captures(line) {
            let first = &c["first"];
            let last = c.name("last").map_or(first, |m| m.as_str());
            if c["kind"].eq_ignore_ascii_case("page") {
                highlight.page =
                    Some(if first == last { first.to_string() } else { format!("{first}-{last}") });
            } else if let (Ok(a), Ok(b)) = (first.parse::<u64>(), last.parse::<u64>()) {
                highlight.location = Some([a.min(b), a.max(b)]);
            }
            let before = line[..c.get(0).map_or(0, |m| m.start())].trim();
            if !before.is_empty() {
                text.push(before.to_string());
            }
            placed = true;
            continue;
        }
        let line = line.strip_prefix("> ").unwrap_or(line);
        if placed {
            note.push(line.to_string());
        } else {
            text.push(line.to_string());
        }
    }
    highlight.text = readable(&text);
    if highlight.text.is_empty() {
        return;
    }
    let note = readable(&note);
    highlight.note = (!note.is_empty()).then_some(note);
    book.highlights.push(highlight);
}

/// Readable text of Markdown lines, paragraphs kept apart.
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

/// `kindle-sync:` title and author (folded scalars read by the YAML parser).
fn kindle_sync(yaml: &str) -> Option<(String, Option<String>)> {
    if !yaml.contains("kindle-sync:") {
        return None;
    }
    let docs = YamlLoader::load_from_str(yaml).ok()?;
    let sync = &docs.first()?["kindle-sync"];
    if !matches!(sync, Yaml::Hash(_)) {
        return None;
    }
    let text = |y: &Yaml| match y {
        Yaml::String(s) | Yaml::Real(s) => Some(fold_spaces(s)),
        Yaml::Integer(i) => Some(i.to_string()),
        _ => None,
    };
    let title = text(&sync["title"]).unwrap_or_default();
    let author = text(&sync["author"]).filter(|a| !a.is_empty());
    Some((title, author))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn a_note_without_the_plugin_is_not_one() {
        let mut w = Vec::new();
        assert!(parse("---\ntitle: x\n---\n# A\n\n## Highlights\n\ntext\n", &mut w).is_none());
    }
}
