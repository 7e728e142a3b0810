//! A table in memory is issued as its CSV form is: the same canaries, the
//! same copies byte for byte (their CSV forms), the same log entries; and
//! nothing is logged when the table cannot be marked.

use std::io::Cursor;
use std::sync::Arc;

use watermark_app::tables::{self, InMemory, IssueSettings};
use watermark_app::{issue, Quiet, State};
use watermark_formats::reexport::arrow_array::RecordBatch;
use watermark_formats::reexport::arrow_ipc::reader::StreamReader;
use watermark_formats::{csv_to_arrow_ipc, ConvertOptions};

fn extract(rows: usize) -> Vec<u8> {
    let mut csv = Vec::new();
    watermark_synth::write_csv(watermark_synth::Kind::ElectoralRoll, 11, rows, &mut csv).unwrap();
    csv
}

/// The extract as a table of text columns, in batches of 700 rows.
fn table(csv: &[u8]) -> InMemory {
    let mut ipc = Vec::new();
    let options = ConvertOptions {
        batch_rows: 700,
        ipc_stream: true,
        ..ConvertOptions::default()
    };
    csv_to_arrow_ipc(csv, &mut ipc, options).unwrap();
    let reader = StreamReader::try_new(Cursor::new(ipc), None).unwrap();
    let schema = reader.schema();
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    InMemory {
        schema,
        batches,
        name: "table".into(),
    }
}

fn csv_form(
    schema: &watermark_formats::reexport::arrow_schema::SchemaRef,
    batches: &[RecordBatch],
) -> Vec<u8> {
    let copy = InMemory {
        schema: Arc::clone(schema),
        batches: batches.to_vec(),
        name: "copy".into(),
    };
    let mut out = Vec::new();
    tables::write_csv_form(&copy, &mut out).unwrap();
    out
}

#[test]
fn a_table_is_issued_as_its_csv_form_is() {
    let dir = tempfile::tempdir().unwrap();
    let csv = extract(2_500);
    let input = dir.path().join("padron.csv");
    std::fs::write(&input, &csv).unwrap();
    let policy_path = dir.path().join("politica.toml");
    let suggestion =
        watermark_formats::suggest_from_csv(&csv[..], 10_000, None, Some(0.002)).unwrap();
    std::fs::write(&policy_path, suggestion.to_commented_toml()).unwrap();
    let [by_file, by_table] = shared_states(dir.path(), ["file", "table"]);
    let recipients: Vec<String> = ["PAN", "PRI", "MC"].map(String::from).to_vec();
    let out = dir.path().join("copias");
    let file = issue::run(
        &issue::Settings {
            state: by_file,
            policy: policy_path.clone(),
            input,
            recipients: recipients.clone(),
            out_dir: out.clone(),
            force: false,
            format: None,
            witnesses: None,
            encoding: None,
        },
        Quiet,
    )
    .unwrap();

    let t = table(&csv);
    assert!(t.batches.len() > 3);
    assert_eq!(tables::digest(&t).unwrap(), file.input_blake3);
    let settings = IssueSettings {
        state: by_table.clone(),
        policy: policy_path.clone(),
        recipients: recipients.clone(),
        witnesses: None,
    };
    let deliveries = vec![Vec::new(); 3];
    let (report, copies) = tables::issue(&settings, &t, deliveries, Quiet).unwrap();
    assert!(report.canaries_made > 0);
    assert_eq!(report.canaries_made, file.canaries_made);
    for ((mine, batches), theirs) in report.copies.iter().zip(&copies).zip(&file.copies) {
        let bytes = std::fs::read(&theirs.file).unwrap();
        assert_eq!(csv_form(&t.schema, batches), bytes, "{}", mine.recipient);
        assert_eq!(mine.blake3, theirs.blake3);
        assert_eq!(mine.bytes, theirs.bytes);
        assert_eq!(mine.canaries, theirs.canaries);
        assert_eq!(mine.log_index, theirs.log_index);
        // The same entry but its time.
        let a = serde_json::to_value(&mine.receipt).unwrap();
        let entry: serde_json::Value = serde_json::from_str(a["entry"].as_str().unwrap()).unwrap();
        assert_eq!(entry["output_blake3"], theirs.blake3.as_str());
        assert_eq!(entry["input_blake3"], file.input_blake3.as_str());
    }

    // A table without the policy's identity column: refused before
    // anything is logged.
    let size = State::open(&by_table).unwrap().log().unwrap().size();
    let curp = t.schema.index_of("CURP").unwrap();
    let keep: Vec<usize> = (0..t.schema.fields().len())
        .filter(|&i| i != curp)
        .collect();
    let without = InMemory {
        schema: Arc::new(t.schema.project(&keep).unwrap()),
        batches: t
            .batches
            .iter()
            .map(|b| b.project(&keep).unwrap())
            .collect(),
        name: "sin CURP".into(),
    };
    let err = tables::issue(&settings, &without, vec![Vec::new(); 3], Quiet).unwrap_err();
    assert_eq!(err.fault(), watermark_app::Fault::Input);
    assert!(err.message().contains("CURP"), "{}", err.message());
    assert_eq!(State::open(&by_table).unwrap().log().unwrap().size(), size);
}

