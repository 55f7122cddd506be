//! The tools: their arguments (and the JSON schemas derived from them),
//! what each one returns, and the translation of arguments into the same
//! [`Request`] and filters `folio quotes` and `folio serve` build. No
//! ranking is decided here: searches go through
//! [`crate::search::Engine::search_ranked`], `similar_quotes` through
//! [`crate::search::Engine::like`], as `folio quotes --like` does.
//!
//! Answers are bounded: at most [`MAX_LIMIT`] hits, and at most
//! [`MAX_BYTES`] of JSON; hits left out for the byte cap are dropped from
//! the end and `truncated` says so.

use std::sync::Arc;

use rmcp::model::{CallToolResult, ContentBlock, JsonObject, Tool, ToolAnnotations};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Snapshot;
use crate::config::FilterText;
use crate::embed::Model;
use crate::index::stats::Stats;
use crate::search::note::NoteView;
use crate::search::policy::RankError;
use crate::search::semantic::RankMode;
use crate::search::{Request, Results, Target};

/// Most hits a search answers with; a larger `limit` is cut to this.
pub const MAX_LIMIT: usize = 50;
/// Hits when `limit` is not given: as many as `folio quotes` shows.
pub const DEFAULT_LIMIT: usize = crate::config::DEFAULT_HITS;
/// Most bytes of JSON in one answer's structured content.
pub const MAX_BYTES: usize = 64 * 1024;
/// Longest query, in characters (as `folio serve`).
pub const MAX_QUERY_CHARS: usize = 1_000;

/// How to rank: by words, by meaning, or both.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Words only (BM25F): every word first, then any word.
    Words,
    /// Meaning only (sentence vectors): needs the sentence model.
    Meaning,
    /// Words and meaning, weighed per query: needs the sentence model.
    Hybrid,
}

/// A year, page or location, or a range of them: `2018`, `"2010..2020"`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Span {
    /// One number.
    Number(u64),
    /// A number or a range as text: `"52"`, `"50..60"`.
    Text(String),
}

impl Span {
    fn text(span: &Option<Span>) -> Option<String> {
        span.as_ref().map(|s| match s {
            Span::Number(n) => n.to_string(),
            Span::Text(t) => t.clone(),
        })
    }
}

/// Arguments of `search_quotes`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteSearch {
    /// What to look for: words, "a phrase", -excluded, OR, field:value
    /// (title, author, quote, tag, year, page).
    pub query: String,
    /// How to rank (default: hybrid when the server has a sentence model
    /// and the index has vectors, else words).
    pub mode: Option<Mode>,
    /// Only quotes from books by this author (words of the name).
    pub author: Option<String>,
    /// Only this year or range of years: 2018, "2010..2020".
    pub year: Option<Span>,
    /// Only notes with this tag.
    pub tag: Option<String>,
    /// Only quotes on these pages: 52, "50..60".
    pub page: Option<Span>,
    /// Only highlights at these Kindle locations: 1631, "1600..1700".
    pub location: Option<Span>,
    /// Only highlights made on or after this day: "2024-03-09".
    pub since: Option<String>,
    /// How many hits (default 10, at most 50).
    pub limit: Option<u64>,
}

/// Arguments of `search_notes`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteSearch {
    /// What to look for: words, "a phrase", -excluded, OR, field:value
    /// (title, author, body, quote, tag, year).
    pub query: String,
    /// How to rank (default: hybrid when the server has a sentence model
    /// and the index has vectors, else words).
    pub mode: Option<Mode>,
    /// Only notes on books by this author (words of the name).
    pub author: Option<String>,
    /// Only this year or range of years: 2018, "2010..2020".
    pub year: Option<Span>,
    /// Only notes with this tag.
    pub tag: Option<String>,
    /// How many hits (default 10, at most 50).
    pub limit: Option<u64>,
}

