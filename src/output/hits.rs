//! Search results for people: numbered hits, highlights in bold colour on a
//! terminal (plain when piped or with `NO_COLOR`), the page reference right
//! after the snippet.

use std::io::{self, Write};

use crate::note::{Reference, Title};
use crate::search::{Explanation, FoundBy, Hit, Matching, Results, SideRank};

const BOLD: &str = "\x1b[1;33m";
const RESET: &str = "\x1b[0m";
const DIM: &str = "\x1b[2m";

/// Writes the hits.
pub fn write(out: &mut dyn Write, results: &Results, color: bool) -> io::Result<()> {
    if results.hits.is_empty() {
        writeln!(out, "no match for “{}”", results.query.trim())?;
        return Ok(());
    }
    let matching = match results.matching {
        Matching::All => "all words",
        Matching::Any => "any word",
        Matching::Fuzzy => "near matches",
        Matching::Meaning => "by meaning",
        Matching::Hybrid => "words and meaning",
    };
    for (i, hit) in results.hits.iter().enumerate() {
        let n = i + 1;
        match hit {
            Hit::Note(h) => {
                writeln!(
                    out,
                    "{n}. {}",
                    book_line(&h.card.titles, &h.card.authors, h.card.year, None)
                )?;
                let quotes = match h.matching_quotes {
                    0 => String::new(),
                    1 => " · 1 matching quote".to_string(),
                    q => format!(" · {q} matching quotes"),
                };
                writeln!(out, "   {}{}{}{quotes}", dim(color), h.card.path, reset(color))?;
                let mut line = highlight(&h.snippet.text, &h.snippet.highlights, color);
                if let Some(r) = &h.reference {
                    line.push_str(&format!(" — {}", r.display));
                }
                writeln!(out, "   {line}")?;
                if let Some(why) = &h.explanation {
                    found_by(out, h.found_by.as_ref())?;
                    explanation(out, why, 1)?;
                }
            }
            Hit::Quote(h) => {
                writeln!(out, "{n}. “{}”", highlight(&h.text, &h.highlights, color))?;
                writeln!(
                    out,
                    "   {}",
                    book_line(&h.note.titles, &h.note.authors, h.note.year, h.reference.as_ref())
                )?;
                if let Some(note) = &h.note_text {
                    writeln!(out, "   note: {}", crate::output::note::one_line(note, 200))?;
                }
                writeln!(out, "   {}{}:{}{}", dim(color), h.path, h.line, reset(color))?;
                if let Some(why) = &h.explanation {
                    found_by(out, h.found_by.as_ref())?;
                    explanation(out, why, 1)?;
                }
            }
        }
    }
    let total = thousands(results.total.max(results.hits.len()));
    let plus = if results.total_exact { "" } else { "+" };
    writeln!(
        out,
        "{}{} of {total}{plus} shown · matching: {matching}{}",
        dim(color),
        results.hits.len(),
        reset(color)
    )?;
    Ok(())
}

/// With `--explain` in a search by meaning or a hybrid one: which ranking
/// found the hit, at what rank and score, and the words' weight.
fn found_by(out: &mut dyn Write, found: Option<&FoundBy>) -> io::Result<()> {
    let Some(found) = found else { return Ok(()) };
    let side = |name: &str, what: &str, rank: Option<SideRank>| match rank {
        Some(r) => format!("{name} #{} ({what} {:.3})", r.rank, r.score),
        None => format!("{name}: not found"),
    };
    writeln!(
        out,
        "   found by {} · {} · words weigh {:.2}",
        side("words", "BM25", found.lexical),
        side("meaning", "cosine", found.semantic),
        found.lexical_weight
    )
}

/// An explanation as an indented tree, one part a line: value, then what
/// it is; the parts it is made of indented under it.
fn explanation(out: &mut dyn Write, why: &Explanation, depth: usize) -> io::Result<()> {
    writeln!(out, "{:indent$}{:>9.4}  {}", "", why.value, why.description, indent = depth * 3)?;
    for part in &why.details {
        explanation(out, part, depth + 1)?;
    }
    Ok(())
}

/// `Title — Author, Author (2018), p. 52`.
fn book_line(
    titles: &[Title],
    authors: &[String],
    year: Option<u64>,
    reference: Option<&Reference>,
) -> String {
    let mut line = titles.first().map(|t| t.text.clone()).unwrap_or_default();
    if !authors.is_empty() {
        line.push_str(" — ");
        line.push_str(&authors.join(", "));
    }
    if let Some(year) = year {
        line.push_str(&format!(" ({year})"));
    }
    if let Some(r) = reference {
        line.push_str(", ");
        line.push_str(&r.display);
        if let Some(url) = &r.url {
            line.push_str(&format!(" <{url}>"));
        }
    }
    line
}

/// The text with highlighted character ranges marked: ANSI bold colour on a
/// terminal, plain otherwise.
pub fn highlight(text: &str, ranges: &[[usize; 2]], color: bool) -> String {
    let flat: String = text.chars().map(|c| if c == '\n' { ' ' } else { c }).collect();
    if !color || ranges.is_empty() {
        return flat;
    }
    let mut out = String::with_capacity(flat.len() + ranges.len() * 10);
    let mut ranges = ranges.iter().peekable();
    let mut open = false;
    for (i, c) in flat.chars().enumerate() {
        if let Some([start, _]) = ranges.peek()
            && *start == i
            && !open
        {
            out.push_str(BOLD);
            open = true;
        }
        out.push(c);
        if let Some([_, end]) = ranges.peek()
            && *end == i + 1
            && open
        {
            out.push_str(RESET);
            open = false;
            ranges.next();
        }
    }
    if open {
        out.push_str(RESET);
    }
    out
}

fn dim(color: bool) -> &'static str {
    if color { DIM } else { "" }
}

fn reset(color: bool) -> &'static str {
    if color { RESET } else { "" }
}

/// `1234567` as `1,234,567`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlights_are_plain_without_colour_and_marked_with_it() {
        assert_eq!(highlight("a stateful b", &[[2, 10]], false), "a stateful b");
        assert_eq!(
            highlight("a stateful b", &[[2, 10]], true),
            format!("a {BOLD}stateful{RESET} b")
        );
    }

    #[test]
    fn totals_are_grouped_by_thousands() {
        let cases = [(0, "0"), (999, "999"), (1000, "1,000"), (1234567, "1,234,567")];
        for (n, text) in cases {
            assert_eq!(thousands(n), text);
        }
    }
}
