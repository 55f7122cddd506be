//! folio: fast full-text search for reading notes.
//!
//! ```text
//! note file ─walk─▶ note::parse_many ─▶ Note(s) ─index::document─▶ Tantivy documents ─▶ index/
//! query text ─search::query─▶ Tantivy query ─▶ ranked hits ─search::snippet─▶ Hit ─output─▶ text | JSON
//! HTTP request ─serve::api─▶ the same search ─output::json─▶ JSON response
//! MCP tool call ─mcp::tools─▶ the same search ─▶ structured content (the same JSON)
//! ```
//!
//! A file is usually one note; a highlight export (`note::highlights`) is
//! one note per book. Each arrow is one module. [`note`] knows nothing of Tantivy; `output`
//! knows only hits and notes; `config` resolves options once for every
//! front end; `commands` (the CLI) and `serve` (HTTP) are the places that
//! touch everything; only `cli` knows clap.

pub mod bench;
pub mod cli;
pub mod commands;
pub mod config;
pub mod embed;
pub mod error;
pub mod index;
pub mod mcp;
pub mod note;
pub mod output;
pub mod search;
pub mod serve;
pub mod walk;

pub use error::{Error, NoteError, Result};
pub use note::{Note, Quote, Reference, ReferenceKind};
