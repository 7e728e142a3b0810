//! The state directory: the master key, the policies copies were made with,
//! and the signed issuance log.
//!
//! ```text
//! DIR/master.key          the master key (mode 0600)
//! DIR/policies/D.toml     each policy used, by digest
//! DIR/log/                the signed, append-only issuance log (see `Log`), and
//!                         log/key.binding, which ties its key to the master key
//! DIR/canaries/           each extract's canary list (secret, mode 0600)
//! DIR/issue.journal       only while copies are being moved into place
//! DIR/lock                held while writing, so slots and entries are never shared
//! ```
//!
//! No log entry holds personal data or secrets: recipients, digests, counts
//! and ids only.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::files::{create_private_dir, create_private_subdir, lock_file};
use crate::issuance_log::{self, Cache, Log, Uncommitted};
use watermark_core::CanaryList;
use watermark_core::MasterKey;
use watermark_core::Policy;
use watermark_core::Recipient;
use watermark_core::{Error, Result};
use watermark_log::tlog::{Signer, Verifier};
use watermark_log::{Entry, IssueEntry};
use watermark_text::{said, Msg, Said};

const KEY_FILE: &str = "master.key";
const POLICY_DIR: &str = "policies";
const LOCK_FILE: &str = "lock";
const CANARY_DIR: &str = "canaries";
/// In the log's directory: the log's key tied to the master key.
const LOG_KEY_BINDING: &str = "key.binding";
/// The plain record of versions before the signed log.
const OLD_RECORD_FILE: &str = "issuance.jsonl";

/// An open state directory.
///
/// Clones share what the state has verified of its log, so reopening the
/// log checks only what was appended since (see [`State::log`]).
#[derive(Debug, Clone)]
pub struct State {
    dir: PathBuf,
    cache: Arc<Cache>,
}

/// A held lock on the state directory; released on drop. Everything that
/// writes the log or assigns slots takes it.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}

/// Entries just appended to the log.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Appended {
    /// The log as it now stands (verified before the append).
    pub log: Log,
    /// Index of the first new entry.
    pub first: u64,
    /// What a killed append had left after the last checkpoint, removed
    /// first.
    pub removed: Option<Uncommitted>,
}

impl State {
    /// Creates a new state directory with a fresh master key and an empty
    /// issuance log under a fresh signing key, named
    /// `watermark/issuance/<random hex>`. Refuses a directory that already
    /// holds a key.
    pub fn init(dir: &Path) -> Result<State> {
        Self::init_with_log_origin(dir, None)
    }

