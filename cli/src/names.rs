//! People's names for tables: a table shows "Helen Carter", not an id.

use std::collections::{HashMap, HashSet};

use commcenter::client::Client;
use commcenter::Id;
use futures_util::stream::{self, StreamExt};

/// At most this many look-ups at once.
const AT_ONCE: usize = 8;

/// The names of the users a table mentions.
#[derive(Debug, Default)]
pub struct Names(HashMap<Id, String>);

impl Names {
    /// Looks each distinct id up once (`GET /users/{id}`, a few at a time).
    /// Users the caller may not look up (customers and crew may look up
    /// nobody) keep their id.
    pub async fn fetch(client: &Client, ids: impl IntoIterator<Item = Id>) -> Names {
        let distinct: HashSet<Id> = ids.into_iter().collect();
        let found = stream::iter(distinct)
            .map(|id| async move { client.get_user(id).await.ok() })
            .buffer_unordered(AT_ONCE)
            .filter_map(|user| async move { user.map(|u| (u.id, u.name)) })
            .collect()
            .await;
        Names(found)
    }

    /// The user's name, or their id when it is unknown.
    pub fn of(&self, id: Id) -> String {
        self.0.get(&id).cloned().unwrap_or_else(|| id.to_string())
    }

    /// [`Names::of`], or `-` for nobody.
    pub fn of_option(&self, id: Option<Id>) -> String {
        id.map_or_else(|| "-".to_owned(), |id| self.of(id))
    }
}
