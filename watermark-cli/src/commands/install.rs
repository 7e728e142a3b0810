//! `watermark completions` and `watermark man`: the shell completion
//! scripts and man pages an installation puts in place, generated from the
//! command-line definitions so that they never disagree with `--help`.

use std::io::Write as _;
use std::path::Path;

use clap::CommandFactory as _;
use watermark_app::Lang;

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use watermark_text::{Msg, Said};

use watermark_text::{said, SaidContext as _};

/// Prints the completion script for a shell.
pub fn completions(a: &CompletionsArgs) -> anyhow::Result<()> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "watermark", &mut script);
    write_stdout(&script)
}

/// Prints `watermark.1`, or writes every page into `a.dir`: in Spanish
/// when the output is (`--lang es`), from the Spanish help.
pub fn man(a: &ManArgs) -> anyhow::Result<()> {
    let cmd = crate::help_es::command(crate::output::lang());
    match &a.dir {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(cmd)
                .render(&mut page)
                .said(|| Said::new(Msg::ClRenderingMan))?;
            write_stdout(&in_language(page))
        }
        Some(dir) => write_pages(cmd, dir),
    }
}

/// Writes the page of `cmd` and of each of its subcommands, recursively,
/// into `dir` (which must exist), named as `man` looks them up.
fn write_pages(cmd: clap::Command, dir: &Path) -> anyhow::Result<()> {
    if !dir.is_dir() {
        return Err(said!(Msg::NotADirectoryPath, dir.display()).into());
    }
    let mut written = 0usize;
    write_tree(cmd, "watermark", dir, &mut written)?;
    #[allow(clippy::print_stderr)]
    {
        match crate::output::lang() {
            Lang::Es => eprintln!(
                "watermark: se escribieron {written} páginas de manual en {}",
                dir.display()
            ),
            Lang::En => eprintln!("watermark: wrote {written} man pages to {}", dir.display()),
        }
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
        .said(|| Said::new(Msg::ClRenderingMan))?;
    std::fs::write(&path, in_language(page)).said(|| said!(Msg::CtxWriting, path.display()))?;
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

/// A rendered page with the section titles clap_mangen writes in English
/// (NAME, SYNOPSIS, ...) in the output's language, and the lists of
/// possible values of the Spanish help one value a line; English pages as
/// they are.
fn in_language(page: Vec<u8>) -> Vec<u8> {
    if crate::output::lang() == Lang::En {
        return page;
    }
    let text = String::from_utf8_lossy(&page);
    let titles = [
        ("NAME", "NOMBRE"),
        ("SYNOPSIS", "SINOPSIS"),
        ("DESCRIPTION", "DESCRIPCIÓN"),
        ("Comandos", "COMANDOS"),
        ("EXTRA", "NOTAS"),
        ("VERSION", "VERSIÓN"),
        ("AUTHORS", "AUTORES"),
    ];
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let title = line.trim_end().strip_prefix(".SH ");
        match title.and_then(|t| titles.iter().find(|(en, _)| *en == t.trim_matches('"'))) {
            Some((_, es)) => {
                out.push_str(".SH ");
                out.push_str(es);
                out.push('\n');
            }
            None => {
                // The list of possible values in an argument's help: one
                // value a line, as in --help.
                if line.starts_with("\\- ") {
                    out.push_str(".br\n");
                }
                out.push_str(line);
            }
        }
    }
    out.into_bytes()
}

/// Writes to stdout; a reader that went away (`| head`) is not an error.
fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Said::new(Msg::ClWritingStdout).because(e).into())
        }
        _ => Ok(()),
    }
}
