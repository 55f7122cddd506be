//! `folio model fetch` against a local HTTP server inside the test that
//! serves the tiny test model (`folio::embed::tiny`), its hashes given
//! with the hidden `--manifest` (the pinned real ones are the default):
//! a whole fetch installs a model folio searches with; a wrong hash, a
//! truncated file, a 404, a stalled server and a killed fetch install
//! nothing and leave the cache as it was. And the hint a search without a
//! model gives, once. Nothing here reaches the internet.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::util::TestEnv;

/// The tiny model's files.
const FILES: [&str; 3] = ["config.json", "model.safetensors", "tokenizer.json"];

/// How the server answers for one file.
#[derive(Clone)]
enum Answer {
    /// The whole file.
    Whole(Vec<u8>),
    /// A Content-Length 100 bytes longer than the body, then the
    /// connection closes.
    Short(Vec<u8>),
    /// The headers and half the body, then nothing (the connection stays
    /// open until the test ends).
    Stall(Vec<u8>),
}

/// A local HTTP/1.1 server: `GET /m/NAME` answers as `answers` says, any
/// other path 404. Counts the requests per file.
struct Server {
    port: u16,
    requests: Arc<Mutex<HashMap<String, usize>>>,
    connections: Arc<AtomicUsize>,
}

impl Server {
    fn start(answers: HashMap<String, Answer>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let port = listener.local_addr().expect("local address").port();
        let requests = Arc::new(Mutex::new(HashMap::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let answers = Arc::new(answers);
        let (seen, count) = (requests.clone(), connections.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                count.fetch_add(1, Ordering::SeqCst);
                let (answers, seen) = (answers.clone(), seen.clone());
                std::thread::spawn(move || answer(stream, &answers, &seen));
            }
        });
        Server { port, requests, connections }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/m", self.port)
    }

    fn requests_for(&self, name: &str) -> usize {
        self.requests.lock().expect("requests").get(name).copied().unwrap_or(0)
    }
}

fn answer(
    mut stream: TcpStream,
    answers: &HashMap<String, Answer>,
    seen: &Mutex<HashMap<String, usize>>,
) {
    let mut request = Vec::new();
    let mut byte = [0u8; 1];
    while !request.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => request.push(byte[0]),
            _ => return,
        }
    }
    let request = String::from_utf8_lossy(&request);
    let path = request.split_whitespace().nth(1).unwrap_or("");
    let name = path.strip_prefix("/m/").unwrap_or("");
    *seen.lock().expect("requests").entry(name.to_string()).or_default() += 1;
    let head = |length: usize| {
        format!("HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n")
    };
    let _ = match answers.get(name) {
        Some(Answer::Whole(body)) => {
            stream.write_all(head(body.len()).as_bytes()).and_then(|()| stream.write_all(body))
        }
        Some(Answer::Short(body)) => stream
            .write_all(head(body.len() + 100).as_bytes())
            .and_then(|()| stream.write_all(body)),
        Some(Answer::Stall(body)) => {
            let _ = stream.write_all(head(body.len()).as_bytes());
            let _ = stream.write_all(&body[..body.len() / 2]);
            let _ = stream.flush();
            std::thread::sleep(Duration::from_secs(60));
            Ok(())
        }
        None => stream.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found",
        ),
    };
}

fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

/// An environment with the tiny model in `source/` and its manifest in
/// `manifest.txt`.
fn env_with_source() -> TestEnv {
    let env = TestEnv::new();
    folio::embed::tiny::write_tiny_model(&env.path("source"), 3).expect("tiny model");
    let manifest: String = FILES
        .iter()
        .map(|name| {
            format!(
                "{}  {name}\n",
                sha256(&std::fs::read(env.path("source").join(name)).expect("read"))
            )
        })
        .collect();
    env.write("manifest.txt", manifest);
    env
}

/// Every file of the tiny model, answered whole.
fn whole(env: &TestEnv) -> HashMap<String, Answer> {
    FILES
        .iter()
        .map(|name| {
            let bytes = std::fs::read(env.path("source").join(name)).expect("read a model file");
            (name.to_string(), Answer::Whole(bytes))
        })
        .collect()
}

/// The cached model folder (the test's HOME is its temp dir).
fn installed(env: &TestEnv) -> PathBuf {
    env.path(".cache/folio/models/all-MiniLM-L6-v2")
}

/// Every entry of the cache's model folder's parent, and each model
/// file's bytes: the state a failed fetch must leave as it was.
fn cache_state(env: &TestEnv) -> Vec<(String, Vec<u8>)> {
    let parent = env.path(".cache/folio/models");
    let mut state = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&parent) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with("fetch-lock") {
                continue;
            }
            state.push((name, Vec::new()));
        }
    }
    for name in FILES {
        if let Ok(bytes) = std::fs::read(installed(env).join(name)) {
            state.push((name.to_string(), bytes));
        }
    }
    state.sort();
    state
}

