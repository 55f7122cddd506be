//! `folio bench --relevance`: how well folio ranks a public test collection
//! in BEIR layout (`corpus.jsonl`, `queries.jsonl`, `qrels/<split>.tsv`).
//!
//! The corpus is written as notes in a temporary folder (`name: <id>`,
//! `title: <title>`, a blank line, the text), indexed as `folio index`
//! would, and every judged query runs through [`Engine::search`] exactly as
//! `folio search` runs it: the same query language (a claim's `-word` is
//! an exclusion, `word:` a field, text that is not valid syntax plain
//! words, as for anyone typing it), the same passes, the same ranking, so
//! the figures are those a person gets from `folio search --json --limit
//! 100`, to the last digit. The figures are trec_eval's: nDCG with the
//! judgment as the gain and a log2(rank + 1) discount, the ideal from the
//! judgments; MRR as 1 / the rank of the first relevant hit; recall as the
//! relevant hits found over the relevant documents judged. Queries without
//! a relevant judgment are skipped; the rest are averaged.
//!
//! With a sentence model, the notes' passages are embedded as `folio
//! index` embeds them, and the queries run in the mode asked for (`folio
//! search --mode`). Embedding SciFact takes minutes: `--keep DIR` keeps the
//! notes and the index (and so the vectors) for the next run, which then
//! only refreshes it.

use std::collections::HashMap;
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::Latency;
use crate::config::{Given, Settings};
use crate::error::{Error, Result};
use crate::index::FolioIndex;
use crate::index::document::NoteCard;
use crate::index::update::{self, UpdateOptions};
use crate::search::semantic::{CANDIDATES, Fusion, Meaning, RankMode};
use crate::search::{Engine, Hit, Request, Target};
use tantivy::schema::Value;
use tantivy::{DocAddress, TantivyDocument};

/// What to measure.
#[derive(Debug, Clone)]
pub struct Options {
    /// The collection's folder.
    pub dir: PathBuf,
    /// The judgments to read: `qrels/<split>.tsv`.
    pub split: String,
    /// Hits asked for per query (the run's depth; recall is at this depth).
    pub limit: usize,
    /// Cutoff for nDCG and MRR.
    pub k: usize,
    /// Indexing threads and memory, and the sentence model (`None` ranks
    /// by words only).
    pub settings: Settings,
    /// Every word first (`folio search`'s default) or any word (`--any`).
    pub all_first: bool,
    /// The hybrid ranking's weights for each run; one report per entry.
    pub fusions: Vec<Fusion>,
    /// A folder to keep the notes and the index in (and reuse next time),
    /// instead of a temporary one.
    pub keep: Option<PathBuf>,
    /// Where the progress of embedding goes; `None`: nowhere.
    pub progress: Option<std::sync::Arc<dyn crate::index::report::Progress>>,
}

impl Options {
    /// The usual figures (nDCG@10, MRR@10, Recall@100) for `dir`'s `test`
    /// split.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Options {
            dir: dir.into(),
            split: "test".to_string(),
            limit: 100,
            k: 10,
            settings: Settings::resolve(Given::benchmark()),
            all_first: true,
            fusions: vec![Fusion::NOTES],
            keep: None,
            progress: None,
        }
    }
}

/// What `folio bench --relevance` measured; the `--json` object.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The collection's folder.
    pub collection: PathBuf,
    /// The split judged.
    pub split: String,
    /// Documents read from `corpus.jsonl`.
    pub documents: usize,
    /// Queries with at least one relevant judgment: the ones averaged.
    pub queries: usize,
    /// Judged queries with no relevant document, or missing from
    /// `queries.jsonl`: skipped.
    pub skipped_queries: usize,
    /// Lines of the collection that could not be read (each reported).
    pub bad_lines: usize,
    /// Cutoff of nDCG and MRR.
    pub k: usize,
    /// Hits asked for per query; recall is at this depth.
    pub limit: usize,
    /// Whether hits with every word came first.
    pub all_first: bool,
    /// `lexical`, `semantic` or `hybrid`.
    pub mode: String,
    /// The hybrid ranking's weights (`null` for the other modes).
    pub fusion: Option<Fusion>,
    /// Vectors in the index (quotes' and passages'), 0 without a model.
    pub vectors: usize,
    /// Bytes of the index's vector file.
    pub vector_bytes: usize,
    /// Mean nDCG@k.
    pub ndcg: f64,
    /// Mean reciprocal rank of the first relevant hit in the top k.
    pub mrr: f64,
    /// Mean recall at `limit`.
    pub recall: f64,
    /// Seconds writing the corpus as notes.
    pub write_seconds: f64,
    /// Seconds building the index.
    pub build_seconds: f64,
    /// Seconds running every query.
    pub search_seconds: f64,
    /// Per-query search latency.
    pub latency: Latency,
}

