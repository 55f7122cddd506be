//! Real highlight exports (feature `real-corpus`; the folder is named by
//! `FOLIO_HIGHLIGHTS`, which `.ci/run` sets to
//! `../shared/corpus/highlights`): every highlight a quote with its book,
//! author and place, as the folder's README counts them, and topic queries
//! that find the highlight a reader remembers. Run with
//! `cargo test --features real-corpus --test highlights_corpus`.
//!
//! A missing variable or folder is a failure, not a skip.
#![cfg(feature = "real-corpus")]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use folio::note::{self, Note, ReferenceKind};
use folio::search::{Engine, Hit, Request, Target};

mod support;

fn corpus() -> PathBuf {
    let Some(dir) = std::env::var_os("FOLIO_HIGHLIGHTS") else {
        panic!(
            "FOLIO_HIGHLIGHTS is not set: point it at the highlight samples \
             (e.g. FOLIO_HIGHLIGHTS=$PWD/../shared/corpus/highlights), or run .ci/run"
        );
    };
    let dir = PathBuf::from(dir);
    assert!(dir.is_dir(), "FOLIO_HIGHLIGHTS={} is not a folder", dir.display());
    dir
}

/// Every highlight note (a note with a `source`) of the files in `folder`.
fn export_notes(folder: &str) -> Vec<Note> {
    let dir = corpus().join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file() && folio::walk::is_note_file(p))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|path| match note::read_many(path) {
            Ok(notes) => notes,
            Err(err) => panic!("a real export does not parse: {err}"),
        })
        .map(|parsed| parsed.note)
        .filter(|note| note.source.is_some())
        .collect()
}

fn quotes(notes: &[Note]) -> usize {
    notes.iter().map(|n| n.quotes.len()).sum()
}

fn with_location(notes: &[Note]) -> usize {
    notes
        .iter()
        .flat_map(|n| &n.quotes)
        .filter(|q| q.reference.as_ref().is_some_and(|r| r.locations.is_some()))
        .count()
}

#[test]
fn kindle_plugin_every_highlight_with_its_location() {
    let notes = export_notes("kindle-plugin");
    assert!(notes.iter().all(|n| n.source.as_deref() == Some("kindle-plugin")));
    // The README counts 2,654 entries; `Talking to Strangers` lists one
    // twice (`she`, loc. 2249, the same block id): one highlight.
    assert_eq!(quotes(&notes), 2_653, "the README's count, each highlight once");
    assert_eq!(with_location(&notes), 2_653, "each with a Kindle location");
    for note in &notes {
        assert!(!note.authors.is_empty(), "{} has its author", note.path.display());
        for q in &note.quotes {
            assert!(!q.text.contains("^ref-"), "block id left in {:?}", q.text);
            assert!(!q.text.contains("location: ["), "location link left in {:?}", q.text);
        }
    }
}

/// Readwise lists 320 highlights in the sample; the README counts 314,
/// leaving out six fragments one to seven words long that the export lists
/// as highlights like any other (`this.`, `minutes.`, `mindpeakperformance`,
/// `colouring` in *The Neuroscience of Excellent Sleep*, two in *Wim Hof
/// Method*). folio keeps them: they are the reader's highlights.
#[test]
fn readwise_every_highlight_and_its_location() {
    let notes = export_notes("readwise");
    assert_eq!(notes.len(), 79, "one note per book");
    assert_eq!(quotes(&notes), 320);
    assert_eq!(with_location(&notes), 304, "the README's count of located highlights");
    let fragments: usize = notes
        .iter()
        .flat_map(|n| &n.quotes)
        .filter(|q| q.reference.is_none() && q.text.split_whitespace().count() <= 7)
        .count();
    assert_eq!(quotes(&notes) - fragments, 314, "the README's count, fragments aside");
    // Two exports name no author (`- Author: ` is empty); every other book
    // has its author.
    let nameless: Vec<&str> =
        notes.iter().filter(|n| n.authors.is_empty()).map(|n| n.titles[0].text.as_str()).collect();
    assert_eq!(nameless, ["Corporate Explorer", "DevOps Adoption Strategies"]);
    for note in &notes {
        for q in &note.quotes {
            assert!(!q.text.contains("readwise.io"), "link left in {:?}", q.text);
        }
    }
}

