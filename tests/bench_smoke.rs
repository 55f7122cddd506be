//! `folio bench` end to end on a small corpus, and the generator's promise:
//! same seed, same bytes, whatever the thread count. The big runs are not
//! tests (see BENCHMARKS.md).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn number(v: &Value, path: &str) -> f64 {
    let mut at = v;
    for key in path.split('.') {
        at = &at[key];
    }
    at.as_f64().unwrap_or_else(|| panic!("{path} is not a number in {v:#}"))
}

/// Runs folio in `dir` with a clean environment (temporary files there
/// too); its output, once it succeeded.
fn folio(dir: &Path, args: &[&str]) -> std::process::Output {
    let output = Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(args)
        .env_clear()
        .env("TMPDIR", dir)
        .current_dir(dir)
        .output()
        .expect("folio runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "folio {args:?} failed:\n{stderr}");
    output
}

#[test]
fn bench_json_is_complete_and_plausible() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let output = folio(dir.path(), &["bench", "--notes", "300", "--threads", "2", "--json"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(stdout.lines().count(), 1, "one JSON object on one line:\n{stdout}");
    let r: Value = serde_json::from_str(&stdout).expect("stdout is JSON");

    assert_eq!(number(&r, "corpus.files"), 300.0);
    assert_eq!(number(&r, "build.notes"), 300.0);
    assert_eq!(number(&r, "build.failed"), 0.0);
    assert_eq!(number(&r, "build.warnings"), 0.0, "the generated notes read cleanly");
    let bytes = number(&r, "corpus.bytes");
    assert!((300.0 * 1000.0..300.0 * 5000.0).contains(&bytes), "corpus of {bytes} bytes");
    assert!(number(&r, "build.quotes") > 300.0, "about 3 quotes a note");
    for field in [
        "corpus.generate_seconds",
        "build.seconds",
        "build.notes_per_second",
        "build.mb_per_second",
        "build.index_bytes",
        "build.index_ratio",
        "build.segments",
        "refresh.noop_seconds",
        "refresh.changed_seconds",
    ] {
        assert!(number(&r, field) > 0.0, "{field} should be positive in {r:#}");
    }
    assert_eq!(number(&r, "refresh.changed_notes"), 3.0);
    if cfg!(target_os = "linux") {
        let rss = number(&r, "build.peak_rss_bytes");
        assert!((1e6..4e9).contains(&rss), "peak RSS {rss}");
    }

    let queries = r["queries"].as_array().expect("queries");
    let names: Vec<&str> = queries.iter().filter_map(|q| q["name"].as_str()).collect();
    assert_eq!(
        names,
        ["one_word", "two_words", "phrase", "filtered", "quotes", "rare_word", "common_word"]
    );
    for q in queries.iter().chain(r["tantivy_top10"].as_array().expect("tantivy_top10")) {
        let (p50, p95, p99) =
            (number(q, "latency.p50_ms"), number(q, "latency.p95_ms"), number(q, "latency.p99_ms"));
        assert!(0.0 < p50 && p50 <= p95 && p95 <= p99, "percentiles out of order: {q:#}");
        assert!(number(q, "latency.runs") >= 50.0, "{q:#}");
    }
    let hits = |name: &str| {
        queries.iter().find(|q| q["name"] == name).map(|q| number(q, "hits")).unwrap_or(0.0)
    };
    // Every note has "the"; collocations are sprinkled so phrases match.
    assert_eq!(hits("common_word"), 300.0);
    assert!(hits("phrase") > 0.0 && hits("one_word") > 0.0 && hits("quotes") > 0.0);
    let overall = &r["overall"];
    assert!(number(overall, "p50_ms") <= number(overall, "p99_ms"));
}

/// Every file under `dir`, by relative path.
fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).expect("readable") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path.strip_prefix(dir).expect("under dir").to_string_lossy().into();
                files.insert(name, std::fs::read(&path).expect("readable"));
            }
        }
    }
    files
}

#[test]
fn generator_is_deterministic_whatever_the_thread_count() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let make = |name: &str, seed: u64, threads: usize| {
        let out = dir.path().join(name);
        let made = folio::bench::generate(&out, 1200, seed, threads, &|| {}).expect("written");
        assert_eq!(made.notes, 1200);
        let tree = read_tree(&out);
        assert_eq!(made.bytes, tree.values().map(|b| b.len() as u64).sum::<u64>());
        tree
    };
    let one = make("one", 9, 1);
    assert_eq!(one.len(), 1200);
    assert!(one.contains_key("0001/note-0001199.md"), "1,000 notes a folder");
    assert!(one == make("three", 9, 3), "3 threads wrote other bytes than 1 thread");
    assert!(one == make("again", 9, 2), "the same seed wrote other bytes");
    assert!(one != make("other", 10, 2), "another seed wrote the same bytes");
}

#[test]
fn bench_clippings_re_reads_only_the_grown_file() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let output = folio(dir.path(), &["bench", "--clippings", "0.2", "--threads", "2", "--json"]);
    let r: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert!(number(&r, "bytes") >= 200_000.0);
    assert!(number(&r, "quotes") > number(&r, "entries") * 0.8, "most entries are quotes: {r:#}");
    assert_eq!(number(&r, "refresh_updated"), 1.0, "the clippings file, once");
    assert_eq!(number(&r, "refresh_unchanged"), 300.0, "the other notes are not read");
    assert!(number(&r, "refresh_quotes") > number(&r, "quotes"), "appended highlights found");
}

#[test]
fn generated_clippings_grow_by_appending() {
    let (small, n) = folio::bench::generator::clippings(7, 20_000);
    let (big, m) = folio::bench::generator::clippings(7, 40_000);
    assert!(m > n && big.starts_with(&small), "entry i is a function of (seed, i)");
    let notes = folio::note::parse_many(Path::new("My Clippings.txt"), big.as_bytes())
        .expect("a generated clippings file parses");
    assert!(notes.iter().all(|p| p.warnings.is_empty()));
    assert!(notes.iter().all(|p| p.note.source.as_deref() == Some("kindle-clippings")));
    assert!(notes.iter().all(|p| p.note.authors.len() == 1 && !p.note.authors[0].contains(',')));
}

#[test]
fn bench_on_an_existing_index_times_the_same_queries_without_building() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let json = |args: &[&str]| {
        serde_json::from_slice::<Value>(&folio(dir.path(), args).stdout).expect("stdout is JSON")
    };
    let built = json(&["bench", "--notes", "300", "--keep", "kept", "--json"]);
    let index = dir.path().join("kept").join("index");
    let before = std::fs::read_to_string(index.join("CURRENT")).expect("the kept index");
    let timed = json(&["bench", "--index", index.to_str().expect("a UTF-8 path"), "--json"]);

    assert_eq!(number(&timed, "notes"), 300.0);
    assert_eq!(number(&timed, "quotes"), number(&built, "build.quotes"));
    assert!(number(&timed, "segments") >= 1.0);
    assert!(timed.get("build").is_none(), "no build: {timed:#}");
    let hits = |r: &Value| -> Vec<(String, f64)> {
        r["queries"]
            .as_array()
            .expect("queries")
            .iter()
            .map(|q| (q["name"].as_str().unwrap_or("").to_string(), number(q, "hits")))
            .collect()
    };
    assert_eq!(hits(&timed), hits(&built), "the same queries find the same notes");
    assert!(number(&timed, "overall.p50_ms") > 0.0);
    let after = std::fs::read_to_string(index.join("CURRENT")).expect("the kept index");
    assert_eq!(before, after, "timing queries writes no new generation");
}
