//! Calendar days written `YYYY-MM-DD`: in a header (`start:`, `stop:`,
//! `acquired:`), on a highlight (when it was made) and in `--since`.
//!
//! A date that has the shape but is no day of the calendar (`2024-02-31`,
//! `2024-13-01`) is a mistake worth telling the reader about, not a day to
//! file a highlight under: the `time` crate says which days exist.

use time::{Date, Month, OffsetDateTime};

/// The day written as `YYYY-MM-DD` at the start of `text` (a time may
/// follow: `2024-03-09T14:56:46`).
///
/// `None` when `text` does not start with that shape (a bare year, a
/// sentence): it is not meant as a day. `Some(Err(why))` when it has the
/// shape but names no day of the calendar; `why` says what is wrong in
/// words (`February 2024 has 29 days`).
pub fn day(text: &str) -> Option<Result<Date, String>> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| b[range].iter().all(u8::is_ascii_digit);
    if b.len() < 10 || !digits(0..4) || b[4] != b'-' || !digits(5..7) || b[7] != b'-' {
        return None;
    }
    if !digits(8..10) || b.get(10).is_some_and(u8::is_ascii_digit) {
        return None;
    }
    // Ten ASCII bytes checked above: these slices are on char boundaries,
    // and digits always parse.
    let year: i32 = text[0..4].parse().ok()?;
    let month: u8 = text[5..7].parse().ok()?;
    let day: u8 = text[8..10].parse().ok()?;
    let Ok(month) = Month::try_from(month) else {
        return Some(Err(format!("there is no month {month:02} (months run 01 to 12)")));
    };
    Some(
        Date::from_calendar_date(year, month, day)
            .map_err(|_| format!("{month} {year} has {} days, not {day}", month.length(year))),
    )
}

/// English month names, as highlight tools write dates (`Nov 26, 2025`,
/// `01 March 2024`).
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// The number (1-12) of the English month `word` names in full or by its
/// first three letters or more (`Mar`, `Sept`, `November`, any case).
pub fn english_month(word: &str) -> Option<u8> {
    let lower = word.to_lowercase();
    if lower.len() < 3 {
        return None;
    }
    let at = MONTHS.iter().position(|m| m.starts_with(lower.as_str()))?;
    Some(at as u8 + 1)
}

/// Days from 1970-01-01 to the day at the start of `text`; `None` when it
/// names no day of the calendar or one before 1970 (the index keeps days
/// as unsigned numbers, and no e-reader dates a highlight before then).
pub fn days_since_epoch(text: &str) -> Option<u64> {
    let date = day(text)?.ok()?;
    u64::try_from((date - OffsetDateTime::UNIX_EPOCH.date()).whole_days()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_count_from_the_epoch() {
        assert_eq!(days_since_epoch("1970-01-01"), Some(0));
        assert_eq!(days_since_epoch("2000-03-01"), Some(11_017));
        assert_eq!(days_since_epoch("2024-03-09T14:56:46"), Some(19_791));
        assert_eq!(days_since_epoch("2024-02-29"), Some(19_782));
        assert_eq!(days_since_epoch("1969-12-31"), None);
    }

    #[test]
    fn a_day_the_calendar_lacks_is_named_as_such() {
        let rows: &[(&str, Option<Result<(), &str>>)] = &[
            ("2024-03-09", Some(Ok(()))),
            ("2024-02-29", Some(Ok(()))),
            ("2024-12-31T23:59:59", Some(Ok(()))),
            ("2024-02-31", Some(Err("February 2024 has 29 days, not 31"))),
            ("2023-02-29", Some(Err("February 2023 has 28 days, not 29"))),
            ("2024-04-31", Some(Err("April 2024 has 30 days, not 31"))),
            ("2024-13-01", Some(Err("there is no month 13 (months run 01 to 12)"))),
            ("2024-00-10", Some(Err("there is no month 00 (months run 01 to 12)"))),
            ("2024-01-00", Some(Err("January 2024 has 31 days, not 0"))),
            ("2009", None),
            ("2024-03", None),
            ("2024-03-091", None),
            ("last week", None),
            ("２０２４-03-09", None),
        ];
        for (text, expected) in rows {
            let got = day(text).map(|r| r.map(|_| ()));
            let expected = expected.map(|r| r.map_err(str::to_string));
            assert_eq!(got, expected, "{text}");
        }
    }
}
