//! The workflows' error ([`issue`](crate::issue), [`verify`](crate::verify),
//! the evidence [`report`](crate::report), [`witnessing`](crate::witnessing)),
//! and whose fault it is.
//!
//! A front end decides what to tell its user from the [`Fault`], never from
//! the message's text: the HTTP service answers 400 for [`Fault::Input`]
//! with the message, and 500 for [`Fault::Server`] with nothing but a
//! request id. The command line prints the message either way, and finds
//! the typed causes that have exit statuses of their own with
//! [`Error::find`] ([`Behind`](crate::witnessing::Behind),
//! [`TooFewCosignatures`](crate::witnessing::TooFewCosignatures)).

use std::fmt;

/// Whose fault a failed workflow is.
///
/// - **Input**: what the caller gave. A leaked file or master extract that
///   cannot be opened or read, is malformed, lacks the columns the copies
///   were marked in or matches no policy; the extract or the policy to
///   issue; a recipient id (invalid, named twice, or one that differs only
///   in case from another); the threshold; the investigator's name; a
///   report file that exists already. Giving something else may succeed.
/// - **Server**: everything else. The state directory, its master key,
///   policies, canary lists and lock; the issuance log (reading, verifying,
///   appending); the witnesses and their list; temporary files, the disk
///   copies and reports are written to; signing. The same request may
///   succeed once they are put right, and the message may name files of
///   the server's: it is for the operator, not the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The input the caller gave (a leak, a master extract, an extract or
    /// policy to issue, arguments) is at fault.
    Input,
    /// The state, its log, its key, its witnesses or the disk are at fault.
    Server,
}

/// The longest message, in bytes, before its cut. Every part of a message
/// that quotes input is bounded already (the library's errors, names of
/// witnesses and of investigators); this bounds their sum.
const MESSAGE_MAX: usize = 4096;

/// A workflow's failure: its [`Fault`], its message, and the errors that
/// caused it (see [`Error::find`]).
///
/// The message ([`Display`](fmt::Display), [`Error::message`]) is the
/// error and its causes, `: `-separated as the command line prints them
/// ([`text::error_text`](crate::text::error_text)), at most 4 KiB. No
/// message holds a secret: keys are never quoted, and leaked files'
/// contents only as far as the library's bounded errors name a column or a
/// row. [`std::error::Error::source`] is `None`, since the message says its
/// causes already.
pub struct Error {
    fault: Fault,
    error: anyhow::Error,
}

/// A workflow's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error with the given fault.
    pub fn new(fault: Fault, error: impl Into<anyhow::Error>) -> Error {
        Error {
            fault,
            error: error.into(),
        }
    }

    /// An error in what the caller gave.
    pub fn input(error: impl Into<anyhow::Error>) -> Error {
        Error::new(Fault::Input, error)
    }

    /// An error of the state, its log, its key, its witnesses or the disk.
    pub fn server(error: impl Into<anyhow::Error>) -> Error {
        Error::new(Fault::Server, error)
    }

    /// Whose fault it is.
    pub fn fault(&self) -> Fault {
        self.fault
    }

    /// The message: the error and its causes, `: `-separated, each said
    /// once, at most 4 KiB.
    pub fn message(&self) -> String {
        watermark_core::bounded(&crate::text::error_text(&self.error), MESSAGE_MAX).into_owned()
    }

    /// [`Error::message`] in a language: the message a front end shows
    /// its reader ([`error_text_in`]).
    pub fn message_in(&self, lang: crate::Lang) -> String {
        watermark_core::bounded(&error_text_in(lang, &self.error), MESSAGE_MAX).into_owned()
    }

    /// The first error of type `T` among the error and its causes: for
    /// instance a [`Behind`](crate::witnessing::Behind), for which the
    /// command line has an exit status of its own.
    pub fn find<T: std::error::Error + 'static>(&self) -> Option<&T> {
        self.causes().find_map(|e| e.downcast_ref::<T>())
    }

    /// The error and its causes, outermost first.
    pub fn causes(&self) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
        self.error.chain()
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("fault", &self.fault)
            .field("message", &self.message())
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for Error {}

/// [`text::error_text`](crate::text::error_text) in a language: each
/// cause written in `lang` as [`text::causes_in`](crate::text::causes_in)
/// writes it, a workflow's [`Error`] with its own causes. In English it is
/// `error_text`.
pub fn error_text_in(lang: crate::Lang, err: &anyhow::Error) -> String {
    if lang == crate::Lang::En {
        return crate::text::error_text(err);
    }
    crate::text::causes_in(lang, err.chain(), &|cause| {
        cause.downcast_ref::<Error>().map(|e| e.message_in(lang))
    })
}

/// Gives a step's error its fault: `.input()?` for a step that reads what
/// the caller gave, `.server()?` for one that uses the state, its log or
/// the disk.
pub(crate) trait Blame<T> {
    /// The error, if any, is the caller's input's.
    fn input(self) -> Result<T>;
    /// The error, if any, is the server's.
    fn server(self) -> Result<T>;
}

impl<T, E: Into<anyhow::Error>> Blame<T> for std::result::Result<T, E> {
    fn input(self) -> Result<T> {
        self.map_err(Error::input)
    }

    fn server(self) -> Result<T> {
        self.map_err(Error::server)
    }
}

/// Returns an error of the given fault: a sentence of the catalogue and its
/// arguments (`fail!(Input, Msg::ReportExists, path.display())`).
macro_rules! fail {
    ($fault:ident, Msg::$msg:ident $(, $arg:expr)* $(,)?) => {
        return Err($crate::Error::new(
            $crate::Fault::$fault,
            watermark_text::said!($crate::messages::Msg::$msg $(, $arg)*),
        ))
    };
}

pub(crate) use fail;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Typed;
    impl fmt::Display for Typed {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("typed")
        }
    }
    impl std::error::Error for Typed {}

    #[test]
    fn the_message_says_each_cause_once_and_typed_causes_are_found() {
        let e = Error::server(anyhow::Error::new(Typed).context("outer"));
        assert_eq!(e.fault(), Fault::Server);
        assert_eq!(e.message(), "outer: typed");
        assert_eq!(e.to_string(), "outer: typed");
        assert!(e.find::<Typed>().is_some());
        assert!(e.find::<std::io::Error>().is_none());
        assert!(std::error::Error::source(&e).is_none());
    }

    #[test]
    fn a_long_message_is_cut() {
        let e = Error::input(anyhow::anyhow!("{}", "x".repeat(10_000)));
        assert_eq!(e.fault(), Fault::Input);
        let m = e.message();
        assert!(m.len() < MESSAGE_MAX + 64, "{}", m.len());
        assert!(
            m.ends_with("(5904 more characters)"),
            "{}",
            &m[m.len() - 40..]
        );
    }

    #[test]
    fn blame_sets_the_fault() {
        let r: std::result::Result<(), std::io::Error> = Err(std::io::Error::other("disk"));
        assert_eq!(r.server().unwrap_err().fault(), Fault::Server);
        let r: std::result::Result<(), std::io::Error> = Err(std::io::Error::other("leak"));
        assert_eq!(r.input().unwrap_err().fault(), Fault::Input);
    }
}
