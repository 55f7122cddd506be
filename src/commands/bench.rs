//! `folio bench`: generate (or read) a corpus, build an index of it, time
//! refreshes and queries, and print a table or one JSON object.
//!
//! The measuring is [`crate::bench`]; this file turns flags into options and
//! the report into text.

use std::io::{StdoutLock, Write};
use std::process::ExitCode;

use anyhow::Context;

use crate::bench::{
    self, ClippingsReport, Latency, Options, QueriesReport, QueryReport, Report, TimedQueries,
    relevance,
};
use crate::cli::{BenchArgs, RankArg};
use crate::config::Settings;
use crate::search::semantic::{Fusion, RankMode};

/// Runs the benchmark and prints its report.
pub fn run(args: &BenchArgs) -> anyhow::Result<ExitCode> {
    if let Some(dir) = &args.relevance {
        return relevance(args, dir);
    }
    let queries = match &args.queries {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading the queries in {}", path.display()))?;
            let lines: Vec<String> = text.lines().map(str::to_string).collect();
            if lines.iter().all(|l| l.trim().is_empty()) {
                anyhow::bail!("{} holds no query; write one query a line", path.display());
            }
            Some(lines)
        }
        None => None,
    };
    if let Some(dir) = &args.corpus
        && !dir.is_dir()
    {
        anyhow::bail!("{}: not a folder; --corpus takes a folder of notes", dir.display());
    }
    if args.corpus.is_none() && args.notes == 0 {
        anyhow::bail!("--notes 0: nothing to benchmark; give at least one note");
    }
    let options = Options {
        notes: args.notes,
        seed: args.seed,
        settings: Settings::resolve(args.given()),
        corpus: args.corpus.clone(),
        keep: args.keep.clone(),
        queries,
        progress: crate::output::report::bars(!args.json),
        exe: std::env::current_exe().ok(),
        ..Options::default()
    };
    if let Some(mb) = args.clippings {
        return clippings(&options, mb, args.json);
    }
    if let Some(index) = &args.index {
        let report = bench::queries_only(index, &options)?;
        return print(&report, args.json, queries_table);
    }
    let report = bench::run(&options)?;
    print(&report, args.json, print_table)
}

