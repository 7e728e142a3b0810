//! `watermark issue` and `watermark verify` on Parquet and Arrow IPC: copies
//! in the input's format with its schema, copies in another format, samples
//! of a copy in any format naming its recipient, and clear refusals.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod common;

use assert_cmd::Command;
use common::{issue, wm, Setup};
use predicates::prelude::*;
use predicates::str::contains;
use rand::seq::SliceRandom as _;
use rand::SeedableRng as _;
use watermark_app::formats::{self, FileFormat};
use watermark_core::ids;
use watermark_formats::reexport::arrow_array::{
    cast::AsArray, ArrayRef, BinaryArray, Date32Array, Int64Array, RecordBatch, UInt32Array,
};
use watermark_formats::reexport::arrow_ipc::reader::{FileReader, StreamReader};
use watermark_formats::reexport::arrow_ipc::writer::{FileWriter, StreamWriter};
use watermark_formats::reexport::arrow_schema::{DataType, Field, Schema, SchemaRef};
use watermark_formats::reexport::arrow_select::{concat::concat_batches, take::take_record_batch};
use watermark_formats::reexport::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use watermark_formats::reexport::parquet::arrow::ArrowWriter;
use watermark_formats::reexport::parquet::basic::Compression;
use watermark_formats::reexport::parquet::file::properties::WriterProperties;
use watermark_formats::{csv_to_parquet, ConvertOptions};

impl Setup {
    fn suggest(&self, input: &str, extra: &[&str]) {
        common::suggest(&self.p(input), extra, &self.p("policy.toml"));
    }

    fn issue(&self, input: &str, out: &str, to: &[&str], extra: &[&str]) -> Command {
        let mut c = issue(
            &self.p("state"),
            &self.p("policy.toml"),
            &self.p(input),
            to,
            &self.p(out),
        );
        c.args(extra);
        c
    }

    /// `issue --json`, which must succeed, parsed.
    fn issue_json(&self, input: &str, out: &str, to: &[&str], extra: &[&str]) -> serde_json::Value {
        let done = self
            .issue(input, out, to, extra)
            .arg("--json")
            .assert()
            .success();
        serde_json::from_slice(&done.get_output().stdout).unwrap()
    }

    fn verify(&self, leak: &str, extra: &[&str]) -> Command {
        let mut c = wm();
        c.arg("verify")
            .arg("--state")
            .arg(self.p("state"))
            .arg(self.p(leak))
            .args(extra);
        c
    }

    /// `verify --json`, which must succeed, parsed.
    fn verify_json(&self, leak: &str, extra: &[&str]) -> serde_json::Value {
        let done = self.verify(leak, extra).arg("--json").assert().success();
        serde_json::from_slice(&done.get_output().stdout).unwrap()
    }

    /// Files in a directory, sorted (hidden ones included).
    fn files(&self, dir: &str) -> Vec<String> {
        let mut v: Vec<String> = match std::fs::read_dir(self.p(dir)) {
            Ok(d) => d
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect(),
            Err(_) => Vec::new(),
        };
        v.sort();
        v
    }
}

fn blake3_of(path: &Path) -> String {
    let mut r = watermark_formats::HashingReader::new(File::open(path).unwrap());
    std::io::copy(&mut r, &mut std::io::sink()).unwrap();
    r.digest().0
}

