//! Benchmarks: a synthetic corpus, and the measurements `folio bench` makes.
//!
//! [`relevance`] measures ranking on a test collection (`--relevance`).
//! [`generator`] makes book notes from a seed. [`run`] times, on such a
//! corpus or on a folder of real notes: a fresh index build (throughput,
//! peak memory, segments, size on disk), two refreshes (nothing changed;
//! 1 % of the notes rewritten) and a fixed mix of queries (latency
//! percentiles, warm-up runs kept apart), and gathers the figures in a
//! [`Report`]. Printing it is `commands::bench`'s job.
//!
//! Peak memory is the process's high-water mark (`VmHWM`), reset just before
//! the build where the kernel allows it, so it is the build's peak plus what
//! the process held already (the generator's tables, a few MB).

pub mod generator;
pub mod relevance;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use serde::Serialize;

use crate::config::{Given, Settings};
use crate::error::{Error, Result};
use crate::index::FolioIndex;
use crate::index::update::{self, UpdateOptions};
use crate::search::{Engine, Filters, Request, Target};
pub use generator::{Generated, Pools, generate};

/// What to benchmark.
#[derive(Debug, Clone)]
pub struct Options {
    /// Notes to generate.
    pub notes: usize,
    /// Generator seed.
    pub seed: u64,
    /// Threads for generating and indexing, and indexing memory (the
    /// model is never used: speed is measured by words).
    pub settings: Settings,
    /// A folder of notes to use instead of generating.
    pub corpus: Option<PathBuf>,
    /// Keep the corpus (`DIR/notes`) and the index (`DIR/index`) here.
    pub keep: Option<PathBuf>,
    /// Queries to time instead of the fixed mix (searched as notes).
    pub queries: Option<Vec<String>>,
    /// Most timed rounds over the query mix (after the warm-up rounds);
    /// rounds stop early, after [`MIN_ROUNDS`], once [`QUERY_BUDGET_SECONDS`]
    /// have gone by.
    pub rounds: usize,
    /// Where the progress of generating and building goes; `None`: nowhere.
    pub progress: Option<std::sync::Arc<dyn crate::index::report::Progress>>,
    /// The folio binary, to time whole-process commands; none skips them.
    pub exe: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            notes: 10_000,
            seed: 42,
            settings: Settings::resolve(Given::benchmark()),
            corpus: None,
            keep: None,
            queries: None,
            rounds: 200,
            progress: None,
            exe: None,
        }
    }
}

/// Everything `folio bench` measured; serialized as the `--json` object.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// folio's version.
    pub folio_version: String,
    /// The machine it ran on.
    pub machine: Machine,
    /// The notes indexed.
    pub corpus: CorpusReport,
    /// The fresh build.
    pub build: BuildReport,
    /// Refreshes after the build.
    pub refresh: RefreshReport,
    /// The queries: folio, Tantivy alone, a whole process.
    #[serde(flatten)]
    pub timed: TimedQueries,
}

/// The machine.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// CPU model.
    pub cpu: String,
    /// Cores available to the process.
    pub cores: usize,
    /// Memory, bytes.
    pub memory_bytes: u64,
    /// Operating system.
    pub os: String,
}

/// The corpus.
#[derive(Debug, Clone, Serialize)]
pub struct CorpusReport {
    /// Where it is when it outlives the run (`--keep`, `--corpus`).
    pub path: Option<PathBuf>,
    /// Generator seed (none for `--corpus`).
    pub seed: Option<u64>,
    /// Note files.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
    /// Seconds spent generating (none for `--corpus`).
    pub generate_seconds: Option<f64>,
}

