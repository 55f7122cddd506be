//! The note model: one reading-note file parsed into a [`Note`].
//!
//! This module owns turning bytes into readable, typed data. It knows nothing
//! of Tantivy, the index or the terminal. The pieces:
//!
//! - [`header`]: the `key: value` header and YAML front matter;
//! - [`body`]: the Markdown body (through pulldown-cmark's event stream) into
//!   readable text, quotes and their `<footer>` references;
//! - [`reference`](mod@reference): what a page reference says (`p. 52`, `pp. 175-176`,
//!   `chapter XXIV`, `Calvino, 1972, p. 97`, …);
//! - [`markup`]: HTML and entities in header values and raw HTML blocks;
//! - [`date`]: which `YYYY-MM-DD` days exist (a header's dates, a
//!   highlight's, `--since`);
//! - [`highlights`]: highlight exports (Kindle clippings and notebooks,
//!   Readwise, the Kindle and Apple Books plugins, KOReader, Bookcision,
//!   Kobo's database), one note per book.
//!
//! # The JSON contract (`folio show --json`)
//!
//! A [`Note`] serializes to one JSON object with these keys:
//!
//! ```text
//! path, name, titles[{text, url}], authors[], publisher, years[], year,
//! isbn, isbn13, acquired, start, stop, tags[], fields{key: [values]},
//! body, quotes[{text, line, offset, reference, note_text, added}],
//! references[{display, kind, pages, locations, attribution, url, offset}],
//! source, language
//! ```
//!
//! `reference` is `{display, kind, pages, locations, attribution, url}` or
//! `null`; `kind` is one of `page`, `page_range`, `location`, `chapter`,
//! `section`, `link`, `other`; `pages` is `[first, last]` for arabic page
//! numbers, else `null`; `locations` is `[first, last]` Kindle locations,
//! else `null` (a highlight with a page and a location has kind `page`,
//! shows `p. 88`, and keeps both). A highlight's `note_text` is the
//! reader's own note on it and `added` when it was made (ISO 8601, `null`
//! when the export does not say). `source` is the export a highlight note
//! was read from (`kindle-clippings`, `readwise`, `kindle-plugin`,
//! `apple-books`, `koreader`, `bookcision`, `kindle-notebook`, `kobo`),
//! `null` for a hand-written note.
//! `language` is the note's ISO 639-1 code (`en`, `ru`, `zh`, …), declared
//! by `lang:` / `language:` or detected from its text, `null` when neither
//! says.
//!
//! A highlight export holds many notes (a clippings file, one per book):
//! [`parse_many`] reads them all, and `folio show --json` prints one object
//! per note, one a line.
//! Absent scalar header values are `null`. `offset`s are byte offsets into
//! `body`; `line`s are 1-based lines of the file.
//!
//! # Bad input
//!
//! [`parse`] never panics. A file that cannot be a note (binary, empty) is an
//! error (a Kobo database, binary too, is read by [`parse_many`] before any
//! decoding); a note that can be read despite a problem (invalid UTF-8, a header
//! line without `:`, an unterminated front matter, a `<footer>` outside any
//! quote, a header with no body, a date that is no day of the calendar, which
//! is dropped) parses with [`Warning`]s. Invalid UTF-8 is
//! read lossily: bad bytes become U+FFFD and a warning names the first line.

pub mod body;
pub mod date;
pub mod header;
pub mod highlights;
pub mod language;
pub mod markup;
pub mod reference;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::NoteError;
pub use reference::{Reference, ReferenceKind};

