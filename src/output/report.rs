//! Indexing's events and warnings on stderr: the [`Report`] the command
//! line and the server hand to the index.

use crate::error::NoteError;
use crate::index::report::{Event, Report};

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

    /// A warning or a skipped note as `folio: warning: path:line: message`.
    fn warning(&self, warning: &NoteError) {
        eprintln!("folio: warning: {warning}");
    }
}
