//! All output goes through here: text or JSON to stdout, notices and
//! progress to stderr. The workflows of `watermark-app` report through
//! [`Printer`] as their [`Reporter`].

use std::io::{self, IsTerminal, Write};
use std::sync::{Arc, OnceLock};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use watermark_app::{Lang, ProgressSink, Reporter};

/// The language of the human output, chosen once per run ([`set_lang`]).
static LANG: OnceLock<Lang> = OnceLock::new();

/// Sets the language of the human output: `--lang`, else the locale. The
/// first call decides.
pub fn set_lang(lang: Lang) {
    let _ = LANG.set(lang);
}

/// The language of the human output: as [`set_lang`] set it, else the
/// locale's.
pub fn lang() -> Lang {
    *LANG.get_or_init(Lang::from_env)
}

/// Where results go.
#[derive(Debug, Clone, Copy)]
pub struct Printer {
    pub json: bool,
    pub quiet: bool,
}

impl Printer {
    /// Prints human text (unless quiet or JSON).
    pub fn text(&self, text: &str) -> io::Result<()> {
        if self.json || self.quiet {
            return Ok(());
        }
        let mut out = io::stdout().lock();
        reader_gone_is_fine(out.write_all(text.as_bytes()).and_then(|()| out.flush()))
    }

    /// Prints the JSON document (when asked for).
    pub fn json<T: Serialize>(&self, doc: &T) -> io::Result<()> {
        if !self.json {
            return Ok(());
        }
        let mut out = io::stdout().lock();
        let written = serde_json::to_writer_pretty(&mut out, doc)
            .map_err(|e| {
                // Keep the kind of a write error (a closed pipe is not a failure).
                match e.io_error_kind() {
                    Some(kind) => io::Error::new(kind, e),
                    None => io::Error::other(e),
                }
            })
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush());
        reader_gone_is_fine(written)
    }

    /// Prints a diagnostic line to stderr (unless quiet), in JSON mode too.
    pub fn notice(&self, text: &str) -> io::Result<()> {
        if self.quiet {
            return Ok(());
        }
        let mut err = io::stderr().lock();
        writeln!(err, "watermark: {text}")?;
        err.flush()
    }

    /// A byte-progress bar on stderr, hidden when stderr is not a terminal.
    pub fn progress(&self, total_bytes: u64, what: &str) -> ProgressBar {
        if self.quiet || !io::stderr().is_terminal() {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::new(total_bytes);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_message(what.to_string());
        bar
    }
}

/// A write to stdout whose reader went away (`watermark verify ... | head`)
/// is no failure, and must not end the command early either: the command
/// goes on to its own result, so that its exit status is still its answer
/// (a report that does not verify exits 3 even when nobody reads the text).
fn reader_gone_is_fine(written: io::Result<()>) -> io::Result<()> {
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// The workflows' notices and progress bars, on stderr as [`Printer`]
/// shows them.
impl Reporter for Printer {
    fn notice(&self, text: &str) -> io::Result<()> {
        Printer::notice(self, text)
    }

    fn progress(&self, total_bytes: u64, what: &str) -> Arc<dyn ProgressSink> {
        Arc::new(Bar(Printer::progress(self, total_bytes, what)))
    }

    fn lang(&self) -> Lang {
        lang()
    }
}

/// A progress bar as a workflow's meter.
#[derive(Debug)]
struct Bar(ProgressBar);

impl ProgressSink for Bar {
    fn inc(&self, bytes: u64) {
        self.0.inc(bytes);
    }

    fn set_position(&self, bytes: u64) {
        self.0.set_position(bytes);
    }

    fn finish(&self) {
        self.0.finish_and_clear();
    }
}
