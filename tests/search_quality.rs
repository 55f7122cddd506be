//! Search quality on the real corpus (feature `real-corpus`; the folder is
//! named by `FOLIO_REAL_CORPUS`, set by `.ci/run`). Topic queries are
//! phrased as a reader would remember the idea, not copied from the quote.
#![cfg(feature = "real-corpus")]

use std::path::PathBuf;
use std::sync::OnceLock;

use folio::search::{Engine, Hit, Request, Target};

mod support;

fn corpus() -> PathBuf {
    let dir = std::env::var_os("FOLIO_REAL_CORPUS")
        .map(PathBuf::from)
        .expect("FOLIO_REAL_CORPUS must name the real corpus folder (see .ci/run)");
    assert!(dir.is_dir(), "FOLIO_REAL_CORPUS={} is not a folder", dir.display());
    dir
}

/// The real corpus indexed once for every test of this file.
struct Fixture {
    engine: Engine,
    _dir: tempfile::TempDir,
}

fn engine() -> &'static Engine {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    &FIXTURE
        .get_or_init(|| {
            let built =
                support::build(vec![corpus()], None, &|e| panic!("unexpected warning: {e}"));
            assert_eq!(built.summary.notes, 127);
            Fixture { engine: Engine::open(built.ix).expect("engine"), _dir: built.dir }
        })
        .engine
}

fn request(query: &str, target: Target, all_first: bool) -> Request {
    Request { all_first, ..Request::new(query, target) }
}

/// (query, expected note file, expected reference display, words of the quote)
const TOPICS: &[(&str, &str, &str, &str)] = &[
    ("hedgehog knowing a single big idea", "Books_2018-06-13.md", "page 1", "hedgehog"),
    (
        "read every text twice to enjoy how it is said",
        "Books_2021-07-18.md",
        "p. 111",
        "read twice",
    ),
    ("newspapers creating the news", "Books_2016-05-02.md", "page 47", "newspaper"),
    (
        "nothing more original than what was already published",
        "Books_2013-01-21.md",
        "somewhere between pages 331-378",
        "original",
    ),
    ("having enemies defines our identity and values", "Books_2014-06-28.md", "page 2", "enemy"),
    ("measure everything you can in legacy code", "Books_2016-05-17.md", "page 22", "measure"),
    ("refactoring that breaks dozens of unit tests", "Books_2016-05-17.md", "page 203", "refactor"),
    (
        "diminishing returns of writing too many tests",
        "Books_2019-01-04.md",
        "page 98",
        "diminishing",
    ),
    (
        "programmer efficiency matters more than execution speed",
        "Books_2019-05-04.md",
        "p. 458",
        "efficiency",
    ),
    (
        "careless rich people who let others clean up their mess",
        "Books_2019-08-09.md",
        "page 179",
        "careless",
    ),
    ("spies are not brilliant, something wrong with us", "Books_2020-01-29.md", "p. 68", "spies"),
    ("red flags and defaulting to truth", "Books_2020-01-29.md", "p. 79", "red flags"),
    ("bullet points are dumber than sentences", "Books_2021-02-06.md", "p.182", "bullet"),
    (
        "science must show public evidence instead of wordy arguments",
        "Books_2021-02-06.md",
        "p. 101",
        "evidence",
    ),
    ("giving a presentation is a moral act", "Books_2021-02-06.md", "p. 141", "moral"),
    (
        "a node must load its stateful components when it starts",
        "Books_2021-05-01.md",
        "p.52",
        "stateful",
    ),
    (
        "minds are islands linked by the bedrock under the ocean",
        "Books_2021-06-05.md",
        "pp. 175-176",
        "island",
    ),
    ("overlords trapped in an evolutionary dead end", "Books_2021-06-05.md", "p. 176", "Overlords"),
    ("seers see what their culture taught them", "Books_2021-07-18.md", "p. 177", "seer"),
    ("who founded the flat earth society", "Books_2021-07-18.md", "p. 292", "Flat Earth"),
    ("populists exploit fear and democratic norms", "Books_2021-09-09.md", "p. 477", "populists"),
    ("a dominant culture destroys the weaker one", "Books_2021-09-09.md", "p. 400", "cultures"),
    (
        "governments using emergencies to grab power and erode rights",
        "Books_2023-06-22.md",
        "p. 260",
        "emergencies",
    ),
    (
        "reality is what doesn't go away when you stop believing",
        "Books_2023-06-22.md",
        "p. 119",
        "believing",
    ),
    (
        "dataism and algorithms the human brain cannot fathom",
        "Books_2023-06-22.md",
        "Yuval Noah Karari, p. 211",
        "Dataism",
    ),
    ("remove comments that just repeat the code", "Books_2024-01-17.md", "p. 31", "comment"),
    (
        "learning about money by programming finance projects",
        "Books_2024-01-17.md",
        "p. 65",
        "money",
    ),
    (
        "code reviews ignore reversible versus irreversible changes",
        "Books_2024-01-17.md",
        "p. 76",
        "irreversible",
    ),
    (
        "promising impossible deadlines is unprofessional",
        "Books_2024-03-29.md",
        "p. 12",
        "unprofessional",
    ),
    ("small teams where everyone trusts each other", "Books_2024-03-29.md", "p. 264", "trusts"),
    ("wind scattering leaves like generations of men", "Books_2018-01-01.md", "10.34", "leaves"),
    (
        "what is not good for the hive is not good for the bee",
        "Books_2018-01-01.md",
        "6.54",
        "hive",
    ),
    ("the mind turns obstacles into advances", "Books_2018-01-01.md", "5.20", "obstacle"),
    ("food appearing at the press of a button", "Books_2012-04-17.md", "p. 65", "button"),
    ("ruinous empathy causes management mistakes", "Books_2018-09-14.md", "page 32", "Ruinous"),
    ("don't box people in", "Books_2018-09-14.md", "page 74", "boxes"),
    (
        "evolution refills empty ecological niches with new species",
        "Books_2021-01-03.md",
        "p. 44",
        "niches",
    ),
    ("wealth displayed through endless human effort", "Books_2022-02-20.md", "p. 145", "wealth"),
    (
        "translating verse into another language robs its force",
        "Books_2020-11-09.md",
        "Cervantes, 1615, p. 387",
        "verse",
    ),
    (
        "I know what it is until someone asks me to explain",
        "Books_2009-10-12.md",
        "St. Augustine",
        "explain",
    ),
];

