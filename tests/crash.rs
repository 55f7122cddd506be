//! Crash safety: `folio index` killed with SIGKILL at random moments never
//! leaves an index that cannot be opened, never shows a half-written state,
//! and the next run completes (RELIABILITY.md, "A crash loses at most the
//! current run").
//!
//! One test, 20 rounds over a generated corpus of a few thousand notes. Each
//! round sets up one kind of run (a first build in a new folder, an update
//! after notes were added, changed and deleted, a `--rebuild`), starts it,
//! SIGKILLs it after a random delay, then checks:
//!
//! 1. `folio stats --json` opens the index (exit 0);
//! 2. `folio search --no-refresh` answers (exit 0 or 1, never 2);
//! 3. the (notes, quotes) counts are those of a committed state: the state
//!    before the run, the state after it, or, for a first build or a
//!    rebuild, the empty index (or none yet: then `stats` says to run
//!    `folio index`); never a mix;
//! 4. the next `folio index` completes with the full count of the corpus.
//!
//! The delays are random; the seed is printed and `FOLIO_CRASH_SEED=N`
//! replays a run.

#[allow(dead_code)]
#[path = "cli/util.rs"]
mod util;

use std::path::Path;
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use folio::bench::generator::{self, Rng};
use util::{TestEnv, u64_of};

/// Notes in the corpus at the start.
const NOTES: usize = 3_000;
/// Corpus seed (the notes' content; not the kill times).
const CORPUS_SEED: u64 = 20;
const ROUNDS: usize = 20;

/// (notes, quotes) of a committed state.
type Counts = (u64, u64);

fn index_cmd(env: &TestEnv, ix: &str, extra: &[&str]) -> std::process::Command {
    let mut args = vec!["index", "notes", "--index", ix, "--json", "--threads", "2"];
    args.extend_from_slice(extra);
    env.command(&args)
}

/// Runs `folio index` to completion; its counts and how long it took.
#[track_caller]
fn complete(env: &TestEnv, ix: &str) -> (Counts, Duration) {
    let run = env.run(index_cmd(env, ix, &[]));
    run.expect_code(0);
    let json = run.json();
    run.check(json["failed"].as_array().is_some_and(|f| f.is_empty()), "no failures");
    ((u64_of(&json, "notes"), u64_of(&json, "quotes")), run.elapsed)
}

/// What the index shows after a kill; `None` when there is no index yet
/// (killed before it wrote its marker).
#[track_caller]
fn observe(env: &TestEnv, ix: &str, round: usize) -> Option<Counts> {
    let stats = env.folio(&["stats", "--index", ix, "--json"]);
    // A first build killed before it switched to its complete index: no
    // index, and stats says how to build one.
    if !env.path(ix).join("CURRENT").exists() {
        stats.expect_code(2).expect_stderr("run `folio index`");
        return None;
    }
    stats.check(stats.code() == Some(0), &format!("round {round}: stats opens the index"));
    let json = stats.json();
    let counts = (u64_of(&json, "notes"), u64_of(&json, "quotes"));
    for query in ["memory", "the river walk", "\"memory palace\"", "zzzunfindable"] {
        let search = env.folio(&["search", "--no-refresh", "--index", ix, "--json", query]);
        search.check(
            matches!(search.code(), Some(0 | 1)),
            &format!("round {round}: search answers (exit 0 or 1)"),
        );
        if counts.0 == 0 {
            search.check(search.code() == Some(1), "an empty index has no hits");
        }
    }
    Some(counts)
}

/// Note files under `dir`.
fn count_notes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .expect("read the corpus")
        .filter(|e| e.as_ref().is_ok_and(|e| e.path().extension().is_some_and(|x| x == "md")))
        .count() as u64
}

