//! `folio mcp`: the MCP server on standard input and output, spoken to as a
//! client would (newline-delimited JSON-RPC): the handshake, the tools and
//! their schemas, every tool on the seed notes, the same quotes as `folio
//! quotes --json`, hostile input, and a server killed mid-call.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use serde_json::{Value, json};

use crate::util::TestEnv;

/// A running `folio mcp`, killed on drop.
struct Mcp {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    next_id: u64,
}

impl Mcp {
    /// Starts `folio mcp ARGS` in `env` and completes the handshake.
    fn start(env: &TestEnv, args: &[&str]) -> Mcp {
        let mut all = vec!["mcp"];
        all.extend_from_slice(args);
        let mut child = env
            .command(&all)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start folio mcp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut mcp = Mcp { child, stdin, lines, next_id: 0 };
        let init = mcp.request(
            "initialize",
            json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "folio-test", "version": "0"}
            }),
        );
        assert_eq!(init["result"]["serverInfo"]["name"], "folio", "{init}");
        mcp.send_line(
            &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string(),
        );
        mcp
    }

    fn send_line(&mut self, line: &str) {
        self.stdin.write_all(line.as_bytes()).expect("write to folio mcp");
        self.stdin.write_all(b"\n").expect("write to folio mcp");
        self.stdin.flush().expect("flush");
    }

    /// The next message on stdout: every line must be JSON-RPC.
    fn receive(&mut self) -> Option<Value> {
        match self.lines.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => {
                let value: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("stdout carried a non-JSON line ({e}): {line}"));
                assert_eq!(value["jsonrpc"], "2.0", "{line}");
                Some(value)
            }
            Err(RecvTimeoutError::Timeout) => panic!("folio mcp did not answer in 60 s"),
            Err(RecvTimeoutError::Disconnected) => None,
        }
    }

    /// Sends a request and returns its response (skipping notifications).
    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send_line(
            &json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string(),
        );
        self.response(id)
    }

    fn response(&mut self, id: u64) -> Value {
        loop {
            let message = self.receive().expect("folio mcp answers before it exits");
            if message["id"] == json!(id) {
                return message;
            }
        }
    }

    /// Calls a tool; the `result` object.
    fn call(&mut self, tool: &str, arguments: Value) -> Value {
        let response = self.request("tools/call", json!({"name": tool, "arguments": arguments}));
        assert!(response.get("error").is_none(), "{tool}: {response}");
        response["result"].clone()
    }
}

impl Drop for Mcp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn indexed_seeds() -> TestEnv {
    let env = TestEnv::with_seeds();
    env.folio(&["index", "seeds", "--json"]).expect_code(0);
    env
}

fn ids(hits: &Value) -> Vec<String> {
    hits.as_array()
        .expect("hits")
        .iter()
        .map(|hit| hit["id"].as_str().expect("an id").to_string())
        .collect()
}

#[test]
fn tools_are_listed_with_schemas_and_search_quotes_answers_as_folio_quotes_json() {
    let env = indexed_seeds();
    let mut mcp = Mcp::start(&env, &["--no-refresh"]);
    let listed = mcp.request("tools/list", json!({}));
    let tools = listed["result"]["tools"].as_array().expect("tools").clone();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap_or("")).collect();
    assert_eq!(
        names,
        ["search_quotes", "search_notes", "get_note", "similar_quotes", "index_stats"]
    );
    for tool in &tools {
        assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
        assert_eq!(tool["outputSchema"]["type"], "object", "{tool}");
        assert!(tool["description"].as_str().is_some_and(|d| d.len() > 40), "{tool}");
    }

    let cli = env.folio(&["quotes", "time", "--json", "--no-refresh"]).json();
    let result = mcp.call("search_quotes", json!({"query": "time"}));
    assert_eq!(result["isError"], false, "{result}");
    let found = &result["structuredContent"];
    assert_eq!(ids(&found["hits"]), ids(&cli["hits"]), "the same hits in the same order");
    assert!(!ids(&found["hits"]).is_empty());
    assert_eq!(found["hits"], cli["hits"], "the same JSON for each hit");
    assert_eq!(found["truncated"], false);
    let first = &found["hits"][0];
    assert!(first["note"]["titles"][0]["text"].is_string(), "{first}");
    let text = result["content"][0]["text"].as_str().expect("a text rendering");
    assert!(text.starts_with("1. “"), "{text}");

    // Filters mean what the flags mean.
    let cli = env.folio(&["quotes", "time", "--author", "aurelius", "--json"]).json();
    let found = mcp.call("search_quotes", json!({"query": "time", "author": "aurelius"}));
    assert_eq!(ids(&found["structuredContent"]["hits"]), ids(&cli["hits"]));
}

