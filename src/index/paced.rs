//! Holding back the parse threads so notes do not pile up in front of the
//! indexing threads.
//!
//! Tantivy's queue in front of its indexing threads holds up to 10,000
//! *batches*, and each note is one batch (its documents must land together:
//! see [`super::schema::QUOTE_BLOCK`]). Parsing is faster than indexing, so
//! that queue would fill with 10,000 whole notes, bodies and all (about 75 MB
//! more peak memory at 100,000 notes). A [`Pacer`] hands out a fixed number
//! of tickets; each note's first document carries one and gives it back
//! when an indexing thread takes the document (or when it is dropped).

use crossbeam_channel::{Receiver, Sender};
use tantivy::TantivyDocument;
use tantivy::schema::document::Document;

/// Notes that may wait for an indexing thread at once: plenty to keep the
/// indexing threads busy, a few MB of memory.
pub const NOTES_IN_FLIGHT: usize = 1_000;

/// Hands out tickets, at most [`NOTES_IN_FLIGHT`] at a time.
pub struct Pacer {
    take: Sender<()>,
    give_back: Receiver<()>,
}

impl Pacer {
    /// A pacer with every ticket available.
    pub fn new() -> Self {
        let (take, give_back) = crossbeam_channel::bounded(NOTES_IN_FLIGHT);
        Pacer { take, give_back }
    }

    /// Waits for a ticket and attaches it to `doc`.
    pub fn ticketed(&self, doc: TantivyDocument) -> PacedDocument {
        // Only fails when every receiver is gone, and the pacer holds one.
        let _ = self.take.send(());
        PacedDocument { doc, _ticket: Some(Ticket(self.give_back.clone())) }
    }
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer::new()
    }
}

/// A document, maybe holding a ticket.
#[derive(Debug)]
pub struct PacedDocument {
    doc: TantivyDocument,
    /// Only held: dropping it gives the ticket back.
    _ticket: Option<Ticket>,
}

impl From<TantivyDocument> for PacedDocument {
    fn from(doc: TantivyDocument) -> Self {
        PacedDocument { doc, _ticket: None }
    }
}

/// Gives its ticket back when dropped.
#[derive(Debug)]
struct Ticket(Receiver<()>);

impl Drop for Ticket {
    fn drop(&mut self) {
        let _ = self.0.try_recv();
    }
}

impl Document for PacedDocument {
    type Value<'a> = <TantivyDocument as Document>::Value<'a>;
    type FieldsValuesIter<'a> = <TantivyDocument as Document>::FieldsValuesIter<'a>;

    fn iter_fields_and_values(&self) -> Self::FieldsValuesIter<'_> {
        self.doc.iter_fields_and_values()
    }

    fn into_tantivy_document(self) -> TantivyDocument {
        // The ticket goes back here: an indexing thread has taken the note.
        self.doc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// The pacer holds the next note back while every ticket is out, and
    /// lets it go as soon as an indexing thread takes one document.
    #[test]
    fn a_note_waits_until_a_ticketed_document_is_taken() {
        let pacer = std::sync::Arc::new(Pacer::new());
        let mut out: Vec<PacedDocument> =
            (0..NOTES_IN_FLIGHT).map(|_| pacer.ticketed(TantivyDocument::new())).collect();
        let (done, finished) = mpsc::channel();
        let waiting = std::sync::Arc::clone(&pacer);
        let thread = std::thread::spawn(move || {
            let doc = waiting.ticketed(TantivyDocument::new());
            let _ = done.send(());
            doc
        });
        assert!(
            finished.recv_timeout(Duration::from_millis(200)).is_err(),
            "a ticket was handed out while all {NOTES_IN_FLIGHT} were taken"
        );
        // An indexing thread takes a document: its ticket comes back.
        let taken = out.pop().map(PacedDocument::into_tantivy_document);
        assert!(taken.is_some());
        assert!(finished.recv_timeout(Duration::from_secs(10)).is_ok(), "still waiting");
        assert!(thread.join().is_ok());
        // Unticketed documents never wait.
        drop(PacedDocument::from(TantivyDocument::new()));
    }
}
