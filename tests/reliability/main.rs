//! Reliability tests of the built `folio` binary (RELIABILITY.md): searches
//! during builds, hostile file systems, and bounded resources on huge inputs.
//! The crash test (`tests/crash.rs`), the property tests
//! (`tests/properties.rs`) and the fuzz regressions
//! (`tests/fuzz_regressions.rs`) are test targets of their own.

/// The shared test environment of the CLI tests.
#[allow(dead_code)]
#[path = "../cli/util.rs"]
mod util;

/// Searches and stats during builds; search while another process writes.
mod concurrency;

/// Symlink loops, unreadable files and folders, files that change during the
/// walk, non-UTF-8 names, the index inside the notes.
mod hostile_fs;

/// A full disk during a rebuild and an update (a tiny tmpfs).
#[cfg(feature = "root")]
mod full_disk;

/// Huge notes, long lines, many quotes, deep nesting, long queries.
mod resources;

/// A small note (a few hundred bytes) whose words depend on `i` and
/// `version`; every note holds the word "memory" in a quote.
pub fn small_note(i: usize, version: u32) -> String {
    let words = folio::bench::generator::words();
    let mut rng = folio::bench::generator::Rng::new(99, (i as u64) | (u64::from(version) << 40));
    let mut pick = |n: usize| -> String {
        (0..n).map(|_| words[rng.below(words.len().min(3000))]).collect::<Vec<_>>().join(" ")
    };
    let (title, prose, quote) = (pick(3), pick(40), pick(20));
    format!(
        "title: {title}\nauthor: Author {}\nyear: {}\n\n{prose}.\n\n\
         > {quote} memory\n> <footer>p. {}</footer>\n",
        i % 97,
        1900 + i % 120,
        1 + i % 400,
    )
}
