//! Leaks as investigators receive them: the same 200 rows of one copy as a
//! workbook, compressed, in an archive, as JSON, in another text encoding,
//! without a header, and on standard input, each naming its recipient with
//! the digest of the very bytes given; and archive bombs, path tricks and
//! cut-short files refused quickly.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod common;

use common::{init, issue, synth, wm};

struct Setup {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Setup {
    fn new(rows: usize) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        synth(rows, &root.join("roll.csv"));
        init(&root.join("state"), None);
        Setup { _dir: dir, root }
    }

    fn p(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

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

fn csv_text(
    header: &[String],
    rows: &[Vec<String>],
    delimiter: u8,
    crlf: bool,
    with_header: bool,
) -> String {
    let mut w = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(if crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        })
        .from_writer(Vec::new());
    if with_header {
        w.write_record(header).unwrap();
    }
    for r in rows {
        w.write_record(r).unwrap();
    }
    String::from_utf8(w.into_inner().unwrap()).unwrap()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn column_name(mut j: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (j % 26) as u8);
        if j < 26 {
            break;
        }
        j = j / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap()
}

fn deflated() -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated)
}

fn sheet_xml(rows: &[Vec<String>]) -> String {
    let mut x = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (i, r) in rows.iter().enumerate() {
        x.push_str(&format!(r#"<row r="{}">"#, i + 1));
        for (j, c) in r.iter().enumerate() {
            x.push_str(&format!(
                r#"<c r="{}{}" t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>"#,
                column_name(j),
                i + 1,
                xml_escape(c)
            ));
        }
        x.push_str("</row>");
    }
    x.push_str("</sheetData></worksheet>");
    x
}

/// An XLSX with the table on sheet "Padron" (every cell text, as an
/// export that keeps leading zeros writes it) and a sheet of notes.
fn xlsx(table: &[Vec<String>], member_sizes_lie: bool) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let files: Vec<(&str, String)> = vec![
        ("[Content_Types].xml", r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/worksheets/sheet2.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.into()),
        ("_rels/.rels", r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.into()),
        ("xl/workbook.xml", r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Padron" sheetId="1" r:id="rId1"/><sheet name="Notas" sheetId="2" r:id="rId2"/></sheets></workbook>"#.into()),
        ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet2.xml"/></Relationships>"#.into()),
        ("xl/worksheets/sheet1.xml", sheet_xml(table)),
        ("xl/worksheets/sheet2.xml", sheet_xml(&[vec!["Notas de la entrega".into()], vec!["Solo para uso interno".into()]])),
    ];
    for (name, text) in &files {
        z.start_file(*name, deflated()).unwrap();
        z.write_all(text.as_bytes()).unwrap();
    }
    let bytes = z.finish().unwrap().into_inner();
    if member_sizes_lie {
        claim_size(bytes, "xl/worksheets/sheet1.xml", 1 << 30)
    } else {
        bytes
    }
}

/// The archive with `member`'s declared uncompressed size set to `size`
/// in its local and central headers.
fn claim_size(mut bytes: Vec<u8>, member: &str, size: u32) -> Vec<u8> {
    let name = member.as_bytes();
    let mut i = 0;
    while i + 46 < bytes.len() {
        let sig = &bytes[i..i + 4];
        if sig == b"PK\x03\x04" {
            let n = u16::from_le_bytes([bytes[i + 26], bytes[i + 27]]) as usize;
            if &bytes[i + 30..i + 30 + n] == name {
                bytes[i + 22..i + 26].copy_from_slice(&size.to_le_bytes());
            }
        } else if sig == b"PK\x01\x02" {
            let n = u16::from_le_bytes([bytes[i + 28], bytes[i + 29]]) as usize;
            if &bytes[i + 46..i + 46 + n] == name {
                bytes[i + 24..i + 28].copy_from_slice(&size.to_le_bytes());
            }
        }
        i += 1;
    }
    bytes
}

/// An ODS with the table on its first sheet and notes on a second.
fn ods(table: &[Vec<String>]) -> Vec<u8> {
    let mut content = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Padron">"#,
    );
    let sheet = |rows: &[Vec<String>], content: &mut String| {
        for r in rows {
            content.push_str("<table:table-row>");
            for c in r {
                content.push_str(&format!(
                    r#"<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>"#,
                    xml_escape(c)
                ));
            }
            content.push_str("</table:table-row>");
        }
    };
    sheet(table, &mut content);
    content.push_str(r#"</table:table><table:table table:name="Notas">"#);
    sheet(&[vec!["Notas".into()]], &mut content);
    content.push_str("</table:table></office:spreadsheet></office:body></office:document-content>");
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    z.start_file(
        "mimetype",
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored),
    )
    .unwrap();
    z.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    z.start_file("META-INF/manifest.xml", deflated()).unwrap();
    z.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#).unwrap();
    z.start_file("content.xml", deflated()).unwrap();
    z.write_all(content.as_bytes()).unwrap();
    z.finish().unwrap().into_inner()
}

fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in members {
        z.start_file(*name, deflated().large_file(data.len() > u32::MAX as usize))
            .unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap().into_inner()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn json_value(cell: &str) -> serde_json::Value {
    // Digits without a leading zero as JSON numbers, as an export of a
    // numeric column writes them; anything else as a string.
    let numeric = !cell.is_empty()
        && cell.len() < 15
        && cell.bytes().all(|b| b.is_ascii_digit())
        && (cell == "0" || !cell.starts_with('0'));
    if numeric {
        serde_json::Value::Number(cell.parse::<u64>().unwrap().into())
    } else {
        serde_json::Value::String(cell.to_string())
    }
}

fn objects(header: &[String], rows: &[Vec<String>]) -> Vec<String> {
    rows.iter()
        .map(|r| {
            let mut o = String::from("{");
            for (k, (h, c)) in header.iter().zip(r).enumerate() {
                if k > 0 {
                    o.push(',');
                }
                o.push_str(&serde_json::to_string(h).unwrap());
                o.push(':');
                o.push_str(&json_value(c).to_string());
            }
            o.push('}');
            o
        })
        .collect()
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
    let mut table = vec![header.clone()];
    table.extend(rows.iter().cloned());
    let plain = csv_text(&header, &rows, b',', false, true);

    let win = encoding_rs::WINDOWS_1252
        .encode(&csv_text(&header, &rows, b';', true, true))
        .0
        .into_owned();
    assert!(
        std::str::from_utf8(&win).is_err(),
        "the rows have characters outside ASCII"
    );
    let mut utf16 = vec![0xFF, 0xFE];
    for u in plain.encode_utf16() {
        utf16.extend_from_slice(&u.to_le_bytes());
    }
    let cases: Vec<(&str, Vec<u8>, &str, Option<&str>)> = vec![
        ("leak.xlsx", xlsx(&table, false), "xlsx", None),
        ("leak.ods", ods(&table), "ods", None),
        (
            "leak.csv.gz",
            gzip(plain.as_bytes()),
            "csv.gz",
            Some("utf-8"),
        ),
        (
            "leak.csv.zst",
            zstd::encode_all(plain.as_bytes(), 3).unwrap(),
            "csv.zst",
            Some("utf-8"),
        ),
        (
            "leak.zip",
            zip_of(&[
                ("LEEME.txt", b"Extracto entregado a BETA".as_slice()),
                ("padron/leak.csv", plain.as_bytes()),
                ("foto.png", b"\x89PNG\r\n\x1a\n".as_slice()),
            ]),
            "zip",
            Some("utf-8"),
        ),
        (
            "leak.json",
            format!("[\n  {}\n]\n", objects(&header, &rows).join(",\n  ")).into_bytes(),
            "json",
            Some("utf-8"),
        ),
        (
            "leak.ndjson",
            (objects(&header, &rows).join("\n") + "\n").into_bytes(),
            "ndjson",
            Some("utf-8"),
        ),
        ("leak-1252.csv", win, "csv", Some("windows-1252")),
        ("leak-utf16.csv", utf16, "csv", Some("utf-16le")),
        (
            "leak-lower-header.csv",
            csv_text(
                &header.iter().map(|h| h.to_lowercase()).collect::<Vec<_>>(),
                &rows,
                b',',
                false,
                true,
            )
            .into_bytes(),
            "csv",
            Some("utf-8"),
        ),
        (
            "leak-headerless.csv",
            csv_text(&header, &rows, b',', false, false).into_bytes(),
            "csv",
            Some("utf-8"),
        ),
    ];
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
