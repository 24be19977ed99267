//! The service manager's readiness protocol (`sd_notify`), without a crate:
//! one datagram to the unix socket named by `$NOTIFY_SOCKET` per state
//! change (`READY=1` once listening, `STOPPING=1` when shutdown begins).
//!
//! A name starting with `@` is an abstract socket (Linux), as systemd hands
//! out in containers. Without `$NOTIFY_SOCKET` (not run by systemd with
//! `Type=notify`) nothing is sent. A failure to notify is logged, never
//! fatal: the daemon serves either way, and systemd reports the timeout.

use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram};

/// Tells the service manager the daemon is ready to serve.
pub fn ready() {
    send_logged("READY=1");
}

/// Tells the service manager the daemon is shutting down.
pub fn stopping() {
    send_logged("STOPPING=1");
}

fn send_logged(state: &str) {
    match notify(state) {
        Ok(true) => tracing::debug!(state, "told the service manager"),
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e, state, "cannot notify the service manager"),
    }
}

/// Sends `state` to `$NOTIFY_SOCKET`; `Ok(false)` when the variable is unset.
pub fn notify(state: &str) -> io::Result<bool> {
    let Some(socket) = std::env::var_os("NOTIFY_SOCKET") else {
        return Ok(false);
    };
    let name = socket
        .to_str()
        .ok_or_else(|| io::Error::other("NOTIFY_SOCKET is not UTF-8"))?;
    let addr = address(name)?;
    UnixDatagram::unbound()?.send_to_addr(state.as_bytes(), &addr)?;
    Ok(true)
}

/// A socket path, or `@name` for an abstract socket.
fn address(name: &str) -> io::Result<SocketAddr> {
    match name.strip_prefix('@') {
        Some(abstract_name) => abstract_address(abstract_name.as_bytes()),
        None => SocketAddr::from_pathname(name),
    }
}

#[cfg(target_os = "linux")]
fn abstract_address(name: &[u8]) -> io::Result<SocketAddr> {
    use std::os::linux::net::SocketAddrExt;
    SocketAddr::from_abstract_name(name)
}

#[cfg(not(target_os = "linux"))]
fn abstract_address(_name: &[u8]) -> io::Result<SocketAddr> {
    Err(io::Error::other("abstract sockets exist on Linux only"))
}
