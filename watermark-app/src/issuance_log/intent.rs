//! The append intent: what an append is about to write, signed with the
//! log's key, so that an unsigned tail is accepted only when it is exactly
//! what a killed append was writing.
//!
//! ```text
//! DIR/log/append.intent
//!   watermark append intent v1
//!   origin <the log's origin>
//!   size <entries signed before the append>
//!   entries <entries being appended>
//!   signature <base64 of the Ed25519 signature>
//!   <blank line>
//!   <the entries' canonical lines, each ending in '\n'>
//! ```
//!
//! The signature is detached ([`Signer::sign_detached`]) over the context
//! line and every line above but the signature, then the entries. An append
//! writes the intent (synced, and its directory), then the entries, then the
//! checkpoints, then removes the intent. A tail after the last checkpoint is
//! what a killed append left only if an intent for that tree size names
//! those bytes; anything else (a checkpoint deleted or cut short, a state
//! restored half from one backup and half from another) means a signed
//! entry lost its signature, which is damage to report, never to clean up.
//! Someone without the log's signing key cannot write an intent that
//! passes.

use std::fs;
use std::io::Write as _;
use std::path::Path;

use watermark_core::{Error, Result};
use watermark_log::tlog::{base64, Signer, Verifier};
use watermark_text::{said, Msg, Said};

/// File name, in the log directory.
pub(crate) const INTENT_FILE: &str = "append.intent";
/// Context of the detached signature, and the file's first line.
const CONTEXT: &str = "watermark append intent v1\n";

/// Parsed intent.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Intent {
    pub origin: String,
    pub size: u64,
    pub entries: u64,
    /// The canonical lines being appended, each with its newline.
    pub text: String,
}

fn signed_part(origin: &str, size: u64, entries: u64, text: &str) -> String {
    format!("origin {origin}\nsize {size}\nentries {entries}\n\n{text}")
}

/// Writes the intent for appending `text` (`entries` lines) to a log of
/// `size` entries, replacing any older one, synced with its directory.
pub(crate) fn write(
    log_dir: &Path,
    signer: &Signer,
    size: u64,
    entries: u64,
    text: &str,
) -> Result<()> {
    let body = signed_part(signer.name(), size, entries, text);
    let sig = signer
        .sign_detached(CONTEXT, body.as_bytes())
        .map_err(|e| Error::state(said!(Msg::LsSigningIntent, e)))?;
    let (head, rest) = body
        .split_once("\n\n")
        .expect("signed_part has a blank line");
    let file = format!(
        "{CONTEXT}{head}\nsignature {}\n\n{rest}",
        base64::encode(&sig)
    );
    let path = log_dir.join(INTENT_FILE);
    let mut tmp = tempfile::Builder::new()
        .prefix(".append.intent.")
        .suffix(".partial")
        .tempfile_in(log_dir)
        .map_err(|e| Error::io(said!(Msg::CtxFileIn, log_dir.display()), e))?;
    tmp.write_all(file.as_bytes())
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| Error::io(said!(Msg::CtxWriting, path.display()), e))?;
    tmp.persist(&path)
        .map_err(|e| Error::io(said!(Msg::CtxWriting, path.display()), e.error))?;
    crate::files::sync_dir(log_dir)
}

/// Removes the intent once its append is signed. A crash before the
/// removal reaches the disk leaves an intent for a size the log has
/// passed, which [`read`]'s callers ignore.
pub(crate) fn remove(log_dir: &Path) -> Result<()> {
    let path = log_dir.join(INTENT_FILE);
    match fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(said!(Msg::CtxRemoving, path.display()), e)),
    }
}

/// Reads and checks the intent: `Ok(None)` if there is none, `Err(reason)`
/// if it is there but not one this log's key signed.
pub(crate) fn read(log_dir: &Path, verifier: &Verifier) -> Result<Option<Intent>> {
    let path = log_dir.join(INTENT_FILE);
    let data = match fs::read(&path) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(said!(Msg::CtxReading, path.display()), e)),
    };
    parse(&data, verifier).map(Some).map_err(|why| {
        Error::state(said!(Msg::LsNotIntent, path.display()).sentence(Said::new(why)))
    })
}

fn parse(data: &[u8], verifier: &Verifier) -> std::result::Result<Intent, Msg> {
    let text = std::str::from_utf8(data).map_err(|_| Msg::LsIntentNotUtf8)?;
    let rest = text.strip_prefix(CONTEXT).ok_or(Msg::LsIntentFirstLine)?;
    let (head, entries_text) = rest.split_once("\n\n").ok_or(Msg::LsIntentNoBlank)?;
    let mut lines = head.lines();
    let mut field = |name: &str| {
        lines
            .next()
            .and_then(|l| l.strip_prefix(name))
            .and_then(|l| l.strip_prefix(' '))
    };
    let origin = field("origin").ok_or(Msg::LsIntentNoOrigin)?.to_owned();
    let size: u64 = field("size")
        .and_then(|s| s.parse().ok())
        .ok_or(Msg::LsIntentNoSize)?;
    let entries: u64 = field("entries")
        .and_then(|s| s.parse().ok())
        .ok_or(Msg::LsIntentNoEntries)?;
    let sig = field("signature")
        .and_then(|s| base64::decode(s).ok())
        .ok_or(Msg::LsIntentNoSignature)?;
    if lines.next().is_some() {
        return Err(Msg::LsIntentMoreLines);
    }
    let body = signed_part(&origin, size, entries, entries_text);
    verifier
        .verify_detached(CONTEXT, body.as_bytes(), &sig)
        .map_err(|_| Msg::LsIntentSignature)?;
    if entries_text.matches('\n').count() as u64 != entries || !entries_text.ends_with('\n') {
        return Err(Msg::LsIntentEntries);
    }
    Ok(Intent {
        origin,
        size,
        entries,
        text: entries_text.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_intent_reads_back_and_any_changed_byte_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let signer = Signer::generate("example.org/log").unwrap();
        let text = "{\"a\":1}\n{\"b\":2}\n";
        write(dir.path(), &signer, 7, 2, text).unwrap();
        let got = read(dir.path(), &signer.verifier()).unwrap().unwrap();
        assert_eq!(
            got,
            Intent {
                origin: "example.org/log".into(),
                size: 7,
                entries: 2,
                text: text.into()
            }
        );
        let data = fs::read(dir.path().join(INTENT_FILE)).unwrap();
        for i in 0..data.len() {
            let mut bad = data.clone();
            bad[i] ^= 0x01;
            assert!(
                parse(&bad, &signer.verifier()).is_err(),
                "a flip at byte {i} was accepted"
            );
        }
        let other = Signer::generate("example.org/log").unwrap();
        assert!(read(dir.path(), &other.verifier()).is_err());
        remove(dir.path()).unwrap();
        assert!(read(dir.path(), &signer.verifier()).unwrap().is_none());
        remove(dir.path()).unwrap();
    }
}