/// Arguments of `get_note`: one of `id` or `path`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteGet {
    /// A note's id (a hit's `id`, or a quote hit's `note_id`).
    pub id: Option<String>,
    /// A note file, as a hit's `path` shows it: every note of that file
    /// (a highlight export holds one per book).
    pub path: Option<String>,
}

/// Arguments of `similar_quotes`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Similar {
    /// A quote's id, as a quote hit's `id` shows it (`<note id>:<line>`).
    pub id: String,
    /// Only quotes from books by this author (words of the name).
    pub author: Option<String>,
    /// Only this year or range of years: 2018, "2010..2020".
    pub year: Option<Span>,
    /// How many hits (default 10, at most 50).
    pub limit: Option<u64>,
}

/// Arguments of `index_stats`: none.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArguments {}

/// What a search answers: the `folio quotes --json` object (the same hits
/// in the same order) and whether hits were left out for the byte cap.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Found {
    /// The results, as `folio quotes --json` and `folio search --json`
    /// print them.
    #[serde(flatten)]
    pub results: Results,
    /// Hits were left out at the end to keep the answer under 64 KB.
    pub truncated: bool,
}

/// What `get_note` answers.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Notes {
    /// The notes (one for an id; every note of the file for a path), each
    /// with its body and its quotes (text, line, reference).
    pub notes: Vec<NoteView>,
    /// A body was cut (and the quotes past the cut left out) to keep the
    /// answer under 64 KB; the resource `folio://note/<id>` holds it whole.
    pub truncated: bool,
}

const CITE: &str = "Cite a quote with its book (note.titles), author (note.authors) and \
    reference.display (a page like \"p. 52\", or a Kindle location when reference.kind is \
    \"location\"); path:line says where the reader keeps it.";

/// The tools, with their schemas and descriptions.
pub fn list() -> Vec<Tool> {
    let read_only = ToolAnnotations::new().read_only(true).destructive(false).idempotent(true);
    let tool = |name: &'static str, description: String| {
        Tool::new(name, description, Arc::new(JsonObject::new())).annotate(read_only.clone())
    };
    vec![
        tool(
            "search_quotes",
            format!(
                "Search the reader's highlighted and quoted passages. Returns ranked quotes, \
                 each with its text, its book (note.titles, note.authors, note.year), its \
                 reference (page or Kindle location, typed in reference.kind), the reader's \
                 own note on it (note_text), the day it was highlighted (added), path and \
                 line, and how it was found (found_by: words, meaning or both). {CITE}"
            ),
        )
        .with_input_schema::<QuoteSearch>()
        .with_output_schema::<Found>(),
        tool(
            "search_notes",
            "Search the reader's notes on books. Returns ranked notes, each with its book \
             (titles, authors, year), the best snippet, the snippet's reference (page or \
             location), how many of its quotes match, its id (for get_note) and path. Cite \
             a note by its title, author and the snippet's reference.display."
                .to_string(),
        )
        .with_input_schema::<NoteSearch>()
        .with_output_schema::<Found>(),
        tool(
            "get_note",
            format!(
                "One note read back from the index, by id (from a hit) or by path (every \
                 note of that file): its book (titles, authors, year), its whole body, and \
                 its quotes, each with its text, line and reference. {CITE}"
            ),
        )
        .with_input_schema::<NoteGet>()
        .with_output_schema::<Notes>(),
        tool(
            "similar_quotes",
            format!(
                "Quotes nearest in meaning to one quote (its id from search_quotes), across \
                 books: the same answer as search_quotes, ranked by meaning. Needs the index's \
                 sentence vectors. {CITE}"
            ),
        )
        .with_input_schema::<Similar>()
        .with_output_schema::<Found>(),
        tool(
            "index_stats",
            "What the index holds: notes, quotes (by export source and by language), \
             authors, segments, size on disk, the note folders, when it was last built."
                .to_string(),
        )
        .with_input_schema::<NoArguments>()
        .with_output_schema::<Stats>(),
    ]
}