fn accused(report: &serde_json::Value) -> Vec<&str> {
    report["accused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["recipient"].as_str().unwrap())
        .collect()
}

// ----- Reading and writing columnar files, independently of the tool -------

fn read_parquet(path: &Path) -> (SchemaRef, Vec<RecordBatch>) {
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap();
    let schema = Arc::clone(builder.schema());
    let batches = builder.build().unwrap().map(Result::unwrap).collect();
    (schema, batches)
}

fn read_ipc(path: &Path) -> (SchemaRef, Vec<RecordBatch>) {
    let bytes = std::fs::read(path).unwrap();
    if bytes.starts_with(b"ARROW1") {
        let r = FileReader::try_new(File::open(path).unwrap(), None).unwrap();
        (r.schema(), r.map(Result::unwrap).collect())
    } else {
        let r = StreamReader::try_new(File::open(path).unwrap(), None).unwrap();
        (r.schema(), r.map(Result::unwrap).collect())
    }
}

fn write_parquet(
    path: &Path,
    schema: &SchemaRef,
    batches: &[RecordBatch],
    props: WriterProperties,
) {
    let mut w =
        ArrowWriter::try_new(File::create(path).unwrap(), Arc::clone(schema), Some(props)).unwrap();
    for b in batches {
        w.write(b).unwrap();
    }
    w.close().unwrap();
}

fn write_ipc(path: &Path, schema: &SchemaRef, batches: &[RecordBatch], stream: bool) {
    let out = File::create(path).unwrap();
    if stream {
        let mut w = StreamWriter::try_new(out, schema).unwrap();
        for b in batches {
            w.write(b).unwrap();
        }
        w.finish().unwrap();
    } else {
        let mut w = FileWriter::try_new(out, schema).unwrap();
        for b in batches {
            w.write(b).unwrap();
        }
        w.finish().unwrap();
    }
}

/// `n` rows of the batches, picked at random and shuffled, as one batch.
fn sample(schema: &SchemaRef, batches: &[RecordBatch], n: usize, seed: u64) -> RecordBatch {
    let all = concat_batches(schema, batches).unwrap();
    let mut idx: Vec<u32> = (0..all.num_rows() as u32).collect();
    idx.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
    idx.truncate(n);
    take_record_batch(&all, &UInt32Array::from(idx)).unwrap()
}

/// The roll as Parquet with real types and metadata: SECCION an Int64 with
/// field metadata, FECHA_NACIMIENTO a Date32, schema metadata, zstd, row
/// groups of 700 rows. With `photo`, an extra Binary column FOTO (no text
/// form). Returns the schema and the batches written.
fn typed_roll(csv: &Path, out: &Path, photo: bool) -> (SchemaRef, Vec<RecordBatch>) {
    let mut plain = Vec::new();
    csv_to_parquet(
        File::open(csv).unwrap(),
        &mut plain,
        ConvertOptions::default(),
    )
    .unwrap();
    let plain_path = out.with_extension("plain.parquet");
    std::fs::write(&plain_path, &plain).unwrap();
    let (schema, batches) = read_parquet(&plain_path);
    std::fs::remove_file(&plain_path).unwrap();
    let mut fields: Vec<Field> = Vec::new();
    for f in schema.fields() {
        fields.push(match f.name().as_str() {
            "SECCION" => Field::new("SECCION", DataType::Int64, false)
                .with_metadata([("meaning".to_owned(), "electoral section".to_owned())].into()),
            "FECHA_NACIMIENTO" => Field::new("FECHA_NACIMIENTO", DataType::Date32, true),
            _ => f.as_ref().clone(),
        });
    }
    if photo {
        fields.push(Field::new("FOTO", DataType::Binary, true));
    }
    let typed = Arc::new(Schema::new_with_metadata(
        fields,
        [
            ("registro".to_owned(), "padron-2026".to_owned()),
            ("corte".to_owned(), "2026-03-31".to_owned()),
        ]
        .into(),
    ));
    let batches: Vec<RecordBatch> = batches
        .iter()
        .map(|b| {
            let mut columns: Vec<ArrayRef> = Vec::new();
            for (f, a) in schema.fields().iter().zip(b.columns()) {
                let s = a.as_string::<i32>();
                columns.push(match f.name().as_str() {
                    "SECCION" => Arc::new(
                        s.iter()
                            .map(|v| v.unwrap().parse::<i64>().unwrap())
                            .collect::<Int64Array>(),
                    ),
                    "FECHA_NACIMIENTO" => Arc::new(
                        s.iter()
                            .map(|v| {
                                let v = v.unwrap();
                                let (d, m, y) = (&v[..2], &v[3..5], &v[6..]);
                                Some(ids::days_from_civil(
                                    y.parse().unwrap(),
                                    m.parse().unwrap(),
                                    d.parse().unwrap(),
                                ))
                            })
                            .collect::<Date32Array>(),
                    ),
                    _ => Arc::clone(a),
                });
            }
            if photo {
                let n = b.num_rows();
                columns.push(Arc::new(BinaryArray::from_iter_values(
                    (0..n).map(|k| vec![0xFF, 0xD8, k as u8]),
                )));
            }
            RecordBatch::try_new(Arc::clone(&typed), columns).unwrap()
        })
        .collect();
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(Default::default()))
        .set_max_row_group_row_count(Some(700))
        .build();
    write_parquet(out, &typed, &batches, props);
    (typed, batches)
}

