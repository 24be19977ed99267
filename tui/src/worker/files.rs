//! Files on this machine: upload one for a reply, save a downloaded
//! attachment, or open it with the desktop's viewer (`xdg-open`, or
//! `open` on macOS) from a private temporary copy.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use commcenter::client::{Client, ClientError};
use commcenter::wire::FileMeta;
use commcenter::Id;

use crate::action::Loaded;

/// Files larger than this are refused before reading (the daemon's
/// default limit is 25 MiB; a bigger one may be configured).
const MAX_UPLOAD_BYTES: u64 = 512 * 1024 * 1024;

fn local(message: String) -> ClientError {
    ClientError::Transport(message)
}

pub(super) async fn upload(
    client: &Client,
    conversation_id: Id,
    path: &str,
) -> Result<Loaded, ClientError> {
    let size = tokio::fs::metadata(path)
        .await
        .map_err(|e| local(format!("{path}: {e}")))?
        .len();
    if size > MAX_UPLOAD_BYTES {
        return Err(local(format!("{path}: too large to upload")));
    }
    let bytes = tokio::fs::read(path)
        .await
        .map_err(|e| local(format!("{path}: {e}")))?;
    let name = file_name(Path::new(path), "attachment");
    // The daemon decides the type from the bytes.
    let file = client
        .upload_file(&name, "application/octet-stream", bytes)
        .await?;
    Ok(Loaded::Uploaded {
        conversation_id,
        file: Box::new(file),
    })
}

/// The file's bytes, read whole (attachments are at most the upload limit).
async fn download(client: &Client, file: &FileMeta) -> Result<Vec<u8>, ClientError> {
    let mut download = client.download_file(file.id).await?;
    let mut bytes = Vec::with_capacity(download.length().unwrap_or(0) as usize);
    while let Some(chunk) = download.chunk().await? {
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Writes the file to `path`, never over an existing file.
pub(super) async fn save(
    client: &Client,
    file: &FileMeta,
    path: &str,
) -> Result<Loaded, ClientError> {
    let bytes = download(client, file).await?;
    let mut target = PathBuf::from(path);
    if target.is_dir() {
        target.push(file_name(Path::new(&file.name), "attachment"));
    }
    write_new(&target, &bytes).await?;
    Ok(Loaded::FileSaved {
        name: file.name.clone(),
        path: target.display().to_string(),
    })
}

/// Downloads to a directory of this process's own under the temp dir and
/// hands the copy to the desktop's opener, without waiting for it.
pub(super) async fn open(client: &Client, file: &FileMeta) -> Result<Loaded, ClientError> {
    let bytes = download(client, file).await?;
    let dir = std::env::temp_dir().join(format!("commcenter-{}", std::process::id()));
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| local(format!("{}: {e}", dir.display())))?;
    let target = dir.join(format!(
        "{}-{}",
        file.id,
        file_name(Path::new(&file.name), "attachment")
    ));
    tokio::fs::write(&target, &bytes)
        .await
        .map_err(|e| local(format!("{}: {e}", target.display())))?;
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    let mut child = tokio::process::Command::new(opener)
        .arg(&target)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        // Its own process group: a viewer that falls back to the terminal
        // is stopped (SIGTTIN) instead of taking the console's keys.
        .process_group(0)
        .spawn()
        .map_err(|e| {
            local(format!(
                "{opener}: {e}; the file is at {}",
                target.display()
            ))
        })?;
    // Reaped in the background: the viewer may stay open for long.
    tokio::spawn(async move {
        let _ = child.wait().await;
    });
    Ok(Loaded::FileOpened {
        name: file.name.clone(),
        path: target.display().to_string(),
    })
}

async fn write_new(target: &Path, bytes: &[u8]) -> Result<(), ClientError> {
    use tokio::io::AsyncWriteExt;
    let shown = target.display();
    let mut out = tokio::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(target)
        .await
        .map_err(|e| local(format!("{shown}: {e}")))?;
    out.write_all(bytes)
        .await
        .map_err(|e| local(format!("{shown}: {e}")))?;
    out.flush()
        .await
        .map_err(|e| local(format!("{shown}: {e}")))
}

/// The last part of a path or file name, never empty nor a path.
fn file_name(path: &Path, fallback: &str) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| fallback.to_owned())
}
