#!/usr/bin/env bash
# folio side by side with what people use instead, on one machine in one run.
#
#   benches/compare.sh [NOTES]          (default 100000; ROUNDS=3 QUERY_RUNS=7)
#
# 1. generates the synthetic corpus with `folio bench --keep` (seed 42);
# 2. builds it, round by round and in a rotating order, with
#    - folio (`folio index`, from the note files),
#    - tantivy-cli with the en_stem and the default tokenizer (from JSON lines
#      with title, author, body, exported from the same notes),
#    - SQLite FTS5 (porter tokenizer, python3's sqlite3 module, from the files),
#    - and times reading the files alone (cat);
# 3. times whole-process queries: `folio search`, the sqlite3 CLI on the FTS5
#    database, ripgrep over the folder; and in-process top-10 with
#    `tantivy bench` and `folio bench`;
# 4. prints medians and ratios to folio, and writes $WORK/compare.json.
#
# Needs: cargo, python3; installs tantivy-cli and ripgrep with `cargo install`
# when missing; uses the sqlite3 CLI when present. Leaves everything in $WORK
# (default: a new folder under /tmp) so runs can be inspected.
set -euo pipefail

NOTES=${1:-${NOTES:-100000}}
ROUNDS=${ROUNDS:-3}
QUERY_RUNS=${QUERY_RUNS:-7}
THREADS=${THREADS:-2}
SEED=${SEED:-42}
WORK=${WORK:-$(mktemp -d /tmp/folio-compare.XXXXXX)}
mkdir -p "$WORK"
ROOT=$(cd "$(dirname "$0")/.." && pwd)

command -v tantivy >/dev/null || cargo install tantivy-cli
command -v rg >/dev/null || cargo install ripgrep
(cd "$ROOT" && cargo build --release --quiet)
FOLIO="$ROOT/target/release/folio"

echo "work folder: $WORK" >&2
echo "generating $NOTES notes and running folio bench ..." >&2
"$FOLIO" bench --notes "$NOTES" --seed "$SEED" --threads "$THREADS" --keep "$WORK/bench" --json \
  > "$WORK/folio-bench.json"

export FOLIO WORK ROUNDS QUERY_RUNS THREADS
exec python3 - <<'PY'
import json, os, platform, re, shutil, sqlite3, statistics, subprocess, sys, time

FOLIO = os.environ["FOLIO"]; WORK = os.environ["WORK"]
ROUNDS = int(os.environ["ROUNDS"]); QUERY_RUNS = int(os.environ["QUERY_RUNS"])
THREADS = os.environ["THREADS"]
CORPUS = os.path.join(WORK, "bench", "notes")

# The note reader, shared with the FTS5 build script so every peer reads alike.
HELPERS = r'''
import os, re
CORPUS = os.environ["CORPUS"]

def files():
    for top, dirs, names in os.walk(CORPUS):
        dirs.sort()
        for name in sorted(names):
            if name.endswith(".md"):
                yield os.path.join(top, name)

LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
def parse(text):
    """Rough header parsing: title, author, year, body (as the peers get it)."""
    title, authors, year, body = [], [], None, text
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        head, body = text[4:end], text[end + 5:]
        for line in head.splitlines():
            key, _, value = line.partition(":")
            value = value.strip()
            if key == "title": title.append(value)
            elif key == "author": authors += [a.strip() for a in value.strip("[]").split(",")]
            elif key == "year": year = int(value)
    else:
        head, _, body = text.partition("\n\n")
        for line in head.splitlines():
            key, _, value = line.partition(":")
            value = LINK.sub(r"\1", value.strip())
            if key == "title": title.append(value)
            elif key == "author": authors.append(value)
            elif key == "year" and year is None and value.isdigit(): year = int(value)
    return " / ".join(title), ", ".join(authors), year, body

'''
os.environ["CORPUS"] = CORPUS
exec(HELPERS)
with open(os.path.join(WORK, "compare_helpers.py"), "w") as out:
    out.write(HELPERS)

# --- exports --------------------------------------------------------------
jsonl = os.path.join(WORK, "notes.jsonl")
with open(jsonl, "w") as out:
    for path in files():
        title, author, year, body = parse(open(path, encoding="utf-8").read())
        out.write(json.dumps({"title": title, "author": author, "body": body}) + "\n")

