//! Leaks as investigators receive them: the same 200 rows of one copy as a
//! workbook, compressed, in an archive, as JSON, in another text encoding,
//! without a header, and on standard input, each naming its recipient with
//! the digest of the very bytes given; and archive bombs, path tricks and
//! cut-short files refused quickly.

use std::path::Path;
use std::time::{Duration, Instant};

mod common;
mod received;

use common::{issue, wm, Setup};
use received::*;

impl Setup {
    fn verify(&self, leak: &Path) -> assert_cmd::Command {
        let mut c = wm();
        c.arg("verify")
            .arg("--state")
            .arg(self.p("state"))
            .arg(leak)
            .arg("--json");
        c
    }
}

fn accused(report: &serde_json::Value) -> Vec<String> {
    report["accused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["recipient"].as_str().unwrap().to_string())
        .collect()
}

/// The header and records of a CSV text.
fn records(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut all: Vec<Vec<String>> = r
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    let header = all.remove(0);
    (header, all)
}

#[test]
fn a_leak_in_any_format_received_names_its_recipient_with_the_digest_of_the_bytes_given() {
    let s = Setup::new(2_000);
    common::suggest(&s.p("roll.csv"), &[], &s.p("policy.toml"));
    issue(
        &s.p("state"),
        &s.p("policy.toml"),
        &s.p("roll.csv"),
        &["ALFA", "BETA", "GAMA"],
        &s.p("copies"),
    )
    .assert()
    .success();
    let copy = std::fs::read_to_string(s.p("copies/BETA.csv")).unwrap();
    let (header, all) = records(&copy);
    let rows: Vec<Vec<String>> = all[700..900].to_vec();
    let cases = leak_files(&header, &rows);
    let plain = csv_text(&header, &rows, b',', false, true);
    let mut digests = Vec::new();
    for (name, bytes, format, encoding) in &cases {
        std::fs::write(s.p(name), bytes).unwrap();
        let done = s.verify(&s.p(name)).assert();
        let out = done.get_output();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(accused(&report), ["BETA"], "{name}: {report:#}");
        assert_eq!(report["rows_read"], 200, "{name}");
        let digest = blake3::hash(bytes).to_hex().to_string();
        assert_eq!(report["leak"]["blake3"], digest, "{name}");
        assert_eq!(report["leak"]["bytes"], bytes.len() as u64, "{name}");
        assert_eq!(report["leak"]["format"], *format, "{name}");
        if let Some(e) = encoding {
            assert_eq!(report["leak"]["encoding"], *e, "{name}");
        }
        match *name {
            "leak.xlsx" | "leak.ods" => {
                assert_eq!(report["leak"]["tables"], serde_json::json!(["Padron"]));
                assert_eq!(report["leak"]["skipped"][0]["name"], "Notas", "{name}");
            }
            "leak.zip" => {
                assert_eq!(
                    report["leak"]["tables"],
                    serde_json::json!(["padron/leak.csv"])
                );
                let skipped: Vec<&str> = report["leak"]["skipped"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s["name"].as_str().unwrap())
                    .collect();
                assert_eq!(skipped, ["LEEME.txt", "foto.png"]);
            }
            "leak-headerless.csv" => {
                assert_eq!(report["leak"]["header_supplied"], serde_json::json!(header));
                let check = &report["leak"]["header_check"];
                assert_eq!(check["found"], "identity", "{check}");
                assert_eq!(check["name"], "CURP", "{check}");
            }
            "leak-lower-header.csv" => {
                assert!(
                    report["leak"].get("header_supplied").is_none(),
                    "{report:#}"
                );
            }
            _ => {}
        }
        digests.push(digest);
    }

    // Header-less, with its columns in another order than the extract's:
    // the identifiers' column, told by its values, gives it away.
    let curp = header.iter().position(|h| h == "CURP").unwrap();
    let other = if curp == 0 { 1 } else { 0 };
    let swapped: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.swap(curp, other);
            r
        })
        .collect();
    std::fs::write(
        s.p("swapped.csv"),
        csv_text(&header, &swapped, b',', false, false),
    )
    .unwrap();
    let done = s.verify(&s.p("swapped.csv")).assert().failure();
    let err = String::from_utf8_lossy(&done.get_output().stderr).to_string();
    assert!(err.contains("not in the order"), "{err}");

    // Standard input: `-`.
    let done = wm()
        .arg("verify")
        .arg("--state")
        .arg(s.p("state"))
        .arg("-")
        .arg("--json")
        .write_stdin(gzip(plain.as_bytes()))
        .assert()
        .success();
    let report: serde_json::Value = serde_json::from_slice(&done.get_output().stdout).unwrap();
    assert_eq!(accused(&report), ["BETA"]);
    assert_eq!(report["leak"]["file"], "-");
    assert_eq!(report["leak"]["format"], "csv.gz");
    let digest = blake3::hash(&gzip(plain.as_bytes())).to_hex().to_string();
    assert_eq!(report["leak"]["blake3"], digest);
    digests.push(digest);

    // The log keeps the digest of each file as given, its format and encoding.
    let done = wm()
        .args(["log", "show", "--json", "--state"])
        .arg(s.p("state"))
        .assert()
        .success();
    let log: serde_json::Value = serde_json::from_slice(&done.get_output().stdout).unwrap();
    let text = log.to_string();
    for d in &digests {
        assert!(text.contains(d.as_str()), "the log holds {d}");
    }
    assert!(text.contains(r#""leak_format":"xlsx""#), "{text}");
    assert!(text.contains(r#""leak_encoding":"windows-1252""#));
}

#[test]
fn archive_bombs_path_tricks_huge_workbooks_and_cut_short_files_are_refused_quickly() {
    let s = Setup::new(300);
    common::suggest(&s.p("roll.csv"), &[], &s.p("policy.toml"));
    issue(
        &s.p("state"),
        &s.p("policy.toml"),
        &s.p("roll.csv"),
        &["ALFA", "BETA"],
        &s.p("copies"),
    )
    .assert()
    .success();
    let copy = std::fs::read(s.p("copies/BETA.csv")).unwrap();
    // 256 MiB of one byte, deflated to a few hundred KB.
    let zeros = vec![b'0'; 256 << 20];
    let bomb = zip_of(&[("padron.csv", &zeros)]);
    drop(zeros);
    // The same bomb declaring a small size: counted while decompressing.
    let liar = claim_size(bomb.clone(), "padron.csv", 1000);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("bomb.zip", bomb, "decompression bomb"),
        ("liar.zip", liar, "larger than its declared"),
        (
            "evil.zip",
            zip_of(&[("../../etc/padron.csv", &copy)]),
            "points outside the archive",
        ),
        (
            "abs.zip",
            zip_of(&[("/tmp/padron.csv", &copy)]),
            "points outside the archive",
        ),
        (
            "huge.xlsx",
            {
                let (header, rows) = records(&String::from_utf8(copy.clone()).unwrap());
                let mut table = vec![header];
                table.extend(rows);
                xlsx(&table, true)
            },
            "decompression bomb",
        ),
        (
            "cut.csv.gz",
            {
                let g = gzip(&copy);
                g[..g.len() / 2].to_vec()
            },
            "cut short",
        ),
        (
            "gz-bomb.csv.gz",
            gzip(&vec![b'1'; 256 << 20]),
            "decompression bomb",
        ),
    ];
    for (name, bytes, message) in cases {
        std::fs::write(s.p(name), &bytes).unwrap();
        let start = Instant::now();
        let done = s.verify(&s.p(name)).assert().failure();
        let took = start.elapsed();
        let err = String::from_utf8_lossy(&done.get_output().stderr).to_string();
        assert!(err.contains(message), "{name}: {err}");
        assert!(took < Duration::from_secs(20), "{name} took {took:?}");
        assert!(!err.contains("iconv"), "{name}: {err}");
    }
}

#[test]
fn a_windows_1252_extract_is_issued_in_its_encoding_and_dialect_and_a_leak_names_its_recipient() {
    let s = Setup::new(1_500);
    let utf8 = std::fs::read_to_string(s.p("roll.csv")).unwrap();
    let (header, rows) = records(&utf8);
    let text = csv_text(&header, &rows, b';', true, true);
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!unmappable);
    let input = bytes.into_owned();
    assert!(std::str::from_utf8(&input).is_err(), "the roll has accents");
    std::fs::write(s.p("roll-1252.csv"), &input).unwrap();
    common::suggest(&s.p("roll-1252.csv"), &[], &s.p("policy.toml"));
    let policy = std::fs::read_to_string(s.p("policy.toml")).unwrap();
    let carriers: Vec<&str> = policy
        .lines()
        .filter_map(|l| l.trim().strip_prefix("column = \""))
        .map(|l| l.trim_end_matches('"'))
        .collect();
    assert!(!carriers.is_empty(), "{policy}");
    issue(
        &s.p("state"),
        &s.p("policy.toml"),
        &s.p("roll-1252.csv"),
        &["ALFA", "BETA"],
        &s.p("copies"),
    )
    .assert()
    .success();
    let split = |b: &[u8]| -> Vec<Vec<u8>> {
        let mut lines: Vec<Vec<u8>> = b.split(|&c| c == b'\n').map(|l| l.to_vec()).collect();
        assert_eq!(lines.pop(), Some(Vec::new()), "the file ends in a line end");
        lines
    };
    let in_lines = split(&input);
    let identity = 0; // the first column identifies a row in the synthetic roll
    let by_id: std::collections::HashMap<Vec<u8>, &Vec<u8>> = in_lines[1..]
        .iter()
        .map(|l| (l.split(|&c| c == b';').nth(identity).unwrap().to_vec(), l))
        .collect();
    let carrier_idx: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| carriers.contains(&h.as_str()))
        .map(|(i, _)| i)
        .collect();
    let copy = std::fs::read(s.p("copies/BETA.csv")).unwrap();
    assert!(
        std::str::from_utf8(&copy).is_err(),
        "the copy is in Windows-1252"
    );
    let copy_lines = split(&copy);
    assert_eq!(copy_lines[0], in_lines[0], "the header, byte for byte");
    let mut compared = 0;
    let mut changed = 0;
    for line in &copy_lines {
        assert!(line.ends_with(b"\r"), "every line ends in CRLF");
        let id = line.split(|&c| c == b';').nth(identity).unwrap().to_vec();
        let Some(orig) = by_id.get(&id) else {
            continue; // a canary row
        };
        compared += 1;
        if line != *orig {
            changed += 1;
        }
        let a: Vec<&[u8]> = line.split(|&c| c == b';').collect();
        let b: Vec<&[u8]> = orig.split(|&c| c == b';').collect();
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            if !carrier_idx.contains(&i) {
                assert_eq!(x, y, "column {} changed outside a carrier", header[i]);
            }
        }
    }
    assert_eq!(compared, 1_500);
    assert!(changed > 0, "some rows are marked");

    // 200 rows of BETA's copy, as they are: Windows-1252, `;`, CRLF.
    let mut leak = copy_lines[0].clone();
    leak.push(b'\n');
    for l in &copy_lines[400..600] {
        leak.extend_from_slice(l);
        leak.push(b'\n');
    }
    std::fs::write(s.p("leak.csv"), &leak).unwrap();
    let done = s.verify(&s.p("leak.csv")).assert().success();
    let report: serde_json::Value = serde_json::from_slice(&done.get_output().stdout).unwrap();
    assert_eq!(accused(&report), ["BETA"], "{report:#}");
    assert_eq!(report["leak"]["encoding"], "windows-1252");
    assert_eq!(
        report["leak"]["blake3"],
        blake3::hash(&leak).to_hex().to_string()
    );
}
