//! Writing the log: creating it, appending entries with their checkpoints,
//! and removing what a killed append left behind.

use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::path::Path;

use crate::files::{sync_dir, write_new};
use std::sync::Arc;

use ring::rand::SecureRandom as _;
use zeroize::Zeroizing;

use super::cache::Cache;
use super::{
    intent, Entry, Log, SigningKeyCheck, Uncommitted, CHECKPOINTS_FILE, ENTRIES_FILE, LOG_DIR,
    SIGNING_KEY_FILE, VERIFIER_KEY_FILE,
};
use watermark_core::{Error, LogDamage, Result};
use watermark_log::tlog::{self, Checkpoint, Signer, Verifier};
use watermark_text::{said, Msg, Said};
use {crate::key_file::check_private, watermark_core::hex};

/// A fresh origin (and key name) for a new log: `watermark/issuance/<16 hex>`.
pub(crate) fn default_origin() -> Result<String> {
    let mut id = [0u8; 8];
    ring::rand::SystemRandom::new()
        .fill(&mut id)
        .map_err(|_| Error::key(Msg::CoRandomFailed))?;
    Ok(format!("watermark/issuance/{}", hex(&id)))
}

/// A new log's signing key and first checkpoint, made before anything is
/// written so that a bad origin leaves nothing behind.
pub(crate) struct NewLog {
    signer: Signer,
    note: String,
}

impl NewLog {
    /// The new log's public key, `<origin>+<key id>+<base64>`.
    pub(crate) fn vkey(&self) -> String {
        self.signer.verifier().to_vkey()
    }
}

/// Makes a signing key for `origin` and signs the empty tree with it.
pub(crate) fn new_log(origin: &str) -> Result<NewLog> {
    let bad = |e: tlog::TlogError| Error::state(said!(Msg::LsBadOrigin, format!("{origin:?}"), e));
    let signer = Signer::generate(origin).map_err(bad)?;
    let empty = Checkpoint::new(origin, 0, tlog::EMPTY_ROOT);
    let note = tlog::sign_checkpoint(&empty, &signer).map_err(bad)?;
    Ok(NewLog { signer, note })
}

/// Creates `DIR/log`: the signing key, its verifier key, no entries, and
/// the signed checkpoint of the empty tree.
pub(crate) fn create(state_dir: &Path, new: NewLog) -> Result<()> {
    let NewLog { signer, note } = new;
    let dir = state_dir.join(LOG_DIR);
    // Not recursive: `state_dir` must exist (a new state's temporary
    // directory, which is not made again if another run removed it).
    crate::files::create_private_subdir(&dir)?;
    let mut skey = Zeroizing::new(String::new());
    skey.push_str(&signer.to_skey());
    skey.push('\n');
    write_new(&dir.join(SIGNING_KEY_FILE), skey.as_bytes(), true)?;
    write_new(
        &dir.join(VERIFIER_KEY_FILE),
        format!("{}\n", signer.verifier().to_vkey()).as_bytes(),
        false,
    )?;
    write_new(&dir.join(ENTRIES_FILE), b"", false)?;
    write_new(&dir.join(CHECKPOINTS_FILE), note.as_bytes(), false)?;
    sync_dir(&dir)
}

/// Parses a signing key file (one key line and its newline). Errors never
/// quote the file.
fn parse_signer(path: &Path, data: &[u8]) -> Result<Signer> {
    let damage =
        |msg: Said, byte: usize| Error::log(LogDamage::new(path, msg).line(1).byte(byte as u64));
    let text = std::str::from_utf8(data)
        .map_err(|e| damage(Said::new(Msg::LgNotUtf8), e.valid_up_to()))?;
    let Some(key) = text.strip_suffix('\n') else {
        return Err(damage(Said::new(Msg::LgNoNewline), data.len()));
    };
    if let Some(at) = key.find('\n') {
        return Err(Error::log(
            LogDamage::new(path, Said::new(Msg::LgMoreThanOneLine))
                .line(2)
                .byte(at as u64 + 1),
        ));
    }
    let signer = Signer::from_skey(key).map_err(|e| damage(said!(Msg::RfVerbatim, e), 0))?;
    let canonical = signer.to_skey();
    if canonical.as_str() != key {
        let at = super::first_difference(canonical.as_bytes(), key.as_bytes());
        return Err(damage(Said::new(Msg::LgNotCanonical), at));
    }
    Ok(signer)
}

