//! The page in a real browser: headless Chromium driven over WebDriver
//! (`chromedriver`, from the system's `chromium-driver` package). Type a
//! query, see the seed's p. 52 quote, use the keyboard, open the note and
//! check the mark, reload the bookmarked URL, save a note and see it
//! appear. Behind the `browser` feature (`.ci/run` installs the browser), so
//! `cargo test` passes on a machine without one.
//!
//! WebDriver is JSON over HTTP; a dozen calls over a `TcpStream` keep the
//! test build free of an HTTP client stack. `FOLIO_SCREENSHOT=docs/serve.png`
//! saves the README's screenshot.
#![cfg(feature = "browser")]

#[allow(dead_code)]
#[path = "cli/util.rs"]
mod util;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

use util::TestEnv;

/// A child process killed on drop.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

/// One HTTP/1.1 exchange; the JSON body of the answer.
fn http(addr: &str, method: &str, path: &str, body: Option<&Value>) -> Value {
    let body = body.map(Value::to_string).unwrap_or_default();
    let mut stream = TcpStream::connect(addr).expect("connect to chromedriver");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    // chromedriver keeps the connection open: read the headers, then
    // exactly the body they announce.
    let mut reader = BufReader::new(stream);
    let mut length = None;
    let mut chunked = false;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).expect("read a header") == 0 || line == "\r\n" {
            break;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value.trim().parse::<usize>().ok();
        }
        chunked |= lower.starts_with("transfer-encoding:") && lower.contains("chunked");
    }
    let mut payload = Vec::new();
    if let Some(length) = length {
        payload.resize(length, 0);
        reader.read_exact(&mut payload).expect("read the body");
    } else {
        reader.read_to_end(&mut payload).expect("read the body");
        if chunked {
            payload = unchunk(&payload);
        }
    }
    serde_json::from_slice(&payload).unwrap_or(Value::Null)
}

fn unchunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = data.windows(2).position(|w| w == b"\r\n") else { return out };
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 4 + size..];
    }
}

/// A WebDriver session on headless Chromium.
struct Browser {
    addr: String,
    session: String,
    _driver: Process,
}