/// The fresh build.
#[derive(Debug, Clone, Serialize)]
pub struct BuildReport {
    /// Notes indexed.
    pub notes: u64,
    /// Quotes indexed.
    pub quotes: u64,
    /// Files that failed.
    pub failed: usize,
    /// Warnings while reading notes (a generated corpus has none).
    pub warnings: usize,
    /// Wall-clock seconds, from opening the index to the merged commit.
    pub seconds: f64,
    /// Notes per second.
    pub notes_per_second: f64,
    /// Corpus MB (10^6 bytes) per second.
    pub mb_per_second: f64,
    /// Peak resident memory of the process, bytes (none off Linux).
    pub peak_rss_bytes: Option<u64>,
    /// Indexing threads.
    pub threads: usize,
    /// Memory budget, MB.
    pub memory_mb: usize,
    /// Segments after the build.
    pub segments: usize,
    /// Index size on disk, bytes.
    pub index_bytes: u64,
    /// Index bytes over corpus bytes.
    pub index_ratio: f64,
}

/// Refreshes.
#[derive(Debug, Clone, Serialize)]
pub struct RefreshReport {
    /// Nothing changed, in process, seconds.
    pub noop_seconds: f64,
    /// Nothing changed, whole `folio index` process, seconds.
    pub noop_process_seconds: Option<f64>,
    /// Notes rewritten for the second refresh (0 for `--corpus`).
    pub changed_notes: usize,
    /// Refresh after the rewrite, seconds.
    pub changed_seconds: Option<f64>,
}

/// Latency percentiles, milliseconds.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Latency {
    /// Timed runs.
    pub runs: usize,
    /// Median.
    pub p50_ms: f64,
    /// 95th percentile.
    pub p95_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Mean.
    pub mean_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

impl Latency {
    /// Percentiles of samples in seconds (nearest rank).
    pub fn of(samples: &[f64]) -> Self {
        if samples.is_empty() {
            return Latency::default();
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(f64::total_cmp);
        let at = |q: f64| {
            let rank = (q * sorted.len() as f64).ceil() as usize;
            sorted[rank.clamp(1, sorted.len()) - 1] * 1e3
        };
        Latency {
            runs: sorted.len(),
            p50_ms: at(0.50),
            p95_ms: at(0.95),
            p99_ms: at(0.99),
            mean_ms: sorted.iter().sum::<f64>() / sorted.len() as f64 * 1e3,
            max_ms: sorted[sorted.len() - 1] * 1e3,
        }
    }
}

/// One query's figures.
#[derive(Debug, Clone, Serialize)]
pub struct QueryReport {
    /// What it stands for: `one_word`, `phrase`, … or `file:N`.
    pub name: String,
    /// The query text.
    pub query: String,
    /// `notes` or `quotes`.
    pub target: String,
    /// Filters, as flags.
    pub filters: String,
    /// Matching documents.
    pub hits: usize,
    /// Timings.
    pub latency: Latency,
    /// Timings of the same search counting every match (`--count`),
    /// interleaved with the others; none for Tantivy's floor.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counted: Option<Latency>,
}

/// One query of the mix.
#[derive(Debug, Clone)]
pub struct MixQuery {
    /// Its name in reports.
    pub name: String,
    /// The request.
    pub request: Request,
    /// Filters, as flags, for reports.
    pub flags: String,
}

/// The fixed mix: one word, two words, a phrase, a filtered query, a quotes
/// query, a rare word and a very common word (words picked by their rank in
/// the generator's vocabulary).
pub fn query_mix() -> Vec<MixQuery> {
    let plain = |name: &str, query: &str, target: Target, filters: Filters, flags: &str| MixQuery {
        name: name.to_string(),
        request: Request { filters, ..Request::new(query, target) },
        flags: flags.to_string(),
    };
    let none = Filters::default;
    vec![
        plain("one_word", "history", Target::Notes, none(), ""),
        plain("two_words", "memory light", Target::Notes, none(), ""),
        plain("phrase", "\"memory palace\"", Target::Notes, none(), ""),
        plain(
            "filtered",
            "history",
            Target::Notes,
            Filters { years: Some((1990, 2010)), ..Filters::default() },
            "--year 1990..2010",
        ),
        plain("quotes", "light", Target::Quotes, none(), ""),
        plain("rare_word", "jaundice", Target::Notes, none(), ""),
        plain("common_word", "the", Target::Notes, none(), ""),
    ]
}

/// The mix for `--queries`: each line a notes query.
pub fn file_mix(queries: &[String]) -> Vec<MixQuery> {
    queries
        .iter()
        .map(|q| q.trim())
        .filter(|q| !q.is_empty())
        .enumerate()
        .map(|(i, q)| MixQuery {
            name: format!("file:{}", i + 1),
            request: Request::new(q, Target::Notes),
            flags: String::new(),
        })
        .collect()
}

/// Warm-up rounds over the mix, not timed.
const WARMUP_ROUNDS: usize = 5;
/// Fewest timed rounds over the mix.
pub const MIN_ROUNDS: usize = 50;
/// Time after which the timed rounds stop (past [`MIN_ROUNDS`]), seconds.
pub const QUERY_BUDGET_SECONDS: f64 = 8.0;
/// Runs of each whole-process command.
const PROCESS_RUNS: usize = 10;

/// Runs the benchmark.
pub fn run(options: &Options) -> Result<Report> {
    let temp;
    let (work, keep) = match &options.keep {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
            (dir.clone(), true)
        }
        None => {
            temp = tempfile::Builder::new()
                .prefix("folio-bench-")
                .tempdir()
                .map_err(|e| Error::io(&std::env::temp_dir(), e))?;
            (temp.path().to_path_buf(), false)
        }
    };
    let threads = options.settings.threads;

