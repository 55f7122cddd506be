//! Links the `folio` binary at a fixed address on Linux (GNU): a
//! position-independent binary spends a millisecond of every process
//! start having the loader patch some 59,000 addresses into its pages,
//! an eighth of a whole `folio search` at 100,000 notes (BENCHMARKS.md,
//! issue 23). The library and tests are unchanged.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
