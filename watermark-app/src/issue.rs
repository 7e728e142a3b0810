//! The issue workflow: one pass over the extract writes every recipient's
//! copy, each logged (entry and signed checkpoint) before it gets its final
//! name, with its receipt beside it. `watermark issue` runs [`run`].
//!
//! Failures in what the caller gave (a recipient id, the policy, the
//! extract and its reading and marking, copies already in the output
//! directory) are [`Fault::Input`]; the state, its
//! lock, key, log, journal and witnesses are
//! [`Fault::Server`].

use std::path::PathBuf;

use anyhow::Context as _;
use serde::Serialize;
use watermark_core::{validate_recipient_id, CanaryList, Embedder, ErrorKind, Policy};
use watermark_formats::{HashingWriter, TextEncoding};
use watermark_log::{CodeRecord, IssueEntry};

use crate::error::{fail, Blame as _};
use crate::formats::{self, FileFormat};
use crate::messages::{count, tr, trn, Msg};
use crate::text::int;
use crate::{
    copy_path_as, now_rfc3339, receipt_path, witnessing, Error, Fault, Lang, Recovery, Reporter,
    Result, State, StateLock,
};
use watermark_text::{said, SaidContext as _};

/// What issuing needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The state directory.
    pub state: PathBuf,
    /// The marking policy (TOML).
    pub policy: PathBuf,
    /// The extract to copy: CSV, Parquet or Arrow IPC, told by its first
    /// bytes.
    pub input: PathBuf,
    /// The recipients' ids, one copy each.
    pub recipients: Vec<String>,
    /// Where the copies go, as OUT/ID.csv (or .parquet, .arrow, .arrows).
    pub out_dir: PathBuf,
    /// Replace copies that already exist in the output directory.
    pub force: bool,
    /// The copies' format; `None` for the input's.
    pub format: Option<FileFormat>,
    /// The witness list; `None` for STATE/witnesses.toml, if there is one.
    pub witnesses: Option<PathBuf>,
    /// The text encoding of a CSV extract, instead of telling it from its
    /// bytes; copies are written in the extract's encoding.
    pub encoding: Option<watermark_formats::TextEncoding>,
}

/// One copy written.
#[derive(Debug, Serialize)]
pub struct Copy {
    /// The recipient.
    pub recipient: String,
    /// The recipient's code slot.
    pub slot: u32,
    /// Canary rows in this copy.
    pub canaries: u64,
    /// The copy, under the output directory as the caller named it.
    pub file: PathBuf,
    /// The BLAKE3 of the copy's bytes, in hex.
    pub blake3: String,
    /// The copy's size in bytes.
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
    /// The log's origin.
    pub origin: String,
    /// Its number of entries, the copies' included.
    pub size: u64,
    /// Its latest signed checkpoint, with the witnesses' cosignatures when they cosigned it.
    pub checkpoint: String,
}

/// The result of issuing: what `watermark issue --json` prints.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The extract as the caller named it.
    pub input: PathBuf,
    /// The BLAKE3 of the extract's bytes, in hex.
    pub input_blake3: String,
    /// The input's format, told by its first bytes.
    pub input_format: FileFormat,
    /// The copies' format.
    pub format: FileFormat,
    /// Data rows in the extract.
    pub rows: u64,
    /// Slots marked in each copy.
    pub slots_marked_per_copy: u64,
    /// Canaries made for this extract (each copy holds about half).
    pub canaries_made: u64,
    /// The master key the copies were marked under.
    pub key_id: String,
    /// The policy the copies were marked under.
    pub policy_digest: String,
    /// The copies, in the order the recipients were given.
    pub copies: Vec<Copy>,
    /// Where the copies were logged.
    pub log: LogRef,
}

impl Report {
    /// The result for people: each copy, where it is and its log entry.
    pub fn to_text(&self) -> String {
        self.to_text_in(Lang::En)
    }

    /// [`Report::to_text`] in `lang`.
    pub fn to_text_in(&self, lang: Lang) -> String {
        let slots = if self.slots_marked_per_copy == 0 && self.canaries_made > 0 {
            tr(lang, Msg::SlotsCanaryOnly, &[])
        } else {
            tr(
                lang,
                Msg::SlotsEach,
                &[&count(lang, Msg::MarkedSlots, self.slots_marked_per_copy)],
            )
        };
        let mut s = trn(
            lang,
            Msg::IssuedHead,
            self.copies.len() as u64,
            &[
                &count(lang, Msg::Copies, self.copies.len() as u64),
                &self.input.display(),
                &count(lang, Msg::Rows, self.rows),
                &slots,
                &self.key_id,
                &self.policy_digest,
            ],
        );
        s.push('\n');
        if let Some(note) = formats::conversion_note(lang, self.input_format, self.format) {
            s.push_str(&note);
            s.push('\n');
        }
        if self.canaries_made > 0 {
            s.push_str(&trn(
                lang,
                Msg::CanariesMade,
                self.canaries_made,
                &[&int(self.canaries_made)],
            ));
            s.push('\n');
        }
        let width = self
            .copies
            .iter()
            .map(|c| c.recipient.chars().count())
            .max()
            .unwrap_or(0)
            .max(20);
        for c in &self.copies {
            let canaries = if self.canaries_made > 0 {
                format!(", {}", count(lang, Msg::CanaryRows, c.canaries))
            } else {
                String::new()
            };
            let again = if c.already_logged {
                tr(lang, Msg::AlreadyLogged, &[])
            } else {
                String::new()
            };
            s.push_str(&format!(
                "  {:<width$} {}  {}\n",
                c.recipient,
                c.file.display(),
                tr(
                    lang,
                    Msg::CopyLine,
                    &[&c.slot, &c.log_index, &canaries, &again]
                ),
            ));
        }
        s.push_str(&tr(
            lang,
            Msg::LoggedIn,
            &[&self.log.origin, &count(lang, Msg::Entries, self.log.size)],
        ));
        s.push('\n');
        s
    }
}