    let (corpus_dir, corpus) = corpus(options, &work, keep, threads)?;
    let index_dir = work.join("index");
    let update_options = UpdateOptions {
        roots: vec![corpus_dir.clone()],
        model: None,
        ..options.settings.update_options(options.progress.clone())
    };
    let (ix, build) = build(&index_dir, &update_options, &corpus)?;
    let refresh = refreshes(options, &ix, &index_dir, &update_options, &corpus_dir, &corpus, keep)?;
    let timed = time_queries(&index_dir, options)?;

    Ok(Report {
        folio_version: env!("CARGO_PKG_VERSION").to_string(),
        machine: machine(),
        corpus,
        build,
        refresh,
        timed,
    })
}

/// The corpus to build from: the folder given, or notes generated into
/// `work` (kept there when `keep`).
fn corpus(
    options: &Options,
    work: &Path,
    keep: bool,
    threads: usize,
) -> Result<(PathBuf, CorpusReport)> {
    Ok(match &options.corpus {
        Some(dir) => {
            let walked = crate::walk::walk(std::slice::from_ref(dir), None, threads);
            let bytes = walked.files.iter().map(|f| f.size).sum();
            let report = CorpusReport {
                path: Some(dir.clone()),
                seed: None,
                files: walked.files.len(),
                bytes,
                generate_seconds: None,
            };
            (dir.clone(), report)
        }
        None => {
            let dir = work.join("notes");
            clear_kept_corpus(&dir)?;
            let bar = crate::index::report::Progressing::on(
                options.progress.as_deref(),
                crate::index::report::Step::Generating,
                options.notes,
            );
            let started = Instant::now();
            let tick = || bar.advance(1);
            std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            let marker = dir.join(CORPUS_MARKER);
            std::fs::write(&marker, "made by folio bench; deleted by the next run\n")
                .map_err(|e| Error::io(&marker, e))?;
            let made = generate(&dir, options.notes, options.seed, threads, &tick)
                .map_err(|e| Error::io(&dir, e))?;
            drop(bar);
            let report = CorpusReport {
                path: keep.then(|| dir.clone()),
                seed: Some(options.seed),
                files: made.notes,
                bytes: made.bytes,
                generate_seconds: Some(started.elapsed().as_secs_f64()),
            };
            (dir, report)
        }
    })
}

