//! Running under systemd: the real binary tells a real notify socket
//! `READY=1` once it listens and `STOPPING=1` when it shuts down, on a
//! socket path and on an abstract name; the unit file passes
//! `systemd-analyze verify` (where systemd-analyze exists).

mod process;

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use process::Process;

/// The next datagram on `socket`, within 30 s.
fn receive(socket: &UnixDatagram) -> String {
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut buffer = [0u8; 4096];
    let read = socket.recv(&mut buffer).expect("a notification");
    String::from_utf8_lossy(&buffer[..read]).into_owned()
}

/// Starts the daemon with `NOTIFY_SOCKET=name`, checks READY=1 came by the
/// time it listens and STOPPING=1 on SIGTERM, and that it exits cleanly.
fn ready_then_stopping(socket: &UnixDatagram, name: &str, data_dir: &Path) {
    let daemon = Process::start(data_dir, &[("NOTIFY_SOCKET", name)]);
    assert_eq!(receive(socket), "READY=1");
    let status = daemon.terminate();
    assert_eq!(receive(socket), "STOPPING=1");
    assert!(status.success(), "commcenterd exits cleanly: {status}");
}

#[test]
fn the_daemon_notifies_ready_and_stopping_on_a_socket_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&path).unwrap();
    ready_then_stopping(&socket, path.to_str().unwrap(), &dir.path().join("data"));
}

#[cfg(target_os = "linux")]
#[test]
fn the_daemon_notifies_on_an_abstract_socket() {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::net::SocketAddr;
    let dir = tempfile::tempdir().unwrap();
    let name = format!("commcenterd-test-{}", std::process::id());
    let addr = SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let socket = UnixDatagram::bind_addr(&addr).unwrap();
    ready_then_stopping(&socket, &format!("@{name}"), &dir.path().join("data"));
}

/// The unit in `dist/`, with `ExecStart` pointing at this build's binary
/// (verify checks that the program exists).
#[test]
fn the_unit_file_passes_systemd_analyze_verify() {
    if Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_err()
    {
        println!("skipped: systemd-analyze is not installed");
        return;
    }
    let unit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist/commcenterd.service");
    let text = std::fs::read_to_string(&unit).unwrap();
    let binary = env!("CARGO_BIN_EXE_commcenterd");
    let text = text.replace("/usr/local/bin/commcenterd", binary);
    assert!(
        text.contains(binary),
        "the unit starts /usr/local/bin/commcenterd"
    );
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("commcenterd.service");
    std::fs::write(&copy, text).unwrap();
    let verified = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&copy)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&verified.stderr);
    // Only what concerns this unit: verify also lints units it pulls in.
    let about_ours: Vec<&str> = said
        .lines()
        .filter(|line| line.contains("commcenterd.service"))
        .collect();
    assert!(
        verified.status.success() && about_ours.is_empty(),
        "systemd-analyze verify: {said}"
    );
}

#[test]
fn the_unit_asks_for_notify_restart_a_dedicated_user_and_hardening() {
    let unit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../dist/commcenterd.service");
    let text = std::fs::read_to_string(unit).unwrap();
    for line in [
        "Type=notify",
        "Restart=on-failure",
        "User=commcenter",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
        "NoNewPrivileges=yes",
        "ReadWritePaths=/var/lib/commcenter",
        "StateDirectory=commcenter",
        "ExecStart=/usr/local/bin/commcenterd --data-dir /var/lib/commcenter",
    ] {
        assert!(text.lines().any(|l| l == line), "the unit lacks {line}");
    }
}