/// A small note (a few hundred bytes: a header, prose, one or two quotes);
/// `version` changes its words. Small notes keep a debug build of a few
/// thousand of them at a couple of seconds, so 20 rounds stay fast.
fn note(i: usize, version: u32) -> String {
    let words = generator::words();
    let mut rng = Rng::new(CORPUS_SEED, (i as u64) | (u64::from(version) << 40));
    let mut pick = |n: usize| -> String {
        (0..n).map(|_| words[rng.below(words.len().min(3000))]).collect::<Vec<_>>().join(" ")
    };
    let title = pick(3);
    let prose = pick(40);
    let quote = pick(20);
    let more = pick(25);
    format!(
        "title: {title}\nauthor: Author {}\nyear: {}\n\n{prose} (p. {}).\n\n\
         > {quote}\n> <footer>p. {}</footer>\n\n{more}\n\n> memory river walk {i}\n",
        i % 97,
        1900 + i % 120,
        1 + i % 300,
        1 + i % 400,
    )
}

fn note_path(notes: &Path, i: usize) -> std::path::PathBuf {
    notes.join(format!("note-{i:06}.md"))
}

/// Adds, changes and deletes notes so the next update has work to do and
/// ends with counts different from the current ones.
fn churn(notes: &Path, rng: &mut Rng, next_new: &mut usize, round: usize) {
    let total = *next_new;
    // Delete ~3%, rewrite ~40%, add ~1%.
    for _ in 0..total / 33 {
        let _ = std::fs::remove_file(note_path(notes, rng.below(total)));
    }
    for i in (rng.below(2)..total).step_by(2 + rng.below(2)) {
        let path = note_path(notes, i);
        if path.exists() {
            std::fs::write(path, note(i, round as u32 + 1)).expect("rewrite a note");
        }
    }
    for _ in 0..total / 100 {
        std::fs::write(note_path(notes, *next_new), note(*next_new, 0)).expect("add a note");
        *next_new += 1;
    }
}

/// The seed of the kill times: `FOLIO_CRASH_SEED`, else the clock.
fn kill_seed() -> u64 {
    std::env::var("FOLIO_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
    })
}

/// Writes the [`NOTES`] notes of the corpus into `notes/` of `env`.
fn write_corpus(env: &TestEnv) -> std::path::PathBuf {
    let notes = env.path("notes");
    std::fs::create_dir_all(&notes).expect("create the corpus folder");
    for i in 0..NOTES {
        std::fs::write(note_path(&notes, i), note(i, 0)).expect("write a note");
    }
    notes
}

