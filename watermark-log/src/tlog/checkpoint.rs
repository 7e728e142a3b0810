//! C2SP transparency-log checkpoints (<https://c2sp.org/tlog-checkpoint>).
//!
//! A checkpoint body is
//!
//! ```text
//! <origin>
//! <tree size, decimal, no leading zeros>
//! <base64 of the 32-byte RFC 6962 root hash>
//! [extension lines, each non-empty]
//! ```
//!
//! every line ending in a newline. A signed checkpoint is that body as the
//! text of a [signed note](super::note).

use super::base64;
use super::error::{truncate_for_error, CheckpointError, TlogError};
use super::merkle::{Hash, HASH_SIZE};
use super::note::{self, Signer, Verifier};

/// A transparency-log checkpoint: the log's origin, tree size and root hash.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Checkpoint {
    /// Unique identifier of the log, e.g. `example.com/log42`. Non-empty,
    /// without control characters.
    pub origin: String,
    /// Number of leaves in the tree.
    pub size: u64,
    /// RFC 6962 root hash of the tree at `size`.
    pub root: Hash,
    /// Optional opaque extension lines (non-empty, without newlines or other
    /// control characters). Not recommended by the specification.
    pub extensions: Vec<String>,
}

/// Rejects control characters (including newline) inside a single line.
fn check_line(field: &'static str, line: &str) -> Result<(), CheckpointError> {
    match line.chars().find(|&c| u32::from(c) < 0x20) {
        Some(ch) => Err(TlogError::CheckpointForbiddenChar { field, ch }),
        None => Ok(()),
    }
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: impl Into<String>, size: u64, root: Hash) -> Self {
        Self {
            origin: origin.into(),
            size,
            root,
            extensions: Vec::new(),
        }
    }

    /// Checks that the fields can be written as a valid body: a non-empty
    /// origin and non-empty extension lines, none containing control
    /// characters.
    pub fn validate(&self) -> Result<(), CheckpointError> {
        if self.origin.is_empty() {
            return Err(TlogError::CheckpointEmptyOrigin);
        }
        check_line("origin", &self.origin)?;
        for (i, ext) in self.extensions.iter().enumerate() {
            if ext.is_empty() {
                return Err(TlogError::CheckpointEmptyExtension { line: 4 + i });
            }
            check_line("extension line", ext)?;
        }
        Ok(())
    }

    /// The checkpoint body (the note text), ending with a newline. Meaningful
    /// only if [`Checkpoint::validate`] succeeds.
    pub fn to_body(&self) -> String {
        let mut body = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            base64::encode(&self.root)
        );
        for ext in &self.extensions {
            body.push_str(ext);
            body.push('\n');
        }
        body
    }

    /// Parses a checkpoint body (the text of a verified note), strictly:
    /// canonical decimal size, canonical base64 of exactly 32 bytes,
    /// non-empty lines, a final newline, no control characters.
    pub fn parse(body: &str) -> Result<Self, CheckpointError> {
        let content = body
            .strip_suffix('\n')
            .ok_or(TlogError::CheckpointMissingFinalNewline)?;
        let mut lines = content.split('\n');
        let origin = lines.next().unwrap_or_default();
        if origin.is_empty() {
            return Err(TlogError::CheckpointEmptyOrigin);
        }
        check_line("origin", origin)?;
        let size_line = lines
            .next()
            .ok_or(TlogError::CheckpointMissingLine("tree size"))?;
        let size = parse_size(size_line)?;
        let root_line = lines
            .next()
            .ok_or(TlogError::CheckpointMissingLine("root hash"))?;
        let root = parse_root(root_line)?;
        let mut extensions = Vec::new();
        for (i, ext) in lines.enumerate() {
            if ext.is_empty() {
                return Err(TlogError::CheckpointEmptyExtension { line: 4 + i });
            }
            check_line("extension line", ext)?;
            extensions.push(ext.to_owned());
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }
}

