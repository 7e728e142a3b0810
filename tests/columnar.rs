//! Parquet and Arrow IPC extracts: copies keep the input's schema and differ
//! only in carrier cells, samples of a copy name its recipient, issuance is
//! deterministic, non-text identity and decimal carrier columns work, and
//! canaries are placed and found.

use std::collections::{BTreeMap, HashSet};
use std::io::Cursor;
use std::sync::Arc;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use watermark_core::{
    make_canaries_from_rows, Attribution, Detector, Embedder, ErrorKind, MasterKey, Policy,
    Recipient, RowSource,
};
use watermark_formats::reexport::arrow_array::{
    cast::AsArray, types::Decimal128Type, Array, ArrayRef, Decimal128Array, Float64Array,
    Int64Array, RecordBatch, StringArray, UInt32Array,
};
use watermark_formats::reexport::arrow_ipc::writer::FileWriter;
use watermark_formats::reexport::arrow_schema::{DataType, Field, Schema, SchemaRef};
use watermark_formats::reexport::arrow_select::{concat::concat_batches, take::take_record_batch};
use watermark_formats::reexport::bytes::Bytes;
use watermark_formats::reexport::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use watermark_formats::reexport::parquet::arrow::ArrowWriter;
use watermark_formats::reexport::parquet::basic::Compression;
use watermark_formats::{
    csv_to_arrow_ipc, csv_to_parquet, issue_arrow_ipc, issue_csv_with, issue_parquet,
    make_canaries, suggest_from_csv, verify_arrow_ipc, verify_csv, verify_parquet, Codec,
    ColumnarRows, ConvertOptions, Format, IssueOptions,
};
use watermark_synth::Kind;

const RECIPIENTS: u32 = 5;

fn key() -> MasterKey {
    MasterKey::from_bytes([7; 32])
}

fn recipients() -> Vec<Recipient> {
    (0..RECIPIENTS)
        .map(|i| Recipient::new(format!("party-{i}"), i * 3 + 1).unwrap())
        .collect()
}

fn synth(kind: Kind, seed: u64, rows: usize) -> Vec<u8> {
    let mut out = Vec::new();
    watermark_synth::write_csv(kind, seed, rows, &mut out).unwrap();
    out
}

fn embedder<'a>(key: &'a MasterKey, policy: &'a Policy) -> Embedder {
    Embedder::builder()
        .key(key)
        .policy(policy)
        .recipients(recipients())
        .build()
        .unwrap()
}

fn detector<'a>(key: &'a MasterKey, policy: &'a Policy) -> Detector {
    Detector::builder()
        .key(key)
        .policy(policy)
        .recipients(recipients())
        .build()
        .unwrap()
}

fn options(threads: usize) -> IssueOptions {
    IssueOptions {
        threads,
        batch_rows: 1500,
    }
}

fn accused(a: &Attribution) -> Vec<&str> {
    a.accused.iter().map(|r| r.recipient.as_str()).collect()
}

/// Schema-level and field-level metadata, to check they are kept.
fn metadata() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("registro".to_string(), "padron-2026".to_string()),
        ("corte".to_string(), "2026-03-31".to_string()),
    ])
}

fn parquet_batches(bytes: &[u8]) -> (SchemaRef, Vec<RecordBatch>) {
    let builder = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(bytes.to_vec())).unwrap();
    let schema = Arc::clone(builder.schema());
    let batches = builder.build().unwrap().map(|b| b.unwrap()).collect();
    (schema, batches)
}

/// A column to convert, and how.
type Retype<'a> = (&'a str, &'a dyn Fn(&ArrayRef) -> ArrayRef);

