//! The Kindle apps' "Export notebook" HTML read into a [`Book`]: `div`s of
//! class `bookTitle`, `authors`, `sectionHeading` (the chapter), then per
//! entry a `noteHeading` (`Highlight(<span class="highlight_yellow">yellow
//! </span>) - Page 12 · Location 150`) and a `noteText` (the passage).
//!
//! The heading is written in the app's language (`Surlignement (jaune) -
//! Page 12 · Emplacement 150`, `ハイライト (黄色) - ページ12 · 位置No. 150`,
//! `标注(黄色) - 第 12 页·位置 150`), so it is read by what stays: after the
//! first ` - `, an optional chapter before ` > `, then one or two numbers
//! separated by `·`. Two numbers are the page and the location; one is a
//! page when a word beside it says so in one of the languages below, else a
//! location. An entry is a note when its label is a note word and it has no
//! highlight colour, a bookmark (skipped) when it is a bookmark word; any
//! other entry is a highlight. A note joins the highlight just before it (a
//! Kindle note sits at or a little after its highlight's start); a note
//! with no highlight before it is its own quote.
//!
//! The file is scanned, not parsed as HTML: each `<div class=…>` runs to its
//! `</div>` or to the next `<div`, whichever is first, so unclosed divs
//! (older apps close `noteText` with `</h3>`) cost nothing. Entities are
//! decoded and tags dropped ([`crate::note::markup::strip_tags`]).

use std::sync::LazyLock;

use regex::Regex;

use super::{Book, Highlight, authors};
use crate::note::Warning;
use crate::note::markup::{fold_spaces, strip_tags};

/// An opening `div` with its class attribute.
static DIV: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)<div\s[^>]*?class\s*=\s*["']([^"']*)["'][^>]*>"#).expect("valid regex")
});

/// A positional segment of a heading: a short label, a number or range (or
/// a roman page number), a short suffix (`第 12 页`, `Location 150-152`,
/// `Page xii`, `位置No. 150`).
static POSITION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?P<pre>[^\d]{0,30}?)\s*(?:(?P<a>\d{1,7})(?:\s*[-–—]\s*(?P<b>\d{1,7}))?|\b(?P<roman>[ivxlcdm]{1,8}))\s*(?P<post>[^\d\s]{0,3})$",
    )
    .expect("valid regex")
});

/// Words that say a number is a page, in the languages the Kindle apps
/// write (lower case; matched as substrings of the label).
const PAGE_WORDS: &[&str] = &[
    "page",
    "seite",
    "página",
    "pagina",
    "pág",
    "ページ",
    "页",
    "頁",
    "페이지",
    "стр",
    "side",
    "sida",
    "sivu",
    "strona",
    "sayfa",
    "σελίδα",
    "pagina",
    "halaman",
    "หน้า",
    "पृष्ठ",
    "blz",
];

/// Labels of a note entry.
const NOTE_WORDS: &[&str] = &[
    "note",
    "notiz",
    "remarque",
    "nota",
    "メモ",
    "笔记",
    "筆記",
    "注释",
    "备注",
    "메모",
    "заметка",
    "notitie",
    "anteckning",
    "notatka",
    "σημείωση",
];

/// Labels of a bookmark entry (no text; skipped).
const BOOKMARK_WORDS: &[&str] = &[
    "bookmark",
    "lesezeichen",
    "signet",
    "marque-page",
    "marcador",
    "segnalibro",
    "ブックマーク",
    "书签",
    "書籤",
    "북마크",
    "закладка",
    "bladwijzer",
    "bokmärke",
    "zakładka",
];

/// What an entry's heading says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Heading {
    kind: Kind,
    page: Option<String>,
    location: Option<[u64; 2]>,
    chapter: Option<String>,
    line: usize,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Kind {
    #[default]
    Highlight,
    Note,
    Bookmark,
}

