//! `watermark verify`: attribute a leaked file.

use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use serde::Serialize;
use watermark_app::{now_rfc3339, State};
use watermark_core::{
    verify_rows_with_master, Attribution, ColumnCount, Detector, Error, ErrorKind, ExtraRows,
    MasterError, MasterMatch, RecipientScore,
};
use watermark_formats::HashingReader;
use watermark_log::{hash_hex, AccusedRecord, Entry, Receipt, VerifyEntry};

use crate::cli::VerifyArgs;
use crate::output::Printer;
use watermark_app::formats::VerifyFile;
use watermark_app::text::{bound, describe_score, score_bound, score_odds, wrap};

/// What `verify` needs, resolved from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    pub state: PathBuf,
    pub leaked: PathBuf,
    pub threshold: Option<f64>,
    /// Who is verifying, for the log.
    pub investigator: String,
    /// The master extract, to match rows of a leak without identity columns.
    pub master: Option<PathBuf>,
}

impl From<VerifyArgs> for Settings {
    fn from(a: VerifyArgs) -> Self {
        let investigator = a
            .investigator
            .or_else(|| std::env::var("USER").ok())
            .or_else(|| std::env::var("LOGNAME").ok())
            .filter(|s| !s.trim().is_empty())
            .or_else(account_name)
            .unwrap_or_default();
        Settings {
            state: a.state.state,
            leaked: a.leaked,
            threshold: a.threshold,
            investigator,
            master: a.master,
        }
    }
}

/// The account running this process, when the environment does not name
/// it: its name in `/etc/passwd`, or `uid N`. Linux only (read from
/// `/proc/self/status`).
fn account_name() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid: u32 = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let named = std::fs::read_to_string("/etc/passwd").ok().and_then(|p| {
        p.lines().find_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let id: u32 = f.nth(1)?.parse().ok()?;
            (id == uid && !name.is_empty()).then(|| name.to_owned())
        })
    });
    Some(named.unwrap_or_else(|| format!("uid {uid}")))
}

/// The log entries of one accused recipient's copies.
#[derive(Debug, Serialize)]
pub struct AccusedCopies {
    pub recipient: String,
    /// A receipt per copy issued to them: entry, inclusion proof, checkpoint.
    pub copies: Vec<Receipt>,
}

/// Where this verification and the accused's copies stand in the log.
#[derive(Debug, Serialize)]
pub struct LogSection {
    pub origin: String,
    pub public_key: String,
    pub size: u64,
    pub root: String,
    /// The latest signed checkpoint, which every proof below leads to.
    pub checkpoint: String,
    /// This verification's own entry.
    pub verification: Receipt,
    pub accused: Vec<AccusedCopies>,
}

/// The leaked file, identified.
#[derive(Debug, Serialize)]
pub struct Leak {
    pub file: PathBuf,
    pub blake3: String,
    pub bytes: u64,
}

/// The master extract the leak's rows were matched to (`--master`).
#[derive(Debug, Serialize)]
pub struct MasterSection {
    pub file: PathBuf,
    pub blake3: String,
    /// Whether rows were matched to it: false when the file has the
    /// identity columns, and then the counts are 0.
    pub used: bool,
    pub rows_matched: u64,
    /// Rows that matched no row of the master: not used.
    pub rows_unmatched: u64,
    /// Rows that matched rows of different people: not used.
    pub rows_ambiguous: u64,
    /// The file's columns the rows were matched on.
    pub columns: Vec<String>,
}

/// What to say when a file lacks the identity columns and no master was given.
const MASTER_HINT: &str = "To attribute a file without its identity columns, give \
--master FILE, the extract the copies were made from: its rows are matched to the file's on \
the columns they share.";

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
fn master_error(e: MasterError, leaked: &Path, master: &Path) -> anyhow::Error {
    match e {
        MasterError::Leak(e) => anyhow::Error::new(e).context(leaked.display().to_string()),
        MasterError::Master(e) => anyhow::Error::new(e).context(master.display().to_string()),
        other => anyhow::Error::new(other).context(format!(
            "matching {} to {}",
            leaked.display(),
            master.display()
        )),
    }
}

