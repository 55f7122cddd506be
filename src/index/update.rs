//! Building and updating the index incrementally.
//!
//! One pass: walk the note folders, compare each file with what the index
//! recorded (size and mtime first, then the content fingerprint), and only
//! for what changed read, parse (on every core) and re-index; removed files
//! are deleted. A file may hold many notes (a highlight export, one per
//! book): it is read once, and its notes are deleted and replaced together,
//! by the file's id. Everything lands in one commit, or nothing is written at all
//! when nothing changed. A bad note is reported (`path:line: message`),
//! counted and skipped; the build goes on.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use tantivy::indexer::UserOperation;
use tantivy::{TantivyDocument, Term};

use super::document::{self, FileStamp};
use super::paced::{PacedDocument, Pacer};
use super::report::{Progressing, Step};
use super::schema::{FORMAT_VERSION, KIND_NOTE, KIND_QUOTE};
use super::{FolioIndex, Payload, vectors};
use crate::error::{Error, NoteError, Result};
use crate::note;
use crate::walk::{self, Found};

/// How to update.
#[derive(Debug, Clone)]
pub struct UpdateOptions {
    /// Note folders; empty means the folders the index remembers.
    pub roots: Vec<PathBuf>,
    /// Note folders of a first build when none are given and the index
    /// remembers none (the settings' default; empty: name one).
    pub default_roots: Vec<PathBuf>,
    /// Parsing and indexing threads.
    pub threads: usize,
    /// Indexing memory budget, MB, all threads together.
    pub memory_mb: usize,
    /// Where the progress of indexing and embedding goes; `None`: nowhere.
    pub progress: Option<std::sync::Arc<dyn super::report::Progress>>,
    /// The sentence model: quotes get vectors ([`super::vectors`]). `None`
    /// indexes words only.
    pub model: Option<std::sync::Arc<crate::embed::Model>>,
}

/// What an update did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Notes in the index after the update.
    pub notes: u64,
    /// Quotes in the index after the update.
    pub quotes: u64,
    /// New files indexed (a highlight export counts once, however many
    /// notes it holds).
    pub added: usize,
    /// Changed files re-indexed, every note of each.
    pub updated: usize,
    /// Files removed (deleted, renamed, or now unreadable), with their notes.
    pub removed: usize,
    /// Files left as they were.
    pub unchanged: usize,
    /// Files that could not be indexed.
    pub failed: Vec<Failure>,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Whether a commit was written.
    pub committed: bool,
    /// Texts embedded by this update (the others' vectors were reused).
    pub embedded: usize,
}

/// A file that could not be indexed.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// The file.
    pub path: String,
    /// Why, with the line when known.
    pub message: String,
}

/// What a parse worker sends to the writer.
enum Outcome {
    /// New or changed file: the documents of every note it holds, note by
    /// note.
    Index { id: String, existed: bool, notes: Vec<Vec<TantivyDocument>> },
    /// Same bytes as indexed.
    Unchanged,
    /// Could not be read or parsed; `existed` says an old version must go.
    Failed { id: String, existed: bool, error: NoteError },
    /// Vanished since the walk, or not a note after all (a `.json` file
    /// that is no highlight export).
    Vanished { id: String, existed: bool },
}

/// The note folders to use: given ones, else remembered ones, else the
/// `fallback` (the settings' default folder; none: an error that says to
/// name one).
pub fn resolve_roots(
    given: &[PathBuf],
    payload: &Payload,
    fallback: &[PathBuf],
) -> Result<Vec<PathBuf>> {
    let roots: Vec<PathBuf> = if !given.is_empty() {
        given.to_vec()
    } else if !payload.roots.is_empty() {
        payload.roots.clone()
    } else if !fallback.is_empty() {
        fallback.to_vec()
    } else {
        return Err(Error::NoNoteFolder);
    };
    let mut absolute = Vec::with_capacity(roots.len());
    for root in roots {
        let canonical = root.canonicalize().map_err(|e| Error::Io {
            path: root.clone(),
            source: std::io::Error::new(
                e.kind(),
                format!("note folder not found ({e}); name an existing folder"),
            ),
        })?;
        if !canonical.is_dir() {
            return Err(Error::Io {
                path: root,
                source: std::io::Error::other("is not a folder; name a folder of notes"),
            });
        }
        if !absolute.contains(&canonical) {
            absolute.push(canonical);
        }
    }
    absolute.sort();
    Ok(absolute)
}

