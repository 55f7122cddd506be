//! What indexing tells its caller as it goes: lifecycle [`Event`]s and
//! warnings about notes, through the [`Report`] a front end hands in. The
//! index never prints; the output module says these on stderr.

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
