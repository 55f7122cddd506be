//! Rendering for people (text) and programs (JSON). Output writes to any
//! `impl Write` and returns its errors, so a closed pipe ends the program
//! quietly instead of panicking.

pub mod hits;
pub mod json;
pub mod mcp;
pub mod note;
pub mod paths;
pub mod report;

/// A line for the person at the terminal, on stderr, as `folio: message`
/// (notices, warnings, what a server is doing); stdout stays for results.
pub fn say(message: std::fmt::Arguments<'_>) {
    eprintln!("folio: {message}");
}

/// A line of a command's own answer, on stdout (`folio model check`'s
/// report, …).
pub fn print(message: std::fmt::Arguments<'_>) {
    println!("{message}");
}

/// A document made elsewhere (a completion script, a man page), written as
/// it is.
pub fn document(out: &mut dyn std::io::Write, bytes: &[u8]) -> std::io::Result<()> {
    out.write_all(bytes)?;
    out.flush()
}
