//! The command line, as clap-derive types. Doc comments are the help text.
//!
//! This module only describes arguments; it does no I/O. `commands` turns
//! them into work. The shell completions and the man page are generated
//! here from the same definitions ([`completion_script`], [`man_page`]), so
//! they say what `--help` says.

use std::path::PathBuf;

use clap::{Args as ClapArgs, CommandFactory, Parser, Subcommand};

use crate::config::Given;

/// folio: fast full-text search for reading notes.
///
/// Index a folder of book notes (a `key: value` header, Markdown prose,
/// quoted passages with `<footer>p. 52</footer>` references), then search
/// notes by keyword or quotes by topic, with the page to turn to.
#[derive(Debug, Parser)]
#[command(name = "folio", version, about, long_about)]
pub struct Args {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build or update the index from note folders.
    Index(IndexArgs),
    /// Ranked notes for a query, with a snippet and its page reference.
    Search(SearchArgs),
    /// Ranked quoted passages for a query, with book, author and page.
    Quotes(SearchArgs),
    /// One note, parsed: header, quotes, references.
    Show(ShowArgs),
    /// What the index holds.
    Stats(StatsArgs),
    /// Serve a search page and a JSON API over the index, kept fresh by
    /// watching the note folders.
    Serve(ServeArgs),
    /// A Model Context Protocol server on standard input and output: the
    /// searches of `folio quotes` and `folio search` as tools for an AI
    /// assistant, each note as a resource.
    Mcp(McpArgs),
    /// The sentence model: where it is, fetching it, what it costs.
    Model(ModelArgs),
    /// Merge the index's segments into one, for the fastest searches.
    Optimize(OptimizeArgs),
    /// Generate a synthetic corpus, build an index of it, time builds and
    /// queries; or, with --relevance, measure ranking on a test collection.
    Bench(BenchArgs),
    /// Print the completion script of a shell (bash, zsh, fish, elvish,
    /// powershell).
    Completions(CompletionsArgs),
    /// Print the manual page (roff): folio's, or one subcommand's.
    Man(ManArgs),
}

/// Where the sentence model is.
#[derive(Debug, Clone, ClapArgs)]
pub struct ModelLocation {
    /// The sentence model's folder (config.json, model.safetensors,
    /// tokenizer.json) [default: $FOLIO_MODEL, else
    /// ~/.cache/folio/models/all-MiniLM-L6-v2 when it is there]; `off`
    /// searches words only.
    #[arg(long = "model", value_name = "DIR", env = "FOLIO_MODEL")]
    pub model: Option<PathBuf>,
}

/// How quotes are ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RankArg {
    /// Words only (BM25).
    Lexical,
    /// Meaning only (sentence vectors).
    Semantic,
    /// Words and meaning, weighed per query.
    Hybrid,
}

/// Where the index lives.
#[derive(Debug, Clone, ClapArgs)]
pub struct IndexLocation {
    /// The index folder [default: $FOLIO_INDEX, else ./index].
    #[arg(long = "index", value_name = "DIR", env = "FOLIO_INDEX")]
    pub index: Option<PathBuf>,
}

// What each command was given, for `config::Settings::resolve`: the one
// place flags become settings.

impl IndexArgs {
    /// The settings this command was given.
    pub fn given(&self) -> Given {
        Given {
            index: self.location.index.clone(),
            roots: self.dirs.clone(),
            threads: self.threads,
            memory_mb: Some(self.memory),
            model: self.model.model.clone(),
            words_only: false,
        }
    }
}

impl SearchArgs {
    /// The settings this command was given.
    pub fn given(&self) -> Given {
        Given {
            index: self.location.index.clone(),
            model: self.model.model.clone(),
            ..Given::default()
        }
    }
}

impl StatsArgs {
    /// The settings this command was given.
    pub fn given(&self) -> Given {
        Given { index: self.location.index.clone(), words_only: true, ..Given::default() }
    }
}

impl OptimizeArgs {
    /// The settings this command was given.
    pub fn given(&self) -> Given {
        Given { index: self.location.index.clone(), words_only: true, ..Given::default() }
    }
}

