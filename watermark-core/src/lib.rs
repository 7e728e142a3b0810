//! Keyed, per-recipient fingerprints for registry extracts, and attribution of
//! leaked samples with a rigorous false-accusation bound.
//!
//! A registry gives each recipient (a party, a contractor) its own copy of an
//! extract. [`Embedder`] writes into each copy a fingerprint that does not
//! change what the data means: equivalent spellings of address words (AVENIDA
//! or AV.), the last centavo of an amount. The marks are positions of a
//! collusion-secure Tardos code derived from a secret [`MasterKey`] and a
//! [`Policy`]. Given a leaked sample, [`Detector`] scores every recipient and
//! bounds, for each, the probability that a recipient who did not leak would
//! score as high; it accuses only below the policy's threshold (1e-9 by
//! default), whatever the leaker did to the sample.
//!
//! The algorithm does no I/O: [`Embedder`] and [`Detector`] work on rows.
//! [`issue_csv`] and [`verify_csv`] are the CSV adapters. Canary generation
//! ([`make_canaries_from_rows`]), policy suggestion ([`suggest_from_rows`])
//! and matching a leak to the master extract ([`verify_rows_with_master`])
//! read an extract in any format as a [`RowSource`] of rows of text
//! ([`CsvRows`], [`ColumnarRows`]). [`State`] keeps keys
//! on disk with the signed, append-only issuance [`Log`], whose [`Receipt`]s
//! anyone holding the log's public key can check offline. A [`Witness`]
//! (C2SP tlog-witness style) cosigns the log's checkpoints only if they
//! extend the last one it saw, and a state's [`WitnessConfig`] names the
//! witnesses its log is shown to.
//!
//! ```
//! use watermark_core::{issue_csv, verify_csv, Detector, Embedder, MasterKey, Policy, Recipient};
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
//! assert!(found.accused[0].false_accusation_bound <= 1e-9);
//! # Ok::<(), watermark_core::Error>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod bound;
mod canary;
mod carrier;
mod code;
mod columnar;
mod csv_io;
mod detect;
mod dictionary;
mod embed;
mod error;
pub mod ids;
mod issuance_log;
mod issuing;
mod key;
mod master;
mod normalize;
mod pipeline;
mod policy;
mod rows;
mod scheme;
mod state;
mod suggest;
pub mod tlog;
mod witness;

pub use canary::{make_canaries_from_rows, CanaryList};
pub use columnar::{
    convert_columnar, csv_to_arrow_ipc, csv_to_parquet, issue_arrow_ipc, issue_parquet, reexport,
    verify_arrow_ipc, verify_parquet, Codec, ColumnarCsv, ColumnarRows, ConvertOptions, Format,
};
pub use csv_io::{
    issue_csv, issue_csv_with, make_canaries, sniff, suggest_from_csv, verify_csv, verify_csv_with,
    verify_csv_with_master, writer as csv_writer, CsvRows, Dialect, HashingReader, HashingWriter,
    IssueOptions, IssueSummary, VerifyOptions,
};
pub use detect::{
    Attribution, ColumnCount, Detector, DetectorBuilder, Evidence, Observer, RecipientScore,
    ScoreName, ScoreTried,
};
pub use dictionary::{mx_address, TokenPlace, VariantGroup};
pub use embed::{Embedder, EmbedderBuilder, RowMarker};
pub use error::{Error, ErrorKind, LogDamage, Result};
pub use issuance_log::{
    hash_from_hex, hash_hex, AccusedRecord, CodeRecord, Consistency, Entry, IssueEntry, Log,
    Orphaned, Receipt, SigningKeyCheck, Uncommitted, VerifiedReceipt, VerifyEntry,
};
pub use issuing::{
    copy_path, copy_path_as, receipt_path, IssuedCopy, LostCopy, PendingIssue, Recovery,
    COPY_EXTENSIONS,
};
pub use key::{KeyId, MasterKey, Subkeys};
pub use master::{
    verify_rows_with_master, ExtraRows, MasterError, MasterIndex, MasterLookup, MasterMatch,
};
pub use normalize::{canonical_identity, fold};
pub use policy::{
    Canaries, CarrierKind, CarrierSpec, CodeParams, Policy, DEFAULT_CANARY_RATE, DEFAULT_THRESHOLD,
};
pub use rows::{IntoRows, Progress, Row, RowBatch, RowPosition, RowSource};
pub use scheme::{validate_recipient_id, IdentifierKind, Recipient, KNOWN_SCHEMES, SCHEME_VERSION};
pub use state::{now_rfc3339, Appended, FilesChecked, Groups, State, StateLock};
pub use suggest::{suggest_from_rows, suggest_policy, ColumnRole, Role, Suggestion};
pub use witness::{
    cosign_receipts, read_cosigned, store_cosigned, AddCheckpointError, Cosigned, CosignedState,
    Trusted, Witness, WitnessConfig, WitnessEntry, COSIGNED_FILE, WITNESSES_FILE,
};
