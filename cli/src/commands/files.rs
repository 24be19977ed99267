//! `commcenter files`: upload many, download (to a path or stdout, checked
//! against the SHA-256 the daemon names), describe, thumbnail. Bytes are
//! streamed both ways: a file is never held whole in memory.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Subcommand;
use commcenter::client::{Client, Download};
use commcenter::wire::FileMeta;
use commcenter::Id;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use sha2::{Digest, Sha256};

use crate::output::Output;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Upload files, one request each (a progress bar on a terminal); prints
    /// each stored file (JSON Lines with --json). A refused file does not
    /// stop the others; the exit code is 1 if any was refused.
    Upload {
        /// The files
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Download a file's bytes, checked against the SHA-256 the daemon names
    Download {
        /// The file's id
        id: Id,
        /// Where to write it (`-`: stdout). Default: stdout when it is not a
        /// terminal, else the file's own name in the current directory
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Replace an existing file
        #[arg(long)]
        force: bool,
    },
    /// A file's description: name, type, size, SHA-256, dimensions
    Meta {
        /// The file's id
        id: Id,
    },
    /// Download an image's thumbnail (longest side at most 320 px)
    Thumbnail {
        /// The file's id
        id: Id,
        /// Where to write it (`-`: stdout); default as for `download`
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Replace an existing file
        #[arg(long)]
        force: bool,
    },
}

const HEADERS: &[&str] = &["ID", "SIZE", "TYPE", "NAME"];

fn row(f: &FileMeta) -> Vec<String> {
    vec![
        f.id.to_string(),
        human_size(f.size),
        f.content_type.clone(),
        f.name.clone(),
    ]
}

fn describe(f: &FileMeta) -> String {
    let mut text = format!(
        "{}\n  id:      {}\n  type:    {}\n  size:    {} ({} bytes)\n  sha256:  {}",
        f.name,
        f.id,
        f.content_type,
        human_size(f.size),
        f.size,
        f.sha256
    );
    if let (Some(w), Some(h)) = (f.width, f.height) {
        text.push_str(&format!("\n  image:   {w}×{h}"));
    }
    if let Some(original) = f.original_size.filter(|_| f.compressed) {
        text.push_str(&format!(
            "\n  stored compressed from {}",
            human_size(original)
        ));
    }
    text.push_str(&format!(
        "\n  uploaded {} by {}",
        f.created_at, f.uploaded_by
    ));
    text
}

/// `1.5 MiB`, `320 B`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut size = bytes as f64 / 1024.0;
    let mut unit = 0;
    while size >= 1024.0 && unit < UNITS.len() - 1 {
        size /= 1024.0;
        unit += 1;
    }
    format!("{size:.1} {}", UNITS[unit])
}

pub async fn run(command: Command, client: &Client, out: &Output) -> anyhow::Result<()> {
    match command {
        Command::Upload { files } => upload_all(&files, client, out).await,
        Command::Download { id, output, force } => {
            let download = client.download_file(id).await?;
            save(download, output, force, client, id, out).await
        }
        Command::Meta { id } => out.one(&client.file_meta(id).await?, describe),
        Command::Thumbnail { id, output, force } => {
            let download = client.download_thumbnail(id).await?;
            save(download, output, force, client, id, out).await
        }
    }
}

async fn upload_all(files: &[PathBuf], client: &Client, out: &Output) -> anyhow::Result<()> {
    let mut stored = Vec::new();
    let mut refused = 0;
    for path in files {
        match upload(path, client).await {
            Ok(meta) => {
                if out.is_json() {
                    out.json_line(&meta)?;
                }
                stored.push(meta);
            }
            Err(e) => {
                refused += 1;
                eprintln!("commcenter: {}: {e}", path.display());
            }
        }
    }
    if !out.is_json() {
        out.table(&stored, HEADERS, row)?;
    }
    if refused > 0 {
        anyhow::bail!("{refused} of {} files were not uploaded", files.len());
    }
    Ok(())
}

