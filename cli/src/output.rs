//! Printing: human-readable lines, or the API's own JSON with `--json`.

use std::io::Write;

use serde::Serialize;

pub struct Output {
    json: bool,
}

impl Output {
    pub fn new(json: bool) -> Output {
        Output { json }
    }

    /// One object: JSON, or `human` lines.
    pub fn one<T: Serialize>(
        &self,
        value: &T,
        human: impl FnOnce(&T) -> String,
    ) -> anyhow::Result<()> {
        let mut stdout = std::io::stdout().lock();
        if self.json {
            serde_json::to_writer_pretty(&mut stdout, value)?;
            writeln!(stdout)?;
        } else {
            writeln!(stdout, "{}", human(value))?;
        }
        Ok(())
    }

    /// A list: JSON Lines, or one human line per item.
    pub fn many<T: Serialize>(
        &self,
        items: &[T],
        human: impl Fn(&T) -> String,
    ) -> anyhow::Result<()> {
        let mut stdout = std::io::stdout().lock();
        for item in items {
            if self.json {
                serde_json::to_writer(&mut stdout, item)?;
                writeln!(stdout)?;
            } else {
                writeln!(stdout, "{}", human(item))?;
            }
        }
        Ok(())
    }
}

/// Whether an error is stdout closing under us (`commcenter … | head`).
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