/// Reads a Kindle notebook. `None` when `text` is not one; otherwise its
/// book (none when it has no highlight) and one warning per problem.
pub fn parse(text: &str, warnings: &mut Vec<Warning>) -> Option<Vec<Book>> {
    // Every note is offered to this reader (`super::read` turns most away
    // first, by `MARKERS`): two byte searches before the div pattern reads
    // the whole text.
    let bytes = text.as_bytes();
    if memchr::memmem::find(bytes, b"noteHeading").is_none()
        && memchr::memmem::find(bytes, b"notebookFor").is_none()
    {
        return None;
    }
    let divs = divs(text);
    let has = |class: &str| divs.iter().any(|d| d.class == class);
    if !(has("noteHeading") || (has("notebookFor") && has("bookTitle"))) {
        return None;
    }
    let mut books: Vec<Book> = Vec::new();
    let mut book = Book::default();
    let mut section: Option<String> = None;
    let mut heading: Option<Heading> = None;
    // Whether the last highlight can still take a note (nothing since).
    let mut open_highlight = false;
    let mut untexted: Vec<usize> = Vec::new();
    for div in &divs {
        match div.class {
            "bookTitle" => {
                if !book.title.is_empty() || !book.highlights.is_empty() {
                    books.push(std::mem::take(&mut book));
                }
                book.title = readable(div.inner);
                book.line = div.line;
                section = None;
                open_highlight = false;
            }
            "authors" => {
                book.authors = authors::split(&readable(div.inner));
            }
            "sectionHeading" => section = Some(readable(div.inner)).filter(|s| !s.is_empty()),
            "noteHeading" => {
                if let Some(h) = heading.take()
                    && h.kind != Kind::Bookmark
                {
                    untexted.push(h.line);
                }
                heading = Some(parse_heading(div.inner, div.line));
            }
            "noteText" => {
                let h = heading.take().unwrap_or(Heading { line: div.line, ..Heading::default() });
                let text = readable(div.inner);
                if text.is_empty() || super::is_clipping_limit(&text) || h.kind == Kind::Bookmark {
                    open_highlight = false;
                    continue;
                }
                if h.kind == Kind::Note
                    && open_highlight
                    && let Some(last) = book.highlights.last_mut()
                    && note_belongs(last, &h)
                {
                    last.note = Some(text);
                    open_highlight = false;
                    continue;
                }
                let chapter = h.chapter.or_else(|| section.clone());
                book.highlights.push(Highlight {
                    note: (h.kind == Kind::Note).then(|| text.clone()),
                    text,
                    line: h.line,
                    page: h.page,
                    location: h.location,
                    chapter,
                    added: None,
                });
                open_highlight = h.kind == Kind::Highlight;
            }
            _ => {}
        }
    }
    if let Some(h) = heading.take()
        && h.kind != Kind::Bookmark
    {
        untexted.push(h.line);
    }
    if let Some(&first) = untexted.first() {
        warnings.push(Warning {
            line: Some(first),
            message: format!(
                "Kindle notebook: {} highlight heading(s) with no text after them (no \
                 `noteText`); skipped, export the notebook again if text is missing",
                untexted.len()
            ),
        });
    }
    if !book.title.is_empty() || !book.highlights.is_empty() {
        books.push(book);
    }
    books.retain(|b| !b.highlights.is_empty());
    for b in &mut books {
        if b.line == 0 {
            b.line = b.highlights.first().map_or(1, |h| h.line);
        }
    }
    Some(books)
}

/// Whether a note goes with the highlight before it: it has no place, or
/// it sits at or a little after the highlight's start (Kindle dates a note
/// at the end of the passage).
fn note_belongs(highlight: &Highlight, note: &Heading) -> bool {
    if highlight.note.is_some() {
        return false;
    }
    if let (Some([start, _]), Some([at, _])) = (highlight.location, note.location) {
        return at >= start && at - start <= 200;
    }
    let number = |p: &Option<String>| p.as_deref().and_then(|p| p.trim().parse::<u64>().ok());
    if let (Some(start), Some(at)) = (number(&highlight.page), number(&note.page)) {
        return at >= start && at - start <= 5;
    }
    true
}

