//! Highlight exports (Kindle `My Clippings.txt` and the Kindle apps'
//! notebooks, Readwise, the Obsidian Kindle and Apple Books plugins,
//! KOReader, Bookcision, Kobo's database), recognised by their content and
//! read into [`Book`]s, which become ordinary notes whose quotes are the
//! highlights. `../shared/docs/highlights.md` lists every shape.
//!
//! Each text format is a module with `parse(text, warnings) ->
//! Option<Vec<Book>>` (`None`: not this format); [`read`] tries them in turn
//! ([`FORMATS`]), and [`to_note`] turns a book into a [`Note`]. Kobo's
//! database is binary and read from its path ([`kobo`]; `note::parse_many`
//! recognises it before decoding any text). Nothing here knows the index.

pub mod apple_books;
pub mod authors;
pub mod book;
pub mod bookcision;
pub mod clippings;
pub mod kindle_notebook;
pub mod kindle_plugin;
pub mod kobo;
pub mod koreader;
pub mod readwise;

use std::path::Path;

pub use book::{Book, Highlight};

use super::{Note, Quote, Reference, Title, Warning};

/// A format's reader: the books of the text, or `None` when the text is
/// not in that format.
pub type Reader = fn(&str, &mut Vec<Warning>) -> Option<Vec<Book>>;

/// Every export format, by its `source` name, in the order they are tried.
/// A format is recognised by what the text holds, so the order only matters
/// where two could claim one file (the Kindle plugin's files also look a
/// little like Readwise's; a Bookcision file is JSON, as KOReader's
/// exporter's is). Kobo's database is not text and is not listed: its
/// source name is `kobo`.
pub const FORMATS: &[(&str, Reader)] = &[
    ("kindle-clippings", clippings::parse),
    ("kindle-plugin", kindle_plugin::parse),
    ("readwise", readwise::parse),
    ("apple-books", apple_books::parse),
    ("bookcision", bookcision::parse),
    ("koreader", koreader::parse),
    ("kindle-notebook", kindle_notebook::parse),
];

/// What an export file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// The format's name (`kindle-clippings`, `readwise`, …).
    pub source: &'static str,
    /// Its books, in file order.
    pub books: Vec<Book>,
}

/// Reads `text` as the first export format that recognises it; `None` when
/// it is none of them (an ordinary note). Warnings of formats that did not
/// recognise the text are dropped.
pub fn read(text: &str, warnings: &mut Vec<Warning>) -> Option<Export> {
    for (source, reader) in FORMATS {
        let mut found = Vec::new();
        if let Some(books) = reader(text, &mut found) {
            warnings.append(&mut found);
            return Some(Export { source, books });
        }
    }
    None
}

/// Whether a highlight's text is Kindle's stand-in for text it would not
/// export (`<You have reached the clipping limit for this item>`, in
/// clippings, notebooks and Bookcision alike): no words of the book, so
/// no quote.
pub(crate) fn is_clipping_limit(text: &str) -> bool {
    text.trim_start().starts_with("<You have reached the clipping limit")
}

/// A book as a note: its title and authors, one quote per highlight (with
/// its page or location, the reader's note and date), the quotes and notes
/// as the body. `path` is the export file; its name stands in for a
/// missing title. A highlight dated on a day the calendar lacks
/// (`2024-02-31`) keeps its place in the note without the date, and a
/// warning at its line says so.
pub fn to_note(book: Book, path: &Path, source: &str, warnings: &mut Vec<Warning>) -> Note {
    let title =
        if book.title.trim().is_empty() { untitled(path) } else { book.title.trim().to_string() };
    let mut body = String::new();
    let highlights = without_repeats(book.highlights);
    let mut quotes = Vec::with_capacity(highlights.len());
    for h in highlights {
        if !body.is_empty() {
            body.push_str("\n\n");
        }
        let offset = body.len();
        body.push_str(&h.text);
        let note_text = h.note.filter(|n| !n.trim().is_empty());
        // A note with no highlight is its own quote: its text once in the body.
        if let Some(note) = note_text.as_ref().filter(|n| n.trim() != h.text.trim()) {
            body.push_str("\n\n");
            body.push_str(note);
        }
        let added = h.added.filter(|added| match super::date::day(added) {
            Some(Err(why)) => {
                warnings.push(Warning {
                    line: (h.line > 0).then_some(h.line),
                    message: format!(
                        "highlight date `{added}` is not a day of the calendar ({why}); the \
                         highlight is indexed without its date"
                    ),
                });
                false
            }
            _ => true,
        });
        quotes.push(Quote {
            reference: Reference::highlight(h.page.as_deref(), h.location, h.chapter.as_deref()),
            text: h.text,
            line: h.line,
            offset,
            note_text,
            added,
        });
    }
    let mut people: Vec<String> = Vec::new();
    // Readers hand over people already split; a name given twice, or in
    // both its forms (`Lee, Kai-Fu`, `Kai-Fu Lee`), is one author.
    for author in book.authors.iter().flat_map(|a| authors::split(a)) {
        if !people.contains(&author) {
            people.push(author);
        }
    }
    let mut note = Note {
        path: path.to_path_buf(),
        name: title.clone(),
        titles: vec![Title { text: title, url: book.url }],
        authors: people,
        body,
        quotes,
        source: Some(source.to_string()),
        ..Note::default()
    };
    note.language = super::language::of(&note);
    note
}