/// Re-writes a Parquet file with `field`'s metadata set, and the columns in
/// `retype` converted by the given functions.
fn rewrite_parquet(
    bytes: &[u8],
    field_metadata: (&str, &str, &str),
    retype: &[Retype<'_>],
    compression: Compression,
    row_group_rows: usize,
) -> Vec<u8> {
    let (schema, batches) = parquet_batches(bytes);
    let convert = |name: &str, a: &ArrayRef| -> ArrayRef {
        match retype.iter().find(|(n, _)| *n == name) {
            Some((_, f)) => f(a),
            None => Arc::clone(a),
        }
    };
    let batches: Vec<RecordBatch> = batches
        .iter()
        .map(|b| {
            let columns: Vec<ArrayRef> = schema
                .fields()
                .iter()
                .zip(b.columns())
                .map(|(f, a)| convert(f.name(), a))
                .collect();
            let fields: Vec<Field> = schema
                .fields()
                .iter()
                .zip(&columns)
                .map(|(f, a)| {
                    let mut field = Field::new(f.name(), a.data_type().clone(), true);
                    if f.name() == field_metadata.0 {
                        field = field.with_metadata(
                            [(field_metadata.1.to_owned(), field_metadata.2.to_owned())].into(),
                        );
                    }
                    field
                })
                .collect();
            let schema = Schema::new_with_metadata(fields, schema.metadata().clone());
            RecordBatch::try_new(Arc::new(schema), columns).unwrap()
        })
        .collect();
    let props = watermark_formats::reexport::parquet::file::properties::WriterProperties::builder()
        .set_compression(compression)
        .set_max_row_group_row_count(Some(row_group_rows))
        .build();
    let mut out = Vec::new();
    let mut w = ArrowWriter::try_new(&mut out, batches[0].schema(), Some(props)).unwrap();
    for b in &batches {
        w.write(b).unwrap();
    }
    w.close().unwrap();
    out
}

/// Every row of a columnar file as text.
fn text_rows(format: Format, bytes: &[u8]) -> (SchemaRef, Vec<Vec<String>>) {
    let rows = ColumnarRows::open(format, Cursor::new(bytes.to_vec())).unwrap();
    let schema = rows.schema();
    (schema, rows.into_rows().map(|r| r.unwrap()).collect())
}

/// Checks a copy against its input: same schema and rows, equal outside the
/// carrier columns; returns the number of carrier cells that differ.
fn check_copy(format: Format, input: &[u8], copy: &[u8], carriers: &[usize]) -> usize {
    let (in_schema, in_rows) = text_rows(format, input);
    let (out_schema, out_rows) = text_rows(format, copy);
    assert_eq!(out_schema, in_schema, "the copy has the input's schema");
    assert_eq!(out_rows.len(), in_rows.len());
    let mut changed = 0;
    for (a, b) in in_rows.iter().zip(&out_rows) {
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            if x != y {
                assert!(carriers.contains(&i), "column {i} changed: {x:?} -> {y:?}");
                changed += 1;
            }
        }
    }
    changed
}

fn carrier_columns(policy: &Policy, schema: &SchemaRef) -> Vec<usize> {
    policy
        .carriers
        .iter()
        .map(|c| schema.index_of(&c.column).unwrap())
        .collect()
}

/// `n` random rows of a batch list, as one batch.
fn sample(batches: &[RecordBatch], n: usize, seed: u64) -> RecordBatch {
    let all = concat_batches(&batches[0].schema(), batches).unwrap();
    let mut idx: Vec<u32> = (0..all.num_rows() as u32).collect();
    idx.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    idx.truncate(n);
    take_record_batch(&all, &UInt32Array::from(idx)).unwrap()
}

fn write_parquet(batch: &RecordBatch) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = ArrowWriter::try_new(&mut out, batch.schema(), None).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
    out
}

fn ipc_batches(bytes: &[u8]) -> Vec<RecordBatch> {
    watermark_formats::reexport::arrow_ipc::reader::FileReader::try_new(Cursor::new(bytes), None)
        .unwrap()
        .map(|b| b.unwrap())
        .collect()
}

fn write_ipc(batch: &RecordBatch) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = FileWriter::try_new(&mut out, &batch.schema()).unwrap();
    w.write(batch).unwrap();
    w.finish().unwrap();
    drop(w);
    out
}

#[test]
fn formats_are_sniffed_and_named() {
    assert_eq!(Format::sniff(b"PAR1\x15\x04"), Format::Parquet);
    assert_eq!(Format::sniff(b"ARROW1\0\0"), Format::ArrowIpc);
    assert_eq!(
        Format::sniff(&[0xFF, 0xFF, 0xFF, 0xFF, 0x10, 0, 0, 0]),
        Format::ArrowIpc
    );
    assert_eq!(Format::sniff(b"CURP,CALLE\n"), Format::Csv);
    assert_eq!(Format::sniff(b""), Format::Csv);
    assert_eq!(
        Format::from_extension("roll.PARQUET"),
        Some(Format::Parquet)
    );
    assert_eq!(
        Format::from_extension("a/b.feather"),
        Some(Format::ArrowIpc)
    );
    assert_eq!(Format::from_extension("a.arrow"), Some(Format::ArrowIpc));
    assert_eq!(Format::from_extension("a.csv"), Some(Format::Csv));
    assert_eq!(Format::from_extension("a.xlsx"), None);
    assert_eq!(Format::from_extension("noext"), None);
}