/// The recipients' slots, as the log assigns them now: an id named twice,
/// or differing only in case from another, is the caller's fault; the log
/// it is checked against is the server's.
pub(crate) fn assign_slots(
    state: &State,
    ids: &[String],
) -> Result<Vec<watermark_core::Recipient>> {
    state.assign_slots(ids).map_err(|e| {
        let fault = match e.kind() {
            ErrorKind::Policy(_) | ErrorKind::InvalidRecipient(_) => Fault::Input,
            _ => Fault::Server,
        };
        Error::new(fault, e)
    })
}

/// Reads and parses a policy file; its errors are the caller's.
pub(crate) fn read_policy(path: &std::path::Path) -> Result<Policy> {
    let text = std::fs::read_to_string(path)
        .said(|| said!(Msg::CtxReadingPolicy, path.display()))
        .input()?;
    Policy::from_toml(&text)
        .with_context(|| format!("{}", path.display()))
        .input()
}

/// Tells what an earlier, killed run left and what was done about it.
pub fn report_recovery(reporter: impl Reporter, rec: &Recovery) -> Result<()> {
    report_recovery_to(&reporter, rec).server()
}

fn report_recovery_to(reporter: &dyn Reporter, rec: &Recovery) -> std::io::Result<()> {
    let lang = reporter.lang();
    if let Some(u) = &rec.removed_from_log {
        reporter.notice(&u.notice(lang, Msg::NoteRemovedAppend))?;
    }
    for path in &rec.completed {
        reporter.notice(&tr(lang, Msg::NoteCompletedIssuance, &[&path.display()]))?;
    }
    if !rec.undone.is_empty() {
        reporter.notice(&tr(lang, Msg::NoteUndidIssuance, &[&rec.undone.join(", ")]))?;
    }
    for lost in &rec.lost {
        reporter.notice(&tr(
            lang,
            Msg::WarnLostCopy,
            &[&lost.index, &lost.recipient, &lost.path.display()],
        ))?;
    }
    if rec.partials_removed > 0 {
        reporter.notice(&tr(
            lang,
            Msg::NoteRemovedTemporaries,
            &[&rec.partials_removed],
        ))?;
    }
    Ok(())
}

