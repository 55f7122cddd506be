//! `folio serve`: one process that holds the index open, answers the HTTP
//! API and the search page, and keeps the index fresh by watching the note
//! folders.
//!
//! ```text
//! request ─host check─▶ router ─api─▶ spawn_blocking(Engine::search) ─output::json─▶ response
//! note folders ─notify (debounced)─▶ refresher thread ─index::update─▶ new Engine swapped in
//! ```
//!
//! Searches read the [`Engine`] of the last commit through an
//! `RwLock<Option<Arc<Engine>>>` held only long enough to clone the `Arc`;
//! the refresher swaps a new one in after each commit, so a refresh never
//! blocks a search. Safe by default: loopback only unless `--listen` says
//! otherwise, a `Host` check against DNS rebinding, no CORS, read-only,
//! bounded parameters and bodies, a timeout per request, and bounds on
//! connections and on how long their headers may take (`listen.rs`).

mod api;
mod listen;
mod watch;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::task::Poll;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::config::Settings;
use crate::embed::Model;
use crate::embed::store::VectorStore;
use crate::search::Engine;

/// How `folio serve` runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Index folder, note folders, threads.
    pub settings: Settings,
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Host names (beyond loopback names and IP addresses) the `Host`
    /// header may carry.
    pub allow_hosts: Vec<String>,
    /// Open the page in the system's browser once listening.
    pub open: bool,
    /// Debounce of file events before a refresh.
    pub debounce: Duration,
    /// Time a request may take before a 408.
    pub timeout: Duration,
    /// Time a client has to send its request headers before the
    /// connection is closed (slow clients).
    pub header_timeout: Duration,
}

/// The last commit, as searches see it.
pub struct Live {
    /// Its searcher.
    engine: Arc<Engine>,
    /// Its quotes' vectors, when there is a sentence model to embed
    /// queries with and the commit has vectors: read once per commit, not
    /// once per request.
    vectors: Option<Arc<VectorStore>>,
}

/// What every request handler sees.
pub struct AppState {
    /// The last commit; `None` while the first build runs.
    live: RwLock<Option<Arc<Live>>>,
    /// The sentence model, for `mode=semantic` and `hybrid`.
    model: Option<Arc<Model>>,
    /// The index folder.
    index: PathBuf,
    /// Extra names `Host` may carry (lower case).
    allow_hosts: Vec<String>,
    /// Commits the refresher has made or seen since start.
    refreshes: std::sync::atomic::AtomicU64,
}

impl AppState {
    /// The last commit, unless the first build is still running.
    fn live(&self) -> Option<Arc<Live>> {
        match self.live.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The engine, unless the first build is still running.
    fn engine(&self) -> Option<Arc<Engine>> {
        self.live().map(|live| live.engine.clone())
    }

    /// Swaps in the engine of a new commit (and its vectors).
    fn set_engine(&self, engine: Engine) {
        let vectors = self.model.as_ref().and_then(|_| match engine.vectors() {
            Ok(store) => store,
            Err(e) => {
                crate::output::say(format_args!(
                    "{e}; searches rank by words until the next refresh"
                ));
                None
            }
        });
        let live = Some(Arc::new(Live { engine: Arc::new(engine), vectors }));
        match self.live.write() {
            Ok(mut guard) => *guard = live,
            Err(poisoned) => *poisoned.into_inner() = live,
        }
    }
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(options: Options) -> anyhow::Result<()> {
    if !options.listen.ip().is_loopback() {
        crate::output::say(format_args!(
            "warning: listening on {}, not on loopback: anyone who can reach this \
             machine can read your notes (there is no login); --listen 127.0.0.1:7878 keeps \
             them to this machine",
            options.listen
        ));
    }
    let state = Arc::new(AppState {
        live: RwLock::new(None),
        model: options.settings.model.clone(),
        index: options.settings.index.clone(),
        allow_hosts: options.allow_hosts.iter().map(|h| h.to_ascii_lowercase()).collect(),
        refreshes: std::sync::atomic::AtomicU64::new(0),
    });
    // The refresher opens (or builds) the index and keeps it fresh; until
    // its first engine is in, the API answers 503.
    let _watcher = watch::start(options.settings.clone(), state.clone(), options.debounce)?;

    let runtime = crate::config::server_runtime()?;
    runtime.block_on(serve(options, state))
}

async fn serve(options: Options, state: Arc<AppState>) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", options.listen))?;
    let local = listener.local_addr()?;
    let url = format!("http://{local}/");
    crate::output::say(format_args!("serving {} on {url} (Ctrl-C stops)", state.index.display()));
    if options.open {
        open_browser(&url);
    }
    let app = router(state, options.timeout);
    listen::serve(listener, app, options.header_timeout, shutdown_signal()).await;
    crate::output::say(format_args!("stopped"));
    Ok(())
}

/// The routes and layers: the page and the API, and the MCP server at
/// `/mcp` (Streamable HTTP), which has its own body bound and answers
/// without a compression or timeout layer (its event streams stay open);
/// every route is behind the `Host` check, `/mcp` also behind the `Origin`
/// check.
fn router(state: Arc<AppState>, timeout: Duration) -> Router {
    let api = Router::new()
        .route("/", get(page_html))
        .route("/app.js", get(page_js))
        .route("/app.css", get(page_css))
        .route("/healthz", get(api::healthz))
        .route("/api/search", get(api::search_notes))
        .route("/api/quotes", get(api::search_quotes))
        .route("/api/notes/{id}", get(api::note))
        .route("/api/stats", get(api::stats))
        .fallback(api::not_found)
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(api::MAX_BODY));
    let mcp = Router::new()
        .route_service("/mcp", mcp_service(&state))
        .layer(middleware::from_fn_with_state(state.clone(), check_origin));
    api.merge(mcp)
        .layer(middleware::from_fn_with_state(state.clone(), check_host))
        .with_state(state)
}

