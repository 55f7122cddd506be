//! Who wrote a book, as highlight exports write it: one string that may
//! name several people and in several ways (`Pratchett, Terry; Gaiman,
//! Neil`, `Terry Pratchett, Neil Gaiman`, `Harari, Yuval Noah`, `Stephan J.
//! Guyenet, Ph.D.`). [`split`] is the one rule every export reader uses to
//! turn that string into people, each named as people write a name
//! (`Yuval Noah Harari`), so that a person is one author whichever export
//! or form named them (`folio stats` counts them once). Nothing here knows
//! an export's syntax; each reader hands over the string it found.
//!
//! The comma is the hard part: `Harari, Yuval Noah` is one person turned
//! around, `Terry Pratchett, Neil Gaiman` two people. A comma turns a name
//! around unless every side of it is a full name (two words or more, not
//! starting with a surname particle such as `Le` or `van`, not ending with
//! an initial): `García Márquez, Gabriel` and `Le Guin, Ursula K.` are
//! turned around, `Steven D. Levitt, Stephen J. Dubner` is a list. A
//! double surname with two given names (`García Márquez, Gabriel José`)
//! reads as a list; nothing in the string tells the two apart.
//!
//! Degrees and credentials (`Ph.D.`, `PhD`, `MD`, `LCSW`) are dropped: they
//! are not names, and a person named with and without them is one author.
//! Generational suffixes (`Jr.`, `Sr.`, `III`) are part of the name and stay
//! at its end (`King, Martin Luther, Jr.` is `Martin Luther King Jr.`). A
//! role in parentheses stays too (`Epel, Elissa (FRW)` is `Elissa Epel
//! (FRW)`).
//!
//! `and` and `&` separate people only where each side reads as people
//! (`Terry Pratchett and Neil Gaiman`, `A, B, and C`, `Levitt, Steven D. &
//! Dubner, Stephen J.`); a company or a title (`Simon & Schuster`, `Time
//! and Life Books`, `Harry Potter and the Deathly Hallows`) stays whole.

use crate::note::markup::fold_spaces;

/// The people named by an export's author string, each as people write a
/// name, in order, each once. `;` and line ends always separate people
/// (Kindle writes `Last, First; Last, First`; KOReader one per line).
pub fn split(raw: &str) -> Vec<String> {
    let mut people: Vec<String> = Vec::new();
    for piece in raw.split([';', '\n', '\r']) {
        let piece = fold_spaces(piece);
        for person in piece_people(&piece) {
            if !person.is_empty() && !people.contains(&person) {
                people.push(person);
            }
        }
    }
    people
}

/// Generational suffixes: part of a name, kept at its end.
const SUFFIXES: [&str; 7] = ["jr", "jr.", "sr", "sr.", "ii", "iii", "iv"];

/// Degrees and credentials written after a name, compared without dots
/// and in capitals.
const DEGREES: [&str; 34] = [
    "PHD", "MD", "DPHIL", "PSYD", "EDD", "DRPH", "MPH", "MBA", "MSC", "MS", "MA", "BA", "BSC",
    "RN", "DDS", "DMD", "JD", "LLM", "LCSW", "LSCSW", "LPC", "LMFT", "LMHC", "MSW", "MFT", "NP",
    "FACS", "FACP", "FAAP", "FRCP", "CPA", "CFA", "PHARMD", "DNP",
];

/// Surname particles: a part starting with one is a surname (`Le Guin`,
/// `van Gogh`), and the lower-case ones are name words.
const PARTICLES: [&str; 24] = [
    "van", "von", "de", "der", "den", "del", "della", "di", "da", "du", "dos", "das", "do", "la",
    "le", "y", "bin", "ibn", "al", "el", "ten", "ter", "zu", "st.",
];

/// One comma-separated part of a name string, read.
#[derive(Debug, Default)]
struct Part {
    /// The name words, degrees dropped.
    name: String,
    /// Generational suffixes given as parts of their own (`, Jr.`).
    suffixes: Vec<String>,
    /// A role in parentheses (`(translator)`).
    roles: Vec<String>,
}

/// Words of companies, publishers and teams: a string holding one names
/// no list of people (`Time and Life Books`, `The Editors & Staff`).
const CORPORATE: [&str; 36] = [
    "inc",
    "llc",
    "ltd",
    "co",
    "corp",
    "corporation",
    "company",
    "press",
    "publishing",
    "publishers",
    "publications",
    "books",
    "media",
    "group",
    "institute",
    "university",
    "foundation",
    "society",
    "association",
    "staff",
    "editors",
    "team",
    "club",
    "council",
    "committee",
    "magazine",
    "studio",
    "studios",
    "associates",
    "partners",
    "sons",
    "library",
    "academy",
    "labs",
    "verlag",
    "editions",
];

