//! `folio mcp`: a Model Context Protocol server, so an AI assistant can
//! search the reader's notes and quote them with book, author and page.
//!
//! ```text
//! stdin ─rmcp (JSON-RPC lines)─▶ Server ─tools─▶ Request ─Engine::search_ranked─▶ Results ─▶ structuredContent + text ─▶ stdout
//! ```
//!
//! A third front end beside `commands/` and `serve/`, with no policy of its
//! own: tool arguments become the [`crate::search::Request`] and filters
//! `folio quotes` builds (`config::filters`), the ranking is
//! `search::policy`'s, and hits are the `--json` contract. `folio serve`
//! mounts the same [`Server`] at `/mcp` (Streamable HTTP) over its live
//! index; this module never imports `serve/` or `commands/`.
//!
//! Standard output carries protocol messages only; what folio has to say
//! goes to stderr through `output::mcp`. The server reads: the one write is
//! the refresh at start (as `folio quotes` does, under the index's writer
//! lock), before the first message is read, so a client that disconnects
//! or sends garbage leaves no lock and no half-written index behind.

mod server;
pub mod tools;

use std::sync::Arc;

pub use server::{NOTE_URI, Server};

use crate::config::Settings;
use crate::embed::store::VectorStore;
use crate::search::Engine;

/// A commit of the index, as one call reads it.
#[derive(Clone)]
pub struct Snapshot {
    /// Its searcher.
    pub engine: Arc<Engine>,
    /// Its vectors, when there is a sentence model and the commit has any.
    pub vectors: Option<Arc<VectorStore>>,
}

/// Where a call finds the index: a snapshot, or why there is none (a
/// message a person can act on).
pub type Source = Arc<dyn Fn() -> Result<Snapshot, String> + Send + Sync>;

/// How `folio mcp` runs.
#[derive(Clone)]
pub struct Options {
    /// The index folder and the sentence model.
    pub settings: Settings,
    /// Bring the index up to date before serving (`--no-refresh` says no).
    pub refresh: bool,
}

/// Serves MCP on standard input and output until the client closes them.
pub fn run(options: Options) -> anyhow::Result<()> {
    let source: Source = match open(&options) {
        Ok(snapshot) => Arc::new(move || Ok(snapshot.clone())),
        // The server still starts: each call then says what is wrong,
        // where the assistant shows it, instead of a process that died.
        Err(message) => {
            crate::output::mcp::log(&message);
            Arc::new(move || Err(message.clone()))
        }
    };
    let server = Server::new(source, options.settings.model.clone());
    let runtime = crate::config::server_runtime()?;
    runtime.block_on(async move {
        use rmcp::ServiceExt;
        let running = server
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| anyhow::anyhow!("the MCP session did not start: {e}"))?;
        running.waiting().await.map_err(|e| anyhow::anyhow!("the MCP session failed: {e}"))?;
        Ok::<(), anyhow::Error>(())
    })?;
    // A read of standard input may still be pending on a blocking thread.
    runtime.shutdown_background();
    Ok(())
}

/// Opens the index as `folio quotes` does (refreshed unless asked not to),
/// with its vectors when there is a model; an error is worded for the
/// person who configured the assistant.
fn open(options: &Options) -> Result<Snapshot, String> {
    let path = &options.settings.index;
    // No bars: an assistant's client reads stderr as a log.
    let update = options.settings.update_options(None);
    let fresh = crate::index::lifecycle::open_fresh(
        path,
        &update,
        options.refresh,
        &crate::output::report::Stderr,
    )
    .map_err(|e| {
        format!(
            "folio mcp cannot open the index at {}: {e}. Build it with `folio index DIR \
             --index {}`, or start folio mcp with --index DIR",
            path.display(),
            path.display()
        )
    })?;
    if let Some(summary) = &fresh.built {
        crate::output::mcp::log(&format!(
            "built the index in {} ({} notes, {} quotes)",
            path.display(),
            summary.notes,
            summary.quotes
        ));
    }
    if fresh.busy {
        crate::output::mcp::log(
            "the index is being updated by another folio process; serving its last commit",
        );
    }
    let engine = match fresh.reader {
        Some(reader) => Engine::with_reader(fresh.index, reader),
        None => Engine::open(fresh.index).map_err(|e| e.to_string())?,
    };
    let vectors = match &options.settings.model {
        Some(_) => engine.vectors().map_err(|e| e.to_string())?,
        None => None,
    };
    Ok(Snapshot { engine: Arc::new(engine), vectors })
}
