//! `watermark log …`: what an auditor runs on the signed issuance log.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Serialize;
use watermark_app::messages::{count, tr, trn, Msg};
use watermark_app::text::int;
use watermark_app::{Log, SigningKeyCheck, State, Uncommitted};
use watermark_core::ErrorKind;
use watermark_formats::HashingReader;
use watermark_log::tlog::{Checkpoint, Verifier};
use watermark_log::{hash_hex, Entry, Receipt};
use watermark_text::{said, SaidContext as _};

use crate::cli::{
    LogCommand, LogConsistencyArgs, LogPlainArgs, LogProveArgs, LogRestoreArgs, LogShowArgs,
    LogVerifyArgs, LogWitnessArgs, VerifyReceiptArgs,
};
use crate::commands::keys::{self, CosignaturesDoc};
use crate::output::Printer;

pub fn run(cmd: LogCommand, quiet: bool) -> anyhow::Result<()> {
    let printer = |json| Printer { json, quiet };
    match cmd {
        LogCommand::Show(a) => show(&a, printer(a.json)),
        LogCommand::Verify(a) => verify(&a, printer(a.json)),
        LogCommand::Prove(a) => prove(&a, printer(a.json)),
        LogCommand::Consistency(a) => consistency(&a, printer(a.json)),
        LogCommand::Pubkey(a) => pubkey(&a, printer(a.json)),
        LogCommand::Checkpoint(a) => checkpoint(&a, printer(a.json)),
        LogCommand::VerifyReceipt(a) => verify_receipt(&a, printer(a.json)),
        LogCommand::Witness(a) => witness(&a, printer(a.json)),
        LogCommand::Restore(a) => restore(&a, printer(a.json)),
    }
}

/// A public key given on the command line: the key itself, or a file
/// holding it.
pub fn parse_pubkey(arg: &str) -> anyhow::Result<Verifier> {
    // Never echoes a private key given by mistake.
    keys::parse_key(arg, "--pubkey")
}

/// `watermark log witness`: the round, then its verdict.
fn witness(a: &LogWitnessArgs, printer: Printer) -> anyhow::Result<()> {
    let (round, verdict) = watermark_app::witnessing::log_witness(
        &a.state.state,
        a.witnesses.witnesses.as_deref(),
        crate::output::lang(),
    )?;
    printer.text(&round.text_in(crate::output::lang()))?;
    printer.json(&round)?;
    Ok(verdict?)
}

fn open(dir: &Path, pubkey: Option<&str>) -> anyhow::Result<(State, Log, bool)> {
    let state = State::open_for_audit(dir)?;
    let log = match pubkey {
        Some(k) => state.log_pinned(&parse_pubkey(k)?)?,
        None => state.log()?,
    };
    Ok((state, log, pubkey.is_some()))
}

/// An entry in one line, for people, in the output's language.
pub fn describe(entry: &Entry) -> String {
    let lang = crate::output::lang();
    let t = |m: Msg| tr(lang, m, &[]);
    let kind_w = [Msg::LogKindIssue, Msg::LogKindVerify]
        .iter()
        .map(|m| m.template(lang).chars().count())
        .max()
        .unwrap_or(0)
        + 2;
    match entry {
        Entry::Issue(e) => format!(
            "{:<kind_w$}{:<16} {} {}",
            t(Msg::LogKindIssue),
            e.recipient,
            tr(lang, Msg::LogSlot, &[&format!("{:<4}", e.slot)]),
            tr(
                lang,
                Msg::LogCopyOf,
                &[
                    &&e.output_blake3[..16],
                    &count(lang, Msg::Rows, e.output_rows),
                    &count(lang, Msg::Bytes, e.output_bytes),
                    &&e.input_blake3[..12],
                ],
            )
        ),
        Entry::Verify(e) => {
            let result = if e.accused.is_empty() {
                t(Msg::LogNoOne)
            } else {
                let names: Vec<String> = e
                    .accused
                    .iter()
                    .map(|a| {
                        tr(
                            lang,
                            Msg::LogAccusedItem,
                            &[&a.recipient, &watermark_app::text::recorded_bound(&a.bound)],
                        )
                    })
                    .collect();
                tr(lang, Msg::RvAccused, &[&names.join(", ")])
            };
            let slot_w = tr(lang, Msg::LogSlot, &[&"    "]).chars().count();
            format!(
                "{:<kind_w$}{:<16} {:slot_w$} {}",
                t(Msg::LogKindVerify),
                e.investigator,
                "",
                tr(
                    lang,
                    Msg::LogLeak,
                    &[
                        &&e.leak_blake3[..16],
                        &count(lang, Msg::Rows, e.rows_read),
                        &result
                    ],
                )
            )
        }
        _ => t(Msg::LogUnknown),
    }
}