fn fetch(env: &TestEnv, from: &str, extra: &[&str]) -> crate::util::Run {
    let mut args = vec!["model", "fetch", "--from", from, "--manifest", "manifest.txt"];
    args.extend_from_slice(extra);
    env.folio(&args)
}

/// Files of the tiny model, each equal to the source's.
fn assert_installed(env: &TestEnv) {
    for name in FILES {
        let got = std::fs::read(installed(env).join(name)).expect("an installed file");
        let want = std::fs::read(env.path("source").join(name)).expect("a source file");
        assert!(got == want, "{name} differs from the served one");
    }
}

#[test]
fn a_fetch_from_a_mirror_installs_a_model_that_searches_by_meaning() {
    let env = env_with_source();
    let server = Server::start(whole(&env));
    let run = fetch(&env, &server.url(), &[]);
    run.expect_code(0).expect_stderr("SHA-256 checked").expect_stderr("all-MiniLM-L6-v2");
    assert_installed(&env);
    assert_eq!(
        cache_state(&env).iter().filter(|(name, _)| name.starts_with('.')).count(),
        0,
        "no temporary folder left: {:?}",
        cache_state(&env).iter().map(|(n, _)| n).collect::<Vec<_>>()
    );

    // Found without --model: the cached model ranks by meaning.
    env.write(
        "notes/Influence.md",
        "title: Influence\n\n> When people are in a group, responsibility is diffused.\n",
    );
    env.folio(&["index", "notes"]).expect_code(0);
    let run = env.folio(&["quotes", "--mode", "semantic", "--json", "--", "crowds"]);
    run.expect_code(0);
    assert_eq!(run.json()["hits"][0]["found_by"]["semantic"]["rank"], 1, "{run}");

    // Fetched again: every hash matches, nothing is downloaded.
    let before = server.requests_for("model.safetensors");
    let run = fetch(&env, &server.url(), &[]);
    run.expect_code(0).expect_stderr("already holds the model");
    assert_eq!(server.requests_for("model.safetensors"), before, "nothing downloaded again");
}

#[test]
fn a_fetch_from_a_folder_installs_the_same_files() {
    let env = env_with_source();
    fetch(&env, "source", &[]).expect_code(0);
    assert_installed(&env);

    // A folder without one of the files: named, nothing changes.
    let env = env_with_source();
    std::fs::remove_file(env.path("source/tokenizer.json")).expect("remove");
    let run = fetch(&env, "source", &[]);
    let last = run.stderr_lines().last().map(|l| l.to_string()).unwrap_or_default();
    run.expect_code(2).check(
        last.contains("tokenizer.json") && last.contains("--from DIR"),
        "the last line names the file and what --from needs",
    );
    assert!(!installed(&env).exists(), "no model installed");
}

/// Runs a fetch that must fail, with a model installed before it, and
/// checks the error names `file`, says `what`, and the cache is unchanged.
#[track_caller]
fn fails_leaving_the_cache(env: &TestEnv, server: &Server, extra: &[&str], file: &str, what: &str) {
    let before = cache_state(env);
    let run = fetch(env, &server.url(), extra);
    let error = run.stderr_lines().last().map(|l| l.to_string()).unwrap_or_default();
    run.expect_code(2).check(
        error.contains(file) && error.contains(what) && error.contains("nothing was installed"),
        &format!("the last line names {file} and says {what:?}"),
    );
    assert!(cache_state(env) == before, "the cache changed\n{run}");
}

#[test]
fn a_wrong_hash_a_truncated_file_and_a_404_install_nothing() {
    let env = env_with_source();
    let good = Server::start(whole(&env));
    fetch(&env, &good.url(), &[]).expect_code(0);
    // The old model stays in place through every failure below: a new
    // revision is wanted (another seed's weights), and each fetch of it fails.
    folio::embed::tiny::write_tiny_model(&env.path("source"), 4).expect("tiny model");
    let manifest: String = FILES
        .iter()
        .map(|name| {
            let bytes = std::fs::read(env.path("source").join(name)).expect("read");
            format!("{}  {name}\n", sha256(&bytes))
        })
        .collect();
    env.write("manifest.txt", manifest);

    // The files of the old model, served for the new one's hashes.
    fails_leaving_the_cache(&env, &good, &[], "model.safetensors", "SHA-256");

    let mut answers = whole(&env);
    let weights = std::fs::read(env.path("source/model.safetensors")).expect("read");
    answers.insert("model.safetensors".into(), Answer::Short(weights));
    let short = Server::start(answers);
    fails_leaving_the_cache(&env, &short, &[], "model.safetensors", "stopped after");

    let mut answers = whole(&env);
    answers.remove("tokenizer.json");
    let missing = Server::start(answers);
    fails_leaving_the_cache(&env, &missing, &[], "tokenizer.json", "404");

    // Served whole at last: the new model replaces the old.
    let fixed = Server::start(whole(&env));
    fetch(&env, &fixed.url(), &[]).expect_code(0);
    assert_installed(&env);
}

