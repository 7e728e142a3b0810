//! Moving issued copies into place so that a process killed at any moment
//! leaves either a complete issuance or nothing that looks issued.
//!
//! Under the state's lock:
//!
//! 1. [`State::recover`] completes or undoes what a killed run left.
//! 2. [`State::begin_issue`] writes the journal `DIR/issue.journal` (the
//!    output directory and recipients), then creates one temporary file per
//!    copy, `OUT/.ID.csv.XXXXXX.partial` (`.ID.parquet.`, `.ID.arrow.`,
//!    `.ID.arrows.` for copies in those formats, [`State::begin_issue_as`]).
//! 3. The caller writes the copies into them.
//! 4. [`PendingIssue::commit`] syncs the copies; rewrites the journal to name,
//!    for each copy, its temporary and final files, the index its entry will
//!    have and its BLAKE3; appends the entries and their signed checkpoints
//!    to the log; renames each copy to `OUT/ID.csv` (or `OUT/ID.parquet`, ...)
//!    and writes its receipt
//!    `OUT/ID.receipt`; and removes the journal.
//!
//! A copy gets its final name only once its entry is signed. Recovery reads
//! the journal and first checks every path it names: the output directory
//! absolute, every recipient id valid, and each copy's files exactly
//! `OUT/ID.EXT`, `OUT/ID.receipt` and `OUT/.ID.EXT.*.partial`; a journal
//! naming anything else is refused whole, before any file is touched. Then
//! a copy whose entry the log holds (same index, recipient and
//! digest) is moved into place, if its temporary file is still there with
//! that digest, and given its receipt; a copy whose entry the log does not
//! hold has its temporary file removed; so do stray temporary files (of
//! copies and receipts) of the journal's recipients. Every step can be
//! repeated, so a run killed while recovering is recovered by the next.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tempfile::NamedTempFile;

use crate::issuance_log::{self, Entry, IssueEntry, Log, Receipt, Uncommitted};
use crate::state::{State, StateLock};
use watermark_core::Recipient;
use watermark_core::{Error, Result};
use watermark_text::{said, Msg, Said};

const JOURNAL_FILE: &str = "issue.journal";

/// The file extensions a copy may have: CSV, Parquet, Arrow IPC file,
/// Arrow IPC stream. Recovery removes the temporary files of all of them.
pub const COPY_EXTENSIONS: [&str; 5] = ["csv", "parquet", "arrow", "arrows", "manifest"];

/// The journal of the issuance in progress.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Journal {
    out_dir: PathBuf,
    recipients: Vec<String>,
    replace: bool,
    /// Empty until the copies are about to be logged.
    copies: Vec<JournalCopy>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct JournalCopy {
    index: u64,
    recipient: String,
    temp: PathBuf,
    copy: PathBuf,
    receipt: PathBuf,
    blake3: String,
}

/// Copies being written, from [`State::begin_issue`] to
/// [`PendingIssue::commit`]. Dropped without a commit, it removes its journal
/// (the temporary files remove themselves); after the commit has written the
/// journal that names the copies, only [`State::recover`] decides what
/// becomes of them, so a copy whose entry is signed is never lost to a drop.
#[derive(Debug)]
pub struct PendingIssue<'a> {
    state: &'a State,
    out_dir: PathBuf,
    recipients: Vec<Recipient>,
    replace: bool,
    /// The copies' file extension, one of [`COPY_EXTENSIONS`].
    extension: &'static str,
    /// Once the journal names the copies, only recovery may remove it.
    journal_owns_copies: bool,
}

/// A copy in place, with its log entry and receipt.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IssuedCopy {
    /// The recipient's id.
    pub recipient: String,
    /// The recipient's code slot.
    pub slot: u32,
    /// The index of its log entry.
    pub index: u64,
    /// Whether that entry was already in the log: the copy is byte for byte
    /// one logged before for this recipient, and was not logged again.
    pub already_logged: bool,
    /// Where the copy is.
    pub path: PathBuf,
    /// Where its receipt is.
    pub receipt_path: PathBuf,
    /// The receipt: entry, inclusion proof and checkpoint.
    pub receipt: Receipt,
}

/// What [`State::recover`] found and did.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Recovery {
    /// What a killed append had left after the log's last checkpoint, now
    /// removed.
    pub removed_from_log: Option<Uncommitted>,
    /// Logged copies a killed run had not yet moved into place, now in place.
    pub completed: Vec<PathBuf>,
    /// Recipients whose copies were never logged; their files were removed.
    pub undone: Vec<String>,
    /// Logged copies whose files are gone: the log says they were made, but
    /// they never reached their final name.
    pub lost: Vec<LostCopy>,
    /// Stray temporary files removed.
    pub partials_removed: u64,
}

