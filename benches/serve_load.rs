//! A load generator for `folio serve`: N clients, each on one keep-alive
//! HTTP/1.1 connection, ask `/api/quotes` for words of the generator's
//! vocabulary for a number of seconds; prints requests per second, p50,
//! p99 and the worst latency, and the errors (any status but 200).
//!
//! ```text
//! folio bench --notes 100000 --keep /tmp/load && folio serve --index /tmp/load/index &
//! cargo bench --bench serve_load -- --addr 127.0.0.1:7878 --clients 16 --seconds 10
//! ```
//!
//! `--index DIR` instead runs the same requests in this process, one at a
//! time, with no HTTP (the search and its JSON, as the server does them):
//! the CPU a request costs, which bounds what any server can do with it.
//! With C clients on K cores, a request waits for about C/K others, so
//! `mean × C / K` is the floor of the mean latency under that load.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const WORDS: &str = include_str!("../src/bench/words.txt");

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str, default: &str| -> String {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
            .unwrap_or_else(|| default.to_string())
    };
    let addr = flag("--addr", "127.0.0.1:7878");
    let path = flag("--path", "/api/quotes?limit=10&q=");
    let seconds: f64 = flag("--seconds", "10").parse().unwrap();
    let words: Vec<&str> = WORDS.lines().filter(|w| w.len() > 3).take(2000).collect();
    if let Some(i) = args.iter().position(|a| a == "--index") {
        in_process(std::path::Path::new(&args[i + 1]), &words, seconds);
        return;
    }
    for clients in flag("--clients", "1,16,64").split(',') {
        let clients: usize = clients.parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs_f64(seconds);
        let started = Instant::now();
        let workers: Vec<_> = (0..clients)
            .map(|c| {
                let (addr, path, words) = (addr.clone(), path.clone(), words.clone());
                std::thread::spawn(move || client(&addr, &path, &words, c, deadline))
            })
            .collect();
        let mut latencies = Vec::new();
        let mut errors = 0;
        for worker in workers {
            let (l, e) = worker.join().unwrap();
            latencies.extend(l);
            errors += e;
        }
        let wall = started.elapsed().as_secs_f64();
        latencies.sort();
        let at = |q: f64| {
            latencies
                .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
                .map_or(0.0, |d: &Duration| d.as_secs_f64() * 1e3)
        };
        println!(
            "clients {clients:>3}: {:>7.0} req/s, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, {} requests, {errors} errors",
            latencies.len() as f64 / wall,
            at(0.50),
            at(0.99),
            at(1.0),
            latencies.len()
        );
    }
}

/// One client's latencies and errors.
fn client(
    addr: &str,
    path: &str,
    words: &[&str],
    seed: usize,
    deadline: Instant,
) -> (Vec<Duration>, usize) {
    let mut stream = BufReader::new(TcpStream::connect(addr).unwrap());
    stream.get_ref().set_nodelay(true).unwrap();
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut i = seed * 7919;
    while Instant::now() < deadline {
        i += 1;
        let word = words[i % words.len()];
        let request = format!("GET {path}{word} HTTP/1.1\r\nHost: {addr}\r\n\r\n");
        let started = Instant::now();
        stream.get_mut().write_all(request.as_bytes()).unwrap();
        let mut status = String::new();
        stream.read_line(&mut status).unwrap();
        let mut length = 0;
        loop {
            let mut line = String::new();
            stream.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        stream.read_exact(&mut body).unwrap();
        latencies.push(started.elapsed());
        if !status.contains(" 200 ") {
            errors += 1;
        }
    }
    (latencies, errors)
}

/// The query mix searched in this process, one request at a time.
fn in_process(index: &std::path::Path, words: &[&str], seconds: f64) {
    let ix = folio::index::FolioIndex::open(index).unwrap();
    let engine = folio::search::Engine::open(ix).unwrap();
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let mut latencies = Vec::new();
    let mut i = 0;
    let cpu = cpu_seconds();
    while Instant::now() < deadline {
        let word = words[i % words.len()];
        i += 1;
        let started = Instant::now();
        let mut request = folio::search::Request::new(word, folio::search::Target::Quotes);
        request.limit = 10;
        let results = engine.search(&request).unwrap();
        let mut body = Vec::with_capacity(4096);
        folio::output::json::results(&mut body, &results, 0).unwrap();
        std::hint::black_box(body);
        latencies.push(started.elapsed());
    }
    let cpu = cpu_seconds() - cpu;
    latencies.sort();
    let at = |q: f64| {
        latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)].as_secs_f64()
            * 1e3
    };
    let mean = latencies.iter().map(Duration::as_secs_f64).sum::<f64>() / latencies.len() as f64;
    println!(
        "in process: {} requests, mean {:.3} ms, p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms, CPU {:.3} ms a request",
        latencies.len(),
        mean * 1e3,
        at(0.50),
        at(0.99),
        at(1.0),
        cpu / latencies.len() as f64 * 1e3
    );
}

/// CPU seconds this process has used (user + system), from /proc.
fn cpu_seconds() -> f64 {
    folio::bench::cpu_ms("/proc/self/stat").unwrap_or(0.0) / 1e3
}