/// The people of one `;`-separated piece. `A and B`, `A & B` and `A, B,
/// and C` are several people when every side reads as people (full names,
/// or `Last, First`) and no word names a company: `Simon & Schuster`,
/// `Time and Life Books` and `Pride and Prejudice` stay whole.
fn piece_people(piece: &str) -> Vec<String> {
    let sides = conjunction_sides(piece);
    let corporate = piece.split_whitespace().any(|w| {
        let bare = w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
        CORPORATE.contains(&bare.as_str())
    });
    if sides.len() > 1 && !corporate {
        let read: Vec<Vec<(String, bool)>> = sides.iter().map(|s| comma_people(s)).collect();
        if read.iter().all(|people| !people.is_empty() && people.iter().all(|p| p.1)) {
            return read.into_iter().flatten().map(|p| p.0).collect();
        }
    }
    comma_people(piece).into_iter().map(|p| p.0).collect()
}

/// The sides of the piece's ` and ` and ` & ` outside parentheses, each
/// without the comma before the conjunction (`A, B, and C` → `A, B`, `C`).
fn conjunction_sides(piece: &str) -> Vec<&str> {
    top_level(piece, &[" and ", " & "])
        .into_iter()
        .map(|s| s.trim().trim_end_matches(',').trim())
        .collect()
}

/// The people of a piece by its commas (see the module's doc), each with
/// whether it surely is a person (a full name, a name turned around, a
/// list's truncated last name `Graham …`); a piece the rule cannot read is
/// one name, as written, and not surely a person.
fn comma_people(piece: &str) -> Vec<(String, bool)> {
    let mut parts: Vec<Part> = Vec::new();
    for raw in top_level(piece, &[","]) {
        let (core, role) = split_role(raw.trim());
        let core = strip_degrees(core);
        if core.is_empty() {
            match (role, parts.last_mut()) {
                (Some(role), Some(last)) => last.roles.push(role.to_string()),
                (Some(role), None) => {
                    parts.push(Part { roles: vec![role.to_string()], ..Part::default() })
                }
                (None, _) => {} // a degree, or an empty part
            }
            continue;
        }
        if is_suffix(&core)
            && let Some(last) = parts.last_mut()
        {
            last.suffixes.push(core);
            last.roles.extend(role.map(str::to_string));
            continue;
        }
        parts.push(Part {
            name: core,
            roles: role.map(str::to_string).into_iter().collect(),
            ..Part::default()
        });
    }
    parts.retain(|p| !p.name.is_empty() || !p.roles.is_empty());
    match parts.as_slice() {
        [] => Vec::new(),
        [one] => {
            vec![(compose(&one.name, one), is_full_name(&one.name) || is_truncated(&one.name))]
        }
        [last, first] if !(is_full_name(&last.name) && is_full_name(&first.name)) => {
            let plain = |s: &str| !s.is_empty() && !s.chars().any(|c| c.is_ascii_digit());
            if plain(&last.name) && plain(&first.name) && last.name.split(' ').count() <= 3 {
                let mut both = Part::default();
                both.suffixes.extend(last.suffixes.iter().chain(&first.suffixes).cloned());
                both.roles.extend(first.roles.iter().chain(&last.roles).cloned());
                vec![(compose(&format!("{} {}", first.name, last.name), &both), true)]
            } else {
                vec![(piece.trim().to_string(), false)]
            }
        }
        many if many.iter().all(|p| is_full_name(&p.name)) => {
            many.iter().map(|p| (compose(&p.name, p), true)).collect()
        }
        _ => vec![(piece.trim().to_string(), false)],
    }
}

/// A name with its suffixes and roles after it.
fn compose(name: &str, part: &Part) -> String {
    let mut out = name.to_string();
    for suffix in &part.suffixes {
        out.push(' ');
        out.push_str(suffix);
    }
    for role in &part.roles {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push('(');
        out.push_str(role);
        out.push(')');
    }
    out
}

