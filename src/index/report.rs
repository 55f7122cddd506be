//! What indexing tells its caller as it goes: lifecycle [`Event`]s and
//! warnings about notes, through the [`Report`] a front end hands in, and
//! how far a long step has come, through a [`Progress`]. The index never
//! prints nor draws; the output module says these on stderr.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::NoteError;

/// What a refresh tells its caller as it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An index of an older format is being rebuilt in this one.
    Upgrading {
        /// The index folder.
        path: PathBuf,
        /// Its format.
        from: u32,
        /// How many note folders it is rebuilt from.
        folders: usize,
    },
}

/// Where indexing's events and warnings go (shared by the threads that
/// parse notes).
pub trait Report: Sync {
    /// Something the index's lifecycle is doing.
    fn event(&self, event: &Event);
    /// A note that was read with a problem, or skipped.
    fn warning(&self, warning: &NoteError);
}

/// A long step whose progress is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Notes read, parsed and indexed.
    Indexing,
    /// Texts embedded by the sentence model.
    Embedding,
    /// Notes written by `folio bench`'s generator.
    Generating,
}

/// Where the progress of a long step goes: a front end may draw it as a
/// bar, a test or a server ignores it. Calls come from one thread.
pub trait Progress: Send + Sync + std::fmt::Debug {
    /// `step` begins, with `total` units to do.
    fn start(&self, step: Step, total: usize);
    /// `done` more units are done.
    fn advance(&self, done: usize);
    /// The step is over (or given up).
    fn finish(&self);
}

/// A step in progress: reports its start now and its end when dropped
/// (on every path out of the step, errors included).
pub(crate) struct Progressing<'p>(Option<&'p dyn Progress>);

impl<'p> Progressing<'p> {
    /// Starts `step` on `progress`, if there is one.
    pub(crate) fn on(progress: Option<&'p dyn Progress>, step: Step, total: usize) -> Self {
        if let Some(p) = progress {
            p.start(step, total);
        }
        Progressing(progress)
    }

    /// Starts `step` on the update's progress.
    pub(crate) fn start(
        options: &'p super::update::UpdateOptions,
        step: Step,
        total: usize,
    ) -> Self {
        Self::on(options.progress.as_deref(), step, total)
    }

    /// `done` more units are done.
    pub(crate) fn advance(&self, done: usize) {
        if let Some(p) = self.0 {
            p.advance(done);
        }
    }
}

impl Drop for Progressing<'_> {
    fn drop(&mut self) {
        if let Some(p) = self.0 {
            p.finish();
        }
    }
}

/// A report that says nothing and counts the warnings (benchmarks, tests).
#[derive(Debug, Default)]
pub struct Counting {
    /// Warnings so far.
    pub warnings: AtomicUsize,
}

impl Report for Counting {
    fn event(&self, _: &Event) {}

    fn warning(&self, _: &NoteError) {
        self.warnings.fetch_add(1, Ordering::Relaxed);
    }
}
