//! Bookcision JSON (a Kindle notebook export, one file per book) read into a
//! [`Book`]: `{"asin", "title", "authors", "highlights": [{"text",
//! "isNoteOnly", "location": {"url", "value"}, "note"}]}`.
//!
//! `authors` is one string, several names joined by `;` or ` and ` (some
//! versions write a list). `location.value` is the Kindle location. An entry
//! with `isNoteOnly` is the reader's note: it joins the highlight just before
//! it when that one has the same location, and is dropped otherwise (a note
//! is not a quote). Kindle's `<You have reached the clipping limit…>`
//! placeholder is not a quote either.
//!
//! This module also owns `array_element_lines`, which finds where each
//! element of a JSON array starts, since serde_json keeps no positions.

use serde::Deserialize;
use serde_json::Value;

use super::{Book, Highlight};
use crate::note::Warning;

/// The one shape Bookcision writes; every field loose, so that a wrong type
/// in one entry costs that entry only.
#[derive(Deserialize)]
struct Export {
    asin: Option<Value>,
    title: Option<Value>,
    authors: Option<Value>,
    highlights: Option<Value>,
}

/// Reads a Bookcision export. `None` when `text` is not one; otherwise its
/// book (none when it has no highlight) and one warning per problem.
pub fn parse(text: &str, warnings: &mut Vec<Warning>) -> Option<Vec<Book>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if !text.trim_start().starts_with('{') {
        return None;
    }
    let export: Export = match serde_json::from_str(text) {
        Ok(export) => export,
        Err(err) => {
            // A broken file is ours only if it says so.
            let looks_like = text.contains("\"isNoteOnly\"")
                || (text.contains("\"asin\"") && text.contains("\"highlights\""));
            if !looks_like {
                return None;
            }
            warnings.push(Warning {
                line: Some(err.line()),
                message: format!(
                    "Bookcision export is not valid JSON ({err}); nothing read from it, \
                     download it again from Bookcision"
                ),
            });
            return Some(Vec::new());
        }
    };
    let highlights = match &export.highlights {
        Some(Value::Array(highlights)) => highlights,
        Some(_) => {
            warnings.push(Warning {
                line: Some(1),
                message: "Bookcision export: `highlights` is not a list; nothing read".to_string(),
            });
            return Some(Vec::new());
        }
        None => return None,
    };
    if export.asin.is_none() && export.title.is_none() && export.authors.is_none() {
        return None;
    }
    let lines = array_element_lines(text, "highlights").into_iter().next().unwrap_or_default();
    let mut book = Book {
        title: export.title.as_ref().and_then(Value::as_str).unwrap_or("").trim().to_string(),
        authors: authors(export.authors.as_ref()),
        ..Book::default()
    };
    for (i, entry) in highlights.iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(1);
        read_entry(entry, line, &mut book.highlights, warnings);
    }
    match book.highlights.first() {
        Some(first) => {
            book.line = first.line;
            Some(vec![book])
        }
        None => Some(Vec::new()),
    }
}

