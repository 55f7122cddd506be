//! The folio index on disk: opening, creating, and what it records.
//!
//! This module owns the index folder. It decides whether a folder holds a
//! folio index (a `folio-index` marker file written before anything else),
//! refuses to write into or delete any other folder, checks the format
//! version, and registers the analyser on every open (the schema names it
//! only). Generations, rebuilds, upgrades and the writer lock are
//! [`lifecycle`]; updating is [`update`]; fields are [`schema`]; documents
//! are [`document`].

pub mod analyzer;
pub mod bounds;
pub mod document;
pub mod lifecycle;
pub mod merge;
pub mod paced;
pub mod passages;
pub mod report;
pub mod schema;
pub mod stats;
pub mod update;
pub mod vectors;

use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tantivy::columnar::ColumnIndex;
use tantivy::directory::error::LockError;
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::store::{Compressor, ZstdCompressor};
use tantivy::{DocId, DocSet, Index, IndexReader, IndexSettings, IndexWriter, ReloadPolicy, Term};

use crate::error::{Error, Result};
use document::FileStamp;
use lifecycle::WriterLock;
use schema::{ANALYZER, FORMAT_VERSION, Fields};

/// Name of the marker file that says "this folder is a folio index".
pub const MARKER: &str = "folio-index";

/// Files a folder may hold and still count as empty (the repository's
/// `index/` keeps a `.gitkeep`).
const HARMLESS: [&str; 3] = [".gitkeep", "README.md", "README"];

/// What each commit records, in Tantivy's commit payload.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    /// The index format ([`FORMAT_VERSION`]).
    pub folio_format: u32,
    /// The folio version that wrote it.
    pub folio_version: String,
    /// The note folders indexed, absolute.
    #[serde(with = "roots_serde")]
    pub roots: Vec<PathBuf>,
    /// When the commit was made, seconds since the epoch.
    pub built_at: u64,
    /// The vector file of this commit ([`vectors`]), when a model was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vectors: Option<String>,
}

/// The payload's roots in JSON: a folder whose path is not UTF-8 (which
/// serde's `PathBuf` refuses, and the whole payload with it, so the folder
/// was forgotten and every run committed again) is written as its bytes.
/// The file naming the live generation.
pub const CURRENT: &str = "CURRENT";

/// Prefix of a generation folder's name (`gen-000007`).
pub(crate) const GENERATION: &str = "gen-";

