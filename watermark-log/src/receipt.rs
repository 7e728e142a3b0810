//! Receipts: one entry, its inclusion proof, and a signed checkpoint, which
//! anyone holding the log's public key can check offline.

use serde::{Deserialize, Serialize};

use super::{hash_from_hex, hash_hex, Entry};
use crate::tlog::{self, Checkpoint, Hash, Verifier};
use watermark_core::{Error, Result};
use watermark_text::{said, Msg};

/// The `format` field of a receipt document.
const FORMAT: &str = "watermark-log-receipt/v1";

/// Proof that an entry is in the log: the entry's canonical text, its index,
/// the RFC 9162 inclusion proof, and the signed checkpoint it leads to.
///
/// As JSON (the form written next to each copy, and printed by
/// `watermark log prove --json`):
///
/// ```text
/// {"format": "watermark-log-receipt/v1", "log": ORIGIN, "index": N,
///  "entry": "<canonical entry JSON, as a string>", "leaf_hash": HEX,
///  "inclusion_proof": [HEX, …], "checkpoint": "<signed note>"}
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "ReceiptDoc", try_from = "ReceiptDoc")]
pub struct Receipt {
    /// The entry's 0-based index.
    pub index: u64,
    /// The entry's canonical text (the Merkle leaf data).
    pub entry: String,
    /// Hashes from the leaf up to the root (RFC 9162 section 2.1.3).
    pub inclusion_proof: Vec<Hash>,
    /// The signed checkpoint the proof leads to.
    pub checkpoint: String,
}

/// A receipt whose signature and proof check out.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedReceipt {
    /// The entry's index.
    pub index: u64,
    /// The entry.
    pub entry: Entry,
    /// Its RFC 6962 leaf hash.
    pub leaf_hash: Hash,
    /// The checkpoint that includes it.
    pub checkpoint: Checkpoint,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReceiptDoc {
    format: String,
    log: String,
    index: u64,
    entry: String,
    leaf_hash: String,
    inclusion_proof: Vec<String>,
    checkpoint: String,
}

impl From<Receipt> for ReceiptDoc {
    fn from(r: Receipt) -> Self {
        ReceiptDoc {
            format: FORMAT.into(),
            log: r.checkpoint.lines().next().unwrap_or_default().to_owned(),
            index: r.index,
            leaf_hash: hash_hex(&tlog::leaf_hash(r.entry.as_bytes())),
            entry: r.entry,
            inclusion_proof: r.inclusion_proof.iter().map(hash_hex).collect(),
            checkpoint: r.checkpoint,
        }
    }
}

impl TryFrom<ReceiptDoc> for Receipt {
    type Error = String;

    fn try_from(d: ReceiptDoc) -> std::result::Result<Self, String> {
        if d.format != FORMAT {
            return Err(format!("format {:?} is not {FORMAT:?}", d.format));
        }
        let inclusion_proof = d
            .inclusion_proof
            .iter()
            .enumerate()
            .map(|(i, h)| {
                hash_from_hex(h).ok_or_else(|| format!("inclusion_proof[{i}] is not 64 hex digits"))
            })
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let leaf = hash_from_hex(&d.leaf_hash).ok_or("leaf_hash is not 64 hex digits")?;
        if leaf != tlog::leaf_hash(d.entry.as_bytes()) {
            return Err("leaf_hash is not the hash of entry".into());
        }
        if d.checkpoint.lines().next() != Some(d.log.as_str()) {
            return Err("log is not the checkpoint's origin".into());
        }
        Ok(Receipt {
            index: d.index,
            entry: d.entry,
            inclusion_proof,
            checkpoint: d.checkpoint,
        })
    }
}

impl Receipt {
    /// The receipt as a JSON document (pretty-printed, ending in a newline).
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("receipts serialise");
        s.push('\n');
        s
    }

    /// Parses a receipt document.
    pub fn from_json(text: &str) -> Result<Receipt> {
        serde_json::from_str(text).map_err(|e| Error::state(said!(Msg::RcNotReceipt, e)))
    }

    /// Checks the receipt with the log's public key alone: the checkpoint's
    /// signature, the entry's canonical form, and that the inclusion proof
    /// leads from the entry's leaf hash to the checkpoint's root.
    pub fn verify(&self, verifier: &Verifier) -> Result<VerifiedReceipt> {
        let checkpoint = tlog::open_checkpoint(&self.checkpoint, verifier)
            .map_err(|e| Error::state(said!(Msg::RcCheckpointFails, e)))?;
        if checkpoint.origin != verifier.name() {
            return Err(Error::state(said!(
                Msg::RcOtherLog,
                format!("{:?}", checkpoint.origin),
                format!("{:?}", verifier.name())
            )));
        }
        let entry = Entry::parse_line(&self.entry)
            .map_err(|e| Error::state(said!(Msg::RcBadEntry, e.message)))?;
        let leaf_hash = tlog::leaf_hash(self.entry.as_bytes());
        tlog::verify_inclusion(
            &leaf_hash,
            self.index,
            checkpoint.size,
            &self.inclusion_proof,
            &checkpoint.root,
        )
        .map_err(|e| Error::state(said!(Msg::RcNotIncluded, e)))?;
        Ok(VerifiedReceipt {
            index: self.index,
            entry,
            leaf_hash,
            checkpoint,
        })
    }
}
