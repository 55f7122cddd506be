//! Property tests (proptest) of what the parser and the search promise on
//! any input (RELIABILITY.md, "No panic on any input" and "Highlights"):
//!
//! - `note::parse` never panics, on arbitrary bytes or on note-shaped text;
//!   nor does `note::parse_many` (every highlight export's parser) on
//!   arbitrary bytes or on export-shaped text, and each note it returns
//!   holds the same invariants;
//! - every offset it returns (`quotes[].offset`, `references[].offset`) is on
//!   a character boundary inside the body, and a quote's text is exactly
//!   `body[offset..offset + len]` (so it appears in the body);
//! - every highlighted range of a search result covers text that, analysed
//!   with the index's analyser, is made only of the query's analysed terms.
//!
//! Case counts are kept small so the whole file runs in seconds in a debug
//! build; `PROPTEST_CASES=N` raises them for a longer hunt.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::OnceLock;

use folio::index::FolioIndex;
use folio::index::update::{self, UpdateOptions};
use folio::search::{Engine, Hit, Matching, Request, Results, Target};
use proptest::prelude::*;

mod support;

/// Cases per property unless `PROPTEST_CASES` says otherwise.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(cases);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// Checks every invariant of a parse result; returns a description of the
/// first one broken.
fn check_note(bytes: &[u8]) -> Result<(), TestCaseError> {
    let Ok(parsed) = folio::note::parse(Path::new("prop/note.md"), bytes) else { return Ok(()) };
    check_parsed(&parsed)?;
    if let Ok(all) = folio::note::parse_many(Path::new("prop/My Clippings.txt"), bytes) {
        for parsed in &all {
            check_parsed(parsed)?;
        }
    }
    Ok(())
}

/// The invariants of one parsed note.
fn check_parsed(parsed: &folio::note::Parsed) -> Result<(), TestCaseError> {
    let note = &parsed.note;
    let body = &note.body;
    for q in &note.quotes {
        let end = q.offset + q.text.len();
        prop_assert!(end <= body.len(), "quote {:?} ends past the body ({})", q, body.len());
        prop_assert!(body.is_char_boundary(q.offset), "quote offset {} not a boundary", q.offset);
        prop_assert!(body.is_char_boundary(end), "quote end {end} not a boundary");
        prop_assert_eq!(&body[q.offset..end], q.text.as_str());
        prop_assert!(body.contains(q.text.as_str()));
        prop_assert!(q.line >= 1);
    }
    for r in &note.references {
        prop_assert!(r.offset < body.len(), "reference offset {} past the body", r.offset);
        prop_assert!(
            body.is_char_boundary(r.offset),
            "reference offset {} not a boundary",
            r.offset
        );
        // The reference is written at its offset (display may fold spaces).
        let first = r.reference.display.chars().next();
        prop_assert_eq!(body[r.offset..].chars().next(), first);
    }
    for w in &parsed.warnings {
        prop_assert!(!w.message.is_empty());
        prop_assert!(w.line.is_none_or(|l| l >= 1));
    }
    Ok(())
}

/// Pieces real notes are made of, including the awkward ones of formats.md.
fn fragment() -> impl Strategy<Value = String> {
    let word = "[a-zA-Zéèüß]{1,9}|[0-9]{1,4}|€|—|日本語|🙂|e\u{301}";
    prop_oneof![
        4 => proptest::collection::vec(word, 1..12).prop_map(|w| w.join(" ")),
        2 => Just("\n".to_string()),
        2 => Just("\n\n".to_string()),
        2 => Just("> ".to_string()),
        1 => Just(">>> ".to_string()),
        1 => "(>[ ]?){1,6}",
        2 => Just("<footer>p. 52</footer>".to_string()),
        1 => Just("<footer>pp. 175-76</footer>".to_string()),
        1 => Just("<footer>[talk](https://example.org/x?t=1)</footer>".to_string()),
        1 => Just("<footer>".to_string()),
        1 => Just("</footer>".to_string()),
        1 => Just("(p. 55)".to_string()),
        1 => Just("on pages 94-95".to_string()),
        1 => Just("(p. xvi)".to_string()),
        1 => Just("&mdash; &eacute;&nbsp;&amp;&#x1F600;&bogus;".to_string()),
        1 => Just("<span class=\"x\">Note:</span><br />".to_string()),
        1 => Just("_emph_ **strong** `code` [link](http://x.y)".to_string()),
        1 => Just("# Heading ".to_string()),
        1 => Just("- item\n- item\n".to_string()),
        1 => Just("| a | b |\n|---|---|\n| c | d |\n".to_string()),
        1 => Just("```\ncode\n```\n".to_string()),
        1 => Just("title: [T](http://t)\nauthor: A\nyear: 19x9\n".to_string()),
        1 => Just("---\ntitle: Y\ntags: [a, b]\n".to_string()),
        1 => Just("---\n".to_string()),
        1 => Just("\u{feff}".to_string()),
        1 => Just("\r\n".to_string()),
        1 => Just("\t    ".to_string()),
    ]
}