/// Largest MCP request body, bytes (a tool call with a long query fits).
const MCP_MAX_BODY: usize = 64 * 1024;

/// The MCP server of `folio mcp`, over the live index: each call reads the
/// last commit, as the API does.
fn mcp_service(
    state: &Arc<AppState>,
) -> rmcp::transport::StreamableHttpService<
    crate::mcp::Server,
    rmcp::transport::streamable_http_server::session::local::LocalSessionManager,
> {
    let live = state.clone();
    let source: crate::mcp::Source = Arc::new(move || {
        live.live()
            .map(|live| crate::mcp::Snapshot {
                engine: live.engine.clone(),
                vectors: live.vectors.clone(),
            })
            .ok_or_else(|| {
                "the index is being built for the first time; try again in a moment".to_string()
            })
    });
    let server = crate::mcp::Server::new(source, state.model.clone());
    // The Host check is folio's own (check_host), for every route alike.
    let config = rmcp::transport::StreamableHttpServerConfig::default()
        .disable_allowed_hosts()
        .with_max_request_body_bytes(MCP_MAX_BODY);
    rmcp::transport::StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(Default::default()),
        config,
    )
}

/// Refuses an MCP request sent by a page of another site (the MCP
/// specification asks local servers to check `Origin`: a page the reader
/// visits could otherwise call the server from the browser). No `Origin`
/// (an assistant, a script), the server's own, a loopback one or an
/// `--allow-host` name passes.
async fn check_origin(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(origin) = request.headers().get(header::ORIGIN) else {
        return next.run(request).await;
    };
    let origin = origin.to_str().unwrap_or("");
    let host = request.headers().get(header::HOST).and_then(|h| h.to_str().ok());
    if origin_allowed(origin, host, &state.allow_hosts) {
        return next.run(request).await;
    }
    api::ApiError::new(
        StatusCode::FORBIDDEN,
        format!(
            "Origin {:?} is not allowed to call /mcp (a page of another site); \
             MCP clients send no Origin, or a localhost one",
            origin.chars().take(100).collect::<String>()
        ),
    )
    .into_response()
}

/// Whether an `Origin` header value may call `/mcp`: the server's own
/// origin (`host` is the request's `Host`), or one on localhost, a
/// loopback address or an allowed host name.
fn origin_allowed(origin: &str, host: Option<&str>, allowed: &[String]) -> bool {
    let origin = origin.trim().to_ascii_lowercase();
    let Some((scheme, authority)) = origin.split_once("://") else { return false };
    if !matches!(scheme, "http" | "https") || authority.is_empty() || authority.contains('/') {
        return false;
    }
    if host.is_some_and(|h| h.trim().eq_ignore_ascii_case(authority)) {
        return true;
    }
    let Some(name) = host_name(authority) else { return false };
    name == "localhost"
        || name.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
        || allowed.contains(&name)
}

