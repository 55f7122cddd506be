//! What the corpus tests share: the build options every one of them uses,
//! and a folder of notes built into a fresh index in a temp dir.
// Each test binary that includes this module uses a part of it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;

use folio::embed::Model;
use folio::error::NoteError;
use folio::index::FolioIndex;
use folio::index::update::{Summary, UpdateOptions, update};

/// Options to build `roots` (and nothing else) on two threads, with
/// `model` or without meaning.
pub fn options(roots: Vec<PathBuf>, model: Option<Arc<Model>>) -> UpdateOptions {
    UpdateOptions {
        roots,
        default_roots: Vec::new(),
        threads: 2,
        memory_mb: 50,
        progress: None,
        model,
    }
}

/// An index built in a temp dir, which lives as long as it does.
pub struct Built {
    pub ix: FolioIndex,
    pub summary: Summary,
    pub dir: tempfile::TempDir,
}

/// Builds `roots` into a new index (`ix` in a temp dir) with
/// [`options`]; `report` sees each warning.
pub fn build(
    roots: Vec<PathBuf>,
    model: Option<Arc<Model>>,
    report: &(dyn Fn(&NoteError) + Sync),
) -> Built {
    let dir = tempfile::tempdir().expect("temp dir");
    let ix = FolioIndex::open_or_create(&dir.path().join("ix"), false).expect("index opens");
    let summary = update(&ix, &options(roots, model), report).expect("builds");
    Built { ix, summary, dir }
}
