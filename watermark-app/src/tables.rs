//! Tables a program holds (a data frame, a query's result, a stream of
//! record batches) issued and verified like files, in the same state and
//! logged as `watermark issue` and `watermark verify` log them.
//!
//! A table is identified by its CSV form
//! ([`CsvForm`](watermark_formats::CsvForm)): the header, then every
//! row's cells in their text form, quoted only where needed, `\n` line
//! ends. Its digest, in the log and in reports, is the BLAKE3 of that form;
//! a table read from a plain CSV export (every column as text) has the
//! file's own digest, so its copies are the very copies `watermark issue`
//! makes of the file, canaries included, and their log entries name the
//! same digests.
//!
//! Failures are [`Fault::Input`](crate::Fault::Input) when they are the table's, the policy's or
//! the recipients'; the state, its lock, key, log and witnesses are
//! [`Fault::Server`](crate::Fault::Server).

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use watermark_core::{validate_recipient_id, MasterKey, Policy};
use watermark_formats::reexport::arrow_array::RecordBatch;
use watermark_formats::reexport::arrow_schema::SchemaRef;
use watermark_formats::split::{IssueOrder, OrderRecipient};
use watermark_formats::{
    BatchStream, ColumnarRows, CsvForm, Deliver, IssueOptions, IssueSummary, Part, TableCopy,
};
use watermark_log::{CodeRecord, Entry, IssueEntry, Receipt};

use crate::error::{fail, Blame as _};
use crate::issue::LogRef;
use crate::messages::Msg;
use crate::{now_rfc3339, witnessing, Reporter, Result, State, StateLock};
use watermark_text::{said, SaidContext as _};

/// A table to issue or verify: its schema, and its batches, read from the
/// start each time [`TableSource::open`] is called (issuing reads the
/// table up to five times when canaries must be made: its digest, three
/// passes for the canaries, then the copies).
pub trait TableSource {
    /// The table's schema.
    fn schema(&self) -> SchemaRef;
    /// The table's batches, from the first.
    fn open(&self) -> Result<BatchStream>;
    /// How reports and errors name the table (`pandas.DataFrame`, a path).
    fn name(&self) -> String;
}

/// A table in memory, as record batches that share the caller's buffers.
#[derive(Debug, Clone)]
pub struct InMemory {
    /// The table's schema.
    pub schema: SchemaRef,
    /// Its batches.
    pub batches: Vec<RecordBatch>,
    /// How reports and errors name it.
    pub name: String,
}

impl TableSource for InMemory {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn open(&self) -> Result<BatchStream> {
        Ok(Box::new(self.batches.clone().into_iter().map(Ok)))
    }

    fn name(&self) -> String {
        self.name.clone()
    }
}

/// What issuing a table needs.
#[derive(Debug, Clone)]
pub struct IssueSettings {
    /// The state directory.
    pub state: PathBuf,
    /// The marking policy (TOML).
    pub policy: PathBuf,
    /// The recipients' ids, one copy each.
    pub recipients: Vec<String>,
    /// The witness list; `None` for STATE/witnesses.toml, if there is one.
    pub witnesses: Option<PathBuf>,
}

/// One copy of a table, logged.
#[derive(Debug, Serialize)]
pub struct CopyReport {
    /// The recipient.
    pub recipient: String,
    /// The recipient's code slot.
    pub slot: u32,
    /// Canary rows in this copy.
    pub canaries: u64,
    /// Data rows in this copy (the table's and the canaries).
    pub rows: u64,
    /// The BLAKE3 of the copy's CSV form, in hex.
    pub blake3: String,
    /// The size of the copy's CSV form in bytes.
    pub bytes: u64,
    /// The copy's entry in the issuance log.
    pub log_index: u64,
    /// The log already held this very copy (same recipient, same digest),
    /// so it was not logged again.
    pub already_logged: bool,
    /// Its receipt: the entry, its inclusion proof and the signed checkpoint.
    pub receipt: Receipt,
}