/// A fresh build of `index_dir`, timed, with its peak memory.
fn build(
    index_dir: &Path,
    update_options: &UpdateOptions,
    corpus: &CorpusReport,
) -> Result<(FolioIndex, BuildReport)> {
    let counting = crate::index::report::Counting::default();
    reset_peak_rss();
    let started = Instant::now();
    let built = crate::index::lifecycle::refresh(index_dir, update_options, true, &counting)?;
    let (ix, summary) = (built.index, built.summary);
    let build_seconds = started.elapsed().as_secs_f64();
    let peak_rss_bytes = peak_rss();
    let segments = ix.reader()?.searcher().segment_readers().len();
    let index_bytes = ix.size_on_disk();
    let build = BuildReport {
        notes: summary.notes,
        quotes: summary.quotes,
        failed: summary.failed.len(),
        warnings: counting.warnings.into_inner(),
        seconds: build_seconds,
        notes_per_second: summary.notes as f64 / build_seconds,
        mb_per_second: corpus.bytes as f64 / 1e6 / build_seconds,
        peak_rss_bytes,
        threads: update_options.threads,
        memory_mb: update_options.memory_mb,
        segments,
        index_bytes,
        index_ratio: index_bytes as f64 / corpus.bytes.max(1) as f64,
    };
    Ok((ix, build))
}

/// A refresh with nothing changed (in this process and as a whole
/// process) and, for a generated corpus, one after 1 % of the notes
/// changed.
fn refreshes(
    options: &Options,
    ix: &FolioIndex,
    index_dir: &Path,
    update_options: &UpdateOptions,
    corpus_dir: &Path,
    corpus: &CorpusReport,
    keep: bool,
) -> Result<RefreshReport> {
    let quiet = |_: &crate::error::NoteError| {};
    let started = Instant::now();
    update::update(ix, update_options, &quiet)?;
    let noop_seconds = started.elapsed().as_secs_f64();
    let noop_process_seconds = match &options.exe {
        Some(exe) => process_median(exe, &["index", "--json", "--index"], index_dir, 3)?,
        None => None,
    };
    let (changed_notes, changed_seconds) = if options.corpus.is_none() {
        let changed = generator::rewrite(corpus_dir, corpus.files, options.seed, 100, 1)
            .map_err(|e| Error::io(corpus_dir, e))?;
        let started = Instant::now();
        update::update(ix, update_options, &quiet)?;
        let seconds = started.elapsed().as_secs_f64();
        if keep {
            // Leave the kept corpus and index as the seed makes them.
            generator::rewrite(corpus_dir, corpus.files, options.seed, 100, 0)
                .map_err(|e| Error::io(corpus_dir, e))?;
            update::update(ix, update_options, &quiet)?;
        }
        (changed, Some(seconds))
    } else {
        (0, None)
    };
    Ok(RefreshReport { noop_seconds, noop_process_seconds, changed_notes, changed_seconds })
}

/// What `folio bench --index DIR` measured: the queries alone, on an index
/// built already.
#[derive(Debug, Clone, Serialize)]
pub struct QueriesReport {
    /// folio's version.
    pub folio_version: String,
    /// The machine it ran on.
    pub machine: Machine,
    /// The index folder.
    pub index: PathBuf,
    /// Notes in it.
    pub notes: u64,
    /// Quotes in it.
    pub quotes: u64,
    /// Its segments.
    pub segments: usize,
    /// Its size on disk, bytes.
    pub index_bytes: u64,
    /// The queries: folio, Tantivy alone, a whole process.
    #[serde(flatten)]
    pub timed: TimedQueries,
}

