//! The per-route half of the document, written by hand: what each route does,
//! who may call it, its parameters, and which wire type it reads and answers
//! with. The types' schemas come from [`Components`]; [`operation`] is an
//! exhaustive `match`, so a route cannot be added without its description.

use commcenter::wire::{
    self, BatchUpload, Channel, Conversation, ConversationKind, ConversationPatch,
    ConversationStatus, FileMeta, Health, IssuedToken, Message, NewConversation, NewMessage,
    NewProject, NewToken, NewUser, NewWsTicket, Page, Project, ProjectPatch, ReadUpTo, Receipts,
    Role, TokenInfo, User, UserPatch, ID_PATTERN,
};
use commcenter::wire::{Direction, MessageStatus, SearchHit, SearchSort};
use commcenter::wire::{NewTemplate, RenderedTemplate, Template, TemplateUpdate};
use commcenter::{Id, Timestamp};
use schemars::JsonSchema;
use serde_json::{json, Value};

use super::schemas::Components;
use crate::router::Route;

/// How one route is described.
pub struct Op {
    pub summary: &'static str,
    /// Who may call it, for the description.
    pub roles: &'static str,
    /// The JSON request body's schema, if the route takes one.
    pub request: Option<Value>,
    /// Success status and the answer's schema (None: no body).
    pub response: (u16, Option<Value>),
    pub query: Vec<Param>,
    /// Whether a creating POST (accepts `Idempotency-Key`).
    pub creates: bool,
}

/// A query parameter; none is required.
pub struct Param {
    pub name: &'static str,
    pub description: &'static str,
    pub schema: Value,
}

/// The forms of `?cursor=` that the lists decode (`store::records::cursor`).
/// Clients treat cursors as opaque; the patterns are there so that tools
/// generating requests make cursors that parse.
#[derive(Clone, Copy)]
enum Cursor {
    /// The last id of the page: users, projects and templates.
    Id,
    /// A message's place in its conversation, a `u64` (up to 19 digits all fit).
    Ordinal,
    /// `<activity ms, an i64 (up to 18 digits all fit)>.<id>`: conversations.
    ActivityAndId,
    /// `n<doc>` (newest first) or `r<score bits>.<doc>` (by relevance): search.
    Search,
}

impl Cursor {
    fn schema(self) -> Value {
        let pattern = match self {
            Cursor::Id => ID_PATTERN.to_owned(),
            Cursor::Ordinal => "^[0-9]{1,19}$".to_owned(),
            Cursor::ActivityAndId => format!("^-?[0-9]{{1,18}}\\.{}", &ID_PATTERN[1..]),
            Cursor::Search => "^(n[0-9]{1,19}|r[0-9]{1,10}\\.[0-9]{1,19})$".to_owned(),
        };
        json!({"type": "string", "pattern": pattern})
    }
}

fn op(summary: &'static str, roles: &'static str, response: (u16, Option<Value>)) -> Op {
    Op {
        summary,
        roles,
        request: None,
        response,
        query: Vec::new(),
        creates: false,
    }
}

fn ok<T: JsonSchema>(c: &mut Components) -> (u16, Option<Value>) {
    (200, Some(c.response::<T>()))
}

fn created<T: JsonSchema>(c: &mut Components) -> (u16, Option<Value>) {
    (201, Some(c.response::<T>()))
}

fn body<T: JsonSchema>(c: &mut Components) -> Option<Value> {
    Some(c.request::<T>())
}

fn param<T: JsonSchema>(
    c: &mut Components,
    name: &'static str,
    description: &'static str,
) -> Param {
    Param {
        name,
        description,
        schema: c.request::<T>(),
    }
}

/// `?limit=` and `?cursor=`, as every list reads them (`http::Query::limit`).
fn paging(cursor: Cursor) -> Vec<Param> {
    vec![
        Param {
            name: "limit",
            description: "page size, 1 to 500 (default 50)",
            schema: json!({"type": "integer", "minimum": 1, "maximum": 500}),
        },
        Param {
            name: "cursor",
            description: "the next_cursor of the previous page (opaque)",
            schema: cursor.schema(),
        },
    ]
}

fn user_filters(c: &mut Components) -> Vec<Param> {
    let mut params = vec![
        param::<Role>(c, "role", "only users of this role"),
        param::<String>(c, "q", "matches name, email or phone, ignoring case"),
    ];
    params.extend(paging(Cursor::Id));
    params
}

