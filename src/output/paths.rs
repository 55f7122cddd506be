//! Paths as the person at the terminal sees them: relative to the folder
//! folio runs in when under it, else whole. The index and the engine carry
//! absolute paths; only the command line shortens them (a server's working
//! folder means nothing to its clients).

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use crate::search::{Hit, Results};

/// The folder folio runs in, read once (folio never changes it).
static CURRENT: LazyLock<Option<PathBuf>> = LazyLock::new(|| std::env::current_dir().ok());

/// `path`, relative to the current folder when under it.
pub fn shown(path: &Path) -> String {
    match CURRENT.as_deref().and_then(|cwd| path.strip_prefix(cwd).ok()) {
        Some(relative) => relative.to_string_lossy().into_owned(),
        None => path.to_string_lossy().into_owned(),
    }
}

/// Every hit's path [`shown`] as on the command line.
pub fn relative_hits(results: &mut Results) {
    for hit in &mut results.hits {
        let path = match hit {
            Hit::Note(n) => &mut n.card.path,
            Hit::Quote(q) => &mut q.path,
        };
        *path = shown(Path::new(path.as_str()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_under_the_current_folder_are_shown_relative() {
        let cwd = std::env::current_dir().expect("a current folder");
        assert_eq!(
            shown(&cwd.join("notes").join("a.md")),
            format!("notes{}a.md", std::path::MAIN_SEPARATOR)
        );
        let elsewhere = Path::new("/nowhere-near/notes/a.md");
        assert_eq!(shown(elsewhere), "/nowhere-near/notes/a.md");
    }
}