impl ServeArgs {
    /// The settings this command was given.
    pub fn given(&self) -> Given {
        Given {
            index: self.location.index.clone(),
            model: self.model.model.clone(),
            ..Given::default()
        }
    }
}

impl McpArgs {
    /// The settings this command was given.
    pub fn given(&self) -> Given {
        Given {
            index: self.location.index.clone(),
            model: self.model.model.clone(),
            ..Given::default()
        }
    }
}

impl BenchArgs {
    /// The settings this command was given. The model is `--model`'s
    /// alone (not `$FOLIO_MODEL` nor the cached one), so a word-ranking
    /// figure stays one.
    pub fn given(&self) -> Given {
        Given {
            threads: self.threads,
            model: self.model.clone(),
            words_only: self.model.is_none(),
            ..Given::benchmark()
        }
    }
}

/// `folio index`.
#[derive(Debug, Clone, ClapArgs)]
pub struct IndexArgs {
    /// Note folders [default: the folders the index remembers, else ./seeds].
    #[arg(value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub location: IndexLocation,
    /// Delete the index (only if it is a folio index) and build it anew.
    #[arg(long)]
    pub rebuild: bool,
    /// Indexing threads [default: the number of cores, at most 8].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Memory budget for indexing, in MB, shared by the threads.
    #[arg(long, value_name = "MB", default_value_t = crate::config::BUILD_MEMORY_MB)]
    pub memory: usize,
    /// Print one JSON object with the summary.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub model: ModelLocation,
}

/// `folio search` and `folio quotes`.
#[derive(Debug, Clone, ClapArgs)]
pub struct SearchArgs {
    /// The query: words, "phrases", field:value (title, author, body, quote,
    /// tag, year, page), -word, OR, parentheses. A query that starts with
    /// `-` goes after `--`: `folio search -- -kafka streams`.
    #[arg(value_name = "QUERY", required_unless_present = "like", num_args = 1..)]
    pub query: Vec<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub location: IndexLocation,
    /// How many hits to show.
    #[arg(long, short = 'n', value_name = "N", default_value_t = crate::config::DEFAULT_HITS)]
    pub limit: usize,
    /// Only notes or quotes by this author (words of the name).
    #[arg(long, value_name = "TEXT")]
    pub author: Option<String>,
    /// Only this year or range of years: 2018, 2010..2020.
    #[arg(long, value_name = "YEAR[..YEAR]")]
    pub year: Option<String>,
    /// Only notes with this tag.
    #[arg(long, value_name = "TAG")]
    pub tag: Option<String>,
    /// Only quotes on these pages: 52, 50..60 (quotes only; a Kindle
    /// location is not a page).
    #[arg(long, value_name = "PAGE[..PAGE]")]
    pub page: Option<String>,
    /// Only highlights at these Kindle locations: 1631, 1600..1700 (quotes only).
    #[arg(long = "location", value_name = "LOC[..LOC]")]
    pub locations: Option<String>,
    /// Only highlights made on or after this day: 2024-03-09 (quotes only).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub since: Option<String>,
    /// Also show near matches (typos) after the exact ones.
    #[arg(long)]
    pub fuzzy: bool,
    /// Rank by BM25F over any word, without putting hits that have every
    /// word first.
    #[arg(long)]
    pub any: bool,
    /// Show why each hit ranks where it does: a tree of the scores it is
    /// made of (the pass, each word's BM25F by field, the quote join,
    /// boosts); with --json, an `explanation` object per hit.
    #[arg(long)]
    pub explain: bool,
    /// Count every match exactly. Without it, a search that can skip the
    /// matches it does not show counts them only up to 1,000 ("1,000+").
    #[arg(long)]
    pub count: bool,
    /// Print one JSON object with the hits.
    #[arg(long)]
    pub json: bool,
    /// Search the index as it is, without bringing it up to date first.
    #[arg(long)]
    pub no_refresh: bool,
    /// How to rank notes or quotes: by words, by meaning, or both [default: hybrid
    /// when a sentence model is there, else lexical]. A query with
    /// phrases, fields, -exclusions or OR is ranked by words.
    #[arg(long, value_enum, value_name = "MODE")]
    pub mode: Option<RankArg>,
    /// Quotes nearest in meaning to the quote at PATH:LINE (a hit's path
    /// and line), across books; needs the sentence model's vectors.
    #[arg(long, value_name = "PATH:LINE", conflicts_with = "query")]
    pub like: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub model: ModelLocation,
}