/// One ranked hit of one query, for a TREC run file.
#[derive(Debug, Clone, PartialEq)]
pub struct RunLine {
    /// Query id.
    pub query: String,
    /// Document id.
    pub doc: String,
    /// 1-based rank.
    pub rank: usize,
    /// folio's score.
    pub score: f32,
}

/// Writes `lines` as a TREC run file: `qid Q0 docid rank score folio`.
pub fn write_run(path: &Path, lines: &[RunLine]) -> Result<()> {
    let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let mut out = BufWriter::new(file);
    for l in lines {
        writeln!(out, "{} Q0 {} {} {} folio", l.query, l.doc, l.rank, l.score)
            .map_err(|e| Error::io(path, e))?;
    }
    out.flush().map_err(|e| Error::io(path, e))
}

#[derive(Deserialize)]
struct CorpusLine {
    #[serde(rename = "_id")]
    id: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
}

#[derive(Deserialize)]
struct QueryLine {
    #[serde(rename = "_id")]
    id: String,
    #[serde(default)]
    text: String,
}

/// A test collection in memory.
#[derive(Debug, Default)]
pub struct Collection {
    /// `(id, title, text)` of each document.
    pub documents: Vec<(String, String, String)>,
    /// Query id → text.
    pub queries: HashMap<String, String>,
    /// Query id → (document id → graded relevance), in file order of the
    /// queries (first appearance).
    pub qrels: Vec<(String, HashMap<String, u32>)>,
    /// Lines that could not be read: `file:line: problem`.
    pub problems: Vec<String>,
}

/// Reads a collection; a bad line is reported in
/// [`Collection::problems`] and skipped.
pub fn read(dir: &Path, split: &str) -> Result<Collection> {
    let mut c = Collection::default();
    let corpus = dir.join("corpus.jsonl");
    for_lines(&corpus, &mut c.problems, |line, problems, at| {
        match serde_json::from_str::<CorpusLine>(line) {
            Ok(d) => c.documents.push((d.id, d.title, d.text)),
            Err(e) => {
                problems.push(format!("{at}: {e}; skipped (want {{\"_id\", \"title\", \"text\"}})"))
            }
        }
    })?;
    let queries = dir.join("queries.jsonl");
    for_lines(&queries, &mut c.problems, |line, problems, at| {
        match serde_json::from_str::<QueryLine>(line) {
            Ok(q) => {
                c.queries.insert(q.id, q.text);
            }
            Err(e) => problems.push(format!("{at}: {e}; skipped (want {{\"_id\", \"text\"}})")),
        }
    })?;
    let qrels = dir.join("qrels").join(format!("{split}.tsv"));
    let mut by_query: HashMap<String, usize> = HashMap::new();
    let mut first = true;
    for_lines(&qrels, &mut c.problems, |line, problems, at| {
        let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
        let header = std::mem::take(&mut first) && fields.first() == Some(&"query-id");
        if header {
            return;
        }
        let (query, doc, score) = match fields.as_slice() {
            [q, d, s] => (*q, *d, *s),
            // TREC qrels: `qid 0 docid rel`, blank-separated.
            _ => match line.split_whitespace().collect::<Vec<_>>().as_slice() {
                [q, _, d, s] => (*q, *d, *s),
                [q, d, s] => (*q, *d, *s),
                _ => {
                    problems
                        .push(format!("{at}: want `query-id<TAB>corpus-id<TAB>score`; skipped"));
                    return;
                }
            },
        };
        let Ok(score) = score.parse::<i64>() else {
            problems.push(format!("{at}: score `{score}` is not a whole number; skipped"));
            return;
        };
        let slot = *by_query.entry(query.to_string()).or_insert_with(|| {
            c.qrels.push((query.to_string(), HashMap::new()));
            c.qrels.len() - 1
        });
        c.qrels[slot].1.insert(doc.to_string(), score.max(0) as u32);
    })?;
    Ok(c)
}

/// Calls `each` with every non-blank line of `path` and its `path:line`.
fn for_lines(
    path: &Path,
    problems: &mut Vec<String>,
    mut each: impl FnMut(&str, &mut Vec<String>, &str),
) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let at = format!("{}:{}", path.display(), n + 1);
        match line {
            Ok(line) if line.trim().is_empty() => {}
            Ok(line) => each(&line, problems, &at),
            Err(e) => problems.push(format!("{at}: {e}; skipped")),
        }
    }
    Ok(())
}