// ----- Parquet and Arrow in, the same out ----------------------------------

#[test]
fn parquet_roll_in_parquet_copies_out_with_its_schema_and_a_sample_names_its_recipient() {
    let s = Setup::new(2_000);
    let (schema, _) = typed_roll(&s.p("roll.csv"), &s.p("roll.parquet"), false);
    // The policy is suggested from the Parquet roll itself.
    s.suggest("roll.parquet", &[]);
    let report = s.issue_json("roll.parquet", "copies", &["PAN", "PRI", "MC"], &[]);
    assert_eq!(report["input_format"], "parquet");
    assert_eq!(report["format"], "parquet");
    assert_eq!(report["rows"], 2_000);
    assert!(report["canaries_made"].as_u64().unwrap() > 0);
    assert_eq!(report["input_blake3"], blake3_of(&s.p("roll.parquet")));
    assert_eq!(
        s.files("copies"),
        [
            "MC.parquet",
            "MC.receipt",
            "PAN.parquet",
            "PAN.receipt",
            "PRI.parquet",
            "PRI.receipt"
        ]
    );
    for c in report["copies"].as_array().unwrap() {
        let file = PathBuf::from(c["file"].as_str().unwrap());
        assert!(file.ends_with(format!("{}.parquet", c["recipient"].as_str().unwrap())));
        assert_eq!(c["blake3"], blake3_of(&file));
        // The input's Arrow schema: names, types, nullability, field and
        // schema metadata.
        let (copy_schema, batches) = read_parquet(&file);
        assert_eq!(copy_schema, schema);
        let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
        assert_eq!(rows as u64, 2_000 + c["canaries"].as_u64().unwrap());
        let meta = ParquetRecordBatchReaderBuilder::try_new(File::open(&file).unwrap())
            .unwrap()
            .metadata()
            .clone();
        assert_eq!(meta.num_row_groups(), 3);
        assert!(matches!(
            meta.row_group(0).column(0).compression(),
            Compression::ZSTD(_)
        ));
    }

    // 60 random rows of PRI's copy, as a Parquet file of their own.
    let (copy_schema, batches) = read_parquet(&s.p("copies/PRI.parquet"));
    let leak = sample(&copy_schema, &batches, 60, 9);
    write_parquet(
        &s.p("leak.parquet"),
        &copy_schema,
        &[leak],
        WriterProperties::default(),
    );
    let found = s.verify_json("leak.parquet", &[]);
    assert_eq!(accused(&found), ["PRI"], "{found:#}");
    assert_eq!(found["rows_read"], 60);
    assert!(
        found["accused"][0]["false_accusation_bound"]
            .as_f64()
            .unwrap()
            <= 1e-9
    );
    assert_eq!(found["leak"]["blake3"], blake3_of(&s.p("leak.parquet")));
    assert_eq!(
        found["leak"]["bytes"],
        std::fs::metadata(s.p("leak.parquet")).unwrap().len()
    );
    // The verification is logged with the file's own digest.
    wm().args(["log", "show", "--state"])
        .arg(s.p("state"))
        .assert()
        .success()
        .stdout(contains(&found["leak"]["blake3"].as_str().unwrap()[..12]));
}

