//! The registry watermark's issuance-log records and transparency-log
//! primitives, with no I/O.
//!
//! - [`Entry`]: what the signed, append-only issuance log records, one
//!   canonical JSON line per copy issued ([`IssueEntry`]) and per leak
//!   verified ([`VerifyEntry`]), each naming the scheme version it was made
//!   under;
//! - [`Receipt`]: the proof, checkable offline with the log's public key,
//!   that an entry is in the log;
//! - [`tlog`]: RFC 6962 Merkle trees, C2SP signed notes and checkpoints,
//!   and C2SP tlog-witness cosignatures.
//!
//! The log's files on disk, their crash-safe appends and the witnesses'
//! storage are the application layer's (`watermark-app`).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod entry;
mod receipt;
pub mod tlog;

pub use entry::{AccusedRecord, CodeRecord, Entry, EntryError, IssueEntry, VerifyEntry};
pub use receipt::{Receipt, VerifiedReceipt};

use tlog::Hash;

/// Lower-case hex of a hash.
pub fn hash_hex(hash: &Hash) -> String {
    watermark_core::hex(hash)
}

/// Parses 64 lower-case hex digits into a hash.
pub fn hash_from_hex(s: &str) -> Option<Hash> {
    if !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    watermark_core::unhex(s)?.try_into().ok()
}
