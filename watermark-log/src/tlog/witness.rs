//! Witnesses in the style of C2SP tlog-witness
//! (<https://c2sp.org/tlog-witness>) and their cosignatures
//! (<https://c2sp.org/tlog-cosignature>).
//!
//! A witness keeps, for each log it trusts, the latest checkpoint it
//! cosigned, and cosigns a new one only if it extends that one: a log shown
//! to the witness can then never be rolled back or forked without the
//! witness refusing. This module holds what needs no I/O:
//!
//! - [`AddCheckpoint`]: the body of an `add-checkpoint` request, parsed and
//!   encoded: `old <size>`, the consistency proof (one base64 hash a line),
//!   a blank line, then the signed checkpoint;
//! - [`check_add_checkpoint`]: the checks a witness makes before cosigning,
//!   each refusal a [`Refusal`] with the HTTP status the protocol gives it;
//! - [`cosign`]: the witness's signature lines: an Ed25519 signed-note
//!   signature (type `0x01`, which Go's `note.Open` checks with the
//!   witness's verifier key) and a timestamped `cosignature/v1` (type
//!   `0x04`) by the same key;
//! - [`merge_cosignatures`] adds a witness's answer to a checkpoint, and
//!   [`check_cosignatures`] / [`count_cosignatures`] count the distinct
//!   witnesses whose cosignature on a note verifies (k of n).

use ring::digest::{digest, SHA256};
use ring::signature::{UnparsedPublicKey, ED25519};

use super::base64;
use super::checkpoint::Checkpoint;
use super::error::{truncate_for_error, TlogError};
use super::merkle::{verify_consistency, Hash, EMPTY_ROOT, HASH_SIZE};
use super::note::{self, NoteSignature, Signer, Verifier, MAX_SIGNATURES, SIG_PREFIX};

/// The path of the `add-checkpoint` call, after the witness's URL prefix.
pub const ADD_CHECKPOINT_PATH: &str = "/add-checkpoint";

/// Content type of a `409 Conflict` answer, whose body is the size of the
/// latest checkpoint the witness cosigned for the log, and a newline.
pub const SIZE_CONTENT_TYPE: &str = "text/x.tlog.size";

/// Most consistency proof lines a request may carry (enough for any tree of
/// up to 2^63 leaves).
pub const MAX_PROOF_LINES: usize = 63;

/// Signature type byte of `cosignature/v1` Ed25519 cosignatures.
pub const ALG_COSIGNATURE_V1: u8 = 0x04;

/// Largest `cosignature/v1` timestamp the specification allows.
const MAX_TIMESTAMP: u64 = (1 << 63) - 1;

/// The body of an `add-checkpoint` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddCheckpoint {
    /// The size of the latest checkpoint the client believes the witness
    /// cosigned for this log (0 if none).
    pub old_size: u64,
    /// RFC 6962 consistency proof from `old_size` to the checkpoint's size.
    pub proof: Vec<Hash>,
    /// The signed checkpoint (a signed note), as sent.
    pub checkpoint: String,
}

fn request_error(line: usize, reason: impl Into<String>) -> TlogError {
    TlogError::WitnessRequest {
        line,
        reason: reason.into(),
    }
}