#[test]
fn arrow_ipc_rolls_in_arrow_copies_out_with_their_schema_and_a_sample_names_its_recipient() {
    let s = Setup::new(2_000);
    let (schema, batches) = typed_roll(&s.p("roll.csv"), &s.p("roll.parquet"), false);
    write_ipc(&s.p("roll.arrow"), &schema, &batches, false);
    write_ipc(&s.p("roll.arrows"), &schema, &batches, true);
    s.suggest("roll.arrow", &[]);

    // File format in, file format out.
    let report = s.issue_json("roll.arrow", "copies", &["PAN", "PRI", "MC"], &[]);
    assert_eq!(report["input_format"], "arrow");
    assert_eq!(report["format"], "arrow");
    assert_eq!(report["input_blake3"], blake3_of(&s.p("roll.arrow")));
    for id in ["PAN", "PRI", "MC"] {
        let copy = s.p(&format!("copies/{id}.arrow"));
        assert!(std::fs::read(&copy).unwrap().starts_with(b"ARROW1"));
        assert_eq!(read_ipc(&copy).0, schema, "{id}");
    }
    // 60 rows of MC's copy, leaked as an Arrow IPC stream.
    let (copy_schema, copy_batches) = read_ipc(&s.p("copies/MC.arrow"));
    let leak = sample(&copy_schema, &copy_batches, 60, 3);
    write_ipc(&s.p("leak.arrows"), &copy_schema, &[leak], true);
    let found = s.verify_json("leak.arrows", &[]);
    assert_eq!(accused(&found), ["MC"], "{found:#}");
    assert_eq!(found["rows_read"], 60);
    assert_eq!(found["leak"]["blake3"], blake3_of(&s.p("leak.arrows")));

    // Stream format in, stream format out; --format arrow makes files.
    let report = s.issue_json("roll.arrows", "streams", &["PT"], &[]);
    assert_eq!(report["format"], "arrow-stream");
    let copy = s.p("streams/PT.arrows");
    assert!(std::fs::read(&copy).unwrap().starts_with(&[0xFF; 4]));
    assert_eq!(read_ipc(&copy).0, schema);
    s.issue_json("roll.arrows", "files", &["PT"], &["--format", "arrow"]);
    let copy = s.p("files/PT.arrow");
    assert!(std::fs::read(&copy).unwrap().starts_with(b"ARROW1"));
    assert_eq!(read_ipc(&copy).0, schema);
    // And Parquet copies of the Arrow roll keep its schema too.
    s.issue_json("roll.arrow", "pq", &["PVEM"], &["--format", "parquet"]);
    assert_eq!(read_parquet(&s.p("pq/PVEM.parquet")).0, schema);
    let (copy_schema, copy_batches) = read_parquet(&s.p("pq/PVEM.parquet"));
    let leak = sample(&copy_schema, &copy_batches, 60, 4);
    write_ipc(&s.p("leak2.arrow"), &copy_schema, &[leak], false);
    assert_eq!(accused(&s.verify_json("leak2.arrow", &[])), ["PVEM"]);
}

// ----- Across formats -------------------------------------------------------