#[test]
fn parquet_copies_keep_the_schema_and_a_sample_names_its_recipient() {
    let csv = synth(Kind::ElectoralRoll, 31, 20_000);
    let policy = suggest_from_csv(&csv[..], 10_000, None, None)
        .unwrap()
        .policy;
    assert!(policy.canaries.is_none());
    let mut plain = Vec::new();
    let convert = ConvertOptions {
        metadata: metadata(),
        ..ConvertOptions::default()
    };
    assert_eq!(
        csv_to_parquet(&csv[..], &mut plain, convert).unwrap(),
        20_000
    );
    // Field metadata, zstd, and row groups of 6,000 rows (the last shorter).
    let input = rewrite_parquet(
        &plain,
        ("CURP", "semantics", "curp-18"),
        &[],
        Compression::ZSTD(Default::default()),
        6_000,
    );
    let key = key();
    let e = embedder(&key, &policy);
    let out = issue_parquet(
        &e,
        Cursor::new(input.clone()),
        vec![Vec::new(); 5],
        options(2),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(out.rows, 20_000);
    assert!(out.slots_marked > 20_000);
    assert_eq!(out.canaries, vec![0; 5]);

    let (in_schema, _) = parquet_batches(&input);
    assert_eq!(
        in_schema.metadata().get("registro").map(String::as_str),
        Some("padron-2026")
    );
    let curp = in_schema.field_with_name("CURP").unwrap();
    assert_eq!(
        curp.metadata().get("semantics").map(String::as_str),
        Some("curp-18")
    );
    let carriers = carrier_columns(&policy, &in_schema);
    assert!(!carriers.is_empty());
    let in_meta = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(input.clone()))
        .unwrap()
        .metadata()
        .clone();
    for copy in &out.outputs {
        // The schema (names, types, nullability, both levels of metadata).
        let (schema, _) = parquet_batches(copy);
        assert_eq!(schema, in_schema);
        let changed = check_copy(Format::Parquet, &input, copy, &carriers);
        assert!(changed > 1_000, "{changed} cells marked");
        // Row groups as the input's, with its codec.
        let meta = ParquetRecordBatchReaderBuilder::try_new(Bytes::from(copy.clone()))
            .unwrap()
            .metadata()
            .clone();
        let sizes = |m: &watermark_formats::reexport::parquet::file::metadata::ParquetMetaData| {
            m.row_groups()
                .iter()
                .map(|g| g.num_rows())
                .collect::<Vec<_>>()
        };
        assert_eq!(sizes(&meta), sizes(&in_meta));
        assert_eq!(sizes(&meta), vec![6_000, 6_000, 6_000, 2_000]);
        for c in meta.row_group(0).columns() {
            assert!(
                matches!(c.compression(), Compression::ZSTD(_)),
                "{:?}",
                c.compression()
            );
        }
    }

    // 60 random rows of party-3's copy, as a Parquet file of their own.
    let d = detector(&key, &policy);
    let (_, batches) = parquet_batches(&out.outputs[3]);
    let leak = write_parquet(&sample(&batches, 60, 5));
    let found = verify_parquet(&d, Cursor::new(leak), &mut |_| {}).unwrap();
    assert_eq!(found.rows_read, 60);
    assert_eq!(accused(&found), ["party-3"], "{found:?}");
    assert!(found.accused[0].false_accusation_bound <= 1e-9);
}

#[test]
fn arrow_ipc_copies_keep_the_schema_and_a_sample_names_its_recipient() {
    let csv = synth(Kind::ElectoralRoll, 32, 20_000);
    let policy = suggest_from_csv(&csv[..], 10_000, None, None)
        .unwrap()
        .policy;
    let key = key();
    let e = embedder(&key, &policy);
    let d = detector(&key, &policy);
    for stream in [false, true] {
        let mut input = Vec::new();
        let convert = ConvertOptions {
            batch_rows: 3_000,
            ipc_stream: stream,
            metadata: metadata(),
            ..ConvertOptions::default()
        };
        csv_to_arrow_ipc(&csv[..], &mut input, convert).unwrap();
        assert_eq!(Format::sniff(&input), Format::ArrowIpc);
        let out = issue_arrow_ipc(
            &e,
            Cursor::new(input.clone()),
            vec![Vec::new(); 5],
            options(2),
            &mut |_| {},
        )
        .unwrap();
        assert_eq!(out.rows, 20_000);
        let (schema, _) = text_rows(Format::ArrowIpc, &input);
        assert_eq!(
            schema.metadata().get("corte").map(String::as_str),
            Some("2026-03-31")
        );
        let carriers = carrier_columns(&policy, &schema);
        for copy in &out.outputs {
            // The input's format: a stream stays a stream.
            assert_eq!(copy[..4] == [0xFF; 4], stream);
            assert_eq!(&copy[..6] == b"ARROW1", !stream);
            assert!(check_copy(Format::ArrowIpc, &input, copy, &carriers) > 1_000);
        }
        if !stream {
            // The input's batches, one for one.
            assert_eq!(ipc_batches(&out.outputs[1]).len(), 7);
            let leak = write_ipc(&sample(&ipc_batches(&out.outputs[1]), 60, 9));
            let found = verify_arrow_ipc(&d, Cursor::new(leak), &mut |_| {}).unwrap();
            assert_eq!(accused(&found), ["party-1"], "{found:?}");
        } else {
            let found =
                verify_arrow_ipc(&d, Cursor::new(out.outputs[4].clone()), &mut |_| {}).unwrap();
            assert_eq!(accused(&found), ["party-4"]);
        }
    }
}