impl Browser {
    fn start() -> Browser {
        let port = free_port();
        let driver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let child = Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("start {driver} ({e}); install chromium-driver"));
        let driver = Process(child);
        let addr = format!("127.0.0.1:{port}");
        let started = Instant::now();
        while TcpStream::connect(&addr).is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "chromedriver never listened");
            std::thread::sleep(Duration::from_millis(50));
        }
        let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let session = http(
            &addr,
            "POST",
            "/session",
            Some(&json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {
                    "binary": binary,
                    "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                             "--disable-dev-shm-usage", "--window-size=1000,760"]
                }
            }}})),
        );
        let id = session["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {session:#}"))
            .to_string();
        Browser { addr, session: id, _driver: driver }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.session);
        let answer = http(&self.addr, method, &path, body.as_ref());
        if answer["value"].get("error").is_some() {
            panic!("{method} {path}: {answer:#}");
        }
        answer["value"].clone()
    }

    fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    fn js(&self, script: &str) -> Value {
        self.call("POST", "/execute/sync", Some(json!({ "script": script, "args": [] })))
    }

    /// Presses keys (WebDriver key codes) on whatever has focus.
    fn keys(&self, keys: &str) {
        let mut actions = Vec::new();
        for key in keys.chars() {
            actions.push(json!({"type": "keyDown", "value": key.to_string()}));
            actions.push(json!({"type": "keyUp", "value": key.to_string()}));
        }
        self.call(
            "POST",
            "/actions",
            Some(json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]})),
        );
    }

    /// Waits until `script` returns something truthy; returns it.
    #[track_caller]
    fn until(&self, script: &str, what: &str) -> Value {
        let started = Instant::now();
        loop {
            let value = self.js(script);
            if !(value.is_null() || value == false || value == "") {
                return value;
            }
            assert!(started.elapsed() < Duration::from_secs(15), "never: {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let path = format!("/session/{}", self.session);
        let _ = http(&self.addr, "DELETE", &path, None);
    }
}

fn serve(env: &TestEnv) -> (Process, String) {
    let mut child = env
        .command(&["serve", "--listen", "127.0.0.1:0", "--debounce", "50"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("start folio serve");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let url = loop {
        let line = lines.next().expect("folio serve printed its address").expect("a line");
        if let Some(at) = line.find("http://") {
            break line[at..].split_whitespace().next().unwrap_or("").to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    (Process(child), url)
}

#[test]
fn a_reader_searches_opens_a_quote_and_sees_a_new_note() {
    let env = TestEnv::with_seeds();
    env.folio(&["index", "seeds"]).expect_code(0);
    let (_server, url) = serve(&env);
    let browser = Browser::start();

    // Type a query: the p. 52 quote appears, and the URL holds the query.
    browser.goto(&url);
    let q = browser.call("POST", "/element", Some(json!({"using": "css selector", "value": "#q"})));
    let q = q.as_object().and_then(|o| o.values().next()).and_then(Value::as_str).expect("#q");
    browser.call("POST", &format!("/element/{q}/value"), Some(json!({"text": "stateful"})));
    let first = browser.until(
        "const a = document.querySelector('a.hit'); return a && a.innerText.includes('p.52') && a.innerText",
        "the p. 52 quote for 'stateful'",
    );
    assert!(first.as_str().expect("text").contains("Designing Event-Driven Systems"), "{first}");
    browser.until("return location.search.includes('q=stateful')", "the query in the URL");
    assert_eq!(browser.js("return document.querySelectorAll('a.hit mark').length > 0"), true);
    if let Ok(path) = std::env::var("FOLIO_SCREENSHOT") {
        let png = browser.call("GET", "/screenshot", None);
        let png = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().expect("base64"))
            .expect("a PNG");
        std::fs::write(&path, png).expect("write the screenshot");
    }

    // Keyboard: `/` focuses the box, ↓ the first hit, Enter opens it.
    browser.js("document.activeElement.blur(); return 1");
    browser.keys("/");
    assert_eq!(browser.js("return document.activeElement.id"), "q");
    browser.keys("\u{E015}");
    assert_eq!(browser.js("return document.activeElement.classList.contains('hit')"), true);
    browser.keys("\u{E007}");
    let marked = browser.until(
        "const m = document.querySelector('#note:not([hidden]) mark.quote.target'); return m && m.textContent",
        "the note view with the quote marked",
    );
    assert!(marked.as_str().expect("text").contains("stateful"), "{marked}");
    assert_eq!(browser.js("return document.activeElement.classList.contains('target')"), true);
    browser.until("return location.search.includes('note=')", "the note in the URL");
    // Esc goes back to the results.
    browser.keys("\u{E00C}");
    browser.until("return !document.querySelector('#search-view').hidden", "back to the results");

    // The bookmarked URL gives the same results.
    browser.goto(&format!("{url}?q=stateful"));
    browser.until(
        "const a = document.querySelector('a.hit'); return a && a.innerText.includes('p.52')",
        "the bookmarked search",
    );
    assert_eq!(browser.js("return document.querySelector('#q').value"), "stateful");

    // A note saved on disk appears without a reload of the server.
    env.write("seeds/fresh.md", "title: Fresh Pages\nauthor: New Writer\n\n> a quote on zanzibarite\n> <footer>p. 7</footer>\n");
    browser.goto(&format!("{url}?q=zanzibarite"));
    let started = Instant::now();
    loop {
        let text =
            browser.js("const a = document.querySelector('a.hit'); return a ? a.innerText : ''");
        if text.as_str().is_some_and(|t| t.contains("p.7") || t.contains("p. 7")) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "the new note never appeared: {text}");
        std::thread::sleep(Duration::from_millis(200));
        browser.js("document.querySelector('#search').requestSubmit(); return 1");
    }
}
