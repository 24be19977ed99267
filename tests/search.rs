//! `GET /api/v1/search/messages`: what each query finds, each filter, the
//! date bounds, pages, and who finds what.

mod common;

use commcenter::client::Client;
use commcenter::wire::{
    Channel, Direction, Message, MessageStatus, NewMessage, SearchHit, SearchQuery, SearchSort,
};
use commcenter::Id;
use common::{create_project, error_of, get, open_conversation, send_text, text, Chat};

fn q(words: &str) -> SearchQuery {
    SearchQuery {
        q: Some(words.to_owned()),
        ..Default::default()
    }
}

/// Every hit of `query` as `by`, following cursors with pages of `limit`.
async fn all_hits(by: &Client, query: &SearchQuery, limit: usize) -> Vec<SearchHit> {
    let mut hits = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let page = by
            .search_messages(query, Some(limit), cursor.as_deref())
            .await
            .expect("search");
        assert!(page.items.len() <= limit);
        hits.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return hits,
        }
    }
    panic!("pages never ended");
}

async fn bodies(by: &Client, query: &SearchQuery) -> Vec<String> {
    all_hits(by, query, 50)
        .await
        .into_iter()
        .map(|h| h.message.body)
        .collect()
}

async fn found(by: &Client, words: &str) -> Vec<String> {
    bodies(by, &q(words)).await
}

fn on(channel: Channel, body: &str) -> NewMessage {
    NewMessage {
        channel: Some(channel),
        ..text(body)
    }
}

async fn say(chat: &Chat, body: &str) -> Message {
    send_text(&chat.agent.client, chat.conversation, body).await
}

#[tokio::test]
async fn every_word_must_match() {
    let chat = Chat::start().await;
    say(&chat, "The invoice photo from March").await;
    say(&chat, "Invoice paid").await;
    say(&chat, "A photo of the gate").await;
    assert_eq!(
        found(&chat.agent.client, "photo invoice").await,
        ["The invoice photo from March"]
    );
    assert_eq!(found(&chat.agent.client, "photo").await.len(), 2);
    assert!(found(&chat.agent.client, "invoice kitchen")
        .await
        .is_empty());
}

#[tokio::test]
async fn case_and_accents_are_ignored_both_ways() {
    let chat = Chat::start().await;
    say(&chat, "Frau MÜLLER called about the façade").await;
    let me = &chat.agent.client;
    assert_eq!(found(me, "muller facade").await.len(), 1);
    assert_eq!(found(me, "Müller FAÇADE").await.len(), 1);
    assert_eq!(found(me, "mueller").await.len(), 0, "no fuzzy spelling");
}

#[tokio::test]
async fn the_last_word_matches_as_a_prefix_and_only_the_last() {
    let chat = Chat::start().await;
    say(&chat, "invoice sent").await;
    say(&chat, "inventory check").await;
    let me = &chat.agent.client;
    assert_eq!(found(me, "inv").await.len(), 2);
    assert_eq!(found(me, "invoice").await, ["invoice sent"]);
    assert!(
        found(me, "inv sent").await.is_empty(),
        "inv is a whole word here"
    );
    assert_eq!(found(me, "sent inv").await, ["invoice sent"]);
}