#[test]
fn arrow_ipc_copies_keep_the_input_compression() {
    let csv = synth(Kind::ElectoralRoll, 36, 4_000);
    let policy = suggest_from_csv(&csv[..], 10_000, None, None)
        .unwrap()
        .policy;
    let key = key();
    let e = embedder(&key, &policy);
    let d = detector(&key, &policy);
    let convert = |codec, ipc_stream| {
        let mut out = Vec::new();
        let options = ConvertOptions {
            codec,
            ipc_stream,
            ..ConvertOptions::default()
        };
        csv_to_arrow_ipc(&csv[..], &mut out, options).unwrap();
        out
    };
    for stream in [false, true] {
        let plain = convert(Codec::Uncompressed, stream);
        for codec in [Codec::Zstd, Codec::Lz4] {
            let input = convert(codec, stream);
            assert!(input.len() * 10 < plain.len() * 9, "{codec:?} compresses");
            let out = issue_arrow_ipc(
                &e,
                Cursor::new(input.clone()),
                vec![Vec::new(); 5],
                options(1),
                &mut |_| {},
            )
            .unwrap();
            for copy in &out.outputs {
                // Compressed like the input: about its size, not the plain size.
                let ratio = copy.len() as f64 / input.len() as f64;
                assert!(
                    (0.9..1.1).contains(&ratio),
                    "{codec:?}, stream {stream}: {ratio}"
                );
            }
            let found =
                verify_arrow_ipc(&d, Cursor::new(out.outputs[2].clone()), &mut |_| {}).unwrap();
            assert_eq!(accused(&found), ["party-2"]);
        }
    }
}

#[test]
fn copies_are_the_same_bytes_whatever_the_threads() {
    let csv = synth(Kind::ElectoralRoll, 33, 6_000);
    let policy = suggest_from_csv(&csv[..], 10_000, None, None)
        .unwrap()
        .policy;
    let key = key();
    let e = embedder(&key, &policy);
    let convert = ConvertOptions {
        row_group_rows: 2_500,
        codec: Codec::Lz4,
        ..ConvertOptions::default()
    };
    let mut pq = Vec::new();
    csv_to_parquet(&csv[..], &mut pq, convert.clone()).unwrap();
    let mut ipc = Vec::new();
    csv_to_arrow_ipc(&csv[..], &mut ipc, convert).unwrap();
    type Copies = Vec<Vec<u8>>;
    let runs: Vec<(Copies, Copies)> = [1, 2, 3]
        .into_iter()
        .map(|threads| {
            let p = issue_parquet(
                &e,
                Cursor::new(pq.clone()),
                vec![Vec::new(); 5],
                options(threads),
                &mut |_| {},
            )
            .unwrap()
            .outputs;
            let i = issue_arrow_ipc(
                &e,
                Cursor::new(ipc.clone()),
                vec![Vec::new(); 5],
                options(threads),
                &mut |_| {},
            )
            .unwrap()
            .outputs;
            (p, i)
        })
        .collect();
    assert_eq!(runs[0], runs[1], "1 and 2 threads");
    assert_eq!(runs[0], runs[2], "1 and 3 threads");
    // Batches of 1,500 rows do not divide the row groups of 2,500; the
    // copies' row groups are still the input's.
    let groups = |bytes: &[u8]| -> Vec<i64> {
        ParquetRecordBatchReaderBuilder::try_new(Bytes::from(bytes.to_vec()))
            .unwrap()
            .metadata()
            .row_groups()
            .iter()
            .map(|g| g.num_rows())
            .collect()
    };
    // From a file on disk, the same bytes.
    let mut file = tempfile::tempfile().unwrap();
    std::io::Write::write_all(&mut file, &pq).unwrap();
    let from_file = issue_parquet(&e, file, vec![Vec::new(); 5], options(2), &mut |_| {})
        .unwrap()
        .outputs;
    assert_eq!(from_file, runs[0].0);
    assert_eq!(groups(&pq), [2_500, 2_500, 1_000]);
    assert_eq!(groups(&runs[0].0[0]), [2_500, 2_500, 1_000]);
    // And every copy differs from every other.
    let distinct: HashSet<&Vec<u8>> = runs[0].0.iter().collect();
    assert_eq!(distinct.len(), 5);
}

