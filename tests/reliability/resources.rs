//! Bounded resources: huge notes, a 1 MB line, 10,000 quotes in one note,
//! blockquotes nested 1,000 deep, a 10 KB query. Each run must finish in
//! bounded time with bounded memory (peak resident set, read from
//! `/proc/PID/status` while it runs). Sizes are scaled down from the
//! release-build measurements in RELIABILITY.md so a debug build stays fast;
//! `FOLIO_HUGE_MB=50` runs the full 50 MB note.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{TestEnv, u64_of};

/// How a run went.
struct Measured {
    code: Option<i32>,
    elapsed: Duration,
    /// Peak resident memory, bytes (the last `VmHWM` read before exit).
    peak_rss: u64,
    stdout: String,
    stderr: String,
}

fn vm_hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse::<u64>().ok().map(|kb| kb * 1024)
}

/// Runs `cmd`, sampling its peak memory, killing it after `limit`.
#[track_caller]
fn measure(mut cmd: Command, limit: Duration) -> Measured {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().expect("start folio");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let mut peak = 0;
    let status = loop {
        if let Some(hwm) = vm_hwm(child.id()) {
            peak = peak.max(hwm);
        }
        if let Some(status) = child.try_wait().expect("poll") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after {limit:?}: unbounded time");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let m = Measured {
        code: status.code(),
        elapsed: started.elapsed(),
        peak_rss: peak,
        stdout: String::from_utf8_lossy(&out.join().unwrap_or_default()).into_owned(),
        stderr: String::from_utf8_lossy(&err.join().unwrap_or_default()).into_owned(),
    };
    assert!(!m.stderr.contains("panicked"), "folio panicked:\n{}", m.stderr);
    m
}

/// Generous bounds for a debug build: these catch quadratic time and
/// runaway memory, not small regressions (RELIABILITY.md has the figures).
const TIME: Duration = Duration::from_secs(90);
const MB: u64 = 1 << 20;

fn report(what: &str, m: &Measured) {
    eprintln!(
        "{what}: exit {:?}, {:.2} s, peak RSS {} MB",
        m.code,
        m.elapsed.as_secs_f64(),
        m.peak_rss / MB
    );
}

/// Prose of about `bytes` bytes in paragraphs, with a quote every so often.
fn big_note(bytes: usize) -> String {
    let words = folio::bench::generator::words();
    let mut out = String::with_capacity(bytes + 1000);
    out.push_str("title: A Very Long Book\nauthor: Someone Patient\n\n");
    let mut i = 0usize;
    while out.len() < bytes {
        for _ in 0..80 {
            out.push_str(words[(i * 7919) % 5000]);
            out.push(' ');
            i += 1;
        }
        out.push_str("endword.\n\n");
        if i.is_multiple_of(4000) {
            out.push_str("> a quoted passage\n> <footer>p. 12</footer>\n\n");
        }
    }
    out
}

fn index_one(env: &TestEnv, dir: &str, what: &str, max_rss: u64) -> Measured {
    let m = measure(env.command(&["index", dir, "--index", &format!("ix-{dir}"), "--json"]), TIME);
    report(what, &m);
    assert_eq!(m.code, Some(0), "{what}: {}", m.stderr);
    assert!(m.peak_rss < max_rss, "{what}: peak RSS {} MB", m.peak_rss / MB);
    m
}