/// A document as a note: `name:` and `title:` header lines (line breaks in
/// the title become spaces), a blank line, then the text. The blank line
/// ends the header, so text that looks like a header line stays body.
pub fn note_text(id: &str, title: &str, text: &str) -> String {
    let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut note = format!("name: {}\n", one_line(id));
    let title = one_line(title);
    if !title.is_empty() {
        note.push_str(&format!("title: {title}\n"));
    }
    note.push('\n');
    note.push_str(text);
    note.push('\n');
    note
}

/// nDCG at `k` of a ranking, with trec_eval's gains (the judgment itself)
/// and discount (log2(rank + 1)); the ideal ranks the judged documents by
/// judgment.
pub fn ndcg(ranked: &[&str], judged: &HashMap<String, u32>, k: usize) -> f64 {
    let dcg: f64 = ranked
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, d)| f64::from(judged.get(*d).copied().unwrap_or(0)) / (i as f64 + 2.0).log2())
        .sum();
    let mut ideal: Vec<u32> = judged.values().copied().filter(|&g| g > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, &g)| f64::from(g) / (i as f64 + 2.0).log2())
        .sum();
    if idcg > 0.0 { dcg / idcg } else { 0.0 }
}

/// 1 / the rank of the first relevant document in the top `k`, else 0.
pub fn reciprocal_rank(ranked: &[&str], judged: &HashMap<String, u32>, k: usize) -> f64 {
    ranked
        .iter()
        .take(k)
        .position(|d| judged.get(*d).is_some_and(|&g| g > 0))
        .map_or(0.0, |i| 1.0 / (i as f64 + 1.0))
}

/// Relevant documents in the top `depth` over relevant documents judged.
pub fn recall(ranked: &[&str], judged: &HashMap<String, u32>, depth: usize) -> f64 {
    let relevant = judged.values().filter(|&&g| g > 0).count();
    if relevant == 0 {
        return 0.0;
    }
    let found = ranked.iter().take(depth).filter(|d| judged.get(**d).is_some_and(|&g| g > 0));
    found.count() as f64 / relevant as f64
}

