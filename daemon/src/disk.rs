//! Free space on the disk that holds a path (the data dir): one `statvfs`,
//! shared by `/metrics`, `commcenterd doctor` and the low-disk warning.

use std::io;
use std::path::Path;

/// Bytes on the file system that holds a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskSpace {
    /// Bytes an unprivileged writer may still use (`f_bavail`).
    pub available: u64,
    /// The file system's size (`f_blocks`).
    pub total: u64,
}

impl DiskSpace {
    /// Free space as a percentage of the whole (0 for an empty file system).
    pub fn available_percent(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.available as f64 * 100.0 / self.total as f64
        }
    }
}

/// The space of the file system holding `path`. A blocking call: from async
/// code run it with `spawn_blocking`.
pub fn space(path: &Path) -> io::Result<DiskSpace> {
    let st = rustix::fs::statvfs(path).map_err(io::Error::from)?;
    let unit = st.f_frsize.max(1);
    Ok(DiskSpace {
        available: st.f_bavail.saturating_mul(unit),
        total: st.f_blocks.saturating_mul(unit),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_dir_has_a_size_and_some_room() {
        let s = space(Path::new(".")).unwrap();
        assert!(s.total > 0);
        assert!(s.available <= s.total);
        assert!((0.0..=100.0).contains(&s.available_percent()));
    }

    #[test]
    fn a_missing_path_is_an_error() {
        assert!(space(Path::new("/no/such/dir/here")).is_err());
    }
}
