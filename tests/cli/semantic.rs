//! Quotes by meaning, with a tiny random sentence model written by the test
//! (`folio::embed::tiny`): vectors are built, kept in step with the notes,
//! reused, committed with the index; `--mode`, `--like` and `found_by`
//! work; without a model everything is as before. What the vectors *mean*
//! is tested with the real model in `tests/semantic_quality.rs`.

use serde_json::Value;

use crate::util::{TestEnv, u64_of};

const NOTE: &str = "title: Influence\nauthor: Robert Cialdini\nyear: 1984\n\n\
Notes.\n\n\
> When people are in a group, responsibility for acting is diffused.\n\
> <footer>p. 133</footer>\n\n\
> The rule for reciprocation says that we should repay what another gave us.\n\
> <footer>p. 19</footer>\n\n\
> Things that are scarce are valued more.\n\
> <footer>p. 238</footer>\n";

const OTHER: &str = "title: The Sea\nauthor: Someone Else\n\n\
> The old man fought the fish for three days out past the reef.\n\
> <footer>p. 12</footer>\n";

/// An environment with two notes and a tiny model in `model/`.
fn env_with_model() -> TestEnv {
    let env = TestEnv::new();
    env.write("notes/Influence.md", NOTE);
    env.write("notes/Sea.md", OTHER);
    folio::embed::tiny::write_tiny_model(&env.path("model"), 3).expect("tiny model");
    env
}

fn index(env: &TestEnv, extra: &[&str]) -> Value {
    let mut args = vec!["index", "notes", "--index", "ix", "--model", "model", "--json"];
    args.extend_from_slice(extra);
    let run = env.folio(&args);
    run.expect_code(0);
    run.json()
}

/// The vector files of the live generation (the folder `ix/CURRENT` names):
/// vectors are committed with the Tantivy index they belong to.
fn vector_files(env: &TestEnv) -> Vec<String> {
    let current = std::fs::read_to_string(env.path("ix/CURRENT")).expect("ix/CURRENT");
    let live = env.path("ix").join(current.trim());
    let mut names: Vec<String> = std::fs::read_dir(live)
        .expect("index folder")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("vectors-"))
        .collect();
    names.sort();
    names
}

#[test]
fn indexing_embeds_each_quote_once_and_keeps_one_vector_file() {
    let env = env_with_model();
    let first = index(&env, &[]);
    // 4 quotes, and Influence's own prose ("Notes.") as one passage: a
    // quote is embedded once, never again inside its note's passages, and
    // The Sea has no prose of its own.
    assert_eq!(u64_of(&first, "embedded"), 4 + 1, "{first:#}");
    assert_eq!(vector_files(&env).len(), 1);

    let unchanged = index(&env, &[]);
    assert_eq!(u64_of(&unchanged, "embedded"), 0, "{unchanged:#}");
    assert_eq!(unchanged["committed"], false, "a refresh with no change writes nothing");

    // One new quote: only it is embedded; the other note's passage and
    // quotes keep their vectors; the old vector file goes.
    let before = vector_files(&env);
    env.write("notes/Sea.md", format!("{OTHER}\n> A new line about the tide.\n"));
    let changed = index(&env, &[]);
    assert_eq!(u64_of(&changed, "embedded"), 1, "{changed:#}");
    let after = vector_files(&env);
    assert_eq!(after.len(), 1);
    assert_ne!(before, after, "a new commit names a new vector file");

    // A rebuild reuses every vector.
    let rebuilt = index(&env, &["--rebuild"]);
    assert_eq!(u64_of(&rebuilt, "embedded"), 0, "{rebuilt:#}");
    assert_eq!(vector_files(&env).len(), 1);
}

