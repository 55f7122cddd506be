//! The accept loop: connections taken from the listener, at most
//! [`MAX_CONNECTIONS`] at a time, each served over HTTP/1.1 with a bound on
//! how long its request headers may take to arrive, and all of them let
//! finish on Ctrl-C or SIGTERM.
//!
//! `axum::serve` sets neither bound: a client that opens a connection and
//! sends its headers a byte at a time (or never finishes them) would hold a
//! connection, a task and a socket for as long as it likes, and a few
//! thousand of them would exhaust the process's file descriptors. The
//! per-request timeout of the router starts only once the headers are in,
//! so it cannot catch them.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// Connections served at once; more wait in the kernel's accept queue.
/// Far above what one reader's page and scripts open, far below the
/// process's file descriptor limit.
pub const MAX_CONNECTIONS: usize = 256;

/// How long in-flight requests may take to finish once shutdown starts.
const DRAIN: Duration = Duration::from_secs(10);

/// After a failed `accept` (out of file descriptors, most often), wait
/// this long before the next, rather than spin.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `app` on `listener` until `shutdown` resolves, then lets the
/// requests in flight finish (at most [`DRAIN`]). A connection whose
/// request headers are not all in within `header_timeout` of its first
/// byte being awaited (a new connection, or an idle keep-alive one) is
/// closed.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new()).header_read_timeout(header_timeout);
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        // The semaphore is never closed, so a slot always comes.
        let Ok(slot) = slot else { break };
        let stream = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match stream {
            Ok((stream, _)) => stream,
            Err(e) => {
                crate::output::say(format_args!(
                    "accepting a connection failed: {e}; trying again"
                ));
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        // Replies are small and written whole: no Nagle delay on them.
        let _ = stream.set_nodelay(true);
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that goes away or times out is no error of ours.
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown()).await.is_err() {
        crate::output::say(format_args!(
            "some requests did not finish within {DRAIN:?}; stopping anyway"
        ));
    }
}
