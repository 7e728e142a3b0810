//! `watermark issue`: one pass over the extract writes every recipient's copy.

use std::fs::File;
use std::path::PathBuf;

use anyhow::{bail, Context as _};
use serde::Serialize;
use watermark_core::{
    copy_path, issue_csv, make_canaries, now_rfc3339, receipt_path, validate_recipient_id,
    CanaryList, CodeRecord, Embedder, HashingReader, HashingWriter, IssueEntry, Policy, Recovery,
    State,
};

use crate::cli::IssueArgs;
use crate::output::Printer;

/// What `issue` needs, resolved from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    pub state: PathBuf,
    pub policy: PathBuf,
    pub input: PathBuf,
    pub recipients: Vec<String>,
    pub out_dir: PathBuf,
    pub force: bool,
}

impl From<IssueArgs> for Settings {
    fn from(a: IssueArgs) -> Self {
        Settings {
            state: a.state.state,
            policy: a.policy,
            input: a.input,
            recipients: a.to,
            out_dir: a.out_dir,
            force: a.force,
        }
    }
}

/// One copy written.
#[derive(Debug, Serialize)]
pub struct Copy {
    pub recipient: String,
    pub slot: u32,
    /// Canary rows in this copy.
    pub canaries: u64,
    pub file: PathBuf,
    pub blake3: String,
    pub bytes: u64,
    /// The copy's entry in the issuance log.
    pub log_index: u64,
    /// Its receipt: the entry, its inclusion proof and the signed checkpoint.
    pub receipt: PathBuf,
}

/// Where the copies were logged.
#[derive(Debug, Serialize)]
pub struct LogRef {
    pub origin: String,
    pub size: u64,
    pub checkpoint: String,
}

/// The result of `issue`.
#[derive(Debug, Serialize)]
pub struct Report {
    pub input: PathBuf,
    pub input_blake3: String,
    pub rows: u64,
    pub slots_marked_per_copy: u64,
    /// Canaries made for this extract (each copy holds about half).
    pub canaries_made: u64,
    pub key_id: String,
    pub policy_digest: String,
    pub copies: Vec<Copy>,
    pub log: LogRef,
}

impl Report {
    pub fn to_text(&self) -> String {
        let slots = if self.slots_marked_per_copy == 0 && self.canaries_made > 0 {
            "no carrier cells, canary rows only".to_string()
        } else {
            format!("{} marked slots each", self.slots_marked_per_copy)
        };
        let mut s = format!(
            "Issued {} cop{} of {} ({} rows, {slots}; key {}, policy {}):\n",
            self.copies.len(),
            if self.copies.len() == 1 { "y" } else { "ies" },
            self.input.display(),
            self.rows,
            self.key_id,
            self.policy_digest,
        );
        if self.canaries_made > 0 {
            s.push_str(&format!(
                "{} canary rows were made for this extract; each copy holds those its \
                 recipient's code selects.\n",
                self.canaries_made
            ));
        }
        for c in &self.copies {
            let canaries = if self.canaries_made > 0 {
                format!(", {} canary rows", c.canaries)
            } else {
                String::new()
            };
            s.push_str(&format!(
                "  {:<20} {}  (slot {}, log entry {}{canaries})\n",
                c.recipient,
                c.file.display(),
                c.slot,
                c.log_index
            ));
        }
        s.push_str(&format!(
            "Logged in {} (now {} entries, each with its signed checkpoint); \
             each copy's receipt is beside it as ID.receipt.\n",
            self.log.origin, self.log.size
        ));
        s
    }
}

/// Tells what an earlier, killed run left and what was done about it.
pub fn report_recovery(printer: Printer, rec: &Recovery) -> anyhow::Result<()> {
    if let Some(u) = &rec.removed_from_log {
        printer.notice(&format!(
            "note: removed an interrupted append from the log: {} byte(s) after its last signed \
             entry ({} unsigned entr{}) and {} after its last checkpoint",
            u.entry_bytes,
            u.entry_lines,
            if u.entry_lines == 1 { "y" } else { "ies" },
            u.checkpoint_bytes
        ))?;
    }
    for path in &rec.completed {
        printer.notice(&format!(
            "note: completed an interrupted issuance: {} is in place with its receipt",
            path.display()
        ))?;
    }
    if !rec.undone.is_empty() {
        printer.notice(&format!(
            "note: undid an interrupted issuance that was never logged (copies for {}): \
             its files were removed",
            rec.undone.join(", ")
        ))?;
    }
    for lost in &rec.lost {
        printer.notice(&format!(
            "warning: log entry {} says a copy was made for {}, but it never reached {} and its \
             temporary file is gone; issue it again (the same input gives the same bytes)",
            lost.index,
            lost.recipient,
            lost.path.display()
        ))?;
    }
    if rec.partials_removed > 0 {
        printer.notice(&format!(
            "note: removed {} temporary file(s) of an interrupted issuance",
            rec.partials_removed
        ))?;
    }
    Ok(())
}

