//! Kobo e-readers' database (`KoboReader.sqlite`, in the device's `.kobo/`
//! folder) read into [`Book`]s: one per volume, one highlight per
//! `Bookmark` row with text. `Text` is the passage, `Annotation` the
//! reader's note (a `note` row whose text is empty is the note alone),
//! `DateCreated` the date; the book's `Title` and `Attribution` (author) are
//! the `content` row whose `ContentID` is the bookmark's `VolumeID` and whose
//! `ContentType` is 6; the chapter is the `content` row of the bookmark's
//! `ContentID` (in a kepub that row is only the chapter's file name, and the
//! table of contents' entry `ContentID-N`, `ContentType` 899, has the title).
//! Kobo keeps no page numbers, so a highlight's place is its chapter.
//! `dogear` rows (bookmarks) have no text and are skipped.
//!
//! Unlike every other export this is not text: [`is_sqlite`] recognises the
//! bytes and [`read`] opens the file itself (SQLite reads files, not
//! buffers). It opens it read-only and `immutable`, so SQLite neither locks
//! it nor writes anything beside it (no `-journal`, `-wal` or `-shm`), even
//! on a read-only mount or while the device holds it open; what it reads is
//! the last state written to the main file, which is what a refresh
//! fingerprints. A file that changed after its bytes were read is read as it
//! is now, and seen as changed at the next refresh. Nothing here panics on a
//! broken database: every failure is a [`Problem`].

use std::collections::HashMap;
use std::path::Path;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use super::{Book, Highlight, authors};

/// The first 16 bytes of every SQLite 3 database.
pub const SQLITE_HEADER: &[u8] = b"SQLite format 3\0";

/// The file name Kobo gives its database.
pub const KOBO_FILE_NAME: &str = "KoboReader.sqlite";

/// Whether `bytes` are an SQLite database (by its header, not its name).
pub fn is_sqlite(bytes: &[u8]) -> bool {
    bytes.starts_with(SQLITE_HEADER)
}

/// Whether `path` is named as Kobo names its database (any case).
pub fn is_kobo_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.eq_ignore_ascii_case(KOBO_FILE_NAME))
}

/// Why a database gave no books.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// It cannot be told to be Kobo's: not SQLite, unreadable, or another
    /// application's database (no `Bookmark` or `content` table). The
    /// message says which and what to do.
    NotKobo(String),
    /// It has Kobo's tables but reading them failed (truncated, damaged,
    /// another schema version).
    Broken(String),
}

impl Problem {
    /// The message, with what to do.
    pub fn message(&self) -> &str {
        match self {
            Problem::NotKobo(m) | Problem::Broken(m) => m,
        }
    }
}

/// One `Bookmark` row, as read.
struct Row {
    volume: String,
    content: String,
    text: String,
    annotation: String,
    created: String,
}

