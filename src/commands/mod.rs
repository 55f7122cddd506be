//! One file per subcommand; the one place that touches every other module.
//!
//! Each command returns the process's exit status: 0 success (or hits),
//! 1 no hits (or, for `show`, a note read with warnings), 2 error.

mod bench;
mod index;
mod manual;
mod model;
mod optimize;
mod search;
mod show;
mod stats;

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
        // main.rs runs the servers before it calls here.
        Command::Serve(_) | Command::Mcp(_) => {
            anyhow::bail!("`folio serve` and `folio mcp` are run by the binary (main.rs), not here")
        }
        Command::Model(model) => model::run(&model),
        Command::Completions(completions) => manual::completions(&completions),
        Command::Man(man) => manual::man(&man),
    }
}
