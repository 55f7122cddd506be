//! What every highlight export reads into before it becomes a note: a book
//! (or article) and its highlights, each with the place it points at and the
//! reader's own note and date. The export parsers fill these; nothing here
//! knows any export's syntax.

/// One book, article or tweet thread of an export, with its highlights.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Book {
    /// The title, without the author (`AI Superpowers`, not
    /// `AI Superpowers (Lee, Kai-Fu)`).
    pub title: String,
    /// Authors, one per person, as people write a name (`Kai-Fu Lee`, where
    /// the export wrote `Lee, Kai-Fu`): readers split the export's string
    /// with [`super::authors::split`].
    pub authors: Vec<String>,
    /// The source's URL (an article, a tweet), when the export gives one.
    pub url: Option<String>,
    /// 1-based line of the file where the book's first entry starts.
    pub line: usize,
    /// Its highlights, in the order the export lists them.
    pub highlights: Vec<Highlight>,
}

/// One highlighted passage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Highlight {
    /// The passage's readable text (no block ids, no location links).
    pub text: String,
    /// 1-based line of the file where the highlight starts.
    pub line: usize,
    /// The page as written (`88`, `xvi`, `12-13`), when the book has pages.
    pub page: Option<String>,
    /// Kindle location or range, `[first, last]`.
    pub location: Option<[u64; 2]>,
    /// The chapter, when the tool records one (KOReader).
    pub chapter: Option<String>,
    /// The reader's own note on this highlight.
    pub note: Option<String>,
    /// When it was made: an ISO 8601 date (`2024-03-09`) or date-time
    /// (`2024-03-09T14:56:46`), when the tool records one.
    pub added: Option<String>,
}
