//! The signed byte range, escaping, and that no single changed byte goes
//! unnoticed.

use std::path::PathBuf;

use watermark_core::{ColumnCount, Evidence, RecipientScore};
use watermark_log::tlog::{self, Checkpoint, Signer};
use watermark_log::{AccusedRecord, Entry, Receipt, VerifyEntry};

use super::*;
use crate::verify::{AccusedCopies, Group, Leak, LogSection, Report};

const HOSTILE_FILE: &str = "\"><img src=x onerror=alert(1)>leak.csv";
const HOSTILE_RECIPIENT: &str = "<script>alert('r')</script>";
const HOSTILE_COLUMN: &str = "</td></tr></table><script>alert(\"c\")</script>";

fn score(recipient: &str, s: f64, b: f64, accused: bool) -> RecipientScore {
    RecipientScore {
        recipient: recipient.into(),
        slot: 0,
        score: s,
        single_leaker_score: s / 2.0,
        matching_positions: 40,
        false_accusation_bound: b,
        false_accusation_bound_log10: b.log10(),
        decided_by: watermark_core::ScoreTried {
            evidence: "all".into(),
            score: watermark_core::ScoreName::Tardos,
            weight: 0.35,
        },
        accused,
        evidence: if accused {
            vec![
                Evidence {
                    row: 3,
                    column: HOSTILE_COLUMN.into(),
                    canary: false,
                    bit: 1,
                    bias: 0.3,
                },
                Evidence {
                    row: 9,
                    column: String::new(),
                    canary: true,
                    bit: 1,
                    bias: 0.5,
                },
            ]
        } else {
            Vec::new()
        },
    }
}

/// A report with one accused and one log entry (a real receipt under the
/// signer's key), whose names are hostile HTML.
fn sample(signer: &Signer) -> Report {
    let origin = signer.name().to_owned();
    let entry = Entry::Verify(VerifyEntry {
        scheme: watermark_core::SCHEME_VERSION,
        time: "2026-05-02T11:00:00Z".into(),
        investigator: "fiscal<ia>-7".into(),
        leak_blake3: "e".repeat(64),
        leak_bytes: 5000,
        leak_format: None,
        leak_encoding: None,
        rows_read: 60,
        positions_read: 144,
        comparisons: 2,
        threshold: "1e-9".into(),
        accused: vec![AccusedRecord::new(HOSTILE_RECIPIENT, 0, 3.6e-34)],
        tool: "watermark 0.1.0".into(),
    })
    .to_canonical();
    let root = tlog::leaf_hash(entry.as_bytes());
    let checkpoint = tlog::sign_checkpoint(&Checkpoint::new(&origin, 1, root), signer).unwrap();
    let receipt = Receipt {
        index: 0,
        entry,
        inclusion_proof: Vec::new(),
        checkpoint: checkpoint.clone(),
    };
    let accused = score(HOSTILE_RECIPIENT, 31.5, 3.6e-34, true);
    Report {
        tool: "watermark 0.1.0",
        leak: Leak {
            file: PathBuf::from(HOSTILE_FILE),
            blake3: "e".repeat(64),
            bytes: 5000,
            read: Default::default(),
        },
        master: None,
        rows_read: 60,
        rows_used: 58,
        rows_without_identity: 0,
        identifier: None,
        positions_read: 144,
        canaries_found: 1,
        canaries_known: 30,
        columns_normalised: vec![HOSTILE_COLUMN.into()],
        repeated_positions: 0,
        conflicting_positions: 0,
        threshold: 1e-9,
        comparisons: 2,
        scores_per_recipient: 2,
        accused: vec![accused.clone()],
        recipients: vec![accused, score("PRI", -2.25, 1.0, false)],
        groups: vec![Group {
            key_id: "0123456789abcdef".into(),
            policy_digest: "5".repeat(32),
            recipients: 2,
            positions_read: 144,
            positions_by_column: vec![ColumnCount {
                column: HOSTILE_COLUMN.into(),
                positions: 143,
            }],
            columns_missing: Vec::new(),
        }],
        not_compared: Vec::new(),
        method: "A method & its <words>.",
        recheck: format!("watermark verify --state STATE {HOSTILE_FILE} --json"),
        log: LogSection {
            origin,
            public_key: signer.verifier().to_vkey(),
            size: 1,
            root: hash_hex(&root),
            checkpoint,
            verification: receipt,
            accused: vec![AccusedCopies {
                recipient: HOSTILE_RECIPIENT.into(),
                copies: Vec::new(),
            }],
        },
    }
}

