//! The note header: `key: value` lines up to the first blank line, or YAML
//! front matter between `---` lines.
//!
//! A file has a `key: value` header when its first line is one, with a
//! lower-case key (`name:`, `title:` …); prose that starts `Note: …` is body.
//! Keys repeat (several `title:`, `author:` and `year:` lines): every value is
//! kept in order. Unknown keys are kept in [`Note::fields`].

use yaml_rust2::{Yaml, YamlLoader};

use super::markup::inline_text;
use super::{Note, Title, Warning};

/// The header's raw entries, and where the body starts.
#[derive(Debug, Default)]
pub struct Split {
    /// The header's fields.
    pub header: RawHeader,
    /// Byte offset of the body in the file's text.
    pub body_start: usize,
    /// 1-based line number of the body's first line.
    pub body_line: usize,
}

/// Header entries in file order, values as written.
#[derive(Debug, Default)]
pub struct RawHeader {
    /// `(lower-cased key, raw value, 1-based line of the file)`; a YAML
    /// entry's line is its key's line (or the opening `---` when the key
    /// cannot be found as written, e.g. quoted).
    pub entries: Vec<(String, String, usize)>,
}

impl RawHeader {
    /// Whether any field was found.
    pub fn has_fields(&self) -> bool {
        !self.entries.is_empty()
    }
}

/// Finds the header (either shape) and where the body begins.
pub fn split(text: &str, warnings: &mut Vec<Warning>) -> Split {
    let first_line = text.lines().next().unwrap_or("");
    if first_line.trim_end() == "---" {
        return split_front_matter(text, warnings);
    }
    if key_value(first_line).is_none() {
        return Split { header: RawHeader::default(), body_start: 0, body_line: 1 };
    }
    let mut header = RawHeader::default();
    let mut offset = 0;
    let mut line_no = 0;
    for line in text.split_inclusive('\n') {
        line_no += 1;
        let content = line.trim_end_matches(['\n', '\r']);
        if content.trim().is_empty() {
            return Split { header, body_start: offset + line.len(), body_line: line_no + 1 };
        }
        match key_value(content) {
            Some((key, value)) => header.entries.push((key, value.to_string(), line_no)),
            None => {
                warnings.push(Warning {
                    line: Some(line_no),
                    message: format!(
                        "header line without ':' ({}); the header ends here and the rest \
                         is read as body. Write `key: value`, and a blank line before the body",
                        excerpt(content)
                    ),
                });
                return Split { header, body_start: offset, body_line: line_no };
            }
        }
        offset += line.len();
    }
    Split { header, body_start: text.len(), body_line: line_no + 1 }
}

/// `key: value` with a lower-case identifier key.
fn key_value(line: &str) -> Option<(String, &str)> {
    let colon = line.find(':')?;
    let key = &line[..colon];
    let mut chars = key.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    if !first_ok
        || !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    {
        return None;
    }
    // `http://…` on its own line is a URL, not a `http` key.
    if line[colon..].starts_with("://") {
        return None;
    }
    Some((key.to_string(), line[colon + 1..].trim()))
}

fn excerpt(line: &str) -> String {
    let short: String = line.chars().take(40).collect();
    if short.len() < line.len() { format!("{short:?}…") } else { format!("{short:?}") }
}

fn split_front_matter(text: &str, warnings: &mut Vec<Warning>) -> Split {
    let mut offset = 0;
    let mut yaml_start = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        // As the opening line: spaces an editor left after the `---` do
        // not make it another line (the whole file was read as body).
        let content = line.trim_end();
        if index == 0 {
            yaml_start = line.len();
        } else if content == "---" || content == "..." {
            let yaml = &text[yaml_start..offset];
            // The YAML starts on the file's second line.
            let header = yaml_header(yaml, 2, warnings);
            return Split { header, body_start: offset + line.len(), body_line: index + 2 };
        }
        offset += line.len();
    }
    warnings.push(Warning {
        line: Some(1),
        message: "front matter opened with `---` is never closed; the whole file is read as \
                  body. Add a `---` line after the last header field"
            .to_string(),
    });
    Split { header: RawHeader::default(), body_start: 0, body_line: 1 }
}