/// Every note of the files in `folder` of `highlights-extra/`, the samples
/// kept beside `FOLIO_HIGHLIGHTS` (custom templates, Moon+ Reader).
fn extra_notes(folder: &str) -> Vec<Note> {
    let dir = corpus().join("../highlights-extra").join(folder);
    assert!(dir.is_dir(), "{} is not a folder", dir.display());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file() && folio::walk::is_note_file(p))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|path| match note::read_many(path) {
            Ok(notes) => notes,
            Err(err) => panic!("a real export does not parse: {err}"),
        })
        .map(|parsed| parsed.note)
        .collect()
}

/// The reader's own template: the note first, the highlight in a `>` quote
/// with `— location: [N](kindle://…)`, chapter headings between, no `---`
/// between some highlights. The README counts 95 located highlight lines;
/// the plugin wrote most books' highlights twice (a second sync appended
/// them again), and each book's own `highlightsCount` (22, 11, 4, 2, 2 and
/// 10) is what a reader has: 51. The notes stay notes.
#[test]
fn kindle_plugin_custom_template_every_highlight_apart_from_its_note() {
    let notes = extra_notes("kindle-plugin-custom");
    assert_eq!(notes.len(), 6);
    assert!(notes.iter().all(|n| n.source.as_deref() == Some("kindle-plugin")));
    assert!(notes.iter().all(|n| !n.authors.is_empty()), "every book has its author");
    assert_eq!(quotes(&notes), 51, "each highlight once, as the plugin counts them");
    assert_eq!(with_location(&notes), 51, "each with a Kindle location");
    for q in notes.iter().flat_map(|n| &n.quotes) {
        for leftover in ["^ref-", "location: [", "kindle://"] {
            assert!(!q.text.contains(leftover), "{leftover} left in {:?}", q.text);
        }
    }
    // The reader's question before a highlight is its note, not its text.
    let rust = notes.iter().find(|n| n.titles[0].text.contains("Rust")).expect("the Rust book");
    let q = rust
        .quotes
        .iter()
        .find(|q| q.text.starts_with("it is always the first code"))
        .expect("a quote");
    assert!(q.note_text.as_deref().is_some_and(|n| n.starts_with("Question: is there a case")));
    assert!(!q.text.contains("Question"), "{:?}", q.text);
}

/// Moon+ Reader's callouts are read as the notes they are: 197 quotes,
/// each the passage alone; a header's chapter and day are the quote's, a
/// `**Note:**` in the callout its note.
#[test]
fn moonreader_callouts_stay_quotes() {
    let notes = extra_notes("moonreader");
    assert_eq!(quotes(&notes), 197);
    for q in notes.iter().flat_map(|n| &n.quotes) {
        assert!(!q.text.contains("[!quote]"), "the callout's marker is no passage: {:?}", q.text);
        assert!(!q.text.contains("Note:"), "the reader's note is no passage: {:?}", q.text);
    }
    let dated: Vec<_> =
        notes.iter().flat_map(|n| &n.quotes).filter(|q| q.added.is_some()).collect();
    assert_eq!(dated.len(), 13, "the 13 headers with a chapter and a day");
    assert!(
        dated
            .iter()
            .all(|q| q.reference.as_ref().is_some_and(|r| r.kind == ReferenceKind::Chapter))
    );
    let coffin = notes.iter().find(|n| n.titles[0].text == "Coffin Moon").expect("Coffin Moon");
    let q = &coffin.quotes[0];
    assert_eq!(q.text, "flashlight");
    assert_eq!(q.note_text.as_deref(), Some("this is my favorite part"));
    assert_eq!(q.added.as_deref(), Some("2026-02-02"));
    assert_eq!(q.reference.as_ref().map(|r| r.display.as_str()), Some("Chapter 37"));
}

#[test]
fn clippings_distinct_passages_with_notes_attached() {
    let notes = export_notes("clippings/samuelbalogh");
    assert_eq!(notes.len(), 15, "one note per book");
    assert_eq!(quotes(&notes), 239, "242 highlights, 3 superseded; the note attached");
    assert!(notes.iter().all(|n| !n.authors.is_empty()), "every book has its author");
    assert_eq!(with_location(&notes), 239);
    let with_note = notes.iter().flat_map(|n| &n.quotes).filter(|q| q.note_text.is_some());
    assert_eq!(with_note.count(), 1, "the one note, on its highlight");

    let notes = export_notes("clippings/tshort76");
    assert_eq!(notes.len(), 1);
    let book = &notes[0];
    assert_eq!(book.titles[0].text, "AI Superpowers", "no author left in the title");
    assert_eq!(book.authors, ["Kai-Fu Lee"]);
    assert_eq!(book.quotes.len(), 23, "23 highlights, the 16 notes attached");
    for q in &book.quotes {
        let r = q.reference.as_ref().expect("a reference");
        assert_eq!(r.kind, ReferenceKind::Page, "the page is what people turn to");
        assert!(r.pages.is_some() && r.locations.is_some(), "both kept: {r:?}");
        assert!(q.added.is_some(), "its date");
    }
    // 16 notes on 15 highlights: two identical notes sit on one.
    let noted = book.quotes.iter().filter(|q| q.note_text.is_some()).count();
    assert_eq!(noted, 15);
}

