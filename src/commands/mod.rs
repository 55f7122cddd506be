//! One file per subcommand; the one place that touches every other module.
//!
//! Each command returns the process's exit status: 0 success (or hits),
//! 1 no hits (or, for `show`, a note read with warnings), 2 error.

mod bench;
mod index;
mod model;
mod optimize;
mod search;
mod serve;
mod show;
pub mod stats;

use std::process::ExitCode;

use crate::cli::{Args, Command};

/// Runs the command the arguments name.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Show(show) => show::run(&show),
        Command::Index(index) => index::run(&index),
        Command::Stats(stats) => stats::run(&stats),
        Command::Optimize(optimize) => optimize::run(&optimize),
        Command::Search(search) => search::run(&search, crate::search::Target::Notes),
        Command::Quotes(search) => search::run(&search, crate::search::Target::Quotes),
        Command::Bench(bench) => bench::run(&bench),
        Command::Serve(serve) => serve::run(&serve),
        Command::Model(model) => model::run(&model),
    }
}

/// Threads to use by default: the machine's cores, at most 8.
pub fn default_threads() -> usize {
    crate::config::default_threads()
}

/// Prints what the index's lifecycle is doing, as one line on stderr.
pub fn print_event(event: &crate::index::lifecycle::Event) {
    match event {
        crate::index::lifecycle::Event::Upgrading { path, from, folders } => eprintln!(
            "folio: upgrading the index at {} from format {from} to {}: rebuilding it from \
             its {folders} note folder{} (searches use the old index until it is done)",
            path.display(),
            crate::index::schema::FORMAT_VERSION,
            if *folders == 1 { "" } else { "s" }
        ),
    }
}

/// Opens the index at `path` to read it; an index of an older format is
/// first rebuilt in this one from the folders it remembers.
pub fn open_upgraded(path: &std::path::Path) -> anyhow::Result<crate::index::FolioIndex> {
    match crate::index::FolioIndex::open(path) {
        Err(crate::Error::FormatOld { .. }) => {
            let options = crate::index::update::UpdateOptions {
                roots: Vec::new(),
                threads: default_threads(),
                memory_mb: WRITE_MEMORY_MB,
                progress: true,
                // Words only: the vectors fill in at the next search or
                // `folio index` with the model.
                model: None,
            };
            let refreshed = crate::index::lifecycle::refresh(
                path,
                &options,
                false,
                &print_event,
                &index::print_warning,
            )?;
            Ok(refreshed.index)
        }
        other => Ok(other?),
    }
}

/// Indexing memory of the commands that refresh the index before reading
/// it (`folio index` has its own `--memory`).
pub const WRITE_MEMORY_MB: usize = 100;
