//! The run loop: reads input on its own thread, applies actions with
//! `update`, hands effects to the worker, and draws. It never awaits the
//! network: the worker answers through the action channel.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use commcenter::client::Client;
use commcenter::Timestamp;
use crossterm::event::{self, Event};
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

use crate::action::{Action, Command, Effect};
use crate::state::App;
use crate::terminal::TerminalGuard;
use crate::theme::Theme;
use crate::{update, view, worker};

/// How often the clock ticks (relative times, typing indicators).
const TICK: Duration = Duration::from_secs(1);
/// How long the input thread waits for a key before checking for exit.
const INPUT_POLL: Duration = Duration::from_millis(100);

#[derive(Debug, Clone)]
pub struct Options {
    /// Ring the terminal bell for new inbound messages elsewhere.
    pub bell: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error("terminal: {0}")]
    Terminal(#[from] io::Error),
}

/// Runs the console until the user quits or a signal (SIGINT, SIGTERM,
/// SIGHUP: the SSH session went away) ends it; the terminal is restored
/// in every case.
pub async fn run(client: Client, options: Options) -> Result<(), TuiError> {
    let (actions_tx, mut actions) = unbounded_channel();
    let commands = worker::spawn(client, actions_tx.clone());
    let mut app = App::new(Timestamp::now(), options.bell);
    app.zone = *chrono::Local::now().offset();
    let theme = Theme::from_env();
    let mut guard = TerminalGuard::enter()?;
    let input_stop = spawn_input(actions_tx);
    let mut ended = Signals::new()?;
    let mut tick = tokio::time::interval(TICK);
    let mut effects = update::start(&app);
    let result = loop {
        if let Err(e) = carry_out(&mut effects, &commands, &mut guard) {
            break Err(e);
        }
        if app.quit {
            break Ok(());
        }
        if let Err(e) = draw(&mut guard, &mut app, &theme) {
            break Err(e);
        }
        let action = tokio::select! {
            Some(action) = actions.recv() => action,
            _ = tick.tick() => Action::Tick(Timestamp::now()),
            _ = ended.recv() => break Ok(()),
        };
        effects.extend(update::update(&mut app, action));
        // Apply everything already queued before drawing again.
        while let Ok(action) = actions.try_recv() {
            effects.extend(update::update(&mut app, action));
        }
    };
    input_stop.store(true, Ordering::Relaxed);
    drop(guard);
    result.map_err(TuiError::from)
}

fn draw(guard: &mut TerminalGuard, app: &mut App, theme: &Theme) -> io::Result<()> {
    let size = guard.terminal.size()?;
    // Header, filter line, table header and the two footer lines.
    app.page_rows = usize::from(size.height.saturating_sub(5)).max(1);
    guard.terminal.draw(|frame| view::draw(frame, app, theme))?;
    Ok(())
}

fn carry_out(
    effects: &mut Vec<Effect>,
    commands: &UnboundedSender<Command>,
    guard: &mut TerminalGuard,
) -> io::Result<()> {
    for effect in effects.drain(..) {
        match effect {
            // The worker lives as long as the loop; a send cannot fail.
            Effect::Request(command) => drop(commands.send(command)),
            Effect::Bell => guard.bell()?,
        }
    }
    Ok(())
}

/// Reads terminal events on a thread of its own (crossterm's reads block)
/// until the returned flag is set.
fn spawn_input(actions: UnboundedSender<Action>) -> Arc<AtomicBool> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    std::thread::spawn(move || {
        while !flag.load(Ordering::Relaxed) {
            match event::poll(INPUT_POLL) {
                Ok(false) => continue,
                Ok(true) => {}
                Err(_) => return,
            }
            let action = match event::read() {
                Ok(Event::Key(key)) => Action::Key(key),
                Ok(Event::Mouse(mouse)) => Action::Mouse(mouse),
                Ok(Event::Resize(..)) => Action::Resize,
                Ok(Event::Paste(text)) => Action::Paste(text),
                Ok(_) => continue,
                Err(_) => return,
            };
            if actions.send(action).is_err() {
                return;
            }
        }
    });
    stop
}

/// The signals that end the console as `q` would.
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> io::Result<Signals> {
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    async fn recv(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
            _ = self.hangup.recv() => {}
        }
    }
}
