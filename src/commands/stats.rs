//! `folio stats`: what the index holds.

use std::io::Write;
use std::process::ExitCode;

use crate::cli::StatsArgs;
use crate::index::stats::stats;

/// Prints the index's figures.
pub fn run(args: &StatsArgs) -> anyhow::Result<ExitCode> {
    let settings = crate::config::Settings::resolve(args.given());
    let path = &settings.index;
    let ix = crate::index::lifecycle::open_upgraded(
        path,
        &settings.update_options(crate::output::report::bars(true)),
        &crate::output::report::Stderr,
    )?;
    let stats = stats(&ix)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        crate::output::json::value(&mut out, &stats)?;
    } else {
        writeln!(out, "index:     {}", stats.index.display())?;
        writeln!(out, "notes:     {}", stats.notes)?;
        writeln!(out, "quotes:    {}", stats.quotes)?;
        for (source, count) in &stats.quotes_by_source {
            writeln!(out, "  from {source}: {count}")?;
        }
        for (language, count) in &stats.quotes_by_language {
            writeln!(out, "  in {language}: {count}")?;
        }
        writeln!(out, "authors:   {}", stats.authors)?;
        writeln!(out, "segments:  {}", stats.segments)?;
        writeln!(out, "size:      {:.1} MB", stats.bytes as f64 / 1e6)?;
        for source in &stats.sources {
            writeln!(out, "source:    {}", source.display())?;
        }
        writeln!(out, "built:     {} (unix time)", stats.built_at)?;
        writeln!(out, "format:    {}", stats.format)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