/// Lines of every highlight export's shape, whole and broken.
fn export_line() -> impl Strategy<Value = String> {
    let word = "[a-zA-Zé]{1,9}|[0-9]{1,5}|日本語|—|\\(|\\)|;|,";
    prop_oneof![
        4 => proptest::collection::vec(word, 1..10).prop_map(|w| w.join(" ") + "\n"),
        3 => Just("==========\n".to_string()),
        2 => Just("Title (Last, First)\n".to_string()),
        1 => Just("\u{feff}Dune (Series, Book 1) (Frank Herbert)\n".to_string()),
        2 => Just("- Your Highlight on page 8 | Location 186-190 | Added on Saturday, March 9, 2024 2:56:46 PM\n".to_string()),
        2 => Just("- Your Note on Location 190 | Added on Saturday, March 9, 2024 2:56:46 PM\n".to_string()),
        1 => Just("- Your Bookmark on Location 1490 | Added on\n".to_string()),
        1 => Just("– Ваш выделенный отрывок в месте 637–640 | Добавлено: 16 марта 2015 г. в 21:46:06\n".to_string()),
        1 => Just("- 您在位置 #182-182的标注 | 添加于 2022年1月24日星期一 下午12:00:06\n".to_string()),
        1 => Just("- Highlight Loc. 99999999999999999999-1 | 9:99:99 pm\n".to_string()),
        2 => Just("## Highlights\n".to_string()),
        1 => Just("## New highlights added November 28, 2023 at 7:38 PM\n".to_string()),
        1 => Just("![rw-book-cover](https://x)\n- Full Title: T\n- Author: [[A, B]]\n".to_string()),
        2 => Just("- text ([Location 267](https://readwise.io/x))\n".to_string()),
        1 => Just("    - **Note:** mine\n\t- **Tags:** #x\n".to_string()),
        1 => Just("- Highlights first synced by #Readwise [[x]]\n\t- t (Page xvi)\n".to_string()),
        1 => Just("---\nkindle-sync:\n    title: >-\n        T\n    author: A\n---\n".to_string()),
        2 => Just("text — location: [205](kindle://book?action=open&location=205) ^ref-1\n".to_string()),
        1 => Just("- Location: [3-1](kindle://book?action=open)\n".to_string()),
        1 => Just("- [Apple Books Link](ibooks://assetid/X)\n".to_string()),
        2 => Just("---\n".to_string()),
        1 => Just("\r\n".to_string()),
        1 => Just("\n".to_string()),
    ]
}

fn export_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(export_line(), 0..40).prop_map(|parts| parts.concat())
}

fn note_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(fragment(), 0..40).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(config(400))]

    #[test]
    fn parse_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check_note(&bytes)?;
    }

    #[test]
    fn parse_offsets_hold_on_note_shaped_text(text in note_text()) {
        check_note(text.as_bytes())?;
    }

    #[test]
    fn parse_survives_invalid_utf8_inside_notes(
        text in note_text(),
        at in any::<prop::sample::Index>(),
        junk in proptest::collection::vec(0x80u8..=0xff, 1..4),
    ) {
        let mut bytes = text.into_bytes();
        let i = at.index(bytes.len() + 1);
        bytes.splice(i..i, junk);
        check_note(&bytes)?;
    }

    #[test]
    fn exports_parse_into_sound_notes(text in export_text()) {
        check_note(text.as_bytes())?;
    }

    #[test]
    fn reference_parser_never_panics(text in "\\PC{0,80}") {
        if let Some(r) = folio::note::reference::parse(&text)
            && let Some([a, b]) = r.pages
        {
            prop_assert!(a <= b);
        }
        for r in folio::note::reference::find_inline(&text) {
            prop_assert!(text.is_char_boundary(r.offset));
        }
    }
}

// ---------------------------------------------------------------------------
// Highlights

/// A fixed index (built once per test binary) over generated notes plus a
/// few with accents and stems, and the words found in their bodies.
struct Fixture {
    engine: Engine,
    words: Vec<String>,
    _dir: tempfile::TempDir,
}

