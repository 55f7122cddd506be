//! `folio search` and `folio quotes`: bring the index up to date, search,
//! print. Exit 0 with hits, 1 with none.

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::SearchArgs;
use crate::error::Error;
use crate::index::update::{self, UpdateOptions};
use crate::index::{FolderState, FolioIndex, folder_state};
use crate::output;
use crate::search::{Engine, Filters, Request, Target, query};

/// Runs a search for notes or quotes.
pub fn run(args: &SearchArgs, target: Target) -> anyhow::Result<ExitCode> {
    let path = args.location.resolve();
    let (ix, reader) = open_fresh(&path, args.no_refresh)?;
    let filters = filters(args)?;
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
    };
    let results = engine.search(&request)?;
    for notice in &results.notices {
        eprintln!("folio: {notice}");
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        serde_json::to_writer(&mut out, &results).context("writing JSON")?;
        writeln!(out)?;
    } else {
        let color = stdout_is_colour_terminal();
        output::hits::write(&mut out, &results, color)?;
    }
    out.flush()?;
    Ok(if results.hits.is_empty() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// Opens the index, first bringing it up to date unless `no_refresh`;
/// builds it from the default folder when there is none yet. When another
/// process is writing, searches the last commit and says so. The reader
/// the update used comes back with it, when there is one.
fn open_fresh(
    path: &Path,
    no_refresh: bool,
) -> anyhow::Result<(FolioIndex, Option<tantivy::IndexReader>)> {
    if no_refresh {
        return Ok((FolioIndex::open(path)?, None));
    }
    let fresh = folder_state(path)? == FolderState::Empty;
    if fresh {
        update::resolve_roots(&[], &crate::index::Payload::default())?;
    }
    let ix = FolioIndex::open_or_create(path, false)?;
    let options = UpdateOptions {
        roots: Vec::new(),
        threads: super::default_threads(),
        memory_mb: 100,
        progress: true,
    };
    let reader = match update::update_and_read(&ix, &options, &super::index::print_warning) {
        Ok((summary, reader)) => {
            if fresh {
                eprintln!(
                    "folio: built the index in {} ({} notes, {} quotes)",
                    path.display(),
                    summary.notes,
                    summary.quotes
                );
            }
            Some(reader)
        }
        Err(Error::IndexBusy { .. }) => {
            eprintln!(
                "folio: the index is being updated by another folio process; \
                 searching its last commit"
            );
            None
        }
        Err(err) => return Err(err.into()),
    };
    Ok((ix, reader))
}

fn filters(args: &SearchArgs) -> anyhow::Result<Filters> {
    let range = |flag: &str, value: &Option<String>| -> anyhow::Result<Option<(u64, u64)>> {
        match value {
            None => Ok(None),
            Some(text) => query::parse_range(text).map(Some).with_context(|| {
                format!("--{flag} {text}: expected a number or a range like 2010..2020")
            }),
        }
    };
    Ok(Filters {
        author: args.author.clone(),
        years: range("year", &args.year)?,
        tag: args.tag.clone(),
        pages: range("page", &args.page)?,
        locations: range("location", &args.locations)?,
        since: match &args.since {
            None => None,
            Some(text) => Some(
                crate::index::document::days_since_epoch(text.trim())
                    .filter(|_| text.trim().len() >= 10)
                    .with_context(|| {
                        format!("--since {text}: expected a date like 2024-03-09 (YYYY-MM-DD)")
                    })?,
            ),
        },
    })
}

fn stdout_is_colour_terminal() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}
