//! Searches never fail while an index is being written, and always see a
//! committed state; a search that cannot refresh (another process holds the
//! writer lock) answers from the last commit and says so.
//! (Two `folio index` at once: `tests/cli/index.rs`.)

use std::time::{Duration, Instant};

use crate::small_note;
use crate::util::{TIMEOUT, TestEnv, u64_of};

fn write_notes(env: &TestEnv, dir: &str, range: std::ops::Range<usize>, version: u32) {
    for i in range {
        env.write(&format!("{dir}/note-{i:06}.md"), small_note(i, version));
    }
}

/// Runs searches and stats in a loop while `folio index ARGS` runs; every
/// search exits 0 or 1 and every count seen is one of `allowed`.
/// Returns how many searches ran while the build was still going.
fn search_while_indexing(env: &TestEnv, args: &[&str], allowed: &[u64]) -> usize {
    let mut build = env.spawn(env.command(args));
    // A first build shows nothing until it switches to its complete index.
    let live = env.path("ix").join("CURRENT");
    while !live.exists() && !build.finished() {
        std::thread::sleep(Duration::from_millis(1));
    }
    let started = Instant::now();
    let mut during = 0;
    let mut round = 0;
    loop {
        let running = !build.finished();
        // "memory" is in every note's quote: the hit count is the note count.
        let search = env.folio(&[
            "search",
            "--no-refresh",
            "--count",
            "--index",
            "ix",
            "--json",
            "-n",
            "1",
            "memory",
        ]);
        search.check(matches!(search.code(), Some(0 | 1)), "search answers during the build");
        let total = if search.code() == Some(0) { u64_of(&search.json(), "total") } else { 0 };
        search.check(
            allowed.contains(&total),
            &format!("search sees a committed state: {total} hits, expected one of {allowed:?}"),
        );
        if round % 4 == 3 {
            let stats = env.folio(&["stats", "--index", "ix", "--json"]);
            stats.expect_code(0);
            let notes = u64_of(&stats.json(), "notes");
            stats.check(allowed.contains(&notes), "stats sees a committed state");
        }
        round += 1;
        if running {
            during += 1;
        } else {
            break;
        }
        assert!(started.elapsed() < TIMEOUT, "the build never finished");
    }
    build.wait(TIMEOUT).expect_code(0);
    during
}

#[test]
fn searches_during_a_build_and_an_update_never_fail() {
    let env = TestEnv::new();
    let n = 1500;
    write_notes(&env, "notes", 0..n, 0);
    let args = ["index", "notes", "--index", "ix", "--json", "--threads", "1"];
    // A first build: the empty index, then all notes.
    let during = search_while_indexing(&env, &args, &[0, n as u64]);
    eprintln!("{during} searches during the first build");

    // An update that rewrites a third, deletes 200 and adds 100 notes.
    for i in (0..n).step_by(3) {
        env.write(&format!("notes/note-{i:06}.md"), small_note(i, 1));
    }
    for i in 0..200 {
        std::fs::remove_file(env.path(&format!("notes/note-{:06}.md", i * 7))).expect("remove");
    }
    write_notes(&env, "notes", n..n + 100, 0);
    let during = search_while_indexing(&env, &args, &[n as u64, n as u64 - 100]);
    eprintln!("{during} searches during the update");
}

#[test]
fn search_while_another_process_writes_answers_from_the_last_commit() {
    let env = TestEnv::new();
    write_notes(&env, "notes", 0..20, 0);
    env.folio(&["index", "notes", "--index", "ix"]).expect_code(0);
    env.write("notes/new.md", "title: New\n\nA zyzzyva walked in.\n");

    // This test process holds the writer lock, as a running `folio index` would.
    let ix = folio::index::FolioIndex::open(&env.path("ix")).expect("open the index");
    let writer = ix.writer::<tantivy::TantivyDocument>(1, 15).expect("take the writer lock");
    let started = Instant::now();
    env.folio(&["search", "--index", "ix", "zyzzyva"])
        .expect_code(1)
        .expect_stderr("searching its last commit");
    env.folio(&["search", "--index", "ix", "memory"])
        .expect_code(0)
        .expect_stderr("searching its last commit");
    assert!(started.elapsed() < Duration::from_secs(30), "no waiting for the lock");
    drop(writer);

    // With the lock free, the search refreshes first and finds the new note.
    let run = env.folio(&["search", "--index", "ix", "zyzzyva"]);
    run.expect_code(0).check(!run.stderr.contains("last commit"), "no notice once free");
}
