//! Bad input (formats.md's list) through `folio show`: one clear line on
//! stderr naming the file (and the line when known), a non-zero exit for a
//! real defect, never a panic, never a hang.
//!
//! Exit statuses of `show`: 0 a clean note, 1 a note read with warnings,
//! 2 a file that cannot be a note.

use std::time::Duration;

use crate::util::{Run, TestEnv};

/// Fast enough for a person at a terminal, with room for a loaded CI box
/// running a debug build.
const QUICK: Duration = Duration::from_secs(10);

/// Runs `folio show FILE --json` and checks what every bad input must give.
#[track_caller]
fn show(env: &TestEnv, file: &str) -> Run {
    let run = env.folio(&["show", file, "--json"]);
    run.check(run.elapsed < QUICK, "finishes quickly");
    run
}

/// Exactly one stderr line, naming `file` and, when given, `file:line:`.
#[track_caller]
fn one_line_naming(run: &Run, file: &str, line: Option<usize>) {
    let lines = run.stderr_lines();
    run.check(lines.len() == 1, "exactly one line on stderr");
    let expected = match line {
        Some(line) => format!("{file}:{line}:"),
        None => format!("{file}:"),
    };
    run.check(lines[0].contains(&expected), &format!("stderr names {expected:?}"));
}

#[test]
fn invalid_utf8_is_read_lossily_with_a_warning_naming_the_line() {
    let env = TestEnv::new();
    env.write(
        "latin1.md",
        b"name: Latin1\ntitle: Caf\xc3\xa9\n\nline four is fine\nbut caf\xe9 on line five is Latin-1\n",
    );
    let run = show(&env, "latin1.md");
    run.expect_code(1);
    one_line_naming(&run, "latin1.md", Some(5));
    run.expect_stderr("UTF-8");
    let note = run.json();
    let body = note["body"].as_str().expect("body");
    run.check(body.contains('\u{FFFD}'), "the bad byte becomes U+FFFD")
        .check(body.contains("line four is fine"), "the rest is kept");
    assert_eq!(note["titles"][0]["text"], "Café");
}