#[test]
fn semantic_and_hybrid_hits_say_which_side_found_them() {
    let env = env_with_model();
    index(&env, &[]);
    let base = ["quotes", "--index", "ix", "--model", "model", "--json", "--no-refresh"];

    let mut args = base.to_vec();
    args.extend(["--mode", "semantic", "crowds", "of", "bystanders"]);
    let run = env.folio(&args);
    run.expect_code(0);
    let json = run.json();
    assert_eq!(json["matching"], "meaning");
    let hits = json["hits"].as_array().expect("hits");
    assert_eq!(hits.len(), 4, "every quote is near in meaning to some degree");
    assert_eq!(hits[0]["found_by"]["semantic"]["rank"], 1);
    assert!(hits[0]["found_by"]["lexical"].is_null());

    let mut args = base.to_vec();
    args.extend(["responsibility", "group"]);
    let run = env.folio(&args);
    run.expect_code(0);
    let json = run.json();
    assert_eq!(json["matching"], "hybrid", "hybrid is the default with a model");
    let first = &json["hits"][0];
    assert!(first["text"].as_str().unwrap_or("").contains("diffused"), "{json:#}");
    assert_eq!(first["found_by"]["lexical"]["rank"], 1, "{json:#}");
    assert!(first["found_by"]["lexical_weight"].as_f64().is_some());

    // A phrase keeps its exact meaning: ranked by words, as before.
    let mut args = base.to_vec();
    args.push("\"scarce are valued\"");
    let run = env.folio(&args);
    let json = run.json();
    assert_eq!(json["matching"], "all");
    assert_eq!(json["hits"].as_array().map(Vec::len), Some(1));

    // Filters apply to the meaning side too.
    let mut args = base.to_vec();
    args.extend(["--mode", "semantic", "--author", "someone", "anything", "at", "all"]);
    let json = env.folio(&args).json();
    let hits = json["hits"].as_array().expect("hits");
    assert_eq!(hits.len(), 1, "{json:#}");
    assert!(hits[0]["text"].as_str().unwrap_or("").contains("old man"));
}

#[test]
fn like_lists_the_other_quotes_nearest_first() {
    let env = env_with_model();
    index(&env, &[]);
    let run = env.folio(&[
        "quotes",
        "--index",
        "ix",
        "--json",
        "--no-refresh",
        "--like",
        "notes/Influence.md:8",
    ]);
    run.expect_code(0);
    let json = run.json();
    let hits = json["hits"].as_array().expect("hits");
    assert_eq!(hits.len(), 3, "the other quotes, not itself: {json:#}");
    assert!(hits.iter().all(|h| !h["text"].as_str().unwrap_or("").contains("diffused")));
    let scores: Vec<f64> = hits.iter().map(|h| h["score"].as_f64().unwrap_or(0.0)).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");

    let run =
        env.folio(&["quotes", "--index", "ix", "--no-refresh", "--like", "notes/Influence.md"]);
    run.expect_code(2).expect_stderr("PATH:LINE");
}

#[test]
fn without_a_model_search_is_as_before() {
    let env = env_with_model();
    let run = env.folio(&["index", "notes", "--index", "ix", "--json"]);
    run.expect_code(0);
    assert_eq!(u64_of(&run.json(), "embedded"), 0);
    assert!(vector_files(&env).is_empty());
    let run = env.folio(&["quotes", "--index", "ix", "--json", "responsibility"]);
    let json = run.json();
    assert_eq!(json["matching"], "all");
    assert!(json["hits"][0].get("found_by").is_none());

    let run = env.folio(&["quotes", "--index", "ix", "--mode", "semantic", "responsibility"]);
    run.expect_code(2).expect_stderr("FOLIO_MODEL");
    let run = env.folio(&["quotes", "--index", "ix", "--mode", "hybrid", "responsibility"]);
    run.expect_code(2).expect_stderr("--mode hybrid").expect_stderr("folio model fetch");

    // A model but no vectors yet: not asked, words, silently; asked for a
    // ranking by meaning, an error that says how to add the vectors.
    let base = ["quotes", "--index", "ix", "--model", "model", "--no-refresh"];
    let run = env.folio(&[&base[..], &["--json", "responsibility"]].concat());
    run.expect_code(0);
    assert_eq!(run.json()["matching"], "all");
    assert!(!run.stderr.contains("vectors"), "{}", run.stderr);
    for mode in ["semantic", "hybrid"] {
        let run = env.folio(&[&base[..], &["--mode", mode, "responsibility"]].concat());
        run.expect_code(2).expect_stderr("folio index --model DIR");
    }

    // The model turned off: words only, even with vectors in the index.
    index(&env, &[]);
    let run = env.folio(&["quotes", "--index", "ix", "--model", "off", "--json", "responsibility"]);
    assert_eq!(run.json()["matching"], "all");
}

#[test]
fn a_broken_model_is_named_with_what_to_do() {
    let env = env_with_model();
    std::fs::remove_file(env.path("model/tokenizer.json")).expect("remove");
    let run = env.folio(&["index", "notes", "--index", "ix", "--model", "model"]);
    run.expect_failure().expect_stderr("tokenizer.json").expect_stderr("FOLIO_MODEL=off");
}

