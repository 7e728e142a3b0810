//! `watermark completions` and `watermark man`: the shell completion
//! scripts and man pages an installation puts in place, generated from the
//! command-line definitions so that they never disagree with `--help`.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use clap::CommandFactory as _;

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use watermark_text::Msg;
use watermark_text::{said, SaidContext as _};

/// Prints the completion script for a shell.
pub fn completions(a: &CompletionsArgs) -> anyhow::Result<()> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "watermark", &mut script);
    write_stdout(&script)
}

/// Prints `watermark.1`, or writes every page into `a.dir`.
pub fn man(a: &ManArgs) -> anyhow::Result<()> {
    let cmd = Cli::command();
    match &a.dir {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut page)
                .context("rendering the man page")?;
            write_stdout(&page)
        }
        Some(dir) => write_pages(cmd, dir),
    }
}

/// Writes the page of `cmd` and of each of its subcommands, recursively,
/// into `dir` (which must exist), named as `man` looks them up.
fn write_pages(cmd: clap::Command, dir: &Path) -> anyhow::Result<()> {
    if !dir.is_dir() {
        anyhow::bail!("{}: not a directory", dir.display());
    }
    let mut written = 0usize;
    write_tree(cmd, "watermark", dir, &mut written)?;
    #[allow(clippy::print_stderr)]
    {
        eprintln!("watermark: wrote {written} man pages to {}", dir.display());
    }
    Ok(())
}

fn write_tree(
    cmd: clap::Command,
    name: &str,
    dir: &Path,
    written: &mut usize,
) -> anyhow::Result<()> {
    let cmd = cmd.name(name.to_owned()).bin_name(name.replace('-', " "));
    let path = dir.join(format!("{name}.1"));
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .title(name.to_uppercase())
        .render(&mut page)
        .context("rendering the man page")?;
    std::fs::write(&path, page).said(|| said!(Msg::CtxWriting, path.display()))?;
    *written += 1;
    for sub in cmd.get_subcommands() {
        if sub.get_name() == "help" {
            continue;
        }
        let sub_name = format!("{name}-{}", sub.get_name());
        write_tree(sub.clone(), &sub_name, dir, written)?;
    }
    Ok(())
}

/// Writes to stdout; a reader that went away (`| head`) is not an error.
fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("writing to standard output")
        }
        _ => Ok(()),
    }
}