#[test]
fn a_stalled_server_fails_after_the_timeout() {
    let env = env_with_source();
    let mut answers = whole(&env);
    let weights = std::fs::read(env.path("source/model.safetensors")).expect("read");
    answers.insert("model.safetensors".into(), Answer::Stall(weights));
    let server = Server::start(answers);
    let started = Instant::now();
    fails_leaving_the_cache(&env, &server, &["--timeout", "1"], "model.safetensors", "no data");
    assert!(started.elapsed() < Duration::from_secs(20), "gave up in {:?}", started.elapsed());

    // A server that accepts and never answers at all.
    let silent = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://127.0.0.1:{}/m", silent.local_addr().expect("address").port());
    let run = env.folio(&[
        "model",
        "fetch",
        "--from",
        &url,
        "--manifest",
        "manifest.txt",
        "--timeout",
        "1",
    ]);
    run.expect_code(2).expect_stderr("config.json").expect_stderr("no data");
    assert!(!installed(&env).exists());
    drop(silent);
}

#[test]
fn a_killed_fetch_leaves_no_half_model_and_the_next_one_cleans_up() {
    let env = env_with_source();
    let mut answers = whole(&env);
    let weights = std::fs::read(env.path("source/model.safetensors")).expect("read");
    answers.insert("model.safetensors".into(), Answer::Stall(weights));
    let server = Server::start(answers);
    let cmd = env.command(&[
        "model",
        "fetch",
        "--from",
        &server.url(),
        "--manifest",
        "manifest.txt",
        "--timeout",
        "60",
    ]);
    let mut running = env.spawn(cmd);
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.requests_for("model.safetensors") == 0 {
        assert!(Instant::now() < deadline, "the fetch never asked for the weights");
        assert!(!running.finished(), "the fetch ended early");
        std::thread::sleep(Duration::from_millis(20));
    }
    running.kill();
    assert!(!installed(&env).exists(), "no model folder after a killed fetch");

    let good = Server::start(whole(&env));
    fetch(&env, &good.url(), &[]).expect_code(0);
    assert_installed(&env);
    let leftovers: Vec<String> = cache_state(&env)
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| name.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "the killed fetch's folder is gone: {leftovers:?}");
    assert!(server.connections.load(Ordering::SeqCst) > 0);
}

#[test]
fn the_pinned_manifest_is_the_default_and_a_bad_manifest_is_named() {
    // Without --manifest the pinned hashes apply: the tiny model is not
    // all-MiniLM-L6-v2, so its config.json is refused.
    let env = env_with_source();
    let run = env.folio(&["model", "fetch", "--from", "source"]);
    run.expect_code(2).expect_stderr("config.json").expect_stderr("SHA-256");
    assert!(!installed(&env).exists());

    env.write("bad.txt", "not-a-hash  config.json\n");
    let run = env.folio(&["model", "fetch", "--from", "source", "--manifest", "bad.txt"]);
    run.expect_code(2).expect_stderr("bad.txt:1").expect_stderr("64 hex digits");
}

const NOTE: &str =
    "title: Influence\n\n> When people are in a group, responsibility is diffused.\n";

#[test]
fn a_search_without_a_model_says_once_how_to_turn_meaning_on() {
    let env = TestEnv::new();
    env.write("notes/Influence.md", NOTE);
    env.folio(&["index", "notes"]).expect_code(0);

    // Not when the reader chose: words by --mode, or the model turned off.
    let run = env.folio(&["quotes", "--mode", "lexical", "group"]);
    run.expect_code(0).check(!run.stderr.contains("model fetch"), "no hint with --mode");
    let run = env.folio(&["quotes", "--model", "off", "group"]);
    run.expect_code(0).check(!run.stderr.contains("model fetch"), "no hint with the model off");

    // The first plain search says it, on stderr; --json's stdout stays JSON.
    let run = env.folio(&["quotes", "--json", "group"]);
    run.expect_code(0).expect_stderr("`folio model fetch`");
    assert_eq!(run.json()["hits"].as_array().map(Vec::len), Some(1));
    // Once: not the next time, nor when the server starts.
    let run = env.folio(&["quotes", "group"]);
    run.expect_code(0).check(!run.stderr.contains("model fetch"), "said once");

    // With a model, never.
    let env = TestEnv::new();
    env.write("notes/Influence.md", NOTE);
    folio::embed::tiny::write_tiny_model(&env.path("model"), 3).expect("tiny model");
    env.folio(&["index", "notes", "--model", "model"]).expect_code(0);
    let run = env.folio(&["quotes", "--model", "model", "group"]);
    run.expect_code(0).check(!run.stderr.contains("model fetch"), "no hint with a model");
}
