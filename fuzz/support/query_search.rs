//! What the `query_search` fuzz target and its replay in
//! `tests/fuzz_regressions.rs` share: the small index, how an input's first
//! byte becomes a request, and the check every result must pass.

use std::sync::OnceLock;

use folio::index::FolioIndex;
use folio::index::update::{self, UpdateOptions};
use folio::search::{Engine, Filters, Hit, Request, Results, Target};

struct Fixture {
    engine: Engine,
    _dir: tempfile::TempDir,
}

/// A small fixed index, built once (lazily, in a temp dir) from generated
/// notes and one note of accents, quotes and references.
pub fn engine() -> &'static Engine {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    &FIXTURE
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let notes = dir.path().join("notes");
            folio::bench::generate(&notes, 60, 7, 1, &|| {}).expect("generate notes");
            std::fs::write(
                notes.join("extra.md"),
                "title: Édition spéciale\nauthor: Zoë O'Brien\nyear: 1999\ntags: a, b\n\n\
                 Café naïve “quotes” — (p. 55) on page 166.\n\n\
                 > a quoted line\n> <footer>p. 12</footer>\n",
            )
            .expect("write a note");
            let ix = FolioIndex::open_or_create(&dir.path().join("index"), false).expect("create");
            let options = UpdateOptions {
                roots: vec![notes],
                default_roots: Vec::new(),
                threads: 1,
                memory_mb: 50,
                progress: None,
                model: None,
            };
            update::update(&ix, &options, &|_| {}).expect("build the index");
            Fixture { engine: Engine::open(ix).expect("open the engine"), _dir: dir }
        })
        .engine
}

/// The request an input stands for: the first byte picks target, limit,
/// modes and filters; the rest is the query. `None` for an empty input.
pub fn request(bytes: &[u8]) -> Option<Request> {
    let (&flags, rest) = bytes.split_first()?;
    Some(Request {
        query: String::from_utf8_lossy(rest).into_owned(),
        target: if flags & 1 == 0 { Target::Notes } else { Target::Quotes },
        limit: 1 + usize::from((flags >> 1) & 3) * 4,
        filters: Filters {
            author: (flags & 0x10 != 0).then(|| "zoe".to_string()),
            years: (flags & 0x20 != 0).then_some((1990, 2020)),
            tag: (flags & 0x40 != 0).then(|| "a".to_string()),
            pages: (flags & 0x80 != 0).then_some((1, 100)),
            ..Filters::default()
        },
        fuzzy: flags & 0x08 != 0,
        all_first: flags & 0x04 == 0,
        explain: false,
        count: false,
        rank: None,
    })
}

/// The first highlight that does not lie inside its text, if any.
pub fn highlight_problem(results: &Results) -> Option<String> {
    for hit in &results.hits {
        let (text, highlights) = match hit {
            Hit::Note(n) => (&n.snippet.text, &n.snippet.highlights),
            Hit::Quote(q) => (&q.text, &q.highlights),
        };
        let chars = text.chars().count();
        for [start, end] in highlights {
            if !(start < end && *end <= chars) {
                return Some(format!("highlight {start}..{end} outside {chars} chars"));
            }
        }
    }
    None
}