#[test]
fn every_tool_answers_on_the_seed_notes() {
    let env = indexed_seeds();
    let mut mcp = Mcp::start(&env, &["--no-refresh"]);

    let notes = mcp.call("search_notes", json!({"query": "harmony", "limit": 3}));
    let hits = notes["structuredContent"]["hits"].as_array().expect("note hits").clone();
    assert!(!hits.is_empty() && hits.len() <= 3, "{notes}");
    assert_eq!(hits[0]["kind"], "note");

    let id = hits[0]["id"].as_str().expect("a note id");
    let note = mcp.call("get_note", json!({"id": id}));
    let view = &note["structuredContent"]["notes"][0];
    assert_eq!(view["id"], id, "{note}");
    assert!(view["body"].as_str().is_some_and(|b| !b.is_empty()));
    let quotes = view["quotes"].as_array().expect("quotes");
    assert!(quotes.iter().all(|q| q["text"].as_str().is_some_and(|t| !t.is_empty())), "{view}");

    let path = hits[0]["path"].as_str().expect("a path");
    let by_path = mcp.call("get_note", json!({"path": path}));
    assert_eq!(by_path["structuredContent"]["notes"][0]["id"], id, "{by_path}");

    let stats = mcp.call("index_stats", json!({}));
    let quotes_in_all = stats["structuredContent"]["quotes"].as_u64().expect("quotes");
    assert!(quotes_in_all > 0, "{stats}");

    // No sentence model here: asking for meaning says what to do.
    let meaning = mcp.call("search_quotes", json!({"query": "time", "mode": "meaning"}));
    assert_eq!(meaning["isError"], true, "{meaning}");
    let message = meaning["content"][0]["text"].as_str().unwrap_or("");
    assert!(message.contains("--model") && message.contains("\"words\""), "{message}");
    let similar = mcp.call("similar_quotes", json!({"id": format!("{id}:1")}));
    assert_eq!(similar["isError"], true, "{similar}");
    assert!(similar["content"][0]["text"].as_str().unwrap_or("").contains("folio index"));

    // Resources: every note, each readable.
    let listed = mcp.request("resources/list", json!({}));
    let resources = listed["result"]["resources"].as_array().expect("resources").clone();
    assert_eq!(resources.len() as u64, stats["structuredContent"]["notes"].as_u64().unwrap_or(0));
    let uri = resources[0]["uri"].as_str().expect("a uri");
    assert!(uri.starts_with("folio://note/"), "{uri}");
    let read = mcp.request("resources/read", json!({"uri": uri}));
    let text = read["result"]["contents"][0]["text"].as_str().expect("a note's text");
    assert!(text.starts_with("# "), "{text}");
    let missing = mcp.request("resources/read", json!({"uri": "folio://note/0000"}));
    assert!(missing.get("error").is_some(), "{missing}");
}

#[test]
fn hostile_input_gets_answers_and_never_a_crash() {
    let env = indexed_seeds();
    let mut mcp = Mcp::start(&env, &["--no-refresh"]);
    // Garbage lines are skipped; the next request is still answered.
    mcp.send_line("{not json");
    mcp.send_line("\u{0}\u{1}garbage");
    let stats = mcp.call("index_stats", json!({}));
    assert_eq!(stats["isError"], false, "{stats}");

    let unknown_method = mcp.request("folio/nothing", json!({}));
    assert!(unknown_method["error"]["code"].is_i64(), "{unknown_method}");
    let unknown_tool = mcp.request("tools/call", json!({"name": "rm_rf", "arguments": {}}));
    let message = unknown_tool["error"]["message"].as_str().unwrap_or("");
    assert!(message.contains("search_quotes"), "{unknown_tool}");

    for arguments in [
        json!({"query": 42}),
        json!({"query": "time", "limit": "ten"}),
        json!({"query": "time", "limit": -1}),
        json!({"query": "time", "colour": "red"}),
        json!({"query": "time", "year": "soon"}),
        json!({"query": "time", "mode": "telepathy"}),
        json!({}),
        json!({"query": "x".repeat(5000)}),
    ] {
        let result = mcp.call("search_quotes", arguments.clone());
        assert_eq!(result["isError"], true, "{arguments}: {result}");
        assert!(result["content"][0]["text"].as_str().is_some_and(|t| !t.is_empty()));
    }
    let get = mcp.call("get_note", json!({"id": "x", "path": "y"}));
    assert_eq!(get["isError"], true, "{get}");

    let huge = mcp.call("search_quotes", json!({"query": "the", "limit": 1_000_000_000u64}));
    let hits = huge["structuredContent"]["hits"].as_array().expect("hits");
    assert!(hits.len() <= 50, "a limit past the cap is cut to it: {}", hits.len());
    assert!(
        serde_json::to_string(&huge["structuredContent"]).unwrap_or_default().len() <= 64 * 1024
    );
}

#[test]
fn a_missing_index_is_said_in_each_answer() {
    let env = TestEnv::new();
    let mut mcp = Mcp::start(&env, &["--no-refresh", "--index", "nowhere"]);
    let result = mcp.call("search_quotes", json!({"query": "time"}));
    assert_eq!(result["isError"], true, "{result}");
    let message = result["content"][0]["text"].as_str().unwrap_or("");
    assert!(message.contains("folio index"), "{message}");
}

#[test]
fn a_server_killed_mid_call_leaves_the_index_usable() {
    let env = indexed_seeds();
    let mut mcp = Mcp::start(&env, &[]);
    mcp.send_line(
        &json!({"jsonrpc": "2.0", "id": 99, "method": "tools/call",
                "params": {"name": "search_quotes", "arguments": {"query": "time"}}})
        .to_string(),
    );
    let _ = mcp.child.kill();
    let _ = mcp.child.wait();
    drop(mcp);
    env.folio(&["search", "harmony"]).expect_code(0);
    env.folio(&["index", "seeds"]).expect_code(0);
}
