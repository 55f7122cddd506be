//! The index schema: the one place field names, options and the analyser live.
//!
//! One index holds two kinds of documents (`kind` = `note` or `quote`):
//!
//! - a **note** document ranks whole notes: `title`, `author`, `body` (the
//!   prose *without* the quotes), plus the full readable body stored (not
//!   indexed again) for snippets, and `spans`: where each quote and inline
//!   page reference sits in that body. Words in a note's quotes count toward
//!   the note through its quote documents (`search::join`), so quote text is
//!   tokenized and indexed once.
//! - a **quote** document ranks quoted passages: `quote` (its text, a field of
//!   its own so short quotes are not normalised against long bodies, see
//!   tantivy.md §2), the reference as written and as page numbers, and its
//!   note's title, author and year, so a quote hit renders without a lookup.
//!
//! A note's documents are added as one batch: the note, then its quotes, at
//! consecutive ids in one segment; `quote_block` says where a document's
//! block of note and quotes starts and ends.
//!
//! Passages of prose are not documents: a note hit's snippet is cut from the
//! stored body at query time (only for the hits shown), which keeps the build
//! from tokenizing the prose twice.
//!
//! A file may hold many notes (a Kindle clippings file: one per book).
//! Every document of a file carries its `file_id`, so a changed or removed
//! file's notes are deleted together, by one term; a hit names its note by
//! its card (`search::hit`), so notes need no id term of their own. Update bookkeeping lives in fast fields of note documents
//! (`file_id`, `size`, `mtime`, `fingerprint`: the file's stamp, the same on
//! each of its notes), so it commits atomically with the notes.
//!
//! A highlight's quote document also holds the reader's note on it
//! (`note_text`, analysed and stored: found by its words, ranked below the
//! passage), when it was made (`added` as written, `added_days` for
//! `--since`), its Kindle locations (`location_start`/`location_end`, for
//! `--location`), and the export it came from (`source`, for `stats`).
//!
//! Every document carries its note's `language` (for `stats`, and so a
//! query knows which stemmers the index holds). Analysed text of a note in
//! a language with a stemmer of its own starts with that language's marker
//! (`super::analyzer::tag`), stored values included: read stored text
//! through `super::analyzer::untag`. Format 11 added both and CJK bigrams;
//! format 12 reads the language of short texts in other scripts than
//! Latin (`crate::note::language`), so their words are stemmed, reads a
//! word through a soft hyphen and lower-cases `İ` to a plain `i`; format
//! 13 gives a word whose accents change its stem in its language
//! (`vivía`) both stems at its position, folded before and after the
//! stemmer.
//!
//! Every quote document carries `text_hash`: the key of the vector of its
//! embedded text (`crate::embed::store::key` of [`embed_text`]), indexed
//! to find the documents of the nearest vectors, fast to list the keys
//! the index needs. Every note document carries `chunk_hash`: the keys of
//! its passages' vectors (`super::passages`), so a note is found by meaning
//! through its best passage.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

/// The analyser's name in the schema; it must be registered on every open.
pub const ANALYZER: &str = "folio_en";

/// Version of the index layout this build writes and reads. Bump it when the
/// schema or the meaning of a field changes.
pub const FORMAT_VERSION: u32 = 13;

/// Fast field: a document's place in its note's block of documents (the
/// note, then its quotes), packed by [`quote_block`].
pub const QUOTE_BLOCK: &str = "quote_block";

/// The [`QUOTE_BLOCK`] value of the document `back` places after its note,
/// with `ahead` more documents of the same note after it.
pub fn quote_block(back: u32, ahead: u32) -> u64 {
    (u64::from(back) << 32) | u64::from(ahead)
}

/// `(back, ahead)` of a [`QUOTE_BLOCK`] value.
pub fn quote_block_parts(value: u64) -> (u32, u32) {
    ((value >> 32) as u32, value as u32)
}

/// The text a quote's vector embeds: the passage, then the reader's own
/// note on it, so a highlight is found by what the reader made of it too.
pub fn embed_text(quote: &str, note_text: Option<&str>) -> String {
    match note_text.map(str::trim).filter(|n| !n.is_empty()) {
        Some(note) => format!("{}\n{note}", quote.trim()),
        None => quote.trim().to_string(),
    }
}

/// `kind` of a note document.
pub const KIND_NOTE: &str = "note";
/// `kind` of a quote document.
pub const KIND_QUOTE: &str = "quote";

pub use super::analyzer::analyzer;

