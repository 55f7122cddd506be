//! Page references: what `<footer>p. 52</footer>` and `"bathos" (p.216)` mean.
//!
//! A [`Reference`] keeps what was written (for display) and what it means:
//! its [`ReferenceKind`], arabic page numbers as `[first, last]`, and the
//! attribution written before the locator (`Calvino, 1972` in
//! `Calvino, 1972, p. 97`).

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::markup::{fold_spaces, strip_tags};

/// What a reference points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceKind {
    /// One page: `p.52`, `page 23`, `page xvi`.
    Page,
    /// Several pages: `pp. 175-176`, `somewhere between pages 331-378`.
    PageRange,
    /// A chapter: `chapter XXIV`.
    Chapter,
    /// A book.section location without pages: `6.45`, `11.18.11`.
    Section,
    /// A link: `[A talk](https://…)`.
    Link,
    /// A Kindle location without a page: `loc. 1631`, `loc. 1631-1640`.
    Location,
    /// Anything else: an attribution only, like `St. Augustine`.
    Other,
}

impl ReferenceKind {
    /// The kind's name as it appears in JSON and in the index.
    pub fn as_str(self) -> &'static str {
        match self {
            ReferenceKind::Page => "page",
            ReferenceKind::PageRange => "page_range",
            ReferenceKind::Chapter => "chapter",
            ReferenceKind::Section => "section",
            ReferenceKind::Link => "link",
            ReferenceKind::Location => "location",
            ReferenceKind::Other => "other",
        }
    }
}

/// A page reference, as written and as meant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Reference {
    /// Readable text as written (`p.52`, `Calvino, 1972, p. 97`); for a link,
    /// its text.
    pub display: String,
    /// What it points at.
    pub kind: ReferenceKind,
    /// `[first, last]` arabic page numbers; `null` for roman pages and
    /// non-page kinds.
    pub pages: Option<[u64; 2]>,
    /// `[first, last]` Kindle locations, when the export gives them; kept
    /// beside `pages` (a page is what people turn to, the location is kept).
    #[serde(default)]
    pub locations: Option<[u64; 2]>,
    /// Who or what is cited before the locator, when written.
    pub attribution: Option<String>,
    /// The target of a link reference.
    pub url: Option<String>,
}

impl Reference {
    /// The reference of a highlight: its page when it has one (`p. 88`,
    /// kind `page`, the location kept beside it), else its location
    /// (`loc. 1631`, `loc. 1631-1640`, kind `location`), else its chapter.
    /// `None` when the export gives none of them.
    pub fn highlight(
        page: Option<&str>,
        location: Option<[u64; 2]>,
        chapter: Option<&str>,
    ) -> Option<Reference> {
        let page = page.map(str::trim).filter(|p| !p.is_empty());
        if let Some(page) = page {
            let mut reference = parse(&format!("p. {page}")).unwrap_or(Reference {
                display: format!("p. {page}"),
                kind: ReferenceKind::Page,
                pages: None,
                locations: None,
                attribution: None,
                url: None,
            });
            if let (ReferenceKind::PageRange, Some([a, b])) = (reference.kind, reference.pages)
                && a == b
            {
                reference.kind = ReferenceKind::Page;
                reference.display = format!("p. {a}");
            }
            if reference.kind == ReferenceKind::PageRange {
                reference.display = format!("pp. {page}");
            }
            if !matches!(reference.kind, ReferenceKind::Page | ReferenceKind::PageRange) {
                reference.kind = ReferenceKind::Page;
                reference.attribution = None;
            }
            reference.locations = location;
            return Some(reference);
        }
        if let Some([first, last]) = location {
            let display = if first == last {
                format!("loc. {first}")
            } else {
                format!("loc. {first}-{last}")
            };
            return Some(Reference {
                display,
                kind: ReferenceKind::Location,
                pages: None,
                locations: location,
                attribution: None,
                url: None,
            });
        }
        let chapter = chapter.map(str::trim).filter(|c| !c.is_empty())?;
        Some(Reference {
            display: chapter.to_string(),
            kind: ReferenceKind::Chapter,
            pages: None,
            locations: None,
            attribution: None,
            url: None,
        })
    }
}

static LINK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\[(?P<text>[^\]]*)\]\((?P<url>[^)\s]*)\)$").expect("valid regex")
});
static PAGE_RANGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:pp?\.|pages?)\s*(?P<first>\d{1,6})\s*[-–—]\s*(?P<last>\d{1,6})\b")
        .expect("valid regex")
});
static PAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:p\.|page)\s*(?:(?P<arabic>\d{1,6})|(?P<roman>[ivxlcdm]{1,8}))\b")
        .expect("valid regex")
});
static CHAPTER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(?:chapter|ch\.)\s*(?P<which>\w+)").expect("valid regex"));
static SECTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d{1,4}(?:\.\d{1,4}){1,3}$").expect("valid regex"));

