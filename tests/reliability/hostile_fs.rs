//! Hostile file systems: symlink loops, unreadable folders, files deleted or
//! growing during the walk, names that are not UTF-8, notes and index
//! folders inside each other. Each ends in clear warnings and a complete
//! run: no crash, no endless loop, no lost note.
//! (An unreadable note file and the index inside the notes folder:
//! `tests/cli/index.rs`.)

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::Value;

use crate::small_note;
use crate::util::{TestEnv, u64_of};

/// `folio index ARGS --json`, expecting exit 0; the summary.
#[track_caller]
fn index(env: &TestEnv, args: &[&str]) -> (Value, String) {
    let mut all = vec!["index"];
    all.extend_from_slice(args);
    all.push("--json");
    let run = env.folio(&all);
    run.expect_code(0);
    (run.json(), run.stderr.clone())
}

fn note_count(dir: &Path) -> u64 {
    let mut n = 0;
    for entry in std::fs::read_dir(dir).expect("read a folder") {
        let entry = entry.expect("entry");
        let kind = entry.file_type().expect("file type");
        if kind.is_dir() {
            n += note_count(&entry.path());
        } else if kind.is_file() && entry.path().extension().is_some_and(|e| e == "md") {
            n += 1;
        }
    }
    n
}

#[test]
fn symlink_loops_end_without_hanging() {
    let env = TestEnv::new();
    env.write("notes/a.md", small_note(1, 0));
    env.write("notes/sub/b.md", small_note(2, 0));
    let notes = env.path("notes");
    symlink(".", notes.join("self")).expect("symlink");
    symlink("..", notes.join("sub/up")).expect("symlink");
    symlink("loop-b", notes.join("loop-a")).expect("symlink");
    symlink("loop-a", notes.join("loop-b")).expect("symlink");
    symlink("loop-a", notes.join("loop.md")).expect("symlink");
    symlink("missing.md", notes.join("dangling.md")).expect("symlink");
    symlink(&notes, notes.join("sub/absolute")).expect("symlink");
    // Symlinks are not followed: two notes, once each.
    let (summary, _) = index(&env, &["notes", "--index", "ix"]);
    assert_eq!(u64_of(&summary, "notes"), 2, "{summary:#}");
    // A notes folder named through a symlink is the same folder.
    symlink(&notes, env.path("via-link")).expect("symlink");
    let (summary, _) = index(&env, &["via-link", "--index", "ix"]);
    assert_eq!(u64_of(&summary, "notes"), 2, "{summary:#}");
    assert_eq!(u64_of(&summary, "unchanged"), 2, "{summary:#}");
}

#[test]
fn an_unreadable_folder_is_named_and_the_rest_indexed() {
    let env = TestEnv::new();
    env.write("notes/a.md", small_note(1, 0));
    env.write("notes/locked/b.md", small_note(2, 0));
    let locked = env.path("notes/locked");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    // Root lists anything: the command then runs as `nobody`.
    let cmd = env.command_with_permissions(&["index", "notes", "--index", "ix", "--json"]);
    let run = env.run(cmd);
    // Restore, so the temp dir can be deleted.
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    run.expect_code(0);
    let (summary, stderr) = (run.json(), run.stderr.clone());
    assert_eq!(u64_of(&summary, "notes"), 1, "{summary:#}");
    assert!(
        stderr.contains("locked") && stderr.to_lowercase().contains("permission denied"),
        "the warning names the folder and the reason:\n{stderr}"
    );
}

/// Deletes some notes and appends to others until `stop`.
fn churn_until(dir: &Path, count: usize, stop: &AtomicBool) {
    let mut i = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let n = (i * 7919) % count;
        let path = dir.join(format!("note-{n:06}.md"));
        if i.is_multiple_of(3) {
            let _ = std::fs::remove_file(&path);
        } else if let Ok(mut file) = std::fs::OpenOptions::new().append(true).open(&path) {
            use std::io::Write;
            let _ = writeln!(file, "\nappended xylophone words, some more.");
        }
        i += 1;
        std::thread::sleep(Duration::from_micros(200));
    }
}

#[test]
fn files_deleted_or_growing_during_the_walk() {
    let env = TestEnv::new();
    let count = 1200;
    for i in 0..count {
        env.write(&format!("notes/note-{i:06}.md"), small_note(i, 0));
    }
    let notes = env.path("notes");
    for round in 0..3 {
        let stop = AtomicBool::new(false);
        let run = std::thread::scope(|scope| {
            scope.spawn(|| churn_until(&notes, count, &stop));
            let run = env.folio(&["index", "notes", "--index", "ix", "--json"]);
            stop.store(true, Ordering::Relaxed);
            run
        });
        run.expect_code(0);
        let summary = run.json();
        run.check(summary["failed"].as_array().is_some_and(|f| f.is_empty()), "no failure");
        // The next run sees what is on disk now, and the one after has
        // nothing left to do.
        let (summary, _) = index(&env, &["notes", "--index", "ix"]);
        assert_eq!(u64_of(&summary, "notes"), note_count(&notes), "round {round}: {summary:#}");
        let (summary, _) = index(&env, &["notes", "--index", "ix"]);
        let work = ["added", "updated", "removed"].map(|k| u64_of(&summary, k));
        assert_eq!(work, [0, 0, 0], "round {round}: a settled folder is unchanged: {summary:#}");
    }
    // Every note that grew is found by its new words.
    let grown = std::fs::read_dir(&notes)
        .expect("read")
        .filter(|e| {
            std::fs::read_to_string(e.as_ref().expect("entry").path())
                .is_ok_and(|t| t.contains("xylophone"))
        })
        .count() as u64;
    let run = env.folio(&["search", "--index", "ix", "--json", "--count", "-n", "1", "xylophone"]);
    run.expect_code(0);
    assert_eq!(u64_of(&run.json(), "total"), grown, "{run}");
}