/// Typed handles to every field.
#[derive(Debug, Clone)]
pub struct Fields {
    /// The schema they belong to.
    pub schema: Schema,
    /// `note` or `quote`.
    pub kind: Field,
    /// No longer written (nothing read it): kept so that indexes of this
    /// format still open; drop it at the next format change.
    pub note_id: Field,
    /// The file's identity (its absolute path): raw and fast, on every
    /// document of the file, for delete-then-add and the stamps.
    pub file_id: Field,
    /// The export format a highlight note came from (`readwise`, …); raw.
    pub source: Field,
    /// The note's language (ISO 639-1), on notes and quotes; raw, stored
    /// (a hit's words are found in its language).
    pub language: Field,
    /// Titles, analysed.
    pub title: Field,
    /// Authors, analysed.
    pub author: Field,
    /// A quote's book titles, analysed.
    pub quote_title: Field,
    /// A quote's book authors, analysed.
    pub quote_author: Field,
    /// Authors of a note, lower-cased whole names, for counting distinct authors.
    pub author_key: Field,
    /// Tags, lower-cased, raw.
    pub tag: Field,
    /// Every year derived from the header, numeric.
    pub year: Field,
    /// Prose of a note, without its quotes; analysed, not stored.
    pub body: Field,
    /// The full readable body, stored only (snippets are cut from it).
    pub body_text: Field,
    /// JSON: where quotes and inline references sit in `body_text`.
    pub spans: Field,
    /// JSON card: name, titles, authors, year; on both kinds of documents.
    pub card: Field,
    /// A quote's text, analysed and stored.
    pub quote: Field,
    /// A document's place in its note's block ([`QUOTE_BLOCK`]).
    pub quote_block: Field,
    /// A quote's line in its file.
    pub line: Field,
    /// JSON of a quote's reference, stored.
    pub reference: Field,
    /// First page of a quote's reference.
    pub page_start: Field,
    /// Last page of a quote's reference.
    pub page_end: Field,
    /// File size in bytes when indexed.
    pub size: Field,
    /// File modification time (ns since the epoch) when indexed.
    pub mtime: Field,
    /// xxh3 of the file's bytes.
    pub fingerprint: Field,
    /// The reader's own note on a highlight: analysed and stored.
    pub note_text: Field,
    /// When a highlight was made, ISO 8601 as the export gave it; stored.
    pub added: Field,
    /// When a highlight was made, in days since 1970-01-01, for `--since`.
    pub added_days: Field,
    /// A quote's vector key ([`embed_text`]'s hash).
    pub text_hash: Field,
    /// First Kindle location of a quote's reference.
    pub location_start: Field,
    /// Last Kindle location of a quote's reference.
    pub location_end: Field,
    /// On note documents: the vector keys of the note's passages
    /// (`super::passages`), one value per chunk; indexed to find the notes
    /// of the nearest vectors, fast to list the keys the index needs.
    pub chunk_hash: Field,
}

impl Fields {
    /// Builds the schema.
    pub fn new() -> Self {
        let mut b = Schema::builder();
        let analysed = |stored: bool| {
            let indexing = TextFieldIndexing::default()
                .set_tokenizer(ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions);
            let options = TextOptions::default().set_indexing_options(indexing);
            if stored { options.set_stored() } else { options }
        };
        let kind = b.add_text_field("kind", STRING);
        let note_id = b.add_text_field("note_id", STRING);
        let file_id = b.add_text_field("file_id", STRING | FAST);
        let source = b.add_text_field("source", STRING);
        let language = b.add_text_field("language", STRING | STORED);
        let title = b.add_text_field("title", analysed(false));
        let author = b.add_text_field("author", analysed(false));
        let quote_title = b.add_text_field("quote_title", analysed(false));
        let quote_author = b.add_text_field("quote_author", analysed(false));
        let author_key = b.add_text_field("author_key", STRING | FAST);
        let tag = b.add_text_field("tag", STRING);
        // Years and pages filter through the inverted index (a bitset per
        // segment from a few posting lists), not a fast-field scan with a
        // rank lookup per document: a filtered search 1.49 → 1.37 ms.
        let year = b.add_u64_field("year", INDEXED);
        let body = b.add_text_field("body", analysed(false));
        let body_text = b.add_text_field("body_text", STORED);
        let spans = b.add_text_field("spans", STORED);
        let card = b.add_text_field("card", STORED);
        let quote = b.add_text_field("quote", analysed(true));
        let quote_block = b.add_u64_field(QUOTE_BLOCK, FAST);
        let line = b.add_u64_field("line", STORED);
        let reference = b.add_text_field("reference", STORED);
        let page_start = b.add_u64_field("page_start", INDEXED);
        let page_end = b.add_u64_field("page_end", INDEXED);
        let size = b.add_u64_field("size", FAST);
        let mtime = b.add_u64_field("mtime", FAST);
        let fingerprint = b.add_u64_field("fingerprint", FAST);
        let note_text = b.add_text_field("note_text", analysed(true));
        let added = b.add_text_field("added", STORED);
        let added_days = b.add_u64_field("added_days", INDEXED);
        let text_hash = b.add_u64_field("text_hash", INDEXED | FAST);
        let location_start = b.add_u64_field("location_start", INDEXED);
        let location_end = b.add_u64_field("location_end", INDEXED);
        let chunk_hash = b.add_u64_field("chunk_hash", INDEXED | FAST);
        Fields {
            schema: b.build(),
            kind,
            note_id,
            file_id,
            source,
            language,
            title,
            author,
            quote_title,
            quote_author,
            author_key,
            tag,
            year,
            body,
            body_text,
            spans,
            card,
            quote,
            quote_block,
            line,
            reference,
            page_start,
            page_end,
            size,
            mtime,
            fingerprint,
            note_text,
            added,
            added_days,
            text_hash,
            location_start,
            location_end,
            chunk_hash,
        }
    }

    /// Handles for an opened index's schema (same names as [`Fields::new`]).
    pub fn from_schema(schema: &Schema) -> tantivy::Result<Self> {
        let fresh = Fields::new();
        // Same field names and options means the same field ids: the schema
        // is built in one fixed order. A mismatch is a format mismatch.
        if schema != &fresh.schema {
            return Err(tantivy::TantivyError::SchemaError(
                "the index's fields differ from this folio's".to_string(),
            ));
        }
        Ok(fresh)
    }
}

impl Default for Fields {
    fn default() -> Self {
        Fields::new()
    }
}