/// The front matter's entries; `first_line` is the file line `yaml` starts on.
fn yaml_header(yaml: &str, first_line: usize, warnings: &mut Vec<Warning>) -> RawHeader {
    let mut header = RawHeader::default();
    let docs = match load_front_matter(yaml) {
        Ok(Loaded { docs, repeated: None }) => docs,
        Ok(Loaded { docs, repeated: Some((repeated, at)) }) => {
            warnings.push(Warning {
                line: Some(at.line() + first_line - 1),
                message: format!(
                    "front matter gives {} more than once; the first value that is not \
                     empty is kept",
                    repeated.join(", ")
                ),
            });
            docs
        }
        Err(err) => return not_yaml(&err, first_line, warnings),
    };
    let Some(Yaml::Hash(map)) = docs.into_iter().next() else { return header };
    for (key, value) in map {
        let Some(key) = yaml_scalar(&key) else { continue };
        // yaml-rust2's loaded values keep no positions: a top-level key
        // starts its line, so its line is found by looking for it.
        let line = yaml
            .lines()
            .position(|l| l.strip_prefix(key.as_str()).is_some_and(|rest| rest.starts_with(':')))
            .map_or(first_line - 1, |at| at + first_line);
        let key = key.to_lowercase();
        let key = match key.as_str() {
            "authors" => "author".to_string(),
            "titles" => "title".to_string(),
            "tag" => "tags".to_string(),
            _ => key,
        };
        match value {
            Yaml::Array(items) => {
                for item in items {
                    if let Some(v) = yaml_scalar(&item) {
                        header.entries.push((key.clone(), v, line));
                    }
                }
            }
            other => {
                if let Some(v) = yaml_scalar(&other) {
                    if key == "tags" {
                        // `tags: a, b` in YAML is one string; split it like the plain header.
                        for tag in v.split(',') {
                            header.entries.push((key.clone(), tag.trim().to_string(), line));
                        }
                    } else {
                        header.entries.push((key, v, line));
                    }
                }
            }
        }
    }
    header
}

fn yaml_scalar(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Fills the note's header fields from the raw entries. A date that is no
/// day of the calendar (`start: 2024-02-31`) is dropped with a warning at
/// its line; the note is read all the same.
pub fn apply(header: &RawHeader, note: &mut Note, warnings: &mut Vec<Warning>) {
    for (key, raw, line) in &header.entries {
        match key.as_str() {
            "title" => {
                let value = inline_text(raw);
                if !value.text.is_empty() {
                    note.titles.push(Title { text: value.text, url: value.url });
                }
            }
            "author" => {
                let value = inline_text(raw).text;
                if !value.is_empty() {
                    note.authors.push(value);
                }
            }
            "year" => {
                let value = inline_text(raw).text;
                if note.year.is_none() {
                    note.year = derive_year(&value);
                }
                if !value.is_empty() {
                    note.years.push(value);
                }
            }
            "tags" => {
                for tag in raw.split(',') {
                    let tag = inline_text(tag).text; // spaces already folded
                    if !tag.is_empty() && !note.tags.contains(&tag) {
                        note.tags.push(tag);
                    }
                }
            }
            "name" => set_once(&mut note.name, raw),
            "publisher" => set_option(&mut note.publisher, raw),
            "isbn" => set_option(&mut note.isbn, raw),
            "isbn13" => set_option(&mut note.isbn13, raw),
            "acquired" | "start" | "stop" => {
                let value = inline_text(raw).text;
                if let Some(Err(why)) = super::date::day(&value) {
                    warnings.push(Warning {
                        line: Some(*line),
                        message: format!(
                            "`{key}: {value}` is not a day of the calendar ({why}); the note is \
                             indexed without it. Write the date as YYYY-MM-DD"
                        ),
                    });
                    continue;
                }
                let slot = match key.as_str() {
                    "acquired" => &mut note.acquired,
                    "start" => &mut note.start,
                    _ => &mut note.stop,
                };
                set_option(slot, raw);
            }
            other => note.fields.entry(other.to_string()).or_default().push(inline_text(raw).text),
        }
    }
}

fn set_once(slot: &mut String, raw: &str) {
    if slot.is_empty() {
        *slot = inline_text(raw).text;
    }
}

fn set_option(slot: &mut Option<String>, raw: &str) {
    let value = inline_text(raw).text;
    if slot.is_none() && !value.is_empty() {
        *slot = Some(value);
    }
}

/// The first run of 3 or 4 digits in a year as written: `161-180` → 161,
/// `(1750 & 1755)` → 1750.
pub fn derive_year(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if (3..=4).contains(&(i - start)) {
                return text[start..i].parse().ok();
            }
        } else {
            i += 1;
        }
    }
    None
}