fn check_matches(path: &Path, signer: &Signer, verifier: &Verifier) -> Result<()> {
    if signer.verifier() != *verifier {
        return Err(Error::log(LogDamage::new(
            path,
            said!(
                Msg::LgNotTheSigningKey,
                VERIFIER_KEY_FILE,
                format!("{}+{:08x}", signer.name(), signer.key_id())
            ),
        )));
    }
    Ok(())
}

/// Checks the signing key file, when there is one this user can read:
/// private, well-formed, and the key of `verifier`.
pub(crate) fn check_signing_key(path: &Path, verifier: &Verifier) -> Result<SigningKeyCheck> {
    match fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(SigningKeyCheck::Absent),
        Err(e) => return Err(Error::io(said!(Msg::CtxReading, path.display()), e)),
        Ok(_) => {}
    }
    check_private(path)?;
    let data = match fs::read(path) {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Ok(SigningKeyCheck::Unreadable)
        }
        Err(e) => return Err(Error::io(said!(Msg::CtxReading, path.display()), e)),
        Ok(d) => Zeroizing::new(d),
    };
    let signer = parse_signer(path, &data)?;
    check_matches(path, &signer, verifier)?;
    Ok(SigningKeyCheck::Matches)
}

/// Loads a signing key file: private, well-formed, and the key of
/// `verifier`.
pub(crate) fn load_signer(path: &Path, verifier: &Verifier) -> Result<Signer> {
    check_private(path)?;
    let data = Zeroizing::new(
        fs::read(path).map_err(|e| Error::io(said!(Msg::CtxReading, path.display()), e))?,
    );
    let signer = parse_signer(path, &data)?;
    check_matches(path, &signer, verifier)?;
    Ok(signer)
}

/// Opens and verifies the log, and removes what a killed append left after
/// the last checkpoint. Returns the log and what was removed. Hold the
/// state's lock.
pub(crate) fn repair(state_dir: &Path, cache: &Cache) -> Result<(Log, Option<Uncommitted>)> {
    let mut log = Log::open_with(state_dir, None, cache, false)?;
    let removed = log.uncommitted.take();
    if removed.is_some() {
        truncate(&log.dir.join(ENTRIES_FILE), log.entries_len)?;
        truncate(&log.dir.join(CHECKPOINTS_FILE), log.checkpoints_len)?;
    }
    // Done with, or left by an append whose checkpoints were synced before
    // a crash: either way it must not outlive this point.
    intent::remove(&log.dir)?;
    Ok((log, removed))
}

fn truncate(path: &Path, len: u64) -> Result<()> {
    let f = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| Error::io(said!(Msg::CtxOpening, path.display()), e))?;
    f.set_len(len)
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io(said!(Msg::LsCutting, path.display(), len), e))
}

fn append_synced(path: &Path, data: &[u8]) -> Result<()> {
    let mut f = OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|e| Error::io(said!(Msg::CtxOpening, path.display()), e))?;
    f.write_all(data)
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io(said!(Msg::CtxAppending, path.display()), e))
}