/// The pieces of `text` between separators (any of `seps`) outside
/// parentheses.
fn top_level<'a>(text: &'a str, seps: &[&str]) -> Vec<&'a str> {
    let mut pieces = Vec::new();
    let (mut depth, mut start) = (0usize, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 && i >= start => {
                if let Some(sep) = seps.iter().find(|s| text[i..].starts_with(**s)) {
                    pieces.push(&text[start..i]);
                    start = i + sep.len();
                }
            }
            _ => {}
        }
    }
    pieces.push(&text[start.min(text.len())..]);
    pieces
}

/// `Elissa (FRW)` → (`Elissa`, `FRW`): a parenthesised group ending the part.
fn split_role(part: &str) -> (&str, Option<&str>) {
    if !part.ends_with(')') {
        return (part, None);
    }
    let mut depth = 0usize;
    for (i, c) in part.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    let role = part[i + 1..part.len() - 1].trim();
                    return (part[..i].trim(), Some(role).filter(|r| !r.is_empty()));
                }
            }
            _ => {}
        }
    }
    (part, None)
}

/// The part without the degrees after it (`John Gottman PhD` → `John
/// Gottman`); empty when it is only degrees (`Ph.D.`, `MA, LPC`'s `LPC`).
fn strip_degrees(part: &str) -> String {
    let mut words: Vec<&str> = part.split_whitespace().collect();
    while words.last().is_some_and(|w| is_degree(w)) {
        words.pop();
    }
    words.join(" ")
}

/// `Ph.D.`, `PhD`, `MD`, `M.D.`: written with a dot or two capitals, so a
/// surname such as `Ma` is not taken for a degree.
fn is_degree(word: &str) -> bool {
    let word = word.trim_end_matches(',');
    let bare: String = word.chars().filter(|&c| c != '.').collect();
    let capitals = word.chars().filter(|c| c.is_uppercase()).count();
    (word.contains('.') || capitals >= 2) && DEGREES.contains(&bare.to_uppercase().as_str())
}

fn is_suffix(part: &str) -> bool {
    SUFFIXES.contains(&part.to_lowercase().as_str())
}

/// An initial: `K`, `K.`, `J.R.R.`.
fn is_initial(word: &str) -> bool {
    let bare = word.trim_end_matches('.');
    !bare.is_empty()
        && bare.split('.').all(|p| p.chars().count() == 1 && p.chars().all(char::is_alphabetic))
}

/// A word of a person's name: capitalised (or in a script without case),
/// or a lower-case particle (`de`, `van`, `al-`, `d'`); no digits.
fn is_name_word(word: &str) -> bool {
    let bare = word.trim_matches(|c: char| "\"“”'‘’«»".contains(c));
    let Some(first) = bare.chars().next() else { return false };
    if bare.chars().any(|c| c.is_ascii_digit()) || !first.is_alphabetic() {
        return false;
    }
    !first.is_lowercase() || PARTICLES.contains(&bare) || bare.contains(['-', '\'', '’'])
}

/// A name cut short by the export (`Graham ...`, `Graham …`): name words
/// before the ellipsis.
fn is_truncated(name: &str) -> bool {
    let Some(head) = name.strip_suffix("...").or_else(|| name.strip_suffix('…')) else {
        return false;
    };
    let words: Vec<&str> = head.split_whitespace().collect();
    !words.is_empty() && words.iter().all(|w| is_name_word(w))
}

