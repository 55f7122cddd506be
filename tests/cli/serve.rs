//! `folio serve`: the API on a free port, over plain HTTP/1.1 (a
//! `TcpStream`, so no HTTP client is built for the tests): every endpoint,
//! every error, paging, the same hits as the CLI, hostile requests, and
//! notes saved, renamed and deleted while serving.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::TestEnv;

/// A running `folio serve`, stopped with SIGTERM on drop.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<String>>,
}

impl Server {
    /// Starts `folio serve --listen 127.0.0.1:0 ARGS` and waits for its
    /// address.
    fn start(env: &TestEnv, args: &[&str]) -> Server {
        let mut all = vec!["serve", "--listen", "127.0.0.1:0", "--debounce", "50"];
        all.extend_from_slice(args);
        let mut child = env
            .command(&all)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start folio serve");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(at) = line.find("http://") {
                    let addr = line[at + 7..].split('/').next().unwrap_or("").to_string();
                    let _ = tx.send(addr);
                }
                let mut log = sink.lock().expect("log");
                log.push_str(&line);
                log.push('\n');
            }
        });
        let addr =
            rx.recv_timeout(Duration::from_secs(60)).expect("folio serve prints its address");
        Server { child, addr: addr.parse().expect("an address"), log }
    }

    /// `GET path` with this `Host`; (status, headers, body).
    fn raw(&self, request: &[u8]) -> (u16, String, Vec<u8>) {
        let mut stream = TcpStream::connect(self.addr).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
        stream.write_all(request).expect("send");
        let mut response = Vec::new();
        stream.read_to_end(&mut response).expect("read");
        let split = response.windows(4).position(|w| w == b"\r\n\r\n").expect("a header end");
        let head = String::from_utf8_lossy(&response[..split]).into_owned();
        let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status");
        (status, head, response[split + 4..].to_vec())
    }

    fn get_with_host(&self, path: &str, host: &str) -> (u16, Value) {
        let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        let (status, head, body) = self.raw(request.as_bytes());
        let value = serde_json::from_slice(&body).unwrap_or_else(|e| {
            panic!(
                "GET {path}: {status} not JSON ({e}): {head}\n{}",
                String::from_utf8_lossy(&body)
            )
        });
        (status, value)
    }

    fn get(&self, path: &str) -> (u16, Value) {
        self.get_with_host(path, &self.addr.to_string())
    }

    /// Waits until `check` holds for `GET path`, at most `within`; returns
    /// how long it took.
    fn wait_for(&self, path: &str, within: Duration, check: impl Fn(&Value) -> bool) -> Duration {
        let started = Instant::now();
        loop {
            let (status, value) = self.get(path);
            if status == 200 && check(&value) {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < within,
                "GET {path} did not change within {within:?}: {value:#}\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn log(&self) -> String {
        self.log.lock().expect("log").clone()
    }

    fn ready(&self) {
        let started = Instant::now();
        while self.get("/healthz").0 != 200 {
            assert!(started.elapsed() < Duration::from_secs(60), "never ready: {}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn hits(value: &Value) -> &Vec<Value> {
    value["hits"].as_array().expect("hits")
}

fn seeded() -> (TestEnv, Server) {
    let env = TestEnv::with_seeds();
    env.folio(&["index", "seeds"]).expect_code(0);
    let server = Server::start(&env, &[]);
    server.ready();
    (env, server)
}

#[test]
fn quotes_and_notes_answer_with_the_json_contract_and_ids() {
    let (env, server) = seeded();
    let (status, value) = server.get("/api/quotes?q=stateful");
    assert_eq!(status, 200, "{value:#}");
    let hit = &hits(&value)[0];
    assert_eq!(hit["kind"], "quote");
    assert_eq!(hit["reference"]["display"], "p.52");
    let id = hit["note_id"].as_str().expect("note id");
    assert!(hit["id"].as_str().expect("quote id").starts_with(id));
    assert!(!id.contains('/'), "ids are not paths: {id}");

    // The same hits as the CLI, in the same order, with the same ids.
    let cli = env.folio(&["quotes", "stateful", "--json", "--limit", "20"]);
    let cli: Value = serde_json::from_str(&cli.stdout).expect("CLI JSON");
    assert_eq!(value["hits"], cli["hits"]);
    let (_, notes) = server.get("/api/search?q=stateful+services&limit=5");
    let cli = env.folio(&["search", "stateful", "services", "--json", "--limit", "5"]);
    let cli: Value = serde_json::from_str(&cli.stdout).expect("CLI JSON");
    assert_eq!(notes["hits"], cli["hits"]);
    assert!(hits(&notes)[0]["id"].is_string());

    // The note view: its body, and the quote at the place the hit said.
    let (status, note) = server.get(&format!("/api/notes/{id}"));
    assert_eq!(status, 200, "{note:#}");
    assert_eq!(note["id"], id);
    assert_eq!(note["titles"][0]["text"], "Designing Event-Driven Systems");
    let quote = note["quotes"]
        .as_array()
        .expect("quotes")
        .iter()
        .find(|q| q["id"] == hit["id"])
        .expect("the hit's quote is in its note");
    let body: Vec<char> = note["body"].as_str().expect("body").chars().collect();
    let (start, end) =
        (quote["start"].as_u64().expect("start"), quote["end"].as_u64().expect("end"));
    let text: String = body[start as usize..end as usize].iter().collect();
    assert!(text.contains("stateful"), "{text}");
}

#[test]
fn paging_with_offset_gives_the_next_hits() {
    let (_env, server) = seeded();
    let (_, all) = server.get("/api/quotes?q=the&limit=6");
    let (_, first) = server.get("/api/quotes?q=the&limit=3");
    let (_, second) = server.get("/api/quotes?q=the&limit=3&offset=3");
    let ids = |v: &Value| hits(v).iter().map(|h| h["id"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&all).len(), 6);
    assert_eq!([ids(&first), ids(&second)].concat(), ids(&all));
    assert_eq!(second["total"], all["total"]);
}

#[test]
fn filters_narrow_the_hits() {
    let (_env, server) = seeded();
    let (status, value) =
        server.get("/api/quotes?q=stateful&page=50..60&author=Stopford&year=2018");
    assert_eq!(status, 200);
    assert!(!hits(&value).is_empty());
    let (_, none) = server.get("/api/quotes?q=stateful&page=1..2");
    assert!(hits(&none).is_empty(), "{none:#}");
}

#[test]
fn stats_health_and_the_page_answer() {
    let (_env, server) = seeded();
    let (status, stats) = server.get("/api/stats");
    assert_eq!(status, 200);
    assert!(stats["notes"].as_u64() > Some(10), "{stats:#}");
    let (status, health) = server.get("/healthz");
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
    let host = server.addr.to_string();
    let (status, head, body) = server
        .raw(format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes());
    assert_eq!(status, 200);
    assert!(head.to_ascii_lowercase().contains("content-security-policy"), "{head}");
    assert!(!head.to_ascii_lowercase().contains("access-control-allow-origin"), "no CORS: {head}");
    let page = String::from_utf8_lossy(&body);
    assert!(page.contains("<label for=\"q\""), "the search box has a label");
    let (status, _, js) = server.raw(
        format!("GET /app.js HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
    );
    assert_eq!(status, 200);
    assert!(String::from_utf8_lossy(&js).contains("AbortController"));
}

#[test]
fn bad_requests_get_json_errors_with_their_status() {
    let (_env, server) = seeded();
    let long = "a".repeat(1_001);
    let cases: &[(&str, u16, &str)] = &[
        ("/api/quotes", 400, "q is missing"),
        ("/api/quotes?q=", 400, "q is missing"),
        (&format!("/api/quotes?q={long}"), 400, "at most 1000"),
        ("/api/quotes?q=x&limit=1000000000", 400, "limit="),
        ("/api/quotes?q=x&limit=-1", 400, "limit="),
        ("/api/quotes?q=x&offset=99999999", 400, "offset="),
        ("/api/quotes?q=x&colour=red", 400, "unknown parameter \"colour\""),
        ("/api/search?q=x&page=5", 400, "unknown parameter \"page\""),
        ("/api/quotes?q=x&q=y", 400, "twice"),
        ("/api/quotes?q=%FF%FE", 400, "not UTF-8"),
        ("/api/quotes?q=x&year=soon", 400, "year soon"),
        ("/api/quotes?q=x&since=yesterday", 400, "since yesterday"),
        ("/api/quotes?q=x&fuzzy=maybe", 400, "fuzzy=maybe"),
        ("/api/notes/0123456789abcdef01234567", 404, "no note"),
        ("/api/notes/..%2F..%2Fetc%2Fpasswd", 404, "no note"),
        ("/api/notes/../../etc/passwd", 404, ""),
        ("/api/nothing", 404, "no such page"),
        ("/api/stats?x=1", 400, "unknown parameter"),
    ];
    for (path, status, message) in cases {
        let (got, value) = server.get(path);
        assert_eq!(got, *status, "GET {path}: {value:#}");
        let error = value["error"].as_str().unwrap_or_else(|| panic!("GET {path}: {value:#}"));
        assert!(error.contains(message), "GET {path}: {error}");
    }
}

#[test]
fn hostile_requests_are_refused_and_the_server_keeps_answering() {
    let (_env, server) = seeded();
    // DNS rebinding: a page on another site reaching 127.0.0.1 under its name.
    let (status, value) = server.get_with_host("/api/quotes?q=stateful", "evil.example:7878");
    assert_eq!(status, 403, "{value:#}");
    assert!(value["error"].as_str().expect("error").contains("--allow-host"));
    let (status, _) = server.get_with_host("/healthz", "localhost");
    assert_eq!(status, 200);
    // Raw bytes that are not UTF-8 in the request line.
    let (status, _, _) = server.raw(
        b"GET /api/quotes?q=\xff\xfe HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 400);
    // A body on a GET larger than the limit.
    let big = "x".repeat(100_000);
    let request = format!(
        "POST /api/quotes?q=x HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{big}",
        big.len()
    );
    let (status, _, _) = server.raw(request.as_bytes());
    assert!(status == 405 || status == 413, "{status}");
    // A huge query string.
    let (status, _) = server.get(&format!("/api/quotes?q={}", "w%20".repeat(5_000)));
    assert_eq!(status, 400);
    // A slow client holding a connection does not block others.
    let mut slow = TcpStream::connect(server.addr).expect("connect");
    slow.write_all(b"GET /api/quotes?q=sta").expect("send half");
    let (status, value) = server.get("/api/quotes?q=stateful");
    assert_eq!(status, 200, "{value:#}");
    assert!(!hits(&value).is_empty());
}

#[test]
fn clients_that_send_their_headers_too_slowly_are_disconnected() {
    let env = TestEnv::with_seeds();
    env.folio(&["index", "seeds"]).expect_code(0);
    let server = Server::start(&env, &["--header-timeout", "1000"]);
    server.ready();
    // One client stops halfway through its request line; another sends its
    // headers a byte every 100 ms, which would take far longer than the
    // timeout. Both are closed by the server; neither stops others.
    let mut stalled = TcpStream::connect(server.addr).expect("connect");
    stalled.write_all(b"GET /api/quotes?q=sta").expect("send half");
    let trickler = std::thread::spawn({
        let addr = server.addr;
        move || {
            let mut stream = TcpStream::connect(addr).expect("connect");
            let request = b"GET /api/quotes?q=stateful HTTP/1.1\r\nHost: localhost\r\nX-Pad: ";
            let started = Instant::now();
            for byte in request.iter().chain(std::iter::repeat(&b'a')) {
                // Writes start failing once the server has closed its end.
                if stream.write_all(&[*byte]).is_err() {
                    return true;
                }
                if started.elapsed() > Duration::from_secs(60) {
                    return false;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            false
        }
    });
    let (status, value) = server.get("/api/quotes?q=stateful");
    assert_eq!(status, 200, "{value:#}");
    stalled.set_read_timeout(Some(Duration::from_secs(60))).expect("timeout");
    let mut rest = Vec::new();
    match stalled.read_to_end(&mut rest) {
        Ok(_) => {}
        Err(e) => assert!(
            e.kind() == std::io::ErrorKind::ConnectionReset,
            "the stalled client was not disconnected: {e}"
        ),
    }
    assert!(trickler.join().expect("trickler"), "the trickling client was not disconnected");
}

#[test]
fn notes_saved_renamed_and_deleted_while_serving_are_searchable_within_a_second() {
    let (env, server) = seeded();
    let note =
        "title: Zyxwv Quarterly\nauthor: Ada Zyxwv\nyear: 2024\n\nA note about quokkaphilia.\n";
    env.write("seeds/new-note.md", note);
    let took = server
        .wait_for("/api/search?q=quokkaphilia", Duration::from_secs(10), |v| !hits(v).is_empty());
    assert!(took < Duration::from_secs(1), "a new note took {took:?} to be searchable");

    env.write("seeds/new-note.md", note.replace("quokkaphilia", "wombatology"));
    server.wait_for("/api/search?q=wombatology", Duration::from_secs(10), |v| !hits(v).is_empty());
    server.wait_for("/api/search?q=quokkaphilia", Duration::from_secs(10), |v| hits(v).is_empty());

    std::fs::rename(env.path("seeds/new-note.md"), env.path("seeds/renamed.md")).expect("rename");
    server.wait_for("/api/search?q=wombatology", Duration::from_secs(10), |v| {
        hits(v).len() == 1 && hits(v)[0]["path"].as_str().is_some_and(|p| p.ends_with("renamed.md"))
    });
    std::fs::remove_file(env.path("seeds/renamed.md")).expect("delete");
    server.wait_for("/api/search?q=wombatology", Duration::from_secs(10), |v| hits(v).is_empty());
}

#[test]
fn highlights_and_folders_changed_while_serving_are_searchable() {
    let (env, server) = seeded();
    let entry = |book: &str, location: u64, text: &str| {
        format!(
            "{book}\n- Your Highlight on Location {location}-{} | Added on Monday, January 6, \
             2020 9:00:00 AM\n\n{text}\n==========\n",
            location + 1
        )
    };
    // A Kindle clippings file that grows: the new book's passage appears.
    let mut clippings = entry("First Book (Ng, Ann)", 100, "a passage about lighthouses");
    env.write("seeds/My Clippings.txt", &clippings);
    server.wait_for("/api/quotes?q=lighthouses", Duration::from_secs(10), |v| !hits(v).is_empty());
    clippings.push_str(&entry("Second Book (Ott, Bo)", 200, "a passage about marmalade"));
    env.write("seeds/My Clippings.txt", &clippings);
    server.wait_for("/api/quotes?q=marmalade", Duration::from_secs(10), |v| {
        hits(v).len() == 1 && hits(v)[0]["reference"]["display"] == "loc. 200-201"
    });

    // A KOReader sidecar in a new book folder, then edited in place.
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/highlights/koreader/The Salt Road.sdr/metadata.epub.lua");
    let sidecar = std::fs::read_to_string(fixture).expect("read the fixture");
    env.write("seeds/books/The Salt Road.sdr/metadata.epub.lua", &sidecar);
    server.wait_for("/api/quotes?q=currency", Duration::from_secs(10), |v| !hits(v).is_empty());
    let edited =
        sidecar.replace("Salt was the first currency", "Quinceword was the first currency");
    assert_ne!(edited, sidecar, "the fixture has this highlight");
    env.write("seeds/books/The Salt Road.sdr/metadata.epub.lua", &edited);
    server.wait_for("/api/quotes?q=quinceword", Duration::from_secs(10), |v| hits(v).len() == 1);

    // A folder renamed moves its notes; a folder deleted takes them away.
    env.write("seeds/shelf/kept.md", "title: Kept\n\nA note about zeppelins.\n");
    server.wait_for("/api/search?q=zeppelins", Duration::from_secs(10), |v| !hits(v).is_empty());
    std::fs::rename(env.path("seeds/shelf"), env.path("seeds/moved")).expect("rename a folder");
    server.wait_for("/api/search?q=zeppelins", Duration::from_secs(10), |v| {
        hits(v).len() == 1 && hits(v)[0]["path"].as_str().is_some_and(|p| p.contains("moved"))
    });
    std::fs::remove_dir_all(env.path("seeds/moved")).expect("remove a folder");
    server.wait_for("/api/search?q=zeppelins", Duration::from_secs(10), |v| hits(v).is_empty());
}

#[cfg(unix)]
#[test]
fn a_note_whose_path_is_not_utf8_opens_by_its_id() {
    use std::os::unix::ffi::OsStrExt;
    let env = TestEnv::with_seeds();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.md");
    std::fs::write(env.path("seeds").join(name), "title: Caf\n\n> A quote about gingerbread.\n")
        .expect("write a note with a name that is not UTF-8");
    env.folio(&["index", "seeds"]).expect_code(0);
    let server = Server::start(&env, &[]);
    server.ready();
    let (status, value) = server.get("/api/quotes?q=gingerbread");
    assert_eq!(status, 200, "{value:#}");
    let id = hits(&value)[0]["note_id"].as_str().expect("note id").to_string();
    let (status, note) = server.get(&format!("/api/notes/{id}"));
    assert_eq!(status, 200, "{note:#}");
    assert_eq!(note["id"], id.as_str());
    assert!(note["body"].as_str().expect("body").contains("gingerbread"), "{note:#}");
}

#[test]
fn without_a_model_the_default_ranks_by_words_and_hybrid_or_semantic_say_what_is_missing() {
    let (_env, server) = seeded();
    let (_, lexical) = server.get("/api/quotes?q=stateful&mode=lexical");
    let (_, default) = server.get("/api/quotes?q=stateful");
    assert!(!hits(&lexical).is_empty());
    assert_eq!(default["hits"], lexical["hits"]);
    // Asked for explicitly, a ranking by meaning without the model is a
    // 503, as `folio search --mode hybrid` is an error (house plan step 10).
    let (status, hybrid) = server.get("/api/quotes?q=stateful&mode=hybrid");
    assert_eq!(status, 503, "{hybrid:#}");
    let message = hybrid["error"].as_str().expect("error");
    assert!(message.contains("mode=hybrid") && message.contains("folio model fetch"), "{hybrid:#}");
    let (status, value) = server.get("/api/quotes?q=stateful&mode=semantic");
    assert_eq!(status, 503, "{value:#}");
    assert!(value["error"].as_str().expect("error").contains("sentence model"), "{value:#}");
    let (status, value) = server.get("/api/quotes?q=stateful&mode=psychic");
    assert_eq!(status, 400, "{value:#}");
    // Notes are ranked by meaning too (issue 13): the same answer.
    let (status, value) = server.get("/api/search?q=stateful&mode=semantic");
    assert_eq!(status, 503, "{value:#}");
    assert!(value["error"].as_str().expect("error").contains("sentence model"), "{value:#}");
    let (_, notes_lexical) = server.get("/api/search?q=stateful&mode=lexical");
    let (status, notes_default) = server.get("/api/search?q=stateful");
    assert_eq!(status, 200, "{notes_default:#}");
    assert!(!hits(&notes_lexical).is_empty());
    assert_eq!(notes_default["hits"], notes_lexical["hits"]);
}

#[test]
fn with_a_model_modes_give_the_cli_hits_and_say_which_side_found_them() {
    let env = TestEnv::new();
    env.write(
        "notes/Influence.md",
        "title: Influence\nauthor: Robert Cialdini\n\n\
         > When people are in a group, responsibility for acting is diffused.\n\
         > <footer>p. 133</footer>\n\n\
         > Things that are scarce are valued more.\n> <footer>p. 238</footer>\n",
    );
    env.write(
        "notes/Sea.md",
        "title: The Sea\n\n> The old man fought the fish for three days.\n> <footer>p. 12</footer>\n",
    );
    folio::embed::tiny::write_tiny_model(&env.path("model"), 3).expect("tiny model");
    env.folio(&["index", "notes", "--index", "ix", "--model", "model"]).expect_code(0);
    let server = Server::start(&env, &["--index", "ix", "--model", "model"]);
    server.ready();
    let cli = |mode: &str, query: &str| -> Value {
        let mut args =
            vec!["quotes", "--index", "ix", "--model", "model", "--json", "--no-refresh"];
        args.extend(["--mode", mode]);
        args.extend(query.split(' '));
        env.folio(&args).json()
    };

    let (status, semantic) = server.get("/api/quotes?q=crowds+of+bystanders&mode=semantic");
    assert_eq!(status, 200, "{semantic:#}");
    assert_eq!(semantic["matching"], "meaning");
    assert_eq!(hits(&semantic)[0]["found_by"]["semantic"]["rank"], 1, "{semantic:#}");
    assert_eq!(semantic["hits"], cli("semantic", "crowds of bystanders")["hits"]);

    let (_, hybrid) = server.get("/api/quotes?q=responsibility+group");
    assert_eq!(hybrid["matching"], "hybrid", "hybrid is the default with a model");
    assert_eq!(hits(&hybrid)[0]["found_by"]["lexical"]["rank"], 1, "{hybrid:#}");
    assert_eq!(hybrid["hits"], cli("hybrid", "responsibility group")["hits"]);

    let (_, lexical) = server.get("/api/quotes?q=responsibility+group&mode=lexical");
    assert!(hits(&lexical)[0]["found_by"].is_null(), "{lexical:#}");
}

#[test]
fn a_thousand_files_at_once_become_a_few_commits() {
    let (env, server) = seeded();
    let (_, before) = server.get("/healthz");
    let before = before["refreshes"].as_u64().expect("refreshes");
    std::fs::create_dir_all(env.path("seeds/burst")).expect("mkdir");
    for i in 0..1_000 {
        env.write(
            &format!("seeds/burst/n{i}.md"),
            format!("title: Burst {i}\n\nburstword number{i}\n"),
        );
    }
    server.wait_for("/api/search?q=burstword", Duration::from_secs(60), |v| v["total"] == 1_000);
    let (_, after) = server.get("/healthz");
    let commits = after["refreshes"].as_u64().expect("refreshes") - before;
    assert!(commits <= 10, "1,000 files became {commits} commits:\n{}", server.log());
}

#[test]
fn the_first_build_answers_503_then_serves() {
    let env = TestEnv::with_seeds();
    let server = Server::start(&env, &[]);
    let (status, value) = server.get("/api/quotes?q=stateful");
    assert!(status == 503 || status == 200, "{status}: {value:#}");
    if status == 503 {
        assert!(value["error"].as_str().expect("error").contains("built"));
    }
    server.ready();
    let (status, value) = server.get("/api/quotes?q=stateful");
    assert_eq!(status, 200);
    assert!(!hits(&value).is_empty());
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let (_env, mut server) = seeded();
    let _ =
        std::process::Command::new("kill").args(["-TERM", &server.child.id().to_string()]).status();
    let status = server.child.wait().expect("wait");
    assert!(status.success(), "{status:?}: {}", server.log());
}

#[test]
fn listening_beyond_loopback_warns() {
    let env = TestEnv::with_seeds();
    env.folio(&["index", "seeds"]).expect_code(0);
    let mut child = env
        .command(&["serve", "--listen", "0.0.0.0:0"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    // Before it serves: the warning (after the hint that meaning search
    // exists, which a server without a model says first).
    let mut said = String::new();
    while !said.contains("serving") && !said.contains("warning") {
        if stderr.read_line(&mut said).expect("a line") == 0 {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(said.contains("warning: listening on 0.0.0.0"), "{said}");
}

#[test]
fn while_another_process_writes_the_server_answers_and_catches_up_after() {
    let (env, server) = seeded();
    // Another folio writer: the folder-wide lock, held by this process
    // (once the server's first refresh has let it go).
    let started = Instant::now();
    let lock = loop {
        match folio::index::lifecycle::WriterLock::acquire(&env.path("index")) {
            Ok(lock) => break lock,
            Err(e) => assert!(started.elapsed() < Duration::from_secs(10), "{e}"),
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    env.write("seeds/held.md", "title: Held Back\n\nheldbackword in a note\n");
    let started = Instant::now();
    while !server.log().contains("another folio process is writing") {
        assert!(started.elapsed() < Duration::from_secs(10), "no retry notice: {}", server.log());
        let (status, value) = server.get("/api/quotes?q=stateful");
        assert_eq!(status, 200, "answers from the last commit: {value:#}");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (_, value) = server.get("/api/search?q=heldbackword");
    assert!(hits(&value).is_empty(), "not committed while the lock is held");
    drop(lock);
    server.wait_for("/api/search?q=heldbackword", Duration::from_secs(10), |v| !hits(v).is_empty());
}

/// `/mcp` (the MCP server over Streamable HTTP) is behind the Host check
/// and an Origin check: a page of another site is refused before the MCP
/// service reads a byte; a request without `Origin` reaches it.
#[test]
fn mcp_requests_from_another_site_are_refused() {
    let (_env, server) = seeded();
    let post = |host: &str, origin: Option<&str>| {
        let origin = origin.map(|o| format!("Origin: {o}\r\n")).unwrap_or_default();
        let body = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
        let request = format!(
            "POST /mcp HTTP/1.1\r\nHost: {host}\r\n{origin}Content-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let (status, _, body) = server.raw(request.as_bytes());
        (status, String::from_utf8_lossy(&body).into_owned())
    };
    let addr = server.addr.to_string();
    let (status, body) = post(&addr, Some("https://evil.example"));
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("Origin"), "{body}");
    let (status, body) = post("evil.example", None);
    assert_eq!(status, 403, "{body}");
    // No Origin, or the server's own: the MCP service answers (here, that
    // the client must accept JSON and event streams), not the Origin check.
    for origin in [None, Some(format!("http://{addr}")), Some("http://localhost:3000".into())] {
        let (status, body) = post(&addr, origin.as_deref());
        assert_ne!(status, 403, "{origin:?}: {body}");
        assert!(!body.contains("is not allowed to call /mcp"), "{body}");
    }
}
