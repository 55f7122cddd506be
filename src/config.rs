//! Settings, resolved once at the edge and handed down: the index folder,
//! the note folders, indexing threads and memory, the sentence model, and
//! the search filters from their text. Every front end (the command line,
//! `folio serve`, `folio mcp`, `folio bench`) builds one [`Settings`] from
//! what it was [`Given`] and takes its update, search and model options from
//! it, so a flag, a variable and a URL parameter mean the same thing and no
//! default is written twice.
//!
//! Precedence: a flag, then its environment variable (`FOLIO_INDEX`,
//! `FOLIO_MODEL`; clap reads them, the flag winning), then the defaults
//! here.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::embed::Model;
use crate::index::report::Progress;
use crate::index::update::UpdateOptions;
use crate::search::{Filters, query};

/// The index folder when neither `--index` nor `$FOLIO_INDEX` names one.
pub const DEFAULT_INDEX: &str = "index";

/// The note folder of a first build that names none (the sample notes of
/// a checkout), when the index remembers none either.
pub const DEFAULT_NOTES: &str = "seeds";

/// Hits a search shows when not told how many (`folio search -n`, the
/// `limit` of `folio mcp`'s tools; `folio serve`'s pages are longer).
pub const DEFAULT_HITS: usize = 10;

/// Indexing memory, MB, for an update a search or the server runs (a
/// small change set; `folio index --memory` sets it for full builds).
pub const REFRESH_MEMORY_MB: usize = 100;

/// Indexing memory, MB, for a whole build (`folio index --memory`'s
/// default, and `folio bench`'s).
pub const BUILD_MEMORY_MB: usize = 120;

/// Most threads used when none are asked for: past 8, indexing is bound by
/// the writer's merges, not by parsing.
pub const MOST_DEFAULT_THREADS: usize = 8;

/// What a front end was given: flags (or their variables) and URL or tool
/// arguments; `None` and empty mean "not given, use the default".
#[derive(Debug, Clone, Default)]
pub struct Given {
    /// `--index DIR` or `$FOLIO_INDEX`.
    pub index: Option<PathBuf>,
    /// Note folders named on the command line.
    pub roots: Vec<PathBuf>,
    /// `--threads N`.
    pub threads: Option<usize>,
    /// `--memory MB`.
    pub memory_mb: Option<usize>,
    /// `--model DIR` or `$FOLIO_MODEL` (`off`: words only).
    pub model: Option<PathBuf>,
    /// The command never embeds nor ranks by meaning (`folio stats`,
    /// `folio optimize`): no model is looked for.
    pub words_only: bool,
}

impl Given {
    /// What a benchmark run in code is given: two threads (so figures
    /// compare across machines), a whole build's memory, words only.
    pub fn benchmark() -> Self {
        Given {
            threads: Some(2),
            memory_mb: Some(BUILD_MEMORY_MB),
            words_only: true,
            ..Given::default()
        }
    }
}

/// The resolved settings of one run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The index folder: `--index`, else `$FOLIO_INDEX`, else
    /// [`DEFAULT_INDEX`].
    pub index: PathBuf,
    /// Note folders given on the command line; empty means the folders the
    /// index remembers (see [`crate::index::update::resolve_roots`]), else
    /// [`DEFAULT_NOTES`].
    pub roots: Vec<PathBuf>,
    /// Parsing and indexing threads.
    pub threads: usize,
    /// Indexing memory budget, MB.
    pub memory_mb: usize,
    /// The sentence model new quotes are embedded with and queries ranked
    /// by (`None`: words only).
    pub model: Option<Arc<Model>>,
    /// The model folder as given (`off` included), for saying how to turn
    /// meaning on when there is none.
    pub model_given: Option<PathBuf>,
}

impl Settings {
    /// Fills in what was not given: defaults, and the cached model when
    /// none is named.
    pub fn resolve(given: Given) -> Self {
        let model = if given.words_only { None } else { resolve_model(given.model.as_deref()) };
        Settings {
            index: given.index.unwrap_or_else(|| PathBuf::from(DEFAULT_INDEX)),
            roots: given.roots,
            threads: given.threads.unwrap_or_else(default_threads).max(1),
            memory_mb: given.memory_mb.unwrap_or(REFRESH_MEMORY_MB),
            model,
            model_given: given.model,
        }
    }

