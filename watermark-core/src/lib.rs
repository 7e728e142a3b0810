//! The registry watermark scheme: keyed, per-recipient fingerprints for
//! registry extracts, and attribution of leaked samples with a rigorous
//! false-accusation bound.
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
//! Verification can be split across threads, processes or machines: an
//! [`Observer`] that reads any subset of a leak's rows (each with its row
//! number in the whole leak) hands over a [`Tally`] ([`Observer::take`]),
//! tallies merge in any order and grouping ([`Tally::merge`]), and
//! [`Detector::finish`] turns the merged tally into the [`Attribution`] one
//! observer reading every row in order would give, to the last digit. A
//! tally serialises with serde and holds no row data, key material or
//! canary value, so it can travel; tallies of another detector, or of the
//! same row twice, are refused. The format adaptors verify this way on
//! their own threads, and lend them to [`Detector::finish_with`] for the
//! bounds.
//!
//! This crate is the scheme layer and does no I/O: no file system, clock,
//! thread or format library, and no global state. [`Embedder`] and [`Detector`] work on rows;
//! canary generation ([`make_canaries_from_rows`]), policy suggestion
//! ([`suggest_from_rows`]) and matching a leak to the master extract
//! ([`verify_rows_with_master`]) read an extract as a [`RowSource`] of rows
//! of text. The format adaptors (CSV, Parquet, Arrow IPC) are in
//! `watermark-formats`; the issuance log's records and transparency-log
//! primitives in `watermark-log`; the state directory and the logged
//! workflows in `watermark-app`.
//!
//! ```
//! use watermark_core::{Detector, Embedder, MasterKey, Policy, Recipient};
//!
//! let key = MasterKey::from_bytes([42; 32]); // use MasterKey::generate() for real
//! let policy = Policy::from_toml(r#"
//!     version = 1
//!     identity = ["CURP"]
//!     [[carrier]]
//!     column = "CALLE"
//!     kind = "variants"
//! "#)?;
//! let header = ["CURP", "CALLE"];
//! let rows: Vec<[String; 2]> = (0..400)
//!     .map(|i| [format!("ID{i:05}"), format!("AV. REFORMA {i}")])
//!     .collect();
//! let parties = [Recipient::new("party-a", 0)?, Recipient::new("party-b", 1)?];
//! let embedder = Embedder::builder().key(&key).policy(&policy)
//!     .recipients(parties.clone()).build()?;
//!
//! // Party B's copy, row by row, and it leaks.
//! let mut marker = embedder.bind(&header)?;
//! let mut leak = Vec::new();
//! for row in &rows {
//!     marker.mark(|c| row[c].as_str())?;
//!     leak.push([0, 1].map(|c| marker.cell(1, c, &row[c]).into_owned()));
//! }
//! let detector = Detector::builder().key(&key).policy(&policy).recipients(parties).build()?;
//! let mut observer = detector.bind(&header)?;
//! for (i, row) in leak.iter().enumerate() {
//!     observer.observe(i as u64 + 1, |c| row[c].as_str())?;
//! }
//! let found = observer.finish();
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
mod detect;
mod dictionary;
mod embed;
mod error;
pub mod ids;
mod key;
mod master;
mod normalize;
mod policy;
mod rows;
mod scheme;
mod suggest;

pub use canary::{make_canaries_from_rows, CanaryList, CanaryRow};
pub use detect::{
    Attribution, ColumnCount, Detector, DetectorBuilder, Evidence, Job, Observer, RecipientScore,
    ScoreName, ScoreTried, Tally,
};
pub use dictionary::{mx_address, mx_degrees, mx_jobs, TokenPlace, VariantGroup};
pub use embed::{Embedder, EmbedderBuilder, PlacedCanaries, RowMarker};
pub use error::{bounded, Error, ErrorKind, LogDamage, Message, Result};
pub use key::{hex, unhex, KeyId, MasterKey, Subkeys, KEY_FILE_TAG};
pub use master::{
    verify_rows, verify_rows_with_master, ExtraRows, MasterError, MasterIndex, MasterLookup,
    MasterMatch,
};
pub use normalize::{canonical_identity, fold};
pub use policy::{
    Canaries, CarrierKind, CarrierSpec, CodeParams, Policy, DEFAULT_CANARY_RATE, DEFAULT_THRESHOLD,
};
pub use rows::{IntoRows, Progress, Row, RowBatch, RowPosition, RowSource};
pub use scheme::{validate_recipient_id, IdentifierKind, Recipient, KNOWN_SCHEMES, SCHEME_VERSION};
pub use suggest::{suggest_from_rows, suggest_policy, ColumnRole, Role, Suggestion};
