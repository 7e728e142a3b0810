//! The state directory: the master key, the policies copies were made with,
//! and the append-only issuance record.
//!
//! ```text
//! DIR/master.key          the master key (mode 0600)
//! DIR/policies/D.toml     each policy used, by digest
//! DIR/issuance.jsonl      one JSON object per issued copy, appended
//! DIR/lock                held while issuing, so slots are never shared
//! ```
//!
//! No record holds personal data or secrets: recipients, digests, counts and
//! ids only.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::key::MasterKey;
use crate::policy::Policy;
use crate::scheme::Recipient;

const KEY_FILE: &str = "master.key";
const RECORD_FILE: &str = "issuance.jsonl";
const POLICY_DIR: &str = "policies";
const LOCK_FILE: &str = "lock";

/// One issued copy, as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Issuance {
    /// UTC time of issue, RFC 3339.
    pub time: String,
    /// The recipient's id.
    pub recipient: String,
    /// The recipient's code slot.
    pub slot: u32,
    /// BLAKE3 of the input extract.
    pub input_blake3: String,
    /// BLAKE3 of the copy.
    pub output_blake3: String,
    /// Size of the copy in bytes.
    pub output_bytes: u64,
    /// Data rows in the copy.
    pub rows: u64,
    /// Carrier slots written.
    pub slots_marked: u64,
    /// Id of the master key.
    pub key_id: String,
    /// Digest of the policy.
    pub policy_digest: String,
    /// The tool and version that made the copy.
    pub tool: String,
}

/// An open state directory.
#[derive(Debug, Clone)]
pub struct State {
    dir: PathBuf,
}

/// A held issuance lock; released on drop.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}

impl State {
    /// Creates a new state directory with a fresh master key and an empty
    /// record. Refuses a directory that already holds a key.
    pub fn init(dir: &Path) -> Result<State> {
        let key_path = dir.join(KEY_FILE);
        if key_path.exists() {
            return Err(Error::state(format!(
                "{} already holds a state (it has {KEY_FILE}); refusing to replace its key",
                dir.display()
            )));
        }
        create_private_dir(dir)?;
        create_private_dir(&dir.join(POLICY_DIR))?;
        MasterKey::generate()?.write_new(&key_path)?;
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(RECORD_FILE))
            .map_err(|e| Error::io(format!("creating {}", dir.join(RECORD_FILE).display()), e))?;
        Ok(State {
            dir: dir.to_path_buf(),
        })
    }

    /// Opens an existing state directory.
    pub fn open(dir: &Path) -> Result<State> {
        if !dir.join(KEY_FILE).exists() {
            return Err(Error::state(format!(
                "{} is not a state directory (no {KEY_FILE}); create one with `watermark init --state {}`",
                dir.display(),
                dir.display()
            )));
        }
        Ok(State {
            dir: dir.to_path_buf(),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Loads the master key (refusing a key file others can read).
    pub fn master_key(&self) -> Result<MasterKey> {
        MasterKey::load(&self.dir.join(KEY_FILE))
    }

    /// Takes the issuance lock, waiting for another issuer to finish.
    pub fn lock(&self) -> Result<StateLock> {
        let path = self.dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
        file.lock()
            .map_err(|e| Error::io(format!("locking {}", path.display()), e))?;
        Ok(StateLock { _file: file })
    }

    /// Stores a policy under its digest (once) and returns the digest.
    pub fn store_policy(&self, policy: &Policy) -> Result<String> {
        let digest = policy.digest();
        let path = self.dir.join(POLICY_DIR).join(format!("{digest}.toml"));
        if !path.exists() {
            let tmp = tempfile::NamedTempFile::new_in(self.dir.join(POLICY_DIR))
                .map_err(|e| Error::io("creating a policy file", e))?;
            fs::write(tmp.path(), policy.to_toml())
                .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
            tmp.persist(&path)
                .map_err(|e| Error::io(format!("writing {}", path.display()), e.error))?;
        }
        Ok(digest)
    }

    /// Loads a stored policy by digest, checking that it still has it.
    pub fn policy(&self, digest: &str) -> Result<Policy> {
        let path = self.dir.join(POLICY_DIR).join(format!("{digest}.toml"));
        let text = fs::read_to_string(&path)
            .map_err(|e| Error::io(format!("reading policy {}", path.display()), e))?;
        let policy = Policy::from_toml(&text)?;
        if policy.digest() != digest {
            return Err(Error::state(format!(
                "{} was changed after issuance: its digest is now {}",
                path.display(),
                policy.digest()
            )));
        }
        Ok(policy)
    }

    /// Every recorded issuance, in order.
    pub fn issuances(&self) -> Result<Vec<Issuance>> {
        let path = self.dir.join(RECORD_FILE);
        let file =
            File::open(&path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        let mut out = Vec::new();
        for (n, line) in BufReader::new(file).lines().enumerate() {
            let line = line.map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
            if line.trim().is_empty() {
                continue;
            }
            let rec: Issuance = serde_json::from_str(&line).map_err(|e| {
                Error::state(format!(
                    "{} line {}: damaged record: {e}",
                    path.display(),
                    n + 1
                ))
            })?;
            out.push(rec);
        }
        Ok(out)
    }

    /// Recipients by (key id, policy digest), with their slots.
    pub fn recipient_groups(&self) -> Result<BTreeMap<(String, String), Vec<Recipient>>> {
        let mut groups: BTreeMap<(String, String), Vec<Recipient>> = BTreeMap::new();
        for rec in self.issuances()? {
            let group = groups
                .entry((rec.key_id.clone(), rec.policy_digest.clone()))
                .or_default();
            if !group.iter().any(|r| r.id == rec.recipient) {
                group.push(Recipient {
                    id: rec.recipient,
                    slot: rec.slot,
                });
            }
        }
        Ok(groups)
    }

    /// Slots for the given recipient ids: the slot a recipient already holds,
    /// or the next unused one. Take the [`lock`](State::lock) first.
    pub fn assign_slots(&self, ids: &[String]) -> Result<Vec<Recipient>> {
        let records = self.issuances()?;
        let mut next = records.iter().map(|r| r.slot + 1).max().unwrap_or(0);
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(rec) = records.iter().find(|r| &r.recipient == id) {
                out.push(Recipient::new(id.clone(), rec.slot)?);
            } else if let Some(r) = out.iter().find(|r: &&Recipient| &r.id == id) {
                return Err(Error::policy(format!("recipient {:?} named twice", r.id)));
            } else {
                out.push(Recipient::new(id.clone(), next)?);
                next += 1;
            }
        }
        Ok(out)
    }

    /// Appends issuance records durably.
    pub fn record(&self, issuances: &[Issuance]) -> Result<()> {
        let path = self.dir.join(RECORD_FILE);
        let mut text = String::new();
        for rec in issuances {
            text.push_str(&serde_json::to_string(rec).expect("record serialises"));
            text.push('\n');
        }
        let mut file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
        file.write_all(text.as_bytes())
            .and_then(|_| file.sync_all())
            .map_err(|e| Error::io(format!("appending to {}", path.display()), e))
    }
}

fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| Error::io(format!("creating {}", dir.display()), e))
}

