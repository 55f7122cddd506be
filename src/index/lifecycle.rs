//! The index's life on disk: generations, the switch between them, the
//! writer lock, automatic upgrades and the cleanup of what killed runs left.
//!
//! An index folder holds the `folio-index` marker, a writer lock file and
//! one Tantivy index per *generation* (`gen-000007/`, each with its own
//! marker naming its format). A small `CURRENT` file names the generation
//! readers open. A rebuild, a first build and an upgrade build a complete
//! new generation next to the live one, then replace `CURRENT` in one
//! atomic step (write a temporary file, fsync, rename, fsync the folder),
//! then delete the old generation. Until the rename every reader opens the
//! old generation; a process that already has it open keeps reading its
//! files after they are unlinked. A run killed, out of disk or failing at
//! any point before the rename leaves the old generation live; whatever it
//! left is deleted by the next writer, under the lock.
//!
//! An index of the older layout (a Tantivy index directly in the folder,
//! no `CURRENT`) is opened where it is and replaced by a generation at its
//! next rebuild or upgrade.
//!
//! Incremental updates write into the live generation with Tantivy's own
//! atomic commit ([`super::update`]).

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::merge;
use super::report::{Event, Report};
use super::schema::FORMAT_VERSION;
use super::update::{self, Summary, UpdateOptions};
use super::{
    CURRENT, FolderState, FolioIndex, GENERATION, MARKER, Payload, folder_state, generation_number,
    is_generation, live_dir,
};
use crate::error::{Error, NoteError, Result};

/// The lock file every writer holds for the whole of its run.
pub const WRITER_LOCK: &str = ".folio-writer.lock";

/// The temporary file `CURRENT` is written to before its rename.
const CURRENT_TEMP: &str = "CURRENT.tmp";

/// The folder-wide writer lock: one folio writer per index folder, across
/// generations (Tantivy's own lock only covers one generation). Released
/// when dropped, or by the OS when the process dies.
#[derive(Debug)]
pub struct WriterLock {
    _file: File,
}

impl WriterLock {
    /// Takes the lock of the index folder `path`, failing fast with
    /// [`Error::IndexBusy`] when another process holds it.
    pub fn acquire(path: &Path) -> Result<Self> {
        let lock_path = path.join(WRITER_LOCK);
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io(&lock_path, e))?;
        match file.try_lock() {
            Ok(()) => Ok(WriterLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => {
                Err(Error::IndexBusy { path: path.to_path_buf() })
            }
            Err(std::fs::TryLockError::Error(e)) => Err(Error::io(&lock_path, e)),
        }
    }
}

/// How a generation's format compares with this folio's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// [`FORMAT_VERSION`].
    Current,
    /// An older format: this folio rebuilds it.
    Older(u32),
    /// Written by a newer folio: refused.
    Newer(u32),
}

/// The format the marker in `dir` names.
pub fn format_of(dir: &Path) -> Result<Format> {
    let marker_path = dir.join(MARKER);
    let marker = std::fs::read_to_string(&marker_path).map_err(|e| Error::io(&marker_path, e))?;
    let found = marker.trim().trim_start_matches("folio index format ").trim();
    match found.parse::<u32>() {
        Ok(n) if n == FORMAT_VERSION => Ok(Format::Current),
        Ok(n) if n < FORMAT_VERSION => Ok(Format::Older(n)),
        Ok(n) => Ok(Format::Newer(n)),
        Err(_) => Err(Error::FormatMismatch {
            path: dir.to_path_buf(),
            found: found.to_string(),
            expected: FORMAT_VERSION,
        }),
    }
}

/// What a refresh leaves: the index, what the update did, and a reader on
/// its last commit.
pub struct Refreshed {
    /// The live index.
    pub index: FolioIndex,
    /// What the update (or build) did.
    pub summary: Summary,
    /// A reader on the new commit.
    pub reader: tantivy::IndexReader,
}

/// Brings the index folder `path` up to date under the writer lock.
///
/// A folder with no index gets a first build; an index of an older format
/// (or any, with `rebuild`) is built anew next to the live one and switched
/// to; otherwise the live index is updated incrementally. A rebuild reads
/// the note folders named in `options`, else those the old index
/// remembers. An index written by a newer folio is refused, untouched,
/// unless `rebuild` asks to replace it.
pub fn refresh(
    path: &Path,
    options: &UpdateOptions,
    rebuild: bool,
    report: &dyn Report,
) -> Result<Refreshed> {
    refresh_scoped(path, options, rebuild, None, report)
}

