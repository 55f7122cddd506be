//! `folio index` and `folio stats`: building, incremental updates, bad
//! files, the safety of `--index`, the writer lock, and where the index lives.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::util::{Run, TIMEOUT, TestEnv, is_note_file, u64_of};

/// `folio index ARGS --json`, expecting success; the summary.
#[track_caller]
fn index(env: &TestEnv, args: &[&str]) -> Value {
    let mut all = vec!["index"];
    all.extend_from_slice(args);
    all.push("--json");
    let run = env.folio(&all);
    run.expect_code(0);
    let summary = run.json();
    for key in [
        "notes",
        "quotes",
        "added",
        "updated",
        "removed",
        "unchanged",
        "failed",
        "seconds",
        "committed",
    ] {
        run.check(summary.get(key).is_some(), &format!("the summary has {key:?}"));
    }
    summary
}

/// `folio stats --index IX --json`, expecting success.
#[track_caller]
fn stats(env: &TestEnv, ix: &str) -> Value {
    env.folio(&["stats", "--index", ix, "--json"]).expect_code(0).json()
}

/// Note files under `dir` (recursively, skipping hidden files) and the
/// quotes folio's parser finds in those that parse.
fn expected(dir: &Path) -> (u64, u64) {
    let mut notes = 0;
    let mut quotes = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).expect("read a notes folder") {
            let path = entry.expect("entry").path();
            let hidden = path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if hidden {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if is_note_file(&path)
                && let Ok(parsed) = folio::note::read(&path)
            {
                notes += 1;
                quotes += parsed.note.quotes.len() as u64;
            }
        }
    }
    (notes, quotes)
}

/// Checks the summary's change counts, and that it and `folio stats` agree
/// with what the notes folder holds.
#[track_caller]
fn check_step(
    env: &TestEnv,
    summary: &Value,
    [added, updated, removed, unchanged]: [u64; 4],
    step: &str,
) {
    let got = [
        u64_of(summary, "added"),
        u64_of(summary, "updated"),
        u64_of(summary, "removed"),
        u64_of(summary, "unchanged"),
    ];
    assert_eq!(
        got,
        [added, updated, removed, unchanged],
        "{step}: [added, updated, removed, unchanged] in {summary:#}"
    );
    assert_eq!(summary["failed"], serde_json::json!([]), "{step}: {summary:#}");
    let (notes, quotes) = expected(&env.path("notes"));
    assert_eq!(u64_of(summary, "notes"), notes, "{step}: notes in {summary:#}");
    assert_eq!(u64_of(summary, "quotes"), quotes, "{step}: quotes in {summary:#}");
    let stats = stats(env, "ix");
    assert_eq!(u64_of(&stats, "notes"), notes, "{step}: stats {stats:#}");
    assert_eq!(u64_of(&stats, "quotes"), quotes, "{step}: stats {stats:#}");
}

/// Names, sizes and mtimes of every file in a folder (recursively).
fn snapshot(dir: &Path) -> BTreeMap<String, (u64, SystemTime)> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).expect("read the index folder") {
            let entry = entry.expect("entry");
            let meta = entry.metadata().expect("metadata");
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                let name = entry
                    .path()
                    .strip_prefix(dir)
                    .expect("under dir")
                    .to_string_lossy()
                    .into_owned();
                files.insert(name, (meta.len(), meta.modified().expect("mtime")));
            }
        }
    }
    files
}

/// Sets a file's modification time.
fn set_mtime(path: &Path, time: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open for set_modified")
        .set_modified(time)
        .expect("set mtime");
}

fn mtime(path: &Path) -> SystemTime {
    std::fs::metadata(path).expect("metadata").modified().expect("mtime")
}

#[test]
fn builds_from_seeds() {
    let env = TestEnv::new();
    let files = env.copy_seeds("notes") as u64;
    let summary = index(&env, &["notes", "--index", "ix"]);
    check_step(&env, &summary, [files, 0, 0, 0], "first build");
    assert_eq!(u64_of(&summary, "notes"), files, "every seed is a note");
    assert_eq!(summary["committed"], true);
    assert!(env.path("ix").join("folio-index").is_file());

    let stats = stats(&env, "ix");
    assert!(u64_of(&stats, "authors") >= 13, "{stats:#}");
    let sources = stats["sources"].as_array().expect("sources");
    assert_eq!(sources.len(), 1, "{stats:#}");
    assert!(sources[0].as_str().is_some_and(|s| s.ends_with("notes")), "{stats:#}");
}