/// Indents every non-empty line (a signed note has an empty one).
fn indent(text: &str, by: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_string()
            } else {
                format!("{by}{l}\n")
            }
        })
        .collect()
}

fn uncommitted_note(u: &Uncommitted) -> String {
    u.notice(crate::output::lang(), Msg::NoteUncommitted)
}

#[derive(Debug, Serialize)]
struct UncommittedDoc {
    entry_bytes: u64,
    entry_lines: u64,
    checkpoint_bytes: u64,
}

fn uncommitted_doc(log: &Log) -> Option<UncommittedDoc> {
    log.uncommitted().map(|u| UncommittedDoc {
        entry_bytes: u.entry_bytes,
        entry_lines: u.entry_lines,
        checkpoint_bytes: u.checkpoint_bytes,
    })
}

#[derive(Debug, Serialize)]
struct ShownEntry<'a> {
    index: u64,
    leaf_hash: String,
    entry: &'a Entry,
}

#[derive(Debug, Serialize)]
struct ShowDoc<'a> {
    origin: &'a str,
    public_key: String,
    size: u64,
    root: String,
    checkpoint: &'a str,
    entries: Vec<ShownEntry<'a>>,
    uncommitted: Option<UncommittedDoc>,
    interrupted_issue: bool,
}

fn show(a: &LogShowArgs, printer: Printer) -> anyhow::Result<()> {
    let (state, log, _) = open(&a.state.state, None)?;
    let lang = crate::output::lang();
    let t = |m: Msg| tr(lang, m, &[]);
    let w = [
        Msg::LogLabelLog,
        Msg::LogLabelPublicKey,
        Msg::LogLabelEntries,
    ]
    .iter()
    .map(|m| m.template(lang).chars().count())
    .max()
    .unwrap_or(0)
        + 2;
    let mut s = String::new();
    let _ = writeln!(s, "{:<w$}{}", t(Msg::LogLabelLog), log.origin());
    let _ = writeln!(
        s,
        "{:<w$}{}",
        t(Msg::LogLabelPublicKey),
        log.verifier().to_vkey()
    );
    let _ = writeln!(
        s,
        "{:<w$}{}",
        t(Msg::LogLabelEntries),
        tr(
            lang,
            Msg::LogEntriesRoot,
            &[&int(log.size()), &hash_hex(&log.root())]
        )
    );
    let (index, time) = (t(Msg::LogColIndex), t(Msg::LogColTime));
    let index_w = index.chars().count().max(5);
    let time_w = time.chars().count().max(20);
    let _ = writeln!(
        s,
        "\n  {index:<index_w$} {time:<time_w$} {}",
        t(Msg::LogColWhat)
    );
    for (i, e) in log.entries().enumerate() {
        let _ = writeln!(s, "  {i:<index_w$} {:<time_w$} {}", e.time(), describe(e));
    }
    let _ = writeln!(s, "\n{}", t(Msg::LogLatestCheckpoint));
    s.push_str(&indent(log.checkpoint(), "  "));
    printer.text(&s)?;
    if let Some(u) = log.uncommitted() {
        printer.notice(&uncommitted_note(u))?;
    }
    if state.has_interrupted_issue() {
        printer.notice(&tr(crate::output::lang(), Msg::NoteInterruptedIssue, &[]))?;
    }
    printer.json(&ShowDoc {
        origin: log.origin(),
        public_key: log.verifier().to_vkey(),
        size: log.size(),
        root: hash_hex(&log.root()),
        checkpoint: log.checkpoint(),
        entries: log
            .entries()
            .enumerate()
            .map(|(i, entry)| ShownEntry {
                index: i as u64,
                leaf_hash: hash_hex(&log.leaf_hash(i as u64).expect("entry in tree")),
                entry,
            })
            .collect(),
        uncommitted: uncommitted_doc(&log),
        interrupted_issue: state.has_interrupted_issue(),
    })?;
    Ok(())
}

