//! Extracts split into several Parquet files (a directory of them, as data
//! lakes keep them), issued and verified on this machine or on a cluster.
//!
//! [`issue`] is the issue workflow for such an extract: the files are
//! marked by a [`SplitRunner`] (this machine's, or a cluster's), each into
//! every recipient's directory `OUT/ID/` under its own name, and each copy
//! is logged once, by the digest of its manifest (`OUT/ID.manifest`: each
//! file's BLAKE3, size and rows), with the digest of the input's manifest.
//! The log, the receipts and the report are those of
//! [`issue::run`](crate::issue::run); only what a copy is differs.
//!
//! The runner is given an [`IssueOrder`]: everything marking needs but the
//! master key, which each worker holds itself. A runner that fails leaves
//! nothing logged and no copy directory: the files are written to a
//! staging directory and moved into place only once every file of every
//! copy is written and checked.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use watermark_core::{
    make_canaries_from_rows, validate_recipient_id, CanaryList, Embedder, MasterKey, Policy,
};
use watermark_formats::split::{IssueOrder, Manifest, OrderRecipient, PartDone, SplitExtract};
use watermark_log::{CodeRecord, IssueEntry};
use watermark_text::{said, SaidContext as _};

use crate::error::{fail, Blame as _};
use crate::formats::FileFormat;
use crate::issue::{report_recovery, Copy, LogRef, Report};
use crate::messages::{tr, Msg};
use crate::{now_rfc3339, receipt_path, witnessing, Error, Fault, Reporter, Result, State};

pub use crate::runner::{Local, SplitRunner};

/// What issuing a split extract needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The state directory.
    pub state: PathBuf,
    /// The marking policy (TOML).
    pub policy: PathBuf,
    /// The extract: a directory of Parquet files, read in the order of
    /// their names.
    pub input: PathBuf,
    /// The recipients' ids, one copy each.
    pub recipients: Vec<String>,
    /// Where the copies go: OUT/ID/ holds recipient ID's files, under the
    /// input's names, and OUT/ID.manifest and OUT/ID.receipt say what they
    /// are.
    pub out_dir: PathBuf,
    /// Replace copies that already exist in the output directory.
    pub force: bool,
    /// The witness list; `None` for STATE/witnesses.toml, if there is one.
    pub witnesses: Option<PathBuf>,
}

/// Where recipient `id`'s files go.
pub fn copy_dir(out_dir: &Path, id: &str) -> PathBuf {
    out_dir.join(id)
}

/// Where recipient `id`'s files are written before they are checked.
fn staging_dir(out_dir: &Path, id: &str) -> PathBuf {
    out_dir.join(format!(".{id}.staging"))
}

/// Removes a directory and what it holds, if it is there.
fn remove_dir(dir: &Path) -> Result<()> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::new(
            Fault::Server,
            watermark_core::Error::io(said!(Msg::CtxWriting, dir.display()), e),
        )),
    }
}

/// Removes from a staging directory what the manifest does not name: the
/// temporary files of a worker that died while writing.
fn remove_strays(dir: &Path, manifest: &Manifest) -> Result<()> {
    let entries = fs::read_dir(dir)
        .said(|| said!(Msg::CtxReading, dir.display()))
        .server()?;
    for entry in entries {
        let entry = entry
            .said(|| said!(Msg::CtxReading, dir.display()))
            .server()?;
        let name = entry.file_name();
        if !manifest.files.iter().any(|f| *f.name == *name) {
            let path = entry.path();
            fs::remove_file(&path)
                .said(|| said!(Msg::CtxWriting, path.display()))
                .server()?;
        }
    }
    Ok(())
}

/// Staging directories, removed when dropped unless kept.
struct Staging(Vec<PathBuf>);

impl Drop for Staging {
    fn drop(&mut self) {
        for d in &self.0 {
            let _ = fs::remove_dir_all(d);
        }
    }
}

