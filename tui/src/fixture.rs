//! Fixed data for snapshot tests and the benchmark: a few staff, customers
//! and crew, conversations in every state and messages showing every
//! feature (receipts, a failed SMS, a private note, an attachment, a crew
//! location). Ids and times are fixed so that screens are reproducible.

use commcenter::wire::{
    Channel, Conversation, ConversationKind, ConversationStatus, Direction, FileMeta, Location,
    Message, MessageStatus, Role, User,
};
use commcenter::{Id, Timestamp};

use crate::state::{App, Thread};

/// 2026-11-26T14:30:00Z: "now" in every fixture.
pub const NOW: Timestamp = Timestamp::from_millis(1_795_703_400_000);
const MINUTE: i64 = 60_000;

pub const PRIYA: Id = Id::from_u128(1);
pub const TOM: Id = Id::from_u128(2);
pub const AISHA: Id = Id::from_u128(10);
pub const BEN: Id = Id::from_u128(11);
pub const CARMEN: Id = Id::from_u128(12);
pub const MAREK: Id = Id::from_u128(20);

pub const BOILER: Id = Id::from_u128(100);
pub const INVOICE: Id = Id::from_u128(101);
pub const KITCHEN: Id = Id::from_u128(102);
pub const CREW: Id = Id::from_u128(103);

fn ago(minutes: i64) -> Timestamp {
    NOW.plus_millis(-minutes * MINUTE)
}

fn user(id: Id, name: &str, role: Role) -> User {
    User {
        id,
        name: name.to_owned(),
        role,
        email: None,
        phone: None,
        created_at: ago(60 * 24 * 30),
        last_seen_at: None,
    }
}

pub fn users() -> Vec<User> {
    vec![
        user(PRIYA, "Priya Shah", Role::Agent),
        user(TOM, "Tom Baker", Role::Agent),
        user(AISHA, "Aisha Khan", Role::Customer),
        user(BEN, "Ben Whitfield", Role::Customer),
        user(CARMEN, "Carmen Ruiz", Role::Customer),
        user(MAREK, "Marek Nowak", Role::Crew),
    ]
}

struct ConversationSpec {
    id: Id,
    customer: Id,
    kind: ConversationKind,
    subject: &'static str,
    status: ConversationStatus,
    assignee: Option<Id>,
    minutes_ago: i64,
    preview: &'static str,
    unread: u64,
}

fn conversation(s: ConversationSpec) -> Conversation {
    Conversation {
        id: s.id,
        kind: s.kind,
        customer_id: s.customer,
        project_id: (s.kind == ConversationKind::Project).then_some(Id::from_u128(900)),
        subject: Some(s.subject.to_owned()),
        status: s.status,
        assignee_id: s.assignee,
        tags: if s.id == BOILER {
            vec!["heating".to_owned(), "urgent".to_owned()]
        } else {
            Vec::new()
        },
        created_at: ago(s.minutes_ago + 600),
        updated_at: ago(s.minutes_ago),
        last_message_at: Some(ago(s.minutes_ago)),
        last_message_preview: Some(s.preview.to_owned()),
        message_count: 5,
        unread_count: s.unread,
    }
}

pub fn conversations() -> Vec<Conversation> {
    use ConversationKind::{Customer, Project};
    use ConversationStatus::{Archived, Closed, Open};
    [
        (
            BOILER,
            AISHA,
            Customer,
            "Boiler pressure",
            Open,
            Some(PRIYA),
            4,
            "The gauge is at 0.5 bar again, is that normal?",
            2,
        ),
        (
            CREW,
            AISHA,
            Project,
            "Khan kitchen refit · crew",
            Open,
            None,
            35,
            "Worktop fitted, photos attached",
            0,
        ),
        (
            INVOICE,
            BEN,
            Customer,
            "Invoice INV-2231",
            Open,
            Some(TOM),
            180,
            "Thanks, I have paid it today.",
            0,
        ),
        (
            KITCHEN,
            CARMEN,
            Customer,
            "Leaking tap",
            Closed,
            None,
            60 * 30,
            "Great, all fixed now!",
            0,
        ),
        (
            Id::from_u128(104),
            BEN,
            Customer,
            "Old quote",
            Archived,
            None,
            60 * 24 * 40,
            "Quote Q-118 attached",
            0,
        ),
    ]
    .into_iter()
    .map(
        |(id, customer, kind, subject, status, assignee, minutes_ago, preview, unread)| {
            conversation(ConversationSpec {
                id,
                customer,
                kind,
                subject,
                status,
                assignee,
                minutes_ago,
                preview,
                unread,
            })
        },
    )
    .collect()
}