fn non_utf8(name: &[u8]) -> &OsStr {
    OsStr::from_bytes(name)
}

#[test]
fn names_that_are_not_utf8() {
    let env = TestEnv::new();
    let notes = env.path("notes");
    std::fs::create_dir_all(&notes).expect("mkdir");
    // Two names that read the same once decoded lossily (`caf�.md`).
    std::fs::write(notes.join(non_utf8(b"caf\xe9.md")), "title: One\n\nalpha shared\n")
        .expect("write");
    std::fs::write(notes.join(non_utf8(b"caf\xe8.md")), "title: Two\n\nbeta shared\n")
        .expect("write");
    let folder = notes.join(non_utf8(b"d\xff"));
    std::fs::create_dir_all(&folder).expect("mkdir");
    std::fs::write(folder.join("c.md"), "title: Three\n\ngamma shared\n").expect("write");

    let (summary, _) = index(&env, &["notes", "--index", "ix"]);
    assert_eq!(u64_of(&summary, "notes"), 3, "{summary:#}");
    let (summary, _) = index(&env, &["notes", "--index", "ix"]);
    assert_eq!(u64_of(&summary, "notes"), 3, "a second run keeps all three: {summary:#}");
    assert_eq!(u64_of(&summary, "unchanged"), 3, "{summary:#}");

    let run = env.folio(&["search", "--index", "ix", "--json", "shared"]);
    run.expect_code(0);
    assert_eq!(u64_of(&run.json(), "total"), 3, "{run}");
    let run = env.folio(&["search", "--index", "ix", "gamma"]);
    run.expect_code(0).check(run.stdout.contains("d\u{fffd}/c.md"), "a lossy path is shown");

    let mut show = env.command(&["show", "--json"]);
    show.arg(notes.join(non_utf8(b"caf\xe9.md")));
    let run = env.run(show);
    run.expect_code(0);
    assert_eq!(run.json()["name"], "caf\u{fffd}", "{run}");

    // A notes folder whose own name is not UTF-8 is remembered: a search
    // refreshes from it.
    let mut cmd = env.command(&["index", "--index", "ix2"]);
    cmd.arg(&folder);
    env.run(cmd).expect_code(0);
    std::fs::write(folder.join("d.md"), "title: Four\n\ndelta\n").expect("write");
    env.folio(&["search", "--index", "ix2", "delta"]).expect_code(0);
    // `stats --json` names that folder as text instead of failing.
    let run = env.folio(&["stats", "--index", "ix2", "--json"]);
    run.expect_code(0);
    let sources = run.json()["sources"].clone();
    assert!(sources[0].as_str().is_some_and(|s| s.ends_with("d\u{fffd}")), "{run}");
}

#[test]
fn the_notes_folder_as_the_index_folder_is_refused_untouched() {
    let env = TestEnv::new();
    env.write("notes/a.md", small_note(1, 0));
    let run = env.folio(&["index", "notes", "--index", "notes"]);
    run.expect_code(2).expect_stderr("is not a folio index");
    assert_eq!(env.read("notes/a.md"), small_note(1, 0));
    let files: Vec<PathBuf> =
        std::fs::read_dir(env.path("notes")).expect("read").map(|e| e.expect("e").path()).collect();
    assert_eq!(files.len(), 1, "nothing written: {files:?}");
}

/// `--rebuild` deletes only the files folio and Tantivy wrote: notes kept in
/// a folder inside the index folder (and any other file there) survive.
#[test]
fn notes_inside_the_index_folder_survive_a_rebuild() {
    let env = TestEnv::new();
    env.write("first/a.md", small_note(1, 0));
    index(&env, &["first", "--index", "ix"]);
    env.write("ix/notes/b.md", small_note(2, 0));
    env.write("ix/notes/c.md", small_note(3, 0));
    env.write("ix/keep.txt", "a file of the user's\n");
    let (summary, _) = index(&env, &["ix/notes", "--index", "ix"]);
    assert_eq!(u64_of(&summary, "notes"), 2, "{summary:#}");
    let (summary, _) = index(&env, &["ix/notes", "--index", "ix", "--rebuild"]);
    assert_eq!(u64_of(&summary, "notes"), 2, "{summary:#}");
    assert_eq!(u64_of(&summary, "added"), 2, "a rebuild starts over: {summary:#}");
    assert_eq!(env.read("ix/notes/b.md"), small_note(2, 0));
    assert_eq!(env.read("ix/keep.txt"), "a file of the user's\n");
    env.folio(&["stats", "--index", "ix"]).expect_code(0);
}