#[test]
fn binary_file_is_refused() {
    let env = TestEnv::new();
    env.write("cover.md", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0");
    let run = show(&env, "cover.md");
    run.expect_code(2).expect_stderr("binary").check(run.stdout.is_empty(), "nothing on stdout");
    one_line_naming(&run, "cover.md", None);
}

#[test]
fn empty_file_is_refused() {
    let env = TestEnv::new();
    env.write("empty.md", "");
    let run = show(&env, "empty.md");
    run.expect_code(2).expect_stderr("empty").check(run.stdout.is_empty(), "nothing on stdout");
    one_line_naming(&run, "empty.md", None);

    env.write("blank.md", "\n  \n\n");
    let run = show(&env, "blank.md");
    run.expect_code(2).expect_stderr("empty");
}

#[test]
fn header_without_body_warns() {
    let env = TestEnv::new();
    env.write("unread.md", "name: Unread\ntitle: Not Yet Read\nauthor: Someone\n");
    let run = show(&env, "unread.md");
    run.expect_code(1).expect_stderr("no body");
    one_line_naming(&run, "unread.md", None);
    let note = run.json();
    assert_eq!(note["titles"][0]["text"], "Not Yet Read");
    assert_eq!(note["authors"][0], "Someone");
}

#[test]
fn header_line_without_colon_warns_with_its_line() {
    let env = TestEnv::new();
    env.write("colon.md", "name: Colon\ntitle: Missing Colon\nauthor Somebody\n\nThe body.\n");
    let run = show(&env, "colon.md");
    run.expect_code(1).expect_stderr("':'");
    one_line_naming(&run, "colon.md", Some(3));
    let note = run.json();
    assert_eq!(note["titles"][0]["text"], "Missing Colon");
}

#[test]
fn unterminated_front_matter_warns() {
    let env = TestEnv::new();
    env.write(
        "open.md",
        "---\ntitle: Open Front Matter\nauthor: Nobody\n\nThe body never closes it.\n",
    );
    let run = show(&env, "open.md");
    run.expect_code(1).expect_stderr("front matter");
    one_line_naming(&run, "open.md", Some(1));
    let note = run.json();
    run.check(
        note["body"].as_str().is_some_and(|b| b.contains("never closes")),
        "the text is still read",
    );
}

#[test]
fn footer_outside_a_quote_warns_with_its_line() {
    let env = TestEnv::new();
    env.write(
        "stray.md",
        "name: Stray\ntitle: Stray Footer\n\nSome prose.\n\n<footer>p. 3</footer>\n\n> a real quote\n> <footer>p. 4</footer>\n",
    );
    let run = show(&env, "stray.md");
    run.expect_code(1).expect_stderr("<footer>");
    one_line_naming(&run, "stray.md", Some(6));
    let note = run.json();
    let quotes = note["quotes"].as_array().expect("quotes");
    assert_eq!(quotes.len(), 1, "{note:#}");
    assert_eq!(quotes[0]["reference"]["pages"], serde_json::json!([4, 4]));
}

#[test]
fn blockquotes_nested_a_thousand_deep() {
    let env = TestEnv::new();
    let deep = format!("name: Deep\ntitle: Deep\n\n{} bottom of the well\n", ">".repeat(1000));
    env.write("deep.md", deep);
    let run = show(&env, "deep.md");
    // Valid Markdown: a clean read (0) or a warning (1), never a crash.
    run.check(matches!(run.code(), Some(0 | 1)), "reads the note (exit 0 or 1)");
    let note = run.json();
    run.check(
        note["body"].as_str().is_some_and(|b| b.contains("bottom of the well")),
        "the text is kept",
    );
}

#[test]
fn one_megabyte_single_line() {
    let env = TestEnv::new();
    let line = "memory ".repeat(150_000);
    env.write("long.md", format!("name: Long\ntitle: Long Line\n\n{line}\n"));
    let run = show(&env, "long.md");
    run.check(matches!(run.code(), Some(0 | 1)), "reads the note");
    let note = run.json();
    run.check(
        note["body"].as_str().is_some_and(|b| b.len() >= 1_000_000),
        "the whole line is in the body",
    );
}

/// formats.md says 50 MB; a debug build parses that in ~13 s (with JSON
/// output) on a 2-core box, so debug test runs use 10 MB and release runs
/// (`cargo test --release`) the full 50 MB.
#[test]
fn huge_note_finishes() {
    let megabytes = if cfg!(debug_assertions) { 10 } else { 50 };
    let env = TestEnv::new();
    let paragraph = "The river keeps the shape of its old course: an oxbow is what \
                     is left of a meander (p. 55). Memory does the same, _emphasis_ \
                     and [links](https://example.com) included.\n\n";
    let quote = "> when a new node starts, it must load all stateful components\n\
                 > <footer>p.52</footer>\n\n";
    let mut text = String::from("name: Huge\ntitle: Huge\nauthor: Ann Author\n\n");
    let mut quotes = 0;
    while text.len() < megabytes * 1_000_000 {
        text.push_str(paragraph);
        text.push_str(quote);
        quotes += 1;
    }
    env.write("huge.md", text);
    // Text view: the point is parsing, not printing 100 MB of JSON.
    let run = env.folio(&["show", "huge.md"]);
    run.expect_code(0).check(run.elapsed < Duration::from_secs(60), "finishes").check(
        run.stdout.contains(&format!("{quotes} quote(s)")),
        &format!("finds all {quotes} quotes"),
    );
}

#[cfg(unix)]
#[test]
fn unreadable_file() {
    use std::os::unix::fs::PermissionsExt;

    let env = TestEnv::new();
    let path = env.write("secret.md", "name: Secret\ntitle: Secret\n\nBody.\n");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).expect("chmod 000");
    // Root reads anything: the command then runs as `nobody`.
    let cmd = env.command_with_permissions(&["show", "secret.md"]);
    let run = env.run(cmd);
    run.expect_code(2).expect_stderr("permission");
    one_line_naming(&run, "secret.md", None);
}

