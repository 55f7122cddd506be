//! `folio search` and `folio quotes` on the seed notes: every query form,
//! filters, fallbacks, highlights, the JSON contract, exit statuses.

use std::process::Stdio;

use serde_json::Value;

use crate::util::TestEnv;

/// Runs a search with `--json` and returns the decoded object.
#[track_caller]
fn json(env: &TestEnv, command: &str, query: &[&str]) -> Value {
    // Flags first and `--` before the query, so `-word` is a query word.
    let mut args = vec![command, "--json", "--"];
    args.extend_from_slice(query);
    let run = env.folio(&args);
    run.check(matches!(run.code(), Some(0 | 1)), "search exits 0 (hits) or 1 (none)");
    run.json()
}

fn hits(value: &Value) -> &Vec<Value> {
    value["hits"].as_array().expect("hits is an array")
}

/// The highlighted substrings of `text` (character offsets).
fn highlighted(text: &str, highlights: &Value) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    highlights
        .as_array()
        .expect("highlights is an array")
        .iter()
        .map(|pair| {
            let start = pair[0].as_u64().expect("start") as usize;
            let end = pair[1].as_u64().expect("end") as usize;
            assert!(start < end && end <= chars.len(), "highlight {pair} out of {text:?}");
            chars[start..end].iter().collect()
        })
        .collect()
}

fn paths(value: &Value) -> Vec<String> {
    // JSON carries absolute paths (as `folio serve` does); the tests name
    // files relative to their temporary folder.
    hits(value)
        .iter()
        .map(|h| {
            let path = h["path"].as_str().unwrap_or("");
            assert!(std::path::Path::new(path).is_absolute(), "JSON paths are absolute: {path}");
            let relative =
                path.split_once("/folio-test-").and_then(|(_, rest)| rest.split_once('/'));
            relative.map_or(path, |(_, relative)| relative).to_string()
        })
        .collect()
}

#[test]
fn first_command_of_the_readme_builds_the_index_and_finds_the_seed_quote() {
    let env = TestEnv::with_seeds();
    let run = env.folio(&["quotes", "stateful"]);
    run.expect_code(0);
    let first = run.stdout.lines().next().unwrap_or("");
    run.check(
        first.contains("when a new node starts, it must load all stateful components"),
        "quote first",
    );
    run.check(run.stdout.contains("p.52"), "its page reference");
    run.check(run.stdout.contains("seeds/000_51aab255d746149c.txt:44"), "its file and line");
    run.check(!run.stdout.contains('\x1b'), "no colour when piped");
    run.check(env.path("index/CURRENT").is_file(), "the index was built in ./index");
}

#[test]
fn quote_hits_follow_the_json_contract() {
    let env = TestEnv::with_seeds();
    let value = json(&env, "quotes", &["stateful"]);
    assert_eq!(value["query"], "stateful");
    assert_eq!(value["matching"], "all");
    assert!(value["total"].as_u64() >= Some(1));
    let hit = &hits(&value)[0];
    assert_eq!(hit["kind"], "quote");
    for key in ["path", "line", "text", "highlights", "reference", "note", "score"] {
        assert!(hit.get(key).is_some(), "quote hit lacks {key}: {hit:#}");
    }
    assert_eq!(hit["line"], 44);
    assert_eq!(hit["reference"]["display"], "p.52");
    assert_eq!(hit["reference"]["kind"], "page");
    assert_eq!(hit["reference"]["pages"], serde_json::json!([52, 52]));
    assert_eq!(hit["note"]["titles"][0]["text"], "Designing Event-Driven Systems");
    assert_eq!(hit["note"]["authors"][0], "Ben Stopford");
    assert_eq!(hit["note"]["year"], 2018);
    let text = hit["text"].as_str().expect("text");
    assert_eq!(highlighted(text, &hit["highlights"]), ["stateful"]);
}