/// A logged copy whose file is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LostCopy {
    /// Its log entry.
    pub index: u64,
    /// Its recipient.
    pub recipient: String,
    /// The name it should have had.
    pub path: PathBuf,
}

impl Recovery {
    /// Whether there was nothing to recover.
    pub fn is_empty(&self) -> bool {
        self.removed_from_log.is_none()
            && self.completed.is_empty()
            && self.undone.is_empty()
            && self.lost.is_empty()
            && self.partials_removed == 0
    }
}

/// Where recipient `id`'s copy goes in `out_dir`.
pub fn copy_path(out_dir: &Path, id: &str) -> PathBuf {
    copy_path_as(out_dir, id, "csv")
}

/// Where recipient `id`'s copy with file extension `extension` (one of
/// [`COPY_EXTENSIONS`], without the dot) goes in `out_dir`: `OUT/ID.parquet`.
pub fn copy_path_as(out_dir: &Path, id: &str, extension: &str) -> PathBuf {
    out_dir.join(format!("{id}.{extension}"))
}

/// Where the receipt of recipient `id`'s copy goes in `out_dir`.
pub fn receipt_path(out_dir: &Path, id: &str) -> PathBuf {
    out_dir.join(format!("{id}.receipt"))
}

impl State {
    fn journal_path(&self) -> PathBuf {
        self.dir().join(JOURNAL_FILE)
    }

    /// Whether a killed issuance left a journal for [`State::recover`].
    pub fn has_interrupted_issue(&self) -> bool {
        self.journal_path().exists()
    }

    /// Completes or undoes what a killed run left: the log's uncommitted
    /// tail, and the copies the journal names. Needs the lock.
    pub fn recover(&self, _lock: &StateLock) -> Result<Recovery> {
        recover(self)
    }

    /// Starts issuing copies to `recipients` in `out_dir` (created if
    /// needed): writes the journal and returns one temporary file per
    /// recipient, in order. `replace` lets the copies replace files of the
    /// same name. Run [`State::recover`] first.
    pub fn begin_issue<'a>(
        &'a self,
        lock: &'a StateLock,
        out_dir: &Path,
        recipients: &[Recipient],
        replace: bool,
    ) -> Result<(PendingIssue<'a>, Vec<NamedTempFile>)> {
        self.begin_issue_as(lock, out_dir, recipients, replace, "csv")
    }

    /// [`State::begin_issue`] for copies with another file extension, one of
    /// [`COPY_EXTENSIONS`]: the copies are committed as `OUT/ID.EXTENSION`.
    pub fn begin_issue_as<'a>(
        &'a self,
        _lock: &'a StateLock,
        out_dir: &Path,
        recipients: &[Recipient],
        replace: bool,
        extension: &str,
    ) -> Result<(PendingIssue<'a>, Vec<NamedTempFile>)> {
        let Some(extension) = COPY_EXTENSIONS.iter().copied().find(|e| *e == extension) else {
            return Err(Error::state(said!(
                Msg::IsExtension,
                format!("{extension:?}"),
                COPY_EXTENSIONS.join(", ")
            )));
        };
        if self.has_interrupted_issue() {
            return Err(Error::state(said!(
                Msg::IsInterrupted,
                self.journal_path().display()
            )));
        }
        fs::create_dir_all(out_dir)
            .map_err(|e| Error::io(said!(Msg::CtxCreating, out_dir.display()), e))?;
        let out_dir = out_dir
            .canonicalize()
            .map_err(|e| Error::io(said!(Msg::CtxResolving, out_dir.display()), e))?;
        let ids: Vec<String> = recipients.iter().map(|r| r.id.clone()).collect();
        remove_partials(&out_dir, &ids)?;
        write_journal(
            self,
            &Journal {
                out_dir: out_dir.clone(),
                recipients: ids,
                replace,
                copies: Vec::new(),
            },
        )?;
        let pending = PendingIssue {
            state: self,
            out_dir: out_dir.clone(),
            recipients: recipients.to_vec(),
            replace,
            extension,
            journal_owns_copies: false,
        };
        let mut temps = Vec::with_capacity(recipients.len());
        for r in recipients {
            let tmp = tempfile::Builder::new()
                .prefix(&format!(".{}.{extension}.", r.id))
                .suffix(".partial")
                .tempfile_in(&out_dir)
                .map_err(|e| Error::io(said!(Msg::CtxFileIn, out_dir.display()), e))?;
            temps.push(tmp);
        }
        Ok((pending, temps))
    }
}

