//! Rendering for people (text) and programs (JSON). Output writes to any
//! `impl Write` and returns its errors, so a closed pipe ends the program
//! quietly instead of panicking.

pub mod hits;
pub mod json;
pub mod mcp;
pub mod note;
pub mod report;
