//! The signed, append-only issuance log, kept the way Certificate
//! Transparency and Go's checksum database keep theirs.
//!
//! ```text
//! DIR/log/entries        entry i is line i+1: canonical JSON (see Entry), then '\n'
//! DIR/log/checkpoints    checkpoint k signs the tree of the first k entries;
//!                        every checkpoint ever signed, k = 0, 1, 2, …, concatenated
//! DIR/log/verifier.key   the log's public key, `<origin>+<key id>+<base64>` and '\n'
//! DIR/log/signing.key    the log's Ed25519 signing key (mode 0600), `PRIVATE+KEY+…` and '\n'
//! ```
//!
//! Leaves are the entry bytes, hashed as in RFC 6962; each checkpoint is a
//! C2SP tlog-checkpoint whose origin is the key name, signed as a C2SP signed
//! note. One checkpoint is signed per entry, so every entry has a signed
//! tree that ends with it: a changed entry is found exactly (the first
//! checkpoint whose root no longer matches names it), and every stored byte
//! is covered by a signature: entries by the roots, checkpoints by their
//! own signatures, the keys by their key ids.
//!
//! Appends write a signed append intent (`log/append.intent`, naming the
//! tree size and the entries about to be written), then the entries, then
//! their checkpoints, each file synced before the next step, and remove the
//! intent last. The log holds what the last complete, valid checkpoint
//! signs. Anything after that (entries whose checkpoints were never
//! written, or a checkpoint cut short) is accepted only as what a killed
//! append leaves: the intent must name those bytes, and a cut-short
//! checkpoint must be an exact prefix of the one that would sign the next
//! entry. [`Log::open`] reports it as [`Uncommitted`] and the next append
//! removes it. A tail no intent names means a signed entry lost its
//! checkpoint (deleted, cut short, or restored from an inconsistent backup):
//! that is damage, reported with the entry it leaves unsigned and never
//! cleaned up, so no entry and no slot is ever silently given up.

pub(crate) mod cache;
pub(crate) mod intent;
mod store;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(crate) use intent::INTENT_FILE;
pub(crate) use store::{append, create, default_origin, load_signer, new_log, repair, restore};
pub(crate) use watermark_log::{Entry, IssueEntry, Receipt};

pub(crate) use self::cache::Cache;
use self::cache::Verified;
use watermark_core::{Error, LogDamage, Result};
use watermark_log::tlog::{self, Checkpoint, Hash, Tree, Verifier};
use watermark_text::{said, Msg, Said};

/// The log's directory inside a state directory.
pub(crate) const LOG_DIR: &str = "log";
pub(crate) const ENTRIES_FILE: &str = "entries";
pub(crate) const CHECKPOINTS_FILE: &str = "checkpoints";
pub(crate) const SIGNING_KEY_FILE: &str = "signing.key";
pub(crate) const VERIFIER_KEY_FILE: &str = "verifier.key";

/// Signature lines start with an em dash and a space.
const SIG_PREFIX: &[u8] = "\u{2014} ".as_bytes();
/// Base64 characters of an Ed25519 note signature (4-byte key id + 64 bytes).
const SIG_B64_LEN: usize = 92;

/// A killed append's remnant after the last signed checkpoint: never part of
/// the log, removed by the next append.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Uncommitted {
    /// Bytes of `log/entries` after the last signed entry.
    pub entry_bytes: u64,
    /// Of those, complete lines (entries whose checkpoints were not written).
    pub entry_lines: u64,
    /// Bytes of `log/checkpoints` after the last complete checkpoint.
    pub checkpoint_bytes: u64,
}