/// The samples indexed once for every query test of this file.
struct Fixture {
    engine: Engine,
    _dir: tempfile::TempDir,
}

fn engine() -> &'static Engine {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    &FIXTURE
        .get_or_init(|| {
            let built = support::build(vec![corpus()], None, &|_| {});
            assert!(built.summary.failed.is_empty(), "{:?}", built.summary.failed);
            Fixture { engine: Engine::open(built.ix).expect("engine"), _dir: built.dir }
        })
        .engine
}

/// (query as a reader remembers the idea, words of the expected highlight,
/// the file it is in). Judged by reading the samples; none copies the
/// highlight's wording.
const TOPICS: &[(&str, &str, &str)] = &[
    (
        "climate change joke about the hottest year",
        "hottest year on record is whatever year",
        "An Inconvenient Sequel",
    ),
    (
        "evolution as shifting proportions of traits in a population",
        "evolution consists of changes in the proportion",
        "kindle-plugin",
    ),
    (
        "how many breaths to hold a stretch for flexibility",
        "five deep breaths after this moment",
        "10-Minute Stretching",
    ),
    ("being foolishly selfish for short-term gain", "foolish selfish", "kindle-plugin"),
    (
        "emergence describes a system with less information",
        "That's emergence",
        "Something Deeply Hidden",
    ),
    (
        "sensitive people prefer deep conversation before small talk",
        "small talk only after",
        "Quiet",
    ),
    (
        "progress is hard to notice while you live through it",
        "easy to miss while we are living through it",
        "kindle-plugin",
    ),
    (
        "children telling quarrelling parents to talk instead of fight",
        "you should talk, not fight",
        "kindle-plugin",
    ),
    (
        "doubting your own beliefs and admitting ignorance",
        "cultivation of constant doubt",
        "kindle-plugin",
    ),
    ("platforms are really just middlemen", "another word for platform is middleman", "readwise"),
    ("discovery is seeing with new eyes, not new landscapes", "new eyes", "readwise"),
    (
        "tech companies spying on teenage girls deleting selfies to sell beauty ads",
        "delete selfies",
        "readwise",
    ),
    (
        "failure punished unless experiments are rewarded",
        "failure will count against them",
        "readwise",
    ),
    (
        "deafness was not her choice but her reaction was",
        "Her deafness was out of her hands",
        "readwise",
    ),
    (
        "censorship fights against the nature of technology",
        "Governments who want to censor",
        "samuelbalogh",
    ),
    (
        "poverty fell more in fifty years than in five centuries",
        "poverty was reduced more in the past fifty years",
        "samuelbalogh",
    ),
    ("internet access declared a human right", "access to the Internet", "samuelbalogh"),
    ("tourists moving in a herd like cattle", "inescapably bovine", "samuelbalogh"),
    (
        "the smart grid and exchanging power between many producers",
        "distributed mesh network",
        "samuelbalogh",
    ),
    (
        "China shifting from discovery to implementation and data",
        "age of discovery to the age of implementation",
        "tshort76",
    ),
    ("a network learns better with more examples", "no data like more data", "tshort76"),
];

#[test]
fn topic_queries_find_the_remembered_highlight_first() {
    let engine = engine();
    let mut misses = Vec::new();
    for (query, words, file) in TOPICS {
        let results = engine.search(&Request::new(*query, Target::Quotes)).expect("searches");
        let first = results.hits.first().and_then(|hit| match hit {
            Hit::Quote(q) => Some(q),
            Hit::Note(_) => None,
        });
        let found = first.is_some_and(|q| {
            q.text.to_lowercase().contains(&words.to_lowercase()) && q.path.contains(file)
        });
        if !found {
            misses.push(format!(
                "{query:?}: expected “{words}” in {file}, first was {:?}",
                first.map(|q| (&q.text, &q.path))
            ));
        }
    }
    assert!(
        misses.is_empty(),
        "{} of {} missed:\n{}",
        misses.len(),
        TOPICS.len(),
        misses.join("\n")
    );
}