/// Uploads one file, read as it is sent, with a progress bar on a terminal.
pub async fn upload(path: &Path, client: &Client) -> anyhow::Result<FileMeta> {
    let file = tokio::fs::File::open(path).await?;
    let length = file.metadata().await?.len();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "upload".to_owned());
    let bar = progress(length, &name);
    let meta = client
        .upload_stream(&name, Some(length), bar.wrap_async_read(file))
        .await;
    bar.finish_and_clear();
    Ok(meta?)
}

/// A progress bar on stderr when it is a terminal, else one that draws nothing.
fn progress(length: u64, name: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template(
        "{msg:20!} [{bar:30}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec}",
    )
    .map(|s| s.progress_chars("=> "));
    if let Ok(style) = style {
        bar.set_style(style);
    }
    bar.set_message(name.to_owned());
    bar
}

/// Writes a download where asked, hashing it as it goes; a file on disk
/// is written beside its place and moved there only once its SHA-256
/// matches, so a failed download never leaves a wrong file behind.
async fn save(
    download: Download,
    output: Option<PathBuf>,
    force: bool,
    client: &Client,
    id: Id,
    out: &Output,
) -> anyhow::Result<()> {
    let target = match output {
        Some(path) if path == Path::new("-") => None,
        Some(path) => Some(path),
        None if !std::io::stdout().is_terminal() => None,
        None => Some(PathBuf::from(client.file_meta(id).await?.name)),
    };
    match target {
        None => to_stdout(download).await,
        Some(path) => to_file(download, &path, force, out).await,
    }
}

async fn to_stdout(mut download: Download) -> anyhow::Result<()> {
    let expected = download.sha256();
    let mut hasher = Sha256::new();
    let mut stdout = std::io::stdout().lock();
    while let Some(chunk) = download.chunk().await? {
        hasher.update(&chunk);
        stdout.write_all(&chunk)?;
    }
    stdout.flush()?;
    check(expected.as_deref(), &hex::encode(hasher.finalize()))
}

async fn to_file(
    mut download: Download,
    path: &Path,
    force: bool,
    out: &Output,
) -> anyhow::Result<()> {
    if path.exists() && !force {
        let shown = path.display();
        return Err(crate::failure::Failure::Usage(format!(
            "{shown} exists (--force replaces it)"
        ))
        .into());
    }
    let expected = download.sha256();
    let partial = partial_path(path);
    let bar = progress(download.length().unwrap_or(0), &path.display().to_string());
    let written = async {
        let mut file = tokio::fs::File::create(&partial).await?;
        let mut hasher = Sha256::new();
        while let Some(chunk) = download.chunk().await? {
            hasher.update(&chunk);
            tokio::io::AsyncWriteExt::write_all(&mut file, &chunk).await?;
            bar.inc(chunk.len() as u64);
        }
        tokio::io::AsyncWriteExt::flush(&mut file).await?;
        file.sync_all().await?;
        check(expected.as_deref(), &hex::encode(hasher.finalize()))
    }
    .await;
    bar.finish_and_clear();
    if let Err(e) = written {
        let _ = tokio::fs::remove_file(&partial).await;
        return Err(e);
    }
    tokio::fs::rename(&partial, path).await?;
    if !out.is_json() {
        eprintln!("Saved {}", path.display());
    }
    Ok(())
}

/// `photo.jpg` → `photo.jpg.part`, in the same directory (so the final
/// rename stays on one file system).
fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".part");
    path.with_file_name(name)
}

fn check(expected: Option<&str>, actual: &str) -> anyhow::Result<()> {
    match expected {
        Some(expected) if expected != actual => anyhow::bail!(
            "the download is damaged: its SHA-256 is {actual}, the daemon's is {expected}"
        ),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_in_binary_units() {
        assert_eq!(human_size(320), "320 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(25 * 1024 * 1024), "25.0 MiB");
    }

    #[test]
    fn a_damaged_download_is_an_error() {
        assert!(check(Some("ab"), "cd").is_err());
        assert!(check(Some("ab"), "ab").is_ok());
        assert!(check(None, "cd").is_ok());
    }
}
