//! KOReader's highlights, read into [`Book`]s: the `BOOK.sdr/metadata.EXT.lua`
//! sidecar KOReader keeps next to each book, and the JSON, Markdown and text
//! files that its exporter plugin writes (the `json` and `exported`
//! submodules). This module owns what KOReader's
//! fields mean; the `lua` submodule reads the Lua syntax; finding the files
//! is the caller's job.
//!
//! The sidecar is `-- we can read Lua syntax here!` then `return { … }`,
//! serialised by `frontend/dump.lua`. The book is `doc_props.title` and
//! `doc_props.authors` (crengine separates several authors with newlines),
//! else the same keys of `stats`. Highlights come in two shapes, read as
//! KOReader's exporter does (`plugins/exporter.koplugin/clip.lua`,
//! `getClippingsFromBook`): `annotations` when present, else the older pair
//! `highlight` + `bookmarks`.
//!
//! - `annotations` (KOReader 2024.05 on, `ReaderAnnotation:buildAnnotation`):
//!   an array of `{datetime, drawer, text, note, chapter, pageno, pageref,
//!   page, pos0, pos1, …}`. An item without `drawer` is a page bookmark, not
//!   a quote. The page is `pageref` (the book's own page label) else
//!   `pageno`; `page` is an xpointer string for reflowable books and only
//!   stands in when it is a number (PDF, DjVu).
//! - `highlight` = `{[page] = {[1] = {datetime, text, chapter, drawer, pos0,
//!   pos1}}}` and `bookmarks` = `{[1] = {datetime, highlighted, notes, text,
//!   page, chapter}}`, where a bookmark with the highlight's `datetime`
//!   carries the reader's note in `text`, unless `text` is KOReader's
//!   automatic `Page 12 <quote> @ 2024-01-05 10:11:12`.
//!
//! `datetime` (`2024-01-05 10:11:12`, the device's local time) becomes
//! `added` as `2024-01-05T10:11:12`. A sidecar with no highlight yields no
//! book. A sidecar that names no title (nor `doc_path`, KOReader's record of
//! the book's file) yields a book with an empty title, for the caller to
//! name after the file.

mod exported;
mod json;
mod lua;

use super::{Book, Highlight, authors};
use crate::note::Warning;
use lua::{Field, Key, Read, Table, Value};

/// Keys only a KOReader book sidecar has at its top level: a table with one
/// of them is a sidecar, even when it holds no highlight.
const SIDECAR_KEYS: &[&str] = &[
    "annotations",
    "highlight",
    "bookmarks",
    "doc_props",
    "stats",
    "doc_path",
    "doc_pages",
    "summary",
    "percent_finished",
    "last_xpointer",
    "partial_md5_checksum",
];

/// The first line of every file `frontend/docsettings.lua` writes.
const HEADER: &str = "-- we can read Lua syntax here!";

/// Reads a KOReader sidecar (`metadata.*.lua`) or an exporter-plugin JSON
/// file. `None` when `text` is neither; otherwise the books with at least one
/// highlight, and one warning per problem, each with its line.
pub fn parse(text: &str, warnings: &mut Vec<Warning>) -> Option<Vec<Book>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim_start().starts_with('{') {
        return json::parse(text, warnings);
    }
    if let Some(books) = exported::parse_markdown(text).or_else(|| exported::parse_text(text)) {
        return Some(books);
    }
    let has_header = text.trim_start().starts_with(HEADER);
    let (table, error) = match lua::read(text) {
        Read::NotLua => return None,
        Read::NotTable { line } => {
            if !has_header {
                return None;
            }
            warnings.push(Warning {
                line: Some(line),
                message: "KOReader sidecar does not return a table, so it holds no highlights; \
                          KOReader keeps the previous version as `metadata.*.lua.old` beside it"
                    .to_string(),
            });
            return Some(Vec::new());
        }
        Read::Table { table, error } => (table, error),
    };
    let is_sidecar = SIDECAR_KEYS.iter().any(|key| table.get(key).is_some());
    let cut_short = has_header && error.is_some();
    if !(is_sidecar || cut_short) {
        return None;
    }
    if let Some(error) = error {
        warnings.push(Warning {
            line: Some(error.line),
            message: format!(
                "KOReader sidecar: {}; nothing after it was read (KOReader keeps the \
                 previous version as `metadata.*.lua.old` beside it)",
                error.message
            ),
        });
    }
    let mut book = Book { line: 1, ..Book::default() };
    title_and_authors(&table, &mut book);
    if let Some(annotations) = table.get("annotations") {
        book.highlights = from_annotations(annotations, warnings);
    } else if let Some(highlight) = table.get("highlight") {
        book.highlights = from_highlight(highlight, table.get("bookmarks"), warnings);
    }
    match book.highlights.first() {
        Some(first) => {
            book.line = first.line;
            Some(vec![book])
        }
        None => Some(Vec::new()),
    }
}

