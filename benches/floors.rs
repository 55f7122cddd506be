//! The floors under issue 23's targets, measured rather than estimated
//! from a profile's shares.
//!
//! ```sh
//! cargo bench --bench floors -- build /tmp/bench100k/notes [threads]
//! cargo bench --bench floors -- walk /tmp/bench100k/notes [threads]
//! ```
//!
//! `walk` is what a refresh cannot do without: folio's walk of the
//! folder, with the size and time of every file (a whole process, to time
//! beside `rg --files` and a no-op `folio index` with `hyperfine`). It
//! prints how many files it found.
//!
//! `build` is how long Tantivy alone takes to index the documents folio
//! makes of a folder, with nothing else to do, beside how long folio takes
//! to make them (issue 23 asks for a build at 0.9× of tantivy-cli's).
//! Without a folder it generates 2,000 notes in a temporary folder. It
//! runs the two halves one after the other:
//!
//! 1. *making*: walk, read, parse and make every note's documents, on
//!    `threads` threads, kept in memory (as `folio index` does, without
//!    the writer);
//! 2. *Tantivy alone*: a fresh index of folio's schema and settings, a
//!    writer with `threads` indexing threads and folio's merge policy, fed
//!    the documents already made, then committed, its merges waited for.
//!
//! Wall and CPU time (user + system, from `/proc/self/stat`) of each half,
//! and the peak resident memory of the whole run.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use folio::index::FolioIndex;
use folio::index::document::{self, FileStamp, Ids};
use folio::index::update::note_id;
use tantivy::TantivyDocument;
use tantivy::indexer::UserOperation;

fn main() {
    // `cargo bench` passes `--bench` to every bench target: skip it.
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let threads: usize = args.get(2).and_then(|t| t.parse().ok()).unwrap_or(2);
    match args.first().map(String::as_str) {
        Some("walk") => {
            let Some(folder) = args.get(1) else { return eprintln!("walk needs a folder") };
            let roots = vec![PathBuf::from(folder).canonicalize().expect("the folder exists")];
            println!("{} files", folio::walk::walk(&roots, None, threads).files.len());
        }
        Some("build") | None => build(args.get(1), threads),
        Some(other) => eprintln!("unknown floor {other:?}: build or walk"),
    }
}

/// The build's two halves, timed one after the other.
fn build(folder: Option<&String>, threads: usize) {
    let scratch = tempfile::tempdir().expect("a temporary folder");
    let notes = match folder {
        Some(folder) => PathBuf::from(folder),
        None => {
            let folder = scratch.path().join("notes");
            folio::bench::generate(&folder, 2_000, 42, 2, &|| {}).expect("the notes are written");
            folder
        }
    };
    let roots = vec![notes.canonicalize().expect("the notes folder exists")];

    let ix = FolioIndex::open_or_create(&scratch.path().join("index"), true).expect("an index");
    let (cpu, wall) = (cpu_seconds(), Instant::now());
    let files = folio::walk::walk(&roots, None, threads).files;
    let batches = make_documents(&ix, &files, threads);
    let (making_wall, making_cpu) = (wall.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    let documents: usize = batches.iter().map(Vec::len).sum();

    let (cpu, wall) = (cpu_seconds(), Instant::now());
    let mut writer = ix.writer::<TantivyDocument>(threads, 120 * threads).expect("a writer");
    for batch in batches {
        writer.run(batch.into_iter().map(UserOperation::Add)).expect("the batch is indexed");
    }
    writer.commit().expect("the commit");
    writer.wait_merging_threads().expect("the merges");
    let (tantivy_wall, tantivy_cpu) = (wall.elapsed().as_secs_f64(), cpu_seconds() - cpu);

    println!("{} files, {documents} documents, {threads} threads", files.len());
    println!("making documents: wall {making_wall:.2} s, CPU {making_cpu:.2} s");
    println!("Tantivy alone:    wall {tantivy_wall:.2} s, CPU {tantivy_cpu:.2} s");
    println!("peak RSS of the run: {} MB", folio::bench::peak_rss().unwrap_or(0) >> 20);
}

/// Every note's documents (one batch per note, note first), made from the
/// files on `threads` threads.
fn make_documents(
    ix: &FolioIndex,
    files: &[folio::walk::Found],
    threads: usize,
) -> Vec<Vec<TantivyDocument>> {
    let next = AtomicUsize::new(0);
    let made = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| {
                let mut mine = Vec::new();
                while let Some(file) = files.get(next.fetch_add(1, Ordering::Relaxed)) {
                    mine.extend(documents_of(ix, file));
                }
                made.lock().expect("no thread panicked").extend(mine);
            });
        }
    });
    made.into_inner().expect("no thread panicked")
}

/// One file's notes' documents, as `folio index` makes them; none for a
/// file that cannot be read or parsed.
fn documents_of(ix: &FolioIndex, file: &folio::walk::Found) -> Vec<Vec<TantivyDocument>> {
    let Ok(bytes) = std::fs::read(&file.path) else { return Vec::new() };
    let stamp = FileStamp {
        size: bytes.len() as u64,
        mtime: file.mtime,
        fingerprint: xxhash_rust::xxh3::xxh3_64(&bytes),
    };
    let id = note_id(&file.path);
    let Ok(Some(notes)) = folio::note::parse_file(&file.path, &bytes) else { return Vec::new() };
    notes
        .iter()
        .map(|parsed| document::documents(&ix.fields, &parsed.note, Ids { file: &id }, stamp))
        .collect()
}

/// User plus system time of this process so far, in seconds.
fn cpu_seconds() -> f64 {
    folio::bench::cpu_ms("/proc/self/stat").unwrap_or(0.0) / 1e3
}
