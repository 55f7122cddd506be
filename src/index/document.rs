//! A parsed [`Note`] into Tantivy documents: one note document and one
//! document per quote. See [`super::schema`] for what each field holds.

use serde::{Deserialize, Serialize};
use tantivy::TantivyDocument;

use super::analyzer::tag;
use super::schema::{Fields, KIND_NOTE, KIND_QUOTE, quote_block};
use crate::note::{Note, Reference, Title};

/// What a hit needs to show its note, stored as JSON on every document,
/// and the part of every note-shaped answer (a note hit, a note as the
/// index holds it) that names the note, flattened into it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct NoteCard {
    /// The note's file, absolute.
    pub path: String,
    /// The note's name.
    pub name: String,
    /// Its titles.
    pub titles: Vec<Title>,
    /// Its authors.
    pub authors: Vec<String>,
    /// Its derived year.
    pub year: Option<u64>,
}

/// Where the quotes and inline references sit in a note's body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Spans {
    /// One per quote: byte range in the body, file line, reference.
    pub quotes: Vec<QuoteSpan>,
    /// Inline references: byte offset in the body, and the reference.
    pub inline: Vec<InlineSpan>,
}

/// A quote's place in the body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuoteSpan {
    /// Byte offset of the quote's first character in the body.
    pub start: usize,
    /// Byte offset just past its last character.
    pub end: usize,
    /// Its line in the file.
    pub line: usize,
    /// Its reference.
    pub reference: Option<Reference>,
    /// Its vector's key (of [`super::schema::embed_text`]): a note found
    /// by meaning through this quote shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<u64>,
}

impl Spans {
    /// The quotes' byte ranges in the body.
    pub fn quote_ranges(&self) -> Vec<(usize, usize)> {
        self.quotes.iter().map(|q| (q.start, q.end)).collect()
    }
}

/// An inline reference's place in the body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InlineSpan {
    /// Byte offset in the body.
    pub offset: usize,
    /// The reference.
    pub reference: Reference,
}

/// File facts recorded for incremental updates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FileStamp {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, ns since the epoch.
    pub mtime: u64,
    /// xxh3 of the bytes.
    pub fingerprint: u64,
}

/// The note's card. Its path is for people (lossy when the path is not
/// UTF-8), not the note's id.
pub fn card(note: &Note) -> NoteCard {
    NoteCard {
        path: note.path.to_string_lossy().into_owned(),
        name: note.name.clone(),
        titles: note.titles.clone(),
        authors: note.authors.clone(),
        year: note.year,
    }
}

/// Which file a note's documents come from: the id they carry.
#[derive(Debug, Clone, Copy)]
pub struct Ids<'a> {
    /// The file's id (every note of the file shares it).
    pub file: &'a str,
}