/// The kill tests aim their kills from how long a run took a moment ago:
/// run side by side, each one's builds slowed the others' and the aim
/// drifted (a run of `cargo test` saw most kills land after the end). One
/// at a time, what they measure holds.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[test]
fn sigkill_at_random_moments_never_breaks_the_index() {
    let _alone = one_at_a_time();
    let started = Instant::now();
    let seed = kill_seed();
    eprintln!("crash test seed: FOLIO_CRASH_SEED={seed}");
    let mut rng = Rng::new(seed, 0);

    let env = TestEnv::new();
    let notes = write_corpus(&env);
    let mut next_new = NOTES;

    let (mut committed, mut full_build) = complete(&env, "ix");
    assert_eq!(committed.0, NOTES as u64, "the first build indexes every note");
    eprintln!("full build of {NOTES} notes: {full_build:?}");
    // How long an update takes, measured on one churn before the kills (and
    // kept current on the way); kill delays spread over the expected length
    // of each kind of run.
    churn(&notes, &mut rng, &mut next_new, 0);
    let (counts, mut update_run) = complete(&env, "ix");
    committed = counts;

    let mut outcomes = Vec::new();
    let mut round = 0;
    // At least ROUNDS rounds, and more (up to three times as many) while
    // fewer than half the kills landed mid-run: a run that ends before its
    // kill tests nothing, and on a machine faster or quieter than the one
    // the first timing came from, the first aims fall late.
    while round < ROUNDS || (mid_run(&outcomes) < ROUNDS / 2 && round < 3 * ROUNDS) {
        // (index folder, extra args, states the kill may leave besides
        // `before` and `after`)
        let (ix, extra, empty_ok): (String, &[&str], bool) = match round % 5 {
            0 => (format!("fresh{round}"), &[], true),
            1..=3 => {
                churn(&notes, &mut rng, &mut next_new, round);
                ("ix".to_string(), &[], false)
            }
            // A rebuild builds aside: the old index or the new, never empty.
            _ => ("ix".to_string(), &["--rebuild"], false),
        };
        let before = if ix == "ix" { Some(committed) } else { None };
        // Kill anywhere from "just started" to "about done".
        let expected_run = if extra.is_empty() && ix == "ix" { update_run } else { full_build };
        let delay = Duration::from_secs_f64(expected_run.as_secs_f64() * rng.unit() * 1.1);
        let mut child = index_cmd(&env, &ix, extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start folio index");
        let finished_in = wait_at_most(&mut child, delay);
        let finished_first = finished_in.is_some();
        if let Some(took) = finished_in {
            // The run was shorter than thought (a warm page cache, a quieter
            // machine): aim at what it really took next time.
            if extra.is_empty() && ix == "ix" {
                update_run = took;
            } else {
                full_build = took;
            }
        }
        // `Child::kill` is SIGKILL on Unix: no destructor, no flush, no commit.
        let _ = child.kill();
        let killed = child.wait_with_output().expect("collect the killed run");
        let killed = String::from_utf8_lossy(&killed.stderr).into_owned();
        assert!(!killed.contains("panicked"), "round {round}: folio panicked\n{killed}");
        let seen = observe(&env, &ix, round);

        let (after, took) = complete(&env, &ix);
        if extra.is_empty() && ix == "ix" && seen == before {
            update_run = took;
        }
        let expected = count_notes(&notes);
        assert_eq!(after.0, expected, "round {round}: the next run indexes the full corpus");
        if ix == "ix" {
            committed = after;
        }

        let fine = match seen {
            None => empty_ok,
            Some(c) => Some(c) == before || c == after || (empty_ok && c == (0, 0)),
        };
        assert!(
            fine,
            "round {round} (seed {seed}): after a kill at {delay:?} the index shows {seen:?}, \
             which is no committed state (before {before:?}, after {after:?})\n\
             stderr of the killed run:\n{killed}"
        );
        outcomes.push(match (finished_first, seen) {
            (true, _) => "done",
            (false, None) => "no index",
            (false, Some(c)) if Some(c) == before => "before",
            (false, Some(c)) if c == after => "after",
            (false, Some(_)) => "empty",
        });
        round += 1;
    }
    eprintln!("kill outcomes: {outcomes:?} in {:?}", started.elapsed());
    assert!(mid_run(&outcomes) >= ROUNDS / 2, "most kills should land mid-run: {outcomes:?}");
}

/// Kills that landed before the run ended.
fn mid_run(outcomes: &[&str]) -> usize {
    outcomes.iter().filter(|o| **o != "done").count()
}

/// Waits for `child` to exit, at most `delay`; how long it ran when it
/// exited first. Polled, so an early exit is timed to a few milliseconds
/// and the next kill can be aimed inside the run.
fn wait_at_most(child: &mut std::process::Child, delay: Duration) -> Option<Duration> {
    let started = Instant::now();
    loop {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return Some(started.elapsed());
        }
        let left = delay.saturating_sub(started.elapsed());
        if left.is_zero() {
            return None;
        }
        std::thread::sleep(left.min(Duration::from_millis(5)));
    }
}

/// Copies the files of folder `from` into `to`, with its generation folders.
fn copy_files(from: &Path, to: &Path, overwrite: bool) {
    std::fs::create_dir_all(to).expect("create a folder");
    for entry in std::fs::read_dir(from).expect("read a folder") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("a file name"));
        if path.is_dir() {
            copy_files(&path, &target, overwrite);
        } else if path.is_file() && (overwrite || !target.exists()) {
            std::fs::copy(&path, &target).expect("copy a file");
        }
    }
}

/// The live generation folder of an index folder.
fn live(ix: &Path) -> std::path::PathBuf {
    let name = std::fs::read_to_string(ix.join("CURRENT")).expect("read CURRENT");
    ix.join(name.trim())
}