/// Marked in three parts, each as rows `first_row...` of the table (as Spark
/// tasks mark their partitions), then committed: the copies of one pass.
#[test]
fn a_table_marked_in_parts_gives_the_copies_of_one_pass() {
    let dir = tempfile::tempdir().unwrap();
    let csv = extract(2_100);
    let policy_path = dir.path().join("politica.toml");
    let suggestion =
        watermark_formats::suggest_from_csv(&csv[..], 10_000, None, Some(0.004)).unwrap();
    std::fs::write(&policy_path, suggestion.to_commented_toml()).unwrap();
    let [whole, parts] = shared_states(dir.path(), ["whole", "parts"]);
    let t = table(&csv);
    let recipients: Vec<String> = ["PAN", "PRI"].map(String::from).to_vec();
    let settings = |state: &std::path::Path| IssueSettings {
        state: state.to_path_buf(),
        policy: policy_path.clone(),
        recipients: recipients.clone(),
        witnesses: None,
    };
    let (one_pass, _) = tables::issue(&settings(&whole), &t, vec![Vec::new(); 2], Quiet).unwrap();

    let prepared = tables::prepare(&settings(&parts), &t, Quiet).unwrap();
    assert!(prepared.canaries_made > 0);
    let key = State::open(&parts).unwrap().master_key().unwrap();
    // Batches of 700 rows: parts of 1, 1 and 1 batch, marked out of order.
    let mut copies: Vec<Vec<Vec<RecordBatch>>> = vec![Vec::new(); 3];
    let mut slots = 0;
    for p in [2usize, 0, 1] {
        let part = watermark_formats::Part {
            first_row: 1 + 700 * p as u64,
            last: p == 2,
        };
        let batch = t.batches[p].clone();
        let summary = tables::mark(
            &prepared,
            &key,
            t.schema.clone(),
            Box::new(std::iter::once(Ok(batch))),
            vec![Vec::new(); 2],
            Some(part),
        )
        .unwrap();
        slots += summary.slots_marked;
        copies[p] = summary.outputs.into_iter().map(|c| c.delivered).collect();
    }
    let marked: Vec<tables::Marked> = (0..2)
        .map(|r| {
            let batches: Vec<RecordBatch> = copies.iter().flat_map(|p| p[r].clone()).collect();
            let form = csv_form(&t.schema, &batches);
            let rows = batches.iter().map(|b| b.num_rows() as u64).sum();
            tables::Marked {
                blake3: blake3::hash(&form).to_hex().to_string(),
                bytes: form.len() as u64,
                rows,
            }
        })
        .collect();
    let report = tables::commit(&settings(&parts), &prepared, &marked, slots, Quiet).unwrap();
    assert_eq!(report.slots_marked_per_copy, one_pass.slots_marked_per_copy);
    for (a, b) in report.copies.iter().zip(&one_pass.copies) {
        assert_eq!(
            (a.blake3.as_str(), a.rows, a.canaries),
            (b.blake3.as_str(), b.rows, b.canaries)
        );
    }

    // An order whose slot was moved after it was authorised marks nothing.
    let mut forged = prepared.clone();
    forged.order.recipients[0].slot += 1;
    let err = tables::mark(
        &forged,
        &key,
        t.schema.clone(),
        Box::new(std::iter::once(Ok(t.batches[0].clone()))),
        vec![Vec::new(); 2],
        None,
    )
    .unwrap_err();
    assert_eq!(err.fault(), watermark_app::Fault::Server);
}

/// States that share one master key and log key (copies of one new state),
/// so the same recipients get the same slots and the same marks.
fn shared_states<const N: usize>(
    dir: &std::path::Path,
    names: [&str; N],
) -> [std::path::PathBuf; N] {
    let origin = dir.join("origin");
    State::init(&origin).unwrap();
    names.map(|name| {
        let to = dir.join(name);
        std::fs::create_dir(&to).unwrap();
        for entry in walk(&origin) {
            let dest = to.join(entry.strip_prefix(&origin).unwrap());
            if entry.is_dir() {
                std::fs::create_dir_all(&dest).unwrap();
            } else {
                std::fs::copy(&entry, &dest).unwrap();
            }
        }
        to
    })
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        out.push(path.clone());
        if path.is_dir() {
            out.extend(walk(&path));
        }
    }
    out
}
