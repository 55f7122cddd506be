//! The synthetic corpus: book notes made from a seed.
//!
//! Note `i` of a corpus is a pure function of `(seed, i)`: it is written by
//! its own random stream, so notes can be made on any number of threads in
//! any order and the bytes are always the same. Pools of titles, authors,
//! publishers and tags are a function of the seed alone (not of the number
//! of notes), so note 7 of a 300-note corpus is note 7 of a million-note one.
//!
//! The random numbers come from a small generator written here (SplitMix64
//! seeding xoshiro256**) rather than from a crate, so a new version of a
//! dependency can never change the corpus. Only the note sizes go through
//! floating-point `exp`/`ln`, whose last bit could in principle differ
//! between platforms' maths libraries; on one platform the output is fixed.
//!
//! What a note looks like is described in `docs` of [`super`] and follows
//! the book-note format (a `key: value` header, a blank line, Markdown) or,
//! for about one note in ten, YAML front matter.

use rand_xoshiro::Xoshiro256StarStar;
use rand_xoshiro::rand_core::{Rng as _, SeedableRng};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// The vocabulary: 25,000 English words, most frequent first (see
/// `WORDS-LICENSE.md` beside this file for where they come from).
const WORDS: &str = include_str!("words.txt");

/// Zipf exponent of word frequencies (English is close to 1).
const ZIPF_WORDS: f64 = 1.0;
/// Zipf exponent over the title and author pools: a few books get many notes.
const ZIPF_POOLS: f64 = 0.7;
/// Median note size aimed at, in bytes, and the spread of its logarithm:
/// the notes come out with a median of about 1.9 KB and a mean of about
/// 2.6 KB (100,000 notes ≈ 260 MB), the shape of the real book notes
/// (median 1.8 KB, mean 2.7 KB).
const MEDIAN_SIZE: f64 = 1750.0;
const SIZE_SIGMA: f64 = 0.85;
/// Smallest and largest note sizes aimed at.
const MIN_SIZE: usize = 200;
const MAX_SIZE: usize = 25_000;
/// Notes per subfolder.
pub const NOTES_PER_FOLDER: usize = 1000;

/// Fixed phrases sprinkled through the prose so phrase queries have hits.
pub const COLLOCATIONS: [&str; 16] = [
    "event sourcing",
    "memory palace",
    "second law",
    "river of time",
    "stream of consciousness",
    "free will",
    "natural selection",
    "tragedy of the commons",
    "invisible hand",
    "division of labor",
    "theory of mind",
    "cognitive load",
    "deep work",
    "feedback loop",
    "social contract",
    "arrow of time",
];

const FIRST_NAMES: [&str; 48] = [
    "Ada", "Alan", "Alice", "Anna", "Ben", "Carl", "Clara", "David", "Edith", "Elena", "Emil",
    "Frank", "Grace", "Hannah", "Henri", "Ian", "Iris", "Jacob", "Jane", "Jorge", "Karen", "Leo",
    "Lucia", "Marcus", "Maria", "Martin", "Nadia", "Nora", "Oliver", "Olga", "Paul", "Petra",
    "Rachel", "Ruth", "Samuel", "Sofia", "Stefan", "Susan", "Thomas", "Umberto", "Vera", "Victor",
    "Walter", "Wendy", "Yuki", "Zadie", "Italo", "Ilya",
];