impl Uncommitted {
    /// The notice that says what it is (`msg`: one of
    /// [`Msg::NoteRemovedAppend`], [`Msg::NoteRemovedAppendFirst`] and
    /// [`Msg::NoteUncommitted`]), in `lang`.
    pub fn notice(&self, lang: crate::Lang, msg: Msg) -> String {
        use crate::messages::{count, tr};
        tr(
            lang,
            msg,
            &[
                &count(lang, Msg::Bytes, self.entry_bytes),
                &count(lang, Msg::UnsignedEntries, self.entry_lines),
                &count(lang, Msg::Bytes, self.checkpoint_bytes),
            ],
        )
    }
}

/// Entries after the last checkpoint that no append was writing: a signed
/// entry lost its checkpoint (deleted, cut short, or a state restored from
/// an inconsistent backup), or lines were added by someone without the
/// log's key. Never removed, and never used: nothing is issued, attributed
/// or appended until the checkpoints are put back
/// ([`State::restore_checkpoints`](crate::State::restore_checkpoints)).
/// Only [`Log::open_damaged`] opens such a log.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Orphaned {
    /// What is wrong, and where.
    pub damage: LogDamage,
    /// The complete unsigned lines, in order (what each claims to be is
    /// unproven).
    pub lines: Vec<String>,
}

/// What [`Log::open`] could say about the signing key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SigningKeyCheck {
    /// It is private, well-formed, and the key of `verifier.key`.
    Matches,
    /// There is no `signing.key` (an auditor's copy of the log).
    Absent,
    /// It exists but this user may not read it.
    Unreadable,
}

/// The issuance log, read and verified.
///
/// [`Log::open`] recomputes the Merkle tree from the entries and checks every
/// checkpoint's signature and root, so a `Log` in hand is a verified one.
#[derive(Debug, Clone)]
pub struct Log {
    dir: PathBuf,
    verifier: Verifier,
    /// Canonical text of each entry (the leaf data).
    /// Shared with clones and with the cache of verified logs: a clone
    /// copies pointers, not entries.
    lines: Vec<Arc<str>>,
    entries: Vec<Arc<Entry>>,
    tree: Tree,
    /// `notes[k]` is the signed checkpoint of the first `k` entries.
    notes: Vec<Arc<str>>,
    latest: Checkpoint,
    entries_len: u64,
    checkpoints_len: u64,
    /// The committed bytes of both files, hashed (to remember this log by).
    hashed: Hashed,
    uncommitted: Option<Uncommitted>,
    orphaned: Option<Orphaned>,
    signing_key: SigningKeyCheck,
}

/// BLAKE3 of the committed part of each file, and the lines of the
/// checkpoints', kept up to date as a log is opened and appended to.
#[derive(Clone, Default)]
struct Hashed {
    entries: blake3::Hasher,
    checkpoints: blake3::Hasher,
    checkpoint_lines: u64,
}

impl std::fmt::Debug for Hashed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hashed")
            .field("entries", &self.entries.finalize())
            .field("checkpoints", &self.checkpoints.finalize())
            .field("checkpoint_lines", &self.checkpoint_lines)
            .finish()
    }
}

/// One complete line of a file: its bytes without the newline, where it
/// starts, and its 1-based number.
struct Line<'a> {
    bytes: &'a [u8],
    start: u64,
    number: u64,
}

/// Where splitting a file starts: byte `offset`, which begins line
/// `line` (1-based) and item `index` (entry or checkpoint) of the file.
#[derive(Clone, Copy, Debug)]
struct From {
    offset: usize,
    line: u64,
    index: usize,
}

impl From {
    const START: From = From {
        offset: 0,
        line: 1,
        index: 0,
    };
}

/// The complete lines of the entries file from some entry on.
struct Lines<'a> {
    /// Index of the entry `items[0]` is.
    first: usize,
    items: Vec<Line<'a>>,
}

impl<'a> Lines<'a> {
    /// Entry `i`'s line, if complete and at or after the first split.
    fn get(&self, i: usize) -> Option<&Line<'a>> {
        i.checked_sub(self.first).and_then(|j| self.items.get(j))
    }

    /// Complete lines in the whole file.
    fn count(&self) -> u64 {
        (self.first + self.items.len()) as u64
    }
}

