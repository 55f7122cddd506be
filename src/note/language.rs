//! A note's language, as an ISO 639-1 code (`en`, `ru`, `zh`, …): declared
//! in its header (`lang:` or `language:`, which wins) or detected from its
//! text with `whatlang` (trigram profiles of 69 languages, no model files).
//!
//! The index stems a note's words in its language when that language has
//! a Snowball stemmer (the index's analyser lists them); Chinese,
//! Japanese and Korean are cut into bigrams whatever the language says.
//! A book from a highlight export is one note, so its language is told
//! from all its highlights together, not from each short passage.
//!
//! A text in Latin letters whose detection is not reliable stays English,
//! so an English note is never stemmed as another language on a guess.
//! A text in another script cannot be English, and English stemming means
//! nothing to it, so there the best guess among that script's languages
//! is taken however short the text: whatlang's trigrams need some 25 words
//! to call a Cyrillic text reliably, where a Kindle highlight has ten, so
//! Cyrillic is told by the letters and words only one language of the
//! script uses (`cyrillic`).

use std::sync::LazyLock;

use whatlang::{Detector, Lang, Script};

use super::Note;

/// Header keys that declare a note's language.
pub const DECLARING_KEYS: [&str; 2] = ["lang", "language"];

/// Bytes of a note's text the detector reads: enough for a reliable
/// answer, bounded (detection runs on every note of a build).
const SAMPLE_BYTES: usize = 1_024;

/// Whether `word` is one of the words English text is full of and other
/// languages written in Latin letters do not use (`a`, `in`, `is`, `was`,
/// `an`, `on` are left out: Spanish, German, Dutch and French have them
/// too).
fn is_english_word(word: &[u8]) -> bool {
    if !(2..=5).contains(&word.len()) {
        return false;
    }
    let mut lower = [0u8; 5];
    for (l, b) in lower.iter_mut().zip(word) {
        *l = b.to_ascii_lowercase();
    }
    matches!(
        &lower[..word.len()],
        b"the"
            | b"and"
            | b"of"
            | b"that"
            | b"with"
            | b"this"
            | b"which"
            | b"would"
            | b"have"
            | b"has"
            | b"had"
            | b"been"
            | b"were"
            | b"they"
            | b"their"
            | b"there"
            | b"what"
            | b"when"
            | b"who"
            | b"you"
            | b"your"
            | b"from"
            | b"for"
            | b"but"
            | b"not"
            | b"are"
            | b"it"
            | b"its"
            | b"be"
            | b"by"
            | b"to"
            | b"or"
            | b"he"
            | b"she"
            | b"our"
            | b"him"
            | b"her"
            | b"his"
    )
}

/// Words of a text the English test reads.
const ENGLISH_TEST_WORDS: usize = 80;

/// Fewest letters a text needs before its detected language is trusted.
const FEWEST_LETTERS: usize = 24;

/// Languages by ISO 639-1 code, ISO 639-3 code (whatlang's), English name
/// and own name, for reading declarations and naming detections.
const LANGUAGES: &[(&str, &str, &str, &str)] = &[
    ("en", "eng", "english", "english"),
    ("ru", "rus", "russian", "русский"),
    ("zh", "cmn", "chinese", "中文"),
    ("es", "spa", "spanish", "español"),
    ("pt", "por", "portuguese", "português"),
    ("it", "ita", "italian", "italiano"),
    ("fr", "fra", "french", "français"),
    ("de", "deu", "german", "deutsch"),
    ("uk", "ukr", "ukrainian", "українська"),
    ("ar", "ara", "arabic", "العربية"),
    ("ja", "jpn", "japanese", "日本語"),
    ("ko", "kor", "korean", "한국어"),
    ("pl", "pol", "polish", "polski"),
    ("no", "nob", "norwegian", "norsk"),
    ("da", "dan", "danish", "dansk"),
    ("sv", "swe", "swedish", "svenska"),
    ("fi", "fin", "finnish", "suomi"),
    ("tr", "tur", "turkish", "türkçe"),
    ("nl", "nld", "dutch", "nederlands"),
    ("hu", "hun", "hungarian", "magyar"),
    ("cs", "ces", "czech", "čeština"),
    ("el", "ell", "greek", "ελληνικά"),
    ("bg", "bul", "bulgarian", "български"),
    ("ro", "ron", "romanian", "română"),
    ("ta", "tam", "tamil", "தமிழ்"),
    ("he", "heb", "hebrew", "עברית"),
    ("hi", "hin", "hindi", "हिन्दी"),
    ("vi", "vie", "vietnamese", "tiếng việt"),
    ("id", "ind", "indonesian", "bahasa indonesia"),
    ("ca", "cat", "catalan", "català"),
];