#[derive(Debug, Serialize)]
struct Problem {
    file: Option<PathBuf>,
    entry: Option<u64>,
    checkpoint: Option<u64>,
    line: Option<u64>,
    byte: Option<u64>,
    message: String,
}

#[derive(Debug, Serialize)]
struct VerifyDoc {
    ok: bool,
    origin: Option<String>,
    public_key: Option<String>,
    pinned_key: bool,
    size: Option<u64>,
    root: Option<String>,
    checkpoints_verified: Option<u64>,
    signing_key: Option<&'static str>,
    policies_checked: Option<usize>,
    canary_lists_checked: Option<usize>,
    uncommitted: Option<UncommittedDoc>,
    interrupted_issue: bool,
    /// With --witness-key: the cosignatures on the latest checkpoint.
    witnesses: Option<CosignaturesDoc>,
    problem: Option<Problem>,
}

fn verify(a: &LogVerifyArgs, printer: Printer) -> anyhow::Result<()> {
    let pinned = a.pubkey.pubkey.is_some();
    let result = open(&a.state.state, a.pubkey.pubkey.as_deref()).and_then(|(state, log, _)| {
        let files = state.check_files(&log)?;
        Ok((state, log, files))
    });
    let (state, log, files) = match result {
        Ok(v) => v,
        Err(err) => {
            let problem = match err
                .downcast_ref::<watermark_core::Error>()
                .map(|e| e.kind())
            {
                Some(ErrorKind::Log(d)) => Problem {
                    file: Some(d.file.clone()),
                    entry: d.entry,
                    checkpoint: d.checkpoint,
                    line: d.line,
                    byte: d.byte,
                    message: d.message.to_string(),
                },
                _ => Problem {
                    file: None,
                    entry: None,
                    checkpoint: None,
                    line: None,
                    byte: None,
                    message: format!("{err:#}"),
                },
            };
            printer.json(&VerifyDoc {
                ok: false,
                origin: None,
                public_key: None,
                pinned_key: pinned,
                size: None,
                root: None,
                checkpoints_verified: None,
                signing_key: None,
                policies_checked: None,
                canary_lists_checked: None,
                uncommitted: None,
                interrupted_issue: false,
                witnesses: None,
                problem: Some(problem),
            })?;
            let said = said!(Msg::LogDoesNotVerify, a.state.state.display());
            // The scheme's error keeps its type under the sentence, for the
            // exit status and to be written in the reader's language.
            return Err(match err.downcast::<watermark_core::Error>() {
                Ok(e) => anyhow::Error::new(said.because(e)),
                Err(err) => err.context(said),
            });
        }
    };
    let signing = match log.signing_key() {
        SigningKeyCheck::Matches => (
            "matches",
            "private (mode 0600) and the key of the public key",
        ),
        SigningKeyCheck::Absent => ("absent", "not present (an auditor's copy): not checked"),
        SigningKeyCheck::Unreadable => ("unreadable", "not readable by this user: not checked"),
        _ => ("unknown", "not checked"),
    };
    let witnesses = keys::key_check(&a.witness_keys, log.verifier())?
        .map(|k| k.check_state(&state, &log))
        .transpose()?;
    let lang = crate::output::lang();
    let t = |m: Msg| tr(lang, m, &[]);
    let mut s = tr(lang, Msg::LvVerifies, &[&log.origin()]);
    s.push('\n');
    let _ = writeln!(
        s,
        "  {}",
        tr(
            lang,
            Msg::LvEntries,
            &[
                &count(lang, Msg::Entries, log.size()),
                &int(log.size() + 1),
                &log.verifier().to_vkey(),
                &if pinned {
                    t(Msg::LvKeyGiven)
                } else {
                    " (log/verifier.key)".to_string()
                },
            ],
        )
    );
    let _ = writeln!(
        s,
        "  {}",
        tr(
            lang,
            Msg::LvRoot,
            &[&int(log.size()), &hash_hex(&log.root())]
        )
    );
    let signing_text = t(match signing.0 {
        "matches" => Msg::LvSigningMatches,
        "absent" => Msg::LvSigningAbsent,
        "unreadable" => Msg::LvSigningUnreadable,
        _ => Msg::LvNotChecked,
    });
    let _ = writeln!(s, "  {}", tr(lang, Msg::LvSigningKey, &[&signing_text]));
    let line = match files.policies {
        Some(n) => trn(lang, Msg::LvPolicies, n as u64, &[&n]),
        None => t(Msg::LvPoliciesNot),
    };
    let _ = writeln!(s, "  {line}");
    let line = match files.canary_lists {
        Some(n) => trn(lang, Msg::LvCanaries, n as u64, &[&n]),
        None => t(Msg::LvCanariesNot),
    };
    let _ = writeln!(s, "  {line}");
    if let Some(w) = &witnesses {
        let _ = writeln!(s, "  {}", w.text());
    }
    printer.text(&s)?;
    if let Some(u) = log.uncommitted() {
        printer.notice(&uncommitted_note(u))?;
    }
    if state.has_interrupted_issue() {
        printer.notice(&tr(
            crate::output::lang(),
            Msg::NoteInterruptedIssueJournal,
            &[],
        ))?;
    }
    let failure = witnesses
        .as_ref()
        .filter(|w| !w.ok)
        .map(|w| w.failure(said!(Msg::LatestNotCosignedAsRequired)));
    printer.json(&VerifyDoc {
        ok: failure.is_none(),
        origin: Some(log.origin().to_owned()),
        public_key: Some(log.verifier().to_vkey()),
        pinned_key: pinned,
        size: Some(log.size()),
        root: Some(hash_hex(&log.root())),
        checkpoints_verified: Some(log.size() + 1),
        signing_key: Some(signing.0),
        policies_checked: files.policies,
        canary_lists_checked: files.canary_lists,
        uncommitted: uncommitted_doc(&log),
        interrupted_issue: state.has_interrupted_issue(),
        problem: failure.as_ref().map(|f| Problem {
            file: None,
            entry: None,
            checkpoint: None,
            line: None,
            byte: None,
            message: f.said.to_string(),
        }),
        witnesses,
    })?;
    match failure {
        Some(f) => Err(f.into()),
        None => Ok(()),
    }
}

