//! The console's figures (issue 12's targets): time from start to the first
//! drawn conversation list with the demo data (< 200 ms), and the cost of a
//! frame of a 5,000-message thread (< 5 ms). Run with
//! `cargo bench -p commcenter-cli --bench console`.
//!
//! The first screen is measured in process, as the console does it: the
//! worker is started against a demo daemon on a port-0 listener, its answers
//! go through `update`, and the view is drawn on a `TestBackend` after each
//! batch, until the list shows the demo's conversations. Terminal setup
//! (raw mode, alternate screen) is not included; it is a few escape codes.

use std::time::{Duration, Instant};

use commcenter::client::Client;
use commcenter::Timestamp;
use commcenter_tui::action::{Action, Effect};
use commcenter_tui::state::App;
use commcenter_tui::theme::Theme;
use commcenter_tui::{fixture, update, view, worker};
use commcenterd::{AppState, Settings};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

/// Frames drawn for the per-frame figure.
const FRAMES: usize = 500;
const RUNS: usize = 5;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(first_screen());
    thread_frames(80, 24);
    thread_frames(200, 60);
    screen_frames();
}

/// A frame of each of the other screens at 80×24 from the fixture data.
fn screen_frames() {
    use commcenter_tui::state::Screen;
    let theme = Theme::colored();
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    for screen in [Screen::Customers, Screen::Projects, Screen::Analytics] {
        let mut app = fixture::app_with_everything();
        app.screen = screen;
        app.tab = screen;
        let started = Instant::now();
        for _ in 0..FRAMES {
            terminal
                .draw(|frame| view::draw(frame, &app, &theme))
                .expect("draw");
        }
        let mean = started.elapsed() / u32::try_from(FRAMES).expect("frames");
        println!(
            "{} screen at 80x24 (fixture data): {:.3} ms per frame, {FRAMES} frames",
            screen.title(),
            ms(mean)
        );
    }
}

async fn first_screen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::for_data_dir(dir.path());
    settings.demo = true;
    let opened = AppState::open(settings).await.expect("daemon opens");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(commcenterd::serve(
        listener,
        opened.state,
        std::future::pending(),
    ));
    let mut times = Vec::new();
    for _ in 0..RUNS {
        times.push(time_to_list(&url).await);
    }
    times.sort();
    println!(
        "first drawn conversation list (demo data, 80x24): median {:.1} ms, max {:.1} ms over {RUNS} starts",
        ms(times[RUNS / 2]),
        ms(times[RUNS - 1])
    );
}

/// From a fresh client and worker to the first frame that lists the
/// conversations with their customers' names.
async fn time_to_list(url: &str) -> Duration {
    let started = Instant::now();
    let client = Client::new(url, Some("cct_demo_priya".to_owned()));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let commands = worker::spawn(client, tx);
    let mut app = App::new(Timestamp::now(), false);
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
    let theme = Theme::colored();
    let mut effects = update::start(&app);
    loop {
        for effect in effects.drain(..) {
            if let Effect::Request(command) = effect {
                let _ = commands.send(command);
            }
        }
        terminal
            .draw(|frame| view::draw(frame, &app, &theme))
            .expect("draw");
        let names_known = app
            .list
            .items
            .first()
            .is_some_and(|c| app.users.contains_key(&c.customer_id));
        if names_known {
            return started.elapsed();
        }
        let action: Action = rx.recv().await.expect("worker answers");
        effects.extend(update::update(&mut app, action));
        while let Ok(action) = rx.try_recv() {
            effects.extend(update::update(&mut app, action));
        }
    }
}

/// Draws a 5,000-message thread, moving the selection every frame (so the
/// window is recomputed), and reports the mean and worst frame.
fn thread_frames(width: u16, height: u16) {
    let mut app = fixture::app_in_thread();
    if let Some(thread) = &mut app.thread {
        thread.set_newest(fixture::long_thread(5_000), None);
    }
    let theme = Theme::colored();
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("terminal");
    let mut worst = Duration::ZERO;
    let started = Instant::now();
    for frame_no in 0..FRAMES {
        // Up for the first half (scrolling back), then jump and scroll down.
        let action = if frame_no < FRAMES / 2 {
            Action::Up
        } else {
            Action::Down
        };
        if frame_no == FRAMES / 2 {
            update::update(&mut app, Action::Top);
        }
        update::update(&mut app, action);
        let t = Instant::now();
        terminal
            .draw(|frame| view::draw(frame, &app, &theme))
            .expect("draw");
        worst = worst.max(t.elapsed());
    }
    let mean = started.elapsed() / u32::try_from(FRAMES).expect("frames");
    println!(
        "5,000-message thread at {width}x{height}: {:.3} ms per frame (update + draw), worst draw {:.3} ms, {FRAMES} frames",
        ms(mean),
        ms(worst)
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1_000.0
}