FTS5_BUILD = f"""
import os, re, sqlite3, sys
sys.path.insert(0, {WORK!r})
from compare_helpers import files, parse
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE VIRTUAL TABLE notes USING fts5(title, author, body, year UNINDEXED, tokenize='porter unicode61')")
with db:
    db.executemany("INSERT INTO notes(title, author, body, year) VALUES (?, ?, ?, ?)",
                   ((t, a, b, y) for t, a, y, b in (parse(open(p, encoding='utf-8').read()) for p in files())))
db.close()
"""
def tantivy_meta(directory, tokenizer):
    os.makedirs(directory)
    field = lambda name: {"name": name, "type": "text", "options": {
        "indexing": {"record": "position", "fieldnorms": True, "tokenizer": tokenizer},
        "stored": True, "fast": False}}
    meta = {"index_settings": {"docstore_compression": "lz4", "docstore_blocksize": 16384},
            "segments": [], "schema": [field("title"), field("author"), field("body")], "opstamp": 0}
    json.dump(meta, open(os.path.join(directory, "meta.json"), "w"))

def run(cmd, **kw):
    started = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stderr.decode()}")
    return seconds

def fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    if os.path.exists(path): os.remove(path)

builds = {
    "folio": lambda: (fresh(f"{WORK}/ix-folio"), run([FOLIO, "index", CORPUS, "--index", f"{WORK}/ix-folio", "--threads", THREADS, "--json"]))[1],
    "tantivy-cli en_stem": lambda: (fresh(f"{WORK}/ix-en"), tantivy_meta(f"{WORK}/ix-en", "en_stem"), run(["tantivy", "index", "-i", f"{WORK}/ix-en", "-f", jsonl, "-t", THREADS]))[2],
    "tantivy-cli default": lambda: (fresh(f"{WORK}/ix-default"), tantivy_meta(f"{WORK}/ix-default", "default"), run(["tantivy", "index", "-i", f"{WORK}/ix-default", "-f", jsonl, "-t", THREADS]))[2],
    "sqlite fts5 porter": lambda: (fresh(f"{WORK}/fts5.db"), run([sys.executable, "-c", FTS5_BUILD, f"{WORK}/fts5.db"]))[1],
    "read files (cat)": lambda: run(["sh", "-c", f"find {CORPUS} -name '*.md' -print0 | xargs -0 cat > /dev/null"]),
}
names = list(builds)
times = {n: [] for n in names}
for r in range(ROUNDS):
    order = names[r % len(names):] + names[:r % len(names)]
    for n in order:
        times[n].append(builds[n]())
        print(f"round {r + 1}: {n:22} {times[n][-1]:7.2f} s", file=sys.stderr)

def du(path):
    if os.path.isfile(path): return os.path.getsize(path)
    return sum(os.path.getsize(os.path.join(t, f)) for t, _, fs in os.walk(path) for f in fs)
sizes = {"folio": du(f"{WORK}/ix-folio"), "tantivy-cli en_stem": du(f"{WORK}/ix-en"),
         "tantivy-cli default": du(f"{WORK}/ix-default"), "sqlite fts5 porter": du(f"{WORK}/fts5.db")}
corpus_bytes = sum(os.path.getsize(p) for p in files())

# --- queries ----------------------------------------------------------------
QUERIES = [  # name, folio args, FTS5 MATCH + extra WHERE, ripgrep args, tantivy text
    ("one_word", ["history"], ("history", ""), ["-w", "history"], "history"),
    ("two_words", ["memory light"], ("memory light", ""), ["-w", "-e", "memory", "-e", "light"], "memory light"),
    ("phrase", ['"memory palace"'], ('"memory palace"', ""), ["memory palace"], '"memory palace"'),
    ("filtered", ["history", "--year", "1990..2010"], ("history", " AND year BETWEEN 1990 AND 2010"), None, None),
    ("rare_word", ["jaundice"], ("jaundice", ""), ["-w", "jaundice"], "jaundice"),
    ("common_word", ["the"], ("the", ""), ["-w", "the"], "the"),
]
sqlite_cli = shutil.which("sqlite3")
def fts5_cmd(match, where):
    sql = ("SELECT rowid, title, snippet(notes, 2, '[', ']', '...', 12) FROM notes "
           f"WHERE notes MATCH '{match.replace(chr(39), chr(39) * 2)}'{where} ORDER BY rank LIMIT 10;")
    if sqlite_cli:
        return [sqlite_cli, f"{WORK}/fts5.db", sql]
    return [sys.executable, "-c", f"import sqlite3; print(sqlite3.connect({WORK + '/fts5.db'!r}).execute({sql!r}).fetchall())"]