#[test]
fn note_hits_follow_the_json_contract_and_carry_the_snippet_page() {
    let env = TestEnv::with_seeds();
    let value = json(&env, "search", &["blunderbuss"]);
    let hit = &hits(&value)[0];
    assert_eq!(hit["kind"], "note");
    for key in [
        "path",
        "name",
        "titles",
        "authors",
        "year",
        "score",
        "snippet",
        "reference",
        "matching_quotes",
    ] {
        assert!(hit.get(key).is_some(), "note hit lacks {key}: {hit:#}");
    }
    let snippet = hit["snippet"]["text"].as_str().expect("snippet text");
    assert!(snippet.chars().count() <= 200, "snippet over 200 characters: {snippet:?}");
    assert_eq!(highlighted(snippet, &hit["snippet"]["highlights"]), ["blunderbuss"]);
    assert_eq!(hit["reference"]["display"], "p. 55", "the inline page of the passage");
    assert_eq!(hit["reference"]["pages"], serde_json::json!([55, 55]));
}

#[test]
fn a_note_hit_inside_a_quote_carries_the_quote_page_and_counts_matching_quotes() {
    let env = TestEnv::with_seeds();
    let value = json(&env, "search", &["stateful"]);
    let hit = &hits(&value)[0];
    assert!(hit["path"].as_str().unwrap_or("").ends_with("000_51aab255d746149c.txt"));
    assert_eq!(hit["reference"]["display"], "p.52");
    assert_eq!(hit["matching_quotes"], 1);
    let text = hit["snippet"]["text"].as_str().expect("snippet");
    assert!(text.contains("stateful components"), "{text}");
}