/// One reading note, parsed.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Note {
    /// The file it came from (in JSON, lossy text when not UTF-8).
    #[serde(serialize_with = "lossy_path")]
    pub path: PathBuf,
    /// `name:` from the header, else the file name without extension.
    pub name: String,
    /// Titles in header order (original, translations).
    pub titles: Vec<Title>,
    /// Authors in header order (author, translator, editor).
    pub authors: Vec<String>,
    /// Publisher, when given.
    pub publisher: Option<String>,
    /// Years as written (`1961-1963`, `<i>1943</i>` becomes `1943`).
    pub years: Vec<String>,
    /// The first year a number can be derived from.
    pub year: Option<u64>,
    /// ISBN-10 as written.
    pub isbn: Option<String>,
    /// ISBN-13 as written.
    pub isbn13: Option<String>,
    /// When the book was acquired (ISO date or bare year).
    pub acquired: Option<String>,
    /// When reading started.
    pub start: Option<String>,
    /// When reading stopped.
    pub stop: Option<String>,
    /// Tags from `tags:` (comma separated) or a YAML list.
    pub tags: Vec<String>,
    /// Every other header field, kept in order of appearance per key.
    pub fields: BTreeMap<String, Vec<String>>,
    /// The readable text of the body: no markup, no URLs, entities decoded.
    /// Blocks are separated by a blank line. Quote texts are part of it.
    pub body: String,
    /// Quoted passages (blockquotes), in order.
    pub quotes: Vec<Quote>,
    /// Page references written inline in the prose, like `"bathos" (p.216)`.
    pub references: Vec<InlineReference>,
    /// The export format a highlight note was read from (`kindle-clippings`,
    /// `readwise`, `kindle-plugin`, `apple-books`, `koreader`, `bookcision`,
    /// `kindle-notebook`, `kobo`); `None` for a note written by hand.
    pub source: Option<String>,
    /// Its language, an ISO 639-1 code (`en`, `ru`, `zh`): declared by
    /// `lang:` / `language:` in the header, else detected from its text
    /// ([`language`]); `None` when neither says.
    pub language: Option<String>,
}

/// Serializes a path as text, lossily when it is not UTF-8 (serde's own
/// `PathBuf` serializer fails on such a path, failing `folio show --json`).
pub(crate) fn lossy_path<S: serde::Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&path.to_string_lossy())
}

/// A title and the link it carried, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Title {
    /// Readable title text.
    pub text: String,
    /// The URL of a `[text](url)` or `<a href>` title.
    pub url: Option<String>,
}

/// A quoted passage and the reference in its `<footer>`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Quote {
    /// The passage's readable text (also found in [`Note::body`] at `offset`).
    pub text: String,
    /// 1-based line of the file where the quote starts.
    pub line: usize,
    /// Byte offset of `text` in the note's body.
    pub offset: usize,
    /// What its `<footer>` says, if it has one; for a highlight, its page,
    /// location or chapter.
    pub reference: Option<Reference>,
    /// The reader's own note on a highlight, when the export has one.
    pub note_text: Option<String>,
    /// When the highlight was made, ISO 8601 (`2024-03-09` or
    /// `2024-03-09T14:56:46`), when the export records it.
    pub added: Option<String>,
}

/// A page reference found in the prose, with its place in the body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InlineReference {
    /// The reference itself.
    #[serde(flatten)]
    pub reference: Reference,
    /// Byte offset of the reference in the note's body.
    pub offset: usize,
}

/// Something odd about a note that did not stop it from being read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is odd and what to do about it.
    pub message: String,
}

/// A parsed note and what was odd about it.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The note.
    pub note: Note,
    /// Problems that did not stop the parse.
    pub warnings: Vec<Warning>,
}

impl Parsed {
    /// The warnings as [`NoteError`]s naming the file, for reporting.
    pub fn warning_errors(&self) -> Vec<NoteError> {
        self.warnings
            .iter()
            .map(|w| NoteError {
                path: self.note.path.clone(),
                line: w.line,
                message: w.message.clone(),
            })
            .collect()
    }
}

/// Reads and parses the note at `path`.
pub fn read(path: &Path) -> Result<Parsed, NoteError> {
    let bytes =
        std::fs::read(path).map_err(|err| NoteError::new(path, read_error_message(&err)))?;
    parse(path, &bytes)
}

/// A read error in words, with what to do.
pub fn read_error_message(err: &std::io::Error) -> String {
    match err.kind() {
        std::io::ErrorKind::PermissionDenied => {
            "cannot read the file (permission denied); check its permissions".to_string()
        }
        std::io::ErrorKind::NotFound => {
            "file not found (it does not exist, or vanished before it could be read)".to_string()
        }
        std::io::ErrorKind::IsADirectory => "is a folder, not a note".to_string(),
        _ => format!("cannot read the file: {err}"),
    }
}

