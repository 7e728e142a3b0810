//! Witnessing on disk: a witness's directory, and a state's witnesses.
//!
//! A witness (C2SP tlog-witness style, see [`watermark_log::tlog::witness`]) keeps
//! its key and, for each log it trusts, the latest checkpoint it cosigned:
//!
//! ```text
//! W/witness.key          its Ed25519 signing key, `PRIVATE+KEY+…` and '\n' (mode 0600)
//! W/witness.pub          its verifier key, `<name>+<key id>+<base64>` and '\n'
//! W/logs                 the logs it witnesses: one verifier key a line (the key's
//!                        name is the log's origin)
//! W/checkpoints/<hash>   per log (SHA-256 of its origin, hex), the latest checkpoint
//!                        it cosigned, as the log signed it
//! W/lock                 held while a checkpoint is checked and recorded
//! ```
//!
//! A checkpoint is recorded (written to a temporary file, synced, renamed,
//! the directory synced) before its cosignature is returned, under the
//! lock, so two requests can never both be checked against the same old
//! checkpoint, and a cosignature is never given for something the witness
//! could forget in a crash.
//!
//! A state that has witnesses lists them in a [`WitnessConfig`] (a TOML
//! file), and keeps the latest checkpoint they cosigned in `log/cosigned`
//! ([`read_cosigned`], [`store_cosigned`]).

use std::fs::{self, File};

use crate::files::write_new;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use ring::digest::{digest, SHA256};
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::files::create_private_dir;
use crate::issuance_log::{self, Log, Receipt};
use crate::issuing::IssuedCopy;
use crate::state::{State, StateLock};
use watermark_core::{bounded, Error, Result};
use watermark_log::tlog::{self, AddCheckpoint, Checkpoint, Refusal, Signer, Verifier};
use watermark_text::{said, Msg, Said};
use {crate::key_file::check_private, watermark_core::hex};

const KEY_FILE: &str = "witness.key";
const PUB_FILE: &str = "witness.pub";
const LOGS_FILE: &str = "logs";
const CHECKPOINTS_DIR: &str = "checkpoints";
const LOCK_FILE: &str = "lock";

/// Where a state keeps its witness configuration unless told otherwise.
pub const WITNESSES_FILE: &str = "witnesses.toml";

/// The latest cosigned checkpoint of a state's log, in `log/`.
pub const COSIGNED_FILE: &str = "cosigned";

/// A witness: its signing key and its directory.
///
/// `Debug` shows the directory and the key's name and id, never the key.
#[derive(Debug)]
pub struct Witness {
    dir: PathBuf,
    signer: Signer,
}

/// Why [`Witness::add_checkpoint`] gave no cosignature.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AddCheckpointError {
    /// The request was checked and refused (a 4xx answer).
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The witness could not do its part: its files could not be read or
    /// written (a 5xx answer). Nothing was cosigned.
    #[error(transparent)]
    Failed(#[from] Error),
}

/// Whether [`Witness::trust`] added the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trusted {
    /// The log's key was added.
    Added,
    /// The witness already trusted this very key.
    Already,
}

/// Replaces `path` whole: a temporary file beside it, written and synced,
/// renamed over it, and the directory synced. The temporary file is named
/// `.NAME.XXXXXX.partial`, like the other temporary files of the project.
fn write_atomic(path: &Path, data: &[u8], mode: u32) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".partial")
        .tempfile_in(dir)
        .map_err(|e| Error::io(said!(Msg::CtxFileIn, dir.display()), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(mode))
            .map_err(|e| Error::io(said!(Msg::CtxWriting, path.display()), e))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    tmp.write_all(data)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| Error::io(said!(Msg::CtxWriting, path.display()), e))?;
    tmp.persist(path)
        .map_err(|e| Error::io(said!(Msg::CtxWriting, path.display()), e.error))?;
    crate::files::sync_dir(dir)
}