/// Front matter as YAML documents.
pub(crate) struct Loaded {
    pub docs: Vec<Yaml>,
    /// The top-level keys given more than once, and where the parser met
    /// the first repeat.
    pub repeated: Option<(Vec<String>, yaml_rust2::scanner::Marker)>,
}

/// The YAML documents of the front matter `yaml`. Templates repeat a key
/// (Kindle plugins write an empty `date:` and a filled one further down);
/// YAML forbids it, but a reader would lose the whole header for it, so
/// each repeated top-level key keeps its first value that is not empty.
/// Every reader of front matter loads it here, so all read it alike.
pub(crate) fn load_front_matter(yaml: &str) -> Result<Loaded, yaml_rust2::ScanError> {
    match YamlLoader::load_from_str(yaml) {
        Ok(docs) => Ok(Loaded { docs, repeated: None }),
        Err(err) if err.info().ends_with("duplicated key in mapping") => {
            let (kept, repeated) = without_repeated_keys(yaml).ok_or_else(|| err.clone())?;
            let docs = YamlLoader::load_from_str(&kept).map_err(|_| err.clone())?;
            Ok(Loaded { docs, repeated: Some((repeated, *err.marker())) })
        }
        Err(err) => Err(err),
    }
}

/// The warning for front matter that is not YAML; the header is dropped.
fn not_yaml(
    err: &yaml_rust2::ScanError,
    first_line: usize,
    warnings: &mut Vec<Warning>,
) -> RawHeader {
    warnings.push(Warning {
        line: Some(err.marker().line() + first_line - 1),
        message: format!("front matter is not valid YAML ({err}); header ignored"),
    });
    RawHeader::default()
}