/// Issues a split extract: see the [module](self) documentation. `runner`
/// is `None` for this machine.
pub fn issue(
    settings: &Settings,
    runner: Option<&dyn SplitRunner>,
    reporter: impl Reporter,
) -> Result<Report> {
    let reporter: &dyn Reporter = &reporter;
    for id in &settings.recipients {
        validate_recipient_id(id).input()?;
    }
    let state = State::open(&settings.state).server()?;
    let lock = state.lock().server()?;
    let recovery = state.recover(&lock).server()?;
    report_recovery(reporter, &recovery)?;
    let witnessed =
        witnessing::before_issue(&state, &lock, settings.witnesses.as_deref(), reporter)?;
    let key = Arc::new(state.master_key().server()?);
    let policy_text = fs::read_to_string(&settings.policy)
        .said(|| said!(Msg::CtxReadingPolicy, settings.policy.display()))
        .input()?;
    let policy = Policy::from_toml(&policy_text)
        .map_err(|e| said!(Msg::RfVerbatim, settings.policy.display()).because(e))
        .input()?;
    let recipients = crate::issue::assign_slots(&state, &settings.recipients)?;
    let split = SplitExtract::open(&settings.input).input()?;
    if split.rows() == 0 {
        fail!(Input, Msg::NoDataRows, settings.input.display());
    }
    if !settings.force {
        for r in &recipients {
            for existing in [
                copy_dir(&settings.out_dir, &r.id),
                settings.out_dir.join(format!("{}.manifest", r.id)),
            ] {
                if existing.exists() {
                    fail!(Input, Msg::ExistsUseForce, existing.display());
                }
            }
        }
    }
    let policy_digest = state.store_policy(&policy).server()?;
    let bar = reporter.progress(
        split.bytes(),
        &tr(reporter.lang(), Msg::ProgressHashing, &[]),
    );
    let input_manifest = split.manifest(&mut |n| bar.set_position(n)).input()?;
    bar.finish();
    let input_blake3 = input_manifest.blake3();
    let canaries = match policy.canaries {
        None => None,
        Some(_) => Some(canaries_for(
            &state,
            &lock,
            &key,
            &policy,
            &policy_digest,
            &input_blake3,
            &split,
            reporter,
        )?),
    };
    // The embedder is built here, where the key is, so that what it
    // refuses (a policy, a canary list) is refused before any worker runs.
    let mut builder = Embedder::builder()
        .key(&key)
        .policy(&policy)
        .recipients(recipients.clone());
    if let Some(list) = &canaries {
        builder = builder.canaries(list.clone());
    }
    builder.build().input()?;

    let (pending, temps) = state
        .begin_issue_as(
            &lock,
            &settings.out_dir,
            &recipients,
            settings.force,
            "manifest",
        )
        .server()?;
    let out_dir = pending.out_dir().to_path_buf();
    let staging = Staging(
        recipients
            .iter()
            .map(|r| staging_dir(&out_dir, &r.id))
            .collect(),
    );
    for d in &staging.0 {
        remove_dir(d)?;
    }
    let mut order = IssueOrder {
        key_id: key.id().to_hex(),
        policy: policy.to_toml(),
        recipients: recipients
            .iter()
            .zip(&staging.0)
            .map(|(r, dir)| OrderRecipient {
                id: r.id.clone(),
                slot: r.slot,
                out_dir: dir.clone(),
            })
            .collect(),
        canaries: canaries.as_ref().map(|l| state.canary_list_file(l)),
        files: split
            .files()
            .iter()
            .map(|f| {
                let mut f = f.clone();
                f.path = fs::canonicalize(&f.path).unwrap_or(f.path);
                f
            })
            .collect(),
        authorization: String::new(),
    };
    // Executors mark only what an order authorised under the key asks.
    order.authorize(&key);
    let local;
    let runner: &dyn SplitRunner = match runner {
        Some(r) => r,
        None => {
            local = Local::new(Arc::clone(&key));
            &local
        }
    };
    let mut parts = runner.issue(&order, reporter)?;
    parts.sort_by_key(|p| p.index);
    check_parts(&order, &input_manifest, &parts)?;

    let slots_marked: u64 = parts.iter().map(|p| p.slots_marked).sum();
    let time = now_rfc3339();
    let canary_list_blake3 = canaries
        .as_ref()
        .map(CanaryList::file_blake3)
        .unwrap_or_default();
    let key_id = key.id().to_hex();
    let code = CodeRecord::from(&policy.code);
    let mut copies = Vec::with_capacity(recipients.len());
    let mut summaries = Vec::with_capacity(recipients.len());
    for ((r, tmp), dir) in recipients.iter().zip(temps).zip(&staging.0) {
        let k = copies.len();
        let manifest = Manifest {
            files: parts.iter().map(|p| p.copies[k].file.clone()).collect(),
        };
        let canaries: u64 = parts.iter().map(|p| p.copies[k].canaries).sum();
        let text = manifest.to_text();
        fs::write(tmp.path(), &text)
            .said(|| said!(Msg::CtxWriting, tmp.path().display()))
            .server()?;
        // What a worker that died left half-written goes; every file the
        // manifest names is in the staging directory, at the size it was
        // written (its digest is the worker's, computed as it wrote: the
        // copies are not read again here, which on a cluster would read
        // every copy through this one machine).
        remove_strays(dir, &manifest)?;
        for f in &manifest.files {
            let path = dir.join(&f.name);
            let size = fs::metadata(&path)
                .said(|| said!(Msg::CtxReading, path.display()))
                .server()?
                .len();
            if size != f.bytes {
                fail!(Server, Msg::SplitCopyChanged, path.display());
            }
        }
        let output_blake3 = blake3::hash(text.as_bytes()).to_hex().to_string();
        summaries.push((output_blake3.clone(), manifest.bytes(), canaries));
        copies.push((
            tmp,
            IssueEntry {
                scheme: watermark_core::SCHEME_VERSION,
                time: time.clone(),
                recipient: r.id.clone(),
                slot: r.slot,
                input_blake3: input_blake3.clone(),
                input_rows: split.rows(),
                output_blake3,
                output_bytes: text.len() as u64,
                output_rows: split.rows() + canaries,
                canaries,
                canary_list_blake3: canary_list_blake3.clone(),
                slots_marked,
                key_id: key_id.clone(),
                policy_digest: policy_digest.clone(),
                code: code.clone(),
                tool: concat!("watermark ", env!("CARGO_PKG_VERSION")).to_string(),
            },
        ));
    }
    // The files go into place, then the manifests are logged and put in
    // place with their receipts. If logging fails, the files are removed:
    // a directory without its logged manifest is not an issued copy.
    let mut placed = Vec::with_capacity(recipients.len());
    for (r, dir) in recipients.iter().zip(&staging.0) {
        let dest = copy_dir(&out_dir, &r.id);
        remove_dir(&dest)?;
        fs::rename(dir, &dest)
            .said(|| said!(Msg::CtxWriting, dest.display()))
            .server()?;
        placed.push(dest);
    }
    let issued = match pending.commit(copies) {
        Ok(issued) => issued,
        Err(e) => {
            for d in &placed {
                let _ = fs::remove_dir_all(d);
            }
            return Err(Error::new(Fault::Server, e));
        }
    };
    let cosigned = witnessing::after_issue(witnessed, &state, &lock, &issued, reporter)?;
    let log = state.log().server()?;
    Ok(Report {
        input: settings.input.clone(),
        input_blake3,
        input_format: FileFormat::Parquet,
        format: FileFormat::Parquet,
        rows: split.rows(),
        slots_marked_per_copy: slots_marked,
        canaries_made: canaries.as_ref().map_or(0, |l| l.len() as u64),
        key_id,
        policy_digest,
        copies: issued
            .into_iter()
            .zip(summaries)
            .map(|(c, (blake3, bytes, canaries))| Copy {
                recipient: c.recipient.clone(),
                slot: c.slot,
                canaries,
                file: copy_dir(&settings.out_dir, &c.recipient),
                blake3,
                bytes,
                log_index: c.index,
                already_logged: c.already_logged,
                receipt: receipt_path(&settings.out_dir, &c.recipient),
            })
            .collect(),
        log: LogRef {
            origin: log.origin().to_owned(),
            size: log.size(),
            checkpoint: cosigned.unwrap_or_else(|| log.checkpoint().to_owned()),
        },
    })
}

