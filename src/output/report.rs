//! Indexing's events and warnings on stderr: the [`Report`] the command
//! line and the server hand to the index, and the [`Progress`] bars of
//! long steps.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

use crate::error::NoteError;
use crate::index::report::{Event, Progress, Report, Step};

/// Says each event and warning as one line on stderr.
#[derive(Debug, Default, Clone, Copy)]
pub struct Stderr;

impl Report for Stderr {
    fn event(&self, event: &Event) {
        match event {
            Event::Upgrading { path, from, folders } => eprintln!(
                "folio: upgrading the index at {} from format {from} to {}: rebuilding it from \
                 its {folders} note folder{} (searches use the old index until it is done)",
                path.display(),
                crate::index::schema::FORMAT_VERSION,
                if *folders == 1 { "" } else { "s" }
            ),
        }
    }

    /// A warning or a skipped note as `folio: warning: path:line: message`,
    /// the path relative to the current folder when under it.
    fn warning(&self, warning: &NoteError) {
        let shown = NoteError {
            path: super::paths::shown(&warning.path).into(),
            line: warning.line,
            message: warning.message.clone(),
        };
        eprintln!("folio: warning: {shown}");
    }
}

/// Progress bars on stderr when `show` and stderr is a terminal (a pipe or
/// a log gets no bars), else none.
pub fn bars(show: bool) -> Option<Arc<dyn Progress>> {
    (show && std::io::stderr().is_terminal())
        .then(|| Arc::new(Bars::default()) as Arc<dyn Progress>)
}

/// Indexing of more than this many notes gets a bar; fewer take a blink,
/// and a bar would only flicker.
const INDEXING_BAR_FROM: usize = 2_000;

/// One `indicatif` bar per long step, on stderr.
#[derive(Debug, Default)]
pub struct Bars {
    bar: Mutex<Option<indicatif::ProgressBar>>,
}

impl Progress for Bars {
    fn start(&self, step: Step, total: usize) {
        let template = match step {
            Step::Indexing if total <= INDEXING_BAR_FROM => return,
            Step::Indexing => "indexing {bar:40} {pos}/{len} notes, {per_sec}, eta {eta}",
            Step::Embedding => "embedding {bar:30} {pos}/{len} {per_sec} eta {eta}",
            Step::Generating => "generating {bar:40} {pos}/{len} notes, {per_sec}, eta {eta}",
        };
        let bar = indicatif::ProgressBar::new(total as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        if let Ok(mut slot) = self.bar.lock() {
            *slot = Some(bar);
        }
    }

    fn advance(&self, done: usize) {
        if let Ok(slot) = self.bar.lock()
            && let Some(bar) = slot.as_ref()
        {
            bar.inc(done as u64);
        }
    }

    fn finish(&self) {
        if let Ok(mut slot) = self.bar.lock()
            && let Some(bar) = slot.take()
        {
            bar.finish_and_clear();
        }
    }
}