/// The result of issuing a table.
#[derive(Debug, Serialize)]
pub struct IssueReport {
    /// The table, as the caller named it.
    pub table: String,
    /// The BLAKE3 of the table's CSV form, in hex.
    pub input_blake3: String,
    /// Data rows in the table.
    pub rows: u64,
    /// Slots marked in each copy.
    pub slots_marked_per_copy: u64,
    /// Canaries made for this table (each copy holds about half).
    pub canaries_made: u64,
    /// The master key the copies were marked under.
    pub key_id: String,
    /// The policy the copies were marked under.
    pub policy_digest: String,
    /// The copies, in the order the recipients were given.
    pub copies: Vec<CopyReport>,
    /// Where the copies were logged.
    pub log: LogRef,
}

/// An issuance of a table prepared in the state, to be marked elsewhere
/// (in the tasks of a Spark job, each on its rows) and logged by
/// [`commit`]: the work order (policy, recipients and slots, canary list
/// named, authorised under the master key; no secret) and what the table
/// was found to be.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Prepared {
    /// What marking needs but the key.
    pub order: IssueOrder,
    /// The table, as the caller named it.
    pub table: String,
    /// The BLAKE3 of the table's CSV form, in hex.
    pub input_blake3: String,
    /// Data rows in the table.
    pub input_rows: u64,
    /// The policy's digest.
    pub policy_digest: String,
    /// Canaries made for the table.
    pub canaries_made: u64,
}

/// A copy as marked, to be logged: its digest and rows (see [`TableCopy`]).
///
/// [`TableCopy`]: watermark_formats::TableCopy
#[derive(Debug, Clone)]
pub struct Marked {
    /// The BLAKE3 of the copy's CSV form, in hex.
    pub blake3: String,
    /// The size of the copy's CSV form in bytes.
    pub bytes: u64,
    /// The copy's data rows (the table's and the canaries).
    pub rows: u64,
}

/// Prepares in a locked state: slots, the table's digest and canaries, the
/// order authorised under the key.
fn prepare_locked(
    state: &State,
    lock: &StateLock,
    settings: &IssueSettings,
    table: &dyn TableSource,
) -> Result<Prepared> {
    let key = state.master_key().server()?;
    let policy = crate::issue::read_policy(&settings.policy)?;
    let recipients = crate::issue::assign_slots(state, &settings.recipients)?;
    let name = table.name();
    let schema = table.schema();
    let (input_blake3, _, input_rows) =
        watermark_formats::table_blake3(schema.clone(), table.open()?, &mut |_| {})
            .with_context(|| name.clone())
            .input()?;
    let policy_digest = state.store_policy(&policy).server()?;
    let mut canaries = None;
    if policy.canaries.is_some() {
        let log = state.log().server()?;
        canaries = Some(
            match state
                .canaries(&log, &input_blake3, &policy_digest)
                .server()?
            {
                Some(list) => list,
                None => {
                    let list = watermark_core::make_canaries_from_rows(
                        &key,
                        &policy,
                        &input_blake3,
                        || {
                            let batches = table.open().map_err(|e| {
                                watermark_core::Error::io(
                                    Msg::CfReadingTable,
                                    std::io::Error::other(e.message()),
                                )
                            })?;
                            Ok(ColumnarRows::from_batches(schema.clone(), batches))
                        },
                        &mut |_, _| {},
                    )
                    .with_context(|| name.clone())
                    .input()?;
                    state.store_canaries(lock, &list).server()?;
                    list
                }
            },
        );
    }
    let mut order = IssueOrder {
        key_id: key.id().to_hex(),
        policy: policy.to_toml(),
        recipients: recipients
            .iter()
            .map(|r| OrderRecipient {
                id: r.id.clone(),
                slot: r.slot,
                out_dir: PathBuf::new(),
            })
            .collect(),
        canaries: canaries.as_ref().map(|l| state.canary_list_file(l)),
        files: Vec::new(),
        authorization: String::new(),
    };
    order.authorize(&key);
    Ok(Prepared {
        order,
        table: name,
        input_blake3,
        input_rows,
        policy_digest,
        canaries_made: canaries.map_or(0, |l| l.len() as u64),
    })
}

