//! C2SP signed notes (<https://c2sp.org/signed-note>) with Ed25519 keys, in
//! the format of Go's `golang.org/x/mod/sumdb/note`.
//!
//! A signed note is a UTF-8 text ending in a newline, a blank line, and one or
//! more signature lines `— <key name> <base64(key id || signature)>`.
//! Keys are exchanged as strings:
//!
//! - verifier key: `<name>+<key id, 8 hex digits>+<base64(0x01 || public key)>`
//! - signer key: `PRIVATE+KEY+<name>+<key id>+<base64(0x01 || 32-byte seed)>`
//!
//! where the key id is the first four bytes, big-endian, of
//! `SHA-256(name || 0x0A || 0x01 || public key)`.
//!
//! The same keys also make *detached* signatures over other documents
//! ([`Signer::sign_detached`], [`Verifier::verify_detached`]): Ed25519 over
//! a context line followed by the document, the context line being one that
//! no checkpoint's text can start with.

use std::fmt;
use std::str::FromStr;

use ring::digest::{digest, SHA256};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{Ed25519KeyPair, KeyPair, UnparsedPublicKey, ED25519};
use zeroize::Zeroizing;

use super::base64;
use super::error::{truncate_for_error, NoteError, TlogError};

/// Signature type byte of Ed25519 keys (C2SP signed-note).
pub const ALG_ED25519: u8 = 0x01;

/// Most signature lines a note may carry before it is rejected outright
/// (the specification requires accepting at least 16; Go accepts 100).
pub const MAX_SIGNATURES: usize = 100;

/// Prefix of every signature line: em dash (U+2014) and a space.
pub(super) const SIG_PREFIX: &str = "\u{2014} ";

/// Prefix of signer key strings.
const SKEY_PREFIX: &str = "PRIVATE+KEY+";

/// Key id of an Ed25519 key: the first four bytes, big-endian, of
/// `SHA-256(name || 0x0A || 0x01 || public_key)`.
pub fn ed25519_key_id(name: &str, public_key: &[u8; 32]) -> u32 {
    let mut input = Vec::with_capacity(name.len() + 2 + public_key.len());
    input.extend_from_slice(name.as_bytes());
    input.push(b'\n');
    input.push(ALG_ED25519);
    input.extend_from_slice(public_key);
    let d = digest(&SHA256, &input);
    let b = d.as_ref();
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Checks a key name: non-empty, without Unicode whitespace or `+`.
fn check_key_name(name: &str) -> Result<(), NoteError> {
    let reason = if name.is_empty() {
        "key names must not be empty"
    } else if name.chars().any(char::is_whitespace) {
        "key names must not contain whitespace"
    } else if name.contains('+') {
        "key names must not contain '+'"
    } else {
        return Ok(());
    };
    Err(TlogError::InvalidKeyName {
        name: truncate_for_error(name),
        reason,
    })
}

fn parse_key_id(hex: &str) -> Option<u32> {
    if hex.len() != 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(hex, 16).ok()
}

/// Splits `<name>+<hex key id>+<base64 key>` and decodes the key, which must
/// be `0x01 || 32 bytes`. Returns the name, the stated key id and the 32 key
/// bytes. `malformed` builds the error for the kind of key being parsed.
fn parse_key_parts(
    s: &str,
    malformed: fn(String) -> TlogError,
) -> Result<(&str, u32, Zeroizing<[u8; 32]>), TlogError> {
    let mut parts = s.splitn(3, '+');
    let (Some(name), Some(id_hex), Some(key_b64)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed(
            "expected <name>+<key id>+<base64 key>".to_owned(),
        ));
    };
    check_key_name(name)?;
    let stated = parse_key_id(id_hex)
        .ok_or_else(|| malformed("the key id must be exactly 8 hex digits".to_owned()))?;
    let key = Zeroizing::new(
        base64::decode(key_b64)
            .map_err(|reason| malformed(format!("key is not valid base64: {reason}")))?,
    );
    match key.first() {
        None => return Err(malformed("the key is empty".to_owned())),
        Some(&ALG_ED25519) => {}
        Some(&alg) => return Err(TlogError::UnsupportedAlgorithm(alg)),
    }
    if key.len() != 33 {
        return Err(malformed(format!(
            "an Ed25519 key must be 32 bytes after the algorithm byte, got {}",
            key.len() - 1
        )));
    }
    let mut bytes = Zeroizing::new([0u8; 32]);
    bytes.copy_from_slice(&key[1..]);
    Ok((name, stated, bytes))
}

