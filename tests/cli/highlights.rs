//! Highlight exports (`tests/fixtures/highlights/`, written for these tests
//! from `../shared/docs/highlights.md`): every shape read into quotes with
//! book, author, page or location, note and date; one file, many notes, in
//! the index; the filters and output that go with them.

use std::path::Path;

use serde_json::Value;

use crate::util::{Run, TestEnv, u64_of};

/// Copies the fixtures into `notes/` of a fresh environment.
fn env_with_fixtures() -> TestEnv {
    let env = TestEnv::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/highlights");
    for entry in std::fs::read_dir(&dir).expect("read the fixtures") {
        let path = entry.expect("fixture entry").path();
        if !path.is_file() {
            continue; // KOReader's and Bookcision's fixtures have their own tests
        }
        let name = path.file_name().expect("a name").to_string_lossy().into_owned();
        env.write(&format!("notes/{name}"), std::fs::read(&path).expect("read a fixture"));
    }
    env
}

/// `folio show FILE --json`: one JSON object per note.
#[track_caller]
fn notes_of(env: &TestEnv, file: &str) -> (Run, Vec<Value>) {
    let run = env.folio(&["show", &format!("notes/{file}"), "--json"]);
    let notes = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e})\n{run}")))
        .collect();
    (run, notes)
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

#[test]
fn every_clippings_language_reads_its_page_location_and_date() {
    let env = env_with_fixtures();
    let (run, notes) = notes_of(&env, "My Clippings.txt");
    run.expect_code(0);
    // (title, authors, display, pages, locations, added) of each book's
    // first quote; the bookmark is not a quote.
    type Row<'a> = (&'a str, &'a [&'a str], &'a str, Value, Value, &'a str);
    let null = Value::Null;
    let rows: Vec<Row> = vec![
        (
            "The Garden Path",
            &["Kai-Fu Lee"],
            "p. 88",
            serde_json::json!([88, 88]),
            serde_json::json!([1631, 1631]),
            "2015-07-11T19:46:55",
        ),
        (
            "Dune (Dune Chronicles, Book 1)",
            &["Frank Herbert"],
            "loc. 4517-4523",
            null.clone(),
            serde_json::json!([4517, 4523]),
            "2016-04-14T19:31:26",
        ),
        (
            "Anonymous Pamphlet",
            &[],
            "loc. 1234-1236",
            null.clone(),
            serde_json::json!([1234, 1236]),
            "2011-05-05T09:12:00",
        ),
        (
            "Old Device Book",
            &["Jane Smith"],
            "p. 23",
            serde_json::json!([23, 23]),
            serde_json::json!([345, 346]),
            "2011-05-05T09:12:00",
        ),
        (
            "Good Omens",
            &["Terry Pratchett", "Neil Gaiman"],
            "loc. 10-12",
            null.clone(),
            serde_json::json!([10, 12]),
            "2020-05-01T08:00:00",
        ),
        (
            "Cien años de soledad",
            &["Gabriel García Márquez"],
            "p. 251",
            serde_json::json!([251, 251]),
            serde_json::json!([3374, 3375]),
            "2024-07-18T22:34:35",
        ),
        (
            "Der Zauberberg",
            &["Thomas Mann"],
            "loc. 1129-1130",
            null.clone(),
            serde_json::json!([1129, 1130]),
            "2014-12-19T08:52:50",
        ),
        (
            "Мастер и Маргарита",
            &["Михаил Булгаков"],
            "loc. 637-640",
            null.clone(),
            serde_json::json!([637, 640]),
            "2015-03-16T21:46:06",
        ),
        (
            "三体",
            &["刘慈欣"],
            "loc. 182",
            null.clone(),
            serde_json::json!([182, 182]),
            "2022-01-24T12:00:06",
        ),
        (
            "L'Étranger",
            &["Albert Camus"],
            "p. 12",
            serde_json::json!([12, 12]),
            serde_json::json!([180, 181]),
            "2020-02-03T10:00:00",
        ),
        (
            "Il nome della rosa",
            &["Umberto Eco"],
            "p. 7",
            serde_json::json!([7, 7]),
            serde_json::json!([95, 96]),
            "2017-05-02T18:01:02",
        ),
        (
            "Ensaio sobre a cegueira",
            &["José Saramago"],
            "loc. 120-121",
            null.clone(),
            serde_json::json!([120, 121]),
            "2017-03-03T07:21:26",
        ),
        (
            "吾輩は猫である",
            &["夏目漱石"],
            "p. 12",
            serde_json::json!([12, 12]),
            serde_json::json!([170, 171]),
            "2019-07-06T15:04:05",
        ),
        (
            "Het Achterhuis",
            &["Anne Frank"],
            "p. 5",
            serde_json::json!([5, 5]),
            serde_json::json!([70, 71]),
            "2018-04-01T20:00:00",
        ),
    ];
    assert_eq!(notes.len(), rows.len(), "one note per book\n{run}");
    for (note, (title, authors, display, pages, locations, added)) in notes.iter().zip(&rows) {
        assert_eq!(text(&note["titles"][0]["text"]), *title, "{note:#}");
        let got: Vec<&str> =
            note["authors"].as_array().expect("an array").iter().map(text).collect();
        assert_eq!(got, *authors, "authors of {title}");
        assert_eq!(text(&note["source"]), "kindle-clippings");
        let quote = &note["quotes"][0];
        let reference = &quote["reference"];
        assert_eq!(text(&reference["display"]), *display, "display of {title}");
        assert_eq!(&reference["pages"], pages, "pages of {title}");
        assert_eq!(&reference["locations"], locations, "locations of {title}");
        assert_eq!(text(&quote["added"]), *added, "date of {title}");
        let expected_kind = if pages.is_null() { "location" } else { "page" };
        assert_eq!(text(&reference["kind"]), expected_kind, "kind of {title}");
    }
    // The Chinese book has a second highlight, by page only.
    let chinese = &notes[8]["quotes"][1]["reference"];
    assert_eq!((text(&chinese["display"]), &chinese["locations"]), ("p. 12", &Value::Null));
    assert!(!run.stdout.contains('\u{feff}'), "no byte-order mark in any text");
}

