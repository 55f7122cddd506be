//! `folio show PATH [--json]`: one note, parsed; every note of a file that
//! holds several (a highlight export: one per book), in file order.

use std::io::Write;
use std::process::ExitCode;

use crate::cli::ShowArgs;
use crate::{note, output};

/// Prints the parsed notes of a file (JSON: one object per note, one a
/// line); warnings go to stderr and make the exit status 1, a file that
/// cannot be read makes it 2.
pub fn run(args: &ShowArgs) -> anyhow::Result<ExitCode> {
    let notes = match note::read_many(&args.path) {
        Ok(notes) => notes,
        Err(err) => {
            crate::output::say(format_args!("{err}"));
            return Ok(ExitCode::from(2));
        }
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    for (i, parsed) in notes.iter().enumerate() {
        if args.json {
            crate::output::json::value(&mut out, &parsed.note)?;
        } else {
            if i > 0 {
                writeln!(out)?;
            }
            output::note::write(&mut out, &parsed.note)?;
        }
    }
    out.flush()?;
    let mut warned = false;
    for warning in notes.iter().flat_map(|p| p.warning_errors()) {
        crate::output::say(format_args!("warning: {warning}"));
        warned = true;
    }
    Ok(if warned { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