impl PendingIssue<'_> {
    /// The directory the copies go to (absolute).
    pub fn out_dir(&self) -> &Path {
        &self.out_dir
    }

    /// Logs one entry per copy, then moves each copy to its final name with
    /// its receipt. `copies` pairs each temporary file from
    /// [`State::begin_issue`], fully written, with its entry, in the same
    /// order.
    pub fn commit(mut self, copies: Vec<(NamedTempFile, IssueEntry)>) -> Result<Vec<IssuedCopy>> {
        if copies.len() != self.recipients.len() {
            return Err(Error::state(said!(
                Msg::IsCopiesGiven,
                copies.len(),
                self.recipients.len()
            )));
        }
        for ((tmp, entry), r) in copies.iter().zip(&self.recipients) {
            if entry.recipient != r.id || entry.slot != r.slot {
                return Err(Error::state(said!(
                    Msg::IsEntryMismatch,
                    entry.recipient,
                    entry.slot,
                    r.id,
                    r.slot
                )));
            }
            tmp.as_file()
                .sync_all()
                .map_err(|e| Error::io(said!(Msg::CtxWriting, tmp.path().display()), e))?;
        }
        let log = self.state.log()?;
        let first = log.size();
        let mut journal = Journal {
            out_dir: self.out_dir.clone(),
            recipients: self.recipients.iter().map(|r| r.id.clone()).collect(),
            replace: self.replace,
            copies: Vec::new(),
        };
        let mut entries = Vec::with_capacity(copies.len());
        for (tmp, entry) in &copies {
            // A copy byte for byte the same as one the log already holds
            // for this recipient (issued again with --force, say after a
            // recovery completed it) is that copy: it keeps that entry and
            // is not logged twice.
            let logged = log.issues().find(|(_, e)| {
                e.recipient == entry.recipient && e.output_blake3 == entry.output_blake3
            });
            let index = match logged {
                Some((index, _)) => index,
                None => {
                    entries.push(Entry::Issue(entry.clone()));
                    first + entries.len() as u64 - 1
                }
            };
            journal.copies.push(JournalCopy {
                index,
                recipient: entry.recipient.clone(),
                temp: tmp.path().to_path_buf(),
                copy: copy_path_as(&self.out_dir, &entry.recipient, self.extension),
                receipt: receipt_path(&self.out_dir, &entry.recipient),
                blake3: entry.output_blake3.clone(),
            });
        }
        // Recovery refuses a journal naming any other file, so one is never
        // written: the copies must be the temporary files begin_issue made.
        check_journal(&journal)
            .map_err(|problem| Error::state(Said::new(Msg::IsCannotCommit).sentence(problem)))?;
        for (tmp, _) in copies {
            // From here the journal, not the drop of the temporary file,
            // decides what becomes of it.
            tmp.into_temp_path()
                .keep()
                .map_err(|e| Error::io(Said::new(Msg::CtxKeepingTemp), e.error))?;
        }
        self.journal_owns_copies = true;
        write_journal(self.state, &journal)?;
        let result = self.place(&journal, &entries, first);
        if result.is_err() {
            // Undo what was not logged, complete what was; a failure here
            // leaves the journal for the next run.
            let _ = recover(self.state);
        }
        result
    }

    fn place(&self, journal: &Journal, entries: &[Entry], first: u64) -> Result<Vec<IssuedCopy>> {
        let log = if entries.is_empty() {
            self.state.log()?
        } else {
            let (log, at, _) = issuance_log::append(self.state.dir(), entries, self.state.cache())?;
            if at != first {
                return Err(Error::state(said!(Msg::IsLogGrew, first, at)));
            }
            log
        };
        let mut out = Vec::with_capacity(journal.copies.len());
        for (c, r) in journal.copies.iter().zip(&self.recipients) {
            move_into_place(&c.temp, &c.copy, journal.replace)?;
            let receipt = log.receipt(c.index)?;
            write_receipt(&c.receipt, &receipt)?;
            out.push(IssuedCopy {
                recipient: r.id.clone(),
                slot: r.slot,
                index: c.index,
                already_logged: c.index < first,
                path: c.copy.clone(),
                receipt_path: c.receipt.clone(),
                receipt,
            });
        }
        crate::files::sync_dir(&self.out_dir)?;
        remove_journal(self.state)?;
        Ok(out)
    }
}

impl Drop for PendingIssue<'_> {
    fn drop(&mut self) {
        if !self.journal_owns_copies {
            // Nothing was logged and the temporary files delete themselves.
            let _ = fs::remove_file(self.state.journal_path());
        }
    }
}