const EXTRA: &[(&str, &str)] = &[
    (
        "accents.md",
        "title: Édition spéciale\nauthor: Zoë Brontë\nyear: 1999\n\n\
         Le café était naïve, très naïve. Running runners ran; the runner runs.\n\n\
         > Connected connections connect the connectors.\n> <footer>p. 12</footer>\n",
    ),
    (
        "mixed.md",
        "# Mixed Scripts\n\nKafka — « Kafka » KAFKA kafka's; 日本語 text; emoji 🙂 here.\n\n\
         > A quoted Kafka line about STATE and stateful states.\n> <footer>pp. 3-4</footer>\n",
    ),
];

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let notes = dir.path().join("notes");
        folio::bench::generate(&notes, 40, 11, 2, &|| {}).expect("generate notes");
        for (name, text) in EXTRA {
            std::fs::write(notes.join(name), text).expect("write a note");
        }
        let ix = FolioIndex::open_or_create(&dir.path().join("index"), false).expect("create");
        let options =
            UpdateOptions { memory_mb: 60, ..support::options(vec![notes.clone()], None) };
        update::update(&ix, &options, &|_| {}).expect("build the index");
        // Words as written in the bodies and quotes (surface forms: case,
        // accents, inflections), for queries.
        let mut words = BTreeSet::new();
        for path in walk_files(&notes) {
            let parsed = folio::note::read(&path).expect("read a generated note");
            for w in parsed.note.body.split(|c: char| !c.is_alphanumeric()) {
                if w.chars().count() >= 2 {
                    words.insert(w.to_string());
                }
            }
        }
        let engine = Engine::open(ix).expect("open the engine");
        Fixture { engine, words: words.into_iter().collect(), _dir: dir }
    })
}

fn walk_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(walk_files(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn analysed(text: &str) -> Vec<String> {
    let mut analyzer = folio::index::schema::analyzer();
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// Every highlight of every hit covers only the query's analysed terms.
fn check_highlights(results: &Results, query: &str) -> Result<(), TestCaseError> {
    if results.matching == Matching::Fuzzy {
        return Ok(()); // near matches highlight near spellings by design
    }
    let terms: BTreeSet<String> = analysed(query).into_iter().collect();
    for hit in &results.hits {
        let (text, highlights) = match hit {
            Hit::Note(n) => (&n.snippet.text, &n.snippet.highlights),
            Hit::Quote(q) => (&q.text, &q.highlights),
        };
        let chars: Vec<char> = text.chars().collect();
        for &[start, end] in highlights {
            prop_assert!(start < end && end <= chars.len(), "range {start}..{end} in {text:?}");
            let marked: String = chars[start..end].iter().collect();
            let tokens = analysed(&marked);
            prop_assert!(!tokens.is_empty(), "highlight {marked:?} holds no word ({query:?})");
            for token in &tokens {
                prop_assert!(
                    terms.contains(token),
                    "highlight {marked:?} → {token:?} is not a query term of {query:?} {terms:?}"
                );
            }
        }
    }
    Ok(())
}

fn search(query: &str, target: Target, all_first: bool) -> Results {
    let request = Request { all_first, ..Request::new(query, target) };
    fixture().engine.search(&request).expect("a search never fails")
}

proptest! {
    #![proptest_config(config(120))]

    #[test]
    fn highlights_are_query_terms(
        picks in proptest::collection::vec(any::<prop::sample::Index>(), 1..4),
        quotes in any::<bool>(),
        all_first in any::<bool>(),
        phrase in any::<bool>(),
        upper in any::<bool>(),
    ) {
        let words = &fixture().words;
        let chosen: Vec<&str> = picks.iter().map(|i| words[i.index(words.len())].as_str()).collect();
        let mut query = if phrase && chosen.len() > 1 {
            format!("\"{}\"", chosen.join(" "))
        } else {
            chosen.join(" ")
        };
        if upper {
            query = query.to_uppercase();
        }
        let target = if quotes { Target::Quotes } else { Target::Notes };
        let results = search(&query, target, all_first);
        check_highlights(&results, &query)?;
    }
}

#[test]
fn a_word_from_every_extra_note_is_found_and_highlighted() {
    for query in ["naïve", "cafe", "runner", "connections", "kafka", "stateful", "日本語", "Brontë"]
    {
        for target in [Target::Notes, Target::Quotes] {
            let results = search(query, target, true);
            check_highlights(&results, query).unwrap_or_else(|e| panic!("{query}: {e}"));
        }
        let results = search(query, Target::Notes, true);
        assert!(!results.hits.is_empty(), "{query} finds a note");
    }
}
