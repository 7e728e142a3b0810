//! The verify workflow: attribute a leaked file to the recipient(s) whose
//! copy it came from, record the verification in the issuance log, and
//! prove the accused's copies against the checkpoint that follows it.
//! `watermark verify` and the verify service both run [`run`]; the
//! [`Report`] is what `watermark verify --json` prints and the service
//! answers, and what the evidence [`report`](crate::report) renders.
//!
//! Failures in the leak or the master extract (they cannot be opened or
//! read, are malformed, lack the columns the copies were marked in, or
//! match no policy), the threshold and the investigator's name are
//! [`Fault::Input`]; the state, its key, policies,
//! canary lists and log are [`Fault::Server`].

use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use serde::Serialize;
use watermark_core::{
    verify_rows_with_master, Attribution, ColumnCount, Detector, Error, ErrorKind, ExtraRows,
    MasterError, MasterMatch, RecipientScore,
};
use watermark_formats::split::{DetectorSpec, SpecRecipient, SplitExtract};
use watermark_formats::{HashingReader, Reading, ReceiveOptions, TextEncoding};
use watermark_log::{hash_hex, AccusedRecord, Entry, Receipt, VerifyEntry};

use crate::error::{fail, Blame as _};
use crate::formats::VerifyFile;
use crate::messages::{count, tr, trn, Msg};
use crate::text::{bound, decimal, describe_score, int, score_bound, score_odds, wrap};
use crate::{hidden, now_rfc3339, Fault, Lang, Reporter, Result, State};
use watermark_text::{said, SaidContext as _};

/// What a verification needs: the state, the leak, and who verifies.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The state directory.
    pub state: PathBuf,
    /// The leaked file, told by its bytes: CSV or TSV in any common text
    /// encoding, JSON, NDJSON, Parquet, Arrow IPC, a workbook or a zip
    /// archive of them, any of them compressed; `-` for standard input.
    pub leaked: PathBuf,
    /// Accuse only below this bound instead of the policy's threshold.
    pub threshold: Option<f64>,
    /// Who is verifying, for the log.
    pub investigator: String,
    /// The master extract, to match rows of a leak without identity columns.
    pub master: Option<PathBuf>,
    /// The text encoding of the leak's text, instead of telling it from
    /// its bytes.
    pub encoding: Option<TextEncoding>,
}

/// The log entries of one accused recipient's copies.
#[derive(Debug, Serialize)]
pub struct AccusedCopies {
    /// The accused recipient.
    pub recipient: String,
    /// A receipt per copy issued to them: entry, inclusion proof, checkpoint.
    pub copies: Vec<Receipt>,
}

/// Where this verification and the accused's copies stand in the log.
#[derive(Debug, Serialize)]
pub struct LogSection {
    /// The log's origin (its name).
    pub origin: String,
    /// The log's public key (`NAME+ID+BASE64`).
    pub public_key: String,
    /// The number of entries in the log, this verification's included.
    pub size: u64,
    /// The log's root hash at that size, in hex.
    pub root: String,
    /// The latest signed checkpoint, which every proof below leads to.
    pub checkpoint: String,
    /// This verification's own entry.
    pub verification: Receipt,
    /// The accused's copies, in the order they are accused.
    pub accused: Vec<AccusedCopies>,
}

/// The leaked file, identified.
#[derive(Debug, Serialize)]
pub struct Leak {
    /// The file as the caller named it.
    pub file: PathBuf,
    /// The BLAKE3 of the file's bytes, in hex.
    pub blake3: String,
    /// The file's size in bytes.
    pub bytes: u64,
    /// What it was read as: its format and text encoding, the archive
    /// members or sheets read and skipped.
    #[serde(flatten)]
    pub read: Reading,
}

/// The master extract the leak's rows were matched to (`--master`).
#[derive(Debug, Serialize)]
pub struct MasterSection {
    /// The master extract as the caller named it.
    pub file: PathBuf,
    /// The BLAKE3 of the master extract's bytes, in hex.
    pub blake3: String,
    /// Whether rows were matched to it: false when the file has the
    /// identity columns, and then the counts are 0.
    pub used: bool,
    /// Rows of the leak matched to one row of the master, and so used.
    pub rows_matched: u64,
    /// Rows that matched no row of the master: not used.
    pub rows_unmatched: u64,
    /// Rows that matched rows of different people: not used.
    pub rows_ambiguous: u64,
    /// The file's columns the rows were matched on.
    pub columns: Vec<String>,
}

/// Whether the error is a missing identity column.
fn lacks_identity(e: &Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::MissingColumn {
            role: "identity",
            ..
        }
    )
}

/// A matching error, naming the file it was found in.
fn master_error(e: MasterError, leaked: &Path, master: &Path) -> crate::Error {
    match e {
        MasterError::Leak(e) => {
            crate::Error::input(anyhow::Error::new(e).context(leaked.display().to_string()))
        }
        MasterError::Master(e) => {
            crate::Error::input(anyhow::Error::new(e).context(master.display().to_string()))
        }
        other => crate::Error::input(anyhow::Error::new(other).context(said!(
            Msg::CtxMatching,
            leaked.display(),
            master.display()
        ))),
    }
}

/// The BLAKE3 digest of a file the caller named.
fn blake3_of(path: &Path) -> Result<String> {
    let file = File::open(path)
        .said(|| said!(Msg::CtxOpening, path.display()))
        .input()?;
    let mut input = HashingReader::new(file);
    std::io::copy(&mut input, &mut std::io::sink())
        .said(|| said!(Msg::CtxReading, path.display()))
        .input()?;
    Ok(input.digest().0)
}