#[test]
fn csv_in_parquet_out_and_leaks_in_any_format_name_their_recipient() {
    let s = Setup::new(2_000);
    s.suggest("roll.csv", &[]);
    let report = s.issue_json(
        "roll.csv",
        "copies",
        &["PAN", "PRI"],
        &["--format", "parquet"],
    );
    assert_eq!(report["input_format"], "csv");
    assert_eq!(report["format"], "parquet");
    assert_eq!(report["input_blake3"], blake3_of(&s.p("roll.csv")));
    assert_eq!(
        s.files("copies"),
        ["PAN.parquet", "PAN.receipt", "PRI.parquet", "PRI.receipt"]
    );
    // One nullable Utf8 column per CSV column, named as in the header.
    let header = std::fs::read_to_string(s.p("roll.csv")).unwrap();
    let header: Vec<&str> = header.lines().next().unwrap().split(',').collect();
    let (schema, batches) = read_parquet(&s.p("copies/PRI.parquet"));
    assert_eq!(schema.fields().len(), header.len());
    for (f, h) in schema.fields().iter().zip(&header) {
        assert_eq!(f.name(), h);
        assert_eq!(f.data_type(), &DataType::Utf8);
        assert!(f.is_nullable());
    }
    let canaries = report["copies"][1]["canaries"].as_u64().unwrap();
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    assert_eq!(rows as u64, 2_000 + canaries);
    // The text mentions the conversion.
    s.issue(
        "roll.csv",
        "streams",
        &["MC"],
        &["--format", "arrow-stream"],
    )
    .assert()
    .success()
    .stdout(contains("converted from the CSV input").and(contains("streams/MC.arrows")));
    assert!(std::fs::read(s.p("streams/MC.arrows"))
        .unwrap()
        .starts_with(&[0xFF; 4]));

    // 60 rows of PRI's Parquet copy, leaked as CSV.
    let leak = sample(&schema, &batches, 60, 21);
    let mut w = csv::Writer::from_path(s.p("leak.csv")).unwrap();
    w.write_record(schema.fields().iter().map(|f| f.name()))
        .unwrap();
    for k in 0..leak.num_rows() {
        w.write_record(leak.columns().iter().map(|c| c.as_string::<i32>().value(k)))
            .unwrap();
    }
    w.flush().unwrap();
    drop(w);
    assert_eq!(accused(&s.verify_json("leak.csv", &[])), ["PRI"]);

    // CSV copies, leaked as Parquet.
    s.issue_json("roll.csv", "csv", &["PT"], &[]);
    let copy = std::fs::read_to_string(s.p("csv/PT.csv")).unwrap();
    let lines: Vec<&str> = copy.lines().collect();
    let mut leak = vec![lines[0]];
    leak.extend(lines[300..360].iter().rev());
    let mut parquet = Vec::new();
    csv_to_parquet(
        (leak.join("\n") + "\n").as_bytes(),
        &mut parquet,
        ConvertOptions::default(),
    )
    .unwrap();
    std::fs::write(s.p("pt-leak.parquet"), parquet).unwrap();
    let found = s.verify_json("pt-leak.parquet", &[]);
    assert_eq!(accused(&found), ["PT"], "{found:#}");
    assert_eq!(found["rows_read"], 60);

    // A Parquet leak without the identity columns, matched to the roll as
    // Parquet (--master).
    let keep: Vec<usize> = schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| !["CURP", "CLAVE_ELECTOR"].contains(&f.name().as_str()))
        .map(|(i, _)| i)
        .collect();
    let leak = sample(&schema, &batches, 100, 22).project(&keep).unwrap();
    write_parquet(
        &s.p("no-id.parquet"),
        &leak.schema(),
        &[leak],
        WriterProperties::default(),
    );
    s.verify("no-id.parquet", &[])
        .assert()
        .code(1)
        .stderr(contains("no-id.parquet").and(contains("--master")));
    let mut roll = Vec::new();
    csv_to_parquet(
        File::open(s.p("roll.csv")).unwrap(),
        &mut roll,
        ConvertOptions::default(),
    )
    .unwrap();
    std::fs::write(s.p("roll.parquet"), roll).unwrap();
    let master = s.p("roll.parquet");
    let found = s.verify_json("no-id.parquet", &["--master", master.to_str().unwrap()]);
    assert_eq!(accused(&found), ["PRI"], "{found:#}");
    assert_eq!(found["master"]["used"], true);
    assert_eq!(found["master"]["blake3"], blake3_of(&master));
    assert_eq!(found["leak"]["blake3"], blake3_of(&s.p("no-id.parquet")));
    assert!(found["master"]["rows_matched"].as_u64().unwrap() >= 90);
}

// ----- The same extract in every format --------------------------------------

/// The roll's text as a typed Parquet or Arrow copy of it shows it (see
/// `typed_roll`): birth dates as `YYYY-MM-DD`, sections as plain digits.
/// Written here with the `csv` crate, independently of the tool.
fn text_form_csv(csv_in: &Path, csv_out: &Path) {
    let mut r = csv::Reader::from_path(csv_in).unwrap();
    let header = r.headers().unwrap().clone();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (birth, section) = (at("FECHA_NACIMIENTO"), at("SECCION"));
    let mut w = csv::Writer::from_path(csv_out).unwrap();
    w.write_record(&header).unwrap();
    for rec in r.records() {
        let rec = rec.unwrap();
        let cells: Vec<String> = rec
            .iter()
            .enumerate()
            .map(|(i, v)| match i {
                i if i == birth => format!("{}-{}-{}", &v[6..], &v[3..5], &v[..2]),
                i if i == section => v.parse::<i64>().unwrap().to_string(),
                _ => v.to_string(),
            })
            .collect();
        w.write_record(&cells).unwrap();
    }
    w.flush().unwrap();
}