/// Why a call did not answer: a message for the person or the model
/// (an `isError` result), or an unknown tool (a protocol error).
pub enum Refusal {
    /// The call is understood and cannot be answered: say why.
    Message(String),
    /// No tool has this name.
    UnknownTool(String),
}

impl From<String> for Refusal {
    fn from(message: String) -> Self {
        Refusal::Message(message)
    }
}

/// Runs the tool `name` on a snapshot of the index. Blocking: call it off
/// the async workers.
pub fn call(
    name: &str,
    arguments: Option<JsonObject>,
    snapshot: &Snapshot,
    model: Option<&Arc<Model>>,
) -> Result<CallToolResult, Refusal> {
    let arguments = serde_json::Value::Object(arguments.unwrap_or_default());
    match name {
        "search_quotes" => {
            let args: QuoteSearch = parse(name, arguments)?;
            let filters = FilterText {
                author: args.author,
                year: Span::text(&args.year),
                tag: args.tag,
                page: Span::text(&args.page),
                location: Span::text(&args.location),
                since: args.since,
            };
            let request = request(&args.query, Target::Quotes, args.mode, &filters, args.limit)?;
            search(snapshot, model, request)
        }
        "search_notes" => {
            let args: NoteSearch = parse(name, arguments)?;
            let filters = FilterText {
                author: args.author,
                year: Span::text(&args.year),
                tag: args.tag,
                ..FilterText::default()
            };
            let request = request(&args.query, Target::Notes, args.mode, &filters, args.limit)?;
            search(snapshot, model, request)
        }
        "get_note" => {
            let args: NoteGet = parse(name, arguments)?;
            get_note(snapshot, args)
        }
        "similar_quotes" => {
            let args: Similar = parse(name, arguments)?;
            similar(snapshot, args)
        }
        "index_stats" => {
            let _: NoArguments = parse(name, arguments)?;
            let stats = crate::index::stats::stats(snapshot.engine.index())
                .map_err(|e| format!("reading the index's figures: {e}"))?;
            let text = crate::output::mcp::stats_text(&stats);
            answer(&stats, text)
        }
        other => Err(Refusal::UnknownTool(other.to_string())),
    }
}

/// The arguments as the tool's type; wrong names or types are a message
/// that names the tool and what was wrong.
fn parse<T: serde::de::DeserializeOwned>(
    tool: &str,
    arguments: serde_json::Value,
) -> Result<T, Refusal> {
    serde_json::from_value(arguments).map_err(|e| {
        Refusal::Message(format!(
            "{tool}: the arguments do not fit its input schema: {e} (tools/list shows it)"
        ))
    })
}

/// The request `folio quotes` or `folio search` would build for the same
/// query, filters and ranking.
fn request(
    query: &str,
    target: Target,
    mode: Option<Mode>,
    filters: &FilterText,
    limit: Option<u64>,
) -> Result<Request, Refusal> {
    if query.trim().is_empty() {
        return Err(Refusal::Message("query is empty: give words to look for".to_string()));
    }
    let chars = query.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(Refusal::Message(format!(
            "query is {chars} characters; at most {MAX_QUERY_CHARS}"
        )));
    }
    let mut request = Request::new(query, target);
    request.filters = crate::config::filters(filters, "")?;
    request.limit = bounded(limit);
    request.rank = mode.map(|mode| match mode {
        Mode::Words => RankMode::Lexical,
        Mode::Meaning => RankMode::Semantic,
        Mode::Hybrid => RankMode::Hybrid,
    });
    Ok(request)
}

fn bounded(limit: Option<u64>) -> usize {
    limit.map_or(DEFAULT_LIMIT, |n| usize::try_from(n).unwrap_or(MAX_LIMIT).clamp(1, MAX_LIMIT))
}

fn search(
    snapshot: &Snapshot,
    model: Option<&Arc<Model>>,
    request: Request,
) -> Result<CallToolResult, Refusal> {
    let vectors = snapshot.vectors.clone();
    let results = snapshot
        .engine
        .search_ranked(&request, model.map(|m| &**m), || Ok(vectors))
        .map_err(refusal)?;
    found(results)
}

