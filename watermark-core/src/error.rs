//! The crate's one error type.
//!
//! An [`Error`] says what went wrong ([`ErrorKind`]) and, where it helps a user
//! find the problem, where: the data row (1-based, header excluded), the physical
//! line of the file, and the column. The file name is the caller's to add, since
//! the library reads from any `io::Read`.

use std::fmt;

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading or writing failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: Message,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The input is not well-formed CSV.
    #[error("malformed CSV: {0}")]
    Csv(String),
    /// A row has a different number of fields than the header.
    #[error("row has {found} fields but the header has {expected}")]
    UnequalLengths {
        /// Fields in the header.
        expected: u64,
        /// Fields in this row.
        found: u64,
    },
    /// A field is not valid UTF-8.
    #[error(
        "not valid UTF-8: the text is in another encoding than the one it was read in \
         (give its encoding: utf-8, utf-16le, utf-16be, windows-1252), or this is not a table"
    )]
    Utf8,
    /// The input has no header row at all.
    #[error("the input is empty: expected a header row")]
    EmptyInput,
    /// A column the policy needs is not in the input.
    #[error("the policy's {role} column {column:?} is not in the input (columns: {available})")]
    MissingColumn {
        /// The column's name in the policy.
        column: String,
        /// What the policy uses it for.
        role: &'static str,
        /// The input's columns, comma-separated.
        available: String,
    },
    /// A row's identity value is empty.
    #[error("identity value is empty")]
    EmptyIdentity,
    /// The policy is invalid.
    #[error("invalid policy: {0}")]
    Policy(Message),
    /// A key file is missing, malformed, or not for this use.
    #[error("{0}")]
    Key(Message),
    /// A key file can be read by other users.
    #[error(
        "key file {path} has mode {mode:03o}: it must be readable by its owner only (chmod 600)"
    )]
    KeyPermissions {
        /// The key file.
        path: String,
        /// Its permission bits.
        mode: u32,
    },
    /// A recipient id is not usable.
    #[error("recipient id {0:?} is not allowed: use 1-64 characters from A-Z a-z 0-9 . _ -, starting with a letter or digit, and not a device name (CON, NUL, COM1 ...)")]
    InvalidRecipient(String),
    /// The state directory is missing, malformed or inconsistent.
    #[error("{0}")]
    State(Message),
    /// The issuance log is damaged or does not verify.
    #[error("{0}")]
    Log(Box<LogDamage>),
    /// A file the issuance log binds by its digest (a stored policy, a
    /// canary list) is no longer what was logged: it was changed after
    /// issuance.
    #[error("{0}")]
    Altered(Message),
}

/// The text of an error that is a sentence of its own ([`ErrorKind::Policy`],
/// [`ErrorKind::Key`], [`ErrorKind::State`], [`ErrorKind::Altered`]): plain
/// text, or an error value of a layer above whose `Display` is the English
/// text and which that layer can render in another language
/// ([`Message::inner`] gives it back to downcast).
#[derive(Clone)]
pub struct Message(std::sync::Arc<dyn std::error::Error + Send + Sync>);

impl Message {
    /// A message that is an error value of its own (for instance a
    /// sentence of a message catalogue with its arguments).
    pub fn from_error(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Message(std::sync::Arc::new(e))
    }

    /// The value the message was made from: a `String`'s text is an error
    /// whose `Display` is that text.
    pub fn inner(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.0
    }
}

impl From<String> for Message {
    fn from(s: String) -> Self {
        let b: Box<dyn std::error::Error + Send + Sync> = s.into();
        Message(b.into())
    }
}

impl From<&String> for Message {
    fn from(s: &String) -> Self {
        Message::from(s.clone())
    }
}

impl From<&str> for Message {
    fn from(s: &str) -> Self {
        Message::from(s.to_owned())
    }
}