/// What a `verify --json` report says about the leak and whom it accuses,
/// without what names the files (digests, sizes, paths, the log).
fn attribution(report: &serde_json::Value) -> serde_json::Value {
    let mut master = report["master"].clone();
    let m = master.as_object_mut().unwrap();
    m.remove("file");
    m.remove("blake3");
    serde_json::json!({
        "master": master,
        "rows_read": report["rows_read"],
        "rows_used": report["rows_used"],
        "rows_without_identity": report["rows_without_identity"],
        "positions_read": report["positions_read"],
        "canaries_found": report["canaries_found"],
        "accused": report["accused"],
        "recipients": report["recipients"],
    })
}

#[test]
fn canaries_policy_and_master_match_are_the_same_from_csv_parquet_and_arrow() {
    let s = Setup::new(3_000);
    let (schema, batches) = typed_roll(&s.p("roll.csv"), &s.p("roll.parquet"), false);
    write_ipc(&s.p("roll.arrow"), &schema, &batches, false);
    write_ipc(&s.p("roll.arrows"), &schema, &batches, true);
    text_form_csv(&s.p("roll.csv"), &s.p("text.csv"));
    let inputs = ["text.csv", "roll.parquet", "roll.arrow", "roll.arrows"];

    // The suggested policy.
    let policies: Vec<String> = inputs
        .iter()
        .map(|input| {
            let out = s.p(&format!("{input}.toml"));
            common::suggest(&s.p(input), &[], &out);
            std::fs::read_to_string(out).unwrap()
        })
        .collect();
    assert!(policies[0].contains("[canaries]"), "{}", policies[0]);
    for (input, policy) in inputs.iter().zip(&policies) {
        assert_eq!(policy, &policies[0], "{input}");
    }
    std::fs::copy(s.p("text.csv.toml"), s.p("policy.toml")).unwrap();

    // The canary list, made as `issue` makes it, under one input digest (a
    // list is keyed on its input's digest, which differs by format).
    let key = watermark_core::MasterKey::from_bytes([9; 32]);
    let policy = watermark_core::Policy::from_toml(&policies[0]).unwrap();
    let quiet = watermark_cli::output::Printer {
        json: false,
        quiet: true,
    };
    let lists: Vec<String> = inputs
        .iter()
        .map(|input| {
            let path = s.p(input);
            let format = FileFormat::detect(&path).unwrap();
            formats::make_canaries_of(&key, &policy, "one digest", &path, format, quiet)
                .unwrap()
                .to_json()
        })
        .collect();
    let list = watermark_core::CanaryList::from_json(&lists[0]).unwrap();
    assert!(list.len() > 50, "{} canaries", list.len());
    assert_eq!(list.input_rows(), 3_000);
    for (input, l) in inputs.iter().zip(&lists) {
        // Not assert_eq: the lists are long.
        assert!(
            l == &lists[0],
            "{input}: another canary list than the CSV's"
        );
    }

    // A leak without the identity columns, matched to the master extract in
    // each format: CSV copies of the text form, 150 rows of PRI's.
    s.issue_json("text.csv", "copies", &["PAN", "PRI", "MC"], &[]);
    let mut r = csv::Reader::from_path(s.p("copies/PRI.csv")).unwrap();
    let header = r.headers().unwrap().clone();
    let keep: Vec<usize> = (0..header.len())
        .filter(|&i| !["CURP", "CLAVE_ELECTOR"].contains(&&header[i]))
        .collect();
    let mut w = csv::Writer::from_path(s.p("leak.csv")).unwrap();
    w.write_record(keep.iter().map(|&i| &header[i])).unwrap();
    for rec in r.records().skip(1_000).step_by(7).take(150) {
        let rec = rec.unwrap();
        w.write_record(keep.iter().map(|&i| &rec[i])).unwrap();
    }
    w.flush().unwrap();
    drop(w);
    let mut leak = Vec::new();
    csv_to_parquet(
        File::open(s.p("leak.csv")).unwrap(),
        &mut leak,
        ConvertOptions::default(),
    )
    .unwrap();
    std::fs::write(s.p("leak.parquet"), leak).unwrap();

    let mut seen: Option<serde_json::Value> = None;
    for leak in ["leak.csv", "leak.parquet"] {
        for master in inputs {
            let report = s.verify_json(leak, &["--master", s.p(master).to_str().unwrap()]);
            let found = attribution(&report);
            assert_eq!(found["master"]["used"], true, "{leak}, {master}");
            assert_eq!(
                report["master"]["blake3"],
                blake3_of(&s.p(master)),
                "{leak}, {master}"
            );
            match &seen {
                None => {
                    assert_eq!(accused(&report), ["PRI"], "{report:#}");
                    assert!(found["master"]["rows_matched"].as_u64().unwrap() >= 140);
                    seen = Some(found);
                }
                Some(first) => assert_eq!(&found, first, "{leak}, {master}"),
            }
        }
    }
}