/// The folder holding the live Tantivy index of the index folder `path`:
/// the generation `CURRENT` names, else `path` itself when it holds an
/// index of the older layout; `None` when nothing was ever committed.
pub fn live_dir(path: &Path) -> Result<Option<PathBuf>> {
    let current = path.join(CURRENT);
    match std::fs::read_to_string(&current) {
        Ok(text) => {
            let name = text.trim();
            if !is_generation(name) {
                return Err(Error::io(
                    &current,
                    std::io::Error::other(format!(
                        "names no generation ({name:?}); rebuild with `folio index --rebuild`"
                    )),
                ));
            }
            Ok(Some(path.join(name)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Ok(path.join("meta.json").exists().then(|| path.to_path_buf()))
        }
        Err(e) => Err(Error::io(&current, e)),
    }
}

pub(crate) fn is_generation(name: &str) -> bool {
    name.strip_prefix(GENERATION)
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

pub(crate) fn generation_number(name: &str) -> Option<u64> {
    if is_generation(name) { name[GENERATION.len()..].parse().ok() } else { None }
}

mod roots_serde {
    use std::path::PathBuf;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    #[serde(untagged)]
    enum Root {
        Text(String),
        Bytes(Vec<u8>),
    }

    pub fn serialize<S: Serializer>(roots: &[PathBuf], s: S) -> Result<S::Ok, S::Error> {
        let roots: Vec<Root> = roots
            .iter()
            .map(|root| match root.to_str() {
                Some(text) => Root::Text(text.to_string()),
                None => Root::Bytes(root.as_os_str().as_encoded_bytes().to_vec()),
            })
            .collect();
        roots.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<PathBuf>, D::Error> {
        let roots = Vec::<Root>::deserialize(d)?;
        Ok(roots
            .into_iter()
            .map(|root| match root {
                Root::Text(text) => PathBuf::from(text),
                Root::Bytes(bytes) => from_bytes(bytes),
            })
            .collect())
    }

    #[cfg(unix)]
    fn from_bytes(bytes: Vec<u8>) -> PathBuf {
        use std::os::unix::ffi::OsStringExt;
        PathBuf::from(std::ffi::OsString::from_vec(bytes))
    }

    #[cfg(not(unix))]
    fn from_bytes(bytes: Vec<u8>) -> PathBuf {
        PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// Segments with fewer documents than this are merged, by eights; bigger
/// ones never are.
const MERGE_BELOW_DOCS: usize = 20_000;

/// Tantivy's log merge policy, limited to small segments.
///
/// A merge maps every segment it reads, so peak memory grows by the size of
/// its input. With Tantivy's default policy a build of 300,000 notes merged
/// eight 84,000-document segments at its end: 641 MB peak RSS instead of 235
/// MB, and 33.3 s instead of 29.7 s; at a million notes the merges took a
/// third of the build. A build's segments are each already large (the
/// memory budget's worth), so only the small segments that incremental
/// updates leave behind are merged, eight at a time, into segments of at
/// most 160,000 documents; a search pays a little per segment (rare word
/// 0.30 → 0.37 ms at 300,000 notes with 16 segments instead of 8).
fn merge_policy() -> tantivy::indexer::LogMergePolicy {
    let mut policy = tantivy::indexer::LogMergePolicy::default();
    policy.set_max_docs_before_merge(MERGE_BELOW_DOCS);
    policy
}

/// An opened folio index.
pub struct FolioIndex {
    /// The index folder (as named with `--index`).
    pub path: PathBuf,
    /// The folder of the Tantivy index inside it: the live generation
    /// ([`lifecycle`]), or `path` itself for an index of the older layout.
    pub dir: PathBuf,
    /// The Tantivy index.
    pub index: Index,
    /// Field handles.
    pub fields: Fields,
    /// The folder's writer lock, while a [`lifecycle`] run holds it.
    lock: Option<Arc<WriterLock>>,
    /// The reader opened with the index (readers share it).
    reader: Option<IndexReader>,
}

/// What the folder at a path is.
#[derive(Debug, PartialEq, Eq)]
pub enum FolderState {
    /// Nothing there, or only harmless files.
    Empty,
    /// A folio index.
    Folio,
    /// Other files: folio must not touch it.
    Foreign,
}

/// Looks at a folder without changing it.
pub fn folder_state(path: &Path) -> Result<FolderState> {
    if !path.exists() {
        return Ok(FolderState::Empty);
    }
    if !path.is_dir() {
        return Ok(FolderState::Foreign);
    }
    if path.join(MARKER).is_file() {
        return Ok(FolderState::Folio);
    }
    let entries = std::fs::read_dir(path).map_err(|e| Error::io(path, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(path, e))?;
        let name = entry.file_name();
        // The marker may appear between the check above and this listing,
        // when another folio process is creating the index right now.
        if name == MARKER {
            return Ok(FolderState::Folio);
        }
        if !HARMLESS.iter().any(|h| name == *h) {
            return Ok(FolderState::Foreign);
        }
    }
    Ok(FolderState::Empty)
}

/// Attempts at opening the live generation when a writer switches to a new
/// one (and deletes the old) between reading `CURRENT` and opening it.
const OPEN_ATTEMPTS: usize = 5;

impl FolioIndex {
    /// Opens an existing folio index for reading (and later writing): the
    /// generation `CURRENT` names. An index of an older format is
    /// [`Error::FormatOld`] (the commands rebuild it through
    /// [`lifecycle::refresh`]); one of a newer format, [`Error::FormatNewer`].
    pub fn open(path: &Path) -> Result<Self> {
        match folder_state(path)? {
            FolderState::Empty => return Err(Error::NoIndex { path: path.to_path_buf() }),
            FolderState::Foreign => return Err(Error::NotAnIndex { path: path.to_path_buf() }),
            FolderState::Folio => {}
        }
        let mut attempt = 0;
        loop {
            // A first build that has not switched yet, or died before: no
            // index was ever committed.
            let Some(dir) = live_dir(path)? else {
                return Err(Error::NoIndex { path: path.to_path_buf() });
            };
            match Self::open_dir(path, &dir) {
                Ok(ix) => return Ok(ix),
                Err(err) => {
                    attempt += 1;
                    // A writer switched generations meanwhile: open the new one.
                    let moved = live_dir(path).ok().flatten() != Some(dir);
                    if !moved || attempt >= OPEN_ATTEMPTS {
                        return Err(err);
                    }
                }
            }
        }
    }

    /// Opens the Tantivy index in `dir` (a generation of the index folder
    /// `path`), checking its format, with a reader on its last commit.
    pub(crate) fn open_dir(path: &Path, dir: &Path) -> Result<Self> {
        match lifecycle::format_of(dir)? {
            lifecycle::Format::Current => {}
            lifecycle::Format::Older(found) => {
                return Err(Error::FormatOld {
                    path: path.to_path_buf(),
                    found,
                    expected: FORMAT_VERSION,
                });
            }
            lifecycle::Format::Newer(found) => {
                return Err(Error::FormatNewer {
                    path: path.to_path_buf(),
                    found,
                    expected: FORMAT_VERSION,
                });
            }
        }
        if !dir.join("meta.json").exists() {
            return Err(Error::NoIndex { path: path.to_path_buf() });
        }
        let index = Index::open_in_dir(dir)
            .map_err(|e| Error::tantivy(format!("opening the index at {}", path.display()), e))?;
        let fields = Fields::from_schema(&index.schema()).map_err(|_| Error::FormatMismatch {
            path: path.to_path_buf(),
            found: "unknown (its fields differ)".to_string(),
            expected: FORMAT_VERSION,
        })?;
        FolioIndex::with_index(path, dir, index, fields)
    }

    /// Opens the index, creating it when the folder has none; with
    /// `rebuild`, an existing index is replaced by an empty one at once
    /// ([`lifecycle::open_or_create`], for tests and benchmarks; `folio
    /// index --rebuild` builds aside with [`lifecycle::refresh`]). A folder
    /// holding anything else is refused and left untouched.
    pub fn open_or_create(path: &Path, rebuild: bool) -> Result<Self> {
        lifecycle::open_or_create(path, rebuild)
    }

    /// The opened or created Tantivy `index` in `dir` of the index folder
    /// `path`, with folio's analyser registered and a reader open.
    fn with_index(path: &Path, dir: &Path, index: Index, fields: Fields) -> Result<Self> {
        index.tokenizers().register(ANALYZER, schema::analyzer());
        let mut ix = FolioIndex {
            path: path.to_path_buf(),
            dir: dir.to_path_buf(),
            index,
            fields,
            lock: None,
            reader: None,
        };
        ix.reader = Some(ix.new_reader()?);
        Ok(ix)
    }

    /// Creates an empty index of this format in the new generation folder
    /// `dir` of the index folder `path`: the generation's marker first.
    pub(crate) fn create_dir(path: &Path, dir: &Path) -> Result<Self> {
        std::fs::create_dir(dir).map_err(|e| Error::io(dir, e))?;
        let marker = dir.join(MARKER);
        std::fs::write(&marker, format!("folio index format {FORMAT_VERSION}\n"))
            .map_err(|e| Error::io(&marker, e))?;
        let fields = Fields::new();
        // zstd (level 1) instead of the default lz4 for stored text: the
        // index is 20 % smaller (1.50 → 1.21 × the corpus at 10,000 notes)
        // for no measurable query or build time (`folio bench`, same run).
        let settings = IndexSettings {
            docstore_compression: Compressor::Zstd(ZstdCompressor { compression_level: Some(1) }),
            ..IndexSettings::default()
        };
        let index = Index::builder()
            .schema(fields.schema.clone())
            .settings(settings)
            .create_in_dir(dir)
            .map_err(|e| Error::tantivy(format!("creating an index in {}", dir.display()), e))?;
        FolioIndex::with_index(path, dir, index, fields)
    }

    /// A writer, failing fast with [`Error::IndexBusy`] when another process
    /// holds the folder's writer lock, or with an error when another
    /// process switched the folder to a new generation since this one was
    /// opened. The writer holds the lock until it is dropped.
    pub fn writer<D: tantivy::schema::document::Document>(
        &self,
        threads: usize,
        memory_mb: usize,
    ) -> Result<Writer<D>> {
        let lock = self.write_lock()?;
        self.writer_with(lock, threads, memory_mb)
    }

    /// The folder's writer lock, as [`FolioIndex::writer`] takes it, without
    /// the Tantivy writer: enough to decide whether there is anything to
    /// write (a no-op refresh never starts the writer's threads).
    pub fn write_lock(&self) -> Result<Arc<WriterLock>> {
        if let Some(lock) = &self.lock {
            return Ok(Arc::clone(lock));
        }
        let lock = Arc::new(WriterLock::acquire(&self.path)?);
        if live_dir(&self.path)?.as_deref() != Some(&self.dir) {
            return Err(Error::io(
                &self.path,
                std::io::Error::other(
                    "another folio process rebuilt the index meanwhile; run the command again",
                ),
            ));
        }
        Ok(lock)
    }

    /// The Tantivy writer, under a `lock` from [`FolioIndex::write_lock`].
    pub fn writer_with<D: tantivy::schema::document::Document>(
        &self,
        lock: Arc<WriterLock>,
        threads: usize,
        memory_mb: usize,
    ) -> Result<Writer<D>> {
        let threads = threads.clamp(1, 8);
        let total = memory_mb.max(15) * 1_000_000;
        // Tantivy needs at least 15 MB per thread.
        let threads = threads.min(total / 15_000_000).max(1);
        let options = tantivy::indexer::IndexWriterOptions::builder()
            .num_worker_threads(threads)
            .memory_budget_per_thread(total / threads)
            .num_merge_threads(1)
            .build();
        let writer = self.index.writer_with_options(options).map_err(|err| match err {
            tantivy::TantivyError::LockFailure(LockError::LockBusy, _) => {
                Error::IndexBusy { path: self.path.clone() }
            }
            other => Error::tantivy("opening the index writer", other),
        })?;
        // A run killed during its commit leaves files no commit refers to,
        // among them `<segment>.<opstamp>.del` files. The next run redoes the
        // same operations, reaches the same opstamp and would fail its commit
        // with "FileAlreadyExists" forever after. Tantivy only collects such
        // files after a commit, so collect them now, holding the lock. A
        // failure here only leaves garbage behind: ignore it.
        let _ = writer.garbage_collect_files().wait();
        writer.set_merge_policy(Box::new(merge_policy()));
        Ok(Writer { inner: writer, _lock: lock })
    }

    /// A reader that reloads only when told: the one opened with the index
    /// (clones share its snapshot and its reloads).
    pub fn reader(&self) -> Result<IndexReader> {
        match &self.reader {
            Some(reader) => Ok(reader.clone()),
            None => self.new_reader(),
        }
    }

    /// Writes the block bounds and block starts of the segments that have
    /// none, or have them in an older layout ([`bounds`]). A failure only costs speed (a segment without bounds
    /// is searched in full), so it does not fail the build that committed.
    pub fn write_bounds(&self) {
        let _ = bounds::write_missing(&self.dir, &self.fields);
    }

    /// [`FolioIndex::write_bounds`] when a segment `reader` searches has
    /// no current bound file: a refresh with nothing else to write still
    /// gives an index last written by an older folio (older bound files,
    /// or none) the bounds its searches skip by, instead of leaving it
    /// searched in full until a note changes. A stat per segment when
    /// none is missing.
    pub fn write_bounds_if_missing(&self, reader: &IndexReader) {
        let searcher = reader.searcher();
        let segments = searcher.segment_readers().iter().map(|r| r.segment_id());
        if bounds::any_missing(&self.dir, segments) {
            self.write_bounds();
        }
    }

    fn new_reader(&self) -> Result<IndexReader> {
        self.index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e| Error::tantivy("opening an index reader", e))
    }

    /// The last commit's payload (default before the first commit).
    pub fn payload(&self) -> Result<Payload> {
        let metas = self.index.load_metas().map_err(|e| Error::tantivy("reading meta.json", e))?;
        Ok(metas.payload.and_then(|p| serde_json::from_str(&p).ok()).unwrap_or_default())
    }

    /// The stamps of every indexed file, sorted by file id.
    pub fn stamps(&self, reader: &IndexReader) -> Result<Stamps> {
        let searcher = reader.searcher();
        let context = |e| Error::tantivy("reading the index's file stamps", e);
        let name = |field| self.fields.schema.get_field_name(field);
        let mut columns = Vec::new();
        for segment in searcher.segment_readers() {
            if let Some(ids) =
                segment.fast_fields().str(name(self.fields.file_id)).map_err(context)?
            {
                columns.push((segment, ids));
            }
        }
        // Room for every id at once: grown file by file, the buffers were
        // copied over and over (5 % of a no-op refresh's CPU at 100,000
        // notes). Ids are paths; 64 bytes is a long one's share.
        let files: usize = columns.iter().map(|(_, ids)| ids.num_terms()).sum();
        let mut stamps =
            Stamps { ids: Vec::with_capacity(files * 64), entries: Vec::with_capacity(files) };
        for (segment, ids) in columns {
            let fast = segment.fast_fields();
            let size = fast.u64(name(self.fields.size)).map_err(context)?;
            let mtime = fast.u64(name(self.fields.mtime)).map_err(context)?;
            let fingerprint = fast.u64(name(self.fields.fingerprint)).map_err(context)?;
            // Only note documents carry the stamps: walk the fingerprint
            // column's own rows instead of asking every document (quotes
            // too) whether it has one. `size` and `mtime` are set on exactly
            // the same documents, so they share its row numbers.
            let alive = segment.alive_bitset();
            let rows: Box<dyn Iterator<Item = (u32, DocId)>> = match &fingerprint.index {
                ColumnIndex::Full => Box::new((0..segment.max_doc()).map(|d| (d, d))),
                ColumnIndex::Optional(optional) => Box::new(
                    optional.iter_non_null_docs().enumerate().map(|(row, doc)| (row as u32, doc)),
                ),
                _ => Box::new(std::iter::empty()),
            };
            // The stamp of each id, by its ordinal; the other notes of a
            // file (stamped already) carry the same stamp.
            let mut by_ord: Vec<Option<FileStamp>> = vec![None; ids.num_terms()];
            for (row, doc) in rows {
                if alive.is_some_and(|a| a.is_deleted(doc)) {
                    continue;
                }
                let Some(ord) = ids.ords().first(doc) else { continue };
                if let Some(slot @ None) = by_ord.get_mut(ord as usize) {
                    *slot = Some(FileStamp {
                        size: size.values.get_val(row),
                        mtime: mtime.values.get_val(row),
                        fingerprint: fingerprint.values.get_val(row),
                    });
                }
            }
            // The dictionary read once, in order (ordinals are that order),
            // the stamped ids copied into one buffer: no string per file.
            let mut stream = ids.dictionary().stream().map_err(|e| Error::io(&self.path, e))?;
            let mut ord = 0;
            while stream.advance() {
                if let Some(Some(stamp)) = by_ord.get(ord)
                    && !stream.key().is_empty()
                {
                    stamps.push(stream.key(), *stamp);
                }
                ord += 1;
            }
        }
        stamps.sort();
        Ok(stamps)
    }

    /// The stamp of one file, by its id, without reading every file's:
    /// what [`FolioIndex::stamps`] holds for it.
    pub fn stamp_of(&self, reader: &IndexReader, id: &str) -> Result<Option<FileStamp>> {
        let searcher = reader.searcher();
        let context = |e| Error::tantivy("reading a file's stamp", e);
        let term = Term::from_field_text(self.fields.file_id, id);
        let name = |field| self.fields.schema.get_field_name(field);
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(self.fields.file_id).map_err(context)?;
            let Some(mut docs) = inverted
                .read_postings(&term, IndexRecordOption::Basic)
                .map_err(|e| Error::io(&self.path, e))?
            else {
                continue;
            };
            let fast = segment.fast_fields();
            let size = fast.u64(name(self.fields.size)).map_err(context)?;
            let mtime = fast.u64(name(self.fields.mtime)).map_err(context)?;
            let fingerprint = fast.u64(name(self.fields.fingerprint)).map_err(context)?;
            let alive = segment.alive_bitset();
            let mut doc = docs.doc();
            while doc != tantivy::TERMINATED {
                // Only note documents carry the stamp; quotes share the id.
                if !alive.is_some_and(|a| a.is_deleted(doc))
                    && let Some(fingerprint) = fingerprint.first(doc)
                {
                    return Ok(Some(FileStamp {
                        size: size.first(doc).unwrap_or(0),
                        mtime: mtime.first(doc).unwrap_or(0),
                        fingerprint,
                    }));
                }
                doc = docs.advance();
            }
        }
        Ok(None)
    }

    /// Whether any live document's file id starts with one of `prefixes`
    /// (the files of a folder, by [`update::note_id`]'s form).
    pub fn has_file_ids_under(&self, reader: &IndexReader, prefixes: &[String]) -> Result<bool> {
        let searcher = reader.searcher();
        let context = |e| Error::tantivy("reading the index's file ids", e);
        for segment in searcher.segment_readers() {
            let inverted = segment.inverted_index(self.fields.file_id).map_err(context)?;
            for prefix in prefixes {
                let mut terms = inverted
                    .terms()
                    .range()
                    .ge(prefix.as_bytes())
                    .into_stream()
                    .map_err(|e| Error::io(&self.path, e))?;
                while terms.advance() {
                    if !terms.key().starts_with(prefix.as_bytes()) {
                        break;
                    }
                    // A term can outlive its documents until a merge.
                    let mut docs = inverted
                        .read_postings_from_terminfo(terms.value(), IndexRecordOption::Basic)
                        .map_err(|e| Error::io(&self.path, e))?;
                    let alive = segment.alive_bitset();
                    let mut doc = docs.doc();
                    while doc != tantivy::TERMINATED {
                        if !alive.is_some_and(|a| a.is_deleted(doc)) {
                            return Ok(true);
                        }
                        doc = docs.advance();
                    }
                }
            }
        }
        Ok(false)
    }

    /// Bytes the live index takes on disk (its files, recursively).
    pub fn size_on_disk(&self) -> u64 {
        fn bytes(path: &Path) -> u64 {
            let Ok(entries) = std::fs::read_dir(path) else { return 0 };
            entries
                .filter_map(|e| e.ok())
                .map(|e| match e.file_type() {
                    Ok(t) if t.is_dir() => bytes(&e.path()),
                    _ => e.metadata().map(|m| m.len()).unwrap_or(0),
                })
                .sum()
        }
        bytes(&self.dir)
    }

    /// How many documents of a kind the reader sees.
    pub fn count_kind(&self, reader: &IndexReader, kind: &str) -> Result<u64> {
        let query =
            TermQuery::new(Term::from_field_text(self.fields.kind, kind), IndexRecordOption::Basic);
        let count = reader
            .searcher()
            .search(&query, &tantivy::collector::Count)
            .map_err(|e| Error::tantivy("counting documents", e))?;
        Ok(count as u64)
    }
}

/// The stamps of the indexed files ([`FolioIndex::stamps`]), sorted by
/// file id: every id in one buffer, so reading 100,000 of them allocates
/// a few times instead of once per file (a no-op refresh reads them all).
#[derive(Debug, Default)]
pub struct Stamps {
    ids: Vec<u8>,
    /// Where each id lies in `ids`, and its stamp.
    entries: Vec<(usize, usize, FileStamp)>,
}

impl Stamps {
    fn push(&mut self, id: &[u8], stamp: FileStamp) {
        let start = self.ids.len();
        self.ids.extend_from_slice(id);
        self.entries.push((start, self.ids.len(), stamp));
    }

    /// Each segment's ids come sorted; together they are sorted here. An
    /// id alive in two segments (which a commit never leaves) is kept once.
    fn sort(&mut self) {
        let ids = &self.ids;
        self.entries.sort_by(|a, b| ids[a.0..a.1].cmp(&ids[b.0..b.1]));
        self.entries.dedup_by(|a, b| ids[a.0..a.1] == ids[b.0..b.1]);
    }

    /// How many files.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no file is stamped.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The id of the `i`th file, in byte order.
    pub fn id(&self, i: usize) -> &[u8] {
        self.entries.get(i).map_or(&[], |&(start, end, _)| &self.ids[start..end])
    }

    /// The stamp of the `i`th file.
    pub fn stamp(&self, i: usize) -> Option<FileStamp> {
        self.entries.get(i).map(|&(_, _, stamp)| stamp)
    }

    /// Where the file with id `id` is, when it is stamped.
    pub fn find(&self, id: &[u8]) -> Option<usize> {
        self.entries.binary_search_by(|&(start, end, _)| self.ids[start..end].cmp(id)).ok()
    }
}

/// A Tantivy writer on the live generation, holding the index folder's
/// writer lock until it is dropped.
pub struct Writer<D: tantivy::schema::document::Document> {
    // Declared first: dropped (and its merges killed) before the lock goes.
    inner: IndexWriter<D>,
    _lock: Arc<WriterLock>,
}

impl<D: tantivy::schema::document::Document> Writer<D> {
    /// Waits for running merges to finish, then releases the writer and
    /// its lock (dropping a Tantivy writer kills its merges).
    pub fn wait_merging_threads(self) -> tantivy::Result<()> {
        self.inner.wait_merging_threads()
    }
}

impl<D: tantivy::schema::document::Document> Deref for Writer<D> {
    type Target = IndexWriter<D>;
    fn deref(&self) -> &IndexWriter<D> {
        &self.inner
    }
}

impl<D: tantivy::schema::document::Document> DerefMut for Writer<D> {
    fn deref_mut(&mut self) -> &mut IndexWriter<D> {
        &mut self.inner
    }
}

/// Deletes the files of a folio index folder (the caller checked the marker),
/// keeping those named in `keep`. Only files folio and Tantivy write are
/// deleted ([`is_index_file`]): never a folder, never anything else, so
/// notes kept inside an index folder survive `--rebuild`.
pub(crate) fn remove_index_files(path: &Path, keep: &[&str]) -> Result<()> {
    // `meta.json` goes first: a run killed halfway through leaves a folder
    // with no commit (which folio rebuilds), not a commit naming segment
    // files already deleted (which no reader could open; the SIGKILL test
    // met it on a `--rebuild`).
    let meta = path.join("meta.json");
    if !keep.contains(&"meta.json") && meta.is_file() {
        std::fs::remove_file(&meta).map_err(|e| Error::io(&meta, e))?;
    }
    // The block bounds' folder is folio's own ([`bounds`]).
    let bounds = path.join(bounds::FOLDER);
    if !keep.contains(&bounds::FOLDER) && bounds.is_dir() {
        std::fs::remove_dir_all(&bounds).map_err(|e| Error::io(&bounds, e))?;
    }
    let entries = std::fs::read_dir(path).map_err(|e| Error::io(path, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(path, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if !is_file || !is_index_file(name) || keep.contains(&name) {
            continue;
        }
        let target = entry.path();
        std::fs::remove_file(&target).map_err(|e| Error::io(&target, e))?;
    }
    Ok(())
}

/// Whether a file name is one folio or Tantivy writes in an index folder:
/// the marker, `meta.json`, `.managed.json`, Tantivy's locks, segment files
/// (`<32 hex digits>.<ext>`, `<32 hex>.<opstamp>.del`) and the temporary
/// files of its atomic writes (`.tmpXXXXXX`).
fn is_index_file(name: &str) -> bool {
    let segment = name
        .split_once('.')
        .is_some_and(|(stem, _)| stem.len() == 32 && stem.bytes().all(|b| b.is_ascii_hexdigit()));
    segment
        || name.starts_with(".tmp")
        || [MARKER, "meta.json", ".managed.json", ".tantivy-writer.lock", ".tantivy-meta.lock"]
            .contains(&name)
}
