//! Top-k searches that skip what cannot reach the top (block bounds,
//! `index::bounds`) return exactly the hits a search scoring every match
//! returns: `--count` scores every match, so both must agree, word by word,
//! for notes (with the quote join) and for quotes.

use folio::bench::generator::{self, Pools};
use serde_json::Value;

use crate::util::TestEnv;

/// Notes enough that common words hold more than the bounds' minimum of
/// documents in a segment, so their runs are read from the bound files.
const NOTES: usize = 3000;

fn search(env: &TestEnv, command: &str, query: &str, count: bool) -> Value {
    let mut args = vec![command, "--json", "--no-refresh", "-n", "10"];
    if count {
        args.push("--count");
    }
    // `query` may carry flags (`--year`) before its words.
    let (flags, words) = query.split_once(" -- ").unwrap_or(("", query));
    args.extend(flags.split_whitespace());
    args.push("--");
    args.extend(words.split_whitespace());
    let run = env.folio(&args);
    run.check(matches!(run.code(), Some(0 | 1)), "search exits 0 (hits) or 1 (none)");
    run.json()
}

/// Each hit's id and score, in order.
fn ranked(value: &Value) -> Vec<(String, f64)> {
    value["hits"]
        .as_array()
        .expect("hits is an array")
        .iter()
        .map(|h| {
            let id = h["id"].as_str().expect("a hit has an id").to_string();
            (id, h["score"].as_f64().expect("a hit has a score"))
        })
        .collect()
}

#[test]
fn skipping_what_cannot_reach_the_top_returns_the_hits_of_scoring_everything() {
    let env = TestEnv::new();
    let pools = Pools::new(7);
    for i in 0..NOTES {
        env.write(
            &format!("notes/{:02}/note-{i:05}.md", i / 100),
            generator::note(&pools, 7, i, 0),
        );
    }
    let run = env.folio(&["index", "notes"]);
    run.check(run.code() == Some(0), "the build succeeds");
    let bounds: Vec<_> = std::fs::read_dir(env.path("index"))
        .expect("the index folder")
        .flatten()
        .filter_map(|generation| std::fs::read_dir(generation.path().join("bounds")).ok())
        .flat_map(|files| files.flatten())
        .collect();
    assert!(!bounds.is_empty(), "the build wrote block bounds");

    // Common words (the bound files' runs), rarer ones (runs read at query
    // time), and words of titles (a high-scoring, sparse field).
    let words = generator::words();
    let mut queries: Vec<&str> = vec!["the", "of", "and", "memory", "light", "history"];
    queries.extend(words.iter().step_by(97).take(24));
    // Every word required, with and without a filter: scored in full
    // today, they must agree all the same.
    queries.extend([
        "memory light",
        "the of",
        "the and light",
        "--year 1950..2000 -- the",
        "--year 1980..2020 -- history",
        "--year 1900..1990 -- memory the",
    ]);
    let mut pruned = 0;
    for command in ["search", "quotes"] {
        for word in &queries {
            let top = search(&env, command, word, false);
            let all = search(&env, command, word, true);
            let (top_hits, all_hits) = (ranked(&top), ranked(&all));
            assert_eq!(top_hits.len(), all_hits.len(), "`folio {command} {word}`: as many hits");
            for (i, (a, b)) in top_hits.iter().zip(&all_hits).enumerate() {
                // Equal scores may come in another order; the scores may not.
                assert!(
                    (a.1 - b.1).abs() <= 1e-4 * b.1.abs().max(1.0),
                    "`folio {command} {word}` hit {i}: {a:?} against {b:?} scoring everything"
                );
            }
            let last = all_hits.last().map_or(0.0, |h| h.1);
            let clear = |hits: &[(String, f64)]| {
                // Hits scoring above the last place are the same hits.
                let mut ids: Vec<String> =
                    hits.iter().filter(|h| h.1 > last + 1e-4).map(|h| h.0.clone()).collect();
                ids.sort();
                ids
            };
            assert_eq!(clear(&top_hits), clear(&all_hits), "`folio {command} {word}`: same hits");
            if top["total_exact"] == Value::Bool(false) {
                pruned += 1;
            }
        }
    }
    assert!(pruned > 0, "some searches took the skipping path (their count is a lower bound)");
}

/// The bound files in the index's live generation, by name.
fn bound_files(env: &TestEnv) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(env.path("index"))
        .expect("the index folder")
        .flatten()
        .filter_map(|generation| std::fs::read_dir(generation.path().join("bounds")).ok())
        .flat_map(|files| files.flatten())
        .map(|file| file.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_refresh_with_nothing_to_write_still_gives_an_older_index_its_bounds() {
    let env = TestEnv::new();
    let pools = Pools::new(7);
    for i in 0..40 {
        env.write(&format!("notes/note-{i:03}.md"), generator::note(&pools, 7, i, 0));
    }
    let run = env.folio(&["index", "notes"]);
    run.check(run.code() == Some(0), "the build succeeds");
    let current = bound_files(&env);
    assert!(
        !current.is_empty() && current.iter().all(|name| name.ends_with(".bounds3")),
        "the build wrote bound files of the current layout: {current:?}"
    );

    // What an index written by the folio before block starts holds: the
    // same files under the older layout's name, which searches do not read.
    for generation in std::fs::read_dir(env.path("index")).expect("the index folder").flatten() {
        let folder = generation.path().join("bounds");
        for file in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let older = file.path().with_extension("bounds");
            std::fs::rename(file.path(), older).expect("the bound file is renamed");
        }
    }
    assert!(bound_files(&env).iter().all(|name| name.ends_with(".bounds")));

    let run = env.folio(&["index", "notes", "--json"]);
    run.check(run.code() == Some(0), "the refresh succeeds");
    assert_eq!(run.json()["committed"], Value::Bool(false), "no note changed: nothing committed");
    assert_eq!(
        bound_files(&env),
        current,
        "the refresh wrote the bounds again, and swept the older files"
    );
}
