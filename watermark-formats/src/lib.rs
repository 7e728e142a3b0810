//! Format adaptors for the registry watermark: the extracts registries
//! really hand out and investigators really receive, read and written row by
//! row around the scheme of `watermark-core`.
//!
//! - CSV ([`issue_csv`], [`verify_csv`], [`CsvRows`]): any delimiter and
//!   quoting ([`sniff`]), every field written back byte for byte unless the
//!   scheme changed it;
//! - Parquet and Arrow IPC ([`issue_parquet`], [`issue_arrow_ipc`],
//!   [`verify_parquet`], [`verify_arrow_ipc`], [`ColumnarRows`]): record
//!   batches marked in place, types and metadata kept.
//!
//! Each adaptor yields rows as a [`RowSource`](watermark_core::RowSource),
//! so canaries, policy suggestion and master matching read every format
//! the same way; a new leak format is one more `RowSource`. Issuing and
//! verifying run on an ordered pipeline of worker threads, with the same
//! output for any thread count.
//!
//! ```
//! use watermark_core::{Detector, Embedder, MasterKey, Policy, Recipient};
//! use watermark_formats::{issue_csv, verify_csv};
//!
//! let key = MasterKey::from_bytes([42; 32]); // use MasterKey::generate() for real
//! let policy = Policy::from_toml(r#"
//!     version = 1
//!     identity = ["CURP"]
//!     [[carrier]]
//!     column = "CALLE"
//!     kind = "variants"
//! "#)?;
//! let mut extract = String::from("CURP,CALLE\n");
//! for i in 0..400 {
//!     extract.push_str(&format!("ID{i:05},AV. REFORMA {i}\n"));
//! }
//! let parties = [Recipient::new("party-a", 0)?, Recipient::new("party-b", 1)?];
//! let embedder = Embedder::builder().key(&key).policy(&policy)
//!     .recipients(parties.clone()).build()?;
//! let copies = issue_csv(&embedder, extract.as_bytes(), vec![Vec::new(), Vec::new()], &mut |_| {})?;
//!
//! // Party B's copy leaks.
//! let leak = &copies.outputs[1];
//! let detector = Detector::builder().key(&key).policy(&policy).recipients(parties).build()?;
//! let found = verify_csv(&detector, &leak[..], &mut |_| {})?;
//! assert_eq!(found.accused.len(), 1);
//! assert_eq!(found.accused[0].recipient, "party-b");
//! # Ok::<(), watermark_core::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod columnar;
mod csv_error;
mod csv_io;
mod pipeline;
mod received;
pub mod split;
mod transcode;

pub use columnar::{
    convert_columnar, csv_to_arrow_ipc, csv_to_parquet, issue_arrow_ipc, issue_parquet,
    issue_parquet_part, issue_table, observe_columns, reexport, silence_reader_panics,
    table_blake3, verify_arrow_ipc, verify_parquet, verify_table, BatchStream, Codec, ColumnarCsv,
    ColumnarRows, ConvertOptions, CsvForm, Deliver, Format, Part, TableCopy,
};
pub use csv_io::{
    issue_csv, issue_csv_with, make_canaries, sniff, suggest_from_csv, verify_csv, verify_csv_with,
    verify_csv_with_master, writer as csv_writer, CsvRows, Dialect, HashingReader, HashingWriter,
    IssueOptions, IssueSummary, VerifyOptions,
};
pub use received::{
    is_container, HeaderCheck, Limits, Reading, ReceiveOptions, Received, SkipReason, Skipped,
    TextEncoding,
};
pub use transcode::{DecodingReader, EncodingWriter};