fn read_to_string(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|e| Error::io(said!(Msg::CtxReading, path.display()), e))
}

/// A note's text: everything before the blank line that precedes its
/// signatures, with its final newline.
fn note_text(note: &str) -> &str {
    note.rfind("\n\n").map_or(note, |at| &note[..at + 1])
}

impl Witness {
    /// Creates a witness in `dir` (created if needed, mode 0700) with a new
    /// Ed25519 key named `name`, e.g. `witness.example/w1`, and no logs.
    /// Refuses a directory that already holds a witness key. Returns the
    /// witness's verifier key, which logs and verifiers need.
    pub fn init(dir: &Path, name: &str) -> Result<Verifier> {
        let key_path = dir.join(KEY_FILE);
        if key_path.exists() {
            return Err(Error::state(said!(
                Msg::WtAlreadyWitness,
                dir.display(),
                KEY_FILE
            )));
        }
        let signer = Signer::generate(name).map_err(|e| Error::state(said!(Msg::WtBadName, e)))?;
        create_private_dir(dir)?;
        create_private_dir(&dir.join(CHECKPOINTS_DIR))?;
        let mut skey = Zeroizing::new(String::new());
        skey.push_str(&signer.to_skey());
        skey.push('\n');
        write_new(&key_path, skey.as_bytes(), true)?;
        let vkey = signer.verifier();
        write_atomic(
            &dir.join(PUB_FILE),
            format!("{}\n", vkey.to_vkey()).as_bytes(),
            0o644,
        )?;
        if !dir.join(LOGS_FILE).exists() {
            write_atomic(&dir.join(LOGS_FILE), b"", 0o644)?;
        }
        crate::files::sync_dir(dir)?;
        Ok(vkey)
    }

    /// Opens the witness in `dir`, refusing a key file others can read.
    pub fn open(dir: &Path) -> Result<Witness> {
        let key_path = dir.join(KEY_FILE);
        if !key_path.exists() {
            return Err(Error::state(said!(
                Msg::WtNotWitnessDir,
                dir.display(),
                KEY_FILE,
                dir.display()
            )));
        }
        check_private(&key_path)?;
        let data = Zeroizing::new(
            fs::read(&key_path)
                .map_err(|e| Error::io(said!(Msg::CtxReading, key_path.display()), e))?,
        );
        // Never quote the key file in an error.
        let text = std::str::from_utf8(&data)
            .ok()
            .and_then(|t| t.strip_suffix('\n'))
            .ok_or_else(|| Error::key(said!(Msg::WtKeyLine, key_path.display())))?;
        let signer = Signer::from_skey(text)
            .map_err(|e| Error::key(said!(Msg::WhatWhy, key_path.display(), e)))?;
        Ok(Witness {
            dir: dir.to_path_buf(),
            signer,
        })
    }

    /// The witness's verifier key.
    pub fn verifier(&self) -> Verifier {
        self.signer.verifier()
    }

