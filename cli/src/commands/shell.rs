//! `commcenter completions SHELL` and `commcenter man`: generated from the
//! same clap definitions that parse the command line, so they never drift.

use std::io::Write;

use clap::CommandFactory;
use clap_complete::Shell;

/// The shells `completions` writes for.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ShellName {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Install, for example:
  commcenter completions bash > ~/.local/share/bash-completion/completions/commcenter
  commcenter completions zsh > \"${fpath[1]}/_commcenter\"
  commcenter completions fish > ~/.config/fish/completions/commcenter.fish")]
pub struct CompletionArgs {
    /// bash, zsh or fish
    shell: ShellName,
}

pub fn completions(args: CompletionArgs) -> anyhow::Result<()> {
    let shell = match args.shell {
        ShellName::Bash => Shell::Bash,
        ShellName::Zsh => Shell::Zsh,
        ShellName::Fish => Shell::Fish,
    };
    let mut stdout = std::io::stdout().lock();
    clap_complete::generate(shell, &mut crate::Cli::command(), "commcenter", &mut stdout);
    stdout.flush()?;
    Ok(())
}

/// The man page (roff) on stdout: `commcenter man > commcenter.1`.
pub fn man() -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    clap_mangen::Man::new(crate::Cli::command()).render(&mut stdout)?;
    stdout.flush()?;
    Ok(())
}
