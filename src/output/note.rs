//! The text view of one parsed note (`folio show`).

use std::io::{self, Write};

use crate::note::{Note, Reference};

/// Writes a note for people: header, quotes with references, inline references.
pub fn write(out: &mut dyn Write, note: &Note) -> io::Result<()> {
    writeln!(out, "{}", note.path.display())?;
    for title in &note.titles {
        match &title.url {
            Some(url) => writeln!(out, "title:     {}  <{url}>", title.text)?,
            None => writeln!(out, "title:     {}", title.text)?,
        }
    }
    for author in &note.authors {
        writeln!(out, "author:    {author}")?;
    }
    let scalars = [
        ("name", Some(&note.name)),
        ("publisher", note.publisher.as_ref()),
        ("isbn", note.isbn.as_ref()),
        ("isbn13", note.isbn13.as_ref()),
        ("acquired", note.acquired.as_ref()),
        ("start", note.start.as_ref()),
        ("stop", note.stop.as_ref()),
    ];
    for year in &note.years {
        writeln!(out, "year:      {year}")?;
    }
    for (key, value) in scalars {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            writeln!(out, "{:<10} {value}", format!("{key}:"))?;
        }
    }
    if let Some(source) = &note.source {
        writeln!(out, "source:    {source}")?;
    }
    if !note.tags.is_empty() {
        writeln!(out, "tags:      {}", note.tags.join(", "))?;
    }
    for (key, values) in &note.fields {
        for value in values {
            writeln!(out, "{:<10} {value}", format!("{key}:"))?;
        }
    }
    writeln!(out, "body:      {} characters", note.body.chars().count())?;
    writeln!(out)?;
    writeln!(out, "{} quote(s)", note.quotes.len())?;
    for (i, quote) in note.quotes.iter().enumerate() {
        writeln!(out, "{:>3}. line {}: “{}”", i + 1, quote.line, one_line(&quote.text, 160))?;
        if let Some(r) = &quote.reference {
            writeln!(out, "     — {}", describe(r))?;
        }
        if let Some(note) = &quote.note_text {
            writeln!(out, "     note: {}", one_line(note, 160))?;
        }
        if let Some(added) = &quote.added {
            writeln!(out, "     added: {added}")?;
        }
    }
    if !note.references.is_empty() {
        writeln!(out)?;
        writeln!(out, "{} inline reference(s)", note.references.len())?;
        for r in &note.references {
            writeln!(out, "     at byte {}: {}", r.offset, describe(&r.reference))?;
        }
    }
    Ok(())
}

/// `p. 52 (page 52)`, `Calvino, 1972, p. 97 (page 97, attribution Calvino, 1972)`.
pub fn describe(r: &Reference) -> String {
    let mut parts = vec![r.kind.as_str().replace('_', " ")];
    if let Some([first, last]) = r.pages {
        parts.push(if first == last { format!("{first}") } else { format!("{first}-{last}") });
    }
    if let Some([first, last]) = r.locations {
        let numbers = if first == last { format!("{first}") } else { format!("{first}-{last}") };
        if r.kind == crate::note::ReferenceKind::Location {
            parts.push(numbers);
        } else {
            parts.push(format!("location {numbers}"));
        }
    }
    if let Some(a) = &r.attribution {
        parts.push(format!("by {a}"));
    }
    if let Some(url) = &r.url {
        parts.push(url.clone());
    }
    format!("{} ({})", r.display, parts.join(" "))
}

/// The text on one line, cut at `max` characters with an ellipsis.
pub fn one_line(text: &str, max: usize) -> String {
    let flat = crate::note::markup::fold_spaces(text);
    if flat.chars().count() <= max {
        return flat;
    }
    let cut: String = flat.chars().take(max).collect();
    format!("{}…", cut.trim_end())
}