/// Times the query mix (or `options.queries`) on the existing index in
/// `index_dir`, without building or refreshing it.
pub fn queries_only(index_dir: &Path, options: &Options) -> Result<QueriesReport> {
    let (segments, notes, quotes, index_bytes) = {
        let ix = FolioIndex::open(index_dir)?;
        let reader = ix.reader()?;
        let segments = reader.searcher().segment_readers().len();
        let notes = ix.count_kind(&reader, crate::index::schema::KIND_NOTE)?;
        let quotes = ix.count_kind(&reader, crate::index::schema::KIND_QUOTE)?;
        (segments, notes, quotes, ix.size_on_disk())
    };
    let timed = time_queries(index_dir, options)?;
    Ok(QueriesReport {
        folio_version: env!("CARGO_PKG_VERSION").to_string(),
        machine: machine(),
        index: index_dir.to_path_buf(),
        notes,
        quotes,
        segments,
        index_bytes,
        timed,
    })
}

/// The query part of a report (its fields sit at the top level of the
/// JSON object).
#[derive(Debug, Clone, Serialize)]
pub struct TimedQueries {
    /// Each query of the mix, through folio's search (snippets included).
    pub queries: Vec<QueryReport>,
    /// All timed runs of the mix together.
    pub overall: Latency,
    /// All timed runs of the mix with every match counted (`--count`).
    pub overall_counted: Latency,
    /// The same queries as Tantivy-only top-10 searches over title, author
    /// and body (no filters, no snippets, no stored fields): the floor.
    pub tantivy_top10: Vec<QueryReport>,
    /// Whole-process `folio search --no-refresh --json` for the mix's
    /// first query, median of runs, ms (none when not measured).
    pub process_search_ms: Option<f64>,
}

/// Times the mix in process, through Tantivy alone, and as a whole
/// `folio search` process, on the index in `index_dir`.
fn time_queries(index_dir: &Path, options: &Options) -> Result<TimedQueries> {
    let mix = match &options.queries {
        Some(queries) => file_mix(queries),
        None => query_mix(),
    };
    let engine = Engine::open(FolioIndex::open(index_dir)?)?;
    let (queries, overall, overall_counted) = time_mix(&engine, &mix, options.rounds.max(1))?;
    let tantivy_top10 = time_tantivy(&engine, &mix, options.rounds.max(1))?;
    let process_search_ms = match (&options.exe, mix.first()) {
        (Some(exe), Some(first)) => {
            let args =
                ["search", first.request.query.as_str(), "--no-refresh", "--json", "--index"];
            process_median(exe, &args, index_dir, PROCESS_RUNS)?.map(|s| s * 1e3)
        }
        _ => None,
    };
    Ok(TimedQueries { queries, overall, overall_counted, tantivy_top10, process_search_ms })
}

/// Times the mix round by round (each round runs every query once, so a
/// slow stretch of the machine hits all queries alike), each query also
/// with every match counted, right after it.
fn time_mix(
    engine: &Engine,
    mix: &[MixQuery],
    rounds: usize,
) -> Result<(Vec<QueryReport>, Latency, Latency)> {
    let mut samples = vec![Vec::with_capacity(rounds); mix.len()];
    let mut counted = vec![Vec::with_capacity(rounds); mix.len()];
    let mut hits = vec![0; mix.len()];
    let started = Instant::now();
    for round in 0..WARMUP_ROUNDS + rounds {
        if round >= WARMUP_ROUNDS + MIN_ROUNDS
            && started.elapsed().as_secs_f64() > QUERY_BUDGET_SECONDS
        {
            break;
        }
        for (i, q) in mix.iter().enumerate() {
            let exact_request = Request { count: true, ..q.request.clone() };
            // Each goes first every other round: the second of two runs of
            // a query finds its postings in cache.
            let (first, second) = if round % 2 == 0 {
                (&q.request, &exact_request)
            } else {
                (&exact_request, &q.request)
            };
            let started = Instant::now();
            let one = engine.search(first)?;
            let first_seconds = started.elapsed().as_secs_f64();
            let started = Instant::now();
            let two = engine.search(second)?;
            let second_seconds = started.elapsed().as_secs_f64();
            let (results, exact, seconds, counted_seconds) = if round % 2 == 0 {
                (one, two, first_seconds, second_seconds)
            } else {
                (two, one, second_seconds, first_seconds)
            };
            std::hint::black_box(&results);
            hits[i] = exact.total;
            if round >= WARMUP_ROUNDS {
                samples[i].push(seconds);
                counted[i].push(counted_seconds);
            }
        }
    }
    let all: Vec<f64> = samples.iter().flatten().copied().collect();
    let all_counted: Vec<f64> = counted.iter().flatten().copied().collect();
    let reports = mix
        .iter()
        .zip(samples.iter().zip(hits).zip(&counted))
        .map(|(q, ((s, hits), c))| QueryReport {
            name: q.name.clone(),
            query: q.request.query.clone(),
            target: match q.request.target {
                Target::Notes => "notes",
                Target::Quotes => "quotes",
            }
            .to_string(),
            filters: q.flags.clone(),
            hits,
            latency: Latency::of(s),
            counted: Some(Latency::of(c)),
        })
        .collect();
    Ok((reports, Latency::of(&all), Latency::of(&all_counted)))
}