#[test]
fn a_word_of_the_readers_note_finds_its_highlight() {
    // tshort76's note “Bold Claim” is on a highlight that does not say it.
    let results = engine().search(&Request::new("bold claim", Target::Quotes)).expect("searches");
    let Some(Hit::Quote(q)) = results.hits.first() else { panic!("a quote hit") };
    assert_eq!(q.note_text.as_deref(), Some("Bold Claim"));
    assert!(q.reference.as_ref().is_some_and(|r| r.display.starts_with("p. ")));
    assert!(Path::new(&q.path).ends_with("tshort76/My Clippings.txt"));
}

/// What a reader sees of a book: title, authors, and each quote's text
/// and reference.
type Read = (String, Vec<String>, Vec<(String, String)>);

/// What a reader sees of each book in a file.
fn what_is_read(path: &Path, text: &str) -> Vec<Read> {
    let parsed = note::parse_many(path, text.as_bytes())
        .unwrap_or_else(|err| panic!("{}: does not parse: {err}", path.display()));
    parsed
        .into_iter()
        .map(|p| {
            let title = p.note.titles.first().map(|t| t.text.clone()).unwrap_or_default();
            let quotes = p
                .note
                .quotes
                .iter()
                .map(|q| {
                    (q.text.clone(), format!("{:?}", q.reference.as_ref().map(|r| &r.display)))
                })
                .collect();
            (title, p.note.authors, quotes)
        })
        .collect()
}

/// The same export as another person's editor or template leaves it: a
/// byte-order mark, Windows line ends, spaces at the ends of lines (the
/// front matter's `---` too), blank lines doubled, a key the template
/// gives twice (an empty `date:`, then a filled one), `*` bullets instead
/// of `-`. Each is read as the original is: the same books, authors,
/// quotes and references. (Found missing before: the spaces lost the
/// whole front matter, the repeated key a Kindle plugin file's title and
/// author, the `*` bullets Readwise's author.) Kindle's `My Clippings.txt`
/// is written by the device, not a template: it is not rewritten.
#[test]
fn a_templates_own_spacing_bullets_and_repeated_keys_read_alike() {
    let roots = [corpus(), corpus().join("../highlights-extra")];
    let mut files = Vec::new();
    for root in &roots {
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("a folder").flatten() {
                let path = entry.path();
                if path.is_dir() && !path.ends_with("clippings") {
                    stack.push(path);
                } else if folio::walk::is_note_file(&path)
                    && path.file_name().is_some_and(|n| n != "README.md")
                {
                    files.push(path);
                }
            }
        }
    }
    files.sort();
    assert!(files.len() > 200, "the exports: {}", files.len());
    let mut compared = 0;
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        let original = what_is_read(path, &text);
        let body_at = match text.strip_prefix("---\n").and_then(|rest| rest.find("\n---")) {
            Some(end) => 4 + end + 4,
            None => 0,
        };
        let mut variants = vec![
            ("a byte-order mark", format!("\u{feff}{text}")),
            ("Windows line ends", text.replace('\n', "\r\n")),
            (
                "spaces at the ends of lines",
                text.split_inclusive('\n').map(|l| l.replace('\n', " \n")).collect(),
            ),
            ("blank lines doubled", text.replace("\n\n", "\n\n\n")),
            (
                "`*` bullets",
                format!(
                    "{}{}",
                    &text[..body_at],
                    text[body_at..]
                        .split_inclusive('\n')
                        .map(|l| {
                            let indent = l.len() - l.trim_start().len();
                            match l[indent..].strip_prefix("- ") {
                                Some(rest) => format!("{}* {rest}", &l[..indent]),
                                None => l.to_string(),
                            }
                        })
                        .collect::<String>()
                ),
            ),
        ];
        if body_at > 0 {
            let front = &text[4..body_at - 3];
            variants.push((
                "a key given twice",
                format!("---\ndate:\n{front}date: 2024-01-01\n{}", &text[body_at - 3..]),
            ));
        }
        for (what, variant) in variants {
            assert_eq!(
                what_is_read(path, &variant),
                original,
                "{} with {what}: read differently",
                path.display()
            );
            compared += 1;
        }
    }
    assert!(compared > 1000, "variants compared: {compared}");
}