#[test]
fn a_phrase_highlights_the_phrase_only() {
    let env = TestEnv::with_seeds();
    let value = json(&env, "search", &[r#""the map is not the territory""#]);
    assert!(hits(&value).len() >= 3, "several notes quote the phrase: {value:#}");
    for hit in hits(&value) {
        let text = hit["snippet"]["text"].as_str().expect("snippet");
        let marked = highlighted(text, &hit["snippet"]["highlights"]);
        assert!(!marked.is_empty(), "{text}");
        for m in marked {
            assert_eq!(m.to_lowercase(), "the map is not the territory", "in {text:?}");
        }
    }
}

#[test]
fn fields_exclusion_and_or() {
    let env = TestEnv::with_seeds();
    let value = json(&env, "search", &["author:thoreau"]);
    assert_eq!(paths(&value), ["seeds/walking.md"]);

    let value = json(&env, "search", &["title:meditations"]);
    assert_eq!(paths(&value), ["seeds/Books_2019-02-11.md"]);

    let with = json(&env, "search", &["map"]);
    let without = json(&env, "search", &["map", "-territory"]);
    assert!(hits(&without).len() < hits(&with).len(), "exclusion removes hits");
    for path in paths(&without) {
        let text = std::fs::read_to_string(env.path(&path)).expect("read hit");
        assert!(!text.to_lowercase().contains("territory"), "{path} has the excluded word");
    }

    let value = json(&env, "search", &["kafka", "OR", "baudelaire"]);
    let found = paths(&value);
    assert!(found.contains(&"seeds/000_51aab255d746149c.txt".to_string()), "{found:?}");
    assert!(found.contains(&"seeds/Books_2016-04-09.md".to_string()), "{found:?}");

    // A quote's book title counts too: `river` may be in the title.
    let run =
        env.folio(&["quotes", "--json", "--limit", "3", "--", "(river", "OR", "rivers)", "time"]);
    let value = run.json();
    assert_eq!(value["matching"], "all");
    assert_eq!(hits(&value).len(), 3);
    for hit in hits(&value) {
        let text = hit["text"].as_str().expect("text").to_lowercase();
        let title = hit["note"]["titles"][0]["text"].as_str().expect("title").to_lowercase();
        assert!(
            (text.contains("river") || title.contains("river")) && text.contains("time"),
            "{hit:#}"
        );
    }
}

#[test]
fn all_words_first_then_any_word() {
    let env = TestEnv::with_seeds();
    // No note mentions both: the search falls back to any word and says so.
    let value = json(&env, "search", &["kafka", "baudelaire"]);
    assert_eq!(value["matching"], "any");
    assert_eq!(hits(&value).len(), 2);
    // Both words in one note: that note first, then notes with one word.
    let value = json(&env, "search", &["river", "entropy"]);
    let first = &hits(&value)[0];
    let text =
        std::fs::read_to_string(env.path(first["path"].as_str().unwrap_or(""))).expect("read");
    let text = text.to_lowercase();
    assert!(text.contains("river") && text.contains("entropy"), "all-word hit first: {first:#}");
    assert_eq!(value["matching"], "any", "filled with any-word hits");
}

#[test]
fn typos_get_near_matches_ranked_after_exact_ones_and_still_highlighted() {
    let env = TestEnv::with_seeds();
    let run = env.folio(&["search", "kafak", "--json"]);
    run.expect_code(0).expect_stderr("no exact match; showing near matches for “kafak”");
    let value = run.json();
    assert_eq!(value["matching"], "fuzzy");
    let hit = &hits(&value)[0];
    let text = hit["snippet"]["text"].as_str().expect("snippet");
    let marked = highlighted(text, &hit["snippet"]["highlights"]);
    assert!(marked.iter().all(|m| m == "Kafka") && !marked.is_empty(), "{marked:?}");

    // --fuzzy adds near matches after the exact ones, which keep their order.
    let texts = |value: &Value| -> Vec<String> {
        hits(value).iter().map(|h| h["text"].as_str().unwrap_or("").to_string()).collect()
    };
    let exact = texts(&json(&env, "quotes", &["memory"]));
    let with_near = texts(&env.folio(&["quotes", "--fuzzy", "--json", "memory"]).json());
    assert!(with_near.len() > exact.len(), "--fuzzy adds near matches: {with_near:#?}");
    assert_eq!(with_near[..exact.len()], exact[..], "exact hits first, in order");
}

#[test]
fn filters_as_flags_and_as_syntax() {
    let env = TestEnv::with_seeds();
    let value = env.folio(&["search", "river", "--year", "2010..2016", "--json"]).json();
    assert!(!hits(&value).is_empty());
    for hit in hits(&value) {
        let year = hit["year"].as_u64().expect("year");
        assert!((2010..=2016).contains(&year), "{hit:#}");
    }
    let syntax = json(&env, "search", &["river", "year:2010..2016"]);
    assert_eq!(paths(&syntax), paths(&value), "flag and syntax agree");

    let value = env.folio(&["quotes", "time", "--author", "aurelius", "--json"]).json();
    assert!(!hits(&value).is_empty());
    for hit in hits(&value) {
        assert_eq!(hit["note"]["authors"][0], "Marcus Aurelius");
    }

    let value = env.folio(&["quotes", "the", "--page", "50..60", "--json"]).json();
    assert!(!hits(&value).is_empty());
    for hit in hits(&value) {
        let pages = &hit["reference"]["pages"];
        let (first, last) = (pages[0].as_u64().unwrap_or(0), pages[1].as_u64().unwrap_or(0));
        assert!(first <= 60 && last >= 50, "{hit:#}");
    }
    let syntax = json(&env, "quotes", &["the", "page:50..60"]);
    assert_eq!(paths(&syntax), paths(&value));

    let tagged = env.folio(&["search", "the", "--tag", "stoicism", "--json"]).json();
    assert_eq!(paths(&tagged), ["seeds/Books_2019-02-11.md"]);
    let run = env.folio(&["search", "x", "--year", "soon"]);
    run.expect_code(2).expect_stderr("--year soon");
}

#[test]
fn no_query_text_is_an_error() {
    let env = TestEnv::with_seeds();
    let long = "stateful systems and ".repeat(500);
    let nested = "(".repeat(3000);
    let queries = [
        r#"what's "stateful"#,
        "0-dimensional biomaterials (show) inductive properties.",
        "author:",
        "-",
        r#""""#,
        "title:(",
        "unknownfield:value",
        "year:[2010 TO 2020] river",
        long.as_str(),
        nested.as_str(),
    ];
    for query in queries {
        let run = env.folio(&["quotes", "--", query]);
        run.check(matches!(run.code(), Some(0 | 1)), &format!("{query:.40}: exit 0 or 1"));
        run.check(!run.stderr.contains("panicked"), "no panic");
    }
    let run = env.folio(&["quotes", "--", r#"what's "stateful"#]);
    run.expect_code(0).expect_stderr("searched as plain words");
    run.check(run.stdout.contains("stateful components"), "the words were still searched");
}

#[test]
fn exit_status_is_1_without_hits_and_0_on_a_closed_pipe() {
    let env = TestEnv::with_seeds();
    let run = env.folio(&["search", "xylophonequartz"]);
    run.expect_code(1);

    let mut cmd = env.command(&["quotes", "the", "--limit", "50"]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("start folio");
    drop(child.stdout.take()); // the reader is gone before folio writes
    let output = child.wait_with_output().expect("wait for folio");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "closed pipe exits 0; stderr: {stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{stderr}");
}

#[test]
fn searches_bring_the_index_up_to_date_unless_told_not_to() {
    let env = TestEnv::with_seeds();
    env.folio(&["search", "stateful"]).expect_code(0);
    env.write(
        "seeds/new-note.md",
        "title: Zebra Crossings\nauthor: A. Walker\n\n> zebras cross at dawn\n> <footer>p. 9</footer>\n",
    );
    env.folio(&["quotes", "zebras", "--no-refresh"]).expect_code(1);
    let value = json(&env, "quotes", &["zebras"]);
    assert_eq!(hits(&value)[0]["reference"]["display"], "p. 9");
}

#[test]
fn no_refresh_without_an_index_says_how_to_build_one() {
    let env = TestEnv::with_seeds();
    let run = env.folio(&["search", "stateful", "--no-refresh"]);
    run.expect_code(2).expect_stderr("folio index");
}

/// A note with `quotes` quotes; the last one holds `word`, the prose holds
/// `prose_word`.
fn note_with_quotes(i: usize, quotes: usize, word: &str, prose_word: &str) -> String {
    let mut text = format!("title: Book {i}\nauthor: Writer {i}\n\nShared prose {prose_word}.\n");
    for q in 0..quotes {
        let marker = if q + 1 == quotes { word.to_string() } else { format!("filler{q}") };
        text.push_str(&format!(
            "\n> Quote {q} of this book, {marker} here.\n> <footer>p. {}</footer>\n",
            q + 1
        ));
    }
    text
}

#[test]
fn words_only_in_quotes_find_their_note_through_updates_and_merges() {
    // Quote text is indexed once, on quote documents, and counts toward its
    // note through the documents' order: every change below (quotes added
    // and dropped, notes deleted and re-added, segments merged) must keep
    // each quote pointing at its own note.
    let env = TestEnv::new();
    let notes = 12;
    let mut alive: std::collections::BTreeMap<usize, String> = Default::default();
    for generation in 0..10 {
        for i in 0..notes {
            let path = format!("notes/note-{i}.md");
            let changes = generation == 0 || (i + generation) % 4 == 0;
            let deleted = generation % 3 == 1 && i == (generation * 5) % notes;
            if deleted {
                let _ = std::fs::remove_file(env.path(&path));
                alive.remove(&i);
            } else if changes || !alive.contains_key(&i) {
                let word = format!("qw{i}g{generation}");
                let quotes = 1 + (i + generation) % 4;
                env.write(&path, note_with_quotes(i, quotes, &word, &format!("pw{i}")));
                alive.insert(i, word);
            }
        }
        env.folio(&["index", "notes"]).expect_code(0);

        let words: Vec<&str> = alive.values().map(String::as_str).collect();
        let value = json(&env, "search", &[&["--limit", "100", "--"], &words[..]].concat());
        assert_eq!(value["total"], alive.len(), "generation {generation}: {value:#}");
        for hit in hits(&value) {
            let path = hit["path"].as_str().unwrap_or("");
            let i: usize = path
                .rsplit("note-")
                .next()
                .and_then(|s| s.strip_suffix(".md"))
                .and_then(|s| s.parse().ok())
                .expect("a note-N.md path");
            assert_eq!(hit["matching_quotes"], 1, "generation {generation}, {path}: {hit:#}");
            let marked = highlighted(
                hit["snippet"]["text"].as_str().unwrap_or(""),
                &hit["snippet"]["highlights"],
            );
            assert_eq!(marked, [alive[&i].clone()], "generation {generation}, {path}");
        }
    }

    // Ten commits made ten small segments: some were merged on the way.
    let stats = env.folio(&["stats", "--json"]).json();
    assert!(stats["segments"].as_u64().is_some_and(|n| n < 10), "{stats:#}");

    // Prose and quote words together are an all-words match; a word only in
    // a quote excludes its note; a phrase inside a quote finds its note.
    let (&i, word) = alive.iter().next().expect("a note");
    let value = json(&env, "search", &[&format!("pw{i}"), word]);
    assert_eq!(value["matching"], "all");
    assert!(paths(&value)[0].ends_with(&format!("note-{i}.md")), "{value:#}");
    let value = json(&env, "search", &["shared", &format!("-{word}")]);
    assert_eq!(value["total"], alive.len() - 1, "{value:#}");
    assert!(!paths(&value).iter().any(|p| p.ends_with(&format!("note-{i}.md"))));
    let value =
        json(&env, "search", &[&format!("\"book {word}\""), "OR", &format!("\"{word} here\"")]);
    assert_eq!(paths(&value).len(), 1, "{value:#}");
    assert!(paths(&value)[0].ends_with(&format!("note-{i}.md")));
}

/// Checks that `node`'s value is what its parts make: a sum of its clauses,
/// or the best part plus a share of the others. Returns how many nodes were
/// checked.
fn check_adds_up(node: &Value, path: &str) -> usize {
    let value = node["value"].as_f64().expect("value");
    let description = node["description"].as_str().expect("description");
    let parts: Vec<f64> = node["details"]
        .as_array()
        .map(|d| d.iter().map(|p| p["value"].as_f64().expect("value")).collect())
        .unwrap_or_default();
    let close = |want: f64| (value - want).abs() <= 1e-3 * value.abs().max(1.0);
    let here = format!("{path} / {description}");
    if description.starts_with("BooleanClause. sum") {
        assert!(close(parts.iter().sum()), "{here}: {value} is not the sum of {parts:?}");
    } else if let Some(share) = description.strip_prefix("best part, plus ") {
        let share: f64 = share.split(' ').next().and_then(|s| s.parse().ok()).expect("share");
        let best = parts.iter().copied().fold(0.0, f64::max);
        let want = best + share * (parts.iter().sum::<f64>() - best);
        assert!(close(want), "{here}: {value}, want {want} from {parts:?}");
    }
    let mut checked = 1;
    for part in node["details"].as_array().into_iter().flatten() {
        checked += check_adds_up(part, &here);
    }
    checked
}

#[test]
fn explain_adds_up_to_each_hit_score() {
    let env = TestEnv::with_seeds();
    let queries: &[(&str, &[&str])] = &[
        ("search", &["--explain", "--", "stateful"]),
        ("search", &["--explain", "--", "river", "entropy"]),
        ("search", &["--explain", "--", "kafka", "baudelaire"]),
        ("search", &["--explain", "--", r#""the map is not the territory""#]),
        ("search", &["--explain", "--fuzzy", "--", "stateful", "rivers"]),
        ("search", &["--explain", "--any", "--", "memory", "river", "title:meditations"]),
        ("quotes", &["--explain", "--", "memory", "palace"]),
        ("quotes", &["--explain", "--", "the", "page:50..60"]),
    ];
    let mut explained = 0;
    for (command, args) in queries {
        let mut all = vec![*command, "--json"];
        all.extend_from_slice(args);
        let run = env.folio(&all);
        run.check(matches!(run.code(), Some(0 | 1)), "search exits 0 (hits) or 1 (none)");
        let r = run.json();
        for hit in hits(&r) {
            let score = hit["score"].as_f64().expect("score");
            let why = &hit["explanation"];
            let value = why["value"].as_f64().unwrap_or_else(|| panic!("no explanation: {hit:#}"));
            assert!((value - score).abs() < 1e-4, "{args:?}: {value} vs score {score}");
            let query = &why["details"][0]["value"];
            assert!((query.as_f64().expect("query's value") - score).abs() < 1e-3 * score.max(1.0));
            assert!(check_adds_up(why, &args.join(" ")) > 3, "{why:#}");
            explained += 1;
        }
    }
    assert!(explained > 10, "only {explained} hits explained");

    // Explaining builds each word's note and quote parts as two queries;
    // searching walks them in one union: the same scores either way.
    for words in [&["stateful"][..], &["--any", "--", "memory", "river", "stateful"], &["river"]] {
        let scores = |explain: bool| {
            let mut all = vec!["search", "--json", "--limit", "50"];
            if explain {
                all.push("--explain");
            }
            all.extend_from_slice(words);
            let r = env.folio(&all).json();
            hits(&r)
                .iter()
                .map(|h| (h["path"].as_str().map(str::to_string), h["score"].as_f64()))
                .collect::<Vec<_>>()
        };
        let (plain, explained) = (scores(false), scores(true));
        assert_eq!(plain.len(), explained.len(), "{words:?}");
        assert!(!plain.is_empty(), "{words:?}");
        for ((pa, ps), (ea, es)) in plain.iter().zip(&explained) {
            assert_eq!(pa, ea, "{words:?}");
            let (ps, es) = (ps.unwrap_or(f64::NAN), es.unwrap_or(f64::NAN));
            assert!((ps - es).abs() < 1e-4 * ps.max(1.0), "{words:?} {pa:?}: {ps} vs {es}");
        }
    }

    // For people: an indented tree under each hit, with each word's fields.
    let run = env.folio(&["search", "--explain", "--", "stateful"]);
    run.expect_code(0);
    assert!(run.stdout.contains("BM25F of `state"), "{run}");
    assert!(run.stdout.contains("  body: frequency × weight"), "{run}");
    // Without --explain, no explanation.
    let r = json(&env, "search", &["stateful"]);
    assert!(hits(&r).iter().all(|h| h.get("explanation").is_none()));
}

/// Issue 20, item 6: a word joined by a hyphen is its words, written apart
/// or not; written together ranks first. A quoted phrase still means the
/// phrase.
#[test]
fn a_hyphenated_query_finds_its_words_apart_and_ranks_them_together_first() {
    let env = TestEnv::new();
    // As long as each other: by the words alone they score the same.
    env.write("seeds/apart.md", "title: Mothers\n\nThe weight of the mother at birth.\n");
    env.write(
        "seeds/together.md",
        "title: Newborn care\n\nLow birth-weight infants need warm rooms.\n",
    );
    env.write("seeds/neither.md", "title: Orchards\n\nApples grow in orchards.\n");
    let names = |value: &Value| -> Vec<String> {
        paths(value).iter().map(|p| p.rsplit('/').next().unwrap_or("").to_string()).collect()
    };

    for query in ["birth-weight", "Birth-weight.", "birth–weight"] {
        let value = json(&env, "search", &[query]);
        assert_eq!(names(&value), ["together.md", "apart.md"], "{query}: {value:#}");
        assert_eq!(value["matching"], "all", "{query}: both words are in both notes");
    }
    // The words typed apart find the same notes.
    let mut apart = names(&json(&env, "search", &["birth", "weight"]));
    apart.sort();
    assert_eq!(apart, ["apart.md", "together.md"]);
    // Quoted, the words must be adjacent.
    assert_eq!(names(&json(&env, "search", &["\"birth weight\""])), ["together.md"]);
    // Excluding the hyphenated word excludes it as written, not its words.
    assert_eq!(names(&json(&env, "search", &["weight", "-birth-weight"])), ["apart.md"]);
}

/// A soft hyphen (e-book and Kindle text put them inside long words) does
/// not cut a word in two: the word is found as typed, and highlighted
/// whole.
#[test]
fn a_soft_hyphen_inside_a_word_does_not_split_it() {
    let env = TestEnv::new();
    env.write(
        "seeds/kindle.md",
        "title: Kindle text\n\nThe govern\u{AD}ment's re\u{AD}sponse was inter\u{AD}national.\n",
    );
    for (query, word) in [
        ("international", "inter\u{AD}national"),
        ("government", "govern\u{AD}ment"),
        ("responses", "re\u{AD}sponse"),
    ] {
        top_hit_marks(&env, query, word);
    }
}

/// Turkish `İ` lower-cases to `i` and a combining dot: `istanbul`, typed
/// as people type it, finds `İstanbul'daki`, in a Turkish note and in an
/// English one.
#[test]
fn a_dotted_capital_i_is_found_by_a_plain_i() {
    let env = TestEnv::new();
    env.write(
        "seeds/tr.md",
        "title: Eski Evler\n\nÇocuklar bahçede oynuyorlardı. Büyükannem eski evlerin \
         hikâyelerini anlatırdı. İstanbul'daki öğrenciler üniversitede okuyor.\n",
    );
    env.write("seeds/en.md", "title: Travels\n\nWe took the night train to İzmir.\n");
    for (query, file) in
        [("istanbul", "tr.md"), ("ISTANBUL", "tr.md"), ("İstanbul", "tr.md"), ("izmir", "en.md")]
    {
        let value = json(&env, "search", &[query]);
        assert_eq!(value["matching"], "all", "{query}: {value:#}");
        assert!(paths(&value).iter().any(|p| p.ends_with(file)), "{query}: {value:#}");
    }
}

/// A Spanish verb in the imperfect (`vivía`, `tenían`) is found by its
/// infinitive and by the form typed without its accent, and the word as
/// written is what the snippet highlights.
#[test]
fn an_accented_ending_is_found_by_the_infinitive_and_without_its_accent() {
    let env = TestEnv::new();
    env.write(
        "seeds/novela.md",
        "title: La casa\nlang: es\n\nEn aquel pueblo vivía una familia que no tenían nada, y \
         decía la abuela que eran felices.\n",
    );
    for (query, word) in [
        ("vivir", "vivía"),
        ("vivia", "vivía"),
        ("vivía", "vivía"),
        ("tener", "tenían"),
        ("decir", "decía"),
    ] {
        top_hit_marks(&env, query, word);
    }
}

/// `folio search QUERY` matches every word, and its top hit's snippet marks
/// `word` as written, and only it.
fn top_hit_marks(env: &TestEnv, query: &str, word: &str) {
    let value = json(env, "search", &[query]);
    assert_eq!(value["matching"], "all", "{query}: {value:#}");
    let hit = &hits(&value)[0];
    let snippet = &hit["snippet"];
    let text = snippet["text"].as_str().unwrap_or("");
    assert_eq!(highlighted(text, &snippet["highlights"]), [word], "{query}: {value:#}");
}