const SURNAMES: [&str; 96] = [
    "Abbott",
    "Adler",
    "Ahrens",
    "Atkinson",
    "Baker",
    "Barnes",
    "Berger",
    "Bishop",
    "Brandt",
    "Calvino",
    "Carver",
    "Chen",
    "Clarke",
    "Cohen",
    "Dalton",
    "Dawkins",
    "Duras",
    "Eco",
    "Ellis",
    "Falk",
    "Fischer",
    "Fowler",
    "Garcia",
    "Gibson",
    "Gould",
    "Graham",
    "Hall",
    "Hartmann",
    "Hayes",
    "Holt",
    "Hughes",
    "Ishiguro",
    "Jacques",
    "James",
    "Jensen",
    "Kahn",
    "Keller",
    "Kim",
    "Klein",
    "Kundera",
    "Lambert",
    "Lee",
    "Lewis",
    "Lindqvist",
    "Marsh",
    "Mayer",
    "Meyer",
    "Morgan",
    "Murdoch",
    "Nakamura",
    "Nash",
    "Novak",
    "Okafor",
    "Olsen",
    "Ortega",
    "Park",
    "Perec",
    "Prigogine",
    "Quinn",
    "Reyes",
    "Richter",
    "Rossi",
    "Russo",
    "Sacks",
    "Sato",
    "Schmidt",
    "Sebald",
    "Shaw",
    "Singh",
    "Smith",
    "Sontag",
    "Stopford",
    "Strand",
    "Tanaka",
    "Taylor",
    "Tolstoy",
    "Turner",
    "Vance",
    "Varga",
    "Vogel",
    "Wagner",
    "Walsh",
    "Weber",
    "Weil",
    "Wells",
    "White",
    "Wilde",
    "Wolf",
    "Woolf",
    "Wright",
    "Yates",
    "Young",
    "Zhang",
    "Zimmer",
    "Zola",
    "Zweig",
];

const PUBLISHERS: [&str; 16] = [
    "O'Reilly",
    "Penguin",
    "Vintage",
    "Knopf",
    "Faber & Faber",
    "MIT Press",
    "Princeton University Press",
    "Gallimard",
    "Norton",
    "Basic Books",
    "Picador",
    "New Directions",
    "Manning",
    "Pragmatic Bookshelf",
    "Oxford University Press",
    "Harvill",
];

const ATTRIBUTIONS: [&str; 6] = [
    "St. Augustine",
    "Elliott Jacques, epigraph",
    "Marcus Aurelius",
    "Song of Songs",
    "Heraclitus",
    "the narrator",
];

/// Sizes of the pools drawn from, fixed so the corpus does not depend on N.
const TITLE_POOL: usize = 6000;
const AUTHOR_POOL: usize = 2500;
const TAG_POOL: usize = 60;

// ---------------------------------------------------------------------------
// Random numbers

/// xoshiro256** from `rand_xoshiro`, whose output is fixed by its
/// algorithm (the crate promises value stability), so a dependency update
/// cannot change the corpus. The helpers below are written out rather than
/// taken from `rand`'s distributions, which do not promise stable values.
#[derive(Debug, Clone)]
pub struct Rng {
    inner: Xoshiro256StarStar,
}

impl Rng {
    /// A stream for `(seed, stream)`; different streams are independent.
    pub fn new(seed: u64, stream: u64) -> Self {
        let mixed = seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
        Rng { inner: Xoshiro256StarStar::seed_from_u64(mixed) }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.inner.next_u64()
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        // Multiply-shift: unbiased enough for a corpus, and portable.
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A standard normal deviate (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u = 1.0 - self.unit(); // (0, 1]
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// Ranks drawn with probability ∝ 1 / (rank + 1)^s, by binary search in
/// the cumulative distribution.
#[derive(Debug, Clone)]
struct Zipf {
    cdf: Vec<f64>,
}

impl Zipf {
    fn new(n: usize, s: f64) -> Self {
        let mut cdf = Vec::with_capacity(n);
        let mut total = 0.0;
        for rank in 0..n {
            total += 1.0 / ((rank + 1) as f64).powf(s);
            cdf.push(total);
        }
        for c in &mut cdf {
            *c /= total;
        }
        Zipf { cdf }
    }

    fn sample(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        self.cdf.partition_point(|&c| c <= u).min(self.cdf.len() - 1)
    }
}

// ---------------------------------------------------------------------------
// Vocabulary and pools

/// The word list, most frequent first.
pub fn words() -> &'static [&'static str] {
    static LIST: OnceLock<Vec<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| WORDS.lines().map(str::trim).filter(|w| !w.is_empty()).collect())
}

/// The Zipf tables, built once.
struct Tables {
    words: Zipf,
    titles: Zipf,
    authors: Zipf,
    tags: Zipf,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| Tables {
        words: Zipf::new(words().len(), ZIPF_WORDS),
        titles: Zipf::new(TITLE_POOL, ZIPF_POOLS),
        authors: Zipf::new(AUTHOR_POOL, ZIPF_POOLS),
        tags: Zipf::new(TAG_POOL, ZIPF_POOLS),
    })
}

