//! A reader for the Lua table literals KOReader writes as sidecars, and for
//! nothing more: `-- comment`, `return`, then one value made of tables with
//! `["key"] =`, `[1] =` and `name =` fields, strings (both quotes, every
//! Lua 5.1–5.4 escape, long brackets), numbers, booleans and `nil`. No
//! expressions, no functions: a sidecar is data, and this never runs it.
//!
//! Why not a crate: `mlua` embeds a C Lua, and `full_moon` is a lossless
//! syntax tree for whole programs that leaves string escapes undecoded and
//! gives nothing back from a truncated file. KOReader's `frontend/dump.lua`
//! writes a small, fixed subset; this reads it, and on the first error stops
//! and keeps every field it had finished, so a sidecar cut short still yields
//! its complete annotations.

/// How deeply tables may nest before the file is taken as hostile: real
/// sidecars nest five or six deep (`annotations` → item → `pos0` → …).
const MAX_DEPTH: usize = 64;

/// A Lua value as written in the file.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Value {
    Nil,
    Bool(bool),
    Num(f64),
    Str(String),
    Table(Table),
}

/// A table constructor: its fields in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Table {
    /// 1-based line of the opening `{`.
    pub line: usize,
    pub fields: Vec<Field>,
}

/// One `key = value` of a table; positional values get `1, 2, …` as Lua does.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Field {
    pub key: Key,
    pub value: Value,
    /// 1-based line where the field starts.
    pub line: usize,
}

/// A table key. Keys of other types (`[true] =`) are kept as `Other` so the
/// field still parses.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Key {
    Str(String),
    Num(f64),
    Other,
}

/// Where and why reading stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LuaError {
    pub line: usize,
    pub message: String,
}

/// What a file turned out to be.
#[derive(Debug)]
pub(super) enum Read {
    /// Not `return VALUE`: not a Lua data file at all.
    NotLua,
    /// `return` followed by something that is not a table.
    NotTable { line: usize },
    /// The returned table, as far as it could be read, and the error that
    /// stopped reading, if any.
    Table { table: Table, error: Option<LuaError> },
}

impl Table {
    /// The value of the last field named `name` (a later field wins, as in Lua).
    pub fn get(&self, name: &str) -> Option<&Field> {
        self.fields.iter().rev().find(|f| matches!(&f.key, Key::Str(k) if k == name))
    }

    /// The fields with integer keys, sorted by key: the table's array part,
    /// in the order Lua's `ipairs` would visit it (gaps are tolerated).
    pub fn items(&self) -> Vec<&Field> {
        let mut items: Vec<&Field> = self
            .fields
            .iter()
            .filter(|f| matches!(f.key, Key::Num(n) if n.fract() == 0.0))
            .collect();
        items.sort_by(|a, b| match (&a.key, &b.key) {
            (Key::Num(x), Key::Num(y)) => x.total_cmp(y),
            _ => std::cmp::Ordering::Equal,
        });
        items
    }
}

/// Reads `text` as a KOReader data file.
pub(super) fn read(text: &str) -> Read {
    let mut p = Parser { src: text.as_bytes(), pos: 0, line: 1, depth: 0, error: None };
    if p.trivia().is_err() || !p.eat_word("return") {
        return Read::NotLua;
    }
    if p.trivia().is_err() || p.peek() != Some(b'{') {
        return Read::NotTable { line: p.line };
    }
    let table = p.table();
    if p.error.is_none() {
        // Only a `;` and comments may follow the table.
        let trailing = p.trivia().and_then(|()| {
            if p.peek() == Some(b';') {
                p.pos += 1;
                p.trivia()
            } else {
                Ok(())
            }
        });
        if trailing.is_ok() && p.pos < p.src.len() {
            p.fail("unexpected text after the returned table");
        }
    }
    Read::Table { table, error: p.error }
}