fn read_entry(entry: &Value, line: usize, out: &mut Vec<Highlight>, warnings: &mut Vec<Warning>) {
    let mut warn = |what: &str| {
        warnings.push(Warning {
            line: Some(line),
            message: format!("Bookcision export: {what}; skipped"),
        });
    };
    let Some(entry) = entry.as_object() else {
        warn("a highlight is not an object");
        return;
    };
    let text = match entry.get("text") {
        Some(Value::String(s)) => s.trim(),
        None | Some(Value::Null) => "",
        Some(_) => {
            warn("a highlight's `text` is not a string");
            return;
        }
    };
    let location = match entry.get("location").and_then(|l| l.get("value")) {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
    .map(|n| [n, n]);
    let note_only = entry.get("isNoteOnly").and_then(Value::as_bool).unwrap_or(false);
    if note_only {
        if let Some(last) = out.last_mut().filter(|h| h.location == location && !text.is_empty()) {
            last.note = Some(match last.note.take() {
                Some(note) => format!("{note}\n\n{text}"),
                None => text.to_string(),
            });
        }
        return;
    }
    if text.is_empty() || super::is_clipping_limit(text) {
        return;
    }
    let note = entry.get("note").and_then(Value::as_str).map(str::trim).filter(|n| !n.is_empty());
    out.push(Highlight {
        text: text.to_string(),
        line,
        page: None,
        location,
        chapter: None,
        note: note.map(str::to_string),
        added: None,
    });
}

/// `"A; B"`, `"A and B"` or `["A", "B"]` → `[A, B]`, each string read by
/// [`super::authors::split`].
fn authors(value: Option<&Value>) -> Vec<String> {
    let joined = match value {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let mut people = Vec::new();
    for name in joined.into_iter().flat_map(super::authors::split) {
        if !people.contains(&name) {
            people.push(name);
        }
    }
    people
}

/// For each JSON array that is the value of a `key` member, in file order,
/// the 1-based line where each of its elements starts. serde_json keeps no
/// positions, so this scans the text for structure only (strings, brackets,
/// braces, commas); on invalid JSON the answer may be partial, which costs
/// line numbers only.
pub(super) fn array_element_lines(text: &str, key: &str) -> Vec<Vec<usize>> {
    // Each open container: is it an array, and is it one we report?
    let mut stack: Vec<(bool, bool)> = Vec::new();
    let mut found: Vec<Vec<usize>> = Vec::new();
    let mut last_string: Option<(usize, usize)> = None; // byte range of the last string
    let mut after_colon = false; // the last string was followed by `:`
    let mut awaiting = false; // the next value starts an element we report
    let bytes = text.as_bytes();
    let (mut i, mut line) = (0, 1);
    while i < bytes.len() {
        let b = bytes[i];
        if awaiting && !matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b',' | b']') {
            if let Some(lines) = found.last_mut() {
                lines.push(line);
            }
            awaiting = false;
        }
        match b {
            b'\n' => line += 1,
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    match bytes[i] {
                        b'\\' => i += 1,
                        b'\n' => line += 1,
                        _ => {}
                    }
                    i += 1;
                }
                last_string = Some((start, i.min(bytes.len())));
                after_colon = false;
            }
            b':' => after_colon = last_string.is_some(),
            b'[' | b'{' => {
                let is_target = b == b'['
                    && after_colon
                    && last_string.is_some_and(|(s, e)| text.get(s..e) == Some(key))
                    && stack.last().is_some_and(|&(array, _)| !array);
                if is_target {
                    found.push(Vec::new());
                    awaiting = true;
                }
                stack.push((b == b'[', is_target));
                after_colon = false;
                last_string = None;
            }
            b']' | b'}' => {
                stack.pop();
                after_colon = false;
                awaiting = false;
            }
            b',' => {
                after_colon = false;
                last_string = None;
                awaiting = stack.last() == Some(&(true, true));
            }
            _ => {}
        }
        i += 1;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fixture(name: &str) -> String {
        let path =
            format!("{}/tests/fixtures/highlights/bookcision/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn parse_ok(text: &str) -> (Vec<Book>, Vec<Warning>) {
        let mut warnings = Vec::new();
        let books = parse(text, &mut warnings).expect("recognised as Bookcision");
        (books, warnings)
    }

    #[test]
    fn reads_the_export() {
        let (books, warnings) = parse_ok(&fixture("The Quiet Workshop.json"));
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(books.len(), 1);
        let b = &books[0];
        assert_eq!(b.title, "The Quiet Workshop: Craft, Patience and the Long Game");
        assert_eq!(b.authors, ["Hana Okafor", "Lukas Brandt"]);
        // Five entries: four highlights (one with a note-only entry folded
        // in), one orphan note dropped, one clipping-limit placeholder dropped.
        let got: Vec<(Option<[u64; 2]>, Option<&str>)> =
            b.highlights.iter().map(|h| (h.location, h.note.as_deref())).collect();
        assert_eq!(
            got,
            [
                (Some([112, 112]), None),
                (Some([348, 348]), Some("Try this with the chisel drills.")),
                (Some([1205, 1205]), Some("This is the whole book in one line.")),
                (Some([2210, 2210]), None),
            ]
        );
        assert!(b.highlights[0].text.starts_with("A workshop is quiet"));
        assert!(b.highlights.iter().all(|h| h.page.is_none() && h.added.is_none()));
        // Each highlight's line is where its object opens.
        let text = fixture("The Quiet Workshop.json");
        for h in &b.highlights {
            let src = text.lines().nth(h.line - 1).unwrap_or("");
            assert_eq!(src.trim(), "{", "line {}", h.line);
        }
        assert_eq!(b.line, b.highlights[0].line);
    }

    #[test]
    fn one_line_export_and_authors() {
        let text = r#"{"asin":"B0X","title":"T","authors":"Ann Lee and Bo Chen; Cy Diaz","highlights":[{"text":"q","isNoteOnly":false,"location":{"url":"kindle://x","value":"77"},"note":null}]}"#;
        let (books, _) = parse_ok(text);
        assert_eq!(books[0].authors, ["Ann Lee", "Bo Chen", "Cy Diaz"]);
        assert_eq!(books[0].highlights[0].location, Some([77, 77]));
        assert_eq!(books[0].highlights[0].line, 1);
        let list = r#"{"title":"T","authors":["A", "B"],"highlights":[]}"#;
        let (books, _) = parse_ok(list);
        assert!(books.is_empty());
        assert_eq!(authors(Some(&serde_json::json!(["A", "B"]))), ["A", "B"]);
    }

    #[test]
    fn not_bookcision_is_none() {
        let mut w = Vec::new();
        for text in [
            "",
            "# note",
            "[]",
            "{}",
            r#"{"title": "x", "entries": []}"#,
            r#"{"highlights": []}"#,
            "{\"title\": ",
            "return { }",
        ] {
            assert_eq!(parse(text, &mut w), None, "{text}");
        }
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn malformed_json_is_one_warning() {
        let full = fixture("The Quiet Workshop.json");
        let cut = &full[..full.len() / 2];
        let mut warnings = Vec::new();
        assert_eq!(parse(cut, &mut warnings), Some(Vec::new()));
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].line, Some(cut.lines().count()));
        assert!(warnings[0].message.contains("not valid JSON"));
    }

    #[test]
    fn wrong_types_cost_only_their_entry() {
        let text = "{\"asin\": \"B0\", \"title\": [\"T\"], \"highlights\": [\n  7,\n  {\"text\": 5},\n  {\"text\": \"kept\", \"location\": {\"value\": -3}, \"note\": 4}\n]}";
        let (books, warnings) = parse_ok(text);
        assert_eq!(books[0].title, "");
        let h = &books[0].highlights[0];
        assert_eq!((h.text.as_str(), h.location, h.note.as_deref()), ("kept", None, None));
        let lines: Vec<Option<usize>> = warnings.iter().map(|w| w.line).collect();
        assert_eq!(lines, [Some(2), Some(3)], "{warnings:?}");
        let (books, warnings) = parse_ok("{\"asin\": \"B0\", \"highlights\": {}}");
        assert!(books.is_empty());
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn object_lines() {
        let text = "{\"a\": [\n{}, {\"highlights\": \"[{\"},\n{\"x\": [{}]}],\n\"highlights\": [ {\n}, \"s\", {} ]}";
        assert_eq!(array_element_lines(text, "a"), [vec![2, 2, 3]]);
        assert_eq!(array_element_lines(text, "highlights"), [vec![4, 5, 5]]);
        assert_eq!(array_element_lines("{\"a\": []}", "a"), [Vec::<usize>::new()]);
    }

    proptest! {
        #[test]
        fn never_panics(text in "(\\{|\\}|\\[|\\]|:|,|\"|\\\\|\"highlights\"|\"asin\"|\"isNoteOnly\"|true|null|[0-9]{1,4}|\\s|\\PC){0,60}") {
            let mut w = Vec::new();
            let _ = parse(&text, &mut w);
            let _ = array_element_lines(&text, "highlights");
        }
    }
}
