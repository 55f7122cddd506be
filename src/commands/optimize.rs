//! `folio optimize`: merge the index's segments into one.

use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use serde::Serialize;

use crate::cli::OptimizeArgs;
use crate::index::merge;

/// What `folio optimize` did.
#[derive(Debug, Serialize)]
struct Optimized {
    /// Segments before.
    segments_before: usize,
    /// Segments after.
    segments_after: usize,
    /// Wall-clock seconds.
    seconds: f64,
}

/// Merges every segment of the index into one (an older format is first
/// upgraded). A merge reads the whole index, so it takes memory in
/// proportion to it; builds and refreshes keep to bounded merges.
pub fn run(args: &OptimizeArgs) -> anyhow::Result<ExitCode> {
    let settings = crate::config::Settings::resolve(args.given());
    let path = &settings.index;
    let started = Instant::now();
    let mut ix = crate::index::lifecycle::open_upgraded(
        path,
        &settings.update_options(crate::output::report::bars(true)),
        &crate::output::report::Stderr,
    )?;
    let merged = merge::merge_down(&mut ix, 1, u64::MAX)?;
    let done = Optimized {
        segments_before: merged.before,
        segments_after: merged.after,
        seconds: started.elapsed().as_secs_f64(),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        crate::output::json::value(&mut out, &done)?;
    } else {
        writeln!(
            out,
            "{} segments → {} in {} in {:.2} s",
            done.segments_before,
            done.segments_after,
            path.display(),
            done.seconds
        )?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