/// Refuses a malformed recipient id before the state is locked or its
/// witnesses are asked.
fn check_ids(ids: &[String]) -> Result<()> {
    for id in ids {
        validate_recipient_id(id).input()?;
    }
    Ok(())
}

/// Opens and locks the state, completes or undoes what a killed run left,
/// and checks the state with its witnesses: what precedes issuing.
fn open_for_issue(
    state_dir: &Path,
    witnesses: Option<&Path>,
    reporter: &dyn Reporter,
) -> Result<(State, StateLock, Option<witnessing::BeforeIssue>)> {
    let state = State::open(state_dir).server()?;
    let lock = state.lock().server()?;
    let recovery = state.recover(&lock).server()?;
    crate::issue::report_recovery(reporter, &recovery)?;
    let witnessed = witnessing::before_issue(&state, &lock, witnesses, reporter)?;
    Ok((state, lock, witnessed))
}

/// Prepares an issuance of `table` (see [`Prepared`]): checks the state
/// with its witnesses, assigns slots, reads the table for its digest and
/// makes (or reuses) its canaries. Nothing is logged until [`commit`].
pub fn prepare(
    settings: &IssueSettings,
    table: &dyn TableSource,
    reporter: impl Reporter,
) -> Result<Prepared> {
    let reporter: &dyn Reporter = &reporter;
    check_ids(&settings.recipients)?;
    let (state, lock, _) =
        open_for_issue(&settings.state, settings.witnesses.as_deref(), reporter)?;
    prepare_locked(&state, &lock, settings, table)
}

/// Marks `batches` (rows `part.first_row...` of the prepared table, or the
/// whole table) for every recipient of the order, handing copy `r`'s
/// batches to `deliveries[r]`: refused unless `key` is the one the order
/// was authorised under.
pub fn mark<D: Deliver>(
    prepared: &Prepared,
    key: &MasterKey,
    schema: SchemaRef,
    batches: BatchStream,
    deliveries: Vec<D>,
    part: Option<Part>,
) -> Result<IssueSummary<TableCopy<D>>> {
    let embedder = prepared.order.embedder(key).server()?;
    watermark_formats::issue_table(
        &embedder,
        schema,
        batches,
        deliveries,
        IssueOptions::default(),
        part,
        &mut |_| {},
    )
    .with_context(|| prepared.table.clone())
    .input()
}

/// Checks that `copy`, handed to [`commit`] as the copy of the order's
/// recipient `recipient`, is not another recipient's: read as a leak
/// against the order's recipients, it must accuse none of the others. Two
/// copies swapped in a pipeline, or parts of two copies joined, would
/// otherwise be logged as held by someone whose marks they do not carry,
/// and a leak of them would accuse an innocent. Reads the whole copy.
pub fn check_copy(
    prepared: &Prepared,
    key: &MasterKey,
    recipient: usize,
    copy: &dyn TableSource,
) -> Result<()> {
    let order = &prepared.order;
    let policy = Policy::from_toml(&order.policy).server()?;
    let recipients = order
        .recipients
        .iter()
        .map(|r| watermark_core::Recipient::new(r.id.clone(), r.slot))
        .collect::<watermark_core::Result<Vec<_>>>()
        .server()?;
    let lists = match &order.canaries {
        Some(file) => vec![file.canary_list().server()?],
        None => Vec::new(),
    };
    let detector = watermark_core::Detector::builder()
        .key(key)
        .policy(&policy)
        .recipients(recipients)
        .canaries(&lists)
        .build()
        .server()?;
    let name = copy.name();
    let attribution = watermark_formats::verify_table(&detector, copy.schema(), copy.open()?)
        .with_context(|| name.clone())
        .input()?;
    let id = &order.recipients[recipient].id;
    let others: Vec<&str> = attribution
        .accused
        .iter()
        .map(|a| a.recipient.as_str())
        .filter(|a| a != id)
        .collect();
    if !others.is_empty() {
        fail!(
            Input,
            Msg::TbNotTheirCopy,
            prepared.table,
            id,
            others.join(", ")
        );
    }
    Ok(())
}