fn signer() -> Signer {
    Signer::generate("registry.example/extracts").unwrap()
}

#[test]
fn escape_replaces_every_character_that_is_markup() {
    assert_eq!(
        escape(r#"<a href="x" title='y'>&amp;</a>"#),
        "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;"
    );
    assert_eq!(escape("Peña, CALLE 5"), "Peña, CALLE 5");
    let json = json_for_script(r#"{"a":"</script><!--&"}"#);
    assert!(!json.contains('<') && !json.contains('>') && !json.contains('&'));
    let back: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(back["a"], "</script><!--&");
}

#[test]
fn hostile_names_are_text_not_markup() {
    let signer = signer();
    let report = sample(&signer);
    let html = sign(&report, &signer).unwrap();
    // The only elements are the renderer's: one script element (the JSON,
    // which does not run), no image, no stray table end.
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert!(html.contains(JSON_OPEN));
    assert!(!html.contains("<img"));
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("</td></tr></table><script"));
    assert!(html.contains("&lt;script&gt;alert(&#39;r&#39;)&lt;/script&gt;"));
    assert!(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;leak.csv"));
    assert!(html.contains("fiscal&lt;ia&gt;-7"));
    // Each data string appears escaped, never raw.
    for raw in [HOSTILE_FILE, HOSTILE_RECIPIENT, HOSTILE_COLUMN] {
        assert!(!html.contains(raw), "{raw} appears unescaped");
    }
    // The embedded JSON gives the data back exactly.
    let payload = check_signature(html.as_bytes(), &signer.verifier()).unwrap();
    let json = embedded_json(payload).unwrap();
    assert_eq!(json["leak"]["file"], HOSTILE_FILE);
    assert_eq!(json["accused"][0]["recipient"], HOSTILE_RECIPIENT);
    assert_eq!(json["columns_normalised"][0], HOSTILE_COLUMN);
    assert_eq!(json, serde_json::to_value(&report).unwrap());
}

#[test]
fn the_signed_bytes_are_the_context_and_everything_before_the_last_line() {
    let signer = signer();
    let html = sign(&sample(&signer), &signer).unwrap();
    let bytes = html.as_bytes();
    // Independently of `check_signature`: the last line is the signature,
    // the rest is signed after the context line.
    let body = html.strip_suffix('\n').unwrap();
    let cut = body.rfind('\n').unwrap() + 1;
    let (payload, line) = (&html[..cut], &body[cut..]);
    assert!(payload.starts_with("<!DOCTYPE html>\n"));
    assert!(payload.ends_with("</html>\n"));
    let key = signer.verifier();
    let prefix = format!(
        "<!-- watermark-evidence-signature v1 ed25519 key=registry.example/extracts+{:08x} sig=",
        key.key_id()
    );
    let sig_hex = line
        .strip_prefix(&prefix)
        .unwrap()
        .strip_suffix(" -->")
        .unwrap();
    assert_eq!(sig_hex.len(), 128);
    let sig = unhex(sig_hex).unwrap();
    let mut message = b"watermark evidence report v1\n".to_vec();
    message.extend_from_slice(payload.as_bytes());
    ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, key.public_key())
        .verify(&message, &sig)
        .unwrap();
    assert_eq!(split(bytes).unwrap(), (payload.as_bytes(), line.as_bytes()));
    assert_eq!(check_signature(bytes, &key).unwrap(), payload.as_bytes());

    // Nothing may follow the signature line, and its newline must be there.
    let mut longer = bytes.to_vec();
    longer.push(b'\n');
    assert!(check_signature(&longer, &key).is_err());
    longer.pop();
    longer.extend_from_slice(b"<p>added</p>\n");
    assert!(check_signature(&longer, &key).is_err());
    assert!(check_signature(&bytes[..bytes.len() - 1], &key).is_err());
    // Re-saved with CRLF line ends.
    let crlf = html.replace('\n', "\r\n");
    assert!(check_signature(crlf.as_bytes(), &key).is_err());
    // An unsigned rendering, and an empty file.
    assert!(check_signature(payload.as_bytes(), &key).is_err());
    assert!(check_signature(b"", &key).is_err());
}

#[test]
fn every_single_byte_change_fails_verification() {
    let signer = signer();
    let key = signer.verifier();
    let html = sign(&sample(&signer), &signer).unwrap();
    let bytes = html.as_bytes();
    check_signature(bytes, &key).unwrap();
    let sig_line_start = split(bytes).unwrap().0.len();
    let mut changed = bytes.to_vec();
    for at in 0..bytes.len() {
        // Every byte with its lowest bit flipped; the signature line, where
        // a lenient parser could accept a variant spelling, also with each
        // of these.
        let masks: &[u8] = if at >= sig_line_start {
            &[0x01, 0x20, 0x80, 0xff, 0x0f]
        } else {
            &[0x01]
        };
        for &mask in masks {
            changed[at] ^= mask;
            assert!(
                check_signature(&changed, &key).is_err(),
                "changing byte {at} of {} (^{mask:#04x}) went unnoticed",
                bytes.len()
            );
            changed[at] ^= mask;
        }
    }
    assert_eq!(changed, bytes);
}

#[test]
fn another_key_does_not_verify_and_says_whose_it_is() {
    let signer = signer();
    let html = sign(&sample(&signer), &signer).unwrap();
    // The same name, another key.
    let other = Signer::generate("registry.example/extracts").unwrap();
    let err = check_signature(html.as_bytes(), &other.verifier()).unwrap_err();
    assert!(
        err.reason
            .contains("signed by key registry.example/extracts+"),
        "{err}"
    );
    // A signature line rewritten to name the other key does not verify either.
    let forged = html.replace(
        &format!("{:08x} sig=", signer.key_id()),
        &format!("{:08x} sig=", other.key_id()),
    );
    assert!(check_signature(forged.as_bytes(), &other.verifier()).is_err());
}

#[test]
fn a_report_is_signed_only_by_the_key_of_its_log() {
    let signer = signer();
    let report = sample(&signer);
    let other = Signer::generate("registry.example/extracts").unwrap();
    let err = sign(&report, &other).unwrap_err();
    assert!(format!("{err}").contains("not the key of the log"), "{err}");
}

#[test]
fn no_secret_reaches_the_report() {
    let signer = signer();
    let html = sign(&sample(&signer), &signer).unwrap();
    let skey = signer.to_skey();
    // PRIVATE+KEY+NAME+ID+BASE64: names have no '+', base64 may.
    let seed = skey.splitn(5, '+').nth(4).unwrap();
    assert_eq!(seed.len(), 44);
    assert!(!html.contains(seed));
    assert!(!html.contains("PRIVATE+KEY"));
}

#[test]
fn a_key_name_cannot_end_the_signature_comment() {
    let signer = Signer::generate("a-->b<&%").unwrap();
    let line = signature_line(&signer.verifier(), &[0u8; 64]);
    assert!(line.starts_with("<!-- "));
    assert!(line.contains("key=a--%3Eb%3C%26%25+"), "{line}");
    assert_eq!(line.matches('>').count(), 1);
    let html = sign(&sample(&signer), &signer).unwrap();
    check_signature(html.as_bytes(), &signer.verifier()).unwrap();
}

/// The human text of an HTML report: the embedded JSON (language-neutral
/// data) left out, entities read back.
fn human_text(html: &str) -> String {
    let start = html.find(JSON_OPEN).unwrap();
    let end = start + html[start..].find("</script>").unwrap();
    let text = format!("{}{}", &html[..start], &html[end..]);
    text.replace("&#39;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The sample, with a second recipient accused and more of what the
/// report can say (a master extract, repeats, a warning).
fn full_sample(signer: &Signer) -> Report {
    let mut r = sample(signer);
    r.repeated_positions = 3;
    r.conflicting_positions = 1;
    r.rows_without_identity = 2;
    r.identifier = Some(crate::verify::IdentifierCheck {
        kind: watermark_core::IdentifierKind::Curp,
        rows_valid: 10,
        warning: true,
    });
    r.master = Some(crate::verify::MasterSection {
        file: "padron.csv".into(),
        blake3: "a".repeat(64),
        used: true,
        rows_matched: 50,
        rows_unmatched: 6,
        rows_ambiguous: 4,
        columns: vec!["NOMBRE".into()],
    });
    r.groups[0].columns_missing = vec!["COLONIA".into()];
    r.not_compared = vec![crate::verify::NotCompared {
        key_id: "k".into(),
        policy_digest: "p".into(),
        recipients: vec!["MC".into()],
        reason: "CURP".into(),
        cause: None,
    }];
    r
}

#[test]
fn a_spanish_report_and_text_have_no_english_sentence_and_verify() {
    let signer = signer();
    for report in [sample(&signer), full_sample(&signer)] {
        let es = sign_in(&report, &signer, Lang::Es).unwrap();
        let en = sign_in(&report, &signer, Lang::En).unwrap();
        assert!(es.contains("<html lang=\"es-MX\">"));
        let found = crate::messages::english_in(&human_text(&es), 3);
        assert!(found.is_empty(), "English in the Spanish report: {found:?}");
        // The check finds English where there is English.
        assert!(!crate::messages::english_in(&human_text(&en), 3).is_empty());
        let text = report.to_text_in(Lang::Es);
        let found = crate::messages::english_in(&text, 3);
        assert!(
            found.is_empty(),
            "English in the Spanish text: {found:?}\n{text}"
        );
        assert!(text.contains("ACUSADO: "), "{text}");
        // Both verify with the log's key; the data is the same.
        for html in [&es, &en] {
            let payload = check_signature(html.as_bytes(), &signer.verifier()).unwrap();
            assert_eq!(
                embedded_json(payload).unwrap(),
                serde_json::to_value(&report).unwrap()
            );
        }
    }
    // The no-one-accused case too.
    let mut report = sample(&signer);
    report.accused.clear();
    report.recipients[0].accused = false;
    report.positions_read = 1;
    let es = sign_in(&report, &signer, Lang::Es).unwrap();
    let text = report.to_text_in(Lang::Es);
    assert!(crate::messages::english_in(&human_text(&es), 3).is_empty());
    assert!(crate::messages::english_in(&text, 3).is_empty(), "{text}");
    assert!(text.contains("NO SE ACUSA A NADIE"), "{text}");
    assert!(
        text.contains("Solo se encontró 1 posición marcada"),
        "{text}"
    );
}

#[test]
fn innocents_read_as_no_evidence_not_as_a_percentage() {
    let signer = signer();
    let report = sample(&signer);
    let en = human_text(&sign(&report, &signer).unwrap());
    assert!(en.contains("no evidence against them"));
    // In the text, not the style sheet or the chart's width.
    let body = &en[en.find("<body>").unwrap()..];
    assert!(!body.replace("width=\"100%\"", "").contains("100%"));
    let es = human_text(&sign_in(&report, &signer, Lang::Es).unwrap());
    assert!(es.contains("sin evidencia en su contra"));
}

#[test]
fn evidence_counts_say_what_agrees_in_all_and_what_is_kept() {
    let signer = signer();
    let mut report = sample(&signer);
    // 215 positions agree; the report keeps the two marks of `score`.
    report.accused[0].matching_positions = 215;
    let html = human_text(&sign(&report, &signer).unwrap());
    assert!(
        html.contains("215 positions agree; the first 2, in 2 rows, are listed here"),
        "{html}"
    );
    let text = report.to_text();
    assert!(
        text.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains("Marks agreeing with this copy: 215 positions in all; the first 2, which the JSON lists too"),
        "{text}"
    );
}

#[test]
fn the_ranking_table_holds_at_a_million_rows() {
    let signer = signer();
    let mut report = sample(&signer);
    report.positions_read = 3_696_223;
    for r in &mut report.recipients {
        r.matching_positions = 3_696_223;
    }
    report.recipients[0].score = 3_337_812.33;
    report.recipients[0].false_accusation_bound = 0.0;
    report.recipients[0].false_accusation_bound_log10 = -961_894.4;
    report.recipients[1].score = -1_234.5;
    report.recipients[1].matching_positions = 1_848_000;
    for lang in Lang::ALL {
        let table = report.ranking_text(lang);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3, "{table}");
        let first: Vec<&str> = lines[1].split_whitespace().collect();
        assert_eq!(
            first[2..5],
            ["3,337,812.33", "3,696,223/3,696,223", "4e-961895"],
            "{table}"
        );
        let second: Vec<&str> = lines[2].split_whitespace().collect();
        assert_eq!(
            second[2..4],
            ["-1,234.50", "1,848,000/3,696,223"],
            "{table}"
        );
        // Right-aligned columns end at the same place on every line, with
        // space between them.
        let end_of = |line: &str, cell: &str| line.find(cell).unwrap() + cell.len();
        assert_eq!(
            end_of(lines[1], "3,337,812.33"),
            end_of(lines[2], "-1,234.50")
        );
        assert_eq!(
            end_of(lines[1], "3,696,223/3,696,223"),
            end_of(lines[2], "1,848,000/3,696,223")
        );
        assert!(lines[1].contains("3,337,812.33  3,696,223/3,696,223  "));
    }
    let html = sign(&report, &signer).unwrap();
    assert!(html.contains("<td class=\"num\">3,337,812.33</td>"));
    assert!(html.contains("3,696,223/3,696,223"));
}
