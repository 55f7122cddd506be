//! The real corpus: 127 book notes published by their author, in the folder
//! named by `FOLIO_REAL_CORPUS` (`.ci/run` sets it to
//! `../shared/corpus/book-reviews`). Run with
//! `cargo test --features real-corpus --test real_corpus`.
//!
//! A missing variable or folder is a failure, not a skip: this test exists
//! to prove folio reads real notes.
#![cfg(feature = "real-corpus")]

use std::path::{Path, PathBuf};
use std::process::Command;

use folio::note::{self, Parsed};

#[allow(dead_code)]
#[path = "cli/util.rs"]
mod util;
use util::{has_entity, is_note_file};

/// How many notes the corpus holds.
const NOTES: usize = 127;

fn corpus() -> PathBuf {
    let Some(dir) = std::env::var_os("FOLIO_REAL_CORPUS") else {
        panic!(
            "FOLIO_REAL_CORPUS is not set: point it at the real corpus folder \
             (e.g. FOLIO_REAL_CORPUS=$PWD/../shared/corpus/book-reviews), or run .ci/run"
        );
    };
    let dir = PathBuf::from(dir);
    assert!(
        dir.is_dir(),
        "FOLIO_REAL_CORPUS={} is not a folder: point it at the real corpus",
        dir.display()
    );
    dir
}

fn note_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read the corpus folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file() && is_note_file(p))
        .collect();
    files.sort();
    files
}

fn parse_all(dir: &Path) -> Vec<Parsed> {
    note_files(dir)
        .iter()
        .map(|path| match note::read(path) {
            Ok(parsed) => parsed,
            Err(err) => panic!("a real note does not parse: {err}"),
        })
        .collect()
}

#[test]
fn every_note_parses_with_readable_header() {
    let parsed = parse_all(&corpus());
    assert_eq!(parsed.len(), NOTES, "notes in the corpus");
    for Parsed { note, .. } in &parsed {
        let at = note.path.display();
        assert!(!note.name.is_empty(), "{at}: no name");
        assert!(!note.titles.is_empty(), "{at}: no title");
        assert!(!note.authors.is_empty(), "{at}: no author");
        for title in &note.titles {
            assert!(!title.text.trim().is_empty(), "{at}: empty title");
            assert!(
                !title.text.contains('<') && !has_entity(&title.text),
                "{at}: markup left in title {:?}",
                title.text
            );
        }
        for author in &note.authors {
            assert!(!author.trim().is_empty(), "{at}: empty author");
            assert!(
                !author.contains('<') && !has_entity(author),
                "{at}: markup left in author {author:?}"
            );
        }
    }
}

#[test]
fn every_footer_becomes_a_reference() {
    let dir = corpus();
    let footers: usize = note_files(&dir)
        .iter()
        .map(|path| {
            let bytes = std::fs::read(path).expect("read a note");
            String::from_utf8_lossy(&bytes).lines().filter(|line| line.contains("<footer>")).count()
        })
        .sum();
    let referenced: usize = parse_all(&dir)
        .iter()
        .map(|p| p.note.quotes.iter().filter(|q| q.reference.is_some()).count())
        .sum();
    assert!(footers > 100, "the corpus has footers ({footers})");
    assert_eq!(referenced, footers, "quotes with a reference vs lines with <footer>");
}

#[test]
fn every_footer_shape_lands_on_its_kind() {
    // display as written, kind, pages, attribution
    type Row = (&'static str, &'static str, Option<[u64; 2]>, Option<&'static str>);
    let table: [Row; 14] = [
        ("p.52", "page", Some([52, 52]), None),
        ("p. 176", "page", Some([176, 176]), None),
        ("page 23", "page", Some([23, 23]), None),
        ("pp. 175-176", "page_range", Some([175, 176]), None),
        ("somewhere between pages 331-378", "page_range", Some([331, 378]), None),
        ("page xvi", "page", None, None),
        ("page xxxi", "page", None, None),
        ("9.42.4", "section", None, None),
        ("11.18.11", "section", None, None),
        ("6.45", "section", None, None),
        ("Calvino, 1972, p. 97", "page", Some([97, 97]), Some("Calvino, 1972")),
        ("Song of Songs, p.223", "page", Some([223, 223]), Some("Song of Songs")),
        ("St. Augustine", "other", None, Some("St. Augustine")),
        ("Skepticon One Redux", "link", None, None),
    ];
    let parsed = parse_all(&corpus());
    let references: Vec<_> = parsed
        .iter()
        .flat_map(|p| p.note.quotes.iter())
        .filter_map(|q| q.reference.as_ref())
        .collect();
    let mut missing = Vec::new();
    for (display, kind, pages, attribution) in table {
        let Some(found) = references.iter().find(|r| r.display == display) else {
            missing.push(display);
            continue;
        };
        assert_eq!(found.kind.as_str(), kind, "kind of {display:?}: {found:?}");
        assert_eq!(found.pages, pages, "pages of {display:?}: {found:?}");
        if let Some(attribution) = attribution {
            assert_eq!(
                found.attribution.as_deref(),
                Some(attribution),
                "attribution of {display:?}: {found:?}"
            );
        }
        if kind == "link" {
            assert!(
                found.url.as_deref().is_some_and(|u| u.starts_with("https://")),
                "a link keeps its URL: {found:?}"
            );
        }
    }
    // `page 23` is formats.md's example; every other row is in the corpus.
    missing.retain(|d| *d != "page 23");
    assert!(missing.is_empty(), "footers not found in the corpus: {missing:?}");
    // Every footer has a known kind, and pages only for page kinds.
    for r in &references {
        if r.pages.is_some() {
            assert!(
                matches!(r.kind.as_str(), "page" | "page_range"),
                "pages on a non-page reference: {r:?}"
            );
        }
    }
}

#[test]
fn indexing_the_corpus_with_the_binary() {
    let dir = corpus();
    let quotes: usize = parse_all(&dir).iter().map(|p| p.note.quotes.len()).sum();
    let temp = tempfile::tempdir().expect("temp dir");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_folio"));
    cmd.arg("index")
        .arg(&dir)
        .args(["--index", "ix", "--json"])
        .current_dir(temp.path())
        .env_clear()
        .env("HOME", temp.path());
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    let output = cmd.output().expect("run folio index");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let context = format!("--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}");
    assert!(output.status.success(), "folio index failed\n{context}");
    let summary: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("not JSON ({e})\n{context}"));
    assert_eq!(summary["notes"], NOTES, "{context}");
    assert_eq!(summary["failed"], serde_json::json!([]), "{context}");
    assert_eq!(summary["quotes"], quotes, "quotes indexed = quotes parsed\n{context}");
}
