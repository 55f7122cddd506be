//! Options resolved once, for every front end: the index folder, the note
//! folders, indexing threads and memory, and the search filters from their
//! text. `folio search`, `folio quotes` and `folio serve` read them from
//! here, so a flag and a URL parameter mean the same thing.

use std::path::PathBuf;

use crate::index::update::UpdateOptions;
use crate::search::{Filters, query};

/// Indexing memory, MB, for an update a search or the server runs (a
/// small change set; `folio index --memory` sets it for full builds).
pub const REFRESH_MEMORY_MB: usize = 100;

/// Indexing memory, MB, for a whole build (`folio index --memory`'s
/// default, and `folio bench`'s).
pub const BUILD_MEMORY_MB: usize = 120;

/// The resolved settings of one run.
#[derive(Debug, Clone)]
pub struct Config {
    /// The index folder: `--index`, else `$FOLIO_INDEX` (clap reads it),
    /// else `./index`.
    pub index: PathBuf,
    /// Note folders given on the command line; empty means the folders the
    /// index remembers (see [`crate::index::update::resolve_roots`]).
    pub roots: Vec<PathBuf>,
    /// Parsing and indexing threads.
    pub threads: usize,
    /// Indexing memory budget, MB.
    pub memory_mb: usize,
    /// The sentence model new quotes are embedded with (`None`: words only).
    pub model: Option<std::sync::Arc<crate::embed::Model>>,
}

impl Config {
    /// The settings for an index folder given (or not) on the command line.
    pub fn new(index: Option<PathBuf>) -> Self {
        Config {
            index: index.unwrap_or_else(|| PathBuf::from("index")),
            roots: Vec::new(),
            threads: default_threads(),
            memory_mb: REFRESH_MEMORY_MB,
            model: None,
        }
    }

    /// The options of an incremental update with these settings, telling
    /// `progress` how far indexing has come.
    pub fn update_options(
        &self,
        progress: Option<std::sync::Arc<dyn crate::index::report::Progress>>,
    ) -> UpdateOptions {
        UpdateOptions {
            roots: self.roots.clone(),
            threads: self.threads,
            memory_mb: self.memory_mb,
            progress,
            model: self.model.clone(),
        }
    }
}

/// The sentence model in the folder `dir` (`--model`, `$FOLIO_MODEL`), or
/// the cached one; `None` when there is none (folio then ranks by words).
pub fn resolve_model(dir: Option<&std::path::Path>) -> Option<std::sync::Arc<crate::embed::Model>> {
    crate::embed::locate(dir).map(|dir| std::sync::Arc::new(crate::embed::Model::new(dir)))
}

/// Whether to tell the reader how to turn meaning search on: there is no
/// model, the reader did not turn it off (`--model off`), and folio has not
/// said it before to this user. Said once, not with every search: the
/// first time leaves a mark, `said-meaning-hint`, in folio's cache folder
/// (where `folio model fetch` puts the model); when the mark cannot be
/// left, it is said each time rather than never.
pub fn first_meaning_hint(given: Option<&std::path::Path>, has_model: bool) -> bool {
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

/// Threads to use by default: the machine's cores, at most 8.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).min(8)
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