/// Writes, indexes and searches a collection; the reports (by words; with
/// a model, also by meaning and one per fusion asked for), the word
/// ranking's lines and the problems met reading it. The meaning and hybrid
/// latencies are the ranking's alone (both sides and the fusion, no
/// snippets); the word ranking's is a whole search.
pub fn run(options: &Options) -> Result<(Vec<Report>, Vec<RunLine>, Vec<String>)> {
    let collection = read(&options.dir, &options.split)?;
    let temporary;
    let work = match &options.keep {
        Some(dir) => dir.clone(),
        None => {
            temporary = tempfile::Builder::new()
                .prefix("folio-relevance-")
                .tempdir()
                .map_err(|e| Error::io(&std::env::temp_dir(), e))?;
            temporary.path().to_path_buf()
        }
    };
    let notes = work.join("notes");
    std::fs::create_dir_all(&notes).map_err(|e| Error::io(&notes, e))?;

    let write_seconds = write_notes(&collection, &notes)?;

    let (ix, build_seconds, mut problems) = build(options, &work, &notes, &collection)?;
    let bad_lines = problems.len();

    let store = match &options.settings.model {
        Some(_) => crate::index::vectors::load(&ix, &ix.payload()?)?,
        None => None,
    };
    let engine = Engine::open(ix)?;
    let judged_queries: Vec<(&String, &String, &HashMap<String, u32>)> = collection
        .qrels
        .iter()
        .filter_map(|(qid, qrels)| {
            let Some(text) = collection.queries.get(qid) else {
                problems.push(format!("query {qid} is judged but not in queries.jsonl; skipped"));
                return None;
            };
            qrels.values().any(|&g| g > 0).then_some((qid, text, qrels))
        })
        .collect();
    let skipped = collection.qrels.len() - judged_queries.len();
    // Each query embedded once; each side of each query ranked once, the
    // fusions tried on the same candidates (as `folio search` fuses them).
    let mut query_vectors = Vec::new();
    if let (Some(model), Some(_)) = (&options.settings.model, &store) {
        let embedder = model.get().map_err(Error::Query)?;
        let texts: Vec<&str> = judged_queries.iter().map(|(_, t, _)| String::as_str(t)).collect();
        query_vectors = embedder.embed(&texts).map_err(|e| Error::Query(e.to_string()))?;
    }
    let mut runs: Vec<(RankMode, Option<Fusion>)> = vec![(RankMode::Lexical, None)];
    if store.is_some() {
        runs.push((RankMode::Semantic, None));
        runs.extend(options.fusions.iter().map(|f| (RankMode::Hybrid, Some(*f))));
    }
    let mut tallies: Vec<Tally> = runs.iter().map(|_| Tally::default()).collect();
    let mut names: HashMap<DocAddress, String> = HashMap::new();
    let name_of = |addr: DocAddress, names: &mut HashMap<DocAddress, String>| -> String {
        names
            .entry(addr)
            .or_insert_with(|| {
                let doc: Option<TantivyDocument> = engine.searcher().doc(addr).ok();
                let card = doc.as_ref().and_then(|d| d.get_first(engine.index().fields.card));
                card.and_then(|v| v.as_str())
                    .and_then(|s| serde_json::from_str::<NoteCard>(s).ok())
                    .map(|c| c.name)
                    .unwrap_or_default()
            })
            .clone()
    };
    let limit = options.limit.max(1);
    for (i, (qid, text, qrels)) in judged_queries.iter().enumerate() {
        let request = Request {
            limit,
            all_first: options.all_first,
            ..Request::new(String::as_str(text), Target::Notes)
        };
        let one = Instant::now();
        let results = engine.search(&request)?;
        let words_seconds = one.elapsed().as_secs_f64();
        let ranked: Vec<(String, f32)> = results
            .hits
            .into_iter()
            .filter_map(|h| match h {
                Hit::Note(n) => Some((n.card.name, n.score)),
                Hit::Quote(_) => None,
            })
            .collect();
        tallies[0].add(qid, &ranked, qrels, options, words_seconds);
        let (Some(store), Some(vector)) = (&store, query_vectors.get(i)) else { continue };
        let meaning = Meaning { store, vector: vector.clone() };
        let one = Instant::now();
        let lexical = engine.rank(&request, limit.max(CANDIDATES))?;
        let sides = engine.candidates(&request, &lexical, &meaning)?;
        let both_seconds = one.elapsed().as_secs_f64();
        let semantic: Vec<(String, f32)> = sides
            .semantic
            .iter()
            .take(limit)
            .map(|&(score, addr)| (name_of(addr, &mut names), score))
            .collect();
        tallies[1].add(qid, &semantic, qrels, options, both_seconds);
        for (run, tally) in runs.iter().zip(tallies.iter_mut()).skip(2) {
            let Some(fusion) = &run.1 else { continue };
            let fused: Vec<(String, f32)> = sides
                .fuse(fusion)
                .into_iter()
                .take(limit)
                .map(|f| (name_of(f.address, &mut names), f.score))
                .collect();
            tally.add(qid, &fused, qrels, options, both_seconds);
        }
    }

    let judged = Judged {
        queries: judged_queries.len(),
        skipped,
        bad_lines,
        documents: collection.documents.len(),
    };
    let timings = (write_seconds, build_seconds);
    let (reports, lines) = reports(options, runs, tallies, judged, store.as_ref(), timings);
    Ok((reports, lines, problems))
}

