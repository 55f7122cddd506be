//! Finds note files under the note folders, as ripgrep would: recursively,
//! honouring `.gitignore` and `.ignore`, skipping hidden files (but for a
//! Kobo's `.kobo` folder), never
//! descending into the index itself. Takes note files and the files that
//! can only be highlight exports (`.json`, KOReader `metadata.*.lua`
//! sidecars: [`crate::note::is_export_only`]). Yields paths and file facts; it never
//! reads or parses a note.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::UNIX_EPOCH;

use ignore::{WalkBuilder, WalkState};

/// Extensions of note files.
pub const NOTE_EXTENSIONS: [&str; 3] = ["md", "markdown", "txt"];

/// A note file found by the walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The file as walked.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
    /// Modification time in ns since the epoch (0 when unknown).
    pub mtime: u64,
}

/// What a walk found: note files, sorted by path, and problems met on the way.
#[derive(Debug, Default)]
pub struct Walk {
    /// Note files.
    pub files: Vec<Found>,
    /// Folders or files that could not be read (message names the path).
    pub warnings: Vec<String>,
}

/// Whether `path` has a note extension.
pub fn is_note_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| NOTE_EXTENSIONS.iter().any(|n| e.eq_ignore_ascii_case(n)))
}

/// Walks `roots` in parallel, skipping `exclude` (the index folder). The
/// roots must be canonical (as `index::update::resolve_roots` makes them)
/// for `exclude` to be recognised.
pub fn walk(roots: &[PathBuf], exclude: Option<&Path>, threads: usize) -> Walk {
    let Some((first, rest)) = roots.split_first() else { return Walk::default() };
    let mut builder = builder(first);
    for root in rest {
        builder.add(root);
    }
    let exclude = exclude.and_then(|e| e.canonicalize().ok());
    builder
        .threads(threads.max(1))
        // Links are not followed, so below canonical roots every folder's
        // path is already canonical: compare it as it is (a realpath per
        // folder cost several system calls on every refresh).
        .filter_entry(move |entry| {
            visible(entry)
                && match &exclude {
                    Some(index) if entry.file_type().is_some_and(|t| t.is_dir()) => {
                        entry.path() != index
                    }
                    _ => true,
                }
        });
    collect(builder)
}

/// What [`walk`] would find of `paths`, without looking at anything
/// else: the walk enters only the folders that lead to them, so ignore
/// files, hidden names, the index folder and extensions rule as in a full
/// walk. Reads one directory listing per folder on the way, not every
/// file's facts.
pub fn walk_paths(roots: &[PathBuf], paths: &[PathBuf], exclude: Option<&Path>) -> Walk {
    let wanted: HashSet<PathBuf> = paths.iter().cloned().collect();
    let on_the_way: HashSet<PathBuf> =
        paths.iter().flat_map(|p| p.ancestors().skip(1)).map(Path::to_path_buf).collect();
    let roots: Vec<&PathBuf> = roots.iter().filter(|r| on_the_way.contains(*r)).collect();
    let Some((first, rest)) = roots.split_first() else { return Walk::default() };
    let mut builder = builder(first);
    for root in rest {
        builder.add(root);
    }
    let exclude = exclude.and_then(|e| e.canonicalize().ok());
    builder.threads(1).filter_entry(move |entry| {
        if !visible(entry) {
            return false;
        }
        let path = entry.path();
        if entry.file_type().is_some_and(|t| t.is_dir()) {
            on_the_way.contains(path) && exclude.as_deref() != Some(path)
        } else {
            wanted.contains(path)
        }
    });
    collect(builder)
}

/// Walk settings shared by [`walk`] and [`walk_paths`], so both find the
/// same files.
fn builder(root: &Path) -> WalkBuilder {
    let mut builder = WalkBuilder::new(root);
    // Hidden names are skipped by [`visible`], which lets one in.
    builder.hidden(false).require_git(false).follow_links(false);
    builder
}

/// Folders with a hidden name the walk enters anyway: a Kobo e-reader
/// keeps its highlights in `.kobo/KoboReader.sqlite`.
const HIDDEN_BUT_READ: [&str; 1] = [".kobo"];

/// Whether the walk looks at `entry`: hidden names (starting with a dot)
/// are skipped below the roots, but for [`HIDDEN_BUT_READ`] folders.
fn visible(entry: &ignore::DirEntry) -> bool {
    if entry.depth() == 0 {
        return true;
    }
    let name = entry.file_name().as_encoded_bytes();
    if name.first() != Some(&b'.') {
        return true;
    }
    entry.file_type().is_some_and(|t| t.is_dir())
        && HIDDEN_BUT_READ.iter().any(|h| name.eq_ignore_ascii_case(h.as_bytes()))
}

/// Runs the walk: note files with their facts, sorted by path.
fn collect(builder: WalkBuilder) -> Walk {
    let found = Mutex::new(Walk::default());
    builder.build_parallel().run(|| {
        let found = &found;
        Box::new(move |entry| {
            match entry {
                Ok(entry) => {
                    if entry.file_type().is_some_and(|t| t.is_file())
                        && (is_note_file(entry.path()) || crate::note::is_export_only(entry.path()))
                    {
                        let file = match entry.metadata() {
                            Ok(meta) => Ok(Found {
                                path: entry.into_path(),
                                size: meta.len(),
                                mtime: meta
                                    .modified()
                                    .ok()
                                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                                    .map(|d| d.as_nanos() as u64)
                                    .unwrap_or(0),
                            }),
                            Err(err) => Err(format!("{}: {err}", entry.path().display())),
                        };
                        if let Ok(mut walk) = found.lock() {
                            match file {
                                Ok(file) => walk.files.push(file),
                                Err(message) => walk.warnings.push(message),
                            }
                        }
                    }
                }
                Err(err) => {
                    if let Ok(mut walk) = found.lock() {
                        walk.warnings.push(err.to_string());
                    }
                }
            }
            WalkState::Continue
        })
    });
    let mut walk = found.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    // Byte order, not `Path`'s component-wise order: the same determinism
    // at a fraction of the cost (it was half of a no-op refresh).
    walk.files.sort_unstable_by(|a, b| a.path.as_os_str().cmp(b.path.as_os_str()));
    walk.files.dedup_by(|a, b| a.path.as_os_str() == b.path.as_os_str());
    walk.warnings.sort();
    walk
}
