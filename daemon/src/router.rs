//! The route table and the dispatcher: one `match` from route to handler.
//!
//! [`ROUTES`] is the single list of what the daemon serves; the OpenAPI
//! document is checked against it by a test, and the request log names the
//! route's template rather than the raw path (which may hold ids).

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use futures_util::FutureExt;
use http::Method;

use crate::app::AppState;
use crate::error::ApiError;
use crate::http::{Request, Response};
use crate::limits::InFlightGuard;
use crate::routes::{
    analytics, conversations, files, health, inbound, messages, outbox, portal, presence, projects,
    search, templates, users, ws, Ctx,
};

/// Every route the daemon serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Healthz,
    Readyz,
    OpenApi,
    Me,
    CreateUser,
    ListUsers,
    GetUser,
    PatchUser,
    IssueToken,
    ListTokens,
    RevokeToken,
    CreateProject,
    ListProjects,
    GetProject,
    PatchProject,
    ListProjectMessages,
    SendProjectMessage,
    CreateConversation,
    ListConversations,
    GetConversation,
    PatchConversation,
    ReadConversation,
    ListMessages,
    SendMessage,
    GetMessage,
    MessageDelivered,
    MessageRead,
    MessageReceipts,
    UploadFile,
    UploadFiles,
    GetFile,
    GetFileMeta,
    GetFileThumbnail,
    WebSocket,
    WsTicket,
    Presence,
    SearchMessages,
    ListTemplates,
    CreateTemplate,
    GetTemplate,
    PutTemplate,
    DeleteTemplate,
    RenderTemplate,
    AnalyticsOverview,
    AnalyticsCustomer,
    AnalyticsAgents,
    RetryMessage,
    InboundSms,
    InboundEmail,
    Media,
    PortalLink,
    RedeemPortal,
}

/// Method, path template and route. `{…}` segments capture one path segment.
pub const ROUTES: &[(Method, &str, Route)] = &[
    (Method::GET, "/healthz", Route::Healthz),
    (Method::GET, "/readyz", Route::Readyz),
    (Method::GET, "/api/v1/openapi.json", Route::OpenApi),
    (Method::GET, "/api/v1/me", Route::Me),
    (Method::POST, "/api/v1/users", Route::CreateUser),
    (Method::GET, "/api/v1/users", Route::ListUsers),
    (Method::GET, "/api/v1/users/{id}", Route::GetUser),
    (Method::PATCH, "/api/v1/users/{id}", Route::PatchUser),
    (Method::POST, "/api/v1/users/{id}/tokens", Route::IssueToken),
    (Method::GET, "/api/v1/users/{id}/tokens", Route::ListTokens),
    (Method::DELETE, "/api/v1/tokens/{id}", Route::RevokeToken),
    (Method::POST, "/api/v1/projects", Route::CreateProject),
    (Method::GET, "/api/v1/projects", Route::ListProjects),
    (Method::GET, "/api/v1/projects/{id}", Route::GetProject),
    (Method::PATCH, "/api/v1/projects/{id}", Route::PatchProject),
    (
        Method::GET,
        "/api/v1/projects/{id}/messages",
        Route::ListProjectMessages,
    ),
    (
        Method::POST,
        "/api/v1/projects/{id}/messages",
        Route::SendProjectMessage,
    ),
    (
        Method::POST,
        "/api/v1/conversations",
        Route::CreateConversation,
    ),
    (
        Method::GET,
        "/api/v1/conversations",
        Route::ListConversations,
    ),
    (
        Method::GET,
        "/api/v1/conversations/{id}",
        Route::GetConversation,
    ),
    (
        Method::PATCH,
        "/api/v1/conversations/{id}",
        Route::PatchConversation,
    ),
    (
        Method::POST,
        "/api/v1/conversations/{id}/read",
        Route::ReadConversation,
    ),
    (
        Method::GET,
        "/api/v1/conversations/{id}/messages",
        Route::ListMessages,
    ),
    (
        Method::POST,
        "/api/v1/conversations/{id}/messages",
        Route::SendMessage,
    ),
    (Method::GET, "/api/v1/messages/{id}", Route::GetMessage),
    (
        Method::POST,
        "/api/v1/messages/{id}/delivered",
        Route::MessageDelivered,
    ),
    (
        Method::POST,
        "/api/v1/messages/{id}/read",
        Route::MessageRead,
    ),
    (
        Method::GET,
        "/api/v1/messages/{id}/receipts",
        Route::MessageReceipts,
    ),
    (Method::POST, "/api/v1/files", Route::UploadFile),
    (Method::POST, "/api/v1/files/batch", Route::UploadFiles),
    (Method::GET, "/api/v1/files/{id}", Route::GetFile),
    (Method::GET, "/api/v1/files/{id}/meta", Route::GetFileMeta),
    (
        Method::GET,
        "/api/v1/files/{id}/thumbnail",
        Route::GetFileThumbnail,
    ),
    (Method::GET, "/api/v1/ws", Route::WebSocket),
    (Method::POST, "/api/v1/ws/ticket", Route::WsTicket),
    (Method::GET, "/api/v1/presence", Route::Presence),
    (
        Method::GET,
        "/api/v1/search/messages",
        Route::SearchMessages,
    ),
    (Method::GET, "/api/v1/templates", Route::ListTemplates),
    (Method::POST, "/api/v1/templates", Route::CreateTemplate),
    (Method::GET, "/api/v1/templates/{id}", Route::GetTemplate),
    (Method::PUT, "/api/v1/templates/{id}", Route::PutTemplate),
    (
        Method::DELETE,
        "/api/v1/templates/{id}",
        Route::DeleteTemplate,
    ),
    (
        Method::POST,
        "/api/v1/templates/{id}/render",
        Route::RenderTemplate,
    ),
    (
        Method::GET,
        "/api/v1/analytics/overview",
        Route::AnalyticsOverview,
    ),
    (
        Method::GET,
        "/api/v1/analytics/customers/{id}",
        Route::AnalyticsCustomer,
    ),
    (
        Method::GET,
        "/api/v1/analytics/agents",
        Route::AnalyticsAgents,
    ),
    (
        Method::POST,
        "/api/v1/messages/{id}/retry",
        Route::RetryMessage,
    ),
    (Method::POST, "/api/v1/inbound/sms", Route::InboundSms),
    (Method::POST, "/api/v1/inbound/email", Route::InboundEmail),
    (Method::GET, "/media/{id}", Route::Media),
    (
        Method::POST,
        "/api/v1/users/{id}/portal-link",
        Route::PortalLink,
    ),
    (Method::POST, "/api/v1/portal/redeem", Route::RedeemPortal),
];