/// Refuses a request whose `Host` is a name this server was not told to
/// answer to: a page on another site that rebinds its name to 127.0.0.1
/// sends its own name, and is refused. IP addresses and `localhost` pass.
async fn check_host(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let host = request.headers().get(header::HOST).and_then(|h| h.to_str().ok());
    match host {
        Some(host) if host_allowed(host, &state.allow_hosts) => next.run(request).await,
        Some(host) => api::ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "Host {host:?} is not allowed (DNS rebinding defence); \
                 use an IP address or localhost, or start folio serve with --allow-host NAME"
            ),
        )
        .into_response(),
        None => api::ApiError::new(StatusCode::BAD_REQUEST, "the Host header is missing")
            .into_response(),
    }
}

/// Whether a `Host` header value names this server.
fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let host = host.trim().to_ascii_lowercase();
    let Some(name) = host_name(&host) else { return false };
    name == "localhost"
        || name.parse::<std::net::IpAddr>().is_ok()
        || allowed.iter().any(|a| *a == name || *a == host)
}

/// The name in a `Host` value or an origin's authority, its port
/// stripped: `[::1]:7878`, `127.0.0.1:7878`, `localhost:7878`; `None` when
/// it is not one.
fn host_name(host: &str) -> Option<String> {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split_once(']').map(|(ip, _)| ip.to_string());
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => Some(name.to_string()),
        Some(_) => None,
        None => Some(host.to_string()),
    }
}

/// Resolves on Ctrl-C or SIGTERM; in-flight requests then finish.
fn shutdown_signal() -> impl Future<Output = ()> {
    let terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    async move {
        let mut ctrl_c = std::pin::pin!(tokio::signal::ctrl_c());
        let mut terminate = terminate;
        std::future::poll_fn(|cx| {
            if ctrl_c.as_mut().poll(cx).is_ready() {
                return Poll::Ready(());
            }
            if let Some(t) = terminate.as_mut()
                && t.poll_recv(cx).is_ready()
            {
                return Poll::Ready(());
            }
            Poll::Pending
        })
        .await;
        crate::output::say(format_args!("shutting down"));
    }
}

fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") { "open" } else { "xdg-open" };
    if let Err(e) = std::process::Command::new(opener)
        .arg(url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        crate::output::say(format_args!(
            "could not open a browser ({opener}: {e}); open {url} yourself"
        ));
    }
}

const PAGE_HTML: &str = include_str!("page/index.html");
const PAGE_JS: &str = include_str!("page/app.js");
const PAGE_CSS: &str = include_str!("page/app.css");

/// Headers of every page asset: no framing by other sites, no sniffing,
/// and nothing loaded from elsewhere.
fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::X_FRAME_OPTIONS, "DENY"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn page_html() -> Response {
    asset("text/html; charset=utf-8", PAGE_HTML)
}

async fn page_js() -> Response {
    asset("text/javascript; charset=utf-8", PAGE_JS)
}

async fn page_css() -> Response {
    asset("text/css; charset=utf-8", PAGE_CSS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_by_ip_and_localhost_pass_and_other_names_do_not() {
        let extra = vec!["books.lan".to_string()];
        for ok in ["127.0.0.1:7878", "localhost:7878", "[::1]:7878", "192.168.1.4", "books.lan:80"]
        {
            assert!(host_allowed(ok, &extra), "{ok}");
        }
        for bad in ["evil.example:7878", "localhost.evil.example", "[::1", "a:b:c", ""] {
            assert!(!host_allowed(bad, &extra), "{bad}");
        }
    }

    #[test]
    fn origins_on_loopback_or_the_server_itself_pass_and_other_sites_do_not() {
        let extra = vec!["books.lan".to_string()];
        let host = Some("127.0.0.1:7878");
        for ok in [
            "http://localhost:3000",
            "http://127.0.0.1:7878",
            "https://[::1]:8443",
            "http://books.lan:7878",
            "HTTP://LOCALHOST",
        ] {
            assert!(origin_allowed(ok, host, &extra), "{ok}");
        }
        assert!(origin_allowed("http://my-laptop:7878", Some("my-laptop:7878"), &[]));
        for bad in [
            "https://evil.example",
            "http://192.168.1.9:7878",
            "http://localhost.evil.example",
            "null",
            "file://",
            "http://localhost/path",
            "",
        ] {
            assert!(!origin_allowed(bad, host, &extra), "{bad}");
        }
    }
}