/// Reads the Kobo database at `path` without writing anything: its books,
/// by title, each with its highlights in the order they were made. An empty
/// list when it holds no highlight (bookmarks only).
pub fn read(path: &Path) -> Result<Vec<Book>, Problem> {
    let db = open(path)?;
    let tables: Vec<String> = query_strings(
        &db,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('Bookmark', 'content')",
        &[],
    )
    .map_err(|err| Problem::NotKobo(not_readable(&err)))?;
    if !(tables.iter().any(|t| t == "Bookmark") && tables.iter().any(|t| t == "content")) {
        return Err(Problem::NotKobo(
            "an SQLite database without Kobo's `Bookmark` and `content` tables, so not a Kobo \
             KoboReader.sqlite; skipped (copy the one in the reader's .kobo folder)"
                .to_string(),
        ));
    }
    let broken = |err: rusqlite::Error| {
        Problem::Broken(format!(
            "a Kobo database that could not be read ({err}); nothing read from it: copy \
             KoboReader.sqlite from the reader again (eject it safely first)"
        ))
    };
    let rows = bookmark_rows(&db).map_err(broken)?;
    let mut books: Vec<Book> = Vec::new();
    let mut book_of: HashMap<String, usize> = HashMap::new();
    let mut chapters: HashMap<String, Option<String>> = HashMap::new();
    for row in rows {
        let text = row.text.trim();
        let note = row.annotation.trim();
        if text.is_empty() && note.is_empty() {
            continue; // a dogear, or a highlight whose text Kobo lost
        }
        let at = match book_of.get(&row.volume) {
            Some(&at) => at,
            None => {
                books.push(volume(&db, &row.volume).map_err(broken)?);
                book_of.insert(row.volume.clone(), books.len() - 1);
                books.len() - 1
            }
        };
        let chapter = match chapters.get(&row.content) {
            Some(chapter) => chapter.clone(),
            None => {
                let chapter = chapter(&db, &row.content).map_err(broken)?;
                chapters.insert(row.content.clone(), chapter.clone());
                chapter
            }
        };
        let created = row.created.trim();
        let added = koreader_iso(created.get(..19).unwrap_or(created))
            .or_else(|| koreader_iso(created.get(..10).unwrap_or(created)));
        books[at].highlights.push(Highlight {
            // A note with no passage is its own quote (see `to_note`).
            text: if text.is_empty() { note.to_string() } else { text.to_string() },
            line: 1,
            page: None,
            location: None,
            chapter,
            note: (!note.is_empty()).then(|| note.to_string()),
            added,
        });
    }
    books.retain(|b| !b.highlights.is_empty());
    books.sort_by(|a, b| a.title.cmp(&b.title));
    Ok(books)
}

fn koreader_iso(raw: &str) -> Option<String> {
    super::koreader::iso_datetime(raw)
}

/// Opens the database read-only and immutable (see the module doc).
fn open(path: &Path) -> Result<Connection, Problem> {
    let uri = format!("file:{}?mode=ro&immutable=1", uri_path(path));
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    Connection::open_with_flags(uri, flags).map_err(|err| Problem::NotKobo(not_readable(&err)))
}

/// The path as a URI path: every byte but letters, digits and `/-._~`
/// percent-encoded, so `?`, `#` and `%` in a folder name stay in the path.
fn uri_path(path: &Path) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_encode};
    const KEEP: &AsciiSet =
        &NON_ALPHANUMERIC.remove(b'/').remove(b'-').remove(b'.').remove(b'_').remove(b'~');
    #[cfg(unix)]
    let bytes = {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    };
    #[cfg(not(unix))]
    let bytes = path.to_string_lossy().replace('\\', "/").into_bytes();
    percent_encode(&bytes, KEEP).to_string()
}

/// An open or first-read failure in words.
fn not_readable(err: &rusqlite::Error) -> String {
    format!(
        "cannot be read as an SQLite database ({err}); skipped: if it is a Kobo \
         KoboReader.sqlite, copy it from the reader again (eject it safely first)"
    )
}

/// The `Bookmark` rows, oldest first.
fn bookmark_rows(db: &Connection) -> rusqlite::Result<Vec<Row>> {
    let mut statement = db.prepare(
        "SELECT VolumeID, ContentID, Text, Annotation, DateCreated FROM Bookmark \
         ORDER BY DateCreated, BookmarkID",
    )?;
    let rows = statement.query_map([], |r| {
        Ok(Row {
            volume: text_at(r, 0)?,
            content: text_at(r, 1)?,
            text: text_at(r, 2)?,
            annotation: text_at(r, 3)?,
            created: text_at(r, 4)?,
        })
    })?;
    rows.collect()
}