    /// The witness's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn lock(&self) -> Result<File> {
        crate::files::lock_file(&self.dir.join(LOCK_FILE))
    }

    /// The logs this witness witnesses: their verifier keys, in the order
    /// they were added.
    pub fn trusted_logs(&self) -> Result<Vec<Verifier>> {
        let path = self.dir.join(LOGS_FILE);
        let text = match fs::read_to_string(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            other => other.map_err(|e| Error::io(said!(Msg::CtxReading, path.display()), e))?,
        };
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|(i, l)| {
                Verifier::from_vkey(l.trim())
                    .map_err(|e| Error::state(said!(Msg::WtLogLine, path.display(), i + 1, e)))
            })
            .collect()
    }

    /// Adds a log, by its verifier key (whose name is the log's origin).
    /// A witness trusts one key per origin: a second key for an origin it
    /// already witnesses is refused.
    pub fn trust(&self, log: &Verifier) -> Result<Trusted> {
        let _lock = self.lock()?;
        let logs = self.trusted_logs()?;
        if let Some(known) = logs.iter().find(|v| v.name() == log.name()) {
            if known == log {
                return Ok(Trusted::Already);
            }
            return Err(Error::state(said!(
                Msg::WtOneKey,
                format!("{:?}", log.name()),
                known.to_vkey()
            )));
        }
        let mut text = String::new();
        for v in logs.iter().chain([log]) {
            text.push_str(&v.to_vkey());
            text.push('\n');
        }
        write_atomic(&self.dir.join(LOGS_FILE), text.as_bytes(), 0o644)?;
        Ok(Trusted::Added)
    }

    fn checkpoint_path(&self, origin: &str) -> PathBuf {
        let h = digest(&SHA256, origin.as_bytes());
        self.dir.join(CHECKPOINTS_DIR).join(hex(h.as_ref()))
    }

    /// The latest checkpoint this witness cosigned for `log`, verified
    /// with the log's key; `None` if it never cosigned one.
    pub fn latest(&self, log: &Verifier) -> Result<Option<Checkpoint>> {
        let path = self.checkpoint_path(log.name());
        let note = match fs::read_to_string(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            other => other.map_err(|e| Error::io(said!(Msg::CtxReading, path.display()), e))?,
        };
        // A record that does not verify is never taken for "no record":
        // that would let the log start over.
        let damaged = |why: Said| {
            Error::state(
                said!(
                    Msg::WtRecordDamaged,
                    path.display(),
                    format!("{:?}", log.name())
                )
                .sentence(why),
            )
        };
        let cp = tlog::open_checkpoint(&note, log)
            .map_err(|e| damaged(said!(Msg::WtDoesNotVerify, e)))?;
        if cp.origin != log.name() {
            return Err(damaged(Said::new(Msg::WtOfAnotherLog)));
        }
        Ok(Some(cp))
    }

    /// Handles an `add-checkpoint` request body: checks it against the
    /// latest checkpoint cosigned for its log, records the new checkpoint
    /// durably, and only then returns the witness's signature lines (see
    /// [`tlog::cosign`]). `now` is the time of the cosignature, in seconds
    /// since the Unix epoch.
    pub fn add_checkpoint(
        &self,
        body: &[u8],
        now: u64,
    ) -> std::result::Result<String, AddCheckpointError> {
        let req = AddCheckpoint::parse(body).map_err(|e| Refusal::BadRequest(e.to_string()))?;
        // Held until the new checkpoint is recorded: the check and the
        // record are one step for every other request.
        let _lock = self.lock()?;
        let logs = self.trusted_logs()?;
        let Some(log) = logs.iter().find(|v| v.name() == req.origin()) else {
            return Err(Refusal::UnknownLog {
                origin: bounded(req.origin(), 100).into_owned(),
            }
            .into());
        };
        let held = self.latest(log)?;
        let new = tlog::check_add_checkpoint(log, held.as_ref(), &req)?;
        let lines = tlog::cosign(&self.signer, &new, now)
            .map_err(|e| Error::state(said!(Msg::WtCosigning, e)))?;
        // Kept as the log signed it: the text and the log's own signatures.
        let verified = log
            .verify(req.checkpoint.as_bytes())
            .map_err(|e| Error::state(said!(Msg::WtRereading, e)))?;
        let mut record = verified.text.clone();
        record.push('\n');
        for sig in &verified.verified {
            let mut raw = sig.key_id.to_be_bytes().to_vec();
            raw.extend_from_slice(&sig.signature);
            record.push_str(&format!(
                "\u{2014} {} {}\n",
                sig.name,
                tlog::base64::encode(&raw)
            ));
        }
        write_atomic(&self.checkpoint_path(log.name()), record.as_bytes(), 0o644)?;
        Ok(lines)
    }
}