#[test]
fn missing_file_is_named() {
    let env = TestEnv::new();
    let run = show(&env, "no-such-note.md");
    run.expect_code(2).check(run.stdout.is_empty(), "nothing on stdout");
    one_line_naming(&run, "no-such-note.md", None);
}

/// A typo'd path is not a file that "vanished": the message should say it
/// does not exist (a user reads this message when they mistype a path).
#[test]
fn missing_file_says_not_found() {
    let env = TestEnv::new();
    let run = show(&env, "no-such-note.md");
    let stderr = run.stderr.to_lowercase();
    run.check(
        ["not found", "does not exist", "no such file"].iter().any(|m| stderr.contains(m)),
        "stderr says the file does not exist",
    );
}

#[test]
fn a_folder_is_not_a_note() {
    let env = TestEnv::new();
    std::fs::create_dir(env.path("notes.md")).expect("mkdir");
    let run = show(&env, "notes.md");
    run.expect_failure();
    one_line_naming(&run, "notes.md", None);
}

/// A clippings entry, as the Kindle writes it.
fn clipping(book: &str, location: u64, text: &str) -> String {
    format!(
        "{book}\n- Your Highlight on Location {location}-{location} | Added on Monday, January 6, 2020 9:00:00 AM\n\n{text}\n==========\n"
    )
}

#[test]
fn a_truncated_clippings_file_keeps_what_it_holds() {
    let env = TestEnv::new();
    let mut text = clipping("Kept (A, B)", 10, "first passage");
    text.push_str("Kept (A, B)\n- Your Highlight on Location 20-21 | Added on Monday, Jan");
    env.write("My Clippings.txt", text);
    let run = env.folio(&["show", "My Clippings.txt", "--json"]);
    run.expect_code(1);
    one_line_naming(&run, "My Clippings.txt", Some(6));
    run.expect_stderr("truncated");
    let note = run.json();
    assert_eq!(note["quotes"].as_array().map(Vec::len), Some(1), "the cut entry has no text");
    assert_eq!(note["quotes"][0]["text"], "first passage");
}

#[test]
fn a_clippings_entry_without_its_separator_is_read_up_to_the_next() {
    let env = TestEnv::new();
    let first = clipping("Book (A, B)", 10, "first passage");
    let text = format!(
        "{}{}{}",
        first.trim_end_matches("==========\n"),
        clipping("Book (A, B)", 20, "second passage"),
        clipping("Book (A, B)", 30, "third passage")
    );
    env.write("My Clippings.txt", text);
    let run = env.folio(&["show", "My Clippings.txt", "--json"]);
    run.expect_code(1);
    one_line_naming(&run, "My Clippings.txt", Some(4));
    let note = run.json();
    let texts: Vec<&str> = note["quotes"]
        .as_array()
        .expect("an array")
        .iter()
        .map(|q| q["text"].as_str().expect("a string"))
        .collect();
    assert_eq!(texts, ["first passage", "second passage", "third passage"]);
}

#[test]
fn a_clippings_entry_with_no_kind_line_is_skipped_with_its_line() {
    let env = TestEnv::new();
    let text = format!(
        "{}Stray title line\nsome text someone typed\n==========\n{}",
        clipping("Book (A, B)", 10, "first passage"),
        clipping("Book (A, B)", 20, "second passage")
    );
    env.write("My Clippings.txt", text);
    let run = env.folio(&["show", "My Clippings.txt", "--json"]);
    run.expect_code(1);
    one_line_naming(&run, "My Clippings.txt", Some(7));
    assert_eq!(run.json()["quotes"].as_array().map(Vec::len), Some(2));
}

