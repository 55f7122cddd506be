//! What `folio mcp` shows as text: the short rendering beside each tool's
//! structured answer (for clients that show text only), a note as a
//! Markdown resource, and the server's own messages on stderr (standard
//! output belongs to the protocol).

use crate::index::stats::Stats;
use crate::search::note::NoteView;
use crate::search::{NoteInfo, Results};

/// Says a message of the server on stderr, as `folio mcp: message`.
pub fn log(message: &str) {
    eprintln!("folio mcp: {message}");
}

/// Results as the command line shows them (`folio quotes` without colour),
/// with a line when hits were left out for the size cap.
pub fn results_text(results: &Results, truncated: bool) -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = crate::output::hits::write(&mut out, results, false);
    let mut text = String::from_utf8_lossy(&out).into_owned();
    for notice in &results.notices {
        text.push_str(&format!("note: {notice}\n"));
    }
    if truncated {
        text.push_str(
            "truncated: more hits were left out to keep the answer short; ask for fewer\n",
        );
    }
    text
}

/// `Title — Author, Author (2018)`.
pub fn book_line(note: &NoteInfo) -> String {
    let mut line = note.titles.first().map_or_else(|| note.name.clone(), |t| t.text.clone());
    if !note.authors.is_empty() {
        line.push_str(" — ");
        line.push_str(&note.authors.join(", "));
    }
    if let Some(year) = note.year {
        line.push_str(&format!(" ({year})"));
    }
    line
}

/// A note as Markdown: its book, then its quotes with their references,
/// then its body.
pub fn note_markdown(view: &NoteView) -> String {
    let info = NoteInfo::from(view.card.clone());
    let mut text = format!("# {}\n\n{}\n", book_line(&info), view.card.path);
    if !view.quotes.is_empty() {
        text.push_str("\n## Quotes\n\n");
        for quote in &view.quotes {
            let reference = quote.reference.as_ref().map_or("", |r| r.display.as_str());
            let quoted = quote.text.replace('\n', "\n> ");
            text.push_str(&format!("> {quoted}\n\n— {reference} (line {})\n\n", quote.line));
        }
    }
    text.push_str("\n## Note\n\n");
    text.push_str(&view.body);
    text.push('\n');
    text
}

/// Notes as Markdown, one after the other.
pub fn notes_text(views: &[NoteView], truncated: bool) -> String {
    let mut text: Vec<String> = views.iter().map(note_markdown).collect();
    if truncated {
        text.push(
            "truncated: the note was cut to keep the answer short; read the resource \
                   folio://note/<id> for all of it"
                .to_string(),
        );
    }
    text.join("\n---\n\n")
}

/// The index's figures in a few lines.
pub fn stats_text(stats: &Stats) -> String {
    let mut text = format!(
        "{} notes, {} quotes, {} authors in {}\n",
        stats.notes,
        stats.quotes,
        stats.authors,
        stats.index.display()
    );
    for (source, count) in &stats.quotes_by_source {
        text.push_str(&format!("from {source}: {count} quotes\n"));
    }
    for (language, count) in &stats.quotes_by_language {
        text.push_str(&format!("in {language}: {count} quotes\n"));
    }
    text
}
