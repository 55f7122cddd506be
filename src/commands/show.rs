//! `folio show PATH [--json]`: one note, parsed.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::ShowArgs;
use crate::{note, output};

/// Prints one parsed note; warnings go to stderr and make the exit status 1,
/// a note that cannot be read makes it 2.
pub fn run(args: &ShowArgs) -> anyhow::Result<ExitCode> {
    let parsed = match note::read(&args.path) {
        Ok(parsed) => parsed,
        Err(err) => {
            eprintln!("folio: {err}");
            return Ok(ExitCode::from(2));
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        serde_json::to_writer(&mut out, &parsed.note).context("writing JSON")?;
        writeln!(out)?;
    } else {
        output::note::write(&mut out, &parsed.note)?;
    }
    out.flush()?;
    for warning in parsed.warning_errors() {
        eprintln!("folio: warning: {warning}");
    }
    Ok(if parsed.warnings.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