#[test]
fn a_note_attaches_to_its_highlight_and_the_latest_highlight_wins() {
    let env = env_with_fixtures();
    let (run, notes) = notes_of(&env, "supersession.txt");
    run.expect_code(0);
    assert_eq!(notes.len(), 2, "two books\n{run}");
    let quotes = notes[0]["quotes"].as_array().expect("an array");
    let got: Vec<(&str, &str)> =
        quotes.iter().map(|q| (text(&q["text"]), text(&q["note_text"]))).collect();
    assert_eq!(
        got,
        [
            (
                "The tide returns, and with it the herons that wade the shallows at dusk.",
                "herons as clocks"
            ),
            (
                "Salt marshes filter the river before it reaches the sea, a long and patient work.",
                "a note written before its highlight"
            ),
            ("Mudflats feed more birds than any forest", ""),
            ("The first of two touching highlights.", ""),
            ("A second one that only touches the first.", ""),
            ("a lone thought with no highlight", "a lone thought with no highlight"),
        ],
        "each passage once, in its latest form; notes on their highlights"
    );
    // The same passage in another book is that book's.
    assert_eq!(text(&notes[1]["quotes"][0]["text"]), "The tide returns.");
}

#[test]
fn crlf_line_ends_and_byte_order_marks_read_alike() {
    let env = env_with_fixtures();
    let (run, notes) = notes_of(&env, "crlf-clippings.txt");
    run.expect_code(0);
    let quote = &notes[0]["quotes"][0];
    assert_eq!(text(&quote["text"]), "Carriage returns end every line of this entry.");
    assert_eq!(text(&quote["note_text"]), "a note written on a Windows machine");
    assert!(!run.stdout.contains("\\r"), "no carriage return kept");
}

#[test]
fn readwise_variants_read_alike() {
    let env = env_with_fixtures();
    let (_, obsidian) = notes_of(&env, "Readwise Obsidian.md");
    let note = &obsidian[0];
    assert_eq!(text(&note["source"]), "readwise");
    assert_eq!(text(&note["titles"][0]["text"]), "The Quiet Orchard: Tending Old Trees");
    assert_eq!(note["authors"], serde_json::json!(["Rowan Maple"]));
    let q = note["quotes"].as_array().expect("an array");
    assert_eq!(q.len(), 5, "{note:#}");
    assert_eq!(text(&q[0]["reference"]["display"]), "loc. 267", "no-break space");
    assert_eq!(text(&q[0]["note_text"]), "try this on the pear by the gate");
    assert_eq!(text(&q[1]["reference"]["display"]), "p. 52");
    assert_eq!(text(&q[2]["reference"]["display"]), "loc. 53", "plain (Location 53)");
    assert_eq!(text(&q[3]["text"]), "A highlight that runs\nover two lines, with bold words.");
    assert!(q[3]["reference"].is_null(), "a View Highlight link is not a place");
    assert_eq!(text(&q[4]["note_text"]), "bittersweet varieties", "appended section");

    let (_, dataview) = notes_of(&env, "Readwise Dataview.md");
    assert_eq!(text(&dataview[0]["titles"][0]["text"]), "Lanterns Along the Canal");
    assert_eq!(dataview[0]["authors"], serde_json::json!(["Ivo Brandt"]));
    assert_eq!(dataview[0]["quotes"][1]["reference"]["locations"], serde_json::json!([91, 93]));

    let (_, logseq) = notes_of(&env, "Readwise Logseq.md");
    let q = logseq[0]["quotes"].as_array().expect("an array");
    assert_eq!(logseq[0]["authors"], serde_json::json!(["Selma Quist"]));
    assert_eq!(q.len(), 3, "{:#}", logseq[0]);
    assert_eq!(text(&q[0]["note_text"]), "symbiosis as farming");
    assert_eq!(text(&q[2]["reference"]["display"]), "loc. 77");

    let (_, article) = notes_of(&env, "Readwise Article.md");
    assert_eq!(
        text(&article[0]["titles"][0]["url"]),
        "https://example.org/why-bridges-sing",
        "an article keeps its URL"
    );
}

