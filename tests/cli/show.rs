//! `folio show PATH [--json]`: one note, parsed, and the JSON contract.

use serde_json::Value;

use crate::util::{TestEnv, has_entity, seeds_dir};

/// The note the project started from.
const SEED: &str = "seeds/000_51aab255d746149c.txt";

/// The keys `folio show --json` promises (README, src/note/mod.rs).
const NOTE_KEYS: [&str; 18] = [
    "path",
    "name",
    "titles",
    "authors",
    "publisher",
    "years",
    "year",
    "isbn",
    "isbn13",
    "acquired",
    "start",
    "stop",
    "tags",
    "fields",
    "body",
    "quotes",
    "references",
    "source",
];

const REFERENCE_KEYS: [&str; 5] = ["display", "kind", "pages", "locations", "attribution"];

#[track_caller]
fn has_keys(value: &Value, keys: &[&str], what: &str) {
    for key in keys {
        assert!(value.get(key).is_some(), "{what} lacks key {key:?}: {value:#}");
    }
}

#[test]
fn show_json_has_every_contract_key() {
    let env = TestEnv::with_seeds();
    let run = env.folio(&["show", SEED, "--json"]);
    run.expect_code(0);
    let note = run.json();
    has_keys(&note, &NOTE_KEYS, "the note");

    assert_eq!(note["path"], SEED);
    assert_eq!(note["name"], "Designing_Event_Driven_Systems");
    let titles = note["titles"].as_array().expect("titles is an array");
    assert_eq!(titles.len(), 1, "{note:#}");
    has_keys(&titles[0], &["text", "url"], "a title");
    assert_eq!(titles[0]["text"], "Designing Event-Driven Systems");
    assert!(
        titles[0]["url"].as_str().is_some_and(|u| u.starts_with("https://www.oreilly.com/")),
        "the title keeps its link: {note:#}"
    );
    assert_eq!(note["authors"], serde_json::json!(["Ben Stopford"]));
    assert_eq!(note["publisher"], "O'Reilly");
    assert_eq!(note["years"], serde_json::json!(["2018"]));
    assert_eq!(note["year"], 2018);
    assert_eq!(note["isbn"], Value::Null);
    assert_eq!(note["isbn13"], "9781492038221");
    assert_eq!(note["acquired"], "2021-04-16");
    assert_eq!(note["start"], "2021-05-01");
    assert_eq!(note["stop"], "2021-06-04");
    assert!(note["tags"].is_array(), "tags is an array: {note:#}");
    assert!(note["fields"].is_object(), "fields is an object: {note:#}");
    assert!(note["body"].is_string(), "body is a string: {note:#}");
    assert!(note["references"].is_array(), "{note:#}");

    let quotes = note["quotes"].as_array().expect("quotes is an array");
    assert_eq!(quotes.len(), 2, "{note:#}");
    for quote in quotes {
        has_keys(quote, &["text", "line", "reference"], "a quote");
        has_keys(&quote["reference"], &REFERENCE_KEYS, "a quote's reference");
    }
}

#[test]
fn show_json_first_quote_and_its_page() {
    let env = TestEnv::with_seeds();
    let note = env.folio(&["show", SEED, "--json"]).expect_code(0).json();
    let first = &note["quotes"][0];
    assert_eq!(first["text"], "when a new node starts, it must load all stateful components");
    assert_eq!(first["line"], 44);
    let reference = &first["reference"];
    assert_eq!(reference["display"], "p.52");
    assert_eq!(reference["kind"], "page");
    assert_eq!(reference["pages"], serde_json::json!([52, 52]));
    assert_eq!(reference["attribution"], Value::Null);

    let second = &note["quotes"][1];
    assert_eq!(second["line"], 47);
    assert_eq!(second["reference"]["display"], "p. 91");
    assert_eq!(second["reference"]["pages"], serde_json::json!([91, 91]));
}

#[test]
fn show_json_body_is_readable_text_for_every_seed() {
    let env = TestEnv::with_seeds();
    let mut seen = 0;
    for entry in std::fs::read_dir(seeds_dir()).expect("read seeds/") {
        let name = entry.expect("entry").file_name();
        let path = format!("seeds/{}", name.to_string_lossy());
        let run = env.folio(&["show", &path, "--json"]);
        run.expect_code(0);
        let note = run.json();
        let body = note["body"].as_str().expect("body is a string");
        run.check(!body.is_empty(), "the body is not empty")
            .check(!body.contains('<'), "no HTML left in the body")
            .check(!body.contains("&mdash;"), "entities decoded in the body")
            .check(!has_entity(body), "no entity left in the body")
            .check(!body.contains("http"), "no URL left in the body");
        for field in ["titles", "authors"] {
            for value in note[field].as_array().expect("array") {
                let text = value.get("text").unwrap_or(value).as_str().expect("text");
                run.check(
                    !text.contains('<') && !has_entity(text),
                    &format!("{field} are readable text: {text:?}"),
                );
            }
        }
        // A quote's text is in the body at its offset.
        for quote in note["quotes"].as_array().expect("quotes") {
            let text = quote["text"].as_str().expect("quote text");
            run.check(body.contains(text), &format!("quote {text:?} is in the body"));
        }
        seen += 1;
    }
    assert!(seen >= 13, "seeds/ should hold the seed and ≥ 12 notes");
}