/// Logs the copies of a prepared issuance, marked elsewhere: refused if the
/// log has since given a recipient another slot, if a copy has fewer rows
/// than the table, or if the table had none. `slots_marked` is the slots
/// marked in each copy (summed over the parts).
pub fn commit(
    settings: &IssueSettings,
    prepared: &Prepared,
    copies: &[Marked],
    slots_marked: u64,
    reporter: impl Reporter,
) -> Result<IssueReport> {
    let reporter: &dyn Reporter = &reporter;
    let (state, lock, witnessed) =
        open_for_issue(&settings.state, settings.witnesses.as_deref(), reporter)?;
    let ids: Vec<String> = prepared
        .order
        .recipients
        .iter()
        .map(|r| r.id.clone())
        .collect();
    let now = crate::issue::assign_slots(&state, &ids)?;
    if now
        .iter()
        .zip(&prepared.order.recipients)
        .any(|(a, b)| a.slot != b.slot)
    {
        fail!(Server, Msg::TbSlotsChanged, prepared.table);
    }
    commit_locked(
        &state,
        &lock,
        witnessed,
        prepared,
        copies,
        slots_marked,
        reporter,
    )
}

#[allow(clippy::too_many_arguments)]
fn commit_locked(
    state: &State,
    lock: &StateLock,
    witnessed: Option<witnessing::BeforeIssue>,
    prepared: &Prepared,
    copies: &[Marked],
    slots_marked: u64,
    reporter: &dyn Reporter,
) -> Result<IssueReport> {
    let order = &prepared.order;
    if prepared.input_rows == 0 {
        fail!(Input, Msg::NoDataRows, prepared.table);
    }
    if copies.len() != order.recipients.len()
        || copies.iter().any(|c| {
            c.rows < prepared.input_rows || c.rows - prepared.input_rows > prepared.canaries_made
        })
    {
        fail!(
            Input,
            Msg::TbCopiesShort,
            prepared.table,
            prepared.input_rows,
            prepared.canaries_made
        );
    }
    let time = now_rfc3339();
    let policy = Policy::from_toml(&order.policy).server()?;
    let canary_list_blake3 = order
        .canaries
        .as_ref()
        .map(|c| c.blake3.clone())
        .unwrap_or_default();
    let code = CodeRecord::from(&policy.code);
    let log = state.log().server()?;
    let mut entries = Vec::new();
    let mut indexes = Vec::with_capacity(copies.len());
    for (copy, r) in copies.iter().zip(&order.recipients) {
        let entry = IssueEntry {
            scheme: watermark_core::SCHEME_VERSION,
            time: time.clone(),
            recipient: r.id.clone(),
            slot: r.slot,
            input_blake3: prepared.input_blake3.clone(),
            input_rows: prepared.input_rows,
            output_blake3: copy.blake3.clone(),
            output_bytes: copy.bytes,
            output_rows: copy.rows,
            canaries: copy.rows - prepared.input_rows,
            canary_list_blake3: canary_list_blake3.clone(),
            slots_marked,
            key_id: order.key_id.clone(),
            policy_digest: prepared.policy_digest.clone(),
            code: code.clone(),
            tool: concat!("watermark ", env!("CARGO_PKG_VERSION")).to_string(),
        };
        // A copy the log already holds for this recipient (the same table
        // issued again) keeps its entry, as a file's does.
        let logged = log
            .issues()
            .find(|(_, e)| e.recipient == entry.recipient && e.output_blake3 == entry.output_blake3)
            .map(|(i, _)| i);
        match logged {
            Some(i) => indexes.push((i, true)),
            None => {
                indexes.push((log.size() + entries.len() as u64, false));
                entries.push(Entry::Issue(entry));
            }
        }
    }
    if !entries.is_empty() {
        state.append(lock, &entries).server()?;
    }
    let cosigned = witnessing::after_issue(witnessed, state, lock, &[], reporter)?;
    let log = state.log().server()?;
    let mut reports = Vec::with_capacity(copies.len());
    for ((copy, r), (index, already_logged)) in copies.iter().zip(&order.recipients).zip(indexes) {
        reports.push(CopyReport {
            recipient: r.id.clone(),
            slot: r.slot,
            canaries: copy.rows - prepared.input_rows,
            rows: copy.rows,
            blake3: copy.blake3.clone(),
            bytes: copy.bytes,
            log_index: index,
            already_logged,
            receipt: log.receipt(index).server()?,
        });
    }
    Ok(IssueReport {
        table: prepared.table.clone(),
        input_blake3: prepared.input_blake3.clone(),
        rows: prepared.input_rows,
        slots_marked_per_copy: slots_marked,
        canaries_made: prepared.canaries_made,
        key_id: order.key_id.clone(),
        policy_digest: prepared.policy_digest.clone(),
        copies: reports,
        log: LogRef {
            origin: log.origin().to_owned(),
            size: log.size(),
            checkpoint: cosigned.unwrap_or_else(|| log.checkpoint().to_owned()),
        },
    })
}

