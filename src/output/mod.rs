//! Rendering for people (text) and programs (JSON). Output writes to any
//! `impl Write` and returns its errors, so a closed pipe ends the program
//! quietly instead of panicking.

pub mod hits;
pub mod json;
pub mod note;
pub mod report;

/// A document made elsewhere (a completion script, a man page), written as
/// it is.
pub fn document(out: &mut dyn std::io::Write, bytes: &[u8]) -> std::io::Result<()> {
    out.write_all(bytes)?;
    out.flush()
}
