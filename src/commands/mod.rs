//! One file per subcommand; the one place that touches every other module.
//!
//! Each command returns the process's exit status: 0 success (or hits),
//! 1 no hits (or, for `show`, a note read with warnings), 2 error.

mod show;

use std::process::ExitCode;

use crate::cli::{Args, Command};

/// Runs the command the arguments name.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Command::Show(show) => show::run(&show),
        _ => anyhow::bail!("not yet available in this build"),
    }
}