/// Parses what a `<footer>` holds (raw: may contain a Markdown link, HTML,
/// entities). `None` when it is empty.
pub fn parse(raw: &str) -> Option<Reference> {
    let trimmed = raw.trim();
    if let Some(link) = LINK.captures(trimmed) {
        return Some(Reference {
            display: fold_spaces(&strip_tags(&link["text"])),
            kind: ReferenceKind::Link,
            pages: None,
            locations: None,
            attribution: None,
            url: Some(link["url"].to_string()),
        });
    }
    let display = fold_spaces(&strip_tags(trimmed));
    if display.is_empty() {
        return None;
    }
    let mut reference = Reference {
        display: display.clone(),
        kind: ReferenceKind::Other,
        pages: None,
        locations: None,
        attribution: None,
        url: None,
    };
    let locator_start = if let Some(m) = PAGE_RANGE.captures(&display) {
        reference.kind = ReferenceKind::PageRange;
        reference.pages = page_range(&m["first"], &m["last"]);
        m.get(0).map(|m| m.start())
    } else if let Some(m) = PAGE.captures(&display) {
        reference.kind = ReferenceKind::Page;
        reference.pages = m.name("arabic").and_then(|a| a.as_str().parse().ok()).map(|p| [p, p]);
        m.get(0).map(|m| m.start())
    } else if let Some(m) = CHAPTER.captures(&display) {
        reference.kind = ReferenceKind::Chapter;
        m.get(0).map(|m| m.start())
    } else if SECTION.is_match(&display) {
        reference.kind = ReferenceKind::Section;
        Some(0)
    } else {
        reference.attribution = Some(display);
        return Some(reference);
    };
    // Text before the locator is an attribution only when a comma sets it
    // apart (`Calvino, 1972, p. 97`), not in `somewhere between pages 1-2`.
    if let Some(start) = locator_start {
        let before = display[..start].trim_end();
        if let Some(attribution) = before.strip_suffix(',') {
            let attribution = attribution.trim();
            if !attribution.is_empty() {
                reference.attribution = Some(attribution.to_string());
            }
        }
    }
    Some(reference)
}

/// `[first, last]`, expanding abbreviated ends (`175-76` → `[175, 176]`).
fn page_range(first: &str, last: &str) -> Option<[u64; 2]> {
    let a: u64 = first.parse().ok()?;
    let mut b: u64 = last.parse().ok()?;
    if b < a && last.len() < first.len() {
        let scale = 10u64.pow(last.len() as u32);
        b += a - a % scale;
        if b < a {
            b += scale;
        }
    }
    Some(if b < a { [b, a] } else { [a, b] })
}

/// `p. 55`, `pp. 12-14`, `p. xvi`, `page 166`, `pages 94-95`. It starts at
/// the locator, not at a `(`: a `(` is common in prose and made the regex's
/// literal prefilter stop everywhere; the parentheses are checked after.
static INLINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:(?P<short>pp?\.\s*(?:\d{1,6}(?:\s*[-–]\s*\d{1,6})?|[ivxlcdm]{1,8}))|(?P<prose>pages?\s+\d{1,6}(?:\s*[-–]\s*\d{1,6})?))\b",
    )
    .expect("valid regex")
});

