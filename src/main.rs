//! The `folio` binary: parse arguments, run the command, map the outcome to
//! an exit status (0 hits or success, 1 no hits, 2 error).

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use folio::cli::{Command, McpArgs, ServeArgs};
use folio::config::Settings;

/// mimalloc instead of the system allocator: an index build allocates for
/// every note and document from several threads at once.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = folio::cli::Args::parse();
    // The front end: `folio serve` is the server, `folio mcp` the server
    // for assistants, every other command the command line; they never
    // call each other.
    let outcome = match &args.command {
        Command::Serve(serve_args) => serve(serve_args),
        Command::Mcp(mcp_args) => mcp(mcp_args),
        _ => folio::commands::run(args),
    };
    match outcome {
        Ok(code) => code,
        Err(err) => {
            // A closed pipe (`folio search x | head -1`) is how a reader says
            // "enough": by Unix convention that is success, not an error.
            if err.chain().any(|cause| {
                cause
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("folio: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Runs `folio serve`: flags to [`folio::serve::Options`], then serve until
/// Ctrl-C or SIGTERM.
fn serve(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    // New and changed quotes get vectors as `folio index` gives them.
    let settings = Settings::resolve(args.given());
    // At the start, not with every search the page sends.
    if settings.meaning_hint_due() {
        folio::output::report::meaning_hint();
    }
    folio::serve::run(folio::serve::Options {
        settings,
        listen: args.listen,
        allow_hosts: args.allow_hosts.clone(),
        open: args.open,
        debounce: Duration::from_millis(args.debounce),
        timeout: Duration::from_secs(10),
        header_timeout: Duration::from_millis(args.header_timeout),
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `folio mcp`: flags to [`folio::mcp::Options`], then serve on
/// standard input and output until the client closes them.
fn mcp(args: &McpArgs) -> anyhow::Result<ExitCode> {
    folio::mcp::run(folio::mcp::Options {
        settings: Settings::resolve(args.given()),
        refresh: !args.no_refresh,
    })?;
    Ok(ExitCode::SUCCESS)
}