/// Issues a copy of `table` to every recipient, as [`issue::run`] does a
/// file: completes or undoes what a killed run left, checks the state with
/// its witnesses, assigns slots, makes (or reuses) the table's canaries,
/// marks the copies in one pass, handing copy `r`'s batches to
/// `deliveries[r]`, and logs them. Nothing is logged unless every copy was
/// delivered whole. Holds the state's lock throughout.
///
/// [`issue::run`]: crate::issue::run
pub fn issue<D: Deliver>(
    settings: &IssueSettings,
    table: &dyn TableSource,
    deliveries: Vec<D>,
    reporter: impl Reporter,
) -> Result<(IssueReport, Vec<D>)> {
    let reporter: &dyn Reporter = &reporter;
    check_ids(&settings.recipients)?;
    assert_eq!(
        deliveries.len(),
        settings.recipients.len(),
        "one delivery per recipient"
    );
    let (state, lock, witnessed) =
        open_for_issue(&settings.state, settings.witnesses.as_deref(), reporter)?;
    let prepared = prepare_locked(&state, &lock, settings, table)?;
    let key = state.master_key().server()?;
    let summary = mark(
        &prepared,
        &key,
        table.schema(),
        table.open()?,
        deliveries,
        None,
    )?;
    if summary.rows != prepared.input_rows {
        fail!(Input, Msg::TbChanged, prepared.table);
    }
    let marked: Vec<Marked> = summary
        .outputs
        .iter()
        .map(|c| Marked {
            blake3: c.blake3.clone(),
            bytes: c.bytes,
            rows: c.rows,
        })
        .collect();
    let report = commit_locked(
        &state,
        &lock,
        witnessed,
        &prepared,
        &marked,
        summary.slots_marked,
        reporter,
    )?;
    Ok((
        report,
        summary.outputs.into_iter().map(|c| c.delivered).collect(),
    ))
}

