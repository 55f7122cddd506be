//! The `folio` binary: parse arguments, run the command, map the outcome to
//! an exit status (0 hits or success, 1 no hits, 2 error).

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: an index build allocates for
/// every note and document from several threads at once.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = folio::cli::Args::parse();
    match folio::commands::run(args) {
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