/// One witness a state submits its checkpoints to.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WitnessEntry {
    /// Its name: the name of its key.
    pub name: String,
    /// Its submission prefix: requests go to `URL/add-checkpoint`. No
    /// trailing slash.
    pub url: String,
    /// Its verifier key.
    pub key: Verifier,
}

/// What `text` holds that must never be printed nor be in a witness list:
/// a signer's private key (`PRIVATE+KEY+…`, as `witness.key` and
/// `log/signing.key` hold it) or a watermark master key's text.
fn key_material(text: &str) -> Option<Msg> {
    if text.contains("PRIVATE+KEY") {
        Some(Msg::WtPrivateKey)
    } else if text.contains(watermark_core::KEY_FILE_TAG)
        || text.lines().any(|l| l.trim_start().starts_with("secret:"))
    {
        Some(Msg::WtMasterKeyText)
    } else {
        None
    }
}

/// `found` (where a private key was found), and what to do about it.
fn exposed(found: Said) -> Said {
    Said::new(Msg::WtExposed).sentence(found)
}

/// A TOML error message with any long quoted part (a value from the list,
/// which may be a secret) left out.
fn redact(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(open) = rest.find(['"', '`']) {
        let quote = rest.as_bytes()[open];
        out.push_str(&rest[..=open]);
        let body = &rest[open + 1..];
        // A double-quoted value is escaped as Rust's Debug does.
        let mut end = None;
        let mut escaped = false;
        for (i, b) in body.bytes().enumerate() {
            if escaped {
                escaped = false;
            } else if b == b'\\' && quote == b'"' {
                escaped = true;
            } else if b == quote {
                end = Some(i);
                break;
            }
        }
        let Some(end) = end else {
            out.push('…');
            return out;
        };
        if body[..end].chars().count() > 24 {
            out.push('…');
        } else {
            out.push_str(&body[..end]);
        }
        out.push(quote as char);
        rest = &body[end + 1..];
    }
    out.push_str(rest);
    out
}