/// `folio show`.
#[derive(Debug, Clone, ClapArgs)]
pub struct ShowArgs {
    /// The note file.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// Print one JSON object (the contract is in the README).
    #[arg(long)]
    pub json: bool,
}

/// `folio stats`.
#[derive(Debug, Clone, ClapArgs)]
pub struct StatsArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub location: IndexLocation,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `folio serve`.
#[derive(Debug, Clone, ClapArgs)]
pub struct ServeArgs {
    /// Address and port to listen on. Anything but loopback lets other
    /// machines read your notes (folio warns); port 0 picks a free one.
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:7878")]
    pub listen: std::net::SocketAddr,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub location: IndexLocation,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub model: ModelLocation,
    /// Open the page in the system's browser.
    #[arg(long)]
    pub open: bool,
    /// A host name the `Host` header may carry besides IP addresses and
    /// localhost (requests naming others are refused, against DNS
    /// rebinding); repeatable.
    #[arg(long = "allow-host", value_name = "NAME")]
    pub allow_hosts: Vec<String>,
    /// Wait this many milliseconds after a file changes before refreshing,
    /// so a burst of changes becomes one commit.
    #[arg(long, value_name = "MS", default_value_t = 50)]
    pub debounce: u64,
    /// Close a connection whose request headers are not all in within this
    /// many milliseconds (slow clients). Hidden: the tests shorten it.
    #[arg(long, value_name = "MS", default_value_t = 10_000, hide = true)]
    pub header_timeout: u64,
}

/// `folio mcp`.
#[derive(Debug, Clone, ClapArgs)]
pub struct McpArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub location: IndexLocation,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub model: ModelLocation,
    /// Serve the index as it is, without bringing it up to date at start.
    #[arg(long)]
    pub no_refresh: bool,
}

/// `folio model`.
#[derive(Debug, Clone, ClapArgs)]
pub struct ModelArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: ModelAction,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub model: ModelLocation,
}