/// Standard input, copied to an unnamed temporary file.
fn spool_stdin() -> Result<tempfile::NamedTempFile> {
    let mut spooled = tempfile::NamedTempFile::new()
        .said(|| said!(Msg::CtxStdinTemp))
        .server()?;
    std::io::copy(&mut std::io::stdin().lock(), spooled.as_file_mut())
        .said(|| said!(Msg::CtxReadingStdin))
        .input()?;
    Ok(spooled)
}

/// Copies that could not be compared with the file, and why.
#[derive(Debug, Serialize)]
pub struct NotCompared {
    /// The key the copies were marked under.
    pub key_id: String,
    /// The policy the copies were marked under.
    pub policy_digest: String,
    /// The recipients of those copies.
    pub recipients: Vec<String>,
    /// Why the file could not be read under that policy.
    pub reason: String,
    /// The error that says why, to write in the reader's language.
    #[serde(skip)]
    pub cause: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

/// Recipients marked under one key and policy.
#[derive(Debug, Serialize)]
pub struct Group {
    /// The key the copies were marked under.
    pub key_id: String,
    /// The policy the copies were marked under.
    pub policy_digest: String,
    /// How many recipients hold copies under them.
    pub recipients: usize,
    /// Distinct marked positions read from the file under this policy.
    pub positions_read: u64,
    /// Those positions, by the column (or the canary rows) they were read in.
    pub positions_by_column: Vec<ColumnCount>,
    /// The policy's carrier columns the file lacks.
    pub columns_missing: Vec<String>,
}

/// The method, as the report says it.
const METHOD: &str = "Each copy hides one bit per marked slot (equivalent address spellings, \
the last decimal of amounts), drawn for each recipient from a keyed Tardos fingerprinting code. \
Every recipient is scored on the distinct marked slots found in the leak: a symmetric Tardos \
score (robust to collusion), a single-leaker likelihood ratio, minority-vote likelihood ratios \
for coalitions of 3 and 5, and a per-row mixture score that tolerates rows from elsewhere, over \
all the evidence; and each evidence group (each carrier \
column, the canary rows) alone and with every mark flipped, so that noise in one group or a \
complemented column cannot hide the leaker. For a recipient who did not leak, each slot's \
contribution is independent with a known distribution whatever the leaker did, so a Chernoff \
bound gives the chance of scoring as high. Each score has a fixed share of the budget, and the \
reported bound is the smallest of its bounds divided by its share, times the number of \
recipients: a union bound over every recipient and every score tried. Repeated rows count once. Canary rows (synthetic people, each in the \
copies whose bit is 1) found in the leak read as 1; canaries the leak lacks are not read, since \
which canaries a sample keeps says nothing about innocent recipients. A carrier column the leak \
writes in one spelling throughout was normalised by the leaker and is left out.";

/// How many rows' identity values read as the policy's identifier.
#[derive(Debug, Serialize)]
pub struct IdentifierCheck {
    /// The kind of identifier the policy says the identity column holds.
    pub kind: watermark_core::IdentifierKind,
    /// Rows whose identity value is a valid one.
    pub rows_valid: u64,
    /// Fewer than half the rows read have a valid identifier: the identity
    /// column was altered, or is not the one the copies were issued with.
    pub warning: bool,
}

/// The result of a verification: what `watermark verify --json` prints
/// and the verify service answers, field for field.
#[derive(Debug, Serialize)]
pub struct Report {
    /// The tool and version that verified.
    pub tool: &'static str,
    /// The leaked file.
    pub leak: Leak,
    /// The master extract, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master: Option<MasterSection>,
    /// Data rows read from the file.
    pub rows_read: u64,
    /// Rows that carried marks (the most under any one policy).
    pub rows_used: u64,
    /// Rows without an identity value (with a master extract: matched to none).
    pub rows_without_identity: u64,
    /// The registry identifier the identity column holds, and how many rows
    /// have a valid one once read by its structure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<IdentifierCheck>,
    /// Distinct marked positions read, over every policy.
    pub positions_read: u64,
    /// Canary rows found (each one position, counted in `positions_read`).
    pub canaries_found: u64,
    /// Canaries known for the copies compared.
    pub canaries_known: u64,
    /// Carrier columns left out: the file writes them in one spelling
    /// throughout, so the leaker normalised them.
    pub columns_normalised: Vec<String>,
    /// Positions the file holds more than once, counted once.
    pub repeated_positions: u64,
    /// Of those, positions whose repeats disagree: copies were mixed.
    pub conflicting_positions: u64,
    /// A recipient is accused when their bound is at most this.
    pub threshold: f64,
    /// Recipients compared: the bound's union factor.
    pub comparisons: u64,
    /// Scores tried for each recipient (each with its share of the budget).
    pub scores_per_recipient: u32,
    /// The recipients accused, most strongly first.
    pub accused: Vec<RecipientScore>,
    /// Every recipient compared, most strongly matching first.
    pub recipients: Vec<RecipientScore>,
    /// The recipients compared, by the key and policy their copies were marked under.
    pub groups: Vec<Group>,
    /// Groups of copies made under a policy whose identity columns the file
    /// lacks: their recipients could not be scored (they still count in the
    /// bound's union factor).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_compared: Vec<NotCompared>,
    /// How the scores and the bound are computed, in words.
    pub method: &'static str,
    /// The command that repeats this verification.
    pub recheck: String,
    /// This verification's log entry, and the accused's copies' entries, with their proofs.
    pub log: LogSection,
}

/// Attributes the leak, records the verification in the log (its digest,
/// counts and result under the investigator's name, nothing of its
/// content), and proves the accused's copies. Takes the state's lock only
/// to append.
pub fn run(settings: &Settings, reporter: impl Reporter) -> Result<Report> {
    let state = State::open(&settings.state).server()?;
    run_in(&state, settings, reporter)
}

/// [`run`] in a state already open (`settings.state` names it, for
/// messages): a program that verifies often keeps its [`State`], whose log
/// is then verified only as far as it grew since the last time.
pub fn run_in(state: &State, settings: &Settings, reporter: impl Reporter) -> Result<Report> {
    let reporter: &dyn Reporter = &reporter;
    check_investigator(&settings.investigator)?;
    let key = state.master_key().server()?;
    let (groups, attribution_log) = state.recipient_groups().server()?;
    if groups.is_empty() {
        fail!(Server, Msg::NoCopiesYet, settings.state.display());
    }
    let comparisons: u64 = groups.values().map(|g| g.len() as u64).sum();
    // Standard input is spooled to an unnamed temporary file (hashed as
    // it is, by the same pass as any file), then read like any file.
    let spooled;
    let leaked: &Path = if settings.leaked.as_os_str() == "-" {
        spooled = spool_stdin()?;
        spooled.path()
    } else {
        &settings.leaked
    };
    // The policies' columns, and the extracts' headers (from their canary
    // lists), to pick a workbook's sheets and read a table without its header.
    let mut options = ReceiveOptions {
        encoding: settings.encoding,
        ..ReceiveOptions::default()
    };
    for (_, digest) in groups.keys() {
        let policy = state.policy(digest).server()?;
        for c in &policy.identity {
            if !options.identity.contains(c) {
                options.identity.push(c.clone());
            }
        }
        for c in policy
            .identity
            .iter()
            .chain(policy.carriers.iter().map(|c| &c.column))
        {
            if !options.columns.contains(c) {
                options.columns.push(c.clone());
            }
        }
        for list in state.canary_lists(&attribution_log, digest).server()? {
            let header = list.header().to_vec();
            if !header.is_empty() && !options.known_headers.contains(&header) {
                options.known_headers.push(header);
            }
        }
    }
    // Told by its bytes: see `VerifyFile`.
    let leak_source = VerifyFile::with_options(leaked, &options, reporter)?;
    let master_source = match &settings.master {
        Some(m) => Some(VerifyFile::with_options(
            m,
            &ReceiveOptions {
                encoding: None,
                ..options.clone()
            },
            reporter,
        )?),
        None => None,
    };
    let mut attributions: Vec<Attribution> = Vec::new();
    let mut leak = None;
    let mut compared = Groups::new();
    let mut not_compared = Vec::new();
    // The first group's match to the master that was used, and the master's
    // digest if a match read it all.
    let mut matched: Option<MasterMatch> = None;
    let mut master_blake3: Option<String> = None;
    for ((key_id, digest), recipients) in &groups {
        check_key_held(key_id, &key, settings)?;
        let policy = state.policy(digest).server()?;
        let canary_lists = state.canary_lists(&attribution_log, digest).server()?;
        let mut builder = Detector::builder()
            .key(&key)
            .policy(&policy)
            .recipients(recipients.iter().cloned())
            .canaries(&canary_lists)
            .comparisons(comparisons);
        if let Some(t) = settings.threshold {
            builder = builder.threshold(t);
        }
        // A threshold given out of range is the caller's; anything else
        // the builder refuses is the state's (its policy, its canaries).
        let fault = match settings.threshold {
            Some(t) if !(t > 0.0 && t < 1.0) => Fault::Input,
            _ => Fault::Server,
        };
        let detector = builder.build().map_err(|e| crate::Error::new(fault, e))?;
        let file = File::open(leaked)
            .said(|| said!(Msg::CtxOpening, settings.leaked.display()))
            .input()?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        // Copies made under another policy whose identity columns this file
        // (or the master extract) lacks cannot be compared; the others still
        // can. This is why, when it is.
        let mut skip: Option<Arc<dyn std::error::Error + Send + Sync>> = None;
        let mut input;
        let attribution = match &settings.master {
            None => {
                let bar =
                    reporter.progress(size, &tr(reporter.lang(), Msg::ProgressVerifying, &[]));
                input = leak_source
                    .open(file, &bar)
                    .with_context(|| settings.leaked.display().to_string())
                    .input()?;
                let result = input.verify(&detector);
                bar.finish();
                match result {
                    Ok(a) => Some(a),
                    Err(e) if groups.len() > 1 && lacks_identity(&e) => {
                        skip = Some(Arc::new(e));
                        None
                    }
                    Err(e) if lacks_identity(&e) => {
                        return Err(crate::Error::input(
                            said!(Msg::NeedsMaster, settings.leaked.display()).because(e),
                        ));
                    }
                    Err(e) => {
                        return Err(crate::Error::input(
                            anyhow::Error::new(e).context(format!("{}", settings.leaked.display())),
                        ))
                    }
                }
            }
            Some(master) => {
                let master_file = File::open(master)
                    .said(|| said!(Msg::CtxOpening, master.display()))
                    .input()?;
                let master_size = master_file.metadata().map(|m| m.len()).unwrap_or(0);
                let bar = reporter.progress(
                    master_size,
                    &tr(reporter.lang(), Msg::ProgressMatching, &[]),
                );
                input = leak_source
                    .open_rows(file, &hidden())
                    .with_context(|| settings.leaked.display().to_string())
                    .input()?;
                // Opened only if the file lacks the identity columns.
                let mut master_input = None;
                let open_master = || {
                    let rows = master_source
                        .as_ref()
                        .expect("opened with --master")
                        .open_rows(master_file, &bar)?;
                    Ok(master_input.insert(rows))
                };
                // The copies' canary rows are rows of the master too.
                let extra: Vec<ExtraRows> = canary_lists
                    .iter()
                    .map(|l| ExtraRows {
                        header: l.header().to_vec(),
                        rows: l.rows().map(<[String]>::to_vec).collect(),
                    })
                    .collect();
                let result = verify_rows_with_master(
                    &detector,
                    &mut input,
                    open_master,
                    &extra,
                    &mut |_| {},
                );
                bar.finish();
                match result {
                    Ok((a, m)) => {
                        if let Some((blake3, bytes)) = master_input.as_ref().map(|i| i.digest()) {
                            if m.used && bytes == master_size {
                                master_blake3.get_or_insert(blake3);
                            }
                        }
                        // The first group's, or the first that matched rows.
                        if matched.as_ref().is_none_or(|found| !found.used && m.used) {
                            matched = Some(m);
                        }
                        Some(a)
                    }
                    Err(MasterError::Master(e)) if groups.len() > 1 && lacks_identity(&e) => {
                        skip = Some(Arc::new(
                            said!(Msg::RfVerbatim, master.display()).because(e),
                        ));
                        None
                    }
                    Err(e @ MasterError::NoSharedColumn { .. }) if groups.len() > 1 => {
                        skip = Some(Arc::new(e));
                        None
                    }
                    Err(e) => return Err(master_error(e, &settings.leaked, master)),
                }
            }
        };
        let Some(attribution) = attribution else {
            not_compared.push(NotCompared {
                key_id: key_id.clone(),
                policy_digest: digest.clone(),
                recipients: recipients.iter().map(|r| r.id.clone()).collect(),
                reason: skip.as_ref().map(ToString::to_string).unwrap_or_default(),
                cause: skip,
            });
            continue;
        };
        compared.insert((key_id.clone(), digest.clone()), recipients.clone());
        let (blake3, bytes) = input.digest();
        leak = Some(Leak {
            file: settings.leaked.clone(),
            blake3,
            bytes,
            read: leak_source.reading().clone(),
        });
        attributions.push(attribution);
    }
    conclude(
        state,
        settings,
        reporter,
        Attributed {
            attributions,
            compared,
            not_compared,
            leak,
            comparisons,
        },
        || {
            Ok(match &settings.master {
                None => None,
                Some(file) => {
                    let m = matched.unwrap_or_default();
                    Some(MasterSection {
                        file: file.clone(),
                        blake3: match master_blake3 {
                            Some(b) => b,
                            None => blake3_of(file)?,
                        },
                        used: m.used,
                        rows_matched: m.rows_matched,
                        rows_unmatched: m.rows_unmatched,
                        rows_ambiguous: m.rows_ambiguous,
                        columns: m.columns,
                    })
                }
            })
        },
    )
}

/// What the comparisons of a leak gave, before they are concluded.
struct Attributed {
    /// One attribution per group compared.
    attributions: Vec<Attribution>,
    /// The groups compared, in the order of `attributions`.
    compared: Groups,
    /// The groups not compared, and why.
    not_compared: Vec<NotCompared>,
    /// The leak, once read.
    leak: Option<Leak>,
    /// Recipients compared, over every group.
    comparisons: u64,
}

/// Turns the attributions into the report, and records the verification in
/// the log; `master` gives the report's master section once the leak is
/// known to have been compared.
fn conclude(
    state: &State,
    settings: &Settings,
    reporter: &dyn Reporter,
    attributed: Attributed,
    master: impl FnOnce() -> Result<Option<MasterSection>>,
) -> Result<Report> {
    let Attributed {
        attributions,
        compared,
        not_compared,
        leak,
        comparisons,
    } = attributed;
    let Some(first) = attributions.first() else {
        let msg = match settings.master {
            None => Msg::NoPolicyReadsNeedsMaster,
            Some(_) => Msg::NoPolicyReads,
        };
        let lang = reporter.lang();
        let reasons: Vec<String> = not_compared
            .iter()
            .map(|n| match &n.cause {
                Some(c) => crate::text::error_in(lang, c.as_ref()),
                None => n.reason.clone(),
            })
            .collect();
        return Err(crate::Error::input(said!(
            msg,
            settings.leaked.display(),
            reasons.join("; ")
        )));
    };
    let master = master()?;
    let groups = compared;
    let mut recipients: Vec<RecipientScore> = attributions
        .iter()
        .flat_map(|a| a.recipients.iter().cloned())
        .collect();
    recipients.sort_by(|a, b| {
        a.false_accusation_bound_log10
            .total_cmp(&b.false_accusation_bound_log10)
            .then(b.score.total_cmp(&a.score))
    });
    let accused: Vec<RecipientScore> = recipients.iter().filter(|r| r.accused).cloned().collect();
    let leak = leak.expect("at least one group");
    let log = record(
        state,
        settings,
        reporter,
        &Outcome {
            leak: &leak,
            first,
            positions_read: attributions.iter().map(|a| a.positions_read).sum(),
            comparisons,
            accused: &accused,
            groups: &groups,
        },
    )?;
    Ok(Report {
        tool: concat!("watermark ", env!("CARGO_PKG_VERSION")),
        leak,
        master,
        rows_read: first.rows_read,
        rows_used: attributions.iter().map(|a| a.rows_used).max().unwrap_or(0),
        rows_without_identity: first.rows_without_identity,
        identifier: first.identifier.map(|kind| IdentifierCheck {
            kind,
            rows_valid: first.rows_identifier_valid,
            warning: first.rows_identifier_valid * 2 < first.rows_read,
        }),
        positions_read: attributions.iter().map(|a| a.positions_read).sum(),
        canaries_found: attributions.iter().map(|a| a.canaries_found).sum(),
        canaries_known: attributions.iter().map(|a| a.canaries_known).sum(),
        columns_normalised: attributions
            .iter()
            .flat_map(|a| a.columns_normalised.iter().cloned())
            .collect(),
        repeated_positions: attributions.iter().map(|a| a.repeated_positions).sum(),
        conflicting_positions: attributions.iter().map(|a| a.conflicting_positions).sum(),
        threshold: first.threshold,
        comparisons,
        scores_per_recipient: first.scores_per_recipient,
        accused,
        recipients,
        groups: attributions
            .iter()
            .zip(groups.values())
            .map(|(a, g)| Group {
                key_id: a.key_id.clone(),
                policy_digest: a.policy_digest.clone(),
                recipients: g.len(),
                positions_read: a.positions_read,
                positions_by_column: a.positions_by_column.clone(),
                columns_missing: a.columns_missing.clone(),
            })
            .collect(),
        not_compared,
        method: METHOD,
        recheck: format!(
            "watermark verify --state STATE {}{} --json",
            settings.leaked.display(),
            master_option(settings.master.as_deref())
        ),
        log,
    })
}

/// Refuses copies made under a key the state does not hold.
fn check_key_held(
    key_id: &str,
    key: &watermark_core::MasterKey,
    settings: &Settings,
) -> Result<()> {
    if key_id != key.id().to_hex() {
        fail!(
            Server,
            Msg::KeyNotHeld,
            key_id,
            settings.state.display(),
            key.id()
        );
    }
    Ok(())
}

/// Refuses an investigator's name the log cannot record.
fn check_investigator(who: &str) -> Result<()> {
    if who.is_empty() {
        fail!(Input, Msg::NoInvestigator);
    }
    if who.chars().count() > 64 || who.chars().any(char::is_control) {
        fail!(
            Input,
            Msg::BadInvestigator,
            format!("{:?}", watermark_core::bounded(who, 200))
        );
    }
    Ok(())
}

/// [`run_in`] for a leak split into several Parquet files (`settings.leaked`
/// is their directory), compared by `runner`: on this machine
/// ([`Local`](crate::runner::Local)) or on a cluster. The leak's digest is
/// its manifest's ([`Manifest`](watermark_formats::split::Manifest)); its
/// rows are numbered through the files in the order of their names, so the
/// report is the one a single file of the same rows, in that order, gives.
/// A master extract is not supported.
pub fn run_split_in(
    state: &State,
    settings: &Settings,
    runner: &dyn crate::runner::SplitRunner,
    reporter: impl Reporter,
) -> Result<Report> {
    let reporter: &dyn Reporter = &reporter;
    check_investigator(&settings.investigator)?;
    if settings.master.is_some() {
        fail!(Input, Msg::SplitNoMaster);
    }
    let key = state.master_key().server()?;
    let (groups, attribution_log) = state.recipient_groups().server()?;
    if groups.is_empty() {
        fail!(Server, Msg::NoCopiesYet, settings.state.display());
    }
    let comparisons: u64 = groups.values().map(|g| g.len() as u64).sum();
    let split = SplitExtract::open(&settings.leaked).input()?;
    let bar = reporter.progress(
        split.bytes(),
        &tr(reporter.lang(), Msg::ProgressHashing, &[]),
    );
    let manifest = split.manifest(&mut |n| bar.set_position(n)).input()?;
    bar.finish();
    let mut attributions = Vec::new();
    let mut compared = Groups::new();
    let mut not_compared = Vec::new();
    for ((key_id, digest), recipients) in &groups {
        check_key_held(key_id, &key, settings)?;
        let policy = state.policy(digest).server()?;
        let mut spec = DetectorSpec {
            key_id: key_id.clone(),
            policy: policy.to_toml(),
            recipients: recipients
                .iter()
                .map(|r| SpecRecipient {
                    id: r.id.clone(),
                    slot: r.slot,
                })
                .collect(),
            canaries: state.canary_list_files(&attribution_log, digest).server()?,
            comparisons,
            threshold: settings.threshold.map(|t| t.to_string()),
            authorization: String::new(),
        };
        spec.authorize(&key);
        // The builder's refusals, checked here where the key is, before
        // any worker is asked.
        let fault = match settings.threshold {
            Some(t) if !(t > 0.0 && t < 1.0) => Fault::Input,
            _ => Fault::Server,
        };
        let detector = spec
            .detector(&key)
            .map_err(|e| crate::Error::new(fault, e))?;
        // Copies made under a policy whose identity columns the leak lacks
        // cannot be compared; the others still can.
        if let Err(e) = detector.bind(split.header()) {
            if groups.len() > 1 && lacks_identity(&e) {
                not_compared.push(NotCompared {
                    key_id: key_id.clone(),
                    policy_digest: digest.clone(),
                    recipients: recipients.iter().map(|r| r.id.clone()).collect(),
                    reason: e.to_string(),
                    cause: Some(Arc::new(e)),
                });
                continue;
            }
            return Err(crate::Error::input(
                said!(Msg::RfVerbatim, settings.leaked.display()).because(e),
            ));
        }
        let tally = runner.tally(&spec, &split, reporter)?;
        let a = detector.finish(tally).server()?;
        compared.insert((key_id.clone(), digest.clone()), recipients.clone());
        attributions.push(a);
    }
    let leak = Leak {
        file: settings.leaked.clone(),
        blake3: manifest.blake3(),
        bytes: manifest.bytes(),
        read: Reading {
            format: "parquet".into(),
            tables: manifest.files.iter().map(|f| f.name.clone()).collect(),
            ..Reading::default()
        },
    };
    conclude(
        state,
        settings,
        reporter,
        Attributed {
            attributions,
            compared,
            not_compared,
            leak: Some(leak),
            comparisons,
        },
        || Ok(None),
    )
}

/// ` --master FILE`, when a master was given.
fn master_option(master: Option<&Path>) -> String {
    master
        .map(|m| format!(" --master {}", m.display()))
        .unwrap_or_default()
}

type Groups = std::collections::BTreeMap<(String, String), Vec<watermark_core::Recipient>>;

/// What a verification found, as the log records it.
#[derive(Clone, Copy)]
struct Outcome<'a> {
    leak: &'a Leak,
    /// The first group's attribution (rows read, threshold).
    first: &'a Attribution,
    /// Distinct positions read, over every group.
    positions_read: u64,
    comparisons: u64,
    accused: &'a [RecipientScore],
    groups: &'a Groups,
}