/// Opens the index at `path` to read it; an index of an older format is
/// first rebuilt in this one, by words only (the vectors fill in at the
/// next refresh with a model), from the folders it remembers.
pub fn open_upgraded(
    path: &Path,
    options: &UpdateOptions,
    report: &dyn Report,
) -> Result<FolioIndex> {
    match FolioIndex::open(path) {
        Err(Error::FormatOld { .. }) => {
            let options = UpdateOptions { roots: Vec::new(), model: None, ..options.clone() };
            Ok(refresh(path, &options, false, report)?.index)
        }
        other => other,
    }
}

/// An index opened for searching by [`open_fresh`].
pub struct Fresh {
    /// The index.
    pub index: FolioIndex,
    /// A reader on the commit the refresh made, when it made one.
    pub reader: Option<tantivy::IndexReader>,
    /// What the first build did, when there was no index before it.
    pub built: Option<Summary>,
    /// Another process holds the writer lock: this is its last commit,
    /// not brought up to date.
    pub busy: bool,
}

/// Opens the index at `path` to search it, first bringing it up to date
/// when `refresh` (what `folio quotes` and `folio mcp` do at start): a
/// folder with no index gets a first build from the default folder, an
/// older format is rebuilt; when another process is writing, its last
/// commit is searched (`busy`). Without `refresh`, the index is opened as
/// it is ([`open_upgraded`]).
pub fn open_fresh(
    path: &Path,
    options: &UpdateOptions,
    refresh: bool,
    report: &dyn Report,
) -> Result<Fresh> {
    if !refresh {
        let index = open_upgraded(path, options, report)?;
        return Ok(Fresh { index, reader: None, built: None, busy: false });
    }
    let first = folder_state(path)? == FolderState::Empty;
    match self::refresh(path, options, false, report) {
        Ok(refreshed) => Ok(Fresh {
            index: refreshed.index,
            reader: Some(refreshed.reader),
            built: first.then_some(refreshed.summary),
            busy: false,
        }),
        Err(Error::IndexBusy { .. }) => match FolioIndex::open(path) {
            // Another process is rebuilding it in this folio's format.
            Err(Error::FormatOld { .. }) => Err(Error::IndexBusy { path: path.to_path_buf() }),
            other => Ok(Fresh { index: other?, reader: None, built: None, busy: true }),
        },
        Err(err) => Err(err),
    }
}

/// [`refresh`] when a file watcher says which paths changed since the last
/// one: a live index of this format looks at only them
/// ([`update::update_paths_and_read`]); anything else goes as [`refresh`].
pub fn refresh_paths(
    path: &Path,
    options: &UpdateOptions,
    changed: &[PathBuf],
    report: &dyn Report,
) -> Result<Refreshed> {
    refresh_scoped(path, options, false, Some(changed), report)
}

fn refresh_scoped(
    path: &Path,
    options: &UpdateOptions,
    rebuild: bool,
    changed: Option<&[PathBuf]>,
    reporter: &dyn Report,
) -> Result<Refreshed> {
    // The update's threads are handed the warnings alone.
    let warn = |warning: &NoteError| reporter.warning(warning);
    let report = &warn;
    match folder_state(path)? {
        FolderState::Foreign => return Err(Error::NotAnIndex { path: path.to_path_buf() }),
        FolderState::Empty => {
            // Check the note folders before creating anything: a failed
            // first run leaves no index folder behind.
            update::resolve_roots(&options.roots, &Payload::default(), &options.default_roots)?;
            create_folder(path)?;
        }
        FolderState::Folio => {}
    }
    // An index of a newer folio is refused before anything is written,
    // the lock file included; checked again under the lock.
    refuse_newer(path, rebuild)?;
    let lock = Arc::new(WriterLock::acquire(path)?);
    refuse_newer(path, rebuild)?;
    let live = live_dir(path)?;
    clean(path, live.as_deref());
    let Some(live) = live else {
        return build(path, &lock, options.roots.clone(), options, None, report);
    };
    let format = format_of(&live)?;
    if format == Format::Current && !rebuild {
        let mut ix = FolioIndex::open_dir(path, &live)?;
        ix.lock = Some(lock);
        let updated = match changed {
            Some(changed) => update::update_paths_and_read(&ix, options, changed, report),
            None => update::update_and_read(&ix, options, report),
        };
        let (summary, reader) = updated
            .and_then(|(summary, reader)| {
                let reader = settle(&mut ix, &summary, reader)?;
                Ok((summary, reader))
            })
            .map_err(|e| name_a_full_disk(path, e))?;
        ix.lock = None;
        return Ok(Refreshed { index: ix, summary, reader });
    }
    let remembered = remembered_roots(&live);
    let roots = if options.roots.is_empty() { remembered } else { options.roots.clone() };
    // Resolved before anything is built: a folder that is gone fails the
    // run with the old index untouched.
    let resolved = update::resolve_roots(&roots, &Payload::default(), &options.default_roots)?;
    if let Format::Older(from) = format {
        reporter.event(&Event::Upgrading {
            path: path.to_path_buf(),
            from,
            folders: resolved.len(),
        });
    }
    build(path, &lock, resolved, options, Some(&live), report)
}

