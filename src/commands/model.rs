//! `folio model`: where the sentence model is, fetching it, and what it
//! costs to load and run.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;

use crate::cli::{ModelAction, ModelArgs};
use crate::embed::distill::DistillOptions;
use crate::embed::store::StoreBuilder;
use crate::embed::{self, Embedder};

/// Texts of highlight size, for `folio model check` without a file.
const SAMPLE: [&str; 8] = [
    "When people are in a group, responsibility for acting is diffused.",
    "The map is not the territory, and the menu is not the meal.",
    "We suffer more often in imagination than in reality.",
    "A system that is not tested will fail in the ways no one looked at, usually at night.",
    "Habits are the compound interest of self-improvement.",
    "Memory is not a recording: each time we recall an event we rebuild it.",
    "The best time to plant a tree was twenty years ago; the second best time is now.",
    "What gets measured gets managed, even when it is pointless to measure and manage it.",
];

/// Runs `folio model`.
pub fn run(args: &ModelArgs) -> anyhow::Result<ExitCode> {
    match &args.action {
        ModelAction::Fetch { from, timeout, manifest } => {
            fetch(from.as_deref(), *timeout, manifest.as_deref())
        }
        ModelAction::Distill { to, sif_coefficient, no_center, json } => {
            let options = DistillOptions {
                sif_coefficient: *sif_coefficient,
                center: !*no_center,
                ..DistillOptions::default()
            };
            distill(&model_dir(args)?, to, &options, *json)
        }
        ModelAction::Check { texts, json, store, batch, floor } => {
            let dir = model_dir(args)?;
            let started = Instant::now();
            let embedder = Embedder::load(&dir)?;
            let load_ms = started.elapsed().as_secs_f64() * 1000.0;
            let texts: Vec<String> = match texts {
                Some(path) => std::fs::read_to_string(path)
                    .with_context(|| format!("{}: cannot read the texts", path.display()))?
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(str::to_string)
                    .collect(),
                None => SAMPLE.iter().cycle().take(512).map(|s| s.to_string()).collect(),
            };
            let started = Instant::now();
            let cpu_before = crate::bench::cpu_ms("/proc/self/stat");
            let vectors = embedder.embed_batched(&texts, *batch)?;
            let seconds = started.elapsed().as_secs_f64().max(1e-9);
            let per_second = vectors.len() as f64 / seconds;
            // CPU seconds of every thread: on a shared machine, wall time
            // says how long the embedding waited, CPU time what it cost.
            let cpu_seconds = match (cpu_before, crate::bench::cpu_ms("/proc/self/stat")) {
                (Some(before), Some(after)) => ((after - before) / 1000.0).max(1e-9),
                _ => f64::NAN,
            };
            let per_cpu_second = vectors.len() as f64 / cpu_seconds;
            let timings = embedder.timings();
            let search_ms = time_search(&vectors, *store);
            let floor = if *floor { products_floor(&embedder, &texts, *batch)? } else { None };
            if *json {
                crate::output::print(format_args!(
                    "{}",
                    serde_json::json!({
                        "model": dir, "dims": embedder.dims(), "load_ms": load_ms,
                        "load": timings,
                        "texts": vectors.len(), "seconds": seconds, "per_second": per_second,
                        "cpu_seconds": cpu_seconds, "per_cpu_second": per_cpu_second,
                        "store": store, "search_ms_p50": search_ms[0], "search_ms_p95": search_ms[1],
                        "search_cpu_ms": search_ms[2], "floor": floor.as_ref().map(|f| serde_json::json!({
                            "report": f, "one_thread_per_second": f.one_thread_per_second(),
                            "threads_per_second": f.threads_per_second(),
                            "per_cpu_second": f.per_cpu_second(),
                        })),
                    })
                ));
            } else {
                crate::output::print(format_args!(
                    "model: {} ({} dimensions)",
                    dir.display(),
                    embedder.dims()
                ));
                crate::output::print(format_args!(
                    "loaded in {load_ms:.0} ms (tokenizer {:.0} ms beside the weights: \
                     read {:.0} ms, laid out {:.0} ms)",
                    timings.tokenizer_ms, timings.weights_read_ms, timings.weights_build_ms
                ));
                crate::output::print(format_args!(
                    "embedded {} texts in {seconds:.2} s: {per_second:.0} per second; \
                     {cpu_seconds:.2} s of CPU: {per_cpu_second:.0} per CPU-second",
                    vectors.len()
                ));
                crate::output::print(format_args!(
                    "exact search over {store} vectors: p50 {:.2} ms, p95 {:.2} ms, \
                     {:.2} ms of CPU each",
                    search_ms[0], search_ms[1], search_ms[2]
                ));
                if let Some(f) = &floor {
                    crate::output::print(format_args!(
                        "matrix products alone ({:.1} GFLOP): one thread {:.2} s, {:.0} texts/s; \
                         {:.2} CPU-s, {:.0} texts per CPU-second ({:.1} GFLOPS); {} threads \
                         {:.2} s, {:.0} texts/s; end to end is {:.0}% of that",
                        f.gflop,
                        f.one_thread_seconds,
                        f.one_thread_per_second(),
                        f.one_thread_cpu_seconds,
                        f.per_cpu_second(),
                        f.gflop / f.one_thread_cpu_seconds.max(1e-9),
                        f.threads,
                        f.threads_seconds,
                        f.threads_per_second(),
                        100.0 * per_second / f.threads_per_second().max(1e-9)
                    ));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The transformer's matrix products alone, timed for the batches `texts`
/// make ([`embed::floor`]); `None` for a static model.
fn products_floor(
    embedder: &Embedder,
    texts: &[String],
    batch: usize,
) -> anyhow::Result<Option<embed::floor::FloorReport>> {
    let Some(made) = embedder.batch_shapes(texts, batch)? else { return Ok(None) };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    Ok(Some(embed::floor::measure(&made.shape, &made.batches, threads)?))
}

/// The model folder `--model` / `FOLIO_MODEL` names, else the cached one.
fn model_dir(args: &ModelArgs) -> anyhow::Result<std::path::PathBuf> {
    embed::locate(args.model.model.as_deref())
        .or_else(|| embed::cache_dir().map(|d| d.join(embed::DEFAULT_MODEL)))
        .context("no model folder: pass --model DIR or set FOLIO_MODEL")
}

/// `folio model distill`: runs the distillation and says what it made.
fn distill(
    source: &std::path::Path,
    to: &std::path::Path,
    options: &DistillOptions,
    json: bool,
) -> anyhow::Result<ExitCode> {
    crate::output::say(format_args!("distilling {} into {} ...", source.display(), to.display()));
    let started = Instant::now();
    let report = embed::distill::distill(source, to, options)?;
    let seconds = started.elapsed().as_secs_f64();
    if json {
        crate::output::print(format_args!(
            "{}",
            serde_json::json!({"model": to, "source": source, "seconds": seconds, "report": report})
        ));
    } else {
        crate::output::print(format_args!(
            "static model in {}: {} word pieces x {} dimensions, {:.1} MB; \
             {seconds:.1} s ({:.1} s running the transformer)",
            to.display(),
            report.tokens,
            report.dims,
            report.bytes as f64 / 1e6,
            report.embed_seconds
        ));
        crate::output::print(format_args!("use it with --model {} (or FOLIO_MODEL)", to.display()));
    }
    Ok(ExitCode::SUCCESS)
}

/// p50 and p95 milliseconds, and CPU milliseconds per search, of [`crate::embed::store::VectorStore::nearest`] (top 50) over
/// `size` vectors: the embedded texts, each again with seeded noise so the
/// store has the spread of real vectors.
fn time_search(vectors: &[Vec<f32>], size: usize) -> [f64; 3] {
    use rand_xoshiro::Xoshiro256StarStar;
    use rand_xoshiro::rand_core::{Rng as _, SeedableRng};
    if vectors.is_empty() || size == 0 {
        return [0.0, 0.0, 0.0];
    }
    let dims = vectors[0].len();
    let mut rng = Xoshiro256StarStar::seed_from_u64(5);
    let mut builder = StoreBuilder::new(dims, 0);
    for i in 0..size {
        let base = &vectors[i % vectors.len()];
        let noisy: Vec<f32> = base
            .iter()
            .map(|x| x + ((rng.next_u32() >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * 0.1)
            .collect();
        let norm = embed::dot(&noisy, &noisy).sqrt().max(1e-12);
        let unit: Vec<f32> = noisy.iter().map(|x| x / norm).collect();
        builder.add(i as u64, &unit);
    }
    let store = builder.build();
    let cpu_before = crate::bench::cpu_ms("/proc/thread-self/stat");
    let mut times: Vec<f64> = vectors
        .iter()
        .cycle()
        .take(50)
        .map(|query| {
            let started = Instant::now();
            std::hint::black_box(store.nearest(query, 50));
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    let cpu_per_search = match (cpu_before, crate::bench::cpu_ms("/proc/thread-self/stat")) {
        (Some(before), Some(after)) => (after - before) / times.len() as f64,
        _ => f64::NAN,
    };
    times.sort_by(f64::total_cmp);
    [times[times.len() / 2], times[times.len() * 95 / 100], cpu_per_search]
}

/// `folio model fetch`: the pinned model (or the files a manifest names)
/// from the hub, a mirror or a folder, into the cache folder.
fn fetch(
    from: Option<&str>,
    timeout: u64,
    manifest: Option<&std::path::Path>,
) -> anyhow::Result<ExitCode> {
    use crate::embed::fetch::{self, FetchOptions, Source};
    let target = embed::cache_dir()
        .context("no cache folder to put the model in: set HOME (or XDG_CACHE_HOME)")?
        .join(embed::DEFAULT_MODEL);
    let files = match manifest {
        Some(path) => fetch::read_manifest(path)?,
        None => fetch::pinned(),
    };
    let options = FetchOptions {
        source: from.map_or_else(Source::hub, Source::parse),
        files,
        target,
        stall: std::time::Duration::from_secs(timeout.max(1)),
    };
    crate::output::report::fetch_start(&options.source, &options.target);
    let progress = crate::output::report::FetchProgress::default();
    let fetched = fetch::fetch(&options, &progress)?;
    crate::output::report::fetched(&options.target, &fetched);
    Ok(ExitCode::SUCCESS)
}