/// Appends this verification to the log, and proves the accused's copies
/// against the checkpoint that follows it. Nothing from the leak but its
/// digest and counts is recorded.
fn record(
    state: &State,
    settings: &Settings,
    reporter: &dyn Reporter,
    outcome: &Outcome<'_>,
) -> Result<LogSection> {
    let Outcome {
        leak,
        first,
        positions_read,
        comparisons,
        accused,
        groups,
    } = *outcome;
    let entry = Entry::Verify(VerifyEntry {
        scheme: watermark_core::SCHEME_VERSION,
        time: now_rfc3339(),
        investigator: settings.investigator.clone(),
        leak_blake3: leak.blake3.clone(),
        leak_bytes: leak.bytes,
        leak_format: Some(leak.read.format.clone()),
        leak_encoding: leak.read.encoding.clone(),
        rows_read: first.rows_read,
        positions_read,
        comparisons,
        threshold: format!("{:e}", first.threshold),
        accused: accused.iter().map(AccusedRecord::of).collect(),
        tool: concat!("watermark ", env!("CARGO_PKG_VERSION")).to_string(),
    });
    let lock = state.lock().server()?;
    let appended = state
        .append(&lock, &[entry])
        .said(|| said!(Msg::CtxRecordingVerification))
        .server()?;
    drop(lock);
    if let Some(u) = &appended.removed {
        reporter
            .notice(&u.notice(reporter.lang(), Msg::NoteRemovedAppendFirst))
            .server()?;
    }
    let log = appended.log;
    let verification = log.receipt(appended.first).server()?;
    verification.verify(log.verifier()).server()?;
    let mut out = Vec::new();
    for a in accused {
        // The copies of this recipient made under a key and policy they
        // were compared under.
        let mut copies = Vec::new();
        for (index, e) in log.issues() {
            let compared = groups
                .get(&(e.key_id.clone(), e.policy_digest.clone()))
                .is_some_and(|g| g.iter().any(|r| r.id == a.recipient));
            if e.recipient == a.recipient && compared {
                let receipt = log.receipt(index).server()?;
                receipt.verify(log.verifier()).server()?;
                copies.push(receipt);
            }
        }
        out.push(AccusedCopies {
            recipient: a.recipient.clone(),
            copies,
        });
    }
    Ok(LogSection {
        origin: log.origin().to_owned(),
        public_key: log.verifier().to_vkey(),
        size: log.size(),
        root: hash_hex(&log.root()),
        checkpoint: log.checkpoint().to_owned(),
        verification,
        accused: out,
    })
}

