//! Words in every script, on real pages (feature `real-corpus`; the folder
//! is named by `FOLIO_MULTILINGUAL`, which `.ci/run` sets to
//! `../shared/corpus/multilingual/tldr`): one index of seven languages; a
//! Chinese, Japanese or Korean word finds every quote that holds it, and a
//! Russian or Spanish word every quote that holds another form of it.
//! `tests/eval/multilingual.py` measures the same on sampled words.
//!
//! A missing variable or folder is a failure, not a skip.
#![cfg(feature = "real-corpus")]

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::OnceLock;

use folio::search::{Engine, Hit, Request, Target};

mod support;

fn corpus() -> PathBuf {
    let Some(dir) = std::env::var_os("FOLIO_MULTILINGUAL") else {
        panic!(
            "FOLIO_MULTILINGUAL is not set: point it at the multilingual pages \
             (e.g. FOLIO_MULTILINGUAL=$PWD/../shared/corpus/multilingual/tldr), or run .ci/run"
        );
    };
    let dir = PathBuf::from(dir);
    assert!(dir.is_dir(), "FOLIO_MULTILINGUAL={} is not a folder", dir.display());
    dir
}

/// A quote: its file, line and lower-cased text.
type QuoteRow = (String, u64, String);

/// The index, and every quote of each language.
struct Fixture {
    engine: Engine,
    quotes: Vec<(String, Vec<QuoteRow>)>,
    _dir: tempfile::TempDir,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let root = corpus().canonicalize().expect("the corpus folder");
        let support::Built { ix, summary, dir } = support::build(vec![root.clone()], None, &|_| {});
        assert!(summary.failed.is_empty(), "{:?}", summary.failed);
        let mut quotes = Vec::new();
        for lang in ["zh", "ja", "ko", "ru", "es"] {
            let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(lang))
                .expect("a language's folder")
                .map(|e| e.expect("entry").path())
                .collect();
            files.sort();
            let mut of_lang = Vec::new();
            for file in files {
                for parsed in folio::note::read_many(&file).expect("a page parses") {
                    for q in parsed.note.quotes {
                        let path = file.to_string_lossy().into_owned();
                        of_lang.push((path, q.line as u64, q.text.to_lowercase()));
                    }
                }
            }
            quotes.push((lang.to_string(), of_lang));
        }
        Fixture { engine: Engine::open(ix).expect("engine"), quotes, _dir: dir }
    })
}

fn quotes_of(lang: &str) -> &'static [QuoteRow] {
    let found = fixture().quotes.iter().find(|(l, _)| l == lang);
    &found.expect("a language of the fixture").1
}

/// The quotes `folio quotes WORD` finds, as (path, line), best first.
fn found(word: &str) -> Vec<(String, u64)> {
    let request = Request { limit: 500, ..Request::new(word, Target::Quotes) };
    let results = fixture().engine.search(&request).expect("searches");
    results
        .hits
        .iter()
        .filter_map(|hit| match hit {
            // Shown paths may be relative to the working folder.
            Hit::Quote(q) => Some((
                std::fs::canonicalize(&q.path)
                    .map_or_else(|_| q.path.clone(), |p| p.to_string_lossy().into_owned()),
                q.line,
            )),
            Hit::Note(_) => None,
        })
        .collect()
}

fn is_cjk(c: char) -> bool {
    folio::index::analyzer::is_cjk(c)
}

/// Words of two and three characters of a language's quotes that 3 to 40
/// quotes hold, a fixed sample of them (every n-th in byte order).
fn cjk_words(lang: &str) -> Vec<String> {
    cjk_words_of(lang, &[2, 3])
}

/// Words of `lengths` characters of a language's quotes that 3 to 40
/// quotes hold, a fixed sample of them (every n-th in byte order).
fn cjk_words_of(lang: &str, lengths: &[usize]) -> Vec<String> {
    let quotes = quotes_of(lang);
    let mut candidates = BTreeSet::new();
    for (_, _, text) in quotes {
        let chars: Vec<char> = text.chars().collect();
        for &n in lengths {
            for w in chars.windows(n) {
                if w.iter().all(|&c| is_cjk(c)) {
                    candidates.insert(w.iter().collect::<String>());
                }
            }
        }
    }
    let fitting: Vec<String> = candidates
        .into_iter()
        .filter(|w| (3..=40).contains(&quotes.iter().filter(|q| q.2.contains(w.as_str())).count()))
        .collect();
    let step = (fitting.len() / 30).max(1);
    fitting.into_iter().step_by(step).take(30).collect()
}

