//! One note read back from the index by its id ([`super::hit::note_key`]):
//! its card, its readable body, and where each quote sits in it. This is
//! what `GET /api/notes/{id}` answers; it reads the index, never the file
//! system, so an id can name nothing outside it.

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{TantivyDocument, Term};

use super::hit::{note_key, quote_key};
use super::{Engine, json_field, text_field};
use crate::error::{Error, Result};
use crate::index::document::{Card, Spans};
use crate::index::schema::KIND_NOTE;
use crate::note::{Reference, Title};

/// A note as the index holds it.
#[derive(Debug, Clone, Serialize)]
pub struct NoteView {
    /// Its index id.
    pub id: String,
    /// Its file, for people (relative to the current folder when under it).
    pub path: String,
    /// Note name.
    pub name: String,
    /// Titles.
    pub titles: Vec<Title>,
    /// Authors.
    pub authors: Vec<String>,
    /// Year.
    pub year: Option<u64>,
    /// The readable body, quotes included.
    pub body: String,
    /// Its quotes, in body order.
    pub quotes: Vec<QuoteView>,
}

/// Where a quote sits in its note's body.
#[derive(Debug, Clone, Serialize)]
pub struct QuoteView {
    /// The quote's id ([`quote_key`]): the same as its hit's.
    pub id: String,
    /// Its line in the file.
    pub line: usize,
    /// Character (not byte) offsets of the quote in `body`, end exclusive.
    pub start: usize,
    /// See `start`.
    pub end: usize,
    /// Its reference.
    pub reference: Option<Reference>,
}

impl Engine {
    /// The note with this id, or `None` when the index holds none (an id
    /// that is not one, a note since deleted).
    pub fn note(&self, id: &str) -> Result<Option<NoteView>> {
        if id.len() != 24 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let Ok(file_hash) = u64::from_str_radix(&id[..16], 16) else { return Ok(None) };
        let searcher = self.searcher();
        let f = &self.ix.fields;
        // The path behind the id: the file ids in the term dictionary,
        // hashed until one matches (a few ms for 100,000 files).
        let mut path = None;
        'segments: for segment in searcher.segment_readers() {
            let inverted = segment
                .inverted_index(f.file_id)
                .map_err(|e| Error::tantivy("reading file ids", e))?;
            let mut terms = inverted
                .terms()
                .stream()
                .map_err(|e| Error::tantivy("reading file ids", e.into()))?;
            while terms.advance() {
                if xxhash_rust::xxh3::xxh3_64(terms.key()) == file_hash
                    || hashes_as_shown(terms.key()) == Some(file_hash)
                {
                    path = Some(String::from_utf8_lossy(terms.key()).into_owned());
                    break 'segments;
                }
            }
        }
        let Some(path) = path else { return Ok(None) };
        let clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.file_id, &path),
                    IndexRecordOption::Basic,
                )),
            ),
            (
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.kind, KIND_NOTE),
                    IndexRecordOption::Basic,
                )),
            ),
        ];
        let query = BooleanQuery::new(clauses);
        let found = searcher
            .search(&query, &TopDocs::with_limit(10_000).order_by_score())
            .map_err(|e| Error::tantivy("finding a note", e))?;
        for (_, addr) in found {
            let doc: TantivyDocument =
                searcher.doc(addr).map_err(|e| Error::tantivy("loading a note", e))?;
            let card: Card = json_field(&doc, f.card).unwrap_or_default();
            let key = note_key(&card.path, &card.name);
            if key != id {
                continue;
            }
            let body = text_field(&doc, f.body_text).to_string();
            let spans: Spans = json_field(&doc, f.spans).unwrap_or_default();
            let chars = |byte: usize| body.get(..byte).map_or(0, |s| s.chars().count());
            let quotes = spans
                .quotes
                .iter()
                .map(|q| QuoteView {
                    id: quote_key(&key, q.line as u64),
                    line: q.line,
                    start: chars(q.start),
                    end: chars(q.end),
                    reference: q.reference.clone(),
                })
                .collect();
            return Ok(Some(NoteView {
                path: card.path.clone(),
                id: key,
                name: card.name,
                titles: card.titles,
                authors: card.authors,
                year: card.year,
                body,
                quotes,
            }));
        }
        Ok(None)
    }
}

/// A note's id hashes the path as its card shows it ([`note_key`]): for a
/// path that is not UTF-8, the lossy text, not the escaped file id. `None`
/// for a UTF-8 path (its file id is that text already).
fn hashes_as_shown(file_id: &[u8]) -> Option<u64> {
    let id = std::str::from_utf8(file_id).ok().filter(|id| id.starts_with("non-utf8:"))?;
    let path = crate::index::update::path_of_id(id);
    Some(xxhash_rust::xxh3::xxh3_64(path.to_string_lossy().as_bytes()))
}