#[test]
fn a_huge_note_is_indexed_and_searched_in_bounded_memory() {
    let env = TestEnv::new();
    let mb: usize = std::env::var("FOLIO_HUGE_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(5);
    env.write("huge/huge.md", big_note(mb << 20));
    let m =
        index_one(&env, "huge", &format!("index a {mb} MB note"), 200 * MB + 40 * (mb as u64) * MB);
    let summary: serde_json::Value = serde_json::from_str(&m.stdout).expect("JSON summary");
    assert_eq!(u64_of(&summary, "notes"), 1);
    let m =
        measure(env.command(&["search", "--index", "ix-huge", "--no-refresh", "endword"]), TIME);
    report("search it", &m);
    assert_eq!(m.code, Some(0), "{}", m.stderr);
    assert!(m.stdout.lines().count() < 20, "a hit is a snippet, not the note");
}

#[test]
fn a_one_megabyte_line_is_indexed_and_its_snippet_is_short() {
    let env = TestEnv::new();
    let mut line = String::from("title: One Line\n\n");
    let words = folio::bench::generator::words();
    let mut i = 0;
    while line.len() < 1 << 20 {
        line.push_str(words[(i * 31) % 3000]);
        line.push(' ');
        i += 1;
    }
    line.push_str("needleword at the very end\n");
    env.write("line/line.md", line);
    index_one(&env, "line", "index a 1 MB line", 400 * MB);
    let m = measure(
        env.command(&["search", "--index", "ix-line", "--no-refresh", "--json", "needleword"]),
        TIME,
    );
    report("search the 1 MB line", &m);
    assert_eq!(m.code, Some(0), "{}", m.stderr);
    let json: serde_json::Value = serde_json::from_str(&m.stdout).expect("JSON");
    let snippet = json["hits"][0]["snippet"]["text"].as_str().expect("a snippet");
    assert!(snippet.contains("needleword") && snippet.chars().count() <= 200, "{snippet:?}");
}

#[test]
fn ten_thousand_quotes_in_one_note() {
    let env = TestEnv::new();
    let mut note = String::from("title: Many Quotes\n\n");
    for i in 0..10_000 {
        note.push_str(&format!(
            "> quoted passage number q{i} here\n> <footer>p. {}</footer>\n\n",
            i % 900 + 1
        ));
    }
    env.write("quotes/many.md", note);
    let m = index_one(&env, "quotes", "index 10,000 quotes", 400 * MB);
    let summary: serde_json::Value = serde_json::from_str(&m.stdout).expect("JSON summary");
    assert_eq!(u64_of(&summary, "quotes"), 10_000, "{summary:#}");
    let m = measure(
        env.command(&["quotes", "--index", "ix-quotes", "--no-refresh", "--json", "q9999"]),
        TIME,
    );
    report("find one of them", &m);
    assert_eq!(m.code, Some(0), "{}", m.stderr);
}

#[test]
fn blockquotes_nested_a_thousand_deep_and_more() {
    let env = TestEnv::new();
    // 1,000 deep on one line, a staircase of 1,000 lines, and 20,000 deep.
    env.write("deep/one-line.md", format!("title: Deep\n\n{} deepword\n", ">".repeat(1000)));
    let stairs: String = (1..=1000).map(|d| format!("{} level{d}\n", ">".repeat(d))).collect();
    env.write("deep/stairs.md", format!("title: Stairs\n\n{stairs}"));
    env.write("deep/deeper.md", format!("title: Deeper\n\n{} deepword\n", "> ".repeat(20_000)));
    index_one(&env, "deep", "index nesting 1,000 and 20,000 deep", 400 * MB);
    let m =
        measure(env.command(&["search", "--index", "ix-deep", "--no-refresh", "deepword"]), TIME);
    assert_eq!(m.code, Some(0), "{}", m.stderr);
    let m = measure(env.command(&["show", "--json", "deep/stairs.md"]), TIME);
    report("show the staircase", &m);
    assert_eq!(m.code, Some(0), "{}", m.stderr);
}

#[test]
fn a_ten_kilobyte_query_is_answered() {
    let env = TestEnv::new();
    env.write("notes/a.md", crate::small_note(1, 0));
    env.write("notes/b.md", crate::small_note(2, 0));
    let _ = env.folio(&["index", "notes", "--index", "ix"]).expect_code(0);
    let words = folio::bench::generator::words();
    let plain: String = (0..2000).map(|i| words[i % 3000]).collect::<Vec<_>>().join(" ");
    let syntax = "(a OR \"b c\" OR title:d~2 OR -e OR f* OR [1 TO 2] OR ".repeat(200);
    let parens = "(".repeat(5000) + "memory" + &")".repeat(5000);
    for (what, query) in [("plain", plain), ("syntax", syntax), ("parens", parens)] {
        let query: String = query.chars().take(10_240).collect();
        let m =
            measure(env.command(&["search", "--index", "ix", "--no-refresh", "--", &query]), TIME);
        report(&format!("a 10 KB {what} query"), &m);
        assert!(matches!(m.code, Some(0 | 1)), "{what}: {}", m.stderr);
        assert!(m.peak_rss < 300 * MB);
    }
}