/// An Ed25519 note signer: a key name and a key pair.
///
/// The seed is kept (zeroized on drop) so the key can be written back out
/// with [`Signer::to_skey`]. `Debug` shows only the name and key id.
pub struct Signer {
    name: String,
    key_id: u32,
    seed: Zeroizing<[u8; 32]>,
    key_pair: Ed25519KeyPair,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer for key `name` from a 32-byte Ed25519 seed (RFC 8032 private
    /// key). The seed is copied into zeroizing storage; the caller remains
    /// responsible for its own copy.
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, NoteError> {
        check_key_name(name)?;
        let key_pair = Ed25519KeyPair::from_seed_unchecked(seed).map_err(|_| {
            TlogError::MalformedSignerKey {
                reason: "the seed was rejected by the Ed25519 implementation".to_owned(),
            }
        })?;
        let mut public_key = [0u8; 32];
        public_key.copy_from_slice(key_pair.public_key().as_ref());
        Ok(Self {
            name: name.to_owned(),
            key_id: ed25519_key_id(name, &public_key),
            seed: Zeroizing::new(*seed),
            key_pair,
        })
    }

    /// Parses a signer key string
    /// `PRIVATE+KEY+<name>+<key id>+<base64(0x01 || seed)>`, checking that the
    /// key id matches the name and derived public key.
    pub fn from_skey(skey: &str) -> Result<Self, NoteError> {
        let malformed = |reason: String| TlogError::MalformedSignerKey { reason };
        let rest = skey
            .strip_prefix(SKEY_PREFIX)
            .ok_or_else(|| malformed(format!("a signer key must start with {SKEY_PREFIX:?}")))?;
        let (name, stated, seed) = parse_key_parts(rest, malformed)?;
        let signer = Self::from_seed(name, &seed)?;
        if signer.key_id != stated {
            return Err(TlogError::KeyIdMismatch {
                stated,
                computed: signer.key_id,
            });
        }
        Ok(signer)
    }

    /// A signer for key `name` with a fresh seed from the system random
    /// number generator.
    pub fn generate(name: &str) -> Result<Self, NoteError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        SystemRandom::new()
            .fill(&mut seed[..])
            .map_err(|_| TlogError::Random)?;
        Self::from_seed(name, &seed)
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        let mut pk = [0u8; 32];
        pk.copy_from_slice(self.key_pair.public_key().as_ref());
        pk
    }

    /// The matching verifier.
    pub fn verifier(&self) -> Verifier {
        Verifier {
            name: self.name.clone(),
            key_id: self.key_id,
            public_key: self.public_key(),
        }
    }

    /// The signer key string `PRIVATE+KEY+<name>+<key id>+<base64(0x01 || seed)>`.
    /// Handle it as a secret: it is zeroized when dropped.
    pub fn to_skey(&self) -> Zeroizing<String> {
        let mut key = Zeroizing::new([0u8; 33]);
        key[0] = ALG_ED25519;
        key[1..].copy_from_slice(&self.seed[..]);
        let encoded = Zeroizing::new(base64::encode(&key[..]));
        let id = format!("{:08x}", self.key_id);
        // Allocate once so no partial copy of the secret is left in freed memory.
        let mut out = Zeroizing::new(String::with_capacity(
            SKEY_PREFIX.len() + self.name.len() + 1 + id.len() + 1 + encoded.len(),
        ));
        for part in [SKEY_PREFIX, &self.name, "+", &id, "+", encoded.as_str()] {
            out.push_str(part);
        }
        out
    }

    /// A detached Ed25519 signature over `context || message`, for a
    /// document that is not a signed note (a signed evidence report, say).
    ///
    /// `context` names what is signed and keeps these signatures apart from
    /// the key's signed notes: it must be one line of printable ASCII ending
    /// in a newline, and contain a space. The text of a checkpoint starts
    /// with its origin, a key name, which never contains a space, so no
    /// detached signature is a signature of a checkpoint and no checkpoint
    /// signature is a detached signature.
    pub fn sign_detached(&self, context: &str, message: &[u8]) -> Result<[u8; 64], NoteError> {
        let signed = detached_message(context, message)?;
        let sig = self.key_pair.sign(&signed);
        let mut out = [0u8; 64];
        out.copy_from_slice(sig.as_ref());
        Ok(out)
    }

    /// Signature line for `text`, including the final newline.
    pub(super) fn signature_line(&self, text: &str) -> String {
        let sig = self.key_pair.sign(text.as_bytes());
        let mut raw = Vec::with_capacity(4 + 64);
        raw.extend_from_slice(&self.key_id.to_be_bytes());
        raw.extend_from_slice(sig.as_ref());
        format!("{SIG_PREFIX}{} {}\n", self.name, base64::encode(&raw))
    }
}