/// The note's language: its declaration when it makes one a code can be
/// read from, else what its titles and text are reliably detected as;
/// `None` when neither says.
pub fn of(note: &Note) -> Option<String> {
    for key in DECLARING_KEYS {
        if let Some(code) = note.fields.get(key).into_iter().flatten().find_map(|v| declared(v)) {
            return Some(code.to_string());
        }
    }
    // Quotes first: they are the book's own sentences, where the top of a
    // body is often a template's metadata (`Author:`, `Progress: 0.0%`).
    let mut sample = String::with_capacity(SAMPLE_BYTES + 256);
    let texts = note.quotes.iter().map(|q| q.text.as_str()).chain([note.body.as_str()]);
    for text in texts {
        let mut end = (SAMPLE_BYTES - sample.len().min(SAMPLE_BYTES)).min(text.len());
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        sample.push_str(&text[..end]);
        sample.push('\n');
        if sample.len() >= SAMPLE_BYTES {
            break;
        }
    }
    detect(&sample).map(str::to_string)
}

/// The code of a declared language: `ru`, `rus`, `Russian`, `русский`,
/// `es-ES` and `pt_BR` are all read; anything else is `None`.
pub fn declared(value: &str) -> Option<&'static str> {
    let value = value.trim().to_lowercase();
    let primary = value.split(['-', '_']).next().unwrap_or_default().trim();
    LANGUAGES.iter().find_map(|&(code, code3, english, own)| {
        [code, code3, english, own].contains(&primary).then_some(code)
    })
}

/// Letters read to tell a text in Latin letters from one in another
/// script without whatlang's count of every character.
const SCRIPT_LETTERS: usize = 200;

/// The language `text` is written in, as an ISO 639-1 code: reliably
/// detected for Latin letters, the best guess for other scripts; `None`
/// when it cannot be told.
pub fn detect(text: &str) -> Option<&'static str> {
    // The first letters, ASCII or not: two thirds of them ASCII is the
    // Latin script, as whatlang's count of every character's script would
    // say (3 % of a build's instructions, on notes nearly all Latin).
    let (mut ascii, mut other) = (0usize, 0usize);
    for c in text.chars().filter(|c| c.is_alphabetic()).take(SCRIPT_LETTERS) {
        if c.is_ascii() {
            ascii += 1;
        } else {
            other += 1;
        }
    }
    let letters = (ascii + other).min(FEWEST_LETTERS);
    let script = if ascii > 2 * other { Script::Latin } else { whatlang::detect_script(text)? };
    match script {
        Script::Latin => latin(text, letters),
        Script::Cyrillic => cyrillic(text),
        // Greek, Hangul, kana and the like name their language; Arabic,
        // Hebrew and Devanagari letters are shared by a few, whose best
        // guess is taken.
        _ => whatlang::detect(text).and_then(|info| code(info.lang())),
    }
}

/// Detects among the languages folio can name only: a short Turkish or
/// Finnish text whose best guess was not reliable for the nearness of
/// Azerbaijani or Estonian is called reliably sooner.
static DETECTOR: LazyLock<Detector> = LazyLock::new(|| {
    let known = Lang::all().iter().copied().filter(|&l| code(l).is_some()).collect();
    Detector::with_allowlist(known)
});

/// The ISO 639-1 code of a whatlang language folio can name.
fn code(lang: Lang) -> Option<&'static str> {
    let code3 = lang.code();
    LANGUAGES.iter().find(|l| l.1 == code3).map(|l| l.0)
}

/// The language of a text in Latin letters, when it is reliably detected
/// from enough letters; `None` (English) otherwise.
fn latin(text: &str, letters: usize) -> Option<&'static str> {
    if letters < FEWEST_LETTERS {
        return None;
    }
    if looks_english(text) {
        return Some("en");
    }
    let info = whatlang::detect(text)?;
    if info.is_reliable() {
        return code(info.lang());
    }
    // Among the languages folio can name only, the same best guess may be
    // reliable (a short Turkish text is no longer near Azerbaijani); a
    // guess those languages alone make is not taken ("Quite simply, good
    // news doesn't catch our attention" is French among them, Latin among
    // all).
    let known = DETECTOR.detect(text)?;
    if known.lang() != info.lang() {
        return None;
    }
    // The same best guess both ways, not one of English's commonest words
    // in five or more, and a letter English does not write (`é`, `ñ`,
    // `ß`): taken. A Spanish highlight of seven words holds none of `the`,
    // `and`, `of` and has its accent; an English one nearly always has one
    // of those words and never the accent.
    let foreign_letter = text.chars().any(|c| c.is_alphabetic() && !c.is_ascii());
    (known.is_reliable() || (foreign_letter && without_english_words(text)))
        .then(|| code(info.lang()))
        .flatten()
}

