//! The HTTP API: parameters checked and bounded, searches run off the
//! async workers, JSON out through [`crate::output::json`] (the `--json`
//! contract), errors as `{"error": message}` with their status.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::config::FilterText;
use crate::search::policy::RankError;
use crate::search::semantic::RankMode;
use crate::search::{Request, Target};

/// Longest query, in characters.
pub const MAX_QUERY_CHARS: usize = 1_000;
/// Most hits per page.
pub const MAX_LIMIT: usize = 100;
/// Deepest page start: ranking 10,000 hits to show the last few is work
/// no reader asks for.
pub const MAX_OFFSET: usize = 10_000;
/// Hits per page when `limit` is not given.
pub const DEFAULT_LIMIT: usize = 20;
/// Request bodies: the API reads none.
pub const MAX_BODY: usize = 4 * 1024;
/// Longest query string, bytes, all parameters together.
const MAX_QUERY_STRING: usize = 8 * 1024;

/// An error answer: a status and a message for the person or script.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    /// Worth asking again in a second (the first build is running).
    retry: bool,
}

impl ApiError {
    /// An error with this status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError { status, message: message.into(), retry: false }
    }

    fn bad(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    fn building() -> Self {
        ApiError {
            retry: true,
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the index is being built for the first time; try again in a moment",
            )
        }
    }

    fn internal(error: impl std::fmt::Display) -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, error.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = Vec::new();
        // Writing to a Vec cannot fail.
        let _ = crate::output::json::error(&mut body, &self.message);
        let mut response = json_response(body);
        *response.status_mut() = self.status;
        if self.retry {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        response
    }
}

fn json_response(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")], body)
        .into_response()
}

/// The query string's parameters, percent-decoded; an unknown name, a
/// repeated one or bytes that are not UTF-8 are a 400.
fn params(raw: Option<&str>, known: &[&str]) -> Result<Vec<(String, String)>, ApiError> {
    let raw = raw.unwrap_or("");
    if raw.len() > MAX_QUERY_STRING {
        return Err(ApiError::bad(format!(
            "the query string is {} bytes; at most {MAX_QUERY_STRING}",
            raw.len()
        )));
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for pair in raw.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decode = |text: &str| {
            percent_encoding::percent_decode_str(&text.replace('+', " "))
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| ApiError::bad(format!("parameter {name:?} is not UTF-8 text")))
        };
        let name = decode(name)?;
        let value = decode(value)?;
        if !known.contains(&name.as_str()) {
            return Err(ApiError::bad(format!(
                "unknown parameter {name:?}; this endpoint takes {}",
                known.join(", ")
            )));
        }
        if out.iter().any(|(n, _)| *n == name) {
            return Err(ApiError::bad(format!("parameter {name:?} is given twice")));
        }
        out.push((name, value));
    }
    Ok(out)
}

fn get<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).filter(|v| !v.trim().is_empty())
}

fn number(
    params: &[(String, String)],
    name: &str,
    default: usize,
    max: usize,
) -> Result<usize, ApiError> {
    match get(params, name) {
        None => Ok(default),
        Some(text) => match text.trim().parse::<usize>() {
            Ok(n) if n <= max => Ok(n),
            _ => Err(ApiError::bad(format!(
                "{name}={text}: expected a whole number from 0 to {max}"
            ))),
        },
    }
}

const NOTE_PARAMS: &[&str] = &["q", "limit", "offset", "author", "year", "tag", "fuzzy", "mode"];
const QUOTE_PARAMS: &[&str] = &[
    "q", "limit", "offset", "author", "year", "tag", "fuzzy", "page", "location", "since", "mode",
];

/// What a search parameter set asks for: the request (with the ranking
/// asked for) and the page start.
fn request(raw: Option<&str>, target: Target) -> Result<(Request, usize), ApiError> {
    let known = match target {
        Target::Notes => NOTE_PARAMS,
        Target::Quotes => QUOTE_PARAMS,
    };
    let params = params(raw, known)?;
    let Some(q) = get(&params, "q") else {
        return Err(ApiError::bad("q is missing: /api/search?q=words"));
    };
    let chars = q.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Err(ApiError::bad(format!("q is {chars} characters; at most {MAX_QUERY_CHARS}")));
    }
    let limit = number(&params, "limit", DEFAULT_LIMIT, MAX_LIMIT)?.max(1);
    let offset = number(&params, "offset", 0, MAX_OFFSET)?;
    let fuzzy = match get(&params, "fuzzy") {
        None | Some("0" | "false" | "no") => false,
        Some("1" | "true" | "yes") => true,
        Some(other) => return Err(ApiError::bad(format!("fuzzy={other}: expected true or false"))),
    };
    let mode = match get(&params, "mode") {
        None => None,
        Some("lexical") => Some(RankMode::Lexical),
        Some("semantic") => Some(RankMode::Semantic),
        Some("hybrid") => Some(RankMode::Hybrid),
        Some(other) => {
            return Err(ApiError::bad(format!(
                "mode={other}: expected lexical, semantic or hybrid"
            )));
        }
    };
    let text = |name| get(&params, name).map(str::to_string);
    let filters = crate::config::filters(
        &FilterText {
            author: text("author"),
            year: text("year"),
            tag: text("tag"),
            page: text("page"),
            location: text("location"),
            since: text("since"),
        },
        "",
    )
    .map_err(ApiError::bad)?;
    let mut request = Request::new(q, target);
    request.limit = offset + limit;
    request.filters = filters;
    request.fuzzy = fuzzy;
    request.rank = mode;
    Ok((request, offset))
}

