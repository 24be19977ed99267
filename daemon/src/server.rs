//! The accept loop, connection handling and graceful shutdown.
//!
//! Each connection runs in its own task and holds a permit of the
//! connection semaphore, so at most `max_connections` are served at once and
//! the accept loop waits (rather than accepting and dropping) when full.
//! On shutdown: `/readyz` turns 503, the listener closes, every connection
//! is told to finish its in-flight request and close, and after at most
//! `shutdown_timeout` the store's writer is flushed and stopped.
//! A connection upgraded to a WebSocket keeps its permit (a
//! [`ConnectionLease`]) until the socket closes; on shutdown the hub closes
//! those with 1001.

use std::future::Future;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

use crate::app::AppState;
use crate::router;

/// Serves `listener` until `shutdown` completes, then drains and closes the
/// store. This is the daemon's one entry point; tests call it on a port-0
/// listener with their own shutdown future.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let settings = state.settings.clone();
    let permits = Arc::new(Semaphore::new(settings.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    let realtime = state
        .realtime
        .start(stop_rx.clone())
        .await
        .map_err(std::io::Error::other)?;
    state.set_ready(true);
    tracing::info!(addr = %listener.local_addr()?, "listening");

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
            let lease = ConnectionLease {
                _permit: Arc::new(permit),
            };
            serve_connection(stream, state, stop, lease).await;
            tracing::trace!(%peer, "connection closed");
        });
    }

    state.set_ready(false);
    drop(listener);
    let _ = stop_tx.send(true);
    let all = u32::try_from(settings.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(settings.shutdown_timeout, permits.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("shutdown deadline passed with connections still open");
    }
    realtime.join().await;
    state.store.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// A connection's place under `max_connections`, handed to every request
/// on it so that an upgrade can keep it for as long as the upgraded
/// connection lives.
#[derive(Clone)]
pub(crate) struct ConnectionLease {
    _permit: Arc<OwnedSemaphorePermit>,
}

/// Serves one connection until it closes or shutdown asks it to finish.
async fn serve_connection(
    stream: tokio::net::TcpStream,
    state: AppState,
    mut stop: watch::Receiver<bool>,
    lease: ConnectionLease,
) {
    let header_timeout = state.settings.header_timeout;
    let service = service_fn(move |mut req: crate::http::Request| {
        req.extensions_mut().insert(lease.clone());
        let state = state.clone();
        async move { Ok::<_, std::convert::Infallible>(router::serve(state, req).await) }
    });
    let mut builder = http1::Builder::new();
    // The header read timeout only works with a timer set.
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .max_buf_size(64 * 1024);
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
