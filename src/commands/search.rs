//! `folio search` and `folio quotes`: bring the index up to date, search,
//! print. Exit 0 with hits, 1 with none.

use crate::output::report::Stderr;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use std::sync::Arc;

use crate::cli::{RankArg, SearchArgs};
use crate::embed::Model;
use crate::error::Error;
use crate::index::lifecycle;
use crate::index::update::UpdateOptions;
use crate::index::{FolderState, FolioIndex, folder_state};
use crate::output;
use crate::search::Results;
use crate::search::policy::RankError;
use crate::search::semantic::RankMode;
use crate::search::{Engine, Request, Target};

/// Runs a search for notes or quotes.
pub fn run(args: &SearchArgs, target: Target) -> anyhow::Result<ExitCode> {
    let path = args.location.resolve();
    let model = crate::config::resolve_model(args.model.model.as_deref());
    let (ix, reader) = open_fresh(&path, args.no_refresh, model.clone())?;
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
        explain: args.explain,
        count: args.count,
        rank: args.mode.map(|mode| match mode {
            RankArg::Lexical => RankMode::Lexical,
            RankArg::Semantic => RankMode::Semantic,
            RankArg::Hybrid => RankMode::Hybrid,
        }),
    };
    let results = match &args.like {
        Some(like) => match like_search(&engine, &request, like)? {
            Some(results) => results,
            None => return Ok(ExitCode::from(1)),
        },
        None => ranked_search(&engine, &request, model.as_deref())?,
    };
    for notice in &results.notices {
        eprintln!("folio: {notice}");
    }
    // Ranked by words for want of a model: the reader may not know meaning
    // search exists. On stderr, so --json's stdout is as ever.
    if args.mode.is_none()
        && args.like.is_none()
        && crate::config::first_meaning_hint(args.model.model.as_deref(), model.is_some())
    {
        output::report::meaning_hint();
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
    path: &Path,
    no_refresh: bool,
    model: Option<Arc<Model>>,
) -> anyhow::Result<(FolioIndex, Option<tantivy::IndexReader>)> {
    if no_refresh {
        return Ok((
            lifecycle::open_upgraded(
                path,
                &crate::config::Config::new(None).update_options(true),
                &Stderr,
            )?,
            None,
        ));
    }
    let fresh = folder_state(path)? == FolderState::Empty;
    let options = UpdateOptions {
        roots: Vec::new(),
        threads: crate::config::default_threads(),
        memory_mb: crate::config::REFRESH_MEMORY_MB,
        progress: true,
        model,
    };
    match lifecycle::refresh(path, &options, false, &Stderr) {
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

/// A search ranked as `search::policy` decides, its refusals worded for
/// the command line.
fn ranked_search(
    engine: &Engine,
    request: &Request,
    model: Option<&Model>,
) -> anyhow::Result<Results> {
    engine.search_ranked(request, model, || engine.vectors()).map_err(|err| match err {
        RankError::NoModel { mode } => anyhow::anyhow!(
            "--mode {} needs the sentence model: pass --model DIR or set FOLIO_MODEL \
             (`folio model fetch` gets one), or use --mode lexical",
            mode.name()
        ),
        RankError::NoVectors { mode } => anyhow::anyhow!(
            "--mode {} needs the index's vectors, and it has none yet: run \
             `folio index --model DIR` (or with FOLIO_MODEL set) to embed the quotes and \
             passages, or use --mode lexical",
            mode.name()
        ),
        RankError::ModelFailed { .. } => {
            anyhow::anyhow!("{err} (FOLIO_MODEL=off or --mode lexical ranks by words only)")
        }
        RankError::Embed(e) => e.into(),
        RankError::Search(e) => e.into(),
    })
}

/// `--like PATH:LINE`: the quotes nearest the one at that line.
fn like_search(engine: &Engine, request: &Request, like: &str) -> anyhow::Result<Option<Results>> {
    let (file, line) = like
        .rsplit_once(':')
        .and_then(|(file, line)| Some((file, line.trim().parse::<u64>().ok()?)))
        .with_context(|| format!("--like {like}: expected PATH:LINE, as a hit shows it"))?;
    let store = engine.vectors()?.with_context(|| {
        "--like needs the index's vectors: run `folio index` with the sentence model          (--model DIR or FOLIO_MODEL)"
    })?;
    let Some((_, key)) = engine.quote_at(Path::new(file), line)? else {
        eprintln!("folio: no quote at or before {file}:{line} in the index");
        return Ok(None);
    };
    let results = engine.like(request, &store, key)?;
    if results.is_none() {
        eprintln!("folio: the quote at {file}:{line} has no vector yet; run `folio index`");
    }
    Ok(results)
}

fn filter_text(args: &SearchArgs) -> crate::config::FilterText {
    crate::config::FilterText {
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