/// 1-based rank of the expected quote among the hits, if present.
fn quote_rank(
    engine: &Engine,
    query: &str,
    file: &str,
    display: &str,
    all_first: bool,
) -> Option<usize> {
    let results = engine.search(&request(query, Target::Quotes, all_first)).expect("search");
    results
        .hits
        .iter()
        .position(|hit| match hit {
            Hit::Quote(q) => {
                q.path.ends_with(file) && q.reference.as_ref().is_some_and(|r| r.display == display)
            }
            Hit::Note(_) => false,
        })
        .map(|i| i + 1)
}

#[test]
fn topic_queries_find_the_quote_and_its_page() {
    let engine = engine();
    let mut first = 0;
    let mut top3 = 0;
    let mut report = Vec::new();
    for (query, file, display, _) in TOPICS {
        let rank = quote_rank(engine, query, file, display, true);
        first += usize::from(rank == Some(1));
        top3 += usize::from(rank.is_some_and(|r| r <= 3));
        report.push(format!("{rank:?}\t{query}"));
    }
    let n = TOPICS.len();
    assert!(n >= 25);
    let report = report.join("\n");
    eprintln!("topic queries: first {first}/{n}, top-3 {top3}/{n}\n{report}");
    assert!(top3 * 10 >= n * 9, "top-3 {top3}/{n} (< 90 %):\n{report}");
    assert!(first * 10 >= n * 7, "first {first}/{n} (< 70 %):\n{report}");
}

#[test]
fn all_words_first_ranks_at_least_as_well_as_plain_bm25() {
    let engine = engine();
    let reciprocal = |rank: Option<usize>| rank.map_or(0.0, |r| 1.0 / r as f64);
    let (mut ours, mut bm25) = (0.0, 0.0);
    for (query, file, display, _) in TOPICS {
        ours += reciprocal(quote_rank(engine, query, file, display, true));
        bm25 += reciprocal(quote_rank(engine, query, file, display, false));
    }
    eprintln!("reciprocal-rank sum: all-first {ours:.2}, plain BM25 {bm25:.2}");
    assert!(ours >= bm25, "mean reciprocal rank: all-first {ours:.2} < plain BM25 {bm25:.2}");
}

