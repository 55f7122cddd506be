//! Benchmarks: a synthetic corpus, and the measurements `folio bench` makes.
//!
//! [`generator`] makes book notes from a seed; the rest of this module times
//! an index build, refreshes and queries on them and gathers the figures in
//! a [`Report`]. Printing is `commands::bench`'s job.

pub mod generator;

pub use generator::{Generated, Pools, generate};