/// A content word: drawn from ranks 150.. so titles are not "Of The And".
fn content_word(rng: &mut Rng) -> &'static str {
    let words = words();
    words[150 + rng.below(words.len().min(8000) - 150)]
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Titles, authors and tags for one seed.
#[derive(Debug, Clone)]
pub struct Pools {
    /// Book titles.
    pub titles: Vec<String>,
    /// Author names.
    pub authors: Vec<String>,
    /// Tags (lower case, one word).
    pub tags: Vec<String>,
}

impl Pools {
    /// The pools of a seed.
    pub fn new(seed: u64) -> Self {
        let mut rng = Rng::new(seed, u64::MAX);
        let titles = (0..TITLE_POOL)
            .map(|_| {
                let a = capitalize(content_word(&mut rng));
                let b = capitalize(content_word(&mut rng));
                match rng.below(7) {
                    0 => format!("The {a}"),
                    1 => format!("The {a} of {b}"),
                    2 => format!("{a} and {b}"),
                    3 => format!("On {a}"),
                    4 => format!("A Short History of {a}"),
                    5 => format!("{a}: {b} and the {}", capitalize(content_word(&mut rng))),
                    _ => format!("{a} {b}"),
                }
            })
            .collect();
        let authors = (0..AUTHOR_POOL)
            .map(|_| {
                let first = rng.pick(&FIRST_NAMES);
                let last = rng.pick(&SURNAMES);
                if rng.chance(0.2) {
                    let middle = rng.pick(&FIRST_NAMES).chars().next().unwrap_or('A');
                    format!("{first} {middle}. {last}")
                } else {
                    format!("{first} {last}")
                }
            })
            .collect();
        let mut tags: Vec<String> = Vec::with_capacity(TAG_POOL);
        while tags.len() < TAG_POOL {
            let tag = content_word(&mut rng).to_string();
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        Pools { titles, authors, tags }
    }

    fn title(&self, rng: &mut Rng) -> &str {
        &self.titles[tables().titles.sample(rng)]
    }

    fn author(&self, rng: &mut Rng) -> &str {
        &self.authors[tables().authors.sample(rng)]
    }

    fn tag(&self, rng: &mut Rng) -> &str {
        &self.tags[tables().tags.sample(rng)]
    }
}

// ---------------------------------------------------------------------------
// One note

/// The stream of note `i`'s `version`-th content (version 0 is the corpus;
/// later versions are the "changed" notes of a refresh benchmark).
fn note_stream(i: usize, version: u32) -> u64 {
    (i as u64) | (u64::from(version) << 40)
}

/// The text of note `i` of the corpus of `seed` (version 0), or of a changed
/// version of it (version 1, 2, …).
pub fn note(pools: &Pools, seed: u64, i: usize, version: u32) -> String {
    let mut rng = Rng::new(seed, note_stream(i, version));
    let target = {
        let size = (MEDIAN_SIZE.ln() + SIZE_SIGMA * rng.normal()).exp();
        (size as usize).clamp(MIN_SIZE, MAX_SIZE)
    };
    let mut out = String::with_capacity(target + 600);
    let title = pools.title(&mut rng).to_string();
    let author = pools.author(&mut rng).to_string();
    // Recent years are likelier, as on a real shelf.
    let year = 2024 - (rng.unit() * rng.unit() * 170.0) as usize;
    let front_matter = rng.chance(0.1);
    if front_matter {
        out.push_str("---\n");
        if title.contains(':') {
            // YAML needs quotes around a value holding ": ".
            let _ = writeln!(out, "title: \"{title}\"");
        } else {
            let _ = writeln!(out, "title: {title}");
        }
        if rng.chance(0.3) {
            let _ = writeln!(out, "author: [{author}, {}]", pools.author(&mut rng));
        } else if rng.chance(0.5) {
            let _ = writeln!(out, "author: [{author}]");
        } else {
            let _ = writeln!(out, "author: {author}");
        }
        let _ = writeln!(out, "year: {year}");
        let ntags = rng.range(1, 4);
        let tags: Vec<&str> = (0..ntags).map(|_| pools.tag(&mut rng)).collect();
        let _ = writeln!(out, "tags: [{}]", tags.join(", "));
        out.push_str("---\n");
        let _ = writeln!(out, "# {title}\n");
    } else {
        header(&mut out, &mut rng, pools, &title, &author, year, target);
    }

    let quotes = rng.range(0, 8).min(target / 300);
    // Prose paragraphs are ~400 bytes: spread the quotes over them.
    let expected_blocks = (target.saturating_sub(out.len()) / 400).max(1);
    let mut quotes_left = quotes;
    let mut first = true;
    while out.len() < target || first {
        first = false;
        if quotes_left > 0 && rng.chance(quotes as f64 / expected_blocks as f64) {
            quote(&mut out, &mut rng, pools);
            quotes_left -= 1;
        } else if rng.chance(0.08) {
            list(&mut out, &mut rng);
        } else {
            let room = target.saturating_sub(out.len()).max(80);
            paragraph(&mut out, &mut rng, room);
        }
    }
    for _ in 0..quotes_left {
        quote(&mut out, &mut rng, pools);
    }
    out
}

fn header(
    out: &mut String,
    rng: &mut Rng,
    pools: &Pools,
    title: &str,
    author: &str,
    year: usize,
    target: usize,
) {
    let _ = writeln!(out, "name: {}", title.replace([' ', ':'], "_").replace("__", "_"));
    let full = target > 600;
    if full {
        let _ = writeln!(out, "isbn13: 978{:010}", rng.next_u64() % 10_000_000_000);
    }
    if rng.chance(0.6) {
        let slug = title.to_lowercase().replace([' ', ':'], "-");
        let _ = writeln!(out, "title: [{title}](https://books.example.org/{slug})");
    } else {
        let _ = writeln!(out, "title: {title}");
    }
    if rng.chance(0.05) {
        // A translation's title.
        let _ = writeln!(out, "title: {}", pools.title(rng));
    }
    let _ = writeln!(out, "author: {author}");
    if rng.chance(0.12) {
        let _ = writeln!(out, "author: {}", pools.author(rng));
    }
    if !full {
        let _ = writeln!(out, "year: {year}\n");
        return;
    }
    let _ = writeln!(out, "publisher: {}", rng.pick(&PUBLISHERS));
    let _ = writeln!(out, "year: {year}");
    if rng.chance(0.05) {
        let _ = writeln!(out, "year: {}", year + rng.range(1, 60));
    }
    let read = 2005 + rng.below(20);
    let (month, day) = (rng.range(1, 12), rng.range(1, 28));
    if rng.chance(0.1) {
        let _ = writeln!(out, "acquired: {}", read - rng.below(3));
    } else {
        let _ = writeln!(out, "acquired: {}-{:02}-{:02}", read - rng.below(3), month, day);
    }
    let _ = writeln!(out, "start: {read}-{month:02}-{day:02}");
    let _ =
        writeln!(out, "stop: {read}-{:02}-{:02}", (month + rng.below(2)).min(12), rng.range(1, 28));
    if rng.chance(0.1) {
        let _ = writeln!(out, "tags: {}, {}", pools.tag(rng), pools.tag(rng));
    }
    out.push('\n');
}

/// Words of a sentence (without the final punctuation), as Markdown.
fn sentence(rng: &mut Rng, out: &mut Vec<String>) {
    let n = rng.range(6, 24);
    let zipf = &tables().words;
    let words = words();
    let start = out.len();
    let collocation_at = if rng.chance(0.06) { Some(rng.below(n)) } else { None };
    for k in 0..n {
        if collocation_at == Some(k) {
            out.extend(rng.pick(&COLLOCATIONS).split(' ').map(str::to_string));
            continue;
        }
        let word = words[zipf.sample(rng)];
        let roll = rng.unit();
        if roll < 0.012 {
            out.push(format!("_{word}_"));
        } else if roll < 0.016 {
            let other = words[zipf.sample(rng)];
            out.push(format!("[{word} {other}](https://example.org/wiki/{word}_{other})"));
        } else if roll < 0.019 && k + 1 < n {
            // An inline page reference, as in `"blunderbuss" (p. 55)`.
            match rng.below(3) {
                0 => out.push(format!("\"{word}\" (p. {})", rng.range(1, 400))),
                1 => out.push(format!("\"{word}\" (p.{})", rng.range(1, 400))),
                _ => out.push(format!("{word} on page {}", rng.range(1, 400))),
            }
        } else if rng.chance(0.05) && k + 1 < n {
            out.push(format!("{word},"));
        } else {
            out.push(word.to_string());
        }
    }
    if let Some(first) = out.get_mut(start)
        && !first.starts_with(['_', '[', '"'])
    {
        *first = capitalize(first);
    }
    if let Some(last) = out.last_mut() {
        last.push(if rng.chance(0.07) { '?' } else { '.' });
    }
}

/// Appends words, wrapped at 80 columns, each line starting with `prefix`.
fn wrap(out: &mut String, words: &[String], prefix: &str) {
    let mut column = 0;
    for word in words {
        if column > 0 && column + 1 + word.len() > 80 {
            out.push('\n');
            column = 0;
        }
        if column == 0 {
            out.push_str(prefix);
            column = prefix.len();
        } else {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += word.len();
    }
    out.push('\n');
}

fn paragraph(out: &mut String, rng: &mut Rng, room: usize) {
    let mut words = Vec::new();
    let sentences = rng.range(2, 6).min(room / 60 + 1);
    for _ in 0..sentences {
        sentence(rng, &mut words);
    }
    wrap(out, &words, "");
    out.push('\n');
}

fn list(out: &mut String, rng: &mut Rng) {
    for _ in 0..rng.range(2, 5) {
        let mut words = Vec::new();
        sentence(rng, &mut words);
        wrap(out, &words, "- ");
    }
    out.push('\n');
}

fn quote(out: &mut String, rng: &mut Rng, pools: &Pools) {
    let mut words = Vec::new();
    for _ in 0..rng.range(1, 4) {
        sentence(rng, &mut words);
    }
    wrap(out, &words, "> ");
    if !rng.chance(0.12) {
        let _ = writeln!(out, "> <footer>{}</footer>", reference(rng, pools));
    }
    out.push('\n');
}

fn roman(mut n: usize) -> String {
    const TABLE: [(usize, &str); 13] = [
        (1000, "m"),
        (900, "cm"),
        (500, "d"),
        (400, "cd"),
        (100, "c"),
        (90, "xc"),
        (50, "l"),
        (40, "xl"),
        (10, "x"),
        (9, "ix"),
        (5, "v"),
        (4, "iv"),
        (1, "i"),
    ];
    let mut s = String::new();
    for (value, digits) in TABLE {
        while n >= value {
            s.push_str(digits);
            n -= value;
        }
    }
    s
}

/// A quote's reference, in every shape of formats.md.
fn reference(rng: &mut Rng, pools: &Pools) -> String {
    let page = rng.range(1, 480);
    let surname =
        |rng: &mut Rng| pools.author(rng).rsplit(' ').next().unwrap_or("Anonymous").to_string();
    match rng.below(16) {
        0..=2 => format!("p.{page}"),
        3..=4 => format!("p. {page}"),
        5 => format!("page {page}"),
        6 => format!("pp. {page}-{}", page + rng.range(1, 3)),
        7 => format!("somewhere between pages {page}-{}", page + rng.range(10, 60)),
        8 => format!("page {}", roman(rng.range(1, 40))),
        9 => format!("chapter {}", roman(rng.range(1, 40)).to_uppercase()),
        10 => format!("{}.{}", rng.range(1, 12), rng.range(1, 70)),
        11 => format!("{}.{}.{}", rng.range(1, 12), rng.range(1, 40), rng.range(1, 20)),
        12 => format!("{}, {}, p. {page}", surname(rng), rng.range(1900, 2020)),
        13 => format!("{}, page {page}", surname(rng)),
        14 => rng.pick(&ATTRIBUTIONS).to_string(),
        _ => {
            let title = capitalize(content_word(rng));
            let id = rng.next_u64() % 100_000_000;
            format!(
                "[{title} talk](https://youtu.be/v{id:08}?t={}m{}s)",
                rng.below(60),
                rng.below(60)
            )
        }
    }
}

// ---------------------------------------------------------------------------
// A Kindle `My Clippings.txt`

/// Books a generated clippings file spreads its entries over.
const CLIPPINGS_BOOKS: u64 = 400;

/// Entry `i` of a generated Kindle `My Clippings.txt` (a pure function of
/// `(seed, i)`, so a file of `n + 20` entries is the file of `n` with 20
/// appended, as a Kindle appends them). Mostly highlights (page and
/// location, or location only, with a date), some notes at the end of the
/// highlight before them, some bookmarks, some highlights re-made longer;
/// `Last, First` authors, a byte-order mark on some entries.
pub fn clipping(pools: &Pools, seed: u64, i: usize) -> String {
    let mut rng = Rng::new(seed, (1 << 62) | i as u64);
    let book = rng.next_u64() % CLIPPINGS_BOOKS;
    let mut book_rng = Rng::new(seed, (1 << 61) | book);
    let title = pools.title(&mut book_rng).to_string();
    let author = pools.author(&mut book_rng).to_string();
    let author = match author.rsplit_once(' ') {
        Some((first, last)) => format!("{last}, {first}"),
        None => author,
    };
    // Locations grow through the file, per book: entry i of the file is
    // about the (i / books)-th of its book.
    let location = 10 + (i as u64 / CLIPPINGS_BOOKS) * 15 + rng.below(10) as u64;
    let end = location + rng.range(0, 6) as u64;
    let page = (rng.chance(0.5)).then(|| location / 16 + 1);
    let date = format!(
        "Added on Monday, {} {}, {} {}:{:02}:{:02} {}",
        rng.pick(&["January", "March", "May", "July", "September", "November"]),
        rng.range(1, 28),
        rng.range(2012, 2025),
        rng.range(1, 12),
        rng.below(60),
        rng.below(60),
        if rng.chance(0.5) { "AM" } else { "PM" }
    );
    let bom = if rng.chance(0.1) { "\u{feff}" } else { "" };
    let place = |loc: String| match page {
        Some(p) => format!("on page {p} | Location {loc}"),
        None => format!("on Location {loc}"),
    };
    let mut words = Vec::new();
    let (kind, text) = match rng.below(20) {
        0 => ("Bookmark", String::new()),
        1..=2 => {
            sentence(&mut rng, &mut words);
            ("Note", words.join(" "))
        }
        _ => {
            for _ in 0..rng.range(1, 4) {
                sentence(&mut rng, &mut words);
            }
            ("Highlight", words.join(" "))
        }
    };
    let loc = if kind == "Highlight" { format!("{location}-{end}") } else { format!("{end}") };
    format!(
        "{bom}{title} ({author})\n- Your {kind} {} | {date}\n\n{text}\n==========\n",
        place(loc)
    )
}

/// A generated `My Clippings.txt` of at least `bytes` bytes; returns it and
/// its number of entries.
pub fn clippings(seed: u64, bytes: usize) -> (String, usize) {
    let pools = Pools::new(seed);
    let mut out = String::with_capacity(bytes + 4096);
    let mut entries = 0;
    while out.len() < bytes {
        out.push_str(&clipping(&pools, seed, entries));
        entries += 1;
    }
    (out, entries)
}

// ---------------------------------------------------------------------------
// A corpus on disk

/// Where note `i` lives under the corpus folder: `0003/note-0003141.md`.
pub fn note_path(i: usize) -> PathBuf {
    PathBuf::from(format!("{:04}", i / NOTES_PER_FOLDER)).join(format!("note-{i:07}.md"))
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generated {
    /// Notes written.
    pub notes: usize,
    /// Their bytes, all together.
    pub bytes: u64,
}

/// Writes notes `0..notes` of the corpus of `seed` under `dir`, on `threads`
/// threads; `progress` is called once per note written.
pub fn generate(
    dir: &Path,
    notes: usize,
    seed: u64,
    threads: usize,
    progress: &(dyn Fn() + Sync),
) -> std::io::Result<Generated> {
    let pools = Pools::new(seed);
    // Warm the shared tables before the threads race for them.
    let _ = tables();
    for folder in 0..notes.div_ceil(NOTES_PER_FOLDER) {
        std::fs::create_dir_all(dir.join(format!("{folder:04}")))?;
    }
    let next = AtomicUsize::new(0);
    let bytes = AtomicU64::new(0);
    std::thread::scope(|scope| -> std::io::Result<()> {
        let workers: Vec<_> = (0..threads.max(1))
            .map(|_| {
                scope.spawn(|| -> std::io::Result<()> {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= notes {
                            return Ok(());
                        }
                        let text = note(&pools, seed, i, 0);
                        std::fs::write(dir.join(note_path(i)), &text)?;
                        bytes.fetch_add(text.len() as u64, Ordering::Relaxed);
                        progress();
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().map_err(|_| std::io::Error::other("a generator thread panicked"))??;
        }
        Ok(())
    })?;
    Ok(Generated { notes, bytes: bytes.into_inner() })
}

/// Rewrites every `every`-th note of a generated corpus with new content
/// (version `version` of it); returns how many notes were rewritten.
pub fn rewrite(
    dir: &Path,
    notes: usize,
    seed: u64,
    every: usize,
    version: u32,
) -> std::io::Result<usize> {
    let pools = Pools::new(seed);
    let mut count = 0;
    for i in (0..notes).step_by(every.max(1)) {
        std::fs::write(dir.join(note_path(i)), note(&pools, seed, i, version))?;
        count += 1;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabulary_is_large_and_lower_case() {
        let words = words();
        assert!(words.len() >= 20_000, "{}", words.len());
        assert!(words.iter().all(|w| w.chars().all(|c| c.is_ascii_lowercase())));
        assert_eq!(words[0], "the");
    }

    #[test]
    fn same_seed_same_note_and_versions_differ() {
        let pools = Pools::new(7);
        assert_eq!(note(&pools, 7, 12, 0), note(&Pools::new(7), 7, 12, 0));
        assert_ne!(note(&pools, 7, 12, 0), note(&pools, 7, 12, 1));
        assert_ne!(note(&pools, 7, 12, 0), note(&Pools::new(8), 8, 12, 0));
    }

    #[test]
    fn roman_numerals() {
        assert_eq!(roman(16), "xvi");
        assert_eq!(roman(24).to_uppercase(), "XXIV");
        assert_eq!(roman(31), "xxxi");
    }

    #[test]
    fn sizes_and_shapes_are_realistic() {
        let pools = Pools::new(1);
        let notes: Vec<String> = (0..2000).map(|i| note(&pools, 1, i, 0)).collect();
        let mut sizes: Vec<usize> = notes.iter().map(String::len).collect();
        sizes.sort_unstable();
        let median = sizes[sizes.len() / 2];
        assert!((1600..=2300).contains(&median), "median {median}");
        let mean = sizes.iter().sum::<usize>() / sizes.len();
        assert!((2200..=3000).contains(&mean), "mean {mean}");
        assert!(sizes[0] >= 150 && sizes[sizes.len() - 1] <= 32_000, "{sizes:?}");
        let front = notes.iter().filter(|n| n.starts_with("---\n")).count();
        assert!((120..=280).contains(&front), "{front} with front matter");
        let all = notes.concat();
        for shape in [
            "<footer>p.",
            "<footer>p. ",
            "<footer>page ",
            "<footer>pp. ",
            "somewhere between pages",
            "<footer>chapter ",
            "https://youtu.be/",
            "(p. ",
            "memory palace",
            "_",
        ] {
            assert!(all.contains(shape), "no {shape:?}");
        }
    }
}
