//! The index's vectors: one file per commit, `vectors-<N>.bin` in the index
//! folder, named in the commit payload.
//!
//! The file is written and flushed before the commit; the commit (whose
//! payload Tantivy writes atomically with the segment list) is what makes
//! it the current one, so a kill before the commit leaves the last commit
//! and its file as they were, and a kill after it leaves both new. Files
//! no commit names are deleted after a successful commit. `--rebuild`
//! keeps them: the next build reads the newest as a cache, so nothing
//! already embedded is embedded again.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashSet;
use tantivy::schema::Value;
use tantivy::{IndexReader, TantivyDocument};

use super::analyzer::untag;
use super::document::{NoteCard, Spans};
use super::schema::embed_text;
use super::{FolioIndex, Payload};
use crate::embed::store::{StoreBuilder, VectorStore};
use crate::embed::{Embedder, Model};
use crate::error::{Error, Result};

/// Texts embedded per step of the progress bar (and per call to the model,
/// which batches them by length itself).
const STEP: usize = 256;

/// The name of the vector file of commit number `generation`.
pub fn file_name(generation: u64) -> String {
    format!("vectors-{generation}.bin")
}

fn generation_of(name: &str) -> Option<u64> {
    name.strip_prefix("vectors-")?.strip_suffix(".bin")?.parse().ok()
}

/// The store the last commit names; `None` when it names none. A missing or
/// damaged file is an error that says to run `folio index`.
pub fn load(ix: &FolioIndex, payload: &Payload) -> Result<Option<VectorStore>> {
    let Some(name) = &payload.vectors else { return Ok(None) };
    let path = ix.dir.join(name);
    VectorStore::read(&path).map(Some).map_err(|e| Error::io(&path, e))
}

/// The store to reuse vectors from: the one the payload names, else the
/// newest file left in this generation, else (a rebuild or an upgrade
/// building a new generation aside) the newest of the live generation.
/// Unreadable caches are ignored: they only save time.
fn cache(ix: &FolioIndex, payload: &Payload) -> Option<VectorStore> {
    if let Ok(Some(store)) = load(ix, payload) {
        return Some(store);
    }
    let mut newest = vector_files(&ix.dir).into_iter().max_by_key(|(g, _)| *g);
    if newest.is_none()
        && let Ok(Some(live)) = super::live_dir(&ix.path)
    {
        newest = vector_files(&live).into_iter().max_by_key(|(g, _)| *g);
    }
    VectorStore::read(&newest?.1).ok()
}

fn vector_files(dir: &Path) -> Vec<(u64, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((generation_of(e.file_name().to_str()?)?, e.path())))
        .collect()
}

/// Keys and texts of the documents `docs` (a new or changed file's): each
/// quote's, and each passage of each note.
pub fn texts_of(ix: &FolioIndex, docs: &[TantivyDocument], into: &mut Vec<(u64, String)>) {
    let f = &ix.fields;
    for doc in docs {
        if doc.get_first(f.chunk_hash).is_some() {
            into.extend(passages_of(ix, doc).into_iter().map(|(key, text, _)| (key, text)));
        }
        let Some(key) = doc.get_first(f.text_hash).and_then(|v| v.as_u64()) else { continue };
        let quote = untag(doc.get_first(f.quote).and_then(|v| v.as_str()).unwrap_or_default());
        let note = doc.get_first(f.note_text).and_then(|v| v.as_str()).map(untag);
        into.push((key, embed_text(quote, note)));
    }
}

/// The passages of a note document's own prose (stored or about to be):
/// key, embedded text and byte range in its readable body, worked out from
/// its card's first title, its body and its quotes' spans as at indexing.
/// (The note's `chunk_hash` also lists its quotes' keys; their vectors come
/// from the quote documents.)
pub fn passages_of(ix: &FolioIndex, doc: &TantivyDocument) -> Vec<(u64, String, (usize, usize))> {
    let f = &ix.fields;
    let json = |field| doc.get_first(field).and_then(|v| v.as_str());
    let card: NoteCard =
        json(f.card).and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
    let spans: Spans = json(f.spans).and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
    let body = json(f.body_text).unwrap_or_default();
    let title = card.titles.first().map(|t| t.text.as_str());
    super::passages::keyed_chunks(title, body, &spans.quote_ranges())
}