/// Splits `data` from `from` on into complete lines, and the offset of a
/// final fragment without a newline (`data.len()` if there is none).
fn split_lines(data: &[u8], from: From) -> (Lines<'_>, usize) {
    let mut items = Vec::new();
    let mut start = from.offset;
    while let Some(n) = data[start..].iter().position(|&b| b == b'\n') {
        items.push(Line {
            bytes: &data[start..start + n],
            start: start as u64,
            number: from.line + items.len() as u64,
        });
        start += n + 1;
    }
    (
        Lines {
            first: from.index,
            items,
        },
        start,
    )
}

/// A complete signed note in the checkpoints file.
struct NoteSpan {
    start: usize,
    end: usize,
    line: u64,
}

/// Splits the checkpoints file from `from` on into complete notes (text
/// lines, a blank line, one or more signature lines) and the offset where an
/// incomplete remainder starts (`data.len()` if none).
fn split_notes(data: &[u8], from: From) -> (Vec<NoteSpan>, usize) {
    let mut notes = Vec::new();
    let mut pos = from.offset;
    let mut line = from.line;
    let next_line = |p: usize| {
        data[p..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|n| p + n + 1)
    };
    'notes: while pos < data.len() {
        let (start, start_line) = (pos, line);
        let mut p = pos;
        let mut l = line;
        // Text lines, then the blank line.
        let mut text_lines = 0;
        loop {
            let Some(end) = next_line(p) else {
                break 'notes;
            };
            l += 1;
            let blank = end - p == 1;
            p = end;
            if blank {
                break;
            }
            text_lines += 1;
        }
        if text_lines == 0 {
            // A blank line where a note should start: not a note; let the
            // caller report it as an incomplete remainder that fails checks.
            break;
        }
        // One or more signature lines.
        let mut sigs = 0;
        while data[p..].starts_with(SIG_PREFIX) {
            let Some(end) = next_line(p) else {
                break 'notes;
            };
            l += 1;
            p = end;
            sigs += 1;
        }
        if sigs == 0 {
            break;
        }
        notes.push(NoteSpan {
            start,
            end: p,
            line: start_line,
        });
        pos = p;
        line = l;
    }
    let rest = notes.last().map_or(from.offset, |n| n.end);
    (notes, rest)
}

impl Log {
    /// Reads and verifies the log of the state directory `state_dir`.
    ///
    /// The checkpoints are checked against `pinned` if given (an auditor's
    /// copy of the public key), which `log/verifier.key` must then equal;
    /// otherwise against `log/verifier.key`. Fails with an
    /// [`ErrorKind::Log`](watermark_core::ErrorKind::Log) naming the file, entry, line
    /// and byte of the first problem found.
    ///
    /// Entries after the last checkpoint are accepted only as what a killed
    /// append left: the signed append intent must name them. Otherwise a
    /// signed entry lost its checkpoint, and the log does not open.
    ///
    /// Verifies the whole log; [`State::log`](crate::State::log) reopens
    /// a log it has verified before by checking only what was appended.
    pub fn open(state_dir: &Path, pinned: Option<&Verifier>) -> Result<Log> {
        Log::open_with(state_dir, pinned, &Cache::new(), false)
    }

    /// Like [`Log::open`], but a log whose last entries lost their
    /// checkpoint opens, with those lines in [`Log::orphaned`]: to show them
    /// and to put their checkpoints back. Nothing is attributed from or
    /// appended to such a log.
    pub fn open_damaged(state_dir: &Path) -> Result<Log> {
        Log::open_with(state_dir, None, &Cache::new(), true)
    }

