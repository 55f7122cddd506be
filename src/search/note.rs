//! One note read back from the index by its id ([`super::hit::note_key`]):
//! its card, its readable body, and where each quote sits in it. This is
//! what `GET /api/notes/{id}` answers; it reads the index, never the file
//! system, so an id can name nothing outside it.

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{TantivyDocument, Term};

use super::hit::{note_key, quote_key};
use super::{Engine, json_field, text_field};
use crate::error::{Error, Result};
use crate::index::document::{NoteCard, Spans};
use crate::index::schema::KIND_NOTE;
use crate::note::Reference;

/// A note as the index holds it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct NoteView {
    /// Its index id.
    pub id: String,
    /// Its file (absolute), name, titles, authors and year.
    #[serde(flatten)]
    pub card: NoteCard,
    /// The readable body, quotes included.
    pub body: String,
    /// Its quotes, in body order.
    pub quotes: Vec<QuoteView>,
}

/// Where a quote sits in its note's body.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct QuoteView {
    /// The quote's id ([`quote_key`]): the same as its hit's.
    pub id: String,
    /// Its line in the file.
    pub line: usize,
    /// Character (not byte) offsets of the quote in `body`, end exclusive.
    pub start: usize,
    /// See `start`.
    pub end: usize,
    /// The quote's text (`body` from `start` to `end`).
    pub text: String,
    /// Its reference.
    pub reference: Option<Reference>,
}

impl Engine {
    /// The note with this id, or `None` when the index holds none (an id
    /// that is not one, a note since deleted).
    pub fn note(&self, id: &str) -> Result<Option<NoteView>> {
        let Some(file) = self.file_of(id)? else { return Ok(None) };
        Ok(self.notes_of_file(&file)?.into_iter().find(|view| view.id == id))
    }

    /// The quote with this id ([`quote_key`]: its note's id, `:`, its
    /// line): its document and its vector key, or `None` when the index
    /// holds no such quote.
    pub fn quote(&self, id: &str) -> Result<Option<(tantivy::DocAddress, u64)>> {
        let Some((note, line)) = id.split_once(':') else { return Ok(None) };
        let Ok(line) = line.parse::<u64>() else { return Ok(None) };
        let Some(file) = self.file_of(note)? else { return Ok(None) };
        match self.quote_in_file(&file, line)? {
            Some((addr, key)) if self.line_of(addr) == Some(line) => Ok(Some((addr, key))),
            _ => Ok(None),
        }
    }

    /// The file id of the note with this id, when the index holds it.
    fn file_of(&self, id: &str) -> Result<Option<String>> {
        if id.len() != 24 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let Ok(file_hash) = u64::from_str_radix(&id[..16], 16) else { return Ok(None) };
        let searcher = self.searcher();
        let f = &self.ix.fields;
        // The path behind the id: the file ids in the term dictionary,
        // hashed until one matches (a few ms for 100,000 files).
        for segment in searcher.segment_readers() {
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
                    return Ok(Some(String::from_utf8_lossy(terms.key()).into_owned()));
                }
            }
        }
        Ok(None)
    }

    /// The line of the document at `addr`.
    fn line_of(&self, addr: tantivy::DocAddress) -> Option<u64> {
        let doc: TantivyDocument = self.searcher().doc(addr).ok()?;
        doc.get_first(self.ix.fields.line).and_then(|v| v.as_u64())
    }

    /// Every note of the file at `path` (as a hit shows it, or any path to
    /// the same file), in file order; none when the index holds none of it.
    pub fn notes_in(&self, path: &std::path::Path) -> Result<Vec<NoteView>> {
        let Ok(canonical) = path.canonicalize() else { return Ok(Vec::new()) };
        let mut views = self.notes_of_file(&crate::index::update::note_id(&canonical))?;
        views.sort_by_key(|view| view.quotes.first().map_or(0, |q| q.line));
        Ok(views)
    }

    /// The notes whose file id is `file_id`.
    fn notes_of_file(&self, file_id: &str) -> Result<Vec<NoteView>> {
        let searcher = self.searcher();
        let f = &self.ix.fields;
        let clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (
                Occur::Must,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.file_id, file_id),
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
        let mut views = Vec::with_capacity(found.len());
        for (_, addr) in found {
            let doc: TantivyDocument =
                searcher.doc(addr).map_err(|e| Error::tantivy("loading a note", e))?;
            let card: NoteCard = json_field(&doc, f.card).unwrap_or_default();
            let key = note_key(&card.path, &card.name);
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
                    text: body.get(q.start..q.end).unwrap_or("").to_string(),
                    reference: q.reference.clone(),
                })
                .collect();
            views.push(NoteView { id: key, card, body, quotes });
        }
        Ok(views)
    }

    /// A page of the index's notes, `limit` from `offset`, in a fixed order
    /// for one commit (the order of their documents), and how many there
    /// are in all: what a client lists before it reads one.
    pub fn note_list(&self, offset: usize, limit: usize) -> Result<(Vec<NoteEntry>, usize)> {
        let searcher = self.searcher();
        let f = &self.ix.fields;
        let query =
            TermQuery::new(Term::from_field_text(f.kind, KIND_NOTE), IndexRecordOption::Basic);
        let mut all: Vec<tantivy::DocAddress> = searcher
            .search(&query, &tantivy::collector::DocSetCollector)
            .map_err(|e| Error::tantivy("listing notes", e))?
            .into_iter()
            .collect();
        all.sort();
        let mut page = Vec::new();
        for &addr in all.iter().skip(offset).take(limit) {
            let doc: TantivyDocument =
                searcher.doc(addr).map_err(|e| Error::tantivy("loading a note", e))?;
            let card: NoteCard = json_field(&doc, f.card).unwrap_or_default();
            page.push(NoteEntry {
                id: note_key(&card.path, &card.name),
                path: card.path.clone(),
                quotes: json_field::<Spans>(&doc, f.spans).map_or(0, |s| s.quotes.len()),
                note: card.into(),
            });
        }
        Ok((page, all.len()))
    }
}

/// A note as a list shows it ([`Engine::note_list`]).
#[derive(Debug, Clone, Serialize)]
pub struct NoteEntry {
    /// Its index id.
    pub id: String,
    /// Its file, for people.
    pub path: String,
    /// How many quotes it holds.
    pub quotes: usize,
    /// Name, titles, authors, year.
    pub note: super::hit::NoteInfo,
}

/// A note's id hashes the path as its card shows it ([`note_key`]): for a
/// path that is not UTF-8, the lossy text, not the escaped file id. `None`
/// for a UTF-8 path (its file id is that text already).
fn hashes_as_shown(file_id: &[u8]) -> Option<u64> {
    let id = std::str::from_utf8(file_id).ok().filter(|id| id.starts_with("non-utf8:"))?;
    let path = crate::index::update::path_of_id(id);
    Some(xxhash_rust::xxh3::xxh3_64(path.to_string_lossy().as_bytes()))
}
