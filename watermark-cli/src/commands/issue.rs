//! `watermark issue`: one pass over the extract writes every recipient's copy.

use std::path::PathBuf;

use anyhow::{bail, Context as _};
use serde::Serialize;
use watermark_app::{copy_path_as, now_rfc3339, receipt_path, Recovery, State};
use watermark_core::{validate_recipient_id, CanaryList, Embedder, Policy};
use watermark_formats::HashingWriter;
use watermark_log::{CodeRecord, IssueEntry};

use watermark_app::formats::{self, FileFormat};

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
    /// The copies' format; `None` for the input's.
    pub format: Option<FileFormat>,
    /// The witness list; `None` for STATE/witnesses.toml, if there is one.
    pub witnesses: Option<PathBuf>,
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
            format: a.format.map(FileFormat::from),
            witnesses: a.witnesses.witnesses,
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
    /// The log already held this very copy (same recipient, same BLAKE3),
    /// so it was not logged again.
    pub already_logged: bool,
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
    /// The input's format, told by its first bytes.
    pub input_format: FileFormat,
    /// The copies' format.
    pub format: FileFormat,
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
        if let Some(note) = formats::conversion_note(self.input_format, self.format) {
            s.push_str(&note);
            s.push('\n');
        }
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
                "  {:<20} {}  (slot {}, log entry {}{canaries}{})\n",
                c.recipient,
                c.file.display(),
                c.slot,
                c.log_index,
                if c.already_logged {
                    "; the same copy was logged before, not logged again"
                } else {
                    ""
                }
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
    // Before any slot is assigned: a state its witnesses show to be behind
    // (an older backup) or forked issues nothing.
    let witnessed = watermark_app::witnessing::before_issue(
        &state,
        &lock,
        settings.witnesses.as_deref(),
        printer,
    )?;
    let key = state.master_key()?;
    let policy_text = std::fs::read_to_string(&settings.policy)
        .with_context(|| format!("reading policy {}", settings.policy.display()))?;
    let policy = Policy::from_toml(&policy_text)
        .with_context(|| format!("{}", settings.policy.display()))?;
    let recipients = state.assign_slots(&settings.recipients)?;
    let input_format = FileFormat::detect(&settings.input)?;
    let format = settings.format.unwrap_or(input_format);

    if !settings.force {
        if let Some(existing) = recipients
            .iter()
            .map(|r| copy_path_as(&settings.out_dir, &r.id, format.extension()))
            .find(|p| p.exists())
        {
            bail!(
                "{} already exists; pass --force to replace it",
                existing.display()
            );
        }
    }
    // A copy in another format shares OUT/ID.receipt with this one, and
    // would be left beside a receipt that is not its own.
    for r in &recipients {
        if let Some(other) = watermark_app::COPY_EXTENSIONS
            .iter()
            .filter(|e| **e != format.extension())
            .map(|e| copy_path_as(&settings.out_dir, &r.id, e))
            .find(|p| p.exists())
        {
            bail!(
                "{} already exists, and {} is its receipt: issue the {} copies to another \
                 --out-dir, or move it away",
                other.display(),
                receipt_path(&settings.out_dir, &r.id).display(),
                format
            );
        }
    }

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
            input_format,
            printer,
        )?);
    }
    let embedder = builder.build()?;
    let (pending, temps) = state.begin_issue_as(
        &lock,
        &settings.out_dir,
        &recipients,
        settings.force,
        format.extension(),
    )?;
    let temps: Vec<_> = temps.into_iter().map(HashingWriter::new).collect();
    // On any error the temporary files are dropped, and so deleted, and the
    // journal with them: no half-written copy is left under any name.
    let (summary, input_blake3) = formats::issue_copies(
        &embedder,
        &settings.input,
        input_format,
        format,
        // The canary pass hashed the input already.
        embedder.canary_list().map(|l| l.input_blake3().to_owned()),
        pending.out_dir(),
        temps,
        printer,
    )?;
    if summary.rows == 0 {
        // Nothing is logged: a copy of no rows carries no mark, and a log
        // entry for one would say a recipient holds what they do not.
        anyhow::bail!(
            "{}: the extract has a header but no data rows: there is nothing to issue",
            settings.input.display()
        );
    }

    let time = now_rfc3339();
    // The list as kept in the state: the entries bind it from now on.
    let canary_list_blake3 = embedder
        .canary_list()
        .map(CanaryList::file_blake3)
        .unwrap_or_default();
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
                scheme: watermark_core::SCHEME_VERSION,
                time: time.clone(),
                recipient: r.id.clone(),
                slot: r.slot,
                input_blake3: input_blake3.clone(),
                input_rows: summary.rows,
                output_blake3: blake3,
                output_bytes: bytes,
                output_rows: summary.rows + canaries,
                canaries,
                canary_list_blake3: canary_list_blake3.clone(),
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
    let cosigned =
        watermark_app::witnessing::after_issue(witnessed, &state, &lock, &issued, printer)?;
    let log = state.log()?;
    Ok(Report {
        input: settings.input.clone(),
        input_blake3,
        input_format,
        format,
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
                file: copy_path_as(&settings.out_dir, &c.recipient, format.extension()),
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

/// The extract's canary list: the one kept in the state for this extract and
/// policy, or a new one, made and kept there (secret, beside the key).
#[allow(clippy::too_many_arguments)]
fn canaries_for(
    state: &State,
    lock: &watermark_app::StateLock,
    key: &watermark_core::MasterKey,
    policy: &Policy,
    policy_digest: &str,
    settings: &Settings,
    input_format: FileFormat,
    printer: Printer,
) -> anyhow::Result<CanaryList> {
    let (digest, _) = formats::blake3_file(&settings.input, printer)?;
    if let Some(list) = state.canaries(&state.log()?, &digest, policy_digest)? {
        return Ok(list);
    }
    // Three passes over the extract, shown as one bar.
    let list =
        formats::make_canaries_of(key, policy, &digest, &settings.input, input_format, printer)?;
    state.store_canaries(lock, &list)?;
    Ok(list)
}