    /// Like [`State::init`], naming the log (and its key) `log_origin`, e.g.
    /// `registry.example/extracts`: no spaces and no `+`.
    ///
    /// Atomic: the state is made in a hidden temporary directory beside
    /// `dir` (`.NAME.init-XXXXXX`), synced, and renamed to `dir`, so a kill
    /// at any moment leaves either no state or a complete one. `dir` may
    /// exist if it is empty.
    ///
    /// Each run holds the temporary directory's `lock` file locked from
    /// just after making the directory until the rename (the state keeps
    /// it as its lock file), and removes only temporary directories beside
    /// `dir` whose lock is free: those of killed runs, never one another
    /// run is filling. Runs at the same time make one state: the first
    /// rename wins and the others fail, leaving nothing behind. Inside the
    /// temporary directory nothing is created recursively, so a run whose
    /// directory was removed after all fails instead of making part of it
    /// again.
    pub fn init_with_log_origin(dir: &Path, log_origin: Option<&str>) -> Result<State> {
        let key_path = dir.join(KEY_FILE);
        if key_path.exists() {
            return Err(Error::state(said!(
                Msg::StAlreadyState,
                dir.display(),
                KEY_FILE
            )));
        }
        if let Ok(mut entries) = fs::read_dir(dir) {
            if entries.next().is_some() {
                return Err(Error::state(said!(Msg::StNotEmpty, dir.display())));
            }
        } else if dir.is_dir() {
            // Made between the two looks: another run's rename won.
            return Err(Error::state(said!(Msg::StMadeMeanwhile, dir.display())));
        } else if dir.exists() {
            return Err(Error::state(said!(Msg::StNotADirectory, dir.display())));
        }
        let origin = match log_origin {
            Some(o) => o.to_owned(),
            None => issuance_log::default_origin()?,
        };
        let new_log = issuance_log::new_log(&origin)?;
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Error::state(said!(Msg::StCannotName, dir.display())))?;
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        create_private_dir(&parent)?;
        let prefix = format!(".{name}.init-");
        remove_stale_inits(&parent, &prefix);
        let tmp = tempfile::Builder::new()
            .prefix(&prefix)
            .tempdir_in(&parent)
            .map_err(|e| Error::io(said!(Msg::CtxDirIn, parent.display()), e))?;
        let building = Building::lock(tmp, dir)?;
        let tmp = building.tmp.path();
        let made = (|| {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                fs::set_permissions(tmp, fs::Permissions::from_mode(0o700))
                    .map_err(|e| Error::io(said!(Msg::CtxProtecting, tmp.display()), e))?;
            }
            create_private_subdir(&tmp.join(POLICY_DIR))?;
            let key = MasterKey::generate()?;
            crate::key_file::write_new(&key, &tmp.join(KEY_FILE))?;
            let binding = key.log_key_binding(&new_log.vkey());
            issuance_log::create(tmp, new_log)?;
            crate::files::write_new(
                &tmp.join(issuance_log::LOG_DIR).join(LOG_KEY_BINDING),
                format!("{binding}\n").as_bytes(),
                false,
            )?;
            crate::files::sync_dir(&tmp.join(issuance_log::LOG_DIR))?;
            crate::files::sync_dir(tmp)
        })();
        if let Err(e) = made {
            return Err(building.failed(e));
        }
        // Renaming onto an empty directory replaces it; onto anything else
        // (made since the check above) it fails, and nothing is replaced.
        if let Err(e) = fs::rename(tmp, dir) {
            let e = Error::io(said!(Msg::CtxMovingState, dir.display()), e);
            return Err(building.failed(e));
        }
        let Building { tmp, lock, .. } = building;
        let _ = tmp.keep();
        crate::files::sync_dir(&parent)?;
        drop(lock);
        Ok(State {
            dir: dir.to_path_buf(),
            cache: Arc::new(Cache::new()),
        })
    }

    /// Opens an existing state directory.
    pub fn open(dir: &Path) -> Result<State> {
        if !dir.join(KEY_FILE).exists() {
            return Err(Error::state(said!(
                Msg::StNotAState,
                dir.display(),
                KEY_FILE,
                dir.display()
            )));
        }
        if !dir.join(issuance_log::LOG_DIR).exists() {
            let why = if dir.join(OLD_RECORD_FILE).exists() {
                said!(Msg::StOldRecord, OLD_RECORD_FILE)
            } else {
                Said::new(Msg::StNoLogDir)
            };
            return Err(Error::state(
                said!(Msg::StIncomplete, dir.display()).sentence(why),
            ));
        }
        Ok(State {
            dir: dir.to_path_buf(),
            cache: Arc::new(Cache::new()),
        })
    }

    /// Opens a state directory to audit its log: only `log/` is needed, so
    /// an auditor's copy without the master key (or the log's signing key)
    /// will do.
    pub fn open_for_audit(dir: &Path) -> Result<State> {
        if !dir.join(issuance_log::LOG_DIR).is_dir() {
            return Err(Error::state(said!(Msg::StNoLog, dir.display())));
        }
        Ok(State {
            dir: dir.to_path_buf(),
            cache: Arc::new(Cache::new()),
        })
    }

    /// Checks that every policy the log's copies name is stored and
    /// unchanged. Returns how many, or `None` if the directory keeps no
    /// policies (an auditor's copy of the log alone).
    pub fn check_policies(&self, log: &Log) -> Result<Option<usize>> {
        if !self.dir.join(POLICY_DIR).is_dir() {
            // A state (it has its master key) keeps the policies its copies
            // were made with; without them no copy can be verified.
            if self.dir.join(KEY_FILE).exists() && log.issues().next().is_some() {
                return Err(Error::state(said!(
                    Msg::StPoliciesMissing,
                    self.dir.join(POLICY_DIR).display()
                )));
            }
            return Ok(None);
        }
        let digests: std::collections::BTreeSet<&str> = log
            .issues()
            .map(|(_, e)| e.policy_digest.as_str())
            .collect();
        for d in &digests {
            self.policy(d)?;
        }
        Ok(Some(digests.len()))
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Loads the master key (refusing a key file others can read).
    pub fn master_key(&self) -> Result<MasterKey> {
        crate::key_file::load(&self.dir.join(KEY_FILE))
    }

    /// Takes the state's lock, waiting for another writer to finish.
    pub fn lock(&self) -> Result<StateLock> {
        Ok(StateLock {
            _file: lock_file(&self.dir.join(LOCK_FILE))?,
        })
    }

    /// Stores a policy under its digest (once) and returns the digest.
    pub fn store_policy(&self, policy: &Policy) -> Result<String> {
        let digest = policy.digest();
        let path = self.dir.join(POLICY_DIR).join(format!("{digest}.toml"));
        if path.exists() {
            // Put there before: it must be this policy's canonical text, or
            // copies would be logged under a policy file that does not
            // verify them.
            self.policy(&digest)?;
        } else {
            let tmp = tempfile::NamedTempFile::new_in(self.dir.join(POLICY_DIR))
                .map_err(|e| Error::io(Said::new(Msg::CtxCreatingPolicy), e))?;
            fs::write(tmp.path(), policy.to_toml())
                .and_then(|_| tmp.as_file().sync_all())
                .map_err(|e| Error::io(said!(Msg::CtxWriting, path.display()), e))?;
            tmp.persist(&path)
                .map_err(|e| Error::io(said!(Msg::CtxWriting, path.display()), e.error))?;
            crate::files::sync_dir(&self.dir.join(POLICY_DIR))?;
        }
        Ok(digest)
    }

    /// Loads a stored policy by digest, checking that it still has it.
    pub fn policy(&self, digest: &str) -> Result<Policy> {
        let path = self.dir.join(POLICY_DIR).join(format!("{digest}.toml"));
        let text = fs::read_to_string(&path)
            .map_err(|e| Error::io(said!(Msg::CtxReadingPolicy, path.display()), e))?;
        let policy = Policy::from_toml(&text)
            .map_err(|e| Error::altered(said!(Msg::AlChanged, path.display(), e)))?;
        if policy.digest() != digest {
            return Err(Error::altered(said!(
                Msg::AlDigestNow,
                path.display(),
                policy.digest()
            )));
        }
        // The file is the policy's one canonical text: a changed byte that
        // leaves the meaning alone (a space, a comment) is a change too.
        let canonical = policy.to_toml();
        if canonical != text {
            let at = issuance_log::first_difference(canonical.as_bytes(), text.as_bytes());
            return Err(Error::altered(said!(
                Msg::AlByteDiffers,
                path.display(),
                at,
                digest
            )));
        }
        Ok(policy)
    }

    fn canary_path(&self, input_blake3: &str, policy_digest: &str) -> PathBuf {
        self.dir
            .join(CANARY_DIR)
            .join(format!("{input_blake3}-{policy_digest}.json"))
    }

    /// The canary list made for an extract under a policy, checked against
    /// the digest the log's entries record for it. `None` when no logged
    /// copy used one (a list a killed run left unlogged is not trusted: it
    /// is made again). Fails if the file the log names is missing or was
    /// changed. Refuses a file others can read.
    pub fn canaries(
        &self,
        log: &Log,
        input_blake3: &str,
        policy_digest: &str,
    ) -> Result<Option<CanaryList>> {
        let recorded = recorded_canary_lists(log);
        match recorded.get(&(input_blake3.to_owned(), policy_digest.to_owned())) {
            None => Ok(None),
            Some(r) => self.load_recorded(input_blake3, policy_digest, r).map(Some),
        }
    }

    fn load_recorded(
        &self,
        input_blake3: &str,
        policy_digest: &str,
        r: &RecordedList,
    ) -> Result<CanaryList> {
        let path = self.canary_path(input_blake3, policy_digest);
        if !path.exists() {
            return Err(Error::state(said!(
                Msg::StCanaryListMissing,
                path.display(),
                r.index,
                r.digest
            )));
        }
        crate::key_file::check_private(&path)?;
        let data =
            fs::read(&path).map_err(|e| Error::io(said!(Msg::CtxReading, path.display()), e))?;
        let digest = blake3::hash(&data).to_hex().to_string();
        if digest != r.digest {
            return Err(Error::altered(said!(
                Msg::AlBlake3,
                path.display(),
                digest,
                r.index,
                r.digest
            )));
        }
        let text = String::from_utf8(data)
            .map_err(|_| Error::state(said!(Msg::StNotUtf8, path.display())))?;
        let list = CanaryList::from_json(&text).map_err(|e| {
            Error::state(said!(Msg::WhatWhy, path.display()).sentence(crate::text::said_of(&e)))
        })?;

        // Written as the list's one canonical text, so the next copy made
        // with it records the same digest.
        if list.to_json() != text {
            return Err(Error::altered(said!(Msg::AlNotCanonical, path.display())));
        }
        Ok(list)
    }

    /// Every canary list logged copies were made with under a policy (one
    /// per extract issued), each checked against its recorded digest.
    pub fn canary_lists(&self, log: &Log, policy_digest: &str) -> Result<Vec<CanaryList>> {
        recorded_canary_lists(log)
            .iter()
            .filter(|((_, p), _)| p == policy_digest)
            .map(|((input, p), r)| self.load_recorded(input, p, r))
            .collect()
    }

    /// Where the canary lists of copies made under a policy are, each
    /// with the digest the log records for it, checked as
    /// [`State::canary_lists`] checks them: what a worker that reads them
    /// itself (a cluster's executor) is told.
    pub fn canary_list_files(
        &self,
        log: &Log,
        policy_digest: &str,
    ) -> Result<Vec<watermark_formats::split::FileRef>> {
        recorded_canary_lists(log)
            .iter()
            .filter(|((_, p), _)| p == policy_digest)
            .map(|((input, p), r)| {
                self.load_recorded(input, p, r)?;
                Ok(watermark_formats::split::FileRef {
                    path: self.canary_path(input, p),
                    blake3: r.digest.clone(),
                })
            })
            .collect()
    }

    /// Where the canary list of an extract and policy is kept.
    pub fn canary_list_file(&self, list: &CanaryList) -> watermark_formats::split::FileRef {
        watermark_formats::split::FileRef {
            path: self.canary_path(list.input_blake3(), list.policy_digest()),
            blake3: list.file_blake3(),
        }
    }

    /// Checks every file the log's entries rely on: each policy they name is
    /// stored as its canonical text, and each canary list they record has
    /// the digest they record. Directories an auditor's copy lacks
    /// (`policies/`, `canaries/`, which is secret) are not checked.
    pub fn check_files(&self, log: &Log) -> Result<FilesChecked> {
        let policies = self.check_policies(log)?;
        let recorded = recorded_canary_lists(log);
        let full_state = self.dir.join(KEY_FILE).exists();
        let canary_lists =
            if self.dir.join(CANARY_DIR).is_dir() || (full_state && !recorded.is_empty()) {
                // In a state, the lists the entries record must all be there.
                for ((input, policy), r) in &recorded {
                    self.load_recorded(input, policy, r)?;
                }
                Some(recorded.len())
            } else {
                None
            };
        Ok(FilesChecked {
            policies,
            canary_lists,
        })
    }

    /// Keeps a canary list beside the key, mode 0600. Its BLAKE3 goes into
    /// the entries of the copies made with it, which bind it from then on.
    pub fn store_canaries(&self, _lock: &StateLock, list: &CanaryList) -> Result<PathBuf> {
        let dir = self.dir.join(CANARY_DIR);
        if !dir.exists() {
            fs::create_dir(&dir)
                .map_err(|e| Error::io(said!(Msg::CtxCreating, dir.display()), e))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))
                    .map_err(|e| Error::io(said!(Msg::CtxProtecting, dir.display()), e))?;
            }
        }
        let path = self.canary_path(list.input_blake3(), list.policy_digest());
        // A temporary file is created 0600 and renamed into place whole,
        // replacing a list no logged copy recorded (a killed run's).
        let mut tmp = tempfile::Builder::new()
            .prefix(".canaries.")
            .suffix(".partial")
            .tempfile_in(&dir)
            .map_err(|e| Error::io(said!(Msg::CtxFileIn, dir.display()), e))?;
        use std::io::Write as _;
        tmp.write_all(list.to_json().as_bytes())
            .and_then(|_| tmp.as_file().sync_all())
            .map_err(|e| Error::io(said!(Msg::CtxWriting, path.display()), e))?;
        tmp.persist(&path)
            .map_err(|e| Error::io(said!(Msg::CtxWriting, path.display()), e.error))?;
        crate::files::sync_dir(&dir)?;
        Ok(path)
    }

    /// Reads and verifies the issuance log against the state's own public
    /// key (`log/verifier.key`), and, where this user can read the master
    /// key, that the log's key is the one made with it
    /// (`log/key.binding`).
    ///
    /// The first read verifies every entry's checkpoint; later reads through
    /// this state (or a clone) resume from what was verified, if the files
    /// still start with exactly those bytes, and check only what follows.
    pub fn log(&self) -> Result<Log> {
        let log = Log::open_with(&self.dir, None, &self.cache, false)?;
        self.check_log_key(&log)?;
        Ok(log)
    }

    /// Checks `log/key.binding` against the master key, when the state has
    /// one this user can read (an auditor's copy of the log has none).
    fn check_log_key(&self, log: &Log) -> Result<()> {
        if !self.dir.join(KEY_FILE).exists() {
            return Ok(());
        }
        let key = match self.master_key() {
            Ok(k) => k,
            Err(e)
                if matches!(e.kind(), watermark_core::ErrorKind::Io { source, .. }
                    if source.kind() == std::io::ErrorKind::PermissionDenied) =>
            {
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let path = self.dir.join(issuance_log::LOG_DIR).join(LOG_KEY_BINDING);
        let vkey = log.verifier().to_vkey();
        let damage = |msg: Said| Err(Error::log(watermark_core::LogDamage::new(&path, msg)));
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return damage(said!(Msg::LgBindingMissing, vkey, key.id()));
            }
            Err(e) => return Err(Error::io(said!(Msg::CtxReading, path.display()), e)),
        };
        if text.trim_end() != key.log_key_binding(&vkey) {
            return damage(said!(Msg::LgBindingBroken, vkey, key.id()));
        }
        Ok(())
    }

    /// Reads and verifies the issuance log against a public key obtained
    /// elsewhere, which `log/verifier.key` must equal.
    pub fn log_pinned(&self, verifier: &Verifier) -> Result<Log> {
        Log::open_with(&self.dir, Some(verifier), &self.cache, false)
    }

    /// The log's public key, as `log/verifier.key` holds it.
    pub fn log_verifier(&self) -> Result<Verifier> {
        issuance_log::read_verifier(
            &self
                .dir
                .join(issuance_log::LOG_DIR)
                .join(issuance_log::VERIFIER_KEY_FILE),
        )
    }

    /// The log's signing key, to sign what the log vouches for besides its
    /// checkpoints (evidence reports, with [`Signer::sign_detached`]).
    /// Refuses a key file that others can read or that is not the key of
    /// `log/verifier.key`. The key never leaves the signer: it has no
    /// `Debug` or `Display` that shows it.
    pub fn log_signer(&self) -> Result<Signer> {
        let dir = self.dir.join(issuance_log::LOG_DIR);
        let verifier = self.log_verifier()?;
        issuance_log::load_signer(&dir.join(issuance_log::SIGNING_KEY_FILE), &verifier)
    }

    /// Every issued copy in the log, in order, with its entry index.
    pub fn issuances(&self) -> Result<Vec<(u64, IssueEntry)>> {
        Ok(self.log()?.issues().map(|(i, e)| (i, e.clone())).collect())
    }

    /// Recipients by (key id, policy digest), with their slots, from the
    /// verified log, which is returned too.
    pub fn recipient_groups(&self) -> Result<(Groups, Log)> {
        let log = self.log()?;
        Ok((recipient_groups(&log), log))
    }

    /// Puts back the checkpoints of log entries that lost theirs, from a
    /// signed checkpoint of the log made since: the text of a receipt
    /// (`OUT/ID.receipt`), of the checkpoint in an evidence report, or of
    /// what the witnesses cosigned. Returns the log as it now stands and how
    /// many entries are signed again. Needs the lock.
    pub fn restore_checkpoints(&self, _lock: &StateLock, checkpoint: &str) -> Result<(Log, u64)> {
        issuance_log::restore(&self.dir, checkpoint, &self.cache)
    }

    /// Slots for the given recipient ids: the slot a recipient already holds,
    /// or the next unused one. Take the [`lock`](State::lock) first.
    ///
    /// Refuses an id named twice, and ids that differ only in ASCII case
    /// from another one given or from one the log holds: on a
    /// case-insensitive file system (macOS, Windows) their copies and
    /// receipts would be one file.
    pub fn assign_slots(&self, ids: &[String]) -> Result<Vec<Recipient>> {
        for (i, id) in ids.iter().enumerate() {
            if ids[..i].contains(id) {
                return Err(Error::policy(said!(Msg::RecipientTwice, format!("{id:?}"))));
            }
            if let Some(other) = ids[..i].iter().find(|o| o.eq_ignore_ascii_case(id)) {
                return Err(Error::policy(said!(
                    Msg::RecipientsDifferInCase,
                    format!("{other:?}"),
                    format!("{id:?}")
                )));
            }
        }
        let log = self.log()?;
        for id in ids {
            let clash = log
                .issues()
                .find(|(_, e)| e.recipient != *id && e.recipient.eq_ignore_ascii_case(id));
            if let Some((index, e)) = clash {
                return Err(Error::policy(said!(
                    Msg::RecipientDiffersFromHolder,
                    format!("{id:?}"),
                    format!("{:?}", e.recipient),
                    index
                )));
            }
        }
        let issued: Vec<&IssueEntry> = log.issues().map(|(_, e)| e).collect();
        let mut next = issued.iter().map(|r| r.slot + 1).max().unwrap_or(0);
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(rec) = issued.iter().find(|r| &r.recipient == id) {
                out.push(Recipient::new(id.clone(), rec.slot)?);
            } else {
                out.push(Recipient::new(id.clone(), next)?);
                next += 1;
            }
        }
        Ok(out)
    }

    /// Appends entries to the log, each with its signed checkpoint, after
    /// removing what a killed append may have left. Needs the lock.
    pub fn append(&self, _lock: &StateLock, entries: &[Entry]) -> Result<Appended> {
        let (log, first, removed) = issuance_log::append(&self.dir, entries, &self.cache)?;
        Ok(Appended {
            log,
            first,
            removed,
        })
    }

    /// What this state (and its clones) has verified of its log.
    pub(crate) fn cache(&self) -> &Cache {
        &self.cache
    }

    /// Removes what a killed append left after the log's last checkpoint,
    /// and returns what it was. Needs the lock.
    pub fn repair_log(&self, _lock: &StateLock) -> Result<Option<Uncommitted>> {
        Ok(issuance_log::repair(&self.dir, &self.cache)?.1)
    }
}