/// Finds the route for a method and path, with its captured segments.
pub fn resolve(method: &Method, path: &str) -> Option<(Route, &'static str, Vec<String>)> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    ROUTES.iter().find_map(|(m, template, route)| {
        if m != method {
            return None;
        }
        let parts: Vec<&str> = template.split('/').collect();
        if parts.len() != segments.len() {
            return None;
        }
        let mut params = Vec::new();
        for (part, segment) in parts.iter().zip(&segments) {
            if part.starts_with('{') {
                params.push((*segment).to_owned());
            } else if part != segment {
                return None;
            }
        }
        Some((*route, *template, params))
    })
}

/// Serves one request: resolve, authenticate, dispatch, log. A panic in a
/// handler becomes a 500 answer; the connection and the daemon go on.
pub async fn serve(state: AppState, req: Request) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let (template, response) = match resolve(&method, req.uri().path()) {
        Some((route, template, params)) => {
            let response = or_internal_error(dispatch_route(state, route, params, req)).await;
            (template, response)
        }
        None => {
            let message = format!("no route for {method} {}", req.uri().path());
            ("-", ApiError::not_found(message).into_response())
        }
    };
    tracing::info!(
        %method,
        path = template,
        status = response.status().as_u16(),
        duration_us = started.elapsed().as_micros() as u64,
        "request"
    );
    response
}

/// The handler's response, or a 500 envelope if it panicked (the panic is
/// logged by the panic hook; the connection and the daemon go on).
async fn or_internal_error(handler: impl std::future::Future<Output = Response>) -> Response {
    AssertUnwindSafe(handler)
        .catch_unwind()
        .await
        .unwrap_or_else(|_| ApiError::internal().into_response())
}

async fn dispatch_route(
    state: AppState,
    route: Route,
    params: Vec<String>,
    req: Request,
) -> Response {
    // The WebSocket authenticates itself: browsers send a ticket, not a
    // header; the inbound webhooks and media links by their signatures; a
    // portal sign-in by its code.
    let open = matches!(
        route,
        Route::Healthz | Route::Readyz | Route::OpenApi | Route::WebSocket
    ) || matches!(
        route,
        Route::InboundSms | Route::InboundEmail | Route::Media | Route::RedeemPortal
    );
    let ctx = Ctx::new(state, &req, params);
    if !open && !ctx.is_authenticated() {
        return ApiError::unauthorized().into_response();
    }
    // Held until the handler answers.
    let _in_flight = match in_flight_place(&ctx, route) {
        Ok(place) => place,
        Err(refused) => return refused.into_response(),
    };
    dispatch(route, ctx, req)
        .await
        .unwrap_or_else(ApiError::into_response)
}