fn message(
    n: u128,
    sender: Id,
    direction: Direction,
    channel: Channel,
    minutes_ago: i64,
    body: &str,
) -> Message {
    Message {
        id: Id::from_u128(1000 + n),
        conversation_id: BOILER,
        customer_id: AISHA,
        project_id: None,
        sender_id: sender,
        direction,
        channel,
        subject: None,
        body: body.to_owned(),
        attachments: Vec::new(),
        template_id: None,
        location: None,
        private: false,
        status: MessageStatus::Sent,
        error: None,
        attempts: 0,
        provider_id: None,
        created_at: ago(minutes_ago),
        delivered_at: None,
        read_at: None,
    }
}

fn photo() -> FileMeta {
    FileMeta {
        id: Id::from_u128(5000),
        name: "gauge.jpg".to_owned(),
        content_type: "image/jpeg".to_owned(),
        size: 1_258_291,
        sha256: "0".repeat(64),
        width: Some(1600),
        height: Some(1200),
        compressed: false,
        original_size: None,
        thumbnail: true,
        uploaded_by: AISHA,
        created_at: ago(6),
    }
}

/// The boiler conversation's messages, oldest first.
pub fn boiler_messages() -> Vec<Message> {
    use Channel::{InApp, Sms};
    use Direction::{Inbound, Outbound};
    let mut read = message(
        1,
        PRIYA,
        Outbound,
        InApp,
        50,
        "Hi Aisha, we can send an engineer on Thursday morning.",
    );
    read.status = MessageStatus::Read;
    let mut failed = message(
        2,
        PRIYA,
        Outbound,
        Sms,
        45,
        "Reminder: engineer visit Thursday 9-11am.",
    );
    failed.status = MessageStatus::Failed;
    failed.error = Some("carrier rejected the number".to_owned());
    let mut note = message(
        3,
        TOM,
        Outbound,
        InApp,
        30,
        "Her boiler is a 2009 Vaillant; bring the pressure relief valve kit.",
    );
    note.private = true;
    let mut photo_message = message(4, AISHA, Inbound, InApp, 6, "Here is a photo of the gauge.");
    photo_message.attachments.push(photo());
    let mut delivered = message(
        6,
        PRIYA,
        Outbound,
        InApp,
        3,
        "Thanks! Top it up to 1.5 bar with the filling loop; I'll call you in 10 minutes.",
    );
    delivered.status = MessageStatus::Delivered;
    vec![
        read,
        failed,
        note,
        message(
            5,
            MAREK,
            Inbound,
            InApp,
            5,
            "On site at 14:20, checking the expansion vessel.",
        )
        .located(),
        photo_message,
        message(
            7,
            AISHA,
            Inbound,
            InApp,
            4,
            "The gauge is at 0.5 bar again, is that normal?",
        ),
        delivered,
    ]
    .sorted()
}

trait Fixture {
    fn located(self) -> Self;
}

impl Fixture for Message {
    fn located(mut self) -> Message {
        self.location = Some(Location {
            lat: 51.501_2,
            lon: -0.142_0,
            accuracy_m: Some(8.0),
            recorded_at: Some(self.created_at),
        });
        self
    }
}

trait Sorted {
    fn sorted(self) -> Self;
}

impl Sorted for Vec<Message> {
    fn sorted(mut self) -> Self {
        self.sort_by_key(|m| (m.created_at, m.id));
        self
    }
}

/// An app signed in as Priya with the fixture's users and conversations.
pub fn app() -> App {
    let mut app = App::new(NOW, true);
    for u in users() {
        app.users.insert(u.id, u);
    }
    app.me = app.users.get(&PRIYA).cloned();
    app.connection = crate::action::ConnState::Connected;
    app.list.filter.status = crate::state::StatusFilter::All;
    app.list.replace(conversations());
    app.list.last_channel.insert(BOILER, Channel::InApp);
    app.list.last_channel.insert(INVOICE, Channel::Email);
    app.list.last_channel.insert(KITCHEN, Channel::Sms);
    for p in presence() {
        app.presence.insert(p.user_id, p);
    }
    app
}