#[test]
fn both_kindle_plugin_templates_and_apple_books() {
    let env = env_with_fixtures();
    let (_, inline) = notes_of(&env, "Kindle Plugin Inline.md");
    let note = &inline[0];
    assert_eq!(
        text(&note["titles"][0]["text"]),
        "Stretching Slowly: Simple Exercises for a Stiff Back and Tired Shoulders"
    );
    assert_eq!(note["authors"], serde_json::json!(["Hilde Vance"]));
    let q = note["quotes"].as_array().expect("an array");
    assert_eq!(q.len(), 3, "the reader's own section is not a highlight: {note:#}");
    assert_eq!(text(&q[1]["note_text"]), "Five breaths is about thirty seconds for me.");
    assert_eq!(text(&q[2]["reference"]["display"]), "p. 52");
    assert!(!note.to_string().contains("^ref"), "block ids are not text");

    let (_, own_line) = notes_of(&env, "Kindle Plugin Own Line.md");
    let q = own_line[0]["quotes"].as_array().expect("an array");
    assert_eq!(q.len(), 2);
    assert_eq!(text(&q[0]["reference"]["display"]), "loc. 366");
    assert_eq!(text(&q[1]["note_text"]), "Remember the photo from the Alps.");

    let (_, apple) = notes_of(&env, "Big Magic.md");
    assert_eq!(text(&apple[0]["source"]), "apple-books");
    assert_eq!(text(&apple[0]["titles"][0]["text"]), "Big Magic", "the file name is the title");
    assert_eq!(apple[0]["quotes"].as_array().map(Vec::len), Some(2));
    assert!(apple[0]["quotes"][0]["reference"].is_null());
}

#[test]
fn quotes_show_locations_notes_and_filter_by_location_and_date() {
    let env = env_with_fixtures();
    let run = env.folio(&["index", "notes", "--index", "ix", "--json"]);
    run.expect_code(0);
    let stats = env.folio(&["stats", "--index", "ix", "--json"]).json();
    let by_source = &stats["quotes_by_source"];
    assert_eq!(u64_of(by_source, "kindle-clippings"), 15 + 7 + 1, "{stats:#}");
    assert_eq!(u64_of(by_source, "readwise"), 5 + 2 + 3 + 1);
    assert_eq!(u64_of(by_source, "kindle-plugin"), 3 + 2);
    assert_eq!(u64_of(by_source, "apple-books"), 2);

    // Text output: the location as a location, the reader's note under it.
    let run = env.folio(&["quotes", "herons", "--index", "ix", "--no-refresh"]);
    run.expect_code(0);
    run.check(run.stdout.contains("p. 10"), "the page is shown")
        .check(run.stdout.contains("note: herons as clocks"), "the note under the quote");
    let run = env.folio(&["quotes", "mind-killer", "--index", "ix", "--no-refresh"]);
    run.check(run.stdout.contains("loc. 4517-4523"), "a location is shown as one")
        .check(!run.stdout.contains("p. 4517"), "never as a page");

    // A word only in the reader's note finds the quote.
    let hits = env.folio(&["quotes", "bittersweet", "--index", "ix", "--no-refresh", "--json"]);
    let hits = hits.json();
    assert_eq!(text(&hits["hits"][0]["note_text"]), "bittersweet varieties");
    assert!(hits["hits"][0]["added"].is_null());

    // --location filters locations; --page never matches a location.
    let loc = |args: &[&str]| {
        let mut all = vec!["quotes", "--index", "ix", "--no-refresh", "--json"];
        all.extend_from_slice(args);
        let run = env.folio(&all);
        run.json()["hits"].as_array().map(Vec::len).unwrap_or(0)
    };
    assert_eq!(loc(&["Рукописи", "--location", "600..700"]), 1);
    assert_eq!(loc(&["Рукописи", "--location", "700..800"]), 0);
    assert_eq!(loc(&["Рукописи", "--page", "600..700"]), 0);
    assert_eq!(loc(&["tide", "--page", "10"]), 2);
    // --since keeps highlights made on or after the day.
    assert_eq!(loc(&["tide", "--since", "2020-01-06"]), 2);
    assert_eq!(loc(&["tide", "--since", "2020-01-07"]), 0);
    let bad = env.folio(&["quotes", "tide", "--index", "ix", "--since", "last week"]);
    bad.expect_failure().expect_stderr("--since");
}