/// Whether `text` has five words or more and none of English's commonest.
fn without_english_words(text: &str) -> bool {
    let mut words = 0;
    for word in text
        .as_bytes()
        .split(|b| b.is_ascii() && !b.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(ENGLISH_TEST_WORDS)
    {
        if is_english_word(word) {
            return false;
        }
        words += 1;
    }
    words >= 5
}

/// Bulgarian words Russian does not use, among its commonest.
const BULGARIAN_WORDS: [&str; 12] =
    ["че", "се", "да", "ще", "това", "като", "са", "съм", "беше", "които", "който", "която"];

/// Russian words Bulgarian and Ukrainian do not use, among its commonest.
const RUSSIAN_WORDS: [&str; 14] = [
    "что",
    "он",
    "его",
    "который",
    "которая",
    "которые",
    "когда",
    "где",
    "нет",
    "был",
    "была",
    "были",
    "бы",
    "только",
];

/// Ukrainian words Russian and Bulgarian do not use, among its commonest.
const UKRAINIAN_WORDS: [&str; 14] = [
    "що", "як", "це", "та", "з", "вона", "воно", "вони", "його", "ця", "цей", "або", "щоб", "дуже",
];

/// The language of a Cyrillic text: told by letters only one language
/// uses (ы э ё Russian; і ї є ґ Ukrainian; ъ before a consonant
/// Bulgarian) and a few common words each, however short the text.
/// Serbian, Macedonian and Belarusian letters leave it to whatlang's
/// best guess; a text with none of these signs is taken for Russian, by
/// far the most written language of the script and the only one with a
/// stemmer (whatlang took even a 14-word Russian sentence for Bulgarian).
fn cyrillic(text: &str) -> Option<&'static str> {
    let (mut ru, mut uk, mut bg) = (0usize, 0usize, 0usize);
    let lower = text.to_lowercase();
    let mut chars = lower.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            'ы' | 'э' | 'ё' => ru += 1,
            'і' | 'ї' | 'є' | 'ґ' => uk += 1,
            'ў' | 'ђ' | 'ј' | 'љ' | 'њ' | 'ћ' | 'џ' | 'ѓ' | 'ѕ' | 'ќ' => {
                return whatlang::detect(text).and_then(|info| code(info.lang()));
            }
            // Russian writes ъ only before е, ё, ю and я (объём, подъезд).
            'ъ' if !chars.peek().is_some_and(|n| matches!(n, 'е' | 'ё' | 'ю' | 'я')) => {
                bg += 1
            }
            _ => {}
        }
    }
    for word in lower.split(|c: char| !c.is_alphabetic()) {
        bg += usize::from(BULGARIAN_WORDS.contains(&word));
        ru += usize::from(RUSSIAN_WORDS.contains(&word));
        uk += usize::from(UKRAINIAN_WORDS.contains(&word));
    }
    if uk > ru && uk >= bg {
        Some("uk")
    } else if bg > ru && bg > uk {
        Some("bg")
    } else {
        Some("ru")
    }
}

