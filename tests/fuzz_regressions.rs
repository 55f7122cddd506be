//! Inputs kept from fuzzing (`fuzz/`, see RELIABILITY.md), replayed on every
//! `cargo test` with the same checks as the fuzz targets.
//!
//! Each file under `tests/data/fuzz/<target>/` is one input: a crash, hang
//! or out-of-memory a fuzzer found (named after what it broke), or an input
//! that reaches a hard corner. Add a file there and it is tested; no code
//! change needed. The inline cases below are shapes that broke, or nearly
//! broke, a parser before.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// No single input may take longer than this (a hang is a bug), even in a
/// debug build.
const SLOW: Duration = Duration::from_secs(10);

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz").join(target);
    // A missing folder would replay nothing and pass: it is a failure.
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}; the kept fuzz inputs are missing", dir.display()));
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    files.sort();
    assert!(!files.is_empty(), "{}: no kept fuzz inputs to replay", dir.display());
    files
        .into_iter()
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read a fuzz input");
            (p, bytes)
        })
        .collect()
}

/// The `note_parse` fuzz target's checks.
fn check_note(name: &str, bytes: &[u8]) {
    let started = Instant::now();
    let result = folio::note::parse(Path::new("fuzz/note.md"), bytes);
    assert!(started.elapsed() < SLOW, "{name}: parse took {:?}", started.elapsed());
    if let Ok(parsed) = result {
        check_parsed(name, &parsed);
    }
    // Every highlight export's parser, on the same bytes.
    let started = Instant::now();
    let result = folio::note::parse_many(Path::new("fuzz/My Clippings.txt"), bytes);
    assert!(started.elapsed() < SLOW, "{name}: parse_many took {:?}", started.elapsed());
    for parsed in result.iter().flatten() {
        check_parsed(name, parsed);
    }
}

fn check_parsed(name: &str, parsed: &folio::note::Parsed) {
    let note = &parsed.note;
    for q in &note.quotes {
        let end = q.offset + q.text.len();
        assert!(end <= note.body.len(), "{name}: quote past the body");
        assert!(note.body.is_char_boundary(q.offset), "{name}: quote offset not a boundary");
        assert_eq!(note.body[q.offset..end], q.text, "{name}: quote text is not its slice");
    }
    for r in &note.references {
        assert!(note.body.is_char_boundary(r.offset), "{name}: reference offset not a boundary");
    }
}

/// The `reference` fuzz target's checks.
fn check_reference(name: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    if let Some(r) = folio::note::reference::parse(&text)
        && let Some([a, b]) = r.pages
    {
        assert!(a <= b, "{name}: pages out of order");
    }
    for r in folio::note::reference::find_inline(&text) {
        assert!(text.is_char_boundary(r.offset), "{name}: inline offset not a boundary");
    }
}

#[path = "../fuzz/support/query_search.rs"]
mod query_search;

/// The `query_search` fuzz target's checks, on the same small index.
fn check_search(name: &str, bytes: &[u8]) {
    let Some(request) = query_search::request(bytes) else { return };
    let started = Instant::now();
    let results = query_search::engine().search(&request).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(started.elapsed() < SLOW, "{name}: search took {:?}", started.elapsed());
    if let Some(problem) = query_search::highlight_problem(&results) {
        panic!("{name}: {problem}");
    }
}