/// A copy's output that fails once it has taken `left` bytes.
#[derive(Debug)]
struct FailingAfter {
    left: usize,
}

impl std::io::Write for FailingAfter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::other("the disk is full"));
        }
        let n = buf.len().min(self.left);
        self.left -= n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_copy_that_cannot_be_written_is_an_error_whatever_the_threads() {
    let csv = synth(Kind::ElectoralRoll, 34, 4_000);
    let policy = suggest_from_csv(&csv[..], 10_000, None, None)
        .unwrap()
        .policy;
    let key = key();
    let e = embedder(&key, &policy);
    let convert = ConvertOptions {
        row_group_rows: 500,
        ..ConvertOptions::default()
    };
    let mut pq = Vec::new();
    csv_to_parquet(&csv[..], &mut pq, convert.clone()).unwrap();
    let mut ipc = Vec::new();
    csv_to_arrow_ipc(&csv[..], &mut ipc, convert).unwrap();
    for threads in [1, 2, 3] {
        // The fourth copy fails partway; the others would be written.
        let outputs = || {
            (0..5)
                .map(|r| FailingAfter {
                    left: if r == 3 { 20_000 } else { usize::MAX },
                })
                .collect::<Vec<_>>()
        };
        let errors = [
            issue_parquet(
                &e,
                Cursor::new(pq.clone()),
                outputs(),
                options(threads),
                &mut |_| {},
            )
            .unwrap_err(),
            issue_arrow_ipc(
                &e,
                Cursor::new(ipc.clone()),
                outputs(),
                options(threads),
                &mut |_| {},
            )
            .unwrap_err(),
        ];
        for err in errors {
            let text = err.to_string();
            assert!(
                text.contains("the disk is full"),
                "{threads} threads: {text}"
            );
        }
    }
}

#[test]
fn marks_are_those_of_the_csv_path() {
    // The same extract as CSV and as Parquet gives the same marked values.
    let csv = synth(Kind::ElectoralRoll, 34, 3_000);
    let policy = suggest_from_csv(&csv[..], 10_000, None, None)
        .unwrap()
        .policy;
    let key = key();
    let e = embedder(&key, &policy);
    let mut pq = Vec::new();
    csv_to_parquet(&csv[..], &mut pq, ConvertOptions::default()).unwrap();
    let copies = issue_parquet(
        &e,
        Cursor::new(pq),
        vec![Vec::new(); 5],
        options(1),
        &mut |_| {},
    )
    .unwrap();
    let csv_copies =
        issue_csv_with(&e, &csv[..], vec![Vec::new(); 5], options(1), &mut |_| {}).unwrap();
    for (p, c) in copies.outputs.iter().zip(&csv_copies.outputs) {
        let (_, rows) = text_rows(Format::Parquet, p);
        let mut rdr = csv::Reader::from_reader(&c[..]);
        let want: Vec<Vec<String>> = rdr
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        assert_eq!(rows, want);
    }
}

/// A pensioner roll as Parquet with an `Int64` NSS, a `Decimal128(12, 2)`
/// amount with some nulls, and everything else text.
fn typed_pensioners(rows: usize) -> (Vec<u8>, Vec<u8>) {
    let csv = synth(Kind::Pensioners, 41, rows);
    let mut plain = Vec::new();
    csv_to_parquet(&csv[..], &mut plain, ConvertOptions::default()).unwrap();
    let to_int = |a: &ArrayRef| -> ArrayRef {
        let s = a.as_string::<i32>();
        Arc::new(
            s.iter()
                .map(|v| v.map(|v| v.parse::<i64>().unwrap()))
                .collect::<Int64Array>(),
        )
    };
    let to_decimal = |a: &ArrayRef| -> ArrayRef {
        let s = a.as_string::<i32>();
        let d: Decimal128Array = s
            .iter()
            .enumerate()
            .map(|(k, v)| {
                // Every 50th amount is missing.
                let v = v.unwrap();
                (k % 50 != 7).then(|| {
                    let (int, frac) = v.split_once('.').unwrap();
                    format!("{int}{frac}").parse::<i128>().unwrap()
                })
            })
            .collect();
        Arc::new(d.with_precision_and_scale(12, 2).unwrap())
    };
    let pq = rewrite_parquet(
        &plain,
        ("NSS", "unit", "imss"),
        &[("NSS", &to_int), ("MONTO_MENSUAL", &to_decimal)],
        Compression::SNAPPY,
        1 << 20,
    );
    (csv, pq)
}