/// A decimal size with no leading zeros (`0` itself excepted).
fn parse_decimal(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

impl AddCheckpoint {
    /// Parses a request body strictly: `old <size>` in canonical decimal, at
    /// most [`MAX_PROOF_LINES`] lines of canonical base64 of 32 bytes each,
    /// an empty line, and a non-empty signed note. The note itself is parsed
    /// when it is verified.
    pub fn parse(body: &[u8]) -> Result<Self, TlogError> {
        let body = std::str::from_utf8(body).map_err(|e| {
            request_error(
                1 + body[..e.valid_up_to()]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count(),
                format!("not valid UTF-8 (byte {})", e.valid_up_to()),
            )
        })?;
        let (first, mut rest) = body
            .split_once('\n')
            .ok_or_else(|| request_error(1, "the body has no complete first line"))?;
        let size = first.strip_prefix("old ").ok_or_else(|| {
            request_error(
                1,
                format!(
                    "expected `old <size>`, found {:?}",
                    truncate_for_error(first)
                ),
            )
        })?;
        let old_size = parse_decimal(size).ok_or_else(|| {
            request_error(
                1,
                format!(
                    "the old size {:?} is not a decimal number without leading zeros",
                    truncate_for_error(size)
                ),
            )
        })?;
        let mut proof = Vec::new();
        let mut line = 1;
        loop {
            line += 1;
            let (hash, after) = rest.split_once('\n').ok_or_else(|| {
                request_error(
                    line,
                    "the body ends before the empty line that precedes the checkpoint",
                )
            })?;
            rest = after;
            if hash.is_empty() {
                break;
            }
            if proof.len() == MAX_PROOF_LINES {
                return Err(request_error(
                    line,
                    format!("more than {MAX_PROOF_LINES} consistency proof lines"),
                ));
            }
            let bytes = base64::decode(hash).map_err(|reason| {
                request_error(line, format!("a proof hash is not base64: {reason}"))
            })?;
            let hash: Hash = bytes.as_slice().try_into().map_err(|_| {
                request_error(
                    line,
                    format!(
                        "a proof hash decodes to {} bytes, not {HASH_SIZE}",
                        bytes.len()
                    ),
                )
            })?;
            proof.push(hash);
        }
        if rest.is_empty() {
            return Err(request_error(
                line + 1,
                "there is no checkpoint after the empty line",
            ));
        }
        Ok(AddCheckpoint {
            old_size,
            proof,
            checkpoint: rest.to_owned(),
        })
    }

    /// The request body.
    pub fn to_body(&self) -> String {
        let mut s = format!("old {}\n", self.old_size);
        for h in &self.proof {
            s.push_str(&base64::encode(h));
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&self.checkpoint);
        s
    }

    /// The checkpoint's origin line (the log it claims to be from), unchecked.
    pub fn origin(&self) -> &str {
        self.checkpoint.split('\n').next().unwrap_or_default()
    }
}

/// Why a witness does not cosign a checkpoint, with the HTTP status the
/// protocol answers with ([`Refusal::status`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// 400: the request is malformed, or its old size is larger than the
    /// checkpoint's.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 404: the witness trusts no key for the checkpoint's origin.
    #[error("this witness does not witness log {origin:?}")]
    UnknownLog {
        /// The origin (shortened if long).
        origin: String,
    },
    /// 403: no signature on the checkpoint verifies with the key the
    /// witness trusts for its log.
    #[error("the checkpoint is not signed by the key this witness trusts for its log: {0}")]
    Forbidden(String),
    /// 409: the old size is not the size of the latest checkpoint the
    /// witness cosigned for the log. The answer's body is `size`.
    #[error(
        "the witness last cosigned a checkpoint of {size} entries of this log, not {old} as the \
         request says"
    )]
    Conflict {
        /// The size of the latest checkpoint the witness cosigned.
        size: u64,
        /// The old size the request gave.
        old: u64,
    },
    /// 409: the checkpoint has the size of the latest one the witness
    /// cosigned but another root hash: two versions of the log exist. The
    /// answer's body is `size`, as for [`Refusal::Conflict`].
    #[error(
        "the witness cosigned another root hash for {size} entries of this log: the log was forked"
    )]
    Fork {
        /// The common size.
        size: u64,
    },
    /// 422: the consistency proof does not lead from the latest checkpoint
    /// the witness cosigned to this one.
    #[error("the consistency proof does not verify: {0}")]
    BadProof(String),
}

impl Refusal {
    /// The HTTP status code the protocol gives this refusal.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::BadRequest(_) => 400,
            Refusal::Forbidden(_) => 403,
            Refusal::UnknownLog { .. } => 404,
            Refusal::Conflict { .. } | Refusal::Fork { .. } => 409,
            Refusal::BadProof(_) => 422,
        }
    }

    /// For a 409 answer: the size of the latest checkpoint the witness
    /// cosigned, which is the answer's body.
    pub fn conflict_size(&self) -> Option<u64> {
        match self {
            Refusal::Conflict { size, .. } | Refusal::Fork { size } => Some(*size),
            _ => None,
        }
    }
}

/// The checks a witness makes before cosigning, in the protocol's order.
///
/// `log` is the key the witness trusts for the checkpoint's origin (the
/// caller looks it up by [`AddCheckpoint::origin`] and answers
/// [`Refusal::UnknownLog`] when there is none); `held` is the latest
/// checkpoint the witness cosigned for that log, if any. Returns the new
/// checkpoint, which the witness must record (durably, and atomically with
/// this check) before answering with its [`cosign`]ature.
pub fn check_add_checkpoint(
    log: &Verifier,
    held: Option<&Checkpoint>,
    req: &AddCheckpoint,
) -> Result<Checkpoint, Refusal> {
    let note = log.verify(req.checkpoint.as_bytes()).map_err(|e| match e {
        TlogError::MissingSignature { .. } | TlogError::InvalidSignature { .. } => {
            Refusal::Forbidden(e.to_string())
        }
        other => Refusal::BadRequest(format!("the checkpoint is not a signed note: {other}")),
    })?;
    let new = Checkpoint::parse(&note.text)
        .map_err(|e| Refusal::BadRequest(format!("the signed note is not a checkpoint: {e}")))?;
    if new.origin != log.name() {
        return Err(Refusal::UnknownLog {
            origin: truncate_for_error(&new.origin),
        });
    }
    if req.old_size > new.size {
        return Err(Refusal::BadRequest(format!(
            "the old size {} is larger than the checkpoint's size {}",
            req.old_size, new.size
        )));
    }
    if new.size == 0 && new.root != EMPTY_ROOT {
        return Err(Refusal::BadRequest(
            "a checkpoint of the empty tree must have the empty tree's root".to_owned(),
        ));
    }
    let (held_size, held_root) = held.map_or((0, EMPTY_ROOT), |h| (h.size, h.root));
    if req.old_size != held_size {
        return Err(Refusal::Conflict {
            size: held_size,
            old: req.old_size,
        });
    }
    if new.size == held_size && new.root != held_root {
        return Err(Refusal::Fork { size: held_size });
    }
    verify_consistency(held_size, new.size, &held_root, &new.root, &req.proof)
        .map_err(|e| Refusal::BadProof(e.to_string()))?;
    Ok(new)
}