/// Found by the test above: a run killed during its commit, after Tantivy
/// wrote the new `<segment>.<opstamp>.del` files but before `meta.json`,
/// left an index whose every later update failed with "committing: …
/// FileAlreadyExists(\"….del\")", because the retry redoes the same
/// operations, reaches the same opstamp and names its files the same. This
/// rebuilds that state exactly: the files of both commits, with the first
/// commit's `meta.json`.
#[test]
fn an_update_after_a_kill_during_commit_completes() {
    let _alone = one_at_a_time();
    let env = TestEnv::new();
    let notes = env.path("notes");
    std::fs::create_dir_all(&notes).expect("create the corpus folder");
    for i in 0..300 {
        std::fs::write(note_path(&notes, i), note(i, 0)).expect("write a note");
    }
    let (before, _) = complete(&env, "ix");
    let committed = env.path("committed");
    copy_files(&env.path("ix"), &committed, true);

    // An update with deletes (changed and removed notes) and additions.
    for i in (0..300).step_by(3) {
        std::fs::write(note_path(&notes, i), note(i, 1)).expect("rewrite a note");
    }
    std::fs::remove_file(note_path(&notes, 1)).expect("remove a note");
    let (after, _) = complete(&env, "ix");

    // The killed run's state: its files are all there, but `meta.json` (and
    // the files only it refers to) are the previous commit's.
    let crashed = env.path("crashed");
    copy_files(&env.path("ix"), &crashed, true);
    copy_files(&committed, &crashed, false);
    std::fs::copy(live(&committed).join("meta.json"), live(&crashed).join("meta.json"))
        .expect("copy meta");
    let stats = env.folio(&["stats", "--index", "crashed", "--json"]).expect_code(0).json();
    assert_eq!((u64_of(&stats, "notes"), u64_of(&stats, "quotes")), before, "{stats:#}");

    let (redone, _) = complete(&env, "crashed");
    assert_eq!(redone, after, "the redone update reaches the same counts");
    let (again, _) = complete(&env, "crashed");
    assert_eq!(again, after);
}

/// Kills per kind of run in [`kills_during_rebuilds_and_upgrades`]:
/// `FOLIO_CRASH_KILLS=50` for the figures in RELIABILITY.md.
fn kills() -> usize {
    std::env::var("FOLIO_CRASH_KILLS").ok().and_then(|s| s.parse().ok()).unwrap_or(5)
}