/// The current UTC time as RFC 3339 (`2026-11-21T13:45:07Z`).
pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
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

    fn record(recipient: &str, slot: u32) -> Issuance {
        Issuance {
            time: now_rfc3339(),
            recipient: recipient.into(),
            slot,
            input_blake3: "i".into(),
            output_blake3: "o".into(),
            output_bytes: 1,
            rows: 1,
            slots_marked: 1,
            key_id: "k".into(),
            policy_digest: "p".into(),
            tool: "t".into(),
        }
    }

    #[test]
    fn slots_are_kept_and_never_reused() {
        let dir = tempfile::tempdir().unwrap();
        let state = State::init(&dir.path().join("s")).unwrap();
        assert!(State::init(state.dir()).is_err(), "must not replace a key");
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let first = state.assign_slots(&ids(&["a", "b"])).unwrap();
        assert_eq!(first.iter().map(|r| r.slot).collect::<Vec<_>>(), [0, 1]);
        state.record(&[record("a", 0), record("b", 1)]).unwrap();
        let again = state.assign_slots(&ids(&["c", "b"])).unwrap();
        assert_eq!(again.iter().map(|r| r.slot).collect::<Vec<_>>(), [2, 1]);
        assert!(state.assign_slots(&ids(&["d", "d"])).is_err());
        assert_eq!(state.issuances().unwrap().len(), 2);
        let groups = state.recipient_groups().unwrap();
        assert_eq!(groups[&("k".to_string(), "p".to_string())].len(), 2);
    }

    #[test]
    fn time_is_rfc3339() {
        let t = now_rfc3339();
        assert_eq!(t.len(), 20);
        assert!(t.starts_with("20") && t.ends_with('Z'));
    }
}