/// The BLAKE3 digest of a file.
fn blake3_of(path: &Path) -> anyhow::Result<String> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut input = HashingReader::new(file);
    std::io::copy(&mut input, &mut std::io::sink())
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(input.digest().0)
}

/// Copies that could not be compared with the file, and why.
#[derive(Debug, Serialize)]
pub struct NotCompared {
    pub key_id: String,
    pub policy_digest: String,
    pub recipients: Vec<String>,
    pub reason: String,
}

/// Recipients marked under one key and policy.
#[derive(Debug, Serialize)]
pub struct Group {
    pub key_id: String,
    pub policy_digest: String,
    pub recipients: usize,
    pub positions_read: u64,
    pub positions_by_column: Vec<ColumnCount>,
    pub columns_missing: Vec<String>,
}

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
    pub kind: watermark_core::IdentifierKind,
    pub rows_valid: u64,
    /// Fewer than half the rows read have a valid identifier: the identity
    /// column was altered, or is not the one the copies were issued with.
    pub warning: bool,
}

/// The result of `verify`.
#[derive(Debug, Serialize)]
pub struct Report {
    pub tool: &'static str,
    pub leak: Leak,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master: Option<MasterSection>,
    pub rows_read: u64,
    pub rows_used: u64,
    pub rows_without_identity: u64,
    /// The registry identifier the identity column holds, and how many rows
    /// have a valid one once read by its structure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identifier: Option<IdentifierCheck>,
    pub positions_read: u64,
    /// Canary rows found (each one position, counted in `positions_read`).
    pub canaries_found: u64,
    /// Canaries known for the copies compared.
    pub canaries_known: u64,
    /// Carrier columns left out: the file writes them in one spelling
    /// throughout, so the leaker normalised them.
    pub columns_normalised: Vec<String>,
    pub repeated_positions: u64,
    pub conflicting_positions: u64,
    pub threshold: f64,
    pub comparisons: u64,
    pub scores_per_recipient: u32,
    pub accused: Vec<RecipientScore>,
    pub recipients: Vec<RecipientScore>,
    pub groups: Vec<Group>,
    /// Groups of copies made under a policy whose identity columns the file
    /// lacks: their recipients could not be scored (they still count in the
    /// bound's union factor).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_compared: Vec<NotCompared>,
    pub method: &'static str,
    pub recheck: String,
    pub log: LogSection,
}

