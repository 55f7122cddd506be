//! `folio bench --relevance` on a tiny BEIR-layout collection whose figures
//! were computed by hand.

use crate::util::TestEnv;

/// Four abstracts; one (`d4`) whose text looks like header lines, one
/// whose title runs over two lines.
const CORPUS: &str = r#"{"_id": "d1", "title": "Apple orchards", "text": "Apples grow in orchards."}
{"_id": "d2", "title": "Banana\nboats", "text": "Bananas ship on boats."}
{"_id": "d3", "title": "Cherry trees", "text": "Cherries grow on trees."}
{"_id": "d4", "title": "", "text": "name: fake\ntitle: fake\nzebra crossing"}
"#;

/// q2 starts with `-` and holds `title:`, with an unclosed quote: not valid
/// syntax, so `folio search` (and so the bench) searches it as the plain
/// words `zebra title`, and it finds d4's body.
const QUERIES: &str = r#"{"_id": "q1", "text": "banana boats"}
{"_id": "q2", "text": "-zebra: \"title:"}
{"_id": "q3", "text": "cherries"}
{"_id": "q4", "text": "apple"}
{"_id": "q5", "text": "xylophone"}
"#;

/// q1: d2 first (nDCG 1, RR 1, recall 1).
/// q2: d4 first of two relevant, d9 not in the corpus: DCG 1, IDCG
///     1 + 1/log2(3); RR 1; recall 1/2.
/// q3: d3 (gain 2) first, d1 (gain 1) not found: DCG 2, IDCG 2 + 1/log2(3);
///     RR 1; recall 1/2.
/// q4: no relevant judgment: skipped. q5: nothing found: 0, 0, 0.
const QRELS: &str = "query-id\tcorpus-id\tscore
q1\td2\t1
q2\td4\t1
q2\td9\t1
q3\td3\t2
q3\td1\t1
q4\td1\t0
q5\td2\t1
";

#[test]
fn relevance_figures_match_the_hand_computed_ones() {
    let env = TestEnv::new();
    env.write("beir/corpus.jsonl", CORPUS);
    env.write("beir/queries.jsonl", QUERIES);
    env.write("beir/qrels/dev.tsv", QRELS);
    let mut cmd = env.command(&[
        "bench",
        "--relevance",
        "beir",
        "--split",
        "dev",
        "--run",
        "run.txt",
        "--json",
    ]);
    cmd.env("TMPDIR", env.root());
    let run = env.run(cmd);
    run.expect_code(0);
    let r = run.json();
    let l = 1.0 / 3f64.log2();
    let ndcg = (1.0 + 1.0 / (1.0 + l) + 2.0 / (2.0 + l) + 0.0) / 4.0;
    let close = |key: &str, want: f64| {
        let got = r[key].as_f64().unwrap_or_else(|| panic!("{key} in {r:#}"));
        assert!((got - want).abs() < 1e-9, "{key}: {got}, want {want}\n{r:#}");
    };
    close("ndcg", ndcg);
    close("mrr", 0.75);
    close("recall", 0.5);
    assert_eq!(r["queries"], 4, "{r:#}");
    assert_eq!(r["skipped_queries"], 1, "{r:#}");
    assert_eq!(r["documents"], 4, "{r:#}");
    assert_eq!((r["k"].as_u64(), r["limit"].as_u64()), (Some(10), Some(100)));

    let lines = env.read("run.txt");
    let first: Vec<&str> = lines.lines().filter(|l| l.starts_with("q2 ")).collect();
    assert!(first[0].starts_with("q2 Q0 d4 1 "), "{lines}");
    assert!(first[0].ends_with(" folio"), "{lines}");
    assert!(lines.lines().any(|l| l.starts_with("q1 Q0 d2 1 ")), "{lines}");
}

#[test]
fn relevance_without_a_collection_says_what_it_wants() {
    let env = TestEnv::new();
    let run = env.folio(&["bench", "--relevance", "nowhere"]);
    run.expect_code(2).expect_stderr("BEIR layout");
}

/// Queries as people type them: a hyphenated word, a quoted phrase, an
/// exclusion first, a field, `OR`, CJK. `folio bench --relevance` must rank
/// each one exactly as `folio search` does on the same index, so its
/// figures are the search's.
#[test]
fn relevance_ranks_every_query_as_search_does() {
    let env = TestEnv::new();
    env.write(
        "beir/corpus.jsonl",
        r#"{"_id": "d1", "title": "Newborn care", "text": "Low birth-weight infants need warmth."}
{"_id": "d2", "title": "Maternal health", "text": "A mother's weight before the birth matters."}
{"_id": "d3", "title": "Orchard apples", "text": "Apples grow in orchards; cherries too."}
{"_id": "d4", "title": "Cherry trees", "text": "Cherry trees and apple trees in bloom."}
{"_id": "d5", "title": "Banana boats", "text": "Bananas ship on boats, not apples."}
{"_id": "d6", "title": "东京", "text": "东京的苹果很好吃。pre-miRNA processing in apples."}
"#,
    );
    let queries = [
        ("q1", "birth-weight"),
        ("q2", "\"orchard apples\""),
        ("q3", "-bananas apples"),
        ("q4", "title:cherry trees"),
        ("q5", "banana OR cherry"),
        ("q6", "东京 苹果"),
        ("q7", "pre-miRNA."),
    ];
    let lines: String = queries
        .iter()
        .map(|(id, text)| format!("{}\n", serde_json::json!({ "_id": id, "text": text })))
        .collect();
    env.write("beir/queries.jsonl", lines);
    let qrels: String = queries.iter().map(|(id, _)| format!("{id}\td1\t1\n")).collect();
    env.write("beir/qrels/dev.tsv", format!("query-id\tcorpus-id\tscore\n{qrels}"));
    let run = env.folio(&[
        "bench",
        "--relevance",
        "beir",
        "--split",
        "dev",
        "--run",
        "run.txt",
        "--keep",
        "kept",
        "--json",
    ]);
    run.expect_code(0);
    let ranking = env.read("run.txt");
    for (id, text) in queries {
        let bench: Vec<(String, f32)> = ranking
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split(' ').collect();
                (f[0] == id).then(|| (f[2].to_string(), f[4].parse().expect("a score")))
            })
            .collect();
        let search = env.folio(&[
            "search",
            "--index",
            "kept/index",
            "--no-refresh",
            "--json",
            "--limit",
            "100",
            "--",
            text,
        ]);
        let value = search.json();
        let found: Vec<(String, f32)> = value["hits"]
            .as_array()
            .expect("hits")
            .iter()
            .map(|h| {
                let name = h["name"].as_str().expect("a name").to_string();
                (name, h["score"].as_f64().expect("a score") as f32)
            })
            .collect();
        assert!(!found.is_empty(), "{text}: {value:#}");
        assert_eq!(bench, found, "{text}: bench --relevance and search disagree");
    }
}