/// Reads the file at `path` as every note it holds (see [`parse_many`]).
pub fn read_many(path: &Path) -> Result<Vec<Parsed>, NoteError> {
    let bytes =
        std::fs::read(path).map_err(|err| NoteError::new(path, read_error_message(&err)))?;
    parse_many(path, &bytes)
}

/// Parses every note a file holds: a highlight export (recognised by its
/// content, see [`highlights`]) is one note per book, in file order; any
/// other file is one note, as [`parse`] reads it. The file's warnings go
/// with its first note.
pub fn parse_many(path: &Path, bytes: &[u8]) -> Result<Vec<Parsed>, NoteError> {
    // A Kobo database is binary: recognised before the text is decoded.
    if highlights::kobo::is_sqlite(bytes) {
        let books = highlights::kobo::read(path).map_err(|p| NoteError::new(path, p.message()))?;
        return export_notes(path, highlights::Export { source: "kobo", books }, Vec::new());
    }
    if highlights::kobo::is_kobo_name(path) {
        return Err(NoteError::new(path, not_a_kobo_database()));
    }
    let (text, mut warnings) = decode(path, bytes)?;
    let mut found = Vec::new();
    let Some(export) = highlights::read(&text, &mut found) else {
        return Ok(vec![parse_text(path, &text, warnings)]);
    };
    warnings.append(&mut found);
    export_notes(path, export, warnings)
}

/// What to say of a `KoboReader.sqlite` that is not an SQLite database.
fn not_a_kobo_database() -> String {
    "named like Kobo's database but not an SQLite database (empty or damaged); skipped: \
     copy KoboReader.sqlite from the reader's .kobo folder again (eject it safely first)"
        .to_string()
}

/// The notes of an export, one per book; the file's warnings go with the
/// first, before its own. An export with no book is an error (there is nothing to index).
fn export_notes(
    path: &Path,
    export: highlights::Export,
    mut warnings: Vec<Warning>,
) -> Result<Vec<Parsed>, NoteError> {
    if export.books.is_empty() {
        // What the reader found wrong is the cause: said first, at its line.
        if let Some(first) = warnings.first() {
            return Err(NoteError {
                path: path.to_path_buf(),
                line: first.line,
                message: format!("{}; nothing to index", first.message),
            });
        }
        let message = format!(
            "a {} export with no highlights or notes (bookmarks only?); nothing to index",
            export.source
        );
        return Err(NoteError::new(path, message));
    }
    let mut parsed: Vec<Parsed> = export
        .books
        .into_iter()
        .map(|book| {
            let mut own = Vec::new();
            let note = highlights::to_note(book, path, export.source, &mut own);
            Parsed { note, warnings: own }
        })
        .collect();
    if let Some(first) = parsed.first_mut() {
        warnings.append(&mut first.warnings);
        first.warnings = warnings;
    }
    Ok(parsed)
}

/// Whether `path` can only be a highlight export, never a note of its own:
/// a `.json` file (Bookcision, KOReader's exporter), an `.html` or `.htm`
/// file (a Kindle app's notebook), an `.sqlite` file (Kobo's
/// `KoboReader.sqlite`) or a KOReader sidecar, `metadata.EXT.lua` in a
/// `BOOK.sdr` folder. Such a file that is not an export is none of folio's
/// business: it is neither indexed nor reported.
pub fn is_export_only(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else { return false };
    let lower = name.to_ascii_lowercase();
    if [".json", ".html", ".htm", ".sqlite"].iter().any(|ext| lower.ends_with(ext)) {
        return true;
    }
    let in_sdr = path
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.to_ascii_lowercase().ends_with(".sdr"));
    in_sdr && lower.starts_with("metadata.") && lower.ends_with(".lua")
}