struct Parser<'a> {
    src: &'a [u8],
    pos: usize,
    line: usize,
    depth: usize,
    /// The first error; once set, every parse function returns at once.
    error: Option<LuaError>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.src.get(self.pos + ahead).copied()
    }

    fn fail(&mut self, message: impl Into<String>) {
        self.fail_at(self.line, message);
    }

    fn fail_at(&mut self, line: usize, message: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some(LuaError { line, message: message.into() });
        }
    }

    /// Consumes one byte, counting lines.
    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        if b == b'\n' {
            self.line += 1;
        }
        Some(b)
    }

    /// Skips whitespace and comments.
    fn trivia(&mut self) -> Result<(), ()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r' | b'\n' | b'\x0b' | b'\x0c') => {
                    self.bump();
                }
                Some(b'-') if self.peek_at(1) == Some(b'-') => {
                    self.pos += 2;
                    if let Some(level) = self.long_bracket_level() {
                        let start = self.line;
                        if self.long_body(level).is_none() {
                            let message = format!("comment opened on line {start} is never closed");
                            self.fail_at(start, message);
                            return Err(());
                        }
                    } else {
                        while let Some(b) = self.peek() {
                            if b == b'\n' {
                                break;
                            }
                            self.pos += 1;
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// At `[` followed by `=`* and `[`: consumes the opener and returns the
    /// number of `=`; otherwise consumes nothing.
    fn long_bracket_level(&mut self) -> Option<usize> {
        if self.peek() != Some(b'[') {
            return None;
        }
        let mut level = 0;
        while self.peek_at(1 + level) == Some(b'=') {
            level += 1;
        }
        if self.peek_at(1 + level) != Some(b'[') {
            return None;
        }
        self.pos += level + 2;
        Some(level)
    }

    /// Reads up to the closing `]=*]` of `level`; `None` at end of input.
    fn long_body(&mut self, level: usize) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        loop {
            let b = self.bump()?;
            if b == b']'
                && (0..level).all(|i| self.peek_at(i) == Some(b'='))
                && self.peek_at(level) == Some(b']')
            {
                self.pos += level + 1;
                return Some(out);
            }
            out.push(b);
        }
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let end = self.pos + word.len();
        if self.src.get(self.pos..end) == Some(word.as_bytes())
            && !self.src.get(end).is_some_and(|&b| is_name_byte(b))
        {
            self.pos = end;
            true
        } else {
            false
        }
    }

    fn name(&mut self) -> &str {
        let start = self.pos;
        while self.peek().is_some_and(is_name_byte) {
            self.pos += 1;
        }
        // Name bytes are ASCII, so the slice is valid UTF-8.
        std::str::from_utf8(&self.src[start..self.pos]).unwrap_or("")
    }

    fn value(&mut self) -> Option<Value> {
        if self.trivia().is_err() {
            return None;
        }
        match self.peek() {
            None => {
                self.fail("the file ends where a value should be (truncated?)");
                None
            }
            Some(b'{') => Some(Value::Table(self.table())),
            Some(q @ (b'"' | b'\'')) => self.string(q).map(Value::Str),
            Some(b'[') => {
                let start = self.line;
                match self.long_bracket_level() {
                    Some(level) => match self.long_body(level) {
                        // A newline right after the opening bracket is not part of the string.
                        Some(body) => {
                            let body = body
                                .strip_prefix(b"\r\n")
                                .or_else(|| body.strip_prefix(b"\n"))
                                .unwrap_or(&body);
                            Some(Value::Str(String::from_utf8_lossy(body).into_owned()))
                        }
                        None => {
                            self.fail_at(
                                start,
                                format!("string opened on line {start} is never closed"),
                            );
                            None
                        }
                    },
                    None => {
                        self.fail("unexpected `[` where a value should be");
                        None
                    }
                }
            }
            Some(b'-') => {
                // In data `-` only negates a number: count the signs rather
                // than recurse, so `- - - …` cannot exhaust the stack.
                let mut negative = false;
                while self.peek() == Some(b'-') {
                    self.pos += 1;
                    negative = !negative;
                    if self.trivia().is_err() {
                        return None;
                    }
                }
                let n = if self.eat_word("inf") {
                    f64::INFINITY
                } else if self.eat_word("nan") {
                    f64::NAN
                } else if matches!(self.peek(), Some(b'0'..=b'9' | b'.')) {
                    self.number()?
                } else {
                    self.fail("`-` before something that is not a number");
                    return None;
                };
                Some(Value::Num(if negative { -n } else { n }))
            }
            Some(b'0'..=b'9' | b'.') => self.number().map(Value::Num),
            Some(b) if is_name_byte(b) => {
                let line = self.line;
                match self.name() {
                    "true" => Some(Value::Bool(true)),
                    "false" => Some(Value::Bool(false)),
                    "nil" => Some(Value::Nil),
                    // `tostring` of an infinite or undefined number, as dump.lua writes it.
                    "inf" => Some(Value::Num(f64::INFINITY)),
                    "nan" => Some(Value::Num(f64::NAN)),
                    other => {
                        let message = format!("unexpected name `{other}` where a value should be");
                        self.fail_at(line, message);
                        None
                    }
                }
            }
            Some(b) => {
                self.fail(format!("unexpected `{}` where a value should be", char::from(b)));
                None
            }
        }
    }

    /// Reads a table; on an error it returns the fields read so far.
    fn table(&mut self) -> Table {
        let mut table = Table { line: self.line, fields: Vec::new() };
        self.pos += 1; // the `{`
        if self.depth >= MAX_DEPTH {
            self.fail(format!("tables nested more than {MAX_DEPTH} deep"));
            return table;
        }
        self.depth += 1;
        let mut next_index = 1.0;
        loop {
            if self.trivia().is_err() {
                break;
            }
            let line = self.line;
            let key = match self.peek() {
                None => {
                    self.fail(format!(
                        "the table opened on line {} is never closed (truncated?)",
                        table.line
                    ));
                    break;
                }
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                Some(b'[') if !matches!(self.peek_at(1), Some(b'[' | b'=')) => {
                    self.pos += 1;
                    let Some(key) = self.value() else { break };
                    if self.trivia().is_err() {
                        break;
                    }
                    if self.peek() != Some(b']') {
                        self.fail("expected `]` after a table key");
                        break;
                    }
                    self.pos += 1;
                    if self.trivia().is_err() {
                        break;
                    }
                    if self.peek() != Some(b'=') {
                        self.fail("expected `=` after a table key");
                        break;
                    }
                    self.pos += 1;
                    match key {
                        Value::Str(s) => Key::Str(s),
                        Value::Num(n) => Key::Num(n),
                        _ => Key::Other,
                    }
                }
                Some(b) if is_name_byte(b) && !b.is_ascii_digit() && self.is_name_key() => {
                    let key = Key::Str(self.name().to_string());
                    let _ = self.trivia();
                    self.pos += 1; // the `=`, checked by is_name_key
                    key
                }
                Some(_) => {
                    let key = Key::Num(next_index);
                    next_index += 1.0;
                    key
                }
            };
            let Some(value) = self.value() else { break };
            let failed = self.error.is_some();
            table.fields.push(Field { key, value, line });
            if failed || self.trivia().is_err() {
                break;
            }
            match self.peek() {
                Some(b',' | b';') => self.pos += 1,
                Some(b'}') => {}
                None => {
                    self.fail(format!(
                        "the table opened on line {} is never closed (truncated?)",
                        table.line
                    ));
                    break;
                }
                Some(b) => {
                    self.fail(format!(
                        "expected `,` or `}}` in a table, found `{}`",
                        char::from(b)
                    ));
                    break;
                }
            }
        }
        self.depth -= 1;
        table
    }

    /// At a name: is it `name =` (a key) rather than a value like `true`?
    fn is_name_key(&self) -> bool {
        let mut i = self.pos;
        while self.src.get(i).copied().is_some_and(is_name_byte) {
            i += 1;
        }
        while self.src.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        self.src.get(i) == Some(&b'=') && self.src.get(i + 1) != Some(&b'=')
    }

    fn number(&mut self) -> Option<f64> {
        let start = self.pos;
        let hex = self.peek() == Some(b'0') && matches!(self.peek_at(1), Some(b'x' | b'X'));
        if hex {
            self.pos += 2;
        }
        while let Some(b) = self.peek() {
            let exponent_sign = matches!(b, b'+' | b'-')
                && !hex
                && matches!(self.src.get(self.pos - 1), Some(b'e' | b'E'));
            if b.is_ascii_alphanumeric() || b == b'.' || exponent_sign {
                self.pos += 1;
            } else {
                break;
            }
        }
        let raw = std::str::from_utf8(&self.src[start..self.pos]).unwrap_or("");
        let parsed = if hex {
            u64::from_str_radix(&raw[2..], 16).ok().map(|n| n as f64)
        } else {
            raw.parse::<f64>().ok()
        };
        if parsed.is_none() {
            self.fail(format!("`{raw}` is not a number"));
        }
        parsed
    }

    /// Reads a quoted string with its escapes (`%q` writes `\` + newline,
    /// `\ddd`, `\"` and `\\`; Lua 5.2+ adds `\x`, `\z`, `\u{…}`).
    fn string(&mut self, quote: u8) -> Option<String> {
        let start = self.line;
        self.pos += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            // Copy the plain run up to the next quote, escape or newline at
            // once: strings are most of a sidecar's bytes.
            let rest = &self.src[self.pos..];
            let plain = memchr::memchr3(quote, b'\\', b'\n', rest).unwrap_or(rest.len());
            let run = &rest[..plain];
            let run = &run[..memchr::memchr(b'\r', run).unwrap_or(run.len())];
            out.extend_from_slice(run);
            self.pos += run.len();
            let Some(b) = self.bump() else {
                self.fail_at(
                    start,
                    format!("string opened on line {start} is never closed (truncated?)"),
                );
                return None;
            };
            match b {
                b if b == quote => break,
                b'\n' | b'\r' => {
                    self.fail_at(
                        start,
                        format!("string opened on line {start} runs past the end of its line"),
                    );
                    return None;
                }
                b'\\' => {
                    let Some(e) = self.bump() else { continue };
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'a' => out.push(0x07),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'v' => out.push(0x0b),
                        b'\n' => {
                            if self.peek() == Some(b'\r') {
                                self.pos += 1;
                            }
                            out.push(b'\n');
                        }
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.bump();
                            }
                            out.push(b'\n');
                        }
                        b'0'..=b'9' => {
                            let mut n = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'9') => {
                                        n = n * 10 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            match u8::try_from(n) {
                                Ok(byte) => out.push(byte),
                                Err(_) => {
                                    self.fail(format!("escape `\\{n}` is larger than 255"));
                                    return None;
                                }
                            }
                        }
                        b'x' => {
                            let digits = self.src.get(self.pos..self.pos + 2).unwrap_or(b"");
                            let byte = std::str::from_utf8(digits)
                                .ok()
                                .and_then(|d| u8::from_str_radix(d, 16).ok());
                            let Some(byte) = byte else {
                                self.fail("`\\x` must be followed by two hex digits");
                                return None;
                            };
                            self.pos += 2;
                            out.push(byte);
                        }
                        b'z' => {
                            while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
                                self.bump();
                            }
                        }
                        b'u' if self.peek() == Some(b'{') => {
                            let end = self.src[self.pos..].iter().position(|&b| b == b'}');
                            let c = end.and_then(|end| {
                                let hex =
                                    std::str::from_utf8(&self.src[self.pos + 1..self.pos + end]);
                                let c = hex
                                    .ok()
                                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                                    .and_then(char::from_u32);
                                self.pos += end + 1;
                                c
                            });
                            let Some(c) = c else {
                                self.fail("bad `\\u{…}` escape");
                                return None;
                            };
                            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                        }
                        // `\\`, `\"`, `\'` and, as Lua 5.1 does, any other character.
                        other => out.push(other),
                    }
                }
                b => out.push(b),
            }
        }
        // `\ddd` escapes may spell out UTF-8 byte by byte, so decode at the end.
        Some(String::from_utf8_lossy(&out).into_owned())
    }
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> Table {
        match read(text) {
            Read::Table { table, error: None } => table,
            other => panic!("{other:?}"),
        }
    }

    fn str_of<'a>(t: &'a Table, key: &str) -> &'a str {
        match &t.get(key).map(|f| &f.value) {
            Some(Value::Str(s)) => s,
            other => panic!("{key}: {other:?}"),
        }
    }

    #[test]
    fn reads_what_dump_writes() {
        // Both dump.lua layouts: tabs and a comma before each field (old),
        // four spaces and a comma after each field (new).
        let old = "-- we can read Lua syntax here!\nreturn {\n\t[\"a\"] = {\n\t\t[1] = \"x\",\n\t\t[2] = 2\n\t},\n\t[\"b\"] = true\n}\n";
        let new = "-- we can read Lua syntax here!\nreturn {\n    [\"a\"] = {\n        [1] = \"x\",\n        [2] = 2,\n    },\n    [\"b\"] = true,\n}\n";
        for text in [old, new] {
            let t = table(text);
            assert_eq!(t.line, 2);
            let Some(Field { value: Value::Table(a), line: 3, .. }) = t.get("a") else {
                panic!("{t:?}")
            };
            let items = a.items();
            assert_eq!(items[0].value, Value::Str("x".into()));
            assert_eq!(items[0].line, 4);
            assert_eq!(items[1].value, Value::Num(2.0));
            assert_eq!(t.get("b").map(|f| &f.value), Some(&Value::Bool(true)));
        }
    }

    #[test]
    fn string_escapes() {
        // `%q` writes a newline as a backslash then a real newline.
        let t = table(
            "return {[\"q\"] = \"say \\\"hi\\\"\\\nback\\\\slash \\9tab \\195\\169t\\233\", x = 'a\\x41\\u{e9}\\z\n   b', [ [[k]] ] = 1}",
        );
        assert_eq!(str_of(&t, "q"), "say \"hi\"\nback\\slash \ttab ét\u{fffd}");
        assert_eq!(str_of(&t, "x"), "aAéb");
        assert_eq!(t.get("k").map(|f| &f.value), Some(&Value::Num(1.0)));
        let t = table("return { [\"long\"] = [==[\nfirst ]] line\nsecond]==] }");
        assert_eq!(str_of(&t, "long"), "first ]] line\nsecond");
    }

    #[test]
    fn numbers_names_and_comments() {
        let t = table(
            "--[[ header\n]] return { -- trailing\n a = -12.5, b = 1e+15, n = -nan, m = - -2, c = 0x1F, d = nil, e = inf, 7, [3.0] = 'three' } ;",
        );
        let num = |k: &str| match t.get(k).map(|f| &f.value) {
            Some(Value::Num(n)) => *n,
            other => panic!("{other:?}"),
        };
        assert_eq!(num("a"), -12.5);
        assert_eq!(num("b"), 1e15);
        assert_eq!(num("c"), 31.0);
        assert!(num("n").is_nan());
        assert_eq!(num("m"), 2.0);
        assert!(num("e").is_infinite());
        assert_eq!(t.get("d").map(|f| &f.value), Some(&Value::Nil));
        let items = t.items();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].value, Value::Num(7.0));
        assert_eq!(items[1].value, Value::Str("three".into()));
    }

    #[test]
    fn not_lua_and_not_table() {
        assert!(matches!(read("hello"), Read::NotLua));
        assert!(matches!(read("returned = 1"), Read::NotLua));
        assert!(matches!(read("{ a = 1 }"), Read::NotLua));
        assert!(matches!(read("-- c\nreturn \"str\""), Read::NotTable { line: 2 }));
        assert!(matches!(read("return"), Read::NotTable { line: 1 }));
    }

    #[test]
    fn truncated_keeps_finished_fields() {
        let text =
            "return {\n  [\"a\"] = {\n    [1] = { [\"t\"] = \"one\" },\n    [2] = { [\"t\"] = \"tw";
        let Read::Table { table, error: Some(error) } = read(text) else { panic!() };
        assert_eq!(error.line, 4);
        assert!(error.message.contains("never closed"), "{error:?}");
        let Some(Field { value: Value::Table(a), .. }) = table.get("a") else { panic!() };
        // The finished item is kept, the cut one keeps only what was complete.
        assert_eq!(a.items().len(), 2);
        let Value::Table(first) = &a.items()[0].value else { panic!() };
        assert_eq!(str_of(first, "t"), "one");
        let Value::Table(second) = &a.items()[1].value else { panic!() };
        assert!(second.fields.is_empty());
    }

    #[test]
    fn errors_name_their_line() {
        for (text, line, what) in [
            ("return {\n a = 1\n b = 2 }", 3, "expected `,`"),
            ("return {\n [\"a\" = 1 }", 2, "expected `]`"),
            ("return {\n a = function() end }", 2, "unexpected name `function`"),
            ("return {\n a = \"x\ny\" }", 2, "end of its line"),
            ("return {\n a = '\\300' }", 2, "larger than 255"),
            ("return {} x", 1, "after the returned table"),
            ("return {\n a = - 'x' }", 2, "not a number"),
            ("return {\n --[[ open\n\n", 2, "never closed"),
            ("return { --[[ open", 1, "never closed"),
        ] {
            let Read::Table { error: Some(error), .. } = read(text) else { panic!("{text}") };
            assert_eq!(error.line, line, "{text}");
            assert!(error.message.contains(what), "{text}: {error:?}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let text = format!("return {}", "{".repeat(100_000));
        let Read::Table { error: Some(error), .. } = read(&text) else { panic!() };
        assert!(error.message.contains("nested"));
        let text = format!("return {{ a = {}1 }}", "- ".repeat(100_001));
        let t = table(&text);
        assert_eq!(t.get("a").map(|f| &f.value), Some(&Value::Num(-1.0)));
    }
}