/// Brings the index up to date with the note folders; `report` sees each
/// warning and failure as it happens.
pub fn update(
    ix: &FolioIndex,
    options: &UpdateOptions,
    report: &(dyn Fn(&NoteError) + Sync),
) -> Result<Summary> {
    update_and_read(ix, options, report).map(|(summary, _)| summary)
}

/// [`update`], also handing back the reader it used, on the new commit: a
/// search right after reuses it instead of opening every segment again.
pub fn update_and_read(
    ix: &FolioIndex,
    options: &UpdateOptions,
    report: &(dyn Fn(&NoteError) + Sync),
) -> Result<(Summary, tantivy::IndexReader)> {
    update_scoped(ix, options, None, report)
}

/// [`update_and_read`] when a file watcher says which paths changed (were
/// written, created, renamed from or to, deleted) since the last update:
/// only those are looked at, so a saved note costs a few directory
/// listings and index lookups instead of a walk of every file. Anything
/// it cannot judge alone (a folder created, renamed or deleted, an ignore
/// file changed, a path outside the note folders, very many paths) falls
/// back to the full walk, so the result is always what [`update`] gives.
pub fn update_paths_and_read(
    ix: &FolioIndex,
    options: &UpdateOptions,
    changed: &[PathBuf],
    report: &(dyn Fn(&NoteError) + Sync),
) -> Result<(Summary, tantivy::IndexReader)> {
    update_scoped(ix, options, Some(changed), report)
}

/// More changed paths than this are surveyed by a full walk: past it, the
/// lookups cost what the walk costs.
const MAX_TARGETED: usize = 10_000;

/// The files an update must read, and what it must delete.
struct Survey {
    /// Files new or changed since their stamps (or unknown), with the old
    /// stamp when there was one.
    files: Vec<(Found, Option<FileStamp>)>,
    /// Ids of files gone from disk.
    removed: Vec<String>,
    /// Files whose stamps match.
    unchanged: usize,
}