fn conversation_filters(c: &mut Components) -> Vec<Param> {
    let mut params = vec![
        param::<ConversationStatus>(c, "status", "only conversations in this status"),
        param::<Id>(c, "customer_id", "only this customer's conversations"),
        param::<Id>(c, "project_id", "only this project's conversation"),
        param::<Id>(c, "assignee_id", "only those assigned to this staff user"),
        param::<ConversationKind>(c, "kind", "only conversations of this kind"),
        param::<Channel>(c, "channel", "only those with a message on this channel"),
    ];
    params.extend(paging(Cursor::ActivityAndId));
    params
}

fn search_filters(c: &mut Components) -> Vec<Param> {
    let mut params = vec![
        param::<String>(c, "q", "words, all of which must match, ignoring case and accents; the last word also as a prefix; \"quoted words\" as a phrase; at most 1,000 characters and 32 words; empty: filters alone"),
        param::<Id>(c, "customer_id", "only this customer's messages"),
        param::<Id>(c, "project_id", "only messages about this project"),
        param::<Id>(c, "conversation_id", "only this conversation's messages"),
        param::<Channel>(c, "channel", "only messages on this channel"),
        param::<Direction>(c, "direction", "only inbound or only outbound messages"),
        param::<MessageStatus>(c, "status", "only messages in this status"),
        param::<bool>(c, "has_attachments", "only messages with (true) or without (false) attachments"),
        param::<Timestamp>(c, "since", "created at or after this time (inclusive)"),
        param::<Timestamp>(c, "until", "created before this time (exclusive)"),
        param::<SearchSort>(c, "sort", "newest (default) or relevance (BM25)"),
    ];
    params.extend(paging(Cursor::Search));
    params
}

fn websocket_query(c: &mut Components) -> Vec<Param> {
    vec![
        Param {
            name: "since",
            description: "resume: replay every event after this seq, then go live",
            schema: json!({"type": "integer", "minimum": 0, "maximum": u64::MAX}),
        },
        param::<String>(
            c,
            "epoch",
            "with since: the epoch of the hello that seq came from; another gets resync_required",
        ),
        param::<String>(
            c,
            "ticket",
            "a ticket from POST /api/v1/ws/ticket, instead of the Authorization header",
        ),
    ]
}

