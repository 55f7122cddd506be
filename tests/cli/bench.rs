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

/// q2 starts with `-` and holds `title:`: searched as the plain words
/// `zebra title`, it must find d4's body, not exclude a word or read a field.
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