#[test]
fn chinese_japanese_and_korean_words_find_every_quote_that_holds_them() {
    recall_and_precision_of(cjk_words);
}

/// One character (`书`, `値`, `값`) is indexed inside the pairs of its
/// text; it finds them all the same.
#[test]
fn one_character_words_find_every_quote_that_holds_them() {
    recall_and_precision_of(|lang| cjk_words_of(lang, &[1]));
}

fn recall_and_precision_of(sample: impl Fn(&str) -> Vec<String>) {
    for lang in ["zh", "ja", "ko"] {
        let words = sample(lang);
        assert!(words.len() >= 20, "{lang}: only {} words to try", words.len());
        let quotes = quotes_of(lang);
        let (mut recall, mut precision) = (0.0, 0.0);
        let mut misses = Vec::new();
        for word in &words {
            let truth: HashSet<(String, u64)> = quotes
                .iter()
                .filter(|q| q.2.contains(word.as_str()))
                .map(|q| (q.0.clone(), q.1))
                .collect();
            let hits = found(word);
            let got = hits.iter().filter(|h| truth.contains(*h)).count();
            recall += got as f64 / truth.len() as f64;
            let top: Vec<_> = hits.iter().take(10).collect();
            let right = top.iter().filter(|h| truth.contains(**h)).count();
            precision += if top.is_empty() { 0.0 } else { right as f64 / top.len() as f64 };
            if got < truth.len() {
                misses.push(format!("{word}: {got} of {}", truth.len()));
            }
        }
        let (recall, precision) = (recall / words.len() as f64, precision / words.len() as f64);
        eprintln!("{lang}: {} words, recall {recall:.3}, precision@10 {precision:.3}", words.len());
        assert!(recall >= 0.95, "{lang}: recall {recall:.3}; {misses:?}");
        assert!(precision >= 0.90, "{lang}: precision of the top 10 {precision:.3}");
    }
}

/// (language, the form searched, every form of the word in the quotes),
/// read off the pages (lemmas by simplemma, not by Snowball).
const FAMILIES: &[(&str, &str, &[&str])] = &[
    (
        "ru",
        "контейнер",
        &["контейнер", "контейнеры", "контейнеров", "контейнера", "контейнере", "контейнерами"],
    ),
    ("ru", "каталоги", &["каталог", "каталогам", "каталогов", "каталоги", "каталогами"]),
    ("ru", "репозиторий", &["репозиторий", "репозитория", "репозитории", "репозиторием"]),
    ("ru", "оболочка", &["оболочка", "оболочки"]),
    ("ru", "приложение", &["приложение", "приложений", "приложении", "приложениями"]),
    ("ru", "поиск", &["поиск", "поиска"]),
    ("ru", "строку", &["строки", "строку"]),
    ("es", "paquete", &["paquete", "paquetes"]),
    ("es", "herramientas", &["herramienta", "herramientas"]),
    ("es", "servicio", &["servicio", "servicios"]),
    ("es", "recurso", &["recurso", "recursos"]),
    ("es", "dispositivo", &["dispositivo", "dispositivos"]),
    ("es", "directorio", &["directorio", "directorios"]),
    ("es", "terminales", &["terminal", "terminales"]),
];

#[test]
fn russian_and_spanish_words_find_their_other_forms() {
    for lang in ["ru", "es"] {
        let quotes = quotes_of(lang);
        let families: Vec<_> = FAMILIES.iter().filter(|f| f.0 == lang).collect();
        let mut recall = 0.0;
        let mut misses = Vec::new();
        for (_, query, forms) in &families {
            let holds =
                |text: &str| text.split(|c: char| !c.is_alphanumeric()).any(|w| forms.contains(&w));
            let truth: HashSet<(String, u64)> =
                quotes.iter().filter(|q| holds(&q.2)).map(|q| (q.0.clone(), q.1)).collect();
            assert!(truth.len() >= 2, "{query}: the pages changed ({} quotes)", truth.len());
            let got = found(query).iter().filter(|h| truth.contains(*h)).count();
            recall += got as f64 / truth.len() as f64;
            if got < truth.len() {
                misses.push(format!("{query}: {got} of {}", truth.len()));
            }
        }
        let recall = recall / families.len() as f64;
        eprintln!("{lang}: {} words, recall of any form {recall:.3}", families.len());
        assert!(recall >= 0.85, "{lang}: recall {recall:.3}; {misses:?}");
    }
}