fn update_scoped(
    ix: &FolioIndex,
    options: &UpdateOptions,
    changed: Option<&[PathBuf]>,
    report: &(dyn Fn(&NoteError) + Sync),
) -> Result<(Summary, tantivy::IndexReader)> {
    let started = Instant::now();
    let payload = ix.payload()?;
    let roots = resolve_roots(&options.roots, &payload, &options.default_roots)?;
    let threads = options.threads.max(1);
    // Fail fast when another folio process is writing (before any work).
    // The Tantivy writer (its threads, its own lock, its sweep of unused
    // files) only starts when there is something to write: a no-op
    // refresh decides without it.
    let lock = ix.write_lock()?;

    let reader = ix.reader()?;
    let roots_changed = payload.roots != roots || payload.folio_format != FORMAT_VERSION;
    let targeted = match changed {
        Some(paths) if !roots_changed => survey_paths(ix, &reader, &roots, paths, report)?,
        _ => None,
    };
    let survey = match targeted {
        Some(survey) => survey,
        None => survey_all(ix, &reader, &roots, threads, report)?,
    };

    let work: Vec<(&Found, Option<FileStamp>)> =
        survey.files.iter().map(|(file, old)| (file, *old)).collect();
    let removed = survey.removed;

    let mut fresh: Vec<(u64, String)> = Vec::new();
    if work.is_empty() && removed.is_empty() && !roots_changed {
        let plan = match &options.model {
            Some(model) => vectors::plan(ix, &reader, &payload, model, &HashSet::new(), fresh)?,
            None => None,
        };
        let summary = Summary { unchanged: survey.unchanged, ..Summary::default() };
        let Some(plan) = plan else {
            ix.write_bounds_if_missing(&reader);
            drop(lock);
            return finish(ix, reader, summary, started);
        };
        // Nothing changed but the vectors (a model is new, or another one).
        let writer = ix.writer_with(lock, threads, options.memory_mb)?;
        return commit(ix, writer, reader, summary, started, payload.roots, Some(plan), options);
    }
    let writer = ix.writer_with(lock, threads, options.memory_mb)?;
    let mut batch = Batch::new(ix, &writer, survey.unchanged);

    for id in &removed {
        batch.remove(id);
    }

    let progress = Progressing::start(options, Step::Indexing, work.len());
    let next = AtomicUsize::new(0);
    let pacer = Pacer::new();
    std::thread::scope(|scope| -> Result<()> {
        let (send, receive) = mpsc::sync_channel::<Outcome>(256);
        for _ in 0..threads {
            let send = send.clone();
            let (work, next, fields) = (&work, &next, &ix.fields);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((file, old)) = work.get(i) else { break };
                    let outcome = process(fields, file, &note_id(&file.path), *old, report);
                    if send.send(outcome).is_err() {
                        break;
                    }
                }
            });
        }
        drop(send);
        for outcome in receive {
            progress.advance(1);
            match outcome {
                Outcome::Index { id, existed, notes } => {
                    if options.model.is_some() {
                        for docs in &notes {
                            vectors::texts_of(ix, docs, &mut fresh);
                        }
                    }
                    if existed {
                        batch.replace(&id);
                    } else {
                        batch.summary.added += 1;
                    }
                    // One batch per note: one segment, consecutive ids
                    // (QUOTE_BLOCK). The notes of a many-book file go to
                    // the indexing threads side by side (a 10 MB clippings
                    // file as one batch kept all but one thread idle); the
                    // delete above is by file, so they still go together.
                    for docs in notes {
                        let mut docs = docs.into_iter();
                        let ops: Vec<UserOperation<PacedDocument>> = docs
                            .next()
                            .map(|note| pacer.ticketed(note))
                            .into_iter()
                            .chain(docs.map(PacedDocument::from))
                            .map(UserOperation::Add)
                            .collect();
                        writer.run(ops).map_err(|e| Error::tantivy("indexing", e))?;
                    }
                }
                Outcome::Unchanged => batch.summary.unchanged += 1,
                Outcome::Failed { id, existed, error } => {
                    if existed {
                        batch.remove(&id);
                    }
                    batch.summary.failed.push(Failure {
                        path: error.path.to_string_lossy().into_owned(),
                        message: match error.line {
                            Some(line) => format!("line {line}: {}", error.message),
                            None => error.message.clone(),
                        },
                    });
                }
                Outcome::Vanished { id, existed } => {
                    if existed {
                        batch.remove(&id);
                    }
                }
            }
        }
        Ok(())
    })?;
    drop(progress);

    let Batch { summary, gone, .. } = batch;
    let changed = summary.added + summary.updated + summary.removed > 0;
    let plan = match &options.model {
        Some(model) => vectors::plan(ix, &reader, &payload, model, &gone, fresh)?,
        None => None,
    };
    if !changed && !roots_changed && plan.is_none() {
        // Only mtimes moved: nothing to write.
        ix.write_bounds_if_missing(&reader);
        drop(writer);
        return finish(ix, reader, summary, started);
    }
    commit(ix, writer, reader, summary, started, roots, plan, options)
}

/// What one update deletes and counts: a file's documents go by its id, the
/// id is remembered (its vectors go with it) and the file is counted once,
/// as removed or as updated.
struct Batch<'w> {
    writer: &'w super::Writer<PacedDocument>,
    file_id: tantivy::schema::Field,
    /// Ids of files whose old documents were deleted.
    gone: HashSet<String>,
    summary: Summary,
}

impl<'w> Batch<'w> {
    fn new(ix: &FolioIndex, writer: &'w super::Writer<PacedDocument>, unchanged: usize) -> Self {
        Batch {
            writer,
            file_id: ix.fields.file_id,
            gone: HashSet::new(),
            summary: Summary { unchanged, ..Summary::default() },
        }
    }

    /// A file gone from disk, unreadable now, or no note after all.
    fn remove(&mut self, id: &str) {
        self.delete(id);
        self.summary.removed += 1;
    }

    /// A changed file: its old documents go, its new ones follow.
    fn replace(&mut self, id: &str) {
        self.delete(id);
        self.summary.updated += 1;
    }