/// Issues a copy of the extract to every recipient: completes or undoes
/// what a killed run left, checks the state with its witnesses, assigns
/// slots, writes the copies in one pass, logs them, and moves them into
/// place with their receipts. Holds the state's lock throughout.
pub fn run(settings: &Settings, reporter: impl Reporter) -> Result<Report> {
    let reporter: &dyn Reporter = &reporter;
    for id in &settings.recipients {
        validate_recipient_id(id).input()?;
    }
    let state = State::open(&settings.state).server()?;
    let lock = state.lock().server()?;
    let recovery = state.recover(&lock).server()?;
    report_recovery(reporter, &recovery)?;
    // Before any slot is assigned: a state its witnesses show to be behind
    // (an older backup) or forked issues nothing.
    let witnessed =
        witnessing::before_issue(&state, &lock, settings.witnesses.as_deref(), reporter)?;
    let key = state.master_key().server()?;
    let policy = read_policy(&settings.policy)?;
    // An id named twice, or differing only in case from another, is the
    // caller's; the log it is checked against is the server's.
    let recipients = assign_slots(&state, &settings.recipients)?;
    let input_format = FileFormat::detect(&settings.input)?;
    let format = settings.format.unwrap_or(input_format);
    // A CSV's text encoding, told by its bytes unless given: its copies are
    // written in it.
    let encoding = match (input_format, settings.encoding) {
        (FileFormat::Csv, Some(e)) => e,
        (FileFormat::Csv, None) => TextEncoding::detect(&settings.input)
            .with_context(|| settings.input.display().to_string())
            .input()?,
        _ => TextEncoding::Utf8,
    };

    if !settings.force {
        if let Some(existing) = recipients
            .iter()
            .map(|r| copy_path_as(&settings.out_dir, &r.id, format.extension()))
            .find(|p| p.exists())
        {
            fail!(Input, Msg::ExistsUseForce, existing.display());
        }
    }
    // A copy in another format shares OUT/ID.receipt with this one, and
    // would be left beside a receipt that is not its own.
    for r in &recipients {
        if let Some(other) = crate::COPY_EXTENSIONS
            .iter()
            .filter(|e| **e != format.extension())
            .map(|e| copy_path_as(&settings.out_dir, &r.id, e))
            .find(|p| p.exists())
        {
            fail!(
                Input,
                Msg::ExistsWithReceipt,
                other.display(),
                receipt_path(&settings.out_dir, &r.id).display(),
                format
            );
        }
    }

    let policy_digest = state.store_policy(&policy).server()?;
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
            encoding,
            reporter,
        )?);
    }
    let embedder = builder.build().input()?;
    let (pending, temps) = state
        .begin_issue_as(
            &lock,
            &settings.out_dir,
            &recipients,
            settings.force,
            format.extension(),
        )
        .server()?;
    let temps: Vec<_> = temps.into_iter().map(HashingWriter::new).collect();
    // On any error the temporary files are dropped, and so deleted, and the
    // journal with them: no half-written copy is left under any name.
    let (summary, input_blake3) = formats::issue_copies(
        &embedder,
        &settings.input,
        input_format,
        format,
        encoding,
        // The canary pass hashed the input already.
        embedder.canary_list().map(|l| l.input_blake3().to_owned()),
        pending.out_dir(),
        temps,
        reporter,
    )?;
    if summary.rows == 0 {
        // Nothing is logged: a copy of no rows carries no mark, and a log
        // entry for one would say a recipient holds what they do not.
        fail!(Input, Msg::NoDataRows, settings.input.display());
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
    let issued = pending.commit(copies).server()?;
    let cosigned = witnessing::after_issue(witnessed, &state, &lock, &issued, reporter)?;
    let log = state.log().server()?;
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
    lock: &StateLock,
    key: &watermark_core::MasterKey,
    policy: &Policy,
    policy_digest: &str,
    settings: &Settings,
    input_format: FileFormat,
    encoding: TextEncoding,
    reporter: &dyn Reporter,
) -> Result<CanaryList> {
    let (digest, _) = formats::blake3_file(&settings.input, reporter)?;
    if let Some(list) = state
        .canaries(&state.log().server()?, &digest, policy_digest)
        .server()?
    {
        return Ok(list);
    }
    // Three passes over the extract, shown as one bar.
    let list = formats::make_canaries_in(
        key,
        policy,
        &digest,
        &settings.input,
        input_format,
        encoding,
        reporter,
    )?;
    state.store_canaries(lock, &list).server()?;
    Ok(list)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::path::PathBuf;
    use std::sync::Arc;

    use super::*;
    use crate::issuance_log::Uncommitted;
    use crate::{hidden, LostCopy, ProgressSink};

    /// Keeps the notices, in its language.
    struct Kept(Lang, RefCell<Vec<String>>);

    impl Reporter for Kept {
        fn notice(&self, text: &str) -> std::io::Result<()> {
            self.1.borrow_mut().push(text.to_owned());
            Ok(())
        }
        fn progress(&self, _: u64, _: &str) -> Arc<dyn ProgressSink> {
            hidden()
        }
        fn lang(&self) -> Lang {
            self.0
        }
    }

    #[test]
    fn recovery_notices_are_in_the_reporters_language() {
        let rec = Recovery {
            removed_from_log: Some(Uncommitted {
                entry_bytes: 1_234,
                entry_lines: 1,
                checkpoint_bytes: 0,
            }),
            completed: vec![PathBuf::from("copias/PAN.csv")],
            undone: vec!["PRI".into(), "MC".into()],
            lost: vec![LostCopy {
                index: 7,
                recipient: "PT".into(),
                path: PathBuf::from("copias/PT.csv"),
            }],
            partials_removed: 2,
        };
        let notices = |lang| {
            let r = Kept(lang, RefCell::new(Vec::new()));
            report_recovery_to(&r, &rec).unwrap();
            r.1.into_inner()
        };
        let en = notices(Lang::En);
        assert_eq!(
            en[0],
            "note: removed an interrupted append from the log: 1,234 bytes after its last signed \
             entry (1 unsigned entry) and 0 bytes after its last checkpoint"
        );
        assert!(en[4].contains("removed 2 temporary file(s)"), "{en:?}");
        let es = notices(Lang::Es);
        assert_eq!(es.len(), 5);
        assert_eq!(
            es[0],
            "nota: se eliminó de la bitácora una escritura interrumpida: 1,234 bytes después de \
             su última entrada firmada (1 entrada sin firmar) y 0 bytes después de su último \
             punto de control"
        );
        assert!(es[1].contains("copias/PAN.csv está en su lugar con su recibo"));
        assert!(es[2].contains("PRI, MC"));
        assert!(es[3].starts_with("aviso: la entrada 7 de la bitácora"));
        for n in &es {
            let found = crate::messages::english_in(n, 3);
            assert!(found.is_empty(), "{n}: {found:?}");
        }
    }
}
