//! What goes on stderr while work runs: indexing's events and warnings
//! (the [`Report`] the command line and the server hand to the index), the
//! [`Progress`] bars of long steps, `folio model fetch`'s progress, and the
//! hint that meaning search exists.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::embed::fetch::{self, Fetched, Source};
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

/// `folio model fetch`'s progress on stderr: a bar per file on a terminal,
/// else one line per file (a log keeps lines, not redrawn bars).
#[derive(Debug)]
pub struct FetchProgress {
    bar: std::sync::Mutex<Option<indicatif::ProgressBar>>,
    terminal: bool,
}

impl Default for FetchProgress {
    fn default() -> Self {
        FetchProgress {
            bar: std::sync::Mutex::new(None),
            terminal: std::io::IsTerminal::is_terminal(&std::io::stderr()),
        }
    }
}

impl FetchProgress {
    fn finish(&self) {
        if let Some(bar) = self.bar.lock().ok().and_then(|mut bar| bar.take()) {
            bar.finish_and_clear();
        }
    }
}

impl fetch::Progress for FetchProgress {
    fn file(&self, name: &str, size: Option<u64>) {
        self.finish();
        if !self.terminal {
            match size {
                Some(size) => eprintln!("folio: fetching {name} ({})", megabytes(size)),
                None => eprintln!("folio: fetching {name}"),
            }
            return;
        }
        let bar = match size {
            Some(size) => indicatif::ProgressBar::new(size),
            None => indicatif::ProgressBar::no_length(),
        };
        let template = "{msg:>25} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}";
        if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar.set_message(name.to_string());
        if let Ok(mut slot) = self.bar.lock() {
            *slot = Some(bar);
        }
    }

    fn bytes(&self, count: u64) {
        if let Some(bar) = self.bar.lock().ok().as_ref().and_then(|bar| bar.as_ref()) {
            bar.inc(count);
        }
    }

    fn installing(&self) {
        self.finish();
    }
}

fn megabytes(bytes: u64) -> String {
    if bytes < 1000 {
        format!("{bytes} bytes")
    } else if bytes < 100_000 {
        format!("{:.0} kB", bytes as f64 / 1e3)
    } else {
        format!("{:.1} MB", bytes as f64 / 1e6)
    }
}

/// Says where `folio model fetch` gets the model from and puts it.
pub fn fetch_start(source: &Source, target: &Path) {
    let from = match source {
        Source::Url(url) if *url == crate::embed::fetch::HUB_URL => {
            format!("the Hugging Face hub (revision {})", &crate::embed::fetch::HUB_REVISION[..7])
        }
        Source::Url(url) => url.clone(),
        Source::Dir(dir) => dir.display().to_string(),
    };
    eprintln!("folio: fetching the sentence model from {from} into {}", target.display());
}

/// Says how `folio model fetch` ended.
pub fn fetched(target: &Path, fetched: &Fetched) {
    match fetched {
        Fetched::AlreadyThere => eprintln!(
            "folio: {} already holds the model, every file's SHA-256 as pinned; nothing to fetch",
            target.display()
        ),
        Fetched::Installed { bytes } => eprintln!(
            "folio: the sentence model is in {} ({}, every file's SHA-256 checked). Searches \
             now find quotes by meaning too; the next one embeds your notes once",
            target.display(),
            megabytes(*bytes)
        ),
    }
}

/// Said once by a search without a sentence model, ranked by words: how to
/// turn meaning on, and how to stop being told.
pub fn meaning_hint() {
    eprintln!(
        "folio: searched by words only. `folio model fetch` downloads the sentence model \
         (90 MB, once); then searches find quotes by meaning too (said once)"
    );
}