#[test]
fn note_parse_inputs() {
    for (path, bytes) in inputs("note_parse") {
        check_note(&path.display().to_string(), &bytes);
    }
    let cases: &[(&str, Vec<u8>)] = &[
        ("nesting 1,000 deep", format!("{} x\n", ">".repeat(1000)).into_bytes()),
        ("nested lists in quotes", "> - > - > - > x\n".repeat(500).into_bytes()),
        ("footer never closed", b"> a\n> <footer>p. 1\n\nb\n".to_vec()),
        ("footer closed twice", b"> a <footer>p. 1</footer></footer>\n".to_vec()),
        ("footer outside", b"<footer>p. 3</footer>\n> <footer></footer>\n".to_vec()),
        ("only a BOM", b"\xef\xbb\xbf \n".to_vec()),
        ("lone surrogate bytes", b"title: \xed\xa0\x80\n\n> \xf0\x9f\n".to_vec()),
        ("front matter never closed", b"---\ntitle: x\n\n> q\n".to_vec()),
        ("entity soup", "&#x110000;&#0;&#xD800;&amp;&".repeat(200).into_bytes()),
        ("combining marks in a quote", "> e\u{301}\u{301}\u{301} (p. 1)\n".repeat(50).into_bytes()),
        ("CR only line ends", b"title: a\r\r> q\r> <footer>p. 2</footer>\r".to_vec()),
        ("table in a quote", b"> | a | b |\n> |---|---|\n> | c | d |\n".to_vec()),
        (
            "clippings cut mid-entry",
            b"Book (A, B)\n- Your Highlight on Location 1-2 | Added on\n\ntext with no end".to_vec(),
        ),
        ("clippings: separators only", b"==========\n==========\n".to_vec()),
        (
            "clippings: a kind line and nothing else",
            b"\xef\xbb\xbf(\n- | 99999999999999999999999-9 |\n==========\n".to_vec(),
        ),
        (
            "clippings: note on every location",
            "B (C)\n- Your Note on Location 5 | x\n\nn\n==========\n".repeat(300).into_bytes(),
        ),
        (
            "readwise: sub-bullets with no highlight",
            b"![rw-book-cover](x)\n## Highlights\n    - **Note:** n\n\t\t- x\n- ([Location 1](u))\n".to_vec(),
        ),
        (
            "kindle plugin: broken front matter",
            b"---\nkindle-sync: [\n---\n## Highlights\n\xe2\x80\x94 location: [1](kindle://book?action=open)\n"
                .to_vec(),
        ),
        ("apple books: rules only", b"[x](ibooks://a)\n## Highlights\n---\n---\n---\n".to_vec()),
    ];
    for (name, bytes) in cases {
        check_note(name, bytes);
    }
}

#[test]
fn reference_inputs() {
    for (path, bytes) in inputs("reference") {
        check_reference(&path.display().to_string(), &bytes);
    }
    for case in [
        "pp. 999999-1",
        "pp. 9-999999",
        "p. 0",
        "page 000000",
        "pp. 175-76",
        "pp. 99-1",
        "[](",
        "[x](y",
        "Ⅻ, p. ⅹ",
        "(p. 55) (pp. 1-2) on pages 3 – 4 page 5",
    ] {
        check_reference(case, case.as_bytes());
    }
}

#[test]
fn query_search_inputs() {
    for (path, bytes) in inputs("query_search") {
        check_search(&path.display().to_string(), &bytes);
    }
    let mut cases: Vec<(String, u8)> = [
        "\"",
        "(",
        ")",
        "\"a",
        "a\"",
        "((((",
        "-",
        "+",
        "-a -b",
        "*",
        "a*",
        "title:",
        ":",
        "year:[",
        "year:[1 TO",
        "year:[z TO a]",
        "page:{1 TO 2}",
        "a^",
        "a^1e40",
        "a^-1",
        "a~",
        "a~99",
        "\"a b\"~999",
        "tag:",
        "author:\"\"",
        "IN [",
        "a AND",
        "OR",
        "NOT",
        "\u{0}",
        "日本語~2",
        "e\u{301}~1",
        "\"\u{feff}\"",
    ]
    .iter()
    .flat_map(|q| [0u8, 0x0d, 0xff].map(|f| (q.to_string(), f)))
    .collect();
    cases.push(("(".repeat(5000), 0));
    cases.push(("a~2 ".repeat(300), 0x08));
    for (query, flags) in cases {
        let mut bytes = vec![flags];
        bytes.extend_from_slice(query.as_bytes());
        check_search(&format!("{query:?} (flags {flags:#x})"), &bytes);
    }
}
