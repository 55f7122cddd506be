//! `folio search` and `folio quotes`: bring the index up to date, search,
//! print. Exit 0 with hits, 1 with none.

use crate::output::report::Stderr;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::{RankArg, SearchArgs};
use crate::config::Settings;
use crate::embed::Model;
use crate::index::FolioIndex;
use crate::index::lifecycle;
use crate::output;
use crate::search::Results;
use crate::search::policy::RankError;
use crate::search::semantic::RankMode;
use crate::search::{Engine, Request, Target};

/// Runs a search for notes or quotes.
pub fn run(args: &SearchArgs, target: Target) -> anyhow::Result<ExitCode> {
    let settings = Settings::resolve(args.given());
    // A mistyped filter is said before any index work is done.
    let filters = crate::config::filters(&filter_text(args), "--").map_err(anyhow::Error::msg)?;
    let (ix, reader) = open_fresh(&settings, args.no_refresh)?;
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
    let mut results = match &args.like {
        Some(like) => match like_search(&engine, &request, like)? {
            Some(results) => results,
            None => return Ok(ExitCode::from(1)),
        },
        None => ranked_search(&engine, &request, settings.model.as_deref())?,
    };
    for notice in &results.notices {
        crate::output::say(format_args!("{notice}"));
    }
    // Ranked by words for want of a model: the reader may not know meaning
    // search exists. On stderr, so --json's stdout is as ever.
    if args.mode.is_none() && args.like.is_none() && settings.meaning_hint_due() {
        output::report::meaning_hint();
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if args.json {
        // Absolute paths for programs, as `folio serve` and `folio mcp`
        // give them: a relative path means nothing without our folder.
        output::json::results(&mut out, &results, 0)?;
    } else {
        output::paths::relative_hits(&mut results);
        let color = stdout_is_colour_terminal();
        output::hits::write(&mut out, &results, color)?;
    }
    out.flush()?;
    // The process ends here: unmapping each of the index's files one by one
    // (some fifty `munmap`s at 100,000 notes) cost more than the kernel's
    // teardown of the whole address space at exit.
    std::mem::forget(engine);
    Ok(if results.hits.is_empty() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

/// Opens the index, first bringing it up to date unless `no_refresh`
/// ([`lifecycle::open_fresh`]), and says on stderr what that did: a first
/// build, or a search of the last commit while another process writes.
/// The reader the update used comes back with it, when there is one.
fn open_fresh(
    settings: &Settings,
    no_refresh: bool,
) -> anyhow::Result<(FolioIndex, Option<tantivy::IndexReader>)> {
    let path = &settings.index;
    let options = settings.update_options(crate::output::report::bars(true));
    let fresh = lifecycle::open_fresh(path, &options, !no_refresh, &Stderr)?;
    if let Some(summary) = &fresh.built {
        crate::output::say(format_args!(
            "built the index in {} ({} notes, {} quotes)",
            path.display(),
            summary.notes,
            summary.quotes
        ));
    }
    if fresh.busy {
        crate::output::say(format_args!(
            "the index is being updated by another folio process; \
             searching its last commit"
        ));
    }
    Ok((fresh.index, fresh.reader))
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
        "--like needs the index's vectors: run `folio index` with the sentence model \
         (--model DIR or FOLIO_MODEL)"
    })?;
    let Some((_, key)) = engine.quote_at(Path::new(file), line)? else {
        crate::output::say(format_args!("no quote at or before {file}:{line} in the index"));
        return Ok(None);
    };
    let results = engine.like(request, &store, key)?;
    if results.is_none() {
        crate::output::say(format_args!(
            "the quote at {file}:{line} has no vector yet; run `folio index`"
        ));
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
