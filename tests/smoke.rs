mod common;

use commcenter::wire::{NewConversation, NewMessage, Role};
use common::TestDaemon;

#[tokio::test]
async fn an_agent_message_reaches_the_customer() {
    let daemon = TestDaemon::start().await;
    let (customer, customer_client) = daemon.user(Role::Customer, "Ann Customer").await;
    let (_, agent) = daemon.user(Role::Agent, "Bob Agent").await;
    let conversation = agent
        .create_conversation(&NewConversation {
            customer_id: customer.id,
            subject: Some("Boiler".into()),
        })
        .await
        .unwrap();
    let sent = agent
        .send_message(
            conversation.id,
            &NewMessage {
                body: Some("We'll be there at 9".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let page = customer_client
        .list_messages(conversation.id, None, None)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.items[0].id, sent.id);
    let listed = customer_client
        .get_conversation(conversation.id)
        .await
        .unwrap();
    assert_eq!(listed.unread_count, 1);
    daemon.stop().await;
}