/// An empty index made live at once in a new generation, replacing the
/// live one (when `replace`) or opening it (when not, and it is of this
/// format). For tests and benchmarks that fill an index with
/// [`update::update`]: unlike [`refresh`], a replaced index is gone before
/// the new one is filled.
pub fn open_or_create(path: &Path, replace: bool) -> Result<FolioIndex> {
    match folder_state(path)? {
        FolderState::Foreign => return Err(Error::NotAnIndex { path: path.to_path_buf() }),
        FolderState::Empty => create_folder(path)?,
        FolderState::Folio => {}
    }
    let lock = WriterLock::acquire(path)?;
    let live = live_dir(path)?;
    clean(path, live.as_deref());
    if let Some(live) = &live
        && !replace
    {
        drop(lock);
        return FolioIndex::open_dir(path, live);
    }
    let name = next_generation(path)?;
    let dir = path.join(&name);
    let ix = FolioIndex::create_dir(path, &dir)?;
    switch(path, &name)?;
    if let Some(old) = &live {
        remove_generation(path, old);
    }
    Ok(ix)
}

/// [`Error::FormatNewer`] when the live index was written by a newer folio
/// (and `rebuild` does not ask to replace it).
fn refuse_newer(path: &Path, rebuild: bool) -> Result<()> {
    if rebuild {
        return Ok(());
    }
    if let Some(live) = live_dir(path)?
        && let Format::Newer(found) = format_of(&live)?
    {
        return Err(Error::FormatNewer {
            path: path.to_path_buf(),
            found,
            expected: FORMAT_VERSION,
        });
    }
    Ok(())
}

/// Creates the index folder and its marker, before anything else.
fn create_folder(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(|e| Error::io(path, e))?;
    let marker_path = path.join(MARKER);
    let mut marker = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&marker_path)
        .map_err(|e| Error::io(&marker_path, e))?;
    // Two first builds at once: one writes the marker, the other finds it.
    marker.lock().map_err(|e| Error::io(&marker_path, e))?;
    let empty = marker.metadata().map(|m| m.len() == 0).unwrap_or(true);
    if empty {
        marker
            .write_all(format!("folio index format {FORMAT_VERSION}\n").as_bytes())
            .and_then(|()| marker.sync_all())
            .map_err(|e| Error::io(&marker_path, e))?;
    }
    Ok(())
}

/// The note folders the index in `dir` remembers (none when its payload
/// cannot be read).
fn remembered_roots(dir: &Path) -> Vec<PathBuf> {
    let meta = dir.join("meta.json");
    let Ok(text) = std::fs::read_to_string(meta) else { return Vec::new() };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else { return Vec::new() };
    let Some(payload) = json.get("payload").and_then(|p| p.as_str()) else { return Vec::new() };
    #[derive(serde::Deserialize)]
    struct Remembered {
        #[serde(default, with = "super::roots_serde")]
        roots: Vec<PathBuf>,
    }
    serde_json::from_str::<Remembered>(payload).map(|r| r.roots).unwrap_or_default()
}

/// Builds a complete new generation from `roots`, switches `CURRENT` to
/// it, then deletes `old`. Any failure before the switch deletes the new
/// generation (or leaves it to the next run's cleanup) and leaves `old`
/// live.
fn build(
    path: &Path,
    lock: &Arc<WriterLock>,
    roots: Vec<PathBuf>,
    options: &UpdateOptions,
    old: Option<&Path>,
    report: &(dyn Fn(&NoteError) + Sync),
) -> Result<Refreshed> {
    let name = next_generation(path)?;
    let dir = path.join(&name);
    let built = (|| {
        let mut ix = FolioIndex::create_dir(path, &dir)?;
        ix.lock = Some(Arc::clone(lock));
        let options = UpdateOptions { roots, ..options.clone() };
        let (summary, reader) = update::update_and_read(&ix, &options, report)?;
        let reader = settle(&mut ix, &summary, reader)?;
        fail_point("before-switch")?;
        switch(path, &name)?;
        ix.lock = None;
        Ok(Refreshed { index: ix, summary, reader })
    })();
    match built {
        Ok(refreshed) => {
            if std::env::var("FOLIO_FAIL_AT").is_ok_and(|at| at == "after-switch") {
                // Test hook: die as a kill would, between the switch and
                // the deletion of the old generation.
                std::process::abort();
            }
            // The old generation is no longer live: delete it now, or the
            // next writer will.
            if let Some(old) = old {
                remove_generation(path, old);
            }
            Ok(refreshed)
        }
        Err(err) => {
            // Looked at before the new generation's files are deleted.
            let err = name_a_full_disk(path, err);
            let _ = std::fs::remove_dir_all(&dir);
            Err(err)
        }
    }
}