/// Key id of the `cosignature/v1` key of an Ed25519 public key:
/// `SHA-256(name || 0x0A || 0x04 || public key)[:4]`.
pub fn cosignature_v1_key_id(name: &str, public_key: &[u8; 32]) -> u32 {
    let mut input = Vec::with_capacity(name.len() + 2 + public_key.len());
    input.extend_from_slice(name.as_bytes());
    input.push(b'\n');
    input.push(ALG_COSIGNATURE_V1);
    input.extend_from_slice(public_key);
    let d = digest(&SHA256, &input);
    let b = d.as_ref();
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// The message a `cosignature/v1` signs: the header line, the time line,
/// then the checkpoint body.
fn cosignature_v1_message(body: &str, timestamp: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp}\n{body}").into_bytes()
}

fn signature_line(name: &str, key_id: u32, signature: &[u8]) -> String {
    let mut raw = Vec::with_capacity(4 + signature.len());
    raw.extend_from_slice(&key_id.to_be_bytes());
    raw.extend_from_slice(signature);
    format!("{SIG_PREFIX}{name} {}\n", base64::encode(&raw))
}

/// A witness's cosignature of `checkpoint` at `timestamp` (seconds since the
/// Unix epoch): two signature lines by `signer`, each ending in a newline.
///
/// The first is a signed-note signature of the checkpoint body (type
/// `0x01`), which any signed-note verifier holding the witness's verifier
/// key checks, Go's `note.Open` among them; the second a C2SP
/// `cosignature/v1` (type `0x04`, the same Ed25519 key) over the
/// timestamped message that specification defines.
pub fn cosign(
    signer: &Signer,
    checkpoint: &Checkpoint,
    timestamp: u64,
) -> Result<String, TlogError> {
    if timestamp > MAX_TIMESTAMP {
        return Err(TlogError::CosignatureTimestamp(timestamp));
    }
    checkpoint.validate()?;
    let body = checkpoint.to_body();
    let mut lines = signer.signature_line(&body);
    let sig = signer.sign_raw(&cosignature_v1_message(&body, timestamp));
    let mut stamped = Vec::with_capacity(8 + sig.len());
    stamped.extend_from_slice(&timestamp.to_be_bytes());
    stamped.extend_from_slice(&sig);
    lines.push_str(&signature_line(
        signer.name(),
        cosignature_v1_key_id(signer.name(), &signer.public_key()),
        &stamped,
    ));
    Ok(lines)
}

/// What a note carries from one witness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CosignatureStatus {
    /// At least one signature line by the witness's key verifies, and none
    /// fails. `timestamp` is that of a valid `cosignature/v1` line, if any.
    Valid {
        /// Seconds since the Unix epoch, from the `cosignature/v1` line.
        timestamp: Option<u64>,
    },
    /// A signature line names the witness's key but does not verify.
    Invalid,
    /// No signature line by the witness's key.
    Absent,
}

/// One witness's cosignature on a note.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CosignatureCheck {
    /// The witness's key (a signed-note verifier key).
    pub witness: Verifier,
    /// What the note carries from it.
    pub status: CosignatureStatus,
}

/// Checks one signature line against the witness's key: `None` if the line
/// is not by that key, `Some(Ok(timestamp))` if it verifies.
fn check_line(
    text: &str,
    witness: &Verifier,
    v1_id: u32,
    sig: &NoteSignature,
) -> Option<Result<Option<u64>, ()>> {
    if sig.name != witness.name() {
        return None;
    }
    let key = UnparsedPublicKey::new(&ED25519, witness.public_key());
    if sig.key_id == witness.key_id() {
        return Some(
            key.verify(text.as_bytes(), &sig.signature)
                .map(|()| None)
                .map_err(|_| ()),
        );
    }
    if sig.key_id == v1_id {
        if sig.signature.len() != 8 + 64 {
            return Some(Err(()));
        }
        let (ts, ed) = sig.signature.split_at(8);
        let timestamp = u64::from_be_bytes(ts.try_into().expect("8 bytes"));
        if timestamp > MAX_TIMESTAMP {
            return Some(Err(()));
        }
        return Some(
            key.verify(&cosignature_v1_message(text, timestamp), ed)
                .map(|()| Some(timestamp))
                .map_err(|_| ()),
        );
    }
    None
}