/// What [`State::check_files`] checked: how many policies and canary
/// lists, `None` for a directory the state does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FilesChecked {
    /// Policies the entries name, stored and unchanged.
    pub policies: Option<usize>,
    /// Canary lists the entries record, present and unchanged.
    pub canary_lists: Option<usize>,
}

/// A canary list as the log records it: the first entry that did, and the
/// file's BLAKE3.
struct RecordedList {
    index: u64,
    digest: String,
}

/// The canary list recorded for each (input, policy) pair, by the first
/// entry that records one.
fn recorded_canary_lists(log: &Log) -> BTreeMap<(String, String), RecordedList> {
    let mut out = BTreeMap::new();
    for (index, e) in log.issues() {
        if e.canary_list_blake3.is_empty() {
            continue;
        }
        out.entry((e.input_blake3.clone(), e.policy_digest.clone()))
            .or_insert_with(|| RecordedList {
                index,
                digest: e.canary_list_blake3.clone(),
            });
    }
    out
}

/// Recipients by (key id, policy digest).
pub type Groups = BTreeMap<(String, String), Vec<Recipient>>;

/// Recipients by (key id, policy digest), with their slots: of every copy
/// the log holds.
pub(crate) fn recipient_groups(log: &Log) -> Groups {
    let mut groups = Groups::new();
    for (_, rec) in log.issues() {
        let group = groups
            .entry((rec.key_id.clone(), rec.policy_digest.clone()))
            .or_default();
        if !group.iter().any(|r| r.id == rec.recipient) {
            group.push(Recipient {
                id: rec.recipient.clone(),
                slot: rec.slot,
            });
        }
    }
    groups
}

