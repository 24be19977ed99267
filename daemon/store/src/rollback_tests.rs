//! A write job that fails after changing the store must leave no trace.
//!
//! The writer runs many jobs in one transaction, so a job's writes cannot be
//! undone alone (see `redb_refuses_a_savepoint_once_a_table_is_open`): a job
//! that fails after writing rolls its whole batch back. These tests hold the
//! store to that for every kind of write, and the writer to its promise about
//! the batch: the jobs run before the failing one are answered with an error
//! and keep nothing, the jobs after it run in a fresh transaction.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Waker};

use redb::{Key, ReadableDatabase, ReadableTable, TableHandle, Value};

use super::{DeliveryOutcome, InboundMessage, NewFile, Store, StoreError, StoreOptions, Tx, View};
use commcenter::access::Caller;
use commcenter::wire::{
    Channel, ConversationPatch, ConversationStatus, NewConversation, NewMessage, NewProject,
    NewTemplate, NewToken, NewUser, ProjectPatch, ReceiptState, Role, TemplateUpdate, UserPatch,
};
use commcenter::{Id, Timestamp};

/// Every row of every table, as stored bytes, by table name.
type Dump = BTreeMap<&'static str, Vec<(Vec<u8>, Vec<u8>)>>;

fn rows<K: Key + 'static, V: Value + 'static>(
    table: &impl ReadableTable<K, V>,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    table
        .iter()
        .unwrap()
        .map(|row| {
            let (k, v) = row.unwrap();
            let key = K::as_bytes(&k.value()).as_ref().to_vec();
            let value = V::as_bytes(&v.value()).as_ref().to_vec();
            (key, value)
        })
        .collect()
}

macro_rules! dump {
    ($view:expr; $($table:ident),* $(,)?) => {
        Dump::from([$((stringify!($table), rows(&$view.$table))),*])
    };
}

fn dump_view(view: &View) -> Dump {
    dump!(view;
        meta, user, token, token_hash_token, user_token, project, customer_project,
        crew_project, conversation, activity_conversation, customer_conversation, message,
        conversation_message, message_receipt, conversation_read_marker, event,
        user_idempotency, ws_ticket, file, blob_file, file_message, search_posting,
        search_term, search_doc, search_conversation_doc, template, template_name_template,
        analytics_hour, analytics_message, analytics_active, analytics_customer, analytics_turn,
        analytics_turn_hour, analytics_open_turn, analytics_status,
        analytics_assigned_open, analytics_staff, analytics_contact,
        outbox, provider_message, portal_code,
    )
}

/// The whole store, and a check that the dump names every table in it.
async fn dump_store(store: &Store) -> Dump {
    let dump = store.read(|view| Ok(dump_view(view))).await.unwrap();
    let txn = store.inner.db.get().unwrap().begin_read().unwrap();
    let tables: Vec<String> = txn
        .list_tables()
        .unwrap()
        .map(|t| t.name().to_owned())
        .collect();
    let dumped: Vec<String> = dump.keys().map(|name| name.to_string()).collect();
    assert_eq!(dumped, tables, "the dump misses a table");
    dump
}

/// Who and what the writes below act on.
#[derive(Clone)]
struct Fixture {
    admin: Caller,
    customer: Caller,
    crew: Id,
    project: Id,
    conversation: Id,
    /// An in-app message from the admin to the customer.
    staff_message: Id,
    file: Id,
    token: Id,
    /// The secret of a WebSocket ticket that has expired unredeemed.
    expired_ticket: String,
    /// The secret of a live portal sign-in code of the customer.
    portal_code: String,
    template: Id,
}

fn caller(id: Id, role: Role) -> Caller {
    Caller {
        user_id: id,
        role,
        token_id: id,
    }
}

fn new_user(name: &str, role: Role) -> NewUser {
    NewUser {
        name: name.into(),
        role,
        email: None,
        phone: None,
    }
}

fn new_file() -> NewFile {
    NewFile {
        name: "note.txt".into(),
        content_type: "text/plain".into(),
        size: 5,
        sha256: "ab".repeat(32),
        width: None,
        height: None,
        compressed: false,
        original_size: None,
        thumbnail: None,
    }
}