/// The description of each route. (`Presence`, `WsTicket` and `RenderTemplate` are routes
/// here; their wire types are named through `wire::`.)
pub fn operation(route: Route, c: &mut Components) -> Op {
    use Route::*;
    match route {
        Healthz => op("Liveness: 200 while the process runs", "anyone, no token", ok::<Health>(c)),
        Readyz => op("Readiness: 200 when the store answers; 503 while starting or draining", "anyone, no token", ok::<Health>(c)),
        OpenApi => op("This document", "anyone, no token", (200, Some(json!({"type": "object"})))),
        Me => op("The caller", "any token", ok::<User>(c)),
        CreateUser => Op { request: body::<NewUser>(c), creates: true, ..op("Create a user", "admin", created::<User>(c)) },
        ListUsers => Op { query: user_filters(c), ..op("List users, oldest first", "staff", ok::<Page<User>>(c)) },
        GetUser => op("One user", "staff", ok::<User>(c)),
        PatchUser => Op { request: body::<UserPatch>(c), ..op("Change a user's name, email or phone (null clears)", "admin", ok::<User>(c)) },
        IssueToken => Op {
            request: body::<NewToken>(c),
            creates: true,
            ..op("Issue a token; the secret is in this answer only. A repeated Idempotency-Key is refused (409): secrets are not kept", "admin; agents for customer and crew users", created::<IssuedToken>(c))
        },
        ListTokens => op("A user's tokens, without secrets", "admin; agents for customer and crew users", ok::<Page<TokenInfo>>(c)),
        RevokeToken => op("Revoke a token at once", "the token's user; admin; agents for customer and crew tokens", (204, None)),
        CreateProject => Op { request: body::<NewProject>(c), creates: true, ..op("Create a project and its crew conversation", "staff", created::<Project>(c)) },
        ListProjects => Op { query: paging(Cursor::Id), ..op("Projects, newest first", "staff all; crew assigned; customers their own", ok::<Page<Project>>(c)) },
        GetProject => op("One project", "staff; assigned crew; the customer", ok::<Project>(c)),
        PatchProject => Op { request: body::<ProjectPatch>(c), ..op("Change a project (crew_ids replaces the crew)", "staff", ok::<Project>(c)) },
        ListProjectMessages => Op { query: paging(Cursor::Ordinal), ..op("The project conversation's messages (as the conversation's)", "staff; assigned crew", ok::<Page<Message>>(c)) },
        SendProjectMessage => Op { request: body::<NewMessage>(c), creates: true, ..op("Send in the project conversation", "staff; assigned crew", created::<Message>(c)) },
        CreateConversation => Op { request: body::<NewConversation>(c), creates: true, ..op("Open a conversation with a customer", "staff; a customer for themself", created::<Conversation>(c)) },
        ListConversations => Op { query: conversation_filters(c), ..op("Conversations the caller takes part in, most recent activity first", "any token (filtered to what the caller may see)", ok::<Page<Conversation>>(c)) },
        GetConversation => op("One conversation, with the caller's unread_count", "participants", ok::<Conversation>(c)),
        PatchConversation => Op { request: body::<ConversationPatch>(c), ..op("Change status, assignee (null unassigns) or tags", "staff", ok::<Conversation>(c)) },
        ReadConversation => Op { request: body::<ReadUpTo>(c), ..op("Mark messages up to up_to (default: all) as read by the caller", "participants", ok::<Conversation>(c)) },
        ListMessages => Op { query: paging(Cursor::Ordinal), ..op("The newest `limit` messages before the cursor, in ascending time order; next_cursor pages to older ones", "participants (staff-only notes only for staff)", ok::<Page<Message>>(c)) },
        SendMessage => Op { request: body::<NewMessage>(c), creates: true, ..op("Send a message, log a call, or write a staff-only note", "participants; customers in_app only; crew in_app or phone", created::<Message>(c)) },
        GetMessage => op("One message", "participants (staff-only notes only for staff)", ok::<Message>(c)),
        MessageDelivered => op("Record delivery to the caller", "participants other than the sender", ok::<Receipts>(c)),
        MessageRead => op("Record that the caller read this message and every earlier one in its conversation", "participants other than the sender", ok::<Receipts>(c)),
        MessageReceipts => op("Per-recipient receipts and the message's status", "participants", ok::<Receipts>(c)),
        WebSocket => Op {
            query: websocket_query(c),
            ..op("Upgrade to the real-time WebSocket: a hello frame, then every event the caller may see as JSON text frames (schemas Event and LiveFrame; typing and presence frames without seq); client frames (schema ClientFrame) typing, delivered, read and ping; client frames over 64 KiB close with 1009, a client too slow to keep up is closed with 1013; a browser Origin other than the daemon's own or an allowed one is 403", "any token, as a bearer header or a ticket", (101, None))
        },
        WsTicket => Op { request: body::<NewWsTicket>(c), creates: true, ..op("A single-use ticket for GET /api/v1/ws?ticket=, valid 60 s (for browsers, which cannot set headers on a WebSocket). A repeated Idempotency-Key is refused (409): tickets are not kept", "any token", created::<wire::WsTicket>(c)) },
        UploadFile => Op { creates: true, ..op("Upload one file (multipart part `file`, or the raw body with Content-Type and ?name=); the type is decided from the bytes; images get dimensions and a thumbnail, and those over 2 MiB are stored re-encoded (compressed, original_size)", "any token", created::<FileMeta>(c)) },
        UploadFiles => Op { creates: true, ..op("Upload many files (multipart parts named `files`); each file succeeds or fails on its own", "any token", ok::<BatchUpload>(c)) },
        GetFile => op("The file's bytes, streamed, with ETag, If-None-Match (304) and Range (206, 416)", "its uploader, staff, participants of a conversation with a message carrying it; 404 for anyone else", ok::<FileMeta>(c)),
        GetFileMeta => op("The file's description", "its uploader, staff, participants of a conversation with a message carrying it; 404 for anyone else", ok::<FileMeta>(c)),
        GetFileThumbnail => op("The image's thumbnail (longest side at most 320 px, JPEG or PNG); 404 for files without one (not an image, or HEIC)", "as for the file", ok::<FileMeta>(c)),
        Presence => op("Every user: whether they have a WebSocket open, and when they were last seen (now, for those online)", "staff", ok::<Vec<wire::Presence>>(c)),
        SearchMessages => Op { query: search_filters(c), ..op("Find messages by their words (subject, body, attachment names) and filters, newest first or by relevance, each with a snippet around the match", "any token (finds only what the caller may see: staff-only notes for staff only)", ok::<Page<SearchHit>>(c)) },
        ListTemplates => Op { query: paging(Cursor::Id), ..op("Templates, oldest first", "staff", ok::<Page<Template>>(c)) },
        CreateTemplate => Op { request: body::<NewTemplate>(c), creates: true, ..op("Create a template. Names are unique ignoring case (409 on a duplicate); an unknown or malformed placeholder is 422 naming subject or body", "staff", created::<Template>(c)) },
        GetTemplate => op("One template", "staff", ok::<Template>(c)),
        PutTemplate => Op { request: body::<TemplateUpdate>(c), ..op("Change a template: the fields given replace the template's, absent ones stay; channel null: any channel, subject null: none. Checked as on create (409, 422)", "staff", ok::<Template>(c)) },
        DeleteTemplate => op("Delete a template; messages sent from it keep its template_id, and it can no longer be sent (422 on template_id) or rendered (404)", "staff", (204, None)),
        RenderTemplate => Op { request: body::<wire::RenderTemplate>(c), ..op("Render a template for a conversation (its customer and project) or a customer; a placeholder without a value is 422 on variables naming every one", "staff", ok::<RenderedTemplate>(c)) },
        AnalyticsOverview => Op { query: analytics_range(), ..op("Messages by channel, direction and day, read and attachment rates, response times, conversations by status and active customers, over customer conversations (staff-only notes and crew channels never count)", "staff", ok::<wire::AnalyticsOverview>(c)) },
        AnalyticsCustomer => Op { query: analytics_customer_query(), ..op("The overview's figures for one customer, with first and last contact and engagement score; ?explain=true lists the response-time turns", "staff", ok::<wire::CustomerAnalytics>(c)) },
        AnalyticsAgents => Op { query: analytics_range(), ..op("Per staff member: replies sent, open conversations assigned now, and response times of the turns their replies ended", "staff", ok::<wire::AgentsAnalytics>(c)) },
        InboundSms => op("Inbound SMS webhook (Twilio-style application/x-www-form-urlencoded: From, Body, MessageSid, MediaUrl0…), authenticated by X-Twilio-Signature (HMAC-SHA1 with the SMS auth token over {public-url}/api/v1/inbound/sms and the sorted parameters; 403 when it does not match). The sender's phone finds the customer (an unknown number becomes a new customer); the message lands as inbound sms in their open conversation (a new one if none is open); media are fetched and stored as attachments through the upload pipeline (one that cannot be fetched stays a link in the body). 201 with the message; a retry of the same MessageSid stores nothing and answers 200", "anyone, no token: the signature authenticates", created::<Message>(c)),
        InboundEmail => Op { request: body::<wire::InboundEmail>(c), ..op("Inbound email webhook, authenticated by X-Commcenter-Signature: sha256=<hex HMAC-SHA256 of the body with the inbound email secret> (403 when it does not match). The sender's address finds the customer (an unknown one becomes a new customer); the message lands as inbound email in the conversation of the message in_reply_to names (when it is the customer's), else their open conversation, else a new one. Attachments go through the upload pipeline (type from the bytes: 415; size limit: 413; bad base64: 400). 201 with the message; a retry of the same message_id stores nothing and answers 200", "anyone, no token: the signature authenticates", created::<Message>(c)) },
        Media => op("An SMS attachment's MediaUrl: the file's bytes by a signed, expiring link (default 7 days), with ETag and Range as for files; 404 once expired or when the link does not verify", "anyone, no token: the link's signature authenticates", ok::<FileMeta>(c)),
        RetryMessage => op("Queue a failed sms or email message again (status queued, a fresh retry budget; attempts keep counting); 409 unless the message is failed", "staff", ok::<Message>(c)),
        PortalLink => Op { request: body::<wire::NewPortalLink>(c), creates: true, ..op("A single-use sign-in link for a customer ({public_url}/portal#code=…) or crew member (/crew#code=…), valid 7 days by default (--portal-link-days); a staff user is 422. The code is in this answer only: a repeated Idempotency-Key is refused (409)", "staff", created::<wire::PortalLink>(c)) },
        RedeemPortal => Op { request: body::<wire::PortalRedeem>(c), ..op("Redeem a sign-in link's code for a token of its user (label portal, valid 30 days by default: --portal-token-days). The code works once; an unknown, used or expired code is 401", "anyone, no token: the code authenticates", created::<wire::PortalSession>(c)) },
    }
}

/// `?since=&until=&tz=` of the analytics routes (`AnalyticsQuery::parse`).
fn analytics_range() -> Vec<Param> {
    let time = json!({
        "type": "string",
        "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}([Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2}))?$",
        "description": "RFC 3339 time, or YYYY-MM-DD (the start of that day in tz)"
    });
    vec![
        Param {
            name: "since",
            description:
                "start of the range, inclusive (default: the first message, i.e. all time)",
            schema: time.clone(),
        },
        Param {
            name: "until",
            description: "end of the range, exclusive (default: now); not before since",
            schema: time,
        },
        Param {
            name: "tz",
            description: "IANA time zone of the daily series' calendar days (default UTC)",
            schema: json!({"type": "string", "pattern": "^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$", "examples": ["Europe/London"]}),
        },
    ]
}

fn analytics_customer_query() -> Vec<Param> {
    let mut params = analytics_range();
    params.push(Param {
        name: "explain",
        description: "true: also list the response-time turns behind the figures",
        schema: json!({"type": "boolean"}),
    });
    params
}
