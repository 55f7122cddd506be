//! The Kobo and Kindle notebook readers on real exports (feature
//! `real-corpus`; the folder is named by `FOLIO_HIGHLIGHTS_EXTRA`, which
//! `.ci/run` sets to `../shared/corpus/highlights-extra`): every highlight a
//! quote with its book, author and place, as the folder's README counts
//! them; the Kobo database read without a file appearing beside it; a
//! refresh that changes nothing. Run with
//! `cargo test --features real-corpus --test readers_corpus -- --nocapture`
//! to see the counts.
//!
//! A missing variable or folder is a failure, not a skip.
#![cfg(feature = "real-corpus")]

use std::path::{Path, PathBuf};

use folio::index::FolioIndex;
use folio::index::update::update;
use folio::note::{self, Note};

mod support;

fn corpus() -> PathBuf {
    let Some(dir) = std::env::var_os("FOLIO_HIGHLIGHTS_EXTRA") else {
        panic!(
            "FOLIO_HIGHLIGHTS_EXTRA is not set: point it at the extra highlight samples \
             (e.g. FOLIO_HIGHLIGHTS_EXTRA=$PWD/../shared/corpus/highlights-extra), or run .ci/run"
        );
    };
    let dir = PathBuf::from(dir);
    assert!(dir.is_dir(), "FOLIO_HIGHLIGHTS_EXTRA={} is not a folder", dir.display());
    dir
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn kobo_every_highlight_and_note_with_its_book() {
    let dir = corpus().join("kobo");
    let before = listing(&dir);
    let path = dir.join("KoboReader.sqlite");
    let notes: Vec<Note> = match note::read_many(&path) {
        Ok(notes) => notes.into_iter().map(|p| p.note).collect(),
        Err(err) => panic!("the real Kobo database does not read: {err}"),
    };
    assert_eq!(listing(&dir), before, "reading the database wrote beside it");
    assert_eq!(notes.len(), 4, "the README's 4 books");
    assert!(notes.iter().all(|n| n.source.as_deref() == Some("kobo")));
    let quotes: usize = notes.iter().map(|n| n.quotes.len()).sum();
    assert_eq!(quotes, 200, "188 highlights and 12 notes, as the README counts");
    let with_notes = notes.iter().flat_map(|n| &n.quotes).filter(|q| q.note_text.is_some()).count();
    assert_eq!(with_notes, 12, "each `note` row keeps the reader's note");
    for note in &notes {
        let title = &note.titles[0].text;
        assert!(!title.is_empty() && title != "KoboReader", "a real title: {title}");
        assert_eq!(note.authors.len(), 1, "{title} has its author");
        for q in &note.quotes {
            let r = q.reference.as_ref();
            assert!(r.is_none_or(|r| r.pages.is_none() && r.locations.is_none()), "no pages");
            assert!(q.added.as_deref().is_some_and(|a| a.len() == 19), "{:?}", q.added);
        }
    }
    let chapters = notes
        .iter()
        .flat_map(|n| &n.quotes)
        .filter(|q| q.reference.as_ref().is_some_and(|r| !r.display.ends_with(".html")))
        .count();
    println!(
        "kobo: {} books, {quotes} quotes, {with_notes} with a note, {chapters} with a chapter",
        notes.len()
    );
    assert!(chapters >= 190, "chapter titles, not file names: {chapters} of 200");
}

#[test]
fn kindle_notebooks_highlights_with_page_or_location_and_author() {
    /// The README's count of highlight headings.
    const HEADINGS: usize = 1_578;
    let dir = corpus().join("kindle-notebook");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "html"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 30);
    let mut notes: Vec<Note> = Vec::new();
    for path in &files {
        match note::read_many(path) {
            Ok(parsed) => {
                for p in &parsed {
                    assert!(p.warnings.is_empty(), "{}: {:?}", path.display(), p.warnings);
                }
                notes.extend(parsed.into_iter().map(|p| p.note));
            }
            Err(err) => panic!("a real notebook does not parse: {err}"),
        }
    }
    assert!(notes.iter().all(|n| n.source.as_deref() == Some("kindle-notebook")));
    let all: Vec<_> = notes.iter().flat_map(|n| &n.quotes).collect();
    let highlights: Vec<_> =
        all.iter().filter(|q| q.note_text.as_deref() != Some(q.text.as_str())).collect();
    let typed = |kind: fn(&folio::note::Reference) -> bool| {
        highlights.iter().filter(|q| q.reference.as_ref().is_some_and(kind)).count()
    };
    let with_page = typed(|r| r.kind == folio::note::ReferenceKind::Page);
    let with_location = typed(|r| r.kind == folio::note::ReferenceKind::Location);
    let noted = highlights.iter().filter(|q| q.note_text.is_some()).count();
    let authored = notes.iter().filter(|n| !n.authors.is_empty()).count();
    println!(
        "kindle-notebook: {} books ({authored} with an author), {} highlight quotes of {HEADINGS} \
         headings ({:.1} %), {with_page} with a page, {with_location} with a location ({:.1} % \
         typed), {noted} with the reader's note, {} notes on their own",
        notes.len(),
        highlights.len(),
        100.0 * highlights.len() as f64 / HEADINGS as f64,
        100.0 * (with_page + with_location) as f64 / HEADINGS as f64,
        all.len() - highlights.len(),
    );
    assert_eq!(notes.len(), 30, "one book per notebook");
    assert!(highlights.len() * 100 >= HEADINGS * 98, "{} quotes", highlights.len());
    assert!((with_page + with_location) * 100 >= HEADINGS * 97, "typed");
    assert_eq!(with_page, 227, "the README's pages");
    assert_eq!(with_location, 1_351, "the README's locations");
    assert!(authored * 10 >= notes.len() * 9, "{authored} books with an author");
    for q in &all {
        assert!(!q.text.contains('<') || !q.text.contains("</"), "markup left in {:?}", q.text);
        assert!(!q.text.contains("&amp;") && !q.text.contains("&#"), "entity in {:?}", q.text);
    }
}

/// Both folders indexed through the walk (which must take `.sqlite` and
/// `.html` files), then refreshed: nothing fails, nothing is duplicated.
#[test]
fn indexed_and_refreshed_without_duplicates() {
    let roots: Vec<PathBuf> = ["kobo", "kindle-notebook"]
        .iter()
        .map(|f| corpus().join(f).canonicalize().expect("canonical root"))
        .collect();
    let kobo_before = listing(&roots[0]);
    let dir = tempfile::tempdir().expect("temp dir");
    let ix = FolioIndex::open_or_create(&dir.path().join("ix"), false).expect("index opens");
    let options = support::options(roots, None);
    let first = update(&ix, &options, &|_| {}).expect("builds");
    assert!(first.failed.is_empty(), "{:?}", first.failed);
    assert_eq!(first.added, 31, "the database and the 30 notebooks");
    assert_eq!(first.notes, 34, "4 Kobo books and 30 notebooks");
    let again = update(&ix, &options, &|_| {}).expect("refreshes");
    assert!(again.failed.is_empty(), "{:?}", again.failed);
    assert_eq!((again.added, again.updated, again.removed, again.unchanged), (0, 0, 0, 31));
    assert_eq!((again.notes, again.quotes), (first.notes, first.quotes));
    assert_eq!(listing(&options.roots[0]), kobo_before, "indexing wrote beside the database");
}