impl Report {
    /// The report as an investigator would read it aloud, in English.
    pub fn to_text(&self) -> String {
        self.to_text_in(Lang::En)
    }

    /// The report as an investigator would read it aloud, in `lang`.
    pub fn to_text_in(&self, lang: Lang) -> String {
        let t = |m: Msg| tr(lang, m, &[]);
        let n = |m: Msg, v: u64| count(lang, m, v);
        let labels = [
            Msg::LabelLeakedFile,
            Msg::LabelRead,
            Msg::LabelCanaries,
            Msg::LabelLeftOut,
            Msg::LabelMaster,
            Msg::LabelMatched,
            Msg::LabelNotCompared,
            Msg::LabelNotInFile,
        ];
        let width = labels
            .iter()
            .map(|m| m.template(lang).chars().count())
            .max()
            .unwrap_or(0)
            + 1;
        let indent = " ".repeat(width);
        // A line under a label, wrapped under its text.
        let line = |s: &mut String, label: &str, text: &str| {
            let wrapped = wrap(text, 92, &indent);
            let _ = write!(s, "{label:<width$}");
            s.push_str(wrapped.get(indent.len()..).unwrap_or("\n"));
        };
        let mut s = String::new();
        line(
            &mut s,
            &t(Msg::LabelLeakedFile),
            &self.leak.file.display().to_string(),
        );
        let _ = writeln!(
            s,
            "{:<width$}{}  ({})",
            "BLAKE3",
            self.leak.blake3,
            n(Msg::Bytes, self.leak.bytes)
        );
        let read = &self.leak.read;
        let mut how = read.format.clone();
        if let Some(e) = &read.encoding {
            how.push_str(&format!(", {e}"));
        }
        if !read.tables.is_empty() {
            how.push_str(&tr(lang, Msg::ReadTables, &[&read.tables.join(", ")]));
        }
        if !read.skipped.is_empty() {
            let skipped: Vec<String> = read
                .skipped
                .iter()
                .map(|s| format!("{} ({})", s.name, skip_reason(lang, s.reason)))
                .collect();
            how.push_str(&tr(lang, Msg::ReadSkipped, &[&skipped.join(", ")]));
        }
        if let Some(h) = &read.header_supplied {
            how.push_str(&tr(lang, Msg::ReadNoHeader, &[&h.join(", ")]));
            if let Some(check) = &read.header_check {
                how.push_str("; ");
                how.push_str(&header_check(lang, check));
            }
        }
        if !how.is_empty() {
            line(&mut s, &t(Msg::LabelReadAs), &how);
        }
        let columns: Vec<String> = self
            .groups
            .iter()
            .flat_map(|g| g.positions_by_column.iter())
            .map(|c| format!("{} {}", c.column, int(c.positions)))
            .collect();
        line(
            &mut s,
            &t(Msg::LabelRead),
            &tr(
                lang,
                Msg::ReadLine,
                &[
                    &n(Msg::Rows, self.rows_read),
                    &int(self.rows_used),
                    &n(Msg::DistinctPositions, self.positions_read),
                    &if columns.is_empty() {
                        t(Msg::NoCarrierColumn)
                    } else {
                        columns.join(", ")
                    },
                ],
            ),
        );
        if self.canaries_known > 0 {
            line(
                &mut s,
                &t(Msg::LabelCanaries),
                &tr(
                    lang,
                    Msg::CanariesFound,
                    &[
                        &int(self.canaries_found),
                        &n(Msg::CanaryRows, self.canaries_known),
                    ],
                ),
            );
        }
        if !self.columns_normalised.is_empty() {
            line(
                &mut s,
                &t(Msg::LabelLeftOut),
                &tr(
                    lang,
                    Msg::LeftOutWhy,
                    &[&self.columns_normalised.join(", ")],
                ),
            );
        }
        if self.repeated_positions > 0 {
            let mut text = trn(
                lang,
                Msg::Repeated,
                self.repeated_positions,
                &[&int(self.repeated_positions)],
            );
            if self.conflicting_positions > 0 {
                text.push_str(&tr(
                    lang,
                    Msg::Disagreed,
                    &[&int(self.conflicting_positions)],
                ));
            }
            line(&mut s, "", &text);
        }
        if let Some(m) = &self.master {
            line(&mut s, &t(Msg::LabelMaster), &m.file.display().to_string());
            line(&mut s, "BLAKE3", &m.blake3);
            if m.used {
                let mut text = tr(
                    lang,
                    Msg::MatchedToMaster,
                    &[
                        &int(m.rows_matched),
                        &n(Msg::Rows, self.rows_read),
                        &m.columns.join(", "),
                    ],
                );
                if m.rows_unmatched + m.rows_ambiguous > 0 {
                    text.push_str(&tr(
                        lang,
                        Msg::NotUsed,
                        &[&int(m.rows_unmatched), &int(m.rows_ambiguous)],
                    ));
                }
                line(&mut s, &t(Msg::LabelMatched), &text);
            } else {
                line(&mut s, "", &t(Msg::MasterNotNeeded));
            }
        }
        for nc in &self.not_compared {
            line(
                &mut s,
                &t(Msg::LabelNotCompared),
                &tr(
                    lang,
                    Msg::NotComparedWhy,
                    &[
                        &nc.recipients.join(", "),
                        &nc.policy_digest,
                        &match &nc.cause {
                            Some(c) => crate::text::error_in(lang, c.as_ref()),
                            None => nc.reason.clone(),
                        },
                    ],
                ),
            );
        }
        let missing: Vec<&str> = self
            .groups
            .iter()
            .flat_map(|g| g.columns_missing.iter().map(String::as_str))
            .collect();
        if !missing.is_empty() {
            line(&mut s, &t(Msg::LabelNotInFile), &missing.join(", "));
        }
        s.push('\n');
        if let Some(id) = self.identifier.as_ref().filter(|id| id.warning) {
            s.push_str(&wrap(
                &tr(
                    lang,
                    Msg::IdentityWarning,
                    &[&int(id.rows_valid), &int(self.rows_read), &id.kind.name()],
                ),
                92,
                "",
            ));
        }
        if self.accused.is_empty() {
            s.push_str(&wrap(
                &tr(lang, Msg::NoOneAccused, &[&bound(self.threshold)]),
                92,
                "",
            ));
            if self.positions_read < 100 {
                s.push_str(&wrap(
                    &trn(
                        lang,
                        Msg::OnlyFew,
                        self.positions_read,
                        &[&int(self.positions_read)],
                    ),
                    92,
                    "  ",
                ));
            }
        }
        for a in &self.accused {
            let _ = writeln!(s, "{}", tr(lang, Msg::AccusedLine, &[&a.recipient]));
            s.push_str(&wrap(
                &tr(
                    lang,
                    Msg::MatchesAt,
                    &[
                        &a.recipient,
                        &int(a.matching_positions),
                        &n(Msg::MarkedPositions, self.positions_read),
                    ],
                ),
                92,
                "  ",
            ));
            s.push_str(&wrap(
                &format!(
                    "{} {}",
                    tr(
                        lang,
                        Msg::ChanceAtMost,
                        &[
                            &score_bound(a),
                            &score_odds(lang, a),
                            &n(Msg::Recipients, self.comparisons),
                            &n(Msg::Scores, u64::from(self.scores_per_recipient)),
                        ],
                    ),
                    tr(
                        lang,
                        Msg::DecidedBy,
                        &[&describe_score(lang, &a.decided_by)]
                    )
                ),
                92,
                "  ",
            ));
            if !a.evidence.is_empty() {
                s.push_str(&wrap(&self.evidence_text(lang, a), 92, "  "));
            }
        }
        let _ = writeln!(
            s,
            "\n{}",
            tr(lang, Msg::AllRecipients, &[&bound(self.threshold)])
        );
        s.push_str(&self.ranking_text(lang));
        s.push_str(&self.log_text(lang));
        let _ = writeln!(s, "\n{}", t(Msg::MethodHeading));
        s.push_str(&wrap(&t(Msg::Method), 92, "  "));
        let _ = writeln!(s, "{}", t(Msg::RecheckHeading));
        s.push_str(&wrap(
            &tr(
                lang,
                Msg::RecheckText,
                &[
                    &format!(
                        "watermark verify --state STATE {}{} --json",
                        self.leak.file.display(),
                        master_option(self.master.as_ref().map(|m| m.file.as_path()))
                    ),
                    &self.leak.blake3,
                    &self
                        .master
                        .as_ref()
                        .map(|m| tr(lang, Msg::AndMaster, &[&m.blake3]))
                        .unwrap_or_default(),
                ],
            ),
            92,
            "  ",
        ));
        s
    }

