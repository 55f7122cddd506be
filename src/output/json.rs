//! JSON for programs: one function per contract, shared by `--json` and
//! `folio serve`'s API, so both print the same object for the same search.
//! The contracts are in [`crate::search::hit`] and the README.

use std::io::{self, Write};

use serde::Serialize;

use crate::search::Results;

/// Search results (`folio search --json`, `GET /api/search`), `offset` hits
/// dropped from the front (a page of the ranking; the CLI passes 0).
pub fn results(out: &mut dyn Write, results: &Results, offset: usize) -> io::Result<()> {
    if offset == 0 {
        return value(out, results);
    }
    let page = Results {
        query: results.query.clone(),
        matching: results.matching,
        total: results.total,
        total_exact: results.total_exact,
        notices: results.notices.clone(),
        hits: results.hits.iter().skip(offset).cloned().collect(),
    };
    value(out, &page)
}

/// Any value as one line of JSON.
pub fn value<T: Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(io::Error::other)?;
    writeln!(out)
}

/// An error for programs: `{"error": message}`.
pub fn error(out: &mut dyn Write, message: &str) -> io::Result<()> {
    value(out, &serde_json::json!({ "error": message }))
}
