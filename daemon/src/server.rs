//! The accept loop, connection handling and graceful shutdown.
//!
//! Each connection runs in its own task and holds a permit of the
//! connection semaphore, so at most `max_connections` are served at once and
//! the accept loop waits (rather than accepting and dropping) when full.
//! Under systemd (`Type=notify`) the service manager is told `READY=1` once
//! the listener accepts and `STOPPING=1` when shutdown begins (`notify`).
//! On shutdown: `/readyz` turns 503, the listener closes, every connection
//! is told to finish its in-flight request and close, and after at most
//! `shutdown_timeout` the store's writer is flushed and stopped.
//! A connection upgraded to a WebSocket keeps its permit (a
//! [`ConnectionLease`]) until the socket closes; on shutdown the hub closes
//! those with 1001.
//!
//! Why a large budget (10,000 by default): a connection is a small task, and
//! a budget near what one client can open (a thousand slow-header or
//! stalled-body connections) would let that client make everyone else wait
//! to be accepted. Each connection is bounded instead: headers must arrive
//! within `header_timeout` and fit in `MAX_HEADER_BYTES`, a body must keep
//! arriving (`limits::TimedBody`), and a user has a share of requests in
//! flight and of WebSockets (`limits`).

use std::future::Future;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

use crate::app::AppState;
use crate::http::PeerAddr;
use crate::lease::ConnectionLease;
use crate::limits::TimedBody;
use crate::router;

/// The read buffer of a connection, which bounds its request line and
/// headers: 16 KiB, like common proxies' defaults, so a thousand half-sent
/// headers hold 16 MiB at most.
const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Serves `listener` until `shutdown` completes, then drains and closes the
/// store. This is the daemon's one entry point; tests call it on a port-0
/// listener with their own shutdown future.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let settings = state.settings.clone();
    let budget = connection_budget(settings.max_connections);
    let permits = Arc::new(Semaphore::new(budget));
    let (stop_tx, stop_rx) = watch::channel(false);
    let metrics_listener = start_metrics_listener(&state, stop_rx.clone()).await?;
    let realtime = state
        .realtime
        .start(stop_rx.clone())
        .await
        .map_err(std::io::Error::other)?;
    let outbox = state.outbox.start(stop_rx.clone());
    let disk_watch = tokio::spawn(crate::disk_watch::run(state.clone(), stop_rx.clone()));
    state.set_ready(true);
    tracing::info!(addr = %listener.local_addr()?, "listening");
    crate::notify::ready();

    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            _ = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
        };
        let (stream, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // EMFILE and friends: back off briefly instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let stop = stop_rx.clone();
        tokio::spawn(async move {
            let lease = ConnectionLease::new(permit);
            serve_connection(stream, peer, state, stop, lease).await;
            tracing::trace!(%peer, "connection closed");
        });
    }

    state.set_ready(false);
    crate::notify::stopping();
    drop(listener);
    let _ = stop_tx.send(true);
    let all = u32::try_from(budget).unwrap_or(u32::MAX);
    if tokio::time::timeout(settings.shutdown_timeout, permits.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("shutdown deadline passed with connections still open");
    }
    realtime.join().await;
    let _ = outbox.await;
    let _ = disk_watch.await;
    if let Some(listener) = metrics_listener {
        let _ = listener.await;
    }
    state.store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Binds `--metrics-listen`, when set, and serves it until `stop`.
async fn start_metrics_listener(
    state: &AppState,
    stop: watch::Receiver<bool>,
) -> std::io::Result<Option<tokio::task::JoinHandle<()>>> {
    let Some(addr) = state.settings.ops.metrics_listen else {
        return Ok(None);
    };
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        std::io::Error::new(
            e.kind(),
            format!("cannot listen for metrics on {addr}: {e}"),
        )
    })?;
    tracing::info!(addr = %listener.local_addr()?, "serving /metrics without a token");
    let state = state.clone();
    Ok(Some(tokio::spawn(crate::metrics::listener::serve(
        listener, state, stop,
    ))))
}

/// Descriptors kept free for the store, files, logs and the listener.
const RESERVED_FDS: u64 = 256;

/// `max_connections`, lowered to fit the open-file limit: a connection
/// refused by `accept` (EMFILE) would be worse than one waiting to be accepted.
fn connection_budget(max_connections: usize) -> usize {
    let Ok((soft, _)) = rlimit::getrlimit(rlimit::Resource::NOFILE) else {
        return max_connections;
    };
    let fits = usize::try_from(soft.saturating_sub(RESERVED_FDS).max(16)).unwrap_or(usize::MAX);
    if fits < max_connections {
        tracing::warn!(
            max_connections,
            open_file_limit = soft,
            "the open-file limit allows only {fits} connections; raise it (LimitNOFILE) to serve more"
        );
    }
    max_connections.min(fits)
}

/// Serves one connection until it closes or shutdown asks it to finish.
async fn serve_connection(
    stream: tokio::net::TcpStream,
    peer: std::net::SocketAddr,
    state: AppState,
    mut stop: watch::Receiver<bool>,
    lease: ConnectionLease,
) {
    let header_timeout = state.settings.header_timeout;
    let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
        let mut req = req.map(|body| TimedBody::new(body, &state.settings.limits));
        req.extensions_mut().insert(lease.clone());
        req.extensions_mut().insert(PeerAddr(peer));
        let state = state.clone();
        async move { Ok::<_, std::convert::Infallible>(router::serve(state, req).await) }
    });
    let mut builder = http1::Builder::new();
    // The header read timeout only works with a timer set.
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(MAX_HEADER_BYTES);
    let conn = builder
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(conn);
    let result = tokio::select! {
        result = conn.as_mut() => result,
        _ = async { let _ = stop.wait_for(|stopping| *stopping).await; } => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "connection ended with an error");
    }
}