#[test]
fn text_summary_and_text_stats() {
    let env = TestEnv::new();
    let files = env.copy_seeds("notes");
    let run = env.folio(&["index", "notes", "--index", "ix"]);
    run.expect_code(0).check(run.stdout.contains(&format!("{files} notes")), "says how many notes");
    let run = env.folio(&["stats", "--index", "ix"]);
    run.expect_code(0)
        .check(run.stdout.contains(&format!("{files}")), "stats shows the note count");
}

#[test]
fn incremental_modify_add_delete_rename() {
    let env = TestEnv::new();
    let n = env.copy_seeds("notes") as u64;
    let summary = index(&env, &["notes", "--index", "ix"]);
    check_step(&env, &summary, [n, 0, 0, 0], "build");

    // Modify: a new quote (the size changes).
    let walking = env.path("notes/walking.md");
    let mut text = std::fs::read_to_string(&walking).expect("read");
    text.push_str("\n> solvitur ambulando, it is solved by walking\n> <footer>p. 7</footer>\n");
    std::fs::write(&walking, &text).expect("write");
    let summary = index(&env, &["notes", "--index", "ix"]);
    check_step(&env, &summary, [0, 1, 0, n - 1], "modify (size)");
    assert_eq!(summary["committed"], true);

    // Modify without changing the size: only the mtime and the bytes tell.
    let before = mtime(&walking);
    let same_size = text.replacen("solvitur", "SOLVITUR", 1);
    assert_eq!(same_size.len(), text.len());
    std::fs::write(&walking, &same_size).expect("write");
    set_mtime(&walking, before + Duration::from_secs(10));
    let summary = index(&env, &["notes", "--index", "ix"]);
    check_step(&env, &summary, [0, 1, 0, n - 1], "modify (same size)");

    // Touch only: the bytes are the same, nothing to write.
    set_mtime(&walking, before + Duration::from_secs(20));
    let summary = index(&env, &["notes", "--index", "ix"]);
    check_step(&env, &summary, [0, 0, 0, n], "touch");
    assert_eq!(summary["committed"], false);

    // Add one note (in a subfolder: the walk is recursive).
    env.write(
        "notes/new/the-peregrine.md",
        "name: The_Peregrine\ntitle: The Peregrine\nauthor: J. A. Baker\nyear: 1967\n\n\
         A winter of watching falcons.\n\n\
         > The hardest thing of all to see is what is really there.\n\
         > <footer>p. 19</footer>\n\n\
         > I have always longed to be a part of the outward life.\n\
         > <footer>page 95</footer>\n",
    );
    let summary = index(&env, &["notes", "--index", "ix"]);
    check_step(&env, &summary, [1, 0, 0, n], "add");

    // Delete one.
    std::fs::remove_file(&walking).expect("delete");
    let summary = index(&env, &["notes", "--index", "ix"]);
    check_step(&env, &summary, [0, 0, 1, n], "delete");

    // Rename one: a remove and an add.
    std::fs::rename(
        env.path("notes/memory-palaces.txt"),
        env.path("notes/memory-palaces-renamed.md"),
    )
    .expect("rename");
    let summary = index(&env, &["notes", "--index", "ix"]);
    check_step(&env, &summary, [1, 0, 1, n - 1], "rename");

    // With no folder named, the index remembers its folders.
    let summary = index(&env, &["--index", "ix"]);
    check_step(&env, &summary, [0, 0, 0, n], "remembered folders");
    assert_eq!(summary["committed"], false);
}

#[test]
fn a_no_op_run_touches_nothing() {
    let env = TestEnv::new();
    let n = env.copy_seeds("notes") as u64;
    index(&env, &["notes", "--index", "ix"]);
    let before = snapshot(&env.path("ix"));
    std::thread::sleep(Duration::from_millis(50));

    let summary = index(&env, &["notes", "--index", "ix"]);
    check_step(&env, &summary, [0, 0, 0, n], "no-op");
    assert_eq!(summary["committed"], false);
    let after = snapshot(&env.path("ix"));
    assert_eq!(before, after, "the index folder is untouched by a no-op run");

    // Reading the index does not write either.
    stats(&env, "ix");
    assert_eq!(before, snapshot(&env.path("ix")), "stats writes nothing");
}

