//! Query parsing and search, end to end, on a small fixed index built once
//! (lazily, in a temp dir) from generated notes. The first byte picks the
//! target, the modes and the filters; the rest is the query text. A search
//! must never panic or error, and every highlight must lie inside its text.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../support/query_search.rs"]
mod support;

fuzz_target!(|bytes: &[u8]| {
    let Some(request) = support::request(bytes) else { return };
    let results = support::engine().search(&request).expect("a search never fails");
    if let Some(problem) = support::highlight_problem(&results) {
        panic!("{problem}");
    }
});