/// Finds an entry by index, or by the BLAKE3 of a copy or verified file
/// (the latest entry naming it).
fn find_entry(log: &Log, spec: &str) -> anyhow::Result<u64> {
    if !spec.is_empty() && spec.bytes().all(|b| b.is_ascii_digit()) {
        let index: u64 = spec.parse().said(|| said!(Msg::CtxEntryIndex))?;
        if index >= log.size() {
            return Err(said!(Msg::NoSuchEntry, index, log.size()).into());
        }
        return Ok(index);
    }
    let digest = spec.to_ascii_lowercase();
    if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(said!(Msg::EntrySpec, format!("{spec:?}")).into());
    }
    log.entries()
        .enumerate()
        .rev()
        .find(|(_, e)| match e {
            Entry::Issue(i) => i.output_blake3 == digest,
            Entry::Verify(v) => v.leak_blake3 == digest,
            _ => false,
        })
        .map(|(i, _)| i as u64)
        .ok_or_else(|| said!(Msg::NoEntryNames, digest).into())
}

fn prove(a: &LogProveArgs, printer: Printer) -> anyhow::Result<()> {
    let (_, log, _) = open(&a.state.state, None)?;
    let index = find_entry(&log, &a.entry)?;
    let receipt = log.receipt(index)?;
    receipt.verify(log.verifier())?;
    if let Some(path) = &a.output {
        std::fs::write(path, receipt.to_json()).said(|| said!(Msg::CtxWriting, path.display()))?;
    }
    let lang = crate::output::lang();
    let t = |m: Msg| tr(lang, m, &[]);
    let mut s = tr(
        lang,
        Msg::LpInCheckpoint,
        &[
            &index,
            &log.origin(),
            &count(lang, Msg::Entries, log.size()),
        ],
    );
    s.push('\n');
    let _ = writeln!(
        s,
        "  {}",
        describe(log.entry(index).expect("a found entry"))
    );
    let (entry, leaf) = (t(Msg::LpEntry), t(Msg::LpLeafHash));
    let w = entry.chars().count().max(leaf.chars().count()) + 2;
    let _ = writeln!(s, "  {entry:<w$}{}", receipt.entry);
    let _ = writeln!(
        s,
        "  {leaf:<w$}{}",
        hash_hex(&log.leaf_hash(index).expect("entry in tree"))
    );
    let _ = writeln!(
        s,
        "  {}",
        tr(
            lang,
            Msg::LpInclusion,
            &[&count(
                lang,
                Msg::Hashes,
                receipt.inclusion_proof.len() as u64
            )]
        )
    );
    for h in &receipt.inclusion_proof {
        let _ = writeln!(s, "    {}", hash_hex(h));
    }
    let _ = writeln!(s, "  {}", t(Msg::LpCheckpoint));
    s.push_str(&indent(&receipt.checkpoint, "    "));
    match &a.output {
        Some(p) => {
            let _ = writeln!(s, "{}", tr(lang, Msg::LpWritten, &[&p.display()]));
        }
        None => {
            let _ = writeln!(s, "{}", t(Msg::LpKeep));
        }
    }
    printer.text(&s)?;
    printer.json(&receipt)?;
    Ok(())
}

