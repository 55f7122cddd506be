//! Fresh while serving: a debounced watcher on the note folders wakes one
//! refresher thread, which runs the ordinary incremental update
//! ([`crate::index::update`]) and swaps the new commit's engine in. A burst
//! of changes (a sync tool writing 1,000 files) arrives as one or a few
//! wake-ups, so as one or a few commits. When another folio process holds
//! the writer, the server keeps answering from its last commit and retries.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use notify_debouncer_mini::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{DebounceEventResult, Debouncer, new_debouncer};

use super::AppState;
use crate::config::Config;
use crate::error::Error;
use crate::index::update::{self, UpdateOptions};
use crate::index::{FolderState, Payload, folder_state, lifecycle};
use crate::search::Engine;

/// How long to wait before trying again when another process is writing.
const BUSY_RETRY: Duration = Duration::from_millis(500);

/// Keeps the watcher alive; dropping it stops watching.
pub struct Watching {
    _debouncer: Debouncer<RecommendedWatcher>,
}

/// Opens (or starts building) the index, starts watching its note folders
/// and the refresher thread. Errors here (no note folder, an index folder
/// that is not folio's) stop `folio serve` before it listens.
pub fn start(config: Config, state: Arc<AppState>, debounce: Duration) -> anyhow::Result<Watching> {
    let path = config.index.clone();
    let roots = match folder_state(&path)? {
        FolderState::Empty => {
            eprintln!(
                "folio: building the index in {} (the API answers 503 until done)",
                path.display()
            );
            update::resolve_roots(&config.roots, &Payload::default())?
        }
        _ => {
            // Serve the last commit at once (an index of an older format
            // is rebuilt first); the first refresh catches up.
            let ix = crate::commands::open_upgraded(&path)?;
            let roots = update::resolve_roots(&config.roots, &ix.payload()?)?;
            state.set_engine(Engine::open(ix)?);
            roots
        }
    };

    let index_dir = path.canonicalize().unwrap_or(path.clone());
    let (wake, woken) = crossbeam_channel::unbounded::<()>();
    let mut debouncer = new_debouncer(debounce, move |events: DebounceEventResult| {
        // The index's own files change with every commit: only changes
        // outside it (when it sits inside a note folder) mean new notes.
        if let Ok(events) = events
            && events.iter().any(|e| !e.path.starts_with(&index_dir))
        {
            let _ = wake.send(());
        }
    })?;
    for root in &roots {
        debouncer
            .watcher()
            .watch(root, RecursiveMode::Recursive)
            .map_err(|e| anyhow::anyhow!("cannot watch {}: {e}", root.display()))?;
    }
    let options = UpdateOptions { roots, ..config.update_options(false) };
    std::thread::Builder::new()
        .name("folio-refresh".into())
        .spawn(move || refresh_loop(path, options, state, woken))?;
    Ok(Watching { _debouncer: debouncer })
}

fn refresh_loop(
    path: PathBuf,
    options: UpdateOptions,
    state: Arc<AppState>,
    woken: crossbeam_channel::Receiver<()>,
) {
    let report = |e: &crate::NoteError| eprintln!("folio: {e}");
    let mut due = true; // the first refresh catches up with changes made while not serving
    let mut said_busy = false;
    loop {
        if !due && woken.recv().is_err() {
            return;
        }
        // Every wake-up queued so far is answered by this one update.
        while woken.try_recv().is_ok() {}
        due = false;
        match lifecycle::refresh(&path, &options, false, &crate::commands::print_event, &report) {
            Ok(refreshed) => {
                said_busy = false;
                let summary = &refreshed.summary;
                if summary.added + summary.updated + summary.removed > 0 {
                    eprintln!(
                        "folio: refreshed in {:.2} s: {} added, {} updated, {} removed \
                         ({} notes, {} quotes)",
                        summary.seconds,
                        summary.added,
                        summary.updated,
                        summary.removed,
                        summary.notes,
                        summary.quotes
                    );
                }
                if summary.committed || state.engine().is_none() {
                    state.set_engine(Engine::with_reader(refreshed.index, refreshed.reader));
                    state.refreshes.fetch_add(1, Ordering::Relaxed);
                }
            }
            Err(Error::IndexBusy { .. }) => {
                if !said_busy {
                    eprintln!(
                        "folio: another folio process is writing the index; \
                         answering from the last commit and retrying"
                    );
                    said_busy = true;
                }
                std::thread::sleep(BUSY_RETRY);
                due = true;
            }
            Err(e) => eprintln!(
                "folio: refreshing the index failed: {e}; still answering from the last commit"
            ),
        }
    }
}