/// A full name, given names and surname (`Terry Pratchett`, `Steven D.
/// Levitt`), as opposed to a surname (`García Márquez`, `Le Guin`) or
/// given names (`Ursula K.`) alone.
fn is_full_name(name: &str) -> bool {
    let mut words: Vec<&str> = name.split_whitespace().collect();
    while words.last().is_some_and(|w| is_suffix(w)) {
        words.pop();
    }
    let (Some(first), Some(last)) = (words.first(), words.last()) else { return false };
    words.len() >= 2
        && words.iter().all(|w| is_name_word(w))
        && !PARTICLES.contains(&first.to_lowercase().as_str())
        && !["the", "a", "an"].contains(&first.to_lowercase().as_str())
        && !is_initial(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_split_and_turned_around_as_readers_write_them() {
        let rows: &[(&str, &[&str])] = &[
            // One person, turned around.
            ("Lee, Kai-Fu", &["Kai-Fu Lee"]),
            ("Kai-Fu Lee", &["Kai-Fu Lee"]),
            ("Harari, Yuval Noah", &["Yuval Noah Harari"]),
            ("García Márquez, Gabriel", &["Gabriel García Márquez"]),
            ("Tolkien, J. R. R.", &["J. R. R. Tolkien"]),
            ("Le Guin, Ursula K.", &["Ursula K. Le Guin"]),
            ("Smith, Ada B.", &["Ada B. Smith"]),
            ("Epel, Elissa (FRW)", &["Elissa Epel (FRW)"]),
            ("Hilery  Hutchinson", &["Hilery Hutchinson"]),
            ("Lonely Planet", &["Lonely Planet"]),
            ("川端 康成", &["川端 康成"]),
            // Suffixes stay with the name, degrees go.
            ("King, Martin Luther, Jr.", &["Martin Luther King Jr."]),
            ("King Jr., Martin Luther", &["Martin Luther King Jr."]),
            ("Smith, Jr.", &["Smith Jr."]),
            ("Stephan J. Guyenet, Ph.D.", &["Stephan J. Guyenet"]),
            ("Walker, Matthew, PhD", &["Matthew Walker"]),
            ("Morgan Johnson MA, LPC", &["Morgan Johnson"]),
            ("Yo-Yo Ma", &["Yo-Yo Ma"]),
            // Several people.
            ("Terry Pratchett, Neil Gaiman", &["Terry Pratchett", "Neil Gaiman"]),
            ("Steven D. Levitt, Stephen J. Dubner", &["Steven D. Levitt", "Stephen J. Dubner"]),
            (
                "John Gottman PhD, Julie Schwartz Gottman PhD",
                &["John Gottman", "Julie Schwartz Gottman"],
            ),
            ("Paul Conti, MD,Lady Gaga", &["Paul Conti", "Lady Gaga"]),
            ("Tamara Klink,Elisa von Randow", &["Tamara Klink", "Elisa von Randow"]),
            ("Pratchett, Terry;Gaiman, Neil", &["Terry Pratchett", "Neil Gaiman"]),
            (
                "Frank, Anne; Massotty, Susan (translator)",
                &["Anne Frank", "Susan Massotty (translator)"],
            ),
            ("Maren Holt\nIlya Vasquez", &["Maren Holt", "Ilya Vasquez"]),
            // `and` and `&` between people.
            ("Terry Pratchett and Neil Gaiman", &["Terry Pratchett", "Neil Gaiman"]),
            ("Michael Crichton and John Lange", &["Michael Crichton", "John Lange"]),
            ("Steven D. Levitt & Stephen J. Dubner", &["Steven D. Levitt", "Stephen J. Dubner"]),
            ("Levitt, Steven D. & Dubner, Stephen J.", &["Steven D. Levitt", "Stephen J. Dubner"]),
            (
                "Alex Forrester, Eran Boudjnah, Alexandru Dumbravan, and Jomar Tigcal",
                &["Alex Forrester", "Eran Boudjnah", "Alexandru Dumbravan", "Jomar Tigcal"],
            ),
            (
                "Jack Nutting, Dave Mark and Jeff LaMarche",
                &["Jack Nutting", "Dave Mark", "Jeff LaMarche"],
            ),
            (
                "Chesley B. \"Sully\" Sullenberger III and Jeffrey Zaslow",
                &["Chesley B. \"Sully\" Sullenberger III", "Jeffrey Zaslow"],
            ),
            (
                "Tom Graves, Bouateli Abdenour, and Graham ...",
                &["Tom Graves", "Bouateli Abdenour", "Graham ..."],
            ),
            ("Ann Lee and Bo Chen; Cy Diaz", &["Ann Lee", "Bo Chen", "Cy Diaz"]),
            // ... but not between words of a company or a title.
            ("Simon & Schuster", &["Simon & Schuster"]),
            ("Ernst and Young", &["Ernst and Young"]),
            ("Time and Life Books", &["Time and Life Books"]),
            ("The Editors of Time and Life Books", &["The Editors of Time and Life Books"]),
            (
                "Penguin Random House and Ladybird Books",
                &["Penguin Random House and Ladybird Books"],
            ),
            ("Harry Potter and the Deathly Hallows", &["Harry Potter and the Deathly Hallows"]),
            ("The Beatles and The Rolling Stones", &["The Beatles and The Rolling Stones"]),
            ("Smith, John and Jane", &["John and Jane Smith"]),
            // What the rule cannot read stays as written.
            ("Smith, 2001", &["Smith, 2001"]),
        ];
        for (written, people) in rows {
            assert_eq!(split(written), *people, "{written}");
        }
    }
}
