//! Ranking notes by their quotes: a query on quote documents whose matches
//! count toward the note each quote belongs to.
//!
//! A quote's text is indexed once, on its quote document. A note search
//! still has to find and rank a note by words that are only in its quotes,
//! so [`QuotesOfNote`] runs a query over quote documents and reports their
//! notes instead: a note matches when any of its quotes does, and scores
//! its best quote's score. This works because a note's documents are added
//! as one batch (one segment, consecutive ids, the note first) and each
//! quote document records how far back its note is
//! ([`crate::index::schema::QUOTE_OFFSET`]); merges keep that order, and a
//! note's documents are only ever deleted together.

use std::sync::Arc;

use tantivy::columnar::ColumnValues;
use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, Term};

use crate::index::schema::QUOTE_OFFSET;

/// Matches the notes of the quote documents `inner` matches.
#[derive(Debug)]
pub struct QuotesOfNote {
    inner: Box<dyn Query>,
}

impl QuotesOfNote {
    /// `inner` is a query on quote documents.
    pub fn new(inner: Box<dyn Query>) -> Self {
        QuotesOfNote { inner }
    }
}

impl Clone for QuotesOfNote {
    fn clone(&self) -> Self {
        QuotesOfNote { inner: self.inner.box_clone() }
    }
}

impl Query for QuotesOfNote {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(QuotesOfNoteWeight { inner: self.inner.weight(scoring)? }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.inner.query_terms(visitor);
    }
}

struct QuotesOfNoteWeight {
    inner: Box<dyn Weight>,
}

impl Weight for QuotesOfNoteWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let quotes = self.inner.scorer(reader, boost)?;
        let offsets = reader.fast_fields().u64(QUOTE_OFFSET)?.first_or_default_col(0);
        let mut scorer = NoteScorer { quotes, offsets, doc: 0, score: 0.0 };
        scorer.next_note();
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} has no matching quote"
            )));
        }
        Ok(Explanation::new("its best matching quote", scorer.score()))
    }
}

/// Walks the matching quotes in id order, one note at a time.
struct NoteScorer {
    /// Positioned on the first matching quote not yet counted.
    quotes: Box<dyn Scorer>,
    offsets: Arc<dyn ColumnValues<u64>>,
    doc: DocId,
    score: Score,
}

impl NoteScorer {
    fn note_of(&self, quote: DocId) -> DocId {
        let back = self.offsets.get_val(quote).min(u64::from(quote));
        quote - back as DocId
    }

    /// Takes every matching quote of the next note: that note is the doc.
    fn next_note(&mut self) -> DocId {
        let first = self.quotes.doc();
        if first == TERMINATED {
            self.doc = TERMINATED;
            return TERMINATED;
        }
        let note = self.note_of(first);
        let mut best = self.quotes.score();
        while self.quotes.advance() != TERMINATED && self.note_of(self.quotes.doc()) == note {
            best = best.max(self.quotes.score());
        }
        self.doc = note;
        self.score = best;
        note
    }
}

impl DocSet for NoteScorer {
    fn advance(&mut self) -> DocId {
        self.next_note()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        // Quotes follow their note, so quotes before `target` belong to
        // notes before it; a quote after it may still belong to an earlier
        // note when `target` is not a note's id.
        if self.quotes.doc() < target {
            self.quotes.seek(target);
        }
        while self.quotes.doc() != TERMINATED && self.note_of(self.quotes.doc()) < target {
            self.quotes.advance();
        }
        self.next_note()
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.quotes.size_hint()
    }
}

impl Scorer for NoteScorer {
    fn score(&mut self) -> Score {
        self.score
    }
}
