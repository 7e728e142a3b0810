//! The master key, its text form, and the purpose subkeys derived from it.
//! (Key files on disk are the application layer's.)
//!
//! The master key is 32 random bytes. Every secret the scheme uses is derived
//! from it with HKDF-SHA256 under a distinct label, so the anchor PRF, the
//! code's position streams and the canary generator never share a key.
//! Key types show no bytes in `Debug`, and zeroise what they hold on drop.

use std::fmt;

use hmac::Mac as _;
use ring::{hkdf, rand::SecureRandom};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use watermark_text::Msg;

/// The line that marks a master key file.
pub const KEY_FILE_TAG: &str = "watermark-master-key: v1";

/// A short public identifier of a master key, recorded with every issuance.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; 8]);

impl KeyId {
    /// The id as 16 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex(&self.0)
    }

    /// Parses 16 hex digits.
    pub fn from_hex(s: &str) -> Option<KeyId> {
        let bytes = unhex(s)?;
        Some(KeyId(bytes.try_into().ok()?))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({})", self.to_hex())
    }
}

/// The master key. Holders can mark copies and attribute leaks; it never
/// appears in output, logs, errors or reports.
pub struct MasterKey {
    bytes: Zeroizing<[u8; 32]>,
    id: KeyId,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

pub(crate) fn derive(master: &[u8; 32], label: &str, out: &mut [u8]) {
    let salt = hkdf::Salt::new(hkdf::HKDF_SHA256, b"watermark/v1");
    let prk = salt.extract(master);
    let info = [label.as_bytes()];
    prk.expand(&info, Len(out.len()))
        .and_then(|okm| okm.fill(out))
        .expect("HKDF output length is within limits");
}

impl MasterKey {
    /// Generates a new key from the operating system's random source.
    pub fn generate() -> Result<MasterKey> {
        let mut bytes = Zeroizing::new([0u8; 32]);
        ring::rand::SystemRandom::new()
            .fill(bytes.as_mut())
            .map_err(|_| Error::key(Msg::CoRandomFailed))?;
        Ok(MasterKey::from_bytes(*bytes))
    }

    /// A key from given bytes (tests and key import).
    pub fn from_bytes(bytes: [u8; 32]) -> MasterKey {
        let bytes = Zeroizing::new(bytes);
        let mut id = [0u8; 8];
        derive(&bytes, "key id", &mut id);
        MasterKey {
            bytes,
            id: KeyId(id),
        }
    }

    /// The key's public id.
    pub fn id(&self) -> KeyId {
        self.id
    }

    /// Derives the purpose subkeys.
    pub fn subkeys(&self) -> Subkeys {
        let mut anchor = Zeroizing::new([0u8; 32]);
        derive(&self.bytes, "row anchor", anchor.as_mut());
        let mut code = Zeroizing::new([0u8; 32]);
        derive(&self.bytes, "code positions", code.as_mut());
        let mut canary = Zeroizing::new([0u8; 32]);
        derive(&self.bytes, "canary rows", canary.as_mut());
        let mut seal = Zeroizing::new([0u8; 32]);
        derive(&self.bytes, "tally anchors", seal.as_mut());
        Subkeys {
            anchor: hmac::Hmac::<sha2::Sha256>::new_from_slice(anchor.as_ref())
                .expect("HMAC takes keys of any length"),
            code,
            canary,
            seal,
            id: self.id,
        }
    }

    /// Authorises a work order for the processes that hold this key (a
    /// cluster's executors): HMAC-SHA256, under a subkey of its own, of the
    /// order's text, in hex. An executor marks or reads only what an order
    /// carrying a valid tag asks, so whoever can reach the cluster without
    /// the key cannot have it mark a copy for anyone.
    pub fn authorize(&self, order: &str) -> String {
        hex(&self.order_mac(order).finalize().into_bytes())
    }

    /// Whether `tag` is [`MasterKey::authorize`]'s for `order` (compared in
    /// constant time).
    pub fn is_authorized(&self, order: &str, tag: &str) -> bool {
        use hmac::Mac as _;
        match unhex(tag) {
            Some(tag) => self.order_mac(order).verify_slice(&tag).is_ok(),
            None => false,
        }
    }