/// The note's documents: the note first, then one per quote. They must be
/// added as one batch (`IndexWriter::run`), in this order: see
/// [`super::schema::QUOTE_BLOCK`]. The notes of one file may share a batch,
/// each note's documents following each other.
pub fn documents(
    fields: &Fields,
    note: &Note,
    ids: Ids<'_>,
    stamp: FileStamp,
) -> Vec<TantivyDocument> {
    let card_json = serde_json::to_string(&card(note)).unwrap_or_default();
    let shared = Shared::new(note);
    let mut docs = Vec::with_capacity(1 + note.quotes.len());

    let mut doc = TantivyDocument::new();
    doc.add_text(fields.kind, KIND_NOTE);
    // No `note_id`: nothing read it (a hit's id comes from its card, a
    // delete goes by file), and its 100,000 long unique terms were sorted
    // and written by every build.
    doc.add_text(fields.file_id, ids.file);
    shared.add_to(fields, &mut doc, Kind::Note);
    let language = note.language.as_deref();
    doc.add_text(fields.body, tag(&prose_without_quotes(note), language));
    let quotes = note.quotes.len() as u32;
    doc.add_u64(fields.quote_block, quote_block(0, quotes));
    doc.add_text(fields.body_text, &note.body);
    let spans = Spans {
        quotes: note
            .quotes
            .iter()
            .map(|q| QuoteSpan {
                start: q.offset,
                end: q.offset + q.text.len(),
                line: q.line,
                reference: q.reference.clone(),
                key: Some(quote_key(q)),
            })
            .collect(),
        inline: note
            .references
            .iter()
            .map(|r| InlineSpan { offset: r.offset, reference: r.reference.clone() })
            .collect(),
    };
    doc.add_text(fields.spans, serde_json::to_string(&spans).unwrap_or_default());
    doc.add_text(fields.card, &card_json);
    let title = note.titles.first().map(|t| t.text.as_str());
    // The note's meaning: its own prose's passages and its quotes.
    for key in super::passages::chunk_keys(title, &note.body, &spans.quote_ranges()) {
        doc.add_u64(fields.chunk_hash, key);
    }
    for quote in &spans.quotes {
        if let Some(key) = quote.key {
            doc.add_u64(fields.chunk_hash, key);
        }
    }
    doc.add_u64(fields.size, stamp.size);
    doc.add_u64(fields.mtime, stamp.mtime);
    doc.add_u64(fields.fingerprint, stamp.fingerprint);
    docs.push(doc);

    // Each quote's key was worked out once, for its span.
    for (i, (quote, span)) in note.quotes.iter().zip(&spans.quotes).enumerate() {
        let mut doc = TantivyDocument::new();
        doc.add_text(fields.kind, KIND_QUOTE);
        let back = i as u32 + 1;
        doc.add_u64(fields.quote_block, quote_block(back, quotes - back));
        // Only the file's id: quotes go when their file does, and one id
        // term per quote keeps a build as cheap as before files held many
        // notes.
        doc.add_text(fields.file_id, ids.file);
        shared.add_to(fields, &mut doc, Kind::Quote);
        doc.add_text(fields.quote, tag(&quote.text, language));
        if let Some(key) = span.key {
            doc.add_u64(fields.text_hash, key);
        }
        doc.add_u64(fields.line, quote.line as u64);
        if let Some(reference) = &quote.reference {
            doc.add_text(fields.reference, serde_json::to_string(reference).unwrap_or_default());
            if let Some([first, last]) = reference.pages {
                doc.add_u64(fields.page_start, first);
                doc.add_u64(fields.page_end, last);
            }
            if let Some([first, last]) = reference.locations {
                doc.add_u64(fields.location_start, first);
                doc.add_u64(fields.location_end, last);
            }
        }
        if let Some(text) = &quote.note_text {
            doc.add_text(fields.note_text, tag(text, language));
        }
        if let Some(added) = &quote.added {
            doc.add_text(fields.added, added);
            if let Some(days) = crate::note::date::days_since_epoch(added) {
                doc.add_u64(fields.added_days, days);
            }
        }
        doc.add_text(fields.card, &card_json);
        docs.push(doc);
    }
    docs
}

/// Which kind of document is being built.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Note,
    Quote,
}

/// What a note's documents share, worked out once per note.
struct Shared<'a> {
    note: &'a Note,
    /// Tags, lower-cased.
    tags: Vec<String>,
    /// Years derived from the header, consecutive duplicates dropped.
    years: Vec<u64>,
}

impl<'a> Shared<'a> {
    fn new(note: &'a Note) -> Self {
        let tags = note.tags.iter().map(|t| t.to_lowercase()).collect();
        let mut years: Vec<u64> =
            note.years.iter().filter_map(|y| crate::note::header::derive_year(y)).collect();
        years.dedup();
        Shared { note, tags, years }
    }

    /// Title, author, tags and years, on notes and quotes alike so filters
    /// and `title:`/`author:` work on both. Titles and authors go to fields
    /// of each kind's own, so a text query never needs a `kind` filter (and
    /// notes' and quotes' length statistics stay apart).
    fn add_to(&self, fields: &Fields, doc: &mut TantivyDocument, kind: Kind) {
        let (title, author) = match kind {
            Kind::Note => (fields.title, fields.author),
            Kind::Quote => (fields.quote_title, fields.quote_author),
        };
        let language = self.note.language.as_deref();
        for text in &self.note.titles {
            doc.add_text(title, tag(&text.text, language));
        }
        for name in &self.note.authors {
            doc.add_text(author, tag(name, language));
            if kind == Kind::Note {
                doc.add_text(fields.author_key, name.to_lowercase());
            }
        }
        for tag in &self.tags {
            doc.add_text(fields.tag, tag);
        }
        for &year in &self.years {
            doc.add_u64(fields.year, year);
        }
        if let Some(source) = &self.note.source {
            doc.add_text(fields.source, source);
        }
        if let Some(language) = language {
            doc.add_text(fields.language, language);
        }
    }
}

/// The key of a quote's vector: the hash of its embedded text.
fn quote_key(quote: &crate::note::Quote) -> u64 {
    let embedded = super::schema::embed_text(&quote.text, quote.note_text.as_deref());
    crate::embed::store::key(&embedded)
}

/// The body with every quote's text cut out: quotes are indexed on their own.
fn prose_without_quotes(note: &Note) -> String {
    let mut prose = String::with_capacity(note.body.len());
    let mut at = 0;
    for quote in &note.quotes {
        let start = quote.offset.min(note.body.len());
        if start >= at {
            prose.push_str(note.body.get(at..start).unwrap_or(""));
            prose.push('\n');
            at = (quote.offset + quote.text.len()).min(note.body.len());
        }
    }
    prose.push_str(note.body.get(at..).unwrap_or(""));
    prose
}