#[test]
fn bad_files_are_reported_and_skipped() {
    let env = TestEnv::new();
    let n = env.copy_seeds("notes") as u64;
    env.write("notes/cover.md", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    env.write("notes/empty.md", "");
    env.write("notes/latin1.md", b"name: Latin1\ntitle: Latin-1 Note\n\nfine\nbut caf\xe9 here\n");
    // Not notes: other extensions, hidden files, ignored folders.
    env.write("notes/cover.png", b"\0\0\0binary");
    env.write("notes/.draft.md", "name: Draft\n\nHidden.\n");
    env.write("notes/.gitignore", "drafts/\n");
    env.write("notes/drafts/wip.md", "name: WIP\n\nIgnored.\n");

    let run = env.folio(&["index", "notes", "--index", "ix", "--json"]);
    run.expect_code(0);
    let summary = run.json();
    let failed = summary["failed"].as_array().expect("failed");
    let failed_paths: Vec<&str> =
        failed.iter().map(|f| f["path"].as_str().expect("path")).collect();
    run.check(failed.len() == 2, "two failures (binary, empty)")
        .check(
            failed_paths.iter().any(|p| p.ends_with("cover.md"))
                && failed_paths.iter().any(|p| p.ends_with("empty.md")),
            "the failures name the files",
        )
        .check(
            failed.iter().all(|f| f["message"].as_str().is_some_and(|m| !m.is_empty())),
            "each failure says why",
        )
        .check(u64_of(&summary, "notes") == n + 1, "the seeds and the Latin-1 note are indexed")
        .check(u64_of(&summary, "added") == n + 1, "added counts notes")
        .expect_stderr("notes/cover.md: ")
        .expect_stderr("notes/empty.md: ")
        .expect_stderr("notes/latin1.md:5: ")
        .check(run.stderr_lines().len() == 3, "one stderr line per problem");

    // A fixed file is picked up; a good note turned bad leaves the index.
    env.write("notes/cover.md", "name: Cover\ntitle: Cover\n\nNow a note.\n");
    env.write("notes/walking.md", "");
    let run = env.folio(&["index", "notes", "--index", "ix", "--json"]);
    run.expect_code(0);
    let summary = run.json();
    run.check(u64_of(&summary, "added") == 1, "the fixed note is added")
        .check(u64_of(&summary, "removed") == 1, "the emptied note is removed")
        .check(
            summary["failed"].as_array().map(Vec::len) == Some(2),
            "empty.md and walking.md fail",
        )
        .check(u64_of(&summary, "notes") == n + 1, "note count");
}

#[cfg(unix)]
#[test]
fn unreadable_note_is_reported_and_skipped() {
    use std::os::unix::fs::PermissionsExt;

    let env = TestEnv::new();
    let n = env.copy_seeds("notes") as u64;
    let secret = env.write("notes/secret.md", "name: Secret\n\nBody.\n");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).expect("chmod 000");
    // Root reads anything: the command then runs as `nobody`.
    let cmd = env.command_with_permissions(&["index", "notes", "--index", "ix", "--json"]);
    let run = env.run(cmd);
    run.expect_code(0).expect_stderr("notes/secret.md: ").expect_stderr("permission");
    let summary = run.json();
    assert_eq!(u64_of(&summary, "notes"), n, "{summary:#}");
    assert_eq!(summary["failed"].as_array().map(Vec::len), Some(1));
}

#[test]
fn refuses_a_folder_that_is_not_an_index() {
    let env = TestEnv::new();
    env.copy_seeds("notes");
    let precious = env.write("ix/precious.txt", "do not delete me\n");
    let snapshot_before = snapshot(&env.path("ix"));

    for args in [
        &["index", "notes", "--index", "ix"][..],
        &["index", "notes", "--index", "ix", "--rebuild"],
        &["index", "notes", "--index", "ix", "--rebuild", "--json"],
        &["stats", "--index", "ix"],
    ] {
        let run = env.folio(args);
        run.expect_failure()
            .expect_stderr("not a folio index")
            .expect_stderr("ix")
            .check(run.stdout.is_empty(), "nothing on stdout");
        assert_eq!(env.read("ix/precious.txt"), "do not delete me\n");
        assert_eq!(
            snapshot(&env.path("ix")),
            snapshot_before,
            "nothing in ix/ is touched by {args:?}"
        );
    }

    // --index naming a file is refused too, and the file is kept.
    let run = env.folio(&["index", "notes", "--index", "ix/precious.txt", "--rebuild"]);
    run.expect_failure();
    assert_eq!(std::fs::read_to_string(&precious).expect("still there"), "do not delete me\n");
}