    /// The options of an incremental update with these settings, telling
    /// `progress` how far indexing has come.
    pub fn update_options(&self, progress: Option<Arc<dyn Progress>>) -> UpdateOptions {
        UpdateOptions {
            roots: self.roots.clone(),
            default_roots: vec![PathBuf::from(DEFAULT_NOTES)],
            threads: self.threads,
            memory_mb: self.memory_mb,
            progress,
            model: self.model.clone(),
        }
    }

    /// Whether to tell the reader, now, how to turn meaning search on
    /// (said once per user: see `first_meaning_hint`).
    pub fn meaning_hint_due(&self) -> bool {
        first_meaning_hint(self.model_given.as_deref(), self.model.is_some())
    }
}

/// The sentence model in the folder `dir` (`--model`, `$FOLIO_MODEL`), or
/// the cached one; `None` when there is none (folio then ranks by words).
fn resolve_model(dir: Option<&Path>) -> Option<Arc<Model>> {
    crate::embed::locate(dir).map(|dir| Arc::new(Model::new(dir)))
}

/// Whether to tell the reader how to turn meaning search on: there is no
/// model, the reader did not turn it off (`--model off`), and folio has not
/// said it before to this user. Said once, not with every search: the
/// first time leaves a mark, `said-meaning-hint`, in folio's cache folder
/// (where `folio model fetch` puts the model); when the mark cannot be
/// left, it is said each time rather than never.
fn first_meaning_hint(given: Option<&Path>, has_model: bool) -> bool {
    if has_model || crate::embed::turned_off(given) {
        return false;
    }
    let Some(folio_cache) = crate::embed::cache_dir().and_then(|d| d.parent().map(PathBuf::from))
    else {
        return true;
    };
    let _ = std::fs::create_dir_all(&folio_cache);
    let mark = folio_cache.join("said-meaning-hint");
    !matches!(
        std::fs::OpenOptions::new().write(true).create_new(true).open(mark),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists
    )
}

/// Threads to use by default: the machine's cores, at most
/// [`MOST_DEFAULT_THREADS`].
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).min(MOST_DEFAULT_THREADS)
}

/// The filters as text, from flags or URL parameters.
#[derive(Debug, Clone, Default)]
pub struct FilterText {
    /// Words of an author's name.
    pub author: Option<String>,
    /// A year or range of years: `2018`, `2010..2020`.
    pub year: Option<String>,
    /// A tag.
    pub tag: Option<String>,
    /// A page or range of pages.
    pub page: Option<String>,
    /// A Kindle location or range of them.
    pub location: Option<String>,
    /// A day, `YYYY-MM-DD`.
    pub since: Option<String>,
}

/// Parses the filters; an error names the parameter as `prefix` + its name
/// (`--year` on the command line, `year` in a URL) and the form expected.
pub fn filters(text: &FilterText, prefix: &str) -> Result<Filters, String> {
    let range = |name: &str, value: &Option<String>, example: &str| match value {
        None => Ok(None),
        Some(value) => query::parse_range(value).map(Some).ok_or_else(|| {
            format!("{prefix}{name} {value}: expected a number or a range like {example}")
        }),
    };
    let since = match &text.since {
        None => None,
        Some(value) => Some(since(value).map_err(|why| format!("{prefix}since {value}: {why}"))?),
    };
    Ok(Filters {
        author: text.author.clone(),
        years: range("year", &text.year, "2010..2020")?,
        tag: text.tag.clone(),
        pages: range("page", &text.page, "50..60")?,
        locations: range("location", &text.location, "1600..1700")?,
        since,
    })
}