/// Whether a sixth or more of the first words of `text` are among
/// [`is_english_word`]'s (about a quarter of English prose is; next to
/// none of Spanish, German, French or Dutch): most English notes are told
/// so at a fraction of a trigram count's cost.
fn looks_english(text: &str) -> bool {
    let mut words = 0;
    let mut english = 0;
    for word in text
        .as_bytes()
        .split(|b| b.is_ascii() && !b.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        words += 1;
        english += usize::from(is_english_word(word));
        if words == ENGLISH_TEST_WORDS {
            break;
        }
    }
    words >= 8 && english * 6 >= words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_are_read_in_any_usual_form() {
        for (written, code) in [
            ("ru", Some("ru")),
            ("RUS", Some("ru")),
            ("Russian", Some("ru")),
            ("русский", Some("ru")),
            ("es-ES", Some("es")),
            ("pt_BR", Some("pt")),
            ("日本語", Some("ja")),
            ("klingon", None),
            ("", None),
        ] {
            assert_eq!(declared(written), code, "{written}");
        }
    }

    #[test]
    fn languages_are_detected_from_enough_text() {
        let cases = [
            ("The reader keeps notes on every book and rereads the passages later.", "en"),
            ("Память о прочитанных книгах хранится в заметках читателя много лет.", "ru"),
            ("El lector conoce bien los libros que ha leído y guarda sus notas.", "es"),
            (
                "Der Leser kennt die Bücher, die er gelesen hat, und bewahrt seine Notizen auf.",
                "de",
            ),
            ("Le lecteur connaît bien les livres qu'il a lus et garde ses notes.", "fr"),
            ("读书笔记记录了读者对每一本书的思考和摘录，方便以后查找和回顾。", "zh"),
            ("読書ノートには、読んだ本についての考えと引用が書かれています。", "ja"),
            ("독서 노트에는 읽은 책에 대한 생각과 인용문이 적혀 있습니다.", "ko"),
        ];
        for (text, code) in cases {
            assert_eq!(detect(text), Some(code), "{text}");
        }
        // Too little text to say: not guessed.
        assert_eq!(detect("Sí."), None);
        // Romance and Germanic texts are not taken for English by the
        // shortcut.
        for text in [
            "La casa de la familia está en el centro de la ciudad y tiene un jardín.",
            "Das ist ein Buch, das ich in der Schule gelesen habe, und es war gut.",
            "Het is een boek dat ik in de zomer heb gelezen en het was mooi.",
            "Le livre est sur la table et il a été lu par tous les élèves.",
        ] {
            assert!(!looks_english(text), "{text}");
        }
        // Nor is a text in another script that quotes a few English words.
        assert!(!looks_english(
            "Повторно использовать команды из истории оболочки: the history of the shell, \
             и подставлять их в другие команды, как это делает Bash или Zsh."
        ));
    }

    #[test]
    fn a_short_text_in_another_script_than_latin_takes_the_best_guess() {
        // Kindle-length highlights whatlang's trigrams do not call
        // reliably (or call Bulgarian) under some 25 words.
        for (text, code) in [
            ("Рукописи не горят.", "ru"),
            ("Все счастливые семьи похожи друг на друга.", "ru"),
            ("Память похожа на библиотеку где книги сами меняют места", "ru"),
            ("Никто в нашей семье не умел готовить так вкусно как бабушка", "ru"),
            ("Старі книжки лежали на столах", "uk"),
            ("Бабуся читала казки, що їх знала з дитинства.", "uk"),
            ("Старецът вървеше бавно покрай реката", "bg"),
            ("Τα παλιά βιβλία ήταν πάνω στα τραπέζια.", "el"),
            ("كانت الكتب القديمة على الطاولات", "ar"),
        ] {
            assert_eq!(detect(text), Some(code), "{text}");
        }
    }

    #[test]
    fn a_short_or_uncertain_text_in_latin_letters_stays_english() {
        // Too short to be sure of, or English: not guessed.
        for text in [
            "Stay hungry, stay foolish.",
            "Old habits die hard.",
            // French among the languages folio names, Latin among all.
            "Quite simply, good news doesn\u{2019}t catch our attention. Bad news",
            // A foreign name in English text: the English words decide.
            "The café on the corner where Napoléon wrote his letters",
            // Four words: too few to go without English's commonest.
            "Recuerdos más tristes vuelven.",
        ] {
            assert!(matches!(detect(text), None | Some("en")), "{text}: {:?}", detect(text));
        }
        // Reliable among the languages folio names, and the same guess
        // among all: taken.
        assert_eq!(detect("Yaşlı adam her sabah nehir boyunca yavaşça"), Some("tr"));
    }

    #[test]
    fn a_short_text_with_a_letter_english_lacks_and_none_of_its_words_takes_the_guess() {
        // A Kindle highlight of five to seven words: both detectors guess
        // the same language, not reliably; a letter English does not write
        // and none of English's commonest words make it taken.
        assert_eq!(detect("Los recuerdos más tristes vuelven."), Some("es"));
        assert_eq!(detect("Il faut cultiver notre jardin, dit-il à Pangloss."), Some("fr"));
    }

    #[test]
    fn a_highlight_note_is_told_by_its_quotes_not_its_template() {
        let quote = |text: &str| crate::note::Quote {
            text: text.into(),
            line: 1,
            offset: 0,
            reference: None,
            note_text: None,
            added: None,
        };
        let note = Note {
            body: "Autore: Becky Chambers\nProgresso: 0.0% Capitolo: 0\nDescrizione".into(),
            quotes: vec![
                quote("It's been centuries since the robots of Panga gained self-awareness."),
                quote(
                    "They laid down their tools, wandered into the wilderness, and were never seen again.",
                ),
            ],
            ..Note::default()
        };
        assert_eq!(of(&note).as_deref(), Some("en"));
    }

    #[test]
    fn a_declaration_wins_over_the_text() {
        let mut note = Note {
            body: "The reader keeps notes on every book and rereads the passages later.".into(),
            ..Note::default()
        };
        assert_eq!(of(&note).as_deref(), Some("en"));
        note.fields.insert("lang".into(), vec!["de".into()]);
        assert_eq!(of(&note).as_deref(), Some("de"));
    }
}