fn parse_size(line: &str) -> Result<u64, CheckpointError> {
    let invalid = |reason| TlogError::CheckpointInvalidSize {
        found: truncate_for_error(line),
        reason,
    };
    if line.is_empty() {
        return Err(invalid("it is empty"));
    }
    if !line.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("it is not a decimal number"));
    }
    if line.len() > 1 && line.starts_with('0') {
        return Err(invalid("it has a leading zero"));
    }
    line.parse::<u64>()
        .map_err(|_| invalid("it does not fit in 64 bits"))
}

fn parse_root(line: &str) -> Result<Hash, CheckpointError> {
    let bytes = base64::decode(line).map_err(|reason| TlogError::CheckpointRootNotBase64 {
        found: truncate_for_error(line),
        reason,
    })?;
    if bytes.len() != HASH_SIZE {
        return Err(TlogError::CheckpointRootLength { got: bytes.len() });
    }
    let mut root = [0u8; HASH_SIZE];
    root.copy_from_slice(&bytes);
    Ok(root)
}

/// Signs a checkpoint, returning the signed note. Fails if the checkpoint
/// does not [validate](Checkpoint::validate).
///
/// The specification recommends that the signer's key name equal the origin;
/// this is not enforced.
pub fn sign_checkpoint(
    checkpoint: &Checkpoint,
    signer: &Signer,
) -> Result<String, CheckpointError> {
    checkpoint.validate()?;
    note::sign(&checkpoint.to_body(), signer)
}