/// One `div` of the file: its first class, the raw HTML inside it, and the
/// 1-based line it starts on.
struct Div<'a> {
    class: &'a str,
    inner: &'a str,
    line: usize,
}

/// Every classed `div`, each running to its `</div>` or the next `<div`.
fn divs(text: &str) -> Vec<Div<'_>> {
    let opens: Vec<(usize, usize, &str)> = DIV
        .captures_iter(text)
        .filter_map(|c| {
            let whole = c.get(0)?;
            let class = c.get(1)?.as_str().split_whitespace().next().unwrap_or("");
            Some((whole.start(), whole.end(), class))
        })
        .collect();
    let mut out = Vec::with_capacity(opens.len());
    let (mut line, mut counted) = (1, 0);
    for (i, &(start, end, class)) in opens.iter().enumerate() {
        line += memchr::memchr_iter(b'\n', &text.as_bytes()[counted..start]).count();
        counted = start;
        let limit = opens.get(i + 1).map_or(text.len(), |next| next.0);
        let body = &text[end..limit];
        let lower_close = find_ascii_ci(body, "</div").unwrap_or(body.len());
        let inner = &body[..lower_close];
        // The text starts on the line after the tag when the tag ends one.
        let lead = inner.len() - inner.trim_start().len();
        let first = line
            + memchr::memchr_iter(b'\n', &text.as_bytes()[start..end]).count()
            + memchr::memchr_iter(b'\n', &inner.as_bytes()[..lead]).count();
        out.push(Div { class, inner, line: first });
    }
    out
}

