//! `--metrics-listen`: a second listener that serves only `GET /metrics`,
//! without a token, for a scraper on a trusted network. Anything else is
//! 404. It has its own small connection budget, so a scraper never takes a
//! place of the API's, and it stops with the daemon.

use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

use crate::app::AppState;
use crate::error::ApiError;
use crate::http::Response;

/// Scrapes served at once; more wait to be accepted.
const CONNECTIONS: usize = 8;
/// A scraper sends its headers at once.
const HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// Serves `listener` until `stop` turns true.
pub async fn serve(listener: TcpListener, state: AppState, mut stop: watch::Receiver<bool>) {
    let permits = Arc::new(Semaphore::new(CONNECTIONS));
    loop {
        let permit = tokio::select! {
            _ = stopping(&mut stop) => return,
            permit = permits.clone().acquire_owned() => permit.expect("never closed"),
        };
        let stream = tokio::select! {
            _ = stopping(&mut stop) => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "metrics listener: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let state = state.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                let state = state.clone();
                let wants_metrics =
                    req.method() == http::Method::GET && req.uri().path() == "/metrics";
                async move { Ok::<_, std::convert::Infallible>(answer(&state, wants_metrics).await) }
            });
            let served = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .await;
            if let Err(e) = served {
                tracing::debug!(error = %e, "metrics connection ended with an error");
            }
            drop(permit);
        });
    }
}

async fn answer(state: &AppState, wants_metrics: bool) -> Response {
    if wants_metrics {
        return super::exposition(state).await;
    }
    ApiError::not_found("this address serves only GET /metrics").into_response()
}

/// Completes when the daemon is stopping (or its signal is gone).
async fn stopping(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}