    /// The marks that agree with an accused's copy, by leak row: "row 3
    /// (CALLE, COLONIA)"; with how many agree in all when the report keeps
    /// only the first of them.
    fn evidence_text(&self, lang: Lang, a: &RecipientScore) -> String {
        let canary = tr(lang, Msg::CanaryHeld, &[]);
        let mut rows: Vec<(u64, Vec<&str>)> = Vec::new();
        for e in &a.evidence {
            let what = if e.canary {
                canary.as_str()
            } else {
                e.column.as_str()
            };
            match rows.last_mut() {
                Some((r, cols)) if *r == e.row => {
                    if !cols.contains(&what) {
                        cols.push(what);
                    }
                }
                _ => rows.push((e.row, vec![what])),
            }
        }
        let shown: Vec<String> = rows
            .iter()
            .map(|(r, cols)| tr(lang, Msg::RowWith, &[&int(*r), &cols.join(", ")]))
            .collect();
        let kept = a.evidence.len() as u64;
        if kept >= a.matching_positions {
            tr(lang, Msg::AgreeingAll, &[&shown.join("; ")])
        } else {
            tr(
                lang,
                Msg::AgreeingFirst,
                &[
                    &count(lang, Msg::Positions, a.matching_positions),
                    &int(kept),
                    &shown.join("; "),
                ],
            )
        }
    }

