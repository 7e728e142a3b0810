//! What a workflow says besides its result: notices (what an earlier, killed
//! run left and what was done about it, what the witnesses answered) and
//! progress over the bytes it reads.
//!
//! The command line implements [`Reporter`] with lines and progress bars on
//! standard error; a service uses [`Quiet`].

use std::io;
use std::sync::Arc;

use crate::Lang;

/// Where a workflow's notices and progress go.
pub trait Reporter {
    /// A diagnostic line, `note: …` or `warning: …`. An error writing it
    /// fails the workflow, as an error writing its result would.
    fn notice(&self, text: &str) -> io::Result<()>;

    /// A meter of progress over `total_bytes` bytes of work, described as
    /// `what` ("hashing", "issuing", "verifying").
    fn progress(&self, total_bytes: u64, what: &str) -> Arc<dyn ProgressSink>;

    /// The language notices and progress are written in (English unless
    /// the front end says otherwise).
    fn lang(&self) -> Lang {
        Lang::En
    }
}

impl<R: Reporter + ?Sized> Reporter for &R {
    fn notice(&self, text: &str) -> io::Result<()> {
        (**self).notice(text)
    }

    fn progress(&self, total_bytes: u64, what: &str) -> Arc<dyn ProgressSink> {
        (**self).progress(total_bytes, what)
    }

    fn lang(&self) -> Lang {
        (**self).lang()
    }
}

/// One meter of progress, moved by the bytes a workflow reads. Shared by
/// the readers of one file, hence `Send + Sync`.
pub trait ProgressSink: Send + Sync {
    /// `bytes` more were done.
    fn inc(&self, bytes: u64);
    /// `bytes` are done in all.
    fn set_position(&self, bytes: u64);
    /// The work is over: the meter goes away.
    fn finish(&self);
}

/// Says nothing: for a service, or a caller that only wants the result.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl Reporter for Quiet {
    fn notice(&self, _text: &str) -> io::Result<()> {
        Ok(())
    }

    fn progress(&self, _total_bytes: u64, _what: &str) -> Arc<dyn ProgressSink> {
        hidden()
    }
}

/// A meter that shows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Hidden;

impl ProgressSink for Hidden {
    fn inc(&self, _bytes: u64) {}
    fn set_position(&self, _bytes: u64) {}
    fn finish(&self) {}
}

/// A meter that shows nothing, for a read whose progress another meter
/// shows, or none.
pub fn hidden() -> Arc<dyn ProgressSink> {
    Arc::new(Hidden)
}