/// Writes each document of the collection as a numbered note in `notes`
/// (ids need not be valid file names); a kept note already written is left
/// alone, so the next run's refresh finds nothing changed. Returns the
/// seconds it took.
fn write_notes(collection: &Collection, notes: &Path) -> Result<f64> {
    let started = Instant::now();
    for (n, (id, title, text)) in collection.documents.iter().enumerate() {
        let path = notes.join(format!("{n:07}.md"));
        let wanted = note_text(id, title, text);
        if std::fs::read_to_string(&path).is_ok_and(|had| had == wanted) {
            continue;
        }
        std::fs::write(&path, wanted).map_err(|e| Error::io(&path, e))?;
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Builds (or refreshes, when kept) the index of `notes` in `work`;
/// returns it, the seconds it took and the collection's problems with the
/// notes' warnings after them.
fn build(
    options: &Options,
    work: &Path,
    notes: &Path,
    collection: &Collection,
) -> Result<(FolioIndex, f64, Vec<String>)> {
    let started = Instant::now();
    // A kept index is refreshed, never emptied: its vectors are the point.
    let ix = FolioIndex::open_or_create(&work.join("index"), options.keep.is_none())?;
    let update_options = UpdateOptions {
        roots: vec![notes.to_path_buf()],
        ..options.settings.update_options(options.progress.clone())
    };
    let problems = std::sync::Mutex::new(collection.problems.clone());
    update::update(&ix, &update_options, &|e| {
        if let Ok(mut p) = problems.lock() {
            p.push(e.to_string());
        }
    })?;
    let build_seconds = started.elapsed().as_secs_f64();
    let problems = problems.into_inner().unwrap_or_default();
    Ok((ix, build_seconds, problems))
}

/// How many queries were judged and skipped, lines were bad, documents
/// were read: the same for every run's report.
struct Judged {
    queries: usize,
    skipped: usize,
    bad_lines: usize,
    documents: usize,
}

/// One report per run, from its tally; the first run's lines (words alone)
/// for `--run`.
fn reports(
    options: &Options,
    runs: Vec<(RankMode, Option<Fusion>)>,
    tallies: Vec<Tally>,
    judged: Judged,
    store: Option<&crate::embed::store::VectorStore>,
    timings: (f64, f64),
) -> (Vec<Report>, Vec<RunLine>) {
    let mean = |sum: f64| if judged.queries > 0 { sum / judged.queries as f64 } else { 0.0 };
    let mut reports = Vec::new();
    let mut first_lines = None;
    for ((mode, fusion), tally) in runs.into_iter().zip(tallies) {
        reports.push(Report {
            collection: options.dir.clone(),
            split: options.split.clone(),
            documents: judged.documents,
            queries: judged.queries,
            skipped_queries: judged.skipped,
            bad_lines: judged.bad_lines,
            k: options.k,
            limit: options.limit,
            all_first: options.all_first,
            mode: mode_name(mode).to_string(),
            fusion,
            vectors: store.as_ref().map_or(0, |s| s.len()),
            vector_bytes: store.as_ref().map_or(0, |s| s.file_bytes()),
            ndcg: mean(tally.ndcg),
            mrr: mean(tally.mrr),
            recall: mean(tally.recall),
            write_seconds: timings.0,
            build_seconds: timings.1,
            search_seconds: tally.samples.iter().sum(),
            latency: Latency::of(&tally.samples),
        });
        first_lines.get_or_insert(tally.lines);
    }
    (reports, first_lines.unwrap_or_default())
}

/// One ranking's sums over the queries.
#[derive(Default)]
struct Tally {
    ndcg: f64,
    mrr: f64,
    recall: f64,
    samples: Vec<f64>,
    lines: Vec<RunLine>,
}

impl Tally {
    fn add(
        &mut self,
        qid: &str,
        ranked: &[(String, f32)],
        qrels: &HashMap<String, u32>,
        options: &Options,
        seconds: f64,
    ) {
        let ids: Vec<&str> = ranked.iter().map(|(id, _)| id.as_str()).collect();
        self.ndcg += ndcg(&ids, qrels, options.k);
        self.mrr += reciprocal_rank(&ids, qrels, options.k);
        self.recall += recall(&ids, qrels, options.limit);
        self.samples.push(seconds);
        self.lines.extend(ranked.iter().enumerate().map(|(i, (doc, score))| RunLine {
            query: qid.to_string(),
            doc: doc.clone(),
            rank: i + 1,
            score: *score,
        }));
    }
}

/// The `--mode` value naming `mode`.
pub fn mode_name(mode: RankMode) -> &'static str {
    match mode {
        RankMode::Lexical => "lexical",
        RankMode::Semantic => "semantic",
        RankMode::Hybrid => "hybrid",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(pairs: &[(&str, u32)]) -> HashMap<String, u32> {
        pairs.iter().map(|(d, g)| (d.to_string(), *g)).collect()
    }

    #[test]
    fn figures_match_trec_eval_by_hand() {
        let j = judged(&[("a", 1), ("b", 2), ("z", 0)]);
        // b (gain 2) at rank 2, a (gain 1) at rank 3:
        // DCG = 2/log2(3) + 1/log2(4) = 1.26186 + 0.5; IDCG = 2 + 1/log2(3).
        let ranked = ["x", "b", "a"];
        let want = (2.0 / 3f64.log2() + 0.5) / (2.0 + 1.0 / 3f64.log2());
        assert!((ndcg(&ranked, &j, 10) - want).abs() < 1e-12);
        assert_eq!(reciprocal_rank(&ranked, &j, 10), 0.5);
        assert_eq!(reciprocal_rank(&ranked, &j, 1), 0.0);
        assert_eq!(recall(&ranked, &j, 100), 1.0);
        assert_eq!(recall(&ranked, &j, 2), 0.5);
        assert_eq!(ndcg(&["z"], &j, 10), 0.0);
    }

    #[test]
    fn a_body_never_reads_as_header() {
        let note = note_text("7", "A title\nover two lines", "name: not a header\n> not either");
        assert!(note.starts_with("name: 7\ntitle: A title over two lines\n\nname: not a header"));
        assert_eq!(note_text("8", "", "text"), "name: 8\n\ntext\n");
    }
}
