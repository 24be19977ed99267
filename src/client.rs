//! A typed client of the HTTP API, for the CLI, the TUI and the tests.

use bytes::Bytes;
use http::{HeaderMap, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client as HttpClient;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::wire::*;
use crate::Id;

/// What a call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The daemon answered with an error body.
    #[error("{} ({status})", body.error.message)]
    Api { status: u16, body: ErrorBody },
    /// The request did not get an answer.
    #[error("cannot reach the daemon: {0}")]
    Transport(String),
    /// The answer was not what the API promises.
    #[error("unexpected answer ({status}): {message}")]
    Decode { status: u16, message: String },
}

impl ClientError {
    /// The HTTP status, when the daemon answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api { status, .. } | ClientError::Decode { status, .. } => Some(*status),
            ClientError::Transport(_) => None,
        }
    }
}

/// An answer as it came: status, headers, body.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl RawResponse {
    /// The body as JSON of type `T`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ClientError> {
        serde_json::from_slice(&self.body).map_err(|e| ClientError::Decode {
            status: self.status,
            message: e.to_string(),
        })
    }
}

/// A client for one daemon and one token; cheap to clone.
#[derive(Clone)]
pub struct Client {
    base: String,
    token: Option<String>,
    http: HttpClient<HttpConnector, Full<Bytes>>,
}

impl Client {
    /// A client of the daemon at `base_url` (`http://host:port`).
    pub fn new(base_url: &str, token: Option<String>) -> Client {
        let http = HttpClient::builder(TokioExecutor::new()).build_http();
        Client {
            base: base_url.trim_end_matches('/').to_owned(),
            token,
            http,
        }
    }

    /// The same daemon with another token (or none).
    pub fn with_token(&self, token: Option<String>) -> Client {
        Client {
            token,
            ..self.clone()
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The token this client sends, if any (a WebSocket client sends it too).
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// Sends any request and returns the answer as it came. A body is sent
    /// as JSON unless `headers` name another `Content-Type`.
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        headers: &[(&str, &str)],
    ) -> Result<RawResponse, ClientError> {
        let mut builder = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(token) = &self.token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        let typed = headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
        if body.is_some() && !typed {
            builder = builder.header("content-type", "application/json");
        }
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let request = builder
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        let response = self
            .http
            .request(request)
            .await
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| ClientError::Transport(e.to_string()))?
            .to_bytes();
        Ok(RawResponse {
            status,
            headers,
            body,
        })
    }

