//! `folio search` and `folio quotes`: bring the index up to date, search,
//! print. Exit 0 with hits, 1 with none.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use crate::cli::SearchArgs;
use crate::config::{Config, FilterText};
use crate::error::Error;
use crate::index::lifecycle;
use crate::index::{FolderState, FolioIndex, folder_state};
use crate::output;
use crate::search::{Engine, Request, Target};

/// Runs a search for notes or quotes.
pub fn run(args: &SearchArgs, target: Target) -> anyhow::Result<ExitCode> {
    let config = Config::new(args.location.index.clone());
    let (ix, reader) = open_fresh(&config, args.no_refresh)?;
    let filters = crate::config::filters(&filter_text(args), "--").map_err(anyhow::Error::msg)?;
    let engine = match reader {
        Some(reader) => Engine::with_reader(ix, reader),
        None => Engine::open(ix)?,
    };
    let request = Request {
        query: args.query.join(" "),
        target,
        limit: args.limit,
        filters,
        fuzzy: args.fuzzy,
        all_first: !args.any,
        plain: false,
        explain: args.explain,
        count: args.count,
    };
    let results = engine.search(&request)?;
    for notice in &results.notices {
        eprintln!("folio: {notice}");
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        output::json::results(&mut out, &results, 0)?;
    } else {
        let color = stdout_is_colour_terminal();
        output::hits::write(&mut out, &results, color)?;
    }
    out.flush()?;
    Ok(if results.hits.is_empty() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// Opens the index, first bringing it up to date unless `no_refresh`;
/// builds it from the default folder when there is none yet, and rebuilds
/// one of an older format. When another process is writing, searches the
/// last commit and says so. The reader the update used comes back with it,
/// when there is one.
fn open_fresh(
    config: &Config,
    no_refresh: bool,
) -> anyhow::Result<(FolioIndex, Option<tantivy::IndexReader>)> {
    let path = &config.index;
    if no_refresh {
        return Ok((super::open_upgraded(path)?, None));
    }
    let fresh = folder_state(path)? == FolderState::Empty;
    let options = config.update_options(true);
    match lifecycle::refresh(
        path,
        &options,
        false,
        &super::print_event,
        &super::index::print_warning,
    ) {
        Ok(refreshed) => {
            if fresh {
                eprintln!(
                    "folio: built the index in {} ({} notes, {} quotes)",
                    path.display(),
                    refreshed.summary.notes,
                    refreshed.summary.quotes
                );
            }
            Ok((refreshed.index, Some(refreshed.reader)))
        }
        Err(Error::IndexBusy { .. }) => {
            eprintln!(
                "folio: the index is being updated by another folio process; \
                 searching its last commit"
            );
            match FolioIndex::open(path) {
                // Another process is rebuilding it in this folio's format.
                Err(Error::FormatOld { .. }) => {
                    Err(Error::IndexBusy { path: path.to_path_buf() }.into())
                }
                other => Ok((other?, None)),
            }
        }
        Err(err) => Err(err.into()),
    }
}

fn filter_text(args: &SearchArgs) -> FilterText {
    FilterText {
        author: args.author.clone(),
        year: args.year.clone(),
        tag: args.tag.clone(),
        page: args.page.clone(),
        location: args.locations.clone(),
        since: args.since.clone(),
    }
}

fn stdout_is_colour_terminal() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
