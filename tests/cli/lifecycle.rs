//! The index's lifecycle: `--rebuild` builds aside and switches, remembers
//! its note folders, an older format is upgraded by the next run, a newer
//! one is refused untouched, a failed rebuild leaves the old index live,
//! and an index of the older layout (Tantivy files directly in the folder)
//! keeps working and is upgraded into a generation.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{TestEnv, u64_of};

/// The format this folio writes, read from a fresh index's marker.
fn current_format(env: &TestEnv) -> u32 {
    let marker = std::fs::read_to_string(live(env, "ix").join("folio-index")).expect("marker");
    marker.trim().trim_start_matches("folio index format ").parse().expect("a format number")
}

/// The live generation folder of index `ix`.
fn live(env: &TestEnv, ix: &str) -> PathBuf {
    let name = std::fs::read_to_string(env.path(ix).join("CURRENT")).expect("CURRENT");
    env.path(ix).join(name.trim())
}

/// Makes the live generation claim another format, as an index written by
/// another folio would.
fn fake_format(env: &TestEnv, ix: &str, format: u32) {
    std::fs::write(live(env, ix).join("folio-index"), format!("folio index format {format}\n"))
        .expect("rewrite the marker");
}

/// Names and contents of every file under a folder.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).expect("read a folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.insert(path.clone(), std::fs::read(&path).expect("read a file"));
            }
        }
    }
    files
}