async fn search(
    state: Arc<AppState>,
    raw: Option<String>,
    target: Target,
) -> Result<Response, ApiError> {
    let (request, offset) = request(raw.as_deref(), target)?;
    let live = state.live().ok_or_else(ApiError::building)?;
    let model = state.model.clone();
    // Tantivy searches (and embedding the query) block: off the async
    // workers, so a slow search holds no other request up.
    let body = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, ApiError> {
        let vectors = live.vectors.clone();
        let results = live
            .engine
            .search_ranked(&request, model.as_deref(), || Ok(vectors))
            .map_err(refusal)?;
        let mut body = Vec::with_capacity(4096);
        crate::output::json::results(&mut body, &results, offset).map_err(ApiError::internal)?;
        Ok(body)
    })
    .await
    .map_err(ApiError::internal)??;
    Ok(json_response(body))
}

/// A ranking `search::policy` refused, worded for the API: a mode asked
/// for that cannot be served is a 503 that says what is missing.
fn refusal(err: RankError) -> ApiError {
    let unavailable = |message: String| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, message);
    match err {
        RankError::NoModel { mode } => unavailable(format!(
            "mode={} needs the sentence model: start folio serve with --model DIR or \
             FOLIO_MODEL (`folio model fetch` gets one), or ask for mode=lexical",
            mode.name()
        )),
        RankError::NoVectors { mode } => unavailable(format!(
            "mode={} needs the index's vectors, and it has none yet: \
             `folio index --model DIR` embeds the quotes and passages; or ask for mode=lexical",
            mode.name()
        )),
        RankError::ModelFailed { message, .. } => {
            unavailable(format!("the sentence model could not be loaded: {message}"))
        }
        RankError::Embed(e) => ApiError::internal(e),
        RankError::Search(e) => ApiError::internal(e),
    }
}

/// `GET /api/search`: ranked notes.
pub async fn search_notes(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    search(state, raw, Target::Notes).await
}

/// `GET /api/quotes`: ranked quotes.
pub async fn search_quotes(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    search(state, raw, Target::Quotes).await
}

/// `GET /api/notes/{id}`: one note with its quotes and where they sit.
pub async fn note(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    params(raw.as_deref(), &[])?;
    let engine = state.engine().ok_or_else(ApiError::building)?;
    let shown: String = id.chars().take(40).collect();
    let view = tokio::task::spawn_blocking(move || engine.note(&id))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    match view {
        Some(view) => Ok(json(&view)),
        None => Err(ApiError::new(StatusCode::NOT_FOUND, format!("no note with id {shown:?}"))),
    }
}

/// `GET /api/stats`: what the index holds, as `folio stats --json`.
pub async fn stats(
    State(state): State<Arc<AppState>>,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    params(raw.as_deref(), &[])?;
    let engine = state.engine().ok_or_else(ApiError::building)?;
    let stats = tokio::task::spawn_blocking(move || crate::index::stats::stats(engine.index()))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    Ok(json(&stats))
}

/// `GET /healthz`: 200 when searches are answered, 503 while the first
/// build runs.
pub async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    let ready = state.engine().is_some();
    let body = serde_json::json!({
        "status": if ready { "ok" } else { "building" },
        "refreshes": state.refreshes.load(Ordering::Relaxed),
    });
    let mut response = json(&body);
    if !ready {
        *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    }
    response
}

/// Anything else: a JSON 404.
pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no such page; the API is under /api/ (see the README)")
}

fn json<T: serde::Serialize>(value: &T) -> Response {
    let mut body = Vec::new();
    match crate::output::json::value(&mut body, value) {
        Ok(()) => json_response(body),
        Err(e) => ApiError::internal(e).into_response(),
    }
}
