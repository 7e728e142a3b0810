//! Transparency-log primitives for the issuance log, in the style of
//! Certificate Transparency and Go's checksum database.
//!
//! Pure in-memory building blocks, with no I/O:
//!
//! - [`merkle`]: RFC 6962 / RFC 9162 Merkle tree hashing, inclusion and
//!   consistency proofs and their verification, and an incremental [`Tree`];
//! - [`note`]: C2SP signed notes with Ed25519 keys ([`Signer`], [`Verifier`]),
//!   compatible with Go's `golang.org/x/mod/sumdb/note`;
//! - [`checkpoint`]: C2SP tlog checkpoints, signed as notes;
//! - [`witness`]: the C2SP tlog-witness `add-checkpoint` request, the checks
//!   a witness makes before cosigning, and cosignatures (made, merged into a
//!   checkpoint, and counted k of n). A witness's storage and HTTP service
//!   are not here: see `watermark_app::Witness`.
//!
//! All fallible functions return the single error type [`TlogError`]
//! (aliased as [`ProofError`], [`NoteError`] and [`CheckpointError`]).

pub mod base64;
pub mod checkpoint;
mod error;
pub mod merkle;
pub mod note;
pub mod witness;

pub use checkpoint::{open_checkpoint, sign_checkpoint, Checkpoint};
pub use error::{CheckpointError, NoteError, ProofError, TlogError};
pub use merkle::{
    consistency_proof, inclusion_proof, leaf_hash, node_hash, root, verify_consistency,
    verify_inclusion, Hash, Tree, EMPTY_ROOT, HASH_SIZE,
};
pub use note::{
    ed25519_key_id, sign, NoteSignature, Signer, VerifiedNote, Verifier, ALG_ED25519,
    MAX_SIGNATURES,
};
pub use witness::{
    check_add_checkpoint, check_cosignatures, cosign, count_cosignatures, merge_cosignatures,
    AddCheckpoint, CosignatureCheck, CosignatureStatus, Refusal,
};