/// `folio model` actions.
#[derive(Debug, Clone, Subcommand)]
pub enum ModelAction {
    /// Download all-MiniLM-L6-v2 (90 MB) into the cache folder, where
    /// every folio command finds it: a pinned revision from the Hugging
    /// Face hub, each file's SHA-256 checked, installed all at once.
    Fetch {
        /// Where to get the files instead: a mirror's URL (FILE is fetched
        /// from URL/FILE) or a folder holding them.
        #[arg(long, value_name = "URL|DIR")]
        from: Option<String>,
        /// Give up when no data arrives for this many seconds.
        #[arg(long, value_name = "SECS", default_value_t = 30)]
        timeout: u64,
        /// The files and their SHA-256 instead of the pinned model's, one
        /// `HASH  NAME` line each as sha256sum prints them (tests, other
        /// models).
        #[arg(long, value_name = "FILE", hide = true)]
        manifest: Option<PathBuf>,
    },
    /// Load the model, say where it is, and time it: load time, and texts
    /// embedded per second (from FILE, one per line, else built-in ones).
    Check {
        /// Texts to embed, one per line.
        #[arg(long, value_name = "FILE")]
        texts: Option<PathBuf>,
        /// Texts run through the model at once.
        #[arg(long, value_name = "N", default_value_t = 32)]
        batch: usize,
        /// Also time exact vector search over this many stored vectors.
        #[arg(long, value_name = "N", default_value_t = 100_000)]
        store: usize,
        /// Also time the transformer's matrix products alone for the same
        /// texts and batches: the most texts per second candle's GEMM allows.
        #[arg(long)]
        floor: bool,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Make a static model from the transformer (--model): one vector per
    /// word piece, a text's vector the mean of its pieces' (the Model2Vec
    /// method). Use it with --model OUT: far cheaper, less exact.
    Distill {
        /// The folder to write the static model to (new or empty).
        #[arg(long, value_name = "OUT")]
        to: PathBuf,
        /// SIF weighting's coefficient: a word piece of estimated
        /// frequency p counts a / (a + p).
        #[arg(long, value_name = "A", default_value_t = 1e-4)]
        sif_coefficient: f64,
        /// Keep the mean token vector instead of subtracting it.
        #[arg(long)]
        no_center: bool,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
}

/// `folio optimize`.
#[derive(Debug, Clone, ClapArgs)]
pub struct OptimizeArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub location: IndexLocation,
    /// Print one JSON object: segments before and after, seconds.
    #[arg(long)]
    pub json: bool,
}

/// `folio bench`.
#[derive(Debug, Clone, ClapArgs)]
pub struct BenchArgs {
    /// How many synthetic notes to generate.
    #[arg(long, value_name = "N", default_value_t = 10_000)]
    pub notes: usize,
    /// Seed of the generator: same seed, same corpus.
    #[arg(long, value_name = "S", default_value_t = 42)]
    pub seed: u64,
    /// Indexing threads.
    #[arg(long, value_name = "T")]
    pub threads: Option<usize>,
    /// Benchmark this folder of notes instead of a generated corpus.
    #[arg(long, value_name = "DIR")]
    pub corpus: Option<PathBuf>,
    /// Keep the generated corpus and index in this folder.
    #[arg(long, value_name = "DIR")]
    pub keep: Option<PathBuf>,
    /// Instead: time the build of a generated Kindle `My Clippings.txt` of
    /// about this many MB (beside 300 generated notes), then a refresh after
    /// 20 entries are appended to it.
    #[arg(long, value_name = "MB")]
    pub clippings: Option<f64>,
    /// Queries to time, one per line (like tantivy-cli's bench).
    #[arg(long, value_name = "FILE")]
    pub queries: Option<PathBuf>,
    /// Instead: time the queries alone on this existing index, built
    /// already (no corpus, no build): how fast your own index answers.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["corpus", "keep", "clippings", "relevance"])]
    pub index: Option<PathBuf>,
    /// Measure ranking instead of speed, on a test collection in BEIR
    /// layout (corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv): nDCG, MRR and
    /// recall, as trec_eval computes them.
    #[arg(long, value_name = "DIR")]
    pub relevance: Option<PathBuf>,
    /// With --relevance: the judgments to use, qrels/SPLIT.tsv.
    #[arg(long, value_name = "SPLIT", default_value = "test", requires = "relevance")]
    pub split: String,
    /// With --relevance: write the ranking as a TREC run file
    /// (`qid Q0 docid rank score folio`), for trec_eval.
    #[arg(long, value_name = "FILE", requires = "relevance")]
    pub run: Option<PathBuf>,
    /// With --relevance: hits per query; recall is measured at this depth.
    #[arg(long, value_name = "N", default_value_t = 100, requires = "relevance")]
    pub limit: usize,
    /// With --relevance: the cutoff of nDCG and MRR.
    #[arg(long, value_name = "K", default_value_t = 10, requires = "relevance")]
    pub k: usize,
    /// With --relevance: rank by any word, as `folio search --any` does.
    #[arg(long, requires = "relevance")]
    pub any: bool,
    /// With --relevance: the sentence model's folder; the notes' passages
    /// are embedded and the queries run in --mode (read from this flag
    /// only, not FOLIO_MODEL, so a word-ranking figure stays one).
    #[arg(long = "model", value_name = "DIR", requires = "relevance")]
    pub model: Option<PathBuf>,
    /// With --relevance and --model: how the queries are ranked [default:
    /// hybrid].
    #[arg(long, value_enum, requires = "model")]
    pub mode: Option<RankArg>,
    /// With --relevance --mode hybrid: also try these fusion weights, each
    /// `WORDS,POWER` (the word ranking's weight at full coverage, the
    /// coverage's power); one report each, the vectors embedded once.
    #[arg(long, value_name = "WORDS,POWER", requires = "model")]
    pub fusion: Vec<String>,
    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_flags_parse() {
        let args = Args::try_parse_from([
            "folio",
            "search",
            "stateful",
            "services",
            "--limit",
            "3",
            "--year",
            "2010..2020",
            "--author",
            "Stopford",
            "--json",
            "--no-refresh",
        ])
        .expect("parses");
        let Command::Search(s) = args.command else { panic!("search") };
        assert_eq!(s.query, ["stateful", "services"]);
        assert_eq!((s.limit, s.json, s.no_refresh), (3, true, true));
        assert_eq!(s.year.as_deref(), Some("2010..2020"));
        assert_eq!(s.author.as_deref(), Some("Stopford"));
    }

