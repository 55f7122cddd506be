//! Integration tests: the built `folio` binary, run in a fresh temp dir with
//! a cleared environment (style.md, habit 5). One test binary, one module
//! per theme.

/// The test environment: temp dir, seeds, running `folio`, failure output.
mod util;

/// `folio show`: the parsed note and its JSON contract.
mod show;

/// Every bad input of formats.md, through `folio show`.
mod bad_input;

/// `folio index` and `folio stats`: builds, updates, safety, the lock.
mod index;

/// `folio search` and `folio quotes` on the seed notes.
mod search;

/// Top-k searches that skip blocks return the hits of scoring everything.
mod pruning;

/// `folio bench --relevance` on a tiny test collection.
mod bench;

/// Highlight exports: clippings, Readwise, the Kindle and Apple Books plugins.
mod highlights;

/// `folio serve`: the HTTP API, hostile requests, watching the notes.
mod serve;

/// The index's lifecycle: rebuilds aside, upgrades, refusals, leftovers.
mod lifecycle;

/// Quotes by meaning with a tiny model: vectors, --mode, --like, found_by.
mod semantic;

/// `folio completions` and `folio man`: generated from the clap types.
mod manual;
/// `folio mcp`: the MCP server over stdio, its tools, hostile clients.
mod mcp;
/// `folio model fetch` against a local server; the hint without a model.
mod model;