pub fn run(settings: &Settings, printer: Printer) -> anyhow::Result<Report> {
    for id in &settings.recipients {
        validate_recipient_id(id)?;
    }
    let state = State::open(&settings.state)?;
    let lock = state.lock()?;
    let recovery = state.recover(&lock)?;
    report_recovery(printer, &recovery)?;
    let key = state.master_key()?;
    let policy_text = std::fs::read_to_string(&settings.policy)
        .with_context(|| format!("reading policy {}", settings.policy.display()))?;
    let policy = Policy::from_toml(&policy_text)
        .with_context(|| format!("{}", settings.policy.display()))?;
    let recipients = state.assign_slots(&settings.recipients)?;

    if !settings.force {
        if let Some(existing) = recipients
            .iter()
            .map(|r| copy_path(&settings.out_dir, &r.id))
            .find(|p| p.exists())
        {
            bail!(
                "{} already exists; pass --force to replace it",
                existing.display()
            );
        }
    }

    let file = File::open(&settings.input)
        .with_context(|| format!("opening {}", settings.input.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let policy_digest = state.store_policy(&policy)?;
    let mut builder = Embedder::builder()
        .key(&key)
        .policy(&policy)
        .recipients(recipients.clone());
    if policy.canaries.is_some() {
        builder = builder.canaries(canaries_for(
            &state,
            &lock,
            &key,
            &policy,
            &policy_digest,
            settings,
            size,
            printer,
        )?);
    }
    let embedder = builder.build()?;
    let (pending, temps) =
        state.begin_issue(&lock, &settings.out_dir, &recipients, settings.force)?;
    let bar = printer.progress(size, "issuing");
    let mut input = HashingReader::new(bar.wrap_read(file));
    let temps: Vec<_> = temps.into_iter().map(HashingWriter::new).collect();
    // On any error the temporary files are dropped, and so deleted, and the
    // journal with them: no half-written copy is left under any name.
    let summary = issue_csv(&embedder, &mut input, temps, &mut |_| {})
        .with_context(|| format!("{}", settings.input.display()))?;
    bar.finish_and_clear();
    let (input_blake3, _) = input.digest();

    let time = now_rfc3339();
    let key_id = key.id().to_hex();
    let code = CodeRecord::from(&policy.code);
    let mut copies = Vec::with_capacity(recipients.len());
    for ((w, r), &canaries) in summary
        .outputs
        .into_iter()
        .zip(&recipients)
        .zip(&summary.canaries)
    {
        let (blake3, bytes) = w.digest();
        copies.push((
            w.into_inner(),
            IssueEntry {
                time: time.clone(),
                recipient: r.id.clone(),
                slot: r.slot,
                input_blake3: input_blake3.clone(),
                input_rows: summary.rows,
                output_blake3: blake3,
                output_bytes: bytes,
                output_rows: summary.rows + canaries,
                canaries,
                slots_marked: summary.slots_marked,
                key_id: key_id.clone(),
                policy_digest: policy_digest.clone(),
                code: code.clone(),
                tool: concat!("watermark ", env!("CARGO_PKG_VERSION")).to_string(),
            },
        ));
    }
    let digests: Vec<(String, u64, u64)> = copies
        .iter()
        .map(|(_, e)| (e.output_blake3.clone(), e.output_bytes, e.canaries))
        .collect();
    let issued = pending.commit(copies)?;
    let log = state.log()?;
    Ok(Report {
        input: settings.input.clone(),
        input_blake3,
        rows: summary.rows,
        slots_marked_per_copy: summary.slots_marked,
        canaries_made: embedder.canary_list().map_or(0, |l| l.len() as u64),
        key_id,
        policy_digest,
        copies: issued
            .into_iter()
            .zip(digests)
            .map(|(c, (blake3, bytes, canaries))| Copy {
                recipient: c.recipient.clone(),
                slot: c.slot,
                canaries,
                // As the user named the directory; the journal used the
                // absolute path.
                file: copy_path(&settings.out_dir, &c.recipient),
                blake3,
                bytes,
                log_index: c.index,
                receipt: receipt_path(&settings.out_dir, &c.recipient),
            })
            .collect(),
        log: LogRef {
            origin: log.origin().to_owned(),
            size: log.size(),
            checkpoint: log.checkpoint().to_owned(),
        },
    })
}

/// The extract's canary list: the one kept in the state for this extract and
/// policy, or a new one, made and kept there (secret, beside the key).
#[allow(clippy::too_many_arguments)]
fn canaries_for(
    state: &State,
    lock: &watermark_core::StateLock,
    key: &watermark_core::MasterKey,
    policy: &Policy,
    policy_digest: &str,
    settings: &Settings,
    size: u64,
    printer: Printer,
) -> anyhow::Result<CanaryList> {
    let open = || {
        File::open(&settings.input).with_context(|| format!("opening {}", settings.input.display()))
    };
    let bar = printer.progress(size, "hashing");
    let mut reader = HashingReader::new(bar.wrap_read(open()?));
    std::io::copy(&mut reader, &mut std::io::sink())
        .with_context(|| format!("reading {}", settings.input.display()))?;
    bar.finish_and_clear();
    let (digest, _) = reader.digest();
    if let Some(list) = state.canaries(&digest, policy_digest)? {
        return Ok(list);
    }
    // Three passes over the extract, shown as one bar.
    let bar = printer.progress(3 * size, "making canaries");
    let list = make_canaries(
        key,
        policy,
        &digest,
        || File::open(&settings.input),
        &mut |pass, progress| bar.set_position(u64::from(pass - 1) * size + progress.bytes),
    )
    .with_context(|| format!("{}", settings.input.display()))?;
    bar.finish_and_clear();
    state.store_canaries(lock, &list)?;
    Ok(list)
}
