//! The Obsidian Apple Books highlights plugins.
//!
//! One writes a `## Metadata` list with the author and an `ibooks://`
//! link, then `## Highlights`, one highlight per block between `---`
//! lines; the title is the `# heading`, else the file name.
//!
//! Another (`obsidian-apple-books-highlights-plugin`) writes Dataview
//! fields, an emoji before each name: `Title:: 📕 …`, `Author:: …`, then per
//! highlight `- 📖 Chapter:: …`, `- 🔖 Context:: …` (the sentences around
//! it, not the highlight), `- 🎯 Highlight:: <mark …>…</mark>`, `- 📝 Note::
//! …` (`N/A` when there is none) and `- <small>📅 Highlight taken on::
//! 2024-03-11 03:04:53 PM -04:00</small>`. Apple Books gives no page or
//! location.

use super::{Book, Highlight, authors};
use crate::note::Warning;
use crate::note::markup::inline_text;

/// Reads an Apple Books export; `None` when the text is not one.
pub fn parse(text: &str, _warnings: &mut Vec<Warning>) -> Option<Vec<Book>> {
    // Every variant links the book in Apple Books.
    memchr::memmem::find(text.as_bytes(), b"ibooks://")?;
    if !text.lines().any(|l| l.trim() == "## Highlights") {
        return parse_fields(text);
    }
    let mut book = Book { line: 1, ..Book::default() };
    let mut in_highlights = false;
    let mut in_front_matter = text.starts_with("---");
    let mut block: Vec<(usize, &str)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end_matches('\r');
        let trimmed = line.trim();
        if in_front_matter {
            if i > 0 && trimmed == "---" {
                in_front_matter = false;
            }
            continue;
        }
        if let Some(title) = trimmed.strip_prefix("# ") {
            if book.title.is_empty() {
                book.title = inline_text(title).text;
            }
            continue;
        }
        if let Some(name) = trimmed.strip_prefix("## ") {
            flush(&mut block, &mut book);
            in_highlights = name.trim().eq_ignore_ascii_case("highlights");
            continue;
        }
        if !in_highlights {
            let item = trimmed.strip_prefix("- ").map(str::trim_start).unwrap_or("");
            if let Some(author) = item.strip_prefix("Author:") {
                let author = inline_text(author.trim()).text;
                if book.authors.is_empty() {
                    book.authors = authors::split(&author);
                }
            } else if let Some(title) = item.strip_prefix("Title:") {
                book.title = inline_text(title.trim()).text;
            }
            continue;
        }
        if trimmed == "---" {
            flush(&mut block, &mut book);
        } else {
            block.push((i + 1, line));
        }
    }
    flush(&mut block, &mut book);
    Some(vec![book])
}

/// The Dataview-field template; `None` when the text has no `Highlight::`
/// field.
fn parse_fields(text: &str) -> Option<Vec<Book>> {
    let mut book = Book { line: 1, ..Book::default() };
    let mut chapter: Option<String> = None;
    let mut current: Option<Highlight> = None;
    let mut seen = false;
    for (i, raw) in text.lines().enumerate() {
        let Some((name, value)) = field(raw) else { continue };
        let none = value.is_empty() || value.eq_ignore_ascii_case("N/A");
        match name.as_str() {
            "title" if book.title.is_empty() && !none => book.title = value,
            "author" | "authors" if book.authors.is_empty() && !none => book.authors = vec![value],
            "chapter" => chapter = (!none).then_some(value),
            "highlight" => {
                seen = true;
                book.highlights.extend(current.take().filter(|h| !h.text.is_empty()));
                current = Some(Highlight {
                    text: if none { String::new() } else { value },
                    line: i + 1,
                    chapter: chapter.clone(),
                    ..Highlight::default()
                });
            }
            "note" if !none => {
                if let Some(h) = current.as_mut() {
                    h.note = Some(value);
                }
            }
            "highlight taken on" => {
                if let Some(h) = current.as_mut()
                    && let Some(Ok(day)) = crate::note::date::day(&value)
                {
                    h.added = Some(day.to_string());
                }
            }
            _ => {}
        }
    }
    book.highlights.extend(current.take().filter(|h| !h.text.is_empty()));
    seen.then(|| vec![book])
}

