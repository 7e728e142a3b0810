//! `watermark issue`: one pass over the extract writes every recipient's copy.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use serde::Serialize;
use watermark_core::{
    issue_csv, now_rfc3339, validate_recipient_id, Embedder, HashingReader, HashingWriter,
    Issuance, Policy, State,
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
    pub file: PathBuf,
    pub blake3: String,
    pub bytes: u64,
}

/// The result of `issue`.
#[derive(Debug, Serialize)]
pub struct Report {
    pub input: PathBuf,
    pub input_blake3: String,
    pub rows: u64,
    pub slots_marked_per_copy: u64,
    pub key_id: String,
    pub policy_digest: String,
    pub copies: Vec<Copy>,
}

impl Report {
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "Issued {} cop{} of {} ({} rows, {} marked slots each; key {}, policy {}):\n",
            self.copies.len(),
            if self.copies.len() == 1 { "y" } else { "ies" },
            self.input.display(),
            self.rows,
            self.slots_marked_per_copy,
            self.key_id,
            self.policy_digest,
        );
        for c in &self.copies {
            s.push_str(&format!(
                "  {:<20} {}  (slot {})\n",
                c.recipient,
                c.file.display(),
                c.slot
            ));
        }
        s.push_str("Each issuance is recorded in the state's issuance record.\n");
        s
    }
}

pub fn run(settings: &Settings, printer: Printer) -> anyhow::Result<Report> {
    for id in &settings.recipients {
        validate_recipient_id(id)?;
    }
    let state = State::open(&settings.state)?;
    let _lock = state.lock()?;
    let key = state.master_key()?;
    let policy_text = std::fs::read_to_string(&settings.policy)
        .with_context(|| format!("reading policy {}", settings.policy.display()))?;
    let policy = Policy::from_toml(&policy_text)
        .with_context(|| format!("{}", settings.policy.display()))?;
    let recipients = state.assign_slots(&settings.recipients)?;

    std::fs::create_dir_all(&settings.out_dir)
        .with_context(|| format!("creating {}", settings.out_dir.display()))?;
    let finals: Vec<PathBuf> = recipients
        .iter()
        .map(|r| settings.out_dir.join(format!("{}.csv", r.id)))
        .collect();
    if !settings.force {
        if let Some(existing) = finals.iter().find(|p| p.exists()) {
            bail!(
                "{} already exists; pass --force to replace it",
                existing.display()
            );
        }
    }

    let embedder = Embedder::builder()
        .key(&key)
        .policy(&policy)
        .recipients(recipients.clone())
        .build()?;
    let file = File::open(&settings.input)
        .with_context(|| format!("opening {}", settings.input.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = printer.progress(size, "issuing");
    let mut input = HashingReader::new(bar.wrap_read(file));
    let mut temps = Vec::new();
    for r in &recipients {
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{}.csv.", r.id))
            .suffix(".partial")
            .tempfile_in(&settings.out_dir)
            .with_context(|| format!("creating a file in {}", settings.out_dir.display()))?;
        temps.push(HashingWriter::new(tmp));
    }
    // On any error the temporary files are dropped, and so deleted: no
    // half-written copy is left under any name.
    let summary = issue_csv(&embedder, &mut input, temps, &mut |_| {})
        .with_context(|| format!("{}", settings.input.display()))?;
    bar.finish_and_clear();
    let (input_blake3, _) = input.digest();

    let policy_digest = state.store_policy(&policy)?;
    let time = now_rfc3339();
    let mut copies = Vec::new();
    let mut records = Vec::new();
    for ((w, r), path) in summary.outputs.into_iter().zip(&recipients).zip(&finals) {
        let (blake3, bytes) = w.digest();
        let tmp = w.into_inner();
        tmp.as_file()
            .sync_all()
            .with_context(|| format!("writing {}", path.display()))?;
        persist(tmp, path, settings.force)?;
        records.push(Issuance {
            time: time.clone(),
            recipient: r.id.clone(),
            slot: r.slot,
            input_blake3: input_blake3.clone(),
            output_blake3: blake3.clone(),
            output_bytes: bytes,
            rows: summary.rows,
            slots_marked: summary.slots_marked,
            key_id: key.id().to_hex(),
            policy_digest: policy_digest.clone(),
            tool: concat!("watermark ", env!("CARGO_PKG_VERSION")).to_string(),
        });
        copies.push(Copy {
            recipient: r.id.clone(),
            slot: r.slot,
            file: path.clone(),
            blake3,
            bytes,
        });
    }
    state.record(&records)?;
    Ok(Report {
        input: settings.input.clone(),
        input_blake3,
        rows: summary.rows,
        slots_marked_per_copy: summary.slots_marked,
        key_id: key.id().to_hex(),
        policy_digest,
        copies,
    })
}

fn persist(tmp: tempfile::NamedTempFile, path: &Path, force: bool) -> anyhow::Result<()> {
    let result = if force {
        tmp.persist(path).map(|_| ())
    } else {
        tmp.persist_noclobber(path).map(|_| ())
    };
    result
        .map_err(|e| e.error)
        .with_context(|| format!("moving the copy into place at {}", path.display()))
}