/// What the next commit's vectors need.
pub struct Plan {
    /// Every key the index will hold after the commit.
    live: FxHashSet<u64>,
    /// Keys with no vector yet, and their texts.
    missing: Vec<(u64, String)>,
    cache: Option<VectorStore>,
    fingerprint: u64,
}

impl Plan {
    /// How many texts must be embedded.
    pub fn to_embed(&self) -> usize {
        self.missing.len()
    }
}

/// Works out the keys of the index after this update (the documents of
/// files in `gone` are being deleted; `fresh` are the new ones) and which
/// have no vector yet. `None` when the last commit's vectors are already
/// exactly right.
pub fn plan(
    ix: &FolioIndex,
    reader: &IndexReader,
    payload: &Payload,
    model: &Model,
    gone: &HashSet<String>,
    fresh: Vec<(u64, String)>,
) -> Result<Option<Plan>> {
    let fingerprint = model.fingerprint().map_err(|message| model_error(model.dir(), message))?;
    let cache = cache(ix, payload).filter(|c| c.model() == fingerprint);
    let has = |key: u64| cache.as_ref().is_some_and(|c| c.contains(key));
    let mut live = FxHashSet::default();
    let mut missing = Vec::new();
    let mut asked = FxHashSet::default();
    for (key, text) in fresh {
        live.insert(key);
        if !has(key) && asked.insert(key) {
            missing.push((key, text));
        }
    }
    let searcher = reader.searcher();
    let unembedded_old = indexed_keys(ix, &searcher, gone, &has, &mut live)?;
    read_texts(ix, &searcher, unembedded_old, &mut asked, &mut missing)?;
    let current = payload.vectors.is_some()
        && cache.as_ref().is_some_and(|c| c.len() == live.len())
        && missing.is_empty();
    if current {
        return Ok(None);
    }
    Ok(Some(Plan { live, missing, cache, fingerprint }))
}

/// Where a key without a vector is read from: its document, and whether
/// that is a quote's (else a note's passage).
type Unembedded = (u64, tantivy::DocAddress, bool);

/// Walks every live document's vector keys (a quote's text hash, a note's
/// passage hashes) into `live`, skipping the files in `gone`; returns the
/// keys `has` no vector for, with where to read their text.
fn indexed_keys(
    ix: &FolioIndex,
    searcher: &tantivy::Searcher,
    gone: &HashSet<String>,
    has: &dyn Fn(u64) -> bool,
    live: &mut FxHashSet<u64>,
) -> Result<Vec<Unembedded>> {
    let f = &ix.fields;
    let field_name = |field| f.schema.get_field_name(field).to_string();
    let context = |e| Error::tantivy("reading the vector keys", e);
    let mut unembedded_old = Vec::new();
    for (ordinal, segment) in searcher.segment_readers().iter().enumerate() {
        let fast = segment.fast_fields();
        let hashes = fast.u64(&field_name(f.text_hash)).map_err(context)?;
        let chunks = fast.u64(&field_name(f.chunk_hash)).map_err(context)?;
        let files = fast.str(&field_name(f.file_id)).map_err(context)?;
        let mut gone_ords = FxHashSet::default();
        if let Some(files) = &files {
            for id in gone {
                if let Ok(Some(ord)) = files.dictionary().term_ord(id.as_bytes()) {
                    gone_ords.insert(ord);
                }
            }
        }
        let alive = segment.alive_bitset();
        for doc in 0..segment.max_doc() {
            if alive.is_some_and(|a| a.is_deleted(doc)) {
                continue;
            }
            let file_gone = || {
                files
                    .as_ref()
                    .and_then(|files| files.ords().first(doc))
                    .is_some_and(|ord| gone_ords.contains(&ord))
            };
            let address = tantivy::DocAddress::new(ordinal as u32, doc);
            // A quote's key, or a note's passages' keys.
            let quote_key = hashes.first(doc);
            let keys: Vec<u64> = match quote_key {
                Some(key) => vec![key],
                None => chunks.values_for_doc(doc).collect(),
            };
            if keys.is_empty() || file_gone() {
                continue;
            }
            for key in keys {
                live.insert(key);
                if !has(key) {
                    unembedded_old.push((key, address, quote_key.is_some()));
                }
            }
        }
    }
    Ok(unembedded_old)
}