/// `doc_props` first (what the book's metadata says), then `stats`, which
/// the statistics plugin fills from the same metadata, then the name of the
/// book's file from `doc_path`.
fn title_and_authors(table: &Table, book: &mut Book) {
    for source in ["doc_props", "stats"] {
        let Some(Field { value: Value::Table(props), .. }) = table.get(source) else { continue };
        if book.title.is_empty() {
            book.title = string(props, "title").unwrap_or_default();
        }
        if book.authors.is_empty() {
            book.authors = string(props, "authors").map(|a| authors::split(&a)).unwrap_or_default();
        }
    }
    if book.title.is_empty()
        && let Some(path) = string(table, "doc_path")
    {
        let name = path.rsplit(['/', '\\']).next().unwrap_or(&path);
        let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
        book.title = stem.trim().to_string();
    }
}

/// A trimmed, non-empty string field.
fn string(table: &Table, key: &str) -> Option<String> {
    match &table.get(key)?.value {
        Value::Str(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    }
}

/// A page as written: numbers without a fraction as integers, labels as is.
fn page(value: &Value) -> Option<String> {
    match value {
        Value::Num(n) if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 => {
            Some(format!("{}", *n as i64))
        }
        Value::Num(n) if n.is_finite() => Some(n.to_string()),
        Value::Str(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    }
}

fn num_key(key: &Key) -> Option<String> {
    match key {
        Key::Num(n) => page(&Value::Num(*n)),
        Key::Str(s) => page(&Value::Str(s.clone())),
        Key::Other => None,
    }
}

/// `2024-01-05 10:11:12` → `2024-01-05T10:11:12`; `None` (and a warning)
/// for anything else.
fn added(table: &Table, warnings: &mut Vec<Warning>) -> Option<String> {
    let field = table.get("datetime")?;
    let Value::Str(raw) = &field.value else {
        warnings.push(type_warning(field, "datetime", "a date string"));
        return None;
    };
    let iso = iso_datetime(raw.trim());
    if iso.is_none() {
        warnings.push(Warning {
            line: Some(field.line),
            message: format!(
                "KOReader datetime `{raw}` is not `YYYY-MM-DD HH:MM:SS`; the highlight is kept \
                 without its date"
            ),
        });
    }
    iso
}

pub(super) fn iso_datetime(raw: &str) -> Option<String> {
    let b = raw.as_bytes();
    let digits = |range: std::ops::Range<usize>| b[range].iter().all(u8::is_ascii_digit);
    let date_ok = b.len() >= 10 && digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-';
    if !date_ok || !digits(8..10) {
        return None;
    }
    match b.len() {
        10 => Some(raw.to_string()),
        19 if matches!(b[10], b' ' | b'T')
            && digits(11..13)
            && b[13] == b':'
            && digits(14..16)
            && b[16] == b':'
            && digits(17..19) =>
        {
            Some(format!("{}T{}", &raw[..10], &raw[11..]))
        }
        _ => None,
    }
}

fn type_warning(field: &Field, key: &str, expected: &str) -> Warning {
    Warning {
        line: Some(field.line),
        message: format!("KOReader `{key}` should be {expected}; ignored"),
    }
}

/// A string field that may be absent; a field of another type is warned about.
fn text_field(table: &Table, key: &str, warnings: &mut Vec<Warning>) -> Option<String> {
    let field = table.get(key)?;
    match &field.value {
        Value::Str(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Nil => None,
        _ => {
            warnings.push(type_warning(field, key, "a string"));
            None
        }
    }
}

/// The newer `annotations` array.
fn from_annotations(annotations: &Field, warnings: &mut Vec<Warning>) -> Vec<Highlight> {
    let Value::Table(list) = &annotations.value else {
        warnings.push(type_warning(annotations, "annotations", "a table"));
        return Vec::new();
    };
    let mut out = Vec::new();
    for item in list.items() {
        let Value::Table(a) = &item.value else {
            warnings.push(type_warning(item, "annotations", "a list of tables"));
            continue;
        };
        // No drawer: a page bookmark (clip.lua's parseAnnotations skips it too).
        if a.get("drawer").is_none() {
            continue;
        }
        // No text: a highlight drawn over an image in a PDF, not a quote.
        let Some(text) = text_field(a, "text", warnings) else { continue };
        let page = ["pageref", "pageno"]
            .iter()
            .find_map(|k| a.get(k).and_then(|f| page(&f.value)))
            .or_else(|| match a.get("page").map(|f| &f.value) {
                Some(v @ Value::Num(_)) => page(v),
                _ => None,
            });
        out.push(Highlight {
            text,
            line: item.line,
            page,
            location: None,
            chapter: text_field(a, "chapter", warnings),
            note: text_field(a, "note", warnings),
            added: added(a, warnings),
        });
    }
    out
}

/// The older `highlight` table (by page) with notes from `bookmarks`.
fn from_highlight(
    highlight: &Field,
    bookmarks: Option<&Field>,
    warnings: &mut Vec<Warning>,
) -> Vec<Highlight> {
    let Value::Table(pages) = &highlight.value else {
        warnings.push(type_warning(highlight, "highlight", "a table"));
        return Vec::new();
    };
    let bookmarks: Vec<&Table> = match bookmarks.map(|f| (f, &f.value)) {
        Some((_, Value::Table(list))) => list
            .items()
            .into_iter()
            .filter_map(|f| match &f.value {
                Value::Table(t) => Some(t),
                _ => None,
            })
            .collect(),
        Some((field, _)) => {
            warnings.push(type_warning(field, "bookmarks", "a table"));
            Vec::new()
        }
        None => Vec::new(),
    };
    // Pages in reading order; KOReader writes them in hash order.
    let mut by_page: Vec<(f64, &Field)> = pages
        .fields
        .iter()
        .map(|f| match &f.key {
            Key::Num(n) => (*n, f),
            Key::Str(s) => (s.parse().unwrap_or(f64::MAX), f),
            Key::Other => (f64::MAX, f),
        })
        .collect();
    by_page.sort_by(|a, b| a.0.total_cmp(&b.0));

    let mut out = Vec::new();
    let mut matched = Vec::new();
    for (_, page_field) in by_page {
        let Value::Table(items) = &page_field.value else {
            warnings.push(type_warning(page_field, "highlight", "a table of pages"));
            continue;
        };
        for item in items.items() {
            let Value::Table(h) = &item.value else {
                warnings.push(type_warning(item, "highlight", "a list of tables"));
                continue;
            };
            let Some(text) = text_field(h, "text", warnings) else { continue };
            let datetime = string(h, "datetime");
            let bookmark = datetime.as_ref().and_then(|d| {
                bookmarks.iter().position(|b| string(b, "datetime").as_ref() == Some(d))
            });
            let note = bookmark.and_then(|i| bookmark_note(bookmarks[i], &text));
            matched.extend(bookmark);
            out.push(Highlight {
                line: item.line,
                page: num_key(&page_field.key),
                location: None,
                chapter: text_field(h, "chapter", warnings),
                note,
                added: added(h, warnings),
                text,
            });
        }
    }
    // A highlighted bookmark whose highlight entry is gone still marks a
    // passage (KOReader's migration turns it into a highlight too).
    for (i, b) in bookmarks.iter().enumerate() {
        let highlighted = matches!(b.get("highlighted").map(|f| &f.value), Some(Value::Bool(true)));
        if !highlighted || matched.contains(&i) {
            continue;
        }
        let Some(text) = string(b, "notes") else { continue };
        if out.iter().any(|h| h.text == text) {
            continue;
        }
        out.push(Highlight {
            line: b.line,
            page: b.get("page").and_then(|f| match &f.value {
                v @ Value::Num(_) => page(v),
                _ => None,
            }),
            location: None,
            chapter: text_field(b, "chapter", warnings),
            note: bookmark_note(b, &text),
            added: added(b, warnings),
            text,
        });
    }
    out
}

/// The reader's note in a bookmark's `text`, unless that is the quote itself
/// or KOReader's automatic `Page %1 %2 @ %3` (translated, so recognised by
/// its ` @ datetime` end and the quote inside it).
fn bookmark_note(bookmark: &Table, quote: &str) -> Option<String> {
    let text = string(bookmark, "text")?;
    if text == quote {
        return None;
    }
    let Some(datetime) = string(bookmark, "datetime") else { return Some(text) };
    let Some(body) = text.strip_suffix(&format!(" @ {datetime}")) else { return Some(text) };
    if body.contains(quote) {
        return None;
    }
    // The reader edited the quoted part of the automatic text: that is the note.
    let body = body
        .strip_prefix("Page ")
        .map_or(body, |rest| rest.split_once(' ').map_or(rest, |(_, after)| after));
    Some(body.trim().to_string()).filter(|b| !b.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fixture(name: &str) -> String {
        let path =
            format!("{}/tests/fixtures/highlights/koreader/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn parse_ok(text: &str) -> (Vec<Book>, Vec<Warning>) {
        let mut warnings = Vec::new();
        let books = parse(text, &mut warnings).expect("recognised as KOReader");
        (books, warnings)
    }

    #[test]
    fn annotations_sidecar() {
        let (books, warnings) = parse_ok(&fixture("The Salt Road.sdr/metadata.epub.lua"));
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(books.len(), 1);
        let book = &books[0];
        assert_eq!(book.title, "The Salt Road");
        assert_eq!(book.authors, ["Maren Holt", "Ilya Vasquez"]);
        // Four highlights; the page bookmark and the PDF-style image highlight are not quotes.
        let texts: Vec<&str> = book.highlights.iter().map(|h| h.text.as_str()).collect();
        assert_eq!(texts.len(), 4, "{texts:?}");
        // pageref (the printed page label) wins over pageno.
        let preface = &book.highlights[0];
        assert_eq!(preface.page.as_deref(), Some("xvi"));
        assert_eq!(preface.chapter.as_deref(), Some("Preface"));
        assert_eq!(book.line, preface.line);
        assert_eq!(book.line, 11);
        let first = &book.highlights[1];
        assert!(first.text.starts_with("Salt was the first currency"), "{first:?}");
        assert_eq!(first.page.as_deref(), Some("12"));
        assert_eq!(first.chapter.as_deref(), Some("1. The White Road"));
        assert_eq!(first.added.as_deref(), Some("2024-01-05T10:11:12"));
        assert_eq!(first.note, None);
        let second = &book.highlights[2];
        assert_eq!(second.note.as_deref(), Some("Compare with the spice routes.\nAsk Ana."));
        assert_eq!(second.text, "A caravan moved at the speed of its slowest \"camel\".");
        assert_eq!(second.page.as_deref(), Some("19"));
        assert_eq!(book.highlights[3].page.as_deref(), Some("88"));
        assert_eq!(book.highlights[3].chapter.as_deref(), Some("Épilogue — «Sel»"));
        for h in &book.highlights {
            assert!(h.location.is_none());
            assert!(h.line > 1);
        }
    }

    #[test]
    fn old_highlight_and_bookmarks_sidecar() {
        let (books, warnings) = parse_ok(&fixture("A Field Guide to Rain.sdr/metadata.pdf.lua"));
        assert!(warnings.is_empty(), "{warnings:?}");
        let book = &books[0];
        assert_eq!(book.title, "A Field Guide to Rain");
        assert_eq!(book.authors, ["Tomas Ferreira"]);
        let got: Vec<(&str, Option<&str>, Option<&str>)> = book
            .highlights
            .iter()
            .map(|h| (h.page.as_deref().unwrap_or(""), h.note.as_deref(), h.added.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                // Page 3: the automatic bookmark text is not a note.
                ("3", None, Some("2021-06-02T08:15:00")),
                // Page 7: the reader's note; page 7's second highlight has none.
                ("7", Some("True of fog too."), Some("2021-06-02T08:20:41")),
                ("7", None, Some("2021-06-03T21:02:09")),
                // Page 41: reached through the numeric sort, not the file order.
                ("41", Some("Gauges lie politely."), Some("2021-06-10T07:00:00")),
            ]
        );
        assert_eq!(book.highlights[0].chapter.as_deref(), Some("Drizzle"));
        assert!(book.highlights[1].text.starts_with("Petrichor"));
    }

    #[test]
    fn stats_title_when_doc_props_lack_it() {
        let text = "return {\n[\"stats\"] = { [\"title\"] = \"Stats Title\", [\"authors\"] = \"A B\" },\n\
                    [\"annotations\"] = { [1] = { [\"drawer\"] = \"lighten\", [\"text\"] = \"words\", [\"pageno\"] = 4 } } }";
        let (books, _) = parse_ok(text);
        assert_eq!(books[0].title, "Stats Title");
        assert_eq!(books[0].authors, ["A B"]);
        assert_eq!(books[0].highlights[0].page.as_deref(), Some("4"));
        assert_eq!(books[0].highlights[0].line, 3);
        let text = "return { [\"doc_path\"] = \"/mnt/us/books/Night Trains.v2.epub\", \
                    [\"annotations\"] = { { drawer = \"lighten\", text = \"t\" } } }";
        assert_eq!(parse_ok(text).0[0].title, "Night Trains.v2");
    }

    #[test]
    fn reflowable_page_is_never_an_xpointer() {
        let text = "return { [\"annotations\"] = { { drawer = \"lighten\", text = \"t\", \
                    page = \"/body/DocFragment[3]/body/p[2]/text().0\" } } }";
        let (books, _) = parse_ok(text);
        assert_eq!(books[0].highlights[0].page, None);
    }

    #[test]
    fn not_koreader_is_none() {
        let mut w = Vec::new();
        for text in [
            "",
            "# A note\n\n> quote",
            "return { a = 1 }",
            "local x = 1\nreturn x",
            "return 42",
            "-- we can read Lua syntax here!\nreturn { [\"cache_max_memsize\"] = 5 }\n",
            "[1, 2]",
            "{\"asin\": \"B0\", \"highlights\": []}",
        ] {
            assert_eq!(parse(text, &mut w), None, "{text}");
        }
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn sidecar_without_highlights_is_recognised_but_empty() {
        let (books, warnings) = parse_ok(
            "return { [\"doc_props\"] = { [\"title\"] = \"T\" }, [\"percent_finished\"] = 0.5 }",
        );
        assert!(books.is_empty());
        assert!(warnings.is_empty());
    }

    #[test]
    fn sidecar_that_is_not_a_table() {
        let (books, warnings) = parse_ok("-- we can read Lua syntax here!\nreturn \"oops\"\n");
        assert!(books.is_empty());
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].line, Some(2));
        assert!(warnings[0].message.contains("not return a table"));
    }

    #[test]
    fn truncated_sidecar_keeps_finished_highlights() {
        let full = fixture("The Salt Road.sdr/metadata.epub.lua");
        // Cut inside the third highlight's text.
        let cut = full.find("The census of salt").expect("fixture text");
        let (books, warnings) = parse_ok(&full[..cut + 10]);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].message.contains("never closed"), "{warnings:?}");
        let line = full[..cut].lines().count();
        assert_eq!(warnings[0].line, Some(line));
        assert_eq!(books[0].highlights.len(), 3);
        // doc_props come after annotations in the file, so the cut lost them:
        // the caller names the book after its file.
        assert_eq!(books[0].title, "");
        assert!(books[0].authors.is_empty());
    }

    #[test]
    fn wrong_types_are_warned_and_skipped() {
        let text = "return {\n\
                    [\"doc_props\"] = { [\"title\"] = \"T\" },\n\
                    [\"annotations\"] = {\n\
                    [1] = \"not a table\",\n\
                    [2] = { [\"drawer\"] = \"lighten\", [\"text\"] = 5 },\n\
                    [3] = { [\"drawer\"] = \"lighten\", [\"text\"] = \"ok\", [\"note\"] = {}, [\"datetime\"] = \"yesterday\" },\n\
                    },\n}";
        let (books, warnings) = parse_ok(text);
        assert_eq!(books[0].highlights.len(), 1);
        let h = &books[0].highlights[0];
        assert_eq!((h.text.as_str(), h.note.as_deref(), h.added.as_deref()), ("ok", None, None));
        let lines: Vec<Option<usize>> = warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [Some(4), Some(5), Some(6), Some(6)], "{warnings:?}");
    }

    #[test]
    fn iso_dates() {
        assert_eq!(iso_datetime("2024-01-05 10:11:12").as_deref(), Some("2024-01-05T10:11:12"));
        assert_eq!(iso_datetime("2024-01-05").as_deref(), Some("2024-01-05"));
        for bad in
            ["", "2024-1-5 10:11:12", "2024-01-05 10:11", "yesterday", "2024-01-05 10:11:12Z"]
        {
            assert_eq!(iso_datetime(bad), None, "{bad}");
        }
    }

    #[test]
    fn automatic_bookmark_text_is_not_a_note() {
        let bm = |text: &str| Table {
            line: 1,
            fields: [("text", text), ("datetime", "2020-01-01 00:00:00")]
                .into_iter()
                .map(|(k, v)| Field {
                    key: Key::Str(k.into()),
                    value: Value::Str(v.into()),
                    line: 1,
                })
                .collect(),
        };
        let q = "the quote";
        assert_eq!(bookmark_note(&bm("Page 5 the quote @ 2020-01-01 00:00:00"), q), None);
        assert_eq!(bookmark_note(&bm("Seite 5 the quote @ 2020-01-01 00:00:00"), q), None);
        assert_eq!(bookmark_note(&bm("the quote"), q), None);
        assert_eq!(bookmark_note(&bm("my note"), q).as_deref(), Some("my note"));
        assert_eq!(
            bookmark_note(&bm("Page 5 changed @ 2020-01-01 00:00:00"), q).as_deref(),
            Some("changed")
        );
    }

    proptest! {
        #[test]
        fn never_panics(text in "(return |\\{|\\}|\\[|\\]|=|,|\"|'|\\\\|--|\\[\\[|\\]\\]|[a-z]{1,8}|[0-9.e+-]{1,6}|\\s|\\PC){0,60}") {
            let mut w = Vec::new();
            let _ = parse(&text, &mut w);
            let _ = parse(&format!("return {{ annotations = {{ {text}"), &mut w);
        }

        #[test]
        fn never_panics_on_cut_fixtures(cut in 0usize..4000) {
            for name in ["The Salt Road.sdr/metadata.epub.lua", "A Field Guide to Rain.sdr/metadata.pdf.lua", "exported.json"] {
                let full = fixture(name);
                let mut end = cut.min(full.len());
                while !full.is_char_boundary(end) {
                    end -= 1;
                }
                let mut w = Vec::new();
                let _ = parse(&full[..end], &mut w);
            }
        }
    }
}