/// The title of a book its export does not name: the file's name, or for
/// a KOReader sidecar (`paper.sdr/metadata.pdf.lua`) its book's, which
/// the `.sdr` folder is named after.
fn untitled(path: &Path) -> String {
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let folder = path.parent().and_then(Path::file_name).map(|n| n.to_string_lossy());
    if name.starts_with("metadata.")
        && name.ends_with(".lua")
        && let Some(book) = folder.as_deref().and_then(|f| f.strip_suffix(".sdr"))
        && !book.trim().is_empty()
    {
        return book.to_string();
    }
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// A highlight's text (spaces folded), page and location.
type Passage = (String, Option<String>, Option<[u64; 2]>);

/// The highlights, each passage once: a re-sync that lists a highlight
/// again (Readwise's "New highlights added" section repeating one, a
/// plugin appending the whole book anew) gives the same text at the same
/// place, which is one highlight. The first is kept, with the note or day
/// a repeat adds.
fn without_repeats(highlights: Vec<Highlight>) -> Vec<Highlight> {
    let mut kept: Vec<Highlight> = Vec::with_capacity(highlights.len());
    let mut at: std::collections::HashMap<Passage, usize> =
        std::collections::HashMap::with_capacity(highlights.len());
    for h in highlights {
        let key = (super::markup::fold_spaces(&h.text), h.page.clone(), h.location);
        match at.get(&key) {
            Some(&first) => {
                let first = &mut kept[first];
                if first.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
                    first.note = h.note;
                }
                first.added = first.added.take().or(h.added);
            }
            None => {
                at.insert(key, kept.len());
                kept.push(h);
            }
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_koreader_sidecar_without_a_title_is_named_after_its_book() {
        let book = Book {
            highlights: vec![Highlight { text: "A passage.".into(), ..Highlight::default() }],
            ..Book::default()
        };
        let path = Path::new("/books/paper.sdr/metadata.pdf.lua");
        let note = to_note(book.clone(), path, "koreader", &mut Vec::new());
        assert_eq!(note.titles[0].text, "paper");
        let note =
            to_note(book, Path::new("/notes/Clippings.txt"), "kindle-clippings", &mut Vec::new());
        assert_eq!(note.titles[0].text, "Clippings");
    }

    #[test]
    fn a_highlight_listed_again_at_the_same_place_is_one_quote() {
        let highlight = |text: &str, location: u64, note: Option<&str>| Highlight {
            text: text.into(),
            location: Some([location, location]),
            note: note.map(str::to_string),
            ..Highlight::default()
        };
        let book = Book {
            title: "Walden".into(),
            highlights: vec![
                highlight("Simplify, simplify.", 1402, None),
                highlight("Another passage.", 1500, None),
                highlight("Simplify,  simplify.", 1402, Some("the hermit's creed")),
                // The same words elsewhere in the book are another highlight.
                highlight("Simplify, simplify.", 2210, None),
            ],
            ..Book::default()
        };
        let note = to_note(book, Path::new("Walden.md"), "readwise", &mut Vec::new());
        let quotes: Vec<(&str, Option<&str>)> =
            note.quotes.iter().map(|q| (q.text.as_str(), q.note_text.as_deref())).collect();
        assert_eq!(
            quotes,
            [
                ("Simplify, simplify.", Some("the hermit's creed")),
                ("Another passage.", None),
                ("Simplify, simplify.", None),
            ]
        );
    }

    #[test]
    fn a_book_becomes_a_note_with_its_quotes_in_the_body() {
        let book = Book {
            title: String::new(),
            authors: vec!["Lee, Kai-Fu".into(), "Kai-Fu Lee".into()],
            url: None,
            line: 1,
            highlights: vec![
                Highlight {
                    text: "First.".into(),
                    line: 3,
                    page: Some("8".into()),
                    location: Some([186, 186]),
                    note: Some("mine".into()),
                    added: Some("2024-03-09".into()),
                    ..Highlight::default()
                },
                Highlight {
                    text: "Second.".into(),
                    line: 9,
                    location: Some([200, 210]),
                    ..Highlight::default()
                },
            ],
        };
        let mut warnings = Vec::new();
        let note =
            to_note(book, Path::new("/x/My Clippings.txt"), "kindle-clippings", &mut warnings);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(note.titles[0].text, "My Clippings");
        assert_eq!(note.authors, ["Kai-Fu Lee"]);
        assert_eq!(note.source.as_deref(), Some("kindle-clippings"));
        let q = &note.quotes;
        assert_eq!(&note.body[q[1].offset..q[1].offset + q[1].text.len()], "Second.");
        assert_eq!(q[0].reference.as_ref().map(|r| r.display.as_str()), Some("p. 8"));
        assert_eq!(q[1].reference.as_ref().map(|r| r.display.as_str()), Some("loc. 200-210"));
        assert_eq!(q[0].note_text.as_deref(), Some("mine"));
        assert!(note.body.contains("mine"));
    }

    #[test]
    fn a_highlight_dated_on_no_day_keeps_its_place_without_the_date() {
        let highlight = |text: &str, line, added: &str| Highlight {
            text: text.into(),
            line,
            added: Some(added.into()),
            ..Highlight::default()
        };
        let book = Book {
            title: "T".into(),
            highlights: vec![
                highlight("Kept.", 4, "2024-02-29T10:00:00"),
                highlight("Undated.", 9, "2023-02-29T10:00:00"),
            ],
            ..Book::default()
        };
        let mut warnings = Vec::new();
        let note =
            to_note(book, Path::new("/x/My Clippings.txt"), "kindle-clippings", &mut warnings);
        let added: Vec<_> = note.quotes.iter().map(|q| q.added.as_deref()).collect();
        assert_eq!(added, [Some("2024-02-29T10:00:00"), None]);
        assert_eq!(note.quotes[1].text, "Undated.");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0].line, Some(9));
        assert!(warnings[0].message.contains("`2023-02-29T10:00:00`"), "{}", warnings[0].message);
        assert!(warnings[0].message.contains("February 2023 has 28 days"));
    }
}