fn write_journal(state: &State, journal: &Journal) -> Result<()> {
    let path = state.journal_path();
    let text = serde_json::to_string_pretty(journal)
        .map_err(|e| Error::state(said!(Msg::IsWritingFailed, path.display(), e)))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{JOURNAL_FILE}."))
        .suffix(".partial")
        .tempfile_in(state.dir())
        .map_err(|e| Error::io(said!(Msg::CtxFileIn, state.dir().display()), e))?;
    tmp.write_all(text.as_bytes())
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| Error::io(said!(Msg::CtxWriting, path.display()), e))?;
    tmp.persist(&path)
        .map_err(|e| Error::io(said!(Msg::CtxWriting, path.display()), e.error))?;
    crate::files::sync_dir(state.dir())
}

fn remove_journal(state: &State) -> Result<()> {
    let path = state.journal_path();
    match fs::remove_file(&path) {
        Ok(()) => crate::files::sync_dir(state.dir()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(said!(Msg::CtxRemoving, path.display()), e)),
    }
}

/// Renames `temp` to `dest`; without `replace`, fails if `dest` exists.
fn move_into_place(temp: &Path, dest: &Path, replace: bool) -> Result<()> {
    let result = if replace {
        fs::rename(temp, dest)
    } else {
        // A hard link fails if the name is taken, so nothing is replaced.
        fs::hard_link(temp, dest).and_then(|_| fs::remove_file(temp))
    };
    result.map_err(|e| Error::io(said!(Msg::IsMovingCopy, dest.display()), e))
}

fn write_receipt(path: &Path, receipt: &Receipt) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("receipt");
    // Named like the copies' temporary files, so recovery removes it if a
    // kill leaves it.
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".partial")
        .tempfile_in(dir)
        .map_err(|e| Error::io(said!(Msg::CtxFileIn, dir.display()), e))?;
    tmp.write_all(receipt.to_json().as_bytes())
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| Error::io(said!(Msg::CtxWriting, path.display()), e))?;
    tmp.persist(path)
        .map_err(|e| Error::io(said!(Msg::CtxWriting, path.display()), e.error))?;
    Ok(())
}

/// BLAKE3 (hex) of a file, or `None` if it does not exist.
fn file_blake3(path: &Path) -> Result<Option<String>> {
    let file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(said!(Msg::CtxReading, path.display()), e)),
    };
    let mut hasher = blake3::Hasher::new();
    hasher
        .update_reader(file)
        .map_err(|e| Error::io(said!(Msg::CtxReading, path.display()), e))?;
    Ok(Some(hasher.finalize().to_hex().to_string()))
}

/// Removes the temporary files of copies (in any of the formats) and
/// receipts, `OUT/.ID.csv.*.partial`, `OUT/.ID.parquet.*.partial`, ... and
/// `OUT/.ID.receipt.*.partial`, for the given ids; returns how many.
fn remove_partials(out_dir: &Path, ids: &[String]) -> Result<u64> {
    let prefixes: Vec<String> = ids
        .iter()
        .flat_map(|id| {
            COPY_EXTENSIONS
                .iter()
                .chain(&["receipt"])
                .map(move |ext| format!(".{id}.{ext}."))
        })
        .collect();
    remove_temporaries(out_dir, &prefixes)
}