fn build_fixture(tx: &mut Tx<'_>) -> Result<Fixture, StoreError> {
    let admin = tx.bootstrap_admin("cct_admin")?.expect("an empty store");
    let admin = caller(admin.id, Role::Admin);
    let customer = tx.create_user(&admin, new_user("Ann", Role::Customer))?;
    let customer = caller(customer.id, Role::Customer);
    let crew = tx.create_user(&admin, new_user("Bo", Role::Crew))?.id;
    let project = tx.create_project(
        &admin,
        NewProject {
            name: "Roof".into(),
            customer_id: customer.user_id,
            address: None,
            crew_ids: Some(vec![crew]),
        },
    )?;
    let conversation = tx.create_conversation(
        &admin,
        NewConversation {
            customer_id: customer.user_id,
            subject: None,
        },
    )?;
    let staff_message = tx.send_message(&admin, conversation.id, text("hello"))?;
    let file = tx.create_files(&customer, vec![new_file()])?.remove(0);
    let token = tx.issue_token(&admin, customer.user_id, NewToken::default())?;
    let expired_ticket = tx.issue_ws_ticket(&customer, -1)?.ticket;
    let portal_code = tx
        .issue_portal_code(&admin, customer.user_id, 60_000)?
        .secret;
    // One that expired unredeemed, for the pruning to remove.
    tx.issue_portal_code(&admin, customer.user_id, -1)?;
    let template = tx.create_template(&admin, new_template("Visit"))?.id;
    Ok(Fixture {
        admin,
        customer,
        crew,
        project: project.id,
        conversation: conversation.id,
        staff_message: staff_message.id,
        file: file.id,
        token: token.id,
        expired_ticket,
        portal_code,
        template,
    })
}

fn new_template(name: &str) -> NewTemplate {
    NewTemplate {
        name: name.into(),
        body: "Hello {{customer.first_name}}".into(),
        ..NewTemplate::default()
    }
}

fn text(body: &str) -> NewMessage {
    NewMessage {
        body: Some(body.into()),
        ..NewMessage::default()
    }
}

async fn open_with_fixture() -> (tempfile::TempDir, Store, Fixture) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.redb"), &StoreOptions::default()).unwrap();
    let fixture = store.write(build_fixture).await.unwrap();
    (dir, store, fixture)
}