/// A state's witnesses, as its TOML file lists them:
///
/// ```toml
/// required = 2            # cosignatures each checkpoint needs (default: all)
///
/// [[witness]]
/// name = "witness-a.example"
/// url = "https://witness-a.example"     # POST URL/add-checkpoint
/// key = "witness-a.example+1d2a23b2+AQ…"
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WitnessConfig {
    /// How many of the witnesses must cosign a checkpoint (1 to all).
    pub required: usize,
    /// The witnesses, in the file's order.
    pub witnesses: Vec<WitnessEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigDoc {
    required: Option<usize>,
    #[serde(default)]
    witness: Vec<EntryDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryDoc {
    name: String,
    url: String,
    key: String,
}

impl WitnessConfig {
    /// Parses and checks a configuration: at least one witness; each
    /// witness's name is its key's name; names, keys and URLs are distinct;
    /// URLs are `http://` or `https://`; `required` is between 1 and the
    /// number of witnesses.
    ///
    /// Errors never quote a key, nor the lines of the list (a private key
    /// or a master key's text pasted into it would be printed): they say
    /// what is wrong and where.
    pub fn from_toml(text: &str) -> Result<WitnessConfig> {
        WitnessConfig::parse(text).map_err(Error::state)
    }

    /// [`WitnessConfig::from_toml`], its refusal a sentence.
    fn parse(text: &str) -> std::result::Result<WitnessConfig, Said> {
        let doc: ConfigDoc = toml::from_str(text).map_err(|e| {
            let mut msg = said!(
                Msg::WtNotList,
                redact(e.message().trim()).replace('\n', "; ")
            );
            if let Some(span) = e.span() {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
                msg = Said::new(Msg::WtAtLineColumn)
                    .sentence(msg)
                    .arg(line)
                    .arg(column);
            }
            if let Some(what) = key_material(text) {
                let found = Said::new(Msg::WtItHolds).sentence(Said::new(what));
                msg = Said::new(Msg::WtAndThen)
                    .sentence(msg)
                    .sentence(exposed(found));
            }
            msg
        })?;
        if doc.witness.is_empty() {
            return Err(Said::new(Msg::WtNoWitness));
        }
        let mut witnesses: Vec<WitnessEntry> = Vec::with_capacity(doc.witness.len());
        for (i, w) in doc.witness.into_iter().enumerate() {
            let at = |msg: Said| said!(Msg::WtWitnessAt, i + 1).sentence(msg);
            for (field, value) in [("key", &w.key), ("name", &w.name), ("url", &w.url)] {
                if let Some(what) = key_material(value) {
                    let found = said!(Msg::WtItsFieldIs, field).sentence(Said::new(what));
                    return Err(at(exposed(found)));
                }
            }
            // Never quoted: whatever was pasted here may be secret.
            let key = Verifier::from_vkey(w.key.trim()).map_err(|e| {
                let why = match e {
                    tlog::TlogError::InvalidKeyName { reason, .. } => reason.to_owned(),
                    e => e.to_string(),
                };
                at(said!(Msg::WtNotVerifierKey, why))
            })?;
            if key.name() != w.name {
                return Err(at(said!(
                    Msg::WtNameNotKeys,
                    format!("{:?}", bounded(&w.name, 100)),
                    format!("{:?}", key.name())
                )));
            }
            let url = w.url.trim_end_matches('/').to_owned();
            let scheme_ok = url.starts_with("http://") || url.starts_with("https://");
            if !scheme_ok
                || url.len() > 2000
                || url.chars().any(|c| c.is_whitespace() || c.is_control())
            {
                return Err(at(said!(
                    Msg::WtBadUrl,
                    format!("{:?}", bounded(&w.url, 200))
                )));
            }
            if let Some(other) = witnesses.iter().find(|o| {
                o.name == w.name || o.key.public_key() == key.public_key() || o.url == url
            }) {
                return Err(at(said!(Msg::WtRepeated, format!("{:?}", other.name))));
            }
            witnesses.push(WitnessEntry {
                name: w.name,
                url,
                key,
            });
        }
        let required = doc.required.unwrap_or(witnesses.len());
        if required == 0 || required > witnesses.len() {
            return Err(said!(Msg::WtRequired, required, witnesses.len()));
        }
        Ok(WitnessConfig {
            required,
            witnesses,
        })
    }

    /// Reads and parses a configuration file.
    pub fn load(path: &Path) -> Result<WitnessConfig> {
        let text = read_to_string(path)?;
        WitnessConfig::parse(&text)
            .map_err(|e| Error::state(said!(Msg::WhatWhy, path.display()).sentence(e)))
    }

    /// The configuration of a state: `explicit` if given (it must exist),
    /// else `STATE/witnesses.toml` if there is one. Returns where it was
    /// read from.
    pub fn find(state_dir: &Path, explicit: Option<&Path>) -> Result<Option<(PathBuf, Self)>> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => {
                let p = state_dir.join(WITNESSES_FILE);
                if !p.exists() {
                    return Ok(None);
                }
                p
            }
        };
        let config = WitnessConfig::load(&path)?;
        Ok(Some((path, config)))
    }

    /// The witnesses' verifier keys.
    pub fn keys(&self) -> Vec<Verifier> {
        self.witnesses.iter().map(|w| w.key.clone()).collect()
    }

    /// Refuses a configuration that names the log's own key as a witness:
    /// the log's signature would count as a cosignature.
    pub fn check_log(&self, log: &Verifier) -> Result<()> {
        match self
            .witnesses
            .iter()
            .find(|w| w.key.public_key() == log.public_key())
        {
            Some(w) => Err(Error::state(said!(
                Msg::WtLogsOwnKey,
                format!("{:?}", w.name)
            ))),
            None => Ok(()),
        }
    }
}

/// A checkpoint of a state's log with its witnesses' cosignatures.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Cosigned {
    /// The signed note: the log's signature, then the cosignatures.
    pub note: String,
    /// The checkpoint it signs.
    pub checkpoint: Checkpoint,
}

