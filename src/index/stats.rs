//! What an index holds: notes, quotes (by source and by language),
//! authors, segments, size, folders, format. An index service: `folio
//! stats` prints it, `folio serve` answers it as JSON.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use serde::Serialize;

use super::FolioIndex;
use super::schema::{FORMAT_VERSION, KIND_NOTE, KIND_QUOTE};
use crate::error::Error;

/// The figures `folio stats` reports.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Stats {
    /// The index folder.
    #[serde(serialize_with = "crate::note::lossy_path")]
    #[schemars(with = "String")]
    pub index: PathBuf,
    /// Notes.
    pub notes: u64,
    /// Quotes.
    pub quotes: u64,
    /// Quotes by the export they were read from (`kindle-clippings`,
    /// `readwise`, …); hand-written quotes are not counted here.
    pub quotes_by_source: BTreeMap<String, u64>,
    /// Quotes by their note's language (ISO 639-1: `en`, `zh`, …); quotes
    /// of notes whose language could not be told are not counted here.
    pub quotes_by_language: BTreeMap<String, u64>,
    /// Distinct authors (case-insensitive).
    pub authors: usize,
    /// Tantivy segments.
    pub segments: usize,
    /// Bytes on disk.
    pub bytes: u64,
    /// Note folders indexed (as text, lossily when not UTF-8).
    #[serde(serialize_with = "lossy_paths")]
    #[schemars(with = "Vec<String>")]
    pub sources: Vec<PathBuf>,
    /// Last commit, seconds since the epoch.
    pub built_at: u64,
    /// Index format version.
    pub format: u32,
}

/// Computes the figures of an opened index.
pub fn stats(ix: &FolioIndex) -> crate::Result<Stats> {
    let reader = ix.reader()?;
    let payload = ix.payload()?;
    let searcher = reader.searcher();
    let mut authors = HashSet::new();
    for segment in searcher.segment_readers() {
        let column = segment
            .fast_fields()
            .str(ix.fields.schema.get_field_name(ix.fields.author_key))
            .map_err(|e| Error::tantivy("reading authors", e))?;
        let Some(column) = column else { continue };
        let mut ords = HashSet::new();
        for doc in segment.doc_ids_alive() {
            ords.extend(column.term_ords(doc));
        }
        let mut name = String::new();
        for ord in ords {
            if column.ord_to_str(ord, &mut name).unwrap_or(false) {
                authors.insert(name.clone());
            }
        }
    }
    Ok(Stats {
        index: ix.path.clone(),
        notes: ix.count_kind(&reader, KIND_NOTE)?,
        quotes: ix.count_kind(&reader, KIND_QUOTE)?,
        quotes_by_source: quotes_by(ix, &searcher, ix.fields.source)?,
        quotes_by_language: quotes_by(ix, &searcher, ix.fields.language)?,
        authors: authors.len(),
        segments: searcher.segment_readers().len(),
        bytes: ix.size_on_disk(),
        sources: payload.roots,
        built_at: payload.built_at,
        format: FORMAT_VERSION,
    })
}

/// Quotes per value of a raw field (`source`: the export format;
/// `language`): the field's terms, each counted on quote documents.
fn quotes_by(
    ix: &FolioIndex,
    searcher: &tantivy::Searcher,
    field: tantivy::schema::Field,
) -> crate::Result<BTreeMap<String, u64>> {
    use tantivy::Term;
    use tantivy::query::{BooleanQuery, Occur, TermQuery};
    use tantivy::schema::IndexRecordOption;
    let context = |e| Error::tantivy("counting quotes by source and language", e);
    let mut sources = HashSet::new();
    for segment in searcher.segment_readers() {
        let inverted = segment.inverted_index(field).map_err(context)?;
        let mut terms = inverted.terms().stream().map_err(|e| Error::io(&ix.path, e))?;
        while terms.advance() {
            sources.insert(String::from_utf8_lossy(terms.key()).into_owned());
        }
    }
    let mut counts = BTreeMap::new();
    for source in sources {
        let term = |field, text: &str| -> Box<dyn tantivy::query::Query> {
            Box::new(TermQuery::new(Term::from_field_text(field, text), IndexRecordOption::Basic))
        };
        let query = BooleanQuery::new(vec![
            (Occur::Must, term(ix.fields.kind, KIND_QUOTE)),
            (Occur::Must, term(field, &source)),
        ]);
        let count = searcher.search(&query, &tantivy::collector::Count).map_err(context)?;
        if count > 0 {
            counts.insert(source, count as u64);
        }
    }
    Ok(counts)
}

/// Paths as text, lossily when not UTF-8 (see [`crate::note::lossy_path`]).
fn lossy_paths<S: serde::Serializer>(paths: &[PathBuf], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(paths.iter().map(|p| p.to_string_lossy()))
}