pub fn run(settings: &Settings, printer: Printer) -> anyhow::Result<Report> {
    let who = &settings.investigator;
    if who.is_empty() {
        bail!(
            "no one is named to log this verification under: give --investigator NAME (neither \
             USER nor LOGNAME is set, and the account could not be found)"
        );
    }
    if who.chars().count() > 64 || who.chars().any(char::is_control) {
        bail!(
            "investigator {who:?} cannot be logged: give --investigator NAME, 1 to 64 characters \
             without control characters"
        );
    }
    let state = State::open(&settings.state)?;
    let key = state.master_key()?;
    let (groups, attribution_log) = state.recipient_groups()?;
    if groups.is_empty() {
        bail!(
            "{} has issued no copies yet: there is no one to attribute to",
            settings.state.display()
        );
    }
    let comparisons: u64 = groups.values().map(|g| g.len() as u64).sum();
    // CSV, Parquet or Arrow IPC, told by the first bytes.
    let leak_source = VerifyFile::new(&settings.leaked, printer)?;
    let master_source = match &settings.master {
        Some(m) => Some(VerifyFile::new(m, printer)?),
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
        if *key_id != key.id().to_hex() {
            bail!(
                "copies were issued under key {key_id}, which {} does not hold (it holds {})",
                settings.state.display(),
                key.id()
            );
        }
        let policy = state.policy(digest)?;
        let canary_lists = state.canary_lists(&attribution_log, digest)?;
        let mut builder = Detector::builder()
            .key(&key)
            .policy(&policy)
            .recipients(recipients.iter().cloned())
            .canaries(&canary_lists)
            .comparisons(comparisons);
        if let Some(t) = settings.threshold {
            builder = builder.threshold(t);
        }
        let detector = builder.build()?;
        let file = File::open(&settings.leaked)
            .with_context(|| format!("opening {}", settings.leaked.display()))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        // Copies made under another policy whose identity columns this file
        // (or the master extract) lacks cannot be compared; the others still
        // can. This is why, when it is.
        let mut skip = None;
        let mut input;
        let attribution = match &settings.master {
            None => {
                let bar = watermark_app::Reporter::progress(&printer, size, "verifying");
                input = leak_source.open(file, &bar);
                let result = input.verify(&detector);
                bar.finish();
                match result {
                    Ok(a) => Some(a),
                    Err(e) if groups.len() > 1 && lacks_identity(&e) => {
                        skip = Some(e.to_string());
                        None
                    }
                    Err(e) if lacks_identity(&e) => {
                        bail!("{}: {e}. {MASTER_HINT}", settings.leaked.display())
                    }
                    Err(e) => {
                        return Err(
                            anyhow::Error::new(e).context(format!("{}", settings.leaked.display()))
                        )
                    }
                }
            }
            Some(master) => {
                let master_file =
                    File::open(master).with_context(|| format!("opening {}", master.display()))?;
                let master_size = master_file.metadata().map(|m| m.len()).unwrap_or(0);
                let bar = watermark_app::Reporter::progress(
                    &printer,
                    master_size,
                    "matching to the master",
                );
                input = leak_source
                    .open_rows(file, &watermark_app::hidden())
                    .with_context(|| settings.leaked.display().to_string())?;
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
                        skip = Some(format!("{}: {e}", master.display()));
                        None
                    }
                    Err(e @ MasterError::NoSharedColumn { .. }) if groups.len() > 1 => {
                        skip = Some(e.to_string());
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
                reason: skip.unwrap_or_default(),
            });
            continue;
        };
        compared.insert((key_id.clone(), digest.clone()), recipients.clone());
        let (blake3, bytes) = input.digest();
        leak = Some(Leak {
            file: settings.leaked.clone(),
            blake3,
            bytes,
        });
        attributions.push(attribution);
    }
    let Some(first) = attributions.first() else {
        bail!(
            "{}: none of the policies copies were issued under can read it: {}{}",
            settings.leaked.display(),
            not_compared
                .iter()
                .map(|n| n.reason.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            if settings.master.is_none() {
                format!(". {MASTER_HINT}")
            } else {
                String::new()
            }
        );
    };
    let master = match &settings.master {
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
    };
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
        &state,
        settings,
        printer,
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
    printer: Printer,
    outcome: &Outcome<'_>,
) -> anyhow::Result<LogSection> {
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
        rows_read: first.rows_read,
        positions_read,
        comparisons,
        threshold: format!("{:e}", first.threshold),
        accused: accused.iter().map(AccusedRecord::of).collect(),
        tool: concat!("watermark ", env!("CARGO_PKG_VERSION")).to_string(),
    });
    let lock = state.lock()?;
    let appended = state
        .append(&lock, &[entry])
        .context("recording the verification in the issuance log")?;
    drop(lock);
    if let Some(u) = &appended.removed {
        printer.notice(&format!(
            "note: removed an interrupted append from the log first: {} byte(s) after its last \
             signed entry ({} unsigned entr{}) and {} after its last checkpoint",
            u.entry_bytes,
            u.entry_lines,
            if u.entry_lines == 1 { "y" } else { "ies" },
            u.checkpoint_bytes
        ))?;
    }
    let log = appended.log;
    let verification = log.receipt(appended.first)?;
    verification.verify(log.verifier())?;
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
                let receipt = log.receipt(index)?;
                receipt.verify(log.verifier())?;
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
    /// The report as an investigator would read it aloud.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "Leaked file  {}", self.leak.file.display());
        let _ = writeln!(
            s,
            "BLAKE3       {}  ({} bytes)",
            self.leak.blake3, self.leak.bytes
        );
        let columns: Vec<String> = self
            .groups
            .iter()
            .flat_map(|g| g.positions_by_column.iter())
            .map(|c| format!("{} {}", c.column, c.positions))
            .collect();
        let _ = writeln!(
            s,
            "Read         {} rows, {} carried marks; {} distinct marked positions ({})",
            self.rows_read,
            self.rows_used,
            self.positions_read,
            if columns.is_empty() {
                "no carrier column".to_string()
            } else {
                columns.join(", ")
            }
        );
        if self.canaries_known > 0 {
            let _ = writeln!(
                s,
                "Canaries     {} canary rows found (synthetic people that only some copies hold), \
                 of {} made",
                self.canaries_found, self.canaries_known
            );
        }
        if !self.columns_normalised.is_empty() {
            s.push_str(&wrap(
                &format!(
                    "Left out     {}: the file writes every slot in one spelling (the leaker \
                     normalised the column), so it says nothing about who leaked",
                    self.columns_normalised.join(", ")
                ),
                92,
                "             ",
            ));
        }
        if self.repeated_positions > 0 {
            let _ = writeln!(
                s,
                "             {} positions repeated in the file were counted once{}",
                self.repeated_positions,
                if self.conflicting_positions > 0 {
                    format!(
                        " ({} disagreed: copies were mixed)",
                        self.conflicting_positions
                    )
                } else {
                    String::new()
                }
            );
        }
        if let Some(m) = &self.master {
            let _ = writeln!(s, "Master       {}", m.file.display());
            let _ = writeln!(s, "BLAKE3       {}", m.blake3);
            if m.used {
                let mut text = format!(
                    "{} of {} rows to the master on {}",
                    m.rows_matched,
                    self.rows_read,
                    m.columns.join(", ")
                );
                if m.rows_unmatched + m.rows_ambiguous > 0 {
                    let _ = write!(
                        text,
                        "; not used: {} matching no row, {} matching rows of different people",
                        m.rows_unmatched, m.rows_ambiguous
                    );
                }
                let indent = " ".repeat("Matched      ".len());
                let wrapped = wrap(&text, 92, &indent);
                s.push_str("Matched      ");
                s.push_str(&wrapped[indent.len()..]);
            } else {
                let _ = writeln!(
                    s,
                    "             not needed: the file has the identity columns"
                );
            }
        }
        for n in &self.not_compared {
            let _ = writeln!(
                s,
                "Not compared {} (copies under policy {}): {}",
                n.recipients.join(", "),
                n.policy_digest,
                n.reason
            );
        }
        let missing: Vec<&str> = self
            .groups
            .iter()
            .flat_map(|g| g.columns_missing.iter().map(String::as_str))
            .collect();
        if !missing.is_empty() {
            let _ = writeln!(s, "Not in file  {}", missing.join(", "));
        }
        s.push('\n');
        if let Some(id) = self.identifier.as_ref().filter(|id| id.warning) {
            s.push_str(&wrap(
                &format!(
                    "WARNING: only {} of {} rows have an identity value that reads as a valid {}. \
                     The identity column may have been altered or replaced; rows whose identity \
                     differs from the extract's carry no readable mark.",
                    id.rows_valid,
                    self.rows_read,
                    id.kind.name()
                ),
                92,
                "",
            ));
        }
        if self.accused.is_empty() {
            let _ = writeln!(
                s,
                "NO ONE ACCUSED: no recipient's copy matches this file strongly enough for the threshold of {}.",
                bound(self.threshold)
            );
            if self.positions_read < 100 {
                let _ = writeln!(
                    s,
                    "  Only {} marked positions were found; a larger sample may decide.",
                    self.positions_read
                );
            }
        }
        for a in &self.accused {
            let _ = writeln!(s, "ACCUSED: {}", a.recipient);
            let _ = writeln!(
                s,
                "  The file matches {}'s copy at {} of {} marked positions.",
                a.recipient, a.matching_positions, self.positions_read
            );
            let _ = writeln!(
                s,
                "  The chance that a recipient who did not leak would match this well is at most {}\n  ({}), counting all {} recipients and the {} scores tried.\n  Decided by {}.",
                score_bound(a),
                score_odds(a),
                self.comparisons,
                self.scores_per_recipient,
                describe_score(&a.decided_by)
            );
            if !a.evidence.is_empty() {
                // Group the marks that agree by leak row: "row 3 (CALLE, COLONIA)".
                let mut rows: Vec<(u64, Vec<&str>)> = Vec::new();
                for e in &a.evidence {
                    let what = if e.canary {
                        "a canary row this copy holds"
                    } else {
                        e.column.as_str()
                    };
                    match rows.last_mut() {
                        Some((r, cols)) if *r == e.row => {
                            if cols.last() != Some(&what) {
                                cols.push(what);
                            }
                        }
                        _ => rows.push((e.row, vec![what])),
                    }
                }
                let shown: Vec<String> = rows
                    .iter()
                    .take(6)
                    .map(|(r, cols)| format!("row {r} ({})", cols.join(", ")))
                    .collect();
                let more = if rows.len() > 6 {
                    "; ... (all in --json)"
                } else {
                    ""
                };
                s.push_str(&wrap(
                    &format!("Marks agreeing with this copy: {}{more}", shown.join("; ")),
                    92,
                    "  ",
                ));
            }
        }
        let _ = writeln!(
            s,
            "\nAll recipients (accused when the bound is at most {}):",
            bound(self.threshold)
        );
        let _ = writeln!(
            s,
            "  {:<4} {:<20} {:>9} {:>13} {:>10}",
            "RANK", "RECIPIENT", "SCORE", "MATCHING", "BOUND"
        );
        for (i, r) in self.recipients.iter().enumerate() {
            let _ = writeln!(
                s,
                "  {:<4} {:<20} {:>9.2} {:>13} {:>10}{}",
                i + 1,
                r.recipient,
                r.score,
                format!("{}/{}", r.matching_positions, self.positions_read),
                score_bound(r),
                if r.accused { "  accused" } else { "" }
            );
        }
        s.push_str(&self.log_text());
        s.push_str("\nMethod:\n");
        s.push_str(&wrap(self.method, 92, "  "));
        s.push_str("Re-check:\n");
        s.push_str(&wrap(
            &format!(
                "anyone holding the state directory can run `watermark verify --state STATE {}{} \
                 --json` on the file with BLAKE3 {}{}; the same key and policy give the same numbers.",
                self.leak.file.display(),
                master_option(self.master.as_ref().map(|m| m.file.as_path())),
                self.leak.blake3,
                self.master
                    .as_ref()
                    .map(|m| format!(" and the master extract with BLAKE3 {}", m.blake3))
                    .unwrap_or_default()
            ),
            92,
            "  ",
        ));
        s
    }

    fn log_text(&self) -> String {
        let mut s = format!(
            "\nIssuance log {} (signed checkpoint of {} entries):\n",
            self.log.origin, self.log.size
        );
        for a in &self.log.accused {
            for r in &a.copies {
                let what = match Entry::from_canonical(&r.entry) {
                    Ok(Entry::Issue(e)) => format!(
                        "{} received copy {}… on {}",
                        e.recipient,
                        &e.output_blake3[..16],
                        e.time
                    ),
                    _ => format!("{}: an entry", a.recipient),
                };
                let _ = writeln!(
                    s,
                    "  {what}: entry {}, inclusion proof of {} hashes verified.",
                    r.index,
                    r.inclusion_proof.len()
                );
            }
            if a.copies.is_empty() {
                let _ = writeln!(s, "  {}: no issuance entry found.", a.recipient);
            }
        }
        let _ = writeln!(
            s,
            "  This verification is entry {} (by {}).",
            self.log.verification.index,
            match Entry::from_canonical(&self.log.verification.entry) {
                Ok(Entry::Verify(v)) => v.investigator,
                _ => "?".into(),
            }
        );
        s.push_str(&wrap(
            "The proofs and the checkpoint are in --json; anyone with the log's public key \
             (`watermark log pubkey`) can check them offline with `watermark log verify-receipt`.",
            92,
            "  ",
        ));
        s
    }
}