/// The floor: Tantivy's own query parser over title, author and body, top
/// 10 by score and a count, as tantivy-cli's bench does (`counted`), and
/// the top 10 alone (`latency`): plain term queries then take Tantivy's
/// block-max WAND path, which skips blocks that cannot reach the top.
fn time_tantivy(engine: &Engine, mix: &[MixQuery], rounds: usize) -> Result<Vec<QueryReport>> {
    use tantivy::collector::{Count, TopDocs};
    let ix = engine.index();
    let f = &ix.fields;
    let parser = tantivy::query::QueryParser::for_index(&ix.index, vec![f.title, f.author, f.body]);
    let searcher = engine.searcher();
    let mut reports = Vec::new();
    for q in mix {
        let query = parser.parse_query(&q.request.query).map_err(|e| {
            Error::tantivy(format!("parsing {:?} for Tantivy", q.request.query), e.into())
        })?;
        let collector = (TopDocs::with_limit(10).order_by_score(), Count);
        let top_only = TopDocs::with_limit(10).order_by_score();
        let mut samples = Vec::with_capacity(rounds);
        let mut counted = Vec::with_capacity(rounds);
        let mut hits = 0;
        let budget = Instant::now();
        for round in 0..WARMUP_ROUNDS + rounds {
            if round >= WARMUP_ROUNDS + MIN_ROUNDS
                && budget.elapsed().as_secs_f64() > QUERY_BUDGET_SECONDS / mix.len() as f64
            {
                break;
            }
            let counted_run = |hits: &mut usize| -> Result<f64> {
                let started = Instant::now();
                let (top, count) = searcher
                    .search(&query, &collector)
                    .map_err(|e| Error::tantivy("searching", e))?;
                std::hint::black_box(&top);
                *hits = count;
                Ok(started.elapsed().as_secs_f64())
            };
            let top_run = || -> Result<f64> {
                let started = Instant::now();
                let top = searcher
                    .search(&query, &top_only)
                    .map_err(|e| Error::tantivy("searching", e))?;
                std::hint::black_box(&top);
                Ok(started.elapsed().as_secs_f64())
            };
            // Each goes first every other round (the second finds the cache warm).
            let (counted_seconds, seconds) = if round % 2 == 0 {
                let counted = counted_run(&mut hits)?;
                (counted, top_run()?)
            } else {
                let top = top_run()?;
                (counted_run(&mut hits)?, top)
            };
            if round >= WARMUP_ROUNDS {
                samples.push(seconds);
                counted.push(counted_seconds);
            }
        }
        reports.push(QueryReport {
            name: q.name.clone(),
            query: q.request.query.clone(),
            target: "notes+quotes".to_string(),
            filters: String::new(),
            hits,
            latency: Latency::of(&samples),
            counted: Some(Latency::of(&counted)),
        });
    }
    Ok(reports)
}