    /// The ranking table, its columns as wide as their widest cell.
    pub fn ranking_text(&self, lang: Lang) -> String {
        let t = |m: Msg| tr(lang, m, &[]);
        let head = [
            t(Msg::ColRank),
            t(Msg::ColRecipient),
            t(Msg::ColScore),
            t(Msg::ColMatching),
            t(Msg::ColBound),
        ];
        let of = int(self.positions_read);
        let rows: Vec<[String; 5]> = self
            .recipients
            .iter()
            .enumerate()
            .map(|(i, r)| {
                [
                    int(i as u64 + 1),
                    r.recipient.clone(),
                    decimal(r.score, 2),
                    format!("{}/{of}", int(r.matching_positions)),
                    score_bound(r),
                ]
            })
            .collect();
        let mut w = head.clone().map(|h| h.chars().count());
        for row in &rows {
            for (w, cell) in w.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let mark = t(Msg::AccusedMark);
        let mut s = String::new();
        let mut put = |cells: &[String; 5], accused: bool| {
            let _ = writeln!(
                s,
                "  {:<w0$}  {:<w1$}  {:>w2$}  {:>w3$}  {:>w4$}{}",
                cells[0],
                cells[1],
                cells[2],
                cells[3],
                cells[4],
                if accused {
                    format!("  {mark}")
                } else {
                    String::new()
                },
                w0 = w[0],
                w1 = w[1],
                w2 = w[2],
                w3 = w[3],
                w4 = w[4],
            );
        };
        put(&head, false);
        for (row, r) in rows.iter().zip(&self.recipients) {
            put(row, r.accused);
        }
        s
    }

    fn log_text(&self, lang: Lang) -> String {
        let mut s = format!(
            "\n{}\n",
            tr(
                lang,
                Msg::LogHeading,
                &[&self.log.origin, &count(lang, Msg::Entries, self.log.size)]
            )
        );
        for a in &self.log.accused {
            for r in &a.copies {
                let what = match Entry::from_canonical(&r.entry) {
                    Ok(Entry::Issue(e)) => tr(
                        lang,
                        Msg::ReceivedCopy,
                        &[&e.recipient, &&e.output_blake3[..16], &e.time],
                    ),
                    _ => tr(lang, Msg::AnEntry, &[&a.recipient]),
                };
                s.push_str(&wrap(
                    &tr(
                        lang,
                        Msg::EntryProved,
                        &[
                            &what,
                            &r.index,
                            &count(lang, Msg::Hashes, r.inclusion_proof.len() as u64),
                        ],
                    ),
                    92,
                    "  ",
                ));
            }
            if a.copies.is_empty() {
                let _ = writeln!(s, "  {}", tr(lang, Msg::NoIssueEntry, &[&a.recipient]));
            }
        }
        let by = match Entry::from_canonical(&self.log.verification.entry) {
            Ok(Entry::Verify(v)) => v.investigator,
            _ => "?".into(),
        };
        let _ = writeln!(
            s,
            "  {}",
            tr(
                lang,
                Msg::ThisVerification,
                &[&self.log.verification.index, &by]
            )
        );
        s.push_str(&wrap(&tr(lang, Msg::ProofsInJson, &[]), 92, "  "));
        s
    }
}

/// Why a member or sheet was not read, in words.
pub fn skip_reason(lang: Lang, reason: watermark_formats::SkipReason) -> String {
    tr(lang, reason.msg(), &[])
}

/// How a header-less table's columns were checked, in words.
pub fn header_check(lang: Lang, check: &watermark_formats::HeaderCheck) -> String {
    use watermark_formats::HeaderCheck;
    match check {
        HeaderCheck::Identity { column, name } => {
            tr(lang, Msg::HeaderCheckIdentity, &[column, name])
        }
        HeaderCheck::NoIdentifier => tr(lang, Msg::HeaderCheckNoIdentifier, &[]),
        HeaderCheck::SeveralIdentifiers => tr(lang, Msg::HeaderCheckSeveral, &[]),
        _ => check.to_string(),
    }
}