/// `--since`'s day as days from 1970-01-01: a day of the calendar, written
/// `YYYY-MM-DD`, on or after 1970-01-01.
fn since(value: &str) -> Result<u64, String> {
    let value = value.trim();
    let expected = "expected a date like 2024-03-09 (YYYY-MM-DD)";
    match crate::note::date::day(value) {
        Some(Err(why)) => Err(format!("not a day of the calendar ({why}); {expected}")),
        Some(Ok(_)) if value.len() == 10 => crate::note::date::days_since_epoch(value)
            .ok_or_else(|| "before 1970-01-01, when folio's dates begin".to_string()),
        _ => Err(expected.to_string()),
    }
}

/// The async runtime of a front end that serves requests (`folio serve`,
/// `folio mcp`): two workers for I/O, and searches on blocking threads, a
/// few per core, which keeps the CPU busy without a queue of hundreds of
/// threads under load.
pub fn server_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(default_threads() * 2)
        .enable_io()
        .enable_time()
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_was_given_wins_and_the_rest_are_the_defaults() {
        let defaults = Settings::resolve(Given { words_only: true, ..Given::default() });
        assert_eq!(defaults.index, PathBuf::from(DEFAULT_INDEX));
        assert_eq!((defaults.threads, defaults.memory_mb), (default_threads(), REFRESH_MEMORY_MB));
        assert!(defaults.model.is_none() && defaults.roots.is_empty());
        let update = defaults.update_options(None);
        assert_eq!(update.default_roots, vec![PathBuf::from(DEFAULT_NOTES)]);

        let given = Settings::resolve(Given {
            index: Some("elsewhere".into()),
            roots: vec!["notes".into()],
            threads: Some(0),
            memory_mb: Some(64),
            model: Some("off".into()),
            words_only: false,
        });
        assert_eq!(given.index, PathBuf::from("elsewhere"));
        // No thread at all would index nothing: at least one.
        assert_eq!((given.threads, given.memory_mb), (1, 64));
        assert!(given.model.is_none(), "--model off is words only");
        let update = given.update_options(None);
        assert_eq!((update.roots, update.threads, update.memory_mb), (given.roots, 1, 64));
    }

    #[test]
    fn a_named_model_is_taken_as_named() {
        let settings = Settings::resolve(Given { model: Some("/m".into()), ..Given::default() });
        let model = settings.model.clone().expect("a model");
        assert_eq!(model.dir(), std::path::Path::new("/m"));
        assert!(!settings.meaning_hint_due(), "there is a model: nothing to say");
    }

    #[test]
    fn filters_name_the_parameter_the_way_it_was_given() {
        let bad = FilterText { year: Some("soon".into()), ..FilterText::default() };
        let flag = filters(&bad, "--").expect_err("bad year");
        assert!(flag.starts_with("--year soon: expected"), "{flag}");
        let param = filters(&bad, "").expect_err("bad year");
        assert!(param.starts_with("year soon: expected"), "{param}");
        let good = FilterText { page: Some("50..60".into()), ..FilterText::default() };
        assert_eq!(filters(&good, "").expect("parses").pages, Some((50, 60)));
    }

    #[test]
    fn since_takes_only_days_of_the_calendar() {
        let since = |value: &str| {
            filters(&FilterText { since: Some(value.into()), ..FilterText::default() }, "--")
                .map(|f| f.since)
        };
        assert_eq!(since("2024-03-09"), Ok(Some(19_791)));
        assert_eq!(since(" 2024-02-29 "), Ok(Some(19_782)));
        let rows = [
            (
                "2024-02-31",
                "--since 2024-02-31: not a day of the calendar (February 2024 has 29 days",
            ),
            ("2024-13-01", "--since 2024-13-01: not a day of the calendar (there is no month 13"),
            ("last week", "--since last week: expected a date like 2024-03-09"),
            ("2024-03-09T10:00", "--since 2024-03-09T10:00: expected a date like"),
            ("1969-07-20", "--since 1969-07-20: before 1970-01-01"),
        ];
        for (value, start) in rows {
            let err = since(value).expect_err(value);
            assert!(err.starts_with(start), "{value}: {err}");
        }
    }
}