/// A new state being made by `init` in its temporary directory, whose
/// `lock` file it holds locked. Dropped, it removes the directory, then
/// releases the lock.
struct Building<'a> {
    tmp: tempfile::TempDir,
    lock: File,
    dir: &'a Path,
}

impl<'a> Building<'a> {
    /// Creates and locks `TMP/lock`, first of all, so that another `init`
    /// leaves the directory alone from then on.
    fn lock(tmp: tempfile::TempDir, dir: &'a Path) -> Result<Building<'a>> {
        let path = tmp.path().join(LOCK_FILE);
        let lock = match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(f) => f,
            // Made (to remove the directory) by another run, which took
            // this one for a killed run's.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists || !tmp.path().exists() => {
                return Err(taken(dir, tmp.path()))
            }
            Err(e) => return Err(Error::io(said!(Msg::CtxCreating, path.display()), e)),
        };
        lock.lock()
            .map_err(|e| Error::io(said!(Msg::CtxLocking, path.display()), e))?;
        // Another run may have taken the lock between its creation and
        // ours and removed the directory.
        if !path.exists() {
            return Err(taken(dir, tmp.path()));
        }
        Ok(Building { tmp, lock, dir })
    }

    /// What to report of `e`, which stopped the run: if the state is there
    /// now, another run made it; nothing of this one is left.
    fn failed(self, e: Error) -> Error {
        let dir = self.dir;
        let tmp = self.tmp.path().to_path_buf();
        let gone = !tmp.exists();
        drop(self);
        if gone {
            taken(dir, &tmp)
        } else if dir.join(KEY_FILE).exists() {
            Error::state(
                said!(Msg::StMadeMeanwhileBecause, dir.display())
                    .sentence(crate::text::said_of(&e)),
            )
        } else {
            e
        }
    }
}