#[derive(Debug, Serialize)]
struct TreeHead {
    size: u64,
    root: String,
}

impl From<&Checkpoint> for TreeHead {
    fn from(c: &Checkpoint) -> Self {
        TreeHead {
            size: c.size,
            root: hash_hex(&c.root),
        }
    }
}

#[derive(Debug, Serialize)]
struct ConsistencyDoc<'a> {
    consistent: bool,
    origin: &'a str,
    old: TreeHead,
    new: TreeHead,
    proof: Vec<String>,
    checkpoint: &'a str,
}

fn consistency(a: &LogConsistencyArgs, printer: Printer) -> anyhow::Result<()> {
    let (_, log, _) = open(&a.state.state, a.pubkey.pubkey.as_deref())?;
    let old = std::fs::read_to_string(&a.old).said(|| said!(Msg::CtxReading, a.old.display()))?;
    let c = log
        .consistency(&old)
        .with_context(|| format!("{}", a.old.display()))?;
    let lang = crate::output::lang();
    let t = |m: Msg| tr(lang, m, &[]);
    let mut s = tr(
        lang,
        Msg::LcExtends,
        &[&count(lang, Msg::Entries, c.old.size), &a.old.display()],
    );
    s.push('\n');
    let (old_label, new_label) = (t(Msg::LcOld), t(Msg::LcNew));
    let w = old_label.chars().count().max(new_label.chars().count()) + 2;
    for (label, size, root) in [
        (&old_label, c.old.size, &c.old.root),
        (&new_label, c.new.size, &c.new.root),
    ] {
        let _ = writeln!(
            s,
            "  {label:<w$}{}",
            tr(
                lang,
                Msg::LcSizeRoot,
                &[&format!("{size:<6}"), &hash_hex(root)]
            )
        );
    }
    let _ = writeln!(
        s,
        "  {}",
        tr(
            lang,
            Msg::LcProof,
            &[&count(lang, Msg::Hashes, c.proof.len() as u64)]
        )
    );
    for h in &c.proof {
        let _ = writeln!(s, "    {}", hash_hex(h));
    }
    let _ = writeln!(s, "{}", t(Msg::LogLatestCheckpoint));
    s.push_str(&indent(log.checkpoint(), "  "));
    printer.text(&s)?;
    printer.json(&ConsistencyDoc {
        consistent: true,
        origin: log.origin(),
        old: (&c.old).into(),
        new: (&c.new).into(),
        proof: c.proof.iter().map(hash_hex).collect(),
        checkpoint: log.checkpoint(),
    })?;
    Ok(())
}