/// [`parse_many`] for a file the walk found: `Ok(None)` when the file can
/// only be an export ([`is_export_only`]) and is not one. A database that is
/// not Kobo's is not one; a file named `KoboReader.sqlite` that cannot be
/// read is an error, since it is one.
pub fn parse_file(path: &Path, bytes: &[u8]) -> Result<Option<Vec<Parsed>>, NoteError> {
    if highlights::kobo::is_sqlite(bytes) {
        return match highlights::kobo::read(path) {
            Ok(books) => {
                let export = highlights::Export { source: "kobo", books };
                export_notes(path, export, Vec::new()).map(Some)
            }
            Err(highlights::kobo::Problem::NotKobo(_)) if !highlights::kobo::is_kobo_name(path) => {
                Ok(None)
            }
            Err(problem) => Err(NoteError::new(path, problem.message())),
        };
    }
    if highlights::kobo::is_kobo_name(path) {
        return Err(NoteError::new(path, not_a_kobo_database()));
    }
    if !is_export_only(path) {
        return parse_many(path, bytes).map(Some);
    }
    let Ok((text, _)) = decode(path, bytes) else { return Ok(None) };
    let mut found = Vec::new();
    if highlights::read(&text, &mut found).is_none() {
        return Ok(None);
    }
    parse_many(path, bytes).map(Some)
}

/// Parses a note from its bytes; `path` names it in messages and gives the
/// fallback name and title. A highlight export is read as an ordinary note
/// here: [`parse_many`] reads its books.
pub fn parse(path: &Path, bytes: &[u8]) -> Result<Parsed, NoteError> {
    let (text, warnings) = decode(path, bytes)?;
    Ok(parse_text(path, &text, warnings))
}

/// The file's text: refused when binary or empty, read lossily (with a
/// warning) when not UTF-8, without its byte-order mark.
fn decode<'a>(
    path: &Path,
    bytes: &'a [u8],
) -> Result<(std::borrow::Cow<'a, str>, Vec<Warning>), NoteError> {
    if bytes.contains(&0) {
        return Err(NoteError::new(
            path,
            "binary file (it contains NUL bytes), not a note; skipped",
        ));
    }
    let mut warnings = Vec::new();
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(err) => {
            let line = 1 + bytes[..err.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
            warnings.push(Warning {
                line: Some(line),
                message: "not valid UTF-8: invalid bytes were replaced with U+FFFD; \
                          re-save the file as UTF-8"
                    .to_string(),
            });
            String::from_utf8_lossy(bytes)
        }
    };
    // A byte-order mark is an encoding artefact, not text.
    let text = match text {
        std::borrow::Cow::Borrowed(t) => {
            std::borrow::Cow::Borrowed(t.strip_prefix('\u{feff}').unwrap_or(t))
        }
        std::borrow::Cow::Owned(t) => match t.strip_prefix('\u{feff}') {
            Some(rest) => std::borrow::Cow::Owned(rest.to_string()),
            None => std::borrow::Cow::Owned(t),
        },
    };
    if text.trim().is_empty() {
        return Err(NoteError::new(path, "empty file, nothing to index; skipped"));
    }
    Ok((text, warnings))
}

/// Parses an ordinary (hand-written) note from its decoded text.
fn parse_text(path: &Path, text: &str, mut warnings: Vec<Warning>) -> Parsed {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let split = header::split(text, &mut warnings);
    let mut note = Note { path: path.to_path_buf(), ..Note::default() };
    header::apply(&split.header, &mut note, &mut warnings);

    let body = body::parse(&text[split.body_start..], split.body_line, &mut warnings);
    if split.header.has_fields() && body.text.trim().is_empty() {
        warnings.push(Warning {
            line: None,
            message: "the header has no body after it (no notes or quotes yet)".to_string(),
        });
    }
    if note.titles.is_empty() {
        let text = body.first_heading.clone().unwrap_or_else(|| stem.clone());
        note.titles.push(Title { text, url: None });
    }
    if note.name.is_empty() {
        note.name = stem;
    }
    note.body = body.text;
    note.quotes = body.quotes;
    note.references = reference::find_inline(&note.body);
    note.language = language::of(&note);
    Parsed { note, warnings }
}