/// The error of an `init` run whose temporary directory `tmp` another run
/// removed before this one had locked it.
fn taken(dir: &Path, tmp: &Path) -> Error {
    Error::state(said!(
        Msg::StTempTaken,
        dir.display(),
        tmp.display(),
        dir.display()
    ))
}

/// Removes the temporary directories `PARENT/PREFIX*` of `init` runs that
/// were killed before renaming them into place: those without a `lock`
/// file (killed before making it) or whose lock is free. One another run
/// holds is left alone. Best effort: what cannot be removed now is tried
/// again by the next `init`.
fn remove_stale_inits(parent: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let ours = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(prefix));
        if !ours || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let path = entry.path();
        let lock_path = path.join(LOCK_FILE);
        // Made here if missing: a run that has not made its own yet then
        // fails to, and stops, before it puts anything in the directory.
        let lock = match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&lock_path)
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                match File::open(&lock_path) {
                    Ok(f) => f,
                    Err(_) => continue,
                }
            }
            Err(_) => continue,
        };
        // Removed while the lock is held, so a run that made the file and
        // is about to lock it finds it gone, and stops.
        if lock.try_lock().is_ok() {
            let _ = fs::remove_dir_all(&path);
        }
    }
}

/// The current UTC time as RFC 3339 (`2026-11-21T13:45:07Z`).
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let rem = secs % 86_400;
    let days = i32::try_from(secs / 86_400).unwrap_or(i32::MAX);
    let (y, m, d) = watermark_core::ids::civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use watermark_log::{CodeRecord, Entry, IssueEntry};

    fn issue(recipient: &str, slot: u32) -> Entry {
        Entry::Issue(IssueEntry {
            scheme: watermark_core::SCHEME_VERSION,
            time: now_rfc3339(),
            recipient: recipient.into(),
            slot,
            input_blake3: "1".repeat(64),
            input_rows: 1,
            output_blake3: "2".repeat(64),
            output_bytes: 1,
            output_rows: 1,
            canaries: 0,
            canary_list_blake3: String::new(),
            slots_marked: 1,
            key_id: "k".into(),
            policy_digest: "p".into(),
            code: CodeRecord::from(&watermark_core::CodeParams::default()),
            tool: "t".into(),
        })
    }

    #[test]
    fn slots_are_kept_and_never_reused() {
        let dir = tempfile::tempdir().unwrap();
        let state = State::init(&dir.path().join("s")).unwrap();
        assert!(State::init(state.dir()).is_err(), "must not replace a key");
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let first = state.assign_slots(&ids(&["a", "b"])).unwrap();
        assert_eq!(first.iter().map(|r| r.slot).collect::<Vec<_>>(), [0, 1]);
        let lock = state.lock().unwrap();
        let appended = state
            .append(&lock, &[issue("a", 0), issue("b", 1)])
            .unwrap();
        assert_eq!(appended.first, 0);
        assert_eq!(appended.log.size(), 2);
        let again = state.assign_slots(&ids(&["c", "b"])).unwrap();
        assert_eq!(again.iter().map(|r| r.slot).collect::<Vec<_>>(), [2, 1]);
        assert!(state.assign_slots(&ids(&["d", "d"])).is_err());
        assert!(state.assign_slots(&ids(&["b", "b"])).is_err());
        assert_eq!(state.issuances().unwrap().len(), 2);
        let (groups, log) = state.recipient_groups().unwrap();
        assert!(log.orphaned().is_none());
        assert_eq!(groups[&("k".to_string(), "p".to_string())].len(), 2);
    }

    /// On a case-insensitive file system (macOS, Windows) `OUT/A.csv` and
    /// `OUT/a.csv` are one file: one copy would replace the other, and a
    /// leak of it would accuse the wrong recipient.
    #[test]
    fn regression_ids_that_differ_only_in_case_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let state = State::init(&dir.path().join("s")).unwrap();
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let err = state
            .assign_slots(&ids(&["PAN", "A", "b", "a"]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"A\"") && err.contains("\"a\"") && err.contains("case"),
            "{err}"
        );
        let lock = state.lock().unwrap();
        state.append(&lock, &[issue("PAN.x", 0)]).unwrap();
        let err = state
            .assign_slots(&ids(&["B", "pan.X"]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"pan.X\"") && err.contains("\"PAN.x\"") && err.contains("case"),
            "{err}"
        );
        // The same id, and ids that differ in more than case, are fine.
        let slots = state
            .assign_slots(&ids(&["PAN.x", "PAN.y", "pan-x"]))
            .unwrap();
        assert_eq!(slots.iter().map(|r| r.slot).collect::<Vec<_>>(), [0, 1, 2]);
    }

    /// `init` removes the temporary directories of killed runs beside the
    /// new state, but never one another run holds locked while filling it.
    #[test]
    fn init_removes_killed_runs_temporary_directories_but_not_a_live_one() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = |name: &str| dir.path().join(format!(".s.init-{name}"));
        for name in ["live", "killed", "early"] {
            fs::create_dir(tmp(name)).unwrap();
        }
        for name in ["live", "killed"] {
            fs::write(tmp(name).join(LOCK_FILE), "").unwrap();
            fs::create_dir(tmp(name).join(issuance_log::LOG_DIR)).unwrap();
        }
        let live = File::open(tmp("live").join(LOCK_FILE)).unwrap();
        live.lock().unwrap();
        let state = State::init(&dir.path().join("s")).unwrap();
        assert!(tmp("live").join(issuance_log::LOG_DIR).is_dir());
        assert!(!tmp("killed").exists());
        assert!(!tmp("early").exists());
        // The new state keeps its lock file, free once init returns.
        drop(state.lock().unwrap());
        // Once its run is gone, the next init removes it.
        drop(live);
        fs::remove_dir_all(state.dir()).unwrap();
        State::init(state.dir()).unwrap();
        assert!(!tmp("live").exists());
    }

    #[test]
    fn an_old_plain_record_is_named() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(KEY_FILE), "x").unwrap();
        fs::write(dir.path().join(OLD_RECORD_FILE), "").unwrap();
        let err = State::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("issuance.jsonl"), "{err}");
    }

    #[test]
    fn time_is_rfc3339() {
        let t = now_rfc3339();
        assert_eq!(t.len(), 20);
        assert!(t.starts_with("20") && t.ends_with('Z'));
    }
}