/// Two messages are equal when they say the same (in English).
impl PartialEq for Message {
    fn eq(&self, other: &Message) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for Message {}

impl From<watermark_text::Msg> for Message {
    fn from(m: watermark_text::Msg) -> Self {
        Message::from_error(watermark_text::Said::new(m))
    }
}

impl From<&watermark_text::Said> for Message {
    fn from(s: &watermark_text::Said) -> Self {
        Message::from_error(s.clone())
    }
}

impl From<watermark_text::Said> for Message {
    fn from(s: watermark_text::Said) -> Self {
        Message::from_error(s)
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0.to_string(), f)
    }
}

/// Where a stored file of the issuance log fails to verify, and why.
///
/// Displays as `FILE: entry 4 (line 5, byte 1234): what is wrong`, naming as
/// much of the position as is known.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogDamage {
    /// The file.
    pub file: std::path::PathBuf,
    /// The 0-based log entry the problem is in, when known.
    pub entry: Option<u64>,
    /// The 0-based checkpoint (the one of tree size `n` is number `n`), when
    /// the problem is in one.
    pub checkpoint: Option<u64>,
    /// The 1-based line of the file, when known.
    pub line: Option<u64>,
    /// The 0-based byte offset in the file, when known.
    pub byte: Option<u64>,
    /// What is wrong.
    pub message: Message,
}

impl LogDamage {
    /// Damage in `file`, described by `message`.
    pub fn new(file: &std::path::Path, message: impl Into<Message>) -> Self {
        LogDamage {
            file: file.to_path_buf(),
            entry: None,
            checkpoint: None,
            line: None,
            byte: None,
            message: message.into(),
        }
    }

    /// At the 0-based log entry `entry`.
    pub fn entry(mut self, entry: u64) -> Self {
        self.entry = Some(entry);
        self
    }

    /// In the 0-based checkpoint `checkpoint`.
    pub fn checkpoint(mut self, checkpoint: u64) -> Self {
        self.checkpoint = Some(checkpoint);
        self
    }

    /// At the 1-based line `line` of the file.
    pub fn line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }

    /// At the 0-based byte offset `byte` of the file.
    pub fn byte(mut self, byte: u64) -> Self {
        self.byte = Some(byte);
        self
    }
}

impl fmt::Display for LogDamage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.file.display())?;
        let mut place = Vec::new();
        if let Some(line) = self.line {
            place.push(format!("line {line}"));
        }
        if let Some(byte) = self.byte {
            place.push(format!("byte {byte}"));
        }
        let head = match (self.entry, self.checkpoint) {
            (Some(e), _) => Some(format!("entry {e}")),
            (None, Some(c)) => Some(format!("checkpoint {c}")),
            (None, None) => None,
        };
        match (head, place.is_empty()) {
            (Some(h), true) => write!(f, "{h}: ")?,
            (Some(h), false) => write!(f, "{h} ({}): ", place.join(", "))?,
            (None, false) => write!(f, "{}: ", place.join(", "))?,
            (None, true) => {}
        }
        write!(f, "{}", self.message)
    }
}

/// An error, with the position in the input where it was found when known.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    row: Option<u64>,
    line: Option<u64>,
    column: Option<String>,
}

impl Error {
    /// An error of `kind`, with no position yet.
    pub fn new(kind: ErrorKind) -> Self {
        Error {
            kind,
            row: None,
            line: None,
            column: None,
        }
    }

    /// Reading or writing failed while doing `context`.
    pub fn io(context: impl Into<Message>, source: std::io::Error) -> Self {
        Error::new(ErrorKind::Io {
            context: context.into(),
            source,
        })
    }

    /// An invalid policy.
    pub fn policy(msg: impl Into<Message>) -> Self {
        Error::new(ErrorKind::Policy(msg.into()))
    }

    /// A missing, malformed or inconsistent state directory.
    pub fn state(msg: impl Into<Message>) -> Self {
        Error::new(ErrorKind::State(msg.into()))
    }

    /// A file the issuance log binds, changed after issuance.
    pub fn altered(msg: impl Into<Message>) -> Self {
        Error::new(ErrorKind::Altered(msg.into()))
    }