/// The caller's place among their requests in flight; 429 before the body
/// is read when they are over their share (see `limits`). Anonymous
/// requests have none, and the WebSocket has its own share.
fn in_flight_place(ctx: &Ctx, route: Route) -> Result<Option<InFlightGuard>, ApiError> {
    let Ok(caller) = ctx.caller() else {
        return Ok(None);
    };
    if route == Route::WebSocket {
        return Ok(None);
    }
    let share = ctx.state.settings.limits.requests_per_user;
    ctx.state.in_flight.enter(caller.user_id, share).map(Some)
}

async fn dispatch(route: Route, ctx: Ctx, req: Request) -> Result<Response, ApiError> {
    match route {
        Route::Healthz => health::healthz(ctx).await,
        Route::Readyz => health::readyz(ctx).await,
        Route::OpenApi => health::openapi(ctx).await,
        Route::Me => users::me(ctx).await,
        Route::CreateUser => users::create_user(ctx, req).await,
        Route::ListUsers => users::list(ctx, req).await,
        Route::GetUser => users::get(ctx).await,
        Route::PatchUser => users::patch(ctx, req).await,
        Route::IssueToken => users::issue_token(ctx, req).await,
        Route::ListTokens => users::list_tokens(ctx).await,
        Route::RevokeToken => users::revoke_token(ctx).await,
        Route::CreateProject => projects::create_project(ctx, req).await,
        Route::ListProjects => projects::list(ctx, req).await,
        Route::GetProject => projects::get(ctx).await,
        Route::PatchProject => projects::patch(ctx, req).await,
        Route::ListProjectMessages => projects::list_messages(ctx, req).await,
        Route::SendProjectMessage => projects::send_message(ctx, req).await,
        Route::CreateConversation => conversations::create_conversation(ctx, req).await,
        Route::ListConversations => conversations::list(ctx, req).await,
        Route::GetConversation => conversations::get(ctx).await,
        Route::PatchConversation => conversations::patch(ctx, req).await,
        Route::ReadConversation => conversations::read(ctx, req).await,
        Route::ListMessages => messages::list(ctx, req).await,
        Route::SendMessage => messages::send(ctx, req).await,
        Route::GetMessage => messages::get(ctx).await,
        Route::MessageDelivered => {
            messages::acknowledge(ctx, commcenter::wire::ReceiptState::Delivered).await
        }
        Route::MessageRead => {
            messages::acknowledge(ctx, commcenter::wire::ReceiptState::Read).await
        }
        Route::MessageReceipts => messages::receipts(ctx).await,
        Route::UploadFile => files::upload(ctx, req).await,
        Route::UploadFiles => files::upload_batch(ctx, req).await,
        Route::GetFile => files::download(ctx, req).await,
        Route::GetFileMeta => files::meta(ctx).await,
        Route::GetFileThumbnail => files::thumbnail(ctx, req).await,
        Route::WebSocket => ws::connect(ctx, req).await,
        Route::WsTicket => ws::issue_ticket(ctx, req).await,
        Route::Presence => presence::list(ctx).await,
        Route::SearchMessages => search::messages(ctx, req).await,
        Route::ListTemplates => templates::list(ctx, req).await,
        Route::CreateTemplate => templates::create_template(ctx, req).await,
        Route::GetTemplate => templates::get(ctx).await,
        Route::PutTemplate => templates::put(ctx, req).await,
        Route::DeleteTemplate => templates::delete(ctx).await,
        Route::RenderTemplate => templates::render(ctx, req).await,
        Route::AnalyticsOverview => analytics::overview(ctx, req).await,
        Route::AnalyticsCustomer => analytics::customer(ctx, req).await,
        Route::AnalyticsAgents => analytics::agents(ctx, req).await,
        Route::RetryMessage => outbox::retry(ctx).await,
        Route::InboundSms => inbound::sms(ctx, req).await,
        Route::InboundEmail => inbound::email(ctx, req).await,
        Route::Media => outbox::media(ctx, req).await,
        Route::PortalLink => portal::issue_link(ctx, req).await,
        Route::RedeemPortal => portal::redeem(ctx, req).await,
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_becomes_a_500_envelope() {
        let response = or_internal_error(async { panic!("a bug in a handler") }).await;
        assert_eq!(response.status(), 500);
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let body: commcenter::wire::ErrorBody = serde_json::from_slice(&body).unwrap();
        assert_eq!(body.error.code, commcenter::wire::ErrorCode::Internal);
    }

    #[test]
    fn paths_resolve_to_their_route_with_parameters() {
        let (route, template, params) =
            resolve(&Method::GET, "/api/v1/conversations/01ABC/messages").unwrap();
        assert_eq!(route, Route::ListMessages);
        assert_eq!(template, "/api/v1/conversations/{id}/messages");
        assert_eq!(params, ["01ABC"]);
        assert!(resolve(&Method::DELETE, "/api/v1/conversations").is_none());
        assert!(resolve(&Method::GET, "/api/v1/nothing").is_none());
    }
}
