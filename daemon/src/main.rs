//! The `commcenterd` binary: settings, logging, signals, then
//! [`commcenterd::serve`]; or one of its subcommands (`commcenterd::commands`).

use commcenterd::settings::{LogFormat, Settings, SettingsError};
use commcenterd::AppState;
use tracing_subscriber::EnvFilter;

fn main() -> anyhow::Result<std::process::ExitCode> {
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if let Some(exit) = commcenterd::commands::run(&argv) {
        return Ok(exit);
    }
    let settings = match Settings::from_argv(argv) {
        Ok(settings) => settings,
        // Help, version and flag errors print as clap prints them.
        Err(SettingsError::Flags(e)) => e.exit(),
        Err(e) => return Err(e.into()),
    };
    init_logging(&settings);
    // Every connection is a descriptor: take what the system allows, and
    // `serve` fits the connection budget under it.
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        tracing::warn!(error = %e, "cannot raise the open-file limit");
    }
    // Two cores: two workers keep the runtime small; blocking work (the
    // store) has its own threads.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run(settings))?;
    Ok(std::process::ExitCode::SUCCESS)
}

async fn run(settings: Settings) -> anyhow::Result<()> {
    let listen = settings.listen;
    let data_dir = settings.data_dir.clone();
    // Installed before anything is printed: a SIGTERM that arrives right
    // after "listening" must close the store, not kill the process.
    let shutdown = shutdown_signal()?;
    let opened = AppState::open(settings).await?;
    if let Some(secret) = &opened.new_admin_secret {
        // Printed once; also in DATA_DIR/admin.token (0600).
        println!("admin token: {secret}");
        println!(
            "(also written to {})",
            data_dir.join(commcenterd::app::ADMIN_TOKEN_FILE).display()
        );
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    // With no provider configured, messages go to DATA_DIR/outbox.log.
    println!("outbox: {}", opened.state.outbox.transports().describe());
    println!("commcenterd listening on http://{}", listener.local_addr()?);
    commcenterd::serve(listener, opened.state, shutdown).await?;
    Ok(())
}

/// A future that completes on SIGINT or SIGTERM. Both handlers are
/// registered when this returns, not when the future is first polled.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
        }
        tracing::info!("shutdown requested");
    })
}

fn init_logging(settings: &Settings) {
    let filter = EnvFilter::try_new(&settings.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match settings.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}