#[test]
fn int64_identity_and_decimal_carrier() {
    let (csv, pq) = typed_pensioners(5_000);
    let identity = vec!["NSS".to_string()];
    let policy = suggest_from_csv(&csv[..], 10_000, Some(&identity), None)
        .unwrap()
        .policy;
    assert_eq!(policy.identity, identity);
    assert!(
        policy.carriers.iter().any(|c| c.column == "MONTO_MENSUAL"),
        "{policy:?}"
    );
    let key = key();
    let e = embedder(&key, &policy);
    let out = issue_parquet(
        &e,
        Cursor::new(pq.clone()),
        vec![Vec::new(); 5],
        options(2),
        &mut |_| {},
    )
    .unwrap();
    let (in_schema, in_batches) = parquet_batches(&pq);
    assert_eq!(
        in_schema.field_with_name("NSS").unwrap().data_type(),
        &DataType::Int64
    );
    let input = concat_batches(&in_schema, &in_batches).unwrap();
    let monto = in_schema.index_of("MONTO_MENSUAL").unwrap();
    let before = input.column(monto).as_primitive::<Decimal128Type>();
    let carriers = carrier_columns(&policy, &in_schema);
    for copy in &out.outputs {
        check_copy(Format::Parquet, &pq, copy, &carriers);
        let (schema, batches) = parquet_batches(copy);
        assert_eq!(schema, in_schema);
        let copy = concat_batches(&schema, &batches).unwrap();
        let after = copy.column(monto).as_primitive::<Decimal128Type>();
        assert_eq!(after.data_type(), &DataType::Decimal128(12, 2));
        let mut moved = 0;
        for k in 0..before.len() {
            // Nulls stay null; amounts move by one centavo at most.
            assert_eq!(after.is_null(k), before.is_null(k));
            if before.is_valid(k) {
                let diff = (after.value(k) - before.value(k)).abs();
                assert!(diff <= 1);
                moved += diff as usize;
            }
        }
        assert!(moved > 500, "{moved} amounts marked");
    }
    // A sample names its recipient, read as Parquet or converted to CSV (the
    // NSS as its digits).
    let d = detector(&key, &policy);
    let (_, batches) = parquet_batches(&out.outputs[2]);
    let leak = sample(&batches, 80, 3);
    let found = verify_parquet(&d, Cursor::new(write_parquet(&leak)), &mut |_| {}).unwrap();
    assert_eq!(accused(&found), ["party-2"], "{found:?}");
    let (_, rows) = text_rows(Format::Parquet, &write_parquet(&leak));
    let mut as_csv = csv::Writer::from_writer(Vec::new());
    as_csv
        .write_record(in_schema.fields().iter().map(|f| f.name()))
        .unwrap();
    for r in &rows {
        as_csv.write_record(r).unwrap();
    }
    let as_csv = as_csv.into_inner().unwrap();
    let found = verify_csv(&d, &as_csv[..], &mut |_| {}).unwrap();
    assert_eq!(accused(&found), ["party-2"]);
    // Only the NSS and amount columns of the leak: still party-2.
    let nss = in_schema.index_of("NSS").unwrap();
    let narrow = leak.project(&[monto, nss]).unwrap();
    let found = verify_parquet(&d, Cursor::new(write_parquet(&narrow)), &mut |_| {}).unwrap();
    assert!(found.rows_used > 0);
}