/// Prints `report` as one JSON object, or for people through `table`.
fn print<R: serde::Serialize>(
    report: &R,
    json: bool,
    table: fn(&mut StdoutLock<'static>, &R) -> std::io::Result<()>,
) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    if json {
        crate::output::json::value(&mut out, report)?;
    } else {
        table(&mut out, report)?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `folio bench --relevance DIR`.
fn relevance(args: &BenchArgs, dir: &std::path::Path) -> anyhow::Result<ExitCode> {
    if !dir.join("corpus.jsonl").is_file() {
        anyhow::bail!(
            "{}: no corpus.jsonl; --relevance takes a folder in BEIR layout \
             (corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv)",
            dir.display()
        );
    }
    if args.k == 0 || args.limit == 0 {
        anyhow::bail!("--k and --limit must be at least 1");
    }
    let mode = match args.mode {
        Some(RankArg::Lexical) => RankMode::Lexical,
        Some(RankArg::Semantic) => RankMode::Semantic,
        Some(RankArg::Hybrid) | None => RankMode::Hybrid,
    };
    let mut fusions = Vec::new();
    for text in &args.fusion {
        let parsed = text.split_once(',').and_then(|(w, p)| {
            Some((w.trim().parse::<f32>().ok()?, p.trim().parse::<f32>().ok()?))
        });
        let Some((words, coverage_power)) = parsed else {
            anyhow::bail!("--fusion {text}: expected WORDS,POWER, e.g. 0.5,1");
        };
        fusions.push(Fusion { words, coverage_power });
    }
    if fusions.is_empty() {
        fusions.push(Fusion::NOTES);
    }
    let options = relevance::Options {
        split: args.split.clone(),
        limit: args.limit,
        k: args.k,
        settings: Settings::resolve(args.given()),
        all_first: !args.any,
        fusions,
        keep: args.keep.clone(),
        progress: crate::output::report::bars(!args.json),
        ..relevance::Options::new(dir)
    };
    let (reports, lines, problems) = relevance::run(&options)?;
    for problem in &problems {
        crate::output::say(format_args!("{problem}"));
    }
    if let Some(path) = &args.run {
        relevance::write_run(path, &lines)?;
    }
    // --mode picks one ranking's reports; without it, every one measured.
    let reports: Vec<&relevance::Report> = reports
        .iter()
        .filter(|r| args.mode.is_none() || r.mode == relevance::mode_name(mode))
        .collect();
    if let [report] = reports.as_slice() {
        return print(*report, args.json, relevance_table);
    }
    let mut out = std::io::stdout().lock();
    if let (Some(r), false) = (reports.first(), args.json) {
        writeln!(
            out,
            "{} documents, {} judged queries; build {:.1} s; {} vectors ({})",
            r.documents,
            r.queries,
            r.build_seconds,
            r.vectors,
            mb(r.vector_bytes as u64)
        )?;
    }
    for r in reports {
        if args.json {
            crate::output::json::value(&mut out, r)?;
        } else {
            let what = match r.fusion {
                Some(f) => format!("hybrid, words {:.2} power {:.1}", f.words, f.coverage_power),
                None => r.mode.clone(),
            };
            writeln!(
                out,
                "{what:<30} nDCG@{} {:.4}  MRR@{} {:.4}  Recall@{} {:.4}  p50 {:.2} ms",
                r.k, r.ndcg, r.k, r.mrr, r.limit, r.recall, r.latency.p50_ms
            )?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `folio bench --clippings MB`: one table line per step, or one JSON object.
fn clippings(options: &Options, mb: f64, json: bool) -> anyhow::Result<ExitCode> {
    print(&bench::clippings(options, mb)?, json, clippings_table)
}

fn clippings_table(out: &mut impl Write, r: &ClippingsReport) -> std::io::Result<()> {
    writeln!(
        out,
        "clippings {:.1} MB, {} entries, beside {} notes",
        r.bytes as f64 / 1e6,
        r.entries,
        r.other_notes
    )?;
    writeln!(out, "build     {:.2} s: {} notes, {} quotes", r.build_seconds, r.notes, r.quotes)?;
    writeln!(
        out,
        "refresh   {:.2} s after {} entries appended: {} file re-read, {} unchanged, {} quotes",
        r.refresh_seconds, r.appended, r.refresh_updated, r.refresh_unchanged, r.refresh_quotes
    )?;
    Ok(())
}

fn relevance_table(out: &mut impl Write, r: &relevance::Report) -> std::io::Result<()> {
    writeln!(out, "collection  {} (split {})", r.collection.display(), r.split)?;
    writeln!(
        out,
        "            {} documents, {} judged queries, {} skipped, {} bad lines",
        r.documents, r.queries, r.skipped_queries, r.bad_lines
    )?;
    let words = if r.all_first { "every word first" } else { "any word" };
    writeln!(out, "ranking     folio search --mode {}, {words}, top {}", r.mode, r.limit)?;
    if let Some(f) = r.fusion {
        writeln!(
            out,
            "fusion      words {} at full coverage, power {}",
            f.words, f.coverage_power
        )?;
    }
    if r.vectors > 0 {
        writeln!(out, "vectors     {} ({})", r.vectors, mb(r.vector_bytes as u64))?;
    }
    writeln!(out)?;
    writeln!(out, "  nDCG@{:<4} {:.4}", r.k, r.ndcg)?;
    writeln!(out, "  MRR@{:<5} {:.4}", r.k, r.mrr)?;
    writeln!(out, "  Recall@{:<3} {:.4}", r.limit, r.recall)?;
    writeln!(out)?;
    writeln!(
        out,
        "time        write {:.2} s, build {:.2} s, search {:.2} s (p50 {:.2} ms, p99 {:.2} ms)",
        r.write_seconds, r.build_seconds, r.search_seconds, r.latency.p50_ms, r.latency.p99_ms
    )
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn print_table(out: &mut impl Write, r: &Report) -> std::io::Result<()> {
    let c = &r.corpus;
    let what = match (c.seed, c.generate_seconds) {
        (Some(seed), Some(s)) => format!("generated (seed {seed}) in {s:.2} s"),
        _ => "from the folder given".to_string(),
    };
    writeln!(out, "corpus    {} files, {}, {what}", c.files, mb(c.bytes))?;
    if let Some(path) = &c.path {
        writeln!(out, "          {}", path.display())?;
    }
    let b = &r.build;
    let rss = b.peak_rss_bytes.map_or_else(|| "unknown".to_string(), mb);
    writeln!(
        out,
        "build     {:.2} s, {:.0} notes/s, {:.1} MB/s, peak RSS {rss} ({} threads, {} MB budget)",
        b.seconds, b.notes_per_second, b.mb_per_second, b.threads, b.memory_mb
    )?;
    writeln!(
        out,
        "index     {} notes, {} quotes, {} failed, {} warnings; {} segments, {} ({:.2} × corpus)",
        b.notes,
        b.quotes,
        b.failed,
        b.warnings,
        b.segments,
        mb(b.index_bytes),
        b.index_ratio
    )?;
    let f = &r.refresh;
    let process = f
        .noop_process_seconds
        .map_or_else(String::new, |s| format!(" (whole process {:.0} ms)", s * 1e3));
    write!(out, "refresh   nothing changed {:.0} ms{process}", f.noop_seconds * 1e3)?;
    match f.changed_seconds {
        Some(s) => writeln!(out, "; {} notes changed {:.2} s", f.changed_notes, s)?,
        None => writeln!(out)?,
    }
    writeln!(out)?;
    timings(out, &r.timed)
}

fn queries_table(out: &mut impl Write, r: &QueriesReport) -> std::io::Result<()> {
    writeln!(
        out,
        "index     {}: {} notes, {} quotes; {} segments, {}",
        r.index.display(),
        r.notes,
        r.quotes,
        r.segments,
        mb(r.index_bytes)
    )?;
    writeln!(out)?;
    timings(out, &r.timed)
}

/// The query part of both reports: folio in process, Tantivy alone, and a
/// whole process.
fn timings(out: &mut impl Write, t: &TimedQueries) -> std::io::Result<()> {
    writeln!(out, "folio search, in process, top 10 with snippets (ms; p50 with --count):")?;
    query_table(out, &t.queries, Some((&t.overall, &t.overall_counted)))?;
    writeln!(out)?;
    writeln!(out, "Tantivy alone, top 10, no snippets (ms; p50 with a count):")?;
    query_table(out, &t.tantivy_top10, None)?;
    if let Some(ms) = t.process_search_ms {
        writeln!(out)?;
        writeln!(out, "whole process `folio search --no-refresh`: {ms:.1} ms (median)")?;
    }
    Ok(())
}

fn query_table(
    out: &mut impl Write,
    rows: &[QueryReport],
    overall: Option<(&Latency, &Latency)>,
) -> std::io::Result<()> {
    writeln!(
        out,
        "  {:<12} {:<34} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "query", "text", "hits", "p50", "p95", "p99", "counted"
    )?;
    for q in rows {
        let mut text = q.query.clone();
        if q.target == "quotes" {
            text = format!("quotes: {text}");
        }
        if !q.filters.is_empty() {
            text = format!("{text} {}", q.filters);
        }
        let text: String = text.chars().take(34).collect();
        let l = &q.latency;
        let counted = q.counted.as_ref().map_or(f64::NAN, |c| c.p50_ms);
        writeln!(
            out,
            "  {:<12} {:<34} {:>8} {:>8.3} {:>8.3} {:>8.3} {:>8.3}",
            q.name, text, q.hits, l.p50_ms, l.p95_ms, l.p99_ms, counted
        )?;
    }
    if let Some((l, c)) = overall {
        writeln!(
            out,
            "  {:<12} {:<34} {:>8} {:>8.3} {:>8.3} {:>8.3} {:>8.3}",
            "all",
            format!("{} runs after warm-up", l.runs),
            "",
            l.p50_ms,
            l.p95_ms,
            l.p99_ms,
            c.p50_ms
        )?;
    }
    Ok(())
}