/// Removes `DIR/PREFIX*.partial` for each prefix; returns how many.
fn remove_temporaries(out_dir: &Path, prefixes: &[String]) -> Result<u64> {
    let entries = match fs::read_dir(out_dir) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(Error::io(said!(Msg::CtxListing, out_dir.display()), e)),
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(said!(Msg::CtxListing, out_dir.display()), e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let ours = name.ends_with(".partial") && prefixes.iter().any(|p| name.starts_with(p));
        if ours {
            let path = entry.path();
            fs::remove_file(&path)
                .map_err(|e| Error::io(said!(Msg::CtxRemoving, path.display()), e))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Checks that every path `journal` names is one [`State::begin_issue_as`]
/// and [`PendingIssue::commit`] write: the output directory is absolute,
/// without `.` or `..`; every recipient id is valid; and each copy's final
/// name is `OUT/ID.EXT` with EXT one of [`COPY_EXTENSIONS`], its receipt
/// `OUT/ID.receipt` and its temporary file `OUT/.ID.EXT.*.partial`. Returns
/// what is wrong.
fn check_journal(journal: &Journal) -> std::result::Result<(), Said> {
    let out = &journal.out_dir;
    let plain = out.is_absolute()
        && out.components().all(|c| {
            matches!(
                c,
                std::path::Component::Prefix(_)
                    | std::path::Component::RootDir
                    | std::path::Component::Normal(_)
            )
        });
    if !plain {
        return Err(said!(Msg::IsJournalOutDir, format!("{out:?}")));
    }
    let not_an_id = |id: &str| watermark_core::validate_recipient_id(id).is_err();
    if let Some(id) = journal.recipients.iter().find(|id| not_an_id(id)) {
        return Err(said!(Msg::IsJournalRecipient, format!("{id:?}")));
    }
    for (k, c) in journal.copies.iter().enumerate() {
        let id = &c.recipient;
        let what = || said!(Msg::IsCopyOf, k + 1, journal.copies.len());
        if not_an_id(id) {
            return Err(Said::new(Msg::IsCopyNotId)
                .sentence(what())
                .arg(format!("{id:?}")));
        }
        let Some(ext) = COPY_EXTENSIONS
            .iter()
            .find(|ext| c.copy == copy_path_as(out, id, ext))
        else {
            return Err(Said::new(Msg::IsCopyMovedTo)
                .sentence(what())
                .arg(id)
                .arg(format!("{:?}", c.copy))
                .arg(format!("{:?}", copy_path(out, id)))
                .arg(COPY_EXTENSIONS[1..].join(", .")));
        };
        let receipt = receipt_path(out, id);
        if c.receipt != receipt {
            return Err(Said::new(Msg::IsCopyReceipt)
                .sentence(what())
                .arg(id)
                .arg(format!("{:?}", c.receipt))
                .arg(format!("{receipt:?}")));
        }
        let prefix = format!(".{id}.{ext}.");
        let temp_ok = c.temp.parent() == Some(out.as_path())
            && c.temp
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix(&prefix))
                .and_then(|n| n.strip_suffix(".partial"))
                .is_some_and(|random| !random.is_empty());
        if !temp_ok {
            return Err(Said::new(Msg::IsCopyTemp)
                .sentence(what())
                .arg(id)
                .arg(format!("{:?}", c.temp))
                .arg(format!("{:?}", out.join(format!("{prefix}*.partial")))));
        }
    }
    Ok(())
}

/// Whether `log` holds the entry a journal copy expects.
fn is_logged(log: &Log, c: &JournalCopy) -> bool {
    matches!(
        log.entry(c.index),
        Some(Entry::Issue(e)) if e.recipient == c.recipient && e.output_blake3 == c.blake3
    )
}

fn recover(state: &State) -> Result<Recovery> {
    let (log, removed) = issuance_log::repair(state.dir(), state.cache())?;
    // A journal cut short while being written never replaced the real one.
    remove_temporaries(state.dir(), &[format!(".{JOURNAL_FILE}.")])?;
    let mut rec = Recovery {
        removed_from_log: removed,
        ..Recovery::default()
    };
    let path = state.journal_path();
    let text = match fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(rec),
        Err(e) => return Err(Error::io(said!(Msg::CtxReading, path.display()), e)),
    };
    let journal: Journal = serde_json::from_str(&text)
        .map_err(|e| Error::state(said!(Msg::IsJournalDamaged, path.display(), e)))?;
    // Every path is checked before any is acted on: a journal is a file in
    // the state directory, and recovery removes, renames and writes the
    // files it names.
    check_journal(&journal).map_err(|problem| {
        Error::state(said!(Msg::IsRefuseRecover, path.display()).sentence(problem))
    })?;
    for c in &journal.copies {
        if !is_logged(&log, c) {
            match fs::remove_file(&c.temp) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(said!(Msg::CtxRemoving, c.temp.display()), e)),
            }
            rec.undone.push(c.recipient.clone());
            continue;
        }
        if file_blake3(&c.copy)?.as_deref() == Some(c.blake3.as_str()) {
            // Already in place; a leftover temporary file is a duplicate.
            let _ = fs::remove_file(&c.temp);
        } else if file_blake3(&c.temp)?.as_deref() == Some(c.blake3.as_str()) {
            move_into_place(&c.temp, &c.copy, journal.replace)?;
            rec.completed.push(c.copy.clone());
        } else {
            rec.lost.push(LostCopy {
                index: c.index,
                recipient: c.recipient.clone(),
                path: c.copy.clone(),
            });
            continue;
        }
        // Written even if one exists: it may be an older copy's.
        write_receipt(&c.receipt, &log.receipt(c.index)?)?;
    }
    rec.partials_removed = remove_partials(&journal.out_dir, &journal.recipients)?;
    if journal.out_dir.exists() {
        crate::files::sync_dir(&journal.out_dir)?;
    }
    remove_journal(state)?;
    Ok(rec)
}

#[cfg(test)]
mod tests;