#[test]
fn a_null_identity_is_refused_and_a_float_carrier_is_named() {
    let schema = Arc::new(Schema::new(vec![
        Field::new("NSS", DataType::Int64, true),
        Field::new("CALLE", DataType::Utf8, true),
        Field::new("MONTO", DataType::Float64, true),
    ]));
    let batch = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(Int64Array::from(vec![
                Some(12345678901),
                Some(2),
                None,
                Some(4),
            ])),
            Arc::new(StringArray::from(vec![
                Some("AV. REFORMA 1"),
                None,
                Some("CALLE 5"),
                Some("AV. JUAREZ"),
            ])),
            Arc::new(Float64Array::from(vec![1.5, 2.25, 3.0, 4.75])),
        ],
    )
    .unwrap();
    let pq = write_parquet(&batch);
    let key = key();
    let policy = Policy::from_toml(
        "version = 1\nidentity = [\"NSS\"]\n[[carrier]]\ncolumn = \"CALLE\"\nkind = \"variants\"\n",
    )
    .unwrap();
    let e = embedder(&key, &policy);
    let err = issue_parquet(
        &e,
        Cursor::new(pq.clone()),
        vec![Vec::new(); 5],
        options(1),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::EmptyIdentity), "{err}");
    assert_eq!(err.row(), Some(3));
    assert_eq!(err.column(), Some("NSS"));

    // Found by a worker thread, far into the file: the same error.
    let n: i32 = 5_000;
    let many = RecordBatch::try_new(
        Arc::clone(&schema),
        vec![
            Arc::new(Int64Array::from_iter(
                (0..n).map(|i| (i != 4_320).then_some(i64::from(i))),
            )),
            Arc::new(StringArray::from_iter_values(
                (0..n).map(|i| format!("AV. REFORMA {i}")),
            )),
            Arc::new(Float64Array::from_iter_values((0..n).map(f64::from))),
        ],
    )
    .unwrap();
    let err = issue_parquet(
        &e,
        Cursor::new(write_parquet(&many)),
        vec![Vec::new(); 5],
        options(3),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::EmptyIdentity), "{err}");
    assert_eq!(err.row(), Some(4_321));

    let policy = Policy::from_toml(
        "version = 1\nidentity = [\"NSS\"]\n[[carrier]]\ncolumn = \"MONTO\"\nkind = \"numeric\"\ndecimals = 2\n",
    )
    .unwrap();
    let e = embedder(&key, &policy);
    let err = issue_parquet(
        &e,
        Cursor::new(pq),
        vec![Vec::new(); 5],
        options(1),
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(err.column(), Some("MONTO"));
    let message = err.to_string();
    assert!(
        message.contains("Float64") && message.contains("Decimal128"),
        "{message}"
    );
}

