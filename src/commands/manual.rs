//! `folio completions` and `folio man`: the shell completion scripts and the
//! manual pages, generated from the clap definitions (`cli.rs`).

use std::process::ExitCode;

use crate::cli::{CompletionsArgs, ManArgs};

/// Prints the completion script of a shell.
pub fn completions(args: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    let script = crate::cli::completion_script(args.shell);
    crate::output::document(&mut std::io::stdout().lock(), &script)?;
    Ok(ExitCode::SUCCESS)
}

/// Prints folio's man page, or a subcommand's.
pub fn man(args: &ManArgs) -> anyhow::Result<ExitCode> {
    let Some(page) = crate::cli::man_page(args.command.as_deref()) else {
        // clap checked the name already; this is a bug, said as one.
        anyhow::bail!("no man page for `{}`", args.command.as_deref().unwrap_or("folio"));
    };
    crate::output::document(&mut std::io::stdout().lock(), &page)?;
    Ok(ExitCode::SUCCESS)
}
