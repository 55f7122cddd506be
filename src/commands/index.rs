//! `folio index [DIR...]`: build or update the index.

use std::io::Write;
use std::process::ExitCode;

use crate::cli::IndexArgs;
use crate::config::Settings;
use crate::index::lifecycle;

/// Updates the index and prints the summary; 0 when the index is up to date
/// (warnings or not), an error when it could not be written.
pub fn run(args: &IndexArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::resolve(args.given());
    let path = &settings.index;
    let options = settings.update_options(crate::output::report::bars(!args.json));
    let mut summary =
        lifecycle::refresh(path, &options, args.rebuild, &crate::output::report::Stderr)?.summary;
    for failure in &mut summary.failed {
        failure.path = crate::output::paths::shown(std::path::Path::new(&failure.path));
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        crate::output::json::value(&mut out, &summary)?;
    } else {
        writeln!(
            out,
            "{} notes, {} quotes in {} ({} added, {} updated, {} removed, {} unchanged, {} failed) in {:.2} s",
            summary.notes,
            summary.quotes,
            path.display(),
            summary.added,
            summary.updated,
            summary.removed,
            summary.unchanged,
            summary.failed.len(),
            summary.seconds
        )?;
        if summary.embedded > 0 {
            writeln!(out, "{} passages embedded", summary.embedded)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