/// Free bytes below which a failed write is put down to a full disk.
const FULL_DISK_BYTES: u64 = 16 << 20;

/// `err`, or [`Error::DiskFull`] when the disk holding `path` has (almost)
/// no space left: Tantivy's writer threads report "an index writer was
/// killed" and lose the `ENOSPC` that killed them.
fn name_a_full_disk(path: &Path, err: Error) -> Error {
    match fs4::available_space(path) {
        Ok(free) if free < FULL_DISK_BYTES => Error::DiskFull { path: path.to_path_buf(), free },
        _ => err,
    }
}

/// After a commit, merges toward [`merge::MAX_SEGMENTS`] segments (bounded
/// merges) and points `reader` at the result.
/// The reader is handed in and back: it is dropped while segments merge
/// (see [`merge::merge_down`]) and a new one opened on the result.
fn settle(
    ix: &mut FolioIndex,
    summary: &Summary,
    reader: tantivy::IndexReader,
) -> Result<tantivy::IndexReader> {
    if !summary.committed || merge::segment_count(ix)? <= merge::MAX_SEGMENTS {
        return Ok(reader);
    }
    drop(reader);
    merge::merge_down(ix, merge::MAX_SEGMENTS, merge::MERGE_MAX_BYTES)?;
    let reader = ix.new_reader()?;
    ix.reader = Some(reader.clone());
    Ok(reader)
}

/// Test hook: `FOLIO_FAIL_AT=<point>` makes the run fail there with an I/O
/// error, as a full disk would (`tests/cli/lifecycle.rs`); `after-switch`
/// aborts the process right after the switch. Costs one environment lookup
/// per rebuild.
fn fail_point(point: &str) -> Result<()> {
    match std::env::var("FOLIO_FAIL_AT") {
        Ok(at) if at == point => Err(Error::io(
            Path::new(point),
            std::io::Error::other("failure injected by FOLIO_FAIL_AT"),
        )),
        _ => Ok(()),
    }
}

/// The name of a generation newer than any in the folder.
fn next_generation(path: &Path) -> Result<String> {
    let entries = std::fs::read_dir(path).map_err(|e| Error::io(path, e))?;
    let mut last = 0;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(path, e))?;
        if let Some(n) = entry.file_name().to_str().and_then(generation_number) {
            last = last.max(n);
        }
    }
    Ok(format!("{GENERATION}{:06}", last + 1))
}

/// Makes generation `name` the live one: `CURRENT` is replaced in one
/// atomic rename, its bytes and the folder's entry on disk first.
fn switch(path: &Path, name: &str) -> Result<()> {
    // The new generation's files reach the disk before `CURRENT` names it.
    sync_folder(&path.join(name))?;
    let temp = path.join(CURRENT_TEMP);
    let mut file = File::create(&temp).map_err(|e| Error::io(&temp, e))?;
    file.write_all(format!("{name}\n").as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io(&temp, e))?;
    drop(file);
    fail_point("switch")?;
    let current = path.join(CURRENT);
    std::fs::rename(&temp, &current).map_err(|e| Error::io(&current, e))?;
    sync_folder(path)
}

/// fsyncs a folder, so the names in it (a rename) are on disk.
fn sync_folder(path: &Path) -> Result<()> {
    File::open(path).and_then(|f| f.sync_all()).map_err(|e| Error::io(path, e))
}

/// Deletes a generation that is no longer live; for the older layout, the
/// Tantivy files directly in the folder. Failures only leave garbage for
/// the next run.
fn remove_generation(path: &Path, old: &Path) {
    if old == path {
        let _ = super::remove_index_files(path, &[MARKER]);
    } else {
        let _ = std::fs::remove_dir_all(old);
    }
}

/// Deletes what killed or failed runs left: generations that are not live,
/// a temporary `CURRENT`, and the older layout's files once a generation
/// is live. Runs under the writer lock, so no other process is building.
fn clean(path: &Path, live: Option<&Path>) {
    let Ok(entries) = std::fs::read_dir(path) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let target = entry.path();
        if is_generation(name) && Some(target.as_path()) != live {
            let _ = std::fs::remove_dir_all(&target);
        } else if name == CURRENT_TEMP {
            let _ = std::fs::remove_file(&target);
        }
    }
    if live.is_some_and(|l| l != path) {
        let _ = super::remove_index_files(path, &[MARKER]);
    }
}