    fn delete(&mut self, id: &str) {
        self.writer.delete_term(Term::from_field_text(self.file_id, id));
        self.gone.insert(id.to_string());
    }
}

/// Walks every note folder and compares each file with its stamp.
fn survey_all(
    ix: &FolioIndex,
    reader: &tantivy::IndexReader,
    roots: &[PathBuf],
    threads: usize,
    report: &(dyn Fn(&NoteError) + Sync),
) -> Result<Survey> {
    // Walking is mostly waiting on the file system: read the index's stamps
    // meanwhile.
    let (walked, stamps) = std::thread::scope(|scope| {
        let walking = scope.spawn(|| walk::walk(roots, Some(&ix.path), threads));
        let stamps = ix.stamps(reader);
        (walking.join(), stamps)
    });
    let stamps = stamps?;
    let walked = walked.map_err(|_| Error::Io {
        path: ix.path.clone(),
        source: std::io::Error::other("walking the note folders failed"),
    })?;
    for warning in &walked.warnings {
        report(&NoteError { path: PathBuf::new(), line: None, message: warning.clone() });
    }
    let mut survey = Survey { files: Vec::new(), removed: Vec::new(), unchanged: 0 };
    // Both lists are in byte order: a UTF-8 path is its own id, so the
    // two are read side by side (no lookup per file); an id of another
    // form (`note_id`) is looked up.
    let mut seen = vec![false; stamps.len()];
    let mut next = 0;
    for file in walked.files {
        let found = match file.path.to_str() {
            Some(id) => {
                while next < stamps.len() && stamps.id(next) < id.as_bytes() {
                    next += 1;
                }
                (stamps.id(next) == id.as_bytes() && next < stamps.len()).then_some(next)
            }
            None => stamps.find(id_of(&file.path).as_bytes()),
        };
        if let Some(i) = found {
            seen[i] = true;
        }
        match found.and_then(|i| stamps.stamp(i)) {
            Some(s) if s.size == file.size && s.mtime == file.mtime => survey.unchanged += 1,
            old => survey.files.push((file, old)),
        }
    }
    // What the walk did not meet was removed from disk.
    survey.removed = (0..stamps.len())
        .filter(|&i| !seen[i])
        .map(|i| String::from_utf8_lossy(stamps.id(i)).into_owned())
        .collect();
    Ok(survey)
}

/// Looks only at `paths` (what a watcher saw change); `None` when they
/// need the full walk to be judged.
fn survey_paths(
    ix: &FolioIndex,
    reader: &tantivy::IndexReader,
    roots: &[PathBuf],
    paths: &[PathBuf],
    report: &(dyn Fn(&NoteError) + Sync),
) -> Result<Option<Survey>> {
    if paths.len() > MAX_TARGETED {
        return Ok(None);
    }
    let index = ix.path.canonicalize().unwrap_or_else(|_| ix.path.clone());
    let mut wanted: Vec<PathBuf> = Vec::with_capacity(paths.len());
    for path in paths {
        if path.starts_with(&index) {
            continue; // the index's own files
        }
        if !roots.iter().any(|root| path.starts_with(root) && path != root) {
            return Ok(None);
        }
        let name = path.file_name().and_then(|n| n.to_str());
        if matches!(name, Some(".gitignore" | ".ignore")) {
            return Ok(None); // what the walk takes has changed
        }
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
            return Ok(None); // a folder came: what is in it is unknown
        }
        wanted.push(path.clone());
    }
    wanted.sort_unstable_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
    wanted.dedup();
    let walked = walk::walk_paths(roots, &wanted, Some(&ix.path));
    for warning in &walked.warnings {
        report(&NoteError { path: PathBuf::new(), line: None, message: warning.clone() });
    }
    let mut survey = Survey { files: Vec::new(), removed: Vec::new(), unchanged: 0 };
    let found: HashSet<&Path> = walked.files.iter().map(|f| f.path.as_path()).collect();
    for path in &wanted {
        if found.contains(path.as_path()) {
            continue;
        }
        // Not a note file (now): gone, renamed away, ignored, or never one.
        let id = id_of(path);
        if ix.stamp_of(reader, &id)?.is_some() {
            survey.removed.push(id.into_owned());
        } else if ix.has_file_ids_under(reader, &folder_prefixes(path))? {
            return Ok(None); // a folder of indexed notes went away
        }
    }
    for file in walked.files {
        match ix.stamp_of(reader, &id_of(&file.path))? {
            Some(s) if s.size == file.size && s.mtime == file.mtime => survey.unchanged += 1,
            old => survey.files.push((file, old)),
        }
    }
    Ok(Some(survey))
}

