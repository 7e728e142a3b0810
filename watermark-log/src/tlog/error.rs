//! The single error type of the transparency-log module.

use super::merkle::Hash;

/// Everything that can go wrong in [`crate::tlog`]: building or checking
/// Merkle proofs, parsing or verifying signed notes and keys, and parsing
/// checkpoints.
///
/// Each variant carries enough context to say precisely what is wrong. Secret
/// key material is never included in an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlogError {
    // ----- Merkle trees and proofs -------------------------------------------
    /// A leaf index is not smaller than the tree size.
    #[error("leaf index {index} is out of range for a tree of {tree_size}")]
    IndexOutOfRange {
        /// The requested leaf index.
        index: u64,
        /// The size of the tree the index was checked against.
        tree_size: u64,
    },

    /// A tree size larger than the number of leaves available was requested.
    #[error("tree size {requested} exceeds the {available} leaves available")]
    TreeSizeOutOfRange {
        /// The requested tree size.
        requested: u64,
        /// The number of leaves actually held.
        available: u64,
    },

    /// A consistency proof was requested or checked from a larger tree to a
    /// smaller one.
    #[error("consistency proof from tree size {old_size} to smaller tree size {new_size}")]
    ConsistencySizesReversed {
        /// The size of the earlier tree.
        old_size: u64,
        /// The size of the later tree.
        new_size: u64,
    },

    /// An inclusion proof does not have the number of hashes that RFC 9162
    /// requires for its leaf index and tree size.
    #[error(
        "inclusion proof has {got} hashes, expected {expected} for index {index} in a tree of {tree_size}"
    )]
    InclusionProofLength {
        /// Number of hashes in the proof.
        got: usize,
        /// Number of hashes required.
        expected: usize,
        /// The leaf index being proven.
        index: u64,
        /// The tree size the proof is against.
        tree_size: u64,
    },

    /// An inclusion proof, applied to the leaf hash, yields a root other than
    /// the expected one.
    #[error(
        "inclusion proof for index {index} in a tree of {tree_size} yields root {}, expected {}",
        hex(.computed),
        hex(.expected)
    )]
    InclusionRootMismatch {
        /// The leaf index being proven.
        index: u64,
        /// The tree size the proof is against.
        tree_size: u64,
        /// The root computed from the leaf hash and the proof.
        computed: Hash,
        /// The root the caller expected.
        expected: Hash,
    },

    /// A consistency proof does not have the number of hashes that RFC 9162
    /// requires for its two tree sizes.
    #[error(
        "consistency proof has {got} hashes, expected {expected} from tree size {old_size} to {new_size}"
    )]
    ConsistencyProofLength {
        /// Number of hashes in the proof.
        got: usize,
        /// Number of hashes required.
        expected: usize,
        /// The size of the earlier tree.
        old_size: u64,
        /// The size of the later tree.
        new_size: u64,
    },

    /// A consistency proof reconstructs an old root other than the expected one.
    #[error(
        "consistency proof from tree size {old_size} to {new_size} yields old root {}, expected {}",
        hex(.computed),
        hex(.expected)
    )]
    ConsistencyOldRootMismatch {
        /// The size of the earlier tree.
        old_size: u64,
        /// The size of the later tree.
        new_size: u64,
        /// The old root computed from the proof.
        computed: Hash,
        /// The old root the caller expected.
        expected: Hash,
    },

    /// A consistency proof reconstructs a new root other than the expected one.
    #[error(
        "consistency proof from tree size {old_size} to {new_size} yields new root {}, expected {}",
        hex(.computed),
        hex(.expected)
    )]
    ConsistencyNewRootMismatch {
        /// The size of the earlier tree.
        old_size: u64,
        /// The size of the later tree.
        new_size: u64,
        /// The new root computed from the proof.
        computed: Hash,
        /// The new root the caller expected.
        expected: Hash,
    },

    /// Two roots claimed for the same tree size differ.
    #[error(
        "two trees of the same size {size} have different roots {} and {}",
        hex(.old_root),
        hex(.new_root)
    )]
    SameSizeRootMismatch {
        /// The common tree size.
        size: u64,
        /// The first root.
        old_root: Hash,
        /// The second root.
        new_root: Hash,
    },

    // ----- Signed notes and keys ---------------------------------------------
    /// The signed note is not valid UTF-8.
    #[error("signed note is not valid UTF-8 (first invalid byte at offset {offset})")]
    NoteNotUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },

    /// The signed note, or a note text to be signed, contains an ASCII control
    /// character other than newline.
    #[error("note contains control character {byte:#04x} at byte offset {offset}")]
    NoteControlChar {
        /// The offending byte.
        byte: u8,
        /// Its byte offset.
        offset: usize,
    },

    /// The signed note has no blank line separating its text from its
    /// signatures.
    #[error("signed note has no blank line separating the text from the signatures")]
    NoteMissingSeparator,

    /// The signed note has nothing after the separating blank line.
    #[error("signed note has no signature lines after the blank line")]
    NoteNoSignatures,

    /// The signed note's last signature line is not terminated by a newline.
    #[error("signed note does not end with a newline")]
    NoteMissingFinalNewline,

    /// A note text to be signed is empty or does not end with a newline.
    #[error("note text must be non-empty and end with a newline")]
    NoteTextNotTerminated,

    /// A signature line is malformed.
    #[error("signature line {line} of the note is malformed: {reason}")]
    MalformedSignatureLine {
        /// 1-based line number within the whole signed note.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },

    /// The signed note has more signature lines than accepted.
    #[error("signed note has {count} signatures, more than the limit of {max}")]
    TooManySignatures {
        /// Number of signature lines found.
        count: usize,
        /// The limit.
        max: usize,
    },

    /// A signature by the expected key does not verify.
    #[error("signature by key {name}+{key_id:08x} does not verify")]
    InvalidSignature {
        /// Key name.
        name: String,
        /// Key id.
        key_id: u32,
    },

    /// The note carries no signature by the expected key.
    #[error(
        "note has no signature by key {name}+{key_id:08x} ({found} signature(s) by other keys)"
    )]
    MissingSignature {
        /// Expected key name.
        name: String,
        /// Expected key id.
        key_id: u32,
        /// Number of signature lines by other keys.
        found: usize,
    },

    /// A key name is empty or contains whitespace or `+`.
    #[error("invalid key name {name:?}: {reason}")]
    InvalidKeyName {
        /// The rejected name (truncated if long).
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// A verifier key string is malformed.
    #[error("malformed verifier key: {reason}")]
    MalformedVerifierKey {
        /// What is wrong with it.
        reason: String,
    },

    /// A signer (private) key string is malformed. The reason never quotes
    /// the key material.
    #[error("malformed signer key: {reason}")]
    MalformedSignerKey {
        /// What is wrong with it.
        reason: String,
    },

    /// The key id written in a key string does not match the one computed
    /// from the key name and public key.
    #[error(
        "key id {stated:08x} in the key string does not match {computed:08x} computed from the name and public key"
    )]
    KeyIdMismatch {
        /// The key id written in the key string.
        stated: u32,
        /// The key id computed from the name and public key.
        computed: u32,
    },

    /// A key uses a signature algorithm other than Ed25519.
    #[error("unsupported signature algorithm {0:#04x} (only Ed25519, 0x01, is supported)")]
    UnsupportedAlgorithm(u8),

    /// The system random number generator failed.
    #[error("the system random number generator failed")]
    Random,

    /// A detached signature's context string is not one this module accepts
    /// (see [`crate::tlog::Signer::sign_detached`]).
    #[error("invalid signing context: {reason}")]
    InvalidContext {
        /// What is wrong with it.
        reason: &'static str,
    },

    // ----- Checkpoints -------------------------------------------------------
    /// A checkpoint body does not end with a newline.
    #[error("checkpoint body does not end with a newline")]
    CheckpointMissingFinalNewline,

    /// A checkpoint body lacks one of its three mandatory lines.
    #[error("checkpoint body is missing its {0} line")]
    CheckpointMissingLine(&'static str),

    /// The checkpoint origin is empty.
    #[error("checkpoint origin line is empty")]
    CheckpointEmptyOrigin,

    /// The checkpoint tree size line is not a canonical decimal `u64`.
    #[error("checkpoint tree size {found:?} is invalid: {reason}")]
    CheckpointInvalidSize {
        /// The line as found (truncated if long).
        found: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// The checkpoint root hash line is not valid base64.
    #[error("checkpoint root hash {found:?} is not valid base64: {reason}")]
    CheckpointRootNotBase64 {
        /// The line as found (truncated if long).
        found: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The checkpoint root hash does not decode to 32 bytes.
    #[error("checkpoint root hash decodes to {got} bytes, expected 32")]
    CheckpointRootLength {
        /// Number of bytes decoded.
        got: usize,
    },

    /// A checkpoint extension line is empty.
    #[error("checkpoint extension line {line} is empty")]
    CheckpointEmptyExtension {
        /// 1-based line number within the checkpoint body.
        line: usize,
    },

    /// A checkpoint field contains a newline or another control character.
    #[error("checkpoint {field} contains forbidden character {ch:?}")]
    CheckpointForbiddenChar {
        /// Which field (`origin` or `extension line`).
        field: &'static str,
        /// The forbidden character.
        ch: char,
    },

    // ----- Witnesses ---------------------------------------------------------
    /// An `add-checkpoint` request body (C2SP tlog-witness) is malformed.
    #[error("add-checkpoint request, line {line}: {reason}")]
    WitnessRequest {
        /// 1-based line of the request body.
        line: usize,
        /// What is wrong with it (quoting at most a short part of the line).
        reason: String,
    },

    /// A witness's answer holds no signature line by its key that verifies
    /// on the checkpoint submitted.
    #[error(
        "the answer of witness {name}+{key_id:08x} holds no valid cosignature of the checkpoint"
    )]
    NoCosignature {
        /// The witness's key name.
        name: String,
        /// The witness's key id.
        key_id: u32,
    },

    /// A cosignature timestamp is larger than the specification allows
    /// (2^63 - 1).
    #[error("cosignature timestamp {0} is larger than 2^63 - 1")]
    CosignatureTimestamp(u64),
}

/// Error type of the Merkle proof functions (the module's single error type).
pub type ProofError = TlogError;
/// Error type of the signed-note functions (the module's single error type).
pub type NoteError = TlogError;
/// Error type of the checkpoint functions (the module's single error type).
pub type CheckpointError = TlogError;

/// Lower-case hex of a hash, for error messages.
pub(crate) fn hex(hash: &Hash) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(64);
    for b in hash {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Shortens untrusted text quoted in an error message.
pub(crate) fn truncate_for_error(s: &str) -> String {
    const MAX: usize = 64;
    match s.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}