/// What `log/cosigned` says about the log beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CosignedState {
    /// There is none: the log was never witnessed.
    Absent,
    /// It signs the log's first `checkpoint.size` entries, exactly as the
    /// log's own checkpoint of that size does.
    Matches(Cosigned),
    /// It signs more entries than the log holds: the log was cut back, or
    /// restored from an older copy without this file.
    Ahead(Cosigned),
    /// It signs another root than the log's own checkpoint of its size:
    /// the log was rewritten.
    Diverges(Cosigned),
}

fn cosigned_path(state: &State) -> PathBuf {
    state.dir().join(issuance_log::LOG_DIR).join(COSIGNED_FILE)
}

/// Reads `log/cosigned` and compares it with the log: it must be a
/// checkpoint of this log, signed with its key.
pub fn read_cosigned(state: &State, log: &Log) -> Result<CosignedState> {
    let path = cosigned_path(state);
    let note = match fs::read_to_string(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(CosignedState::Absent),
        other => other.map_err(|e| Error::io(said!(Msg::CtxReading, path.display()), e))?,
    };
    let checkpoint = tlog::open_checkpoint(&note, log.verifier())
        .map_err(|e| Error::state(said!(Msg::WtCpNotVerify, path.display(), e)))?;
    if checkpoint.origin != log.origin() {
        return Err(Error::state(said!(
            Msg::WtCpOtherLog,
            path.display(),
            format!("{:?}", bounded(&checkpoint.origin, 100)),
            format!("{:?}", log.origin())
        )));
    }
    let own = log.checkpoint_at(checkpoint.size);
    let c = Cosigned { note, checkpoint };
    Ok(match own {
        None => CosignedState::Ahead(c),
        Some(own) if note_text(own) == note_text(&c.note) => CosignedState::Matches(c),
        Some(_) => CosignedState::Diverges(c),
    })
}

/// Replaces `log/cosigned` (atomically) with `note`, which must be one of
/// the log's own checkpoints with cosignatures added. Hold the state's lock.
pub fn store_cosigned(state: &State, _lock: &StateLock, log: &Log, note: &str) -> Result<Cosigned> {
    let checkpoint = tlog::open_checkpoint(note, log.verifier())
        .map_err(|e| Error::state(said!(Msg::WtCosignedNotVerify, e)))?;
    let matches = log
        .checkpoint_at(checkpoint.size)
        .is_some_and(|own| note_text(own) == note_text(note));
    if checkpoint.origin != log.origin() || !matches {
        return Err(Error::state(said!(Msg::WtCosignedNotOwn, checkpoint.size)));
    }
    write_atomic(&cosigned_path(state), note.as_bytes(), 0o644)?;
    Ok(Cosigned {
        note: note.to_owned(),
        checkpoint,
    })
}

/// Rewrites the receipts of `copies` whose checkpoint is the one `cosigned`
/// signs, so that they carry its cosignatures (each atomically, by
/// rename). Returns how many were rewritten.
pub fn cosign_receipts(copies: &[IssuedCopy], cosigned: &Cosigned) -> Result<usize> {
    let mut n = 0;
    for c in copies {
        if note_text(&c.receipt.checkpoint) != note_text(&cosigned.note) {
            continue;
        }
        let receipt = Receipt {
            checkpoint: cosigned.note.clone(),
            ..c.receipt.clone()
        };
        // The receipt keeps the mode it was written with.
        #[cfg(unix)]
        let mode = {
            use std::os::unix::fs::PermissionsExt as _;
            fs::metadata(&c.receipt_path).map_or(0o644, |m| m.permissions().mode() & 0o777)
        };
        #[cfg(not(unix))]
        let mode = 0o644;
        write_atomic(&c.receipt_path, receipt.to_json().as_bytes(), mode)?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests;
