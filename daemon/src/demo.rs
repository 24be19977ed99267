//! The demo data set.
use commcenter::store::Store;
pub async fn load_if_empty(_store: &Store) -> anyhow::Result<()> {
    Ok(())
}