    #[test]
    fn index_flags_parse() {
        let args = Args::try_parse_from([
            "folio",
            "index",
            "a",
            "b",
            "--index",
            "ix",
            "--rebuild",
            "--threads",
            "2",
            "--memory",
            "64",
            "--json",
        ])
        .expect("parses");
        let Command::Index(i) = args.command else { panic!("index") };
        assert_eq!(i.dirs, [PathBuf::from("a"), PathBuf::from("b")]);
        assert_eq!(i.location.index, Some(PathBuf::from("ix")));
        assert!(i.rebuild && i.json);
        assert_eq!((i.threads, i.memory), (Some(2), 64));
    }

    #[test]
    fn bench_relevance_flags_parse() {
        let args = Args::try_parse_from([
            "folio",
            "bench",
            "--relevance",
            "beir",
            "--split",
            "train",
            "--run",
            "run.txt",
            "--k",
            "5",
            "--json",
        ])
        .expect("parses");
        let Command::Bench(b) = args.command else { panic!("bench") };
        assert_eq!(b.relevance, Some(PathBuf::from("beir")));
        assert_eq!((b.split.as_str(), b.k, b.limit, b.json), ("train", 5, 100, true));
        assert_eq!(b.run, Some(PathBuf::from("run.txt")));
        assert!(Args::try_parse_from(["folio", "bench", "--split", "train"]).is_err());
    }

    #[test]
    fn search_needs_a_query() {
        assert!(Args::try_parse_from(["folio", "quotes"]).is_err());
    }
}

/// `folio completions`.
#[derive(Debug, Clone, ClapArgs)]
pub struct CompletionsArgs {
    /// The shell: bash (`folio completions bash >
    /// ~/.local/share/bash-completion/completions/folio`), zsh (into a
    /// folder of `$fpath` as `_folio`), fish (`~/.config/fish/completions/folio.fish`),
    /// elvish or powershell.
    #[arg(value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// `folio man`.
#[derive(Debug, Clone, ClapArgs)]
pub struct ManArgs {
    /// A subcommand (`search`, `quotes`, …) whose page to print,
    /// folio-COMMAND(1), instead of folio(1). Read one with
    /// `folio man | man -l -`.
    #[arg(value_name = "COMMAND", value_parser = subcommand_name)]
    pub command: Option<String>,
}

/// The command line as the documents describe it: no `help` subcommand
/// (`--help` and these pages are the help).
fn documented() -> clap::Command {
    let mut cmd = Args::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// A subcommand's name, or what the subcommands are.
fn subcommand_name(name: &str) -> Result<String, String> {
    let cmd = documented();
    if cmd.find_subcommand(name).is_some() {
        return Ok(name.to_string());
    }
    let names: Vec<&str> = cmd.get_subcommands().map(clap::Command::get_name).collect();
    Err(format!("no subcommand `{name}`; one of: {}", names.join(", ")))
}

/// The completion script of `shell` for `folio`.
pub fn completion_script(shell: clap_complete::Shell) -> Vec<u8> {
    let mut cmd = Args::command();
    let mut script = Vec::new();
    // The generators panic on a failed write: a Vec never fails, and the
    // caller's own write returns its error (a closed pipe).
    clap_complete::generate(shell, &mut cmd, "folio", &mut script);
    script
}

/// The man page (roff) of `folio`, or of one subcommand
/// (`folio-search(1)`); `None` when `command` names no subcommand.
pub fn man_page(command: Option<&str>) -> Option<Vec<u8>> {
    let cmd = documented();
    let page = match command {
        None => cmd,
        Some(name) => cmd.find_subcommand(name)?.clone(),
    };
    let mut roff = Vec::new();
    // Rendering into a Vec cannot fail.
    clap_mangen::Man::new(page).render(&mut roff).ok()?;
    Some(roff)
}