#[test]
fn a_word_in_the_passage_ranks_above_the_same_word_in_a_note() {
    let env = TestEnv::new();
    env.write(
        "notes/Orchards.md",
        "# Orchards\n\n![rw-book-cover](https://x/c.jpg)\n\n## Metadata\n- Author: [[Ada Wren]]\n\
         - Full Title: Orchards\n\n## Highlights\n\
         - Cut the old wood back hard in March. (Location 10)\n    - **Note:** the quince needs this\n\
         - A quince ripens late and smells of honey. (Location 20)\n",
    );
    env.folio(&["index", "notes", "--index", "ix"]).expect_code(0);
    let hits = env.folio(&["quotes", "quince", "--index", "ix", "--no-refresh", "--json"]).json();
    let texts: Vec<&str> =
        hits["hits"].as_array().expect("an array").iter().map(|h| text(&h["text"])).collect();
    assert_eq!(
        texts,
        ["A quince ripens late and smells of honey.", "Cut the old wood back hard in March."]
    );
}

/// One clippings entry.
fn entry(book: &str, location: u64, text: &str) -> String {
    format!(
        "{book}\n- Your Highlight on Location {location}-{} | Added on Monday, January 6, 2020 9:00:00 AM\n\n{text}\n==========\n",
        location + 1
    )
}

#[test]
fn a_growing_clippings_file_is_re_read_once_and_a_vanished_book_goes() {
    let env = TestEnv::new();
    let mut clippings = String::new();
    for i in 0..10 {
        clippings.push_str(&entry("First Book (Ng, Ann)", 100 + i * 10, &format!("passage {i}")));
        clippings.push_str(&entry("Second Book (Ott, Bo)", 100 + i * 10, &format!("line {i}")));
    }
    env.write("notes/My Clippings.txt", &clippings);
    env.write("notes/hand.md", "name: Hand\ntitle: Hand\n\n> A quote by hand.\n");
    let first = env.folio(&["index", "notes", "--index", "ix", "--json"]).json();
    assert_eq!((u64_of(&first, "notes"), u64_of(&first, "quotes")), (3, 21));
    assert_eq!(u64_of(&first, "added"), 2, "two files");

    for i in 0..20 {
        clippings.push_str(&entry("Third Book (Pei, Cy)", 500 + i * 10, &format!("more {i}")));
    }
    env.write("notes/My Clippings.txt", &clippings);
    let second = env.folio(&["index", "--index", "ix", "--json"]).json();
    assert_eq!(u64_of(&second, "updated"), 1, "the clippings file, once: {second:#}");
    assert_eq!(u64_of(&second, "unchanged"), 1, "the hand-written note");
    assert_eq!((u64_of(&second, "notes"), u64_of(&second, "quotes")), (4, 41));

    // The second book's entries are deleted from the file: its note goes.
    let kept: String = clippings
        .split_inclusive("==========\n")
        .filter(|e| !e.starts_with("Second Book"))
        .collect();
    env.write("notes/My Clippings.txt", &kept);
    let third = env.folio(&["index", "--index", "ix", "--json"]).json();
    assert_eq!((u64_of(&third, "notes"), u64_of(&third, "quotes")), (3, 31), "{third:#}");
    let run = env.folio(&["quotes", "line", "--index", "ix", "--no-refresh", "--json"]);
    assert!(
        run.json()["hits"]
            .as_array()
            .is_none_or(|h| h.iter().all(|h| !text(&h["text"]).starts_with("line"))),
        "no quote of the vanished book\n{run}"
    );
    let run = env.folio(&["search", "Pei", "--index", "ix", "--no-refresh", "--json"]);
    assert_eq!(text(&run.json()["hits"][0]["titles"][0]["text"]), "Third Book");
}

#[test]
fn author_filter_matches_both_name_orders() {
    let env = env_with_fixtures();
    env.folio(&["index", "notes", "--index", "ix"]).expect_code(0);
    for name in ["Kai-Fu Lee", "Lee, Kai-Fu"] {
        let run = env.folio(&["quotes", "moss", "--author", name, "--index", "ix", "--no-refresh"]);
        run.expect_code(0).check(run.stdout.contains("The Garden Path"), name);
    }
}

#[test]
fn koreader_and_bookcision_files_are_recognised_by_content() {
    let env = TestEnv::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/highlights");
    for (fixture, source, quotes) in [
        ("bookcision/The Quiet Workshop.json", "bookcision", 4),
        ("koreader/The Salt Road.sdr/metadata.epub.lua", "koreader", 4),
        ("koreader/The Salt Road.json", "koreader", 2),
    ] {
        let bytes = std::fs::read(dir.join(fixture)).expect("read a fixture");
        let name = fixture.replace('/', "_");
        env.write(&name, bytes);
        let run = env.folio(&["show", &name, "--json"]);
        let note = run.json();
        assert_eq!(text(&note["source"]), source, "{fixture}");
        assert_eq!(note["quotes"].as_array().map(Vec::len), Some(quotes), "{fixture}");
    }
}

