//! The JSON that KOReader's exporter plugin writes
//! (`plugins/exporter.koplugin/target/json.lua`): one book is
//! `{title, author, entries[], file, number_of_pages, created_on, version}`;
//! several books go in one file as `{created_on, version, documents[]}`, each
//! document shaped like the one-book file without `created_on`/`version`.
//! An entry is a clipping from `clip.lua`: `{sort, page, time, text, note,
//! chapter, drawer, color}`, where `page` is the page label or number and
//! `time` is Unix seconds.

use serde_json::{Map, Value};

use super::super::bookcision::array_element_lines;
use super::super::{Book, Highlight, authors};
use crate::note::Warning;

/// What the exporter writes when the book names no author or title
/// (`clip.lua`, untranslated); not a name.
const UNKNOWN: &[&str] = &["Unknown Author", "Unknown Book"];

/// Reads an exporter JSON file; `None` when `text` is not one.
pub(super) fn parse(text: &str, warnings: &mut Vec<Warning>) -> Option<Vec<Book>> {
    let root: Value = match serde_json::from_str(text) {
        Ok(root) => root,
        Err(err) => {
            // Only claim a broken file that says it is an export.
            let looks_like = text.contains("\"entries\"")
                && (text.contains("\"created_on\"") || text.contains("\"documents\""));
            if !looks_like {
                return None;
            }
            warnings.push(Warning {
                line: Some(err.line()),
                message: format!(
                    "KOReader JSON export is not valid JSON ({err}); nothing read from it, \
                     export it again from KOReader"
                ),
            });
            return Some(Vec::new());
        }
    };
    let Value::Object(root) = root else { return None };
    let documents: Vec<&Map<String, Value>> = match (root.get("documents"), root.get("entries")) {
        (Some(Value::Array(docs)), _) => {
            docs.iter().filter_map(Value::as_object).filter(|d| d.contains_key("entries")).collect()
        }
        (None, Some(Value::Array(_)))
            if root.contains_key("created_on") || root.contains_key("version") =>
        {
            vec![&root]
        }
        _ => return None,
    };
    let lines = array_element_lines(text, "entries");
    let mut books = Vec::new();
    for (i, doc) in documents.into_iter().enumerate() {
        let entry_lines = lines.get(i).map(Vec::as_slice).unwrap_or(&[]);
        if let Some(book) = book(doc, entry_lines, warnings) {
            books.push(book);
        }
    }
    Some(books)
}

fn book(doc: &Map<String, Value>, lines: &[usize], warnings: &mut Vec<Warning>) -> Option<Book> {
    let name = |key: &str| {
        doc.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty() && !UNKNOWN.contains(s))
    };
    let mut book = Book {
        title: name("title").unwrap_or_default().to_string(),
        authors: name("author").map(authors::split).unwrap_or_default(),
        ..Book::default()
    };
    let Some(Value::Array(entries)) = doc.get("entries") else {
        warnings.push(Warning {
            line: lines.first().copied(),
            message: format!("KOReader JSON export: `entries` of `{}` is not a list", book.title),
        });
        return None;
    };
    for (i, entry) in entries.iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(1);
        let Some(entry) = entry.as_object() else {
            warnings.push(Warning {
                line: Some(line),
                message: "KOReader JSON export: an entry is not an object; skipped".to_string(),
            });
            continue;
        };
        let text = |key: &str| {
            entry.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
        };
        // Entries without text are image clippings from PDFs.
        let Some(quote) = text("text") else { continue };
        let page = match entry.get("page") {
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_string()),
            _ => None,
        };
        book.highlights.push(Highlight {
            text: quote.to_string(),
            line,
            page,
            location: None,
            chapter: text("chapter").map(str::to_string),
            note: text("note").map(str::to_string),
            added: entry.get("time").and_then(Value::as_i64).and_then(unix_to_iso),
        });
    }
    book.line = book.highlights.first()?.line;
    Some(book)
}