/// Aisha is on the portal now; Ben was, three hours ago; the others never.
pub fn presence() -> Vec<commcenter::wire::Presence> {
    use commcenter::wire::Presence;
    vec![
        Presence {
            user_id: AISHA,
            online: true,
            last_seen_at: Some(NOW),
        },
        Presence {
            user_id: BEN,
            online: false,
            last_seen_at: Some(ago(180)),
        },
        Presence {
            user_id: CARMEN,
            online: false,
            last_seen_at: None,
        },
    ]
}

/// [`app`] with the boiler conversation open.
pub fn app_in_thread() -> App {
    let mut app = app();
    let conversation = conversations()
        .into_iter()
        .find(|c| c.id == BOILER)
        .expect("boiler");
    let mut thread = Thread::new(conversation, None);
    thread.set_newest(boiler_messages(), Some("older".to_owned()));
    app.thread = Some(thread);
    app.screen = crate::state::Screen::Thread;
    app
}

/// A thread of `n` messages with bodies of varied length, for the benchmark.
pub fn long_thread(n: usize) -> Vec<Message> {
    (0..n)
        .map(|i| {
            let inbound = i % 3 != 0;
            let (sender, direction) = if inbound {
                (AISHA, Direction::Inbound)
            } else {
                (PRIYA, Direction::Outbound)
            };
            let words = 8 + (i * 7) % 60;
            let body = (0..words)
                .map(|w| {
                    [
                        "boiler", "pressure", "engineer", "Thursday", "valve", "thanks",
                    ][(i + w) % 6]
                })
                .collect::<Vec<_>>()
                .join(" ");
            let mut m = message(
                i as u128 + 10_000,
                sender,
                direction,
                Channel::InApp,
                (n - i) as i64,
                &body,
            );
            m.status = MessageStatus::Read;
            m
        })
        .collect()
}

pub const KITCHEN_PROJECT: Id = Id::from_u128(900);
pub const LOFT_PROJECT: Id = Id::from_u128(901);
pub const SOFIA: Id = Id::from_u128(21);
pub const ARRIVAL: Id = Id::from_u128(3000);
pub const INVOICE_SENT: Id = Id::from_u128(3001);

/// The customers, with contact details, as the customers screen lists them.
pub fn customers() -> Vec<User> {
    let mut aisha = user(AISHA, "Aisha Khan", Role::Customer);
    aisha.phone = Some("+44 7700 900300".to_owned());
    aisha.email = Some("aisha@mail.example".to_owned());
    aisha.last_seen_at = Some(ago(4));
    let mut ben = user(BEN, "Ben Whitfield", Role::Customer);
    ben.email = Some("ben@mail.example".to_owned());
    let mut carmen = user(CARMEN, "Carmen Ruiz", Role::Customer);
    carmen.phone = Some("+44 7700 900302".to_owned());
    vec![aisha, ben, carmen]
}

pub fn projects() -> Vec<commcenter::wire::Project> {
    use commcenter::wire::{Project, ProjectStatus};
    vec![
        Project {
            id: KITCHEN_PROJECT,
            name: "Khan kitchen refit".to_owned(),
            customer_id: AISHA,
            customer_first_name: Some("Aisha".to_owned()),
            address: Some("14 Elm Road, Leeds LS6 2AB".to_owned()),
            crew_ids: vec![MAREK, SOFIA],
            status: ProjectStatus::Active,
            conversation_id: CREW,
            created_at: ago(60 * 24 * 10),
        },
        Project {
            id: LOFT_PROJECT,
            name: "Loft insulation".to_owned(),
            customer_id: BEN,
            customer_first_name: Some("Ben".to_owned()),
            address: None,
            crew_ids: Vec::new(),
            status: ProjectStatus::Done,
            conversation_id: Id::from_u128(105),
            created_at: ago(60 * 24 * 40),
        },
    ]
}

/// Marek's located message in the kitchen crew channel.
pub fn crew_messages() -> Vec<Message> {
    let mut m = message(
        20,
        MAREK,
        Direction::Inbound,
        Channel::InApp,
        35,
        "Worktop fitted, photos attached",
    )
    .located();
    m.conversation_id = CREW;
    m.project_id = Some(KITCHEN_PROJECT);
    vec![m]
}

