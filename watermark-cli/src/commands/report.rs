//! `watermark report verify`: check a signed evidence report with a public
//! key obtained from outside it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;
use watermark_app::State;
use watermark_formats::HashingReader;
use watermark_log::tlog::{self, Verifier};
use watermark_log::{hash_hex, Entry, Receipt};

use crate::cli::{ReportCommand, ReportVerifyArgs};
use crate::commands::keys::{self, CosignaturesDoc};
use crate::commands::log::parse_pubkey;
use crate::output::Printer;
use watermark_app::messages::{count, tr, trn, Msg};
use watermark_app::report::{self, Rejected};
use watermark_app::text::{bound, int, recorded_bound, wrap};
use watermark_text::{said, SaidContext as _};

pub fn run(cmd: ReportCommand, quiet: bool) -> anyhow::Result<()> {
    match cmd {
        ReportCommand::Verify(a) => verify(
            &a,
            Printer {
                json: a.json,
                quiet,
            },
        ),
    }
}

#[derive(Debug, Serialize)]
struct SignatureDoc {
    ok: bool,
    algorithm: &'static str,
    /// The key the signature was checked with (`NAME+KEYID+BASE64`).
    key: String,
    /// Its name (the log's origin) and key id.
    key_name: String,
    key_id: String,
    /// Where that key came from: `--pubkey` or the state's log/verifier.key.
    key_source: String,
    /// The context line signed before the payload.
    context: &'static str,
    /// Bytes signed after the context (the file before its last line).
    signed_bytes: Option<u64>,
    file_bytes: u64,
}

#[derive(Debug, Serialize)]
struct LeakDoc {
    file: String,
    blake3: String,
    bytes: u64,
}

#[derive(Debug, Serialize)]
struct AccusedDoc {
    recipient: String,
    /// 0 where the bound is below the smallest 64-bit float.
    false_accusation_bound: f64,
    /// The bound as the log records it.
    recorded_bound: String,
}

#[derive(Debug, Clone, Serialize)]
struct ReceiptCheck {
    index: u64,
    /// `verification` (this report's own entry) or `copy` (an accused's copy).
    what: &'static str,
    recipient: Option<String>,
    checkpoint_size: Option<u64>,
    ok: bool,
    problem: Option<String>,
}

#[derive(Debug, Serialize)]
struct CheckpointDoc {
    origin: String,
    size: u64,
    root: String,
    ok: bool,
}

#[derive(Debug, Serialize)]
struct ReportVerifyDoc {
    ok: bool,
    report: PathBuf,
    signature: SignatureDoc,
    /// Whether the public key printed inside the report is the key given.
    /// It is never used to check anything.
    embedded_key_matches: Option<bool>,
    leak: Option<LeakDoc>,
    /// `--leaked FILE`: whether FILE's BLAKE3 is the report's.
    leaked_file_matches: Option<bool>,
    verified_at: Option<String>,
    investigator: Option<String>,
    threshold: Option<f64>,
    accused: Vec<AccusedDoc>,
    checkpoint: Option<CheckpointDoc>,
    receipts: Vec<ReceiptCheck>,
    saved: Vec<PathBuf>,
    /// With --witness-key: the cosignatures on the report's checkpoint.
    witnesses: Option<CosignaturesDoc>,
    problem: Option<String>,
}

/// What was found in a report whose signature verified.
struct Contents {
    receipts: Vec<(Receipt, ReceiptCheck)>,
    checkpoint_text: String,
}