/// One kind of write the API makes.
type Write = fn(&mut Tx<'_>, &Fixture) -> Result<(), StoreError>;

/// Every kind of write, each touching other tables.
const WRITES: [(&str, Write); 28] = [
    ("create_user", |tx, f| {
        tx.create_user(&f.admin, new_user("Cy", Role::Agent))
            .map(drop)
    }),
    ("patch_user", |tx, f| {
        let patch = UserPatch {
            name: Some("Annie".into()),
            ..UserPatch::default()
        };
        tx.patch_user(&f.admin, f.customer.user_id, patch).map(drop)
    }),
    ("issue_token", |tx, f| {
        tx.issue_token(&f.admin, f.crew, NewToken::default())
            .map(drop)
    }),
    ("revoke_token", |tx, f| tx.revoke_token(&f.admin, f.token)),
    ("create_project", |tx, f| {
        let new = NewProject {
            name: "Porch".into(),
            customer_id: f.customer.user_id,
            address: None,
            crew_ids: Some(vec![f.crew]),
        };
        tx.create_project(&f.admin, new).map(drop)
    }),
    ("patch_project", |tx, f| {
        let patch = ProjectPatch {
            crew_ids: Some(Vec::new()),
            ..ProjectPatch::default()
        };
        tx.patch_project(&f.admin, f.project, patch).map(drop)
    }),
    ("create_conversation", |tx, f| {
        let new = NewConversation {
            customer_id: f.customer.user_id,
            subject: Some("Again".into()),
        };
        tx.create_conversation(&f.customer, new).map(drop)
    }),
    ("patch_conversation", |tx, f| {
        let patch = ConversationPatch {
            status: Some(ConversationStatus::Closed),
            ..ConversationPatch::default()
        };
        tx.patch_conversation(&f.admin, f.conversation, patch)
            .map(drop)
    }),
    ("send_message", |tx, f| {
        let new = NewMessage {
            attachments: Some(vec![f.file]),
            ..text("see attached")
        };
        tx.send_message(&f.customer, f.conversation, new).map(drop)
    }),
    ("acknowledge", |tx, f| {
        tx.acknowledge(&f.customer, f.staff_message, ReceiptState::Delivered)
            .map(drop)
    }),
    ("read_conversation", |tx, f| {
        tx.read_conversation(&f.customer, f.conversation, None)
            .map(drop)
    }),
    ("create_files", |tx, f| {
        tx.create_files(&f.customer, vec![new_file()]).map(drop)
    }),
    ("idempotency_remember", |tx, f| {
        tx.idempotency_remember(&f.admin, "key-1", "fp".into(), 201, "{}".into())
    }),
    ("issue_ws_ticket", |tx, f| {
        tx.issue_ws_ticket(&f.customer, 60_000).map(drop)
    }),
    ("redeem_ws_ticket", |tx, f| {
        tx.redeem_ws_ticket(&f.expired_ticket).map(drop)
    }),
    ("touch_last_seen", |tx, f| {
        tx.touch_last_seen(f.customer.user_id, Timestamp::now())
    }),
    ("prune_events", |tx, _| {
        tx.prune_events(Timestamp::from_millis(i64::MAX), 1_000)
            .map(drop)
    }),
    ("prune_ws_tickets", |tx, _| tx.prune_ws_tickets().map(drop)),
    ("issue_portal_code", |tx, f| {
        tx.issue_portal_code(&f.admin, f.customer.user_id, 60_000)
            .map(drop)
    }),
    ("redeem_portal_code", |tx, f| {
        tx.redeem_portal_code(&f.portal_code, 60_000).map(drop)
    }),
    ("prune_portal_codes", |tx, _| {
        tx.prune_portal_codes().map(drop)
    }),
    ("create_template", |tx, f| {
        tx.create_template(&f.admin, new_template("Quote"))
            .map(drop)
    }),
    ("update_template", |tx, f| {
        let rename = TemplateUpdate {
            name: Some("Site visit".into()),
            ..TemplateUpdate::default()
        };
        tx.update_template(&f.admin, f.template, rename).map(drop)
    }),
    ("delete_template", |tx, f| {
        tx.delete_template(&f.admin, f.template)
    }),
    ("send_message_from_template", |tx, f| {
        let new = NewMessage {
            template_id: Some(f.template),
            ..NewMessage::default()
        };
        tx.send_message(&f.admin, f.conversation, new).map(drop)
    }),
    ("record_delivery", |tx, f| {
        let sms = queued_sms(tx, f)?;
        let retry = DeliveryOutcome::Retry {
            error: "503".into(),
            not_before: Timestamp::now(),
        };
        tx.record_delivery(sms, retry).map(drop)
    }),
    ("retry_delivery", |tx, f| {
        let sms = queued_sms(tx, f)?;
        let failed = DeliveryOutcome::Failed {
            error: "400".into(),
        };
        tx.record_delivery(sms, failed)?;
        tx.retry_delivery(&f.admin, sms).map(drop)
    }),
    ("receive_inbound", |tx, _| {
        let inbound = InboundMessage {
            channel: Channel::Sms,
            from: "+15550001234".into(),
            provider_id: "SM1".into(),
            subject: None,
            body: "hello".into(),
            files: vec![new_file()],
            in_reply_to: None,
        };
        tx.receive_inbound(inbound).map(drop)
    }),
];

/// An SMS from the admin to the fixture's customer (given a phone), queued.
fn queued_sms(tx: &mut Tx<'_>, f: &Fixture) -> Result<Id, StoreError> {
    let patch = UserPatch {
        phone: Some(Some("+15550009876".into())),
        ..UserPatch::default()
    };
    tx.patch_user(&f.admin, f.customer.user_id, patch)?;
    let new = NewMessage {
        channel: Some(Channel::Sms),
        ..text("on our way")
    };
    Ok(tx.send_message(&f.admin, f.conversation, new)?.id)
}

fn refused() -> StoreError {
    StoreError::invalid("test", "refused after writing")
}

#[tokio::test]
async fn a_job_failing_after_any_write_leaves_the_store_as_it_was() {
    for (name, write) in WRITES {
        let (_dir, store, fixture) = open_with_fixture().await;
        let before = dump_store(&store).await;
        let last_seq = store.last_seq();
        let again = fixture.clone();
        let failed = store
            .write(move |tx| {
                write(tx, &fixture)?;
                Err::<(), _>(refused())
            })
            .await;
        assert!(failed.is_err(), "{name}: the failing job was answered Ok");
        assert!(
            dump_store(&store).await == before,
            "{name}: a failed job's write was kept"
        );
        assert_eq!(store.last_seq(), last_seq, "{name}: events were published");

        // The same write in a job that succeeds does change the store, so the
        // check above is not vacuous.
        store.write(move |tx| write(tx, &again)).await.unwrap();
        assert!(
            dump_store(&store).await != before,
            "{name}: the write changes nothing"
        );
        store.close().await;
    }
}

/// Polls a future once: far enough for `Store::write` to hand its job to
/// the writer (its queue has room), not far enough to wait for the answer.
fn submit<F: Future>(write: Pin<&mut F>) {
    let mut cx = Context::from_waker(Waker::noop());
    assert!(
        write.poll(&mut cx).is_pending(),
        "answered before the commit"
    );
}

#[tokio::test]
async fn a_failing_job_rolls_back_its_batch_and_the_jobs_after_it_still_commit() {
    let (_dir, store, f) = open_with_fixture().await;
    // Hold the writer in a job of its own, so that the next three jobs wait
    // in its queue and are taken as one batch, in order.
    let (started, wait_started) = tokio::sync::oneshot::channel();
    let (release, held) = std::sync::mpsc::channel::<()>();
    let blocker = tokio::spawn({
        let store = store.clone();
        async move {
            store
                .write(move |_tx| {
                    let _ = started.send(());
                    let _ = held.recv();
                    Ok(())
                })
                .await
        }
    });
    wait_started.await.unwrap();

    let admin = f.admin;
    let create = move |name: &'static str| {
        move |tx: &mut Tx<'_>| tx.create_user(&admin, new_user(name, Role::Crew))
    };
    let mut before = std::pin::pin!(store.write(create("Before")));
    let mut failing = std::pin::pin!(store.write(move |tx| {
        create("Failing")(tx)?;
        Err::<(), _>(refused())
    }));
    let mut after = std::pin::pin!(store.write(create("After")));
    submit(before.as_mut());
    submit(failing.as_mut());
    submit(after.as_mut());
    release.send(()).unwrap();
    blocker.await.unwrap().unwrap();

    let (before, failing, after) = (before.await, failing.await, after.await);
    assert!(
        before.is_err(),
        "a job rolled back with its batch is answered Ok"
    );
    assert!(failing.is_err());
    let after = after.unwrap();

    let names = store
        .read(move |view| {
            let page = view.list_users(&admin, Some(Role::Crew), None, 100, None)?;
            Ok(page.items.into_iter().map(|u| u.name).collect::<Vec<_>>())
        })
        .await
        .unwrap();
    assert_eq!(names, ["Bo", "After"]);
    assert_eq!(after.name, "After");
    store.close().await;
}

/// Why the writer cannot undo one job alone: redb takes a savepoint only in
/// a transaction that has not opened a table yet (and restores one only
/// while no table is open), and the writer's jobs share open tables.
#[test]
fn redb_refuses_a_savepoint_once_a_table_is_open() {
    let dir = tempfile::tempdir().unwrap();
    let db = redb::Database::create(dir.path().join("s.redb")).unwrap();
    let txn = db.begin_write().unwrap();
    let before = txn.ephemeral_savepoint();
    assert!(before.is_ok());
    txn.open_table(super::tables::META).unwrap();
    let after = txn.ephemeral_savepoint();
    assert!(matches!(after, Err(redb::SavepointError::InvalidSavepoint)));
}