#[test]
fn canaries_are_placed_in_parquet_copies_and_name_a_leaker() {
    let csv = synth(Kind::ElectoralRoll, 35, 6_000);
    let policy = suggest_from_csv(&csv[..], 10_000, None, Some(0.02))
        .unwrap()
        .policy;
    assert!(policy.canaries.is_some());
    let mut pq = Vec::new();
    let convert = ConvertOptions {
        row_group_rows: 2_000,
        ..ConvertOptions::default()
    };
    csv_to_parquet(&csv[..], &mut pq, convert).unwrap();
    let key = key();
    let digest = blake3::hash(&pq).to_hex().to_string();
    let list = make_canaries_from_rows(
        &key,
        &policy,
        &digest,
        || ColumnarRows::parquet(Cursor::new(pq.clone())),
        &mut |_, _| {},
    )
    .unwrap();
    assert!(list.len() > 100, "{} canaries", list.len());
    // The text form of a text-only Parquet file is the CSV: the same canaries.
    let from_csv = make_canaries(&key, &policy, &digest, || Ok(&csv[..]), &mut |_, _| {}).unwrap();
    assert_eq!(list.to_json(), from_csv.to_json());

    let e = Embedder::builder()
        .key(&key)
        .policy(&policy)
        .recipients(recipients())
        .canaries(list.clone())
        .build()
        .unwrap();
    let out = issue_parquet(
        &e,
        Cursor::new(pq.clone()),
        vec![Vec::new(); 5],
        options(2),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(out.rows, 6_000);
    let canary_ids: HashSet<String> = list.rows().map(|r| r[1].clone()).collect();
    for (r, copy) in out.outputs.iter().enumerate() {
        let (_, rows) = text_rows(Format::Parquet, copy);
        assert_eq!(rows.len() as u64, 6_000 + out.canaries[r]);
        let found = rows
            .iter()
            .filter(|row| canary_ids.contains(&row[1]))
            .count();
        assert_eq!(found as u64, out.canaries[r]);
        assert!(out.canaries[r] > 20, "{:?}", out.canaries);
    }
    // The same copies as the CSV path's, cell for cell.
    let csv_out =
        issue_csv_with(&e, &csv[..], vec![Vec::new(); 5], options(1), &mut |_| {}).unwrap();
    assert_eq!(csv_out.canaries, out.canaries);
    for (p, c) in out.outputs.iter().zip(&csv_out.outputs) {
        let (_, rows) = text_rows(Format::Parquet, p);
        let want: Vec<Vec<String>> = csv::Reader::from_reader(&c[..])
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        assert_eq!(rows, want);
    }
    // The copy is deterministic with canaries too.
    let again = issue_parquet(
        &e,
        Cursor::new(pq),
        vec![Vec::new(); 5],
        options(3),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(again.outputs, out.outputs);

    // A 300-row leak of party-0's copy is found with the canaries' help.
    let d = Detector::builder()
        .key(&key)
        .policy(&policy)
        .recipients(recipients())
        .canaries([&list])
        .build()
        .unwrap();
    let (_, batches) = parquet_batches(&out.outputs[0]);
    let leak = write_parquet(&sample(&batches, 300, 17));
    let found = verify_parquet(&d, Cursor::new(leak), &mut |_| {}).unwrap();
    assert!(found.canaries_found > 0);
    assert_eq!(accused(&found), ["party-0"]);
}

#[test]
fn canaries_in_typed_columns_are_converted_to_the_column_type() {
    let (csv, pq) = typed_pensioners(4_000);
    let identity = vec!["NSS".to_string()];
    let policy = suggest_from_csv(&csv[..], 10_000, Some(&identity), Some(0.02))
        .unwrap()
        .policy;
    let Some(_) = policy.canaries else {
        panic!("no canaries suggested")
    };
    let key = key();
    let list = make_canaries_from_rows(
        &key,
        &policy,
        "digest",
        || ColumnarRows::parquet(Cursor::new(pq.clone())),
        &mut |_, _| {},
    )
    .unwrap();
    assert!(!list.is_empty());
    let e = Embedder::builder()
        .key(&key)
        .policy(&policy)
        .recipients(recipients())
        .canaries(list.clone())
        .build()
        .unwrap();
    let out = issue_parquet(
        &e,
        Cursor::new(pq.clone()),
        vec![Vec::new(); 5],
        options(2),
        &mut |_| {},
    )
    .unwrap();
    let (in_schema, _) = parquet_batches(&pq);
    for (r, copy) in out.outputs.iter().enumerate() {
        let (schema, batches) = parquet_batches(copy);
        assert_eq!(schema, in_schema);
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows as u64, 4_000 + out.canaries[r]);
    }
    let d = Detector::builder()
        .key(&key)
        .policy(&policy)
        .recipients(recipients())
        .canaries([&list])
        .build()
        .unwrap();
    let found = verify_parquet(&d, Cursor::new(out.outputs[1].clone()), &mut |_| {}).unwrap();
    assert_eq!(found.canaries_found, out.canaries[1]);
    assert_eq!(accused(&found), ["party-1"]);
}

#[test]
fn an_extract_without_rows_gives_copies_without_rows() {
    let csv = b"CURP,CALLE\n";
    let policy = Policy::from_toml(
        "version = 1\nidentity = [\"CURP\"]\n[[carrier]]\ncolumn = \"CALLE\"\nkind = \"variants\"\n",
    )
    .unwrap();
    let key = key();
    let e = embedder(&key, &policy);
    let mut pq = Vec::new();
    assert_eq!(
        csv_to_parquet(&csv[..], &mut pq, ConvertOptions::default()).unwrap(),
        0
    );
    let mut ipc = Vec::new();
    csv_to_arrow_ipc(&csv[..], &mut ipc, ConvertOptions::default()).unwrap();
    let out = issue_parquet(
        &e,
        Cursor::new(pq.clone()),
        vec![Vec::new(); 5],
        options(2),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(out.rows, 0);
    for copy in &out.outputs {
        let (schema, rows) = text_rows(Format::Parquet, copy);
        assert_eq!(schema, text_rows(Format::Parquet, &pq).0);
        assert!(rows.is_empty());
    }
    let out = issue_arrow_ipc(
        &e,
        Cursor::new(ipc),
        vec![Vec::new(); 5],
        options(1),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(out.rows, 0);
    assert!(text_rows(Format::ArrowIpc, &out.outputs[0]).1.is_empty());
    // A missing identity column is named as for CSV.
    let mut other = Vec::new();
    csv_to_parquet(
        &b"NOMBRE,CALLE\n"[..],
        &mut other,
        ConvertOptions::default(),
    )
    .unwrap();
    let err = issue_parquet(
        &e,
        Cursor::new(other),
        vec![Vec::new(); 5],
        options(1),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::MissingColumn { column, .. } if column == "CURP"),
        "{err}"
    );
    // Not Parquet at all.
    let err = issue_parquet(
        &e,
        Cursor::new(csv.to_vec()),
        vec![Vec::new(); 5],
        options(1),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("Parquet"), "{err}");
}