#[test]
fn a_distilled_static_model_indexes_and_searches_and_never_mixes_vectors() {
    let env = env_with_model();
    let run = env.folio(&["model", "--model", "model", "distill", "--to", "static", "--json"]);
    run.expect_code(0);
    let made = run.json();
    assert_eq!(made["report"]["dims"], folio::embed::tiny::HIDDEN, "{made:#}");
    assert!(env.path("static/model.safetensors").is_file());

    // Indexed with the static model: every quote and passage embedded.
    let run = env.folio(&["index", "notes", "--index", "ix", "--model", "static", "--json"]);
    run.expect_code(0);
    assert_eq!(u64_of(&run.json(), "embedded"), 4 + 1);
    let run = env.folio(&[
        "quotes",
        "--index",
        "ix",
        "--model",
        "static",
        "--json",
        "--no-refresh",
        "--mode",
        "semantic",
        "responsibility",
        "group",
    ]);
    run.expect_code(0);
    let json = run.json();
    assert_eq!(json["matching"], "meaning");
    assert_eq!(json["hits"].as_array().map(Vec::len), Some(4), "{json:#}");

    // Back to the transformer: its vectors differ, so all are embedded
    // again; then the static model again re-embeds them too.
    let transformer = index(&env, &[]);
    assert_eq!(u64_of(&transformer, "embedded"), 4 + 1, "{transformer:#}");
    let run = env.folio(&["index", "notes", "--index", "ix", "--model", "static", "--json"]);
    assert_eq!(u64_of(&run.json(), "embedded"), 4 + 1);

    // A transformer's folder is never overwritten.
    let run = env.folio(&["model", "--model", "static", "distill", "--to", "model"]);
    run.expect_failure().expect_stderr("--to");
}

/// A note of three paragraphs long enough to be a passage each.
fn three_paragraphs(second: &str) -> String {
    let first = "The harbour town wakes early and the boats go out before the light. ".repeat(3);
    let third = "In the evening the nets are mended on the quay while the gulls wait. ".repeat(3);
    format!("title: Harbour\nauthor: Ann Shore\n\n{first}\n\n{second}\n\n{third}\n")
}

#[test]
fn a_note_is_embedded_by_passage_and_an_edit_embeds_only_its_passage() {
    let env = TestEnv::new();
    let second = "Storms come from the west in winter and keep the boats in for days. ".repeat(3);
    env.write("notes/Harbour.md", three_paragraphs(&second));
    folio::embed::tiny::write_tiny_model(&env.path("model"), 3).expect("tiny model");
    let first = index(&env, &[]);
    assert_eq!(u64_of(&first, "embedded"), 3, "one vector per paragraph: {first:#}");

    let edited = "Storms come from the north in spring and keep the boats in for weeks. ".repeat(3);
    env.write("notes/Harbour.md", three_paragraphs(&edited));
    let changed = index(&env, &[]);
    assert_eq!(u64_of(&changed, "embedded"), 1, "only the edited passage: {changed:#}");
    let rebuilt = index(&env, &["--rebuild"]);
    assert_eq!(u64_of(&rebuilt, "embedded"), 0, "{rebuilt:#}");
}