/// A column as text, whatever SQLite stored: NULL is empty, numbers are
/// written out, invalid UTF-8 is read lossily.
fn text_at(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<String> {
    Ok(match row.get_ref(at)? {
        ValueRef::Null => String::new(),
        ValueRef::Integer(n) => n.to_string(),
        ValueRef::Real(x) => x.to_string(),
        ValueRef::Text(t) | ValueRef::Blob(t) => String::from_utf8_lossy(t).into_owned(),
    })
}

/// Every row's first column, as text.
fn query_strings(
    db: &Connection,
    sql: &str,
    params: &[&dyn rusqlite::ToSql],
) -> rusqlite::Result<Vec<String>> {
    let mut statement = db.prepare(sql)?;
    let rows = statement.query_map(params, |r| text_at(r, 0))?;
    rows.collect()
}

/// The book of a volume: its title and author from `content`; the title
/// falls back to the book file's name when the row is missing.
fn volume(db: &Connection, volume: &str) -> rusqlite::Result<Book> {
    let mut statement = db.prepare(
        "SELECT Title, Attribution FROM content WHERE ContentID = ?1 AND ContentType = 6 LIMIT 1",
    )?;
    let found = statement
        .query_map([volume], |r| Ok((text_at(r, 0)?, text_at(r, 1)?)))?
        .next()
        .transpose()?;
    let (title, author) = found.unwrap_or_default();
    let title = match title.trim() {
        "" => file_title(volume),
        title => title.to_string(),
    };
    Ok(Book { title, authors: authors::split(&author), url: None, line: 1, highlights: Vec::new() })
}

/// `file:///mnt/onboard/Kleon/Show Your Work - Austin Kleon.kepub.epub` →
/// `Show Your Work - Austin Kleon`.
fn file_title(volume: &str) -> String {
    let name = volume.rsplit('/').next().unwrap_or(volume);
    let mut name = name;
    for ext in [".epub", ".kepub", ".pdf", ".mobi"] {
        if name.len() > ext.len() && name.to_ascii_lowercase().ends_with(ext) {
            name = &name[..name.len() - ext.len()];
        }
    }
    let decoded = percent_encoding::percent_decode_str(name).decode_utf8_lossy().into_owned();
    decoded.trim().to_string()
}

/// The title of the chapter a bookmark's `ContentID` names: its own
/// `content` row's title, unless that is a file name (a kepub's), then the
/// table of contents entry `ContentID-N`.
fn chapter(db: &Connection, content: &str) -> rusqlite::Result<Option<String>> {
    if content.is_empty() {
        return Ok(None);
    }
    let own =
        query_strings(db, "SELECT Title FROM content WHERE ContentID = ?1 LIMIT 1", &[&content])?;
    if let Some(title) = own.into_iter().next().map(|t| t.trim().to_string())
        && !title.is_empty()
        && !looks_like_file(&title)
    {
        return Ok(Some(title));
    }
    // `ContentID >= c AND ContentID < c + U+10FFFF`: the IDs starting with
    // `c`, through the table's index.
    let mut statement = db.prepare(
        "SELECT ContentID, Title FROM content WHERE ContentID >= ?1 AND ContentID < ?2 \
         AND ContentType = 899 ORDER BY VolumeIndex",
    )?;
    let end = format!("{content}\u{10FFFF}");
    let rows =
        statement.query_map([content, end.as_str()], |r| Ok((text_at(r, 0)?, text_at(r, 1)?)))?;
    for row in rows {
        let (id, title) = row?;
        let rest = id.get(content.len()..).unwrap_or("");
        let numbered = rest
            .strip_prefix('-')
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if numbered && !title.trim().is_empty() {
            return Ok(Some(title.trim().to_string()));
        }
    }
    Ok(None)
}

/// `OEBPS/008_chapter1.html`: a chapter file's name, not a title.
fn looks_like_file(title: &str) -> bool {
    let lower = title.to_ascii_lowercase();
    [".html", ".xhtml", ".htm", ".xml"].iter().any(|ext| lower.ends_with(ext))
        && !title.contains(' ')
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = "
        CREATE TABLE content (ContentID TEXT NOT NULL, ContentType TEXT NOT NULL, Title TEXT,
            Attribution TEXT, VolumeIndex INTEGER, PRIMARY KEY (ContentID));
        CREATE TABLE Bookmark (BookmarkID TEXT NOT NULL, VolumeID TEXT NOT NULL,
            ContentID TEXT NOT NULL, Text TEXT, Annotation TEXT, DateCreated TEXT,
            ChapterProgress REAL NOT NULL DEFAULT 0, Type TEXT, PRIMARY KEY (BookmarkID));";

    const VOL: &str = "file:///mnt/onboard/Kleon/Show Your Work - Austin Kleon.kepub.epub";

    /// A small Kobo database in a fresh folder: one book with a kepub
    /// chapter, a highlight, a highlight with a note, a note alone and a
    /// dogear; a second book with no `content` row.
    fn kobo_db(journal: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(KOBO_FILE_NAME);
        let db = Connection::open(&path).expect("create");
        db.pragma_update(None, "journal_mode", journal).expect("journal mode");
        db.execute_batch(SCHEMA).expect("schema");
        let chapter = format!("{}!!OEBPS/ch1.html", &VOL[7..]);
        db.execute(
            "INSERT INTO content VALUES (?1, '6', 'Show Your Work!', 'Austin Kleon', 0)",
            [VOL],
        )
        .expect("book");
        db.execute("INSERT INTO content VALUES (?1, '9', 'OEBPS/ch1.html', NULL, 1)", [&chapter])
            .expect("chapter file");
        db.execute(
            "INSERT INTO content VALUES (?1, '899', 'Think Process', NULL, 2)",
            [format!("{chapter}-1")],
        )
        .expect("toc");
        /// (id, volume, text, annotation, date, type)
        type Row<'a> = (&'a str, &'a str, Option<&'a str>, Option<&'a str>, &'a str, &'a str);
        let rows: [Row; 6] = [
            (
                "b1",
                VOL,
                Some("  Share something small every day.\n"),
                None,
                "2024-12-15T00:43:25.852",
                "highlight",
            ),
            ("b2", VOL, Some("Be an amateur."), Some("me too"), "2024-12-16T10:00:00Z", "note"),
            ("b3", VOL, Some(""), Some("just a thought"), "2024-12-17", "note"),
            ("b4", VOL, None, None, "2024-12-18T00:00:00", "dogear"),
            ("b5", VOL, Some(""), Some(""), "2024-12-18T00:00:00", "highlight"),
            (
                "b6",
                "file:///mnt/onboard/x/Lost Book.kepub.epub",
                Some("Orphan."),
                None,
                "",
                "highlight",
            ),
        ];
        for (id, volume, text, note, date, kind) in rows {
            db.execute(
                "INSERT INTO Bookmark (BookmarkID, VolumeID, ContentID, Text, Annotation, \
                 DateCreated, Type) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                rusqlite::params![id, volume, chapter, text, note, date, kind],
            )
            .expect("bookmark");
        }
        drop(db);
        (dir, path)
    }

    #[test]
    fn a_comma_between_full_names_lists_authors() {
        let (_dir, path) = kobo_db("DELETE");
        let db = Connection::open(&path).expect("open");
        db.execute(
            "UPDATE content SET Attribution = 'Terry Pratchett, Neil Gaiman' WHERE ContentID = ?1",
            [VOL],
        )
        .expect("attribution");
        drop(db);
        let books = read(&path).expect("a Kobo database");
        assert_eq!(books[1].authors, ["Terry Pratchett", "Neil Gaiman"]);
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("list")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn reads_highlights_notes_titles_authors_and_chapters() {
        let (_dir, path) = kobo_db("DELETE");
        let books = read(&path).expect("a Kobo database");
        assert_eq!(books.len(), 2);
        let lost = &books[0];
        assert_eq!((lost.title.as_str(), lost.authors.len()), ("Lost Book", 0));
        let b = &books[1];
        assert_eq!(b.title, "Show Your Work!");
        assert_eq!(b.authors, ["Austin Kleon"]);
        let got: Vec<(&str, Option<&str>, Option<&str>)> = b
            .highlights
            .iter()
            .map(|h| (h.text.as_str(), h.note.as_deref(), h.added.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("Share something small every day.", None, Some("2024-12-15T00:43:25")),
                ("Be an amateur.", Some("me too"), Some("2024-12-16T10:00:00")),
                ("just a thought", Some("just a thought"), Some("2024-12-17")),
            ]
        );
        for h in &b.highlights {
            assert_eq!(h.chapter.as_deref(), Some("Think Process"));
            assert_eq!((h.page.as_deref(), h.location), (None, None));
        }
    }

    #[test]
    fn reading_writes_nothing_beside_the_database() {
        for journal in ["DELETE", "WAL"] {
            let (dir, path) = kobo_db(journal);
            let before = names(dir.path());
            assert_eq!(before, [KOBO_FILE_NAME], "{journal}");
            let books = read(&path).expect("readable");
            assert_eq!(books.len(), 2);
            assert_eq!(names(dir.path()), before, "{journal}: files appeared");
        }
    }

    #[test]
    fn a_database_held_by_a_writer_is_still_read() {
        let (dir, path) = kobo_db("DELETE");
        let holder = Connection::open(&path).expect("open");
        holder.execute_batch("BEGIN EXCLUSIVE;").expect("lock");
        let books = read(&path).expect("immutable reads ignore locks");
        assert_eq!(books.len(), 2);
        drop(holder);
        drop(dir);
    }

    #[test]
    fn other_databases_and_garbage_are_problems_not_panics() {
        let dir = tempfile::tempdir().expect("temp dir");
        let other = dir.path().join("places.sqlite");
        let db = Connection::open(&other).expect("create");
        db.execute_batch("CREATE TABLE moz_places (id INTEGER);").expect("schema");
        drop(db);
        assert!(matches!(read(&other), Err(Problem::NotKobo(m)) if m.contains("Bookmark")));

        let garbage = dir.path().join("garbage.sqlite");
        let mut bytes = SQLITE_HEADER.to_vec();
        bytes.extend(std::iter::repeat_n(0xA5u8, 3000));
        std::fs::write(&garbage, &bytes).expect("write");
        assert!(matches!(read(&garbage), Err(Problem::NotKobo(_))));

        let missing = dir.path().join("gone.sqlite");
        assert!(matches!(read(&missing), Err(Problem::NotKobo(_))));
        assert!(!missing.exists(), "read-only open must not create the file");
    }

    #[test]
    fn truncated_databases_are_problems_not_panics() {
        let (dir, path) = kobo_db("DELETE");
        let db = Connection::open(&path).expect("open");
        for i in 0..400 {
            db.execute(
                "INSERT INTO Bookmark (BookmarkID, VolumeID, ContentID, Text, Type) \
                 VALUES (?1, ?2, 'c', ?3, 'highlight')",
                rusqlite::params![format!("x{i}"), VOL, "a long passage ".repeat(20)],
            )
            .expect("row");
        }
        drop(db);
        let full = std::fs::read(&path).expect("read");
        assert!(full.len() > 40_000);
        for cut in [20, 100, 4096, full.len() / 3, full.len() / 2, full.len() - 100] {
            let cut_path = dir.path().join(format!("cut{cut}.sqlite"));
            std::fs::write(&cut_path, &full[..cut]).expect("write");
            // Whatever SQLite makes of it, it is an answer, not a panic.
            if let Err(problem) = read(&cut_path) {
                assert!(!problem.message().is_empty());
            }
        }
    }

    #[test]
    fn uri_paths_keep_special_characters() {
        assert_eq!(uri_path(Path::new("/a b/c?d#e%f.sqlite")), "/a%20b/c%3Fd%23e%25f.sqlite");
        let dir = tempfile::tempdir().expect("temp dir");
        let odd = dir.path().join("odd ?#% folder");
        std::fs::create_dir(&odd).expect("mkdir");
        let (_src_dir, src) = kobo_db("DELETE");
        std::fs::copy(&src, odd.join(KOBO_FILE_NAME)).expect("copy");
        assert_eq!(read(&odd.join(KOBO_FILE_NAME)).expect("read").len(), 2);
    }

    #[test]
    fn names_and_headers() {
        assert!(is_sqlite(b"SQLite format 3\0rest"));
        assert!(!is_sqlite(b"SQLite format 3"));
        assert!(is_kobo_name(Path::new("/x/.kobo/koboreader.SQLITE")));
        assert!(!is_kobo_name(Path::new("/x/places.sqlite")));
        assert_eq!(file_title(VOL), "Show Your Work - Austin Kleon");
        assert!(looks_like_file("OEBPS/008_chapter1.html"));
        assert!(!looks_like_file("Chapter One"));
    }
}