/// Copies a fixture folder (recursively) to `to` under the environment.
fn copy_tree(env: &TestEnv, from: &Path, to: &str) {
    for entry in std::fs::read_dir(from).expect("read a fixture folder") {
        let path = entry.expect("fixture entry").path();
        let name = path.file_name().expect("a name").to_string_lossy().into_owned();
        if path.is_dir() {
            copy_tree(env, &path, &format!("{to}/{name}"));
        } else {
            env.write(&format!("{to}/{name}"), std::fs::read(&path).expect("read a fixture"));
        }
    }
}

#[test]
fn a_koreader_library_and_bookcision_files_are_walked_other_json_and_lua_are_not() {
    let env = TestEnv::new();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/highlights");
    copy_tree(&env, &fixtures.join("koreader"), "notes/koreader");
    copy_tree(&env, &fixtures.join("bookcision"), "notes/bookcision");
    // Files with the same extensions that are not exports: not notes, not
    // failures, never a quote.
    env.write("notes/package.json", r#"{"name": "my-notes", "version": "1.0.0"}"#);
    env.write("notes/broken.json", "{ not json");
    env.write("notes/koreader/The Salt Road.sdr/custom_metadata.lua", "return {}\n");
    env.write("notes/scripts/init.lua", "return { highlight = 1 }\n");

    // What `folio show` reads from each export, to compare the index with.
    let mut expected = 0;
    for file in [
        "koreader/The Salt Road.sdr/metadata.epub.lua",
        "koreader/A Field Guide to Rain.sdr/metadata.pdf.lua",
        "koreader/The Salt Road.json",
        "koreader/exported.json",
        "bookcision/The Quiet Workshop.json",
    ] {
        let (run, notes) = notes_of(&env, file);
        run.expect_code(0);
        assert!(!notes.is_empty(), "{file} holds no book\n{run}");
        for note in &notes {
            assert!(note["source"].as_str().is_some(), "{file}: no source\n{run}");
            expected += note["quotes"].as_array().map_or(0, Vec::len);
        }
    }
    assert!(expected > 0);

    let run = env.folio(&["index", "notes", "--json"]);
    run.expect_code(0);
    let summary = run.json();
    assert_eq!(u64_of(&summary, "quotes"), expected as u64, "{run}");
    assert_eq!(summary["failed"].as_array().map_or(99, Vec::len), 0, "{run}");
    assert!(!run.stderr.contains("package.json"), "{run}");
    assert!(!run.stderr.contains("init.lua"), "{run}");

    // A Bookcision highlight is found with its book, authors and location.
    let run = env.folio(&["quotes", "boring cut", "--json", "--no-refresh"]);
    run.expect_code(0);
    let hit = &run.json()["hits"][0];
    assert!(text(&hit["text"]).contains("Repeat the boring cut"), "{run}");
    assert_eq!(text(&hit["reference"]["kind"]), "location", "{run}");
    assert_eq!(hit["reference"]["locations"], serde_json::json!([348, 348]), "{run}");
    assert_eq!(text(&hit["note_text"]), "Try this with the chisel drills.", "{run}");
    assert!(text(&hit["note"]["titles"][0]["text"]).starts_with("The Quiet Workshop"), "{run}");

    // A second run reads nothing again, the non-exports included.
    let run = env.folio(&["index", "notes", "--json"]);
    run.expect_code(0);
    let summary = run.json();
    assert_eq!(u64_of(&summary, "added") + u64_of(&summary, "updated"), 0, "{run}");
    assert!(!summary["committed"].as_bool().unwrap_or(true), "{run}");
}

/// One fixture of `templates/`: its source, title, authors and each quote
/// as (text, reference shown, note).
type Template<'a> =
    (&'a str, &'a str, &'a str, &'a [&'a str], &'a [(&'a str, &'a str, Option<&'a str>)]);

/// Readers' own templates (issue 19, `../shared/docs/highlights.md` section
/// 7): each highlight one quote, its text with no template leftovers, its
/// place, its note, its book's title and author; an ordinary note with
/// blockquotes stays an ordinary note.
#[test]
fn custom_templates_are_read_by_their_anchors() {
    let env = TestEnv::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/highlights/templates");
    copy_tree(&env, &dir, "notes");
    let rows: &[Template] = &[
        (
            "Highlight Headings.md",
            "kindle-plugin",
            "The Lighthouse Keepers: A Coastal History",
            &["Maren Holt"],
            &[
                ("A keeper's first duty was to the lamp, and only then to sleep.", "loc. 55", None),
                (
                    "Fog signals were tested every evening, whether or not fog was expected.",
                    "loc. 121",
                    Some("Same as the ship's bell drills my grandfather described."),
                ),
                ("The logbook recorded the weather every four hours.", "loc. 240", None),
            ],
        ),
        (
            "Kusamakura.md",
            "kindle-plugin",
            "草枕",
            &["夏目 漱石"],
            &[
                ("山路を登りながら、こう考えた。", "loc. 138", None),
                ("智に働けば角が立つ。", "loc. 154", None),
                ("情に棹させば流される。", "loc. 155", Some("有名な冒頭。")),
                ("住みにくさが高じると、安い所へ引き越したくなる。", "loc. 170", None),
            ],
        ),
        (
            "Empty Links.md",
            "kindle-plugin",
            "The Art of the Chisel",
            &["Rosa Lindqvist"],
            &[
                (
                    "A sharp chisel cuts; a dull one tears.",
                    "loc. 100",
                    Some("my note: this is why I hone before every session"),
                ),
                ("Hold the tool with your whole arm,\nnot just the wrist.", "loc. 134", None),
                (
                    "The back of the chisel must be flat before anything else.",
                    "loc. 188",
                    Some("flatten on the 1000 grit stone\nthen polish on 8000"),
                ),
                ("Paring is a conversation between hand and wood.", "loc. 240", None),
            ],
        ),
        (
            "Note First.md",
            "kindle-plugin",
            "Rivers and Their Deltas: How Water Shapes the Land",
            &["Tomas Ek"],
            &[
                (
                    "Every river begins as a rumour of water.",
                    "loc. 417",
                    Some("Why does this matter for the delta?"),
                ),
                (
                    "Rivers remember their old beds.",
                    "loc. 499",
                    Some("My own thought about it first."),
                ),
                (
                    "A meander is a river arguing with itself.",
                    "loc. 560",
                    Some("Like the Rhine after the floods."),
                ),
            ],
        ),
        (
            "Readwise Numbered.md",
            "readwise",
            "The Soil Will Save Us",
            &["Kristin Ohlson"],
            &[
                (
                    "A teaspoon of healthy soil holds more microbes than there are people on Earth.",
                    "loc. 101",
                    Some("check the figure in the appendix"),
                ),
                (
                    "Carbon leaves the atmosphere through plants and ends up underground.",
                    "loc. 187",
                    None,
                ),
                ("Plowing exposes the soil carbon to the air.", "loc. 230", None),
                ("Cover crops keep roots in the ground all year.", "p. 64", None),
            ],
        ),
        (
            "Readwise Block Ids.md",
            "readwise",
            "A Brief History of Nearly Everything",
            &["Bill Bryson"],
            &[
                (
                    "No matter how hard you try you will never be able to grasp just how tiny a proton is.",
                    "loc. 168",
                    None,
                ),
                (
                    "Protons are so small that a dot of ink can hold five hundred billion of them.",
                    "loc. 177",
                    Some("Look up how they counted."),
                ),
                ("Pluto is only one-fifth the size of Earth's moon.", "loc. 402", None),
            ],
        ),
    ];
    for (file, source, title, authors, quotes) in rows {
        let (run, notes) = notes_of(&env, file);
        run.expect_code(0);
        assert_eq!(notes.len(), 1, "{file}\n{run}");
        let note = &notes[0];
        assert_eq!(text(&note["source"]), *source, "{file}");
        assert_eq!(text(&note["titles"][0]["text"]), *title, "{file}");
        let names: Vec<&str> =
            note["authors"].as_array().map_or(vec![], |a| a.iter().map(text).collect());
        assert_eq!(names, *authors, "{file}");
        let got: Vec<(&str, &str, Option<&str>)> = note["quotes"].as_array().map_or(vec![], |q| {
            q.iter()
                .map(|q| {
                    (text(&q["text"]), text(&q["reference"]["display"]), q["note_text"].as_str())
                })
                .collect()
        });
        assert_eq!(got, *quotes, "{file}\n{note:#}");
    }
    // Blockquotes, a block id, `Page: [12]`: written by hand, not an export.
    let (run, notes) = notes_of(&env, "Ordinary Reading Note.md");
    run.expect_code(0);
    assert!(notes[0]["source"].is_null(), "{run}");
    assert_eq!(notes[0]["quotes"].as_array().map(Vec::len), Some(2), "{run}");
}

/// A small Kobo database: one book, a highlight with the reader's note, a
/// highlight, a note alone and a dogear.
fn write_kobo(path: &Path) {
    let db = rusqlite::Connection::open(path).expect("create a Kobo database");
    db.execute_batch(
        "CREATE TABLE content (ContentID TEXT PRIMARY KEY, ContentType TEXT, Title TEXT,
             Attribution TEXT, VolumeIndex INTEGER);
         CREATE TABLE Bookmark (BookmarkID TEXT PRIMARY KEY, VolumeID TEXT, ContentID TEXT,
             Text TEXT, Annotation TEXT, DateCreated TEXT, Type TEXT);
         INSERT INTO content VALUES ('file:///mnt/onboard/w.kepub.epub', '6', 'The Walled Garden',
             'Lee, Kai-Fu', 0);
         INSERT INTO content VALUES ('w!!ch1.html', '9', 'Seeds and Soil', NULL, 1);
         INSERT INTO Bookmark VALUES ('1', 'file:///mnt/onboard/w.kepub.epub', 'w!!ch1.html',
             'Compost is patience made visible.', 'try the bokashi bin', '2024-12-15T00:43:25.852', 'note');
         INSERT INTO Bookmark VALUES ('2', 'file:///mnt/onboard/w.kepub.epub', 'w!!ch1.html',
             'A hedge is a slow wall.', NULL, '2024-12-16T09:00:00.000', 'highlight');
         INSERT INTO Bookmark VALUES ('3', 'file:///mnt/onboard/w.kepub.epub', 'w!!ch1.html',
             '', 'mulch before winter', '2024-12-17T09:00:00.000', 'note');
         INSERT INTO Bookmark VALUES ('4', 'file:///mnt/onboard/w.kepub.epub', 'w!!ch1.html',
             NULL, NULL, '2024-12-18T09:00:00.000', 'dogear');",
    )
    .expect("fill the Kobo database");
}

const NOTEBOOK: &str = r#"<html><body><div class="bodyContainer">
<div class="notebookFor">Notizbuch für</div>
<div class="bookTitle">Der Salzweg &amp; andere Wege</div>
<div class="authors">Okafor, Hana</div>
<div class="sectionHeading">Erstes Kapitel</div>
<div class="noteHeading">Markierung (<span class="highlight_yellow">gelb</span>) - Seite 12 · Position 150</div>
<div class="noteText">Das Salz der Straße glänzt im Regen.</div>
<div class="noteHeading">Notiz - Seite 12 · Position 152</div>
<div class="noteText">schön gesagt</div>
<div class="noteHeading">Markierung (<span class="highlight_blue">blau</span>) - Position 300</div>
<div class="noteText">Wer wandert, wartet nie.
</div></div></body></html>"#;

#[test]
fn kobo_databases_and_kindle_notebooks_are_read_and_other_html_and_sqlite_are_not() {
    let env = TestEnv::new();
    let kobo = env.write("notes/kobo/KoboReader.sqlite", b"");
    std::fs::remove_file(&kobo).expect("remove the placeholder");
    write_kobo(&kobo);
    env.write("notes/Der Salzweg - Notebook.html", NOTEBOOK);
    // Same extensions, not exports: neither notes nor failures.
    env.write("notes/page.html", "<html><body><div class=\"content\">Hello</div></body></html>");
    env.write("notes/garbage.sqlite", b"SQLite format 3\0not really a database at all");
    let other = env.write("notes/places.sqlite", b"");
    std::fs::remove_file(&other).expect("remove the placeholder");
    rusqlite::Connection::open(&other)
        .and_then(|db| db.execute_batch("CREATE TABLE moz_places (id INTEGER);"))
        .expect("another database");
    let kobo_folder = |env: &TestEnv| {
        let mut names: Vec<String> = std::fs::read_dir(env.root().join("notes/kobo"))
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };

    let (run, notes) = notes_of(&env, "kobo/KoboReader.sqlite");
    run.expect_code(0);
    assert_eq!(notes.len(), 1, "{run}");
    let note = &notes[0];
    assert_eq!(text(&note["source"]), "kobo");
    assert_eq!(text(&note["titles"][0]["text"]), "The Walled Garden");
    assert_eq!(note["authors"], serde_json::json!(["Kai-Fu Lee"]));
    let quotes = note["quotes"].as_array().expect("quotes");
    let got: Vec<(&str, &str, &str, &str)> = quotes
        .iter()
        .map(|q| {
            (
                text(&q["text"]),
                text(&q["note_text"]),
                text(&q["reference"]["display"]),
                text(&q["added"]),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "Compost is patience made visible.",
                "try the bokashi bin",
                "Seeds and Soil",
                "2024-12-15T00:43:25"
            ),
            ("A hedge is a slow wall.", "", "Seeds and Soil", "2024-12-16T09:00:00"),
            ("mulch before winter", "mulch before winter", "Seeds and Soil", "2024-12-17T09:00:00"),
        ],
        "{run}"
    );

    let (run, notes) = notes_of(&env, "Der Salzweg - Notebook.html");
    run.expect_code(0);
    let note = &notes[0];
    assert_eq!(text(&note["source"]), "kindle-notebook");
    assert_eq!(text(&note["titles"][0]["text"]), "Der Salzweg & andere Wege");
    assert_eq!(note["authors"], serde_json::json!(["Hana Okafor"]));
    let first = &note["quotes"][0];
    assert_eq!(text(&first["reference"]["display"]), "p. 12", "{run}");
    assert_eq!(first["reference"]["locations"], serde_json::json!([150, 150]), "{run}");
    assert_eq!(text(&first["note_text"]), "schön gesagt", "{run}");
    assert_eq!(text(&note["quotes"][1]["reference"]["display"]), "loc. 300", "{run}");

    let run = env.folio(&["index", "notes", "--json"]);
    run.expect_code(0);
    let summary = run.json();
    assert_eq!(u64_of(&summary, "notes"), 2, "{run}");
    assert_eq!(u64_of(&summary, "quotes"), 5, "{run}");
    assert_eq!(summary["failed"].as_array().map_or(99, Vec::len), 0, "{run}");
    for quiet in ["page.html", "garbage.sqlite", "places.sqlite"] {
        assert!(!run.stderr.contains(quiet), "{quiet} reported\n{run}");
    }
    assert_eq!(kobo_folder(&env), ["KoboReader.sqlite"], "indexing wrote beside the database");

    let run = env.folio(&["quotes", "bokashi", "--json", "--no-refresh"]);
    run.expect_code(0);
    assert_eq!(text(&run.json()["hits"][0]["note_text"]), "try the bokashi bin", "{run}");

    // A second run reads nothing again.
    let run = env.folio(&["index", "notes", "--json"]);
    let summary = run.json();
    assert_eq!(u64_of(&summary, "added") + u64_of(&summary, "updated"), 0, "{run}");

    // A damaged Kobo database is one failure naming it; the rest stays.
    let bytes = std::fs::read(&kobo).expect("read the database");
    env.write("notes/kobo/KoboReader.sqlite", &bytes[..100]);
    let run = env.folio(&["index", "notes", "--json"]);
    let summary = run.json();
    let failed = summary["failed"].as_array().cloned().unwrap_or_default();
    assert_eq!(failed.len(), 1, "{run}");
    assert!(run.stderr.contains("KoboReader.sqlite"), "{run}");
    assert!(!run.stderr.contains("panicked"), "{run}");
    assert_eq!(u64_of(&summary, "notes"), 1, "{run}");
    let run = env.folio(&["show", "notes/kobo/KoboReader.sqlite"]);
    run.expect_code(2);
    assert_eq!(run.stderr.lines().count(), 1, "one line\n{run}");
    assert!(run.stderr.contains("KoboReader.sqlite"), "{run}");
}

/// An e-reader's root, as mounted: the walk enters its hidden `.kobo`
/// folder for the highlights, and no other hidden folder.
#[test]
fn the_walk_finds_a_kobo_in_its_hidden_folder_and_skips_other_hidden_ones() {
    let env = TestEnv::new();
    let kobo = env.write("reader/.kobo/KoboReader.sqlite", b"");
    std::fs::remove_file(&kobo).expect("remove the placeholder");
    write_kobo(&kobo);
    env.write("reader/.trash/old.md", "# Old\n\n> Compost is patience made visible.\n");
    env.write("reader/.kobo/notes.md", "# Notes\n\nA hedge is a slow wall.\n");
    let run = env.folio(&["index", "reader", "--json"]);
    run.expect_code(0);
    let run = env.folio(&["quotes", "compost", "--json"]);
    run.expect_code(0);
    let hits = run.json()["hits"].as_array().cloned().unwrap_or_default();
    let paths: Vec<String> =
        hits.iter().map(|h| h["path"].as_str().unwrap_or_default().to_string()).collect();
    assert_eq!(paths.len(), 1, "{run}");
    assert!(paths[0].ends_with("KoboReader.sqlite"), "{run}");
}

#[test]
fn a_short_russian_highlight_is_found_by_another_form_of_its_words() {
    // Two Kindle highlights of a Russian book, too short for a reliable
    // trigram count: told Russian by their letters and stemmed as such.
    let env = TestEnv::new();
    let book = "Мастер и Маргарита (Булгаков, Михаил)";
    let clippings = entry(book, 637, "Рукописи не горят.")
        + &entry(book, 700, "Никогда и ничего не просите, в особенности у тех, кто сильнее вас.");
    env.write("notes/My Clippings.txt", clippings);
    let (_, notes) = notes_of(&env, "My Clippings.txt");
    assert_eq!(text(&notes[0]["language"]), "ru");
    env.folio(&["index", "notes", "--index", "ix"]).expect_code(0);
    for (query, found) in [("сильный", "сильнее вас"), ("просить", "просите"), ("горит", "горят")]
    {
        let hits = env.folio(&["quotes", query, "--index", "ix", "--no-refresh", "--json"]).json();
        // Found by its stem, not by the fuzzy fallback.
        assert_eq!(hits["matching"], "all", "{query}");
        assert!(text(&hits["hits"][0]["text"]).contains(found), "{query}: {hits}");
    }
}