/// What `note` carries from each of `witnesses`, one result per distinct
/// witness key (a key given twice, or under two names, is one witness).
///
/// Only the witnesses' signatures are checked: that the note is a
/// checkpoint signed by its log is the caller's to check
/// ([`open_checkpoint`](super::open_checkpoint)). Fails only if the note
/// is not a well-formed signed note.
pub fn check_cosignatures(
    note: &[u8],
    witnesses: &[Verifier],
) -> Result<Vec<CosignatureCheck>, TlogError> {
    let parsed = note::parse(note)?;
    let mut out: Vec<CosignatureCheck> = Vec::new();
    for w in witnesses {
        if out.iter().any(|c| c.witness.public_key() == w.public_key()) {
            continue;
        }
        let v1_id = cosignature_v1_key_id(w.name(), w.public_key());
        let mut status = CosignatureStatus::Absent;
        for sig in &parsed.signatures {
            match check_line(parsed.text, w, v1_id, sig) {
                None => {}
                Some(Err(())) => {
                    status = CosignatureStatus::Invalid;
                    break;
                }
                Some(Ok(ts)) => {
                    let timestamp = match status {
                        CosignatureStatus::Valid { timestamp } => timestamp.or(ts),
                        _ => ts,
                    };
                    status = CosignatureStatus::Valid { timestamp };
                }
            }
        }
        out.push(CosignatureCheck {
            witness: w.clone(),
            status,
        });
    }
    Ok(out)
}

/// How many distinct witnesses of `witnesses` have a valid cosignature on
/// `note` (see [`check_cosignatures`]).
pub fn count_cosignatures(note: &[u8], witnesses: &[Verifier]) -> Result<usize, TlogError> {
    Ok(check_cosignatures(note, witnesses)?
        .iter()
        .filter(|c| matches!(c.status, CosignatureStatus::Valid { .. }))
        .count())
}

/// Adds a witness's answer (its signature lines) to a signed note.
///
/// Lines by other keys are ignored, as the protocol requires; lines by the
/// witness's key must all verify on the note's text, and at least one must.
/// Earlier lines by the witness are replaced by the new ones. Returns the
/// note with its other signatures in their order, then the witness's.
pub fn merge_cosignatures(
    note: &str,
    witness: &Verifier,
    answer: &str,
) -> Result<String, TlogError> {
    let parsed = note::parse(note.as_bytes())?;
    let missing = || TlogError::NoCosignature {
        name: witness.name().to_owned(),
        key_id: witness.key_id(),
    };
    let content = answer.strip_suffix('\n').ok_or_else(missing)?;
    let v1_id = cosignature_v1_key_id(witness.name(), witness.public_key());
    let mut new_lines = Vec::new();
    for line in content.split('\n') {
        let sig = note::parse_signature_line(line).map_err(|_| missing())?;
        match check_line(parsed.text, witness, v1_id, &sig) {
            None => {}
            Some(Err(())) => return Err(missing()),
            Some(Ok(_)) if !new_lines.contains(&sig) => new_lines.push(sig),
            Some(Ok(_)) => {}
        }
    }
    if new_lines.is_empty() {
        return Err(missing());
    }
    let by_witness = |s: &NoteSignature| {
        s.name == witness.name() && (s.key_id == witness.key_id() || s.key_id == v1_id)
    };
    let kept: Vec<&NoteSignature> = parsed
        .signatures
        .iter()
        .filter(|s| !by_witness(s))
        .collect();
    if kept.len() + new_lines.len() > MAX_SIGNATURES {
        return Err(TlogError::TooManySignatures {
            count: kept.len() + new_lines.len(),
            max: MAX_SIGNATURES,
        });
    }
    let mut out = String::with_capacity(note.len() + answer.len());
    out.push_str(parsed.text);
    out.push('\n');
    for s in kept.into_iter().chain(&new_lines) {
        out.push_str(&signature_line(&s.name, s.key_id, &s.signature));
    }
    Ok(out)
}

/// The body of a `409 Conflict` answer: the size and a newline.
pub fn size_body(size: u64) -> String {
    format!("{size}\n")
}

/// Parses the body of a `409 Conflict` answer: a decimal size and a newline
/// (a missing final newline is tolerated).
pub fn parse_size_body(body: &[u8]) -> Option<u64> {
    let s = std::str::from_utf8(body).ok()?;
    parse_decimal(s.strip_suffix('\n').unwrap_or(s))
}

#[cfg(test)]
mod tests;