/// Appends `entries`, then one signed checkpoint per entry, syncing each
/// file before the next step, after removing what a killed append left.
/// Appends `entries`, each with its signed checkpoint, after removing what
/// a killed append left; remembers the log in `cache`. Returns the log as it
/// now stands, the index of the first new entry, and what was removed. Hold
/// the state's lock.
pub(crate) fn append(
    state_dir: &Path,
    entries: &[Entry],
    cache: &Cache,
) -> Result<(Log, u64, Option<Uncommitted>)> {
    for e in entries {
        e.check()
            .map_err(|msg| Error::state(said!(Msg::LsCannotLog, msg)))?;
    }
    let (mut log, removed) = repair(state_dir, cache)?;
    let signer = load_signer(&log.dir.join(SIGNING_KEY_FILE), &log.verifier)?;
    let first = log.size();
    let mut text = String::new();
    let mut notes = String::new();
    let mut tree = log.tree.clone();
    let mut new_notes = Vec::with_capacity(entries.len());
    let mut latest = log.latest.clone();
    for e in entries {
        let line = e.to_canonical();
        tree.push_entry(line.as_bytes());
        text.push_str(&line);
        text.push('\n');
        latest = Checkpoint::new(log.origin(), tree.size(), tree.root());
        let note = tlog::sign_checkpoint(&latest, &signer)
            .map_err(|e| Error::state(said!(Msg::LsSigning, e)))?;
        notes.push_str(&note);
        new_notes.push(note);
    }
    // The signed intent first: a tail after the last checkpoint is only
    // ever accepted (and removed) when the intent names it.
    intent::write(&log.dir, &signer, first, entries.len() as u64, &text)?;
    append_synced(&log.dir.join(ENTRIES_FILE), text.as_bytes())?;
    append_synced(&log.dir.join(CHECKPOINTS_FILE), notes.as_bytes())?;
    intent::remove(&log.dir)?;
    log.entries_len += text.len() as u64;
    log.checkpoints_len += notes.len() as u64;
    log.lines.extend(text.lines().map(Arc::from));
    log.entries.extend(entries.iter().cloned().map(Arc::new));
    log.notes.extend(new_notes.into_iter().map(Arc::from));
    log.tree = tree;
    log.latest = latest;
    // What was just written, signed and synced extends what was verified:
    // the next open in this process starts after it.
    log.hashed.entries.update(text.as_bytes());
    log.hashed.checkpoints.update(notes.as_bytes());
    log.hashed.checkpoint_lines += notes.matches('\n').count() as u64;
    log.remember(cache);
    Ok((log, first, removed))
}

/// Puts back the checkpoints of entries that lost them, from one signed
/// checkpoint of the log made since (a receipt's, a report's, the
/// witnesses'): it must verify with the log's key and sign exactly the
/// tree of the signed entries and the first unsigned ones. Those entries are
/// then proven, and their checkpoints are signed again: Ed25519 signatures
/// are deterministic, so they are the very bytes that were lost. Returns the
/// log as it now stands and how many entries were restored. Hold the
/// state's lock.
pub(crate) fn restore(state_dir: &Path, note: &str, cache: &Cache) -> Result<(Log, u64)> {
    let log = Log::open_with(state_dir, None, cache, true)?;
    let Some(orphaned) = log.orphaned.as_ref() else {
        return Err(Error::state(Msg::LsNothingToRestore));
    };
    let cp = tlog::open_checkpoint(note, &log.verifier)
        .map_err(|e| Error::state(said!(Msg::LsNotOurs, log.verifier.to_vkey(), e)))?;
    if cp.origin != log.origin() {
        return Err(Error::state(said!(
            Msg::LsOtherLog,
            format!("{:?}", cp.origin),
            format!("{:?}", log.origin())
        )));
    }
    let signed = log.size();
    let unsigned = orphaned.lines.len() as u64;
    if cp.size <= signed || cp.size > signed + unsigned {
        return Err(Error::state(said!(
            Msg::LsWrongSize,
            cp.size,
            signed,
            unsigned,
            signed + 1,
            signed + unsigned
        )));
    }
    let signer = load_signer(&log.dir.join(SIGNING_KEY_FILE), &log.verifier)?;
    let mut tree = log.tree.clone();
    let mut notes = String::new();
    for line in &orphaned.lines[..(cp.size - signed) as usize] {
        tree.push_entry(line.as_bytes());
        let c = Checkpoint::new(log.origin(), tree.size(), tree.root());
        notes.push_str(
            &tlog::sign_checkpoint(&c, &signer)
                .map_err(|e| Error::state(said!(Msg::LsSigning, e)))?,
        );
    }
    if tree.root() != cp.root {
        return Err(Error::state(said!(Msg::LsOtherRoot, cp.size)));
    }
    let checkpoints = log.dir.join(CHECKPOINTS_FILE);
    truncate(&checkpoints, log.checkpoints_len)?;
    append_synced(&checkpoints, notes.as_bytes())?;
    let now = Log::open_with(state_dir, None, cache, true)?;
    Ok((now, cp.size - signed))
}
