//! A stand-in for a Twilio-compatible SMS API on 127.0.0.1: it records each
//! request and answers from a script (then 201 with a fresh sid).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

/// One scripted answer.
#[derive(Debug, Clone)]
pub enum Answer {
    /// A status with a JSON error body, and a `Retry-After` in seconds.
    Status(u16, Option<u64>),
    /// Sleep this long before answering 201.
    Hang(Duration),
}

/// One request the provider received.
#[derive(Debug, Clone)]
pub struct Received {
    pub at: Instant,
    pub path: String,
    pub authorization: Option<String>,
    pub idempotency_key: Option<String>,
    pub form: Vec<(String, String)>,
}

impl Received {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    script: VecDeque<Answer>,
    received: Vec<Received>,
}

#[derive(Clone)]
pub struct SmsProvider {
    pub base_url: String,
    state: Arc<Mutex<State>>,
}

pub const ACCOUNT_SID: &str = "AC0123456789";
pub const AUTH_TOKEN: &str = "stand-in-auth-token";
pub const FROM: &str = "+15550009999";

impl SmsProvider {
    /// Starts the stand-in; it answers `script` in order, then 201.
    pub async fn start(script: Vec<Answer>) -> SmsProvider {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let provider = SmsProvider {
            base_url: format!("http://{}", listener.local_addr().unwrap()),
            state: Arc::new(Mutex::new(State {
                script: script.into(),
                received: Vec::new(),
            })),
        };
        let serving = provider.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let provider = serving.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| provider.clone().answer(req));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        provider
    }

    /// Points the daemon's SMS settings at this stand-in.
    pub fn configure(&self, settings: &mut commcenterd::Settings) {
        settings.outbox.sms_url = Some(self.base_url.clone());
        settings.outbox.sms_account_sid = Some(ACCOUNT_SID.into());
        settings.outbox.sms_auth_token = Some(AUTH_TOKEN.into());
        settings.outbox.sms_from = Some(FROM.into());
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    async fn answer(
        self,
        req: Request<hyper::body::Incoming>,
    ) -> Result<Response<Full<Bytes>>, Infallible> {
        let header = |name: &str| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (authorization, idempotency_key) = (header("authorization"), header("idempotency-key"));
        let path = req.uri().path().to_owned();
        let body = req.into_body().collect().await.unwrap().to_bytes();
        let form = form_urlencoded::parse(&body).into_owned().collect();
        let (answer, n) = {
            let mut state = self.state.lock().unwrap();
            state.received.push(Received {
                at: Instant::now(),
                path,
                authorization,
                idempotency_key,
                form,
            });
            (state.script.pop_front(), state.received.len())
        };
        Ok(match answer {
            Some(Answer::Status(status, retry_after)) => {
                let mut response = Response::builder().status(status);
                if let Some(seconds) = retry_after {
                    response = response.header("retry-after", seconds.to_string());
                }
                let body = format!(r#"{{"code": 1, "message": "scripted {status}"}}"#);
                response.body(Full::new(Bytes::from(body))).unwrap()
            }
            Some(Answer::Hang(pause)) => {
                tokio::time::sleep(pause).await;
                created(n)
            }
            None => created(n),
        })
    }
}

fn created(n: usize) -> Response<Full<Bytes>> {
    let body = format!(r#"{{"sid": "SM{n:032}", "status": "queued"}}"#);
    Response::builder()
        .status(201)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap()
}