/// Generation folders and temporary files in an index folder.
fn leftovers(ix: &Path) -> Vec<String> {
    let live = std::fs::read_to_string(ix.join("CURRENT")).unwrap_or_default();
    std::fs::read_dir(ix)
        .expect("read the index folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| (n.starts_with("gen-") && n != live.trim()) || n.ends_with(".tmp"))
        .collect()
}

/// The format number in the live generation's marker.
fn live_format(ix: &Path) -> u32 {
    let marker = std::fs::read_to_string(live(ix).join("folio-index")).expect("read the marker");
    marker.trim().trim_start_matches("folio index format ").parse().expect("a format")
}

/// Hits for "memory" (in every note's last quote) with `--count`, or
/// `None` when the search failed.
fn memory_hits(env: &TestEnv, ix: &str) -> Option<u64> {
    let run = env.folio(&["search", "--no-refresh", "--count", "--index", ix, "--json", "memory"]);
    (run.code() == Some(0)).then(|| u64_of(&run.json(), "total"))
}

/// SIGKILL at random moments of `--rebuild` and of an automatic upgrade.
/// During a rebuild, searches in other processes run all along and every
/// one answers from a complete index: the old one until the switch, the new
/// one after. After each kill the live index is the old one or the new
/// one, never empty or partial, and the next run completes and deletes
/// what the killed one left.
#[test]
fn kills_during_rebuilds_and_upgrades() {
    let _alone = one_at_a_time();
    let started = Instant::now();
    let seed = kill_seed();
    eprintln!("rebuild kill test seed: FOLIO_CRASH_SEED={seed}");
    let mut rng = Rng::new(seed, 1);
    let env = TestEnv::new();
    let notes = write_corpus(&env);
    complete(&env, "ix");
    let ix = env.path("ix");
    let format = live_format(&ix);
    // How long a rebuild takes, to spread the kills over it.
    let timed = env.run(index_cmd(&env, "ix", &["--rebuild"]));
    timed.expect_code(0);
    let mut full = timed.elapsed;
    let mut next_new = NOTES;
    let mut outcomes: Vec<(&str, &str)> = Vec::new();
    let mut searches_during = 0;

    for (kind, extra) in [("rebuild", &["--rebuild"][..]), ("upgrade", &[])] {
        let mut round = 0;
        // As in the test above: more rounds while most kills fell after
        // the run's end.
        let landed = |outcomes: &[(&str, &str)]| {
            outcomes.iter().filter(|o| o.0 == kind && o.1 != "done").count()
        };
        while round < kills() || (landed(&outcomes) < kills() / 2 && round < 3 * kills()) {
            round += 1;
            // The old index has fewer notes than the folder now holds.
            for _ in 0..5 {
                std::fs::write(note_path(&notes, next_new), note(next_new, 0)).expect("add");
                next_new += 1;
            }
            let old_gen = live(&ix);
            let old_hits = memory_hits(&env, "ix").expect("the old index answers");
            let new_hits = count_notes(&notes);
            if kind == "upgrade" {
                std::fs::write(
                    old_gen.join("folio-index"),
                    format!("folio index format {}\n", format - 1),
                )
                .expect("fake an older format");
            }
            let delay = Duration::from_secs_f64(full.as_secs_f64() * rng.unit() * 1.2);
            let mut child = if kind == "upgrade" {
                // The upgrade as a reader meets it: a search.
                let mut args = vec!["search", "--index", "ix", "--json", "memory"];
                args.extend_from_slice(extra);
                env.command(&args)
            } else {
                index_cmd(&env, "ix", extra)
            }
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start folio");
            let t0 = Instant::now();
            let mut seen = Vec::new();
            // Searches alongside a rebuild (an index of an older format
            // cannot be read by this folio, so not during an upgrade).
            while t0.elapsed() < delay {
                if kind == "rebuild" {
                    seen.push(memory_hits(&env, "ix"));
                } else {
                    std::thread::sleep(Duration::from_millis(2));
                }
                if matches!(child.try_wait(), Ok(Some(_))) {
                    break;
                }
            }
            let finished = matches!(child.try_wait(), Ok(Some(_)));
            if finished {
                full = t0.elapsed();
            }
            let _ = child.kill();
            let _ = child.wait();
            searches_during += seen.len();
            for hits in &seen {
                assert!(
                    *hits == Some(old_hits) || *hits == Some(new_hits),
                    "{kind} {round} (seed {seed}): a search during the run saw {hits:?}, \
                     neither the old index ({old_hits}) nor the new ({new_hits})"
                );
            }
            // After the kill: the old generation, untouched, or the new one,
            // complete.
            let now = live(&ix);
            let outcome = if now == old_gen {
                if kind == "upgrade" {
                    assert_eq!(live_format(&ix), format - 1, "{kind} {round}: the old index");
                    std::fs::write(
                        now.join("folio-index"),
                        format!("folio index format {format}\n"),
                    )
                    .expect("restore the format to read it");
                }
                assert_eq!(memory_hits(&env, "ix"), Some(old_hits), "{kind} {round}: old index");
                "old"
            } else {
                assert_eq!(live_format(&ix), format, "{kind} {round}: the new index's format");
                assert_eq!(memory_hits(&env, "ix"), Some(new_hits), "{kind} {round}: new index");
                "new"
            };
            let outcome = if finished { "done" } else { outcome };
            outcomes.push((kind, outcome));
            // The next writer completes and deletes the leftovers.
            let (counts, _) = complete(&env, "ix");
            assert_eq!(counts.0, new_hits, "{kind} {round}: the next run has every note");
            assert_eq!(leftovers(&ix), Vec::<String>::new(), "{kind} {round}: leftovers");
        }
    }
    eprintln!(
        "rebuild and upgrade kill outcomes: {outcomes:?}; {searches_during} searches during \
         the rebuilds, each from a complete index; {:?}",
        started.elapsed()
    );
    let mid_run = outcomes.iter().filter(|o| o.1 != "done").count();
    assert!(mid_run >= outcomes.len() / 2, "most kills should land mid-run: {outcomes:?}");
}