/// `yaml` with each repeated top-level key given once: the first of its
/// entries with a value, else its first; an entry is its `key:` line and
/// the indented or empty lines under it. Also the keys that repeated;
/// `None` when none did (the YAML is wrong some other way).
fn without_repeated_keys(yaml: &str) -> Option<(String, Vec<String>)> {
    // Entries: (key, text, has a value), in order; text before the first
    // key (comments) is kept as it is.
    let mut entries: Vec<(Option<String>, String, bool)> = Vec::new();
    for line in yaml.split_inclusive('\n') {
        let top_level_key = (!line.starts_with([' ', '\t', '#', '-']))
            .then(|| line.split_once(':'))
            .flatten()
            .filter(|(key, _)| !key.trim().is_empty() && !key.contains(['"', '\'', '{', '[']));
        match top_level_key {
            Some((key, rest)) => {
                let has_value = !rest.trim().is_empty();
                entries.push((Some(key.trim().to_string()), line.to_string(), has_value));
            }
            None => match entries.last_mut() {
                Some((_, text, has_value)) => {
                    *has_value |= !line.trim().is_empty() && !line.trim_start().starts_with('#');
                    text.push_str(line);
                }
                None => entries.push((None, line.to_string(), false)),
            },
        }
    }
    let mut repeated: Vec<String> = Vec::new();
    let mut chosen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (at, (key, _, has_value)) in entries.iter().enumerate() {
        let Some(key) = key.as_deref() else { continue };
        match chosen.get(key).copied() {
            None => {
                chosen.insert(key, at);
            }
            Some(first) => {
                if !repeated.iter().any(|k| k == key) {
                    repeated.push(key.to_string());
                }
                if !entries[first].2 && *has_value {
                    chosen.insert(key, at);
                }
            }
        }
    }
    if repeated.is_empty() {
        return None;
    }
    let kept = entries
        .iter()
        .enumerate()
        .filter(|(at, (key, _, _))| key.as_deref().is_none_or(|key| chosen.get(key) == Some(at)))
        .map(|(_, (_, text, _))| text.as_str())
        .collect();
    Some((kept, repeated))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn note_from(text: &str) -> (Note, Vec<Warning>) {
        let parsed = crate::note::parse(Path::new("test.md"), text.as_bytes()).expect("parses");
        (parsed.note, parsed.warnings)
    }

    #[test]
    fn header_shapes() {
        // One row per header shape of formats.md: (header line, check).
        type Check = fn(&Note);
        let rows: &[(&str, Check)] = &[
            ("name: Designing_Event_Driven_Systems", |n| {
                assert_eq!(n.name, "Designing_Event_Driven_Systems")
            }),
            ("title: [Designing](https://x.org/d)", |n| {
                assert_eq!(
                    n.titles[0],
                    Title { text: "Designing".into(), url: Some("https://x.org/d".into()) }
                )
            }),
            ("title: Bare Title", |n| assert_eq!(n.titles[0].text, "Bare Title")),
            ("title: [<i>The Curtain</i>](http://a.b/c)", |n| {
                assert_eq!(n.titles[0].text, "The Curtain")
            }),
            ("title: La myst&eacute;rieuse", |n| assert_eq!(n.titles[0].text, "La mystérieuse")),
            (r#"author: <a target="_blank" href="MartinFowler.html">Martin Fowler</a>"#, |n| {
                assert_eq!(n.authors, ["Martin Fowler"])
            }),
            ("year: 2018", |n| {
                assert_eq!((n.years.clone(), n.year), (vec!["2018".into()], Some(2018)))
            }),
            ("year: 161-180", |n| {
                assert_eq!((n.years[0].as_str(), n.year), ("161-180", Some(161)))
            }),
            ("year: 1961-1963", |n| assert_eq!(n.year, Some(1961))),
            ("year: <i>1943</i>", |n| {
                assert_eq!((n.years[0].as_str(), n.year), ("1943", Some(1943)))
            }),
            ("year: (1750&nbsp;&amp;&nbsp;1755)", |n| {
                assert_eq!((n.years[0].as_str(), n.year), ("(1750 & 1755)", Some(1750)))
            }),
            ("acquired: 2009", |n| assert_eq!(n.acquired.as_deref(), Some("2009"))),
            ("start: 2021-05-01", |n| assert_eq!(n.start.as_deref(), Some("2021-05-01"))),
            ("stop: 2021-06-04", |n| assert_eq!(n.stop.as_deref(), Some("2021-06-04"))),
            ("isbn: 0137203845", |n| assert_eq!(n.isbn.as_deref(), Some("0137203845"))),
            ("isbn13: 9781492038221", |n| assert_eq!(n.isbn13.as_deref(), Some("9781492038221"))),
            ("publisher: O'Reilly", |n| assert_eq!(n.publisher.as_deref(), Some("O'Reilly"))),
            ("tags: stoicism, ethics", |n| assert_eq!(n.tags, ["stoicism", "ethics"])),
            ("rating: 4", |n| assert_eq!(n.fields["rating"], ["4"])),
        ];
        for (line, check) in rows {
            let (note, warnings) = note_from(&format!("{line}\n\nBody text.\n"));
            assert!(warnings.is_empty(), "{line}: {warnings:?}");
            check(&note);
        }
    }

    #[test]
    fn repeated_keys_keep_every_value_in_order() {
        let (note, _) = note_from(
            "title: Les fleurs du mal\ntitle: [<i>The Flowers of Evil</i>](http://x.y/z)\n\
             author: Charles Baudelaire\nauthor: James McGowan\nyear: 1857\nyear: 1993\n\nBody.\n",
        );
        let titles: Vec<_> = note.titles.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(titles, ["Les fleurs du mal", "The Flowers of Evil"]);
        assert_eq!(note.authors, ["Charles Baudelaire", "James McGowan"]);
        assert_eq!(note.years, ["1857", "1993"]);
        assert_eq!(note.year, Some(1857));
    }

    #[test]
    fn yaml_front_matter_lists_and_scalars() {
        let (note, warnings) = note_from(
            "---\ntitle: How to Take Smart Notes\nauthor: [Sönke Ahrens]\nyear: 2017\n\
             tags: [zettelkasten, writing]\nrating: 5\n---\n# How to Take Smart Notes\n\nText.\n",
        );
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(note.titles[0].text, "How to Take Smart Notes");
        assert_eq!(note.authors, ["Sönke Ahrens"]);
        assert_eq!(note.year, Some(2017));
        assert_eq!(note.tags, ["zettelkasten", "writing"]);
        assert_eq!(note.fields["rating"], ["5"]);
        let (note, _) = note_from("---\nauthors:\n  - A One\n  - B Two\ntags: solo\n---\nText.\n");
        assert_eq!(note.authors, ["A One", "B Two"]);
        assert_eq!(note.tags, ["solo"]);
    }

    #[test]
    fn front_matter_closes_on_a_rule_with_trailing_spaces() {
        let (note, warnings) =
            note_from("--- \ntitle: Spaced Out\nauthor: Jo Doe\n---  \t\r\n\nBody text.\n");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(note.titles[0].text, "Spaced Out");
        assert_eq!(note.authors, ["Jo Doe"]);
    }

    #[test]
    fn a_key_given_twice_keeps_the_header_and_its_first_filled_value() {
        // A Kindle plugin template: `date:` empty, then filled further down.
        let (note, warnings) = note_from(
            "---\ntitle: \"The Meritocracy Trap\"\nauthor: Daniel Markovits\nrating:\n\
             tags:\n  - economics\ndate:\nstatus: undefined\ndate: 2023-05-10 08:55\n\
             rating: 4\ntags: [ignored]\n---\nText.\n",
        );
        assert_eq!(note.titles[0].text, "The Meritocracy Trap");
        assert_eq!(note.authors, ["Daniel Markovits"]);
        assert_eq!(note.fields["rating"], ["4"], "the filled value, not the empty one");
        assert_eq!(note.fields["date"], ["2023-05-10 08:55"]);
        assert_eq!(note.tags, ["economics"], "the first filled value wins");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0].line, Some(9), "the second `date:`: {warnings:?}");
        assert!(warnings[0].message.contains("date, rating, tags"), "{warnings:?}");
        // Wrong in another way: still dropped, with the parser's reason.
        let (note, warnings) = note_from("---\ntitle: [unclosed\ntitle: again\n---\nText.\n");
        assert!(warnings[0].message.contains("not valid YAML"), "{warnings:?}");
        assert_eq!(note.titles[0].text, "test");
    }

    #[test]
    fn no_header_takes_title_from_heading_or_file_name() {
        let (note, _) = note_from("# A Heading Title\n\nSome prose.\n");
        assert_eq!(note.titles[0].text, "A Heading Title");
        let (note, _) = note_from("Note: this starts with prose.\n");
        assert_eq!(note.titles[0].text, "test");
        assert!(note.body.starts_with("Note: this"));
    }

    #[test]
    fn bad_headers_warn_with_a_line() {
        let (note, warnings) = note_from("title: T\nno colon here\nmore\n");
        assert_eq!(warnings[0].line, Some(2));
        assert!(warnings[0].message.contains("without ':'"));
        assert_eq!(note.titles[0].text, "T");
        assert!(note.body.contains("no colon here"));

        let (_, warnings) = note_from("---\ntitle: never closed\n\nbody\n");
        assert_eq!(warnings[0].line, Some(1));
        assert!(warnings[0].message.contains("never closed"));

        let (note, warnings) = note_from("title: Only a header\nauthor: Someone\n");
        assert_eq!(note.authors, ["Someone"]);
        assert!(warnings[0].message.contains("no body"));
    }

    #[test]
    fn a_date_the_calendar_lacks_is_dropped_with_a_warning_at_its_line() {
        let (note, warnings) =
            note_from("title: T\nstart: 2024-02-31\nstop: 2024-03-02\n\nBody text.\n");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0].line, Some(2));
        assert!(warnings[0].message.contains("`start: 2024-02-31`"), "{}", warnings[0].message);
        assert!(warnings[0].message.contains("February 2024 has 29 days"));
        assert_eq!((note.start, note.stop.as_deref()), (None, Some("2024-03-02")));
        assert!(note.body.contains("Body text."));

        // Front matter: the line is the key's line in the file.
        let (note, warnings) =
            note_from("---\ntitle: T\nauthor: A\nacquired: 2023-13-01\n---\nText.\n");
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert_eq!(warnings[0].line, Some(4));
        assert!(warnings[0].message.contains("no month 13"), "{}", warnings[0].message);
        assert_eq!(note.acquired, None);

        // A bare year or a month is not meant as a day: kept, no warning.
        let (note, warnings) = note_from("acquired: 2009-05\nstart: 2021\n\nText.\n");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(
            (note.acquired.as_deref(), note.start.as_deref()),
            (Some("2009-05"), Some("2021"))
        );
    }
}
