//! folio: fast full-text search for reading notes.
//!
//! ```text
//! note file ─walk─▶ note::parse ─▶ Note ─index::document─▶ Tantivy documents ─▶ index/
//! query text ─search::query─▶ Tantivy query ─▶ ranked hits ─search::snippet─▶ Hit ─output─▶ text | JSON
//! ```
//!
//! Each arrow is one module. [`note`] knows nothing of Tantivy; `output`
//! knows only hits and notes; `commands` is the one place that touches
//! everything; only `cli` knows clap.

pub mod bench;
pub mod cli;
pub mod commands;
pub mod embed;
pub mod error;
pub mod index;
pub mod note;
pub mod output;
pub mod search;
pub mod walk;

pub use error::{Error, NoteError, Result};
pub use note::{Note, Quote, Reference, ReferenceKind};