#[test]
fn quote_hits_highlight_the_matched_words() {
    let engine = engine();
    for (query, file, display, word) in TOPICS.iter().take(10) {
        let results = engine.search(&request(query, Target::Quotes, true)).expect("search");
        let Some(Hit::Quote(q)) = results.hits.iter().find(|h| match h {
            Hit::Quote(q) => {
                q.path.ends_with(file)
                    && q.reference.as_ref().is_some_and(|r| &r.display == display)
            }
            Hit::Note(_) => false,
        }) else {
            panic!("{query}: expected quote not found");
        };
        let chars: Vec<char> = q.text.chars().collect();
        let marked: Vec<String> = q
            .highlights
            .iter()
            .map(|[a, b]| chars[*a..*b].iter().collect::<String>().to_lowercase())
            .collect();
        let first_word = word.split_whitespace().next().unwrap_or(word).to_lowercase();
        assert!(
            marked.iter().any(|m| m.starts_with(&first_word[..first_word.len().min(5)])),
            "{query}: highlights {marked:?} miss {word:?}"
        );
    }
}

#[test]
fn keyword_searches_find_the_note() {
    let engine = engine();
    let rows = [
        ("Gladwell strangers", "Books_2020-01-29.md"),
        ("Kafka event sourcing", "Books_2021-05-01.md"),
        ("Marcus Aurelius", "Books_2018-01-01.md"),
        ("Django", "Books_2018-06-14.md"),
        ("Kalevala", "Books_2017-11-17.md"),
        ("Fowler refactoring", "Books_2019-01-04.md"),
        ("Tufte evidence", "Books_2021-02-06.md"),
        ("Kent Beck tidy", "Books_2024-01-17.md"),
        ("Gatsby", "Books_2019-08-09.md"),
        ("climate ministry", "Books_2021-01-03.md"),
    ];
    let mut ranks = Vec::new();
    for (query, file) in rows {
        let results = engine.search(&request(query, Target::Notes, true)).expect("search");
        let rank = results.hits.iter().position(|h| match h {
            Hit::Note(n) => n.card.path.ends_with(file),
            Hit::Quote(_) => false,
        });
        ranks.push((query, rank.map(|r| r + 1)));
    }
    let reciprocal: f64 = ranks.iter().map(|(_, r)| r.map_or(0.0, |r| 1.0 / r as f64)).sum();
    eprintln!("keyword queries: reciprocal-rank sum {reciprocal:.2} of 10; ranks {ranks:?}");
    for (query, rank) in ranks {
        assert!(rank.is_some_and(|r| r <= 3), "{query}: at {rank:?}");
    }
}

/// Notes ranked by words, by meaning and by both, with the real sentence
/// model (features `real-corpus` and `real-model`; `FOLIO_MODEL` names its
/// folder). Each topic query's note and each keyword query's note is looked
/// for among the note hits; the table printed, over a coarse grid of fusion
/// weights, is half of what chose `Fusion::NOTES` (SciFact is the other
/// half: BENCHMARKS.md, Relevance).
#[cfg(feature = "real-model")]
mod with_the_model {
    use super::*;
    use folio::embed::Model;
    use folio::search::semantic::{Fusion, Meaning, RankMode};
    use std::sync::Arc;

    const KEYWORDS: &[(&str, &str)] = &[
        ("Gladwell strangers", "Books_2020-01-29.md"),
        ("Kafka event sourcing", "Books_2021-05-01.md"),
        ("Marcus Aurelius", "Books_2018-01-01.md"),
        ("Django", "Books_2018-06-14.md"),
        ("Kalevala", "Books_2017-11-17.md"),
        ("Fowler refactoring", "Books_2019-01-04.md"),
        ("Tufte evidence", "Books_2021-02-06.md"),
        ("Kent Beck tidy", "Books_2024-01-17.md"),
        ("Gatsby", "Books_2019-08-09.md"),
        ("climate ministry", "Books_2021-01-03.md"),
    ];