/// Generation folders in index `ix`.
fn generations(env: &TestEnv, ix: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(env.path(ix))
        .expect("read the index folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("gen-"))
        .collect();
    names.sort();
    names
}

#[track_caller]
fn search_total(env: &TestEnv, ix: &str, query: &str) -> u64 {
    let run = env.folio(&["search", "--no-refresh", "--count", "--index", ix, "--json", query]);
    run.expect_code(0);
    u64_of(&run.json(), "total")
}

fn build(env: &TestEnv) -> (u64, Value) {
    let n = env.copy_seeds("notes") as u64;
    let run = env.folio(&["index", "notes", "--index", "ix", "--json"]);
    run.expect_code(0);
    (n, run.json())
}

/// issue 12: `--rebuild` with no folder named rebuilt from `./seeds` (and
/// failed anywhere else), after deleting the index: 0 notes, no sources.
#[test]
fn rebuild_without_folders_uses_the_remembered_ones() {
    let env = TestEnv::new();
    let (n, _) = build(&env);
    let first = generations(&env, "ix");
    let run = env.folio(&["index", "--rebuild", "--index", "ix", "--json"]);
    run.expect_code(0);
    let summary = run.json();
    assert_eq!(u64_of(&summary, "notes"), n, "{summary:#}");
    assert_eq!(u64_of(&summary, "added"), n, "a rebuild starts over: {summary:#}");
    let after = generations(&env, "ix");
    assert_eq!(after.len(), 1, "the old generation is deleted: {after:?}");
    assert_ne!(after, first, "the rebuild is a new generation");
    let stats = env.folio(&["stats", "--index", "ix", "--json"]).expect_code(0).json();
    let sources = stats["sources"].as_array().expect("sources").clone();
    assert_eq!(sources.len(), 1, "{stats:#}");
    assert!(sources[0].as_str().is_some_and(|s| s.ends_with("notes")), "{stats:#}");
}

/// A rebuild whose remembered folder is gone fails and leaves the old
/// index answering.
#[test]
fn a_rebuild_from_a_vanished_folder_keeps_the_old_index() {
    let env = TestEnv::new();
    let (n, _) = build(&env);
    std::fs::rename(env.path("notes"), env.path("moved")).expect("move the notes");
    env.folio(&["index", "--rebuild", "--index", "ix"]).expect_code(2).expect_stderr("notes");
    let stats = env.folio(&["stats", "--index", "ix", "--json"]).expect_code(0).json();
    assert_eq!(u64_of(&stats, "notes"), n, "{stats:#}");
    assert!(search_total(&env, "ix", "memory") > 0);
}

/// An error just before the switch (`FOLIO_FAIL_AT`, as a full disk would
/// fail the rename) leaves the old index live and no leftover.
#[test]
fn a_failed_rebuild_leaves_the_old_index_live() {
    let env = TestEnv::new();
    let (n, _) = build(&env);
    let hits = search_total(&env, "ix", "memory");
    let before = generations(&env, "ix");
    for point in ["before-switch", "switch"] {
        let mut cmd = env.command(&["index", "--rebuild", "--index", "ix"]);
        cmd.env("FOLIO_FAIL_AT", point);
        env.run(cmd).expect_code(2).expect_stderr("FOLIO_FAIL_AT");
        assert_eq!(generations(&env, "ix"), before, "{point}: the new generation is deleted");
        assert_eq!(search_total(&env, "ix", "memory"), hits, "{point}: the old index answers");
    }
    let run = env.folio(&["index", "--index", "ix", "--json"]);
    run.expect_code(0);
    assert_eq!(u64_of(&run.json(), "unchanged"), n, "{run}");
}

/// A format older than this folio's is rebuilt by the next search, with
/// one line on stderr; the search then answers from the new index.
#[test]
fn an_older_format_is_upgraded_by_the_next_search() {
    let env = TestEnv::new();
    build(&env);
    let format = current_format(&env);
    let hits = search_total(&env, "ix", "memory");
    let old = live(&env, "ix");
    fake_format(&env, "ix", format - 1);

    let run = env.folio(&["search", "--index", "ix", "--json", "--count", "memory"]);
    run.expect_code(0);
    let lines = run.stderr_lines();
    run.check(lines.len() == 1, "one line on stderr")
        .check(lines[0].contains("upgrading the index"), "saying it upgrades")
        .check(lines[0].contains(&format!("from format {}", format - 1)), "from which format");
    assert_eq!(u64_of(&run.json(), "total"), hits, "{run}");
    assert_ne!(live(&env, "ix"), old, "a new generation");
    assert!(!old.exists(), "the old generation is deleted");
    assert_eq!(current_format(&env), format);

    // Upgraded once: the next search says nothing.
    let run = env.folio(&["search", "--index", "ix", "memory"]);
    run.expect_code(0).check(run.stderr.is_empty(), "no upgrade the second time");
}

/// `stats`, `search --no-refresh` and `index` upgrade too: the reader never
/// types `--rebuild` because folio changed.
#[test]
fn every_command_upgrades_an_older_format() {
    let env = TestEnv::new();
    let (n, _) = build(&env);
    let format = current_format(&env);
    for args in [
        &["stats", "--index", "ix", "--json"][..],
        &["search", "--no-refresh", "--index", "ix", "--json", "memory"],
        &["index", "--index", "ix", "--json"],
    ] {
        fake_format(&env, "ix", format - 1);
        let run = env.folio(args);
        run.expect_code(0).expect_stderr("upgrading the index");
        let stats = env.folio(&["stats", "--index", "ix", "--json"]).expect_code(0).json();
        assert_eq!(u64_of(&stats, "notes"), n, "{args:?}: {stats:#}");
        assert_eq!(u64_of(&stats, "format"), u64::from(format), "{args:?}: {stats:#}");
    }
}

/// A newer format (a newer folio wrote it) is refused with exit 2 and a
/// clear message, and nothing in the folder changes.
#[test]
fn a_newer_format_is_refused_untouched() {
    let env = TestEnv::new();
    build(&env);
    let format = current_format(&env);
    fake_format(&env, "ix", format + 1);
    let before = snapshot(&env.path("ix"));
    for args in [
        &["search", "--index", "ix", "memory"][..],
        &["search", "--no-refresh", "--index", "ix", "memory"],
        &["quotes", "--index", "ix", "memory"],
        &["index", "notes", "--index", "ix"],
        &["stats", "--index", "ix"],
    ] {
        let run = env.folio(args);
        run.expect_code(2)
            .expect_stderr("newer folio")
            .check(run.stderr_lines().len() == 1, "one line");
        assert!(snapshot(&env.path("ix")) == before, "{args:?} changed the index folder");
    }
    // Asked for explicitly, a rebuild replaces it.
    env.folio(&["index", "--rebuild", "--index", "ix"]).expect_code(0);
    assert_eq!(current_format(&env), format);
}

/// An index of the older layout (Tantivy's files directly in the index
/// folder, as folio wrote them before generations) keeps answering, and
/// its upgrade moves it into a generation, deleting only its own files.
#[test]
fn an_index_of_the_older_layout_works_and_is_upgraded() {
    let env = TestEnv::new();
    let (n, _) = build(&env);
    let format = current_format(&env);
    let hits = search_total(&env, "ix", "memory");
    // The older layout: the generation's files in the folder itself.
    let legacy = env.path("legacy");
    std::fs::create_dir_all(&legacy).expect("mkdir");
    for entry in std::fs::read_dir(live(&env, "ix")).expect("read") {
        let path = entry.expect("entry").path();
        // Files only: the older layout predates the block bounds' folder.
        if path.is_file() {
            std::fs::copy(&path, legacy.join(path.file_name().expect("name"))).expect("copy");
        }
    }
    env.write("legacy/keep.txt", "the reader's file\n");
    assert_eq!(search_total(&env, "legacy", "memory"), hits);
    let run = env.folio(&["index", "--index", "legacy", "--json"]);
    run.expect_code(0);
    assert_eq!(u64_of(&run.json(), "unchanged"), n, "{run}");

    std::fs::write(legacy.join("folio-index"), format!("folio index format {}\n", format - 1))
        .expect("rewrite the marker");
    env.folio(&["search", "--index", "legacy", "memory"])
        .expect_code(0)
        .expect_stderr("upgrading the index");
    assert_eq!(search_total(&env, "legacy", "memory"), hits);
    assert!(legacy.join("CURRENT").is_file(), "now in generations");
    assert!(!legacy.join("meta.json").exists(), "the older layout's files are deleted");
    assert_eq!(env.read("legacy/keep.txt"), "the reader's file\n");
}

/// Leftovers of a killed build (a generation `CURRENT` does not name, a
/// temporary `CURRENT`) are deleted by the next writer.
#[test]
fn leftovers_are_cleaned_by_the_next_run() {
    let env = TestEnv::new();
    let (n, _) = build(&env);
    let live_before = live(&env, "ix");
    env.write("ix/gen-000099/folio-index", "folio index format 1\n");
    env.write("ix/gen-000099/meta.json", "{}");
    env.write("ix/CURRENT.tmp", "gen-000099\n");
    // Readers ignore them.
    assert!(search_total(&env, "ix", "memory") > 0);
    let run = env.folio(&["index", "--index", "ix", "--json"]);
    run.expect_code(0);
    assert_eq!(u64_of(&run.json(), "notes"), n);
    assert_eq!(live(&env, "ix"), live_before);
    assert!(!env.path("ix/gen-000099").exists(), "the leftover generation is deleted");
    assert!(!env.path("ix/CURRENT.tmp").exists(), "the temporary CURRENT is deleted");
}

/// A run that dies right after the switch (before it deletes the old
/// generation) leaves the new index live; the next run deletes the old one.
#[test]
fn a_run_that_dies_after_the_switch_leaves_the_new_index() {
    let env = TestEnv::new();
    let (n, _) = build(&env);
    let old = live(&env, "ix");
    env.write("notes/extra.md", "title: Extra\n\nA zyzzyva note about memory.\n");
    let mut cmd = env.command(&["index", "--rebuild", "--index", "ix"]);
    cmd.env("FOLIO_FAIL_AT", "after-switch");
    let run = env.run(cmd);
    run.check(run.code() != Some(0), "the run died");
    assert_ne!(live(&env, "ix"), old, "the new generation is live");
    assert!(old.exists(), "the old generation is still there");
    assert_eq!(search_total(&env, "ix", "zyzzyva"), 1, "the new index answers");
    let run = env.folio(&["index", "--index", "ix", "--json"]);
    run.expect_code(0);
    assert_eq!(u64_of(&run.json(), "notes"), n + 1, "{run}");
    assert!(!old.exists(), "the next run deleted the old generation");
    assert_eq!(generations(&env, "ix").len(), 1);
}

/// `folio optimize` merges the index into one segment; searches answer the
/// same before and after.
#[test]
fn optimize_merges_into_one_segment() {
    let env = TestEnv::new();
    build(&env);
    // Small updates leave small segments behind.
    for i in 0..3 {
        env.write(&format!("notes/extra-{i}.md"), format!("title: Extra {i}\n\nmemory {i}\n"));
        env.folio(&["index", "--index", "ix"]).expect_code(0);
    }
    let hits = search_total(&env, "ix", "memory");
    let stats = env.folio(&["stats", "--index", "ix", "--json"]).expect_code(0).json();
    let before = u64_of(&stats, "segments");
    assert!(before > 1, "{stats:#}");
    let run = env.folio(&["optimize", "--index", "ix", "--json"]);
    run.expect_code(0);
    let done = run.json();
    assert_eq!(u64_of(&done, "segments_before"), before, "{done:#}");
    assert_eq!(u64_of(&done, "segments_after"), 1, "{done:#}");
    let stats = env.folio(&["stats", "--index", "ix", "--json"]).expect_code(0).json();
    assert_eq!(u64_of(&stats, "segments"), 1, "{stats:#}");
    assert_eq!(search_total(&env, "ix", "memory"), hits);
    // The text output says what it did.
    let run = env.folio(&["optimize", "--index", "ix"]);
    run.expect_code(0).check(run.stdout.contains("1 segments → 1"), "before → after");
}