/// How the ids of files inside the folder `path` start (see [`note_id`]:
/// a file with a name that is not UTF-8 has the escaped form).
fn folder_prefixes(path: &Path) -> Vec<String> {
    let id = id_of(path);
    let mut prefixes = vec![format!("{id}/")];
    if !id.starts_with("non-utf8:") {
        prefixes.push(format!("non-utf8:{}/", id.replace('\\', "\\\\")));
    }
    prefixes
}

/// Writes the vectors (when there is a plan), then commits everything with
/// a payload naming them; stale vector files go after the commit.
#[allow(clippy::too_many_arguments)]
fn commit(
    ix: &FolioIndex,
    mut writer: super::Writer<PacedDocument>,
    reader: tantivy::IndexReader,
    mut summary: Summary,
    started: Instant,
    roots: Vec<PathBuf>,
    plan: Option<vectors::Plan>,
    options: &UpdateOptions,
) -> Result<(Summary, tantivy::IndexReader)> {
    let old = ix.payload()?;
    let vectors = match (plan, &options.model) {
        (Some(plan), Some(model)) => {
            summary.embedded = plan.to_embed();
            Some(vectors::write(ix, plan, model, options.progress.as_deref())?)
        }
        // The model is off: the last vectors stay named (they are only
        // searched when a model is there to embed the query).
        _ => old.vectors.filter(|_| options.model.is_some()),
    };
    let payload = Payload {
        folio_format: FORMAT_VERSION,
        folio_version: env!("CARGO_PKG_VERSION").to_string(),
        roots,
        built_at: SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
        vectors: vectors.clone(),
    };
    let mut prepared = writer.prepare_commit().map_err(|e| Error::tantivy("committing", e))?;
    prepared.set_payload(&serde_json::to_string(&payload).unwrap_or_default());
    prepared.commit().map_err(|e| Error::tantivy("committing", e))?;
    // Dropping a writer kills its merges (tantivy.md §8): let them finish.
    writer.wait_merging_threads().map_err(|e| Error::tantivy("merging segments", e))?;
    summary.committed = true;
    if let Some(name) = &vectors {
        vectors::remove_stale(ix, name);
    }
    reader.reload().map_err(|e| Error::tantivy("reloading the reader", e))?;
    ix.write_bounds();
    finish(ix, reader, summary, started)
}

fn finish(
    ix: &FolioIndex,
    reader: tantivy::IndexReader,
    mut summary: Summary,
    started: Instant,
) -> Result<(Summary, tantivy::IndexReader)> {
    summary.notes = ix.count_kind(&reader, KIND_NOTE)?;
    summary.quotes = ix.count_kind(&reader, KIND_QUOTE)?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok((summary, reader))
}