/// KOReader's `time` is `os.time()` of the device's local clock reading,
/// so the instant is known but not the zone: it is written in UTC, marked `Z`.
fn unix_to_iso(seconds: i64) -> Option<String> {
    let t = time::OffsetDateTime::from_unix_timestamp(seconds).ok()?;
    Some(format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path =
            format!("{}/tests/fixtures/highlights/koreader/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn one_book_export() {
        let mut warnings = Vec::new();
        let books =
            super::super::parse(&fixture("The Salt Road.json"), &mut warnings).expect("recognised");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(books.len(), 1);
        let b = &books[0];
        assert_eq!(
            (b.title.as_str(), b.authors.as_slice()),
            ("The Salt Road", &["Maren Holt".to_string(), "Ilya Vasquez".to_string()][..])
        );
        assert_eq!(b.highlights.len(), 2);
        let h = &b.highlights[0];
        assert_eq!(h.page.as_deref(), Some("12"));
        assert_eq!(h.chapter.as_deref(), Some("1. The White Road"));
        // 1704449472 is 2024-01-05 10:11:12 UTC.
        assert_eq!(h.added.as_deref(), Some("2024-01-05T10:11:12Z"));
        assert_eq!(h.line, 9);
        assert_eq!(b.line, 9);
        assert_eq!(b.highlights[1].page.as_deref(), Some("xvi"));
        assert_eq!(b.highlights[1].note.as_deref(), Some("Ask Ana about this."));
    }

    #[test]
    fn many_books_export() {
        let mut warnings = Vec::new();
        let books =
            super::super::parse(&fixture("exported.json"), &mut warnings).expect("recognised");
        assert!(warnings.is_empty(), "{warnings:?}");
        // The third document holds only an image clipping: no book.
        let titles: Vec<&str> = books.iter().map(|b| b.title.as_str()).collect();
        assert_eq!(titles, ["A Field Guide to Rain", "Notes on Lanterns"]);
        assert_eq!(books[0].highlights.len(), 2);
        assert_eq!(books[1].highlights.len(), 1);
        // "Unknown Author" is the exporter's placeholder, not a name.
        assert!(books[1].authors.is_empty());
        let lines: Vec<usize> =
            books.iter().flat_map(|b| b.highlights.iter().map(|h| h.line)).collect();
        let text = fixture("exported.json");
        for (line, b) in lines.iter().zip(books.iter().flat_map(|b| &b.highlights)) {
            let src = text.lines().nth(line - 1).unwrap_or("");
            assert!(src.trim_start().starts_with('{'), "line {line}: {src} for {b:?}");
        }
    }

    #[test]
    fn malformed_export() {
        let mut warnings = Vec::new();
        let text = "{\n  \"created_on\": 1,\n  \"entries\": [\n    {\"text\": \"a\",}\n  ]\n}";
        assert_eq!(super::super::parse(text, &mut warnings), Some(Vec::new()));
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].line, Some(4));
        // Broken JSON that does not say it is an export is not ours.
        assert_eq!(super::super::parse("{\"title\": ", &mut warnings), None);
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn wrong_types() {
        let mut warnings = Vec::new();
        let text = "{\"version\": \"v1\", \"title\": 7, \"entries\": [3, {\"text\": \"ok\", \"page\": [1], \"time\": \"x\"}]}";
        let books = super::super::parse(text, &mut warnings).expect("recognised");
        assert_eq!(books[0].title, "");
        let h = &books[0].highlights[0];
        assert_eq!((h.text.as_str(), h.page.as_deref(), h.added.as_deref()), ("ok", None, None));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
    }

    #[test]
    fn unix_times() {
        assert_eq!(unix_to_iso(0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(unix_to_iso(1_704_449_472).as_deref(), Some("2024-01-05T10:11:12Z"));
        assert_eq!(unix_to_iso(i64::MAX), None);
    }
}