/// Every file of the order done once, from the input as it was hashed,
/// with a copy for every recipient.
fn check_parts(order: &IssueOrder, input: &Manifest, parts: &[PartDone]) -> Result<()> {
    let n = order.recipients.len();
    if parts.len() != order.files.len() || parts.iter().enumerate().any(|(i, p)| p.index != i) {
        fail!(
            Server,
            Msg::SplitPartsMissing,
            parts.len(),
            order.files.len()
        );
    }
    for (p, f) in parts.iter().zip(&input.files) {
        if p.input != *f {
            fail!(
                Server,
                Msg::SplitInputChanged,
                order.files[p.index].path.display()
            );
        }
        if p.copies.len() != n {
            fail!(
                Server,
                Msg::SplitPartsMissing,
                parts.len(),
                order.files.len()
            );
        }
    }
    Ok(())
}

/// The extract's canary list: the one kept for it, or a new one (four
/// passes over the files), kept in the state.
#[allow(clippy::too_many_arguments)]
fn canaries_for(
    state: &State,
    lock: &crate::StateLock,
    key: &MasterKey,
    policy: &Policy,
    policy_digest: &str,
    input_blake3: &str,
    split: &SplitExtract,
    reporter: &dyn Reporter,
) -> Result<CanaryList> {
    if let Some(list) = state
        .canaries(&state.log().server()?, input_blake3, policy_digest)
        .server()?
    {
        return Ok(list);
    }
    let size = split.bytes();
    let bar = reporter.progress(4 * size, &tr(reporter.lang(), Msg::ProgressCanaries, &[]));
    let list = make_canaries_from_rows(
        key,
        policy,
        input_blake3,
        || split.row_source(),
        &mut |pass, progress| {
            bar.set_position(u64::from(pass - 1) * size + progress.bytes.min(size))
        },
    )
    .map_err(|e| said!(Msg::RfVerbatim, split.dir().display()).because(e))
    .input()?;
    bar.finish();
    state.store_canaries(lock, &list).server()?;
    Ok(list)
}