/// Reads, fingerprints and parses one file (on a worker thread).
fn process(
    fields: &super::schema::Fields,
    file: &Found,
    id: &str,
    old: Option<FileStamp>,
    report: &(dyn Fn(&NoteError) + Sync),
) -> Outcome {
    let existed = old.is_some();
    let bytes = match std::fs::read(&file.path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Outcome::Vanished { id: id.to_string(), existed };
        }
        Err(err) => {
            let error = NoteError::new(&file.path, note::read_error_message(&err));
            report(&error);
            return Outcome::Failed { id: id.to_string(), existed, error };
        }
    };
    let fingerprint = xxhash_rust::xxh3::xxh3_64(&bytes);
    if old.is_some_and(|s| s.fingerprint == fingerprint) {
        return Outcome::Unchanged;
    }
    match note::parse_file(&file.path, &bytes) {
        Ok(None) => Outcome::Vanished { id: id.to_string(), existed },
        Ok(Some(notes)) => {
            let warned = notes.iter().any(|p| !p.warnings.is_empty());
            if warned {
                for warning in notes.iter().flat_map(|p| &p.warnings) {
                    report(&NoteError {
                        path: file.path.clone(),
                        line: warning.line,
                        message: warning.message.clone(),
                    });
                }
            }
            // The stamp is of the bytes read, so a file growing during the
            // walk is simply seen as changed next time.
            let stamp = FileStamp { size: bytes.len() as u64, mtime: file.mtime, fingerprint };
            let stamp =
                if stamp.size == file.size { stamp } else { FileStamp { mtime: 0, ..stamp } };
            let ids = document::Ids { file: id };
            let notes = notes
                .iter()
                .map(|parsed| document::documents(fields, &parsed.note, ids, stamp))
                .collect();
            Outcome::Index { id: id.to_string(), existed, notes }
        }
        Err(mut error) => {
            error.path = file.path.clone();
            report(&error);
            Outcome::Failed { id: id.to_string(), existed, error }
        }
    }
}

/// A file's identity in the index: its absolute path as walked, carried
/// by every document of every note the file holds.
///
/// A path that is not UTF-8 cannot be its own lossy text: `caf\xE9.md` and
/// `caf\xE8.md` both read `caf�.md`, and one id for two files made every
/// run re-index one and drop the other. Such a path is written with its bad
/// bytes as `\xNN` (and `\` as `\\`) after a `non-utf8:` prefix, which no
/// absolute path starts with: one id per file.
pub fn note_id(path: &Path) -> String {
    id_of(path).into_owned()
}

/// The path a [`note_id`] was made from (its inverse).
pub fn path_of_id(id: &str) -> PathBuf {
    let Some(escaped) = id.strip_prefix("non-utf8:") else { return PathBuf::from(id) };
    let mut bytes = Vec::with_capacity(escaped.len());
    let mut rest = escaped.as_bytes();
    while let Some((&first, tail)) = rest.split_first() {
        match (first, tail) {
            (b'\\', [b'\\', tail @ ..]) => {
                bytes.push(b'\\');
                rest = tail;
            }
            (b'\\', [b'x', high, low, tail @ ..]) => {
                let hex = [*high, *low];
                match std::str::from_utf8(&hex).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => bytes.push(byte),
                    None => bytes.extend_from_slice(&[b'\\', b'x', *high, *low]),
                }
                rest = tail;
            }
            _ => {
                bytes.push(first);
                rest = tail;
            }
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        PathBuf::from(std::ffi::OsString::from_vec(bytes))
    }
    #[cfg(not(unix))]
    {
        PathBuf::from(String::from_utf8_lossy(&bytes).into_owned())
    }
}