/// Reads the text of each key in `unembedded` not `asked` already into
/// `missing`, each document once however many of its passages it lacks.
fn read_texts(
    ix: &FolioIndex,
    searcher: &tantivy::Searcher,
    mut unembedded_old: Vec<Unembedded>,
    asked: &mut FxHashSet<u64>,
    missing: &mut Vec<(u64, String)>,
) -> Result<()> {
    let f = &ix.fields;
    // A note lists its quotes' keys too, but only a quote document holds
    // a quote's embedded text: for a key both hold, the quote's is read.
    unembedded_old.sort_by_key(|&(key, _, is_quote)| (key, !is_quote));
    unembedded_old.retain(|&(key, _, _)| asked.insert(key));
    unembedded_old.sort_by_key(|&(_, address, _)| address);
    // Each document read once, whatever number of its passages lack a vector.
    // (`text_hash` is not stored: whether a key is a quote's comes from
    // the fast field read above, never from the stored document.)
    let mut wanted: FxHashSet<u64> = unembedded_old.iter().map(|(key, _, _)| *key).collect();
    let mut read = FxHashSet::default();
    for (key, address, is_quote) in unembedded_old {
        if !read.insert(address) {
            continue;
        }
        let doc: TantivyDocument =
            searcher.doc(address).map_err(|e| Error::tantivy("reading a passage to embed", e))?;
        if is_quote {
            let quote = untag(doc.get_first(f.quote).and_then(|v| v.as_str()).unwrap_or_default());
            let note = doc.get_first(f.note_text).and_then(|v| v.as_str()).map(untag);
            if wanted.remove(&key) {
                missing.push((key, embed_text(quote, note)));
            }
            continue;
        }
        for (key, text, _) in passages_of(ix, &doc) {
            if wanted.remove(&key) {
                missing.push((key, text));
            }
        }
    }
    Ok(())
}

/// Embeds what is missing (telling `progress` how far it is) and writes
/// the new store's file; returns its name, for the commit payload.
pub fn write(
    ix: &FolioIndex,
    plan: Plan,
    model: &Model,
    progress: Option<&dyn super::report::Progress>,
) -> Result<String> {
    let mut builder = StoreBuilder::new(0, plan.fingerprint);
    if !plan.missing.is_empty() {
        let embedder = model.get().map_err(|message| model_error(model.dir(), message))?;
        builder = StoreBuilder::new(embedder.dims(), plan.fingerprint);
        embed_into(embedder, &plan.missing, &mut builder, progress)?;
    } else if let Some(cache) = &plan.cache {
        builder = StoreBuilder::new(cache.dims(), plan.fingerprint);
    }
    if let Some(cache) = &plan.cache {
        for &key in &plan.live {
            if !builder.contains(key) {
                builder.reuse(cache, key);
            }
        }
    }
    let store = builder.build();
    let next = vector_files(&ix.dir).iter().map(|(g, _)| g + 1).max().unwrap_or(1);
    let name = file_name(next);
    let path = ix.dir.join(&name);
    store.write(&path).map_err(|e| Error::io(&path, e))?;
    Ok(name)
}

fn embed_into(
    embedder: &Embedder,
    texts: &[(u64, String)],
    builder: &mut StoreBuilder,
    progress: Option<&dyn super::report::Progress>,
) -> Result<()> {
    let bar = super::report::Progressing::on(progress, super::report::Step::Embedding, texts.len());
    for chunk in texts.chunks(STEP) {
        let strings: Vec<&str> = chunk.iter().map(|(_, t)| t.as_str()).collect();
        let vectors = embedder.embed(&strings).map_err(|e| Error::Query(e.to_string()))?;
        for ((key, _), vector) in chunk.iter().zip(vectors) {
            builder.add(*key, &vector);
        }
        bar.advance(chunk.len());
    }
    Ok(())
}

/// Deletes vector files other than `keep` (after a successful commit; a
/// file that will not go is left for the next commit to try).
pub fn remove_stale(ix: &FolioIndex, keep: &str) {
    for (_, path) in vector_files(&ix.dir) {
        if path.file_name().and_then(|n| n.to_str()) != Some(keep) {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn model_error(dir: &Path, message: String) -> Error {
    Error::Io {
        path: dir.to_path_buf(),
        source: std::io::Error::other(format!(
            "the sentence model could not be loaded: {message} \
             (FOLIO_MODEL=off indexes and searches words only)"
        )),
    }
}