fn verify(a: &ReportVerifyArgs, printer: Printer) -> anyhow::Result<()> {
    let (key, source) = match (&a.pubkey, &a.state) {
        (Some(k), _) => (parse_pubkey(k)?, "--pubkey".to_string()),
        (None, Some(dir)) => (
            State::open_for_audit(dir)?.log_verifier()?,
            format!("{}", dir.join("log").join("verifier.key").display()),
        ),
        (None, None) => return Err(said!(Msg::GivePubkeyOrState).into()),
    };
    let bytes = std::fs::read(&a.report).said(|| said!(Msg::CtxReading, a.report.display()))?;
    let leaked_blake3 = match &a.leaked {
        Some(path) => Some(blake3_of(path)?),
        None => None,
    };
    let mut doc = ReportVerifyDoc {
        ok: false,
        report: a.report.clone(),
        signature: SignatureDoc {
            ok: false,
            algorithm: "ed25519",
            key: key.to_vkey(),
            key_name: key.name().to_owned(),
            key_id: format!("{:08x}", key.key_id()),
            key_source: source.clone(),
            context: report::CONTEXT.trim_end_matches('\n'),
            signed_bytes: None,
            file_bytes: bytes.len() as u64,
        },
        embedded_key_matches: None,
        leak: None,
        leaked_file_matches: None,
        verified_at: None,
        investigator: None,
        threshold: None,
        accused: Vec::new(),
        checkpoint: None,
        receipts: Vec::new(),
        saved: Vec::new(),
        witnesses: None,
        problem: None,
    };
    let key_check = keys::key_check(&a.witness_keys, &key)?;
    let outcome = check(&bytes, &key, leaked_blake3.as_deref(), &mut doc);
    let contents = match outcome {
        Ok(c) => c,
        Err(rejection) => {
            doc.problem = Some(rejection.reason.clone());
            // The verdict stands whether or not it could be printed: a
            // closed standard output must not turn it into a success.
            let _ = printer.json(&doc);
            return Err(anyhow::Error::new(rejection)
                .context(said!(Msg::ClReportNotVerify, a.report.display())));
        }
    };
    doc.ok = true;
    if let Some(k) = &key_check {
        let w = k.check(
            &contents.checkpoint_text,
            doc.checkpoint.as_ref().map(|c| c.size),
        );
        if !w.ok {
            let failure = w.failure(said!(Msg::ReportNotCosignedAsRequired, a.report.display()));
            doc.ok = false;
            doc.problem = Some(failure.said.to_string());
            doc.witnesses = Some(w);
            printer.json(&doc)?;
            return Err(failure.into());
        }
        doc.witnesses = Some(w);
    }
    if let Some(dir) = &a.save_receipts {
        doc.saved = save(dir, &contents)?;
    }
    printer.text(&text(a, &doc, &source))?;
    printer.json(&doc)?;
    Ok(())
}

fn blake3_of(path: &Path) -> anyhow::Result<String> {
    let file = std::fs::File::open(path).said(|| said!(Msg::CtxOpening, path.display()))?;
    let mut reader = HashingReader::new(file);
    std::io::copy(&mut reader, &mut std::io::sink())
        .said(|| said!(Msg::CtxReading, path.display()))?;
    Ok(reader.digest().0)
}

fn field<'a>(v: &'a Value, path: &[&str]) -> Result<&'a Value, Rejected> {
    let mut at = v;
    for p in path {
        at = at.get(p).ok_or_else(|| Rejected {
            reason: format!("its embedded JSON report has no {}", path.join(".")),
        })?;
    }
    Ok(at)
}

fn string(v: &Value, path: &[&str]) -> Result<String, Rejected> {
    field(v, path)?
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| Rejected {
            reason: format!(
                "its embedded JSON report's {} is not a string",
                path.join(".")
            ),
        })
}

fn reject(reason: impl Into<String>) -> Rejected {
    Rejected {
        reason: reason.into(),
    }
}