    fn order_mac(&self, order: &str) -> hmac::Hmac<sha2::Sha256> {
        use hmac::Mac as _;
        let mut sub = Zeroizing::new([0u8; 32]);
        derive(&self.bytes, "work order", sub.as_mut());
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(sub.as_ref())
            .expect("HMAC takes keys of any length");
        mac.update(order.as_bytes());
        mac
    }

    /// What ties a log's public key to this master key: HMAC-SHA256, under
    /// a subkey of its own, of the key's text (`<origin>+<id>+<base64>`), in
    /// hex. Kept beside the log, it shows that the log was made for this
    /// state: a log re-signed under another key cannot carry one without
    /// the master key.
    pub fn log_key_binding(&self, vkey: &str) -> String {
        use hmac::Mac as _;
        let mut sub = Zeroizing::new([0u8; 32]);
        derive(&self.bytes, "log key binding", sub.as_mut());
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(sub.as_ref())
            .expect("HMAC takes keys of any length");
        mac.update(vkey.as_bytes());
        hex(&mac.finalize().into_bytes())
    }

    /// The key file's text. Secret: write it only to a 0600 file.
    pub fn to_text(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "# Watermark master key. Secret: whoever holds it can find and strip the marks.\n\
             {KEY_FILE_TAG}\nid: {}\nsecret: {}\n",
            self.id,
            hex(self.bytes.as_ref())
        ))
    }

    /// Parses a key file's text. Errors never echo the file's content.
    pub fn from_text(text: &str) -> Result<MasterKey> {
        let mut tag = false;
        let mut id = None;
        let mut secret = None;
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if line == KEY_FILE_TAG {
                tag = true;
            } else if let Some(v) = line.strip_prefix("id:") {
                id = KeyId::from_hex(v.trim());
            } else if let Some(v) = line.strip_prefix("secret:") {
                secret = unhex(v.trim()).map(Zeroizing::new);
            }
        }
        if !tag {
            return Err(Error::key(Msg::CoNotKeyFile));
        }
        let secret = secret
            .filter(|s| s.len() == 32)
            .ok_or_else(|| Error::key(Msg::CoNoSecret))?;
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(&secret);
        let key = MasterKey::from_bytes(bytes);
        bytes.iter_mut().for_each(|b| *b = 0);
        if id != Some(key.id) {
            return Err(Error::key(Msg::CoKeyIdMismatch));
        }
        Ok(key)
    }
}

/// Purpose keys derived from a [`MasterKey`].
pub struct Subkeys {
    /// HMAC-SHA256 keyed for row anchors, cloned per row. (RustCrypto's
    /// implementation: on short inputs it measured 1.6x faster than ring's,
    /// which matters once per row; a test checks both give the same tags.)
    pub(crate) anchor: hmac::Hmac<sha2::Sha256>,
    /// Keys each position's stream: its bias, whether it is active, and
    /// every recipient's bit.
    pub(crate) code: Zeroizing<[u8; 32]>,
    #[allow(dead_code)] // used by canary generation
    pub(crate) canary: Zeroizing<[u8; 32]>,
    /// Seals the row anchors a detection tally keeps (see `Tally`), so
    /// that a tally can travel without them.
    pub(crate) seal: Zeroizing<[u8; 32]>,
    id: KeyId,
}

impl Subkeys {
    /// The id of the master key these came from.
    pub fn key_id(&self) -> KeyId {
        self.id
    }
}

impl fmt::Debug for Subkeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subkeys")
            .field("key_id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// The bytes of hex digits (either case), or `None` if `s` is not an even
/// number of hex digits.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trip_and_debug_hides_bytes() {
        let k = MasterKey::from_bytes([7u8; 32]);
        let back = MasterKey::from_text(&k.to_text()).unwrap();
        assert_eq!(back.id(), k.id());
        let dbg = format!("{k:?} {:?}", k.subkeys());
        assert!(!dbg.contains(&hex(&[7u8; 32])));
        assert!(!dbg.contains("07, 07"));
    }

    #[test]
    fn damaged_key_text_is_refused_without_echo() {
        let k = MasterKey::from_bytes([9u8; 32]);
        let text = k.to_text().replace("0909", "0a09");
        let err = MasterKey::from_text(&text).unwrap_err().to_string();
        assert!(err.contains("damaged"), "{err}");
        assert!(!err.contains("0a09"));
        assert!(MasterKey::from_text("hello").is_err());
    }
}