    struct Fixture {
        engine: Engine,
        store: folio::embed::store::VectorStore,
        model: Arc<Model>,
        _dir: tempfile::TempDir,
    }

    fn fixture() -> &'static Fixture {
        static FIXTURE: OnceLock<Fixture> = OnceLock::new();
        FIXTURE.get_or_init(|| {
            let dir = std::env::var_os("FOLIO_MODEL")
                .map(PathBuf::from)
                .expect("FOLIO_MODEL must name the sentence model's folder (see .ci/run)");
            let model = Arc::new(Model::new(dir));
            let super::support::Built { ix, summary, dir } =
                super::support::build(vec![corpus()], Some(model.clone()), &|e| {
                    panic!("unexpected warning: {e}")
                });
            eprintln!(
                "book reviews: {} notes, embedded {} passages and quotes in {:.1} s",
                summary.notes, summary.embedded, summary.seconds
            );
            let store = folio::index::vectors::load(&ix, &ix.payload().expect("payload"))
                .expect("vectors load")
                .expect("the commit names its vectors");
            Fixture { engine: Engine::open(ix).expect("engine"), store, model, _dir: dir }
        })
    }

    /// 1-based rank of the note of `file` among the top 10 note hits.
    fn note_rank(f: &Fixture, query: &str, file: &str, mode: RankMode, fusion: &Fusion) -> usize {
        let vector = f.model.get().expect("model").embed_one(query).expect("embeds");
        let meaning = Meaning { store: &f.store, vector };
        let request = Request::new(query, Target::Notes);
        let results =
            f.engine.search_fused(&request, mode, Some(&meaning), fusion).expect("searches");
        results
            .hits
            .iter()
            .position(|h| matches!(h, Hit::Note(n) if n.card.path.ends_with(file)))
            .map_or(usize::MAX, |i| i + 1)
    }

    /// (topic first, topic top 3, keyword first, keyword top 3).
    fn tally(f: &Fixture, mode: RankMode, fusion: &Fusion) -> (usize, usize, usize, usize) {
        let topics: Vec<usize> =
            TOPICS.iter().map(|(q, file, _, _)| note_rank(f, q, file, mode, fusion)).collect();
        let keywords: Vec<usize> =
            KEYWORDS.iter().map(|(q, file)| note_rank(f, q, file, mode, fusion)).collect();
        let count = |ranks: &[usize], k: usize| ranks.iter().filter(|&&r| r <= k).count();
        (count(&topics, 1), count(&topics, 3), count(&keywords, 1), count(&keywords, 3))
    }

    #[test]
    fn hybrid_notes_keep_topic_and_keyword_places() {
        let f = fixture();
        let notes = Fusion::NOTES;
        let lexical = tally(f, RankMode::Lexical, &notes);
        let semantic = tally(f, RankMode::Semantic, &notes);
        let hybrid = tally(f, RankMode::Hybrid, &notes);
        let (t, k) = (TOPICS.len(), KEYWORDS.len());
        eprintln!("notes (topic first/top 3 of {t}, keyword first/top 3 of {k}):");
        eprintln!("  lexical  {lexical:?}\n  semantic {semantic:?}\n  hybrid   {hybrid:?}");
        for words in [0.3, 0.4, 0.5, 0.6, 0.7] {
            for coverage_power in [0.0, 1.0, 2.0, 3.0] {
                let fusion = Fusion { words, coverage_power };
                eprintln!(
                    "  words {words} power {coverage_power}: {:?}",
                    tally(f, RankMode::Hybrid, &fusion)
                );
            }
        }
        // Every keyword query keeps its note in the top 3, as by words
        // (`keyword_searches_find_the_note`), and meaning costs no topic or
        // keyword first place against words alone.
        assert_eq!(hybrid.3, k, "keyword top 3: {hybrid:?}");
        assert!(hybrid.0 >= lexical.0, "topic first: hybrid {hybrid:?}, lexical {lexical:?}");
        assert!(hybrid.2 >= lexical.2, "keyword first: hybrid {hybrid:?}, lexical {lexical:?}");
    }
}
