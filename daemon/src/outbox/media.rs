//! Media links: signed, expiring URLs of files for the SMS provider to fetch
//! (`MediaUrl`), served by `GET /media/{link}` without a token.
//!
//! A link is `{file id}.{expires, unix seconds}.{signature}`, the signature
//! being the hex HMAC-SHA256 of `{file id}.{expires}` under a key kept in
//! the data dir (`media.key`, 32 random bytes, mode 0600; made on first
//! start). Without the key a link cannot be made or altered; past its
//! expiry it is 404, as is any link that does not verify.

use std::path::Path;
use std::time::Duration;

use commcenter::{Id, Timestamp};
use hmac::{Hmac, Mac};

type HmacSha256 = Hmac<sha2::Sha256>;

/// The key's file in the data dir.
pub const MEDIA_KEY_FILE: &str = "media.key";

#[derive(Clone)]
pub struct MediaLinks {
    key: [u8; 32],
    /// `scheme://host[:port]` the links start with.
    base_url: String,
    valid_for: Duration,
}

impl std::fmt::Debug for MediaLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaLinks")
            .field("base_url", &self.base_url)
            .field("valid_for", &self.valid_for)
            .finish_non_exhaustive()
    }
}

impl MediaLinks {
    /// Loads the key from `data_dir` (making it on first start).
    pub fn open(data_dir: &Path, base_url: String, valid_for: Duration) -> anyhow::Result<Self> {
        let path = data_dir.join(MEDIA_KEY_FILE);
        let key = match std::fs::read(&path) {
            Ok(bytes) => bytes
                .try_into()
                .map_err(|_| anyhow::anyhow!("{}: not a 32-byte key", path.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; 32] = rand::random();
                write_key(&path, &key)?;
                key
            }
            Err(e) => return Err(anyhow::anyhow!("{}: {e}", path.display())),
        };
        Ok(MediaLinks {
            key,
            base_url,
            valid_for,
        })
    }

    /// The link to `file`, valid from `now` for the configured time.
    pub fn url(&self, file: Id, now: Timestamp) -> String {
        let expires = now.millis() / 1000 + self.valid_for.as_secs() as i64;
        let payload = format!("{file}.{expires}");
        format!("{}/media/{payload}.{}", self.base_url, self.sign(&payload))
    }

    /// The file a link names, if it verifies and has not expired at `now`.
    pub fn verify(&self, link: &str, now: Timestamp) -> Option<Id> {
        let (payload, signature) = link.rsplit_once('.')?;
        let (file, expires) = payload.split_once('.')?;
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        mac.verify_slice(&hex::decode(signature).ok()?).ok()?;
        let expires: i64 = expires.parse().ok()?;
        (now.millis() / 1000 < expires).then_some(())?;
        file.parse().ok()
    }

    fn sign(&self, payload: &str) -> String {
        let mut mac = self.mac();
        mac.update(payload.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(&self.key).expect("any key length")
    }
}

fn write_key(path: &Path, key: &[u8; 32]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    file.write_all(key)?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links() -> (tempfile::TempDir, MediaLinks) {
        let dir = tempfile::tempdir().unwrap();
        let links = MediaLinks::open(
            dir.path(),
            "https://cc.example".into(),
            Duration::from_secs(60),
        )
        .unwrap();
        (dir, links)
    }

    #[test]
    fn a_link_names_its_file_until_it_expires() {
        let (_dir, links) = links();
        let file = Id::generate(1);
        let now = Timestamp::now();
        let url = links.url(file, now);
        let link = url.strip_prefix("https://cc.example/media/").unwrap();
        assert_eq!(links.verify(link, now), Some(file));
        let later = Timestamp::from_millis(now.millis() + 61_000);
        assert_eq!(links.verify(link, later), None);
    }

    #[test]
    fn an_altered_link_does_not_verify() {
        let (_dir, links) = links();
        let now = Timestamp::now();
        let url = links.url(Id::generate(1), now);
        let link = url.strip_prefix("https://cc.example/media/").unwrap();
        let (file, rest) = link.split_once('.').unwrap();
        let other = format!("{}.{rest}", Id::generate(2));
        assert_ne!(file, Id::generate(2).to_string());
        assert_eq!(links.verify(&other, now), None);
        let (_, expires_and_sig) = link.split_once('.').unwrap();
        let (_, sig) = expires_and_sig.split_once('.').unwrap();
        let extended = format!("{file}.99999999999.{sig}");
        assert_eq!(links.verify(&extended, now), None);
    }

    #[test]
    fn the_key_is_kept_across_starts() {
        let (dir, links) = links();
        let now = Timestamp::now();
        let url = links.url(Id::generate(1), now);
        let again = MediaLinks::open(
            dir.path(),
            "https://cc.example".into(),
            Duration::from_secs(60),
        )
        .unwrap();
        let link = url.strip_prefix("https://cc.example/media/").unwrap();
        assert!(again.verify(link, now).is_some());
    }
}