/// Median wall-clock seconds of `exe args… index_dir`, after one untimed
/// run; none when the command fails (a build without that command).
fn process_median(exe: &Path, args: &[&str], index_dir: &Path, runs: usize) -> Result<Option<f64>> {
    let mut samples = Vec::with_capacity(runs);
    for round in 0..=runs {
        let started = Instant::now();
        let status = Command::new(exe)
            .args(args)
            .arg(index_dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map_err(|e| Error::io(exe, e))?;
        let seconds = started.elapsed().as_secs_f64();
        // Exit 1 is "no hits": still a timed search.
        if !matches!(status.code(), Some(0 | 1)) {
            return Ok(None);
        }
        if round > 0 {
            samples.push(seconds);
        }
    }
    Ok(Some(Latency::of(&samples).p50_ms / 1e3))
}

/// Marks a generated corpus (a hidden file, so the walk skips it).
const CORPUS_MARKER: &str = ".folio-bench-corpus";

/// Deletes a corpus an earlier `--keep` run generated, so no note of another
/// size or seed stays behind; refuses to touch a folder it did not make.
fn clear_kept_corpus(dir: &Path) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    if !dir.join(CORPUS_MARKER).is_file() {
        let empty = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?.next().is_none();
        if empty {
            return Ok(());
        }
        return Err(Error::io(
            dir,
            std::io::Error::other(
                "exists and was not made by folio bench; give --keep a new or empty folder",
            ),
        ));
    }
    std::fs::remove_dir_all(dir).map_err(|e| Error::io(dir, e))
}

/// The process's peak resident memory (`VmHWM`), bytes; Linux only.
pub fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// CPU time (user and system) in milliseconds of this thread
/// (`/proc/thread-self/stat`) or this process (`/proc/self/stat`) (Linux;
/// clock ticks of 10 ms): on a busy machine it says what work costs where
/// wall time says how long it waited.
pub fn cpu_ms(stat_file: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(stat_file).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line; the name is field 2.
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks * 10.0)
}

/// Resets the peak to the current resident memory (Linux ≥ 4.0; a no-op
/// elsewhere or when not allowed).
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_bytes = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024);
    Machine {
        cpu,
        cores: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        memory_bytes,
        os: std::env::consts::OS.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let samples: Vec<f64> = (1..=100).map(|ms| ms as f64 / 1e3).collect();
        let l = Latency::of(&samples);
        assert_eq!(
            (l.runs, l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms),
            (100, 50.0, 95.0, 99.0, 100.0)
        );
        assert_eq!(Latency::of(&[]).runs, 0);
        assert_eq!(Latency::of(&[0.002]).p99_ms, 2.0);
    }

    #[test]
    fn the_mix_has_every_kind_of_query() {
        let names: Vec<String> = query_mix().into_iter().map(|q| q.name).collect();
        for name in
            ["one_word", "two_words", "phrase", "filtered", "quotes", "rare_word", "common_word"]
        {
            assert!(names.iter().any(|n| n == name), "{name}");
        }
        assert_eq!(file_mix(&["a".into(), " ".into(), "b c".into()]).len(), 2);
    }

    #[test]
    fn keep_never_deletes_a_folder_it_did_not_make() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let notes = dir.path().join("notes");
        std::fs::create_dir_all(&notes).expect("made");
        clear_kept_corpus(&notes).expect("an empty folder is fine");
        std::fs::write(notes.join("mine.md"), "precious").expect("written");
        let err = clear_kept_corpus(&notes).expect_err("refused");
        let source = std::error::Error::source(&err).map(ToString::to_string).unwrap_or_default();
        assert!(format!("{err}: {source}").contains("not made by folio bench"), "{err}");
        assert!(notes.join("mine.md").exists());
        std::fs::write(notes.join(CORPUS_MARKER), "").expect("written");
        clear_kept_corpus(&notes).expect("a generated corpus is cleared");
        assert!(!notes.exists());
    }
}