    /// [`Log::open`], resuming from (and remembering in) `cache`.
    ///
    /// A reader that runs while another process appends can read the new
    /// entries after the old checkpoints, and the intent only once the
    /// append has removed it: a tail no intent names, as damage would be.
    /// So an unsigned tail is read again, up to four times over a quarter
    /// of a second; real damage stays, an append in flight does not.
    pub(crate) fn open_with(
        state_dir: &Path,
        pinned: Option<&Verifier>,
        cache: &Cache,
        lenient: bool,
    ) -> Result<Log> {
        let mut log = Log::open_once(state_dir, pinned, cache)?;
        for wait_ms in [10, 40, 80, 120] {
            if log.orphaned.is_none() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(wait_ms));
            log = Log::open_once(state_dir, pinned, cache)?;
        }
        match (&log.orphaned, lenient) {
            (Some(o), false) => Err(Error::log(o.damage.clone())),
            _ => Ok(log),
        }
    }

    /// One reading of the files: an unsigned tail no intent names is left in
    /// `orphaned`.
    fn open_once(state_dir: &Path, pinned: Option<&Verifier>, cache: &Cache) -> Result<Log> {
        let dir = state_dir.join(LOG_DIR);
        let verifier = read_verifier(&dir.join(VERIFIER_KEY_FILE))?;
        if let Some(pinned) = pinned {
            if *pinned != verifier {
                return Err(Error::log(LogDamage::new(
                    &dir.join(VERIFIER_KEY_FILE),
                    said!(Msg::LgOtherKey, verifier.to_vkey(), pinned.to_vkey()),
                )));
            }
        }
        let signing_key = store::check_signing_key(&dir.join(SIGNING_KEY_FILE), &verifier)?;

        let entries_path = dir.join(ENTRIES_FILE);
        let checkpoints_path = dir.join(CHECKPOINTS_FILE);
        // Checkpoints first: a writer appends entries before their
        // checkpoints, so entries read after the checkpoints always include
        // every entry those sign, even while an append is under way.
        let checkpoints_data = read(&checkpoints_path)?;
        let entries_data = read(&entries_path)?;

        // What an earlier open in this process verified, if the files still
        // start with exactly those bytes: only what follows is split and
        // checked. A signature line right after the remembered checkpoints
        // would belong to the last of them: then everything is checked.
        let resume = cache
            .lookup(&dir, &verifier.to_vkey(), &entries_data, &checkpoints_data)
            .filter(|v| !checkpoints_data[v.checkpoints.offset..].starts_with(SIG_PREFIX));
        let (entries_from, checkpoints_from) = resume
            .as_ref()
            .map_or((From::START, From::START), |v| (v.entries, v.checkpoints));
        let (lines, fragment) = split_lines(&entries_data, entries_from);
        let (spans, rest) = split_notes(&checkpoints_data, checkpoints_from);

        let mut log = Log {
            dir,
            latest: Checkpoint::new(verifier.name(), 0, tlog::EMPTY_ROOT),
            verifier,
            lines: Vec::new(),
            entries: Vec::new(),
            tree: Tree::new(),
            notes: Vec::new(),
            entries_len: 0,
            checkpoints_len: 0,
            hashed: Hashed::default(),
            uncommitted: None,
            orphaned: None,
            signing_key,
        };
        if let Some(v) = &resume {
            log.hashed = v.hashed.clone();
            log.lines.clone_from(&v.lines);
            log.entries.clone_from(&v.entries_list);
            log.tree.clone_from(&v.tree);
            log.notes.clone_from(&v.notes);
            log.latest = v.latest.clone();
            cache.resumed();
        } else if spans.is_empty() {
            return Err(Error::log(
                LogDamage::new(&checkpoints_path, Said::new(Msg::LgNoFirstCheckpoint))
                    .checkpoint(0)
                    .line(1)
                    .byte(0),
            ));
        }
        for (j, span) in spans.iter().enumerate() {
            let k = (checkpoints_from.index + j) as u64;
            let damage = |msg: Said| {
                Error::log(
                    LogDamage::new(&checkpoints_path, msg)
                        .checkpoint(k)
                        .line(span.line)
                        .byte(span.start as u64),
                )
            };
            let bytes = &checkpoints_data[span.start..span.end];
            let note = std::str::from_utf8(bytes).map_err(|e| {
                Error::log(
                    LogDamage::new(&checkpoints_path, Said::new(Msg::LgNotUtf8))
                        .checkpoint(k)
                        .line(span.line)
                        .byte((span.start + e.valid_up_to()) as u64),
                )
            })?;
            let cp = tlog::open_checkpoint(note, &log.verifier)
                .map_err(|e| damage(said!(Msg::LgDoesNotVerify, e)))?;
            if cp.origin != log.verifier.name() {
                return Err(damage(said!(
                    Msg::LgOtherLog,
                    format!("{:?}", cp.origin),
                    format!("{:?}", log.verifier.name())
                )));
            }
            if cp.size != k {
                return Err(damage(said!(Msg::LgWrongSize, cp.size, k)));
            }
            if k > 0 {
                log.push_committed(
                    &entries_path,
                    &lines,
                    fragment,
                    k - 1,
                    &checkpoints_path,
                    span.line,
                )?;
            }
            if log.tree.root() != cp.root {
                let i = k - 1;
                let line = lines.get(i as usize).expect("pushed just now");
                return Err(Error::log(
                    LogDamage::new(
                        &entries_path,
                        said!(
                            Msg::LgEntryChanged,
                            k,
                            checkpoints_path.display(),
                            span.line,
                            i
                        ),
                    )
                    .entry(i)
                    .line(line.number)
                    .byte(line.start),
                ));
            }
            log.notes.push(Arc::from(note));
            log.latest = cp;
        }
        log.checkpoints_len = rest as u64;
        let size = log.size();
        log.entries_len = lines
            .get(size as usize)
            .map_or(fragment as u64, |l| l.start);

        // What follows the last checkpoint may only be what a killed append
        // leaves.
        let tail = &checkpoints_data[rest..];
        if !tail.is_empty() {
            log.check_torn_checkpoint(tail, rest, &checkpoints_path, &lines)?;
        }
        let entry_bytes = entries_data.len() as u64 - log.entries_len;
        if entry_bytes > 0 || !tail.is_empty() {
            log.uncommitted = Some(Uncommitted {
                entry_bytes,
                entry_lines: lines.count() - size,
                checkpoint_bytes: tail.len() as u64,
            });
        }
        if log.uncommitted.is_some() {
            log.check_intent(&entries_data, &lines, &entries_path)?;
        }
        log.hashed
            .entries
            .update(&entries_data[entries_from.offset..log.entries_len as usize]);
        let new_checkpoints = &checkpoints_data[checkpoints_from.offset..rest];
        log.hashed.checkpoints.update(new_checkpoints);
        log.hashed.checkpoint_lines +=
            new_checkpoints.iter().filter(|&&b| b == b'\n').count() as u64;
        if !spans.is_empty() {
            log.remember(cache);
        }
        Ok(log)
    }

    /// Accepts the unsigned tail as a killed append's only if the signed
    /// append intent names it; otherwise moves it to `orphaned`.
    fn check_intent(
        &mut self,
        entries_data: &[u8],
        lines: &Lines<'_>,
        entries_path: &Path,
    ) -> Result<()> {
        let size = self.size();
        let tail = &entries_data[self.entries_len as usize..];
        let why = match intent::read(&self.dir, &self.verifier) {
            Ok(Some(i)) if i.origin == self.origin() && self.intent_names_tail(&i, tail) => {
                return Ok(());
            }
            Ok(Some(i)) => said!(Msg::LgOtherAppend, INTENT_FILE, i.entries, i.size),
            Ok(None) => said!(Msg::LgNoAppend, INTENT_FILE),
            Err(e) if matches!(e.kind(), watermark_core::ErrorKind::Io { .. }) => return Err(e),
            Err(e) => said!(Msg::RfVerbatim, e),
        };
        let u = self.uncommitted.take().expect("called with a tail");
        let orphan_lines: Vec<String> = (size..lines.count())
            .filter_map(|i| lines.get(i as usize))
            .map(|l| String::from_utf8_lossy(l.bytes).into_owned())
            .collect();
        let damage = LogDamage::new(
            entries_path,
            Said::new(Msg::LgUnsigned)
                .arg(size)
                .sentence(why)
                .sentence(Said::counted(Msg::UnsignedEntries, u.entry_lines).arg(u.entry_lines))
                .arg(u.entry_bytes),
        )
        .entry(size)
        .line(size + 1)
        .byte(self.entries_len);
        self.orphaned = Some(Orphaned {
            damage,
            lines: orphan_lines,
        });
        Ok(())
    }

    /// Remembers this log in `cache` as verified up to its last checkpoint.
    fn remember(&self, cache: &Cache) {
        let size = self.size();
        cache.store(Verified {
            dir: self.dir.clone(),
            vkey: self.verifier.to_vkey(),
            entries: From {
                offset: self.entries_len as usize,
                line: size + 1,
                index: size as usize,
            },
            checkpoints: From {
                offset: self.checkpoints_len as usize,
                line: self.hashed.checkpoint_lines + 1,
                index: self.notes.len(),
            },
            hashed: self.hashed.clone(),
            lines: self.lines.clone(),
            entries_list: self.entries.clone(),
            tree: self.tree.clone(),
            notes: self.notes.clone(),
            latest: self.latest.clone(),
        });
    }

    /// Parses entry `i` (line `i + 1`) and adds it to the tree.
    fn push_committed(
        &mut self,
        entries_path: &Path,
        lines: &Lines<'_>,
        fragment: usize,
        i: u64,
        checkpoints_path: &Path,
        checkpoint_line: u64,
    ) -> Result<()> {
        let Some(line) = lines.get(i as usize) else {
            return Err(Error::log(
                LogDamage::new(
                    entries_path,
                    said!(
                        Msg::LgEntriesMissing,
                        i + 1,
                        checkpoints_path.display(),
                        checkpoint_line,
                        lines.count()
                    ),
                )
                .entry(i)
                .line(i + 1)
                .byte(fragment as u64),
            ));
        };
        let damage = |offset: Option<usize>, msg: Said| {
            Error::log(
                LogDamage::new(entries_path, msg)
                    .entry(i)
                    .line(line.number)
                    .byte(line.start + offset.unwrap_or(0) as u64),
            )
        };
        let text = std::str::from_utf8(line.bytes)
            .map_err(|e| damage(Some(e.valid_up_to()), Said::new(Msg::LgNotUtf8)))?;
        let entry = Entry::parse_line(text)
            .map_err(|e| damage(e.column, said!(Msg::LgBadEntry, e.message)))?;
        self.tree.push_entry(line.bytes);
        self.lines.push(Arc::from(text));
        self.entries.push(Arc::new(entry));
        Ok(())
    }

    /// Accepts `tail` (the checkpoints file after its last complete
    /// checkpoint, starting at byte `start`) only if it is a strict prefix
    /// of the checkpoint that would sign the next entry.
    fn check_torn_checkpoint(
        &self,
        tail: &[u8],
        start: usize,
        checkpoints_path: &Path,
        lines: &Lines<'_>,
    ) -> Result<()> {
        let size = self.size();
        let fail = |at: usize, msg: Msg| {
            let line = 1
                + self
                    .notes
                    .iter()
                    .map(|n| n.matches('\n').count() as u64)
                    .sum::<u64>()
                + tail[..at].iter().filter(|&&b| b == b'\n').count() as u64;
            Err(Error::log(
                LogDamage::new(checkpoints_path, Said::new(msg))
                    .checkpoint(size + 1)
                    .line(line)
                    .byte((start + at) as u64),
            ))
        };
        // The next checkpoint can only exist once its entry was written.
        let Some(next) = lines.get(size as usize) else {
            return fail(0, Msg::LgTornNoEntry);
        };
        let mut tree = self.tree.clone();
        tree.push_entry(next.bytes);
        let body = Checkpoint::new(self.verifier.name(), size + 1, tree.root()).to_body();
        let mut expected = body.into_bytes();
        expected.push(b'\n');
        expected.extend_from_slice(SIG_PREFIX);
        expected.extend_from_slice(self.verifier.name().as_bytes());
        expected.push(b' ');
        let fixed = expected.len().min(tail.len());
        if let Some(at) = (0..fixed).find(|&i| tail[i] != expected[i]) {
            return fail(at, Msg::LgTornChanged);
        }
        let sig = &tail[fixed..];
        let b64 = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=');
        if let Some(at) = sig.iter().position(|b| !b64(b)) {
            return fail(fixed + at, Msg::LgSignatureNotBase64);
        }
        if sig.len() > SIG_B64_LEN {
            return fail(fixed + SIG_B64_LEN, Msg::LgSignatureEnd);
        }
        Ok(())
    }

    /// The log's origin (also its key name).
    pub fn origin(&self) -> &str {
        self.verifier.name()
    }

    /// The log's public key.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Number of entries the latest checkpoint signs.
    pub fn size(&self) -> u64 {
        self.entries.len() as u64
    }

    /// The root hash the latest checkpoint signs.
    pub fn root(&self) -> Hash {
        self.latest.root
    }

    /// The latest checkpoint, parsed.
    pub fn latest(&self) -> &Checkpoint {
        &self.latest
    }

    /// The latest signed checkpoint (a C2SP signed note).
    pub fn checkpoint(&self) -> &str {
        &self.notes[self.notes.len() - 1]
    }

    /// The signed checkpoint of the first `size` entries.
    pub fn checkpoint_at(&self, size: u64) -> Option<&str> {
        usize::try_from(size)
            .ok()
            .and_then(|s| self.notes.get(s))
            .map(|n| &**n)
    }

    /// The entries, in order.
    pub fn entries(
        &self,
    ) -> impl DoubleEndedIterator<Item = &Entry> + ExactSizeIterator + Clone + '_ {
        self.entries.iter().map(|e| &**e)
    }

    /// Entry `index`.
    pub fn entry(&self, index: u64) -> Option<&Entry> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.entries.get(i))
            .map(|e| &**e)
    }

    /// Entry `index` in its canonical encoding (the Merkle leaf data).
    pub fn entry_text(&self, index: u64) -> Option<&str> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.lines.get(i))
            .map(|l| &**l)
    }

    /// The RFC 6962 leaf hash of entry `index`.
    pub fn leaf_hash(&self, index: u64) -> Option<Hash> {
        self.tree.leaf(index).copied()
    }

    /// Issued copies, with their entry indexes.
    pub fn issues(&self) -> impl Iterator<Item = (u64, &IssueEntry)> + '_ {
        self.entries().enumerate().filter_map(|(i, e)| match e {
            Entry::Issue(issue) => Some((i as u64, issue)),
            _ => None,
        })
    }

    /// What a killed append left after the last checkpoint, if anything.
    pub fn uncommitted(&self) -> Option<&Uncommitted> {
        self.uncommitted.as_ref()
    }

    /// Entries that lost their checkpoint, in a log opened with
    /// [`Log::open_damaged`].
    pub fn orphaned(&self) -> Option<&Orphaned> {
        self.orphaned.as_ref()
    }

    /// Whether the intent's append is the one that stopped here: its first
    /// entries are the last signed ones (those whose checkpoints were
    /// written), and the unsigned `tail` starts the rest.
    fn intent_names_tail(&self, i: &intent::Intent, tail: &[u8]) -> bool {
        let size = self.size();
        if size.checked_sub(i.size).is_none_or(|n| n > i.entries) {
            return false;
        }
        let mut rest = i.text.as_str();
        for k in i.size..size {
            let Some((line, after)) = rest.split_once('\n') else {
                return false;
            };
            if self.entry_text(k) != Some(line) {
                return false;
            }
            rest = after;
        }
        rest.as_bytes().starts_with(tail)
    }

    /// What could be checked of the signing key.
    pub fn signing_key(&self) -> SigningKeyCheck {
        self.signing_key
    }

    /// The log directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A receipt for entry `index` against the latest checkpoint.
    pub fn receipt(&self, index: u64) -> Result<Receipt> {
        self.receipt_at(index, self.size())
    }

    /// A receipt for entry `index` against the checkpoint of the first
    /// `size` entries.
    pub fn receipt_at(&self, index: u64, size: u64) -> Result<Receipt> {
        let note = self
            .checkpoint_at(size)
            .ok_or_else(|| Error::state(said!(Msg::LsNoCheckpointOfSize, size, self.size())))?;
        let proof = self
            .tree
            .inclusion_proof(index, size)
            .map_err(|e| Error::state(said!(Msg::LsEntryWhy, index, e)))?;
        Ok(Receipt {
            index,
            entry: self.lines[index as usize].to_string(),
            inclusion_proof: proof,
            checkpoint: note.to_owned(),
        })
    }

    /// Checks that this log extends an older signed checkpoint of it, and
    /// returns the RFC 9162 consistency proof from that checkpoint to the
    /// latest one, verified.
    pub fn consistency(&self, old_signed: &str) -> Result<Consistency> {
        let old = tlog::open_checkpoint(old_signed, &self.verifier)
            .map_err(|e| Error::state(said!(Msg::LsOldNotOurs, e)))?;
        if old.origin != self.origin() {
            return Err(Error::state(said!(
                Msg::LsOldOtherLog,
                format!("{:?}", old.origin),
                format!("{:?}", self.origin())
            )));
        }
        if old.size > self.size() {
            return Err(Error::state(said!(
                Msg::LsOldCutBack,
                old.size,
                self.size()
            )));
        }
        let proof = self
            .tree
            .consistency_proof(old.size, self.size())
            .map_err(|e| Error::state(said!(Msg::RfVerbatim, e)))?;
        tlog::verify_consistency(old.size, self.size(), &old.root, &self.root(), &proof)
            .map_err(|e| Error::state(said!(Msg::LsRewritten, old.size, e)))?;
        Ok(Consistency {
            old,
            new: self.latest.clone(),
            proof,
        })
    }
}

/// A verified consistency proof between two checkpoints of one log.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Consistency {
    /// The older checkpoint.
    pub old: Checkpoint,
    /// The latest checkpoint.
    pub new: Checkpoint,
    /// The RFC 9162 consistency proof from `old` to `new`.
    pub proof: Vec<Hash>,
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(said!(Msg::CtxReading, path.display()), e))
}

/// Reads a verifier key file: exactly one key line and its newline.
pub(crate) fn read_verifier(path: &Path) -> Result<Verifier> {
    let data = read(path)?;
    let damage =
        |msg: Said, byte: usize| Error::log(LogDamage::new(path, msg).line(1).byte(byte as u64));
    let text = std::str::from_utf8(&data)
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
    let verifier = Verifier::from_vkey(key).map_err(|e| damage(said!(Msg::RfVerbatim, e), 0))?;
    let canonical = verifier.to_vkey();
    if canonical != key {
        let at = first_difference(canonical.as_bytes(), key.as_bytes());
        return Err(damage(Said::new(Msg::LgNotCanonical), at));
    }
    Ok(verifier)
}

/// The first offset where two byte strings differ.
pub(crate) fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()))
}

#[cfg(test)]
mod tests;