/// A ranking `search::policy` refused, worded for a tool call.
fn refusal(err: RankError) -> Refusal {
    Refusal::Message(match err {
        RankError::NoModel { mode } => format!(
            "mode {} needs the sentence model: start folio mcp with --model DIR or \
             FOLIO_MODEL set (`folio model fetch` gets one), or ask for mode \"words\"",
            public_mode(mode)
        ),
        RankError::NoVectors { mode } => format!(
            "mode {} needs the index's vectors, and it has none yet: `folio index --model \
             DIR` embeds the quotes; or ask for mode \"words\"",
            public_mode(mode)
        ),
        RankError::ModelFailed { message, .. } => {
            format!("the sentence model could not be loaded: {message}; ask for mode \"words\"")
        }
        RankError::Embed(e) => format!("embedding the query failed: {e}"),
        RankError::Search(e) => format!("the search failed: {e}"),
    })
}

fn public_mode(mode: RankMode) -> &'static str {
    match mode {
        RankMode::Lexical => "\"words\"",
        RankMode::Semantic => "\"meaning\"",
        RankMode::Hybrid => "\"hybrid\"",
    }
}

/// Results as an answer: hits dropped from the end while the JSON is over
/// [`MAX_BYTES`].
fn found(mut results: Results) -> Result<CallToolResult, Refusal> {
    let mut truncated = false;
    let mut size = json_len(&results)?;
    if size > MAX_BYTES {
        let mut sizes = Vec::with_capacity(results.hits.len());
        for hit in &results.hits {
            sizes.push(json_len(hit)? + 1);
        }
        while size > MAX_BYTES && !results.hits.is_empty() {
            results.hits.pop();
            size -= sizes.pop().unwrap_or(0);
            truncated = true;
        }
    }
    let text = crate::output::mcp::results_text(&results, truncated);
    answer(&Found { results, truncated }, text)
}

fn get_note(snapshot: &Snapshot, args: NoteGet) -> Result<CallToolResult, Refusal> {
    let engine = &snapshot.engine;
    let notes = match (args.id, args.path) {
        (Some(id), None) => match engine.note(&id).map_err(|e| e.to_string())? {
            Some(view) => vec![view],
            None => {
                return Err(Refusal::Message(format!(
                    "no note with id {:?} in the index: ids come from search_quotes \
                     (note_id) or search_notes (id)",
                    id.chars().take(40).collect::<String>()
                )));
            }
        },
        (None, Some(path)) => {
            let views = engine.notes_in(std::path::Path::new(&path)).map_err(|e| e.to_string())?;
            if views.is_empty() {
                return Err(Refusal::Message(format!(
                    "no note of the file {path:?} in the index: give a path as a hit shows it"
                )));
            }
            views
        }
        _ => {
            return Err(Refusal::Message("get_note: give exactly one of id or path".to_string()));
        }
    };
    let (notes, truncated) = fit_notes(notes);
    let text = crate::output::mcp::notes_text(&notes, truncated);
    answer(&Notes { notes, truncated }, text)
}

/// Notes cut to [`MAX_BYTES`] of JSON: bodies shortened from the end, and
/// the quotes past a cut left out.
fn fit_notes(mut notes: Vec<NoteView>) -> (Vec<NoteView>, bool) {
    let mut budget = MAX_BYTES;
    let mut truncated = false;
    for note in &mut notes {
        // JSON escapes and quote texts roughly double a body's bytes.
        let share = budget / 2;
        if note.body.len() > share {
            let mut cut = share;
            while !note.body.is_char_boundary(cut) {
                cut -= 1;
            }
            note.body.truncate(cut);
            let chars = note.body.chars().count();
            note.quotes.retain(|q| q.end <= chars);
            truncated = true;
        }
        budget = budget.saturating_sub(note.body.len() * 2 + 1024);
    }
    (notes, truncated)
}