#[test]
fn a_readwise_file_edited_by_hand_keeps_its_highlights() {
    let env = TestEnv::new();
    env.write(
        "Edited.md",
        "# Edited\n\n![rw-book-cover](https://x/c.jpg)\n\n## Metadata\n- Author: [[Ann Ng]]\n\n\
         ## Highlights\n- A highlight whose link was cut ([Location 12](https://readwise.io/to_kindle?loc\n\
         some words typed under it by hand\n- \n    - **Note:** a note with no highlight left\n\
         - An intact one. (Location 40)\n\n## My own thoughts\n\nprose\n",
    );
    let run = env.folio(&["show", "Edited.md", "--json"]);
    let note = run.json();
    let quotes = note["quotes"].as_array().expect("an array");
    assert_eq!(quotes.len(), 2, "{note:#}");
    assert!(
        quotes[0]["text"].as_str().expect("a string").contains("some words typed under it by hand")
    );
    assert_eq!(quotes[1]["reference"]["display"], "loc. 40");
}

#[test]
fn a_date_the_calendar_lacks_is_a_warning_and_the_note_is_still_indexed() {
    let env = TestEnv::new();
    env.write(
        "notes/leap.md",
        "title: Leap Year Reading\nstart: 2024-02-31\nstop: 2024-03-04\n\nA paragraph on tidewater.\n",
    );
    let run = show(&env, "notes/leap.md");
    run.expect_code(1).expect_stderr("2024-02-31");
    one_line_naming(&run, "leap.md", Some(2));
    let note = run.json();
    assert!(note["start"].is_null(), "{note:#}");
    assert_eq!(note["stop"], "2024-03-04");

    let run = env.folio(&["index", "notes", "--index", "ix"]);
    run.expect_code(0).expect_stderr("leap.md:2:").expect_stderr("February 2024 has 29 days");
    let hits = env.folio(&["search", "tidewater", "--index", "ix", "--json"]).json();
    assert_eq!(hits["hits"][0]["titles"][0]["text"], "Leap Year Reading", "{hits:#}");
}

#[test]
fn since_a_day_the_calendar_lacks_is_a_usage_error_naming_it() {
    let env = TestEnv::new();
    let run = env.folio(&["quotes", "tide", "--since", "2024-02-31"]);
    run.expect_code(2)
        .expect_stderr("--since 2024-02-31")
        .expect_stderr("February 2024 has 29 days")
        .check(run.stdout.is_empty(), "nothing on stdout");
    run.check(!env.path("index").exists(), "no index was built");
}

/// A highlight export cut short is named with what is wrong, at its line,
/// and what to do, before anything else is said of it; another program's
/// JSON beside the notes is passed over without a word.
#[test]
fn a_json_export_cut_short_is_named_with_its_cause_and_other_json_passed_over() {
    let env = TestEnv::new();
    env.write(
        "notes/Sapiens.json",
        "{\"asin\": \"B00\", \"title\": \"Sapiens\",\n \"highlights\": [\n",
    );
    env.write("notes/settings.json", "{\"editor\": {\"tabs\": 4}}\n");
    env.write("notes/walden.md", "title: Walden\n\nSimplify, simplify.\n");
    let run = env.folio(&["index", "notes", "--json"]);
    run.expect_code(0);
    // Where the text ends: the line after the last one written.
    one_line_naming(&run, "Sapiens.json", Some(3));
    let line = run.stderr_lines().first().cloned().unwrap_or_default();
    let cause = line.find("not valid JSON");
    run.check(cause.is_some(), "the cause is said");
    run.check(!line.contains("bookmarks only"), "no guess before the cause");
    let summary = run.json();
    assert_eq!(summary["notes"], 1, "{summary:#}");
    assert_eq!(summary["failed"].as_array().map(Vec::len), Some(1), "{summary:#}");
}