/// The byte offset of `needle` (ASCII) in `hay`, ignoring ASCII case.
fn find_ascii_ci(hay: &str, needle: &str) -> Option<usize> {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    (0..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// HTML as readable one-line text: tags dropped, entities decoded, spaces
/// folded.
fn readable(html: &str) -> String {
    fold_spaces(&strip_tags(html))
}

/// Reads a `noteHeading`'s raw HTML.
fn parse_heading(html: &str, line: usize) -> Heading {
    let coloured = html.to_ascii_lowercase().contains("highlight_");
    let text = readable(html);
    let (label, tail) = match text.find(" - ").or_else(|| text.find("- ")) {
        Some(at) => (&text[..at], text[at..].trim_start_matches([' ', '-'])),
        None => ("", text.as_str()),
    };
    let label_lower = label.to_lowercase();
    let said = |words: &[&str]| words.iter().any(|w| label_lower.contains(w));
    let kind = if coloured {
        Kind::Highlight
    } else if said(BOOKMARK_WORDS) {
        Kind::Bookmark
    } else if said(NOTE_WORDS) && !said(&["highlight"]) {
        Kind::Note
    } else {
        Kind::Highlight
    };
    let (chapter, places) = match tail.rfind(" > ") {
        Some(at) => {
            (Some(tail[..at].trim().to_string()).filter(|c| !c.is_empty()), &tail[at + 3..])
        }
        None => (None, tail),
    };
    let mut heading = Heading { kind, chapter, line, ..Heading::default() };
    let found: Vec<(bool, Place)> = places.split(['·', '•', '|']).filter_map(place).collect();
    match found.as_slice() {
        [] => {}
        [(is_page, p)] => {
            if *is_page {
                heading.page = Some(p.written.clone());
            } else if let Some(range) = p.range {
                heading.location = Some(range);
            } else {
                heading.page = Some(p.written.clone()); // a roman number is a page
            }
        }
        [(first_page, first), (second_page, second), ..] => {
            // Page, then location, unless the words say the other way round.
            let (page, location) =
                if !first_page && *second_page { (second, first) } else { (first, second) };
            heading.page = Some(page.written.clone());
            heading.location = location.range;
        }
    }
    heading
}

/// A number as written (`12`, `12-13`, `xii`) and as a range.
struct Place {
    written: String,
    range: Option<[u64; 2]>,
}

/// One `·`-separated segment of a heading: whether it is a page (by its
/// words), and its number; `None` when it holds no lone number.
fn place(segment: &str) -> Option<(bool, Place)> {
    let segment = segment.trim();
    let caps = POSITION.captures(segment)?;
    let words = format!(
        "{} {}",
        caps.name("pre").map_or("", |m| m.as_str()),
        caps.name("post").map_or("", |m| m.as_str())
    )
    .to_lowercase();
    let is_page = PAGE_WORDS.iter().any(|w| words.contains(w));
    if let Some(roman) = caps.name("roman") {
        // `xii` alone could be a word: only with a page word.
        return is_page.then(|| (true, Place { written: roman.as_str().to_string(), range: None }));
    }
    let a: u64 = caps.name("a")?.as_str().parse().ok()?;
    let b: u64 = caps.name("b").and_then(|b| b.as_str().parse().ok()).unwrap_or(a);
    let written = if b == a { a.to_string() } else { format!("{a}-{b}") };
    Some((is_page, Place { written, range: Some([a, b.max(a)]) }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NOTEBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" ?>
<html><head><style>.noteText { color: #333; }</style></head>
<body><div class="bodyContainer">
<div class="notebookFor">Notebook for</div>
<div class="bookTitle">Hackers &amp; Painters</div>
<div class="authors">Graham, Paul</div>
<div class="citation"></div>
<hr />
<div class="sectionHeading">Chapter 1</div>
<div class="noteHeading">Highlight(<span class="highlight_yellow">yellow</span>) - Page 12 · Location 150</div>
<div class="noteText">A &ldquo;hacker&rdquo; is   someone who
  makes things.</div>
<div class="noteHeading">Note - Page 12 · Location 151</div>
<div class="noteText">my note</div>
<div class="sectionHeading">Chapter 2</div>
<div class="noteHeading">Highlight (<span class="highlight_blue">blue</span>) -  Location 300-302</div>
<div class="noteText">Second.</h3>
<div class="noteHeading">Bookmark - Location 310</div>
<div class="noteHeading">Highlight (<span class="highlight_pink">pink</span>) - 3. Taste &gt; Page xii</div>
<div class="noteText">Third.</div>
</div></body></html>"#;

    fn parse_ok(text: &str) -> (Vec<Book>, Vec<Warning>) {
        let mut warnings = Vec::new();
        let books = parse(text, &mut warnings).expect("recognised as a Kindle notebook");
        (books, warnings)
    }

    #[test]
    fn reads_the_notebook() {
        let (books, warnings) = parse_ok(NOTEBOOK);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(books.len(), 1);
        let b = &books[0];
        assert_eq!(b.title, "Hackers & Painters");
        assert_eq!(b.authors, ["Paul Graham"]);
        assert_eq!(b.line, 5);
        let got: Vec<_> = b
            .highlights
            .iter()
            .map(|h| {
                (
                    h.text.as_str(),
                    h.page.as_deref(),
                    h.location,
                    h.chapter.as_deref(),
                    h.note.as_deref(),
                    h.line,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    "A “hacker” is someone who makes things.",
                    Some("12"),
                    Some([150, 150]),
                    Some("Chapter 1"),
                    Some("my note"),
                    10
                ),
                ("Second.", None, Some([300, 302]), Some("Chapter 2"), None, 16),
                ("Third.", Some("xii"), None, Some("3. Taste"), None, 19),
            ]
        );
    }

    #[test]
    fn headings_in_every_app_language() {
        /// (heading HTML, kind, page, location)
        type Row<'a> = (&'a str, Kind, Option<&'a str>, Option<[u64; 2]>);
        let rows: &[Row] = &[
            (
                "Highlight(<span class=\"highlight_yellow\">yellow</span>) - Page 12 · Location 150",
                Kind::Highlight,
                Some("12"),
                Some([150, 150]),
            ),
            (
                "Highlight (<span class=\"highlight_yellow\">yellow</span>) -  Location 129",
                Kind::Highlight,
                None,
                Some([129, 129]),
            ),
            (
                "Highlight (<span class=\"highlight_yellow\">yellow</span>) - 2. The Tree of Knowledge &gt; Page 26",
                Kind::Highlight,
                Some("26"),
                None,
            ),
            (
                "Surlignement (<span class=\"highlight_yellow\">jaune</span>) - Page 12 · Emplacement 150",
                Kind::Highlight,
                Some("12"),
                Some([150, 150]),
            ),
            (
                "Surlignement (<span class=\"highlight_yellow\">jaune</span>) - Emplacement 150",
                Kind::Highlight,
                None,
                Some([150, 150]),
            ),
            (
                "Markierung (<span class=\"highlight_yellow\">gelb</span>) - Seite 12 · Position 150",
                Kind::Highlight,
                Some("12"),
                Some([150, 150]),
            ),
            (
                "Markierung (<span class=\"highlight_yellow\">gelb</span>) - Seite 12",
                Kind::Highlight,
                Some("12"),
                None,
            ),
            (
                "Subrayado (<span class=\"highlight_yellow\">amarillo</span>) - Página 12 · Posición 150",
                Kind::Highlight,
                Some("12"),
                Some([150, 150]),
            ),
            (
                "ハイライト (<span class=\"highlight_yellow\">黄色</span>) - ページ12 · 位置No. 150",
                Kind::Highlight,
                Some("12"),
                Some([150, 150]),
            ),
            (
                "ハイライト (<span class=\"highlight_yellow\">黄色</span>) - 位置No. 150",
                Kind::Highlight,
                None,
                Some([150, 150]),
            ),
            (
                "标注(<span class=\"highlight_yellow\">黄色</span>) - 第 12 页·位置 150",
                Kind::Highlight,
                Some("12"),
                Some([150, 150]),
            ),
            (
                "标注(<span class=\"highlight_yellow\">黄色</span>) - 第 12 页",
                Kind::Highlight,
                Some("12"),
                None,
            ),
            (
                "Evidenziazione (<span class=\"highlight_yellow\">giallo</span>) - Pagina 12 · Posizione 150",
                Kind::Highlight,
                Some("12"),
                Some([150, 150]),
            ),
            (
                "Destaque (<span class=\"highlight_yellow\">amarelo</span>) - Página 12 · Posição 150",
                Kind::Highlight,
                Some("12"),
                Some([150, 150]),
            ),
            ("Note - Location 151", Kind::Note, None, Some([151, 151])),
            ("Notiz - Seite 12 · Position 151", Kind::Note, Some("12"), Some([151, 151])),
            ("メモ - 位置No. 151", Kind::Note, None, Some([151, 151])),
            ("笔记 - 第 12 页·位置 151", Kind::Note, Some("12"), Some([151, 151])),
            ("Nota - Página 12", Kind::Note, Some("12"), None),
            ("Bookmark - Location 110", Kind::Bookmark, None, Some([110, 110])),
            ("Lesezeichen - Position 110", Kind::Bookmark, None, Some([110, 110])),
            ("Highlight - Location 7", Kind::Highlight, None, Some([7, 7])),
            ("Unbekannt - 42", Kind::Highlight, None, Some([42, 42])),
            ("Highlight (yellow)", Kind::Highlight, None, None),
        ];
        for (html, kind, page, location) in rows {
            let h = parse_heading(html, 1);
            assert_eq!(
                (h.kind, h.page.as_deref(), h.location),
                (*kind, *page, *location),
                "{html}"
            );
        }
    }

    #[test]
    fn a_note_far_from_the_highlight_is_its_own_quote() {
        let html = r#"<div class="bookTitle">T</div>
<div class="noteHeading">Highlight(<span class="highlight_yellow">yellow</span>) - Location 100</div>
<div class="noteText">Passage.</div>
<div class="noteHeading">Note - Location 900</div>
<div class="noteText">Far away thought.</div>
<div class="noteHeading">Note - Location 905</div>
<div class="noteText">Another.</div>"#;
        let (books, _) = parse_ok(html);
        let got: Vec<_> =
            books[0].highlights.iter().map(|h| (h.text.as_str(), h.note.as_deref())).collect();
        assert_eq!(
            got,
            [
                ("Passage.", None),
                ("Far away thought.", Some("Far away thought.")),
                ("Another.", Some("Another.")),
            ]
        );
    }

    #[test]
    fn headings_without_text_are_one_warning() {
        let html = r#"<div class="notebookFor">Notebook for</div><div class="bookTitle">T</div>
<div class="noteHeading">Highlight(<span class="highlight_yellow">yellow</span>) - Location 1</div>
<div class="noteHeading">Highlight(<span class="highlight_yellow">yellow</span>) - Location 2</div>"#;
        let (books, warnings) = parse_ok(html);
        assert!(books.is_empty());
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0].line, Some(2));
        assert!(warnings[0].message.contains("2 highlight heading(s)"), "{}", warnings[0].message);
    }

    #[test]
    fn unclosed_divs_and_entities() {
        let html = "<div class='bookTitle'>Caf&eacute; &#8220;Society&#8221;\n<div class='authors'>A. Writer; B. Other\n<div class='noteHeading'>Highlight(<span class='highlight_orange'>orange</span>) - Location 5\n<div class='noteText'>x &lt; y &amp;&nbsp;z\n";
        let (books, _) = parse_ok(html);
        assert_eq!(books[0].title, "Café “Society”");
        assert_eq!(books[0].authors, ["A. Writer", "B. Other"]);
        assert_eq!(books[0].highlights[0].text, "x < y & z");
        assert_eq!(books[0].highlights[0].location, Some([5, 5]));
    }

    #[test]
    fn a_comma_lists_authors_and_a_degree_is_no_name() {
        let html = |authors: &str| {
            format!(
                "<div class='bookTitle'>Freakonomics</div>\n<div class='authors'>{authors}</div>\n\
                 <div class='noteHeading'>Highlight(<span class='highlight_yellow'>yellow</span>) - \
                 Location 5</div>\n<div class='noteText'>Incentives.</div>\n"
            )
        };
        let rows: [(&str, &[&str]); 3] = [
            ("Steven D. Levitt, Stephen J. Dubner", &["Steven D. Levitt", "Stephen J. Dubner"]),
            ("Stephan J. Guyenet, Ph.D.", &["Stephan J. Guyenet"]),
            ("Harari, Yuval Noah", &["Yuval Noah Harari"]),
        ];
        for (written, people) in rows {
            let (books, _) = parse_ok(&html(written));
            assert_eq!(books[0].authors, people, "{written}");
        }
    }

    #[test]
    fn not_a_notebook_is_none() {
        let mut w = Vec::new();
        for text in [
            "",
            "# note",
            "<html><body><div class=\"content\">hello</div></body></html>",
            "<div class=\"bookTitle\">only a title</div>",
            "<p class=\"noteHeading\">not a div</p>",
            "{\"highlights\": []}",
        ] {
            assert_eq!(parse(text, &mut w), None, "{text}");
        }
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn clipping_limit_and_empty_text_are_not_quotes() {
        let html = r#"<div class="noteHeading">Highlight(<span class="highlight_yellow">yellow</span>) - Location 5</div>
<div class="noteText">&lt;You have reached the clipping limit for this item&gt;</div>
<div class="noteHeading">Highlight(<span class="highlight_yellow">yellow</span>) - Location 6</div>
<div class="noteText">   </div>"#;
        let (books, _) = parse_ok(html);
        assert!(books.is_empty());
    }

    proptest! {
        #[test]
        fn never_panics(text in "(<div class=\"(noteHeading|noteText|bookTitle|authors|sectionHeading)\">|</div>|<span class=\"highlight_yellow\">|</span>| - | · | > |Page|Location|Note|[0-9]{1,9}|&amp;|&#|<|>|\\s|\\PC){0,60}") {
            let mut w = Vec::new();
            let _ = parse(&text, &mut w);
            let _ = parse_heading(&text, 1);
        }
    }
}