/// What `folio bench --clippings MB` measured: one generated Kindle
/// `My Clippings.txt` beside a few hundred generated notes.
#[derive(Debug, Clone, Serialize)]
pub struct ClippingsReport {
    /// Bytes of the clippings file.
    pub bytes: usize,
    /// Its entries (highlights, notes, bookmarks).
    pub entries: usize,
    /// Ordinary notes beside it.
    pub other_notes: usize,
    /// Notes and quotes in the index after the build.
    pub notes: u64,
    /// Quotes in the index after the build.
    pub quotes: u64,
    /// The first build, seconds.
    pub build_seconds: f64,
    /// Entries appended before the refresh.
    pub appended: usize,
    /// The refresh after appending, seconds.
    pub refresh_seconds: f64,
    /// Files the refresh re-read (re-indexed).
    pub refresh_updated: usize,
    /// Files the refresh left as they were.
    pub refresh_unchanged: usize,
    /// Quotes in the index after the refresh.
    pub refresh_quotes: u64,
}

/// Ordinary notes generated beside the clippings file.
const CLIPPINGS_NEIGHBOURS: usize = 300;
/// Entries appended before the refresh is timed.
const CLIPPINGS_APPENDED: usize = 20;

/// Times the build of a generated `My Clippings.txt` of about `mb` MB (with
/// 300 generated notes beside it), then a refresh after 20 entries are
/// appended to it.
pub fn clippings(options: &Options, mb: f64) -> Result<ClippingsReport> {
    let temp = tempfile::Builder::new()
        .prefix("folio-clippings-")
        .tempdir()
        .map_err(|e| Error::io(&std::env::temp_dir(), e))?;
    // `--keep DIR` keeps the files (DIR/notes, DIR/index) for a look after.
    let work = options.keep.clone().unwrap_or_else(|| temp.path().to_path_buf());
    let notes_dir = work.join("notes");
    clear_kept_corpus(&notes_dir)?;
    let threads = options.settings.threads;
    std::fs::create_dir_all(&notes_dir).map_err(|e| Error::io(&notes_dir, e))?;
    let marker = notes_dir.join(CORPUS_MARKER);
    std::fs::write(&marker, "made by folio bench; deleted by the next run\n")
        .map_err(|e| Error::io(&marker, e))?;
    generate(&notes_dir, CLIPPINGS_NEIGHBOURS, options.seed, threads, &|| {})
        .map_err(|e| Error::io(&notes_dir, e))?;
    let bytes = (mb.max(0.001) * 1e6) as usize;
    let (text, entries) = generator::clippings(options.seed, bytes);
    let written = text.len();
    let file = notes_dir.join("My Clippings.txt");
    std::fs::write(&file, &text).map_err(|e| Error::io(&file, e))?;

    let ix = FolioIndex::open_or_create(&work.join("index"), true)?;
    let update_options = UpdateOptions {
        roots: vec![notes_dir.clone()],
        model: None,
        ..options.settings.update_options(None)
    };
    let quiet = |_: &crate::error::NoteError| {};
    let started = Instant::now();
    let built = update::update(&ix, &update_options, &quiet)?;
    let build_seconds = started.elapsed().as_secs_f64();

    let pools = Pools::new(options.seed);
    let mut grown = text;
    for i in entries..entries + CLIPPINGS_APPENDED {
        grown.push_str(&generator::clipping(&pools, options.seed, i));
    }
    std::fs::write(&file, &grown).map_err(|e| Error::io(&file, e))?;
    let started = Instant::now();
    let refreshed = update::update(&ix, &update_options, &quiet)?;
    Ok(ClippingsReport {
        bytes: written,
        entries,
        other_notes: CLIPPINGS_NEIGHBOURS,
        notes: built.notes,
        quotes: built.quotes,
        build_seconds,
        appended: CLIPPINGS_APPENDED,
        refresh_seconds: started.elapsed().as_secs_f64(),
        refresh_updated: refreshed.updated,
        refresh_unchanged: refreshed.unchanged,
        refresh_quotes: refreshed.quotes,
    })
}