/// Verifies a signed checkpoint against `verifier` and parses its body.
///
/// Only the signature is checked: callers must still check that the origin
/// is the log they expect and that the checkpoint is consistent with earlier
/// ones ([`verify_consistency`](super::merkle::verify_consistency)).
pub fn open_checkpoint(signed: &str, verifier: &Verifier) -> Result<Checkpoint, CheckpointError> {
    let note = verifier.verify(signed.as_bytes())?;
    Checkpoint::parse(&note.text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlog::merkle::{leaf_hash, root, EMPTY_ROOT};

    fn sample() -> Checkpoint {
        let leaves: Vec<Hash> = (0u8..5).map(|i| leaf_hash(&[i])).collect();
        Checkpoint::new("example.com/log42", 5, root(&leaves))
    }

    #[test]
    fn tlog_checkpoint_body_format() {
        // Example body from c2sp.org/tlog-checkpoint.
        let body =
            "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        let cp = Checkpoint::parse(body).unwrap();
        assert_eq!(cp.origin, "example.com/behind-the-sofa");
        assert_eq!(cp.size, 20_852_163);
        assert!(cp.extensions.is_empty());
        assert_eq!(cp.to_body(), body);

        let empty = Checkpoint::new("o", 0, EMPTY_ROOT);
        assert_eq!(
            empty.to_body(),
            "o\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"
        );
        assert_eq!(Checkpoint::parse(&empty.to_body()).unwrap(), empty);
    }

    #[test]
    fn tlog_checkpoint_round_trip() {
        let mut cp = sample();
        assert_eq!(Checkpoint::parse(&cp.to_body()).unwrap(), cp);
        cp.extensions = vec!["ext one".into(), "— ext two".into()];
        assert_eq!(Checkpoint::parse(&cp.to_body()).unwrap(), cp);
        cp.size = u64::MAX;
        assert_eq!(Checkpoint::parse(&cp.to_body()).unwrap(), cp);
    }

    #[test]
    fn tlog_checkpoint_signed_round_trip() {
        let signer = Signer::from_seed("example.com/log42", &[42; 32]).unwrap();
        let verifier = signer.verifier();
        let cp = sample();
        let signed = sign_checkpoint(&cp, &signer).unwrap();
        assert!(signed.starts_with(&cp.to_body()));
        assert!(signed.contains("\n\n— example.com/log42 "));
        assert_eq!(open_checkpoint(&signed, &verifier).unwrap(), cp);

        // Wrong key.
        let other = Signer::from_seed("example.com/log42", &[43; 32]).unwrap();
        assert!(matches!(
            open_checkpoint(&signed, &other.verifier()),
            Err(TlogError::MissingSignature { .. })
        ));
        // Tampered size.
        let tampered = signed.replacen("\n5\n", "\n6\n", 1);
        assert!(matches!(
            open_checkpoint(&tampered, &verifier),
            Err(TlogError::InvalidSignature { .. })
        ));
        // A validly signed note whose text is not a checkpoint.
        let note = note::sign("example.com/log42\n05\nAAAA\n", &signer).unwrap();
        assert!(matches!(
            open_checkpoint(&note, &verifier),
            Err(TlogError::CheckpointInvalidSize { .. })
        ));
    }

    #[test]
    fn tlog_checkpoint_malformed_bodies_rejected() {
        let good_root = base64::encode(&sample().root);
        let cases: Vec<(String, &str)> = vec![
            (String::new(), "empty"),
            ("o\n5\n".into(), "missing root line"),
            ("o\n".into(), "missing size line"),
            (format!("o\n5\n{good_root}"), "no final newline"),
            (format!("\n5\n{good_root}\n"), "empty origin"),
            (format!("o\n\n{good_root}\n"), "empty size"),
            (format!("o\n05\n{good_root}\n"), "leading zero"),
            (format!("o\n00\n{good_root}\n"), "zero with leading zero"),
            (format!("o\n+5\n{good_root}\n"), "plus sign"),
            (format!("o\n-5\n{good_root}\n"), "negative"),
            (format!("o\n 5\n{good_root}\n"), "space"),
            (format!("o\n5 \n{good_root}\n"), "trailing space"),
            (format!("o\n0x5\n{good_root}\n"), "hex"),
            (format!("o\n5.0\n{good_root}\n"), "decimal point"),
            (format!("o\n١\n{good_root}\n"), "non-ASCII digit"),
            (
                format!("o\n18446744073709551616\n{good_root}\n"),
                "overflow",
            ),
            ("o\n5\nnot base64!\n".into(), "bad base64"),
            (
                format!("o\n5\n{}\n", &good_root[..good_root.len() - 1]),
                "truncated base64",
            ),
            (
                format!("o\n5\n{}\n", good_root.replace('=', "")),
                "unpadded base64",
            ),
            ("o\n5\nAAAA\n".into(), "short hash"),
            (format!("o\n5\n{}\n", base64::encode(&[0; 33])), "long hash"),
            (format!("o\n5\n{good_root}\n\n"), "empty extension line"),
            (
                format!("o\n5\n{good_root}\next\n\n"),
                "empty second extension line",
            ),
            (format!("o\r\n5\n{good_root}\n"), "carriage return"),
            (format!("o\t\n5\n{good_root}\n"), "tab in origin"),
        ];
        for (body, desc) in cases {
            assert!(
                Checkpoint::parse(&body).is_err(),
                "accepted: {desc}: {body:?}"
            );
        }
        assert_eq!(
            Checkpoint::parse(&format!("o\n05\n{good_root}\n"))
                .unwrap_err()
                .to_string(),
            "checkpoint tree size \"05\" is invalid: it has a leading zero"
        );
        assert_eq!(
            Checkpoint::parse("o\n5\nAAAA\n").unwrap_err().to_string(),
            "checkpoint root hash decodes to 3 bytes, expected 32"
        );
        assert_eq!(
            Checkpoint::parse("o\n5\n").unwrap_err(),
            TlogError::CheckpointMissingLine("root hash")
        );
    }

    #[test]
    fn tlog_checkpoint_invalid_fields_not_signed() {
        let signer = Signer::from_seed("log", &[1; 32]).unwrap();
        let mut cp = sample();
        cp.origin = "two\nlines".into();
        assert!(matches!(
            sign_checkpoint(&cp, &signer),
            Err(TlogError::CheckpointForbiddenChar {
                field: "origin",
                ch: '\n'
            })
        ));
        cp.origin = String::new();
        assert_eq!(
            sign_checkpoint(&cp, &signer),
            Err(TlogError::CheckpointEmptyOrigin)
        );
        let mut cp = sample();
        cp.extensions = vec!["ok".into(), String::new()];
        assert_eq!(
            sign_checkpoint(&cp, &signer),
            Err(TlogError::CheckpointEmptyExtension { line: 5 })
        );
    }
}
