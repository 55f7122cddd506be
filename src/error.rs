//! Errors the library reports to people.
//!
//! Every error says where the problem is (file, and line when known) and,
//! where there is one, what to do about it. The binary adds context with
//! `anyhow`; the library keeps typed errors so callers can tell a bad note
//! (report it, skip it, go on) from a broken index (stop).

use std::fmt;
use std::path::{Path, PathBuf};

/// A problem with one note file: it is reported and the note is skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteError {
    /// The file the problem is in.
    pub path: PathBuf,
    /// 1-based line of the problem, when it is known.
    pub line: Option<usize>,
    /// What is wrong and, when possible, what to do.
    pub message: String,
}

impl NoteError {
    /// A problem with the file as a whole.
    pub fn new(path: &Path, message: impl Into<String>) -> Self {
        NoteError { path: path.to_path_buf(), line: None, message: message.into() }
    }

    /// A problem at a given 1-based line.
    pub fn at_line(path: &Path, line: usize, message: impl Into<String>) -> Self {
        NoteError { path: path.to_path_buf(), line: Some(line), message: message.into() }
    }
}

impl fmt::Display for NoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A problem with no file (a folder the walk could not read names
        // its path in the message) is the message alone.
        match self.line {
            _ if self.path.as_os_str().is_empty() => write!(f, "{}", self.message),
            Some(line) => write!(f, "{}:{}: {}", self.path.display(), line, self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for NoteError {}

/// Errors from the index and the query layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A note could not be read or parsed.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// Reading or writing a file failed. The cause is the error's source
    /// (printed after it by `{:#}`), so it is not repeated here.
    #[error("{}", path.display())]
    Io {
        /// The file or folder involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// No note folder was given, the index remembers none, and there is no
    /// default one.
    #[error("no note folder given and the index remembers none; name a folder of notes")]
    NoNoteFolder,
    /// Another folio process holds the index's writer lock.
    #[error(
        "the index at {} is being updated by another folio process; \
         wait for it to finish and try again",
        path.display()
    )]
    IndexBusy {
        /// The index folder.
        path: PathBuf,
    },
    /// The folder exists but does not hold a folio index.
    #[error(
        "{} is not a folio index (it holds other files); folio will not write \
         or delete anything in it. Pick an empty or new folder with --index",
        path.display()
    )]
    NotAnIndex {
        /// The folder.
        path: PathBuf,
    },
    /// The index was written by another version of folio.
    #[error(
        "the index at {} was written by folio index format {found}, this folio \
         reads format {expected}; run `folio index --rebuild` to rebuild it",
        path.display()
    )]
    FormatMismatch {
        /// The index folder.
        path: PathBuf,
        /// The format found in the index.
        found: String,
        /// The format this build writes.
        expected: u32,
    },
    /// The index is of an older format; `folio index` and `folio search`
    /// rebuild it automatically.
    #[error(
        "the index at {} is in folio index format {found}, this folio reads format \
         {expected}; `folio index` or `folio search` rebuilds it automatically",
        path.display()
    )]
    FormatOld {
        /// The index folder.
        path: PathBuf,
        /// The format found.
        found: u32,
        /// The format this build writes.
        expected: u32,
    },
    /// The index was written by a newer folio: it is left untouched.
    #[error(
        "the index at {} was written by a newer folio (index format {found}; this \
         folio reads format {expected} and older); it was left untouched. Use the \
         newer folio, or replace the index with `folio index --rebuild`",
        path.display()
    )]
    FormatNewer {
        /// The index folder.
        path: PathBuf,
        /// The format found.
        found: u32,
        /// The format this build writes.
        expected: u32,
    },
    /// The disk holding the index ran out of space during a write.
    #[error(
        "no space left on the disk holding {} ({free} bytes free); the index was left \
         as it was: free some space and run the command again",
        path.display()
    )]
    DiskFull {
        /// The index folder.
        path: PathBuf,
        /// Bytes available after the failure.
        free: u64,
    },
    /// There is no index yet.
    #[error("no folio index at {}; run `folio index` to build one", path.display())]
    NoIndex {
        /// The index folder.
        path: PathBuf,
    },
    /// A Tantivy error, with what folio was doing.
    ///
    /// The cause is part of the message and deliberately not the error's
    /// `source`: `{:#}` (how `main.rs` prints) writes the message and then
    /// every source, so a source that is also in the message is printed
    /// twice. Tantivy's own errors repeat their sources in their messages
    /// too (`OpenReadError` and the like), so its chain is left out and
    /// its message said once, here; `{}` (the server's replies and log
    /// lines) then still shows the cause.
    #[error("{context}: {cause}")]
    Tantivy {
        /// What folio was doing.
        context: String,
        /// The underlying error.
        cause: tantivy::TantivyError,
    },
    /// A query could not be understood.
    #[error("{0}")]
    Query(String),
}

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io { path: path.to_path_buf(), source }
    }

    /// Wraps a Tantivy error with what folio was doing.
    pub fn tantivy(context: impl Into<String>, cause: tantivy::TantivyError) -> Self {
        Error::Tantivy { context: context.into(), cause }
    }
}

/// Result with folio's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::directory::error::OpenReadError;

    /// What `main.rs` prints for an error: `folio: {:#}` of the anyhow
    /// chain, with the context a command adds.
    fn as_main_prints(err: Error) -> String {
        let err = anyhow::Error::from(err).context("searching the notes");
        format!("folio: {err:#}")
    }

    #[test]
    fn a_tantivy_cause_is_printed_once() {
        let cause = OpenReadError::FileDoesNotExist(PathBuf::from("meta-7f3a.json"));
        let err = Error::tantivy("opening the index at /tmp/ix", cause.into());
        let printed = as_main_prints(err);
        assert_eq!(printed.matches("meta-7f3a.json").count(), 1, "{printed}");
        assert!(printed.starts_with("folio: searching the notes: opening the index at /tmp/ix: "));
    }

    #[test]
    fn a_tantivy_message_keeps_its_cause_without_the_chain() {
        let cause = tantivy::TantivyError::InvalidArgument("no field `bodyx`".into());
        let err = Error::tantivy("building the query", cause);
        // `{}` alone (the server's replies) still names the cause.
        assert!(err.to_string().contains("no field `bodyx`"), "{err}");
        assert_eq!(as_main_prints(err).matches("no field `bodyx`").count(), 1);
    }

    #[test]
    fn an_io_cause_is_printed_once() {
        let cause = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied-91");
        let printed = as_main_prints(Error::io(Path::new("/notes/a.md"), cause));
        assert_eq!(printed.matches("denied-91").count(), 1, "{printed}");
        assert_eq!(printed.matches("/notes/a.md").count(), 1, "{printed}");
    }
}