    /// Sends a JSON request and decodes a success as `T`, an error as
    /// [`ClientError::Api`].
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&(impl Serialize + ?Sized)>,
    ) -> Result<T, ClientError> {
        let bytes = body
            .map(serde_json::to_vec)
            .transpose()
            .map_err(|e| ClientError::Transport(e.to_string()))?;
        let response = self.send_raw(method, path, bytes, &[]).await?;
        if response.status >= 400 {
            let body = response.json::<ErrorBody>()?;
            return Err(ClientError::Api {
                status: response.status,
                body,
            });
        }
        if response.status == 204 {
            return serde_json::from_slice(b"null").map_err(|e| ClientError::Decode {
                status: 204,
                message: e.to_string(),
            });
        }
        response.json()
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.call(Method::GET, path, None::<&()>).await
    }

    async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &(impl Serialize + ?Sized),
    ) -> Result<T, ClientError> {
        self.call(Method::POST, path, Some(body)).await
    }

    async fn patch<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &(impl Serialize + ?Sized),
    ) -> Result<T, ClientError> {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub async fn healthz(&self) -> Result<Health, ClientError> {
        self.get("/healthz").await
    }

    pub async fn me(&self) -> Result<User, ClientError> {
        self.get("/api/v1/me").await
    }

    pub async fn create_user(&self, new: &NewUser) -> Result<User, ClientError> {
        self.post("/api/v1/users", new).await
    }

    pub async fn list_users(
        &self,
        role: Option<Role>,
        q: Option<&str>,
    ) -> Result<Page<User>, ClientError> {
        self.list_users_page(role, q, None, None).await
    }

    pub async fn get_user(&self, id: Id) -> Result<User, ClientError> {
        self.get(&format!("/api/v1/users/{id}")).await
    }

    pub async fn patch_user(&self, id: Id, patch: &UserPatch) -> Result<User, ClientError> {
        self.patch(&format!("/api/v1/users/{id}"), patch).await
    }

    pub async fn issue_token(
        &self,
        user_id: Id,
        new: &NewToken,
    ) -> Result<IssuedToken, ClientError> {
        self.post(&format!("/api/v1/users/{user_id}/tokens"), new)
            .await
    }

    /// A single-use sign-in link for a customer or crew member's web page
    /// (staff).
    pub async fn portal_link(
        &self,
        user_id: Id,
        new: &NewPortalLink,
    ) -> Result<PortalLink, ClientError> {
        self.post(&format!("/api/v1/users/{user_id}/portal-link"), new)
            .await
    }

    /// Redeems a sign-in link's code for a token of its user (no token needed).
    pub async fn redeem_portal(&self, code: &str) -> Result<PortalSession, ClientError> {
        let body = PortalRedeem {
            code: code.to_owned(),
        };
        self.post("/api/v1/portal/redeem", &body).await
    }

    pub async fn list_tokens(&self, user_id: Id) -> Result<Page<TokenInfo>, ClientError> {
        self.get(&format!("/api/v1/users/{user_id}/tokens")).await
    }

    pub async fn revoke_token(&self, token_id: Id) -> Result<(), ClientError> {
        self.call(
            Method::DELETE,
            &format!("/api/v1/tokens/{token_id}"),
            None::<&()>,
        )
        .await
    }

    pub async fn create_project(&self, new: &NewProject) -> Result<Project, ClientError> {
        self.post("/api/v1/projects", new).await
    }

    pub async fn list_projects(&self) -> Result<Page<Project>, ClientError> {
        self.get("/api/v1/projects").await
    }

    pub async fn get_project(&self, id: Id) -> Result<Project, ClientError> {
        self.get(&format!("/api/v1/projects/{id}")).await
    }

    pub async fn patch_project(
        &self,
        id: Id,
        patch: &ProjectPatch,
    ) -> Result<Project, ClientError> {
        self.patch(&format!("/api/v1/projects/{id}"), patch).await
    }

    pub async fn project_messages(&self, id: Id) -> Result<Page<Message>, ClientError> {
        self.get(&format!("/api/v1/projects/{id}/messages")).await
    }

    pub async fn send_project_message(
        &self,
        id: Id,
        new: &NewMessage,
    ) -> Result<Message, ClientError> {
        self.post(&format!("/api/v1/projects/{id}/messages"), new)
            .await
    }

    pub async fn create_conversation(
        &self,
        new: &NewConversation,
    ) -> Result<Conversation, ClientError> {
        self.post("/api/v1/conversations", new).await
    }

    /// The first page of `GET /conversations` with `filter`.
    pub async fn list_conversations(
        &self,
        filter: &ConversationFilter,
    ) -> Result<Page<Conversation>, ClientError> {
        self.list_conversations_page(filter, None, None).await
    }

    /// One page of `GET /conversations` with `filter`.
    pub async fn list_conversations_page(
        &self,
        filter: &ConversationFilter,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<Page<Conversation>, ClientError> {
        let mut query = Vec::new();
        let mut push = |name: &'static str, value: Option<String>| {
            if let Some(v) = value {
                query.push((name, v));
            }
        };
        push("status", filter.status.map(|s| enum_text(&s)));
        push("customer_id", filter.customer_id.map(|i| i.to_string()));
        push("project_id", filter.project_id.map(|i| i.to_string()));
        push("assignee_id", filter.assignee_id.map(|i| i.to_string()));
        push("kind", filter.kind.map(|k| enum_text(&k)));
        push("channel", filter.channel.map(|c| c.as_str().to_owned()));
        push_page(&mut query, limit, cursor);
        self.get(&with_query("/api/v1/conversations", &query)).await
    }

    pub async fn get_conversation(&self, id: Id) -> Result<Conversation, ClientError> {
        self.get(&format!("/api/v1/conversations/{id}")).await
    }

    pub async fn patch_conversation(
        &self,
        id: Id,
        patch: &ConversationPatch,
    ) -> Result<Conversation, ClientError> {
        self.patch(&format!("/api/v1/conversations/{id}"), patch)
            .await
    }

    pub async fn read_conversation(
        &self,
        id: Id,
        up_to: Option<Id>,
    ) -> Result<Conversation, ClientError> {
        self.post(
            &format!("/api/v1/conversations/{id}/read"),
            &ReadUpTo { up_to },
        )
        .await
    }

    pub async fn list_messages(
        &self,
        conversation_id: Id,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<Page<Message>, ClientError> {
        let mut query = Vec::new();
        push_page(&mut query, limit, cursor);
        let path = format!("/api/v1/conversations/{conversation_id}/messages");
        self.get(&with_query(&path, &query)).await
    }

    pub async fn send_message(
        &self,
        conversation_id: Id,
        new: &NewMessage,
    ) -> Result<Message, ClientError> {
        self.post(
            &format!("/api/v1/conversations/{conversation_id}/messages"),
            new,
        )
        .await
    }

    pub async fn get_message(&self, id: Id) -> Result<Message, ClientError> {
        self.get(&format!("/api/v1/messages/{id}")).await
    }

    pub async fn mark_delivered(&self, id: Id) -> Result<Receipts, ClientError> {
        self.post(
            &format!("/api/v1/messages/{id}/delivered"),
            &serde_json::json!({}),
        )
        .await
    }

    pub async fn mark_read(&self, id: Id) -> Result<Receipts, ClientError> {
        self.post(
            &format!("/api/v1/messages/{id}/read"),
            &serde_json::json!({}),
        )
        .await
    }

    pub async fn receipts(&self, id: Id) -> Result<Receipts, ClientError> {
        self.get(&format!("/api/v1/messages/{id}/receipts")).await
    }

    /// Uploads one file as a raw body (`POST /api/v1/files?name=`); the
    /// daemon decides its type from the bytes.
    pub async fn upload_file(
        &self,
        name: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<FileMeta, ClientError> {
        let path = with_query("/api/v1/files", &[("name", name.to_owned())]);
        let headers = [("content-type", content_type)];
        let response = self
            .send_raw(Method::POST, &path, Some(bytes), &headers)
            .await?;
        if response.status >= 400 {
            let body = response.json::<ErrorBody>()?;
            return Err(ClientError::Api {
                status: response.status,
                body,
            });
        }
        response.json()
    }

    pub async fn file_meta(&self, id: Id) -> Result<FileMeta, ClientError> {
        self.get(&format!("/api/v1/files/{id}/meta")).await
    }

    /// A single-use ticket for `GET /api/v1/ws?ticket=`.
    pub async fn ws_ticket(&self) -> Result<WsTicket, ClientError> {
        self.post("/api/v1/ws/ticket", &NewWsTicket {}).await
    }

    /// Every user's presence (staff).
    pub async fn presence(&self) -> Result<Vec<Presence>, ClientError> {
        self.get("/api/v1/presence").await
    }

    /// Templates, oldest first (staff).
    pub async fn list_templates(
        &self,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<Page<Template>, ClientError> {
        let mut query = Vec::new();
        push_page(&mut query, limit, cursor);
        self.get(&with_query("/api/v1/templates", &query)).await
    }

    pub async fn create_template(&self, new: &NewTemplate) -> Result<Template, ClientError> {
        self.post("/api/v1/templates", new).await
    }

    pub async fn get_template(&self, id: Id) -> Result<Template, ClientError> {
        self.get(&format!("/api/v1/templates/{id}")).await
    }

    /// Replaces the template's name, channel, subject and body.
    pub async fn update_template(
        &self,
        id: Id,
        update: &TemplateUpdate,
    ) -> Result<Template, ClientError> {
        self.call(
            Method::PUT,
            &format!("/api/v1/templates/{id}"),
            Some(update),
        )
        .await
    }

    pub async fn delete_template(&self, id: Id) -> Result<(), ClientError> {
        self.call(
            Method::DELETE,
            &format!("/api/v1/templates/{id}"),
            None::<&()>,
        )
        .await
    }

    /// The template's subject and body, filled in for a conversation or customer.
    pub async fn render_template(
        &self,
        id: Id,
        request: &RenderTemplate,
    ) -> Result<RenderedTemplate, ClientError> {
        self.post(&format!("/api/v1/templates/{id}/render"), request)
            .await
    }

    /// `GET /analytics/overview` (staff).
    pub async fn analytics_overview(
        &self,
        range: &AnalyticsRange,
    ) -> Result<AnalyticsOverview, ClientError> {
        let path = with_query("/api/v1/analytics/overview", &range.pairs());
        self.get(&path).await
    }

    /// `GET /analytics/customers/{id}` (staff); `explain` adds the turns.
    pub async fn analytics_customer(
        &self,
        customer_id: Id,
        range: &AnalyticsRange,
        explain: bool,
    ) -> Result<CustomerAnalytics, ClientError> {
        let mut query = range.pairs();
        if explain {
            query.push(("explain", "true".to_owned()));
        }
        let path = format!("/api/v1/analytics/customers/{customer_id}");
        self.get(&with_query(&path, &query)).await
    }

    /// `GET /analytics/agents` (staff).
    pub async fn analytics_agents(
        &self,
        range: &AnalyticsRange,
    ) -> Result<AgentsAnalytics, ClientError> {
        let path = with_query("/api/v1/analytics/agents", &range.pairs());
        self.get(&path).await
    }
}

impl Client {
    /// One page of `GET /search/messages`.
    pub async fn search_messages(
        &self,
        query: &SearchQuery,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<Page<SearchHit>, ClientError> {
        let mut params = Vec::new();
        let mut push = |name: &'static str, value: Option<String>| {
            if let Some(v) = value {
                params.push((name, v));
            }
        };
        push("q", query.q.clone());
        push("customer_id", query.customer_id.map(|i| i.to_string()));
        push("project_id", query.project_id.map(|i| i.to_string()));
        push(
            "conversation_id",
            query.conversation_id.map(|i| i.to_string()),
        );
        push("channel", query.channel.map(|c| c.as_str().to_owned()));
        push("direction", query.direction.map(|d| enum_text(&d)));
        push("status", query.status.map(|s| enum_text(&s)));
        push(
            "has_attachments",
            query.has_attachments.map(|a| a.to_string()),
        );
        push("since", query.since.map(|t| t.to_string()));
        push("until", query.until.map(|t| t.to_string()));
        push("sort", Some(enum_text(&query.sort)));
        push_page(&mut params, limit, cursor);
        self.get(&with_query("/api/v1/search/messages", &params))
            .await
    }
}

/// An enum's serde name (`"open"`, `"customer"`).
fn enum_text(value: &impl Serialize) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn with_query(path: &str, query: &[(&str, String)]) -> String {
    if query.is_empty() {
        return path.to_owned();
    }
    let encoded: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{k}={}", percent_encode(v)))
        .collect();
    format!("{path}?{}", encoded.join("&"))
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Client {
    /// Queues a failed `sms` or `email` message again (staff).
    pub async fn retry_message(&self, id: Id) -> Result<Message, ClientError> {
        self.post(
            &format!("/api/v1/messages/{id}/retry"),
            &serde_json::json!({}),
        )
        .await
    }

    /// Posts an inbound email webhook: `body` is the JSON as sent (the
    /// signature covers these exact bytes), `signature` the
    /// `X-Commcenter-Signature` value (`sha256=<hex>`). Answers the stored
    /// message (201, or 200 for a retry of one already stored).
    pub async fn inbound_email(
        &self,
        body: Vec<u8>,
        signature: &str,
    ) -> Result<Message, ClientError> {
        let headers = [("x-commcenter-signature", signature)];
        let response = self
            .send_raw(Method::POST, "/api/v1/inbound/email", Some(body), &headers)
            .await?;
        typed_answer(response)
    }

    /// Posts an inbound SMS webhook: `form` is the urlencoded body as sent,
    /// `signature` the `X-Twilio-Signature` value.
    pub async fn inbound_sms(
        &self,
        form: Vec<u8>,
        signature: &str,
    ) -> Result<Message, ClientError> {
        let headers = [
            ("content-type", "application/x-www-form-urlencoded"),
            ("x-twilio-signature", signature),
        ];
        let response = self
            .send_raw(Method::POST, "/api/v1/inbound/sms", Some(form), &headers)
            .await?;
        typed_answer(response)
    }
}

/// A success decoded as `T`, an error as [`ClientError::Api`].
fn typed_answer<T: DeserializeOwned>(response: RawResponse) -> Result<T, ClientError> {
    if response.status >= 400 {
        let body = response.json::<ErrorBody>()?;
        return Err(ClientError::Api {
            status: response.status,
            body,
        });
    }
    response.json()
}

/// One page at a time, for callers that follow `next_cursor` (the CLI's `--all`).
impl Client {
    /// `GET /api/v1/users?role=&q=&limit=&cursor=`.
    pub async fn list_users_page(
        &self,
        role: Option<Role>,
        q: Option<&str>,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<Page<User>, ClientError> {
        let mut query = Vec::new();
        if let Some(role) = role {
            query.push(("role", role.as_str().to_owned()));
        }
        if let Some(q) = q {
            query.push(("q", q.to_owned()));
        }
        push_page(&mut query, limit, cursor);
        self.get(&with_query("/api/v1/users", &query)).await
    }

    /// `GET /api/v1/projects?limit=&cursor=`.
    pub async fn list_projects_page(
        &self,
        limit: Option<usize>,
        cursor: Option<&str>,
    ) -> Result<Page<Project>, ClientError> {
        let mut query = Vec::new();
        push_page(&mut query, limit, cursor);
        self.get(&with_query("/api/v1/projects", &query)).await
    }
}

/// Adds `?limit=` and `?cursor=` when given, as every list reads them.
fn push_page(query: &mut Vec<(&str, String)>, limit: Option<usize>, cursor: Option<&str>) {
    if let Some(limit) = limit {
        query.push(("limit", limit.to_string()));
    }
    if let Some(cursor) = cursor {
        query.push(("cursor", cursor.to_owned()));
    }
}

impl Client {
    /// `GET /api/v1/files/{id}`: the file's bytes (the console's open and save).
    pub async fn download_file(&self, id: Id) -> Result<Bytes, ClientError> {
        let path = format!("/api/v1/files/{id}");
        let response = self.send_raw(Method::GET, &path, None, &[]).await?;
        if response.status >= 400 {
            let body = response.json::<ErrorBody>()?;
            return Err(ClientError::Api {
                status: response.status,
                body,
            });
        }
        Ok(response.body)
    }
}