#[tokio::test]
async fn quoted_words_match_as_a_phrase() {
    let chat = Chat::start().await;
    say(&chat, "The crew arrives tomorrow at 8").await;
    say(&chat, "Tomorrow arrives the crew").await;
    let me = &chat.agent.client;
    assert_eq!(
        found(me, r#""crew arrives""#).await,
        ["The crew arrives tomorrow at 8"]
    );
    assert_eq!(found(me, r#""Crew, arrives!" tomorrow"#).await.len(), 1);
    assert_eq!(found(me, "crew arrives").await.len(), 2);
}

#[tokio::test]
async fn odd_queries_get_sensible_answers() {
    let chat = Chat::start().await;
    say(&chat, "crew arrives tomorrow").await;
    say(&chat, "the boiler").await;
    let me = &chat.agent.client;
    assert_eq!(
        found(me, r#"crew "arrives"#).await.len(),
        1,
        "unbalanced quote"
    );
    assert_eq!(
        found(me, "?!... --").await.len(),
        2,
        "punctuation: filters alone"
    );
    assert_eq!(bodies(me, &SearchQuery::default()).await.len(), 2, "no q");
    assert_eq!(found(me, r#""""#).await.len(), 2);

    let long = get(
        me,
        &format!("/api/v1/search/messages?q={}", "a".repeat(1001)),
    )
    .await;
    assert_eq!(long.status, 400);
    assert_eq!(error_of(&long).field.as_deref(), Some("q"));
    let many = vec!["w"; 33].join("+");
    let many = get(me, &format!("/api/v1/search/messages?q={many}")).await;
    assert_eq!(many.status, 400);
    assert_eq!(error_of(&many).field.as_deref(), Some("q"));
}

#[tokio::test]
async fn bad_parameters_are_400_naming_them() {
    let chat = Chat::start().await;
    let me = &chat.agent.client;
    for (query, field) in [
        ("channel=fax", "channel"),
        ("since=yesterday", "since"),
        ("until=2026-13-01T00:00:00Z", "until"),
        ("has_attachments=maybe", "has_attachments"),
        ("sort=best", "sort"),
        ("customer_id=nope", "customer_id"),
        ("cursor=zzz", "cursor"),
        ("limit=0", "limit"),
    ] {
        let answer = get(me, &format!("/api/v1/search/messages?{query}")).await;
        assert_eq!(answer.status, 400, "{query}");
        assert_eq!(error_of(&answer).field.as_deref(), Some(field), "{query}");
    }
}

#[tokio::test]
async fn subjects_call_notes_and_attachment_names_are_searchable() {
    let chat = Chat::start().await;
    let agent = &chat.agent.client;
    agent
        .send_message(
            chat.conversation,
            &NewMessage {
                channel: Some(Channel::Email),
                subject: Some("Quotation for the extension".into()),
                ..text("Please find it attached.")
            },
        )
        .await
        .unwrap();
    agent
        .send_message(
            chat.conversation,
            &on(Channel::Phone, "Called: wants a skylight"),
        )
        .await
        .unwrap();
    let file = agent
        .upload_file(
            "site_survey_notes.txt",
            "text/plain",
            b"measurements".to_vec(),
        )
        .await
        .unwrap();
    agent
        .send_message(
            chat.conversation,
            &NewMessage {
                attachments: Some(vec![file.id]),
                ..text("Here you go")
            },
        )
        .await
        .unwrap();
    assert_eq!(
        found(agent, "quotation").await,
        ["Please find it attached."]
    );
    assert_eq!(found(agent, "skylight").await, ["Called: wants a skylight"]);
    assert_eq!(found(agent, "survey notes").await, ["Here you go"]);
    let hit = &all_hits(agent, &q("survey"), 10).await[0];
    assert!(hit.snippet.contains("survey"), "{}", hit.snippet);
}

#[tokio::test]
async fn the_snippet_shows_the_match_in_its_context() {
    let chat = Chat::start().await;
    let long = format!(
        "{} the water heater is leaking {}",
        "Hello. ".repeat(40),
        "Bye. ".repeat(40)
    );
    say(&chat, &long).await;
    let hit = &all_hits(&chat.agent.client, &q("heater"), 10).await[0];
    assert!(
        hit.snippet.contains("water heater is leaking"),
        "{}",
        hit.snippet
    );
    assert!(hit.snippet.starts_with('…') && hit.snippet.ends_with('…'));
    assert!(hit.snippet.chars().count() <= 162);
}

#[tokio::test]
async fn each_filter_narrows_the_answer() {
    let chat = Chat::start().await;
    let agent = &chat.agent.client;
    let other = chat.daemon.customer("Otto Other").await;
    let other_conversation = open_conversation(agent, other.id()).await.id;
    say(&chat, "boiler outbound in app").await;
    agent
        .send_message(chat.conversation, &on(Channel::Phone, "boiler phone call"))
        .await
        .unwrap();
    send_text(
        &chat.ann.client,
        chat.conversation,
        "boiler inbound from Ann",
    )
    .await;
    send_text(agent, other_conversation, "boiler for Otto").await;
    let file = agent
        .upload_file("boiler.txt", "text/plain", b"spec".to_vec())
        .await
        .unwrap();
    agent
        .send_message(
            other_conversation,
            &NewMessage {
                attachments: Some(vec![file.id]),
                ..text("boiler spec attached")
            },
        )
        .await
        .unwrap();
    let with = |f: fn(&mut SearchQuery)| {
        let mut query = q("boiler");
        f(&mut query);
        query
    };
    let ann = chat.ann.id();
    let conversation = chat.conversation;
    let cases: Vec<(SearchQuery, Vec<&str>)> = vec![
        (
            with(|s| s.channel = Some(Channel::Phone)),
            vec!["boiler phone call"],
        ),
        (
            with(|s| s.direction = Some(Direction::Inbound)),
            vec!["boiler inbound from Ann"],
        ),
        (
            with(|s| s.has_attachments = Some(true)),
            vec!["boiler spec attached"],
        ),
        (
            SearchQuery {
                customer_id: Some(ann),
                ..q("boiler")
            },
            vec![
                "boiler inbound from Ann",
                "boiler phone call",
                "boiler outbound in app",
            ],
        ),
        (
            SearchQuery {
                conversation_id: Some(conversation),
                channel: Some(Channel::InApp),
                ..q("boiler")
            },
            vec!["boiler inbound from Ann", "boiler outbound in app"],
        ),
        (with(|s| s.status = Some(MessageStatus::Failed)), vec![]),
    ];
    for (query, want) in cases {
        assert_eq!(bodies(agent, &query).await, want, "{query:?}");
    }
    let no_attachments = with(|s| s.has_attachments = Some(false));
    assert_eq!(bodies(agent, &no_attachments).await.len(), 4);
}

#[tokio::test]
async fn the_status_filter_follows_receipts() {
    let chat = Chat::start().await;
    let read = say(&chat, "gutter quote").await;
    say(&chat, "gutter photos").await;
    chat.ann.client.mark_read(read.id).await.unwrap();
    let query = SearchQuery {
        status: Some(MessageStatus::Read),
        ..q("gutter")
    };
    assert_eq!(bodies(&chat.agent.client, &query).await, ["gutter quote"]);
}

#[tokio::test]
async fn since_is_inclusive_and_until_exclusive() {
    let chat = Chat::start().await;
    let first = say(&chat, "tile order one").await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let second = say(&chat, "tile order two").await;
    let me = &chat.agent.client;
    let range = |since, until| SearchQuery {
        since,
        until,
        ..q("tile")
    };
    assert_eq!(
        bodies(me, &range(Some(second.created_at), None)).await,
        ["tile order two"]
    );
    assert_eq!(
        bodies(me, &range(None, Some(second.created_at))).await,
        ["tile order one"]
    );
    assert_eq!(
        bodies(
            me,
            &range(
                Some(first.created_at),
                Some(first.created_at.plus_millis(1))
            )
        )
        .await,
        ["tile order one"]
    );
    let backwards = range(Some(second.created_at), Some(first.created_at));
    assert!(
        bodies(me, &backwards).await.is_empty(),
        "since after until is an empty range"
    );
}

#[tokio::test]
async fn pages_have_no_duplicates_or_gaps_newest_first() {
    let chat = Chat::start().await;
    for n in 0..23 {
        say(&chat, &format!("roof update {n}")).await;
    }
    let hits = all_hits(&chat.agent.client, &q("roof"), 5).await;
    let bodies: Vec<String> = hits.iter().map(|h| h.message.body.clone()).collect();
    let want: Vec<String> = (0..23).rev().map(|n| format!("roof update {n}")).collect();
    assert_eq!(bodies, want);
}

#[tokio::test]
async fn relevance_puts_the_best_match_first_and_pages_through_all() {
    let chat = Chat::start().await;
    say(&chat, "drain").await;
    for n in 0..12 {
        say(
            &chat,
            &format!(
                "a long message about many things, the garden, the fence, and also the drain {n}"
            ),
        )
        .await;
    }
    say(&chat, "drain drain blocked drain").await;
    let query = SearchQuery {
        sort: SearchSort::Relevance,
        ..q("drain")
    };
    let hits = all_hits(&chat.agent.client, &query, 4).await;
    assert_eq!(hits.len(), 14);
    assert_eq!(hits[0].message.body, "drain drain blocked drain");
    assert_eq!(hits[1].message.body, "drain");
    let mut ids: Vec<Id> = hits.iter().map(|h| h.message.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 14, "no duplicates");
}

#[tokio::test]
async fn a_customer_finds_only_their_own_and_never_a_note() {
    let chat = Chat::start().await;
    let agent = &chat.agent.client;
    for n in 0..30 {
        let other = chat.daemon.customer(&format!("Other {n}")).await;
        let c = open_conversation(agent, other.id()).await.id;
        send_text(agent, c, "window fitting booked").await;
    }
    say(&chat, "window fitting booked for Ann").await;
    send_text(
        &chat.ann.client,
        chat.conversation,
        "window fitting: thanks",
    )
    .await;
    agent
        .send_message(
            chat.conversation,
            &NewMessage {
                private: Some(true),
                ..text("window fitting: Ann is difficult")
            },
        )
        .await
        .unwrap();
    let ann = &chat.ann.client;
    let page = ann
        .search_messages(&q("window fitting"), Some(1), None)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1, "the page is full");
    assert!(page.next_cursor.is_some());
    let mine = bodies(ann, &q("window fitting")).await;
    assert_eq!(
        mine,
        ["window fitting: thanks", "window fitting booked for Ann"]
    );
    let staff = found(agent, "window fitting").await;
    assert_eq!(staff.len(), 33, "staff see every message and the note");
    let other_customer = SearchQuery {
        customer_id: Some(Id::generate(0)),
        ..q("window")
    };
    assert!(bodies(ann, &other_customer).await.is_empty());
}

#[tokio::test]
async fn crew_find_only_their_projects_messages() {
    let chat = Chat::start().await;
    let agent = &chat.agent.client;
    let carl = chat.daemon.crew("Carl Crew").await;
    let dana = chat.daemon.crew("Dana Crew").await;
    let mine = create_project(agent, chat.ann.id(), vec![carl.id()]).await;
    let theirs = create_project(agent, chat.ann.id(), vec![dana.id()]).await;
    send_text(agent, mine.conversation_id, "scaffold up on Monday").await;
    send_text(agent, theirs.conversation_id, "scaffold down on Friday").await;
    say(&chat, "scaffold questions from Ann's conversation").await;
    assert_eq!(
        found(&carl.client, "scaffold").await,
        ["scaffold up on Monday"]
    );
    assert_eq!(
        found(&dana.client, "scaffold").await,
        ["scaffold down on Friday"]
    );
    let by_project = SearchQuery {
        project_id: Some(mine.id),
        ..q("scaffold")
    };
    assert_eq!(bodies(agent, &by_project).await, ["scaffold up on Monday"]);
    assert_eq!(
        found(&chat.ann.client, "scaffold").await,
        ["scaffold questions from Ann's conversation"],
        "the crew channel is not the customer's"
    );
}

#[tokio::test]
async fn what_was_indexed_is_found_after_a_restart() {
    let chat = Chat::start().await;
    say(&chat, "radiator valve").await;
    let daemon = chat.daemon.restart().await;
    let hits = daemon
        .admin
        .search_messages(&q("radiator"), None, None)
        .await
        .unwrap();
    assert_eq!(hits.items.len(), 1);
}

#[tokio::test]
async fn a_store_from_before_search_is_indexed_at_start() {
    let chat = Chat::start().await;
    for n in 0..7 {
        say(&chat, &format!("chimney sweep {n}")).await;
    }
    let addr = chat.daemon.addr();
    let dir = chat.daemon.stop().await;
    commcenter_store::Store::drop_search_index(&common::store_path(dir.path())).unwrap();
    let daemon = common::TestDaemon::start_at(dir, &addr).await;
    assert_eq!(found(&daemon.admin, "chimney").await.len(), 7);
    send_text(&daemon.admin, chat.conversation, "chimney cowl").await;
    assert_eq!(
        found(&daemon.admin, "chimney").await.len(),
        8,
        "new ones too, once"
    );
}

/// The demo data is imported conversation by conversation, each with its own
/// history, so its messages reach the index out of time order: the index
/// puts each in its place, and a search by filters alone lists them all,
/// newest first, each once.
#[tokio::test]
async fn history_imported_out_of_order_is_found_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let daemon = common::TestDaemon::start_with(dir, |s| s.demo = true).await;
    let hits = all_hits(&daemon.admin, &SearchQuery::default(), 37).await;
    assert!(hits.len() > 100, "the demo's messages: {}", hits.len());
    let times: Vec<_> = hits.iter().map(|h| h.message.created_at).collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "newest first throughout"
    );
    let mut ids: Vec<Id> = hits.iter().map(|h| h.message.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), hits.len(), "each message once");
}
