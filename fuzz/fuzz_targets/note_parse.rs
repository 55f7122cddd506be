//! The note parser, and every highlight export's parser (`parse_many`), on
//! arbitrary bytes: they must never panic, hang or blow up memory, and what
//! they return must hold together (offsets on character boundaries inside
//! the body, quote texts equal to their body slices). `parse_file` sees the
//! bytes as a walked `.html` file (a Kindle notebook or nothing); bytes
//! with SQLite's header are also written to a temporary `KoboReader.sqlite`
//! and read as Kobo's database, since SQLite reads files, not buffers.
//! `note_parse.dict` holds the exports' tokens (`-dict=note_parse.dict`).
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(parsed) = folio::note::parse(Path::new("fuzz/note.md"), bytes) {
        check(&parsed);
    }
    for parsed in folio::note::parse_many(Path::new("fuzz/My Clippings.txt"), bytes).iter().flatten() {
        check(parsed);
    }
    if let Ok(Some(notes)) = folio::note::parse_file(Path::new("fuzz/Notebook.html"), bytes) {
        notes.iter().for_each(check);
    }
    if folio::note::highlights::kobo::is_sqlite(bytes) {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("KoboReader.sqlite");
        std::fs::write(&path, bytes).expect("write the database");
        if let Ok(Some(notes)) = folio::note::parse_file(&path, bytes) {
            notes.iter().for_each(check);
        }
    }
});

fn check(parsed: &folio::note::Parsed) {
    let note = &parsed.note;
    for quote in &note.quotes {
        let end = quote.offset + quote.text.len();
        assert!(end <= note.body.len(), "quote past the body end");
        assert!(note.body.is_char_boundary(quote.offset), "quote offset not on a char boundary");
        assert_eq!(&note.body[quote.offset..end], quote.text, "quote text is not its body slice");
    }
    for r in &note.references {
        assert!(r.offset <= note.body.len(), "reference past the body end");
        assert!(note.body.is_char_boundary(r.offset), "reference offset not on a char boundary");
    }
}