#[test]
fn show_json_inline_page_reference_points_into_the_body() {
    let env = TestEnv::new();
    env.write(
        "jane-eyre.md",
        "name: Jane_Eyre\n\
         title: Jane Eyre\n\
         author: Charlotte Bront&euml;\n\
         \n\
         Rochester calls the gun a \"blunderbuss\" (p. 55), and later the\n\
         whole scene tips into \"bathos\" (p.216).\n",
    );
    let run = env.folio(&["show", "jane-eyre.md", "--json"]);
    run.expect_code(0);
    let note = run.json();
    assert_eq!(note["authors"], serde_json::json!(["Charlotte Brontë"]));
    let body = note["body"].as_str().expect("body");
    let references = note["references"].as_array().expect("references");
    assert_eq!(references.len(), 2, "{note:#}");
    for reference in references {
        has_keys(
            reference,
            &["display", "kind", "pages", "attribution", "offset"],
            "an inline reference",
        );
    }
    let first = &references[0];
    assert_eq!(first["display"], "p. 55");
    assert_eq!(first["kind"], "page");
    assert_eq!(first["pages"], serde_json::json!([55, 55]));
    let offset = first["offset"].as_u64().expect("offset") as usize;
    assert!(
        body.get(offset..).is_some_and(|rest| rest.starts_with("p. 55")),
        "offset {offset} should point at `p. 55` in {body:?}"
    );
    let second = &references[1];
    assert_eq!(second["pages"], serde_json::json!([216, 216]));
    let offset = second["offset"].as_u64().expect("offset") as usize;
    assert!(
        body.get(offset..).is_some_and(|rest| rest.starts_with("p.216")),
        "offset {offset} should point at `p.216` in {body:?}"
    );
}

#[test]
fn show_json_front_matter_and_plain_markdown() {
    let env = TestEnv::new();
    env.write(
        "smart-notes.md",
        "---\n\
         title: How to Take Smart Notes\n\
         author: [Sönke Ahrens]\n\
         tags: [zettelkasten, writing]\n\
         year: 2017\n\
         ---\n\
         # How to Take Smart Notes\n\
         \n\
         Slip boxes.\n",
    );
    let note = env.folio(&["show", "smart-notes.md", "--json"]).expect_code(0).json();
    assert_eq!(note["titles"][0]["text"], "How to Take Smart Notes");
    assert_eq!(note["authors"], serde_json::json!(["Sönke Ahrens"]));
    assert_eq!(note["tags"], serde_json::json!(["zettelkasten", "writing"]));
    assert_eq!(note["year"], 2017);

    env.write("plain.md", "# Rings of Saturn\n\nA walk in Suffolk.\n");
    let note = env.folio(&["show", "plain.md", "--json"]).expect_code(0).json();
    assert_eq!(note["titles"][0]["text"], "Rings of Saturn");
    assert_eq!(note["name"], "plain");

    env.write("bare.txt", "just a line of text\n");
    let note = env.folio(&["show", "bare.txt", "--json"]).expect_code(0).json();
    assert_eq!(note["titles"][0]["text"], "bare");
}

#[test]
fn show_json_keeps_unknown_header_keys() {
    let env = TestEnv::new();
    env.write("rated.md", "name: Rated\ntitle: Rated\nrating: 4/5\nrating: 5/5\n\nBody.\n");
    let note = env.folio(&["show", "rated.md", "--json"]).expect_code(0).json();
    assert_eq!(note["fields"]["rating"], serde_json::json!(["4/5", "5/5"]));
}

#[test]
fn show_text_view_lists_header_and_quotes() {
    let env = TestEnv::with_seeds();
    let run = env.folio(&["show", SEED]);
    run.expect_code(0)
        .check(run.stdout.contains("Designing Event-Driven Systems"), "shows the title")
        .check(run.stdout.contains("Ben Stopford"), "shows the author")
        .check(run.stdout.contains("when a new node starts"), "shows the quote")
        .check(run.stdout.contains("p.52"), "shows the reference")
        .check(run.stderr.is_empty(), "no warnings for the seed");
}