// ----- Refusals -------------------------------------------------------------

#[test]
fn damaged_files_unknown_formats_and_untextable_cells_are_refused_clearly() {
    let s = Setup::new(300);
    s.suggest("roll.csv", &["--no-canaries"]);
    let (schema, _) = typed_roll(&s.p("roll.csv"), &s.p("roll.parquet"), true);

    // A Parquet file cut short: named, and no copy left.
    let bytes = std::fs::read(s.p("roll.parquet")).unwrap();
    std::fs::write(s.p("cut.parquet"), &bytes[..bytes.len() / 2]).unwrap();
    s.issue("cut.parquet", "copies", &["PAN"], &[])
        .assert()
        .code(1)
        .stderr(contains("cut.parquet").and(contains("Parquet")));
    assert!(s.files("copies").is_empty(), "{:?}", s.files("copies"));

    // An unknown --format is a command-line error.
    s.issue("roll.csv", "copies", &["PAN"], &["--format", "xlsx"])
        .assert()
        .code(2)
        .stderr(contains("xlsx").and(contains("arrow-stream")));

    // Parquet copies keep the binary column; CSV copies cannot hold it and
    // the refusal names the column (not as a CSV reading error).
    s.issue_json("roll.parquet", "copies", &["PAN"], &[]);
    assert_eq!(read_parquet(&s.p("copies/PAN.parquet")).0, schema);
    s.verify("cut.parquet", &[])
        .assert()
        .code(1)
        .stderr(contains("cut.parquet"));
    // Named .parquet without being one.
    std::fs::write(s.p("fake.parquet"), "CURP,CALLE\nX,Y\n").unwrap();
    s.verify("fake.parquet", &[])
        .assert()
        .code(1)
        .stderr(contains("fake.parquet: not a Parquet file"));
    s.issue("roll.parquet", "csv", &["PRI"], &["--format", "csv"])
        .assert()
        .code(1)
        .stderr(
            contains("roll.parquet")
                .and(contains("FOTO"))
                .and(contains("reading CSV").not()),
        );
    assert!(s.files("csv").is_empty(), "{:?}", s.files("csv"));

    // A copy in another format would share PAN's receipt: refused.
    s.issue(
        "roll.parquet",
        "copies",
        &["PAN"],
        &["--format", "arrow", "--force"],
    )
    .assert()
    .code(1)
    .stderr(contains("PAN.parquet").and(contains("PAN.receipt")));
}

#[test]
fn help_describes_the_formats() {
    wm().args(["issue", "--help"]).assert().success().stdout(
        contains("--format <FORMAT>")
            .and(contains("arrow-stream"))
            .and(contains("Parquet"))
            .and(contains("--format parquet")),
    );
    wm().args(["verify", "--help"])
        .assert()
        .success()
        .stdout(contains("Parquet").and(contains("leaked.parquet")));
}