impl Signer {
    /// A raw Ed25519 signature over `message`, for the other signature
    /// types of the module (cosignatures), which sign a message built
    /// from the note text.
    pub(super) fn sign_raw(&self, message: &[u8]) -> [u8; 64] {
        let mut out = [0u8; 64];
        out.copy_from_slice(self.key_pair.sign(message).as_ref());
        out
    }
}

impl FromStr for Signer {
    type Err = NoteError;

    /// Same as [`Signer::from_skey`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_skey(s)
    }
}

/// An Ed25519 note verifier: a key name, key id and public key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Verifier {
    name: String,
    key_id: u32,
    public_key: [u8; 32],
}

/// One signature line of a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// Key name.
    pub name: String,
    /// Key id.
    pub key_id: u32,
    /// Signature bytes (after the key id).
    pub signature: Vec<u8>,
}

/// A note whose signature by the expected key has been verified.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedNote {
    /// The note text, including its final newline.
    pub text: String,
    /// Verified signatures by the expected key (duplicates removed).
    pub verified: Vec<NoteSignature>,
    /// Signatures by other keys, not verified (exact duplicates removed).
    pub unverified: Vec<NoteSignature>,
}

impl Verifier {
    /// A verifier for key `name` with the given Ed25519 public key.
    pub fn new_ed25519(name: &str, public_key: [u8; 32]) -> Result<Self, NoteError> {
        check_key_name(name)?;
        Ok(Self {
            name: name.to_owned(),
            key_id: ed25519_key_id(name, &public_key),
            public_key,
        })
    }

    /// Parses a verifier key string `<name>+<key id>+<base64(0x01 || public
    /// key)>`, checking that the key id matches the name and public key.
    pub fn from_vkey(vkey: &str) -> Result<Self, NoteError> {
        let malformed = |reason: String| TlogError::MalformedVerifierKey { reason };
        let (name, stated, public_key) = parse_key_parts(vkey, malformed)?;
        let verifier = Self::new_ed25519(name, *public_key)?;
        if verifier.key_id != stated {
            return Err(TlogError::KeyIdMismatch {
                stated,
                computed: verifier.key_id,
            });
        }
        Ok(verifier)
    }

    /// The key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key id.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> &[u8; 32] {
        &self.public_key
    }

    /// The verifier key string `<name>+<key id>+<base64(0x01 || public key)>`.
    pub fn to_vkey(&self) -> String {
        self.to_string()
    }

    /// Parses a signed note and verifies it against this key.
    ///
    /// The note must be valid UTF-8 without control characters other than
    /// newline, its text must be followed by a blank line and well-formed
    /// signature lines, and it must carry at most [`MAX_SIGNATURES`]
    /// signatures. Signatures by other keys (a different name or key id) are
    /// ignored and reported as unverified; every signature by this key must
    /// verify, and at least one must be present.
    pub fn verify(&self, note: &[u8]) -> Result<VerifiedNote, NoteError> {
        let parsed = parse(note)?;
        let mut verified: Vec<NoteSignature> = Vec::new();
        let mut unverified: Vec<NoteSignature> = Vec::new();
        for sig in parsed.signatures {
            if sig.name == self.name && sig.key_id == self.key_id {
                let ok = UnparsedPublicKey::new(&ED25519, &self.public_key)
                    .verify(parsed.text.as_bytes(), &sig.signature)
                    .is_ok();
                if !ok {
                    return Err(TlogError::InvalidSignature {
                        name: sig.name,
                        key_id: sig.key_id,
                    });
                }
                if !verified.contains(&sig) {
                    verified.push(sig);
                }
            } else if !unverified.contains(&sig) {
                unverified.push(sig);
            }
        }
        if verified.is_empty() {
            return Err(TlogError::MissingSignature {
                name: self.name.clone(),
                key_id: self.key_id,
                found: unverified.len(),
            });
        }
        Ok(VerifiedNote {
            text: parsed.text.to_owned(),
            verified,
            unverified,
        })
    }
}

impl Verifier {
    /// Checks a signature made by [`Signer::sign_detached`] with the same
    /// `context` over `message`.
    pub fn verify_detached(
        &self,
        context: &str,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), NoteError> {
        let signed = detached_message(context, message)?;
        UnparsedPublicKey::new(&ED25519, &self.public_key)
            .verify(&signed, signature)
            .map_err(|_| TlogError::InvalidSignature {
                name: self.name.clone(),
                key_id: self.key_id,
            })
    }
}