/// Writes a table's CSV form to `out`; returns its data rows.
pub fn write_csv_form(table: &dyn TableSource, out: impl std::io::Write) -> Result<u64> {
    let header = table
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let name = table.name();
    let mut form = CsvForm::new(header, out).input()?;
    for batch in table.open()? {
        let batch = batch
            .map_err(|e| watermark_core::Error::io(Msg::CfReadingTable, std::io::Error::other(e)))
            .with_context(|| name.clone())
            .input()?;
        form.write(&batch).with_context(|| name.clone()).input()?;
    }
    let rows = form.rows();
    let mut out = form.finish().input()?;
    out.flush().said(|| said!(Msg::CtxWriting, name)).input()?;
    Ok(rows)
}

/// The digest of a table: the BLAKE3 of its CSV form, in hex.
pub fn digest(table: &dyn TableSource) -> Result<String> {
    digest_of(table).map(|(d, _, _)| d)
}

/// The BLAKE3 of a table's CSV form (hex), the form's size in bytes, and
/// the table's data rows.
pub fn digest_of(table: &dyn TableSource) -> Result<(String, u64, u64)> {
    let name = table.name();
    watermark_formats::table_blake3(table.schema(), table.open()?, &mut |_| {})
        .with_context(|| name)
        .input()
}

/// What verifying a table needs: the settings of
/// [`verify::run`](crate::verify::run) but the leak.
#[derive(Debug, Clone)]
pub struct VerifySettings {
    /// The state directory.
    pub state: PathBuf,
    /// Accuse only below this bound instead of the policy's threshold.
    pub threshold: Option<f64>,
    /// Who is verifying, for the log.
    pub investigator: String,
    /// The master extract, to match rows of a leak without identity columns.
    pub master: Option<PathBuf>,
    /// The witness list; `None` for STATE/witnesses.toml, if there is one.
    pub witnesses: Option<PathBuf>,
}

/// Verifies a leaked table as `watermark verify` verifies a file: the table
/// is read in its CSV form (written to an unnamed temporary file, so the
/// leak's digest is its CSV form's), attributed, logged under the
/// investigator's name, with the witnesses' round trips. The report names
/// the table as the caller did, and says how to repeat the verification
/// from its CSV form.
pub fn verify(
    settings: &VerifySettings,
    table: &dyn TableSource,
    reporter: impl Reporter,
) -> Result<crate::verify::Report> {
    let state = State::open(&settings.state).server()?;
    let mut spooled = tempfile::NamedTempFile::new()
        .said(|| said!(Msg::CtxStdinTemp))
        .server()?;
    write_csv_form(table, std::io::BufWriter::new(spooled.as_file_mut()))?;
    let file_settings = crate::verify::Settings {
        state: settings.state.clone(),
        leaked: spooled.path().to_path_buf(),
        threshold: settings.threshold,
        investigator: settings.investigator.clone(),
        master: settings.master.clone(),
        encoding: None,
    };
    let mut report = witnessing::verify(
        &state,
        &file_settings,
        settings.witnesses.as_deref(),
        reporter,
    )?;
    let name = table.name();
    report.recheck = format!(
        "watermark verify --state STATE LEAK.csv{} --json, where LEAK.csv is the {name} \
         written by watermark.write_csv (BLAKE3 {})",
        settings
            .master
            .as_deref()
            .map(|m| format!(" --master {}", m.display()))
            .unwrap_or_default(),
        report.leak.blake3
    );
    report.leak.file = PathBuf::from(name);
    Ok(report)
}

/// Suggests a marking policy for a table, as `watermark policy suggest`
/// does for a file: reads up to `rows` rows. Returns the policy as
/// commented TOML.
pub fn suggest_policy(
    table: &dyn TableSource,
    rows: usize,
    identity: Option<&[String]>,
    canary_rate: Option<f64>,
) -> Result<String> {
    let name = table.name();
    let input = ColumnarRows::from_batches(table.schema(), table.open()?);
    let suggestion = watermark_core::suggest_from_rows(input, rows, identity, canary_rate)
        .with_context(|| name)
        .input()?;
    Ok(suggestion.to_commented_toml())
}
