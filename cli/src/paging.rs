//! Following `next_cursor`: the first page, or every page with `--all`.
//! The one place lists page, so `--limit` and `--all` mean the same in
//! every subcommand.

use std::future::Future;

use commcenter::client::ClientError;
use commcenter::wire::Page;
use serde::Serialize;

use crate::output::Output;

/// With `--json`, prints each page's items as JSON Lines as the page
/// arrives (a long `--all` starts printing at once) and answers `None`;
/// otherwise answers every item, for a table that needs them all to align.
pub async fn list<T, F, Fut>(
    out: &Output,
    all: bool,
    mut fetch: F,
) -> anyhow::Result<Option<Vec<T>>>
where
    T: Serialize,
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<Page<T>, ClientError>>,
{
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = fetch(cursor.take()).await?;
        if out.is_json() {
            for item in &page.items {
                out.json_line(item)?;
            }
        } else {
            items.extend(page.items);
        }
        match page.next_cursor {
            Some(next) if all => cursor = Some(next),
            _ => break,
        }
    }
    Ok((!out.is_json()).then_some(items))
}