#[test]
fn rebuild_gives_the_same_counts() {
    let env = TestEnv::new();
    let n = env.copy_seeds("notes") as u64;
    let first = index(&env, &["notes", "--index", "ix"]);
    let rebuilt = index(&env, &["notes", "--index", "ix", "--rebuild"]);
    check_step(&env, &rebuilt, [n, 0, 0, 0], "rebuild");
    assert_eq!(rebuilt["committed"], true);
    assert_eq!(first["notes"], rebuilt["notes"]);
    assert_eq!(first["quotes"], rebuilt["quotes"]);
    // And the rebuilt index updates incrementally as before.
    let again = index(&env, &["notes", "--index", "ix"]);
    check_step(&env, &again, [0, 0, 0, n], "after rebuild");
}

#[test]
fn missing_notes_folder_is_named() {
    let env = TestEnv::new();
    let run = env.folio(&["index", "no-such-folder", "--index", "ix", "--json"]);
    run.expect_failure().expect_stderr("no-such-folder").check(run.stdout.is_empty(), "no summary");
}

/// The message is said once: `folio: nope: note folder not found (…); name
/// an existing folder`, not that text twice over (the I/O error's source
/// was printed both in the message and again as its cause).
#[test]
fn missing_notes_folder_message_is_not_repeated() {
    let env = TestEnv::new();
    let run = env.folio(&["index", "no-such-folder", "--index", "ix"]);
    run.expect_failure()
        .check(run.stderr_lines().len() == 1, "one line on stderr")
        .check(run.stderr.matches("not found").count() == 1, "the cause is said once");
}

/// A failed `folio index` leaves nothing behind: no empty index that
/// `folio stats` then reports as a healthy index of 0 notes.
#[test]
fn missing_notes_folder_creates_no_index() {
    let env = TestEnv::new();
    env.folio(&["index", "no-such-folder", "--index", "ix"]).expect_failure();
    assert!(!env.path("ix").exists(), "a failed run should not create the index folder");
}

#[test]
fn stats_without_an_index_says_how_to_build_one() {
    let env = TestEnv::new();
    env.folio(&["stats", "--index", "ix"]).expect_failure().expect_stderr("folio index");
}

/// Writes `count` small notes in `dir`.
fn generate(env: &TestEnv, dir: &str, count: usize) {
    for i in 0..count {
        env.write(
            &format!("{dir}/note-{i:06}.md"),
            format!(
                "name: Note_{i}\ntitle: Note {i}\nauthor: Author {}\nyear: {}\n\n\
                 Prose about rivers, memory and walking, number {i}.\n\n\
                 > a quoted passage number {i}\n> <footer>p. {}</footer>\n",
                i % 97,
                1900 + i % 120,
                1 + i % 400
            ),
        );
    }
}

#[test]
fn a_second_writer_fails_fast_with_a_clear_message() {
    let env = TestEnv::new();
    let mut count = 3000;
    for attempt in 0..4 {
        let corpus = format!("corpus{attempt}");
        let ix = format!("ix{attempt}");
        generate(&env, &corpus, count);
        let args = ["index", corpus.as_str(), "--index", ix.as_str(), "--json"];
        let mut first = env.spawn(env.command(&args));
        // Wait until the first run holds the writer lock.
        let lock = env.path(&ix).join(".folio-writer.lock");
        while !lock.exists() && !first.finished() {
            std::thread::sleep(Duration::from_millis(1));
        }
        let second = env.folio(&args);
        let first = first.wait(TIMEOUT);
        if first.code() == Some(0) && second.code() == Some(0) {
            // The first was done before the second started: more notes.
            count *= 4;
            continue;
        }
        // Whichever got the lock second must fail fast and say why.
        let (winner, loser): (Run, Run) =
            if second.code() == Some(0) { (second, first) } else { (first, second) };
        winner.expect_code(0);
        loser
            .expect_failure()
            .expect_stderr("another folio process")
            .check(loser.stderr_lines().len() == 1, "one line on stderr")
            .check(loser.elapsed < Duration::from_secs(10), "fails fast")
            .check(loser.stdout.is_empty(), "no summary");
        // The index is intact and complete.
        let stats = stats(&env, &ix);
        assert_eq!(u64_of(&stats, "notes"), count as u64, "{stats:#}");
        assert_eq!(u64_of(&stats, "quotes"), count as u64, "{stats:#}");
        let summary = index(&env, &[corpus.as_str(), "--index", ix.as_str()]);
        assert_eq!(u64_of(&summary, "unchanged"), count as u64, "{summary:#}");
        return;
    }
    panic!("two `folio index` runs never overlapped, even with {count} notes");
}

