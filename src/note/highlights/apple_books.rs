//! The Obsidian Apple Books highlights plugin: a `## Metadata` list with the
//! author and an `ibooks://` link, then `## Highlights`, one highlight per
//! block between `---` lines. Apple Books gives no page or location; the
//! title is the `# heading`, else the file name.

use super::{Book, Highlight, authors};
use crate::note::Warning;
use crate::note::markup::inline_text;

/// Reads an Apple Books export; `None` when the text is not one.
pub fn parse(text: &str, _warnings: &mut Vec<Warning>) -> Option<Vec<Book>> {
    if memchr::memmem::find(text.as_bytes(), b"ibooks://").is_none()
        || !text.lines().any(|l| l.trim() == "## Highlights")
    {
        return None;
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
}
