//! Fresh while serving: a watcher on the note folders tells one refresher
//! thread which paths changed; once they stop changing for the debounce,
//! the refresher updates the index for those paths only
//! ([`lifecycle::refresh_paths`]) and swaps the new commit's engine in. A
//! burst of changes (a sync tool writing 1,000 files) becomes one or a few
//! commits. When the watcher may have missed changes (its queue
//! overflowed, or it reported an error), the next refresh walks every
//! file. When another folio process holds the writer, the server keeps
//! answering from its last commit and retries.

use crate::output::report::Stderr;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use notify::event::{AccessKind, AccessMode};
use notify::{Event, EventKind, RecommendedWatcher, RecursiveMode, Watcher};

use super::AppState;
use crate::config::Settings;
use crate::error::Error;
use crate::index::update::{self, UpdateOptions};
use crate::index::{FolderState, Payload, folder_state, lifecycle};
use crate::search::Engine;

/// How long to wait before trying again when another process is writing.
const BUSY_RETRY: Duration = Duration::from_millis(500);

/// A refresh waits at most this long after the first change it answers,
/// even while changes keep coming (a long sync): the first of them are
/// searchable within the second.
const MAX_WAIT: Duration = Duration::from_millis(500);

/// Past this many changed paths, a refresh walks everything anyway.
const MAX_PATHS: usize = 10_000;

/// Keeps the watcher alive; dropping it stops watching.
pub struct Watching {
    _watcher: RecommendedWatcher,
}

/// What the watcher saw.
enum Seen {
    /// These paths changed.
    Paths(Vec<PathBuf>),
    /// Changes may have been missed: look at everything.
    Everything,
}

/// Changes waiting for the next refresh.
#[derive(Default)]
enum Pending {
    #[default]
    Nothing,
    Paths(BTreeSet<PathBuf>),
    Everything,
}

impl Pending {
    fn add(&mut self, seen: Seen) {
        match (&mut *self, seen) {
            (Pending::Everything, _) => {}
            (_, Seen::Everything) => *self = Pending::Everything,
            (Pending::Paths(paths), Seen::Paths(more)) => {
                paths.extend(more);
                if paths.len() > MAX_PATHS {
                    *self = Pending::Everything;
                }
            }
            (Pending::Nothing, Seen::Paths(more)) => {
                *self = Pending::Paths(more.into_iter().collect());
                self.add(Seen::Paths(Vec::new()));
            }
        }
    }

    fn merge(&mut self, other: Pending) {
        match other {
            Pending::Nothing => {}
            Pending::Everything => *self = Pending::Everything,
            Pending::Paths(paths) => self.add(Seen::Paths(paths.into_iter().collect())),
        }
    }
}