    /// Whether this is tampering with what the issuance log binds: the log
    /// itself damaged ([`ErrorKind::Log`]) or a file it binds changed
    /// ([`ErrorKind::Altered`]), as opposed to a file that cannot be read.
    pub fn is_tampering(&self) -> bool {
        matches!(self.kind(), ErrorKind::Log(_) | ErrorKind::Altered(_))
    }

    /// A damaged issuance log.
    pub fn log(damage: LogDamage) -> Self {
        Error::new(ErrorKind::Log(Box::new(damage)))
    }

    /// A key that is missing, malformed, or not for this use.
    pub fn key(msg: impl Into<Message>) -> Self {
        Error::new(ErrorKind::Key(msg.into()))
    }

    /// Placed at data row `row` (1-based, header excluded), physical line `line`.
    pub fn at_row(mut self, row: u64, line: u64) -> Self {
        self.row = Some(row);
        self.line = Some(line);
        self
    }

    /// Placed at physical line `line`.
    pub fn at_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }

    /// Placed in the input's column `column`.
    pub fn in_column(mut self, column: impl Into<String>) -> Self {
        self.column = Some(column.into());
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// The 1-based data row (header excluded), when known.
    pub fn row(&self) -> Option<u64> {
        self.row
    }

    /// The 1-based physical line of the input, when known.
    pub fn line(&self) -> Option<u64> {
        self.line
    }

    /// The column's name in the input, when known.
    pub fn column(&self) -> Option<&str> {
        self.column.as_deref()
    }
}

/// The longest an error message is, in bytes, before its cut: a message
/// may quote input (a column's name, the columns an input has), and input
/// can be of any size.
const MESSAGE_MAX: usize = 1000;

/// `s` cut to at most `max` bytes at a character boundary, saying how much
/// was left out: for quoting input of any size in a message.
pub fn bounded(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    if s.len() <= max {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut cut = max;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    std::borrow::Cow::Owned(format!(
        "{}… ({} more characters)",
        &s[..cut],
        s[cut..].chars().count()
    ))
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut full = String::new();
        self.write_full(&mut full)?;
        f.write_str(&bounded(&full, MESSAGE_MAX))
    }
}

impl Error {
    /// The whole message, however long.
    fn write_full(&self, f: &mut String) -> fmt::Result {
        use std::fmt::Write as _;
        let mut wrote = false;
        match (self.row, self.line) {
            (Some(row), Some(line)) => {
                write!(f, "row {row} (line {line})")?;
                wrote = true;
            }
            (None, Some(line)) => {
                write!(f, "line {line}")?;
                wrote = true;
            }
            (Some(row), None) => {
                write!(f, "row {row}")?;
                wrote = true;
            }
            (None, None) => {}
        }
        if let Some(col) = &self.column {
            if wrote {
                f.write_str(", ")?;
            }
            write!(f, "column {col}")?;
            wrote = true;
        }
        if wrote {
            f.write_str(": ")?;
        }
        write!(f, "{}", self.kind)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.kind)
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error::new(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An input of a million columns named in an error (the columns it has,
    /// a column's name) gives a message of about a kilobyte, not megabytes.
    #[test]
    fn regression_an_error_naming_a_million_columns_is_bounded() {
        let header: Vec<String> = (0..1_000_000).map(|i| format!("columna_{i}")).collect();
        let e = Error::new(ErrorKind::MissingColumn {
            column: "CURP".into(),
            role: "identity",
            available: header.join(", "),
        })
        .in_column("Ñ".repeat(100_000));
        let text = e.to_string();
        assert!(text.len() < MESSAGE_MAX + 64, "{} bytes", text.len());
        assert!(
            text.ends_with("more characters)"),
            "{}",
            &text[text.len() - 80..]
        );
        // Short messages are untouched.
        let short = Error::new(ErrorKind::EmptyIdentity).in_column("CURP");
        assert_eq!(short.to_string(), "column CURP: identity value is empty");
    }
}
