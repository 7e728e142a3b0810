//! What [`Log::open`](super::Log::open) has already verified in this process,
//! so that reopening a log checks only what was appended since.
//!
//! Verifying a log checks one Ed25519 signature per entry; a service that
//! opens the log for every request would spend time growing with the log.
//! Instead each successful open (and each append, with what it wrote)
//! remembers the verified log with BLAKE3 of the exact bytes it verified:
//! the committed part of `log/entries` and of `log/checkpoints`. The next
//! open of the same log under the same public key resumes from there only
//! if the files still start with those very bytes (same lengths, same
//! digests) and no signature line follows the last remembered checkpoint
//! (it would belong to that checkpoint); anything else (a changed, cut or
//! reordered byte anywhere in the verified part) misses, is forgotten, and
//! the log is verified from the start, exactly as without the cache. Since
//! the verification is a function of those bytes alone, the result is the
//! same either way.
//!
//! A cache belongs to an open [`State`](crate::State) and its clones: a
//! service that opens the state once and keeps it reopens its log cheaply,
//! and nothing is shared by code that did not ask for it. It lives in
//! memory only, holds the last few logs opened, and is shared by threads.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use watermark_log::tlog::{Checkpoint, Tree};

use super::{Entry, From, Hashed};

/// Logs remembered at once; the least recently verified is dropped first.
const CAPACITY: usize = 4;

/// A verified prefix of one log.
#[derive(Debug)]
pub(super) struct Verified {
    /// The log directory, as opened.
    pub dir: PathBuf,
    /// The public key it was verified under (`verifier.key`'s text).
    pub vkey: String,
    /// Where the entries after the verified ones start.
    pub entries: From,
    /// Where the checkpoints after the verified ones start.
    pub checkpoints: From,
    /// BLAKE3 of both files up to those offsets.
    pub hashed: Hashed,
    pub lines: Vec<Arc<str>>,
    pub entries_list: Vec<Arc<Entry>>,
    pub tree: Tree,
    pub notes: Vec<Arc<str>>,
    pub latest: Checkpoint,
}

impl Verified {
    /// Whether `entries` and `checkpoints` (the files' whole contents) still
    /// start with the bytes this verified.
    fn still_prefix_of(&self, entries: &[u8], checkpoints: &[u8]) -> bool {
        let same = |data: &[u8], len: usize, hashed: &blake3::Hasher| {
            data.get(..len)
                .is_some_and(|prefix| blake3::hash(prefix) == hashed.finalize())
        };
        same(entries, self.entries.offset, &self.hashed.entries)
            && same(
                checkpoints,
                self.checkpoints.offset,
                &self.hashed.checkpoints,
            )
    }
}

/// Remembered verifications, most recent last.
#[derive(Debug)]
pub(crate) struct Cache {
    logs: Mutex<Vec<Arc<Verified>>>,
    /// Opens that resumed from a remembered verification.
    resumed: AtomicU64,
}

impl Cache {
    pub(crate) const fn new() -> Cache {
        Cache {
            logs: Mutex::new(Vec::new()),
            resumed: AtomicU64::new(0),
        }
    }

    /// The remembered verification of the log in `dir` under `vkey`, if the
    /// files still start with the bytes it verified.
    pub(super) fn lookup(
        &self,
        dir: &Path,
        vkey: &str,
        entries: &[u8],
        checkpoints: &[u8],
    ) -> Option<Arc<Verified>> {
        let found = {
            let logs = self.logs.lock().unwrap_or_else(|e| e.into_inner());
            logs.iter()
                .find(|v| v.dir == dir && v.vkey == vkey)
                .cloned()
        }?;
        // Hashing happens outside the lock.
        if found.still_prefix_of(entries, checkpoints) {
            return Some(found);
        }
        // The files changed under it: forget it, so that what is verified
        // next is remembered instead.
        let mut logs = self.logs.lock().unwrap_or_else(|e| e.into_inner());
        logs.retain(|v| !Arc::ptr_eq(v, &found));
        None
    }

    /// Counts an open that resumed from a remembered verification.
    pub(super) fn resumed(&self) {
        self.resumed.fetch_add(1, Ordering::Relaxed);
    }

    /// Opens that resumed so far.
    #[cfg(test)]
    pub(super) fn resumes(&self) -> u64 {
        self.resumed.load(Ordering::Relaxed)
    }

    /// Remembers `verified`, replacing what was remembered of the same log
    /// unless that covers more of it (opens running side by side finish in
    /// any order; a remembered log whose files changed is forgotten at the
    /// lookup that finds it so).
    pub(super) fn store(&self, verified: Verified) {
        let mut logs = self.logs.lock().unwrap_or_else(|e| e.into_inner());
        let same = |v: &Arc<Verified>| v.dir == verified.dir && v.vkey == verified.vkey;
        if logs
            .iter()
            .any(|v| same(v) && v.checkpoints.index > verified.checkpoints.index)
        {
            return;
        }
        logs.retain(|v| !same(v));
        if logs.len() >= CAPACITY {
            logs.remove(0);
        }
        logs.push(Arc::new(verified));
    }
}