/// Opens (or starts building) the index, starts watching its note folders
/// and the refresher thread. Errors here (no note folder, an index folder
/// that is not folio's) stop `folio serve` before it listens.
pub fn start(
    settings: Settings,
    state: Arc<AppState>,
    debounce: Duration,
) -> anyhow::Result<Watching> {
    let path = settings.index.clone();
    // No bars: the server's stderr is a log.
    let options = settings.update_options(None);
    let roots = match folder_state(&path)? {
        FolderState::Empty => {
            crate::output::say(format_args!(
                "building the index in {} (the API answers 503 until done)",
                path.display()
            ));
            update::resolve_roots(&options.roots, &Payload::default(), &options.default_roots)?
        }
        _ => {
            // Serve the last commit at once (an index of an older format
            // is rebuilt first); the first refresh catches up.
            let ix = crate::index::lifecycle::open_upgraded(
                &path,
                &options,
                &crate::output::report::Stderr,
            )?;
            let roots =
                update::resolve_roots(&options.roots, &ix.payload()?, &options.default_roots)?;
            state.set_engine(Engine::open(ix)?);
            roots
        }
    };

    let index_dir = path.canonicalize().unwrap_or(path.clone());
    let (send, seen) = crossbeam_channel::unbounded::<Seen>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<Event>| {
        let seen = match event {
            Ok(event) if event.need_rescan() => Seen::Everything,
            // Opening or reading a file changes nothing (the refresher's
            // own reads would wake it again).
            Ok(Event { kind: EventKind::Access(access), .. })
                if access != AccessKind::Close(AccessMode::Write) =>
            {
                return;
            }
            Ok(event) => {
                // The index's own files change with every commit: only
                // changes outside it (when it sits inside a note folder)
                // mean new notes.
                let paths: Vec<PathBuf> =
                    event.paths.into_iter().filter(|p| !p.starts_with(&index_dir)).collect();
                if paths.is_empty() {
                    return;
                }
                Seen::Paths(paths)
            }
            Err(_) => Seen::Everything,
        };
        let _ = send.send(seen);
    })?;
    for root in &roots {
        watcher
            .watch(root, RecursiveMode::Recursive)
            .map_err(|e| anyhow::anyhow!("cannot watch {}: {e}", root.display()))?;
    }
    let options = UpdateOptions { roots, ..options };
    std::thread::Builder::new()
        .name("folio-refresh".into())
        .spawn(move || refresh_loop(path, options, state, seen, debounce))?;
    Ok(Watching { _watcher: watcher })
}

fn refresh_loop(
    path: PathBuf,
    options: UpdateOptions,
    state: Arc<AppState>,
    seen: Receiver<Seen>,
    debounce: Duration,
) {
    // The first refresh catches up with changes made while not serving.
    let mut pending = Pending::Everything;
    let mut said_busy = false;
    let mut owed_everything = false;
    loop {
        if matches!(pending, Pending::Nothing) {
            match seen.recv() {
                Ok(change) => pending.add(change),
                Err(_) => return,
            }
        }
        // Wait for the changes to stop for `debounce` (an editor's save is
        // several events, a sync tool's burst many), at most MAX_WAIT.
        let started = Instant::now();
        loop {
            let left = MAX_WAIT.saturating_sub(started.elapsed()).min(debounce);
            match seen.recv_timeout(left) {
                Ok(change) => pending.add(change),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
            if started.elapsed() >= MAX_WAIT {
                break;
            }
        }
        let mut due = std::mem::take(&mut pending);
        if owed_everything {
            due = Pending::Everything;
        }
        let refreshed = match &due {
            Pending::Paths(paths) => {
                let paths: Vec<PathBuf> = paths.iter().cloned().collect();
                lifecycle::refresh_paths(&path, &options, &paths, &Stderr)
            }
            _ => lifecycle::refresh(&path, &options, false, &Stderr),
        };
        match refreshed {
            Ok(refreshed) => {
                said_busy = false;
                owed_everything = false;
                let summary = &refreshed.summary;
                if summary.added + summary.updated + summary.removed > 0 {
                    crate::output::say(format_args!(
                        "refreshed in {:.2} s: {} added, {} updated, {} removed \
                         ({} notes, {} quotes)",
                        summary.seconds,
                        summary.added,
                        summary.updated,
                        summary.removed,
                        summary.notes,
                        summary.quotes
                    ));
                }
                if summary.committed || state.engine().is_none() {
                    state.set_engine(Engine::with_reader(refreshed.index, refreshed.reader));
                    state.refreshes.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(Error::IndexBusy { .. }) => {
                if !said_busy {
                    crate::output::say(format_args!(
                        "another folio process is writing the index; \
                         answering from the last commit and retrying"
                    ));
                    said_busy = true;
                }
                std::thread::sleep(BUSY_RETRY);
                pending.merge(due);
            }
            Err(e) => {
                crate::output::say(format_args!(
                    "refreshing the index failed: {e}; still answering from the last \
                     commit"
                ));
                // What failed is not known to be done: the next change
                // brings a full walk with it.
                owed_everything = true;
            }
        }
    }
}