fn similar(snapshot: &Snapshot, args: Similar) -> Result<CallToolResult, Refusal> {
    let engine = &snapshot.engine;
    let filters =
        FilterText { author: args.author, year: Span::text(&args.year), ..FilterText::default() };
    let mut request = Request::new("", Target::Quotes);
    request.filters = crate::config::filters(&filters, "")?;
    request.limit = bounded(args.limit);
    let store = match snapshot.vectors.clone() {
        Some(store) => Some(store),
        None => engine.vectors().map_err(|e| e.to_string())?,
    };
    let Some(store) = store else {
        return Err(Refusal::Message(
            "similar_quotes needs the index's vectors: run `folio index` with the sentence \
             model (--model DIR or FOLIO_MODEL)"
                .to_string(),
        ));
    };
    let Some((_, key)) = engine.quote(&args.id).map_err(|e| e.to_string())? else {
        return Err(Refusal::Message(format!(
            "no quote with id {:?} in the index: ids come from search_quotes (a hit's id)",
            args.id.chars().take(60).collect::<String>()
        )));
    };
    match engine.like(&request, &store, key).map_err(|e| e.to_string())? {
        Some(results) => found(results),
        None => Err(Refusal::Message(
            "this quote has no vector yet; run `folio index` with the sentence model".to_string(),
        )),
    }
}

fn json_len<T: Serialize + ?Sized>(value: &T) -> Result<usize, Refusal> {
    serde_json::to_vec(value)
        .map(|bytes| bytes.len())
        .map_err(|e| Refusal::Message(format!("writing the answer: {e}")))
}

/// A structured answer and its short text.
fn answer<T: Serialize>(value: &T, text: String) -> Result<CallToolResult, Refusal> {
    // Through text, not `to_value`: a score is an f32, and `to_value`
    // widens it to an f64 that prints as 2.8321568965911865 where `--json`
    // prints 2.832157; read back from its text, it prints the same.
    let value = serde_json::to_vec(value)
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes))
        .map_err(|e| Refusal::Message(format!("writing the answer: {e}")))?;
    let mut result = CallToolResult::structured(value);
    result.content = vec![ContentBlock::text(text)];
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_default_to_ten_and_are_cut_to_the_cap() {
        assert_eq!(bounded(None), DEFAULT_LIMIT);
        assert_eq!(bounded(Some(0)), 1);
        assert_eq!(bounded(Some(3)), 3);
        assert_eq!(bounded(Some(u64::MAX)), MAX_LIMIT);
    }

    #[test]
    fn every_tool_has_an_object_schema_for_input_and_output() {
        let tools = list();
        let names: Vec<&str> = tools.iter().map(|t| &*t.name).collect();
        assert_eq!(
            names,
            ["search_quotes", "search_notes", "get_note", "similar_quotes", "index_stats"]
        );
        for tool in &tools {
            assert_eq!(tool.input_schema.get("type"), Some(&"object".into()), "{}", tool.name);
            let output = tool.output_schema.as_ref().expect("an output schema");
            assert_eq!(output.get("type"), Some(&"object".into()), "{}", tool.name);
        }
    }

    #[test]
    fn wrong_argument_types_are_refused_with_the_tool_named() {
        let bad = serde_json::json!({"query": 12});
        let Err(Refusal::Message(message)) = parse::<QuoteSearch>("search_quotes", bad) else {
            panic!("a number is not a query")
        };
        assert!(message.starts_with("search_quotes: the arguments"), "{message}");
        let unknown = serde_json::json!({"query": "x", "colour": "red"});
        assert!(parse::<QuoteSearch>("search_quotes", unknown).is_err());
        let year: QuoteSearch =
            parse("search_quotes", serde_json::json!({"query": "x", "year": 2018}))
                .unwrap_or_else(|_| panic!("a year as a number"));
        assert_eq!(Span::text(&year.year).as_deref(), Some("2018"));
    }
}