/// Two first builds of the same new index at once: the loser must say the
/// index is busy, not fail with a raw I/O error (`creating an index in ix:
/// An IO error occurred: 'No such file or directory'`) because the other
/// run deleted or created files under it. Races are timing-dependent, so
/// this tries several rounds and stops at the first wrong outcome.
#[test]
fn concurrent_first_builds_agree_on_one_writer() {
    let env = TestEnv::new();
    let n = env.copy_seeds("notes") as u64;
    for round in 0..20 {
        let ix = format!("ix{round}");
        let args = ["index", "notes", "--index", ix.as_str(), "--json"];
        let first = env.spawn(env.command(&args));
        let second = env.folio(&args);
        let first = first.wait(TIMEOUT);
        for run in [&first, &second] {
            run.check(
                run.code() == Some(0) || run.stderr.contains("another folio process"),
                &format!("round {round}: succeeds, or fails saying the index is busy"),
            );
        }
        let stats = stats(&env, &ix);
        assert_eq!(u64_of(&stats, "notes"), n, "round {round}: {stats:#}");
    }
}

#[test]
fn folio_index_env_var_names_the_index() {
    let env = TestEnv::with_seeds();
    let n = env.copy_seeds("notes") as u64;
    let mut cmd = env.command(&["index", "notes", "--json"]);
    cmd.env("FOLIO_INDEX", "elsewhere/ix");
    let run = env.run(cmd);
    run.expect_code(0)
        .check(
            env.path("elsewhere/ix/folio-index").is_file(),
            "the index is where FOLIO_INDEX says",
        )
        .check(!env.path("index").exists(), "./index is not used");
    assert_eq!(u64_of(&run.json(), "notes"), n);

    let mut cmd = env.command(&["stats", "--json"]);
    cmd.env("FOLIO_INDEX", "elsewhere/ix");
    let run = env.run(cmd);
    run.expect_code(0);
    assert_eq!(u64_of(&run.json(), "notes"), n);

    // --index wins over FOLIO_INDEX.
    let mut cmd = env.command(&["index", "notes", "--index", "mine", "--json"]);
    cmd.env("FOLIO_INDEX", "elsewhere/ix");
    env.run(cmd).expect_code(0);
    assert!(env.path("mine/folio-index").is_file());
}

#[test]
fn defaults_are_dot_index_and_dot_seeds() {
    let env = TestEnv::with_seeds();
    let (n, quotes) = expected(&env.path("seeds"));
    let summary = index(&env, &[]);
    assert_eq!(u64_of(&summary, "notes"), n, "{summary:#}");
    assert_eq!(u64_of(&summary, "quotes"), quotes, "{summary:#}");
    assert!(env.path("index/folio-index").is_file(), "./index is used");

    let run = env.folio(&["stats", "--json"]);
    run.expect_code(0);
    let stats = run.json();
    assert_eq!(u64_of(&stats, "notes"), n, "{stats:#}");
}

#[test]
fn the_index_inside_the_notes_folder_is_not_indexed() {
    let env = TestEnv::new();
    let n = env.copy_seeds("notes") as u64;
    let summary = index(&env, &["notes", "--index", "notes/ix"]);
    assert_eq!(u64_of(&summary, "notes"), n, "{summary:#}");
    env.write("notes/ix/README.md", "stray\n");
    let summary = index(&env, &["notes", "--index", "notes/ix"]);
    assert_eq!(u64_of(&summary, "notes"), n, "{summary:#}");
    assert_eq!(u64_of(&summary, "added"), 0, "{summary:#}");
}