/// A Dataview field line as (name, readable value): `- 🎯 Highlight::
/// <mark>…</mark>` is `("highlight", "…")`; the name without its emoji,
/// lower-cased, the value without tags or leading emoji.
fn field(line: &str) -> Option<(String, String)> {
    let line = line.trim().strip_prefix("- ").unwrap_or(line.trim());
    let (name, value) = line.split_once("::")?;
    let name = inline_text(name).text;
    let name: String = name
        .chars()
        .filter(|c| c.is_alphanumeric() || *c == ' ')
        .collect::<String>()
        .trim()
        .to_lowercase();
    if name.is_empty() || name.len() > 40 {
        return None;
    }
    let value = inline_text(value.trim()).text;
    let value = value.trim_start_matches(|c: char| {
        c.is_whitespace() || !(c.is_alphanumeric() || c.is_ascii_punctuation() || c.is_whitespace())
    });
    Some((name, value.to_string()))
}

fn flush(block: &mut Vec<(usize, &str)>, book: &mut Book) {
    let lines = std::mem::take(block);
    let Some(&(line, _)) = lines.iter().find(|(_, l)| !l.trim().is_empty()) else { return };
    let text = lines
        .iter()
        .map(|(_, l)| {
            let l = l.trim();
            inline_text(l.strip_prefix('>').map(str::trim_start).unwrap_or(l)).text
        })
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    if !text.is_empty() {
        book.highlights.push(Highlight { text, line, ..Highlight::default() });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_between_rules_are_highlights() {
        let text = "## Metadata\n- Author: Elizabeth Gilbert\n- [Apple Books Link](ibooks://assetid/6B78)\n\n\
                    ## Highlights\nFirst highlight\nruns on.\n\n---\nSecond highlight\n\n---\n";
        let mut w = Vec::new();
        let books = parse(text, &mut w).expect("an Apple Books file");
        assert_eq!(books[0].authors, ["Elizabeth Gilbert"]);
        assert_eq!(books[0].title, "");
        let texts: Vec<&str> = books[0].highlights.iter().map(|h| h.text.as_str()).collect();
        assert_eq!(texts, ["First highlight\nruns on.", "Second highlight"]);
    }

    #[test]
    fn a_dataview_field_template_gives_each_highlight_its_chapter_note_and_day() {
        let text = "Title:: 📕 Eat, Pray, Love\nAuthor:: Elizabeth Gilbert\n\
            Link:: [Apple Books Link](ibooks://assetid/6B78A1B2C3D4)\n\n## Annotations\n\n\
            Number of annotations:: 2\n\n----\n\n- 📖 Chapter:: Italy\n\
            - 🔖 Context:: We walked. The attraction of Italy is doing nothing. Then we ate.\n\
            - 🎯 Highlight:: <mark style=\"background:rgb(249,213,108);\">The attraction of Italy is doing nothing.</mark>\n\
            - 📝 Note:: compare with Naples\n\
            - 📙 Highlight Link:: [Apple Books Highlight Link](ibooks://assetid/6B78#epubcfi(/6/24))\n\
            - <small>📅 Highlight taken on:: 2024-03-11 03:04:53 PM -04:00</small>\n\n----\n\n\
            - 📖 Chapter:: India\n- 🔖 Context:: At the ashram. Ruin is the road.\n\
            - 🎯 Highlight:: Ruin is the road to transformation.\n- 📝 Note:: N/A\n\
            - 📙 Highlight Link:: N/A\n";
        let books = parse(text, &mut Vec::new()).expect("an Apple Books file");
        let book = &books[0];
        assert_eq!(book.title, "Eat, Pray, Love");
        assert_eq!(book.authors, ["Elizabeth Gilbert"]);
        let texts: Vec<&str> = book.highlights.iter().map(|h| h.text.as_str()).collect();
        assert_eq!(
            texts,
            ["The attraction of Italy is doing nothing.", "Ruin is the road to transformation."]
        );
        let first = &book.highlights[0];
        assert_eq!(first.chapter.as_deref(), Some("Italy"));
        assert_eq!(first.note.as_deref(), Some("compare with Naples"));
        assert_eq!(first.added.as_deref(), Some("2024-03-11"));
        assert_eq!(book.highlights[1].chapter.as_deref(), Some("India"));
        assert_eq!(book.highlights[1].note, None, "N/A is no note");
    }
}