/// `context || message`, after checking the context (see
/// [`Signer::sign_detached`]).
fn detached_message(context: &str, message: &[u8]) -> Result<Vec<u8>, NoteError> {
    let Some(line) = context.strip_suffix('\n') else {
        return Err(TlogError::InvalidContext {
            reason: "it must end with a newline",
        });
    };
    if !line.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(TlogError::InvalidContext {
            reason: "it must be one line of printable ASCII",
        });
    }
    if !line.contains(' ') {
        return Err(TlogError::InvalidContext {
            reason: "it must contain a space, which no checkpoint's first line does",
        });
    }
    let mut signed = Vec::with_capacity(context.len() + message.len());
    signed.extend_from_slice(context.as_bytes());
    signed.extend_from_slice(message);
    Ok(signed)
}

impl fmt::Display for Verifier {
    /// Formats the verifier key string.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut key = [0u8; 33];
        key[0] = ALG_ED25519;
        key[1..].copy_from_slice(&self.public_key);
        write!(
            f,
            "{}+{:08x}+{}",
            self.name,
            self.key_id,
            base64::encode(&key)
        )
    }
}

impl FromStr for Verifier {
    type Err = NoteError;

    /// Same as [`Verifier::from_vkey`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_vkey(s)
    }
}

/// Checks that a note or note text has no ASCII control character other than
/// newline.
fn check_control_chars(s: &str) -> Result<(), NoteError> {
    match s.bytes().enumerate().find(|&(_, b)| b < 0x20 && b != b'\n') {
        Some((offset, byte)) => Err(TlogError::NoteControlChar { byte, offset }),
        None => Ok(()),
    }
}

/// Signs `text` with `signer`, returning the signed note.
///
/// The text must be non-empty, end with a newline and contain no control
/// characters other than newline.
pub fn sign(text: &str, signer: &Signer) -> Result<String, NoteError> {
    if !text.ends_with('\n') {
        return Err(TlogError::NoteTextNotTerminated);
    }
    check_control_chars(text)?;
    let line = signer.signature_line(text);
    let mut note = String::with_capacity(text.len() + 1 + line.len());
    note.push_str(text);
    note.push('\n');
    note.push_str(&line);
    Ok(note)
}

/// A syntactically valid, not yet verified, signed note.
pub(super) struct ParsedNote<'a> {
    pub(super) text: &'a str,
    pub(super) signatures: Vec<NoteSignature>,
}

/// Parses the signed-note syntax (C2SP signed-note "Format").
pub(super) fn parse(note: &[u8]) -> Result<ParsedNote<'_>, NoteError> {
    let note = std::str::from_utf8(note).map_err(|e| TlogError::NoteNotUtf8 {
        offset: e.valid_up_to(),
    })?;
    check_control_chars(note)?;
    // The text is separated from the signatures by the last blank line;
    // signature lines themselves never contain one.
    let split = note.rfind("\n\n").ok_or(TlogError::NoteMissingSeparator)?;
    let (text, sigs) = (&note[..split + 1], &note[split + 2..]);
    if sigs.is_empty() {
        return Err(TlogError::NoteNoSignatures);
    }
    if !sigs.ends_with('\n') {
        return Err(TlogError::NoteMissingFinalNewline);
    }
    let lines: Vec<&str> = sigs[..sigs.len() - 1].split('\n').collect();
    if lines.len() > MAX_SIGNATURES {
        return Err(TlogError::TooManySignatures {
            count: lines.len(),
            max: MAX_SIGNATURES,
        });
    }
    // Line numbers for messages: text lines, then the blank line.
    let first_sig_line = text.matches('\n').count() + 2;
    let signatures = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            parse_signature_line(line).map_err(|reason| TlogError::MalformedSignatureLine {
                line: first_sig_line + i,
                reason,
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(ParsedNote { text, signatures })
}

pub(super) fn parse_signature_line(line: &str) -> Result<NoteSignature, String> {
    let rest = line
        .strip_prefix(SIG_PREFIX)
        .ok_or("it does not start with an em dash (U+2014) and a space")?;
    let (name, b64) = rest
        .split_once(' ')
        .ok_or("there is no space between the key name and the signature")?;
    check_key_name(name).map_err(|e| e.to_string())?;
    if b64.is_empty() {
        return Err("the signature is empty".to_owned());
    }
    let raw = base64::decode(b64)
        .map_err(|reason| format!("the signature is not valid base64: {reason}"))?;
    if raw.len() < 5 {
        return Err(format!(
            "the signature decodes to {} bytes, fewer than a 4-byte key id and a signature",
            raw.len()
        ));
    }
    Ok(NoteSignature {
        name: name.to_owned(),
        key_id: u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]),
        signature: raw[4..].to_vec(),
    })
}

#[cfg(test)]
mod tests;