fn figures(days: &[(u64, u64)]) -> commcenter::wire::AnalyticsOverview {
    use commcenter::wire::{
        AnalyticsOverview, ChannelCounts, ConversationCounts, DailyVolume, DirectionCounts,
        ResponseTime,
    };
    let inbound: u64 = days.iter().map(|d| d.0).sum();
    let outbound: u64 = days.iter().map(|d| d.1).sum();
    AnalyticsOverview {
        since: Some(ago(60 * 24 * 29)),
        until: Some(NOW),
        tz: "UTC".to_owned(),
        total_messages: inbound + outbound,
        by_channel: ChannelCounts {
            in_app: (inbound + outbound) / 2,
            sms: (inbound + outbound) / 4,
            email: (inbound + outbound) / 8,
            phone: (inbound + outbound)
                - (inbound + outbound) / 2
                - (inbound + outbound) / 4
                - (inbound + outbound) / 8,
        },
        by_direction: DirectionCounts { inbound, outbound },
        read_rate: Some(0.82),
        attachment_rate: Some(0.04),
        response_time: ResponseTime {
            count: 40,
            unanswered: 3,
            mean_s: Some(2_460.0),
            median_s: Some(725.0),
            p90_s: Some(11_100.0),
        },
        conversations: ConversationCounts {
            open: 8,
            closed: 4,
            archived: 2,
        },
        active_customers: 3,
        daily: days
            .iter()
            .enumerate()
            .map(|(i, (inbound, outbound))| DailyVolume {
                date: format!("2026-{:02}-{:02}", 10 + (i + 28) / 31, (i + 28) % 31 + 1),
                inbound: *inbound,
                outbound: *outbound,
            })
            .collect(),
    }
}

/// Thirty days of traffic with a weekly rhythm.
pub fn overview() -> commcenter::wire::AnalyticsOverview {
    let days: Vec<(u64, u64)> = (0..30u64)
        .map(|d| {
            let weekend = d % 7 >= 5;
            let base = if weekend { 2 } else { 6 + d % 5 };
            (base, base.saturating_sub(1))
        })
        .collect();
    figures(&days)
}

/// A customer's all-time figures.
pub fn customer_figures(customer_id: Id, score: f64) -> commcenter::wire::CustomerAnalytics {
    let days: Vec<(u64, u64)> = (0..30u64).map(|d| (d % 3, d % 2)).collect();
    commcenter::wire::CustomerAnalytics {
        customer_id,
        figures: figures(&days),
        first_contact_at: Some(ago(60 * 24 * 29)),
        last_contact_at: Some(ago(4)),
        engagement_score: score,
        turns: None,
    }
}

pub fn templates() -> Vec<commcenter::wire::Template> {
    use commcenter::wire::Template;
    vec![
        Template {
            id: ARRIVAL,
            name: "Crew arrives tomorrow".to_owned(),
            channel: Some(Channel::Sms),
            subject: None,
            body: "Hi {{customer.first_name}}, our crew arrives tomorrow between {{var.arrival_window}}.".to_owned(),
            variables: vec!["customer.first_name".to_owned(), "var.arrival_window".to_owned()],
            created_at: ago(60 * 24),
            updated_at: ago(60 * 24),
        },
        Template {
            id: INVOICE_SENT,
            name: "Thanks".to_owned(),
            channel: None,
            subject: None,
            body: "Thanks {{customer.first_name}}!".to_owned(),
            variables: vec!["customer.first_name".to_owned()],
            created_at: ago(60 * 24),
            updated_at: ago(60 * 24),
        },
    ]
}

/// [`app`] with every customer, project and figure loaded.
pub fn app_with_everything() -> App {
    let mut app = app();
    for u in customers() {
        app.users.insert(u.id, u);
    }
    app.users
        .insert(SOFIA, user(SOFIA, "Sofia Reyes", Role::Crew));
    app.customers.items = customers();
    app.customers.loaded = true;
    app.projects.items = projects();
    app.projects.loaded = true;
    app.projects.crew_spots.entry(KITCHEN_PROJECT).or_default();
    app.projects.spots_requested.insert(KITCHEN_PROJECT);
    for m in crew_messages() {
        app.projects.note_location(&m);
    }
    app.analytics.overview = Some(overview());
    app.analytics.top = vec![
        customer_figures(AISHA, 3.4),
        customer_figures(BEN, 1.2),
        customer_figures(CARMEN, 0.3),
    ];
    app
}

/// A file, for attachment tests.
pub fn quote_pdf() -> FileMeta {
    FileMeta {
        id: Id::from_u128(5001),
        name: "quote.pdf".to_owned(),
        content_type: "application/pdf".to_owned(),
        size: 48_213,
        width: None,
        height: None,
        thumbnail: false,
        ..photo()
    }
}