#[derive(Debug, Serialize)]
struct PubkeyDoc {
    origin: String,
    key_id: String,
    public_key: String,
}

fn pubkey(a: &LogPlainArgs, printer: Printer) -> anyhow::Result<()> {
    let state = State::open_for_audit(&a.state.state)?;
    let v = state.log_verifier()?;
    printer.text(&format!("{}\n", v.to_vkey()))?;
    printer.json(&PubkeyDoc {
        origin: v.name().to_owned(),
        key_id: format!("{:08x}", v.key_id()),
        public_key: v.to_vkey(),
    })?;
    Ok(())
}

#[derive(Debug, Serialize)]
struct CheckpointDoc<'a> {
    origin: &'a str,
    size: u64,
    root: String,
    checkpoint: &'a str,
}

#[derive(Debug, Serialize)]
struct RestoredDoc<'a> {
    origin: &'a str,
    restored: u64,
    size: u64,
    root: String,
    still_unsigned: usize,
}

fn restore(a: &LogRestoreArgs, printer: Printer) -> anyhow::Result<()> {
    const MAX: u64 = 1 << 20;
    let file = std::fs::File::open(&a.from).said(|| said!(Msg::CtxReading, a.from.display()))?;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::Read::take(file, MAX + 1), &mut text)
        .said(|| said!(Msg::CtxReadingNotUtf8, a.from.display()))?;
    if text.len() as u64 > MAX {
        return Err(said!(Msg::TooLargeForReceipt, a.from.display(), MAX).into());
    }
    // A receipt carries its checkpoint; any other file is the checkpoint.
    let note = match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) => v["checkpoint"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow::Error::new(said!(Msg::JsonNoCheckpoint, a.from.display())))?,
        Err(_) => text,
    };
    let state = State::open_for_audit(&a.state.state)?;
    let lock = state.lock()?;
    let (log, restored) = state
        .restore_checkpoints(&lock, &note)
        .said(|| said!(Msg::CtxRestoring, a.from.display()))?;
    let still = log.orphaned().map_or(0, |o| o.lines.len());
    let lang = crate::output::lang();
    printer.text(&format!(
        "{}{}\n",
        tr(
            lang,
            Msg::LrRestored,
            &[
                &count(lang, Msg::Entries, restored),
                &log.origin(),
                &count(lang, Msg::SignedEntries, log.size()),
                &hash_hex(&log.root()),
            ]
        ),
        if still > 0 {
            trn(lang, Msg::LrStill, still as u64, &[&int(still as u64)])
        } else {
            String::new()
        }
    ))?;
    printer.json(&RestoredDoc {
        origin: log.origin(),
        restored,
        size: log.size(),
        root: hash_hex(&log.root()),
        still_unsigned: still,
    })?;
    Ok(())
}