#[test]
fn notes_are_found_by_meaning_with_their_passage_and_which_side_found_them() {
    let env = env_with_model();
    index(&env, &[]);
    let base = ["search", "--index", "ix", "--model", "model", "--json", "--no-refresh"];

    // No note holds these words: meaning alone finds every note, each with
    // a snippet from its passage (not an empty one) and where it came from.
    let mut args = base.to_vec();
    args.extend(["--mode", "semantic", "zyzzyva", "quokka"]);
    let run = env.folio(&args);
    run.expect_code(0);
    let json = run.json();
    assert_eq!(json["matching"], "meaning", "{json:#}");
    let hits = json["hits"].as_array().expect("hits");
    assert_eq!(hits.len(), 2, "{json:#}");
    for (i, hit) in hits.iter().enumerate() {
        assert_eq!(hit["kind"], "note");
        assert_eq!(hit["found_by"]["semantic"]["rank"], i + 1, "{json:#}");
        assert!(hit["found_by"]["lexical"].is_null());
        let snippet = hit["snippet"]["text"].as_str().expect("snippet");
        assert!(!snippet.is_empty(), "{json:#}");
        // Found through one of its quotes, a note shows that quote and its
        // page; through its prose, that prose.
        let page = hit["reference"]["display"].as_str();
        let quoted = [
            ("responsibility for acting", "p. 133"),
            ("rule for reciprocation", "p. 19"),
            ("scarce are valued", "p. 238"),
            ("old man fought", "p. 12"),
        ];
        let shown = quoted.iter().find(|(words, _)| snippet.contains(words));
        match shown {
            Some((_, wanted)) => assert_eq!(page, Some(*wanted), "{json:#}"),
            None => assert!(snippet.contains("Notes."), "{json:#}"),
        }
    }
    // The Sea's only meaning is its quote: the snippet is it, with its page.
    let sea = hits.iter().find(|h| h["name"] == "Sea").expect("the Sea note");
    assert_eq!(sea["reference"]["display"], "p. 12", "{json:#}");
    assert!(sea["snippet"]["text"].as_str().is_some_and(|s| s.contains("old man")), "{json:#}");

    // Hybrid is the default with a model: a word match is found by both.
    let mut args = base.to_vec();
    args.extend(["fish", "reef"]);
    let json = env.folio(&args).json();
    assert_eq!(json["matching"], "hybrid", "{json:#}");
    let first = &json["hits"][0];
    assert_eq!(first["name"], "Sea", "{json:#}");
    assert_eq!(first["found_by"]["lexical"]["rank"], 1, "{json:#}");
    assert!(first["found_by"]["semantic"]["score"].as_f64().is_some(), "{json:#}");

    // --explain says it in the text output too.
    let run = env.folio(&[
        "search",
        "--index",
        "ix",
        "--model",
        "model",
        "--no-refresh",
        "--explain",
        "fish",
    ]);
    run.expect_code(0);
    assert!(run.stdout.contains("found by words #1"), "{}", run.stdout);

    // Filters apply to the meaning side: only the author's note.
    let mut args = base.to_vec();
    args.extend(["--mode", "semantic", "--author", "cialdini", "zyzzyva"]);
    let json = env.folio(&args).json();
    let hits = json["hits"].as_array().expect("hits");
    assert_eq!(hits.len(), 1, "{json:#}");
    assert_eq!(hits[0]["name"], "Influence");

    // A phrase keeps its exact meaning: ranked by words.
    let mut args = base.to_vec();
    args.extend(["--mode", "hybrid", "\"old man fought\""]);
    let json = env.folio(&args).json();
    assert_eq!(json["matching"], "all", "{json:#}");
    assert_eq!(json["hits"].as_array().map(Vec::len), Some(1));
    assert!(json["hits"][0]["found_by"].is_null());
}

/// The sentence model reads English: a quote of a Spanish note that holds
/// every word of the query is never put below a quote found by meaning
/// alone, whatever the (here random) model says.
#[test]
fn hybrid_never_puts_meaning_alone_above_a_foreign_quote_with_the_words() {
    let env = env_with_model();
    let long_tail = "y luego el lector volvió a casa por el camino largo del río, \
                     pensando en los días de verano y en las tardes de lluvia; ";
    env.write(
        "notes/Biblioteca.md",
        format!(
            "title: La biblioteca\nauthor: Ana Ruiz\nlang: es\n\n\
             > La biblioteca antigua guardaba los libros prohibidos, {}.\n\n\
             > Los libros de la biblioteca eran de todos.\n",
            long_tail.repeat(6)
        ),
    );
    for i in 0..6 {
        env.write(
            &format!("notes/Other{i}.md"),
            format!("title: Other {i}\n\n> The old cat sat on the mat by the sea, number {i}.\n"),
        );
    }
    index(&env, &[]);
    let run = env.folio(&[
        "quotes",
        "--index",
        "ix",
        "--model",
        "model",
        "--json",
        "--no-refresh",
        "biblioteca",
        "antigua",
    ]);
    run.expect_code(0);
    let json = run.json();
    assert_eq!(json["matching"], "hybrid", "{json:#}");
    let hits = json["hits"].as_array().expect("hits");
    let holds = |h: &Value| {
        let text = h["text"].as_str().unwrap_or("").to_lowercase();
        text.contains("biblioteca") && text.contains("antigua")
    };
    let first_without = hits.iter().position(|h| !holds(h)).unwrap_or(hits.len());
    assert!(first_without >= 1, "{json:#}");
    assert!(hits[first_without..].iter().all(|h| !holds(h)), "{json:#}");
    assert_eq!(hits[0]["text"].as_str().map(|t| t.contains("antigua")), Some(true));
}