qtimes = {}
for name, fargs, (match, where), rgargs, _ in QUERIES:
    systems = {
        "folio search": [FOLIO, "search", *fargs, "--index", f"{WORK}/ix-folio", "--no-refresh", "--json"],
        "sqlite3 fts5" + ("" if sqlite_cli else " (python)"): fts5_cmd(match, where),
    }
    if rgargs:
        systems["ripgrep -i -l"] = ["rg", "-i", "-l", *rgargs, CORPUS]
    for s in systems: qtimes.setdefault(name, {})[s] = []
    for _ in range(QUERY_RUNS + 1):  # the first run is a warm-up
        for s, cmd in systems.items():
            qtimes[name][s].append(run(cmd))
    for s in systems: qtimes[name][s] = qtimes[name][s][1:]

# In process: tantivy-cli's bench (top 10 + count) and folio bench's figures.
qfile = os.path.join(WORK, "queries.txt")
open(qfile, "w").write("".join(q[4] + "\n" for q in QUERIES if q[4]))
tb = subprocess.run(["tantivy", "bench", "-i", f"{WORK}/ix-en", "-q", qfile, "-n", "20"],
                    capture_output=True, text=True).stdout
tantivy_us = {}
section = None
for line in tb.splitlines():
    if line.startswith("SEARCH"): section = "search"
    elif line.startswith("FETCH"): section = None
    elif section and "\t" in line and not line.startswith("query"):
        q, _, us = line.split("\t")
        tantivy_us.setdefault(q, []).append(float(us))
fb = json.load(open(os.path.join(WORK, "folio-bench.json")))

# --- report -------------------------------------------------------------------
med = statistics.median
fol = med(times["folio"])
print(f"\n{len(list(files()))} notes, {corpus_bytes / 1e6:.1f} MB, {ROUNDS} rounds, {THREADS} threads")
print(f"\n{'build':24} {'median s':>9} {'folio ÷ it':>11} {'index MB':>9}")
for n in names:
    m = med(times[n])
    size = f"{sizes[n] / 1e6:9.1f}" if n in sizes else f"{'':9}"
    print(f"{n:24} {m:9.2f} {fol / m:11.2f} {size}")
print(f"\n{'query (whole process)':22} {'system':24} {'median ms':>10} {'folio ÷ it':>11}")
results_q = {}
for name, per in qtimes.items():
    f = med(per["folio search"])
    for s, ts in per.items():
        print(f"{name:22} {s:24} {med(ts) * 1e3:10.1f} {f / med(ts):11.2f}")
        results_q.setdefault(name, {})[s] = med(ts) * 1e3
print(f"\n{'query (in process)':22} {'tantivy-cli bench p50 ms':>25} {'folio bench p50 ms':>20} {'folio tantivy-only ms':>22}")
fq = {q["name"]: q for q in fb["queries"]}
ft = {q["name"]: q for q in fb["tantivy_top10"]}
for name, _, _, _, text in QUERIES:
    t = med(tantivy_us[text]) / 1e3 if text in tantivy_us else float("nan")
    print(f"{name:22} {t:25.3f} {fq[name]['latency']['p50_ms']:20.3f} {ft[name]['latency']['p50_ms']:22.3f}")

versions = {
    "folio": subprocess.run([FOLIO, "--version"], capture_output=True, text=True).stdout.split()[-1],
    "tantivy-cli": subprocess.run(["tantivy", "--version"], capture_output=True, text=True).stdout.split()[-1],
    "ripgrep": subprocess.run(["rg", "--version"], capture_output=True, text=True).stdout.split()[1],
    "sqlite": sqlite3.sqlite_version, "python": platform.python_version(),
}
print("\n" + ", ".join(f"{k} {v}" for k, v in versions.items()))
json.dump({"notes": fb["corpus"]["files"], "corpus_bytes": corpus_bytes, "rounds": ROUNDS,
           "build_seconds": times, "index_bytes": sizes, "query_ms": results_q,
           "tantivy_bench_us": tantivy_us, "folio_bench": fb, "versions": versions},
          open(os.path.join(WORK, "compare.json"), "w"), indent=1)
print(f"details: {WORK}/compare.json")
PY