/// [`note_id`], borrowed when the path is UTF-8 (the common case).
fn id_of(path: &Path) -> std::borrow::Cow<'_, str> {
    if let Some(text) = path.to_str() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut id = String::from("non-utf8:");
    for chunk in path.as_os_str().as_encoded_bytes().utf8_chunks() {
        id.push_str(&chunk.valid().replace('\\', "\\\\"));
        for byte in chunk.invalid() {
            id.push_str(&format!("\\x{byte:02X}"));
        }
    }
    std::borrow::Cow::Owned(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, text).expect("write a note");
    }

    /// A small two-thread update of the folder `notes`, words only.
    fn options(notes: &Path) -> UpdateOptions {
        UpdateOptions {
            roots: vec![notes.to_path_buf()],
            default_roots: Vec::new(),
            threads: 2,
            memory_mb: 60,
            progress: None,
            model: None,
        }
    }

    fn counts(summary: &Summary) -> (usize, usize, usize) {
        (summary.added, summary.updated, summary.removed)
    }

    #[test]
    fn a_targeted_update_reads_only_the_named_paths_and_agrees_with_a_walk() {
        let dir = tempfile::tempdir().expect("temp dir");
        let notes = dir.path().join("notes");
        write(&notes.join("a.md"), "title: A\n\nalpha\n");
        write(&notes.join("b.md"), "title: B\n\nbravo\n");
        write(&notes.join("sub/c.md"), "title: C\n\ncharlie\n");
        write(&notes.join(".gitignore"), "ignored/\n");
        let notes = notes.canonicalize().expect("canonical");
        let ix = FolioIndex::open_or_create(&dir.path().join("index"), false).expect("create");
        let options = options(&notes);
        let report = |_: &NoteError| {};
        let full = |ix: &FolioIndex| update(ix, &options, &report).expect("update");
        let only = |ix: &FolioIndex, paths: &[&str]| {
            let paths: Vec<PathBuf> = paths.iter().map(|p| notes.join(p)).collect();
            update_paths_and_read(ix, &options, &paths, &report).expect("targeted update").0
        };
        assert_eq!(counts(&full(&ix)), (3, 0, 0));

        // Both change; only the named one is read.
        write(&notes.join("a.md"), "title: A\n\nalpha, longer now\n");
        write(&notes.join("b.md"), "title: B\n\nbravo, longer now\n");
        assert_eq!(counts(&only(&ix, &["a.md"])), (0, 1, 0));
        assert_eq!(counts(&full(&ix)), (0, 1, 0), "b.md was left for the walk");

        // A rename is a removal and an addition.
        std::fs::rename(notes.join("a.md"), notes.join("a2.md")).expect("rename");
        assert_eq!(counts(&only(&ix, &["a.md", "a2.md"])), (1, 0, 1));
        // An ignored file stays out, as the walk leaves it out; a file
        // that is no note (yet) and a path that never was are nothing.
        write(&notes.join("ignored/x.md"), "title: X\n\nxray\n");
        write(&notes.join("draft.tmp"), "title: T\n\ntango\n");
        assert_eq!(counts(&only(&ix, &["ignored/x.md", "draft.tmp", "never.md"])), (0, 0, 0));
        // A folder that goes takes its notes (by a walk).
        std::fs::remove_dir_all(notes.join("sub")).expect("remove a folder");
        assert_eq!(counts(&only(&ix, &["sub"])), (0, 0, 1));
        // A folder that comes brings its notes (by a walk).
        write(&notes.join("new/d.md"), "title: D\n\ndelta\n");
        assert_eq!(counts(&only(&ix, &["new"])), (1, 0, 0));

        // Nothing is left for a walk to find.
        let after = full(&ix);
        assert_eq!(counts(&after), (0, 0, 0));
        assert_eq!(after.notes, 3, "a2, b and d");
    }

    #[test]
    fn a_same_size_edit_a_nanosecond_later_is_noticed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let notes = dir.path().join("notes");
        let note = notes.join("a.md");
        write(&note, "title: A\n\nalpha\n");
        write(&notes.join("b.md"), "title: B\n\nbravo\n");
        let time = std::time::UNIX_EPOCH + std::time::Duration::new(1_700_000_000, 5);
        let set_mtime = |time| {
            let file = std::fs::File::options().write(true).open(&note).expect("open");
            file.set_modified(time).expect("set mtime");
        };
        set_mtime(time);
        let ix = FolioIndex::open_or_create(&dir.path().join("index"), false).expect("create");
        let options = options(&notes);
        let report = |_: &NoteError| {};
        assert_eq!(counts(&update(&ix, &options, &report).expect("build")), (2, 0, 0));
        let nothing = update(&ix, &options, &report).expect("no-op");
        assert_eq!((counts(&nothing), nothing.unchanged, nothing.committed), ((0, 0, 0), 2, false));

        write(&note, "title: A\n\nomega\n");
        set_mtime(time + std::time::Duration::from_nanos(1));
        let summary = update(&ix, &options, &report).expect("update");
        assert_eq!((counts(&summary), summary.committed), ((0, 1, 0), true));
    }

    #[cfg(unix)]
    #[test]
    fn an_id_gives_back_its_path() {
        use std::os::unix::ffi::OsStrExt;
        for bytes in [&b"/notes/caf\xe9.md"[..], b"/notes/a\\b\xff\\x41.md", b"/notes/plain.md"] {
            let path = Path::new(std::ffi::OsStr::from_bytes(bytes));
            assert_eq!(path_of_id(&note_id(path)), path, "{}", note_id(path));
        }
    }
}