/// Page references written in prose: `(p. 55)`, `(pp. 12-14)`, `on page 166`,
/// `on pages 94-95`, each with its byte offset in `text`. The short `p.`
/// forms count only between parentheses, as people write them in prose.
pub fn find_inline(text: &str) -> Vec<super::InlineReference> {
    INLINE
        .captures_iter(text)
        .filter_map(|caps| {
            let m = match (caps.name("short"), caps.name("prose")) {
                (Some(m), _) => {
                    let before = text[..m.start()].trim_end_matches([' ', '\t']);
                    let after = text[m.end()..].trim_start_matches([' ', '\t']);
                    (before.ends_with('(') && after.starts_with(')')).then_some(m)?
                }
                (None, Some(m)) => m,
                (None, None) => return None,
            };
            let reference = parse(m.as_str())?;
            Some(super::InlineReference { reference, offset: m.start() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReferenceKind::*;

    #[test]
    fn every_footer_shape_lands_on_its_kind() {
        // (footer as written, kind, pages, attribution, display)
        type Row<'a> = (&'a str, ReferenceKind, Option<[u64; 2]>, Option<&'a str>, &'a str);
        let rows: &[Row] = &[
            ("p.52", Page, Some([52, 52]), None, "p.52"),
            ("p. 176", Page, Some([176, 176]), None, "p. 176"),
            ("page 23", Page, Some([23, 23]), None, "page 23"),
            ("pp. 175-176", PageRange, Some([175, 176]), None, "pp. 175-176"),
            ("pp. 175-76", PageRange, Some([175, 176]), None, "pp. 175-76"),
            (
                "somewhere between pages 331-378",
                PageRange,
                Some([331, 378]),
                None,
                "somewhere between pages 331-378",
            ),
            ("page xvi", Page, None, None, "page xvi"),
            ("page xxxi", Page, None, None, "page xxxi"),
            ("p. xi", Page, None, None, "p. xi"),
            ("chapter XXIV", Chapter, None, None, "chapter XXIV"),
            ("6.45", Section, None, None, "6.45"),
            ("11.18.11", Section, None, None, "11.18.11"),
            ("9.42.4", Section, None, None, "9.42.4"),
            ("Prigogine, page 20", Page, Some([20, 20]), Some("Prigogine"), "Prigogine, page 20"),
            (
                "Calvino, 1972, p. 97",
                Page,
                Some([97, 97]),
                Some("Calvino, 1972"),
                "Calvino, 1972, p. 97",
            ),
            (
                "Song of Songs, p.223",
                Page,
                Some([223, 223]),
                Some("Song of Songs"),
                "Song of Songs, p.223",
            ),
            (
                "Larry Constantine, p. xi",
                Page,
                None,
                Some("Larry Constantine"),
                "Larry Constantine, p. xi",
            ),
            ("St. Augustine", Other, None, Some("St. Augustine"), "St. Augustine"),
            (
                "Elliott Jacques, epigraph",
                Other,
                None,
                Some("Elliott Jacques, epigraph"),
                "Elliott Jacques, epigraph",
            ),
            (
                "[Skepticon One Redux](https://youtu.be/kyrKMIDSVYE?t=18m14s)",
                Link,
                None,
                None,
                "Skepticon One Redux",
            ),
            ("  p.&nbsp;52 ", Page, Some([52, 52]), None, "p. 52"),
        ];
        for (raw, kind, pages, attribution, display) in rows {
            let r = parse(raw).unwrap_or_else(|| panic!("{raw:?} parses"));
            assert_eq!(r.kind, *kind, "kind of {raw:?}");
            assert_eq!(r.pages, *pages, "pages of {raw:?}");
            assert_eq!(r.attribution.as_deref(), *attribution, "attribution of {raw:?}");
            assert_eq!(r.display, *display, "display of {raw:?}");
        }
        let link = parse("[Skepticon One Redux](https://youtu.be/kyrKMIDSVYE?t=18m14s)");
        assert_eq!(
            link.and_then(|l| l.url).as_deref(),
            Some("https://youtu.be/kyrKMIDSVYE?t=18m14s")
        );
        assert_eq!(parse("   "), None);
    }

    #[test]
    fn a_highlight_shows_its_page_and_keeps_its_location() {
        let both = Reference::highlight(Some("88"), Some([1631, 1631]), None).expect("a reference");
        assert_eq!((both.display.as_str(), both.kind), ("p. 88", Page));
        assert_eq!((both.pages, both.locations), (Some([88, 88]), Some([1631, 1631])));
        let range = Reference::highlight(Some("12-13"), None, None).expect("a reference");
        assert_eq!((range.display.as_str(), range.kind), ("pp. 12-13", PageRange));
        let roman = Reference::highlight(Some("xvi"), Some([5, 6]), None).expect("a reference");
        assert_eq!((roman.display.as_str(), roman.kind, roman.pages), ("p. xvi", Page, None));
        let loc = Reference::highlight(None, Some([1631, 1631]), None).expect("a reference");
        assert_eq!((loc.display.as_str(), loc.kind), ("loc. 1631", Location));
        let span = Reference::highlight(None, Some([1631, 1640]), None).expect("a reference");
        assert_eq!((span.display.as_str(), span.locations), ("loc. 1631-1640", Some([1631, 1640])));
        let chapter = Reference::highlight(None, None, Some("Chapter 3")).expect("a reference");
        assert_eq!((chapter.display.as_str(), chapter.kind), ("Chapter 3", Chapter));
        assert_eq!(Reference::highlight(Some(" "), None, None), None);
    }

    #[test]
    fn inline_references_carry_their_offsets() {
        let rows: &[(&str, &str, ReferenceKind, Option<[u64; 2]>)] = &[
            (r#""blunderbuss" (p. 55) and more"#, "p. 55", Page, Some([55, 55])),
            (r#""bathos" (p.216)."#, "p.216", Page, Some([216, 216])),
            ("oxbow instead of meander on page 166,", "page 166", Page, Some([166, 166])),
            ("a picture on pages 94-95: x", "pages 94-95", PageRange, Some([94, 95])),
            ("see (pp. 12-14)", "pp. 12-14", PageRange, Some([12, 14])),
            ("the preface (p. xvi)", "p. xvi", Page, None),
        ];
        for (text, display, kind, pages) in rows {
            let found = find_inline(text);
            assert_eq!(found.len(), 1, "{text:?}: {found:?}");
            let r = &found[0];
            assert_eq!(&text[r.offset..r.offset + display.len()], *display, "offset in {text:?}");
            assert_eq!(r.reference.display, *display);
            assert_eq!(r.reference.kind, *kind);
            assert_eq!(r.reference.pages, *pages);
        }
        assert!(find_inline("no page here; a homepage 12 is not one").is_empty());
    }
}