fn checkpoint(a: &LogPlainArgs, printer: Printer) -> anyhow::Result<()> {
    let (_, log, _) = open(&a.state.state, None)?;
    // Exactly the signed note, so it can be saved and given back later.
    printer.text(log.checkpoint())?;
    printer.json(&CheckpointDoc {
        origin: log.origin(),
        size: log.size(),
        root: hash_hex(&log.root()),
        checkpoint: log.checkpoint(),
    })?;
    Ok(())
}

#[derive(Debug, Serialize)]
struct ReceiptDoc<'a> {
    ok: bool,
    origin: &'a str,
    index: u64,
    leaf_hash: String,
    checkpoint: TreeHead,
    entry: &'a Entry,
    copy_matches: Option<bool>,
    /// With --witness-key: the cosignatures on the receipt's checkpoint.
    witnesses: Option<CosignaturesDoc>,
}

fn verify_receipt(a: &VerifyReceiptArgs, printer: Printer) -> anyhow::Result<()> {
    let verifier = match (&a.pubkey, &a.state) {
        (Some(k), _) => parse_pubkey(k)?,
        (None, Some(dir)) => State::open_for_audit(dir)?.log_verifier()?,
        (None, None) => return Err(said!(Msg::GivePubkey).into()),
    };
    let text =
        std::fs::read_to_string(&a.receipt).said(|| said!(Msg::CtxReading, a.receipt.display()))?;
    let receipt = Receipt::from_json(&text).with_context(|| format!("{}", a.receipt.display()))?;
    let v = receipt
        .verify(&verifier)
        .with_context(|| format!("{}", a.receipt.display()))?;
    let copy_matches = match &a.copy {
        None => None,
        Some(path) => {
            let Entry::Issue(issue) = &v.entry else {
                return Err(said!(Msg::NotAnIssuedCopy, a.receipt.display(), v.index).into());
            };
            let file = std::fs::File::open(path).said(|| said!(Msg::CtxOpening, path.display()))?;
            let mut reader = HashingReader::new(file);
            std::io::copy(&mut reader, &mut std::io::sink())
                .said(|| said!(Msg::CtxReading, path.display()))?;
            let (digest, _) = reader.digest();
            if digest != issue.output_blake3 {
                return Err(said!(
                    Msg::NotTheCopy,
                    path.display(),
                    v.index,
                    digest,
                    issue.output_blake3
                )
                .into());
            }
            Some(true)
        }
    };
    let lang = crate::output::lang();
    let mut s = tr(
        lang,
        Msg::VrVerifies,
        &[
            &v.index,
            &count(lang, Msg::Entries, v.checkpoint.size),
            &v.checkpoint.origin,
            &format!("{}+{:08x}", verifier.name(), verifier.key_id()),
        ],
    );
    s.push('\n');
    let _ = writeln!(s, "  {}  {}", v.entry.time(), describe(&v.entry));
    if let (Some(path), Some(true)) = (&a.copy, copy_matches) {
        let _ = writeln!(s, "  {}", tr(lang, Msg::VrSameCopy, &[&path.display()]));
    }
    let witnesses = keys::key_check(&a.witness_keys, &verifier)?
        .map(|k| k.check(&receipt.checkpoint, Some(v.checkpoint.size)));
    if let Some(w) = &witnesses {
        let _ = writeln!(s, "  {}", w.text());
    }
    let failure = witnesses.as_ref().filter(|w| !w.ok).map(|w| {
        w.failure(said!(
            Msg::ReceiptNotCosignedAsRequired,
            a.receipt.display()
        ))
    });
    printer.text(&s)?;
    printer.json(&ReceiptDoc {
        ok: failure.is_none(),
        origin: &v.checkpoint.origin,
        index: v.index,
        leaf_hash: hash_hex(&v.leaf_hash),
        checkpoint: (&v.checkpoint).into(),
        entry: &v.entry,
        copy_matches,
        witnesses,
    })?;
    match failure {
        Some(f) => Err(f.into()),
        None => Ok(()),
    }
}
