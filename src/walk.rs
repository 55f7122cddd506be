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
        // Each walking thread keeps the folder it is in open, to ask for
        // the facts of its files by name instead of by whole path.
        let mut facts = Facts::default();
        Box::new(move |entry| {
            match entry {
                Ok(entry) => {
                    if entry.file_type().is_some_and(|t| t.is_file())
                        && (is_note_file(entry.path()) || crate::note::is_export_only(entry.path()))
                    {
                        let file = match facts.of(&entry) {
                            Ok((size, mtime)) => Ok(Found { path: entry.into_path(), size, mtime }),
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

/// A file's size and modification time (ns since the epoch, 0 when unknown
/// or before it), as `std::fs::symlink_metadata` gives them.
///
/// On Linux the file is asked for by its name within its folder, which the
/// walking thread keeps open while it visits that folder's files (the walk
/// visits a folder's files one after another): the kernel then looks up one
/// name per file instead of every folder of the path again. That was a
/// fifth of a no-op refresh's time at 100,000 notes. Anywhere else, or when
/// the folder cannot be opened, the whole path is asked for.
#[derive(Default)]
struct Facts {
    #[cfg(target_os = "linux")]
    folder: Option<(PathBuf, rustix::fd::OwnedFd)>,
}

impl Facts {
    fn of(&mut self, entry: &ignore::DirEntry) -> std::io::Result<(u64, u64)> {
        #[cfg(target_os = "linux")]
        if let Some(facts) = self.by_name(entry.path()) {
            return Ok(facts);
        }
        let meta = entry.metadata().map_err(std::io::Error::other)?;
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Ok((meta.len(), mtime))
    }

    /// `None` when the folder or the file could not be asked: the caller
    /// asks by path, and words the error as ever.
    #[cfg(target_os = "linux")]
    fn by_name(&mut self, path: &Path) -> Option<(u64, u64)> {
        use rustix::fs::{AtFlags, Mode, OFlags, StatxFlags};
        let (parent, name) = (path.parent()?, path.file_name()?);
        if self.folder.as_ref().is_none_or(|(open, _)| open.as_path() != parent) {
            self.folder = None;
            let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
            let fd = rustix::fs::open(parent, flags, Mode::empty()).ok()?;
            self.folder = Some((parent.to_path_buf(), fd));
        }
        let (_, fd) = self.folder.as_ref()?;
        let facts = rustix::fs::statx(
            fd,
            name,
            AtFlags::SYMLINK_NOFOLLOW,
            StatxFlags::SIZE | StatxFlags::MTIME,
        )
        .ok()?;
        let time = facts.stx_mtime;
        // Before the epoch is unknown, as `duration_since` has it.
        let mtime = u64::try_from(time.tv_sec)
            .map(|s| (u128::from(s) * 1_000_000_000 + u128::from(time.tv_nsec)) as u64)
            .unwrap_or(0);
        Some((facts.stx_size, mtime))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    fn set_mtime(path: &Path, time: SystemTime) {
        let file = std::fs::File::options().write(true).open(path).expect("open");
        file.set_modified(time).expect("set mtime");
    }

    #[test]
    fn a_files_facts_are_its_metadata_to_the_nanosecond() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().canonicalize().expect("canonical");
        let base = UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789);
        let files = [
            ("a.md", base),
            ("deep/er/b.md", base + Duration::from_nanos(1)),
            ("deep/c.txt", base + Duration::from_secs(1)),
            ("old.md", UNIX_EPOCH - Duration::from_secs(5)),
        ];
        for (name, time) in files {
            let path = root.join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, name.repeat(3)).expect("write");
            set_mtime(&path, time);
        }
        let walked = walk(std::slice::from_ref(&root), None, 2);
        assert_eq!(walked.files.len(), files.len(), "{walked:?}");
        for found in &walked.files {
            let meta = std::fs::symlink_metadata(&found.path).expect("metadata");
            let mtime = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos() as u64);
            assert_eq!((found.size, found.mtime), (meta.len(), mtime), "{}", found.path.display());
        }
        let mtimes: Vec<u64> = walked.files.iter().map(|f| f.mtime).collect();
        assert_eq!(mtimes[0] + 1, mtimes[2], "a.md and deep/er/b.md are 1 ns apart: {mtimes:?}");
        assert_eq!(mtimes[3], 0, "before the epoch is unknown");
    }
}
