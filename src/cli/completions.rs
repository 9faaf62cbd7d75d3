//! `vnuma completions SHELL` and `vnuma man [-o DIR]`: shell completion
//! scripts and man pages generated from the clap definitions.

use std::path::PathBuf;

use anyhow::Context;
use clap::CommandFactory;

/// Example shown after `vnuma completions --help`.
pub const COMPLETIONS_EXAMPLE: &str = "Examples:\n  \
vnuma completions bash > ~/.local/share/bash-completion/completions/vnuma\n  \
vnuma completions zsh > ~/.zfunc/_vnuma     # with fpath+=(~/.zfunc) in ~/.zshrc\n  \
vnuma completions fish > ~/.config/fish/completions/vnuma.fish";

/// Example shown after `vnuma man --help`.
pub const MAN_EXAMPLE: &str = "Examples:\n  vnuma man -o ~/.local/share/man/man1 && man vnuma-show\n  \
vnuma man | man -l -";

/// Arguments of `vnuma completions`.
#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Arguments of `vnuma man`.
#[derive(clap::Args, Debug)]
pub struct ManArgs {
    /// Write vnuma.1 and vnuma-COMMAND.1 for each subcommand into DIR
    /// (default: print vnuma.1 to standard output).
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
}

/// Runs `vnuma completions`.
pub fn completions(args: CompletionsArgs) -> anyhow::Result<i32> {
    let mut cmd = super::Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "vnuma", &mut buf);
    super::out::stdout(buf)?;
    Ok(0)
}

/// The man pages: `vnuma.1`, then `vnuma-COMMAND.1` per subcommand.
fn man_pages() -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let mut cmd = super::Cli::command();
    cmd.build();
    let mut out = Vec::new();
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut buf)?;
    out.push(("vnuma.1".to_string(), buf));
    for sub in cmd.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let name = format!("vnuma-{}", sub.get_name());
        let page = sub
            .clone()
            .name(name.clone())
            .bin_name(format!("vnuma {}", sub.get_name()));
        let mut buf = Vec::new();
        clap_mangen::Man::new(page).render(&mut buf)?;
        out.push((format!("{name}.1"), buf));
    }
    Ok(out)
}

/// Runs `vnuma man`.
pub fn man(args: ManArgs) -> anyhow::Result<i32> {
    let pages = man_pages()?;
    match &args.output {
        None => {
            if let Some((_, page)) = pages.first() {
                super::out::stdout(page)?;
            }
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            for (name, page) in &pages {
                let path = dir.join(name);
                vnuma::fsutil::write_atomic(&path, page)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            super::out::errln(format!(
                "vnuma: wrote {} man pages to {}",
                pages.len(),
                dir.display()
            ));
        }
    }
    Ok(0)
}
