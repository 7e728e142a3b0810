//! The registry watermark's application layer: everything that touches the
//! state directory, and the workflows both front ends run, built on the
//! scheme (`watermark-core`), the format adaptors (`watermark-formats`) and
//! the log's records and primitives (`watermark-log`).
//!
//! The state and its log:
//!
//! - [`State`]: the state directory, its master key (a 0600 file,
//!   [`key_file`]), the policies and canary lists copies were made with,
//!   and the lock that keeps slots and entries from being shared;
//! - [`Log`]: the signed, append-only issuance log on disk, with crash-safe
//!   appends and [`Receipt`](watermark_log::Receipt)s;
//! - [`PendingIssue`]: issuing copies crash-safely (a journal, then the log
//!   entry, then the copies moved into place);
//! - [`Witness`] and [`WitnessConfig`]: cosigning witnesses, their storage
//!   and the list a state shows its log to.
//!
//! The workflows, each taking its settings and a [`Reporter`] (where
//! notices and progress go) and returning a serialisable result or an
//! [`Error`] that says whose [`Fault`] it is:
//!
//! - [`issue`]: one pass over an extract writes every recipient's copy,
//!   logged and with its receipt;
//! - [`verify`]: a leak attributed, the verification logged, the accused's
//!   copies proved; its [`verify::Report`] is what `watermark verify
//!   --json` prints and the verify service answers;
//! - [`report`]: that report as a signed HTML evidence report, and the
//!   check of one's signature;
//! - [`witnessing`]: the state's checkpoints submitted to its witnesses
//!   before and after issuing or verifying, and for `watermark log
//!   witness`;
//! - [`tables`]: tables a program holds (data frames, record batches)
//!   issued and verified as files are, identified by their CSV form;
//! - [`formats`]: CSV, Parquet and Arrow IPC told by their first bytes,
//!   issued in and read from any of them;
//! - [`text`]: what both front ends show in words (bounds, odds, wrapped
//!   lines, errors, numbers with separators);
//! - [`Lang`] and [`messages`]: the language people read (English or
//!   Spanish, from `--lang`, the locale or `Accept-Language`), and the
//!   catalogue of every sentence of the verify output, the evidence report
//!   and the upload page in both. JSON documents are language-neutral.
//!
//! The command line (`watermark-cli`) and the HTTP service
//! (`verify-service`) are built on this crate and on neither of each other:
//! argument parsing, printing, progress bars and HTTP stay in them. This
//! crate uses no terminal, command-line or HTTP-server library.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod error;
mod files;
pub mod formats;
mod issuance_log;
pub mod issue;
mod issuing;
pub mod key_file;
pub mod report;
mod reporter;
mod runner;
pub mod split;
mod state;
pub mod tables;
pub mod text;
pub mod verify;
mod witness;
pub mod witnessing;

pub use error::{error_text_in, Error, Fault, Result};
pub use issuance_log::{Consistency, Log, Orphaned, SigningKeyCheck, Uncommitted};
pub use issuing::{
    copy_path, copy_path_as, receipt_path, IssuedCopy, LostCopy, PendingIssue, Recovery,
    COPY_EXTENSIONS,
};
pub use reporter::{hidden, Hidden, ProgressSink, Quiet, Reporter};
pub use state::{now_rfc3339, Appended, FilesChecked, Groups, State, StateLock};
use watermark_text::{html, numbers};
pub use watermark_text::{messages, Lang};
pub use witness::{
    cosign_receipts, read_cosigned, store_cosigned, AddCheckpointError, Cosigned, CosignedState,
    Trusted, Witness, WitnessConfig, WitnessEntry, COSIGNED_FILE, WITNESSES_FILE,
};
