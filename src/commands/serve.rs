//! `folio serve`: flags to [`crate::serve::Options`], then run until
//! Ctrl-C or SIGTERM.

use std::process::ExitCode;
use std::time::Duration;

use crate::cli::ServeArgs;
use crate::config::Config;

/// Runs the server.
pub fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    crate::serve::run(crate::serve::Options {
        config: Config {
            // New and changed quotes get vectors as `folio index` gives them.
            model: super::model::resolve(&args.model),
            ..Config::new(args.location.index.clone())
        },
        listen: args.listen,
        allow_hosts: args.allow_hosts.clone(),
        open: args.open,
        debounce: Duration::from_millis(args.debounce),
        timeout: Duration::from_secs(10),
        header_timeout: Duration::from_millis(args.header_timeout),
    })?;
    Ok(ExitCode::SUCCESS)
}
