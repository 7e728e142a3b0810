//! Leak files as investigators receive them, built from one table: a
//! workbook with a sheet of notes, compressed files, an archive with other
//! members, JSON, NDJSON, other text encodings, a header-less paste. Shared
//! by the command's tests (`leak_formats.rs`) and the upload page's browser
//! test in `verify-service`.
#![allow(dead_code)]

use std::io::Write as _;

/// Each leak file of the table `header` + `rows`: its name, its bytes, the
/// format `verify` reports reading it as, and the text encoding.
pub fn leak_files(
    header: &[String],
    rows: &[Vec<String>],
) -> Vec<(&'static str, Vec<u8>, &'static str, Option<&'static str>)> {
    let mut table = vec![header.to_vec()];
    table.extend(rows.iter().cloned());
    let table = &table[..];
    let plain = csv_text(header, rows, b',', false, true);

    let win = encoding_rs::WINDOWS_1252
        .encode(&csv_text(header, rows, b';', true, true))
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
    vec![
        ("leak.xlsx", xlsx(table, false), "xlsx", None),
        ("leak.ods", ods(table), "ods", None),
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
            format!("[\n  {}\n]\n", objects(header, rows).join(",\n  ")).into_bytes(),
            "json",
            Some("utf-8"),
        ),
        (
            "leak.ndjson",
            (objects(header, rows).join("\n") + "\n").into_bytes(),
            "ndjson",
            Some("utf-8"),
        ),
        ("leak-1252.csv", win, "csv", Some("windows-1252")),
        ("leak-utf16.csv", utf16, "csv", Some("utf-16le")),
        (
            "leak-lower-header.csv",
            csv_text(
                &header.iter().map(|h| h.to_lowercase()).collect::<Vec<_>>(),
                rows,
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
            csv_text(header, rows, b',', false, false).into_bytes(),
            "csv",
            Some("utf-8"),
        ),
    ]
}

pub fn csv_text(
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

pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

pub fn column_name(mut j: usize) -> String {
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

pub fn deflated() -> zip::write::SimpleFileOptions {
    zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated)
}

pub fn sheet_xml(rows: &[Vec<String>]) -> String {
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
pub fn xlsx(table: &[Vec<String>], member_sizes_lie: bool) -> Vec<u8> {
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
pub fn claim_size(mut bytes: Vec<u8>, member: &str, size: u32) -> Vec<u8> {
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
pub fn ods(table: &[Vec<String>]) -> Vec<u8> {
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

pub fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data) in members {
        z.start_file(*name, deflated().large_file(data.len() > u32::MAX as usize))
            .unwrap();
        z.write_all(data).unwrap();
    }
    z.finish().unwrap().into_inner()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn json_value(cell: &str) -> serde_json::Value {
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

pub fn objects(header: &[String], rows: &[Vec<String>]) -> Vec<String> {
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
