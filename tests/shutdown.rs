//! Graceful shutdown: what is in flight finishes, nothing new comes in, and
//! what was acknowledged is on disk.

mod common;

use std::time::Duration;

use bytes::Bytes;
use http_body_util::channel::Channel;
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use common::{TestDaemon, ADMIN_TOKEN};

/// Starts a raw upload on its own connection and returns the sender of the
/// rest of its body and the pending answer's status.
async fn start_slow_upload(
    base_url: &str,
    total: usize,
) -> (
    http_body_util::channel::Sender<Bytes>,
    tokio::task::JoinHandle<(u16, Bytes)>,
) {
    let addr = base_url.trim_start_matches("http://").to_owned();
    let stream = TcpStream::connect(&addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(conn);
    let (body_tx, body) = Channel::<Bytes>::new(4);
    let request = http::Request::post(format!("{base_url}/api/v1/files?name=notes.txt"))
        .header("authorization", format!("Bearer {ADMIN_TOKEN}"))
        .header("content-type", "text/plain")
        .header("content-length", total.to_string())
        .body(body)
        .unwrap();
    let answer = tokio::spawn(async move {
        let response = sender.send_request(request).await.unwrap();
        let status = response.status().as_u16();
        (
            status,
            response.into_body().collect().await.unwrap().to_bytes(),
        )
    });
    (body_tx, answer)
}

#[tokio::test]
async fn an_upload_in_flight_at_shutdown_finishes_and_is_kept() {
    let daemon = TestDaemon::start().await;
    let base_url = daemon.base_url.clone();
    let half = vec![b'a'; 64 * 1024];
    let (mut body, answer) = start_slow_upload(&base_url, half.len() * 2).await;
    body.send_data(Bytes::from(half.clone())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let stopping = tokio::spawn(daemon.stop());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !stopping.is_finished(),
        "shutdown waits for the request in flight"
    );
    let addr = base_url.trim_start_matches("http://");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no new connections while draining"
    );

    body.send_data(Bytes::from(half)).await.unwrap();
    drop(body);
    let (status, answer) = answer.await.unwrap();
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&answer));
    let meta: commcenter::wire::FileMeta = serde_json::from_slice(&answer).unwrap();
    let dir = tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .expect("shutdown finishes once the request is done")
        .unwrap();

    let restarted = TestDaemon::start_in(dir).await;
    let kept = restarted.admin.file_meta(meta.id).await.unwrap();
    assert_eq!(kept.sha256, meta.sha256);
    assert_eq!(kept.size, 128 * 1024);
    restarted.stop().await;
}