/// Checks the signature, then what the report carries: its log receipts
/// against the signed checkpoint, and that the log entry of this
/// verification is the report's (same file, same accused).
fn check(
    bytes: &[u8],
    key: &Verifier,
    leaked_blake3: Option<&str>,
    doc: &mut ReportVerifyDoc,
) -> Result<Contents, Rejected> {
    let payload = report::check_signature(bytes, key)?;
    doc.signature.ok = true;
    doc.signature.signed_bytes = Some(payload.len() as u64);
    let json = report::embedded_json(payload)?;

    let leak = LeakDoc {
        file: string(&json, &["leak", "file"])?,
        blake3: string(&json, &["leak", "blake3"])?,
        bytes: field(&json, &["leak", "bytes"])?.as_u64().unwrap_or(0),
    };
    // The accused as the report names them; their bounds and the threshold
    // are taken from the logged verification below, which records them as
    // exact decimals.
    let reported: Vec<String> = field(&json, &["accused"])?
        .as_array()
        .map(|list| {
            list.iter()
                .map(|a| a["recipient"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default();
    let embedded_key = string(&json, &["log", "public_key"])?;
    doc.embedded_key_matches = Some(embedded_key == key.to_vkey());
    let leak_blake3 = leak.blake3.clone();
    let leak_bytes = leak.bytes;
    doc.leak = Some(leak);

    // The latest checkpoint the report names.
    let checkpoint_text = string(&json, &["log", "checkpoint"])?;
    let checkpoint = tlog::open_checkpoint(&checkpoint_text, key);
    let size = field(&json, &["log", "size"])?.as_u64();
    let root = string(&json, &["log", "root"])?;
    let checkpoint_ok = match &checkpoint {
        Ok(c) => c.origin == key.name() && Some(c.size) == size && hash_hex(&c.root) == root,
        Err(_) => false,
    };
    doc.checkpoint = Some(CheckpointDoc {
        origin: string(&json, &["log", "origin"])?,
        size: size.unwrap_or(0),
        root,
        ok: checkpoint_ok,
    });

    // The receipts: this verification's, and each accused's copies'.
    let mut receipts = Vec::new();
    let verification: Receipt =
        serde_json::from_value(field(&json, &["log", "verification"])?.clone())
            .map_err(|e| reject(format!("its verification receipt is malformed: {e}")))?;
    receipts.push((verification, "verification", None));
    if let Some(list) = field(&json, &["log", "accused"])?.as_array() {
        for a in list {
            let recipient = a["recipient"].as_str().unwrap_or_default().to_owned();
            for c in a["copies"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                let r: Receipt = serde_json::from_value(c.clone()).map_err(|e| {
                    reject(format!(
                        "a receipt of {recipient}'s copies is malformed: {e}"
                    ))
                })?;
                receipts.push((r, "copy", Some(recipient.clone())));
            }
        }
    }
    let mut checked = Vec::new();
    let mut first_problem: Option<String> = None;
    for (receipt, what, recipient) in receipts {
        let mut check = ReceiptCheck {
            index: receipt.index,
            what,
            recipient: recipient.clone(),
            checkpoint_size: None,
            ok: false,
            problem: None,
        };
        match receipt.verify(key) {
            Ok(v) => {
                check.checkpoint_size = Some(v.checkpoint.size);
                let mismatch = match (&v.entry, what) {
                    (Entry::Verify(e), "verification") => {
                        let named: Vec<&str> =
                            e.accused.iter().map(|a| a.recipient.as_str()).collect();
                        doc.verified_at = Some(e.time.clone());
                        doc.investigator = Some(e.investigator.clone());
                        doc.threshold = e.threshold.parse().ok();
                        doc.accused = e
                            .accused
                            .iter()
                            .map(|a| AccusedDoc {
                                recipient: a.recipient.clone(),
                                false_accusation_bound: a.bound.parse().unwrap_or(1.0),
                                recorded_bound: a.bound.clone(),
                            })
                            .collect();
                        if e.leak_blake3 != leak_blake3 || e.leak_bytes != leak_bytes {
                            Some("the logged verification is of another file".to_string())
                        } else if named != reported {
                            Some(format!(
                                "the logged verification accused {named:?}, the report {reported:?}"
                            ))
                        } else {
                            None
                        }
                    }
                    (Entry::Issue(e), "copy") if Some(&e.recipient) == recipient.as_ref() => None,
                    _ => Some(format!(
                        "entry {} is not the {} the report says it is",
                        v.index,
                        if what == "copy" {
                            "issued copy"
                        } else {
                            "verification"
                        }
                    )),
                };
                match mismatch {
                    None => check.ok = true,
                    Some(m) => check.problem = Some(m),
                }
            }
            Err(e) => check.problem = Some(e.to_string()),
        }
        if let (None, Some(p)) = (&first_problem, &check.problem) {
            first_problem = Some(format!("the receipt of log entry {}: {p}", check.index));
        }
        checked.push((receipt, check));
    }
    doc.receipts = checked.iter().map(|(_, c)| c.clone()).collect();

    if let Some(p) = first_problem {
        return Err(reject(p));
    }
    if !checkpoint_ok {
        return Err(reject(match checkpoint {
            Err(e) => format!("its log checkpoint does not verify: {e}"),
            Ok(_) => "its log checkpoint is not the log size and root it states".to_string(),
        }));
    }
    if doc.embedded_key_matches != Some(true) {
        return Err(reject(format!(
            "it states the log key {embedded_key}, not the key it is signed with"
        )));
    }
    if let Some(given) = leaked_blake3 {
        let matches = given == leak_blake3;
        doc.leaked_file_matches = Some(matches);
        if !matches {
            return Err(reject(format!(
                "the file given with --leaked is not the file the report is about: its BLAKE3 \
                 is {given}, the report's {leak_blake3}"
            )));
        }
    }
    Ok(Contents {
        receipts: checked,
        checkpoint_text,
    })
}

/// Writes the receipts as DIR/entry-N.receipt and the checkpoint as
/// DIR/checkpoint.
fn save(dir: &Path, contents: &Contents) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).said(|| said!(Msg::CtxCreating, dir.display()))?;
    let mut saved = Vec::new();
    for (receipt, _) in &contents.receipts {
        let path = dir.join(format!("entry-{}.receipt", receipt.index));
        std::fs::write(&path, receipt.to_json()).said(|| said!(Msg::CtxWriting, path.display()))?;
        saved.push(path);
    }
    let path = dir.join("checkpoint");
    std::fs::write(&path, &contents.checkpoint_text)
        .said(|| said!(Msg::CtxWriting, path.display()))?;
    saved.push(path);
    Ok(saved)
}

/// Text from the report for a terminal: no control characters.
fn printable(s: &str) -> String {
    s.chars().filter(|c| !c.is_control()).collect()
}

/// One labelled line, wrapped at 92 columns under its label.
fn item(s: &mut String, width: usize, label: &str, text: &str) {
    let indent = " ".repeat(width + 2);
    let wrapped = wrap(text, 92, &indent);
    let _ = write!(s, "  {label:<width$}{}", &wrapped[indent.len()..]);
}

fn text(a: &ReportVerifyArgs, doc: &ReportVerifyDoc, source: &str) -> String {
    let lang = crate::output::lang();
    let t = |m: Msg| tr(lang, m, &[]);
    let width = [
        Msg::RvLabelSignature,
        Msg::RvLabelTrust,
        Msg::RvLabelLeakedFile,
        Msg::RvLabelResult,
        Msg::RvLabelRecorded,
        Msg::RvLabelReceipts,
        Msg::RvLabelCheckpoint,
        Msg::RvLabelWitnesses,
        Msg::RvLabelSaved,
    ]
    .iter()
    .map(|m| m.template(lang).chars().count())
    .max()
    .unwrap_or(10)
        + 2;
    let mut s = tr(lang, Msg::RvVerifies, &[&a.report.display()]);
    s.push('\n');
    let key_short = format!("{}+{}", doc.signature.key_name, doc.signature.key_id);
    item(
        &mut s,
        width,
        &t(Msg::RvLabelSignature),
        &tr(
            lang,
            Msg::RvSignature,
            &[
                &key_short,
                &if source == "--pubkey" {
                    t(Msg::RvKeyGiven)
                } else {
                    tr(lang, Msg::RvKeyIn, &[&source])
                },
                &doc.signature.context,
                &count(lang, Msg::Bytes, doc.signature.signed_bytes.unwrap_or(0)),
            ],
        ),
    );
    item(
        &mut s,
        width,
        &t(Msg::RvLabelTrust),
        &t(if doc.embedded_key_matches == Some(true) {
            Msg::RvTrustMatches
        } else {
            Msg::RvTrustDiffers
        }),
    );
    if let Some(l) = &doc.leak {
        let mut text = format!(
            "{}, BLAKE3 {} ({})",
            printable(&l.file),
            l.blake3,
            count(lang, Msg::Bytes, l.bytes)
        );
        if doc.leaked_file_matches == Some(true) {
            text.push_str(&tr(
                lang,
                Msg::RvSameFile,
                &[&a.leaked.as_deref().unwrap_or(Path::new("")).display()],
            ));
        }
        item(&mut s, width, &t(Msg::RvLabelLeakedFile), &text);
    }
    let result = if doc.accused.is_empty() {
        tr(
            lang,
            Msg::RvNoOne,
            &[&doc.threshold.map(bound).unwrap_or_default()],
        )
    } else {
        let names: Vec<String> = doc
            .accused
            .iter()
            .map(|x| {
                tr(
                    lang,
                    Msg::RvAccusedItem,
                    &[&x.recipient, &recorded_bound(&x.recorded_bound)],
                )
            })
            .collect();
        tr(lang, Msg::RvAccused, &[&names.join(", ")])
    };
    item(&mut s, width, &t(Msg::RvLabelResult), &result);
    if let (Some(time), Some(who)) = (&doc.verified_at, &doc.investigator) {
        let verification = doc.receipts.first().map(|r| r.index).unwrap_or(0);
        item(
            &mut s,
            width,
            &t(Msg::RvLabelRecorded),
            &tr(
                lang,
                Msg::RvRecorded,
                &[
                    time,
                    &printable(who),
                    &verification,
                    &doc.checkpoint
                        .as_ref()
                        .map(|c| c.origin.as_str())
                        .unwrap_or("?"),
                ],
            ),
        );
    }
    let copies: Vec<String> = doc
        .receipts
        .iter()
        .filter(|r| r.what == "copy")
        .map(|r| {
            tr(
                lang,
                Msg::RvCopyEntry,
                &[&r.index, &r.recipient.as_deref().unwrap_or("?")],
            )
        })
        .collect();
    item(
        &mut s,
        width,
        &t(Msg::RvLabelReceipts),
        &trn(
            lang,
            Msg::RvReceipts,
            doc.receipts.len() as u64,
            &[
                &int(doc.receipts.len() as u64),
                &doc.receipts.first().map(|r| r.index).unwrap_or(0),
                &if copies.is_empty() {
                    String::new()
                } else {
                    format!("; {}", copies.join(", "))
                },
            ],
        ),
    );
    if let Some(c) = &doc.checkpoint {
        item(
            &mut s,
            width,
            &t(Msg::RvLabelCheckpoint),
            &tr(
                lang,
                Msg::RvCheckpoint,
                &[&count(lang, Msg::Entries, c.size), &c.root],
            ),
        );
    }
    if let Some(w) = &doc.witnesses {
        item(&mut s, width, &t(Msg::RvLabelWitnesses), &w.summary());
    }
    if !doc.saved.is_empty() {
        let dir = a.save_receipts.as_deref().unwrap_or(Path::new("."));
        item(
            &mut s,
            width,
            &t(Msg::RvLabelSaved),
            &tr(
                lang,
                Msg::RvSaved,
                &[
                    &count(lang, Msg::Receipts, doc.saved.len() as u64 - 1),
                    &dir.display(),
                    &dir.join("checkpoint").display(),
                ],
            ),
        );
    }
    s
}
