//! All output goes through here: text or JSON to stdout, progress to stderr.

use std::io::{self, IsTerminal, Write};

use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

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
        out.write_all(text.as_bytes())?;
        out.flush()
    }

    /// Prints the JSON document (when asked for).
    pub fn json<T: Serialize>(&self, doc: &T) -> io::Result<()> {
        if !self.json {
            return Ok(());
        }
        let mut out = io::stdout().lock();
        serde_json::to_writer_pretty(&mut out, doc).map_err(|e| {
            // Keep the kind of a write error (a closed pipe is not a failure).
            match e.io_error_kind() {
                Some(kind) => io::Error::new(kind, e),
                None => io::Error::other(e),
            }
        })?;
        out.write_all(b"\n")?;
        out.flush()
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

/// A probability in words an investigator can read aloud.
pub fn odds_in_words(p: f64) -> String {
    if p >= 0.01 {
        return format!("{:.0}%", p * 100.0);
    }
    let one_in = 1.0 / p;
    let names = [
        (1e18, "quintillion"),
        (1e15, "quadrillion"),
        (1e12, "trillion"),
        (1e9, "billion"),
        (1e6, "million"),
        (1e3, "thousand"),
    ];
    if one_in >= 1e21 {
        return format!("less than 1 in 10^{}", one_in.log10().floor() as i64);
    }
    for (scale, name) in names {
        if one_in >= scale {
            let v = one_in / scale;
            let shown = if v >= 100.0 {
                format!("{v:.0}")
            } else {
                format!("{:.0}", v.floor())
            };
            return format!("less than 1 in {shown} {name}");
        }
    }
    format!("less than 1 in {:.0}", one_in.floor())
}

/// A bound printed compactly: `3.1e-17`, or `1` when nothing is known.
pub fn bound(p: f64) -> String {
    if p >= 0.9995 {
        "1".into()
    } else if p >= 0.001 {
        format!("{p:.3}")
    } else {
        // 3.1e-17; a round mantissa prints as 1e-9, not 1.0e-9.
        format!("{p:.1e}").replace(".0e", "e")
    }
}

/// Wraps text at `width` columns, each line starting with `indent`.
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::new();
    let mut line = String::from(indent);
    for word in text.split_whitespace() {
        if line.len() > indent.len() && line.len() + 1 + word.len() > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(indent);
        }
        if line.len() > indent.len() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if line.len() > indent.len() {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// An error and its causes, `: `-separated as `{:#}` writes them, leaving
/// out a cause whose text the one before it already ends with: the
/// library's I/O errors write their source into their own text.
pub fn error_text(err: &anyhow::Error) -> String {
    let mut out = String::new();
    let mut before = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if !before.is_empty() && before.ends_with(&text) {
            before = text;
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
        before = text;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odds_read_aloud() {
        assert_eq!(odds_in_words(0.5), "50%");
        assert_eq!(odds_in_words(3e-10), "less than 1 in 3 billion");
        assert_eq!(odds_in_words(1e-30), "less than 1 in 10^30");
        assert_eq!(bound(1.0), "1");
        assert_eq!(bound(3.14e-17), "3.1e-17");
        assert_eq!(bound(1e-9), "1e-9");
        assert_eq!(wrap("a bb ccc dddd", 8, "  "), "  a bb\n  ccc\n  dddd\n");
    }

    #[test]
    fn error_text_says_each_cause_once() {
        #[derive(Debug)]
        struct Wraps(std::io::Error);
        impl std::fmt::Display for Wraps {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "reading Parquet: {}", self.0)
            }
        }
        impl std::error::Error for Wraps {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let err =
            anyhow::Error::new(Wraps(io::Error::other("corrupt footer"))).context("a.parquet");
        assert_eq!(
            format!("{err:#}"),
            "a.parquet: reading Parquet: corrupt footer: corrupt footer"
        );
        assert_eq!(
            error_text(&err),
            "a.parquet: reading Parquet: corrupt footer"
        );
        let plain = anyhow::anyhow!("row 3").context("roll.csv");
        assert_eq!(error_text(&plain), "roll.csv: row 3");
    }
}
